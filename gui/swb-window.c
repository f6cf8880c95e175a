/* swb-window.c - the main window: one daemon's connections, throughput, refusals, policy, status */
#include "swb-window.h"

#include "sb-control.h"
#include "sb-ssh.h"
#include "swb-backends-view.h"
#include "swb-closed-view.h"
#include "swb-connection.h"
#include "swb-connection-detail.h"
#include "swb-fleet-dialog.h"
#include "swb-format.h"
#include "swb-policy-editor.h"
#include "swb-rejection.h"
#include "swb-route-stats.h"
#include "swb-throughput-graph.h"

struct _SwbWindow {
	AdwApplicationWindow parent_instance;

	SwbSession *session;
	GListModel *sessions; /* every daemon the app keeps */
	SwbSettings *settings;
	guint retry_tick;
	GPtrArray *listener_rows; /* rows of listeners_group */
	GHashTable *counter_rows; /* counter field -> AdwActionRow (borrowed) */
	char *search; /* casefolded */

	AdwToastOverlay *toasts;
	GtkMenuButton *daemon_button;
	GtkListBox *socket_list;
	GtkEntry *socket_entry;
	GtkPopover *daemon_popover;
	AdwViewSwitcherTitle *switcher_title;
	GtkStack *main_stack;
	AdwStatusPage *offline_page;
	GtkLabel *retry_label;
	AdwViewStack *view_stack;
	GtkSearchEntry *search_entry;
	GtkLabel *count_label;
	GtkColumnView *connection_view;
	GtkSingleSelection *connection_selection;
	GtkSortListModel *connection_sort;
	GtkFilterListModel *connection_filter;
	GtkCustomFilter *connection_search;
	GtkLabel *rate_up_label;
	GtkLabel *rate_down_label;
	SwbThroughputGraph *graph;
	GtkColumnView *route_view;
	GtkSortListModel *route_sort;
	GtkNoSelection *rejection_selection;
	SwbClosedView *closed_view;
	SwbBackendsView *backends_view;
	SwbPolicyEditor *policy_editor;
	AdwActionRow *version_row;
	AdwActionRow *uptime_row;
	AdwActionRow *revision_row;
	AdwActionRow *socket_row;
	AdwPreferencesGroup *counters_group;
	AdwPreferencesGroup *listeners_group;
};

G_DEFINE_FINAL_TYPE(SwbWindow, swb_window, ADW_TYPE_APPLICATION_WINDOW)

/* The status counters, in the order shown. */
static const struct {
	const char *field;
	const char *title;
	gboolean bytes;
} counters[] = {
	{ SB_FIELD_ACTIVE, "Active tunnels", FALSE },
	{ SB_FIELD_ACCEPTED, "Accepted connections", FALSE },
	{ SB_FIELD_UPGRADED, "Upgraded", FALSE },
	{ SB_FIELD_REJECTED, "Refused", FALSE },
	{ SB_FIELD_BYTES_UP, "Bytes up", TRUE },
	{ SB_FIELD_BYTES_DOWN, "Bytes down", TRUE },
};

void
swb_window_toast(SwbWindow *self, const char *text)
{
	adw_toast_overlay_add_toast(self->toasts, adw_toast_new(text));
}

static SwbClient *
client_of(SwbWindow *self)
{
	return self->session != NULL ? swb_session_get_client(self->session) : NULL;
}

static gboolean
is_connected(SwbWindow *self)
{
	return client_of(self) != NULL && swb_client_get_connected(client_of(self));
}

static void
update_actions(SwbWindow *self)
{
	gboolean selected = gtk_single_selection_get_selected_item(self->connection_selection) !=
	    NULL;

	gtk_widget_action_set_enabled(GTK_WIDGET(self), "win.close-connection",
	    selected && is_connected(self));
	gtk_widget_action_set_enabled(GTK_WIDGET(self), "win.show-connection",
	    selected && is_connected(self));
}

