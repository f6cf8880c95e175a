/* test-route.c - route verdicts: place, upgrade token, allow, origin, body, 426 hints */
#include <glib.h>
#include <string.h>

#include "sb-addr.h"
#include "sb-policy.h"
#include "sbd-route.h"

#define LISTENERS \
	"'listeners': [ { 'name': 'plain', 'bind': '127.0.0.1:8080' }," \
	"               { 'name': 'alt', 'bind': '127.0.0.1:8081' } ]"

/*
 * A policy through the real parser and checker, from JSON written with single
 * quotes (none of these policies needs a quote inside a string).
 */
static struct sb_policy *
policy(const char *routes)
{
	struct sb_errors errs = SB_ERRORS_INIT;
	char *text = g_strdup_printf("{ 'version': 1, " LISTENERS ", 'routes': [ %s ] }", routes);
	struct sb_policy *p;

	g_strdelimit(text, "'", '"');
	p = sb_policy_from_string(text, strlen(text), NULL, &errs);
	for (size_t i = 0; i < errs.count; i++)
		g_test_message("policy error: %s: %s", errs.items[i].path, errs.items[i].message);
	g_assert_cmpuint(errs.count, ==, 0);
	g_assert_nonnull(p);
	sb_errors_clear(&errs);
	g_free(text);
	return p;
}

struct req {
	struct sbd_route_query q;
	struct sockaddr_storage client;
};

static void
req_client(struct req *r, const char *addr)
{
	struct sb_hostport hp;
	const char *why = NULL;
	socklen_t len;

	g_assert_cmpint(sb_hostport_parse(addr, &hp, &why), ==, 0);
	g_assert_cmpint(sb_hostport_to_sockaddr(&hp, &r->client, &len), ==, 0);
	sb_hostport_clear(&hp);
	r->q.client = (const struct sockaddr *)&r->client;
}

/* A well-formed WebSocket-style upgrade of / on example.org, from 192.0.2.7. */
static void
req_init(struct req *r)
{
	memset(r, 0, sizeof *r);
	r->q.listener = "plain";
	r->q.host = "example.org";
	r->q.path = "/";
	r->q.method = "GET";
	r->q.http11 = true;
	r->q.connection = "Upgrade";
	r->q.upgrade = "websocket";
	req_client(r, "192.0.2.7:40000");
}

/* Decides into a verdict full of junk, to show every field gets set. */
static void
decide(const struct sb_policy *p, const struct req *r, struct sbd_verdict *v)
{
	memset(v, 0x5a, sizeof *v);
	sbd_route_decide(p, &r->q, v);
	g_assert_nonnull(memchr(v->reason, '\0', sizeof v->reason));
	g_assert_nonnull(memchr(v->token, '\0', sizeof v->token));
	g_assert_nonnull(memchr(v->upgrade_hint, '\0', sizeof v->upgrade_hint));
	g_test_message("%d %s (hint \"%s\")", v->status, v->reason, v->upgrade_hint);
}

static void
expect_101(const struct sb_policy *p, const struct req *r, const char *route, const char *token)
{
	struct sbd_verdict v;

	decide(p, r, &v);
	g_assert_cmpint(v.status, ==, 101);
	g_assert_true(v.has_route);
	g_assert_cmpuint(v.route, <, p->n_routes);
	g_assert_cmpstr(p->routes[v.route].name, ==, route);
	g_assert_cmpstr(v.token, ==, token);
	g_assert_true(g_str_has_prefix(v.reason, "route "));
	g_assert_cmpstr(v.reason + 6, ==, route);
}

