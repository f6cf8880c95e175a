/* test-hpack.c - HPACK (RFC 7541): the encoder of proto/, and the tests' decoder and its table */
#include <glib.h>
#include <string.h>

#include "hpack-decode.h"
#include "sbd-hpack.h"

static GByteArray *
unhex(const char *hex)
{
	GByteArray *b = g_byte_array_new();

	for (const char *p = hex; *p != '\0';) {
		guint8 v;

		if (*p == ' ') {
			p++;
			continue;
		}
		v = (guint8)(g_ascii_xdigit_value(p[0]) << 4 | g_ascii_xdigit_value(p[1]));
		g_byte_array_append(b, &v, 1);
		p += 2;
	}
	return b;
}

static void
assert_buf_hex(struct sb_buf *b, const char *hex)
{
	GByteArray *want = unhex(hex);

	g_assert_cmpmem(sb_buf_head(b), b->len, want->data, want->len);
	g_byte_array_unref(want);
}

/* Collects "name: value" lines. */
static void
on_field(void *user, const char *name, size_t name_len, const char *value, size_t value_len)
{
	GString *s = user;

	g_string_append_len(s, name, (gssize)name_len);
	g_string_append(s, ": ");
	g_string_append_len(s, value, (gssize)value_len);
	g_string_append_c(s, '\n');
}

static enum hpack_status
decode_hex(struct hpack_decoder *d, const char *hex, GString *fields, const char **why)
{
	GByteArray *b = unhex(hex);
	/* an exact-size copy: a read past the block trips ASan */
	guint8 *copy = g_memdup2(b->data, b->len);
	enum hpack_status st = hpack_decode(d, copy, b->len, on_field, fields, why);

	g_free(copy);
	g_byte_array_unref(b);
	return st;
}

static void
test_int_rfc_examples(void)
{
	struct sb_buf b = SB_BUF_INIT;
	uint32_t v;
	size_t used;

	/* C.1.1: 10 with a 5-bit prefix */
	sbd_hpack_encode_int(&b, 0x00, 5, 10);
	assert_buf_hex(&b, "0a");
	sb_buf_free(&b);
	/* C.1.2: 1337 with a 5-bit prefix; the bits above the prefix are kept */
	sbd_hpack_encode_int(&b, 0xe0, 5, 1337);
	assert_buf_hex(&b, "ff 9a 0a");
	sb_buf_free(&b);
	/* C.1.3: 42 starting at an octet boundary */
	sbd_hpack_encode_int(&b, 0x00, 8, 42);
	assert_buf_hex(&b, "2a");
	sb_buf_free(&b);
	/* exactly the prefix's maximum needs a zero continuation byte */
	sbd_hpack_encode_int(&b, 0x00, 5, 31);
	assert_buf_hex(&b, "1f 00");
	sb_buf_free(&b);
	sbd_hpack_encode_int(&b, 0x00, 7, 127);
	assert_buf_hex(&b, "7f 00");
	sb_buf_free(&b);
	sbd_hpack_encode_int(&b, 0x00, 7, 128);
	assert_buf_hex(&b, "7f 01");
	sb_buf_free(&b);

	g_assert_cmpint(hpack_decode_int((const uint8_t *)"\x0a", 1, 5, &v, &used), ==,
	    HPACK_OK);
	g_assert_cmpuint(v, ==, 10);
	g_assert_cmpuint(used, ==, 1);
	g_assert_cmpint(hpack_decode_int((const uint8_t *)"\xff\x9a\x0a", 3, 5, &v, &used), ==,
	    HPACK_OK);
	g_assert_cmpuint(v, ==, 1337);
	g_assert_cmpuint(used, ==, 3);
	g_assert_cmpint(hpack_decode_int((const uint8_t *)"\x2a", 1, 8, &v, &used), ==,
	    HPACK_OK);
	g_assert_cmpuint(v, ==, 42);
}

