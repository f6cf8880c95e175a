/* test-authfile.c - the tokens file and the htpasswd file; the line switchboardctl token
 * writes is the line the daemon reads */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "sbd-authfile.h"
#include "sbd-hex.h"

/* SHA-256 of "tok-alice" */
#define ALICE_HEX "5d5b1dd9d1f1bd7c63df1a1d5d6a8d1c1a0d9b7e3b1c4a5f6e7d8c9b0a1f2e3d"

static int
tokens(const char *text, struct sbd_token_entry **e, size_t *n, struct sbd_authfile_error *err)
{
	/* an exact-size copy without a NUL: the parser must stop at len */
	char *copy = g_memdup2(text, strlen(text));
	int rc = sbd_tokens_file_parse(copy, strlen(text), e, n, err);

	g_free(copy);
	return rc;
}

static int
htpasswd(const char *text, struct sbd_htpasswd_entry **e, size_t *n,
    struct sbd_authfile_error *err)
{
	char *copy = g_memdup2(text, strlen(text));
	int rc = sbd_htpasswd_parse(copy, strlen(text), e, n, err);

	g_free(copy);
	return rc;
}

static void
test_tokens(void)
{
	struct sbd_token_entry *e;
	struct sbd_authfile_error err = { 0, NULL };
	size_t n;

	g_assert_cmpint(tokens("# who may enter\n\n  alice " ALICE_HEX "  \r\n"
	    "bob\t\t" ALICE_HEX "\n#last", &e, &n, &err), ==, 0);
	g_assert_cmpuint(n, ==, 2);
	g_assert_cmpstr(e[0].name, ==, "alice");
	g_assert_cmpstr(e[1].name, ==, "bob");
	g_assert_cmpuint(e[0].sha256[0], ==, 0x5d);
	g_assert_cmpuint(e[0].sha256[31], ==, 0x3d);
	sbd_token_entries_free(e, n);

	/* upper-case hex too; no final newline */
	g_assert_cmpint(tokens("x 5D5B1DD9D1F1BD7C63DF1A1D5D6A8D1C1A0D9B7E3B1C4A5F6E7D8C9B0A1F2E3D",
	    &e, &n, &err), ==, 0);
	g_assert_cmpuint(n, ==, 1);
	g_assert_cmpuint(e[0].sha256[0], ==, 0x5d);
	sbd_token_entries_free(e, n);

	/* an empty file is an empty list */
	g_assert_cmpint(tokens("# nobody\n", &e, &n, &err), ==, 0);
	g_assert_cmpuint(n, ==, 0);
	sbd_token_entries_free(e, n);
}

