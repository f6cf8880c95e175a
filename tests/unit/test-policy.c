/* test-policy.c - policy parse, check, write and save; the fixtures under tests/policies */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sb-policy.h"

static const char *
fixtures_dir(const char *kind)
{
	static char *dirs[2];
	const char *root = g_getenv("SB_SOURCE_ROOT");
	int i = strcmp(kind, "valid") == 0 ? 0 : 1;

	if (root == NULL)
		return NULL;
	if (dirs[i] == NULL)
		dirs[i] = g_build_filename(root, "tests", "policies", kind, NULL);
	return dirs[i];
}

/* The errors as `switchboardd --check` prints them; g_free() it. */
static char *
errors_text(const struct sb_errors *errs, const char *file)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	char *copy;

	g_assert_nonnull(f);
	sb_errors_print(errs, file, f);
	fclose(f);
	copy = g_strdup(text);
	free(text);
	return copy;
}

static struct sb_policy *
parse(const char *text, struct sb_errors *errs)
{
	return sb_policy_from_string(text, strlen(text), fixtures_dir("valid"), errs);
}

/* Parses text expecting it to fail with exactly the lines of expected. */
static void
assert_errors(const char *text, const char *expected)
{
	struct sb_errors errs = SB_ERRORS_INIT;
	struct sb_policy *p = parse(text, &errs);
	char *got = errors_text(&errs, NULL);

	g_assert_null(p);
	g_assert_cmpstr(got, ==, expected);
	g_free(got);
	sb_errors_clear(&errs);
}

static struct sb_policy *
parse_ok(const char *text)
{
	struct sb_errors errs = SB_ERRORS_INIT;
	struct sb_policy *p = parse(text, &errs);
	char *got = errors_text(&errs, NULL);

	g_assert_cmpstr(got, ==, "");
	g_assert_nonnull(p);
	g_free(got);
	sb_errors_clear(&errs);
	return p;
}

static gint
compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static GPtrArray *
list_fixtures(const char *dir)
{
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	g_assert_nonnull(d);
	while ((name = g_dir_read_name(d)) != NULL) {
		if (g_str_has_suffix(name, ".json"))
			g_ptr_array_add(names, g_strdup(name));
	}
	g_dir_close(d);
	g_ptr_array_sort(names, compare_names);
	return names;
}

static void
test_valid_roundtrip(void)
{
	const char *dir = fixtures_dir("valid");
	GPtrArray *names;

	if (dir == NULL) {
		g_test_skip("SB_SOURCE_ROOT is not set");
		return;
	}
	names = list_fixtures(dir);
	g_assert_cmpuint(names->len, >=, 4);
	for (guint i = 0; i < names->len; i++) {
		char *file = g_build_filename(dir, names->pdata[i], NULL);
		struct sb_errors errs = SB_ERRORS_INIT;
		struct sb_policy *a, *b;
		char *text, *again, *got;

		g_test_message("%s", (char *)names->pdata[i]);
		a = sb_policy_load(file, &errs);
		got = errors_text(&errs, names->pdata[i]);
		g_assert_cmpstr(got, ==, "");
		g_assert_nonnull(a);
		text = sb_policy_to_string(a);
		b = sb_policy_from_string(text, strlen(text), a->base_dir, &errs);
		g_assert_cmpuint(errs.count, ==, 0);
		g_assert_nonnull(b);
		g_assert_true(sb_policy_equal(a, b));
		again = sb_policy_to_string(b);
		g_assert_cmpstr(again, ==, text);
		g_assert_true(g_str_has_suffix(text, "}\n"));
		free(text);
		free(again);
		g_free(got);
		g_free(file);
		sb_policy_free(a);
		sb_policy_free(b);
	}
	g_ptr_array_unref(names);
}