static void
update_count(SwbWindow *self)
{
	guint shown = g_list_model_get_n_items(G_LIST_MODEL(self->connection_filter));
	GListModel *all = gtk_filter_list_model_get_model(self->connection_filter);
	guint total = all != NULL ? g_list_model_get_n_items(all) : 0;
	g_autofree char *text = shown == total ?
	    g_strdup_printf(g_dngettext(NULL, "%u connection", "%u connections", total), total) :
	    g_strdup_printf("%u of %u", shown, total);

	gtk_label_set_label(self->count_label, text);
}

static gboolean
on_retry_tick(gpointer data)
{
	SwbWindow *self = data;
	SwbClient *client = client_of(self);
	gint64 at = client != NULL ? swb_client_get_retry_at(client) : 0;
	g_autofree char *text = NULL;

	if (at > 0) {
		gint64 left = (at - g_get_monotonic_time() + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC;

		text = g_strdup_printf("Trying again in %" G_GINT64_FORMAT " s", MAX(left, 0));
	} else {
		text = g_strdup(client != NULL ? "Connecting…" : "");
	}
	gtk_label_set_label(self->retry_label, text);
	return G_SOURCE_CONTINUE;
}

static void
update_connection_state(SwbWindow *self)
{
	SwbClient *client = client_of(self);
	gboolean connected = is_connected(self);
	const char *error = client != NULL ? swb_client_get_error(client) : NULL;
	g_autofree char *description = NULL;

	if (client != NULL)
		description = g_markup_printf_escaped(
		    sb_ssh_is_url(swb_client_get_socket_path(client)) ? "<b>%s</b>\n%s\n\n"
		    "<small>ssh runs without prompts: it needs a key (or an agent) the host "
		    "accepts, and the host's key in known_hosts.</small>" : "<b>%s</b>\n%s",
		    swb_client_get_socket_path(client), error != NULL ? error : "connecting");
	adw_status_page_set_description(self->offline_page, description);
	gtk_stack_set_visible_child_name(self->main_stack, connected ? "connected" :
	    "disconnected");
	if (!connected && self->retry_tick == 0)
		self->retry_tick = g_timeout_add(250, on_retry_tick, self);
	else if (connected)
		g_clear_handle_id(&self->retry_tick, g_source_remove);
	if (!connected)
		on_retry_tick(self);
	update_actions(self);
}

static char *
member_text(json_object *obj, const char *key)
{
	json_object *v;

	if (obj == NULL || !json_object_object_get_ex(obj, key, &v) || v == NULL)
		return g_strdup("—");
	if (json_object_is_type(v, json_type_string))
		return g_strdup(json_object_get_string(v));
	return g_strdup(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
}

static gint64
member_int(json_object *obj, const char *key)
{
	json_object *v;

	if (obj == NULL || !json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return 0;
	return json_object_get_int64(v);
}

static void
update_listeners(SwbWindow *self, json_object *listeners)
{
	size_t n = listeners != NULL && json_object_is_type(listeners, json_type_array) ?
	    json_object_array_length(listeners) : 0;

	for (guint i = 0; i < self->listener_rows->len; i++)
		adw_preferences_group_remove(self->listeners_group,
		    g_ptr_array_index(self->listener_rows, i));
	g_ptr_array_set_size(self->listener_rows, 0);
	for (size_t i = 0; i < n; i++) {
		json_object *l = json_object_array_get_idx(listeners, i);
		json_object *tls = NULL;
		g_autofree char *name = member_text(l, SB_FIELD_NAME);
		g_autofree char *bind = member_text(l, SB_FIELD_BIND);
		GtkWidget *row = adw_action_row_new();
		gboolean secure = json_object_object_get_ex(l, SB_FIELD_TLS, &tls) &&
		    json_object_get_boolean(tls);
		g_autofree char *subtitle = g_strdup_printf("%s%s", bind, secure ? " · TLS" : "");

		adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), name);
		adw_action_row_set_subtitle(ADW_ACTION_ROW(row), subtitle);
		adw_preferences_group_add(self->listeners_group, row);
		g_ptr_array_add(self->listener_rows, row);
	}
}

static void
update_status(SwbWindow *self)
{
	json_object *status = self->session != NULL ? swb_session_get_status(self->session) : NULL;
	json_object *counts = NULL;
	json_object *listeners = NULL;
	g_autofree char *version = member_text(status, SB_FIELD_VERSION);
	g_autofree char *uptime = status != NULL ?
	    swb_format_duration(member_int(status, SB_FIELD_UPTIME_S)) : g_strdup("—");
	g_autofree char *revision = member_text(status, SB_FIELD_REVISION);

	adw_action_row_set_subtitle(self->version_row, version);
	adw_action_row_set_subtitle(self->uptime_row, uptime);
	adw_action_row_set_subtitle(self->revision_row, revision);
	adw_action_row_set_subtitle(self->socket_row, self->session != NULL ?
	    swb_session_get_socket_path(self->session) : "—");
	if (status != NULL)
		json_object_object_get_ex(status, SB_FIELD_COUNTERS, &counts);
	for (size_t i = 0; i < G_N_ELEMENTS(counters); i++) {
		AdwActionRow *row = g_hash_table_lookup(self->counter_rows, counters[i].field);
		gint64 n = member_int(counts, counters[i].field);
		g_autofree char *text = counters[i].bytes ? swb_format_bytes((guint64)MAX(n, 0)) :
		    g_strdup_printf("%" G_GINT64_FORMAT, n);

		adw_action_row_set_subtitle(row, counts != NULL ? text : "—");
	}
	if (status != NULL)
		json_object_object_get_ex(status, SB_FIELD_LISTENERS, &listeners);
	update_listeners(self, listeners);
}

static void
on_ticked(SwbConnectionModel *model, double up, double down, SwbWindow *self)
{
	g_autofree char *up_text = swb_format_rate(up);
	g_autofree char *down_text = swb_format_rate(down);
	g_autofree char *up_label = g_strdup_printf("↑ %s client → backend", up_text);
	g_autofree char *down_label = g_strdup_printf("↓ %s backend → client", down_text);

	gtk_label_set_label(self->rate_up_label, up_label);
	gtk_label_set_label(self->rate_down_label, down_label);
}

static gboolean
filter_connection(gpointer item, gpointer data)
{
	SwbWindow *self = data;

	return swb_connection_matches(SWB_CONNECTION(item), self->search);
}

static void
on_search_changed(SwbWindow *self, GtkSearchEntry *entry)
{
	const char *text = gtk_editable_get_text(GTK_EDITABLE(entry));

	g_free(self->search);
	self->search = g_utf8_casefold(text, -1);
	gtk_filter_changed(GTK_FILTER(self->connection_search), GTK_FILTER_CHANGE_DIFFERENT);
}

static void
on_closed(GObject *source, GAsyncResult *result, gpointer data)
{
	g_autoptr(SwbWindow) self = data;
	g_autoptr(GError) error = NULL;
	json_object *answer = swb_client_call_finish(SWB_CLIENT(source), result, NULL, &error);

	json_object_put(answer);
	if (error != NULL) {
		g_autofree char *text = g_strdup_printf("Could not close the connection: %s",
		    error->message);

		swb_window_toast(self, text);
	}
}

static void
on_close_response(AdwMessageDialog *dialog, const char *response, gpointer data)
{
	SwbWindow *self = SWB_WINDOW(gtk_window_get_transient_for(GTK_WINDOW(dialog)));
	guint64 id = *(const guint64 *)data;
	json_object *params;

	if (!g_str_equal(response, "close") || client_of(self) == NULL)
		return;
	params = json_object_new_object();
	json_object_object_add(params, SB_FIELD_ID, json_object_new_uint64(id));
	swb_client_call_async(client_of(self),
	    sb_control_method_name(SB_METHOD_CONNECTIONS_CLOSE), params, NULL, on_closed,
	    g_object_ref(self));
	json_object_put(params);
}

static void
close_connection_activated(GtkWidget *widget, const char *action, GVariant *param)
{
	SwbWindow *self = SWB_WINDOW(widget);
	SwbConnection *conn = gtk_single_selection_get_selected_item(self->connection_selection);
	g_autofree char *heading = NULL;
	g_autofree char *body = NULL;
	guint64 *id;
	GtkWidget *dialog;

	if (conn == NULL)
		return;
	id = g_new(guint64, 1);
	*id = swb_connection_get_id(conn);
	heading = g_strdup_printf("Close connection %" G_GUINT64_FORMAT "?", *id);
	body = g_strdup_printf("%s → %s on route %s. Both ends see the tunnel end at once.",
	    swb_connection_get_client(conn), swb_connection_get_backend(conn),
	    swb_connection_get_route(conn));
	dialog = adw_message_dialog_new(GTK_WINDOW(self), heading, body);
	adw_message_dialog_add_responses(ADW_MESSAGE_DIALOG(dialog), "cancel", "_Cancel",
	    "close", "_Close Connection", NULL);
	adw_message_dialog_set_response_appearance(ADW_MESSAGE_DIALOG(dialog), "close",
	    ADW_RESPONSE_DESTRUCTIVE);
	adw_message_dialog_set_default_response(ADW_MESSAGE_DIALOG(dialog), "cancel");
	adw_message_dialog_set_close_response(ADW_MESSAGE_DIALOG(dialog), "cancel");
	g_signal_connect_data(dialog, "response", G_CALLBACK(on_close_response), id,
	    (GClosureNotify)(void (*)(void))g_free, 0);
	gtk_window_present(GTK_WINDOW(dialog));
}

/* The selected connection in its own window, refreshed while it is open. */
static void
show_connection_activated(GtkWidget *widget, const char *action, GVariant *param)
{
	SwbWindow *self = SWB_WINDOW(widget);
	SwbConnection *conn = gtk_single_selection_get_selected_item(self->connection_selection);
	SwbConnectionDetail *detail;

	if (conn == NULL || self->session == NULL)
		return;
	detail = swb_connection_detail_new(self->session, swb_connection_get_id(conn));
	gtk_window_set_transient_for(GTK_WINDOW(detail), GTK_WINDOW(self));
	gtk_window_present(GTK_WINDOW(detail));
}

/* Enter or a double click on a row: its details. */
static void
on_connection_activate(SwbWindow *self, guint position)
{
	gtk_single_selection_set_selected(self->connection_selection, position);
	gtk_widget_activate_action(GTK_WIDGET(self), "win.show-connection", NULL);
}

static void
search_activated(GtkWidget *widget, const char *action, GVariant *param)
{
	SwbWindow *self = SWB_WINDOW(widget);

	adw_view_stack_set_visible_child_name(self->view_stack, "connections");
	gtk_widget_grab_focus(GTK_WIDGET(self->search_entry));
}

static void
retry_activated(GtkWidget *widget, const char *action, GVariant *param)
{
	SwbClient *client = client_of(SWB_WINDOW(widget));

	if (client != NULL)
		swb_client_start(client);
}

/* The application opens the socket (and shows it here); the menu closes first. */
static void
open_socket_activated(GtkWidget *widget, const char *action, GVariant *param)
{
	SwbWindow *self = SWB_WINDOW(widget);

	gtk_popover_popdown(self->daemon_popover);
	gtk_widget_activate_action_variant(widget, "app.open-socket", param);
}

static void
on_socket_entry_activate(SwbWindow *self)
{
	g_autofree char *path = g_strstrip(g_strdup(gtk_editable_get_text(
	    GTK_EDITABLE(self->socket_entry))));

	if (path[0] == '\0')
		return;
	gtk_editable_set_text(GTK_EDITABLE(self->socket_entry), "");
	gtk_widget_activate_action(GTK_WIDGET(self), "win.open-socket", "s", path);
}

/* How the daemon at path is, when the app keeps it; NULL: it does not. */
static char *
socket_state(SwbWindow *self, const char *path)
{
	for (guint i = 0; self->sessions != NULL &&
	    i < g_list_model_get_n_items(self->sessions); i++) {
		g_autoptr(SwbSession) s = g_list_model_get_item(self->sessions, i);

		if (g_str_equal(swb_session_get_socket_path(s), path))
			return swb_session_dup_state_text(s);
	}
	return NULL;
}

static void
update_socket_list(SwbWindow *self)
{
	const char *const *sockets = swb_settings_get_sockets(self->settings);
	const char *current = self->session != NULL ?
	    swb_session_get_socket_path(self->session) : NULL;
	GtkWidget *child;

	while ((child = gtk_widget_get_first_child(GTK_WIDGET(self->socket_list))) != NULL)
		gtk_list_box_remove(self->socket_list, child);
	for (guint i = 0; sockets[i] != NULL; i++) {
		GtkWidget *row = adw_action_row_new();
		GtkWidget *forget = gtk_button_new_from_icon_name("edit-delete-symbolic");
		GtkWidget *check = gtk_image_new_from_icon_name("object-select-symbolic");
		g_autofree char *state = socket_state(self, sockets[i]);

		adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), sockets[i]);
		adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(row), FALSE);
		adw_action_row_set_subtitle(ADW_ACTION_ROW(row), state);
		gtk_actionable_set_action_name(GTK_ACTIONABLE(row), "win.open-socket");
		gtk_actionable_set_action_target(GTK_ACTIONABLE(row), "s", sockets[i]);
		gtk_list_box_row_set_activatable(GTK_LIST_BOX_ROW(row), TRUE);
		gtk_widget_set_opacity(check, g_strcmp0(current, sockets[i]) == 0 ? 1 : 0);
		adw_action_row_add_prefix(ADW_ACTION_ROW(row), check);
		gtk_widget_set_valign(forget, GTK_ALIGN_CENTER);
		gtk_widget_set_tooltip_text(forget, "Forget");
		gtk_widget_add_css_class(forget, "flat");
		gtk_actionable_set_action_name(GTK_ACTIONABLE(forget), "app.forget-socket");
		gtk_actionable_set_action_target(GTK_ACTIONABLE(forget), "s", sockets[i]);
		adw_action_row_add_suffix(ADW_ACTION_ROW(row), forget);
		gtk_list_box_append(self->socket_list, row);
	}
	gtk_widget_set_visible(GTK_WIDGET(self->socket_list), sockets[0] != NULL);
}

