/*
 * swb-client.c - a connection to one daemon's control socket: JSON-RPC calls
 * as _async/_finish, events as a signal, reconnection with backoff
 */
#include "swb-client-private.h"

#include <gio/gunixsocketaddress.h>
#include <stdlib.h>
#include <string.h>

#include "sb-control.h"
#include "sb-rpc.h"
#include "sb-ssh.h"

#define BACKOFF_FIRST_MS 250
#define BACKOFF_MAX_MS 8000
/* A daemon that accepts but does not answer the subscription is as good as gone. */
#define SUBSCRIBE_TIMEOUT_S 5
/* connections.list for thousands of rows is one line; the daemon bounds what it reads, not this */
#define MESSAGE_MAX ((size_t)64 << 20)
#define READ_CHUNK 65536
/* ssh logs in before the daemon can answer the subscription */
#define SSH_SUBSCRIBE_TIMEOUT_S 20

G_DEFINE_FINAL_TYPE(SwbClient, swb_client, G_TYPE_OBJECT)
G_DEFINE_QUARK(swb-client-error-quark, swb_client_error)

enum {
	PROP_0,
	PROP_SOCKET_PATH,
	PROP_CONNECTED,
	PROP_ERROR,
	PROP_RETRY_AT,
	N_PROPS
};

enum {
	SIGNAL_EVENT,
	SIGNAL_READY,
	N_SIGNALS
};

static GParamSpec *props[N_PROPS];
static guint signals[N_SIGNALS];

static gpointer
json_ref(gpointer v)
{
	return json_object_get(v);
}

static void
json_unref(gpointer v)
{
	json_object_put(v);
}

GType
swb_json_get_type(void)
{
	static gsize type;

	if (g_once_init_enter(&type))
		g_once_init_leave(&type, g_boxed_type_register_static(
		    g_intern_static_string("SwbJson"), json_ref, json_unref));
	return type;
}

static void connect_now(SwbClient *self);
static void subscribe(SwbClient *self);

static void
call_free(gpointer data)
{
	Call *call = data;

	json_object_put(call->error_data);
	g_free(call);
}

static void
set_error(SwbClient *self, const char *error)
{
	if (g_strcmp0(self->error, error) == 0)
		return;
	g_free(self->error);
	self->error = g_strdup(error);
	g_object_notify_by_pspec(G_OBJECT(self), props[PROP_ERROR]);
}

static void
set_state(SwbClient *self, State state)
{
	gboolean was = self->state == STATE_CONNECTED;

	self->state = state;
	if (was != (state == STATE_CONNECTED))
		g_object_notify_by_pspec(G_OBJECT(self), props[PROP_CONNECTED]);
}

static void
set_retry_at(SwbClient *self, gint64 retry_at)
{
	if (self->retry_at == retry_at)
		return;
	self->retry_at = retry_at;
	g_object_notify_by_pspec(G_OBJECT(self), props[PROP_RETRY_AT]);
}

static gboolean
on_retry(gpointer data)
{
	SwbClient *self = data;

	self->retry_source = 0;
	set_retry_at(self, 0);
	connect_now(self);
	return G_SOURCE_REMOVE;
}

void
_swb_client_disconnect(SwbClient *self, const char *reason)
{
	g_autoptr(GHashTable) calls = g_steal_pointer(&self->calls);
	GHashTableIter iter;
	gpointer value;
	char *line;

	self->calls = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, g_object_unref);
	g_cancellable_cancel(self->cancellable);
	g_clear_object(&self->cancellable);
	/* with reads or writes pending this fails; the socket then closes when they are gone */
	if (self->conn != NULL)
		g_io_stream_close(self->conn, NULL, NULL);
	g_clear_object(&self->conn);
	g_clear_handle_id(&self->ssh_grace, g_source_remove);
	if (self->ssh != NULL)
		g_subprocess_force_exit(self->ssh); /* GLib reaps it */
	g_clear_object(&self->ssh);
	g_clear_handle_id(&self->subscribe_timeout, g_source_remove);
	while ((line = g_queue_pop_head(&self->out)) != NULL)
		free(line);
	self->writing = FALSE;
	sb_line_reader_clear(&self->reader);
	sb_line_reader_init(&self->reader, MESSAGE_MAX);
	set_error(self, reason);
	set_state(self, STATE_IDLE);

	g_hash_table_iter_init(&iter, calls);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		g_task_return_new_error(value, G_IO_ERROR, G_IO_ERROR_CLOSED,
		    "the connection to the daemon ended: %s", reason);

	/* a handler of the signals above may have stopped or restarted us */
	if (self->stopped || self->retry_source != 0 || self->state != STATE_IDLE)
		return;
	set_retry_at(self, g_get_monotonic_time() + self->backoff_ms * (gint64)1000);
	self->retry_source = g_timeout_add(self->backoff_ms, on_retry, self);
	self->backoff_ms = MIN(self->backoff_ms * 2, BACKOFF_MAX_MS);
}