/* A refusal; route is the one that refused, or NULL when none matched. */
static void
expect_refusal(const struct sb_policy *p, const struct req *r, int status, const char *route,
    const char *reason)
{
	struct sbd_verdict v;

	decide(p, r, &v);
	g_assert_cmpint(v.status, ==, status);
	g_assert_cmpstr(v.reason, ==, reason);
	g_assert_cmpint(v.has_route, ==, route != NULL);
	if (route != NULL)
		g_assert_cmpstr(p->routes[v.route].name, ==, route);
	else
		g_assert_cmpstr(v.token, ==, "");
	if (status != 426)
		g_assert_cmpstr(v.upgrade_hint, ==, "");
}

static void
expect_426(const struct sb_policy *p, const struct req *r, const char *reason, const char *hint)
{
	struct sbd_verdict v;

	expect_refusal(p, r, 426, NULL, reason);
	decide(p, r, &v);
	g_assert_cmpstr(v.upgrade_hint, ==, hint);
}

/* A websocket route; match_extra and route_extra add keys to "match" and to the route. */
#define WS_ROUTE_X(name, match_extra, route_extra) \
	"{ 'name': '" name "', 'match': { 'upgrade': 'websocket' " match_extra " }," \
	"  'backend': '127.0.0.1:9000' " route_extra " }"
#define WS_ROUTE(name, match_extra) WS_ROUTE_X(name, match_extra, "")

static void
test_basic(void)
{
	struct sb_policy *p = policy(WS_ROUTE("ws", ""));
	struct req r;

	req_init(&r);
	expect_101(p, &r, "ws", "websocket");
	/* the token as the client wrote it: the 101 echoes it */
	r.q.upgrade = "WebSocket";
	expect_101(p, &r, "ws", "WebSocket");
	r.q.connection = "keep-alive, UPGRADE";
	expect_101(p, &r, "ws", "WebSocket");
	/* no Host: HTTP/1.1 requires one (RFC 9112 §3.2), even where no route asks for it */
	r.q.host = NULL;
	expect_refusal(p, &r, 400, NULL, "an HTTP/1.1 request needs a Host header");
	sb_policy_free(p);
}

static void
test_token_lists(void)
{
	struct sb_policy *p = policy(
	    "{ 'name': 'ipp', 'match': { 'upgrade': 'TLS/1.0' }, 'mode': 'tunnel',"
	    "  'backend': '127.0.0.1:631' },"
	    "{ 'name': 'custom', 'match': { 'upgrade': 'x-proto/2' }, 'mode': 'tunnel',"
	    "  'backend': '127.0.0.1:9001' }");
	struct req r;

	req_init(&r);
	/* what CUPS sends */
	r.q.path = "*";
	r.q.method = "OPTIONS";
	r.q.upgrade = "TLS/1.2, TLS/1.1, TLS/1.0";
	expect_101(p, &r, "ipp", "TLS/1.0");
	r.q.upgrade = " ,tls/1.2,\t,tls/1.0 ,";
	expect_101(p, &r, "ipp", "tls/1.0");
	/* a version is part of the token */
	r.q.upgrade = "TLS/1.2, TLS";
	expect_426(p, &r, "protocol TLS/1.2, TLS is not routed here", "TLS/1.0, x-proto/2");
	r.q.upgrade = "x-proto/1, X-Proto/2";
	expect_101(p, &r, "custom", "X-Proto/2");
	sb_policy_free(p);
}

static void
test_wildcard_token(void)
{
	struct sb_policy *p = policy(
	    WS_ROUTE("ws", ", 'path': '/app'") ","
	    "{ 'name': 'any', 'match': { 'path': '/app', 'upgrade': '*' }, 'mode': 'tunnel',"
	    "  'backend': '127.0.0.1:9001' }");
	struct req r;

	req_init(&r);
	r.q.path = "/app";
	expect_101(p, &r, "ws", "websocket");
	r.q.upgrade = "my-proto/3.1";
	expect_101(p, &r, "any", "my-proto/3.1");
	/* the client's first choice goes to "*" before its second reaches "ws" */
	r.q.upgrade = "foo, websocket";
	expect_101(p, &r, "any", "foo");
	/* still a list of tokens */
	r.q.upgrade = "foo bar";
	expect_refusal(p, &r, 400, NULL, "malformed Upgrade header");
	/* "*" is not offered in a hint: it names no protocol */
	r.q.upgrade = NULL;
	expect_426(p, &r, "upgrade required: websocket", "websocket");
	sb_policy_free(p);

	p = policy("{ 'name': 'echo', 'match': { 'upgrade': '*' }, 'mode': 'tunnel',"
	    "  'backend': 'builtin:echo' }");
	expect_426(p, &r, "upgrade required: any protocol", "");
	sb_policy_free(p);
}

