/* sbd-events.c - events built for a listener, handed to one sink; refusals and closes kept */
#include "sbd-events.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "sb-alloc.h"
#include "sbd-loop.h"

struct sbd_events {
	sbd_event_sink *sink;
	void *sink_ctx;
	sbd_event_tap *tap;
	void *tap_ctx;
	atomic_bool listening;

	/* The history: seq s sits at ring[(s - 1) % SBD_EVENTS_KEPT]; held only to copy a pointer. */
	pthread_mutex_t lock;
	uint64_t last_seq;
	char *ring[SBD_EVENTS_KEPT];
};

struct sbd_events *
sbd_events_new(void)
{
	struct sbd_events *ev = sb_xcalloc(1, sizeof *ev);

	pthread_mutex_init(&ev->lock, NULL);
	return ev;
}

void
sbd_events_free(struct sbd_events *ev)
{
	if (ev == NULL)
		return;
	for (size_t i = 0; i < SBD_EVENTS_KEPT; i++)
		free(ev->ring[i]);
	pthread_mutex_destroy(&ev->lock);
	free(ev);
}

void
sbd_events_set_sink(struct sbd_events *ev, sbd_event_sink *sink, void *ctx)
{
	ev->sink = sink;
	ev->sink_ctx = ctx;
}

void
sbd_events_set_listening(struct sbd_events *ev, bool listening)
{
	atomic_store(&ev->listening, listening);
}

void
sbd_events_set_tap(struct sbd_events *ev, sbd_event_tap *tap, void *ctx)
{
	ev->tap = tap;
	ev->tap_ctx = ctx;
}

bool
sbd_events_wanted(struct sbd_events *ev)
{
	return atomic_load(&ev->listening) && ev->sink != NULL;
}

bool
sbd_events_is_kept(enum sb_control_event type)
{
	return type == SB_EVENT_UPGRADE_REJECTED || type == SB_EVENT_CONNECTION_CLOSED;
}

json_object *
sbd_event_new(struct sbd_events *ev, enum sb_control_event type)
{
	char t[SB_TIME_RFC3339_MAX];
	json_object *o;

	if (!sbd_events_is_kept(type) && !sbd_events_wanted(ev))
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, SB_FIELD_TYPE,
	    json_object_new_string(sb_control_event_name(type)));
	sb_time_rfc3339(sbd_unix_ms(), t);
	json_object_object_add(o, SB_FIELD_TIME, json_object_new_string(t));
	return o;
}

static bool
is_kept(json_object *event)
{
	json_object *type;
	enum sb_control_event e;

	return json_object_object_get_ex(event, SB_FIELD_TYPE, &type) &&
	    sb_control_event_lookup(json_object_get_string(type), &e) && sbd_events_is_kept(e);
}

/* Puts the event's text in the ring; returns its seq. */
static uint64_t
keep(struct sbd_events *ev, json_object *event)
{
	char *text = sb_xstrdup(json_object_to_json_string_ext(event, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	char *old;
	uint64_t seq;

	pthread_mutex_lock(&ev->lock);
	seq = ++ev->last_seq;
	old = ev->ring[(seq - 1) % SBD_EVENTS_KEPT];
	ev->ring[(seq - 1) % SBD_EVENTS_KEPT] = text;
	pthread_mutex_unlock(&ev->lock);
	free(old);
	return seq;
}

void
sbd_event_emit(struct sbd_events *ev, json_object *event)
{
	uint64_t seq = 0;

	if (event == NULL)
		return;
	if (is_kept(event)) {
		seq = keep(ev, event);
		if (ev->tap != NULL)
			ev->tap(ev->tap_ctx, event);
	}
	/* Kept before this look: a subscriber that came between has it in its history. */
	if (sbd_events_wanted(ev))
		ev->sink(ev->sink_ctx, event, seq);
	else
		json_object_put(event);
}

json_object *
sbd_events_history(struct sbd_events *ev, uint64_t *last_seq)
{
	char **texts = sb_xcalloc(SBD_EVENTS_KEPT, sizeof *texts);
	json_object *arr = json_object_new_array();
	uint64_t last, first;

	pthread_mutex_lock(&ev->lock);
	last = ev->last_seq;
	first = last > SBD_EVENTS_KEPT ? last - SBD_EVENTS_KEPT + 1 : 1;
	for (uint64_t s = first; s <= last; s++)
		texts[s - first] = sb_xstrdup(ev->ring[(s - 1) % SBD_EVENTS_KEPT]);
	pthread_mutex_unlock(&ev->lock);

	for (uint64_t s = first; s <= last; s++) {
		json_object *o = json_tokener_parse(texts[s - first]);

		free(texts[s - first]);
		if (o == NULL)
			continue; /* our own serialization: cannot happen */
		json_object_object_add(o, SB_FIELD_HISTORY, json_object_new_boolean(true));
		json_object_array_add(arr, o);
	}
	free(texts);
	*last_seq = last;
	return arr;
}

static void
add_str(json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, value ? json_object_new_string(value) : NULL);
}

void
sbd_events_rejected(struct sbd_events *ev, int status, const char *reason,
    const char *client, const char *listener, const char *route)
{
	sbd_events_rejected_request(ev, status, reason, client, listener, route, NULL);
}

void
sbd_events_rejected_request(struct sbd_events *ev, int status, const char *reason,
    const char *client, const char *listener, const char *route,
    const struct sbd_event_request *req)
{
	json_object *o = sbd_event_new(ev, SB_EVENT_UPGRADE_REJECTED);

	if (o == NULL)
		return;
	json_object_object_add(o, SB_FIELD_STATUS, json_object_new_int(status));
	add_str(o, SB_FIELD_REASON, reason);
	add_str(o, SB_FIELD_CLIENT, client);
	add_str(o, SB_FIELD_LISTENER, listener);
	if (route != NULL)
		add_str(o, SB_FIELD_ROUTE, route);
	if (req != NULL) {
		if (req->method != NULL) {
			add_str(o, SB_FIELD_METHOD, req->method);
			add_str(o, SB_FIELD_PATH, req->path);
		}
		if (req->identity != NULL)
			add_str(o, SB_FIELD_IDENTITY, req->identity);
		json_object_object_add(o, SB_FIELD_DURATION_MS,
		    json_object_new_int64((int64_t)req->duration_ms));
	}
	sbd_event_emit(ev, o);
}

void
sbd_events_policy_applied(struct sbd_events *ev, uint64_t revision, const char *by)
{
	json_object *o = sbd_event_new(ev, SB_EVENT_POLICY_APPLIED);

	if (o == NULL)
		return;
	json_object_object_add(o, SB_FIELD_REVISION, json_object_new_int64((int64_t)revision));
	add_str(o, "by", by);
	sbd_event_emit(ev, o);
}
