/*
 * test-backends.c - the Backends page under Xvfb, against a real daemon whose
 * route has two servers, one on a dead port: both are shown with their states,
 * and Drain in the app is what backends.list then says. The policy editor's
 * server list edits the pool: a bad weight is named at its server as you
 * type, and a server added there is on the Backends page once applied.
 * Saves screenshots.
 */
#include <adwaita.h>
#include <gio/gio.h>
#include <string.h>

#include "swb-application.h"
#include "swb-gui-test.h"
#include "swb-policy-editor.h"
#include "swb-test.h"
#include "swb-window.h"

#define WAIT_MS SWB_GUI_WAIT_MS

static struct {
	SwbGuiDaemon g;
	SwbWindow *window;
	SwbSession *session;
	GSocketService *live;      /* the server that answers */
	GPtrArray *accepted;       /* its connections, kept open */
	char *live_address;
	char *dead_address;
	GSocketConnection *tunnel; /* through the pool */
} t;

static GtkWidget *
widget(const char *name)
{
	GtkWidget *w = swb_gui_find_named(GTK_WIDGET(t.window), name);

	g_assert_nonnull(w);
	return w;
}

static gboolean
on_incoming(GSocketService *service, GSocketConnection *conn, GObject *source, gpointer data)
{
	g_ptr_array_add(t.accepted, g_object_ref(conn));
	return TRUE;
}

static gboolean
is_connected(gpointer data)
{
	return swb_client_get_connected(swb_session_get_client(t.session));
}

/* The state of a server as the daemon's own backends.list says, on a connection of our own. */
static char *
daemon_state(const char *address)
{
	json_object *list = swb_gui_rpc(t.g.socket, "backends.list", NULL, NULL);
	char *state = NULL;

	g_assert_nonnull(list);
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *e = json_object_array_get_idx(list, i), *v;

		if (json_object_object_get_ex(e, "address", &v) &&
		    g_str_equal(json_object_get_string(v), address) &&
		    json_object_object_get_ex(e, "state", &v))
			state = g_strdup(json_object_get_string(v));
	}
	json_object_put(list);
	return state;
}

/* The row the page shows for address (the view's own model), or NULL. */
static SwbBackend *
shown(const char *address)
{
	GListModel *rows = G_LIST_MODEL(gtk_column_view_get_model(GTK_COLUMN_VIEW(
	    widget("backend-view"))));

	for (guint i = 0; i < g_list_model_get_n_items(rows); i++) {
		g_autoptr(SwbBackend) b = g_list_model_get_item(rows, i);

		if (g_strcmp0(swb_backend_get_address(b), address) == 0)
			return b; /* the model keeps it */
	}
	return NULL;
}

static gboolean
shows_state(gpointer data)
{
	const char *const *want = data; /* address, state */
	SwbBackend *b = shown(want[0]);

	return b != NULL && g_str_equal(swb_backend_get_state(b), want[1]);
}

/*
 * The page has counted what happened before it was shown: its first list may
 * predate the upgrade, and counters follow on the page's next poll.
 */
static gboolean
shows_counts(gpointer data)
{
	SwbBackend *dead = shown(t.dead_address), *live = shown(t.live_address);

	(void)data;
	return dead != NULL && live != NULL && swb_backend_get_failures(dead) >= 1 &&
	    swb_backend_get_last_error(dead) != NULL && swb_backend_get_total(live) >= 1;
}

static gboolean
daemon_says(gpointer data)
{
	const char *const *want = data; /* address, state */
	g_autofree char *state = daemon_state(want[0]);

	return g_strcmp0(state, want[1]) == 0;
}

/* A server's switch button on the page: "backend-drain-pool-127.0.0.1:PORT". */
static GtkToggleButton *
switch_button(const char *state, const char *address)
{
	g_autofree char *name = g_strdup_printf("backend-%s-pool-%s", state, address);

	return GTK_TOGGLE_BUTTON(widget(name));
}