static void
test_bad_upgrade(void)
{
	struct sb_policy *p = policy(WS_ROUTE("ws", ""));
	GString *many = g_string_new("websocket");
	struct req r;

	req_init(&r);
	r.q.upgrade = "websocket; v=13";
	expect_refusal(p, &r, 400, NULL, "malformed Upgrade header");
	r.q.upgrade = "web\xc3\xa9socket";
	expect_refusal(p, &r, 400, NULL, "malformed Upgrade header");
	r.q.upgrade = "";
	expect_refusal(p, &r, 400, NULL, "no protocol in Upgrade");
	r.q.upgrade = " , ,";
	expect_refusal(p, &r, 400, NULL, "no protocol in Upgrade");
	for (int i = 0; i < SBD_TOKENS_MAX; i++)
		g_string_append(many, ", x");
	r.q.upgrade = many->str;
	expect_refusal(p, &r, 400, NULL, "too many protocols in Upgrade");
	g_string_assign(many, "websocket, ");
	for (int i = 0; i <= SBD_TOKEN_LEN_MAX; i++)
		g_string_append_c(many, 'x');
	r.q.upgrade = many->str;
	expect_refusal(p, &r, 400, NULL, "protocol name too long in Upgrade");
	g_string_free(many, TRUE);
	sb_policy_free(p);
}

static void
test_not_an_upgrade(void)
{
	struct sb_policy *p = policy(WS_ROUTE("ws", "") ","
	    "{ 'name': 'h2', 'match': { 'upgrade': 'h2c' }, 'backend': '127.0.0.1:9002' }");
	struct req r;

	req_init(&r);
	r.q.connection = NULL;
	expect_426(p, &r, "Connection header lacks the upgrade token", "websocket, h2c");
	r.q.connection = "keep-alive";
	expect_426(p, &r, "Connection header lacks the upgrade token", "websocket, h2c");
	r.q.connection = "upgraded";
	expect_426(p, &r, "Connection header lacks the upgrade token", "websocket, h2c");
	/* RFC 9110 §7.8: Upgrade in an HTTP/1.0 request is ignored */
	r.q.connection = "Upgrade";
	r.q.http11 = false;
	expect_426(p, &r, "upgrade requires HTTP/1.1", "websocket, h2c");
	r.q.http11 = true;
	r.q.upgrade = NULL;
	expect_426(p, &r, "upgrade required: websocket, h2c", "websocket, h2c");
	/* even a malformed Upgrade is ignored when Connection does not name it */
	r.q.connection = "close";
	r.q.upgrade = "bad token";
	expect_426(p, &r, "Connection header lacks the upgrade token", "websocket, h2c");
	sb_policy_free(p);
}

