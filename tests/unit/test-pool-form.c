/* test-pool-form.c - the pool editor's view of a route's backend, and back */
#include <glib.h>
#include <json-c/json.h>
#include <stdlib.h>

#include "sb-policy.h"
#include "swb-pool-form.h"

static const char *const fixtures[] = {
	"contract-example.json", "defaults-explicit.json", "full.json", "minimal.json",
	"pools.json", "upgrades.json",
};

static const char *
text_of(json_object *v)
{
	return v == NULL ? "(none)" : json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* The canonical text of a policy document, or its errors' paths and messages. */
static char *
canonical(json_object *doc, const char *base_dir)
{
	struct sb_errors errs = SB_ERRORS_INIT;
	struct sb_policy *policy = sb_policy_from_json(doc, base_dir, &errs);
	GString *text = g_string_new(NULL);

	for (size_t i = 0; i < errs.count; i++)
		g_string_append_printf(text, "%s: %s\n", errs.items[i].path, errs.items[i].message);
	if (policy != NULL && errs.count == 0) {
		char *raw = sb_policy_to_string(policy);

		g_string_append(text, raw);
		free(raw);
	}
	sb_policy_free(policy);
	sb_errors_clear(&errs);
	return g_string_free(text, FALSE);
}

/*
 * Every route of every valid fixture: the editor can show its backend, and
 * writing it back untouched is the same policy (the same form, too).
 */
static void
test_round_trip_fixtures(void)
{
	g_autofree char *dir = g_build_filename(g_getenv("SB_SOURCE_ROOT"), "tests", "policies",
	    "valid", NULL);

	for (size_t f = 0; f < G_N_ELEMENTS(fixtures); f++) {
		g_autofree char *path = g_build_filename(dir, fixtures[f], NULL);
		json_object *doc = json_object_from_file(path);
		json_object *routes = NULL;
		g_autofree char *before = NULL;
		g_autofree char *after = NULL;

		g_assert_nonnull(doc);
		before = canonical(doc, dir);
		json_object_object_get_ex(doc, "routes", &routes);
		for (size_t r = 0; routes != NULL && r < json_object_array_length(routes); r++) {
			json_object *route = json_object_array_get_idx(routes, r);
			json_object *backend = NULL;
			json_object *pool, *back;
			SwbPoolForm form;

			json_object_object_get_ex(route, "backend", &backend);
			g_test_message("%s routes[%zu]: %s", fixtures[f], r, text_of(backend));
			pool = swb_pool_from_backend(backend, &form);
			g_assert_nonnull(pool);
			back = swb_pool_to_backend(pool, form);
			g_assert_cmpstr(text_of(back), ==, text_of(backend));
			json_object_put(back);
			json_object_put(pool);
		}
		after = canonical(doc, dir);
		g_assert_cmpstr(after, ==, before);
		json_object_put(doc);
	}
}

static json_object *
pool_of(const char *text, SwbPoolForm *form)
{
	json_object *backend = json_tokener_parse(text);
	json_object *pool = swb_pool_from_backend(backend, form);

	json_object_put(backend);
	g_assert_nonnull(pool);
	return pool;
}

static void
check_backend(json_object *pool, SwbPoolForm form, const char *expect)
{
	json_object *back = swb_pool_to_backend(pool, form);

	g_assert_cmpstr(text_of(back), ==, expect);
	json_object_put(back);
}

/* A string grows into a list, then an object, and shrinks back as the edits undo. */
static void
test_edits_pick_the_form(void)
{
	SwbPoolForm form;
	json_object *pool = pool_of("\"10.0.0.5:80\"", &form);
	g_autofree char *weight = NULL;

	g_assert_cmpint(form, ==, SWB_POOL_FORM_STRING);
	g_assert_cmpuint(swb_pool_get_n_servers(pool), ==, 1);
	swb_pool_add_server(pool);
	swb_pool_set_server_text(pool, 1, "address", " [::1]:81 ");
	check_backend(pool, form, "[\"10.0.0.5:80\",\"[::1]:81\"]");
	swb_pool_set_server_text(pool, 1, "weight", "2");
	swb_pool_set_backup(pool, 0, TRUE);
	check_backend(pool, form, "{\"servers\":[{\"address\":\"10.0.0.5:80\",\"backup\":true},"
	    "{\"address\":\"[::1]:81\",\"weight\":2}]}");
	swb_pool_set_balance(pool, "least_connections");
	g_assert_cmpstr(swb_pool_get_balance(pool), ==, "least_connections");
	check_backend(pool, form, "{\"servers\":[{\"address\":\"10.0.0.5:80\",\"backup\":true},"
	    "{\"address\":\"[::1]:81\",\"weight\":2}],\"balance\":\"least_connections\"}");
	/* a weight that is not a number stays as typed, for the validator to name */
	swb_pool_set_server_text(pool, 1, "weight", "2x");
	weight = swb_pool_get_server_text(pool, 1, "weight");
	g_assert_cmpstr(weight, ==, "2x");
	swb_pool_set_server_text(pool, 1, "weight", "");
	swb_pool_set_backup(pool, 0, FALSE);
	swb_pool_set_balance(pool, NULL);
	check_backend(pool, form, "[\"10.0.0.5:80\",\"[::1]:81\"]");
	swb_pool_remove_server(pool, 0);
	check_backend(pool, form, "\"[::1]:81\"");
	swb_pool_remove_server(pool, 0);
	swb_pool_remove_server(pool, 7);
	check_backend(pool, form, "(none)");
	json_object_put(pool);

	/* a list stays a list, even of one */
	pool = pool_of("[\"builtin:echo\", \"127.0.0.1:9\"]", &form);
	swb_pool_remove_server(pool, 1);
	check_backend(pool, form, "[\"builtin:echo\"]");
	json_object_put(pool);
}

/* What the editor does not cover stays: health, tls, a server's unknown keys. */
static void
test_keeps_the_rest(void)
{
	SwbPoolForm form;
	json_object *pool = pool_of("{\"servers\": [\"a:1\"], \"health\": {\"interval_s\": 5},"
	    " \"resolve_s\": 60}", &form);

	g_assert_cmpint(form, ==, SWB_POOL_FORM_OBJECT);
	swb_pool_set_balance(pool, "first");
	check_backend(pool, form, "{\"servers\":[\"a:1\"],\"health\":{\"interval_s\":5},"
	    "\"resolve_s\":60,\"balance\":\"first\"}");
	json_object_put(pool);
	/* an object without servers (a token map) gets none until one is added */
	pool = pool_of("{\"token_map\": \"targets.txt\"}", &form);
	g_assert_cmpuint(swb_pool_get_n_servers(pool), ==, 0);
	check_backend(pool, form, "{\"token_map\":\"targets.txt\"}");
	json_object_put(pool);
}

static void
test_not_a_pool(void)
{
	static const char *const values[] = { "42", "[\"a:1\", 3]", "{\"servers\": \"a:1\"}",
		"{\"servers\": [{\"weight\": 2}]}", "[{\"address\": 5}]", "true" };
	SwbPoolForm form;

	for (size_t i = 0; i < G_N_ELEMENTS(values); i++) {
		json_object *backend = json_tokener_parse(values[i]);

		g_test_message("%s", values[i]);
		g_assert_null(swb_pool_from_backend(backend, &form));
		json_object_put(backend);
	}
	/* no backend yet: an empty pool */
	{
		json_object *pool = swb_pool_from_backend(NULL, &form);

		g_assert_nonnull(pool);
		g_assert_cmpuint(swb_pool_get_n_servers(pool), ==, 0);
		json_object_put(pool);
	}
}

/* The validator names a bad weight the editor wrote at the path the editor shows it by. */
static void
test_validator_path(void)
{
	SwbPoolForm form;
	json_object *pool = pool_of("[\"127.0.0.1:9\"]", &form);
	json_object *doc = json_tokener_parse("{\"version\": 1, \"listeners\": [{\"name\": \"p\","
	    " \"bind\": \"127.0.0.1:8080\"}], \"routes\": [{\"name\": \"r\","
	    " \"match\": {\"path\": \"/r\", \"upgrade\": \"x\"}}]}");
	json_object *route = json_object_array_get_idx(json_object_object_get(doc, "routes"), 0);
	g_autofree char *errors = NULL;

	swb_pool_add_server(pool);
	swb_pool_set_server_text(pool, 1, "address", "127.0.0.1:10");
	swb_pool_set_server_text(pool, 1, "weight", "2x");
	json_object_object_add(route, "backend", swb_pool_to_backend(pool, form));
	errors = canonical(doc, ".");
	g_test_message("%s", errors);
	g_assert_true(g_str_has_prefix(errors, "routes[0].backend.servers[1].weight: "));
	json_object_put(doc);
	json_object_put(pool);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/pool-form/round-trip-fixtures", test_round_trip_fixtures);
	g_test_add_func("/pool-form/edits-pick-the-form", test_edits_pick_the_form);
	g_test_add_func("/pool-form/keeps-the-rest", test_keeps_the_rest);
	g_test_add_func("/pool-form/not-a-pool", test_not_a_pool);
	g_test_add_func("/pool-form/validator-path", test_validator_path);
	return g_test_run();
}
