/* test-credential.c - credentials out of a request, and what of it may be replayed */
#include <glib.h>
#include <string.h>

#include "sb-alloc.h"
#include "sbd-credential.h"

/* Authorization from an exact-size heap copy, so a read past its end trips ASan. */
static void
from_header(const char *value, struct sbd_credential *out)
{
	char *copy = g_strdup(value);

	sbd_cred_from_authorization(copy, out);
	g_free(copy);
}

static void
test_bearer(void)
{
	struct sbd_credential c;

	from_header("Bearer abc.def-123", &c);
	g_assert_cmpint(c.type, ==, SBD_CRED_BEARER);
	g_assert_cmpint(c.source, ==, SB_CRED_HEADER);
	g_assert_cmpstr(c.secret, ==, "abc.def-123");
	g_assert_null(c.user);
	sbd_cred_clear(&c);
	g_assert_cmpint(c.type, ==, SBD_CRED_NONE);
	g_assert_null(c.secret);

	/* the scheme is case-insensitive; spaces around and after it are skipped */
	from_header("  bEARER \t tok  ", &c);
	g_assert_cmpint(c.type, ==, SBD_CRED_BEARER);
	g_assert_cmpstr(c.secret, ==, "tok");
	sbd_cred_clear(&c);

	/* a space inside the token is a broken one; nothing after the scheme is none */
	from_header("Bearer two words", &c);
	g_assert_cmpint(c.type, ==, SBD_CRED_BAD);
	g_assert_null(c.secret);
	from_header("Bearer ", &c);
	g_assert_cmpint(c.type, ==, SBD_CRED_NONE);
	from_header("Bearer  \t  ", &c);
	g_assert_cmpint(c.type, ==, SBD_CRED_NONE);

	/* another scheme, or no header, is no credential */
	from_header("Digest username=\"a\"", &c);
	g_assert_cmpint(c.type, ==, SBD_CRED_NONE);
	sbd_cred_from_authorization(NULL, &c);
	g_assert_cmpint(c.type, ==, SBD_CRED_NONE);
	from_header("Bearertok", &c);
	g_assert_cmpint(c.type, ==, SBD_CRED_NONE);
}

static void
test_bearer_too_long(void)
{
	struct sbd_credential c;
	GString *s = g_string_new("Bearer ");

	for (size_t i = 0; i < SBD_CRED_MAX; i++)
		g_string_append_c(s, 'a');
	from_header(s->str, &c);
	g_assert_cmpint(c.type, ==, SBD_CRED_BEARER);
	g_assert_cmpuint(strlen(c.secret), ==, SBD_CRED_MAX);
	sbd_cred_clear(&c);
	g_string_append_c(s, 'a');
	from_header(s->str, &c);
	g_assert_cmpint(c.type, ==, SBD_CRED_BAD);
	g_assert_null(c.secret);
	g_string_free(s, TRUE);
}

static void
test_basic(void)
{
	struct sbd_credential c;

	/* "alice:pa:ss word" - the password may hold colons and spaces */
	from_header("Basic YWxpY2U6cGE6c3Mgd29yZA==", &c);
	g_assert_cmpint(c.type, ==, SBD_CRED_BASIC);
	g_assert_cmpstr(c.user, ==, "alice");
	g_assert_cmpstr(c.secret, ==, "pa:ss word");
	sbd_cred_clear(&c);
	g_assert_null(c.user);

	/* padding is optional; "bob:" is an empty password */
	from_header("basic Ym9iOg", &c);
	g_assert_cmpint(c.type, ==, SBD_CRED_BASIC);
	g_assert_cmpstr(c.user, ==, "bob");
	g_assert_cmpstr(c.secret, ==, "");
	sbd_cred_clear(&c);

	static const char *const bad[] = {
		"Basic bm9jb2xvbg==",    /* "nocolon" */
		"Basic OnB3",            /* ":pw": no user */
		"Basic !!!!",            /* not base64 */
		"Basic YQ=",             /* one leftover character */
		"Basic YWxpY2U6AHg=",    /* "alice:\0x": a NUL */
		"Basic YR==",            /* leftover bits that are not zero */
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		from_header(bad[i], &c);
		g_assert_cmpint(c.type, ==, SBD_CRED_BAD);
		g_assert_null(c.user);
		g_assert_null(c.secret);
	}
}

