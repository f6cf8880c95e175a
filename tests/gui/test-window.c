/*
 * test-window.c - the real app against a real daemon, under Xvfb: live rows,
 * closing a connection, refused upgrades, the policy editor's errors and
 * conflicts, reconnecting after a restart; saves a screenshot
 */
#include <adwaita.h>
#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/prctl.h>
#include <string.h>

#include "sb-policy.h"
#include "swb-application.h"
#include "swb-gui-test.h"
#include "swb-policy-editor.h"
#include "swb-test.h"
#include "swb-window.h"

#define WAIT_MS 5000
#define N_CLIENTS 4

static struct {
	char *dir;
	char *policy;
	char *socket;
	guint16 port;
	GSubprocess *daemon;
	SwbApplication *app;
	SwbWindow *window;
	SwbSession *session;
	GSocketConnection *clients[N_CLIENTS]; /* upgraded test clients */
} t;

static void
spin(guint ms)
{
	swb_gui_spin(ms);
}

static GtkWidget *
widget(const char *name)
{
	GtkWidget *w = swb_gui_find_named(GTK_WIDGET(t.window), name);

	g_assert_nonnull(w);
	return w;
}

static void
start_daemon(void)
{
	t.daemon = swb_gui_start_daemon(t.policy, t.dir, t.socket);
}

static void
stop_daemon(void)
{
	swb_gui_stop_daemon(&t.daemon);
}

static gboolean
is_connected(gpointer data)
{
	return swb_client_get_connected(swb_session_get_client(t.session));
}

static gboolean
is_disconnected(gpointer data)
{
	return !is_connected(data);
}

/* Sends an upgrade request for path; returns the connection and the answer's head. */
static GSocketConnection *
upgrade(const char *path, char **head)
{
	return swb_gui_upgrade(t.port, path, head);
}

static guint
rows_shown(const char *view_name)
{
	GtkColumnView *view = GTK_COLUMN_VIEW(widget(view_name));

	return g_list_model_get_n_items(G_LIST_MODEL(gtk_column_view_get_model(view)));
}

static gboolean
has_rows(gpointer data)
{
	const guint *want = data;

	return rows_shown("connection-view") == *want;
}

static gboolean
has_rejection(gpointer data)
{
	return rows_shown("rejection-view") >= 1;
}

static void
test_setup(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *text = NULL;

	t.dir = g_dir_make_tmp("swb-gui-XXXXXX", &error);
	g_assert_no_error(error);
	t.socket = g_build_filename(t.dir, "control.sock", NULL);
	t.policy = g_build_filename(t.dir, "policy.json", NULL);
	t.port = swb_gui_free_port();
	text = g_strdup_printf("{\"version\": 1,"
	    " \"listeners\": [{\"name\": \"plain\", \"bind\": \"127.0.0.1:%u\"}],"
	    " \"routes\": [{\"name\": \"echo\","
	    "   \"match\": {\"path\": \"/echo\", \"upgrade\": \"*\"},"
	    "   \"mode\": \"tunnel\", \"backend\": \"builtin:echo\"},"
	    "  {\"name\": \"chat\", \"match\": {\"path\": \"/chat\", \"upgrade\": \"*\"},"
	    "   \"mode\": \"tunnel\", \"backend\": \"builtin:echo\"}],"
	    " \"control\": {\"socket\": \"%s\"},"
	    " \"limits\": {\"drain_timeout_s\": 1}}\n", t.port, t.socket);
	g_assert_true(g_file_set_contents(t.policy, text, -1, &error));
	start_daemon();

	t.app = swb_application_new();
	g_application_set_flags(G_APPLICATION(t.app), G_APPLICATION_NON_UNIQUE);
	g_assert_true(g_application_register(G_APPLICATION(t.app), NULL, &error));
	g_assert_no_error(error);
	t.window = g_object_ref(swb_application_open_socket(t.app, t.socket));
	t.session = swb_window_get_session(t.window);
	g_assert_true(swb_test_wait_for(is_connected, NULL, WAIT_MS));
}