static void
test_tokens_errors(void)
{
	static const struct {
		const char *text;
		size_t line;
		const char *why;
	} cases[] = {
		{ "alice\n", 1, "must be NAME SHA256-HEX" },
		{ "# c\nalice " ALICE_HEX "\nbob " ALICE_HEX "0\n", 3,
		  "the hash must be 64 hex digits (SHA-256)" },
		{ "\n\nbob zz5b1dd9d1f1bd7c63df1a1d5d6a8d1c1a0d9b7e3b1c4a5f6e7d8c9b0a1f2e3d\n", 3, "the hash must be 64 hex digits (SHA-256)" },
		{ "bob tok-in-clear\n", 1, "the hash must be 64 hex digits (SHA-256)" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct sbd_token_entry *e = (void *)1;
		struct sbd_authfile_error err = { 0, NULL };
		size_t n = 7;

		g_assert_cmpint(tokens(cases[i].text, &e, &n, &err), ==, -1);
		g_assert_cmpuint(err.line, ==, cases[i].line);
		g_assert_cmpstr(err.why, ==, cases[i].why);
		/* nothing half-read is handed out */
		g_assert_null(e);
		g_assert_cmpuint(n, ==, 0);
	}
}

static void
test_tokens_long_name(void)
{
	struct sbd_token_entry *e;
	struct sbd_authfile_error err = { 0, NULL };
	size_t n;
	GString *s = g_string_new(NULL);

	for (size_t i = 0; i < SBD_IDENTITY_MAX; i++)
		g_string_append_c(s, 'n');
	g_string_append(s, " " ALICE_HEX "\n");
	g_assert_cmpint(tokens(s->str, &e, &n, &err), ==, 0);
	g_assert_cmpuint(strlen(e[0].name), ==, SBD_IDENTITY_MAX);
	sbd_token_entries_free(e, n);
	g_string_prepend_c(s, 'n');
	g_assert_cmpint(tokens(s->str, &e, &n, &err), ==, -1);
	g_assert_cmpstr(err.why, ==, "the name must be 1..128 visible characters");
	g_string_free(s, TRUE);
}

static void
test_nul(void)
{
	static const char text[] = "alice " ALICE_HEX "\n\0bob " ALICE_HEX "\n";
	struct sbd_token_entry *e;
	struct sbd_htpasswd_entry *h;
	struct sbd_authfile_error err = { 0, NULL };
	size_t n;

	g_assert_cmpint(sbd_tokens_file_parse(text, sizeof text - 1, &e, &n, &err), ==, -1);
	g_assert_cmpstr(err.why, ==, "holds a NUL byte");
	g_assert_cmpint(sbd_htpasswd_parse(text, sizeof text - 1, &h, &n, &err), ==, -1);
	g_assert_cmpstr(err.why, ==, "holds a NUL byte");
}

static void
test_htpasswd(void)
{
	struct sbd_htpasswd_entry *e;
	struct sbd_authfile_error err = { 0, NULL };
	size_t n;

	g_assert_cmpint(htpasswd("# htpasswd -B\r\n"
	    "dave:$2y$05$abcdefghijklmnopqrstuuVYwF0cMf8QbqYQ8mFhvzvSkdE7ifZ7W\r\n"
	    "carol:$6$rounds=5000$salt$hashhashhash\n"
	    "erin:$5$salt$hashhash\n"
	    "frank:$2b$10$abcdefghijklmnopqrstuu\n", &e, &n, &err), ==, 0);
	g_assert_cmpuint(n, ==, 4);
	g_assert_cmpstr(e[0].user, ==, "dave");
	g_assert_cmpstr(e[0].hash, ==, "$2y$05$abcdefghijklmnopqrstuuVYwF0cMf8QbqYQ8mFhvzvSkdE7ifZ7W");
	g_assert_cmpstr(e[1].user, ==, "carol");
	g_assert_cmpstr(e[3].hash, ==, "$2b$10$abcdefghijklmnopqrstuu");
	sbd_htpasswd_entries_free(e, n);
}

static void
test_htpasswd_errors(void)
{
	static const struct {
		const char *text;
		size_t line;
		const char *why;
	} cases[] = {
		{ "dave\n", 1, "must be user:hash" },
		{ ":$6$salt$hashhashhash\n", 1, "the user must be 1..128 visible characters" },
		{ "da ve:$6$salt$hashhashhash\n", 1, "the user must be 1..128 visible characters" },
		/* MD5-crypt, SHA-1 and crypt(3) DES are refused, not read as "never matches" */
		{ "a:$6$salt$hashhashhash\nold:$apr1$salt$hashhashhash\n", 2,
		  "unsupported hash (bcrypt $2y$/$2b$ or SHA-crypt $5$/$6$ only)" },
		{ "old:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n", 1,
		  "unsupported hash (bcrypt $2y$/$2b$ or SHA-crypt $5$/$6$ only)" },
		{ "old:abJnggxhB/yWI\n", 1,
		  "unsupported hash (bcrypt $2y$/$2b$ or SHA-crypt $5$/$6$ only)" },
		{ "short:$6$\n", 1, "unsupported hash (bcrypt $2y$/$2b$ or SHA-crypt $5$/$6$ only)" },
		{ "x:$6$salt$hash:extra\n", 1,
		  "unsupported hash (bcrypt $2y$/$2b$ or SHA-crypt $5$/$6$ only)" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct sbd_htpasswd_entry *e = (void *)1;
		struct sbd_authfile_error err = { 0, NULL };
		size_t n = 7;

		g_assert_cmpint(htpasswd(cases[i].text, &e, &n, &err), ==, -1);
		g_assert_cmpuint(err.line, ==, cases[i].line);
		g_assert_cmpstr(err.why, ==, cases[i].why);
		g_assert_null(e);
		g_assert_cmpuint(n, ==, 0);
	}
}

static void
test_identity(void)
{
	g_assert_true(sbd_identity_is_valid("alice@example.org", 17));
	g_assert_true(sbd_identity_is_valid("\xc3\xa9lise", 6));
	g_assert_false(sbd_identity_is_valid("", 0));
	g_assert_false(sbd_identity_is_valid("a b", 3));
	g_assert_false(sbd_identity_is_valid("a\x7f", 2));
	g_assert_false(sbd_identity_is_valid("a\nb", 3));
}

static void
test_hex_encode(void)
{
	const uint8_t bytes[] = { 0x00, 0x0f, 0xa5, 0xff };
	char hex[2 * sizeof bytes + 1];

	sbd_hex_encode(bytes, sizeof bytes, hex);
	g_assert_cmpstr(hex, ==, "000fa5ff");
	for (size_t i = 0; i < sizeof bytes; i++)
		g_assert_cmpint(sbd_hex_digit(hex[2 * i]) * 16 + sbd_hex_digit(hex[2 * i + 1]), ==,
		    bytes[i]);
	sbd_hex_encode(bytes, 0, hex);
	g_assert_cmpstr(hex, ==, "");
}

/* sha256("abc"), FIPS 180-2's example */
#define ABC_SHA256 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

static void
test_equal_ct(void)
{
	uint8_t a[32], b[32];

	memset(a, 0x5a, sizeof a);
	memcpy(b, a, sizeof b);
	g_assert_true(sbd_equal_ct(a, b, sizeof a));
	g_assert_true(sbd_equal_ct(a, b, 0));
	b[0] ^= 1;
	g_assert_false(sbd_equal_ct(a, b, sizeof a));
	b[0] ^= 1;
	b[31] ^= 0x80;
	g_assert_false(sbd_equal_ct(a, b, sizeof a));
	g_assert_true(sbd_equal_ct(a, b, 31));
}

static void
test_token_line(void)
{
	const char *why = NULL;
	char *line = sbd_token_line("alice", "abc", &why);
	char *file;
	struct sbd_token_entry *e;
	struct sbd_authfile_error err;
	uint8_t digest[32];
	size_t n;

	g_assert_cmpstr(line, ==, "alice " ABC_SHA256);
	g_assert_cmpint(sbd_token_digest("abc", 3, digest), ==, 0);

	/* read back the way the daemon reads its tokens file */
	file = g_strdup_printf("# made by switchboardctl token\n%s\n", line);
	g_assert_cmpint(sbd_tokens_file_parse(file, strlen(file), &e, &n, &err), ==, 0);
	g_assert_cmpuint(n, ==, 1);
	g_assert_cmpstr(e[0].name, ==, "alice");
	g_assert_cmpmem(e[0].sha256, 32, digest, 32);
	sbd_token_entries_free(e, n);
	g_free(file);
	free(line);
}

/* names that could not be read back are refused with a reason, not written */
static void
test_token_line_bad_name(void)
{
	static const char *const bad[] = { "", "two words", "tab\there", "#comment", "nl\n" };
	char *long_name = g_strnfill(SBD_IDENTITY_MAX + 1, 'a');
	char *ok_name = g_strnfill(SBD_IDENTITY_MAX, 'a');
	const char *why;
	char *line;

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		why = NULL;
		g_assert_null(sbd_token_line(bad[i], "abc", &why));
		g_assert_nonnull(strstr(why, "name"));
	}
	why = NULL;
	g_assert_null(sbd_token_line(long_name, "abc", &why));
	g_assert_nonnull(why);
	line = sbd_token_line(ok_name, "abc", &why);
	g_assert_nonnull(line);
	free(line);
	/* a '#' inside a name is fine: only a leading one starts a comment */
	line = sbd_token_line("a#b", "abc", &why);
	g_assert_cmpstr(line, ==, "a#b " ABC_SHA256);
	free(line);
	g_free(long_name);
	g_free(ok_name);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/authfile/tokens", test_tokens);
	g_test_add_func("/authfile/tokens-errors", test_tokens_errors);
	g_test_add_func("/authfile/tokens-long-name", test_tokens_long_name);
	g_test_add_func("/authfile/nul", test_nul);
	g_test_add_func("/authfile/htpasswd", test_htpasswd);
	g_test_add_func("/authfile/htpasswd-errors", test_htpasswd_errors);
	g_test_add_func("/authfile/identity", test_identity);
	g_test_add_func("/authfile/hex-encode", test_hex_encode);
	g_test_add_func("/authfile/equal-ct", test_equal_ct);
	g_test_add_func("/authfile/token-line", test_token_line);
	g_test_add_func("/authfile/token-line-bad-name", test_token_line_bad_name);
	return g_test_run();
}