static void
test_invalid_fixtures(void)
{
	const char *dir = fixtures_dir("invalid");
	GPtrArray *names;

	if (dir == NULL) {
		g_test_skip("SB_SOURCE_ROOT is not set");
		return;
	}
	names = list_fixtures(dir);
	g_assert_cmpuint(names->len, >=, 10);
	for (guint i = 0; i < names->len; i++) {
		const char *name = names->pdata[i];
		char *file = g_build_filename(dir, name, NULL);
		char *stem = g_strndup(name, strlen(name) - strlen(".json"));
		char *expected_file = g_strdup_printf("%s/%s.expected", dir, stem);
		struct sb_errors errs = SB_ERRORS_INIT;
		char *expected = NULL, *got;
		struct sb_policy *p;

		g_test_message("%s", name);
		g_assert_true(g_file_get_contents(expected_file, &expected, NULL, NULL));
		p = sb_policy_load(file, &errs);
		g_assert_null(p);
		got = errors_text(&errs, name);
		g_assert_cmpstr(got, ==, expected);
		g_free(got);
		g_free(expected);
		g_free(expected_file);
		g_free(stem);
		g_free(file);
		sb_errors_clear(&errs);
	}
	g_ptr_array_unref(names);
}

static void
test_defaults(void)
{
	struct sb_policy *p = parse_ok(
	    "{\"version\": 1, \"listeners\": [{\"name\": \"plain\", \"bind\": \"*:8080\"}],"
	    " \"routes\": [{\"name\": \"echo\", \"mode\": \"websocket\","
	    " \"backend\": \"builtin:echo\"},"
	    " {\"name\": \"ssh\", \"match\": {\"upgrade\": \"ssh\"}, \"backend\": \"[::1]:22\","
	    "  \"on_policy_change\": \"close\"}]}");
	const struct sb_route *echo = sb_policy_find_route(p, "echo");
	const struct sb_route *ssh = sb_policy_find_route(p, "ssh");
	const struct sb_listener *plain = sb_policy_find_listener(p, "plain");

	g_assert_cmpint(p->version, ==, 1);
	g_assert_nonnull(plain);
	g_assert_cmpstr(plain->bind_hp.host, ==, "0.0.0.0");
	g_assert_cmpuint(plain->bind_hp.port, ==, 8080);
	g_assert_null(plain->tls);
	g_assert_false(plain->proxy_protocol);
	g_assert_false(plain->has_proxy_from);
	g_assert_cmpuint(plain->max_connections, ==, 0);

	g_assert_nonnull(echo);
	g_assert_cmpint(echo->mode, ==, SB_MODE_WEBSOCKET);
	g_assert_cmpstr(echo->match.upgrade, ==, "websocket");
	g_assert_null(echo->match.host);
	g_assert_null(echo->match.path);
	g_assert_cmpuint(echo->backend.n_servers, ==, 1);
	g_assert_cmpstr(echo->backend.servers[0].address, ==, SB_BACKEND_BUILTIN_ECHO);
	g_assert_true(sb_backend_is_echo(&echo->backend));
	g_assert_false(echo->has_allow);
	g_assert_false(echo->has_origins);
	g_assert_cmpuint(echo->idle_timeout_s, ==, SB_DEFAULT_IDLE_TIMEOUT_S);
	g_assert_cmpuint(echo->max_connections, ==, 0);
	g_assert_cmpint(echo->proxy_protocol, ==, SB_PROXY_NONE);
	g_assert_cmpint(echo->on_policy_change, ==, SB_ON_CHANGE_UNSET);
	g_assert_cmpint(sb_route_on_change(p, echo), ==, SB_ON_CHANGE_KEEP);
	g_assert_null(echo->tls);
	g_assert_true(sb_route_on_listener(echo, "plain"));
	g_assert_true(sb_route_on_listener(echo, "anything"));

	g_assert_nonnull(ssh);
	g_assert_cmpint(ssh->mode, ==, SB_MODE_TUNNEL);
	g_assert_cmpint(ssh->backend.form, ==, SB_BACKEND_FORM_STRING);
	g_assert_cmpstr(ssh->backend.servers[0].hp.host, ==, "::1");
	g_assert_cmpuint(ssh->backend.servers[0].hp.port, ==, 22);
	g_assert_cmpint(sb_route_on_change(p, ssh), ==, SB_ON_CHANGE_CLOSE);
	g_assert_null(sb_policy_find_route(p, "nope"));
	g_assert_null(sb_policy_find_listener(p, "nope"));

	g_assert_null(p->control.socket);
	g_assert_cmpuint(p->control.mode, ==, SB_DEFAULT_CONTROL_MODE);
	g_assert_false(p->control.has_allow_uids);
	g_assert_cmpuint(p->limits.max_connections, ==, SB_DEFAULT_MAX_CONNECTIONS);
	/* one address must not take every slot: limited by default, IPv6 by its /64 */
	g_assert_cmpuint(p->limits.max_per_ip, ==, 256);
	g_assert_cmpuint(p->limits.ipv6_prefix, ==, 64);
	g_assert_cmpuint(p->limits.handshake_timeout_s, ==, SB_DEFAULT_HANDSHAKE_TIMEOUT_S);
	g_assert_cmpuint(p->limits.connect_timeout_ms, ==, SB_DEFAULT_CONNECT_TIMEOUT_MS);
	g_assert_cmpuint(p->limits.drain_timeout_s, ==, SB_DEFAULT_DRAIN_TIMEOUT_S);
	g_assert_cmpint(p->on_policy_change, ==, SB_ON_CHANGE_KEEP);
	g_assert_null(p->metrics);
	sb_policy_free(p);
}

