/* test-proxy-proto.c - PROXY protocol v1/v2 parsing, detection and encoding */
#include <arpa/inet.h>
#include <glib.h>
#include <netinet/in.h>
#include <string.h>

#include "sbd-proxy-proto.h"

static const uint8_t v2_sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
};

/* Parses from an exact-size heap copy, so a read past len trips ASan. */
static enum sbd_proxy_result
parse_copy(const void *data, size_t len, struct sbd_proxy_header *out, size_t *consumed)
{
	uint8_t *copy = g_malloc(len > 0 ? len : 1);
	enum sbd_proxy_result r;

	memcpy(copy, data, len);
	r = sbd_proxy_parse(copy, len, out, consumed);
	g_free(copy);
	return r;
}

static void
check_addr(const struct sockaddr_storage *ss, const char *addr, unsigned port)
{
	char text[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &sin->sin_addr, text, sizeof text);
		g_assert_cmpuint(ntohs(sin->sin_port), ==, port);
	} else {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

		g_assert_cmpint(ss->ss_family, ==, AF_INET6);
		inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof text);
		g_assert_cmpuint(ntohs(sin6->sin6_port), ==, port);
	}
	g_assert_cmpstr(text, ==, addr);
}

static void
make_addr(struct sockaddr_storage *ss, const char *addr, uint16_t port)
{
	memset(ss, 0, sizeof *ss);
	if (strchr(addr, ':') == NULL) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		g_assert_cmpint(inet_pton(AF_INET, addr, &sin->sin_addr), ==, 1);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		g_assert_cmpint(inet_pton(AF_INET6, addr, &sin6->sin6_addr), ==, 1);
	}
}

/* Every strict prefix is NEED_MORE with a need that grows and never passes the header. */
static void
check_prefixes(const uint8_t *hdr, size_t len, bool exact_need)
{
	for (size_t k = 0; k < len; k++) {
		struct sbd_proxy_header h;
		size_t consumed = 99;

		g_assert_cmpint(parse_copy(hdr, k, &h, &consumed), ==, SBD_PROXY_NEED_MORE);
		g_assert_cmpuint(consumed, ==, 0);
		g_assert_null(h.error);
		g_assert_cmpuint(h.need, >, k);
		g_assert_cmpuint(h.need, <=, len);
		if (exact_need && k >= SBD_PROXY_V2_FIXED)
			g_assert_cmpuint(h.need, ==, len);
	}
}

static void
test_v1_spec_examples(void)
{
	static const struct {
		const char *line;
		bool local;
		const char *src, *dst;
		unsigned sport, dport;
	} cases[] = {
		{ "PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n", false,
		    "255.255.255.255", "255.255.255.255", 65535, 65535 },
		{ "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
		  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n",
		    false, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535, 65535 },
		{ "PROXY UNKNOWN\r\n", true, NULL, NULL, 0, 0 },
		{ "PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
		  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n",
		    true, NULL, NULL, 0, 0 },
		{ "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n", false, "192.168.0.1",
		    "192.168.0.11", 56324, 443 },
		{ "PROXY TCP4 0.0.0.0 10.0.0.1 0 1\r\n", false, "0.0.0.0", "10.0.0.1", 0, 1 },
		{ "PROXY TCP6 ::1 2001:db8::7 1234 8443\r\n", false, "::1", "2001:db8::7", 1234,
		    8443 },
		{ "PROXY TCP6 ::ffff:10.1.2.3 ::1 1 2\r\n", false, "::ffff:10.1.2.3", "::1", 1, 2 },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		/* what follows the header must be left alone */
		g_autofree char *data = g_strconcat(cases[i].line, "GET / HTTP/1.1\r\n", NULL);
		size_t hlen = strlen(cases[i].line), consumed = 0;
		struct sbd_proxy_header h;

		g_assert_cmpint(parse_copy(data, strlen(data), &h, &consumed), ==, SBD_PROXY_OK);
		g_assert_cmpuint(consumed, ==, hlen);
		g_assert_cmpint(h.version, ==, SBD_PROXY_V1);
		g_assert_cmpint(h.is_local, ==, cases[i].local);
		g_assert_null(h.error);
		if (cases[i].local) {
			g_assert_cmpint(h.src.ss_family, ==, AF_UNSPEC);
			g_assert_cmpint(h.dst.ss_family, ==, AF_UNSPEC);
		} else {
			check_addr(&h.src, cases[i].src, cases[i].sport);
			check_addr(&h.dst, cases[i].dst, cases[i].dport);
		}
		/* the header alone is complete too */
		g_assert_cmpint(parse_copy(data, hlen, &h, &consumed), ==, SBD_PROXY_OK);
		g_assert_cmpuint(consumed, ==, hlen);
		check_prefixes((const uint8_t *)data, hlen, false);
	}
}