static void
test_host(void)
{
	struct sb_policy *p = policy(WS_ROUTE("exact", ", 'host': 'example.org'") ","
	    WS_ROUTE("wild", ", 'host': '*.example.net'") ","
	    WS_ROUTE("v4", ", 'host': '192.0.2.1'"));
	static const struct {
		const char *host;
		const char *route; /* NULL: 404 */
	} cases[] = {
		{ "example.org", "exact" },
		{ "example.org:8080", "exact" },
		{ "EXAMPLE.Org", "exact" },
		{ "example.org.", "exact" },
		{ "Example.ORG.:443", "exact" },
		{ "www.example.org", NULL },
		{ "example.org.evil", NULL },
		{ "vnc.example.net", "wild" },
		{ "A.B.Example.NET:80", "wild" },
		{ "example.net", NULL },          /* sub-domains only */
		{ "badexample.net", NULL },
		{ "192.0.2.1:8080", "v4" },
		{ "[::1]:8080", NULL },
		{ "[2001:db8::1]", NULL },
	};
	struct req r;

	req_init(&r);
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_test_message("Host: %s", cases[i].host);
		r.q.host = cases[i].host;
		if (cases[i].route != NULL) {
			expect_101(p, &r, cases[i].route, "websocket");
		} else {
			char host[256], *reason;

			g_assert_true(sbd_host_normalize(cases[i].host, host, sizeof host));
			reason = g_strdup_printf("no route for host %s path /", host);
			expect_refusal(p, &r, 404, NULL, reason);
			g_free(reason);
		}
	}
	r.q.host = NULL;
	expect_refusal(p, &r, 400, NULL, "an HTTP/1.1 request needs a Host header");
	r.q.http11 = false; /* HTTP/1.0 may leave it out */
	expect_refusal(p, &r, 404, NULL, "no route for host (none) path /");
	r.q.http11 = true;
	/* malformed beats everything, even with no route that cares about the host */
	static const char *const bad[] = {
		"", "exa mple.org", "example.org:http", "[example.org]", "[::1", "::1",
		"user@example.org", "example.org/x",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_test_message("Host: %s", bad[i]);
		r.q.host = bad[i];
		expect_refusal(p, &r, 400, NULL, "malformed Host header");
	}
	sb_policy_free(p);

	p = policy(WS_ROUTE("any", ""));
	r.q.host = "[::1]:8443";
	expect_101(p, &r, "any", "websocket");
	r.q.host = "[::1]:8443x";
	expect_refusal(p, &r, 400, NULL, "malformed Host header");
	sb_policy_free(p);
}

/* What a strict server refuses comes before any route is looked at. */
static void
test_strict(void)
{
	struct sb_policy *p = policy(WS_ROUTE("tun", ", 'path': '/tun'"));
	struct req r;

	req_init(&r);
	r.q.path = "/tun";
	r.q.host_count = 1;
	expect_101(p, &r, "tun", "websocket");
	r.q.host_count = 2;
	expect_refusal(p, &r, 400, NULL, "more than one Host header");
	r.q.host_count = 1;
	r.q.head_flaw = "a bare CR in the request head";
	expect_refusal(p, &r, 400, NULL, "a bare CR in the request head");
	r.q.head_flaw = NULL;
	r.q.bad_field = "X-A ";
	expect_refusal(p, &r, 400, NULL, "malformed header field X-A ");
	r.q.bad_field = NULL;

	static const char *const dots[] = { "/tun/../x", "/tun/./x", "/tun/%2e%2e/x", "/tun/.." };
	for (size_t i = 0; i < G_N_ELEMENTS(dots); i++) {
		r.q.path = dots[i];
		expect_refusal(p, &r, 400, NULL, "a dot-segment (/./ or /../) in the path");
	}
	r.q.path = "/tun%2Fx";
	expect_refusal(p, &r, 400, NULL, "an encoded / in the path");
	r.q.path = "/tun%00/../x";
	expect_refusal(p, &r, 400, NULL, "an encoded NUL in the path");
	r.q.path = "/tunX";
	expect_refusal(p, &r, 404, NULL, "no route for host example.org path /tunX");
	r.q.path = "/tunnel";
	expect_refusal(p, &r, 404, NULL, "no route for host example.org path /tunnel");
	r.q.path = "/tun?/../x";
	expect_101(p, &r, "tun", "websocket");
	sb_policy_free(p);
}

