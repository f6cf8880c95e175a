/*
 * swb-connection-detail.c - one live connection in detail (connections.get),
 * refreshed once a second while the window is open
 */
#include "swb-connection-detail.h"

#include "sb-control.h"
#include "swb-format.h"

#define REFRESH_MS 1000
#define NONE "—"

static const char *const titles[SWB_DETAIL_COUNT] = {
	[SWB_DETAIL_ROUTE] = "Route",
	[SWB_DETAIL_IDENTITY] = "Identity",
	[SWB_DETAIL_CLIENT] = "Client",
	[SWB_DETAIL_BACKEND] = "Backend",
	[SWB_DETAIL_LISTENER] = "Listener",
	[SWB_DETAIL_STATE] = "State",
	[SWB_DETAIL_AGE] = "Age",
	[SWB_DETAIL_IDLE] = "Idle",
	[SWB_DETAIL_BYTES] = "Bytes",
	[SWB_DETAIL_TLS] = "TLS",
	[SWB_DETAIL_SNI] = "SNI",
	[SWB_DETAIL_ALPN] = "ALPN",
	[SWB_DETAIL_SUBPROTOCOL] = "Subprotocol",
	[SWB_DETAIL_MESSAGES] = "WebSocket Messages",
	[SWB_DETAIL_PINGS] = "WebSocket Pings",
};

const char *
swb_connection_detail_title(SwbDetailRow row)
{
	return (guint)row < SWB_DETAIL_COUNT ? titles[row] : NULL;
}

static const char *
str_of(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static gboolean
int_of(json_object *o, const char *key, gint64 *out)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return FALSE;
	*out = json_object_get_int64(v);
	return TRUE;
}

static json_object *
obj_of(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_object))
		return NULL;
	return v;
}

static char *
text_or_none(const char *s)
{
	return g_strdup(s != NULL && s[0] != '\0' ? s : NONE);
}

static char *
duration_of(json_object *d, const char *key)
{
	gint64 s;

	return int_of(d, key, &s) ? swb_format_duration(s) : g_strdup(NONE);
}

static char *
pair_of(json_object *o, const char *up_key, const char *down_key)
{
	gint64 up = 0, down = 0;

	if (o == NULL)
		return g_strdup(NONE);
	int_of(o, up_key, &up);
	int_of(o, down_key, &down);
	return g_strdup_printf("%" G_GINT64_FORMAT " up, %" G_GINT64_FORMAT " down", up, down);
}

char *
swb_connection_detail_text(json_object *d, SwbDetailRow row)
{
	json_object *tls = obj_of(d, SB_FIELD_TLS), *ws = obj_of(d, SB_FIELD_WEBSOCKET);
	gint64 a = 0, b = 0, rtt;

	switch (row) {
	case SWB_DETAIL_ROUTE:
		return g_strdup_printf("%s (%s)", str_of(d, SB_FIELD_ROUTE) ?
		    str_of(d, SB_FIELD_ROUTE) : NONE, str_of(d, SB_FIELD_MODE) ?
		    str_of(d, SB_FIELD_MODE) : NONE);
	case SWB_DETAIL_IDENTITY:
		return text_or_none(str_of(d, SB_FIELD_IDENTITY));
	case SWB_DETAIL_CLIENT:
		return text_or_none(str_of(d, SB_FIELD_CLIENT));
	case SWB_DETAIL_BACKEND:
		return text_or_none(str_of(d, SB_FIELD_BACKEND));
	case SWB_DETAIL_LISTENER:
		return text_or_none(str_of(d, SB_FIELD_LISTENER));
	case SWB_DETAIL_STATE:
		return text_or_none(str_of(d, SB_FIELD_STATE));
	case SWB_DETAIL_AGE:
		return duration_of(d, SB_FIELD_AGE_S);
	case SWB_DETAIL_IDLE:
		return duration_of(d, SB_FIELD_IDLE_S);
	case SWB_DETAIL_BYTES: {
		g_autofree char *up = NULL, *down = NULL;

		int_of(d, SB_FIELD_BYTES_UP, &a);
		int_of(d, SB_FIELD_BYTES_DOWN, &b);
		up = swb_format_bytes((guint64)MAX(a, 0));
		down = swb_format_bytes((guint64)MAX(b, 0));
		return g_strdup_printf("%s up, %s down", up, down);
	}
	case SWB_DETAIL_TLS:
		if (tls == NULL)
			return g_strdup("None (plain)");
		return g_strdup_printf("%s, %s", str_of(tls, SB_FIELD_VERSION) ?
		    str_of(tls, SB_FIELD_VERSION) : "?", str_of(tls, SB_FIELD_CIPHER) ?
		    str_of(tls, SB_FIELD_CIPHER) : "?");
	case SWB_DETAIL_SNI:
		return text_or_none(str_of(tls, SB_FIELD_SNI));
	case SWB_DETAIL_ALPN:
		return text_or_none(str_of(tls, SB_FIELD_ALPN));
	case SWB_DETAIL_SUBPROTOCOL:
		return text_or_none(str_of(d, SB_FIELD_SUBPROTOCOL));
	case SWB_DETAIL_MESSAGES:
		return pair_of(ws, SB_FIELD_MESSAGES_UP, SB_FIELD_MESSAGES_DOWN);
	case SWB_DETAIL_PINGS:
		if (ws == NULL)
			return g_strdup(NONE);
		int_of(ws, SB_FIELD_PINGS_UP, &a);
		int_of(ws, SB_FIELD_PINGS_DOWN, &b);
		if (int_of(ws, SB_FIELD_PING_RTT_MS, &rtt))
			return g_strdup_printf("%" G_GINT64_FORMAT " from the client, %" G_GINT64_FORMAT
			    " to it, last round trip %" G_GINT64_FORMAT " ms", a, b, rtt);
		return g_strdup_printf("%" G_GINT64_FORMAT " from the client, %" G_GINT64_FORMAT
		    " to it", a, b);
	case SWB_DETAIL_COUNT:
		break;
	}
	return g_strdup(NONE);
}

