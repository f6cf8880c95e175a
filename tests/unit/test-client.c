/* test-client.c - the app's control client against a scripted in-process server */
#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <json-c/json.h>
#include <string.h>

#include "sb-control.h"
#include "swb-client.h"

#define WAIT_MS 5000

/* The server side: one connection at a time, answers by method. */
typedef struct {
	char *dir;
	char *path;
	GSocketService *service;
	GSocketConnection *conn;
	GDataInputStream *in;
	guint subscribes;
	guint requests;
} Server;

typedef struct {
	Server server;
	SwbClient *client;
	guint ready;
	guint events;
	char *last_event;
	json_object *answer;
	json_object *error_data;
	GError *error;
	gboolean answered;
} Fixture;

static void
server_send(Server *s, const char *line)
{
	GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(s->conn));
	g_autofree char *text = g_strconcat(line, "\n", NULL);

	g_assert_true(g_output_stream_write_all(out, text, strlen(text), NULL, NULL, NULL));
}

static void read_request(Server *s);

static void
on_request(GObject *source, GAsyncResult *result, gpointer data)
{
	Server *s = data;
	g_autoptr(GError) error = NULL;
	g_autofree char *line = g_data_input_stream_read_line_finish(G_DATA_INPUT_STREAM(source),
	    result, NULL, &error);
	json_object *req;
	json_object *id = NULL;
	json_object *method = NULL;
	const char *name;
	g_autofree char *answer = NULL;

	if (line == NULL)
		return; /* closed, by either side */
	req = json_tokener_parse(line);
	g_assert_nonnull(req);
	json_object_object_get_ex(req, "id", &id);
	json_object_object_get_ex(req, "method", &method);
	name = json_object_get_string(method);
	s->requests++;
	if (g_str_equal(name, "events.subscribe")) {
		s->subscribes++;
		answer = g_strdup_printf("{\"jsonrpc\": \"2.0\", \"id\": %s, \"result\": {}}",
		    json_object_to_json_string(id));
	} else if (g_str_equal(name, "status")) {
		answer = g_strdup_printf("{\"jsonrpc\": \"2.0\", \"id\": %s,"
		    " \"result\": {\"version\": \"9.9\"}}", json_object_to_json_string(id));
	} else if (g_str_equal(name, "policy.apply")) {
		answer = g_strdup_printf("{\"jsonrpc\": \"2.0\", \"id\": %s, \"error\": {\"code\":"
		    " -32001, \"message\": \"stale revision\", \"data\": {\"revision\": 9}}}",
		    json_object_to_json_string(id));
	}
	/* anything else: never answered */
	if (answer != NULL)
		server_send(s, answer);
	json_object_put(req);
	read_request(s);
}

static void
read_request(Server *s)
{
	g_data_input_stream_read_line_async(s->in, G_PRIORITY_DEFAULT, NULL, on_request, s);
}

static gboolean
on_incoming(GSocketService *service, GSocketConnection *conn, GObject *source, gpointer data)
{
	Server *s = data;

	g_clear_object(&s->in);
	g_clear_object(&s->conn);
	s->conn = g_object_ref(conn);
	s->in = g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(conn)));
	read_request(s);
	return TRUE;
}

static void
server_start(Server *s)
{
	g_autoptr(GSocketAddress) address = g_unix_socket_address_new(s->path);
	g_autoptr(GError) error = NULL;

	s->service = g_socket_service_new();
	g_socket_listener_add_address(G_SOCKET_LISTENER(s->service), address,
	    G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, NULL, NULL, &error);
	g_assert_no_error(error);
	g_signal_connect(s->service, "incoming", G_CALLBACK(on_incoming), s);
}

/* Ends the connection and stops listening: the daemon is gone. */
static void
server_stop(Server *s)
{
	if (s->conn != NULL)
		g_io_stream_close(G_IO_STREAM(s->conn), NULL, NULL);
	g_clear_object(&s->in);
	g_clear_object(&s->conn);
	if (s->service != NULL) {
		g_socket_service_stop(s->service);
		g_socket_listener_close(G_SOCKET_LISTENER(s->service));
	}
	g_clear_object(&s->service);
	g_unlink(s->path);
}

static gboolean
keep_nothing(gpointer data)
{
	return G_SOURCE_REMOVE;
}

static gboolean
wait_for(gboolean (*check)(Fixture *), Fixture *f, guint ms)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)ms * 1000;

	while (!check(f)) {
		GSource *wake = g_timeout_source_new(10);

		if (g_get_monotonic_time() > deadline) {
			g_source_unref(wake);
			return FALSE;
		}
		g_source_set_callback(wake, keep_nothing, NULL, NULL);
		g_source_attach(wake, NULL);
		g_main_context_iteration(NULL, TRUE);
		g_source_destroy(wake);
		g_source_unref(wake);
	}
	return TRUE;
}

static gboolean
is_connected(Fixture *f)
{
	return swb_client_get_connected(f->client);
}

static gboolean
is_disconnected(Fixture *f)
{
	return !swb_client_get_connected(f->client);
}

static gboolean
is_answered(Fixture *f)
{
	return f->answered;
}

static void
on_ready(SwbClient *client, Fixture *f)
{
	f->ready++;
}

static void
on_event(SwbClient *client, const char *type, json_object *params, Fixture *f)
{
	g_free(f->last_event);
	f->last_event = g_strdup(type);
	f->events++;
}

static void
on_answer(GObject *source, GAsyncResult *result, gpointer data)
{
	Fixture *f = data;

	g_clear_error(&f->error);
	g_clear_pointer(&f->answer, json_object_put);
	g_clear_pointer(&f->error_data, json_object_put);
	f->answer = swb_client_call_finish(SWB_CLIENT(source), result, &f->error_data,
	    &f->error);
	f->answered = TRUE;
}

