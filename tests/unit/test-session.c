/*
 * test-session.c - one daemon's session against a scripted daemon: the kept
 * refusals and closes (history) fill the Refused and recently closed models,
 * live events add to them, and a reconnection starts them over, never twice
 */
#include <gio/gio.h>
#include <json-c/json.h>

#include "swb-session.h"
#include "swb-test.h"

#define WAIT_MS 5000

static char *
answer(const char *method, json_object *params, gpointer data)
{
	if (g_str_equal(method, "connections.list"))
		return g_strdup("\"result\": []");
	if (g_str_equal(method, "status"))
		return g_strdup("\"result\": {\"revision\": 1}");
	return NULL;
}

static gboolean
is_connected(gpointer data)
{
	return swb_client_get_connected(swb_session_get_client(data));
}

static gboolean
is_disconnected(gpointer data)
{
	return !is_connected(data);
}

static guint
count(gpointer model)
{
	return g_list_model_get_n_items(G_LIST_MODEL(model));
}

typedef struct {
	SwbSession *session;
	guint refused, closed;
} Want;

static gboolean
has_counts(gpointer data)
{
	Want *w = data;

	return count(swb_session_get_rejections(w->session)) == w->refused &&
	    count(swb_session_get_closed(w->session)) == w->closed;
}

/* What the daemon replays after events.subscribe {"history": true}. */
static void
send_history(SwbTestDaemon *daemon)
{
	swb_test_daemon_send_event(daemon, "upgrade.rejected", "\"history\": true, "
	    "\"status\": 404, \"reason\": \"no route\", \"client\": \"10.0.0.1:5\"");
	swb_test_daemon_send_event(daemon, "connection.closed", "\"history\": true, "
	    "\"id\": 3, \"route\": \"echo\", \"client\": \"10.0.0.2:6\", \"state\": \"closed\", "
	    "\"reason\": \"client closed\", \"bytes_up\": 5, \"bytes_down\": 7");
	swb_test_daemon_send_event(daemon, "upgrade.rejected", "\"history\": true, "
	    "\"status\": 403, \"reason\": \"address refused\", \"client\": \"10.0.0.3:7\"");
}

static void
test_history(void)
{
	SwbTestDaemon *daemon = swb_test_daemon_new(answer, NULL);
	SwbSession *session = swb_session_new(swb_test_daemon_get_path(daemon));
	Want want = { session, 2, 1 };
	g_autoptr(SwbConnection) closed = NULL;

	swb_session_start(session);
	g_assert_true(swb_test_wait_for(is_connected, session, WAIT_MS));
	send_history(daemon);
	g_assert_true(swb_test_wait_for(has_counts, &want, WAIT_MS));
	closed = g_list_model_get_item(G_LIST_MODEL(swb_session_get_closed(session)), 0);
	g_assert_cmpstr(swb_connection_get_reason(closed), ==, "client closed");
	g_assert_cmpstr(swb_connection_get_route(closed), ==, "echo");
	g_assert_cmpuint(swb_connection_get_bytes_down(closed), ==, 7);

	/* live ones add to them, newest first */
	swb_test_daemon_send_event(daemon, "connection.closed", "\"id\": 9, \"route\": \"vnc\", "
	    "\"reason\": \"idle\"");
	want.closed = 2;
	g_assert_true(swb_test_wait_for(has_counts, &want, WAIT_MS));
	g_clear_object(&closed);
	closed = g_list_model_get_item(G_LIST_MODEL(swb_session_get_closed(session)), 0);
	g_assert_cmpstr(swb_connection_get_route(closed), ==, "vnc");

	/* a new connection replays the history: it replaces what was there */
	swb_test_daemon_stop(daemon);
	g_assert_true(swb_test_wait_for(is_disconnected, session, WAIT_MS));
	swb_test_daemon_start(daemon);
	g_assert_true(swb_test_wait_for(is_connected, session, WAIT_MS * 2));
	want.refused = 0;
	want.closed = 0;
	g_assert_true(swb_test_wait_for(has_counts, &want, WAIT_MS));
	send_history(daemon);
	want.refused = 2;
	want.closed = 1;
	g_assert_true(swb_test_wait_for(has_counts, &want, WAIT_MS));

	g_object_run_dispose(G_OBJECT(session));
	g_assert_finalize_object(session);
	swb_test_daemon_free(daemon);
}

static void
test_closed_model_bounded(void)
{
	g_autoptr(SwbClosedModel) model = swb_closed_model_new(2);

	for (int i = 1; i <= 3; i++) {
		g_autofree char *text = g_strdup_printf("{\"id\": %d, \"reason\": \"r%d\"}", i, i);
		json_object *ev = json_tokener_parse(text);

		g_assert_true(swb_closed_model_handle_event(model, "connection.closed", ev, 0));
		g_assert_false(swb_closed_model_handle_event(model, "connection.opened", ev, 0));
		json_object_put(ev);
	}
	g_assert_cmpuint(count(model), ==, 2);
	{
		g_autoptr(SwbConnection) newest = g_list_model_get_item(G_LIST_MODEL(model), 0);
		g_autoptr(SwbConnection) oldest = g_list_model_get_item(G_LIST_MODEL(model), 1);

		g_assert_cmpuint(swb_connection_get_id(newest), ==, 3);
		g_assert_cmpuint(swb_connection_get_id(oldest), ==, 2);
	}
	swb_closed_model_clear(model);
	g_assert_cmpuint(count(model), ==, 0);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/session/history", test_history);
	g_test_add_func("/session/closed-model-bounded", test_closed_model_bounded);
	return g_test_run();
}