static void
test_v1_length_limit(void)
{
	GString *s = g_string_new("PROXY UNKNOWN ");
	struct sbd_proxy_header h;
	size_t consumed;

	/* 14 + 91 + CRLF = 107: the longest allowed */
	while (s->len < SBD_PROXY_V1_MAX - 2)
		g_string_append_c(s, 'a');
	g_string_append(s, "\r\n");
	g_assert_cmpint(parse_copy(s->str, s->len, &h, &consumed), ==, SBD_PROXY_OK);
	g_assert_cmpuint(consumed, ==, SBD_PROXY_V1_MAX);
	check_prefixes((const uint8_t *)s->str, s->len, false);

	/* one more byte: refused whether the CRLF is there or not */
	g_string_insert_c(s, 14, 'b');
	g_assert_cmpint(parse_copy(s->str, s->len, &h, &consumed), ==, SBD_PROXY_INVALID);
	g_assert_nonnull(strstr(h.error, "107"));
	g_assert_cmpint(parse_copy(s->str, SBD_PROXY_V1_MAX, &h, &consumed), ==,
	    SBD_PROXY_INVALID);
	/* a 106-byte prefix not ending in CR cannot fit its CRLF */
	g_assert_cmpint(parse_copy(s->str, SBD_PROXY_V1_MAX - 1, &h, &consumed), ==,
	    SBD_PROXY_INVALID);
	g_string_free(s, TRUE);
}

static void
test_v1_invalid(void)
{
	static const struct {
		const char *line;
		const char *error;
	} cases[] = {
		{ "GET / HTTP/1.1\r\n", "not a PROXY protocol header" },
		{ "PROXY\r\n", "not a PROXY protocol header" },
		{ "proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n", "not a PROXY protocol header" },
		{ "PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n", "empty field" },
		{ "PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n", "empty field" },
		{ "PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n", "protocol" },
		{ "PROXY TCP 1.2.3.4 5.6.7.8 1 2\r\n", "protocol" },
		{ "PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n", "unexpected character" },
		{ "PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n", "leading zero" },
		{ "PROXY TCP4 1.2.3.4 5.6.7.8 1 00\r\n", "leading zero" },
		{ "PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n", "above 65535" },
		{ "PROXY TCP4 1.2.3.4 5.6.7.8 1 123456\r\n", "too long" },
		{ "PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n", "not a valid IPv4" },
		{ "PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n", "not a valid IPv4" },
		{ "PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n", "not a valid IPv4" },
		{ "PROXY TCP4 ::1 ::1 1 2\r\n", "unexpected character" },
		{ "PROXY TCP6 1.2.3.4 ::1 1 2\r\n", "not a valid IPv6" },
		{ "PROXY TCP6 ::1 :::1 1 2\r\n", "not a valid IPv6" },
		{ "PROXY TCP6 ::1 ::g 1 2\r\n", "unexpected character" },
		{ "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", "unexpected character" },
		{ "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\r\n", "CR without LF" },
		{ "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX", "CR without LF" },
		{ "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", "ends before its last field" },
		{ "PROXY TCP4 1.2.3.4\r\n", "ends before its last field" },
		{ "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n", "fields after" },
		{ "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n", "fields after" },
		{ "PROXY TCP4\r\n", "ends after the protocol" },
		{ "PROXY TCP4\t1.2.3.4 5.6.7.8 1 2\r\n", "unexpected character" },
		{ "PROXY UNKNOWN\tx\r\n", "unexpected character" },
		{ "PROXY UNKNOWN x\x7f\r\n", "unexpected character" },
		{ "PROXY UNKNOWN x\ny\r\n", "unexpected character" },
		{ "PROXY UNKNOWNX\r\n", "protocol" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct sbd_proxy_header h;
		size_t consumed = 7;

		g_assert_cmpint(parse_copy(cases[i].line, strlen(cases[i].line), &h, &consumed),
		    ==, SBD_PROXY_INVALID);
		g_assert_cmpuint(consumed, ==, 0);
		g_assert_nonnull(h.error);
		if (strstr(h.error, cases[i].error) == NULL)
			g_error("%s: error \"%s\", expected \"%s\"", cases[i].line, h.error,
			    cases[i].error);
		g_assert_false(h.is_local);
		g_assert_cmpint(h.src.ss_family, ==, AF_UNSPEC);
	}
}

/* A bad byte is refused at once, without waiting for the CRLF. */
static void
test_v1_early_refusal(void)
{
	static const char *const bad[] = {
		"PROXY TCP4 1.2.3.4 5.6.7.8 99999",
		"PROXY TCP4 1.2.3.4 5.6.7.8 00",
		"PROXY TCP4 1.2.x",
		"PROXY TCP9",
		"PROXY X",
		"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rZ",
		"PROXY TCP4 1234567890123456",
		"PRO\r",
		"\r\n\r\n\x01",
	};
	static const char *const partial[] = {
		"", "P", "PROXY", "PROXY ", "PROXY TCP", "PROXY UNKNOWN", "PROXY UNKNOWN garbage",
		"PROXY TCP4 1.2.3.4 5.6.7.8 0", "PROXY TCP4 1.2.3.4 5.6.7.8 6553",
		"PROXY TCP6 ::", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r", "\r\n\r\n\x00",
	};

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		struct sbd_proxy_header h;
		size_t consumed;

		g_assert_cmpint(parse_copy(bad[i], strlen(bad[i]), &h, &consumed), ==,
		    SBD_PROXY_INVALID);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(partial); i++) {
		struct sbd_proxy_header h;
		size_t len = strlen(partial[i]), consumed;

		if (partial[i][0] == '\r')
			len = 5; /* the v2 signature prefix holds a NUL */
		g_assert_cmpint(parse_copy(partial[i], len, &h, &consumed), ==,
		    SBD_PROXY_NEED_MORE);
		g_assert_cmpuint(h.need, >, len);
	}
}

