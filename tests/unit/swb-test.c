/*
 * swb-test.c - what the app's tests share: a scripted control socket (one
 * connection at a time, answers by method), and waiting on the main loop
 */
#include "swb-test.h"

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <string.h>

#include "sb-control.h"

struct _SwbTestDaemon {
	char *dir;
	char *path;
	SwbTestAnswer answer;
	gpointer data;
	GSocketService *service;
	GSocketConnection *conn;
	GDataInputStream *in;
	guint subscribes;
};

void
swb_test_daemon_send(SwbTestDaemon *self, const char *line)
{
	GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(self->conn));
	g_autofree char *text = g_strconcat(line, "\n", NULL);

	g_assert_true(g_output_stream_write_all(out, text, strlen(text), NULL, NULL, NULL));
}

void
swb_test_daemon_send_event(SwbTestDaemon *self, const char *type, const char *members_json)
{
	g_autofree char *line = g_strdup_printf("{\"jsonrpc\": \"2.0\", \"method\": \"%s\","
	    " \"params\": {\"%s\": \"%s\"%s%s}}", SB_CONTROL_NOTIFY_EVENT, SB_FIELD_TYPE, type,
	    members_json != NULL ? ", " : "", members_json != NULL ? members_json : "");

	swb_test_daemon_send(self, line);
}

static void read_request(SwbTestDaemon *self);

static void
on_request(GObject *source, GAsyncResult *result, gpointer data)
{
	SwbTestDaemon *self = data;
	g_autoptr(GError) error = NULL;
	g_autofree char *line = g_data_input_stream_read_line_finish(G_DATA_INPUT_STREAM(source),
	    result, NULL, &error);
	json_object *req;
	json_object *id = NULL;
	json_object *method = NULL;
	json_object *params = NULL;
	const char *name;
	g_autofree char *members = NULL;

	if (line == NULL)
		return; /* closed, by either side */
	req = json_tokener_parse(line);
	g_assert_nonnull(req);
	json_object_object_get_ex(req, "id", &id);
	json_object_object_get_ex(req, "method", &method);
	json_object_object_get_ex(req, "params", &params);
	name = json_object_get_string(method);
	if (g_str_equal(name, sb_control_method_name(SB_METHOD_EVENTS_SUBSCRIBE))) {
		self->subscribes++;
		members = g_strdup("\"result\": {}");
	} else if (self->answer != NULL) {
		members = self->answer(name, params, self->data);
	}
	if (members != NULL) {
		g_autofree char *answer = g_strdup_printf("{\"jsonrpc\": \"2.0\", \"id\": %s, %s}",
		    json_object_to_json_string(id), members);

		swb_test_daemon_send(self, answer);
	}
	json_object_put(req);
	read_request(self);
}

static void
read_request(SwbTestDaemon *self)
{
	g_data_input_stream_read_line_async(self->in, G_PRIORITY_DEFAULT, NULL, on_request, self);
}

static gboolean
on_incoming(GSocketService *service, GSocketConnection *conn, GObject *source, gpointer data)
{
	SwbTestDaemon *self = data;

	g_clear_object(&self->in);
	g_clear_object(&self->conn);
	self->conn = g_object_ref(conn);
	self->in = g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(conn)));
	read_request(self);
	return TRUE;
}

void
swb_test_daemon_start(SwbTestDaemon *self)
{
	g_autoptr(GSocketAddress) address = g_unix_socket_address_new(self->path);
	g_autoptr(GError) error = NULL;

	self->service = g_socket_service_new();
	g_socket_listener_add_address(G_SOCKET_LISTENER(self->service), address,
	    G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, NULL, NULL, &error);
	g_assert_no_error(error);
	g_signal_connect(self->service, "incoming", G_CALLBACK(on_incoming), self);
}

void
swb_test_daemon_stop(SwbTestDaemon *self)
{
	if (self->conn != NULL)
		g_io_stream_close(G_IO_STREAM(self->conn), NULL, NULL);
	g_clear_object(&self->in);
	g_clear_object(&self->conn);
	if (self->service != NULL) {
		g_socket_service_stop(self->service);
		g_socket_listener_close(G_SOCKET_LISTENER(self->service));
	}
	g_clear_object(&self->service);
	g_unlink(self->path);
}

SwbTestDaemon *
swb_test_daemon_new(SwbTestAnswer answer, gpointer data)
{
	SwbTestDaemon *self = g_new0(SwbTestDaemon, 1);
	g_autoptr(GError) error = NULL;

	self->dir = g_dir_make_tmp("swb-test-XXXXXX", &error);
	g_assert_no_error(error);
	self->path = g_build_filename(self->dir, "control.sock", NULL);
	self->answer = answer;
	self->data = data;
	swb_test_daemon_start(self);
	return self;
}

void
swb_test_daemon_free(SwbTestDaemon *self)
{
	if (self == NULL)
		return;
	swb_test_daemon_stop(self);
	/* let the calls that failed or were cancelled finish */
	while (g_main_context_iteration(NULL, FALSE))
		;
	g_rmdir(self->dir);
	g_free(self->dir);
	g_free(self->path);
	g_free(self);
}

const char *
swb_test_daemon_get_path(SwbTestDaemon *self)
{
	return self->path;
}

guint
swb_test_daemon_get_subscribes(SwbTestDaemon *self)
{
	return self->subscribes;
}

static gboolean
keep_nothing(gpointer data)
{
	return G_SOURCE_REMOVE;
}

double
swb_test_time_scale(void)
{
	const char *text = g_getenv("SB_TIME_SCALE");
	double scale = text != NULL ? g_ascii_strtod(text, NULL) : 1.0;

	return scale >= 1.0 ? scale : 1.0;
}

gboolean
swb_test_wait_for(gboolean (*check)(gpointer data), gpointer data, guint ms)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)(ms * 1000 * swb_test_time_scale());

	while (!check(data)) {
		/* wakes the loop up at least every 10 ms, so the deadline is kept */
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