static void
test_setup(void)
{
	g_autoptr(GError) error = NULL;
	guint16 live_port, dead_port = swb_gui_free_port();
	g_autofree char *routes = NULL;
	g_autofree char *head = NULL;

	t.accepted = g_ptr_array_new_with_free_func(g_object_unref);
	t.live = g_socket_service_new();
	live_port = g_socket_listener_add_any_inet_port(G_SOCKET_LISTENER(t.live), NULL, &error);
	g_assert_no_error(error);
	g_signal_connect(t.live, "incoming", G_CALLBACK(on_incoming), NULL);
	t.live_address = g_strdup_printf("127.0.0.1:%u", live_port);
	t.dead_address = g_strdup_printf("127.0.0.1:%u", dead_port);
	/* "first": the dead server is tried first and fails; the upgrade fails over */
	routes = g_strdup_printf("[{\"name\": \"pool\","
	    " \"match\": {\"path\": \"/pool\", \"upgrade\": \"*\"}, \"mode\": \"tunnel\","
	    " \"backend\": {\"servers\": [\"%s\", {\"address\": \"%s\", \"weight\": 3}],"
	    "   \"balance\": \"first\"}}]", t.dead_address, t.live_address);
	swb_gui_daemon_setup(&t.g, "swb-backends", routes);
	t.window = g_object_ref(swb_application_open_socket(t.g.app, t.g.socket));
	t.session = swb_window_get_session(t.window);
	g_assert_true(swb_test_wait_for(is_connected, NULL, WAIT_MS));
	t.tunnel = swb_gui_upgrade(t.g.port, "/pool", &head);
	g_assert_true(g_str_has_prefix(head, "HTTP/1.1 101"));
}

/*
 * Both servers, each with the state the daemon gives it (without health
 * checks a refused connect counts as a failure, and only checks mark a
 * server down); the dead one says why.
 */
static void
test_states(void)
{
	g_autofree char *dead_state = daemon_state(t.dead_address);
	const char *dead_want[] = { t.dead_address, dead_state };
	const char *live_up[] = { t.live_address, "up" };
	SwbBackend *dead, *live;

	g_assert_nonnull(dead_state);
	g_test_message("the dead server is %s", dead_state);
	adw_view_stack_set_visible_child_name(ADW_VIEW_STACK(widget("view-stack")), "backends");
	g_assert_true(swb_test_wait_for(shows_state, (gpointer)dead_want, WAIT_MS));
	g_assert_true(swb_test_wait_for(shows_state, (gpointer)live_up, WAIT_MS));
	g_assert_cmpuint(g_list_model_get_n_items(G_LIST_MODEL(gtk_column_view_get_model(
	    GTK_COLUMN_VIEW(widget("backend-view"))))), ==, 2);
	g_assert_true(swb_test_wait_for(shows_counts, NULL, WAIT_MS));
	dead = shown(t.dead_address);
	live = shown(t.live_address);
	g_assert_cmpuint(swb_backend_get_failures(dead), >=, 1);
	g_assert_nonnull(swb_backend_get_last_error(dead));
	g_assert_cmpuint(swb_backend_get_weight(live), ==, 3);
	g_assert_cmpuint(swb_backend_get_total(live), >=, 1);
	/* each row has its switch, at Ready */
	swb_gui_spin(200);
	g_assert_true(gtk_toggle_button_get_active(switch_button("ready", t.live_address)));
	g_assert_true(gtk_toggle_button_get_active(switch_button("ready", t.dead_address)));
	g_assert_false(gtk_toggle_button_get_active(switch_button("drain", t.live_address)));
}

