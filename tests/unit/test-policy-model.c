/* test-policy-model.c - the edited policy: edits, validation at fields, items, daemon errors */
#include <glib.h>
#include <json-c/json.h>
#include <string.h>

#include "swb-policy-model.h"

static const char base_policy[] =
    "{\"version\": 1,"
    " \"listeners\": [{\"name\": \"plain\", \"bind\": \"127.0.0.1:8080\"}],"
    " \"routes\": ["
    "  {\"name\": \"echo\", \"match\": {\"path\": \"/echo\", \"upgrade\": \"*\"},"
    "   \"mode\": \"tunnel\", \"backend\": \"builtin:echo\"},"
    "  {\"name\": \"vnc\", \"match\": {\"upgrade\": \"websocket\"},"
    "   \"backend\": \"127.0.0.1:5900\"}]}";

static SwbPolicyModel *
loaded_model(void)
{
	SwbPolicyModel *model = swb_policy_model_new();
	json_object *doc = json_tokener_parse(base_policy);

	g_assert_nonnull(doc);
	swb_policy_model_load(model, doc, 7, NULL);
	json_object_put(doc);
	return model;
}

static const SwbField *
route_field(const char *key)
{
	return swb_policy_field_find(SWB_SECTION_ROUTE, key);
}

static SwbPolicyItem *
item(SwbPolicyModel *model, SwbSection section, guint i)
{
	SwbPolicyItem *it = g_list_model_get_item(swb_policy_model_get_items(model, section), i);

	g_object_unref(it); /* the model keeps it */
	return it;
}

static void
test_load(void)
{
	g_autoptr(SwbPolicyModel) model = loaded_model();

	g_assert_true(swb_policy_model_get_valid(model));
	g_assert_false(swb_policy_model_get_modified(model));
	g_assert_cmpint(swb_policy_model_get_revision(model), ==, 7);
	g_assert_cmpuint(swb_policy_model_get_n_items(model, SWB_SECTION_LISTENER), ==, 1);
	g_assert_cmpuint(swb_policy_model_get_n_items(model, SWB_SECTION_ROUTE), ==, 2);
	g_assert_cmpstr(swb_policy_item_get_title(item(model, SWB_SECTION_ROUTE, 1)), ==, "vnc");
	g_assert_cmpstr(swb_policy_item_get_subtitle(item(model, SWB_SECTION_ROUTE, 0)), ==,
	    "/echo → builtin:echo");
	g_assert_cmpstr(swb_policy_item_get_subtitle(item(model, SWB_SECTION_LISTENER, 0)), ==,
	    "127.0.0.1:8080");
}

static void
count(guint *n)
{
	(*n)++;
}

/* A bad port is reported at routes[1].backend, i.e. at that route's backend field. */
static void
test_error_at_field(void)
{
	g_autoptr(SwbPolicyModel) model = loaded_model();
	guint errors_changed = 0;
	const char *message;
	const char *path;
	gboolean advisory = TRUE;
	g_autofree char *text = NULL;

	g_signal_connect_swapped(model, "errors-changed", G_CALLBACK(count), &errors_changed);
	swb_policy_model_set_text(model, SWB_SECTION_ROUTE, 1, route_field("backend"),
	    "127.0.0.1:99999");
	g_assert_false(swb_policy_model_get_valid(model));
	g_assert_true(swb_policy_model_get_modified(model));
	message = swb_policy_model_get_field_error(model, SWB_SECTION_ROUTE, 1,
	    route_field("backend"), &advisory);
	g_assert_nonnull(message);
	g_assert_false(advisory);
	g_assert_nonnull(g_strstr_len(message, -1, "port"));
	g_assert_null(swb_policy_model_get_field_error(model, SWB_SECTION_ROUTE, 0,
	    route_field("backend"), NULL));
	g_assert_cmpuint(swb_policy_item_get_n_errors(item(model, SWB_SECTION_ROUTE, 1)), ==, 1);
	g_assert_cmpuint(swb_policy_item_get_n_errors(item(model, SWB_SECTION_ROUTE, 0)), ==, 0);
	g_assert_cmpuint(swb_policy_model_get_n_errors(model), ==, 1);
	swb_policy_model_get_error(model, 0, &path, &message, NULL, NULL);
	g_assert_cmpstr(path, ==, "routes[1].backend");
	text = swb_policy_model_get_text(model, SWB_SECTION_ROUTE, 1, route_field("backend"));
	g_assert_cmpstr(text, ==, "127.0.0.1:99999");
	g_assert_cmpuint(errors_changed, ==, 1);
	/* the same text again is no edit */
	swb_policy_model_set_text(model, SWB_SECTION_ROUTE, 1, route_field("backend"),
	    "127.0.0.1:99999 ");
	g_assert_cmpuint(errors_changed, ==, 1);

	swb_policy_model_set_text(model, SWB_SECTION_ROUTE, 1, route_field("backend"),
	    "127.0.0.1:5900");
	g_assert_true(swb_policy_model_get_valid(model));
	g_assert_false(swb_policy_model_get_modified(model));
	g_assert_cmpuint(swb_policy_model_get_n_errors(model), ==, 0);
}