/* Connections clients open show up within 2 s of their 101. */
static void
test_rows_appear(void)
{
	static const char *const paths[N_CLIENTS] = { "/echo", "/chat/room1", "/echo/b",
		"/chat/room2" };
	guint all = N_CLIENTS;
	gint64 upgraded = 0;

	for (int i = 0; i < N_CLIENTS; i++) {
		g_autofree char *head = NULL;

		t.clients[i] = upgrade(paths[i], &head);
		g_assert_true(g_str_has_prefix(head, "HTTP/1.1 101"));
		if (i == 0)
			upgraded = g_get_monotonic_time();
	}
	g_assert_true(swb_test_wait_for(has_rows, &all, 2000));
	g_assert_cmpint(g_get_monotonic_time() - upgraded, <,
	    (gint64)(2 * G_USEC_PER_SEC * swb_test_time_scale()));
}

/* A refused upgrade appears in the Refused list with its status. */
static void
test_refused_upgrade(void)
{
	g_autofree char *head = NULL;
	g_autoptr(GSocketConnection) conn = upgrade("/nowhere", &head);
	g_autoptr(GListModel) rows = NULL;
	g_autoptr(GObject) first = NULL;
	guint status = 0;

	g_assert_true(g_str_has_prefix(head, "HTTP/1.1 404"));
	g_assert_true(swb_test_wait_for(has_rejection, NULL, 2000));
	rows = G_LIST_MODEL(g_object_ref(gtk_column_view_get_model(
	    GTK_COLUMN_VIEW(widget("rejection-view")))));
	first = g_list_model_get_item(rows, 0);
	g_object_get(first, "status", &status, NULL);
	g_assert_cmpuint(status, ==, 404);
}

static void
save_screenshot(void)
{
	swb_gui_save_png(GTK_WIDGET(t.window), "screenshot.png");
}

static gboolean
window_drawn(gpointer data)
{
	return gtk_widget_get_mapped(GTK_WIDGET(t.window)) &&
	    gtk_widget_get_width(GTK_WIDGET(t.window)) > 0 && *(const guint *)data >= 2;
}

static void
on_after_paint(GdkFrameClock *clock, guint *frames)
{
	(*frames)++;
}

/* Bytes through a tunnel: what goes up comes back down from the echo backend. */
static void
echo_some(GSocketConnection *conn, gsize n)
{
	GSocket *sock = g_socket_connection_get_socket(conn);
	g_autofree char *data = g_malloc0(n);
	char buf[65536];

	g_assert_cmpint(g_socket_send(sock, data, n, NULL, NULL), >, 0);
	spin(20);
	while (g_socket_receive(sock, buf, sizeof buf, NULL, NULL) > 0)
		;
}

/* The main window with live rows, as the README shows it. */
static void
test_screenshot(void)
{
	GdkFrameClock *clock;
	guint frames = 0;
	gulong handler;

	adw_view_stack_set_visible_child_name(ADW_VIEW_STACK(widget("view-stack")), "connections");
	/* traffic for a few ticks: counters, rates, ages and the graph fill in */
	for (int i = 0; i < 12; i++) {
		for (int c = 0; c < N_CLIENTS; c++)
			echo_some(t.clients[c], (gsize)(6000 * (c + 1) + 1000 * i));
		spin(200);
	}
	clock = gtk_widget_get_frame_clock(GTK_WIDGET(t.window));
	g_assert_nonnull(clock);
	handler = g_signal_connect(clock, "after-paint", G_CALLBACK(on_after_paint), &frames);
	gtk_widget_queue_draw(GTK_WIDGET(t.window));
	g_assert_true(swb_test_wait_for(window_drawn, &frames, WAIT_MS));
	g_signal_handler_disconnect(clock, handler);
	save_screenshot();
}