static void write_next(SwbClient *self);

/* One line being written; it outlives a disconnect until its callback runs. */
typedef struct {
	SwbClient *self;
	char *line;
} Write;

static void
on_written(GObject *source, GAsyncResult *result, gpointer data)
{
	g_autoptr(GError) error = NULL;
	Write *w = data;
	SwbClient *self = w->self;
	gboolean ok = g_output_stream_write_all_finish(G_OUTPUT_STREAM(source), result, NULL,
	    &error);

	free(w->line);
	g_free(w);
	if (!ok && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return; /* a connection that has ended; self may be gone */
	self->writing = FALSE;
	if (!ok && self->ssh != NULL) {
		_swb_client_ssh_out_ended(self); /* ssh has gone: its stderr says why */
		return;
	}
	if (!ok) {
		g_autofree char *reason = g_strdup_printf("writing to the daemon: %s",
		    error->message);

		_swb_client_disconnect(self, reason);
		return;
	}
	write_next(self);
}

static void
write_next(SwbClient *self)
{
	Write *w;

	if (self->writing || self->conn == NULL || g_queue_is_empty(&self->out))
		return;
	w = g_new(Write, 1);
	w->self = self;
	w->line = g_queue_pop_head(&self->out);
	self->writing = TRUE;
	g_output_stream_write_all_async(g_io_stream_get_output_stream(self->conn),
	    w->line, strlen(w->line), G_PRIORITY_DEFAULT, self->cancellable, on_written, w);
}

static void
dispatch_notification(SwbClient *self, struct sb_rpc_response *resp)
{
	json_object *type = NULL;
	const char *name;

	if (g_strcmp0(resp->method, SB_CONTROL_NOTIFY_EVENT) != 0 || resp->params == NULL ||
	    !json_object_object_get_ex(resp->params, SB_FIELD_TYPE, &type) ||
	    !json_object_is_type(type, json_type_string))
		return;
	name = json_object_get_string(type);
	g_signal_emit(self, signals[SIGNAL_EVENT], g_quark_from_string(name), name, resp->params);
	if (g_str_equal(name, sb_control_event_name(SB_EVENT_SUBSCRIPTION_DROPPED)) &&
	    self->state == STATE_CONNECTED)
		subscribe(self);
}

static void
dispatch_response(SwbClient *self, struct sb_rpc_response *resp, gboolean is_error)
{
	g_autoptr(GTask) task = NULL;
	gint64 id;
	Call *call;

	if (resp->id == NULL || !json_object_is_type(resp->id, json_type_int))
		return;
	id = json_object_get_int64(resp->id);
	if (!g_hash_table_steal_extended(self->calls, &id, NULL, (gpointer *)&task))
		return;
	call = g_task_get_task_data(task);
	if (is_error) {
		call->error_data = json_object_get(resp->data);
		g_task_return_new_error(task, SWB_CLIENT_ERROR, resp->code, "%s",
		    resp->message != NULL ? resp->message : sb_control_error_message(resp->code));
		return;
	}
	g_task_return_pointer(task, json_object_get(resp->result), json_unref);
}

/* FALSE when the connection ended while handling it. */
static gboolean
dispatch_line(SwbClient *self, const char *line, size_t len)
{
	struct sb_rpc_response resp;
	enum sb_rpc_response_kind kind = sb_rpc_parse_response(line, len, &resp);
	GCancellable *current = self->cancellable;

	switch (kind) {
	case SB_RPC_RESPONSE_RESULT:
		dispatch_response(self, &resp, FALSE);
		break;
	case SB_RPC_RESPONSE_ERROR:
		dispatch_response(self, &resp, TRUE);
		break;
	case SB_RPC_RESPONSE_NOTIFICATION:
		dispatch_notification(self, &resp);
		break;
	case SB_RPC_RESPONSE_INVALID:
		g_debug("%s: ignoring a message that is not JSON-RPC 2.0", self->socket_path);
		break;
	}
	sb_rpc_response_clear(&resp);
	return self->cancellable == current && current != NULL;
}

static void read_next(SwbClient *self);

static void
on_read(GObject *source, GAsyncResult *result, gpointer data)
{
	g_autoptr(GError) error = NULL;
	gssize n = g_input_stream_read_finish(G_INPUT_STREAM(source), result, &error);
	SwbClient *self;
	const char *line;
	size_t len;
	enum sb_line_result r;

	if (n < 0 && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return; /* a connection that has ended; self may be gone */
	self = data;
	if (n <= 0 && self->ssh != NULL) {
		_swb_client_ssh_out_ended(self);
		return;
	}
	if (n <= 0) {
		g_autofree char *reason = n == 0 ?
		    g_strdup("the daemon closed the connection") :
		    g_strdup_printf("reading from the daemon: %s", error->message);

		_swb_client_disconnect(self, reason);
		return;
	}
	g_object_ref(self);
	sb_line_reader_feed(&self->reader, self->read_buf, (size_t)n);
	while ((r = sb_line_reader_next(&self->reader, &line, &len)) != SB_LINE_NEED_MORE) {
		if (r == SB_LINE_TOO_LONG) {
			/* an answer may be lost with it: start over rather than wait forever */
			_swb_client_disconnect(self, "a message from the daemon was too long");
			break;
		}
		if (!dispatch_line(self, line, len))
			break;
	}
	if (self->conn != NULL && g_io_stream_get_input_stream(self->conn) ==
	    G_INPUT_STREAM(source))
		read_next(self);
	g_object_unref(self);
}

static void
read_next(SwbClient *self)
{
	g_input_stream_read_async(g_io_stream_get_input_stream(self->conn),
	    self->read_buf, READ_CHUNK, G_PRIORITY_DEFAULT, self->cancellable, on_read, self);
}

static void
send_call(SwbClient *self, GTask *task, const char *method, json_object *params)
{
	Call *call = g_new0(Call, 1);

	call->id = ++self->next_id;
	g_task_set_task_data(task, call, call_free);
	g_hash_table_insert(self->calls, &call->id, task);
	g_queue_push_tail(&self->out, sb_rpc_request_line(call->id, method, params));
	write_next(self);
}

static void
on_subscribed(GObject *source, GAsyncResult *result, gpointer data)
{
	g_autoptr(GError) error = NULL;
	json_object *answer = g_task_propagate_pointer(G_TASK(result), &error);
	SwbClient *self = SWB_CLIENT(source);

	json_object_put(answer);
	if (error != NULL && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CLOSED))
		return; /* _swb_client_disconnect() already said why */
	g_clear_handle_id(&self->subscribe_timeout, g_source_remove);
	if (error != NULL) {
		g_autofree char *reason = g_strdup_printf("events.subscribe: %s", error->message);

		_swb_client_disconnect(self, reason);
		return;
	}
	self->backoff_ms = BACKOFF_FIRST_MS;
	set_error(self, NULL);
	set_state(self, STATE_CONNECTED);
	g_signal_emit(self, signals[SIGNAL_READY], 0);
}

static gboolean
on_subscribe_timeout(gpointer data)
{
	SwbClient *self = data;

	self->subscribe_timeout = 0;
	_swb_client_disconnect(self, "the daemon did not answer");
	return G_SOURCE_REMOVE;
}

/* Not through swb_client_call_async(): this one is allowed before "connected". */
static void
subscribe(SwbClient *self)
{
	GTask *task = g_task_new(self, NULL, on_subscribed, NULL);
	json_object *params = json_object_new_object();

	g_task_set_source_tag(task, subscribe);
	g_clear_handle_id(&self->subscribe_timeout, g_source_remove);
	self->subscribe_timeout = g_timeout_add_seconds(self->ssh != NULL ?
	    SSH_SUBSCRIBE_TIMEOUT_S : SUBSCRIBE_TIMEOUT_S, on_subscribe_timeout, self);
	/* the kept refusals and closes first, as events with "history": true */
	json_object_object_add(params, SB_FIELD_HISTORY, json_object_new_boolean(TRUE));
	send_call(self, task, sb_control_method_name(SB_METHOD_EVENTS_SUBSCRIBE), params);
	json_object_put(params);
}

void
_swb_client_begin(SwbClient *self)
{
	read_next(self);
	subscribe(self);
}

static void
on_connected(GObject *source, GAsyncResult *result, gpointer data)
{
	g_autoptr(GError) error = NULL;
	GSocketConnection *conn = g_socket_client_connect_finish(G_SOCKET_CLIENT(source), result,
	    &error);
	SwbClient *self;

	if (conn == NULL && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return; /* stopped or finalized meanwhile; self may be gone */
	self = data;
	if (conn == NULL) {
		_swb_client_disconnect(self, error->message);
		return;
	}
	self->conn = G_IO_STREAM(conn);
	_swb_client_begin(self);
}

static void
connect_now(SwbClient *self)
{
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GSocketAddress) address = g_unix_socket_address_new(self->socket_path);

	if (self->state != STATE_IDLE)
		return;
	g_clear_handle_id(&self->retry_source, g_source_remove);
	set_retry_at(self, 0);
	self->cancellable = g_cancellable_new();
	set_state(self, STATE_CONNECTING);
	if (sb_ssh_is_url(self->socket_path)) {
		_swb_client_ssh_connect(self);
		return;
	}
	g_socket_client_connect_async(client, G_SOCKET_CONNECTABLE(address), self->cancellable,
	    on_connected, self);
}

void
swb_client_start(SwbClient *self)
{
	g_return_if_fail(SWB_IS_CLIENT(self));
	self->stopped = FALSE;
	self->backoff_ms = BACKOFF_FIRST_MS;
	connect_now(self);
}

void
swb_client_stop(SwbClient *self)
{
	g_return_if_fail(SWB_IS_CLIENT(self));
	self->stopped = TRUE;
	g_clear_handle_id(&self->retry_source, g_source_remove);
	set_retry_at(self, 0);
	if (self->state != STATE_IDLE)
		_swb_client_disconnect(self, "disconnected");
}

void
swb_client_call_async(SwbClient *self, const char *method, json_object *params,
    GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
	GTask *task;

	g_return_if_fail(SWB_IS_CLIENT(self));
	task = g_task_new(self, cancellable, callback, user_data);
	g_task_set_source_tag(task, swb_client_call_async);
	g_task_set_name(task, method);
	if (self->state != STATE_CONNECTED) {
		g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
		    "not connected to the daemon");
		g_object_unref(task);
		return;
	}
	send_call(self, task, method, params);
}