static void
test_policy_default_inherited(void)
{
	struct sb_policy *p = parse_ok(
	    "{\"version\": 1, \"listeners\": [{\"name\": \"a\", \"bind\": \"127.0.0.1:1\"},"
	    " {\"name\": \"b\", \"bind\": \"127.0.0.1:2\"}], \"on_policy_change\": \"close\","
	    " \"routes\": [{\"name\": \"r\", \"listeners\": [\"b\"], \"mode\": \"h2c\","
	    " \"backend\": \"h2.internal:80\"}, {\"name\": \"k\", \"mode\": \"h2c\","
	    " \"backend\": \"h2.internal:80\", \"on_policy_change\": \"keep\"}]}");

	g_assert_cmpint(sb_route_on_change(p, &p->routes[0]), ==, SB_ON_CHANGE_CLOSE);
	g_assert_cmpint(sb_route_on_change(p, &p->routes[1]), ==, SB_ON_CHANGE_KEEP);
	g_assert_false(sb_route_on_listener(&p->routes[0], "a"));
	g_assert_true(sb_route_on_listener(&p->routes[0], "b"));
	g_assert_cmpstr(p->routes[0].match.upgrade, ==, "h2c");
	g_assert_cmpint(p->routes[0].mode, ==, SB_MODE_H2C);
	sb_policy_free(p);
}

static void
test_modes(void)
{
	static const struct {
		const char *token;
		enum sb_mode mode;
	} cases[] = {
		{ "websocket", SB_MODE_WEBSOCKET }, { "WebSocket", SB_MODE_WEBSOCKET },
		{ "h2c", SB_MODE_H2C }, { "H2C", SB_MODE_H2C }, { "TLS/1.0", SB_MODE_TLS },
		{ "tls/1.2", SB_MODE_TLS }, { "TLS", SB_MODE_TLS }, { "TLSX", SB_MODE_TUNNEL },
		{ "*", SB_MODE_TUNNEL }, { "x-custom", SB_MODE_TUNNEL }, { NULL, SB_MODE_TUNNEL },
	};
	enum sb_mode mode;

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
		g_assert_cmpint(sb_mode_for_upgrade(cases[i].token), ==, cases[i].mode);
	for (int m = SB_MODE_TUNNEL; m <= SB_MODE_TLS; m++) {
		g_assert_cmpint(sb_mode_from_name(sb_mode_name(m), &mode), ==, 0);
		g_assert_cmpint(mode, ==, m);
	}
	g_assert_cmpstr(sb_mode_name(SB_MODE_WEBSOCKET), ==, "websocket");
	g_assert_cmpint(sb_mode_from_name("WebSocket", &mode), ==, -1);
	g_assert_cmpint(sb_mode_from_name("", &mode), ==, -1);
}

