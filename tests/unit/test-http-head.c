/* test-http-head.c - the raw request head, the target's path, header fields, path prefixes */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "sbd-http-head.h"

/* Scans text whole, then split at every point: the same verdict and head length. */
static void
expect_head(const char *text, const char *flaw, size_t head_len)
{
	size_t len = strlen(text);

	for (size_t cut = 0; cut <= len; cut++) {
		struct sbd_head_scan s;
		size_t used;

		sbd_head_scan_init(&s);
		used = sbd_head_scan_feed(&s, (const uint8_t *)text, cut);
		if (!s.done)
			used += sbd_head_scan_feed(&s, (const uint8_t *)text + cut, len - cut);
		g_assert_true(s.done || head_len == 0);
		g_assert_cmpstr(s.flaw, ==, flaw);
		if (head_len != 0)
			g_assert_cmpuint(used, ==, head_len);
		g_assert_cmpuint(sbd_head_scan_feed(&s, (const uint8_t *)"x", s.done ? 1 : 0), ==, 0);
	}
}

static void
test_head(void)
{
	static const char good[] = "GET /a HTTP/1.1\r\nHost: x\r\nX-A: one\ttwo\r\n\r\n";

	expect_head(good, NULL, sizeof good - 1);
	/* what follows the head is not scanned: a body, or the tunnel's first bytes */
	expect_head("GET / HTTP/1.1\r\nHost: x\r\n\r\n\r \n\tX", NULL, 27);
	/* bare LF ends lines too, as MHD reads them; empty lines before the request are skipped */
	expect_head("\r\n\nGET / HTTP/1.1\nHost: x\n\nrest", NULL, 27);
	expect_head("GET / HTTP/1.1\r\nHost: x\r\n\nrest", NULL, 26);
	/* still in the head: not done */
	expect_head("GET / HTTP/1.1\r\nHost: x\r\n", NULL, 0);

	expect_head("GET / HTTP/1.1\r\nX-A: one\rX-Injected: two\r\n\r\n",
	    "a bare CR in the request head", 26);
	expect_head("GET / HTTP/1.1\r\nX-A: one\r\r\n\r\n", "a bare CR in the request head", 26);
	expect_head("GET /\r HTTP/1.1\r\n\r\n", "a bare CR in the request head", 7);
	expect_head("\rGET / HTTP/1.1\r\n\r\n", "a bare CR in the request head", 2);
	expect_head("GET / HTTP/1.1\r\nHost: x\r\n\rX", "a bare CR in the request head", 27);
	expect_head("GET / HTTP/1.1\r\nX-A: one\r\n two\r\n\r\n",
	    "an obs-fold line continuation in the request head", 27);
	expect_head("GET / HTTP/1.1\r\nX-A: one\r\n\tX-Injected: two\r\n\r\n",
	    "an obs-fold line continuation in the request head", 27);
	expect_head("GET / HTTP/1.1\n one\n\n",
	    "an obs-fold line continuation in the request head", 16);
}

static void
expect_path(const char *target, const char *path)
{
	const char *why = NULL;
	char *got = sbd_target_path(target, &why);

	g_test_message("%s -> %s (%s)", target, got ? got : "NULL", why ? why : "");
	g_assert_cmpstr(got, ==, path);
	g_assert_null(why);
	free(got);
}

static void
expect_bad_path(const char *target, const char *why)
{
	const char *got = NULL;

	g_autofree char *shown = g_strescape(target, NULL);

	g_test_message("%s: %s", shown, why);
	g_assert_null(sbd_target_path(target, &got));
	g_assert_cmpstr(got, ==, why);
}