static void
test_base64(void)
{
	uint8_t out[8];

	g_assert_cmpint(sbd_base64_decode("aGk=", 4, false, out, sizeof out), ==, 2);
	g_assert_cmpmem(out, 2, "hi", 2);
	/* + and / in the standard alphabet, - and _ in base64url */
	g_assert_cmpint(sbd_base64_decode("+/8", 3, false, out, sizeof out), ==, 2);
	g_assert_cmpint(sbd_base64_decode("+/8", 3, true, out, sizeof out), ==, -1);
	g_assert_cmpint(sbd_base64_decode("-_8", 3, true, out, sizeof out), ==, 2);
	g_assert_cmpuint(out[0], ==, 0xfb);
	g_assert_cmpuint(out[1], ==, 0xff);
	/* does not fit */
	g_assert_cmpint(sbd_base64_decode("aGVsbG8gd29ybGQ", 15, false, out, 4), ==, -1);
	g_assert_cmpint(sbd_base64_decode("", 0, false, out, sizeof out), ==, 0);
}

static void
test_cookie(void)
{
	char *v;

	v = sbd_cred_cookie("a=1; sb_token=xyz; b=2", "sb_token");
	g_assert_cmpstr(v, ==, "xyz");
	free(v);
	v = sbd_cred_cookie("sb_token=\"quoted\"", "sb_token");
	g_assert_cmpstr(v, ==, "quoted");
	free(v);
	/* a name that only starts like it, or ends like it, is another cookie */
	g_assert_null(sbd_cred_cookie("sb_token2=x; xsb_token=y", "sb_token"));
	g_assert_null(sbd_cred_cookie("sb_token=", "sb_token"));
	g_assert_null(sbd_cred_cookie("", "sb_token"));
	/* the first one wins; joined Cookie headers are split at commas too */
	v = sbd_cred_cookie("x=1, sb_token=first; sb_token=second", "sb_token");
	g_assert_cmpstr(v, ==, "first");
	free(v);
}

static void
test_subprotocol(void)
{
	char *v;

	v = sbd_cred_subprotocol("chat, bearer.tok123 , binary");
	g_assert_cmpstr(v, ==, "tok123");
	free(v);
	v = sbd_cred_subprotocol("Bearer.UPPER");
	g_assert_cmpstr(v, ==, "UPPER");
	free(v);
	g_assert_null(sbd_cred_subprotocol("chat, bearer., bearer"));
	g_assert_null(sbd_cred_subprotocol("xbearer.tok"));
	g_assert_null(sbd_cred_subprotocol(""));
	g_assert_null(sbd_cred_subprotocol(NULL));
}

static void
test_query(void)
{
	char *v;

	v = sbd_cred_query("/vnc?path=x&token=a%2Bb+c&z=1", "token");
	g_assert_cmpstr(v, ==, "a+b c");
	free(v);
	v = sbd_cred_query("/p?token=first&token=second#frag", "token");
	g_assert_cmpstr(v, ==, "first");
	free(v);
	g_assert_null(sbd_cred_query("/p?tokens=x&xtoken=y", "token"));
	g_assert_null(sbd_cred_query("/p?token", "token"));
	g_assert_null(sbd_cred_query("/p?token=", "token"));
	g_assert_null(sbd_cred_query("/p?token=%4", "token"));    /* broken escape */
	g_assert_null(sbd_cred_query("/p?token=a%00b", "token")); /* a NUL */
	g_assert_null(sbd_cred_query("/token=x", "token"));       /* no query at all */
}

