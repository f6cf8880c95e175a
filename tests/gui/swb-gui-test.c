/*
 * swb-gui-test.c - what the app's tests under Xvfb share: a real daemon in a
 * child process, upgrades made by hand, widgets found by name, screenshots
 */
#include "swb-gui-test.h"

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#include "swb-test.h"

static gboolean
never(gpointer data)
{
	return FALSE;
}

void
swb_gui_spin(guint ms)
{
	swb_test_wait_for(never, NULL, ms);
}

GtkWidget *
swb_gui_find_named(GtkWidget *root, const char *name)
{
	if (g_strcmp0(gtk_widget_get_name(root), name) == 0)
		return root;
	for (GtkWidget *c = gtk_widget_get_first_child(root); c != NULL;
	    c = gtk_widget_get_next_sibling(c)) {
		GtkWidget *found = swb_gui_find_named(c, name);

		if (found != NULL)
			return found;
	}
	return NULL;
}

GtkWidget *
swb_gui_widget(GtkWidget *root, const char *name)
{
	GtkWidget *w = swb_gui_find_named(root, name);

	if (w == NULL)
		g_error("no widget named %s", name);
	return w;
}

GtkColumnViewColumn *
swb_gui_column(GtkColumnView *view, const char *title)
{
	GListModel *columns = gtk_column_view_get_columns(view);

	for (guint i = 0; i < g_list_model_get_n_items(columns); i++) {
		g_autoptr(GtkColumnViewColumn) c = g_list_model_get_item(columns, i);

		if (g_str_equal(gtk_column_view_column_get_title(c), title))
			return c; /* the view keeps it */
	}
	g_error("no column titled %s", title);
}

guint16
swb_gui_free_port(void)
{
	g_autoptr(GSocket) s = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
	    G_SOCKET_PROTOCOL_TCP, NULL);
	g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) any = g_inet_socket_address_new(lo, 0);
	g_autoptr(GSocketAddress) bound = NULL;

	g_assert_true(g_socket_bind(s, any, TRUE, NULL));
	bound = g_socket_get_local_address(s, NULL);
	return g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
}

static gboolean
file_exists(gpointer data)
{
	return g_file_test(data, G_FILE_TEST_EXISTS);
}

/* The daemon must not outlive a test that aborts. */
static void
die_with_parent(gpointer data)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

GSubprocess *
swb_gui_start_daemon(const char *policy, const char *dir, const char *socket)
{
	g_autofree char *exe = g_build_filename(g_getenv("SB_BUILD_ROOT"), "daemon",
	    "switchboardd", NULL);
	g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(
	    G_SUBPROCESS_FLAGS_NONE);
	g_autoptr(GError) error = NULL;
	GSubprocess *daemon;

	g_subprocess_launcher_set_child_setup(launcher, die_with_parent, NULL, NULL);
	daemon = g_subprocess_launcher_spawn(launcher, &error, exe, "--policy", policy,
	    "--state-dir", dir, "--log-level", "warn", NULL);
	g_assert_no_error(error);
	g_assert_true(swb_test_wait_for(file_exists, (gpointer)socket, SWB_GUI_WAIT_MS));
	return daemon;
}

void
swb_gui_stop_daemon(GSubprocess **daemon)
{
	g_autoptr(GError) error = NULL;

	g_subprocess_send_signal(*daemon, SIGTERM);
	g_assert_true(g_subprocess_wait(*daemon, NULL, &error));
	g_assert_no_error(error);
	g_clear_object(daemon);
}

/* Reads until "\r\n\r\n" or ms pass, running the main loop meanwhile. (transfer full) */
static char *
read_head(GSocketConnection *conn, guint ms)
{
	GSocket *sock = g_socket_connection_get_socket(conn);
	g_autoptr(GString) head = g_string_new(NULL);
	gint64 deadline = g_get_monotonic_time() + (gint64)ms * 1000;

	while (strstr(head->str, "\r\n\r\n") == NULL && g_get_monotonic_time() < deadline) {
		char buf[512];
		gssize n = g_socket_receive(sock, buf, sizeof buf, NULL, NULL);

		if (n > 0)
			g_string_append_len(head, buf, n);
		else if (n == 0)
			break;
		else
			swb_gui_spin(10);
	}
	return g_string_free(g_steal_pointer(&head), FALSE);
}

GSocketConnection *
swb_gui_upgrade(guint16 port, const char *path, char **head)
{
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *request = g_strdup_printf("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Connection: Upgrade\r\nUpgrade: x-test\r\n\r\n", path);
	GSocketConnection *conn = g_socket_client_connect_to_host(client, "127.0.0.1", port,
	    NULL, &error);

	g_assert_no_error(error);
	g_socket_set_blocking(g_socket_connection_get_socket(conn), FALSE);
	g_assert_cmpint(g_socket_send(g_socket_connection_get_socket(conn), request,
	    strlen(request), NULL, &error), ==, (gssize)strlen(request));
	*head = read_head(conn, SWB_GUI_WAIT_MS);
	return conn;
}