json_object *
swb_client_call_finish(SwbClient *self, GAsyncResult *result, json_object **error_data,
    GError **error)
{
	Call *call;

	g_return_val_if_fail(g_task_is_valid(result, self), NULL);
	call = g_task_get_task_data(G_TASK(result));
	if (error_data != NULL)
		*error_data = call != NULL ? json_object_get(call->error_data) : NULL;
	return g_task_propagate_pointer(G_TASK(result), error);
}

const char *
swb_client_get_socket_path(SwbClient *self)
{
	return self->socket_path;
}

gboolean
swb_client_get_connected(SwbClient *self)
{
	return self->state == STATE_CONNECTED;
}

const char *
swb_client_get_error(SwbClient *self)
{
	return self->error;
}

gint64
swb_client_get_retry_at(SwbClient *self)
{
	return self->retry_at;
}

SwbClient *
swb_client_new(const char *socket_path)
{
	return g_object_new(SWB_TYPE_CLIENT, "socket-path", socket_path, NULL);
}

static void
swb_client_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
	SwbClient *self = SWB_CLIENT(object);

	switch (prop_id) {
	case PROP_SOCKET_PATH:
		g_value_set_string(value, self->socket_path);
		break;
	case PROP_CONNECTED:
		g_value_set_boolean(value, self->state == STATE_CONNECTED);
		break;
	case PROP_ERROR:
		g_value_set_string(value, self->error);
		break;
	case PROP_RETRY_AT:
		g_value_set_int64(value, self->retry_at);
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
	}
}

