/*
 * test-remote.c - the app reaches a daemon through a real sshd (with_sshd.py
 * starts one): an ssh:// daemon's live connections show, and a key sshd
 * refuses shows ssh's own text on the not-connected page
 */
#include <adwaita.h>
#include <gio/gio.h>
#include <string.h>

#include "swb-application.h"
#include "swb-gui-test.h"
#include "swb-test.h"
#include "swb-window.h"

/* ssh logs in first: more time than for a socket */
#define WAIT_MS (4 * SWB_GUI_WAIT_MS)

static struct {
	SwbGuiDaemon g;
	char *url;
	SwbWindow *window;
	GSocketConnection *tunnel;
} t;

static GtkWidget *
widget(const char *name)
{
	GtkWidget *w = swb_gui_find_named(GTK_WIDGET(t.window), name);

	g_assert_nonnull(w);
	return w;
}

static SwbClient *
client(void)
{
	return swb_session_get_client(swb_window_get_session(t.window));
}

static gboolean
is_connected(gpointer data)
{
	return swb_client_get_connected(client());
}

static gboolean
one_row(gpointer data)
{
	GtkColumnView *view = GTK_COLUMN_VIEW(widget("connection-view"));

	return g_list_model_get_n_items(G_LIST_MODEL(gtk_column_view_get_model(view))) == 1;
}

static void
test_setup(void)
{
	if (g_getenv("SWB_TEST_SSH_TARGET") == NULL) {
		g_test_skip("no sshd: run through with_sshd.py");
		return;
	}
	swb_gui_daemon_setup(&t.g, "swb-remote", "[{\"name\": \"echo\","
	    "   \"match\": {\"path\": \"/echo\", \"upgrade\": \"*\"},"
	    "   \"mode\": \"tunnel\", \"backend\": \"builtin:echo\"}]");
	t.url = g_strdup_printf("ssh://%s%s", g_getenv("SWB_TEST_SSH_TARGET"), t.g.socket);
}

/* Through ssh and switchboardctl relay: connected, and a live tunnel is a row. */
static void
test_live_connections(void)
{
	g_autofree char *head = NULL;

	if (t.g.app == NULL) {
		g_test_skip("no sshd");
		return;
	}
	t.window = g_object_ref(swb_application_open_socket(t.g.app, t.url));
	g_assert_true(swb_test_wait_for(is_connected, NULL, WAIT_MS));
	t.tunnel = swb_gui_upgrade(t.g.port, "/echo", &head);
	g_assert_true(g_str_has_prefix(head, "HTTP/1.1 101"));
	g_assert_true(swb_test_wait_for(one_row, NULL, WAIT_MS));
	swb_gui_spin(300);
	swb_gui_save_png(GTK_WIDGET(t.window), "screenshot-ssh.png");
}

static gboolean
says_denied(gpointer data)
{
	const char *text = adw_status_page_get_description(ADW_STATUS_PAGE(
	    widget("offline-page")));

	return !is_connected(NULL) && text != NULL &&
	    strstr(text, "Permission denied (publickey)") != NULL;
}

/* A key sshd refuses: ssh's own words on the page, and the note that keys are needed. */
static void
test_refused_key(void)
{
	g_autofree char *other = NULL;
	const char *text;

	if (t.g.app == NULL) {
		g_test_skip("no sshd");
		return;
	}
	g_setenv("SWITCHBOARD_SSH", g_getenv("SWB_TEST_SSH_STRANGER"), TRUE);
	/* another address of the same daemon: a session of its own */
	other = g_strdup_printf("ssh://%s/%s", g_getenv("SWB_TEST_SSH_TARGET"), t.g.socket);
	swb_application_open_socket(t.g.app, other);
	g_assert_true(swb_test_wait_for(says_denied, NULL, WAIT_MS));
	text = adw_status_page_get_description(ADW_STATUS_PAGE(widget("offline-page")));
	g_assert_nonnull(strstr(text, "it needs a key"));
	swb_gui_spin(300);
	swb_gui_save_png(GTK_WIDGET(t.window), "screenshot-ssh-refused.png");
}

static void
test_teardown(void)
{
	if (t.g.app == NULL)
		return;
	g_clear_object(&t.tunnel);
	if (t.window != NULL)
		gtk_window_destroy(GTK_WINDOW(t.window));
	g_clear_object(&t.window);
	swb_gui_daemon_teardown(&t.g);
	g_clear_pointer(&t.url, g_free);
}

int
main(int argc, char **argv)
{
	gtk_test_init(&argc, &argv, NULL);
	adw_init();
	g_test_add_func("/remote/setup", test_setup);
	g_test_add_func("/remote/live-connections", test_live_connections);
	g_test_add_func("/remote/refused-key", test_refused_key);
	g_test_add_func("/remote/teardown", test_teardown);
	return g_test_run();
}