static void
test_int_limits(void)
{
	uint32_t v;
	size_t used;

	g_assert_cmpint(hpack_decode_int(NULL, 0, 5, &v, &used), ==, HPACK_TRUNCATED);
	g_assert_cmpint(hpack_decode_int((const uint8_t *)"\x1f", 1, 5, &v, &used), ==,
	    HPACK_TRUNCATED);
	g_assert_cmpint(hpack_decode_int((const uint8_t *)"\x1f\x9a", 2, 5, &v, &used), ==,
	    HPACK_TRUNCATED);
	/* 2^32 - 1 is the largest accepted */
	g_assert_cmpint(hpack_decode_int((const uint8_t *)"\xff\x80\xfe\xff\xff\x0f", 6, 8,
			    &v, &used),
	    ==, HPACK_OK);
	g_assert_cmpuint(v, ==, 0xffffffffu);
	g_assert_cmpuint(used, ==, 6);
	g_assert_cmpint(hpack_decode_int((const uint8_t *)"\xff\x81\xfe\xff\xff\x0f", 6, 8,
			    &v, &used),
	    ==, HPACK_INVALID);
	/* zero-value continuation bytes cannot stretch an integer forever */
	g_assert_cmpint(hpack_decode_int((const uint8_t *)"\x1f\x80\x80\x80\x80\x80\x00", 7, 5,
			    &v, &used),
	    ==, HPACK_INVALID);
	g_assert_cmpint(hpack_decode_int((const uint8_t *)"\x1f\x80\x80\x80\x80\x00", 6, 5,
			    &v, &used),
	    ==, HPACK_OK);
	g_assert_cmpuint(v, ==, 31);
}

static void
test_int_roundtrip(void)
{
	static const uint32_t values[] = {
		0, 1, 2, 6, 7, 14, 15, 16, 30, 31, 32, 62, 63, 64, 126, 127, 128, 254, 255, 256,
		1337, 16383, 16384, 65535, 1u << 21, 0x7fffffffu, 0xfffffffeu, 0xffffffffu,
	};

	for (unsigned bits = 1; bits <= 8; bits++) {
		for (size_t i = 0; i < G_N_ELEMENTS(values); i++) {
			struct sb_buf b = SB_BUF_INIT;
			uint8_t high = (uint8_t)(0xffu << bits); /* every bit above the prefix */
			uint32_t v = 0;
			size_t used = 0;

			sbd_hpack_encode_int(&b, high, bits, values[i]);
			g_assert_cmpuint((uint8_t)sb_buf_head(&b)[0] & high, ==, high);
			const uint8_t *p = (const uint8_t *)sb_buf_head(&b);

			g_assert_cmpint(hpack_decode_int(p, b.len, bits, &v, &used), ==,
			    HPACK_OK);
			g_assert_cmpuint(v, ==, values[i]);
			g_assert_cmpuint(used, ==, b.len);
			sb_buf_free(&b);
		}
	}
}

static void
test_encode_literals(void)
{
	struct sb_buf b = SB_BUF_INIT;
	char long_value[300];

	/* C.2.2: literal without indexing, indexed name :path */
	sbd_hpack_encode_literal_indexed_name(&b, 4, "/sample/path", 12);
	assert_buf_hex(&b, "04 0c 2f73 616d 706c 652f 7061 7468");
	sb_buf_free(&b);
	sbd_hpack_encode_field(&b, ":path", 5, "/sample/path", 12);
	assert_buf_hex(&b, "04 0c 2f73 616d 706c 652f 7061 7468");
	sb_buf_free(&b);
	/* C.2.1's field, without indexing: 0x00 instead of 0x40 */
	sbd_hpack_encode_literal_new_name(&b, "custom-key", 10, "custom-header", 13);
	assert_buf_hex(&b, "00 0a 6375 7374 6f6d 2d6b 6579 0d 6375 7374 6f6d 2d68 6561 6465 72");
	sb_buf_free(&b);
	sbd_hpack_encode_field(&b, "custom-key", 10, "custom-header", 13);
	assert_buf_hex(&b, "00 0a 6375 7374 6f6d 2d6b 6579 0d 6375 7374 6f6d 2d68 6561 6465 72");
	sb_buf_free(&b);
	/* an index past 14 continues the 4-bit prefix: user-agent is 58 = 15 + 43 */
	sbd_hpack_encode_field(&b, "user-agent", 10, "x", 1);
	assert_buf_hex(&b, "0f 2b 01 78");
	sb_buf_free(&b);
	/* an empty value */
	sbd_hpack_encode_field(&b, ":authority", 10, "", 0);
	assert_buf_hex(&b, "01 00");
	sb_buf_free(&b);
	/* a 300-byte value: length 127 + 173 = 7f ad 01 */
	memset(long_value, 'v', sizeof long_value);
	sbd_hpack_encode_string(&b, long_value, sizeof long_value);
	g_assert_cmpuint(b.len, ==, 3 + sizeof long_value);
	g_assert_cmpmem(sb_buf_head(&b), 3, "\x7f\xad\x01", 3);
	sb_buf_free(&b);
}