static void
swb_client_set_property(GObject *object, guint prop_id, const GValue *value,
    GParamSpec *pspec)
{
	SwbClient *self = SWB_CLIENT(object);

	switch (prop_id) {
	case PROP_SOCKET_PATH:
		g_free(self->socket_path);
		self->socket_path = g_value_dup_string(value);
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
	}
}

static void
swb_client_dispose(GObject *object)
{
	SwbClient *self = SWB_CLIENT(object);

	/* pending calls hold a reference to us through their GTask: end them first */
	if (!self->stopped)
		swb_client_stop(self);
	G_OBJECT_CLASS(swb_client_parent_class)->dispose(object);
}

static void
swb_client_finalize(GObject *object)
{
	SwbClient *self = SWB_CLIENT(object);

	g_clear_handle_id(&self->retry_source, g_source_remove);
	g_clear_handle_id(&self->subscribe_timeout, g_source_remove);
	g_clear_pointer(&self->calls, g_hash_table_unref);
	g_queue_clear_full(&self->out, free);
	sb_line_reader_clear(&self->reader);
	g_clear_pointer(&self->read_buf, g_free);
	g_clear_pointer(&self->ssh_err_buf, g_free);
	g_string_free(self->ssh_stderr, TRUE);
	g_clear_handle_id(&self->ssh_grace, g_source_remove);
	g_clear_pointer(&self->socket_path, g_free);
	g_clear_pointer(&self->error, g_free);
	G_OBJECT_CLASS(swb_client_parent_class)->finalize(object);
}