static GtkWidget *
find_dialog(void)
{
	GListModel *tops = gtk_window_get_toplevels();

	for (guint i = 0; i < g_list_model_get_n_items(tops); i++) {
		g_autoptr(GObject) w = g_list_model_get_item(tops, i);

		if (ADW_IS_MESSAGE_DIALOG(w) && gtk_widget_get_visible(GTK_WIDGET(w)))
			return GTK_WIDGET(w);
	}
	return NULL;
}

static gboolean
dialog_shown(gpointer data)
{
	return find_dialog() != NULL;
}

static gboolean
peer_closed(gpointer data)
{
	GSocket *sock = g_socket_connection_get_socket(data);
	char buf[256];
	gssize n = g_socket_receive(sock, buf, sizeof buf, NULL, NULL);

	return n == 0;
}

/* "Close connection" from the app, confirmed, ends the client's tunnel. */
static void
test_close_from_app(void)
{
	GtkSingleSelection *selection = GTK_SINGLE_SELECTION(gtk_column_view_get_model(
	    GTK_COLUMN_VIEW(widget("connection-view"))));
	guint rest = N_CLIENTS - 1;
	gboolean ended = FALSE;

	gtk_single_selection_set_selected(selection, 0);
	g_assert_true(gtk_widget_activate_action(GTK_WIDGET(t.window), "win.close-connection",
	    NULL));
	g_assert_true(swb_test_wait_for(dialog_shown, NULL, WAIT_MS));
	adw_message_dialog_response(ADW_MESSAGE_DIALOG(find_dialog()), "close");
	g_assert_true(swb_test_wait_for(has_rows, &rest, WAIT_MS));
	/* which one it was depends on the order shown; one of them must see the end */
	for (int i = 0; i < N_CLIENTS && !ended; i++)
		ended = swb_test_wait_for(peer_closed, t.clients[i], 500);
	g_assert_true(ended);
}

static SwbPolicyEditor *
editor(void)
{
	return SWB_POLICY_EDITOR(widget("policy-editor"));
}

static gboolean
policy_loaded(gpointer data)
{
	SwbPolicyModel *model = swb_policy_editor_get_model(editor());

	return swb_policy_model_get_revision(model) >= *(const gint64 *)data &&
	    swb_policy_model_get_n_items(model, SWB_SECTION_ROUTE) == 2;
}

static gboolean
apply_sensitive(gpointer data)
{
	return gtk_widget_is_sensitive(widget("apply-button"));
}

static void
set_field(const char *name, const char *text)
{
	gtk_editable_set_text(GTK_EDITABLE(widget(name)), text);
}

/* A bad port shows its error at the backend field, and Apply stays insensitive. */
static void
test_editor_bad_port(void)
{
	gint64 first = 1;
	GtkWidget *backend;
	g_autofree char *title = NULL;

	adw_view_stack_set_visible_child_name(ADW_VIEW_STACK(widget("view-stack")), "policy");
	g_assert_true(swb_test_wait_for(policy_loaded, &first, WAIT_MS));
	swb_policy_editor_select(editor(), SWB_SECTION_ROUTE, 0);
	backend = widget("field-backend");
	g_assert_cmpstr(gtk_editable_get_text(GTK_EDITABLE(backend)), ==, "builtin:echo");
	set_field("field-backend", "127.0.0.1:99999");
	spin(700); /* past the delay before the daemon is asked */
	g_assert_true(gtk_widget_has_css_class(backend, "error"));
	g_object_get(backend, "title", &title, NULL);
	g_assert_nonnull(strstr(title, "port"));
	g_assert_false(gtk_widget_is_sensitive(widget("apply-button")));
	g_assert_true(gtk_widget_get_visible(widget("errors-list")));

	/* fixed, and something else changed: the daemon agrees, Apply is offered */
	set_field("field-backend", "builtin:echo");
	g_assert_false(gtk_widget_has_css_class(backend, "error"));
	set_field("field-idle_timeout_s", "120");
	g_assert_true(swb_test_wait_for(apply_sensitive, NULL, WAIT_MS));
}