static void
test_static_names(void)
{
	g_assert_cmpuint(sbd_hpack_static_name_index(":authority", 10), ==, 1);
	g_assert_cmpuint(sbd_hpack_static_name_index(":method", 7), ==, 2);
	g_assert_cmpuint(sbd_hpack_static_name_index(":path", 5), ==, 4);
	g_assert_cmpuint(sbd_hpack_static_name_index(":scheme", 7), ==, 6);
	g_assert_cmpuint(sbd_hpack_static_name_index(":status", 7), ==, 8);
	g_assert_cmpuint(sbd_hpack_static_name_index("content-length", 14), ==, 28);
	g_assert_cmpuint(sbd_hpack_static_name_index("www-authenticate", 16), ==, 61);
	g_assert_cmpuint(sbd_hpack_static_name_index(":pat", 4), ==, 0);
	g_assert_cmpuint(sbd_hpack_static_name_index(":paths", 6), ==, 0);
	g_assert_cmpuint(sbd_hpack_static_name_index("Accept", 6), ==, 0);
	g_assert_cmpuint(sbd_hpack_static_name_index("x-custom", 8), ==, 0);
	g_assert_cmpuint(sbd_hpack_static_name_index("", 0), ==, 0);
}

static void
test_decode_rfc_c2(void)
{
	struct hpack_decoder *d = hpack_decoder_new(HPACK_DEFAULT_TABLE_SIZE);
	GString *f = g_string_new(NULL);

	/* C.2.1 with incremental indexing: the table holds one 55-byte entry */
	g_assert_cmpint(decode_hex(d,
			    "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572", f,
			    NULL),
	    ==, HPACK_OK);
	g_assert_cmpstr(f->str, ==, "custom-key: custom-header\n");
	g_assert_cmpuint(hpack_decoder_table_count(d), ==, 1);
	g_assert_cmpuint(hpack_decoder_table_size(d), ==, 55);
	g_string_truncate(f, 0);
	/* C.2.2 without indexing, C.2.3 never indexed, C.2.4 indexed: the table is unchanged */
	g_assert_cmpint(decode_hex(d, "040c 2f73 616d 706c 652f 7061 7468", f, NULL), ==,
	    HPACK_OK);
	g_assert_cmpint(decode_hex(d, "1008 7061 7373 776f 7264 0673 6563 7265 74", f, NULL), ==,
	    HPACK_OK);
	g_assert_cmpint(decode_hex(d, "82", f, NULL), ==, HPACK_OK);
	/* and the entry C.2.1 added is index 62 */
	g_assert_cmpint(decode_hex(d, "be", f, NULL), ==, HPACK_OK);
	g_assert_cmpstr(f->str, ==,
	    ":path: /sample/path\npassword: secret\n:method: GET\ncustom-key: custom-header\n");
	g_assert_cmpuint(hpack_decoder_table_count(d), ==, 1);
	g_string_free(f, TRUE);
	hpack_decoder_free(d);
}

static void
test_decode_rfc_c3(void)
{
	struct hpack_decoder *d = hpack_decoder_new(HPACK_DEFAULT_TABLE_SIZE);
	GString *f = g_string_new(NULL);

	g_assert_cmpint(decode_hex(d, "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d", f, NULL),
	    ==, HPACK_OK);
	g_assert_cmpstr(f->str, ==,
	    ":method: GET\n:scheme: http\n:path: /\n:authority: www.example.com\n");
	g_assert_cmpuint(hpack_decoder_table_size(d), ==, 57);
	g_string_truncate(f, 0);
	g_assert_cmpint(decode_hex(d, "8286 84be 5808 6e6f 2d63 6163 6865", f, NULL), ==,
	    HPACK_OK);
	g_assert_cmpstr(f->str, ==,
	    ":method: GET\n:scheme: http\n:path: /\n:authority: www.example.com\n"
	    "cache-control: no-cache\n");
	g_assert_cmpuint(hpack_decoder_table_size(d), ==, 110);
	g_string_truncate(f, 0);
	g_assert_cmpint(decode_hex(d,
			    "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 "
			    "0c63 7573 746f 6d2d 7661 6c75 65",
			    f, NULL),
	    ==, HPACK_OK);
	g_assert_cmpstr(f->str, ==,
	    ":method: GET\n:scheme: https\n:path: /index.html\n:authority: www.example.com\n"
	    "custom-key: custom-value\n");
	g_assert_cmpuint(hpack_decoder_table_size(d), ==, 164);
	g_assert_cmpuint(hpack_decoder_table_count(d), ==, 3);
	/* a size update to 0 at the start of a block empties the table */
	g_string_truncate(f, 0);
	g_assert_cmpint(decode_hex(d, "20 82", f, NULL), ==, HPACK_OK);
	g_assert_cmpuint(hpack_decoder_table_count(d), ==, 0);
	g_assert_cmpuint(hpack_decoder_table_size(d), ==, 0);
	g_string_free(f, TRUE);
	hpack_decoder_free(d);
}