static void
disconnect_session(SwbWindow *self)
{
	if (self->session == NULL)
		return;
	g_signal_handlers_disconnect_by_data(swb_session_get_client(self->session), self);
	g_signal_handlers_disconnect_by_data(swb_session_get_connections(self->session), self);
	g_signal_handlers_disconnect_by_data(self->session, self);
	g_clear_object(&self->session);
}

static void
show_socket(SwbWindow *self, const char *path)
{
	g_autofree char *label = swb_format_socket(path);
	g_autofree char *title = g_strdup_printf("Switchboard — %s", path);

	gtk_menu_button_set_label(self->daemon_button, label);
	gtk_widget_set_tooltip_text(GTK_WIDGET(self->daemon_button), path);
	adw_view_switcher_title_set_subtitle(self->switcher_title, path);
	gtk_window_set_title(GTK_WINDOW(self), title);
}

void
swb_window_set_session(SwbWindow *self, SwbSession *session)
{
	SwbClient *client = swb_session_get_client(session);
	SwbConnectionModel *connections = swb_session_get_connections(session);

	g_return_if_fail(SWB_IS_WINDOW(self));
	if (self->session == session)
		return;
	disconnect_session(self);
	self->session = g_object_ref(session);
	g_signal_connect_object(client, "notify::connected",
	    G_CALLBACK(update_connection_state), self, G_CONNECT_SWAPPED);
	g_signal_connect_object(client, "notify::error", G_CALLBACK(update_connection_state),
	    self, G_CONNECT_SWAPPED);
	g_signal_connect_object(session, "notify::status", G_CALLBACK(update_status), self,
	    G_CONNECT_SWAPPED);
	g_signal_connect_object(connections, "ticked", G_CALLBACK(on_ticked), self, 0);
	gtk_filter_list_model_set_model(self->connection_filter, G_LIST_MODEL(connections));
	gtk_sort_list_model_set_model(self->route_sort,
	    swb_connection_model_get_routes(connections));
	gtk_no_selection_set_model(self->rejection_selection,
	    G_LIST_MODEL(swb_session_get_rejections(session)));
	swb_closed_view_set_model(self->closed_view, G_LIST_MODEL(swb_session_get_closed(session)));
	swb_backends_view_set_session(self->backends_view, session);
	swb_throughput_graph_set_throughput(self->graph, swb_session_get_throughput(session));
	swb_policy_editor_set_session(self->policy_editor, session);
	show_socket(self, swb_session_get_socket_path(session));
	on_ticked(connections, swb_connection_model_get_rate_up(connections),
	    swb_connection_model_get_rate_down(connections), self);
	update_connection_state(self);
	update_status(self);
	update_count(self);
	update_socket_list(self);
}

