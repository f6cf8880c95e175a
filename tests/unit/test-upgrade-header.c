/* test-upgrade-header.c - Upgrade/Connection token lists, token match, Host normalization */
#include <glib.h>
#include <string.h>

#include "sbd-upgrade.h"

/* Parses header, expects OK and exactly the tokens of want (NULL-terminated). */
static void
expect_tokens(const char *header, const char *const *want)
{
	struct sbd_token_list list;
	size_t n = 0;

	g_test_message("Upgrade: %s", header);
	g_assert_cmpint(sbd_tokens_parse(header, &list), ==, SBD_TOKENS_OK);
	while (want[n] != NULL)
		n++;
	g_assert_cmpuint(list.count, ==, n);
	for (size_t i = 0; i < n; i++)
		g_assert_cmpstr(list.items[i].text, ==, want[i]);
}

static void
expect_result(const char *header, enum sbd_tokens_result want)
{
	struct sbd_token_list list;

	g_test_message("Upgrade: %s", header ? header : "(null)");
	memset(&list, 0xa5, sizeof list);
	g_assert_cmpint(sbd_tokens_parse(header, &list), ==, want);
	if (want == SBD_TOKENS_EMPTY)
		g_assert_cmpuint(list.count, ==, 0);
}

static void
test_tokens_lists(void)
{
	expect_tokens("websocket", (const char *const[]){ "websocket", NULL });
	expect_tokens("TLS/1.2, TLS/1.1, TLS/1.0",
	    (const char *const[]){ "TLS/1.2", "TLS/1.1", "TLS/1.0", NULL });
	/* OWS is spaces and tabs, around elements and commas */
	expect_tokens(" \th2c\t ,  websocket ",
	    (const char *const[]){ "h2c", "websocket", NULL });
	/* empty list elements are skipped (RFC 9110 §5.6.1) */
	expect_tokens(",, ,websocket,,\t,h2c,",
	    (const char *const[]){ "websocket", "h2c", NULL });
	/* case is kept as the client wrote it */
	expect_tokens("WebSocket, H2C", (const char *const[]){ "WebSocket", "H2C", NULL });
	/* every tchar, and a version made of tchars */
	expect_tokens("a!#$%&'*+-.^_`|~9/v1.0-rc~2",
	    (const char *const[]){ "a!#$%&'*+-.^_`|~9/v1.0-rc~2", NULL });
	expect_tokens("x/y,z", (const char *const[]){ "x/y", "z", NULL });
	/* duplicates are kept: picking among them is the router's business */
	expect_tokens("a, a", (const char *const[]){ "a", "a", NULL });
}

static void
test_tokens_empty(void)
{
	expect_result(NULL, SBD_TOKENS_EMPTY);
	expect_result("", SBD_TOKENS_EMPTY);
	expect_result("   ", SBD_TOKENS_EMPTY);
	expect_result(",", SBD_TOKENS_EMPTY);
	expect_result(" , ,\t,", SBD_TOKENS_EMPTY);
}

static void
test_tokens_invalid(void)
{
	static const char *const bad[] = {
		"web socket",         /* two tokens without a comma */
		"websocket;q=1",      /* parameters are not part of the grammar */
		"/1.0",               /* version without a name */
		"TLS/",               /* name without a version */
		"TLS/1.0/x",          /* two slashes */
		"TLS//1.0",
		"TLS /1.0",
		"\"websocket\"",      /* quoted */
		"web(socket)",
		"websocket, h2c x",
		"web\xc3\xa9socket",  /* not ASCII */
		"websocket\r\n",      /* CR LF is not OWS */
		"a, @, b",
		"websocket\x7f",
		"a:b",
		"{x}",
	};

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
		expect_result(bad[i], SBD_TOKENS_INVALID);
}

static void
test_tokens_limits(void)
{
	GString *s = g_string_new(NULL);
	struct sbd_token_list list;

	/* SBD_TOKENS_MAX tokens fit, one more does not */
	for (int i = 0; i < SBD_TOKENS_MAX; i++)
		g_string_append_printf(s, "%sp%d", i ? ", " : "", i);
	g_assert_cmpint(sbd_tokens_parse(s->str, &list), ==, SBD_TOKENS_OK);
	g_assert_cmpuint(list.count, ==, SBD_TOKENS_MAX);
	g_assert_cmpstr(list.items[SBD_TOKENS_MAX - 1].text, ==, "p15");
	/* empty elements do not count */
	g_string_append(s, ",,, ,");
	g_assert_cmpint(sbd_tokens_parse(s->str, &list), ==, SBD_TOKENS_OK);
	g_string_append(s, "extra");
	g_assert_cmpint(sbd_tokens_parse(s->str, &list), ==, SBD_TOKENS_TOO_MANY);

	/* a token of SBD_TOKEN_LEN_MAX bytes fits, one byte more does not */
	g_string_truncate(s, 0);
	g_string_append(s, "TLS/");
	while (s->len < SBD_TOKEN_LEN_MAX)
		g_string_append_c(s, '1');
	g_assert_cmpint(sbd_tokens_parse(s->str, &list), ==, SBD_TOKENS_OK);
	g_assert_cmpuint(strlen(list.items[0].text), ==, SBD_TOKEN_LEN_MAX);
	g_string_append_c(s, '1');
	g_assert_cmpint(sbd_tokens_parse(s->str, &list), ==, SBD_TOKENS_TOO_LONG);
	g_string_prepend(s, "websocket, ");
	g_assert_cmpint(sbd_tokens_parse(s->str, &list), ==, SBD_TOKENS_TOO_LONG);
	g_string_free(s, TRUE);
}