static void
test_path_prefix(void)
{
	struct sb_policy *p = policy(WS_ROUTE("ws", ", 'path': '/ws'") ","
	    WS_ROUTE("root", ", 'path': '/'"));
	struct req r;

	req_init(&r);
	r.q.path = "/ws";
	expect_101(p, &r, "ws", "websocket");
	r.q.path = "/ws/deeper";
	expect_101(p, &r, "ws", "websocket");
	r.q.path = "/ws?x=1";
	expect_101(p, &r, "ws", "websocket");
	r.q.path = "/ws%2fdeeper"; /* decoded before it matches */
	expect_refusal(p, &r, 400, NULL, "an encoded / in the path");
	r.q.path = "/w%73/x";
	expect_101(p, &r, "ws", "websocket");
	r.q.path = "/wsx"; /* /ws matches at a segment boundary only */
	expect_101(p, &r, "root", "websocket");
	r.q.path = "/wsx/ws";
	expect_101(p, &r, "root", "websocket");
	r.q.path = "/w";
	expect_101(p, &r, "root", "websocket");
	r.q.path = "/WS"; /* paths are case-sensitive */
	expect_101(p, &r, "root", "websocket");
	r.q.path = "*";
	expect_refusal(p, &r, 404, NULL, "no route for host example.org path *");
	sb_policy_free(p);
}

static void
test_listener(void)
{
	struct sb_policy *p = policy(WS_ROUTE("only-alt", ", 'path': '/a'") ","
	    "{ 'name': 'alt-ws', 'listeners': ['alt'], 'match': { 'path': '/b', 'upgrade':"
	    "  'websocket' }, 'backend': '127.0.0.1:9000' },"
	    "{ 'name': 'both', 'listeners': ['alt', 'plain'], 'match': { 'path': '/c',"
	    "  'upgrade': 'websocket' }, 'backend': '127.0.0.1:9000' }");
	struct req r;

	req_init(&r);
	r.q.path = "/b";
	expect_refusal(p, &r, 404, NULL, "no route for host example.org path /b");
	r.q.listener = "alt";
	expect_101(p, &r, "alt-ws", "websocket");
	r.q.path = "/c";
	expect_101(p, &r, "both", "websocket");
	r.q.listener = "plain";
	expect_101(p, &r, "both", "websocket");
	r.q.path = "/a";
	expect_101(p, &r, "only-alt", "websocket");
	sb_policy_free(p);
}

static void
test_preference_order(void)
{
	struct sb_policy *p = policy(WS_ROUTE("ws", "") ","
	    "{ 'name': 'h2', 'match': { 'upgrade': 'h2c' }, 'backend': '127.0.0.1:9002' },"
	    "{ 'name': 'ws-late', 'match': { 'upgrade': 'WEBSOCKET' },"
	    "  'backend': '127.0.0.1:9003' }");
	struct req r;

	req_init(&r);
	/* the client's order of preference first ... */
	r.q.upgrade = "h2c, websocket";
	expect_101(p, &r, "h2", "h2c");
	r.q.upgrade = "websocket, h2c";
	expect_101(p, &r, "ws", "websocket");
	r.q.upgrade = "unknown, other/1, websocket, h2c";
	expect_101(p, &r, "ws", "websocket");
	/* ... then the policy's: the first route for a token wins */
	r.q.upgrade = "WebSocket";
	expect_101(p, &r, "ws", "WebSocket");
	sb_policy_free(p);

	/* the first route that matches decides, even when it refuses */
	p = policy(WS_ROUTE_X("lan", "", ", 'allow': ['10.0.0.0/8']") "," WS_ROUTE("open", ""));
	expect_refusal(p, &r, 403, "lan", "client address not allowed by route lan");
	sb_policy_free(p);
}

