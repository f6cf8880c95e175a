/*
 * test-remote.c - the app reaches a daemon through a real sshd (with_sshd.py
 * starts one): an ssh:// daemon's live connections show; sshd going away
 * shows ssh's reason and the app, by itself, connects again when it is back;
 * so it does when the session stops answering without closing; a key sshd
 * refuses shows ssh's own text on the not-connected page
 */
#include <adwaita.h>
#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <string.h>

#include "swb-application.h"
#include "swb-gui-test.h"
#include "swb-test.h"
#include "swb-window.h"

/* ssh logs in first: more time than for a socket */
#define WAIT_MS (4 * SWB_GUI_WAIT_MS)
/* sshd back: the app's longest wait between two attempts (8 s), then ssh's login */
#define RECONNECT_MS (8000 + WAIT_MS)
/* a session that stops answering: ssh gives up after 3 keepalives 5 s apart */
#define SILENCE_MS (15000 + WAIT_MS)

static struct {
	SwbGuiDaemon g;
	char *url;
	SwbWindow *window;
	GSocketConnection *tunnel, *tunnel2;
	GString *errors;
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

/* the connection list has GPOINTER_TO_UINT(data) rows */
static gboolean
has_rows(gpointer data)
{
	GtkColumnView *view = GTK_COLUMN_VIEW(widget("connection-view"));

	return g_list_model_get_n_items(G_LIST_MODEL(gtk_column_view_get_model(view))) ==
	    GPOINTER_TO_UINT(data);
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
	g_assert_true(swb_test_wait_for(has_rows, GUINT_TO_POINTER(1), WAIT_MS));
	swb_gui_spin(300);
	swb_gui_save_png(GTK_WIDGET(t.window), "screenshot-ssh.png");
}

/* "stop" or "start" to with_sshd.py, which answers "ok" once sshd is gone or listens again. */
static void
sshd_command(const char *command)
{
	g_autoptr(GSocketClient) sc = g_socket_client_new();
	g_autoptr(GSocketAddress) address = g_unix_socket_address_new(
	    g_getenv("SWB_TEST_SSHD_CONTROL"));
	g_autoptr(GSocketConnection) conn = NULL;
	g_autoptr(GDataInputStream) in = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *line = g_strconcat(command, "\n", NULL);
	g_autofree char *answer = NULL;

	g_socket_client_set_timeout(sc, 60); /* bounds the answer's read too */
	conn = g_socket_client_connect(sc, G_SOCKET_CONNECTABLE(address), NULL, &error);
	g_assert_no_error(error);
	g_assert_true(g_output_stream_write_all(g_io_stream_get_output_stream(G_IO_STREAM(conn)),
	    line, strlen(line), NULL, NULL, &error));
	g_assert_no_error(error);
	in = g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(conn)));
	answer = g_data_input_stream_read_line(in, NULL, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(answer, ==, "ok");
}

static const char *
offline_text(void)
{
	return adw_status_page_get_description(ADW_STATUS_PAGE(widget("offline-page")));
}

static gboolean
is_disconnected(gpointer data)
{
	return !is_connected(NULL);
}

/* not connected, ssh's words (data) on the page, and the next attempt due */
static gboolean
says(gpointer data)
{
	const char *text = offline_text();

	return !is_connected(NULL) && text != NULL && strstr(text, data) != NULL &&
	    swb_client_get_retry_at(client()) > 0;
}

/* as says(), with any of ssh's words for a session whose connection ended */
static gboolean
says_lost(gpointer data)
{
	/* ssh noticed it reading (the close), or writing (a reset) */
	return says("Connection to 127.0.0.1 closed by remote host") ||
	    says("client_loop: send disconnect: Broken pipe") ||
	    says("Connection reset by peer");
}

/* as says(), with the next attempt more than 3 s away: four attempts have failed */
static gboolean
backed_off(gpointer data)
{
	return says(data) &&
	    swb_client_get_retry_at(client()) - g_get_monotonic_time() > 3 * G_USEC_PER_SEC;
}

