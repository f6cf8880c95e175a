/* test-events.c - the event bus: which kinds are built and kept, the ring, the seqs */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "sbd-events.h"

struct sink {
	GPtrArray *events;
	GArray *seqs;
};

static void
on_event(void *ctx, json_object *params, uint64_t seq)
{
	struct sink *s = ctx;

	g_ptr_array_add(s->events, params);
	g_array_append_val(s->seqs, seq);
}

static void
put_event(gpointer o)
{
	json_object_put(o);
}

static const char *
str(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

static void
test_kept_without_listener(void)
{
	struct sbd_events *ev = sbd_events_new();
	uint64_t last = 99;
	json_object *h;

	/* nobody listens: only the kept kinds are built */
	g_assert_null(sbd_event_new(ev, SB_EVENT_CONNECTION_OPENED));
	g_assert_null(sbd_event_new(ev, SB_EVENT_POLICY_APPLIED));
	sbd_events_policy_applied(ev, 3, "test");
	h = sbd_events_history(ev, &last);
	g_assert_cmpuint(json_object_array_length(h), ==, 0);
	g_assert_cmpuint(last, ==, 0);
	json_object_put(h);

	sbd_events_rejected(ev, 404, "no route", "10.0.0.1:1", "plain", NULL);
	json_object *closed = sbd_event_new(ev, SB_EVENT_CONNECTION_CLOSED);
	g_assert_nonnull(closed);
	json_object_object_add(closed, SB_FIELD_REASON, json_object_new_string("idle"));
	sbd_event_emit(ev, closed);
	sbd_events_rejected(ev, 403, "not allowed", "10.0.0.2:2", "plain", "vnc");

	h = sbd_events_history(ev, &last);
	g_assert_cmpuint(last, ==, 3);
	g_assert_cmpuint(json_object_array_length(h), ==, 3);
	g_assert_cmpstr(str(json_object_array_get_idx(h, 0), SB_FIELD_CLIENT), ==, "10.0.0.1:1");
	g_assert_cmpstr(str(json_object_array_get_idx(h, 1), SB_FIELD_TYPE), ==,
	    "connection.closed");
	g_assert_cmpstr(str(json_object_array_get_idx(h, 1), SB_FIELD_REASON), ==, "idle");
	g_assert_cmpstr(str(json_object_array_get_idx(h, 2), SB_FIELD_ROUTE), ==, "vnc");
	for (size_t i = 0; i < 3; i++) {
		json_object *v;

		g_assert_true(json_object_object_get_ex(json_object_array_get_idx(h, i),
		    SB_FIELD_HISTORY, &v));
		g_assert_true(json_object_get_boolean(v));
	}
	json_object_put(h);
	sbd_events_free(ev);
}

static void
test_ring_keeps_the_last(void)
{
	struct sbd_events *ev = sbd_events_new();
	uint64_t last;
	json_object *h;
	char client[32];

	for (int i = 0; i < SBD_EVENTS_KEPT + 7; i++) {
		snprintf(client, sizeof client, "10.0.0.1:%d", i);
		sbd_events_rejected(ev, 404, "no route", client, "plain", NULL);
	}
	h = sbd_events_history(ev, &last);
	g_assert_cmpuint(last, ==, SBD_EVENTS_KEPT + 7);
	g_assert_cmpuint(json_object_array_length(h), ==, SBD_EVENTS_KEPT);
	for (int i = 0; i < SBD_EVENTS_KEPT; i++) {
		snprintf(client, sizeof client, "10.0.0.1:%d", i + 7);
		g_assert_cmpstr(str(json_object_array_get_idx(h, (size_t)i), SB_FIELD_CLIENT), ==,
		    client);
	}
	json_object_put(h);
	sbd_events_free(ev);
}

static void
test_sink_gets_seqs(void)
{
	struct sbd_events *ev = sbd_events_new();
	struct sink s = { g_ptr_array_new_with_free_func(put_event),
		g_array_new(FALSE, FALSE, sizeof(uint64_t)) };
	json_object *h;
	uint64_t last;

	sbd_events_rejected(ev, 404, "no route", "10.0.0.1:1", "plain", NULL); /* seq 1, unsent */
	sbd_events_set_sink(ev, on_event, &s);
	sbd_events_set_listening(ev, true);
	sbd_event_emit(ev, sbd_event_new(ev, SB_EVENT_CONNECTION_OPENED));
	sbd_events_rejected(ev, 503, "full", "10.0.0.1:2", "plain", NULL);
	sbd_events_policy_applied(ev, 2, "test");
	g_assert_cmpuint(s.events->len, ==, 3);
	g_assert_cmpuint(g_array_index(s.seqs, uint64_t, 0), ==, 0);
	g_assert_cmpuint(g_array_index(s.seqs, uint64_t, 1), ==, 2);
	g_assert_cmpuint(g_array_index(s.seqs, uint64_t, 2), ==, 0);
	/* a live event carries no history mark */
	g_assert_false(json_object_object_get_ex(g_ptr_array_index(s.events, 1), SB_FIELD_HISTORY,
	    NULL));
	h = sbd_events_history(ev, &last);
	g_assert_cmpuint(last, ==, 2);
	g_assert_cmpuint(json_object_array_length(h), ==, 2);
	json_object_put(h);
	g_ptr_array_free(s.events, TRUE);
	g_array_free(s.seqs, TRUE);
	sbd_events_free(ev);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/events/kept-without-listener", test_kept_without_listener);
	g_test_add_func("/events/ring-keeps-the-last", test_ring_keeps_the_last);
	g_test_add_func("/events/sink-gets-seqs", test_sink_gets_seqs);
	return g_test_run();
}