static void
test_type_error_at_field(void)
{
	g_autoptr(SwbPolicyModel) model = loaded_model();
	const SwbField *limit = route_field("max_connections");

	swb_policy_model_set_text(model, SWB_SECTION_ROUTE, 0, limit, "lots");
	g_assert_false(swb_policy_model_get_valid(model));
	g_assert_nonnull(swb_policy_model_get_field_error(model, SWB_SECTION_ROUTE, 0, limit,
	    NULL));
	swb_policy_model_set_text(model, SWB_SECTION_ROUTE, 0, limit, "");
	g_assert_true(swb_policy_model_get_valid(model));
}

/* A certificate (or its OCSP response) this app cannot read is shown, but only the daemon decides. */
static void
test_unreadable_file_is_advisory(void)
{
	g_autoptr(SwbPolicyModel) model = loaded_model();
	const SwbField *cert = swb_policy_field_find(SWB_SECTION_LISTENER, "tls.cert");
	const SwbField *key = swb_policy_field_find(SWB_SECTION_LISTENER, "tls.key");
	const SwbField *ocsp = swb_policy_field_find(SWB_SECTION_LISTENER, "tls.ocsp");
	gboolean advisory = FALSE;

	swb_policy_model_set_text(model, SWB_SECTION_LISTENER, 0, cert, "/nonexistent/cert.pem");
	swb_policy_model_set_text(model, SWB_SECTION_LISTENER, 0, key, "/nonexistent/key.pem");
	swb_policy_model_set_text(model, SWB_SECTION_LISTENER, 0, ocsp, "/nonexistent/ocsp.der");
	g_assert_nonnull(swb_policy_model_get_field_error(model, SWB_SECTION_LISTENER, 0, cert,
	    &advisory));
	g_assert_true(advisory);
	advisory = FALSE;
	g_assert_nonnull(swb_policy_model_get_field_error(model, SWB_SECTION_LISTENER, 0, ocsp,
	    &advisory));
	g_assert_true(advisory);
	g_assert_true(swb_policy_model_get_valid(model));
	/* a missing key is no file problem: that one blocks */
	swb_policy_model_set_text(model, SWB_SECTION_LISTENER, 0, key, "");
	g_assert_nonnull(swb_policy_model_get_field_error(model, SWB_SECTION_LISTENER, 0, key,
	    &advisory));
	g_assert_false(advisory);
	g_assert_false(swb_policy_model_get_valid(model));
}

/*
 * A route's auth files are the daemon's to read (a tokens file for its user
 * alone): one this app cannot read is shown at its field, Apply stays open.
 * A bad rate blocks, at its own field.
 */
