/* test-tokenmap.c - websockify's TokenFile lines, and the auth service's answer head */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "sbd-authfile.h"
#include "sbd-http-reply.h"

static struct sbd_tokenmap_entry *
parse_ok(const char *text, size_t *n)
{
	struct sbd_tokenmap_entry *e = NULL;
	struct sbd_authfile_error err = { 0 };

	g_assert_cmpint(sbd_tokenmap_parse(text, strlen(text), &e, n, &err), ==, 0);
	return e;
}

static void
expect_error(const char *text, size_t len, size_t line, const char *why)
{
	struct sbd_tokenmap_entry *e = (void *)1;
	struct sbd_authfile_error err = { 0 };
	size_t n = 99;

	g_assert_cmpint(sbd_tokenmap_parse(text, len, &e, &n, &err), ==, -1);
	g_assert_null(e);
	g_assert_cmpuint(n, ==, 0);
	g_assert_cmpuint(err.line, ==, line);
	g_assert_cmpstr(err.why, ==, why);
}

static void
test_lines(void)
{
	size_t n;
	struct sbd_tokenmap_entry *e = parse_ok(
	    "# noVNC targets\n"
	    "\n"
	    "host1: 10.0.0.1:5900\r\n"
	    "  host2:\t[::1]:5901  \n"
	    "sock: unix_socket:/run/vnc.sock\n"
	    "sock2: unix:/run/vnc2.sock\n"
	    "a:b: localhost:1", &n);

	g_assert_cmpuint(n, ==, 5);
	g_assert_cmpstr(e[0].token, ==, "host1");
	g_assert_cmpstr(e[0].target, ==, "10.0.0.1:5900");
	g_assert_cmpstr(e[1].token, ==, "host2");
	g_assert_cmpstr(e[1].target, ==, "[::1]:5901");
	g_assert_cmpstr(e[2].target, ==, "unix:/run/vnc.sock"); /* websockify's spelling */
	g_assert_cmpstr(e[3].target, ==, "unix:/run/vnc2.sock");
	/* the token ends at the first ": ", as websockify splits */
	g_assert_cmpstr(e[4].token, ==, "a:b");
	g_assert_cmpstr(e[4].target, ==, "localhost:1");
	sbd_tokenmap_entries_free(e, n);

	e = parse_ok("# only comments\n\n", &n);
	g_assert_cmpuint(n, ==, 0);
	sbd_tokenmap_entries_free(e, n);
}

static void
test_errors(void)
{
	static const char shape[] = "must be TOKEN: host:port (or TOKEN: unix:/path)";

	expect_error("ok: h:1\nno separator here\n", 19, 2, shape);
	expect_error("tok:h:1\n", 8, 1, shape);        /* no space after the colon */
	expect_error("tok: \n", 6, 1, shape);          /* no target */
	expect_error("tok: a: b:1\n", 12, 1, shape);   /* websockify: a syntax error too */
	expect_error("tok: h:1 h:2\n", 13, 1, shape);
	expect_error("a: h:1\nb: h:2\na: h:3\n", 21, 3, "the token is listed twice");
	expect_error(": h:1\n", 6, 1, "the token must be 1..128 visible characters");
	expect_error("t\x01k: h:1\n", 8, 1, "the token must be 1..128 visible characters");
	expect_error("a: h:1\0b: h:2\n", 14, 0, "holds a NUL byte");
}

/* sbd_http_reply_head over all of buf at once */
static long
whole(const char *buf, size_t len, int *status, const char **why)
{
	size_t scanned = 0;

	return sbd_http_reply_head(buf, len, &scanned, status, why);
}

static void
test_reply(void)
{
	static const char ok[] = "HTTP/1.1 200 OK\r\nX-User:  alice \r\nContent-Length: 3\r\n\r\nabc";
	static const char plain[] = "HTTP/1.0 401\nWWW-Authenticate: Bearer realm=\"x\"\n\n";
	const char *why = NULL;
	char out[64];
	int status;
	long len;

	/* incomplete at every cut before the blank line */
	for (size_t cut = 0; cut < sizeof ok - 4; cut++)
		g_assert_cmpint(whole(ok, cut, &status, &why), ==, 0);
	len = whole(ok, sizeof ok - 1, &status, &why);
	g_assert_cmpint(len, ==, (long)(sizeof ok - 4));
	g_assert_cmpint(status, ==, 200);
	g_assert_true(sbd_http_reply_header(ok, (size_t)len, "x-user", out, sizeof out));
	g_assert_cmpstr(out, ==, "alice");
	g_assert_false(sbd_http_reply_header(ok, (size_t)len, "X-Use", out, sizeof out));
	g_assert_false(sbd_http_reply_header(ok, (size_t)len, "X-User", out, 5)); /* too long */

	len = whole(plain, sizeof plain - 1, &status, &why);
	g_assert_cmpint(len, ==, (long)(sizeof plain - 1));
	g_assert_cmpint(status, ==, 401);
	g_assert_true(sbd_http_reply_header(plain, (size_t)len, "WWW-Authenticate", out,
	    sizeof out));
	g_assert_cmpstr(out, ==, "Bearer realm=\"x\"");

	g_assert_cmpint(whole("SSH-2.0-x\r\n", 11, &status, &why), ==, -1);
	g_assert_cmpstr(why, ==, "the answer is not HTTP");
	g_assert_cmpint(whole("HTTP/1.1 99 x\r\n\r\n", 17, &status, &why), ==, -1);
	g_assert_cmpstr(why, ==, "the answer has no HTTP/1.x status line");
	g_assert_cmpint(whole("HTTP/1.1 200\rX\r\n\r\n", 18, &status, &why), ==, -1);
	g_assert_cmpstr(why, ==, "the answer holds a NUL or a bare CR");
	g_assert_false(sbd_http_reply_header("HTTP/1.1 200\r\nA: \x01\r\n\r\n", 21, "A", out,
	    sizeof out));
}