void
swb_gui_save_png(GtkWidget *w, const char *name)
{
	int width = 0, height = 0;
	g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new(w);
	g_autoptr(GskRenderNode) node = NULL;
	g_autoptr(GdkTexture) texture = NULL;
	g_autofree char *path = g_build_filename(g_getenv("SB_BUILD_ROOT"), "tests", "gui", name,
	    NULL);
	const char *docs = g_getenv("SWB_SCREENSHOT_DOCS");

	/* on a busy machine the window may not be drawn yet: nothing to render; wait a while */
	for (int i = 0; node == NULL && i < 100; i++) {
		GtkSnapshot *snapshot = gtk_snapshot_new();

		if (i > 0)
			swb_gui_spin(20);
		width = gtk_widget_get_width(w);
		height = gtk_widget_get_height(w);
		gdk_paintable_snapshot(paintable, snapshot, width, height);
		node = gtk_snapshot_free_to_node(snapshot);
	}
	g_assert_nonnull(node);
	texture = gsk_renderer_render_texture(gtk_native_get_renderer(gtk_widget_get_native(w)),
	    node, &GRAPHENE_RECT_INIT(0, 0, width, height));
	g_assert_true(gdk_texture_save_to_png(texture, path));
	g_test_message("screenshot: %s", path);
	if (docs != NULL && docs[0] != '\0') {
		g_autofree char *folder = g_path_get_dirname(docs);
		g_autofree char *copy = g_build_filename(folder, name, NULL);

		g_assert_true(gdk_texture_save_to_png(texture, copy));
	}
}

json_object *
swb_gui_rpc(const char *socket, const char *method, const char *params_json, int *code)
{
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GSocketAddress) address = g_unix_socket_address_new(socket);
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocketConnection) conn = g_socket_client_connect(client,
	    G_SOCKET_CONNECTABLE(address), NULL, &error);
	g_autofree char *request = g_strdup_printf("{\"jsonrpc\": \"2.0\", \"id\": 1,"
	    " \"method\": \"%s\"%s%s}\n", method, params_json != NULL ? ", \"params\": " : "",
	    params_json != NULL ? params_json : "");
	g_autoptr(GDataInputStream) in = NULL;
	g_autofree char *line = NULL;
	json_object *answer, *v = NULL, *result = NULL;

	g_assert_no_error(error);
	g_assert_true(g_output_stream_write_all(g_io_stream_get_output_stream(G_IO_STREAM(conn)),
	    request, strlen(request), NULL, NULL, &error));
	g_assert_no_error(error);
	in = g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(conn)));
	g_data_input_stream_set_newline_type(in, G_DATA_STREAM_NEWLINE_TYPE_LF);
	line = g_data_input_stream_read_line(in, NULL, NULL, &error);
	g_assert_no_error(error);
	g_assert_nonnull(line);
	answer = json_tokener_parse(line);
	g_assert_nonnull(answer);
	if (json_object_object_get_ex(answer, "result", &v))
		result = json_object_get(v);
	else if (code != NULL && json_object_object_get_ex(answer, "error", &v) &&
	    json_object_object_get_ex(v, "code", &v))
		*code = json_object_get_int(v);
	json_object_put(answer);
	return result;
}

void
swb_gui_remove_dir(const char *dir)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GDir) d = g_dir_open(dir, 0, &error);
	const char *name;

	g_assert_no_error(error);
	while ((name = g_dir_read_name(d)) != NULL) {
		g_autofree char *path = g_build_filename(dir, name, NULL);

		if (g_file_test(path, G_FILE_TEST_IS_DIR))
			swb_gui_remove_dir(path);
		else
			g_unlink(path);
	}
	g_rmdir(dir);
}

void
swb_gui_daemon_setup(SwbGuiDaemon *g, const char *prefix, const char *routes_json)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *tmpl = g_strdup_printf("%s-XXXXXX", prefix);
	g_autofree char *text = NULL;

	g->dir = g_dir_make_tmp(tmpl, &error);
	g_assert_no_error(error);
	g->socket = g_build_filename(g->dir, "control.sock", NULL);
	g->policy = g_build_filename(g->dir, "policy.json", NULL);
	g->port = swb_gui_free_port();
	text = g_strdup_printf("{\"version\": 1,"
	    " \"listeners\": [{\"name\": \"plain\", \"bind\": \"127.0.0.1:%u\"}],"
	    " \"routes\": %s, \"control\": {\"socket\": \"%s\"},"
	    " \"limits\": {\"drain_timeout_s\": 1}}\n", g->port, routes_json, g->socket);
	g_assert_true(g_file_set_contents(g->policy, text, -1, &error));
	g->daemon = swb_gui_start_daemon(g->policy, g->dir, g->socket);
	g->app = swb_application_new();
	g_application_set_flags(G_APPLICATION(g->app), G_APPLICATION_NON_UNIQUE);
	g_assert_true(g_application_register(G_APPLICATION(g->app), NULL, &error));
	g_assert_no_error(error);
}

void
swb_gui_daemon_teardown(SwbGuiDaemon *g)
{
	swb_gui_stop_daemon(&g->daemon);
	swb_gui_spin(100);
	g_clear_object(&g->app);
	swb_gui_remove_dir(g->dir);
	g_clear_pointer(&g->dir, g_free);
	g_clear_pointer(&g->socket, g_free);
	g_clear_pointer(&g->policy, g_free);
}
