/*
 * test-views.c - the app's history, apply preview and connection detail under
 * Xvfb, against a real daemon: refusals and closes made before the app starts
 * are on its Refused and Closed pages when it opens; the preview lists exactly
 * the tunnels the apply then closes; the detail window shows a live
 * connection's route and bytes. Saves screenshots of the new views.
 */
#include <adwaita.h>
#include <gio/gio.h>
#include <string.h>

#include "swb-application.h"
#include "swb-connection-detail.h"
#include "swb-gui-test.h"
#include "swb-policy-editor.h"
#include "swb-test.h"
#include "swb-window.h"

#define WAIT_MS SWB_GUI_WAIT_MS
#define N_GONE 2

static struct {
	SwbGuiDaemon g;
	SwbWindow *window;
	SwbSession *session;
	GSocketConnection *echo;          /* a live tunnel the apply keeps */
	GSocketConnection *gone[N_GONE];  /* tunnels on the route the apply removes */
} t;

static GtkWidget *
widget(const char *name)
{
	GtkWidget *w = swb_gui_find_named(GTK_WIDGET(t.window), name);

	g_assert_nonnull(w);
	return w;
}

static guint
rows_shown(const char *view_name)
{
	GtkColumnView *view = GTK_COLUMN_VIEW(widget(view_name));

	return g_list_model_get_n_items(G_LIST_MODEL(gtk_column_view_get_model(view)));
}

static GSocketConnection *
tunnel(const char *path)
{
	g_autofree char *head = NULL;
	GSocketConnection *conn = swb_gui_upgrade(t.g.port, path, &head);

	g_assert_true(g_str_has_prefix(head, "HTTP/1.1 101"));
	return conn;
}

static void
refused(const char *path)
{
	g_autofree char *head = NULL;
	g_autoptr(GSocketConnection) conn = swb_gui_upgrade(t.g.port, path, &head);

	g_assert_true(g_str_has_prefix(head, "HTTP/1.1 404"));
}

/* The toplevel of type type that is shown, or NULL. */
static GtkWidget *
shown_toplevel(GType type)
{
	GListModel *tops = gtk_window_get_toplevels();

	for (guint i = 0; i < g_list_model_get_n_items(tops); i++) {
		g_autoptr(GObject) w = g_list_model_get_item(tops, i);

		if (G_TYPE_CHECK_INSTANCE_TYPE(w, type) && gtk_widget_get_visible(GTK_WIDGET(w)))
			return GTK_WIDGET(w);
	}
	return NULL;
}

static gboolean
is_connected(gpointer data)
{
	return swb_client_get_connected(swb_session_get_client(t.session));
}

static gboolean
shows_rows(gpointer data)
{
	const char *const *want = data; /* view name, then the count as text */

	return rows_shown(want[0]) == (guint)atoi(want[1]);
}

/*
 * Before the app: two refusals, and a tunnel opened and closed; then the
 * tunnels that stay open. The app connects after all of it.
 */
static void
test_setup(void)
{
	static const char *const live[] = { "connection-view", "3" };

	swb_gui_daemon_setup(&t.g, "swb-views", "[{\"name\": \"echo\","
	    "   \"match\": {\"path\": \"/echo\", \"upgrade\": \"*\"},"
	    "   \"mode\": \"tunnel\", \"backend\": \"builtin:echo\"},"
	    "  {\"name\": \"gone\", \"match\": {\"path\": \"/gone\", \"upgrade\": \"*\"},"
	    "   \"mode\": \"tunnel\", \"backend\": \"builtin:echo\","
	    "   \"on_policy_change\": \"close\"}]");
	refused("/nowhere");
	refused("/elsewhere");
	g_object_unref(tunnel("/echo/before"));
	t.echo = tunnel("/echo");
	for (int i = 0; i < N_GONE; i++)
		t.gone[i] = tunnel("/gone");

	t.window = g_object_ref(swb_application_open_socket(t.g.app, t.g.socket));
	t.session = swb_window_get_session(t.window);
	g_assert_true(swb_test_wait_for(is_connected, NULL, WAIT_MS));
	g_assert_true(swb_test_wait_for(shows_rows, (gpointer)live, WAIT_MS));
}

/* The Refused page holds the two refusals made before the app started, and only them. */
static void
test_refused_before_start(void)
{
	static const char *const want[] = { "rejection-view", "2" };

	g_assert_true(swb_test_wait_for(shows_rows, (gpointer)want, WAIT_MS));
	swb_gui_spin(300);
	g_assert_cmpuint(rows_shown("rejection-view"), ==, 2);
}

