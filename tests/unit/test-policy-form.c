/* test-policy-form.c - the policy form: field text <-> JSON, and error paths -> fields */
#include <glib.h>
#include <json-c/json.h>
#include <stdlib.h>

#include "sb-policy.h"
#include "swb-policy-form.h"

static const char *const fixtures[] = {
	"contract-example.json", "defaults-explicit.json", "full.json", "minimal.json",
	"pools.json", "upgrades.json",
};

static char *
fixture_dir(void)
{
	const char *root = g_getenv("SB_SOURCE_ROOT");

	g_assert_nonnull(root);
	return g_build_filename(root, "tests", "policies", "valid", NULL);
}

static json_object *
load_fixture(const char *dir, const char *name)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	json_object *doc = json_object_from_file(path);

	g_assert_nonnull(doc);
	return doc;
}

/* The canonical text of a policy document (common/'s writer). */
static char *
canonical(json_object *doc, const char *base_dir)
{
	struct sb_errors errs = SB_ERRORS_INIT;
	struct sb_policy *policy = sb_policy_from_json(doc, base_dir, &errs);
	char *raw;
	char *text;

	for (size_t i = 0; i < errs.count; i++)
		g_test_message("%s: %s", errs.items[i].path, errs.items[i].message);
	g_assert_cmpuint(errs.count, ==, 0);
	raw = sb_policy_to_string(policy);
	text = g_strdup(raw);
	free(raw);
	sb_policy_free(policy);
	sb_errors_clear(&errs);
	return text;
}

/* A section's object rebuilt from nothing but its form texts. */
static json_object *
rebuild(SwbSection section, json_object *obj)
{
	guint n;
	const SwbField *fields = swb_policy_fields(section, &n);
	json_object *copy = json_object_new_object();

	for (guint i = 0; i < n; i++) {
		g_autofree char *text = swb_field_get_text(&fields[i], obj);

		swb_field_set_text(&fields[i], copy, text);
	}
	return copy;
}

static json_object *
rebuild_array(SwbSection section, json_object *arr)
{
	json_object *out = json_object_new_array();

	for (size_t i = 0; arr != NULL && i < json_object_array_length(arr); i++)
		json_object_array_add(out, rebuild(section, json_object_array_get_idx(arr, i)));
	return out;
}

/*
 * Every valid fixture, rebuilt from the form's texts alone (every field of
 * every listener, route and the general section), is the same policy: the
 * form covers every field, and text -> JSON -> text loses nothing.
 */
static void
test_round_trip_fixtures(void)
{
	g_autofree char *dir = fixture_dir();

	for (size_t f = 0; f < G_N_ELEMENTS(fixtures); f++) {
		json_object *doc = load_fixture(dir, fixtures[f]);
		json_object *copy = rebuild(SWB_SECTION_GENERAL, doc);
		json_object *arr = NULL;
		g_autofree char *before = canonical(doc, dir);
		g_autofree char *after = NULL;

		g_test_message("%s", fixtures[f]);
		json_object_object_add(copy, "version", json_object_new_int(1));
		json_object_object_get_ex(doc, "listeners", &arr);
		json_object_object_add(copy, "listeners", rebuild_array(SWB_SECTION_LISTENER, arr));
		arr = NULL;
		if (json_object_object_get_ex(doc, "routes", &arr))
			json_object_object_add(copy, "routes",
			    rebuild_array(SWB_SECTION_ROUTE, arr));
		after = canonical(copy, dir);
		g_assert_cmpstr(after, ==, before);
		json_object_put(copy);
		json_object_put(doc);
	}
}

/* Writing a field's own text back into it changes nothing, for every field of every fixture. */
static void
test_text_is_stable(void)
{
	g_autofree char *dir = fixture_dir();

	for (size_t f = 0; f < G_N_ELEMENTS(fixtures); f++) {
		json_object *doc = load_fixture(dir, fixtures[f]);
		json_object *routes = NULL;
		guint n;
		const SwbField *fields = swb_policy_fields(SWB_SECTION_ROUTE, &n);

		json_object_object_get_ex(doc, "routes", &routes);
		for (size_t r = 0; routes != NULL && r < json_object_array_length(routes); r++) {
			json_object *route = json_object_array_get_idx(routes, r);

			for (guint i = 0; i < n; i++) {
				g_autofree char *text = swb_field_get_text(&fields[i], route);
				g_autofree char *again = NULL;

				swb_field_set_text(&fields[i], route, text);
				again = swb_field_get_text(&fields[i], route);
				g_assert_cmpstr(again, ==, text);
			}
		}
		json_object_put(doc);
	}
}

