/*
 * test-fleet.c - two real daemons side by side under Xvfb (a fleet of one
 * policy: both serve one listening socket, passed as systemd would): switching
 * keeps each one's connections and refusals without reconnecting, and "Apply
 * To…" applies the edited policy to both, each over its own revision, then
 * shows a stopped one as unreachable. Saves a screenshot of the dialog.
 */
#include <adwaita.h>
#include <gio/gio.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "swb-application.h"
#include "swb-fleet-dialog.h"
#include "swb-gui-test.h"
#include "swb-policy-editor.h"
#include "swb-test.h"
#include "swb-window.h"

#define WAIT_MS SWB_GUI_WAIT_MS

typedef struct {
	char *dir, *policy, *socket;
	GSubprocess *daemon;
} Daemon;

static struct {
	GSocket *listening; /* 127.0.0.1:port, served by both */
	guint16 port;
	Daemon d[2];
	SwbApplication *app;
	SwbWindow *window;
	SwbSession *session[2];
	GSocketConnection *tunnel;
	guint reconnects; /* notify::connected on the first daemon's client */
} t;

static GtkWidget *
widget(GtkWidget *root, const char *name)
{
	GtkWidget *w = swb_gui_find_named(root, name);

	g_assert_nonnull(w);
	return w;
}

static gboolean
file_exists(gpointer data)
{
	return g_file_test(data, G_FILE_TEST_EXISTS);
}

/* The daemons must not outlive a test that aborts. */
static void
die_with_parent(gpointer data)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

/* switchboardd with the shared socket as fd 3 and LISTEN_PID its own. */
static void
start(Daemon *d, const char *name)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *exe = g_build_filename(g_getenv("SB_BUILD_ROOT"), "daemon",
	    "switchboardd", NULL);
	g_autofree char *tmpl = g_strdup_printf("swb-fleet-%s-XXXXXX", name);
	g_autofree char *text = NULL;
	g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(
	    G_SUBPROCESS_FLAGS_NONE);

	d->dir = g_dir_make_tmp(tmpl, &error);
	g_assert_no_error(error);
	d->socket = g_build_filename(d->dir, "control.sock", NULL);
	d->policy = g_build_filename(d->dir, "policy.json", NULL);
	text = g_strdup_printf("{\"version\": 1,"
	    " \"listeners\": [{\"name\": \"plain\", \"bind\": \"127.0.0.1:%u\"}],"
	    " \"routes\": [{\"name\": \"echo\", \"match\": {\"path\": \"/echo\", \"upgrade\": \"*\"},"
	    "   \"mode\": \"tunnel\", \"backend\": \"builtin:echo\"}],"
	    " \"control\": {\"socket\": \"%s\"}, \"limits\": {\"drain_timeout_s\": 1}}\n",
	    t.port, d->socket);
	g_assert_true(g_file_set_contents(d->policy, text, -1, &error));
	g_subprocess_launcher_set_child_setup(launcher, die_with_parent, NULL, NULL);
	g_subprocess_launcher_take_fd(launcher, dup(g_socket_get_fd(t.listening)), 3);
	g_subprocess_launcher_setenv(launcher, "LISTEN_FDS", "1", TRUE);
	d->daemon = g_subprocess_launcher_spawn(launcher, &error, "/bin/sh", "-c",
	    "LISTEN_PID=$$ exec \"$0\" --policy \"$1\" --state-dir \"$2\" --log-level warn",
	    exe, d->policy, d->dir, NULL);
	g_assert_no_error(error);
	g_assert_true(swb_test_wait_for(file_exists, d->socket, WAIT_MS));
}

static void
stop(Daemon *d)
{
	if (d->daemon != NULL)
		swb_gui_stop_daemon(&d->daemon);
}

static gboolean
both_connected(gpointer data)
{
	return swb_client_get_connected(swb_session_get_client(t.session[0])) &&
	    swb_client_get_connected(swb_session_get_client(t.session[1]));
}

static gboolean
rows_are(gpointer data)
{
	return g_list_model_get_n_items(G_LIST_MODEL(swb_session_get_connections(
	    t.session[0]))) + g_list_model_get_n_items(G_LIST_MODEL(
	    swb_session_get_connections(t.session[1]))) == GPOINTER_TO_UINT(data);
}

static void
on_connected_changed(SwbClient *client, GParamSpec *pspec, gpointer data)
{
	t.reconnects++;
}

