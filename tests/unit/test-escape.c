/* test-escape.c - control characters and bytes that are not UTF-8, escaped as \xNN */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "sb-escape.h"

static void
expect(const char *in, const char *out)
{
	char buf[256];
	char *dup = sb_escape_text_dup(in);

	g_assert_true(sb_escape_text(buf, sizeof buf, in));
	g_assert_cmpstr(buf, ==, out);
	g_assert_cmpstr(dup, ==, out);
	free(dup);
}

static void
test_controls(void)
{
	expect("", "");
	expect("/plain/path?q=1 and spaces", "/plain/path?q=1 and spaces");
	expect("a\\x0a stays", "a\\x0a stays"); /* backslashes are text */
	expect("/x\nforged line", "/x\\x0aforged line");
	expect("\r\n", "\\x0d\\x0a");
	expect("\x1b[31mred", "\\x1b[31mred");
	expect("tab\there", "tab\\x09here");
	expect("\x01\x1f\x7f", "\\x01\\x1f\\x7f");
	expect("~ and space", "~ and space");
}

static void
test_utf8(void)
{
	/* printable UTF-8 stays readable */
	expect("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	expect("\xc2\xa0", "\xc2\xa0"); /* U+00A0, right after the C1 block */
	/* C1 controls: both bytes (U+0085 NEL, U+009B CSI) */
	expect("a\xc2\x85" "b", "a\\xc2\\x85b");
	expect("\xc2\x9b" "31m", "\\xc2\\x9b31m");
	/* not UTF-8: each byte */
	expect("\xff", "\\xff");
	expect("\x9b" "31m", "\\x9b31m");
	expect("\xc0\xaf", "\\xc0\\xaf");           /* overlong '/' */
	expect("\xe0\x80\xaf", "\\xe0\\x80\\xaf");  /* overlong, 3 bytes */
	expect("\xed\xa0\x80", "\\xed\\xa0\\x80");  /* a surrogate */
	expect("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"); /* past U+10FFFF */
	expect("euro \xe2\x82", "euro \\xe2\\x82"); /* cut short at the end */
	expect("\xe2\x82" "x", "\\xe2\\x82x");      /* cut short before ASCII */
}

static void
test_idempotent(void)
{
	static const char *const inputs[] = {
		"/x\nforged", "\x1b]0;title\x07", "\xff\xfe\xc2\x85", "plain \\ text", "\xc3\xa9\n",
	};

	for (size_t i = 0; i < G_N_ELEMENTS(inputs); i++) {
		char *once = sb_escape_text_dup(inputs[i]);
		char *twice = sb_escape_text_dup(once);

		g_assert_cmpstr(once, ==, twice);
		for (const char *p = once; *p; p++)
			g_assert_true((unsigned char)*p >= 0x20 && *p != 0x7f);
		free(once);
		free(twice);
	}
}

/* A short buffer cuts between characters or escapes, never inside one. */
static void
test_cut(void)
{
	char buf[8];

	g_assert_false(sb_escape_text(buf, sizeof buf, "abc\ndef"));
	g_assert_cmpstr(buf, ==, "abc\\x0a"); /* 8 bytes with its NUL: no room for "d" */
	g_assert_false(sb_escape_text(buf, sizeof buf - 1, "abc\ndef"));
	g_assert_cmpstr(buf, ==, "abc"); /* never half an escape */
	g_assert_false(sb_escape_text(buf, sizeof buf, "abcdef\xe2\x82\xac"));
	g_assert_cmpstr(buf, ==, "abcdef");
	g_assert_true(sb_escape_text(buf, sizeof buf, "abcdefg"));
	g_assert_cmpstr(buf, ==, "abcdefg");
	g_assert_false(sb_escape_text(buf, 1, "a"));
	g_assert_cmpstr(buf, ==, "");

	/* the longest possible output: four bytes for each one in */
	GString *in = g_string_new(NULL);
	for (int i = 0; i < 300; i++)
		g_string_append_c(in, i % 2 ? '\xff' : '\n');
	char *out = sb_escape_text_dup(in->str);
	g_assert_cmpuint(strlen(out), ==, 300 * 4);
	free(out);
	g_string_free(in, TRUE);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/escape/controls", test_controls);
	g_test_add_func("/escape/utf8", test_utf8);
	g_test_add_func("/escape/idempotent", test_idempotent);
	g_test_add_func("/escape/cut", test_cut);
	return g_test_run();
}