static gboolean
applied(gpointer data)
{
	SwbPolicyModel *model = swb_policy_editor_get_model(editor());

	return !swb_policy_model_get_modified(model) &&
	    swb_policy_model_get_revision(model) == *(const gint64 *)data;
}

static gboolean
conflict_shown(gpointer data)
{
	return gtk_revealer_get_reveal_child(GTK_REVEALER(widget("conflict-revealer")));
}

/* Applies the daemon's current policy unchanged from a second client, as someone else. */
static void
apply_elsewhere(void)
{
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GSocketAddress) address = g_unix_socket_address_new(t.socket);
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocketConnection) conn = g_socket_client_connect(client,
	    G_SOCKET_CONNECTABLE(address), NULL, &error);
	g_autoptr(GDataInputStream) in = NULL;
	g_autofree char *answer = NULL;
	g_autofree char *policy = NULL;
	g_autofree char *request = NULL;
	GOutputStream *out;

	g_assert_no_error(error);
	g_assert_true(g_file_get_contents(t.policy, &policy, NULL, NULL));
	g_strchomp(policy);
	request = g_strdup_printf("{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"policy.apply\","
	    " \"params\": {\"policy\": %s}}\n", policy);
	out = g_io_stream_get_output_stream(G_IO_STREAM(conn));
	g_assert_true(g_output_stream_write_all(out, request, strlen(request), NULL, NULL, &error));
	in = g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(conn)));
	answer = g_data_input_stream_read_line(in, NULL, NULL, &error);
	g_assert_no_error(error);
	g_assert_nonnull(strstr(answer, "\"result\""));
}

/*
 * Apply with the revision we started from; a stale one shows the conflict, Overwrite wins.
 * With the persist-policy setting off, the daemon runs what we apply but keeps its file.
 */
static void
test_editor_apply_and_conflict(void)
{
	GSettings *gsettings = swb_settings_get_gsettings(swb_application_get_settings(t.app));
	gint64 third = 3;
	gint64 fourth = 4;
	g_autofree char *before = NULL;
	g_autofree char *after = NULL;

	/* someone else applies first: ours is now stale */
	apply_elsewhere();
	g_assert_true(gtk_widget_activate_action(widget("policy-editor"), "editor.apply", NULL));
	g_assert_true(swb_test_wait_for(conflict_shown, NULL, WAIT_MS));
	g_assert_nonnull(strstr(gtk_label_get_label(GTK_LABEL(widget("conflict-label"))),
	    "revision 2"));
	g_assert_true(gtk_widget_activate_action(widget("policy-editor"), "editor.overwrite",
	    NULL));
	/* revision 3 is ours */
	g_assert_true(swb_test_wait_for(applied, &third, WAIT_MS));
	g_assert_false(conflict_shown(NULL));
	g_assert_false(gtk_widget_is_sensitive(widget("apply-button")));
	set_field("field-idle_timeout_s", "");
	g_assert_true(swb_test_wait_for(apply_sensitive, NULL, WAIT_MS));
	g_settings_set_boolean(gsettings, "persist-policy", FALSE);
	g_assert_true(g_file_get_contents(t.policy, &before, NULL, NULL));
	g_assert_true(gtk_widget_activate_action(widget("policy-editor"), "editor.apply", NULL));
	g_assert_true(swb_test_wait_for(applied, &fourth, WAIT_MS));
	g_assert_true(g_file_get_contents(t.policy, &after, NULL, NULL));
	g_assert_cmpstr(after, ==, before);
	g_settings_reset(gsettings, "persist-policy");
}

