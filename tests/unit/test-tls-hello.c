/* test-tls-hello.c - the key_share groups of a ClientHello, read before GnuTLS parses it */
#include <glib.h>
#include <string.h>

#include "sbd-tls-hello.h"

/* A ClientHello body: TLS 1.2 legacy version, random, empty session id, one suite, no compression. */
static GByteArray *
hello_start(void)
{
	static const uint8_t fixed[] = { 0x03, 0x03 };
	static const uint8_t tail[] = { 0x00, 0x00, 0x02, 0x13, 0x01, 0x01, 0x00 };
	GByteArray *b = g_byte_array_new();
	uint8_t random[32] = { 0 };

	g_byte_array_append(b, fixed, sizeof fixed);
	g_byte_array_append(b, random, sizeof random);
	g_byte_array_append(b, tail, sizeof tail);
	return b;
}

static void
put16(GByteArray *b, unsigned v)
{
	uint8_t p[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	g_byte_array_append(b, p, 2);
}

/* Appends the extensions block: exts is the concatenation of whole extensions. */
static void
hello_extensions(GByteArray *b, const GByteArray *exts)
{
	put16(b, exts->len);
	g_byte_array_append(b, exts->data, exts->len);
}

/* A key_share extension whose entries are (group, size) pairs: size bytes of 0x42 each. */
static void
key_share(GByteArray *exts, const unsigned *entries, size_t n)
{
	GByteArray *list = g_byte_array_new();

	for (size_t i = 0; i < n; i++) {
		put16(list, entries[2 * i]);
		put16(list, entries[2 * i + 1]);
		for (unsigned k = 0; k < entries[2 * i + 1]; k++)
			g_byte_array_append(list, (const uint8_t *)"\x42", 1);
	}
	put16(exts, 51);
	put16(exts, list->len + 2);
	put16(exts, list->len);
	g_byte_array_append(exts, list->data, list->len);
	g_byte_array_free(list, TRUE);
}

/* Asks from an exact-size heap copy, so a read past the end trips ASan. */
static int
shares(const GByteArray *hello, uint16_t group)
{
	uint8_t *copy = g_memdup2(hello->data, hello->len);
	int r = sbd_tls_hello_shares(copy, hello->len, group);

	g_free(copy);
	return r;
}

static int
shares_with(const unsigned *entries, size_t n, uint16_t group)
{
	GByteArray *b = hello_start(), *exts = g_byte_array_new();
	int r;

	put16(exts, 0x000a); /* supported_groups first: other extensions are skipped */
	put16(exts, 4);
	put16(exts, 2);
	put16(exts, 0x0017);
	key_share(exts, entries, n);
	hello_extensions(b, exts);
	r = shares(b, group);
	g_byte_array_free(exts, TRUE);
	g_byte_array_free(b, TRUE);
	return r;
}

static void
test_found(void)
{
	const unsigned p256_then_x25519[] = { 0x0017, 65, 0x001d, 32 };
	const unsigned x25519_only[] = { 0x001d, 32 };
	const unsigned p256_only[] = { 0x0017, 65 };

	g_assert_cmpint(shares_with(p256_then_x25519, 2, SBD_GROUP_X25519), ==, 1);
	g_assert_cmpint(shares_with(x25519_only, 1, SBD_GROUP_X25519), ==, 1);
	g_assert_cmpint(shares_with(p256_only, 1, SBD_GROUP_X25519), ==, 0);
	g_assert_cmpint(shares_with(p256_only, 0, SBD_GROUP_X25519), ==, 0); /* empty list */
}

static void
test_no_extension(void)
{
	GByteArray *b = hello_start(), *exts = g_byte_array_new();

	put16(exts, 0x002b); /* supported_versions: TLS 1.3 */
	put16(exts, 3);
	g_byte_array_append(exts, (const uint8_t *)"\x02\x03\x04", 3);
	hello_extensions(b, exts);
	g_assert_cmpint(shares(b, SBD_GROUP_X25519), ==, 0);
	g_byte_array_free(exts, TRUE);
	g_byte_array_free(b, TRUE);
	/* no extensions block at all: a TLS 1.0 style hello */
	b = hello_start();
	g_assert_cmpint(shares(b, SBD_GROUP_X25519), ==, 0);
	g_byte_array_free(b, TRUE);
}

static void
test_malformed(void)
{
	const unsigned empty_share[] = { 0x001d, 0 };
	const unsigned share[] = { 0x001d, 32 };
	GByteArray *b, *exts;

	g_assert_cmpint(shares_with(empty_share, 1, SBD_GROUP_X25519), ==, -1);
	/* an entry whose length runs past the extension */
	b = hello_start();
	exts = g_byte_array_new();
	put16(exts, 51);
	put16(exts, 2 + 4 + 8);
	put16(exts, 4 + 8);
	put16(exts, 0x001d);
	put16(exts, 32);
	g_byte_array_append(exts, (const uint8_t *)"01234567", 8);
	hello_extensions(b, exts);
	g_assert_cmpint(shares(b, SBD_GROUP_X25519), ==, -1);
	g_byte_array_free(exts, TRUE);
	g_byte_array_free(b, TRUE);
	/* two key_share extensions */
	b = hello_start();
	exts = g_byte_array_new();
	key_share(exts, share, 1);
	key_share(exts, share, 1);
	hello_extensions(b, exts);
	g_assert_cmpint(shares(b, SBD_GROUP_X25519), ==, -1);
	g_byte_array_free(exts, TRUE);
	g_byte_array_free(b, TRUE);
	/* a hello cut inside its random */
	b = hello_start();
	g_byte_array_set_size(b, 20);
	g_assert_cmpint(shares(b, SBD_GROUP_X25519), ==, -1);
	g_byte_array_free(b, TRUE);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/tls-hello/found", test_found);
	g_test_add_func("/tls-hello/no-extension", test_no_extension);
	g_test_add_func("/tls-hello/malformed", test_malformed);
	return g_test_run();
}