static void
test_setup(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) any = g_inet_socket_address_new(lo, 0);
	g_autoptr(GSocketAddress) bound = NULL;

	t.listening = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
	    G_SOCKET_PROTOCOL_TCP, &error);
	g_assert_no_error(error);
	g_assert_true(g_socket_bind(t.listening, any, TRUE, &error));
	g_assert_true(g_socket_listen(t.listening, &error));
	bound = g_socket_get_local_address(t.listening, NULL);
	t.port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
	start(&t.d[0], "a");
	start(&t.d[1], "b");
	t.app = swb_application_new();
	g_application_set_flags(G_APPLICATION(t.app), G_APPLICATION_NON_UNIQUE);
	g_assert_true(g_application_register(G_APPLICATION(t.app), NULL, &error));
	t.window = g_object_ref(swb_application_open_socket(t.app, t.d[0].socket));
	t.session[0] = swb_window_get_session(t.window);
	swb_application_open_socket(t.app, t.d[1].socket);
	t.session[1] = swb_window_get_session(t.window);
	g_assert_true(t.session[0] != t.session[1]);
	g_assert_true(swb_test_wait_for(both_connected, NULL, WAIT_MS));
}

/* A tunnel lands on one of the two; switching back and forth loses nothing and reconnects nothing. */
static void
test_switch_keeps_state(void)
{
	g_autofree char *head = NULL;
	GtkWidget *list;
	SwbSession *on;
	g_autofree char *state = NULL;

	t.tunnel = swb_gui_upgrade(t.port, "/echo", &head);
	g_assert_true(g_str_has_prefix(head, "HTTP/1.1 101"));
	g_assert_true(swb_test_wait_for(rows_are, GUINT_TO_POINTER(1), WAIT_MS));
	on = g_list_model_get_n_items(G_LIST_MODEL(swb_session_get_connections(t.session[0]))) ==
	    1 ? t.session[0] : t.session[1];
	g_signal_connect(swb_session_get_client(on), "notify::connected",
	    G_CALLBACK(on_connected_changed), NULL);
	for (int round = 0; round < 2; round++) {
		swb_application_open_socket(t.app, swb_session_get_socket_path(t.session[0]));
		g_assert_true(swb_window_get_session(t.window) == t.session[0]);
		swb_gui_spin(200);
		swb_application_open_socket(t.app, swb_session_get_socket_path(t.session[1]));
		g_assert_true(swb_window_get_session(t.window) == t.session[1]);
		swb_gui_spin(200);
	}
	/* the tunnel's row is where it was, and its daemon's client never dropped */
	g_assert_cmpuint(g_list_model_get_n_items(G_LIST_MODEL(swb_session_get_connections(on))),
	    ==, 1);
	g_assert_cmpuint(t.reconnects, ==, 0);
	/* the daemon menu says how each one is */
	gtk_menu_button_popup(GTK_MENU_BUTTON(widget(GTK_WIDGET(t.window), "daemon-button")));
	swb_gui_spin(200);
	state = swb_session_dup_state_text(on);
	g_assert_cmpstr(state, ==, "connected · 1 connection");
	list = widget(GTK_WIDGET(t.window), "socket-list");
	for (GtkWidget *row = gtk_widget_get_first_child(list); row != NULL;
	    row = gtk_widget_get_next_sibling(row))
		if (g_str_equal(adw_preferences_row_get_title(ADW_PREFERENCES_ROW(row)),
		    swb_session_get_socket_path(on)))
			g_assert_cmpstr(adw_action_row_get_subtitle(ADW_ACTION_ROW(row)), ==, state);
	gtk_menu_button_popdown(GTK_MENU_BUTTON(widget(GTK_WIDGET(t.window), "daemon-button")));
}

static SwbFleetDialog *
shown_dialog(void)
{
	GListModel *tops = gtk_window_get_toplevels();

	for (guint i = 0; i < g_list_model_get_n_items(tops); i++) {
		g_autoptr(GObject) w = g_list_model_get_item(tops, i);

		if (SWB_IS_FLEET_DIALOG(w) && gtk_widget_get_visible(GTK_WIDGET(w)))
			return SWB_FLEET_DIALOG(w);
	}
	return NULL;
}

static gboolean
outcomes_are(gpointer data)
{
	const char *const *want = data;
	SwbFleetDialog *d = shown_dialog();

	return d != NULL && g_strcmp0(swb_fleet_dialog_get_outcome(d, 0), want[0]) == 0 &&
	    g_strcmp0(swb_fleet_dialog_get_outcome(d, 1), want[1]) == 0;
}

static gboolean
editor_loaded(gpointer data)
{
	SwbPolicyModel *model = data;

	return swb_policy_model_get_revision(model) >= 1 &&
	    swb_policy_model_get_n_items(model, SWB_SECTION_ROUTE) == 1;
}