static void
test_allow(void)
{
	struct sb_policy *p = policy(
	    WS_ROUTE_X("v4", ", 'path': '/4'", ", 'allow': ['10.0.0.0/8', '192.0.2.7']") ","
	    WS_ROUTE_X("v6", ", 'path': '/6'", ", 'allow': ['2001:db8::/32', '::1/128']") ","
	    WS_ROUTE_X("none", ", 'path': '/0'", ", 'allow': []"));
	static const struct {
		const char *path;
		const char *client;
		bool allowed;
	} cases[] = {
		{ "/4", "10.1.2.3:1", true },
		{ "/4", "10.255.255.255:1", true },
		{ "/4", "11.0.0.1:1", false },
		{ "/4", "192.0.2.7:1", true },
		{ "/4", "192.0.2.8:1", false },
		{ "/4", "[::ffff:10.1.2.3]:1", true },   /* v4-mapped: a v4 client */
		{ "/4", "[::ffff:11.0.0.1]:1", false },
		{ "/4", "[::a01:203]:1", false },        /* v4-compatible is not v4-mapped */
		{ "/4", "[2001:db8::1]:1", false },
		{ "/6", "[2001:db8::1]:1", true },
		{ "/6", "[2001:db8:ffff::1]:1", true },
		{ "/6", "[2001:db9::1]:1", false },
		{ "/6", "[::1]:1", true },
		{ "/6", "[::2]:1", false },
		{ "/6", "127.0.0.1:1", false },
		{ "/0", "127.0.0.1:1", false },          /* an empty list admits no one */
		{ "/0", "[::1]:1", false },
	};
	struct req r;

	req_init(&r);
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		const char *name = cases[i].path[1] == '4' ? "v4" :
		    cases[i].path[1] == '6' ? "v6" : "none";

		g_test_message("%s from %s", cases[i].path, cases[i].client);
		r.q.path = cases[i].path;
		req_client(&r, cases[i].client);
		if (cases[i].allowed) {
			expect_101(p, &r, name, "websocket");
		} else {
			char *reason = g_strdup_printf("client address not allowed by route %s", name);

			expect_refusal(p, &r, 403, name, reason);
			g_free(reason);
		}
	}
	sb_policy_free(p);
}

static void
test_origins(void)
{
	struct sb_policy *p = policy(
	    "{ 'name': 'vnc', 'match': { 'upgrade': 'websocket', 'path': '/vnc' },"
	    "  'backend': '127.0.0.1:5900', 'allow': ['192.0.2.0/24'],"
	    "  'origins': ['https://vnc.example.org', 'http://[::1]:8080'] },"
	    WS_ROUTE("open", ", 'path': '/open'"));
	struct req r;

	req_init(&r);
	r.q.path = "/vnc";
	expect_refusal(p, &r, 403, "vnc", "origin missing, required by route vnc");
	r.q.origin = "https://evil.example";
	expect_refusal(p, &r, 403, "vnc", "origin https://evil.example not allowed by route vnc");
	r.q.origin = "https://vnc.example.org:443";
	expect_refusal(p, &r, 403, "vnc",
	    "origin https://vnc.example.org:443 not allowed by route vnc");
	r.q.origin = "http://vnc.example.org";
	expect_refusal(p, &r, 403, "vnc", "origin http://vnc.example.org not allowed by route vnc");
	r.q.origin = "null";
	expect_refusal(p, &r, 403, "vnc", "origin null not allowed by route vnc");
	r.q.origin = "https://vnc.example.org";
	expect_101(p, &r, "vnc", "websocket");
	r.q.origin = "HTTPS://VNC.Example.ORG";
	expect_101(p, &r, "vnc", "websocket");
	r.q.origin = "http://[::1]:8080";
	expect_101(p, &r, "vnc", "websocket");
	/* the address is checked before the origin */
	req_client(&r, "198.51.100.1:5000");
	expect_refusal(p, &r, 403, "vnc", "client address not allowed by route vnc");
	/* no origins: no Origin check */
	r.q.path = "/open";
	r.q.origin = "https://evil.example";
	expect_101(p, &r, "open", "websocket");
	r.q.origin = NULL;
	expect_101(p, &r, "open", "websocket");
	sb_policy_free(p);
}

