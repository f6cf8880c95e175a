/*
 * test-identity.c - identities in the app under Xvfb, against a real daemon
 * whose route asks for a token: each tunnel's identity in the connection
 * list's Identity column, found by the search, never by a token. The
 * policy editor shows the route's auth as file paths, names a bad rate at
 * its field, and applies a new one that policy.get then shows. Saves
 * screenshots.
 */
#include <adwaita.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "swb-application.h"
#include "swb-gui-test.h"
#include "swb-policy-editor.h"
#include "swb-test.h"
#include "swb-window.h"

#define WAIT_MS SWB_GUI_WAIT_MS

/* the tokens; the daemon's file holds only their SHA-256 */
#define ALICE_TOKEN "alice-7f3c9a1e0b5d"
#define BOB_TOKEN   "bob-2d8e4f6a1c9b"

static struct {
	SwbGuiDaemon g;
	char *files;    /* a folder of its own for the tokens file */
	char *tokens;
	SwbWindow *window;
	SwbSession *session;
	GSocketConnection *tunnels[2];
} t;

static GtkWidget *
widget(const char *name)
{
	return swb_gui_widget(GTK_WIDGET(t.window), name);
}

static gboolean
is_connected(gpointer data)
{
	return swb_client_get_connected(swb_session_get_client(t.session));
}

static guint
rows_shown(void)
{
	return g_list_model_get_n_items(G_LIST_MODEL(gtk_column_view_get_model(
	    GTK_COLUMN_VIEW(widget("connection-view")))));
}

static gboolean
shows_rows(gpointer data)
{
	return rows_shown() == GPOINTER_TO_UINT(data);
}

/* The identity of the row shown at position i. (transfer full) */
static char *
identity_shown(guint i)
{
	GListModel *rows = G_LIST_MODEL(gtk_column_view_get_model(GTK_COLUMN_VIEW(
	    widget("connection-view"))));
	g_autoptr(SwbConnection) conn = g_list_model_get_item(rows, i);

	return conn != NULL ? g_strdup(swb_connection_get_identity(conn)) : NULL;
}

static char *
token_line(const char *name, const char *token)
{
	g_autofree char *hex = g_compute_checksum_for_string(G_CHECKSUM_SHA256, token, -1);

	return g_strdup_printf("%s %s\n", name, hex);
}

static void
test_setup(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *alice = token_line("alice", ALICE_TOKEN);
	g_autofree char *bob = token_line("bob", BOB_TOKEN);
	g_autofree char *lines = g_strconcat("# test tokens\n", alice, bob, NULL);
	g_autofree char *routes = NULL;

	t.files = g_dir_make_tmp("swb-identity-files-XXXXXX", &error);
	g_assert_no_error(error);
	t.tokens = g_build_filename(t.files, "tokens.txt", NULL);
	g_assert_true(g_file_set_contents(t.tokens, lines, -1, &error));
	routes = g_strdup_printf("[{\"name\": \"vnc\","
	    " \"match\": {\"path\": \"/vnc\", \"upgrade\": \"*\"}, \"mode\": \"tunnel\","
	    " \"backend\": \"builtin:echo\","
	    " \"auth\": {\"from\": [\"query:token\"], \"tokens\": \"%s\"}}]", t.tokens);
	swb_gui_daemon_setup(&t.g, "swb-identity", routes);
	t.window = g_object_ref(swb_application_open_socket(t.g.app, t.g.socket));
	t.session = swb_window_get_session(t.window);
	g_assert_true(swb_test_wait_for(is_connected, NULL, WAIT_MS));
}

/*
 * Two tunnels, one per token: each row names its identity; the search finds
 * one by its identity; a wrong token opens nothing.
 */