static const char *
member_json(json_object *obj)
{
	return json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
}

static void
check_set(SwbSection section, const char *key, const char *text, const char *expect)
{
	const SwbField *field = swb_policy_field_find(section, key);
	json_object *obj = json_object_new_object();

	g_assert_nonnull(field);
	swb_field_set_text(field, obj, text);
	g_assert_cmpstr(member_json(obj), ==, expect);
	json_object_put(obj);
}

static void
test_kinds(void)
{
	check_set(SWB_SECTION_ROUTE, "backend", "  127.0.0.1:99  ",
	    "{\"backend\":\"127.0.0.1:99\"}");
	check_set(SWB_SECTION_ROUTE, "backend", "   ", "{}");
	check_set(SWB_SECTION_ROUTE, "max_connections", "200", "{\"max_connections\":200}");
	/* not a number: kept as typed, so the validator says "must be an integer" there */
	check_set(SWB_SECTION_ROUTE, "max_connections", "2OO", "{\"max_connections\":\"2OO\"}");
	check_set(SWB_SECTION_ROUTE, "allow", "10.0.0.0/8, ::1/128,,",
	    "{\"allow\":[\"10.0.0.0/8\",\"::1/128\"]}");
	check_set(SWB_SECTION_ROUTE, "allow", "[]", "{\"allow\":[]}");
	check_set(SWB_SECTION_ROUTE, "origins", "[\"https://a,b\"]",
	    "{\"origins\":[\"https://a,b\"]}");
	check_set(SWB_SECTION_ROUTE, "match.host", "*.example.org",
	    "{\"match\":{\"host\":\"*.example.org\"}}");
	check_set(SWB_SECTION_ROUTE, "mode", "h2c", "{\"mode\":\"h2c\"}");
	check_set(SWB_SECTION_ROUTE, "mode", "", "{}");
	check_set(SWB_SECTION_ROUTE, "text_messages", "true", "{\"text_messages\":true}");
	check_set(SWB_SECTION_ROUTE, "text_messages", "", "{}");
	check_set(SWB_SECTION_GENERAL, "control.allow_uids", "0, 1000",
	    "{\"control\":{\"allow_uids\":[0,1000]}}");
	check_set(SWB_SECTION_LISTENER, "tls.sni", "[{\"names\": [\"a\"], \"cert\": \"c\"}]",
	    "{\"tls\":{\"sni\":[{\"names\":[\"a\"],\"cert\":\"c\"}]}}");
	/* JSON that does not parse stays text: the validator then says what it must be */
	check_set(SWB_SECTION_LISTENER, "tls.sni", "[{", "{\"tls\":{\"sni\":\"[{\"}}");
}

static void
test_clearing_prunes(void)
{
	json_object *obj = json_tokener_parse("{\"name\": \"r\", \"tls\": {\"cert\": \"c.pem\","
	    " \"key\": \"k.pem\"}, \"match\": {\"path\": \"/x\", \"host\": \"h\"}}");

	swb_field_set_text(swb_policy_field_find(SWB_SECTION_ROUTE, "tls.cert"), obj, "");
	g_assert_cmpstr(member_json(obj), ==, "{\"name\":\"r\",\"tls\":{\"key\":\"k.pem\"},"
	    "\"match\":{\"path\":\"/x\",\"host\":\"h\"}}");
	swb_field_set_text(swb_policy_field_find(SWB_SECTION_ROUTE, "tls.key"), obj, "");
	swb_field_set_text(swb_policy_field_find(SWB_SECTION_ROUTE, "match.path"), obj, NULL);
	/* the emptied "tls" goes; "match" still holds host */
	g_assert_cmpstr(member_json(obj), ==, "{\"name\":\"r\",\"match\":{\"host\":\"h\"}}");
	json_object_put(obj);
}