void
swb_window_set_sessions(SwbWindow *self, GListModel *sessions)
{
	g_return_if_fail(SWB_IS_WINDOW(self));
	g_set_object(&self->sessions, sessions);
	update_socket_list(self);
}

/* The edited policy, offered to every daemon the app keeps. */
static void
apply_to_activated(GtkWidget *widget, const char *action, GVariant *param)
{
	SwbWindow *self = SWB_WINDOW(widget);
	SwbPolicyModel *model = swb_policy_editor_get_model(self->policy_editor);

	if (self->sessions != NULL)
		gtk_window_present(GTK_WINDOW(swb_fleet_dialog_new(GTK_WINDOW(self), self->sessions,
		    swb_policy_model_get_document(model))));
}

SwbSession *
swb_window_get_session(SwbWindow *self)
{
	return self->session;
}

static void
on_child_toast(GtkWidget *child, const char *text, SwbWindow *self)
{
	swb_window_toast(self, text);
}

SwbWindow *
swb_window_new(GtkApplication *app, SwbSettings *settings)
{
	SwbWindow *self = g_object_new(SWB_TYPE_WINDOW, "application", app, NULL);
	GSettings *gsettings = swb_settings_get_gsettings(settings);

	g_settings_bind(gsettings, "window-width", self, "default-width", G_SETTINGS_BIND_DEFAULT);
	g_settings_bind(gsettings, "window-height", self, "default-height",
	    G_SETTINGS_BIND_DEFAULT);
	g_settings_bind(gsettings, "window-maximized", self, "maximized", G_SETTINGS_BIND_DEFAULT);
	g_object_bind_property(settings, "persist-policy",
	    swb_policy_editor_get_state(self->policy_editor), "persist", G_BINDING_SYNC_CREATE);
	self->settings = g_object_ref(settings);
	g_signal_connect_object(settings, "notify::sockets", G_CALLBACK(update_socket_list), self,
	    G_CONNECT_SWAPPED);
	update_socket_list(self);
	return self;
}