/* Drain from the app: the daemon says drain, and the page follows its event. */
static void
test_drain_from_app(void)
{
	const char *live_drain[] = { t.live_address, "drain" };
	const char *live_up[] = { t.live_address, "up" };
	g_autofree char *before = daemon_state(t.live_address);

	g_assert_cmpstr(before, ==, "up");
	gtk_toggle_button_set_active(switch_button("drain", t.live_address), TRUE);
	g_assert_true(swb_test_wait_for(daemon_says, (gpointer)live_drain, WAIT_MS));
	g_assert_true(swb_test_wait_for(shows_state, (gpointer)live_drain, WAIT_MS));
	g_assert_false(gtk_toggle_button_get_active(switch_button("ready", t.live_address)));
	swb_gui_spin(300);
	swb_gui_save_png(GTK_WIDGET(t.window), "screenshot-backends.png");

	gtk_toggle_button_set_active(switch_button("ready", t.live_address), TRUE);
	g_assert_true(swb_test_wait_for(daemon_says, (gpointer)live_up, WAIT_MS));
	g_assert_true(swb_test_wait_for(shows_state, (gpointer)live_up, WAIT_MS));
}

/* Counters move without events: the page asks again while it is shown. */
static gboolean
shows_total(gpointer data)
{
	SwbBackend *b = shown(t.live_address);

	return b != NULL && swb_backend_get_total(b) >= GPOINTER_TO_UINT(data);
}

static void
test_counters_refresh(void)
{
	guint64 total = swb_backend_get_total(shown(t.live_address));
	g_autofree char *head = NULL;
	g_autoptr(GSocketConnection) another = swb_gui_upgrade(t.g.port, "/pool", &head);

	g_assert_true(g_str_has_prefix(head, "HTTP/1.1 101"));
	g_assert_true(swb_test_wait_for(shows_total, GUINT_TO_POINTER((guint)total + 1),
	    2 * WAIT_MS));
}

/* A pool editor widget: "pool-WHAT-I". */
static GtkWidget *
find(const char *what, guint i)
{
	g_autofree char *name = g_strdup_printf("pool-%s-%u", what, i);

	return swb_gui_find_named(GTK_WIDGET(t.window), name);
}

static gboolean
has_class(gpointer data)
{
	const char *const *want = data; /* widget name, class */
	GtkWidget *w = swb_gui_find_named(GTK_WIDGET(t.window), want[0]);

	return w != NULL && gtk_widget_has_css_class(w, want[1]);
}

static gboolean
lacks_class(gpointer data)
{
	return !has_class(data);
}

static gboolean
apply_sensitive(gpointer data)
{
	return gtk_widget_is_sensitive(widget("apply-button"));
}

static gboolean
shows_servers(gpointer data)
{
	return g_list_model_get_n_items(G_LIST_MODEL(gtk_column_view_get_model(GTK_COLUMN_VIEW(
	    widget("backend-view"))))) == GPOINTER_TO_UINT(data);
}