static void
test_tokens_result_text(void)
{
	g_assert_cmpstr(sbd_tokens_result_text(SBD_TOKENS_OK), ==, "ok");
	g_assert_cmpstr(sbd_tokens_result_text(SBD_TOKENS_EMPTY), ==, "no protocol in Upgrade");
	g_assert_cmpstr(sbd_tokens_result_text(SBD_TOKENS_INVALID), ==,
	    "malformed Upgrade header");
	g_assert_cmpstr(sbd_tokens_result_text(SBD_TOKENS_TOO_MANY), ==,
	    "too many protocols in Upgrade");
	g_assert_cmpstr(sbd_tokens_result_text(SBD_TOKENS_TOO_LONG), ==,
	    "protocol name too long in Upgrade");
}

static void
test_header_has_token(void)
{
	static const struct {
		const char *header;
		bool has;
	} cases[] = {
		{ "Upgrade", true },
		{ "upgrade", true },
		{ "UPGRADE", true },
		{ "keep-alive, Upgrade", true },
		{ "Upgrade, keep-alive", true },
		{ "keep-alive,upgrade,close", true },
		{ "  ,\t Upgrade \t, ", true },
		{ ",,upgrade", true },
		{ "", false },
		{ " , ", false },
		{ "keep-alive", false },
		{ "close", false },
		{ "upgraded", false },
		{ "upgrade2", false },
		{ "pre-upgrade", false },
		{ "up grade", false },
		{ "keep-alive upgrade", false },
		{ "upgrade;x", false },
	};

	g_assert_false(sbd_header_has_token(NULL, "upgrade"));
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_test_message("Connection: %s", cases[i].header);
		g_assert_cmpint(sbd_header_has_token(cases[i].header, "upgrade"), ==,
		    cases[i].has);
	}
	/* an answer's Upgrade list, as switchboardctl probe reads it */
	g_assert_true(sbd_header_has_token("websocket", "WebSocket"));
	g_assert_true(sbd_header_has_token("TLS/1.2, TLS/1.0", "tls/1.0"));
	g_assert_false(sbd_header_has_token("TLS/1.2, TLS/1.0", "TLS/1"));
}

static void
test_token_matches(void)
{
	g_assert_true(sbd_token_matches("websocket", "websocket"));
	g_assert_true(sbd_token_matches("websocket", "WebSocket"));
	g_assert_true(sbd_token_matches("TLS/1.0", "tls/1.0"));
	g_assert_true(sbd_token_matches("*", "anything/at-all"));
	g_assert_false(sbd_token_matches("websocket", "websocket2"));
	g_assert_false(sbd_token_matches("TLS/1.0", "TLS/1.2"));
	g_assert_false(sbd_token_matches("TLS", "TLS/1.0"));
	g_assert_false(sbd_token_matches("TLS/1.0", "TLS"));
	/* only the whole pattern "*" is a wildcard */
	g_assert_false(sbd_token_matches("TLS/*", "TLS/1.0"));
	g_assert_false(sbd_token_matches("h2c", "*"));
}

static void
test_host_normalize_ok(void)
{
	static const struct {
		const char *header;
		const char *host;
	} cases[] = {
		{ "example.org", "example.org" },
		{ "Example.ORG", "example.org" },
		{ "example.org:8443", "example.org" },
		{ "example.org:", "example.org" },   /* port = *DIGIT (RFC 3986) */
		{ "example.org.", "example.org" },   /* the root label */
		{ "EXAMPLE.org.:80", "example.org" },
		{ "127.0.0.1", "127.0.0.1" },
		{ "127.0.0.1:8080", "127.0.0.1" },
		{ "[::1]", "::1" },
		{ "[::1]:8443", "::1" },
		{ "[2001:DB8::A]:443", "2001:db8::a" },
		{ "[::ffff:10.0.0.1]", "::ffff:10.0.0.1" },
		{ "localhost", "localhost" },
		{ "back_end-1.internal", "back_end-1.internal" },
		{ "xn--bcher-kva.example", "xn--bcher-kva.example" },
		{ "a%2Eb", "a%2eb" },                /* pct-encoded is a reg-name */
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		char out[256];

		g_test_message("Host: %s", cases[i].header);
		g_assert_true(sbd_host_normalize(cases[i].header, out, sizeof out));
		g_assert_cmpstr(out, ==, cases[i].host);
	}
}