static void
swb_window_dispose(GObject *object)
{
	SwbWindow *self = SWB_WINDOW(object);

	g_clear_handle_id(&self->retry_tick, g_source_remove);
	disconnect_session(self);
	g_clear_object(&self->settings);
	g_clear_object(&self->sessions);
	gtk_widget_dispose_template(GTK_WIDGET(self), SWB_TYPE_WINDOW);
	G_OBJECT_CLASS(swb_window_parent_class)->dispose(object);
}

static void
swb_window_finalize(GObject *object)
{
	SwbWindow *self = SWB_WINDOW(object);

	g_clear_pointer(&self->listener_rows, g_ptr_array_unref);
	g_clear_pointer(&self->counter_rows, g_hash_table_unref);
	g_clear_pointer(&self->search, g_free);
	G_OBJECT_CLASS(swb_window_parent_class)->finalize(object);
}

static void
swb_window_class_init(SwbWindowClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

	object_class->dispose = swb_window_dispose;
	object_class->finalize = swb_window_finalize;

	g_type_ensure(SWB_TYPE_CONNECTION);
	g_type_ensure(SWB_TYPE_REJECTION);
	g_type_ensure(SWB_TYPE_ROUTE_STATS);
	g_type_ensure(SWB_TYPE_THROUGHPUT_GRAPH);
	g_type_ensure(SWB_TYPE_POLICY_EDITOR);
	g_type_ensure(SWB_TYPE_CLOSED_VIEW);
	g_type_ensure(SWB_TYPE_BACKENDS_VIEW);
	gtk_widget_class_set_template_from_resource(widget_class,
	    "/org/switchboard/Switchboard/swb-window.ui");
	gtk_widget_class_bind_template_child(widget_class, SwbWindow, toasts);
	gtk_widget_class_bind_template_child(widget_class, SwbWindow, daemon_button);
	gtk_widget_class_bind_template_child(widget_class, SwbWindow, socket_list);
	gtk_widget_class_bind_template_child(widget_class, SwbWindow, socket_entry);
	gtk_widget_class_bind_template_child(widget_class, SwbWindow, daemon_popover);
	gtk_widget_class_bind_template_child(widget_class, SwbWindow, switcher_title);
	gtk_widget_class_bind_template_child(widget_class, SwbWindow, main_stack);
	gtk_widget_class_bind_template_child(widget_class, SwbWindow, offline_page);
	gtk_widget_class_bind_template_child(widget_class, SwbWindow, retry_label);
	gtk_widget_class_bind_template_child(widget_class, SwbWindow, view_stack);
	gtk_widget_class_bind_template_child(widget_class, SwbWindow, search_entry);
	gtk_widget_class_bind_template_child(widget_class, SwbWindow, count_label);
	gtk_widget_class_bind_template_child(widget_class, SwbWindow, connection_view);
	gtk_widget_class_bind_template_child(widget_class, SwbWindow, connection_selection);
	gtk_widget_class_bind_template_child(widget_class, SwbWindow, connection_sort);
	gtk_widget_class_bind_template_child(widget_class, SwbWindow, connection_filter);
	gtk_widget_class_bind_template_child(widget_class, SwbWindow, connection_search);
	gtk_widget_class_bind_template_child(widget_class, SwbWindow, rate_up_label);
	gtk_widget_class_bind_template_child(widget_class, SwbWindow, rate_down_label);
	gtk_widget_class_bind_template_child(widget_class, SwbWindow, graph);
	gtk_widget_class_bind_template_child(widget_class, SwbWindow, route_view);
	gtk_widget_class_bind_template_child(widget_class, SwbWindow, route_sort);
	gtk_widget_class_bind_template_child(widget_class, SwbWindow, rejection_selection);
	gtk_widget_class_bind_template_child(widget_class, SwbWindow, closed_view);
	gtk_widget_class_bind_template_child(widget_class, SwbWindow, backends_view);
	gtk_widget_class_bind_template_child(widget_class, SwbWindow, policy_editor);
	gtk_widget_class_bind_template_child(widget_class, SwbWindow, version_row);
	gtk_widget_class_bind_template_child(widget_class, SwbWindow, uptime_row);
	gtk_widget_class_bind_template_child(widget_class, SwbWindow, revision_row);
	gtk_widget_class_bind_template_child(widget_class, SwbWindow, socket_row);
	gtk_widget_class_bind_template_child(widget_class, SwbWindow, counters_group);
	gtk_widget_class_bind_template_child(widget_class, SwbWindow, listeners_group);
	gtk_widget_class_bind_template_callback(widget_class, on_search_changed);
	gtk_widget_class_bind_template_callback(widget_class, on_socket_entry_activate);

	gtk_widget_class_install_action(widget_class, "win.close-connection", NULL,
	    close_connection_activated);
	gtk_widget_class_install_action(widget_class, "win.show-connection", NULL,
	    show_connection_activated);
	gtk_widget_class_install_action(widget_class, "win.retry", NULL, retry_activated);
	gtk_widget_class_install_action(widget_class, "win.search", NULL, search_activated);
	gtk_widget_class_install_action(widget_class, "win.open-socket", "s",
	    open_socket_activated);
	gtk_widget_class_install_action(widget_class, "win.apply-to", NULL, apply_to_activated);
}

