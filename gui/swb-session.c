/*
 * swb-session.c - one daemon the app watches: its client and the models its
 * events feed (connections, refused upgrades, backends, throughput, status)
 */
#include "swb-session.h"

#include "sb-control.h"

#define TICK_MS 1000
#define STATUS_EVERY_TICKS 2

struct _SwbSession {
	GObject parent_instance;

	SwbClient *client;
	SwbConnectionModel *connections;
	SwbRejectionModel *rejections;
	SwbClosedModel *closed;
	SwbBackendModel *backends;
	SwbThroughput *throughput;
	json_object *status;
	gint64 revision;
	guint tick_source;
	guint ticks;
	GCancellable *cancellable; /* our calls; cancelled at dispose */
};

G_DEFINE_FINAL_TYPE(SwbSession, swb_session, G_TYPE_OBJECT)

enum {
	PROP_0,
	PROP_CLIENT,
	PROP_STATUS,
	PROP_REVISION,
	N_PROPS
};

enum {
	SIGNAL_POLICY_APPLIED,
	N_SIGNALS
};

static GParamSpec *props[N_PROPS];
static guint signals[N_SIGNALS];

static void
set_revision(SwbSession *self, gint64 revision)
{
	if (self->revision == revision)
		return;
	self->revision = revision;
	g_object_notify_by_pspec(G_OBJECT(self), props[PROP_REVISION]);
}

static void
on_status(GObject *source, GAsyncResult *result, gpointer data)
{
	g_autoptr(GError) error = NULL;
	json_object *status = swb_client_call_finish(SWB_CLIENT(source), result, NULL, &error);
	SwbSession *self;
	json_object *v;

	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return;
	self = data;
	if (status == NULL || !json_object_is_type(status, json_type_object)) {
		if (error != NULL && !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CLOSED))
			g_debug("status: %s", error->message);
		json_object_put(status);
		return;
	}
	json_object_put(self->status);
	self->status = status;
	if (json_object_object_get_ex(status, SB_FIELD_REVISION, &v) &&
	    json_object_is_type(v, json_type_int))
		set_revision(self, json_object_get_int64(v));
	g_object_notify_by_pspec(G_OBJECT(self), props[PROP_STATUS]);
}

static void
on_listed(GObject *source, GAsyncResult *result, gpointer data)
{
	g_autoptr(GError) error = NULL;
	json_object *list = swb_client_call_finish(SWB_CLIENT(source), result, NULL, &error);
	SwbSession *self;

	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return;
	self = data;
	if (list != NULL && json_object_is_type(list, json_type_array))
		swb_connection_model_reset(self->connections, list, g_get_monotonic_time());
	else if (error != NULL)
		g_debug("connections.list: %s", error->message);
	json_object_put(list);
}

static void
on_backends_listed(GObject *source, GAsyncResult *result, gpointer data)
{
	g_autoptr(GError) error = NULL;
	json_object *list = swb_client_call_finish(SWB_CLIENT(source), result, NULL, &error);
	SwbSession *self;

	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return;
	self = data;
	/* a daemon before pools has no such method: no servers to show */
	if (list != NULL && json_object_is_type(list, json_type_array))
		swb_backend_model_reset(self->backends, list);
	else if (error != NULL)
		g_debug("backends.list: %s", error->message);
	json_object_put(list);
}

void
swb_session_refresh_backends(SwbSession *self)
{
	g_return_if_fail(SWB_IS_SESSION(self));
	if (!swb_client_get_connected(self->client))
		return;
	swb_client_call_async(self->client, sb_control_method_name(SB_METHOD_BACKENDS_LIST),
	    NULL, self->cancellable, on_backends_listed, self);
}

void
swb_session_refresh(SwbSession *self, gboolean rows)
{
	g_return_if_fail(SWB_IS_SESSION(self));
	if (!swb_client_get_connected(self->client))
		return;
	if (rows)
		swb_client_call_async(self->client,
		    sb_control_method_name(SB_METHOD_CONNECTIONS_LIST), NULL, self->cancellable,
		    on_listed, self);
	swb_client_call_async(self->client, sb_control_method_name(SB_METHOD_STATUS), NULL,
	    self->cancellable, on_status, self);
}

static void
on_ready(SwbClient *client, SwbSession *self)
{
	/* the daemon's kept refusals and closes come again, first: they replace ours */
	swb_rejection_model_clear(self->rejections);
	swb_closed_model_clear(self->closed);
	/* events flow from here on; the list is the state they apply to */
	swb_session_refresh(self, TRUE);
	swb_session_refresh_backends(self);
}

static void
on_event(SwbClient *client, const char *type, json_object *params, SwbSession *self)
{
	enum sb_control_event event;
	json_object *v;
	gint64 now = g_get_monotonic_time();

	if (!sb_control_event_lookup(type, &event))
		return;
	switch (event) {
	case SB_EVENT_CONNECTION_OPENED:
	case SB_EVENT_CONNECTION_UPDATED:
	case SB_EVENT_CONNECTION_CLOSED:
		swb_connection_model_handle_event(self->connections, type, params, now);
		if (event == SB_EVENT_CONNECTION_CLOSED)
			swb_closed_model_handle_event(self->closed, type, params, now);
		break;
	case SB_EVENT_UPGRADE_REJECTED:
		swb_rejection_model_handle_event(self->rejections, type, params);
		break;
	case SB_EVENT_POLICY_APPLIED:
		if (json_object_object_get_ex(params, SB_FIELD_REVISION, &v) &&
		    json_object_is_type(v, json_type_int)) {
			set_revision(self, json_object_get_int64(v));
			g_signal_emit(self, signals[SIGNAL_POLICY_APPLIED], 0, self->revision);
		}
		break;
	case SB_EVENT_BACKEND_STATE:
		swb_backend_model_handle_event(self->backends, type, params);
		break;
	case SB_EVENT_SUBSCRIPTION_DROPPED:
	case SB_EVENT_COUNT:
		/* the client subscribes again and says "ready" */
		break;
	}
}