/* buf fed a byte at a time, as a dribbling service sends it: the answer of one whole call */
static void
expect_same_by_bytes(const char *buf, size_t len)
{
	const char *why = NULL, *why_whole = NULL;
	int status = 0, status_whole = 0;
	long r = 0, r_whole = whole(buf, len, &status_whole, &why_whole);
	size_t scanned = 0, fed;

	for (fed = 1; fed <= len && r == 0; fed++) {
		r = sbd_http_reply_head(buf, fed, &scanned, &status, &why);
		/* the search goes on where it stopped: all that was read is behind it, but a CR last */
		if (r == 0)
			g_assert_cmpuint(scanned, ==, buf[fed - 1] == '\r' ? fed - 1 : fed);
	}
	g_assert_cmpint(r, ==, r_whole);
	g_assert_cmpint(status, ==, status_whole);
	if (r < 0)
		g_assert_cmpstr(why, ==, why_whole);
}

static void
test_reply_incremental(void)
{
	static const char *const heads[] = {
		"HTTP/1.1 200 OK\r\nX-User: alice\r\nContent-Length: 3\r\n\r\nabc",
		"HTTP/1.0 401\nWWW-Authenticate: Bearer realm=\"x\"\n\nbody",
		"HTTP/1.1 200\rX\r\n\r\n",         /* a bare CR */
		"HTTP/1.1 200 OK\r\nA: b\r\r\n\r\n", /* a CR before a CR */
		"HTTP/1.1 99 x\r\n\r\n",
		"SSH-2.0-x\r\n",
		"HTTP/1.1 204 No Content\r\n\r\n",
	};
	char *big = g_malloc(SBD_REPLY_HEAD_MAX + 64);
	size_t n;

	for (size_t i = 0; i < G_N_ELEMENTS(heads); i++)
		expect_same_by_bytes(heads[i], strlen(heads[i]));
	/* a NUL, and a head that never ends, dribbled up to the cap */
	expect_same_by_bytes("HTTP/1.1 200 OK\r\nA: \0\r\n\r\n", 25);
	n = (size_t)g_snprintf(big, 64, "HTTP/1.1 200 OK\r\n");
	while (n < SBD_REPLY_HEAD_MAX + 32)
		n += (size_t)g_snprintf(big + n, 32, "X-Pad: 0123456789abcdef\r\n");
	expect_same_by_bytes(big, n);
	g_free(big);
}

/* What is behind *scanned is not read again: a NUL put there afterwards goes unseen. */
static void
test_reply_no_rescan(void)
{
	char buf[] = "HTTP/1.1 200 OK\r\nX-User: alice\r\n\r\n";
	size_t len = sizeof buf - 1, scanned = 0;
	const char *why = NULL;
	int status = 0;

	g_assert_cmpint(sbd_http_reply_head(buf, 20, &scanned, &status, &why), ==, 0);
	g_assert_cmpuint(scanned, ==, 20);
	buf[18] = '\0';
	g_assert_cmpint(sbd_http_reply_head(buf, len, &scanned, &status, &why), ==, (long)len);
	g_assert_cmpint(status, ==, 200);
	scanned = 0;
	g_assert_cmpint(sbd_http_reply_head(buf, len, &scanned, &status, &why), ==, -1);
	g_assert_cmpstr(why, ==, "the answer holds a NUL or a bare CR");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/tokenmap/lines", test_lines);
	g_test_add_func("/tokenmap/errors", test_errors);
	g_test_add_func("/tokenmap/reply", test_reply);
	g_test_add_func("/tokenmap/reply-incremental", test_reply_incremental);
	g_test_add_func("/tokenmap/reply-no-rescan", test_reply_no_rescan);
	return g_test_run();
}