static void
test_decode_eviction(void)
{
	struct hpack_decoder *d = hpack_decoder_new(100);
	GString *f = g_string_new(NULL);
	GString *hex = g_string_new("40 1e");

	/* "n" x 30, empty value: 62 bytes */
	for (int i = 0; i < 30; i++)
		g_string_append(hex, "6e");
	g_string_append(hex, "00");
	g_assert_cmpint(decode_hex(d, hex->str, f, NULL), ==, HPACK_OK);
	g_assert_cmpuint(hpack_decoder_table_size(d), ==, 62);
	/* its name, by index 62, with a 10-byte value: 72 bytes, so the
	 * entry the name comes from is evicted to make room for the copy */
	g_string_truncate(f, 0);
	g_assert_cmpint(decode_hex(d, "7e 0a 7676 7676 7676 7676 7676", f, NULL), ==,
	    HPACK_OK);
	g_assert_cmpstr(f->str, ==, "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnn: vvvvvvvvvv\n");
	g_assert_cmpuint(hpack_decoder_table_count(d), ==, 1);
	g_assert_cmpuint(hpack_decoder_table_size(d), ==, 72);
	g_string_truncate(f, 0);
	g_assert_cmpint(decode_hex(d, "be", f, NULL), ==, HPACK_OK);
	g_assert_cmpstr(f->str, ==, "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnn: vvvvvvvvvv\n");
	/* an entry larger than the whole table empties it and is not added */
	g_string_truncate(hex, 0);
	g_string_append(hex, "40 01 61 45");
	for (int i = 0; i < 69; i++)
		g_string_append(hex, "62");
	g_assert_cmpint(decode_hex(d, hex->str, f, NULL), ==, HPACK_OK);
	g_assert_cmpuint(hpack_decoder_table_count(d), ==, 0);
	g_assert_cmpuint(hpack_decoder_table_size(d), ==, 0);
	/* a decoder without a table still decodes */
	hpack_decoder_free(d);
	d = hpack_decoder_new(0);
	g_string_truncate(f, 0);
	g_assert_cmpint(decode_hex(d, "40 01 61 01 62 82", f, NULL), ==, HPACK_OK);
	g_assert_cmpstr(f->str, ==, "a: b\n:method: GET\n");
	g_assert_cmpuint(hpack_decoder_table_count(d), ==, 0);
	g_string_free(hex, TRUE);
	g_string_free(f, TRUE);
	hpack_decoder_free(d);
}