/* Save writes the policy a daemon can load; Open shows a file's errors at their fields. */
static void
test_editor_files(void)
{
	g_autofree char *saved = g_build_filename(t.dir, "saved.json", NULL);
	g_autofree char *broken = g_build_filename(t.dir, "broken.json", NULL);
	g_autoptr(GError) error = NULL;
	struct sb_errors errs = SB_ERRORS_INIT;
	struct sb_policy *policy;
	g_autofree char *title = NULL;
	gint64 fourth = 4;

	g_assert_true(swb_policy_editor_save_file(editor(), saved, &error));
	g_assert_no_error(error);
	policy = sb_policy_load(saved, &errs);
	g_assert_cmpuint(errs.count, ==, 0);
	g_assert_nonnull(policy);
	g_assert_cmpuint(policy->n_routes, ==, 2);
	sb_policy_free(policy);

	g_assert_true(g_file_set_contents(broken, "{\"version\": 1, \"listeners\": [{\"name\":"
	    " \"plain\", \"bind\": \"127.0.0.1:0\"}], \"routes\": [{\"name\": \"x\","
	    " \"match\": {\"upgrade\": \"websocket\"}, \"backend\": \"localhost:70000\"}]}",
	    -1, NULL));
	g_assert_true(swb_policy_editor_open_file(editor(), broken, &error));
	g_object_get(widget("field-backend"), "title", &title, NULL);
	g_assert_true(gtk_widget_has_css_class(widget("field-backend"), "error"));
	g_assert_nonnull(strstr(title, "port"));
	g_assert_false(gtk_widget_is_sensitive(widget("apply-button")));
	g_assert_false(swb_policy_editor_open_file(editor(), "/nonexistent/policy.json",
	    &error));
	g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT);

	/* back to what runs */
	g_assert_true(gtk_widget_activate_action(widget("policy-editor"), "editor.reload", NULL));
	g_assert_true(swb_test_wait_for(applied, &fourth, WAIT_MS));
	g_unlink(saved);
	g_unlink(broken);
	sb_errors_clear(&errs);
}

static gboolean
has_error(gpointer data)
{
	return swb_client_get_error(swb_session_get_client(data)) != NULL;
}

static gboolean
offline_page_shown(gpointer data)
{
	GtkStack *stack = GTK_STACK(widget("main-stack"));

	return g_strcmp0(gtk_stack_get_visible_child_name(stack), "disconnected") == 0;
}

/* The daemon restarts: a "not connected" page with the reason, then back by itself. */
static void
test_reconnect(void)
{
	g_autofree char *head = NULL;
	const char *description;
	guint zero = 0;
	guint one = 1;

	for (int i = 0; i < N_CLIENTS; i++)
		g_clear_object(&t.clients[i]);
	stop_daemon();
	g_assert_true(swb_test_wait_for(is_disconnected, NULL, WAIT_MS));
	g_assert_true(swb_test_wait_for(offline_page_shown, NULL, WAIT_MS));
	description = adw_status_page_get_description(ADW_STATUS_PAGE(widget("offline-page")));
	g_assert_nonnull(strstr(description, t.socket));
	start_daemon();
	/* the backoff is at most 8 s */
	g_assert_true(swb_test_wait_for(is_connected, NULL, 10000));
	g_assert_false(offline_page_shown(NULL));
	g_assert_true(swb_test_wait_for(has_rows, &zero, WAIT_MS));
	t.clients[0] = upgrade("/echo", &head);
	g_assert_true(g_str_has_prefix(head, "HTTP/1.1 101"));
	g_assert_true(swb_test_wait_for(has_rows, &one, 2000));
}

static gboolean
shows_socket(gpointer data)
{
	SwbSession *session = swb_window_get_session(t.window);

	return session != NULL && g_str_equal(swb_session_get_socket_path(session), data);
}