/* The Closed page holds the tunnel closed before the app started. */
static void
test_closed_before_start(void)
{
	static const char *const want[] = { "closed-view", "1" };
	g_autoptr(SwbConnection) row = NULL;

	g_assert_true(swb_test_wait_for(shows_rows, (gpointer)want, WAIT_MS));
	row = g_list_model_get_item(G_LIST_MODEL(swb_session_get_closed(t.session)), 0);
	g_assert_cmpstr(swb_connection_get_route(row), ==, "echo");
	g_assert_nonnull(swb_connection_get_reason(row));
	adw_view_stack_set_visible_child_name(ADW_VIEW_STACK(widget("view-stack")), "closed");
	swb_gui_spin(300);
	swb_gui_save_png(GTK_WIDGET(t.window), "screenshot-closed.png");
	adw_view_stack_set_visible_child_name(ADW_VIEW_STACK(widget("view-stack")),
	    "connections");
}

static gboolean
detail_shows_bytes(gpointer data)
{
	SwbConnectionDetail *d = data;
	const char *bytes = swb_connection_detail_get_text(d, SWB_DETAIL_BYTES);

	return bytes != NULL && g_str_has_prefix(bytes, "5 B up, 5 B down");
}

/* The detail window of the live echo tunnel: its route, then its bytes as they move. */
static void
test_detail(void)
{
	GtkSingleSelection *sel = GTK_SINGLE_SELECTION(gtk_column_view_get_model(
	    GTK_COLUMN_VIEW(widget("connection-view"))));
	GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(t.echo));
	SwbConnectionDetail *d;
	guint n = g_list_model_get_n_items(G_LIST_MODEL(sel));

	for (guint i = 0; i < n; i++) {
		g_autoptr(SwbConnection) c = g_list_model_get_item(G_LIST_MODEL(sel), i);

		if (g_strcmp0(swb_connection_get_route(c), "echo") == 0)
			gtk_single_selection_set_selected(sel, i);
	}
	g_assert_true(gtk_widget_activate_action(GTK_WIDGET(t.window), "win.show-connection",
	    NULL));
	d = SWB_CONNECTION_DETAIL(shown_toplevel(SWB_TYPE_CONNECTION_DETAIL));
	g_assert_nonnull(d);
	g_socket_set_blocking(g_socket_connection_get_socket(t.echo), TRUE);
	g_assert_true(g_output_stream_write_all(out, "hello", 5, NULL, NULL, NULL));
	/* refreshed while open: the bytes arrive without asking */
	g_assert_true(swb_test_wait_for(detail_shows_bytes, d, WAIT_MS));
	g_assert_cmpstr(swb_connection_detail_get_text(d, SWB_DETAIL_ROUTE), ==, "echo (tunnel)");
	g_assert_cmpstr(swb_connection_detail_get_text(d, SWB_DETAIL_LISTENER), ==, "plain");
	g_assert_cmpstr(swb_connection_detail_get_text(d, SWB_DETAIL_TLS), ==, "None (plain)");
	/* the built-in echo listens on loopback */
	g_assert_true(g_str_has_prefix(swb_connection_detail_get_text(d, SWB_DETAIL_BACKEND),
	    "127.0.0.1:"));
	swb_gui_spin(300);
	swb_gui_save_png(GTK_WIDGET(d), "screenshot-detail.png");
	gtk_window_destroy(GTK_WINDOW(d));
}

static gboolean
preview_shown(gpointer data)
{
	return shown_toplevel(ADW_TYPE_MESSAGE_DIALOG) != NULL;
}

static gboolean
closed_count(gpointer data)
{
	return g_list_model_get_n_items(G_LIST_MODEL(swb_session_get_closed(t.session))) ==
	    GPOINTER_TO_UINT(data);
}

static int
cmp_u64(gconstpointer a, gconstpointer b)
{
	guint64 x = *(const guint64 *)a, y = *(const guint64 *)b;

	return x < y ? -1 : x > y;
}

/* The ids of "gone" rows, sorted, as "3, 4". (transfer full) */
static char *
gone_ids_live(void)
{
	SwbConnectionModel *m = swb_session_get_connections(t.session);
	g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(guint64));
	GString *text = g_string_new(NULL);

	for (guint i = 0; i < g_list_model_get_n_items(G_LIST_MODEL(m)); i++) {
		g_autoptr(SwbConnection) c = g_list_model_get_item(G_LIST_MODEL(m), i);
		guint64 id = swb_connection_get_id(c);

		if (g_strcmp0(swb_connection_get_route(c), "gone") == 0)
			g_array_append_val(ids, id);
	}
	g_array_sort(ids, cmp_u64);
	for (guint i = 0; i < ids->len; i++)
		g_string_append_printf(text, "%s%" G_GUINT64_FORMAT, i ? ", " : "",
		    g_array_index(ids, guint64, i));
	return g_string_free(text, FALSE);
}