static const char *
backend_json(SwbPolicyModel *model)
{
	json_object *routes = json_object_object_get(swb_policy_model_get_document(model),
	    "routes");
	json_object *backend = json_object_object_get(json_object_array_get_idx(routes, 0),
	    "backend");

	return json_object_to_json_string_ext(backend, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
}

/*
 * The route's servers in the editor: each with its weight; a bad weight is an
 * error on its own row as you type; a third server and a balance go into the
 * route's backend, and once applied the Backends page lists three.
 */
static void
test_pool_editor(void)
{
	SwbPolicyEditor *editor = SWB_POLICY_EDITOR(widget("policy-editor"));
	SwbPolicyModel *model = swb_policy_editor_get_model(editor);
	g_autofree char *third = g_strdup_printf("127.0.0.1:%u", swb_gui_free_port());
	g_autofree char *expect = NULL;
	const char *bad_weight[] = { "pool-address-1", "error" };

	adw_view_stack_set_visible_child_name(ADW_VIEW_STACK(widget("view-stack")), "policy");
	swb_policy_editor_select(editor, SWB_SECTION_ROUTE, 0);
	swb_gui_spin(200);
	g_assert_cmpstr(gtk_editable_get_text(GTK_EDITABLE(find("address", 0))), ==,
	    t.dead_address);
	g_assert_cmpstr(gtk_editable_get_text(GTK_EDITABLE(find("address", 1))), ==,
	    t.live_address);
	g_assert_cmpstr(gtk_editable_get_text(GTK_EDITABLE(find("weight", 1))), ==, "3");
	g_assert_cmpuint(adw_combo_row_get_selected(ADW_COMBO_ROW(widget("pool-balance"))), ==,
	    4); /* Default, round_robin, least_connections, source_hash, first */
	g_assert_null(find("address", 2));

	/* validated as typed: common/'s validator names routes[0].backend.servers[1].weight */
	gtk_editable_set_text(GTK_EDITABLE(find("weight", 1)), "3x");
	g_assert_true(swb_test_wait_for(has_class, (gpointer)bad_weight, WAIT_MS));
	g_assert_nonnull(strstr(adw_preferences_row_get_title(ADW_PREFERENCES_ROW(
	    find("address", 1))), "Server 2 — "));
	g_assert_false(gtk_widget_has_css_class(find("address", 0), "error"));
	gtk_editable_set_text(GTK_EDITABLE(find("weight", 1)), "3");
	g_assert_true(swb_test_wait_for(lacks_class, (gpointer)bad_weight, WAIT_MS));

	/* a third server, a backup, and least_connections */
	gtk_widget_activate(widget("pool-add"));
	swb_gui_spin(400); /* a button clicks when its press animation ends */
	g_assert_nonnull(find("address", 2));
	gtk_editable_set_text(GTK_EDITABLE(find("address", 2)), third);
	gtk_check_button_set_active(GTK_CHECK_BUTTON(find("backup", 2)), TRUE);
	adw_combo_row_set_selected(ADW_COMBO_ROW(widget("pool-balance")), 2);
	expect = g_strdup_printf("{\"servers\":[\"%s\",{\"address\":\"%s\",\"weight\":3},"
	    "{\"address\":\"%s\",\"backup\":true}],\"balance\":\"least_connections\"}",
	    t.dead_address, t.live_address, third);
	g_assert_cmpstr(backend_json(model), ==, expect);
	/* the JSON row shows the same */
	g_assert_nonnull(strstr(gtk_editable_get_text(GTK_EDITABLE(widget("field-backend"))),
	    "least_connections"));
	/* the servers in sight, for the screenshot */
	gtk_widget_grab_focus(widget("pool-balance"));
	swb_gui_spin(500);
	swb_gui_save_png(GTK_WIDGET(t.window), "screenshot-pool-editor.png");

	/* typed as JSON: the server rows follow */
	gtk_editable_set_text(GTK_EDITABLE(widget("field-backend")), expect);
	g_assert_nonnull(find("address", 2));
	g_assert_null(find("address", 3));

	g_assert_true(swb_test_wait_for(apply_sensitive, NULL, WAIT_MS));
	g_assert_true(gtk_widget_activate_action(GTK_WIDGET(editor), "editor.apply", NULL));
	adw_view_stack_set_visible_child_name(ADW_VIEW_STACK(widget("view-stack")), "backends");
	g_assert_true(swb_test_wait_for(shows_servers, GUINT_TO_POINTER(3), 2 * WAIT_MS));
	g_assert_true(swb_backend_get_backup(shown(third)));
}

static void
test_teardown(void)
{
	g_clear_object(&t.tunnel);
	gtk_window_destroy(GTK_WINDOW(t.window));
	g_clear_object(&t.window);
	swb_gui_daemon_teardown(&t.g);
	g_socket_service_stop(t.live);
	g_socket_listener_close(G_SOCKET_LISTENER(t.live));
	g_clear_object(&t.live);
	g_clear_pointer(&t.accepted, g_ptr_array_unref);
	g_clear_pointer(&t.live_address, g_free);
	g_clear_pointer(&t.dead_address, g_free);
}

int
main(int argc, char **argv)
{
	gtk_test_init(&argc, &argv, NULL);
	adw_init();
	g_test_add_func("/backends/setup", test_setup);
	g_test_add_func("/backends/states", test_states);
	g_test_add_func("/backends/drain-from-app", test_drain_from_app);
	g_test_add_func("/backends/counters-refresh", test_counters_refresh);
	g_test_add_func("/backends/pool-editor", test_pool_editor);
	g_test_add_func("/backends/teardown", test_teardown);
	return g_test_run();
}