static void
test_identity_column(void)
{
	g_autofree char *head = NULL;
	g_autofree char *refused = NULL;
	g_autofree char *first = NULL;
	g_autoptr(GSocketConnection) wrong = NULL;
	GtkColumnView *view = GTK_COLUMN_VIEW(widget("connection-view"));
	GtkColumnViewColumn *identity = swb_gui_column(view, "Identity");

	adw_view_stack_set_visible_child_name(ADW_VIEW_STACK(widget("view-stack")), "connections");
	t.tunnels[0] = swb_gui_upgrade(t.g.port, "/vnc?token=" ALICE_TOKEN, &head);
	g_assert_true(g_str_has_prefix(head, "HTTP/1.1 101"));
	g_clear_pointer(&head, g_free);
	t.tunnels[1] = swb_gui_upgrade(t.g.port, "/vnc?token=" BOB_TOKEN, &head);
	g_assert_true(g_str_has_prefix(head, "HTTP/1.1 101"));
	wrong = swb_gui_upgrade(t.g.port, "/vnc?token=nobody", &refused);
	g_assert_true(g_str_has_prefix(refused, "HTTP/1.1 401"));
	g_assert_true(swb_test_wait_for(shows_rows, GUINT_TO_POINTER(2), WAIT_MS));

	gtk_column_view_sort_by_column(view, identity, GTK_SORT_DESCENDING);
	first = identity_shown(0);
	g_assert_cmpstr(first, ==, "bob");
	g_clear_pointer(&first, g_free);
	gtk_column_view_sort_by_column(view, identity, GTK_SORT_ASCENDING);
	first = identity_shown(0);
	g_assert_cmpstr(first, ==, "alice");
	g_clear_pointer(&first, g_free);
	swb_gui_spin(300);
	swb_gui_save_png(GTK_WIDGET(t.window), "screenshot-identity.png");

	/* the search matches identities, as typed (case does not matter) */
	gtk_editable_set_text(GTK_EDITABLE(widget("search-entry")), "BOB");
	g_assert_true(swb_test_wait_for(shows_rows, GUINT_TO_POINTER(1), WAIT_MS));
	first = identity_shown(0);
	g_assert_cmpstr(first, ==, "bob");
	/* a token is not an identity: nothing matches it */
	gtk_editable_set_text(GTK_EDITABLE(widget("search-entry")), BOB_TOKEN);
	g_assert_true(swb_test_wait_for(shows_rows, GUINT_TO_POINTER(0), WAIT_MS));
	gtk_editable_set_text(GTK_EDITABLE(widget("search-entry")), "");
	g_assert_true(swb_test_wait_for(shows_rows, GUINT_TO_POINTER(2), WAIT_MS));
}

static SwbPolicyModel *
editor_model(void)
{
	return swb_policy_editor_get_model(SWB_POLICY_EDITOR(widget("policy-editor")));
}

static gboolean
policy_loaded(gpointer data)
{
	return swb_policy_model_get_n_items(editor_model(), SWB_SECTION_ROUTE) == 1;
}

static gboolean
applied(gpointer data)
{
	return !swb_policy_model_get_modified(editor_model()) &&
	    swb_policy_model_get_revision(editor_model()) == GPOINTER_TO_INT(data);
}

static gboolean
apply_sensitive(gpointer data)
{
	return gtk_widget_is_sensitive(widget("apply-button"));
}

static gboolean
shows_error(gpointer data)
{
	return gtk_widget_has_css_class(widget(data), "error");
}

static const char *
text_of(const char *name)
{
	return gtk_editable_get_text(GTK_EDITABLE(widget(name)));
}