static void
test_canonical_text(void)
{
	struct sb_policy *p = parse_ok(
	    "{\"metrics\": \"127.0.0.1:9464\", \"routes\": [{\"backend\": \"builtin:echo\","
	    " \"idle_timeout_s\": 3600, \"name\": \"echo\", \"match\": {\"path\": \"/echo\","
	    " \"upgrade\": \"websocket\"}, \"allow\": [\"10.1.2.3\"]}],"
	    " \"listeners\": [{\"bind\": \"127.0.0.1:8080\", \"proxy_protocol\": false,"
	    " \"name\": \"plain\"}], \"version\": 1, \"control\": {\"mode\": \"660\"},"
	    " \"limits\": {\"drain_timeout_s\": 5}}");
	char *text = sb_policy_to_string(p);

	g_assert_cmpstr(text, ==,
	    "{\n"
	    "  \"version\": 1,\n"
	    "  \"listeners\": [\n"
	    "    {\n"
	    "      \"name\": \"plain\",\n"
	    "      \"bind\": \"127.0.0.1:8080\"\n"
	    "    }\n"
	    "  ],\n"
	    "  \"routes\": [\n"
	    "    {\n"
	    "      \"name\": \"echo\",\n"
	    "      \"match\": {\n"
	    "        \"path\": \"/echo\"\n"
	    "      },\n"
	    "      \"mode\": \"websocket\",\n"
	    "      \"backend\": \"builtin:echo\",\n"
	    "      \"allow\": [\n"
	    "        \"10.1.2.3/32\"\n"
	    "      ]\n"
	    "    }\n"
	    "  ],\n"
	    "  \"limits\": {\n"
	    "    \"drain_timeout_s\": 5\n"
	    "  },\n"
	    "  \"metrics\": \"127.0.0.1:9464\"\n"
	    "}\n");
	free(text);
	sb_policy_free(p);
}

static void
test_equal(void)
{
	const char *text =
	    "{\"version\": 1, \"listeners\": [{\"name\": \"plain\", \"bind\": \"127.0.0.1:8080\"}],"
	    " \"routes\": [{\"name\": \"r\", \"match\": {\"upgrade\": \"WebSocket\"},"
	    " \"backend\": \"127.0.0.1:9\", \"allow\": [\"10.0.0.0/8\"]}]}";
	struct sb_policy *a = parse_ok(text), *b = parse_ok(text);

	g_assert_true(sb_policy_equal(a, b));
	b->routes[0].allow[0].prefix = 9;
	g_assert_false(sb_policy_equal(a, b));
	b->routes[0].allow[0].prefix = 8;
	b->routes[0].idle_timeout_s = 5;
	g_assert_false(sb_policy_equal(a, b));
	b->routes[0].idle_timeout_s = a->routes[0].idle_timeout_s;
	b->limits.max_per_ip = 3;
	g_assert_false(sb_policy_equal(a, b));
	b->limits.max_per_ip = a->limits.max_per_ip;
	b->limits.ipv6_prefix = 48;
	g_assert_false(sb_policy_equal(a, b));
	b->limits.ipv6_prefix = a->limits.ipv6_prefix;
	g_assert_true(sb_policy_equal(a, b));
	/* upgrade tokens compare case-insensitively */
	memcpy(b->routes[0].match.upgrade, "websocket", 9);
	g_assert_true(sb_policy_equal(a, b));
	b->listeners[0].proxy_protocol = true;
	g_assert_false(sb_policy_equal(a, b));
	a->listeners[0].proxy_protocol = true;
	g_assert_true(sb_policy_equal(a, b));
	/* true (any sender) is not {"from": [...]} */
	b->listeners[0].has_proxy_from = true;
	b->listeners[0].n_proxy_from = 1;
	b->listeners[0].proxy_from = g_memdup2(&a->routes[0].allow[0], sizeof(struct sb_cidr));
	g_assert_false(sb_policy_equal(a, b));
	a->listeners[0].has_proxy_from = true;
	a->listeners[0].n_proxy_from = 1;
	a->listeners[0].proxy_from = g_memdup2(&a->routes[0].allow[0], sizeof(struct sb_cidr));
	g_assert_true(sb_policy_equal(a, b));
	b->listeners[0].proxy_from[0].prefix = 16;
	g_assert_false(sb_policy_equal(a, b));
	sb_policy_free(a);
	sb_policy_free(b);
}