static void
swb_client_class_init(SwbClientClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->get_property = swb_client_get_property;
	object_class->set_property = swb_client_set_property;
	object_class->dispose = swb_client_dispose;
	object_class->finalize = swb_client_finalize;

	props[PROP_SOCKET_PATH] = g_param_spec_string("socket-path", NULL, NULL, NULL,
	    G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
	props[PROP_CONNECTED] = g_param_spec_boolean("connected", NULL, NULL, FALSE,
	    G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
	props[PROP_ERROR] = g_param_spec_string("error", NULL, NULL, NULL,
	    G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
	props[PROP_RETRY_AT] = g_param_spec_int64("retry-at", NULL, NULL, 0, G_MAXINT64, 0,
	    G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
	g_object_class_install_properties(object_class, N_PROPS, props);

	signals[SIGNAL_EVENT] = g_signal_new("event", G_TYPE_FROM_CLASS(klass),
	    G_SIGNAL_RUN_LAST | G_SIGNAL_DETAILED, 0, NULL, NULL, NULL, G_TYPE_NONE, 2,
	    G_TYPE_STRING, SWB_TYPE_JSON);
	signals[SIGNAL_READY] = g_signal_new("ready", G_TYPE_FROM_CLASS(klass),
	    G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
swb_client_init(SwbClient *self)
{
	self->backoff_ms = BACKOFF_FIRST_MS;
	self->stopped = TRUE;
	self->read_buf = g_malloc(READ_CHUNK);
	self->ssh_stderr = g_string_new(NULL);
	sb_line_reader_init(&self->reader, MESSAGE_MAX);
	g_queue_init(&self->out);
	self->calls = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, g_object_unref);
}