/* The idle timeout of the echo route as the daemon at socket runs it, and its revision. */
static gint64
daemon_idle(const char *socket, gint64 *revision)
{
	json_object *got = swb_gui_rpc(socket, "policy.get", NULL, NULL);
	json_object *policy, *routes, *v = NULL;
	gint64 idle = -1;

	g_assert_nonnull(got);
	*revision = json_object_get_int64(json_object_object_get(got, "revision"));
	policy = json_object_object_get(got, "policy");
	routes = json_object_object_get(policy, "routes");
	if (json_object_object_get_ex(json_object_array_get_idx(routes, 0), "idle_timeout_s", &v))
		idle = json_object_get_int64(v);
	json_object_put(got);
	return idle;
}

static void
test_apply_to_both(void)
{
	static const char *const applied[] = { "applied", "applied" };
	static const char *const one_gone[] = { "applied", "unreachable" };
	GtkWidget *editor = widget(GTK_WIDGET(t.window), "policy-editor");
	SwbPolicyModel *model = swb_policy_editor_get_model(SWB_POLICY_EDITOR(editor));
	SwbFleetDialog *dialog;
	gint64 revision[2];

	adw_view_stack_set_visible_child_name(ADW_VIEW_STACK(widget(GTK_WIDGET(t.window),
	    "view-stack")), "policy");
	g_assert_true(swb_test_wait_for(editor_loaded, model, WAIT_MS));
	/* the second daemon applies once on its own: the two revisions differ */
	{
		g_autofree char *text = NULL;
		g_autofree char *params = NULL;
		json_object *got;
		int code = 0;

		g_assert_true(g_file_get_contents(t.d[1].policy, &text, NULL, NULL));
		params = g_strdup_printf("{\"policy\": %s}", g_strchomp(text));
		got = swb_gui_rpc(t.d[1].socket, "policy.apply", params, &code);
		g_assert_cmpint(code, ==, 0);
		g_assert_nonnull(got);
		json_object_put(got);
	}
	g_assert_cmpint(daemon_idle(t.d[0].socket, &revision[0]), ==, -1);
	g_assert_cmpint(daemon_idle(t.d[1].socket, &revision[1]), ==, -1);
	g_assert_cmpint(revision[0], !=, revision[1]);
	swb_policy_model_set_text(model, SWB_SECTION_ROUTE, 0,
	    swb_policy_field_find(SWB_SECTION_ROUTE, "idle_timeout_s"), "77");
	g_assert_true(gtk_widget_activate_action(editor, "win.apply-to", NULL));
	dialog = shown_dialog();
	g_assert_nonnull(dialog);
	g_assert_true(gtk_check_button_get_active(GTK_CHECK_BUTTON(widget(GTK_WIDGET(dialog),
	    "fleet-check-1"))));
	g_signal_emit_by_name(widget(GTK_WIDGET(dialog), "fleet-apply"), "clicked");
	g_assert_true(swb_test_wait_for(outcomes_are, (gpointer)applied, WAIT_MS));
	/* each over its own revision: both run it now, one revision further each */
	for (int i = 0; i < 2; i++) {
		gint64 now;

		g_assert_cmpint(daemon_idle(t.d[i].socket, &now), ==, 77);
		g_assert_cmpint(now, ==, revision[i] + 1);
	}
	swb_gui_spin(300);
	swb_gui_save_png(GTK_WIDGET(dialog), "screenshot-apply-to.png");

	/* one daemon gone: the other still applies, and the gone one says so */
	stop(&t.d[1]);
	g_signal_emit_by_name(widget(GTK_WIDGET(dialog), "fleet-apply"), "clicked");
	g_assert_true(swb_test_wait_for(outcomes_are, (gpointer)one_gone, WAIT_MS));
	gtk_window_destroy(GTK_WINDOW(dialog));
}

static void
test_teardown(void)
{
	g_clear_object(&t.tunnel);
	gtk_window_destroy(GTK_WINDOW(t.window));
	g_clear_object(&t.window);
	for (int i = 0; i < 2; i++) {
		stop(&t.d[i]);
		swb_gui_remove_dir(t.d[i].dir);
		g_clear_pointer(&t.d[i].dir, g_free);
		g_clear_pointer(&t.d[i].socket, g_free);
		g_clear_pointer(&t.d[i].policy, g_free);
	}
	swb_gui_spin(100);
	g_clear_object(&t.app);
	g_clear_object(&t.listening);
}

int
main(int argc, char **argv)
{
	gtk_test_init(&argc, &argv, NULL);
	adw_init();
	g_test_add_func("/fleet/setup", test_setup);
	g_test_add_func("/fleet/switch-keeps-state", test_switch_keeps_state);
	g_test_add_func("/fleet/apply-to-both", test_apply_to_both);
	g_test_add_func("/fleet/teardown", test_teardown);
	return g_test_run();
}