static void
test_detect(void)
{
	static const struct {
		const char *data;
		size_t len;
		enum sbd_proxy_detect want;
	} cases[] = {
		{ "", 0, SBD_PROXY_DETECT_NEED_MORE },
		{ "P", 1, SBD_PROXY_DETECT_NEED_MORE },
		{ "PROXY", 5, SBD_PROXY_DETECT_NEED_MORE },
		{ "PROXY ", 6, SBD_PROXY_DETECT_V1 },
		{ "PROXY TCP4", 10, SBD_PROXY_DETECT_V1 },
		{ "PROXX", 5, SBD_PROXY_DETECT_NONE },
		{ "G", 1, SBD_PROXY_DETECT_NONE },
		{ "\x16\x03\x01", 3, SBD_PROXY_DETECT_NONE },
		{ "\r\n\r\n", 4, SBD_PROXY_DETECT_NEED_MORE },
		{ "\r\n\r\n\0\r\nQUIT", 11, SBD_PROXY_DETECT_NEED_MORE },
		{ "\r\n\r\n\0\r\nQUIT\n", 12, SBD_PROXY_DETECT_V2 },
		{ "\r\n\r\n\0\r\nQUIT\n!", 13, SBD_PROXY_DETECT_V2 },
		{ "\r\n\r\n\0\r\nQUIX", 11, SBD_PROXY_DETECT_NONE },
		{ "\r\n\r\nX", 5, SBD_PROXY_DETECT_NONE },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
		g_assert_cmpint(sbd_proxy_detect((const uint8_t *)cases[i].data, cases[i].len), ==,
		    cases[i].want);
}

/* A v2 header: signature, ver/cmd, fam, then block (its length is written here). */
static GByteArray *
v2_build(uint8_t ver_cmd, uint8_t fam, const uint8_t *block, size_t block_len)
{
	GByteArray *b = g_byte_array_new();
	uint8_t fixed[4] = { ver_cmd, fam, (uint8_t)(block_len >> 8), (uint8_t)block_len };

	g_byte_array_append(b, v2_sig, sizeof v2_sig);
	g_byte_array_append(b, fixed, sizeof fixed);
	if (block_len > 0)
		g_byte_array_append(b, block, (guint)block_len);
	return b;
}

static void
test_v2_tcp4_with_tlvs(void)
{
	static const uint8_t block[] = {
		192, 168, 0, 1, 10, 0, 0, 2, 0xdc, 0x04, 0x01, 0xbb, /* addresses, ports */
		0x01, 0x00, 0x02, 'h', '2',                          /* PP2_TYPE_ALPN */
		0x02, 0x00, 0x0b, 'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'o', 'r', 'g',
		0x04, 0x00, 0x00,                                    /* PP2_TYPE_NOOP, empty */
		0x20, 0x00, 0x05, 0x01, 0x00, 0x00, 0x00, 0x00,      /* PP2_TYPE_SSL */
	};
	GByteArray *b = v2_build(0x21, 0x11, block, sizeof block);
	size_t hlen = b->len, consumed = 0;
	struct sbd_proxy_header h;

	/* TLS bytes follow the header */
	g_byte_array_append(b, (const uint8_t *)"\x16\x03\x01", 3);
	g_assert_cmpint(parse_copy(b->data, b->len, &h, &consumed), ==, SBD_PROXY_OK);
	g_assert_cmpuint(consumed, ==, hlen);
	g_assert_cmpuint(consumed, ==, 16 + sizeof block);
	g_assert_cmpint(h.version, ==, SBD_PROXY_V2);
	g_assert_false(h.is_local);
	check_addr(&h.src, "192.168.0.1", 56324);
	check_addr(&h.dst, "10.0.0.2", 443);
	check_prefixes(b->data, hlen, true);
	g_byte_array_unref(b);
}

static void
test_v2_tcp6(void)
{
	uint8_t block[36] = { 0 };
	struct sbd_proxy_header h;
	size_t consumed;
	GByteArray *b;

	block[0] = 0x20, block[1] = 0x01, block[2] = 0x0d, block[3] = 0xb8, block[15] = 1;
	block[31] = 1;
	block[32] = 0x30, block[33] = 0x39; /* 12345 */
	block[34] = 0x00, block[35] = 0x50; /* 80 */
	b = v2_build(0x21, 0x21, block, sizeof block);
	g_assert_cmpint(parse_copy(b->data, b->len, &h, &consumed), ==, SBD_PROXY_OK);
	g_assert_cmpuint(consumed, ==, 52);
	check_addr(&h.src, "2001:db8::1", 12345);
	check_addr(&h.dst, "::1", 80);
	check_prefixes(b->data, b->len, true);
	g_byte_array_unref(b);
}

static void
test_v2_local_and_unspec(void)
{
	static const uint8_t junk[] = { 1, 2, 3, 4, 5 };
	static const struct {
		uint8_t ver_cmd, fam;
		const uint8_t *block;
		size_t block_len;
	} cases[] = {
		{ 0x20, 0x00, NULL, 0 },           /* LOCAL: a balancer's health check */
		{ 0x20, 0x00, junk, sizeof junk }, /* LOCAL: the block is skipped unread */
		{ 0x20, 0x31, junk, sizeof junk }, /* LOCAL: the family is ignored */
		{ 0x21, 0x00, NULL, 0 },           /* PROXY over UNSPEC */
		{ 0x21, 0x01, junk, sizeof junk },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		GByteArray *b = v2_build(cases[i].ver_cmd, cases[i].fam, cases[i].block,
		    cases[i].block_len);
		struct sbd_proxy_header h;
		size_t consumed;

		g_assert_cmpint(parse_copy(b->data, b->len, &h, &consumed), ==, SBD_PROXY_OK);
		g_assert_cmpuint(consumed, ==, b->len);
		g_assert_true(h.is_local);
		g_assert_cmpint(h.src.ss_family, ==, AF_UNSPEC);
		check_prefixes(b->data, b->len, true);
		g_byte_array_unref(b);
	}
}

static void
test_v2_invalid(void)
{
	uint8_t block[48] = { 0 };
	static const struct {
		uint8_t ver_cmd, fam;
		size_t block_len;
		uint8_t tlv[3]; /* written after 12 address bytes when block_len > 12 */
		const char *error;
	} cases[] = {
		{ 0x11, 0x11, 12, { 0 }, "version is not 2" },
		{ 0x31, 0x11, 12, { 0 }, "version is not 2" },
		{ 0x22, 0x11, 12, { 0 }, "neither LOCAL nor PROXY" },
		{ 0x2f, 0x11, 12, { 0 }, "neither LOCAL nor PROXY" },
		{ 0x21, 0x31, 48, { 0 }, "AF_UNIX" },
		{ 0x21, 0x12, 12, { 0 }, "DGRAM" },
		{ 0x21, 0x22, 36, { 0 }, "DGRAM" },
		{ 0x21, 0x41, 12, { 0 }, "family is unknown" },
		{ 0x21, 0x10, 12, { 0 }, "not STREAM" },
		{ 0x21, 0x02, 0, { 0 }, "family is unknown" },
		{ 0x21, 0x11, 11, { 0 }, "shorter than its addresses" },
		{ 0x21, 0x21, 35, { 0 }, "shorter than its addresses" },
		{ 0x21, 0x11, 14, { 0x01, 0x00 }, "cut short" },
		{ 0x21, 0x11, 15, { 0x01, 0x00, 0x01 }, "runs past" },
		{ 0x21, 0x11, 16, { 0x01, 0xff, 0xff }, "runs past" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		GByteArray *b;
		struct sbd_proxy_header h;
		size_t consumed;

		memset(block, 0, sizeof block);
		memcpy(block + 12, cases[i].tlv, 3);
		b = v2_build(cases[i].ver_cmd, cases[i].fam, block, cases[i].block_len);
		g_assert_cmpint(parse_copy(b->data, b->len, &h, &consumed), ==,
		    SBD_PROXY_INVALID);
		g_assert_cmpuint(consumed, ==, 0);
		if (strstr(h.error, cases[i].error) == NULL)
			g_error("case %zu: error \"%s\", expected \"%s\"", i, h.error,
			    cases[i].error);
		g_byte_array_unref(b);
	}
	/* the version and command are judged as soon as byte 13 is there */
	{
		GByteArray *b = v2_build(0x11, 0x11, NULL, 0);
		struct sbd_proxy_header h;
		size_t consumed;

		g_assert_cmpint(parse_copy(b->data, 13, &h, &consumed), ==, SBD_PROXY_INVALID);
		b->data[12] = 0x21;
		b->data[13] = 0x31;
		g_assert_cmpint(parse_copy(b->data, 14, &h, &consumed), ==, SBD_PROXY_INVALID);
		g_byte_array_unref(b);
	}
}

static void
test_v2_largest_block(void)
{
	uint8_t *block = g_malloc0(65535);
	GByteArray *b;
	struct sbd_proxy_header h;
	size_t consumed;

	/* addresses, then one NOOP TLV filling the rest of the block */
	block[12] = 0x04;
	block[13] = (uint8_t)((65535 - 15) >> 8);
	block[14] = (uint8_t)(65535 - 15);
	b = v2_build(0x21, 0x11, block, 65535);
	g_assert_cmpuint(b->len, ==, SBD_PROXY_V2_MAX);
	g_assert_cmpint(parse_copy(b->data, 16, &h, &consumed), ==, SBD_PROXY_NEED_MORE);
	g_assert_cmpuint(h.need, ==, SBD_PROXY_V2_MAX);
	g_assert_cmpint(parse_copy(b->data, b->len, &h, &consumed), ==, SBD_PROXY_OK);
	g_assert_cmpuint(consumed, ==, SBD_PROXY_V2_MAX);
	g_byte_array_unref(b);
	g_free(block);
}

static void
test_encode_v1(void)
{
	static const struct {
		const char *src, *dst;
		uint16_t sport, dport;
		const char *want;
	} cases[] = {
		{ "192.0.2.1", "198.51.100.2", 40000, 443,
		    "PROXY TCP4 192.0.2.1 198.51.100.2 40000 443\r\n" },
		{ "::ffff:192.0.2.1", "::ffff:127.0.0.1", 1, 8080,
		    "PROXY TCP4 192.0.2.1 127.0.0.1 1 8080\r\n" },
		{ "::ffff:192.0.2.1", "127.0.0.1", 0, 65535,
		    "PROXY TCP4 192.0.2.1 127.0.0.1 0 65535\r\n" },
		{ "2001:db8::1", "::1", 5, 6, "PROXY TCP6 2001:db8::1 ::1 5 6\r\n" },
		{ "192.0.2.1", "::1", 5, 6, "PROXY TCP6 ::ffff:192.0.2.1 ::1 5 6\r\n" },
		{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535, 65535,
		    "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
		    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct sockaddr_storage src, dst;
		char out[SBD_PROXY_V1_MAX + 1];
		struct sbd_proxy_header h;
		size_t n, consumed;

		make_addr(&src, cases[i].src, cases[i].sport);
		make_addr(&dst, cases[i].dst, cases[i].dport);
		n = sbd_proxy_encode_v1(out, (struct sockaddr *)&src, (struct sockaddr *)&dst);
		g_assert_cmpstr(out, ==, cases[i].want);
		g_assert_cmpuint(n, ==, strlen(cases[i].want));
		/* what we send, we accept */
		g_assert_cmpint(parse_copy(out, n, &h, &consumed), ==, SBD_PROXY_OK);
		g_assert_cmpuint(consumed, ==, n);
	}
	{
		struct sockaddr_storage dst;
		struct sockaddr un = { .sa_family = AF_UNIX };
		char out[SBD_PROXY_V1_MAX + 1];

		make_addr(&dst, "127.0.0.1", 80);
		g_assert_cmpuint(sbd_proxy_encode_v1(out, NULL, (struct sockaddr *)&dst), ==, 15);
		g_assert_cmpstr(out, ==, "PROXY UNKNOWN\r\n");
		sbd_proxy_encode_v1(out, &un, (struct sockaddr *)&dst);
		g_assert_cmpstr(out, ==, "PROXY UNKNOWN\r\n");
	}
}

static void
test_encode_v2(void)
{
	static const uint8_t want4[28] = {
		0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
		0x21, 0x11, 0x00, 0x0c, 192, 0, 2, 1, 127, 0, 0, 1, 0x9c, 0x40, 0x01, 0xbb,
	};
	struct sockaddr_storage src, dst;
	uint8_t out[SBD_PROXY_V2_ENCODE_MAX];
	struct sbd_proxy_header h;
	size_t n, consumed;

	/* a v4 client seen on a dual-stack socket is sent as AF_INET */
	make_addr(&src, "::ffff:192.0.2.1", 40000);
	make_addr(&dst, "127.0.0.1", 443);
	n = sbd_proxy_encode_v2(out, sizeof out, (struct sockaddr *)&src, (struct sockaddr *)&dst);
	g_assert_cmpmem(out, n, want4, sizeof want4);
	g_assert_cmpuint(sbd_proxy_encode_v2(out, 27, (struct sockaddr *)&src,
			     (struct sockaddr *)&dst), ==, 0);

	make_addr(&src, "2001:db8::1", 1);
	make_addr(&dst, "192.0.2.9", 2);
	n = sbd_proxy_encode_v2(out, sizeof out, (struct sockaddr *)&src, (struct sockaddr *)&dst);
	g_assert_cmpuint(n, ==, 52);
	g_assert_cmpuint(out[13], ==, 0x21);
	g_assert_cmpint(parse_copy(out, n, &h, &consumed), ==, SBD_PROXY_OK);
	g_assert_cmpuint(consumed, ==, 52);
	check_addr(&h.src, "2001:db8::1", 1);
	check_addr(&h.dst, "::ffff:192.0.2.9", 2);
	g_assert_cmpuint(sbd_proxy_encode_v2(out, 51, (struct sockaddr *)&src,
			     (struct sockaddr *)&dst), ==, 0);

	n = sbd_proxy_encode_v2(out, sizeof out, NULL, (struct sockaddr *)&dst);
	g_assert_cmpuint(n, ==, 16);
	g_assert_cmpuint(out[12], ==, 0x21);
	g_assert_cmpuint(out[13], ==, 0x00);
	g_assert_cmpint(parse_copy(out, n, &h, &consumed), ==, SBD_PROXY_OK);
	g_assert_true(h.is_local);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/proxy-proto/v1/spec-examples", test_v1_spec_examples);
	g_test_add_func("/proxy-proto/v1/length-limit", test_v1_length_limit);
	g_test_add_func("/proxy-proto/v1/invalid", test_v1_invalid);
	g_test_add_func("/proxy-proto/v1/early-refusal", test_v1_early_refusal);
	g_test_add_func("/proxy-proto/detect", test_detect);
	g_test_add_func("/proxy-proto/v2/tcp4-tlvs", test_v2_tcp4_with_tlvs);
	g_test_add_func("/proxy-proto/v2/tcp6", test_v2_tcp6);
	g_test_add_func("/proxy-proto/v2/local-unspec", test_v2_local_and_unspec);
	g_test_add_func("/proxy-proto/v2/invalid", test_v2_invalid);
	g_test_add_func("/proxy-proto/v2/largest-block", test_v2_largest_block);
	g_test_add_func("/proxy-proto/encode/v1", test_encode_v1);
	g_test_add_func("/proxy-proto/encode/v2", test_encode_v2);
	return g_test_run();
}