static void
test_target(void)
{
	expect_path("/", "/");
	expect_path("*", "*");
	expect_path("/tun", "/tun");
	expect_path("/tun?x=/../y", "/tun"); /* the query is not the path */
	expect_path("/tun/a%20b?q", "/tun/a b");
	expect_path("/%7euser/%41", "/~user/A");
	expect_path("/a%0ab", "/a\nb"); /* decoded as it is: logs and bodies escape it */
	expect_path("/..a/b../.a./...", "/..a/b../.a./...");
	expect_path("/tun%252F", "/tun%2F"); /* decoded once */
	expect_path("/a#frag", "/a");

	static const char *const dots[] = {
		"/./", "/.", "/..", "/../", "/tun/../x", "/tun/./x", "/tun/..", "/a/b/.",
		"/%2e/", "/%2E%2e/x", "/tun/.%2e", "//..//",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(dots); i++)
		expect_bad_path(dots[i], "a dot-segment (/./ or /../) in the path");
	expect_bad_path("/tun%2Fx", "an encoded / in the path");
	expect_bad_path("/tun%2fx", "an encoded / in the path");
	expect_bad_path("/tun%00/../x", "an encoded NUL in the path");
	static const char *const escapes[] = { "/%", "/%4", "/%zz", "/%4g", "/a%?x=1" };
	for (size_t i = 0; i < G_N_ELEMENTS(escapes); i++)
		expect_bad_path(escapes[i], "a malformed %-escape in the path");
	/* absolute-form, which a server must take (RFC 9112 §3.2.2); nothing else */
	expect_path("http://example.org/tun/x?y", "/tun/x");
	expect_path("https://example.org:8443", "/");
	expect_path("HTTP://example.org?q=/a", "/");
	expect_bad_path("http://example.org/a/../b", "a dot-segment (/./ or /../) in the path");
	static const char *const not_paths[] = {
		"./x", "../x", "..", "tun", "\xff/", "://x/", "ht tp://x/", "example.org:80",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(not_paths); i++)
		expect_bad_path(not_paths[i], "the request target is not a path");
	expect_bad_path("", "no path in the request target");
	expect_bad_path("?x", "no path in the request target");
}

static void
test_prefix(void)
{
	g_assert_true(sbd_path_has_prefix("/tun", "/tun"));
	g_assert_true(sbd_path_has_prefix("/tun/", "/tun"));
	g_assert_true(sbd_path_has_prefix("/tun/x/y", "/tun"));
	g_assert_false(sbd_path_has_prefix("/tunnel", "/tun"));
	g_assert_false(sbd_path_has_prefix("/tunX", "/tun"));
	g_assert_false(sbd_path_has_prefix("/tu", "/tun"));
	g_assert_false(sbd_path_has_prefix("/TUN", "/tun"));
	/* a prefix ending in "/" is a boundary of its own */
	g_assert_true(sbd_path_has_prefix("/tun/x", "/tun/"));
	g_assert_false(sbd_path_has_prefix("/tun", "/tun/"));
	g_assert_true(sbd_path_has_prefix("/anything", "/"));
	g_assert_false(sbd_path_has_prefix("*", "/"));
}

static void
test_fields(void)
{
	g_assert_true(sbd_field_is_valid("Host", "example.org"));
	g_assert_true(sbd_field_is_valid("X-Odd!#$%&'*+-.^_`|~", "tab\tand \xc3\xa9 obs-text"));
	g_assert_true(sbd_field_is_valid("Empty", ""));
	g_assert_true(sbd_field_is_valid("Null-Value", NULL));
	g_assert_false(sbd_field_is_valid("", "x"));
	g_assert_false(sbd_field_is_valid(NULL, "x"));
	g_assert_false(sbd_field_is_valid("X-A ", "space before the colon"));
	g_assert_false(sbd_field_is_valid("X-AX-Injected: two", "one")); /* MHD's obs-fold, tab */
	g_assert_false(sbd_field_is_valid("X-\rA", "one"));
	g_assert_false(sbd_field_is_valid("X-A", "one\rX-Injected: two"));
	g_assert_false(sbd_field_is_valid("X-A", "o\x1bne"));
	g_assert_false(sbd_field_is_valid("X-A", "one\x7f"));
	g_assert_false(sbd_field_is_valid("X-A", "a\nb"));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/http-head/head", test_head);
	g_test_add_func("/http-head/target", test_target);
	g_test_add_func("/http-head/prefix", test_prefix);
	g_test_add_func("/http-head/fields", test_fields);
	return g_test_run();
}