/* Every reason the client gives, in t.errors: a failure shows what came instead. */
static void
on_error(GObject *o, GParamSpec *p, gpointer data)
{
	const char *error = swb_client_get_error(SWB_CLIENT(o));

	g_string_append_printf(t.errors, "\n  %s", error != NULL ? error : "(none)");
}

static gboolean
counts_down(gpointer data)
{
	return g_str_has_prefix(gtk_label_get_label(GTK_LABEL(widget("retry-label"))),
	    "Trying again in ");
}

/*
 * sshd goes away with the session: the not-connected page names the address
 * and ssh's reason, and counts down to the next attempt; when sshd is back
 * the app connects again by itself, and the list is live again (a tunnel
 * opened meanwhile is there).
 */
static void
test_sshd_returns(void)
{
	g_autofree char *head = NULL;
	g_autofree char *refused = NULL;

	if (t.g.app == NULL) {
		g_test_skip("no sshd");
		return;
	}
	g_assert_true(is_connected(NULL));
	t.errors = g_string_new("reasons since sshd stopped:");
	g_signal_connect(client(), "notify::error", G_CALLBACK(on_error), NULL);
	sshd_command("stop");
	g_assert_true(swb_test_wait_for(is_disconnected, NULL, WAIT_MS));
	g_assert_nonnull(strstr(offline_text(), t.url));
	if (!swb_test_wait_for(says_lost, NULL, WAIT_MS))
		g_error("not ssh's words for a lost session; %s", t.errors->str);

	refused = g_strdup_printf("port %s: Connection refused",
	    strrchr(g_getenv("SWB_TEST_SSH_TARGET"), ':') + 1);
	g_assert_true(swb_test_wait_for(says, refused, WAIT_MS));
	g_assert_true(swb_test_wait_for(counts_down, NULL, WAIT_MS));

	/* a longer outage: attempts further apart, each failing with the same words */
	g_assert_true(swb_test_wait_for(backed_off, refused, RECONNECT_MS));
	t.tunnel2 = swb_gui_upgrade(t.g.port, "/echo", &head);
	g_assert_true(g_str_has_prefix(head, "HTTP/1.1 101"));
	sshd_command("start");
	g_assert_true(swb_test_wait_for(is_connected, NULL, RECONNECT_MS));
	g_assert_null(swb_client_get_error(client()));
	g_assert_true(swb_test_wait_for(has_rows, GUINT_TO_POINTER(2), WAIT_MS));
	g_signal_handlers_disconnect_by_func(client(), on_error, NULL);
}

/*
 * The session stops answering but stays open, as over a network that drops:
 * ssh's keepalive gives up, its words are on the page, and the app connects
 * again through sshd, which still takes new sessions.
 */
static void
test_session_hangs(void)
{
	if (t.g.app == NULL) {
		g_test_skip("no sshd");
		return;
	}
	g_assert_true(is_connected(NULL));
	sshd_command("freeze");
	g_assert_true(swb_test_wait_for(says, "Timeout, server 127.0.0.1 not responding",
	    SILENCE_MS));
	g_assert_true(swb_test_wait_for(is_connected, NULL, RECONNECT_MS));
	sshd_command("thaw");
	g_assert_true(swb_test_wait_for(has_rows, GUINT_TO_POINTER(2), WAIT_MS));
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
	g_clear_object(&t.tunnel2);
	if (t.errors != NULL)
		g_string_free(t.errors, TRUE);
	t.errors = NULL;
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
	g_test_add_func("/remote/sshd-returns", test_sshd_returns);
	g_test_add_func("/remote/session-hangs", test_session_hangs);
	g_test_add_func("/remote/refused-key", test_refused_key);
	g_test_add_func("/remote/teardown", test_teardown);
	return g_test_run();
}
