/* swb-application.c - the app: command line, sessions by socket, settings, app actions */
#include "swb-application.h"

#include <stdlib.h>

#include "sb-config.h"
#include "sb-control.h"
#include "sb-ssh.h"
#include "swb-resources.h"

struct _SwbApplication {
	AdwApplication parent_instance;

	SwbSettings *settings;
	GHashTable *sessions; /* socket path -> SwbSession */
	GListStore *session_list; /* the same sessions, in the order they were opened */
	SwbWindow *window;    /* weak */
};

G_DEFINE_FINAL_TYPE(SwbApplication, swb_application, ADW_TYPE_APPLICATION)

static const GOptionEntry cli_options[] = {
	{ "socket", 's', 0, G_OPTION_ARG_FILENAME, NULL,
	  "The daemon's control socket, or ssh://[USER@]HOST[:PORT][/PATH] for a daemon "
	  "on another machine (default: the last one used)", "PATH" },
	{ "version", 0, 0, G_OPTION_ARG_NONE, NULL, "Print the version and exit", NULL },
	{ NULL },
};

SwbSettings *
swb_application_get_settings(SwbApplication *self)
{
	return self->settings;
}

SwbSession *
swb_application_get_session(SwbApplication *self, const char *socket_path)
{
	SwbSession *session = g_hash_table_lookup(self->sessions, socket_path);

	if (session != NULL)
		return session;
	session = swb_session_new(socket_path);
	g_hash_table_insert(self->sessions, g_strdup(socket_path), session);
	g_list_store_append(self->session_list, session);
	swb_session_start(session);
	return session;
}

SwbWindow *
swb_application_open_socket(SwbApplication *self, const char *socket_path)
{
	g_return_val_if_fail(SWB_IS_APPLICATION(self), NULL);
	g_return_val_if_fail(socket_path != NULL && socket_path[0] != '\0', NULL);
	if (self->window == NULL) {
		self->window = swb_window_new(GTK_APPLICATION(self), self->settings);
		swb_window_set_sessions(self->window, G_LIST_MODEL(self->session_list));
		g_object_add_weak_pointer(G_OBJECT(self->window), (gpointer *)&self->window);
	}
	swb_settings_remember_socket(self->settings, socket_path);
	swb_window_set_session(self->window, swb_application_get_session(self, socket_path));
	gtk_window_present(GTK_WINDOW(self->window));
	return self->window;
}

void
swb_application_forget_socket(SwbApplication *self, const char *socket_path)
{
	SwbSession *shown = self->window != NULL ? swb_window_get_session(self->window) : NULL;
	SwbSession *session;
	guint at;

	g_return_if_fail(SWB_IS_APPLICATION(self));
	swb_settings_forget_socket(self->settings, socket_path);
	session = g_hash_table_lookup(self->sessions, socket_path);
	if (session == NULL || session == shown)
		return;
	if (g_list_store_find(self->session_list, session, &at))
		g_list_store_remove(self->session_list, at);
	g_hash_table_remove(self->sessions, socket_path);
}

/* The last socket used, else the daemon's default. (transfer full) */
static char *
initial_socket(SwbApplication *self)
{
	const char *last = swb_settings_get_last_socket(self->settings);
	char *fallback;
	char *path;

	if (last != NULL && last[0] != '\0')
		return g_strdup(last);
	fallback = sb_control_default_socket();
	path = g_strdup(fallback);
	free(fallback);
	return path;
}

static void
swb_application_activate(GApplication *app)
{
	SwbApplication *self = SWB_APPLICATION(app);
	g_autofree char *path = NULL;

	if (self->window != NULL) {
		gtk_window_present(GTK_WINDOW(self->window));
		return;
	}
	path = initial_socket(self);
	swb_application_open_socket(self, path);
}

static int
swb_application_handle_local_options(GApplication *app, GVariantDict *options)
{
	if (g_variant_dict_contains(options, "version")) {
		g_print("switchboard %s\n", SB_VERSION);
		return EXIT_SUCCESS;
	}
	return -1;
}