/* The running route's member, as the daemon's policy.get gives it. (transfer full) */
static char *
running(const char *member)
{
	json_object *got = swb_gui_rpc(t.g.socket, "policy.get", NULL, NULL);
	json_object *route, *v = NULL;
	char *text;

	g_assert_nonnull(got);
	route = json_object_array_get_idx(json_object_object_get(json_object_object_get(got,
	    "policy"), "routes"), 0);
	g_assert_nonnull(route);
	json_object_object_get_ex(route, member, &v);
	text = g_strdup(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(got);
	return text;
}

/*
 * The route's auth in the editor is its file and sources; a rate of 0 is an
 * error at its row (the fold opens to show it); a rate per address and per
 * identity, applied, is what the daemon runs, with the auth unchanged.
 */
static void
test_edit_rate(void)
{
	g_autofree char *auth_before = running("auth");
	g_autofree char *auth_after = NULL;
	g_autofree char *rate = running("rate");
	GtkWidget *per_s;
	GtkAdjustment *adjustment;

	adw_view_stack_set_visible_child_name(ADW_VIEW_STACK(widget("view-stack")), "policy");
	g_assert_true(swb_test_wait_for(policy_loaded, NULL, WAIT_MS));
	swb_policy_editor_select(SWB_POLICY_EDITOR(widget("policy-editor")), SWB_SECTION_ROUTE, 0);
	swb_gui_spin(200);
	g_assert_cmpstr(text_of("field-auth.tokens"), ==, t.tokens);
	g_assert_cmpstr(text_of("field-auth.from"), ==, "query:token");
	g_assert_cmpstr(text_of("field-auth.basic"), ==, "");
	g_assert_cmpstr(rate, ==, "null");
	/* nothing set in them: the folds are closed */
	g_assert_false(adw_expander_row_get_expanded(ADW_EXPANDER_ROW(
	    widget("fold-rate.per_address"))));
	g_assert_false(adw_expander_row_get_expanded(ADW_EXPANDER_ROW(widget("fold-auth.jwt"))));

	per_s = widget("field-rate.per_address.per_s");
	gtk_editable_set_text(GTK_EDITABLE(per_s), "0");
	g_assert_true(swb_test_wait_for(shows_error, "field-rate.per_address.per_s", WAIT_MS));
	g_assert_true(adw_expander_row_get_expanded(ADW_EXPANDER_ROW(
	    widget("fold-rate.per_address"))));
	g_assert_false(gtk_widget_is_sensitive(widget("apply-button")));
	g_assert_nonnull(strstr(adw_preferences_row_get_title(ADW_PREFERENCES_ROW(per_s)),
	    "Upgrades per second — "));

	gtk_editable_set_text(GTK_EDITABLE(per_s), "2");
	gtk_editable_set_text(GTK_EDITABLE(widget("field-rate.per_address.burst")), "5");
	gtk_editable_set_text(GTK_EDITABLE(widget("field-rate.per_identity.per_s")), "1");
	g_assert_false(gtk_widget_has_css_class(per_s, "error"));
	g_assert_true(swb_test_wait_for(apply_sensitive, NULL, WAIT_MS));
	/* the rate limits in sight (once the opened folds are laid out), for the screenshot */
	swb_gui_spin(300);
	adjustment = gtk_scrolled_window_get_vadjustment(GTK_SCROLLED_WINDOW(
	    gtk_widget_get_ancestor(per_s, GTK_TYPE_SCROLLED_WINDOW)));
	gtk_adjustment_set_value(adjustment, gtk_adjustment_get_upper(adjustment));
	swb_gui_spin(300);
	swb_gui_save_png(GTK_WIDGET(t.window), "screenshot-identity-editor.png");
	g_assert_true(gtk_widget_activate_action(widget("policy-editor"), "editor.apply", NULL));
	g_assert_true(swb_test_wait_for(applied, GINT_TO_POINTER(2), WAIT_MS));

	g_free(rate);
	rate = running("rate");
	g_assert_cmpstr(rate, ==, "{\"per_address\":{\"per_s\":2,\"burst\":5},"
	    "\"per_identity\":{\"per_s\":1}}");
	auth_after = running("auth");
	g_assert_cmpstr(auth_after, ==, auth_before);
}

static void
test_teardown(void)
{
	for (guint i = 0; i < G_N_ELEMENTS(t.tunnels); i++)
		g_clear_object(&t.tunnels[i]);
	gtk_window_destroy(GTK_WINDOW(t.window));
	g_clear_object(&t.window);
	swb_gui_daemon_teardown(&t.g);
	swb_gui_remove_dir(t.files);
	g_clear_pointer(&t.files, g_free);
	g_clear_pointer(&t.tokens, g_free);
}

int
main(int argc, char **argv)
{
	gtk_test_init(&argc, &argv, NULL);
	adw_init();
	g_test_add_func("/identity/setup", test_setup);
	g_test_add_func("/identity/identity-column", test_identity_column);
	g_test_add_func("/identity/edit-rate", test_edit_rate);
	g_test_add_func("/identity/teardown", test_teardown);
	return g_test_run();
}