/* Listener proxy_protocol: true, false, or {"from": [CIDR, ...]}; the writer keeps the form. */
static void
test_proxy_from(void)
{
	struct sb_policy *p = parse_ok(
	    "{\"version\": 1, \"listeners\": ["
	    " {\"name\": \"lb\", \"bind\": \"0.0.0.0:8443\","
	    "  \"proxy_protocol\": {\"from\": [\"10.0.0.0/8\", \"2001:db8::7\"]}},"
	    " {\"name\": \"any\", \"bind\": \"127.0.0.1:8080\", \"proxy_protocol\": true}]}");
	const struct sb_listener *lb = sb_policy_find_listener(p, "lb");
	const struct sb_listener *any = sb_policy_find_listener(p, "any");
	char *text = sb_policy_to_string(p);
	struct sb_policy *again;

	g_assert_true(lb->proxy_protocol);
	g_assert_true(lb->has_proxy_from);
	g_assert_cmpuint(lb->n_proxy_from, ==, 2);
	g_assert_cmpuint(lb->proxy_from[0].prefix, ==, 8);
	g_assert_cmpuint(lb->proxy_from[1].prefix, ==, 128);
	g_assert_true(any->proxy_protocol);
	g_assert_false(any->has_proxy_from);
	g_assert_nonnull(strstr(text, "\"proxy_protocol\": {\n        \"from\": [\n"
	    "          \"10.0.0.0/8\",\n          \"2001:db8::7/128\"\n        ]\n      }"));
	g_assert_nonnull(strstr(text, "\"proxy_protocol\": true"));
	again = parse_ok(text);
	g_assert_true(sb_policy_equal(p, again));
	sb_policy_free(again);
	free(text);
	sb_policy_free(p);

	assert_errors("{\"version\": 1, \"listeners\": [{\"name\": \"l\", \"bind\": \"*:80\","
	    " \"proxy_protocol\": {\"from\": []}}]}",
	    "listeners[0].proxy_protocol.from: must not be empty (true takes any sender)\n");
	assert_errors("{\"version\": 1, \"listeners\": [{\"name\": \"l\", \"bind\": \"*:80\","
	    " \"proxy_protocol\": {\"form\": [\"10.0.0.0/8\"]}}]}",
	    "listeners[0].proxy_protocol.form: unknown key\n"
	    "listeners[0].proxy_protocol.from: is required\n");
	assert_errors("{\"version\": 1, \"listeners\": [{\"name\": \"l\", \"bind\": \"*:80\","
	    " \"proxy_protocol\": {\"from\": [\"10.0.0.1/8\", 7]}}]}",
	    "listeners[0].proxy_protocol.from[0]: host bits must be zero\n"
	    "listeners[0].proxy_protocol.from[1]: must be a string\n");
}

/* --check's advice: true on a bind others can reach trusts anyone's PROXY header. */
static void
test_warnings(void)
{
	struct sb_policy *p = parse_ok(
	    "{\"version\": 1, \"listeners\": ["
	    " {\"name\": \"a\", \"bind\": \"*:8081\", \"proxy_protocol\": true},"
	    " {\"name\": \"b\", \"bind\": \"127.0.0.2:8082\", \"proxy_protocol\": true},"
	    " {\"name\": \"c\", \"bind\": \"[::1]:8083\", \"proxy_protocol\": true},"
	    " {\"name\": \"d\", \"bind\": \"[::]:8084\", \"proxy_protocol\": true},"
	    " {\"name\": \"e\", \"bind\": \"192.0.2.1:8085\","
	    "  \"proxy_protocol\": {\"from\": [\"10.0.0.0/8\"]}},"
	    " {\"name\": \"f\", \"bind\": \"192.0.2.1:8086\"}]}");
	struct sb_errors warnings = SB_ERRORS_INIT;

	g_assert_cmpuint(sb_policy_warnings(p, &warnings), ==, 2);
	g_assert_cmpstr(warnings.items[0].path, ==, "listeners[0].proxy_protocol");
	g_assert_cmpstr(warnings.items[1].path, ==, "listeners[3].proxy_protocol");
	g_assert_nonnull(strstr(warnings.items[0].message, "any sender on *:8081"));
	sb_errors_clear(&warnings);
	sb_policy_free(p);
}