static void
on_ticked(SwbConnectionModel *model, double up, double down, SwbSession *self)
{
	swb_throughput_push(self->throughput, up, down);
}

static gboolean
on_tick(gpointer data)
{
	SwbSession *self = data;

	if (!swb_client_get_connected(self->client))
		return G_SOURCE_CONTINUE;
	swb_connection_model_tick(self->connections, g_get_monotonic_time(), g_get_real_time());
	if (++self->ticks % STATUS_EVERY_TICKS == 0)
		swb_session_refresh(self, FALSE);
	return G_SOURCE_CONTINUE;
}

void
swb_session_start(SwbSession *self)
{
	g_return_if_fail(SWB_IS_SESSION(self));
	if (self->tick_source == 0)
		self->tick_source = g_timeout_add(TICK_MS, on_tick, self);
	swb_client_start(self->client);
}

const char *
swb_session_get_socket_path(SwbSession *self)
{
	return swb_client_get_socket_path(self->client);
}

SwbClient *
swb_session_get_client(SwbSession *self)
{
	return self->client;
}

SwbConnectionModel *
swb_session_get_connections(SwbSession *self)
{
	return self->connections;
}

SwbRejectionModel *
swb_session_get_rejections(SwbSession *self)
{
	return self->rejections;
}

SwbClosedModel *
swb_session_get_closed(SwbSession *self)
{
	return self->closed;
}

SwbBackendModel *
swb_session_get_backends(SwbSession *self)
{
	return self->backends;
}

SwbThroughput *
swb_session_get_throughput(SwbSession *self)
{
	return self->throughput;
}

char *
swb_session_dup_state_text(SwbSession *self)
{
	const char *error = swb_client_get_error(self->client);
	guint n = g_list_model_get_n_items(G_LIST_MODEL(self->connections));

	if (swb_client_get_connected(self->client))
		return g_strdup_printf(g_dngettext(NULL, "connected · %u connection",
		    "connected · %u connections", n), n);
	return error != NULL ? g_strdup_printf("not connected: %s", error) :
	    g_strdup("not connected");
}

json_object *
swb_session_get_status(SwbSession *self)
{
	return self->status;
}

gint64
swb_session_get_revision(SwbSession *self)
{
	return self->revision;
}

SwbSession *
swb_session_new(const char *socket_path)
{
	SwbSession *self = g_object_new(SWB_TYPE_SESSION, NULL);

	self->client = swb_client_new(socket_path);
	g_signal_connect_object(self->client, "ready", G_CALLBACK(on_ready), self, 0);
	g_signal_connect_object(self->client, "event", G_CALLBACK(on_event), self, 0);
	return self;
}

static void
swb_session_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
	SwbSession *self = SWB_SESSION(object);

	switch (prop_id) {
	case PROP_CLIENT:
		g_value_set_object(value, self->client);
		break;
	case PROP_STATUS:
		g_value_set_boxed(value, self->status);
		break;
	case PROP_REVISION:
		g_value_set_int64(value, self->revision);
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
	}
}

static void
swb_session_dispose(GObject *object)
{
	SwbSession *self = SWB_SESSION(object);

	g_cancellable_cancel(self->cancellable);
	g_clear_handle_id(&self->tick_source, g_source_remove);
	if (self->client != NULL)
		swb_client_stop(self->client);
	g_clear_object(&self->client);
	G_OBJECT_CLASS(swb_session_parent_class)->dispose(object);
}

static void
swb_session_finalize(GObject *object)
{
	SwbSession *self = SWB_SESSION(object);

	g_clear_object(&self->connections);
	g_clear_object(&self->rejections);
	g_clear_object(&self->closed);
	g_clear_object(&self->backends);
	g_clear_object(&self->throughput);
	g_clear_object(&self->cancellable);
	g_clear_pointer(&self->status, json_object_put);
	G_OBJECT_CLASS(swb_session_parent_class)->finalize(object);
}

static void
swb_session_class_init(SwbSessionClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	const GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS |
	    G_PARAM_EXPLICIT_NOTIFY;

	object_class->get_property = swb_session_get_property;
	object_class->dispose = swb_session_dispose;
	object_class->finalize = swb_session_finalize;
	props[PROP_CLIENT] = g_param_spec_object("client", NULL, NULL, SWB_TYPE_CLIENT, flags);
	props[PROP_STATUS] = g_param_spec_boxed("status", NULL, NULL, SWB_TYPE_JSON, flags);
	props[PROP_REVISION] = g_param_spec_int64("revision", NULL, NULL, -1, G_MAXINT64, -1,
	    flags);
	g_object_class_install_properties(object_class, N_PROPS, props);
	signals[SIGNAL_POLICY_APPLIED] = g_signal_new("policy-applied", G_TYPE_FROM_CLASS(klass),
	    G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT64);
}

static void
swb_session_init(SwbSession *self)
{
	self->connections = swb_connection_model_new();
	self->rejections = swb_rejection_model_new(SWB_REJECTION_MODEL_DEFAULT_LIMIT);
	self->closed = swb_closed_model_new(SWB_CLOSED_MODEL_DEFAULT_LIMIT);
	self->backends = swb_backend_model_new();
	self->throughput = swb_throughput_new(SWB_THROUGHPUT_DEFAULT_CAPACITY);
	self->cancellable = g_cancellable_new();
	self->revision = -1;
	g_signal_connect_object(self->connections, "ticked", G_CALLBACK(on_ticked), self, 0);
}