static void
call(Fixture *f, const char *method)
{
	f->answered = FALSE;
	swb_client_call_async(f->client, method, NULL, NULL, on_answer, f);
	g_assert_true(wait_for(is_answered, f, WAIT_MS));
}

static void
setup(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	f->server.dir = g_dir_make_tmp("swb-client-XXXXXX", &error);
	g_assert_no_error(error);
	f->server.path = g_build_filename(f->server.dir, "control.sock", NULL);
	server_start(&f->server);
	f->client = swb_client_new(f->server.path);
	g_signal_connect(f->client, "ready", G_CALLBACK(on_ready), f);
	g_signal_connect(f->client, "event::connection.opened", G_CALLBACK(on_event), f);
}

static void
teardown(Fixture *f, gconstpointer data)
{
	swb_client_stop(f->client);
	g_assert_finalize_object(f->client);
	server_stop(&f->server);
	/* let the cancelled operations finish */
	while (g_main_context_iteration(NULL, FALSE))
		;
	g_rmdir(f->server.dir);
	g_free(f->server.dir);
	g_free(f->server.path);
	g_free(f->last_event);
	g_clear_pointer(&f->answer, json_object_put);
	g_clear_pointer(&f->error_data, json_object_put);
	g_clear_error(&f->error);
}

static void
test_calls(Fixture *f, gconstpointer data)
{
	json_object *v = NULL;

	call(f, "status");
	g_assert_error(f->error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED);
	swb_client_start(f->client);
	g_assert_true(wait_for(is_connected, f, WAIT_MS));
	g_assert_cmpuint(f->ready, ==, 1);
	g_assert_cmpuint(f->server.subscribes, ==, 1);
	g_assert_null(swb_client_get_error(f->client));

	call(f, "status");
	g_assert_no_error(f->error);
	g_assert_true(json_object_object_get_ex(f->answer, "version", &v));
	g_assert_cmpstr(json_object_get_string(v), ==, "9.9");

	/* a JSON-RPC error keeps its code and its data */
	call(f, "policy.apply");
	g_assert_error(f->error, SWB_CLIENT_ERROR, SB_ERR_STALE_REVISION);
	g_assert_true(json_object_object_get_ex(f->error_data, "revision", &v));
	g_assert_cmpint(json_object_get_int(v), ==, 9);
}

static gboolean
ready_twice(Fixture *f)
{
	return f->ready >= 2 && swb_client_get_connected(f->client);
}

static void
test_events(Fixture *f, gconstpointer data)
{
	swb_client_start(f->client);
	g_assert_true(wait_for(is_connected, f, WAIT_MS));
	/* junk and foreign notifications are ignored */
	server_send(&f->server, "not json at all");
	server_send(&f->server, "{\"jsonrpc\": \"2.0\", \"method\": \"other\", \"params\": {}}");
	server_send(&f->server, "{\"jsonrpc\": \"2.0\", \"method\": \"event\", \"params\":"
	    " {\"type\": \"connection.opened\", \"id\": 1}}");
	call(f, "status");
	g_assert_cmpuint(f->events, ==, 1);
	g_assert_cmpstr(f->last_event, ==, "connection.opened");

	/* a dropped subscription: subscribe again, and say "ready" again */
	server_send(&f->server, "{\"jsonrpc\": \"2.0\", \"method\": \"event\", \"params\":"
	    " {\"type\": \"subscription.dropped\"}}");
	g_assert_true(wait_for(ready_twice, f, WAIT_MS));
	g_assert_cmpuint(f->server.subscribes, ==, 2);
	g_assert_true(swb_client_get_connected(f->client));
}

/* The daemon goes away with a call in flight, then comes back. */
static void
test_reconnect(Fixture *f, gconstpointer data)
{
	swb_client_start(f->client);
	g_assert_true(wait_for(is_connected, f, WAIT_MS));
	f->answered = FALSE;
	swb_client_call_async(f->client, "never.answered", NULL, NULL, on_answer, f);
	server_stop(&f->server);
	g_assert_true(wait_for(is_disconnected, f, WAIT_MS));
	g_assert_true(wait_for(is_answered, f, WAIT_MS));
	g_assert_error(f->error, G_IO_ERROR, G_IO_ERROR_CLOSED);
	g_assert_nonnull(swb_client_get_error(f->client));
	g_assert_cmpint(swb_client_get_retry_at(f->client), >, 0);
	server_start(&f->server);
	g_assert_true(wait_for(ready_twice, f, WAIT_MS));
	g_assert_null(swb_client_get_error(f->client));
}

static void
test_no_daemon(Fixture *f, gconstpointer data)
{
	server_stop(&f->server);
	swb_client_start(f->client);
	g_assert_true(wait_for(is_disconnected, f, WAIT_MS));
	while (swb_client_get_error(f->client) == NULL)
		g_main_context_iteration(NULL, TRUE);
	g_assert_cmpint(swb_client_get_retry_at(f->client), >, 0);
	swb_client_stop(f->client);
	g_assert_cmpint(swb_client_get_retry_at(f->client), ==, 0);
	g_assert_false(swb_client_get_connected(f->client));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/client/calls", Fixture, NULL, setup, test_calls, teardown);
	g_test_add("/client/events", Fixture, NULL, setup, test_events, teardown);
	g_test_add("/client/reconnect", Fixture, NULL, setup, test_reconnect, teardown);
	g_test_add("/client/no-daemon", Fixture, NULL, setup, test_no_daemon, teardown);
	return g_test_run();
}