/* A second daemon (not running): its own Not Connected page; then back to the first. */
static void
test_switch_daemons(void)
{
	g_autofree char *other = g_build_filename(t.dir, "other.sock", NULL);
	SwbSettings *settings = swb_application_get_settings(t.app);
	const char *description;

	gtk_widget_activate_action(GTK_WIDGET(t.window), "win.open-socket", "s", other);
	g_assert_true(swb_test_wait_for(shows_socket, other, WAIT_MS));
	g_assert_true(swb_test_wait_for(offline_page_shown, NULL, WAIT_MS));
	g_assert_true(swb_test_wait_for(has_error, swb_window_get_session(t.window), WAIT_MS));
	description = adw_status_page_get_description(ADW_STATUS_PAGE(widget("offline-page")));
	g_assert_nonnull(strstr(description, other));
	g_assert_nonnull(strstr(description, "No such file"));
	g_assert_cmpstr(swb_settings_get_sockets(settings)[0], ==, other);
	g_assert_cmpstr(swb_settings_get_sockets(settings)[1], ==, t.socket);

	/* the first daemon's session kept running meanwhile */
	gtk_widget_activate_action(GTK_WIDGET(t.window), "win.open-socket", "s", t.socket);
	g_assert_true(swb_test_wait_for(shows_socket, t.socket, WAIT_MS));
	g_assert_false(offline_page_shown(NULL));
	g_assert_cmpstr(swb_settings_get_last_socket(settings), ==, t.socket);
	gtk_widget_activate_action(GTK_WIDGET(t.window), "app.forget-socket", "s", other);
	g_assert_cmpstr(swb_settings_get_sockets(settings)[0], ==, t.socket);
	g_assert_null(swb_settings_get_sockets(settings)[1]);
}

static gboolean
frames_past(gpointer data)
{
	const guint *frames = data;

	return frames[0] >= frames[1];
}

/* Runs until the window has painted n more frames; returns how long that took, in ms. */
static double
paint(guint n)
{
	GdkFrameClock *clock = gtk_widget_get_frame_clock(GTK_WIDGET(t.window));
	guint frames[2] = { 0, n };
	gint64 start = g_get_monotonic_time();
	gulong handler = g_signal_connect(clock, "after-paint", G_CALLBACK(on_after_paint),
	    &frames[0]);

	gtk_widget_queue_draw(GTK_WIDGET(t.window));
	g_assert_true(swb_test_wait_for(frames_past, frames, WAIT_MS));
	g_signal_handler_disconnect(clock, handler);
	return (double)(g_get_monotonic_time() - start) / 1000;
}

/*
 * 5,000 rows, sorted by rate, each updated once (a second's worth of
 * connection.updated events), then scrolled through, stay fluid. The bounds
 * are generous (software rendering on a shared machine); the figures are logged.
 */