/* Removing the "gone" route: the dialog names its two tunnels, and Apply closes those two. */
static void
test_preview(void)
{
	GtkWidget *editor = widget("policy-editor");
	SwbPolicyModel *model = swb_policy_editor_get_model(SWB_POLICY_EDITOR(editor));
	guint closed_before = g_list_model_get_n_items(G_LIST_MODEL(swb_session_get_closed(
	    t.session)));
	g_autofree char *gone = gone_ids_live();
	g_autoptr(GArray) closed = g_array_new(FALSE, FALSE, sizeof(guint64));
	g_auto(GStrv) listed = NULL;
	AdwMessageDialog *dialog;
	const char *body;

	g_assert_cmpuint(strlen(gone), >, 0);
	adw_view_stack_set_visible_child_name(ADW_VIEW_STACK(widget("view-stack")), "policy");
	g_assert_cmpuint(swb_policy_model_get_n_items(model, SWB_SECTION_ROUTE), ==, 2);
	swb_policy_model_remove(model, SWB_SECTION_ROUTE, 1);
	swb_gui_spin(700); /* past the delay before the daemon checks it */
	g_assert_true(gtk_widget_activate_action(editor, "editor.apply", NULL));
	g_assert_true(swb_test_wait_for(preview_shown, NULL, WAIT_MS));
	dialog = ADW_MESSAGE_DIALOG(shown_toplevel(ADW_TYPE_MESSAGE_DIALOG));
	body = adw_message_dialog_get_body(dialog);
	g_test_message("preview: %s", body);
	g_assert_true(g_str_has_prefix(body, "Applying closes 2 connections: "));
	swb_gui_spin(300);
	swb_gui_save_png(GTK_WIDGET(dialog), "screenshot-preview.png");

	/* every connection it names is on "gone" */
	listed = g_strsplit(body, "(route ", -1);
	for (guint i = 1; listed[i] != NULL; i++)
		g_assert_true(g_str_has_prefix(listed[i], "gone, "));

	adw_message_dialog_response(dialog, "apply");
	g_assert_true(swb_test_wait_for(closed_count, GUINT_TO_POINTER(closed_before + N_GONE),
	    WAIT_MS));
	for (guint i = 0; i < N_GONE; i++) {
		g_autoptr(SwbConnection) c = g_list_model_get_item(
		    G_LIST_MODEL(swb_session_get_closed(t.session)), i);
		guint64 id = swb_connection_get_id(c);

		g_assert_cmpstr(swb_connection_get_route(c), ==, "gone");
		g_array_append_val(closed, id);
	}
	g_array_sort(closed, cmp_u64);
	{
		g_autofree char *closed_text = g_strdup_printf("%" G_GUINT64_FORMAT ", %"
		    G_GUINT64_FORMAT, g_array_index(closed, guint64, 0),
		    g_array_index(closed, guint64, 1));

		/* the tunnels that were live on "gone" closed, and the dialog named each */
		g_assert_cmpstr(closed_text, ==, gone);
		for (guint i = 0; i < N_GONE; i++) {
			g_autofree char *id = g_strdup_printf("%" G_GUINT64_FORMAT " (route gone",
			    g_array_index(closed, guint64, i));

			g_assert_nonnull(strstr(body, id));
		}
	}
	/* and it named nothing else: two entries */
	g_assert_cmpuint(g_strv_length(listed), ==, N_GONE + 1);
	/* the echo tunnel stays */
	swb_gui_spin(300);
	g_assert_cmpuint(g_list_model_get_n_items(G_LIST_MODEL(swb_session_get_connections(
	    t.session))), ==, 1);
}

static void
test_teardown(void)
{
	g_clear_object(&t.echo);
	for (int i = 0; i < N_GONE; i++)
		g_clear_object(&t.gone[i]);
	gtk_window_destroy(GTK_WINDOW(t.window));
	g_clear_object(&t.window);
	swb_gui_daemon_teardown(&t.g);
}

int
main(int argc, char **argv)
{
	gtk_test_init(&argc, &argv, NULL);
	adw_init();
	g_test_add_func("/views/setup", test_setup);
	g_test_add_func("/views/refused-before-start", test_refused_before_start);
	g_test_add_func("/views/closed-before-start", test_closed_before_start);
	g_test_add_func("/views/detail", test_detail);
	g_test_add_func("/views/preview", test_preview);
	g_test_add_func("/views/teardown", test_teardown);
	return g_test_run();
}