struct _SwbConnectionDetail {
	AdwWindow parent_instance;

	SwbSession *session;
	guint64 id;
	guint refresh;
	gboolean asking;
	GCancellable *cancellable;
	AdwWindowTitle *title;
	AdwPreferencesGroup *group;
	AdwActionRow *rows[SWB_DETAIL_COUNT];
};

G_DEFINE_FINAL_TYPE(SwbConnectionDetail, swb_connection_detail, ADW_TYPE_WINDOW)

static void
show(SwbConnectionDetail *self, json_object *detail)
{
	for (guint i = 0; i < SWB_DETAIL_COUNT; i++) {
		g_autofree char *text = swb_connection_detail_text(detail, (SwbDetailRow)i);

		adw_action_row_set_subtitle(self->rows[i], text);
	}
}

static void
on_got(GObject *source, GAsyncResult *result, gpointer data)
{
	g_autoptr(GError) error = NULL;
	json_object *detail = swb_client_call_finish(SWB_CLIENT(source), result, NULL, &error);
	SwbConnectionDetail *self;

	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return; /* the window is gone */
	self = data;
	self->asking = FALSE;
	if (detail != NULL) {
		show(self, detail);
	} else if (g_error_matches(error, SWB_CLIENT_ERROR, SB_ERR_NO_SUCH_CONNECTION)) {
		adw_window_title_set_subtitle(self->title, "Closed");
		adw_action_row_set_subtitle(self->rows[SWB_DETAIL_STATE], "closed");
		g_clear_handle_id(&self->refresh, g_source_remove);
	} else if (error != NULL) {
		adw_window_title_set_subtitle(self->title, error->message);
	}
	json_object_put(detail);
}

static gboolean
on_refresh(gpointer data)
{
	SwbConnectionDetail *self = data;
	SwbClient *client = swb_session_get_client(self->session);
	json_object *params;

	if (self->asking || !swb_client_get_connected(client))
		return G_SOURCE_CONTINUE;
	params = json_object_new_object();
	json_object_object_add(params, SB_FIELD_ID, json_object_new_int64((gint64)self->id));
	self->asking = TRUE;
	swb_client_call_async(client, sb_control_method_name(SB_METHOD_CONNECTIONS_GET), params,
	    self->cancellable, on_got, self);
	json_object_put(params);
	return G_SOURCE_CONTINUE;
}

const char *
swb_connection_detail_get_text(SwbConnectionDetail *self, SwbDetailRow row)
{
	g_return_val_if_fail(SWB_IS_CONNECTION_DETAIL(self) && (guint)row < SWB_DETAIL_COUNT,
	    NULL);
	return adw_action_row_get_subtitle(self->rows[row]);
}

SwbConnectionDetail *
swb_connection_detail_new(SwbSession *session, guint64 id)
{
	SwbConnectionDetail *self = g_object_new(SWB_TYPE_CONNECTION_DETAIL, NULL);
	g_autofree char *title = g_strdup_printf("Connection %" G_GUINT64_FORMAT, id);

	self->session = g_object_ref(session);
	self->id = id;
	adw_window_title_set_title(self->title, title);
	adw_window_title_set_subtitle(self->title, swb_session_get_socket_path(session));
	on_refresh(self);
	self->refresh = g_timeout_add(REFRESH_MS, on_refresh, self);
	return self;
}

static void
swb_connection_detail_dispose(GObject *object)
{
	SwbConnectionDetail *self = SWB_CONNECTION_DETAIL(object);

	g_cancellable_cancel(self->cancellable);
	g_clear_handle_id(&self->refresh, g_source_remove);
	g_clear_object(&self->session);
	gtk_widget_dispose_template(GTK_WIDGET(self), SWB_TYPE_CONNECTION_DETAIL);
	G_OBJECT_CLASS(swb_connection_detail_parent_class)->dispose(object);
}

static void
swb_connection_detail_finalize(GObject *object)
{
	g_clear_object(&SWB_CONNECTION_DETAIL(object)->cancellable);
	G_OBJECT_CLASS(swb_connection_detail_parent_class)->finalize(object);
}

static void
swb_connection_detail_class_init(SwbConnectionDetailClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

	object_class->dispose = swb_connection_detail_dispose;
	object_class->finalize = swb_connection_detail_finalize;
	gtk_widget_class_set_template_from_resource(widget_class,
	    "/org/switchboard/Switchboard/swb-connection-detail.ui");
	gtk_widget_class_bind_template_child(widget_class, SwbConnectionDetail, title);
	gtk_widget_class_bind_template_child(widget_class, SwbConnectionDetail, group);
}

static void
swb_connection_detail_init(SwbConnectionDetail *self)
{
	gtk_widget_init_template(GTK_WIDGET(self));
	self->cancellable = g_cancellable_new();
	for (guint i = 0; i < SWB_DETAIL_COUNT; i++) {
		g_autofree char *name = g_ascii_strdown(titles[i], -1);

		self->rows[i] = ADW_ACTION_ROW(adw_action_row_new());
		g_strdelimit(name, " ", '-');
		gtk_widget_set_name(GTK_WIDGET(self->rows[i]), name);
		adw_preferences_row_set_title(ADW_PREFERENCES_ROW(self->rows[i]), titles[i]);
		adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(self->rows[i]), FALSE);
		adw_action_row_set_subtitle(self->rows[i], NONE);
		adw_preferences_group_add(self->group, GTK_WIDGET(self->rows[i]));
	}
}