static void
test_many_rows(void)
{
	SwbConnectionModel *model = swb_session_get_connections(t.session);
	GtkColumnView *view = GTK_COLUMN_VIEW(widget("connection-view"));
	guint before = rows_shown("connection-view");
	guint want = before + 5000;
	g_autoptr(GString) list = g_string_new("[");
	json_object *rows;
	gint64 start;
	double seed_ms;
	double update_ms;
	double frame_ms = 0;
	double close_ms;
	GtkAdjustment *adjustment;

	/* this socket's live row first, then ids the daemon will not reach */
	for (guint i = 0; i < 5000; i++)
		g_string_append_printf(list, "%s{\"id\": %u, \"route\": \"bulk%u\","
		    " \"mode\": \"tunnel\", \"client\": \"10.0.%u.%u:%u\","
		    " \"backend\": \"127.0.0.1:9\", \"started\": \"2024-05-01T12:00:00Z\","
		    " \"bytes_up\": %u, \"bytes_down\": %u}", i ? "," : "", 1000000 + i, i % 9,
		    i / 250, i % 250, 1024 + i, i * 10, i * 20);
	g_string_append(list, "]");
	rows = json_tokener_parse(list->str);
	g_assert_nonnull(rows);
	adw_view_stack_set_visible_child_name(ADW_VIEW_STACK(widget("view-stack")), "connections");
	gtk_column_view_sort_by_column(view, swb_gui_column(view, "Rate"), GTK_SORT_DESCENDING);

	start = g_get_monotonic_time();
	for (size_t i = 0; i < json_object_array_length(rows); i++) {
		json_object *row = json_object_array_get_idx(rows, i);

		json_object_object_add(row, "type", json_object_new_string("connection.opened"));
		swb_connection_model_handle_event(model, "connection.opened", row,
		    g_get_monotonic_time());
	}
	g_assert_true(swb_test_wait_for(has_rows, &want, WAIT_MS));
	seed_ms = paint(1) + (double)(g_get_monotonic_time() - start) / 1000;

	start = g_get_monotonic_time();
	for (size_t i = 0; i < json_object_array_length(rows); i++) {
		json_object *row = json_object_array_get_idx(rows, i);

		json_object_object_add(row, "bytes_up", json_object_new_int64((int64_t)i * 5000));
		swb_connection_model_handle_event(model, "connection.updated", row,
		    g_get_monotonic_time());
	}
	swb_connection_model_tick(model, g_get_monotonic_time(), g_get_real_time());
	update_ms = (double)(g_get_monotonic_time() - start) / 1000 + paint(1);
	/* scrolling through them, a tenth at a time: the time to each frame */
	adjustment = gtk_scrollable_get_vadjustment(GTK_SCROLLABLE(view));
	for (int i = 1; i <= 10; i++) {
		gtk_adjustment_set_value(adjustment, gtk_adjustment_get_upper(adjustment) * i / 10);
		frame_ms = MAX(frame_ms, paint(1));
	}
	/* and they all go */
	start = g_get_monotonic_time();
	for (size_t i = 0; i < json_object_array_length(rows); i++)
		swb_connection_model_handle_event(model, "connection.closed",
		    json_object_array_get_idx(rows, i), g_get_monotonic_time());
	g_assert_true(swb_test_wait_for(has_rows, &before, WAIT_MS));
	close_ms = (double)(g_get_monotonic_time() - start) / 1000 + paint(1);
	json_object_put(rows);
	g_test_message("5000 rows: opened and drawn in %.0f ms, a second of updates and a tick "
	    "in %.0f ms, the slowest frame while scrolling %.0f ms, all closed in %.0f ms",
	    seed_ms, update_ms, frame_ms, close_ms);
	g_assert_cmpfloat(seed_ms, <, 5000);
	g_assert_cmpfloat(update_ms, <, 1000);
	g_assert_cmpfloat(frame_ms, <, 250);
	g_assert_cmpfloat(close_ms, <, 3000);
}

static void
test_teardown(void)
{
	for (int i = 0; i < N_CLIENTS; i++)
		g_clear_object(&t.clients[i]);
	gtk_window_destroy(GTK_WINDOW(t.window));
	g_clear_object(&t.window);
	stop_daemon();
	spin(100);
	g_clear_object(&t.app);
	swb_gui_remove_dir(t.dir);
	g_clear_pointer(&t.dir, g_free);
	g_clear_pointer(&t.socket, g_free);
	g_clear_pointer(&t.policy, g_free);
}

int
main(int argc, char **argv)
{
	gtk_test_init(&argc, &argv, NULL);
	adw_init();
	g_test_add_func("/window/setup", test_setup);
	g_test_add_func("/window/rows-appear", test_rows_appear);
	g_test_add_func("/window/refused-upgrade", test_refused_upgrade);
	g_test_add_func("/window/screenshot", test_screenshot);
	g_test_add_func("/window/close-from-app", test_close_from_app);
	g_test_add_func("/window/editor-bad-port", test_editor_bad_port);
	g_test_add_func("/window/editor-apply-and-conflict", test_editor_apply_and_conflict);
	g_test_add_func("/window/editor-files", test_editor_files);
	g_test_add_func("/window/reconnect", test_reconnect);
	g_test_add_func("/window/switch-daemons", test_switch_daemons);
	g_test_add_func("/window/many-rows", test_many_rows);
	g_test_add_func("/window/teardown", test_teardown);
	return g_test_run();
}