static const struct {
	const char *path;
	SwbSection section;
	int index;
	const char *field; /* NULL: the item or the document */
} targets[] = {
	{ "routes[2].backend", SWB_SECTION_ROUTE, 2, "backend" },
	{ "routes[0].backend.servers[1].weight", SWB_SECTION_ROUTE, 0, "backend" },
	{ "routes[0].match.host", SWB_SECTION_ROUTE, 0, "match.host" },
	{ "routes[1].allow[3]", SWB_SECTION_ROUTE, 1, "allow" },
	{ "routes[1].listeners[0]", SWB_SECTION_ROUTE, 1, "listeners" },
	{ "routes[12].tls.key", SWB_SECTION_ROUTE, 12, "tls.key" },
	{ "routes[1].match", SWB_SECTION_ROUTE, 1, NULL },
	{ "routes[1].auth", SWB_SECTION_ROUTE, 1, NULL },
	{ "routes[1]", SWB_SECTION_ROUTE, 1, NULL },
	{ "routes", SWB_SECTION_ROUTE, -1, NULL },
	{ "routes[x].backend", SWB_SECTION_ROUTE, -1, NULL },
	{ "listeners[0].bind", SWB_SECTION_LISTENER, 0, "bind" },
	{ "listeners[0].tls.sni[1].cert", SWB_SECTION_LISTENER, 0, "tls.sni" },
	{ "listeners[0].tls.cert", SWB_SECTION_LISTENER, 0, "tls.cert" },
	{ "listeners[3].tls", SWB_SECTION_LISTENER, 3, NULL },
	{ "listeners[1].proxy_protocol.from[2]", SWB_SECTION_LISTENER, 1, "proxy_protocol" },
	{ "listeners", SWB_SECTION_LISTENER, -1, NULL },
	{ "limits.max_per_ip", SWB_SECTION_GENERAL, -1, "limits.max_per_ip" },
	{ "limits.ipv6_prefix", SWB_SECTION_GENERAL, -1, "limits.ipv6_prefix" },
	{ "control.allow_uids[0]", SWB_SECTION_GENERAL, -1, "control.allow_uids" },
	{ "metrics", SWB_SECTION_GENERAL, -1, "metrics" },
	{ "version", SWB_SECTION_GENERAL, -1, NULL },
	{ "listenersx", SWB_SECTION_GENERAL, -1, NULL },
	{ "", SWB_SECTION_GENERAL, -1, NULL },
};

static void
test_error_targets(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(targets); i++) {
		SwbErrorTarget t;

		g_test_message("%s", targets[i].path);
		swb_policy_error_target(targets[i].path, &t);
		g_assert_cmpint(t.section, ==, targets[i].section);
		g_assert_cmpint(t.index, ==, targets[i].index);
		if (targets[i].field == NULL)
			g_assert_null(t.field);
		else
			g_assert_cmpstr(t.field != NULL ? t.field->key : NULL, ==,
			    targets[i].field);
	}
}

/* Every field's own path maps back to that field. */
static void
test_field_paths(void)
{
	g_autofree char *path = NULL;

	for (SwbSection s = SWB_SECTION_GENERAL; s <= SWB_SECTION_ROUTE; s++) {
		guint n;
		const SwbField *fields = swb_policy_fields(s, &n);
		int index = s == SWB_SECTION_GENERAL ? -1 : 4;

		for (guint i = 0; i < n; i++) {
			g_autofree char *field_path = swb_policy_field_path(s, index, &fields[i]);
			SwbErrorTarget t;

			swb_policy_error_target(field_path, &t);
			g_assert_cmpint(t.section, ==, s);
			g_assert_cmpint(t.index, ==, index);
			g_assert_true(t.field == &fields[i]);
		}
	}
	path = swb_policy_field_path(SWB_SECTION_ROUTE, 2, NULL);
	g_assert_cmpstr(path, ==, "routes[2]");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/policy-form/round-trip-fixtures", test_round_trip_fixtures);
	g_test_add_func("/policy-form/text-is-stable", test_text_is_stable);
	g_test_add_func("/policy-form/kinds", test_kinds);
	g_test_add_func("/policy-form/clearing-prunes", test_clearing_prunes);
	g_test_add_func("/policy-form/error-targets", test_error_targets);
	g_test_add_func("/policy-form/field-paths", test_field_paths);
	return g_test_run();
}