static int
swb_application_command_line(GApplication *app, GApplicationCommandLine *cmdline)
{
	SwbApplication *self = SWB_APPLICATION(app);
	GVariantDict *options = g_application_command_line_get_options_dict(cmdline);
	g_autofree char *socket = NULL;

	if (!g_variant_dict_lookup(options, "socket", "^ay", &socket)) {
		g_application_activate(app);
		return EXIT_SUCCESS;
	}
	/* relative to where the command ran, which may not be where we run; ssh:// as it is */
	if (!g_path_is_absolute(socket) && !sb_ssh_is_url(socket)) {
		g_autofree char *relative = g_steal_pointer(&socket);

		socket = g_build_filename(g_application_command_line_get_cwd(cmdline), relative,
		    NULL);
	}
	swb_application_open_socket(self, socket);
	return EXIT_SUCCESS;
}

static void
quit_activated(GSimpleAction *action, GVariant *param, gpointer data)
{
	g_application_quit(G_APPLICATION(data));
}

static void
about_activated(GSimpleAction *action, GVariant *param, gpointer data)
{
	GtkApplication *app = GTK_APPLICATION(data);

	adw_show_about_window(gtk_application_get_active_window(app),
	    "application-name", "Switchboard",
	    "application-icon", SB_APP_ID,
	    "version", SB_VERSION,
	    "developer-name", "The Switchboard authors",
	    "license-type", GTK_LICENSE_MIT_X11,
	    "comments", "Watch and steer an HTTP upgrade gateway",
	    NULL);
}

static void
open_socket_activated(GSimpleAction *action, GVariant *param, gpointer data)
{
	swb_application_open_socket(SWB_APPLICATION(data), g_variant_get_string(param, NULL));
}

static void
forget_socket_activated(GSimpleAction *action, GVariant *param, gpointer data)
{
	swb_application_forget_socket(SWB_APPLICATION(data), g_variant_get_string(param, NULL));
}

/* The window's menu and rows use these too: it calls nothing of ours. */
static const GActionEntry app_actions[] = {
	{ "quit", quit_activated, NULL, NULL, NULL, { 0 } },
	{ "about", about_activated, NULL, NULL, NULL, { 0 } },
	{ "open-socket", open_socket_activated, "s", NULL, NULL, { 0 } },
	{ "forget-socket", forget_socket_activated, "s", NULL, NULL, { 0 } },
};

static void
swb_application_startup(GApplication *app)
{
	static const char *const quit_accels[] = { "<Control>q", NULL };
	static const char *const search_accels[] = { "<Control>f", NULL };

	G_APPLICATION_CLASS(swb_application_parent_class)->startup(app);
	/* here, not at init: --help and --version need no schema */
	SWB_APPLICATION(app)->settings = swb_settings_new();
	g_action_map_add_action_entries(G_ACTION_MAP(app), app_actions,
	    G_N_ELEMENTS(app_actions), app);
	gtk_application_set_accels_for_action(GTK_APPLICATION(app), "app.quit", quit_accels);
	gtk_application_set_accels_for_action(GTK_APPLICATION(app), "win.search", search_accels);
}

SwbApplication *
swb_application_new(void)
{
	return g_object_new(SWB_TYPE_APPLICATION,
	    "application-id", SB_APP_ID,
	    "flags", G_APPLICATION_HANDLES_COMMAND_LINE,
	    "resource-base-path", "/org/switchboard/Switchboard",
	    NULL);
}

static void
swb_application_dispose(GObject *object)
{
	SwbApplication *self = SWB_APPLICATION(object);

	if (self->session_list != NULL)
		g_list_store_remove_all(self->session_list);
	g_clear_object(&self->session_list);
	g_clear_pointer(&self->sessions, g_hash_table_unref);
	g_clear_object(&self->settings);
	G_OBJECT_CLASS(swb_application_parent_class)->dispose(object);
}

static void
swb_application_class_init(SwbApplicationClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	GApplicationClass *app_class = G_APPLICATION_CLASS(klass);

	object_class->dispose = swb_application_dispose;
	app_class->activate = swb_application_activate;
	app_class->startup = swb_application_startup;
	app_class->command_line = swb_application_command_line;
	app_class->handle_local_options = swb_application_handle_local_options;
	/* before any widget class loads its template */
	swb_register_resource();
}

static void
swb_application_init(SwbApplication *self)
{
	self->sessions = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_object_unref);
	self->session_list = g_list_store_new(SWB_TYPE_SESSION);
	g_application_add_main_option_entries(G_APPLICATION(self), cli_options);
}