/* "$schema" is for editors: accepted, kept first by the writer, never used otherwise. */
static void
test_schema_key(void)
{
	static const char text[] =
	    "{\"version\": 1, \"$schema\": \"/usr/share/switchboard/policy.schema.json\","
	    " \"listeners\": [{\"name\": \"plain\", \"bind\": \"127.0.0.1:8080\"}]}";
	struct sb_policy *p = parse_ok(text), *q;
	char *out = sb_policy_to_string(p);

	g_assert_cmpstr(p->schema, ==, "/usr/share/switchboard/policy.schema.json");
	g_assert_true(g_str_has_prefix(out,
	    "{\n  \"$schema\": \"/usr/share/switchboard/policy.schema.json\",\n  \"version\": 1,"));
	q = parse_ok(out);
	g_assert_true(sb_policy_equal(p, q));
	free(q->schema);
	q->schema = NULL;
	g_assert_false(sb_policy_equal(p, q));
	free(out);
	out = sb_policy_to_string(q);
	g_assert_null(strstr(out, "$schema"));
	free(out);
	sb_policy_free(q);
	sb_policy_free(p);
	assert_errors("{\"version\": 1, \"$schema\": 7,"
	    " \"listeners\": [{\"name\": \"plain\", \"bind\": \"127.0.0.1:8080\"}]}",
	    "[\"$schema\"]: must be a string\n");
	assert_errors("{\"version\": 1, \"$schemas\": \"x\","
	    " \"listeners\": [{\"name\": \"plain\", \"bind\": \"127.0.0.1:8080\"}]}",
	    "[\"$schemas\"]: unknown key\n");
}

static void
test_resolve_path(void)
{
	struct sb_policy *p = sb_policy_new();
	char *s;

	s = sb_policy_resolve_path(p, "cert.pem");
	g_assert_cmpstr(s, ==, "cert.pem");
	free(s);
	p->base_dir = strdup("/etc/switchboard");
	s = sb_policy_resolve_path(p, "tls/cert.pem");
	g_assert_cmpstr(s, ==, "/etc/switchboard/tls/cert.pem");
	free(s);
	s = sb_policy_resolve_path(p, "/srv/cert.pem");
	g_assert_cmpstr(s, ==, "/srv/cert.pem");
	free(s);
	sb_policy_free(p);
	sb_policy_free(NULL);
}

static void
test_messages(void)
{
	static const char listener[] =
	    "\"listeners\": [{\"name\": \"l\", \"bind\": \"127.0.0.1:80\"}]";
	char *text;

	assert_errors("", "invalid JSON at line 1, column 1: unexpected end of data\n");
	assert_errors("{\n\n  \"version\": 1,,\n}",
	    "invalid JSON at line 3, column 16: quoted object property name expected\n");
	assert_errors("{\"version\": 1, \"x\": \"\\u00e9\xff\"}",
	    "invalid JSON at line 1, column 28: invalid utf-8 string\n");
	assert_errors("[]", "the document must be a JSON object\n");
	assert_errors("12", "the document must be a JSON object\n");
	assert_errors("null", "the document must be a JSON object\n");

	text = g_strdup_printf("{\"version\": 1, %s, \"a b\": 1, \"\\\"q\\\"\": 2}", listener);
	assert_errors(text, "[\"a b\"]: unknown key\n[\"\\\"q\\\"\"]: unknown key\n");
	g_free(text);

	text = g_strdup_printf("{\"version\": 1, %s, \"limits\": {\"max_per_ip\": "
	    "99999999999999999999999}}", listener);
	assert_errors(text, "limits.max_per_ip: must be 1..1000000\n");
	g_free(text);

	text = g_strdup_printf("{\"version\": 1, %s, \"routes\": [{\"name\": \"r\", "
	    "\"mode\": \"websocket\", \"backend\": \"b:1\","
	    " \"origins\": [\"https://a\\u0000b\"]}]}",
	    listener);
	assert_errors(text, "routes[0].origins[0]: must not contain NUL characters\n");
	g_free(text);

	text = g_strdup_printf("{\"version\": 1.0, %s}", listener);
	assert_errors(text, "version: must be 1\n");
	g_free(text);

	/* every error is reported, in document order */
	assert_errors("{\"routes\": [{\"name\": \"r\"}], \"listeners\": [{}], \"version\": 0}",
	    "routes[0].backend: is required\n"
	    "routes[0].match.upgrade: is required unless mode is \"websocket\" or \"h2c\"\n"
	    "listeners[0].name: is required\n"
	    "listeners[0].bind: is required\n"
	    "version: must be 1\n");
}

static void
test_nul_byte(void)
{
	static const char text[] = "{\"version\": 1,\n \0 }";
	struct sb_errors errs = SB_ERRORS_INIT;
	char *got;

	g_assert_null(sb_policy_from_string(text, sizeof text - 1, NULL, &errs));
	got = errors_text(&errs, NULL);
	g_assert_cmpstr(got, ==, "invalid JSON at line 2, column 2: NUL byte\n");
	g_free(got);
	sb_errors_clear(&errs);
}