static void
test_auth_files_and_rate(void)
{
	g_autoptr(SwbPolicyModel) model = loaded_model();
	const SwbField *tokens = route_field("auth.tokens");
	const SwbField *keys = route_field("auth.jwt.keys");
	const SwbField *per_s = route_field("rate.per_address.per_s");
	const SwbField *burst = route_field("rate.per_address.burst");
	gboolean advisory = FALSE;
	const char *message;

	swb_policy_model_set_text(model, SWB_SECTION_ROUTE, 1, tokens, "/nonexistent/tokens.txt");
	swb_policy_model_set_text(model, SWB_SECTION_ROUTE, 1, keys, "/nonexistent/jwks.json");
	g_assert_nonnull(swb_policy_model_get_field_error(model, SWB_SECTION_ROUTE, 1, tokens,
	    &advisory));
	g_assert_true(advisory);
	g_assert_nonnull(swb_policy_model_get_field_error(model, SWB_SECTION_ROUTE, 1, keys,
	    &advisory));
	g_assert_true(advisory);
	g_assert_true(swb_policy_model_get_valid(model));

	/* a burst without its rate: the rate is named */
	swb_policy_model_set_text(model, SWB_SECTION_ROUTE, 1, burst, "20");
	g_assert_false(swb_policy_model_get_valid(model));
	message = swb_policy_model_get_field_error(model, SWB_SECTION_ROUTE, 1, per_s, &advisory);
	g_assert_nonnull(message);
	g_assert_false(advisory);
	swb_policy_model_set_text(model, SWB_SECTION_ROUTE, 1, per_s, "0");
	message = swb_policy_model_get_field_error(model, SWB_SECTION_ROUTE, 1, per_s, NULL);
	g_assert_nonnull(message);
	g_test_message("per_s 0: %s", message);
	swb_policy_model_set_text(model, SWB_SECTION_ROUTE, 1, per_s, "10");
	g_assert_null(swb_policy_model_get_field_error(model, SWB_SECTION_ROUTE, 1, per_s, NULL));
	g_assert_true(swb_policy_model_get_valid(model));

	/* per identity on a route without auth: the route says so */
	swb_policy_model_set_text(model, SWB_SECTION_ROUTE, 0,
	    route_field("rate.per_identity.per_s"), "5");
	g_assert_false(swb_policy_model_get_valid(model));
	message = swb_policy_model_get_field_error(model, SWB_SECTION_ROUTE, 0, NULL, NULL);
	g_assert_nonnull(message);
	g_assert_nonnull(strstr(message, "per_identity"));
}

static void
test_daemon_errors(void)
{
	g_autoptr(SwbPolicyModel) model = loaded_model();
	json_object *errors = json_tokener_parse("[{\"path\": \"routes[0].backend\","
	    " \"message\": \"backend refused by the daemon\"}, {\"path\": \"\","
	    " \"message\": \"whole document\"}]");
	SwbErrorSource source;
	const char *path;
	const char *message;

	swb_policy_model_set_daemon_errors(model, errors);
	json_object_put(errors);
	g_assert_cmpstr(swb_policy_model_get_field_error(model, SWB_SECTION_ROUTE, 0,
	    route_field("backend"), NULL), ==, "backend refused by the daemon");
	g_assert_cmpuint(swb_policy_model_get_n_errors(model), ==, 2);
	swb_policy_model_get_error(model, 1, &path, &message, &source, NULL);
	g_assert_cmpint(source, ==, SWB_ERROR_SOURCE_DAEMON);
	g_assert_cmpstr(path, ==, "");
	/* local validity is the local validator's */
	g_assert_true(swb_policy_model_get_valid(model));
	/* any edit drops them: they judged the text before it */
	swb_policy_model_set_text(model, SWB_SECTION_ROUTE, 0, route_field("match.path"), "/e");
	g_assert_cmpuint(swb_policy_model_get_n_errors(model), ==, 0);
}

static char *
route_names(SwbPolicyModel *model)
{
	g_autoptr(GString) names = g_string_new(NULL);
	guint n = swb_policy_model_get_n_items(model, SWB_SECTION_ROUTE);

	for (guint i = 0; i < n; i++)
		g_string_append_printf(names, "%s%s", i ? "," : "",
		    swb_policy_item_get_title(item(model, SWB_SECTION_ROUTE, i)));
	return g_string_free(g_steal_pointer(&names), FALSE);
}