static void
test_host_normalize_bad(void)
{
	static const char *const bad[] = {
		"",
		".",
		"..",
		"example.org..",       /* an empty label */
		"example.org..:80",
		":8080",
		"::1",                 /* an IPv6 literal needs brackets */
		"::1:8443",
		"[::1",
		"[::1]x",
		"[::1]8443",
		"[]",
		"[]:80",
		"[example.org]",       /* brackets hold an IPv6 address only */
		"[127.0.0.1]",
		"[::1%eth0]",
		"[::g]",
		"example.org:http",    /* port = *DIGIT */
		"example.org:80:81",
		"example.org:-1",
		"example.org: 80",
		"exa mple.org",
		"example.org ",
		"example.org\t",
		"user@example.org",
		"example.org/path",
		"example.org?x",
		"example.org#x",
		"exa\\mple.org",
		"ex\"ample.org",
		"exam<ple>.org",
		"a[b].org",
		"a]b",
		"a%2",                 /* truncated pct-encoding */
		"a%zz",
		("b\xc3\xbc" "cher.example"), /* split: \xbc must not swallow the c */
		"exa\x7fmple.org",
		"exa\rmple.org",
	};

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		char out[256];

		g_test_message("Host: %s", bad[i]);
		g_assert_false(sbd_host_normalize(bad[i], out, sizeof out));
	}
}

static void
test_host_normalize_sizes(void)
{
	char out[12];

	g_assert_false(sbd_host_normalize(NULL, out, sizeof out));
	g_assert_false(sbd_host_normalize("a", out, 0));
	/* the host and its NUL must fit; the port does not count */
	g_assert_true(sbd_host_normalize("abcdefghijk:443", out, sizeof out));
	g_assert_cmpstr(out, ==, "abcdefghijk");
	g_assert_false(sbd_host_normalize("abcdefghijkl", out, sizeof out));
	g_assert_true(sbd_host_normalize("[1:2:3::4:5]", out, sizeof out));
	g_assert_cmpstr(out, ==, "1:2:3::4:5");
	g_assert_false(sbd_host_normalize("[1:2:3:4::5:6]", out, sizeof out));
}

static void
test_host_matches(void)
{
	static const struct {
		const char *pattern;
		const char *host;
		bool match;
	} cases[] = {
		{ "example.org", "example.org", true },
		{ "Example.ORG", "example.org", true },
		{ "example.org", "www.example.org", false },
		{ "example.org", "example.org.evil", false },
		{ "*.example.org", "vnc.example.org", true },
		{ "*.example.org", "a.b.example.org", true },
		{ "*.Example.Org", "vnc.example.org", true },
		/* the bare domain is not one of its sub-domains */
		{ "*.example.org", "example.org", false },
		{ "*.example.org", ".example.org", false },
		{ "*.example.org", "badexample.org", false },
		{ "*.example.org", "vnc.example.org.evil", false },
		{ "*.example.org", "vnc.example.com", false },
		{ "*.org", "org", false },
		{ "*.org", "example.org", true },
		{ "example.org", "", false },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_test_message("%s ~ %s", cases[i].pattern, cases[i].host);
		g_assert_cmpint(sbd_host_matches(cases[i].pattern, cases[i].host), ==,
		    cases[i].match);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/upgrade/tokens/lists", test_tokens_lists);
	g_test_add_func("/upgrade/tokens/empty", test_tokens_empty);
	g_test_add_func("/upgrade/tokens/invalid", test_tokens_invalid);
	g_test_add_func("/upgrade/tokens/limits", test_tokens_limits);
	g_test_add_func("/upgrade/tokens/result-text", test_tokens_result_text);
	g_test_add_func("/upgrade/connection-has-token", test_header_has_token);
	g_test_add_func("/upgrade/token-matches", test_token_matches);
	g_test_add_func("/upgrade/host/normalize-ok", test_host_normalize_ok);
	g_test_add_func("/upgrade/host/normalize-bad", test_host_normalize_bad);
	g_test_add_func("/upgrade/host/normalize-sizes", test_host_normalize_sizes);
	g_test_add_func("/upgrade/host/matches", test_host_matches);
	return g_test_run();
}