static void
test_deep_nesting(void)
{
	GString *s = g_string_new("{\"version\": 1, \"x\": ");
	struct sb_errors errs = SB_ERRORS_INIT;

	for (int i = 0; i < 100; i++)
		g_string_append_c(s, '[');
	g_assert_null(parse(s->str, &errs));
	g_assert_cmpuint(errs.count, ==, 1);
	g_assert_true(g_str_has_prefix(errs.items[0].message, "invalid JSON at line 1"));
	sb_errors_clear(&errs);
	g_string_free(s, TRUE);
}

static void
test_load_errors(void)
{
	struct sb_errors errs = SB_ERRORS_INIT;
	char *dir = g_dir_make_tmp("sb-policy-XXXXXX", NULL);
	char *missing = g_build_filename(dir, "missing.json", NULL);
	char *got;

	g_assert_null(sb_policy_load(missing, &errs));
	got = errors_text(&errs, "missing.json");
	g_assert_cmpstr(got, ==, "missing.json: cannot read: No such file or directory\n");
	g_free(got);
	sb_errors_clear(&errs);

	g_assert_null(sb_policy_load(dir, &errs));
	got = errors_text(&errs, NULL);
	g_assert_cmpstr(got, ==, "cannot read: Is a directory\n");
	g_free(got);
	sb_errors_clear(&errs);

	g_rmdir(dir);
	g_free(missing);
	g_free(dir);
}

static char *
read_text(const char *file)
{
	char *text = NULL;

	if (!g_file_get_contents(file, &text, NULL, NULL))
		return NULL;
	return text;
}

static guint
count_entries(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	guint n = 0;

	while (g_dir_read_name(d) != NULL)
		n++;
	g_dir_close(d);
	return n;
}

static void
test_save(void)
{
	char *dir = g_dir_make_tmp("sb-policy-XXXXXX", NULL);
	char *file = g_build_filename(dir, "policy.json", NULL);
	char *bak = g_strconcat(file, ".bak", NULL);
	char *sub = g_build_filename(dir, "sub", NULL);
	char *text;
	struct stat st;

	/* a new file: no backup */
	g_assert_cmpint(sb_policy_save_text(file, "one\n"), ==, 0);
	text = read_text(file);
	g_assert_cmpstr(text, ==, "one\n");
	g_free(text);
	g_assert_false(g_file_test(bak, G_FILE_TEST_EXISTS));
	g_assert_cmpuint(count_entries(dir), ==, 1);

	/* a replacement keeps the previous text as FILE.bak, and the file's mode */
	g_assert_cmpint(chmod(file, 0640), ==, 0);
	g_assert_cmpint(sb_policy_save_text(file, "two\n"), ==, 0);
	text = read_text(file);
	g_assert_cmpstr(text, ==, "two\n");
	g_free(text);
	text = read_text(bak);
	g_assert_cmpstr(text, ==, "one\n");
	g_free(text);
	g_assert_cmpint(stat(file, &st), ==, 0);
	g_assert_cmpuint(st.st_mode & 07777, ==, 0640);

	g_assert_cmpint(sb_policy_save_text(file, "three\n"), ==, 0);
	text = read_text(bak);
	g_assert_cmpstr(text, ==, "two\n");
	g_free(text);
	g_assert_cmpuint(count_entries(dir), ==, 2);

	/* failure: the target cannot be replaced; nothing changes, nothing is left over */
	g_assert_cmpint(g_mkdir(sub, 0755), ==, 0);
	g_assert_cmpint(sb_policy_save_text(sub, "four\n"), ==, -1);
	g_assert_cmpint(errno, ==, EISDIR);
	g_assert_true(g_file_test(sub, G_FILE_TEST_IS_DIR));
	g_assert_cmpuint(count_entries(dir), ==, 3);
	g_assert_cmpint(sb_policy_save_text("/nonexistent-dir/policy.json", "x"), ==, -1);
	g_assert_cmpint(errno, ==, ENOENT);
	text = read_text(file);
	g_assert_cmpstr(text, ==, "three\n");
	g_free(text);

	g_remove(file);
	g_remove(bak);
	g_rmdir(sub);
	g_rmdir(dir);
	g_free(sub);
	g_free(bak);
	g_free(file);
	g_free(dir);
}