static void
test_strip_query(void)
{
	static const char *const cases[][2] = {
		{ "/p?a=1&token=x&b=2", "/p?a=1&b=2" },
		{ "/p?token=x", "/p" },
		{ "/p?token=x&token=y&a", "/p?a" },
		{ "/p?tokens=1&token", "/p?tokens=1" },
		{ "/p?a=1&&token=x", "/p?a=1" },
		{ "/p", "/p" },
		{ "/p?a=1#frag&token=x", "/p?a=1" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *s = sbd_cred_strip_query(cases[i][0], "token");

		g_assert_cmpstr(s, ==, cases[i][1]);
		free(s);
	}
}

/* An auth whose "from" lists the given sources. */
static struct sb_auth *
auth_from(const char *const *from, size_t n)
{
	struct sb_auth *a = sb_xcalloc(1, sizeof *a);
	const char *why;

	a->from = sb_xcalloc(n ? n : 1, sizeof *a->from);
	for (size_t i = 0; i < n; i++)
		g_assert_cmpint(sb_cred_source_parse(from[i], &a->from[a->n_from++], &why), ==, 0);
	a->tokens = sb_xstrdup("tokens.txt");
	return a;
}

static void
test_strip_cookies(void)
{
	static const char *const from[] = { "cookie:sb_token", "cookie:other" };
	struct sb_auth *a = auth_from(from, 2);
	char *s;

	s = sbd_cred_strip_cookies("theme=dark; sb_token=x;lang=en", a);
	g_assert_cmpstr(s, ==, "theme=dark; lang=en");
	free(s);
	s = sbd_cred_strip_cookies("sb_token2=keep, other=x , sb_token=\"q\"", a);
	g_assert_cmpstr(s, ==, "sb_token2=keep");
	free(s);
	g_assert_null(sbd_cred_strip_cookies("sb_token=x; other=y", a));
	g_assert_null(sbd_cred_strip_cookies(" ; ", a));
	sb_auth_free(a);
}

static void
test_strip_bearer(void)
{
	char *s = sbd_cred_strip_bearer("chat,bearer.tok , BEARER.x, binary,xbearer.y");

	g_assert_cmpstr(s, ==, "chat, binary, xbearer.y");
	free(s);
	g_assert_null(sbd_cred_strip_bearer("bearer.a, bearer."));
}

static void
test_replay(void)
{
	static const char *const all[] = { "cookie:sb", "subprotocol", "query:t" };
	static const char *const header[] = { "header" };
	struct sb_auth *a = auth_from(all, 3);
	struct sbd_cred_replay rp;

	sbd_cred_replay_init(&rp, a, "sb=secret; a=1", "bearer.secret, chat");
	g_assert_false(rp.drop_authorization);
	g_assert_true(rp.rewrite_cookie);
	g_assert_cmpstr(rp.cookie, ==, "a=1");
	g_assert_true(rp.rewrite_protocols);
	g_assert_cmpstr(rp.protocols, ==, "chat");
	sbd_cred_replay_clear(&rp);
	g_assert_null(rp.cookie);

	/* headers the request lacks stay absent */
	sbd_cred_replay_init(&rp, a, NULL, NULL);
	g_assert_true(rp.rewrite_cookie);
	g_assert_null(rp.cookie);
	sbd_cred_replay_clear(&rp);
	sb_auth_free(a);

	/* "from" omitted means ["header"]: only Authorization goes */
	a = auth_from(NULL, 0);
	sbd_cred_replay_init(&rp, a, "sb=1", "bearer.x");
	g_assert_true(rp.drop_authorization);
	g_assert_false(rp.rewrite_cookie);
	g_assert_false(rp.rewrite_protocols);
	sbd_cred_replay_clear(&rp);
	sb_auth_free(a);
	a = auth_from(header, 1);
	sbd_cred_replay_init(&rp, a, "sb=1", NULL);
	g_assert_true(rp.drop_authorization);
	g_assert_false(rp.rewrite_cookie);
	sbd_cred_replay_clear(&rp);
	sb_auth_free(a);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/credential/bearer", test_bearer);
	g_test_add_func("/credential/bearer-too-long", test_bearer_too_long);
	g_test_add_func("/credential/basic", test_basic);
	g_test_add_func("/credential/base64", test_base64);
	g_test_add_func("/credential/cookie", test_cookie);
	g_test_add_func("/credential/subprotocol", test_subprotocol);
	g_test_add_func("/credential/query", test_query);
	g_test_add_func("/credential/strip-query", test_strip_query);
	g_test_add_func("/credential/strip-cookies", test_strip_cookies);
	g_test_add_func("/credential/strip-bearer", test_strip_bearer);
	g_test_add_func("/credential/replay", test_replay);
	return g_test_run();
}
