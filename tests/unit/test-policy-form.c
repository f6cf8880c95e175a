/* test-policy-form.c - the policy form: field text <-> JSON, and error paths -> fields */
#include <glib.h>
#include <json-c/json.h>
#include <stdlib.h>

#include "sb-policy.h"
#include "swb-policy-form.h"

/* Under tests/policies: the valid fixtures (auth.json sets every auth and rate member). */
static const char *const fixtures[] = {
	"valid/auth.json", "valid/contract-example.json", "valid/defaults-explicit.json",
	"valid/full.json", "valid/minimal.json", "valid/pools.json", "valid/upgrades.json",
};

static char *
fixture_dir(const char *fixture)
{
	const char *root = g_getenv("SB_SOURCE_ROOT");
	g_autofree char *folder = g_path_get_dirname(fixture);

	g_assert_nonnull(root);
	return g_build_filename(root, "tests", "policies", folder, NULL);
}

static json_object *
load_fixture(const char *dir, const char *fixture)
{
	g_autofree char *name = g_path_get_basename(fixture);
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
	for (size_t f = 0; f < G_N_ELEMENTS(fixtures); f++) {
		g_autofree char *dir = fixture_dir(fixtures[f]);
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
	for (size_t f = 0; f < G_N_ELEMENTS(fixtures); f++) {
		g_autofree char *dir = fixture_dir(fixtures[f]);
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

/* get_text of the field in obj, compared with want. */
static void
check_get(json_object *obj, const char *key, const char *want)
{
	g_autofree char *text = swb_field_get_text(swb_policy_field_find(SWB_SECTION_ROUTE, key),
	    obj);

	g_assert_cmpstr(text, ==, want);
}

/* A route's auth and rate as form text: lists, names with commas, paths, numbers. */
static void
test_identity_kinds(void)
{
	json_object *route = json_tokener_parse("{\"auth\": {\"from\": [\"header\","
	    " \"cookie:sb_token\"], \"tokens\": \"tokens.txt\", \"client_cert\": {"
	    " \"subjects\": [\"CN=alice,O=Example\", \"CN=bob\"],"
	    " \"sans\": [\"alice@example.org\"]}}, \"rate\": {\"per_identity\": {"
	    " \"per_s\": 5, \"burst\": 10}}}");

	check_get(route, "auth.from", "header, cookie:sb_token");
	check_get(route, "auth.tokens", "tokens.txt");
	check_get(route, "auth.basic", "");
	/* distinguished names hold commas: they are separated by semicolons */
	check_get(route, "auth.client_cert.subjects", "CN=alice,O=Example; CN=bob");
	check_get(route, "auth.client_cert.sans", "alice@example.org");
	check_get(route, "rate.per_identity.per_s", "5");
	check_get(route, "rate.per_identity.burst", "10");
	check_get(route, "rate.per_address.per_s", "");
	json_object_put(route);

	check_set(SWB_SECTION_ROUTE, "auth.from", "header, query:token",
	    "{\"auth\":{\"from\":[\"header\",\"query:token\"]}}");
	check_set(SWB_SECTION_ROUTE, "auth.client_cert.subjects",
	    "CN=alice,O=Example;  CN=bob,O=Example;",
	    "{\"auth\":{\"client_cert\":{\"subjects\":[\"CN=alice,O=Example\","
	    "\"CN=bob,O=Example\"]}}}");
	/* a name with a semicolon of its own (escaped in a DN) is written as JSON */
	check_set(SWB_SECTION_ROUTE, "auth.client_cert.subjects", "[\"CN=a\\\\;b\"]",
	    "{\"auth\":{\"client_cert\":{\"subjects\":[\"CN=a\\\\;b\"]}}}");
	check_set(SWB_SECTION_ROUTE, "auth.jwt.keys", "/etc/switchboard/jwks.json",
	    "{\"auth\":{\"jwt\":{\"keys\":\"/etc/switchboard/jwks.json\"}}}");
	check_set(SWB_SECTION_ROUTE, "auth.jwt.leeway_s", "45",
	    "{\"auth\":{\"jwt\":{\"leeway_s\":45}}}");
	/* not a number: kept as typed, for the validator to name */
	check_set(SWB_SECTION_ROUTE, "rate.per_address.per_s", "ten",
	    "{\"rate\":{\"per_address\":{\"per_s\":\"ten\"}}}");
	check_set(SWB_SECTION_ROUTE, "rate.per_address.burst", "20",
	    "{\"rate\":{\"per_address\":{\"burst\":20}}}");
}

/*
 * What the form does not show stays as it was: members it has no row for (a
 * member of a later version) in the sub-objects it edits; clearing every row
 * of the form keeps them.
 */
static void
test_identity_keeps_unknown(void)
{
	json_object *route = json_tokener_parse("{\"name\": \"r\", \"auth\": {"
	    " \"tokens\": \"t.txt\", \"request\": {\"url\": \"http://127.0.0.1:9/check\", \"method\": \"HEAD\"},"
	    " \"jwt\": {\"keys\": \"k.pem\", \"algorithms\": [\"ES256\"]}},"
	    " \"rate\": {\"per_address\": {\"per_s\": 1, \"window\": 2}, \"global\": 3}}");
	guint n;
	const SwbField *fields = swb_policy_fields(SWB_SECTION_ROUTE, &n);

	swb_field_set_text(swb_policy_field_find(SWB_SECTION_ROUTE, "auth.tokens"), route,
	    "other.txt");
	swb_field_set_text(swb_policy_field_find(SWB_SECTION_ROUTE, "rate.per_address.per_s"),
	    route, "4");
	g_assert_cmpstr(member_json(route), ==, "{\"name\":\"r\",\"auth\":{\"tokens\":"
	    "\"other.txt\",\"request\":{\"url\":\"http://127.0.0.1:9/check\",\"method\":"
	    "\"HEAD\"},\"jwt\":{"
	    "\"keys\":\"k.pem\",\"algorithms\":[\"ES256\"]}},\"rate\":{\"per_address\":{"
	    "\"per_s\":4,\"window\":2},\"global\":3}}");
	for (guint i = 0; i < n; i++)
		swb_field_set_text(&fields[i], route, "");
	g_assert_cmpstr(member_json(route), ==, "{\"auth\":{\"request\":{\"method\":"
	    "\"HEAD\"},\"jwt\":{\"algorithms\":[\"ES256\"]}},"
	    "\"rate\":{\"per_address\":{\"window\":2},\"global\":3}}");
	json_object_put(route);
}

/* The fields of a sub-object fold together; the others are rows of their group. */
static void
test_folds(void)
{
	static const struct {
		const char *key;
		const char *fold;
	} cases[] = {
		{ "auth.tokens", NULL },
		{ "auth.from", NULL },
		{ "auth.jwt.keys", "JSON Web Tokens" },
		{ "auth.jwt.leeway_s", "JSON Web Tokens" },
		{ "auth.client_cert.sans", "Client certificates" },
		{ "rate.per_address.burst", "Per client address" },
		{ "rate.per_identity.per_s", "Per identity" },
		{ "match.host", NULL },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
		g_assert_cmpstr(swb_policy_field_fold(swb_policy_field_find(SWB_SECTION_ROUTE,
		    cases[i].key)), ==, cases[i].fold);
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
	{ "routes[1].auth.jwt.leeway_s", SWB_SECTION_ROUTE, 1, "auth.jwt.leeway_s" },
	{ "routes[0].auth.from[2]", SWB_SECTION_ROUTE, 0, "auth.from" },
	{ "routes[0].auth.client_cert.subjects[1]", SWB_SECTION_ROUTE, 0,
	  "auth.client_cert.subjects" },
	{ "routes[0].auth.jwt", SWB_SECTION_ROUTE, 0, NULL },
	{ "routes[3].rate.per_identity.per_s", SWB_SECTION_ROUTE, 3, "rate.per_identity.per_s" },
	{ "routes[3].rate.per_address.burst", SWB_SECTION_ROUTE, 3, "rate.per_address.burst" },
	{ "routes[3].rate", SWB_SECTION_ROUTE, 3, NULL },
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
	g_test_add_func("/policy-form/identity-kinds", test_identity_kinds);
	g_test_add_func("/policy-form/identity-keeps-unknown", test_identity_keeps_unknown);
	g_test_add_func("/policy-form/folds", test_folds);
	g_test_add_func("/policy-form/clearing-prunes", test_clearing_prunes);
	g_test_add_func("/policy-form/error-targets", test_error_targets);
	g_test_add_func("/policy-form/field-paths", test_field_paths);
	return g_test_run();
}