static void
test_save_written_policy(void)
{
	char *dir = g_dir_make_tmp("sb-policy-XXXXXX", NULL);
	char *file = g_build_filename(dir, "policy.json", NULL);
	struct sb_errors errs = SB_ERRORS_INIT;
	struct sb_policy *a = parse_ok(
	    "{\"version\": 1, \"listeners\": [{\"name\": \"plain\", \"bind\": \"[::1]:8080\"}],"
	    " \"control\": {\"socket\": \"ctl.sock\", \"allow_uids\": []}}");
	struct sb_policy *b;
	char *text = sb_policy_to_string(a);

	g_assert_cmpint(sb_policy_save_text(file, text), ==, 0);
	b = sb_policy_load(file, &errs);
	g_assert_cmpuint(errs.count, ==, 0);
	g_assert_nonnull(b);
	g_assert_true(sb_policy_equal(a, b));
	g_assert_true(b->control.has_allow_uids);
	g_assert_cmpuint(b->control.n_allow_uids, ==, 0);
	g_assert_true(g_path_is_absolute(b->base_dir));
	sb_policy_free(a);
	sb_policy_free(b);
	free(text);
	g_remove(file);
	g_rmdir(dir);
	g_free(file);
	g_free(dir);
}

/* Temp files a killed save left behind go; files that only look alike stay. */
static void
test_remove_stale_temps(void)
{
	char *dir = g_dir_make_tmp("sb-policy-XXXXXX", NULL);
	char *file = g_build_filename(dir, "policy.json", NULL);
	static const char *const stale[] = { ".policy.json.a1B2c3", ".policy.json.bak.Zz9y8X" };
	static const char *const kept[] = {
		"policy.json", "policy.json.bak", ".policy.json.toolong7", ".policy.json.ab-cde",
		".other.json.a1B2c3",
	};

	for (size_t i = 0; i < G_N_ELEMENTS(stale); i++) {
		char *p = g_build_filename(dir, stale[i], NULL);

		g_assert_true(g_file_set_contents(p, "{", -1, NULL));
		g_free(p);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(kept); i++) {
		char *p = g_build_filename(dir, kept[i], NULL);

		g_assert_true(g_file_set_contents(p, "{}", -1, NULL));
		g_free(p);
	}
	g_assert_cmpuint(sb_policy_remove_stale_temps(file), ==, G_N_ELEMENTS(stale));
	g_assert_cmpuint(count_entries(dir), ==, G_N_ELEMENTS(kept));
	g_assert_cmpuint(sb_policy_remove_stale_temps(file), ==, 0);
	for (size_t i = 0; i < G_N_ELEMENTS(kept); i++) {
		char *p = g_build_filename(dir, kept[i], NULL);

		g_remove(p);
		g_free(p);
	}
	g_rmdir(dir);
	g_free(file);
	g_free(dir);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/policy/fixtures/valid-roundtrip", test_valid_roundtrip);
	g_test_add_func("/policy/fixtures/invalid", test_invalid_fixtures);
	g_test_add_func("/policy/defaults", test_defaults);
	g_test_add_func("/policy/on-change-inherited", test_policy_default_inherited);
	g_test_add_func("/policy/modes", test_modes);
	g_test_add_func("/policy/write/canonical", test_canonical_text);
	g_test_add_func("/policy/equal", test_equal);
	g_test_add_func("/policy/proxy-from", test_proxy_from);
	g_test_add_func("/policy/warnings", test_warnings);
	g_test_add_func("/policy/resolve-path", test_resolve_path);
	g_test_add_func("/policy/messages", test_messages);
	g_test_add_func("/policy/nul-byte", test_nul_byte);
	g_test_add_func("/policy/deep-nesting", test_deep_nesting);
	g_test_add_func("/policy/load-errors", test_load_errors);
	g_test_add_func("/policy/save", test_save);
	g_test_add_func("/policy/schema-key", test_schema_key);
	g_test_add_func("/policy/remove-stale-temps", test_remove_stale_temps);
	g_test_add_func("/policy/save-written", test_save_written_policy);
	return g_test_run();
}