static void
test_add_move_remove(void)
{
	g_autoptr(SwbPolicyModel) model = loaded_model();
	g_autofree char *names1 = NULL;
	g_autofree char *names2 = NULL;
	g_autofree char *names3 = NULL;
	int added = swb_policy_model_add(model, SWB_SECTION_ROUTE);

	g_assert_cmpint(added, ==, 2);
	names1 = route_names(model);
	g_assert_cmpstr(names1, ==, "echo,vnc,route3");
	/* a route with only a name: the validator says what it lacks, at that route */
	g_assert_false(swb_policy_model_get_valid(model));
	g_assert_nonnull(swb_policy_model_get_field_error(model, SWB_SECTION_ROUTE, 2,
	    route_field("backend"), NULL));
	swb_policy_model_set_text(model, SWB_SECTION_ROUTE, 2, route_field("backend"),
	    "127.0.0.1:7000");
	swb_policy_model_set_text(model, SWB_SECTION_ROUTE, 2, route_field("match.upgrade"), "x");
	g_assert_true(swb_policy_model_get_valid(model));

	g_assert_true(swb_policy_model_move(model, SWB_SECTION_ROUTE, 2, -2));
	names2 = route_names(model);
	g_assert_cmpstr(names2, ==, "route3,echo,vnc");
	g_assert_false(swb_policy_model_move(model, SWB_SECTION_ROUTE, 0, -1));
	g_assert_false(swb_policy_model_move(model, SWB_SECTION_ROUTE, 2, 1));
	swb_policy_model_remove(model, SWB_SECTION_ROUTE, 0);
	names3 = route_names(model);
	g_assert_cmpstr(names3, ==, "echo,vnc");
	g_assert_false(swb_policy_model_get_modified(model));

	swb_policy_model_set_text(model, SWB_SECTION_ROUTE, 1, route_field("name"), "vnc2");
	g_assert_true(swb_policy_model_get_modified(model));
	swb_policy_model_mark_applied(model, 8);
	g_assert_false(swb_policy_model_get_modified(model));
	g_assert_cmpint(swb_policy_model_get_revision(model), ==, 8);
}

static void
test_load_text(void)
{
	g_autoptr(SwbPolicyModel) model = loaded_model();
	g_autoptr(GError) error = NULL;
	g_autofree char *text = NULL;

	g_assert_false(swb_policy_model_load_text(model, "{\"version\": 1,", "/tmp/p.json",
	    &error));
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
	g_assert_true(swb_policy_model_load_text(model, base_policy, "/tmp/p.json", NULL));
	/* the same policy as the daemon's: nothing to apply; the revision stays */
	g_assert_false(swb_policy_model_get_modified(model));
	g_assert_cmpint(swb_policy_model_get_revision(model), ==, 7);
	g_assert_cmpstr(swb_policy_model_get_file(model), ==, "/tmp/p.json");
	text = swb_policy_model_dup_text(model);
	g_assert_nonnull(g_strstr_len(text, -1, "\"builtin:echo\""));
	swb_policy_model_clear(model);
	g_assert_cmpuint(swb_policy_model_get_n_items(model, SWB_SECTION_ROUTE), ==, 0);
	g_assert_null(swb_policy_model_get_file(model));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/policy-model/load", test_load);
	g_test_add_func("/policy-model/error-at-field", test_error_at_field);
	g_test_add_func("/policy-model/type-error-at-field", test_type_error_at_field);
	g_test_add_func("/policy-model/unreadable-file-is-advisory",
	    test_unreadable_file_is_advisory);
	g_test_add_func("/policy-model/auth-files-and-rate", test_auth_files_and_rate);
	g_test_add_func("/policy-model/daemon-errors", test_daemon_errors);
	g_test_add_func("/policy-model/add-move-remove", test_add_move_remove);
	g_test_add_func("/policy-model/load-text", test_load_text);
	return g_test_run();
}