static void
swb_window_init(SwbWindow *self)
{
	GtkEventController *shortcuts;

	gtk_widget_init_template(GTK_WIDGET(self));
	self->listener_rows = g_ptr_array_new();
	self->counter_rows = g_hash_table_new(g_str_hash, g_str_equal);
	self->search = g_strdup("");
	for (size_t i = 0; i < G_N_ELEMENTS(counters); i++) {
		GtkWidget *row = adw_action_row_new();

		adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), counters[i].title);
		gtk_widget_add_css_class(row, "property");
		adw_preferences_group_add(self->counters_group, row);
		g_hash_table_insert(self->counter_rows, (gpointer)counters[i].field, row);
	}
	/* Delete closes the selected connection, from the list only */
	shortcuts = gtk_shortcut_controller_new();
	gtk_shortcut_controller_add_shortcut(GTK_SHORTCUT_CONTROLLER(shortcuts),
	    gtk_shortcut_new(gtk_keyval_trigger_new(GDK_KEY_Delete, 0),
	    gtk_named_action_new("win.close-connection")));
	gtk_widget_add_controller(GTK_WIDGET(self->connection_view), shortcuts);
	gtk_custom_filter_set_filter_func(self->connection_search, filter_connection, self, NULL);
	gtk_sort_list_model_set_sorter(self->connection_sort,
	    gtk_column_view_get_sorter(self->connection_view));
	gtk_sort_list_model_set_sorter(self->route_sort,
	    gtk_column_view_get_sorter(self->route_view));
	g_signal_connect_object(self->connection_filter, "items-changed",
	    G_CALLBACK(update_count), self, G_CONNECT_SWAPPED);
	g_signal_connect_object(self->connection_selection, "notify::selected-item",
	    G_CALLBACK(update_actions), self, G_CONNECT_SWAPPED);
	g_signal_connect_object(self->policy_editor, "toast", G_CALLBACK(on_child_toast), self, 0);
	g_signal_connect_object(self->backends_view, "toast", G_CALLBACK(on_child_toast), self, 0);
	/* each daemon's state as the menu opens */
	g_signal_connect_object(self->daemon_popover, "show", G_CALLBACK(update_socket_list), self,
	    G_CONNECT_SWAPPED);
	g_signal_connect_object(self->connection_view, "activate",
	    G_CALLBACK(on_connection_activate), self, G_CONNECT_SWAPPED);
	gtk_widget_action_set_enabled(GTK_WIDGET(self), "win.close-connection", FALSE);
	gtk_widget_action_set_enabled(GTK_WIDGET(self), "win.show-connection", FALSE);
	update_count(self);
}