static void
test_body(void)
{
	struct sb_policy *p = policy(WS_ROUTE("ws", "") ","
	    "{ 'name': 'h2', 'match': { 'upgrade': 'h2c' }, 'backend': '127.0.0.1:9002' },"
	    "{ 'name': 'raw', 'match': { 'upgrade': 'raw' }, 'mode': 'tunnel',"
	    "  'backend': '127.0.0.1:9003', 'allow': ['10.0.0.0/8'] }");
	struct req r;

	req_init(&r);
	r.q.has_body = true;
	r.q.method = "POST";
	expect_refusal(p, &r, 400, "ws", "an upgrade request must not carry a body");
	/* the body is refused before the address is looked at */
	r.q.upgrade = "raw";
	expect_refusal(p, &r, 400, "raw", "an upgrade request must not carry a body");
	/* RFC 7540 §3.2: h2c may carry a body, which becomes stream 1's */
	r.q.upgrade = "h2c";
	r.q.connection = "Upgrade, HTTP2-Settings";
	expect_101(p, &r, "h2", "h2c");
	r.q.upgrade = "websocket, h2c";
	expect_refusal(p, &r, 400, "ws", "an upgrade request must not carry a body");
	sb_policy_free(p);
}

static void
test_hint(void)
{
	struct sb_policy *p = policy(
	    WS_ROUTE("ws1", ", 'path': '/x'") ","
	    WS_ROUTE("ws2", ", 'path': '/x/y'") ","
	    "{ 'name': 'ws3', 'match': { 'upgrade': 'WebSocket', 'path': '/' },"
	    "  'backend': '127.0.0.1:9000' },"
	    "{ 'name': 'h2', 'match': { 'upgrade': 'h2c' }, 'backend': '127.0.0.1:9002' },"
	    "{ 'name': 'h2x', 'match': { 'upgrade': 'h2c-x' }, 'mode': 'tunnel',"
	    "  'backend': '127.0.0.1:9002' },"
	    "{ 'name': 'h2-again', 'match': { 'upgrade': 'H2C' }, 'backend': '127.0.0.1:9002' },"
	    "{ 'name': 'tls12', 'match': { 'upgrade': 'TLS/1.2', 'path': '/x' }, 'mode': 'tunnel',"
	    "  'backend': '127.0.0.1:9004' },"
	    "{ 'name': 'tls1', 'match': { 'upgrade': 'TLS/1', 'path': '/x' }, 'mode': 'tunnel',"
	    "  'backend': '127.0.0.1:9004' },"
	    "{ 'name': 'elsewhere', 'listeners': ['alt'], 'match': { 'upgrade': 'other' },"
	    "  'mode': 'tunnel', 'backend': '127.0.0.1:9005' },"
	    "{ 'name': 'vhost', 'match': { 'upgrade': 'vhost-only', 'host': 'other.example' },"
	    "  'mode': 'tunnel', 'backend': '127.0.0.1:9005' },"
	    "{ 'name': 'any', 'match': { 'upgrade': '*', 'path': '/x' }, 'mode': 'tunnel',"
	    "  'backend': '127.0.0.1:9005' }");
	struct req r;

	req_init(&r);
	/* each token once (case-insensitively), in policy order, only those routed here */
	r.q.upgrade = NULL;
	r.q.path = "/x/y";
	expect_426(p, &r, "upgrade required: websocket, h2c, h2c-x, TLS/1.2, TLS/1",
	    "websocket, h2c, h2c-x, TLS/1.2, TLS/1");
	r.q.path = "/";
	expect_426(p, &r, "upgrade required: WebSocket, h2c, h2c-x",
	    "WebSocket, h2c, h2c-x");
	r.q.listener = "alt";
	r.q.upgrade = "nothing";
	expect_426(p, &r, "protocol nothing is not routed here", "WebSocket, h2c, h2c-x, other");
	r.q.listener = "plain";
	r.q.host = "other.example:80";
	expect_426(p, &r, "protocol nothing is not routed here",
	    "WebSocket, h2c, h2c-x, vhost-only");
	sb_policy_free(p);
}