static void
test_decode_errors(void)
{
	static const struct {
		const char *hex;
		enum hpack_status want;
		const char *why;
	} cases[] = {
		/* C.4.1: the first request with Huffman coding */
		{ "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff", HPACK_HUFFMAN, "Huffman" },
		{ "00 8a 00", HPACK_HUFFMAN, "Huffman" },
		{ "80", HPACK_INVALID, "index 0" },
		{ "be", HPACK_INVALID, "beyond" },
		{ "ff 00", HPACK_INVALID, "beyond" },
		{ "7f 00 00", HPACK_INVALID, "beyond" },
		{ "04 0c 2f", HPACK_TRUNCATED, "inside a string" },
		{ "04", HPACK_TRUNCATED, "inside an integer" },
		{ "0f", HPACK_TRUNCATED, "inside an integer" },
		{ "00 03 61", HPACK_TRUNCATED, "inside a string" },
		{ "00 01 61", HPACK_TRUNCATED, "inside an integer" },
		{ "82 20", HPACK_INVALID, "after a field" },
		{ "3f e2 1f", HPACK_INVALID, "above the announced" },
		{ "ff ff ff ff ff ff 0f", HPACK_INVALID, "too large" },
		{ "0f ff ff ff ff ff 0f", HPACK_INVALID, "too large" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct hpack_decoder *d = hpack_decoder_new(HPACK_DEFAULT_TABLE_SIZE);
		GString *f = g_string_new(NULL);
		const char *why = NULL;

		g_assert_cmpint(decode_hex(d, cases[i].hex, f, &why), ==, cases[i].want);
		g_assert_nonnull(why);
		if (strstr(why, cases[i].why) == NULL)
			g_error("%s: why \"%s\", expected \"%s\"", cases[i].hex, why, cases[i].why);
		g_string_free(f, TRUE);
		hpack_decoder_free(d);
	}
	/* two updates at the start are fine; the largest allowed is the announced size */
	{
		struct hpack_decoder *d = hpack_decoder_new(HPACK_DEFAULT_TABLE_SIZE);
		GString *f = g_string_new(NULL);

		g_assert_cmpint(decode_hex(d, "20 3f e1 1f 82", f, NULL), ==, HPACK_OK);
		g_assert_cmpstr(f->str, ==, ":method: GET\n");
		g_string_free(f, TRUE);
		hpack_decoder_free(d);
	}
}

static void
test_roundtrip(void)
{
	static const char *const fields[][2] = {
		{ ":method", "POST" }, { ":scheme", "http" }, { ":authority", "example.org:8080" },
		{ ":path", "/upload?x=1&y=%20" }, { "content-type", "application/json" },
		{ "x-empty", "" }, { "accept", "*/*" }, { "x-custom-header-with-a-long-name", "v" },
		{ "cookie", "a=b; c=d" }, { "www-authenticate", "Basic realm=\"x\"" },
	};
	struct hpack_decoder *d = hpack_decoder_new(HPACK_DEFAULT_TABLE_SIZE);
	struct sb_buf b = SB_BUF_INIT;
	GString *want = g_string_new(NULL), *got = g_string_new(NULL);
	char big[5000];

	for (size_t i = 0; i < G_N_ELEMENTS(fields); i++) {
		sbd_hpack_encode_field(&b, fields[i][0], strlen(fields[i][0]), fields[i][1],
		    strlen(fields[i][1]));
		g_string_append_printf(want, "%s: %s\n", fields[i][0], fields[i][1]);
	}
	memset(big, 'z', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	sbd_hpack_encode_field(&b, "x-big", 5, big, strlen(big));
	g_string_append_printf(want, "x-big: %s\n", big);

	g_assert_cmpint(hpack_decode(d, (const uint8_t *)sb_buf_head(&b), b.len, on_field, got,
			    NULL),
	    ==, HPACK_OK);
	g_assert_cmpstr(got->str, ==, want->str);
	/* literals without indexing leave the peer's table alone */
	g_assert_cmpuint(hpack_decoder_table_count(d), ==, 0);
	/* every strict prefix of the block ends inside a field */
	for (size_t k = 1; k < b.len; k++) {
		const uint8_t *p = (const uint8_t *)sb_buf_head(&b);
		guint8 *copy = g_memdup2(p, k);
		enum hpack_status st;

		g_string_truncate(got, 0);
		st = hpack_decode(d, copy, k, on_field, got, NULL);
		g_free(copy);
		/* a cut between fields decodes cleanly; anywhere else it is TRUNCATED */
		g_assert_true(st == HPACK_OK || st == HPACK_TRUNCATED);
		if (st == HPACK_OK)
			g_assert_true(g_str_has_prefix(want->str, got->str));
	}
	sb_buf_free(&b);
	g_string_free(want, TRUE);
	g_string_free(got, TRUE);
	hpack_decoder_free(d);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/hpack/int/rfc-examples", test_int_rfc_examples);
	g_test_add_func("/hpack/int/limits", test_int_limits);
	g_test_add_func("/hpack/int/roundtrip", test_int_roundtrip);
	g_test_add_func("/hpack/encode/literals", test_encode_literals);
	g_test_add_func("/hpack/encode/static-names", test_static_names);
	g_test_add_func("/hpack/decode/rfc-c2", test_decode_rfc_c2);
	g_test_add_func("/hpack/decode/rfc-c3", test_decode_rfc_c3);
	g_test_add_func("/hpack/decode/eviction", test_decode_eviction);
	g_test_add_func("/hpack/decode/errors", test_decode_errors);
	g_test_add_func("/hpack/roundtrip", test_roundtrip);
	return g_test_run();
}