static void
test_long_texts(void)
{
	GString *routes = g_string_new(NULL);
	GString *upgrade = g_string_new(NULL);
	struct sb_policy *p;
	struct sbd_verdict v;
	struct req r;
	gchar **hint;

	/* more routed protocols than the hint can hold: it keeps whole tokens only */
	for (int i = 0; i < 12; i++)
		g_string_append_printf(routes, "%s{ 'name': 'r%d', 'match': { 'upgrade':"
		    " 'proto-%02d-%s' }, 'mode': 'tunnel', 'backend': '127.0.0.1:9000' }",
		    i ? "," : "", i, i, "abcdefghijklmnopqrstuvwxyz0123456789");
	p = policy(routes->str);
	req_init(&r);
	r.q.upgrade = NULL;
	decide(p, &r, &v);
	g_assert_cmpint(v.status, ==, 426);
	g_assert_cmpuint(strlen(v.upgrade_hint), >, 0);
	hint = g_strsplit(v.upgrade_hint, ", ", -1);
	g_assert_cmpuint(g_strv_length(hint), >=, 2);
	g_assert_cmpuint(g_strv_length(hint), <, 12);
	for (guint i = 0; hint[i] != NULL; i++)
		g_assert_cmpstr(hint[i], ==, p->routes[i].match.upgrade);
	g_strfreev(hint);

	/* a long unrouted list: the reason is cut, still terminated */
	for (int i = 0; i < SBD_TOKENS_MAX; i++)
		g_string_append_printf(upgrade, "%sunrouted-protocol-%02d", i ? ", " : "", i);
	r.q.upgrade = upgrade->str;
	decide(p, &r, &v);
	g_assert_cmpint(v.status, ==, 426);
	g_assert_true(g_str_has_prefix(v.reason, "protocol unrouted-protocol-00, "));
	g_assert_cmpuint(strlen(v.reason), ==, sizeof v.reason - 1);

	/* and a long path in a 404 */
	g_string_assign(upgrade, "/");
	for (int i = 0; i < 100; i++)
		g_string_append(upgrade, "long/");
	sb_policy_free(p);
	p = policy(WS_ROUTE("ws", ", 'path': '/ws'"));
	r.q.upgrade = "websocket";
	r.q.path = upgrade->str;
	decide(p, &r, &v);
	g_assert_cmpint(v.status, ==, 404);
	g_assert_cmpuint(strlen(v.reason), ==, sizeof v.reason - 1);
	sb_policy_free(p);
	g_string_free(routes, TRUE);
	g_string_free(upgrade, TRUE);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/route/basic", test_basic);
	g_test_add_func("/route/token-lists", test_token_lists);
	g_test_add_func("/route/wildcard-token", test_wildcard_token);
	g_test_add_func("/route/bad-upgrade", test_bad_upgrade);
	g_test_add_func("/route/not-an-upgrade", test_not_an_upgrade);
	g_test_add_func("/route/host", test_host);
	g_test_add_func("/route/path-prefix", test_path_prefix);
	g_test_add_func("/route/strict", test_strict);
	g_test_add_func("/route/listener", test_listener);
	g_test_add_func("/route/preference-order", test_preference_order);
	g_test_add_func("/route/allow", test_allow);
	g_test_add_func("/route/origins", test_origins);
	g_test_add_func("/route/body", test_body);
	g_test_add_func("/route/hint", test_hint);
	g_test_add_func("/route/long-texts", test_long_texts);
	return g_test_run();
}
