/* test-ws-frame.c - WebSocket frame parser, decoder and builders */
#include <glib.h>
#include <string.h>

#include "sbd-ws-frame.h"

static const uint8_t rfc_mask[4] = { 0x37, 0xfa, 0x21, 0x3d };

/* ---- a transcript of the events a byte stream gives ---- */

/*
 * Data runs of one message are joined, so a transcript does not depend on how
 * the stream was cut: "text:Hello|ping:Hello|close:1000:bye|error:1002:...|".
 * Data handed out before an error is kept as "part:" unless the error cut a
 * message short, where what came before depends on the cuts.
 */
struct transcript {
	GString *s;
	GByteArray *pending;
	enum sbd_ws_opcode op;
};

static void
put_bytes(GString *s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '|' && p[i] != '\\')
			g_string_append_c(s, (char)p[i]);
		else
			g_string_append_printf(s, "\\x%02x", p[i]);
	}
}

static void
record(struct transcript *t, const struct sbd_ws_event *ev)
{
	switch (ev->type) {
	case SBD_WS_EV_NONE:
		return;
	case SBD_WS_EV_DATA:
		g_assert_true(ev->len > 0 || ev->fin_message);
		g_assert_true(ev->opcode == SBD_WS_OP_TEXT || ev->opcode == SBD_WS_OP_BINARY);
		if (t->pending->len > 0)
			g_assert_cmpint(ev->opcode, ==, t->op);
		t->op = ev->opcode;
		g_byte_array_append(t->pending, ev->data, (guint)ev->len);
		if (ev->fin_message) {
			g_string_append(t->s, ev->opcode == SBD_WS_OP_TEXT ? "text:" : "binary:");
			put_bytes(t->s, t->pending->data, t->pending->len);
			g_string_append_c(t->s, '|');
			g_byte_array_set_size(t->pending, 0);
		}
		return;
	case SBD_WS_EV_ERROR:
		g_byte_array_set_size(t->pending, 0);
		g_string_append_printf(t->s, "error:%u:%s|", ev->close_code, ev->reason);
		return;
	case SBD_WS_EV_PING:
	case SBD_WS_EV_PONG:
	case SBD_WS_EV_CLOSE:
		break;
	}
	if (t->pending->len > 0) {
		g_string_append(t->s, "part:");
		put_bytes(t->s, t->pending->data, t->pending->len);
		g_string_append_c(t->s, '|');
		g_byte_array_set_size(t->pending, 0);
	}
	g_assert_cmpuint(ev->len, <=, SBD_WS_CONTROL_MAX);
	if (ev->type == SBD_WS_EV_CLOSE) {
		/* the reason is the data up to an embedded NUL */
		g_string_append_printf(t->s, "close:%u:", ev->close_code);
		g_assert_cmpuint(strlen(ev->reason), <=, ev->len);
		g_assert_cmpmem(ev->reason, strlen(ev->reason), ev->data, strlen(ev->reason));
	} else {
		g_string_append(t->s, ev->type == SBD_WS_EV_PING ? "ping:" : "pong:");
	}
	put_bytes(t->s, ev->data, ev->len);
	g_string_append_c(t->s, '|');
}

/* Feeds in to a fresh parser step bytes at a time (0: all at once), each piece a heap copy. */
static char *
run(const void *in, size_t len, size_t step, uint64_t max)
{
	struct sbd_ws_parser p;
	struct transcript t = { g_string_new(NULL), g_byte_array_new(), SBD_WS_OP_TEXT };
	bool failed = false;

	sbd_ws_parser_init(&p, max);
	if (step == 0)
		step = len > 0 ? len : 1;
	for (size_t off = 0; off < len && !failed; off += step) {
		size_t n = MIN(step, len - off);
		uint8_t *piece = g_memdup2((const uint8_t *)in + off, n);
		size_t pos = 0;
		struct sbd_ws_event ev;
		do {
			size_t used = sbd_ws_parse(&p, piece + pos, n - pos, &ev);
			g_assert_cmpuint(used, <=, n - pos);
			if (ev.type == SBD_WS_EV_DATA) {
				g_assert_true(ev.data >= piece + pos);
				g_assert_true(ev.data + ev.len <= piece + n);
				g_assert_true(ev.data + ev.len == piece + pos + used);
			}
			if (ev.type == SBD_WS_EV_NONE)
				g_assert_cmpuint(used, ==, n - pos);
			pos += used;
			record(&t, &ev);
		} while (ev.type != SBD_WS_EV_NONE && ev.type != SBD_WS_EV_ERROR);
		if (ev.type == SBD_WS_EV_ERROR) {
			/* the error sticks */
			struct sbd_ws_event again;
			g_assert_cmpuint(sbd_ws_parse(&p, piece, n, &again), ==, 0);
			g_assert_cmpint(again.type, ==, SBD_WS_EV_ERROR);
			g_assert_cmpuint(again.close_code, ==, ev.close_code);
			g_assert_cmpstr(again.reason, ==, ev.reason);
			failed = true;
		}
		g_free(piece);
	}
	g_byte_array_unref(t.pending);
	return g_string_free(t.s, FALSE);
}

/* The transcript must not depend on how the stream is cut. */
static void
check_stream(const void *in, size_t len, uint64_t max, const char *expect)
{
	for (size_t step = 0; step <= 17; step++) {
		g_autofree char *got = run(in, len, step, max);
		if (g_strcmp0(got, expect) != 0)
			g_error("step %zu: got \"%s\", expected \"%s\"", step, got, expect);
	}
}

/* Appends one client frame masked with rfc_mask. */
static void
add_frame(GByteArray *out, enum sbd_ws_opcode op, bool fin, const void *payload, size_t n)
{
	guint old = out->len;

	g_byte_array_set_size(out, old + SBD_WS_HEADER_MAX + (guint)n);
	size_t used = sbd_ws_client_frame(out->data + old, SBD_WS_HEADER_MAX + n, op, fin, rfc_mask,
	    payload, n);
	g_assert_cmpuint(used, >, 0);
	g_byte_array_set_size(out, old + (guint)used);
}

static void
check_bytes(const uint8_t *in, size_t len, const char *expect)
{
	check_stream(in, len, 0, expect);
}

/* ---- RFC 6455 §5.7 ---- */

static void
test_rfc_examples(void)
{
	static const uint8_t unmasked[] = { 0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f };
	static const uint8_t masked[] = {
		0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58 };
	static const uint8_t pong[] = {
		0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58 };
	static const uint8_t ping_unmasked[] = { 0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f };
	g_autoptr(GByteArray) b = g_byte_array_new();
	uint8_t frame[32];

	check_bytes(unmasked, sizeof unmasked, "error:1002:unmasked client frame|");
	check_bytes(masked, sizeof masked, "text:Hello|");
	check_bytes(pong, sizeof pong, "pong:Hello|");
	check_bytes(ping_unmasked, sizeof ping_unmasked, "error:1002:unmasked client frame|");

	/* the builder gives the RFC's bytes */
	g_assert_cmpuint(sbd_ws_client_frame(frame, sizeof frame, SBD_WS_OP_TEXT, true, rfc_mask,
	    "Hello", 5), ==, sizeof masked);
	g_assert_cmpmem(frame, sizeof masked, masked, sizeof masked);

	/* fragmented "Hel" + "lo": 0x01 0x03 ... then 0x80 0x02 ... */
	add_frame(b, SBD_WS_OP_TEXT, false, "Hel", 3);
	add_frame(b, SBD_WS_OP_CONTINUATION, true, "lo", 2);
	g_assert_cmphex(b->data[0], ==, 0x01);
	g_assert_cmphex(b->data[1], ==, 0x83);
	g_assert_cmphex(b->data[9], ==, 0x80);
	g_assert_cmphex(b->data[10], ==, 0x82);
	check_bytes(b->data, b->len, "text:Hello|");

	g_byte_array_set_size(b, 0);
	add_frame(b, SBD_WS_OP_PING, true, "Hello", 5);
	g_assert_cmphex(b->data[0], ==, 0x89);
	check_bytes(b->data, b->len, "ping:Hello|");
}

static void
test_fragment_events(void)
{
	g_autoptr(GByteArray) b = g_byte_array_new();
	struct sbd_ws_parser p;
	struct sbd_ws_event ev;
	size_t pos = 0;

	add_frame(b, SBD_WS_OP_TEXT, false, "Hel", 3);
	add_frame(b, SBD_WS_OP_CONTINUATION, true, "lo", 2);
	sbd_ws_parser_init(&p, 0);
	pos += sbd_ws_parse(&p, b->data, b->len, &ev);
	g_assert_cmpint(ev.type, ==, SBD_WS_EV_DATA);
	g_assert_cmpmem(ev.data, ev.len, "Hel", 3);
	g_assert_false(ev.fin_message);
	g_assert_cmpint(ev.opcode, ==, SBD_WS_OP_TEXT);
	g_assert_cmpuint(pos, ==, 9);
	/* unmasked in place */
	g_assert_cmpmem(b->data + 6, 3, "Hel", 3);
	pos += sbd_ws_parse(&p, b->data + pos, b->len - pos, &ev);
	g_assert_cmpint(ev.type, ==, SBD_WS_EV_DATA);
	g_assert_cmpmem(ev.data, ev.len, "lo", 2);
	g_assert_true(ev.fin_message);
	g_assert_cmpint(ev.opcode, ==, SBD_WS_OP_TEXT);
	g_assert_cmpuint(pos, ==, b->len);
	g_assert_cmpuint(sbd_ws_parse(&p, b->data + pos, 0, &ev), ==, 0);
	g_assert_cmpint(ev.type, ==, SBD_WS_EV_NONE);
}

static void
test_lengths(void)
{
	static const size_t sizes[] = { 0, 1, 125, 126, 127, 256, 65535, 65536, 70000 };
	uint8_t *payload = g_malloc(70000);

	for (size_t i = 0; i < 70000; i++)
		payload[i] = (uint8_t)(i * 31 + 7);
	for (size_t k = 0; k < G_N_ELEMENTS(sizes); k++) {
		g_autoptr(GByteArray) b = g_byte_array_new();
		g_autoptr(GString) expect = g_string_new("binary:");
		add_frame(b, SBD_WS_OP_BINARY, true, payload, sizes[k]);
		put_bytes(expect, payload, sizes[k]);
		g_string_append_c(expect, '|');
		static const size_t steps[] = { 0, 1, 4093 };
		for (size_t i = 0; i < G_N_ELEMENTS(steps); i++) {
			g_autofree char *got = run(b->data, b->len, steps[i], 0);
			g_assert_cmpstr(got, ==, expect->str);
		}
	}
	g_free(payload);

	/* RFC 6455 §5.7: 256 bytes and 64 KiB, as a server would frame them */
	uint8_t h[SBD_WS_HEADER_MAX];
	static const uint8_t h256[] = { 0x82, 0x7e, 0x01, 0x00 };
	static const uint8_t h64k[] = { 0x82, 0x7f, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00 };
	g_assert_cmpuint(sbd_ws_frame_header(h, SBD_WS_OP_BINARY, true, 256), ==, sizeof h256);
	g_assert_cmpmem(h, sizeof h256, h256, sizeof h256);
	g_assert_cmpuint(sbd_ws_frame_header(h, SBD_WS_OP_BINARY, true, 65536), ==, sizeof h64k);
	g_assert_cmpmem(h, sizeof h64k, h64k, sizeof h64k);
}

/* ---- interleaving and the whole stream ---- */

static void
test_control_between_fragments(void)
{
	g_autoptr(GByteArray) b = g_byte_array_new();

	add_frame(b, SBD_WS_OP_TEXT, false, "one ", 4);
	add_frame(b, SBD_WS_OP_PING, true, "p1", 2);
	add_frame(b, SBD_WS_OP_CONTINUATION, false, "", 0);
	add_frame(b, SBD_WS_OP_PONG, true, "", 0);
	add_frame(b, SBD_WS_OP_CONTINUATION, true, "two", 3);
	add_frame(b, SBD_WS_OP_BINARY, true, "\x00\xff", 2);
	add_frame(b, SBD_WS_OP_TEXT, true, "", 0);
	add_frame(b, SBD_WS_OP_BINARY, false, "", 0);
	add_frame(b, SBD_WS_OP_CONTINUATION, true, "", 0);
	add_frame(b, SBD_WS_OP_CLOSE, true, "\x03\xe8" "bye", 5);
	/* ignored after the close */
	add_frame(b, SBD_WS_OP_TEXT, true, "late", 4);
	check_bytes(b->data, b->len, "part:one |ping:p1|pong:|text:two|binary:\\x00\\xff|"
	    "text:|binary:|close:1000:bye|");
}

/* ---- close frames ---- */

static void
check_close(const void *payload, size_t n, const char *expect)
{
	g_autoptr(GByteArray) b = g_byte_array_new();

	add_frame(b, SBD_WS_OP_CLOSE, true, payload, n);
	check_bytes(b->data, b->len, expect);
}

static void
test_close(void)
{
	static const uint16_t valid[] = { 1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011,
		3000, 3999, 4000, 4999 };
	static const uint16_t invalid[] = { 0, 1, 999, 1004, 1005, 1006, 1012, 1013, 1014, 1015,
		1016, 1100, 2000, 2999, 5000, 65535 };

	check_close("", 0, "close:1005:|");
	check_close("\x03", 1, "error:1002:close frame with a one-byte payload|");
	check_close("\x03\xe8", 2, "close:1000:|");
	check_close("\x0f\xa0" "caf\xc3\xa9", 7, "close:4000:caf\\xc3\\xa9|");
	check_close("\x03\xe9" "a\0b", 5, "close:1001:a\\x00b|");
	check_close("\x03\xe8" "a\xc3", 4, "error:1007:close reason is not UTF-8|");
	check_close("\x03\xe8" "\xed\xa0\x80", 5, "error:1007:close reason is not UTF-8|");
	for (size_t i = 0; i < G_N_ELEMENTS(valid); i++) {
		uint8_t pl[2] = { (uint8_t)(valid[i] >> 8), (uint8_t)valid[i] };
		g_autofree char *expect = g_strdup_printf("close:%u:|", valid[i]);
		g_assert_true(sbd_ws_close_code_is_valid(valid[i]));
		check_close(pl, 2, expect);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(invalid); i++) {
		uint8_t pl[2] = { (uint8_t)(invalid[i] >> 8), (uint8_t)invalid[i] };
		g_assert_false(sbd_ws_close_code_is_valid(invalid[i]));
		check_close(pl, 2, "error:1002:invalid close code|");
	}
}

static void
test_close_payload(void)
{
	uint8_t out[SBD_WS_CONTROL_MAX];
	char long_reason[200];
	g_autoptr(GByteArray) b = g_byte_array_new();
	size_t n;

	n = sbd_ws_close_payload(out, 1000, "done");
	g_assert_cmpmem(out, n, "\x03\xe8" "done", 6);
	n = sbd_ws_close_payload(out, 1011, NULL);
	g_assert_cmpmem(out, n, "\x03\xf3", 2);
	g_assert_cmpuint(sbd_ws_close_payload(out, SBD_WS_CLOSE_NO_STATUS, "x"), ==, 0);

	/* 123 bytes of reason at most, cut before a character that would not fit */
	memset(long_reason, 'a', sizeof long_reason);
	long_reason[sizeof long_reason - 1] = '\0';
	g_assert_cmpuint(sbd_ws_close_payload(out, 1000, long_reason), ==, 125);
	memcpy(long_reason + 122, "\xe2\x82\xac", 4);
	g_assert_cmpuint(sbd_ws_close_payload(out, 1000, long_reason), ==, 124);
	memcpy(long_reason + 121, "\xe2\x82\xac", 4);
	g_assert_cmpuint(sbd_ws_close_payload(out, 1000, long_reason), ==, 2 + 121 + 0);
	memcpy(long_reason + 120, "\xe2\x82\xac", 4);
	g_assert_cmpuint(sbd_ws_close_payload(out, 1000, long_reason), ==, 125);
	/* invalid input is cut at the first bad byte */
	g_assert_cmpuint(sbd_ws_close_payload(out, 1000, "ok\xff" "no"), ==, 4);

	/* what it builds parses back */
	memcpy(long_reason + 118, "\xc3\xa9\xc3\xa9\xc3", 6);
	n = sbd_ws_close_payload(out, 4321, long_reason);
	add_frame(b, SBD_WS_OP_CLOSE, true, out, n);
	g_autoptr(GString) expect = g_string_new("close:4321:");
	put_bytes(expect, (const uint8_t *)long_reason, n - 2);
	g_string_append_c(expect, '|');
	check_bytes(b->data, b->len, expect->str);
}

/* ---- protocol errors ---- */

static void
test_header_errors(void)
{
	static const struct {
		uint8_t bytes[14];
		size_t len;
		const char *expect;
	} cases[] = {
		{ { 0xc1, 0x80 }, 2, "error:1002:reserved bits set without an extension|" },
		{ { 0xa1, 0x80 }, 2, "error:1002:reserved bits set without an extension|" },
		{ { 0x91, 0x80 }, 2, "error:1002:reserved bits set without an extension|" },
		{ { 0x83 }, 1, "error:1002:unknown opcode|" },
		{ { 0x87 }, 1, "error:1002:unknown opcode|" },
		{ { 0x8b }, 1, "error:1002:unknown opcode|" },
		{ { 0x8f }, 1, "error:1002:unknown opcode|" },
		{ { 0x09, 0x80 }, 2, "error:1002:fragmented control frame|" },
		{ { 0x08, 0x80 }, 2, "error:1002:fragmented control frame|" },
		{ { 0x80, 0x80 }, 2, "error:1002:continuation frame without a message|" },
		{ { 0x00, 0x80 }, 2, "error:1002:continuation frame without a message|" },
		{ { 0x82, 0x05 }, 2, "error:1002:unmasked client frame|" },
		{ { 0x89, 0xfe, 0x00, 0x7e }, 4, "error:1002:control frame over 125 bytes|" },
		{ { 0x8a, 0xff }, 2, "error:1002:control frame over 125 bytes|" },
		{ { 0x82, 0xfe, 0x00, 0x7d }, 4,
		  "error:1002:16-bit length not minimally encoded|" },
		{ { 0x82, 0xfe, 0x00, 0x00 }, 4,
		  "error:1002:16-bit length not minimally encoded|" },
		{ { 0x82, 0xff, 0, 0, 0, 0, 0, 0, 0xff, 0xff }, 10,
		  "error:1002:64-bit length not minimally encoded|" },
		{ { 0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0 }, 10,
		  "error:1002:64-bit length with its top bit set|" },
		/* fine headers, payload still to come: no event */
		{ { 0x82, 0xfe, 0x00, 0x7e, 1, 2, 3, 4 }, 8, "" },
		{ { 0x82, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4 }, 14,
		  "" },
		{ { 0x82, 0xff, 0, 0, 0, 0, 0, 1, 0, 0, 1, 2, 3, 4 }, 14, "" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
		check_bytes(cases[i].bytes, cases[i].len, cases[i].expect);
}

static void
test_sequence_errors(void)
{
	g_autoptr(GByteArray) b = g_byte_array_new();

	add_frame(b, SBD_WS_OP_TEXT, false, "a", 1);
	add_frame(b, SBD_WS_OP_BINARY, true, "b", 1);
	check_bytes(b->data, b->len, "error:1002:new data frame inside a fragmented message|");

	g_byte_array_set_size(b, 0);
	add_frame(b, SBD_WS_OP_TEXT, true, "a", 1);
	add_frame(b, SBD_WS_OP_CONTINUATION, true, "b", 1);
	check_bytes(b->data, b->len, "text:a|error:1002:continuation frame without a message|");
}

static void
test_max_message(void)
{
	g_autoptr(GByteArray) b = g_byte_array_new();

	add_frame(b, SBD_WS_OP_BINARY, true, "12345", 5);
	check_stream(b->data, b->len, 5, "binary:12345|");
	check_stream(b->data, b->len, 4, "error:1009:message over the size limit|");

	/* across fragments; each message starts from zero */
	g_byte_array_set_size(b, 0);
	add_frame(b, SBD_WS_OP_TEXT, false, "abc", 3);
	add_frame(b, SBD_WS_OP_CONTINUATION, true, "de", 2);
	add_frame(b, SBD_WS_OP_TEXT, false, "fgh", 3);
	add_frame(b, SBD_WS_OP_PING, true, "control frames do not count", 27);
	add_frame(b, SBD_WS_OP_CONTINUATION, false, "ij", 2);
	add_frame(b, SBD_WS_OP_CONTINUATION, true, "k", 1);
	check_stream(b->data, b->len, 5, "text:abcde|part:fgh|ping:control frames do not count|"
	    "error:1009:message over the size limit|");
	check_stream(b->data, b->len, 6, "text:abcde|part:fgh|ping:control frames do not count|"
	    "text:ijk|");
}

/* ---- UTF-8 ---- */

static void
test_utf8_validator(void)
{
	static const struct {
		const char *s;
		enum sbd_utf8_state end;
		size_t valid;
	} cases[] = {
		{ "", SBD_UTF8_ACCEPT, 0 },
		{ "plain ascii, longer than a word", SBD_UTF8_ACCEPT, 31 },
		{ "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", SBD_UTF8_ACCEPT, 11 },
		{ "\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf", SBD_UTF8_ACCEPT, 11 },
		{ "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\xed\x9f\xbf\xee\x80\x80", SBD_UTF8_ACCEPT, 14 },
		{ "ab\xc0\x80", SBD_UTF8_REJECT, 2 },          /* overlong NUL */
		{ "\xc1\xbf", SBD_UTF8_REJECT, 0 },
		{ "\xe0\x80\x80", SBD_UTF8_REJECT, 1 },        /* overlong three bytes */
		{ "\xe0\x9f\xbf", SBD_UTF8_REJECT, 1 },
		{ "\xf0\x8f\xbf\xbf", SBD_UTF8_REJECT, 1 },    /* overlong four bytes */
		{ "\xed\xa0\x80", SBD_UTF8_REJECT, 1 },        /* U+D800 */
		{ "\xed\xbf\xbf", SBD_UTF8_REJECT, 1 },        /* U+DFFF */
		{ "\xf4\x90\x80\x80", SBD_UTF8_REJECT, 1 },    /* U+110000 */
		{ "\xf5\x80\x80\x80", SBD_UTF8_REJECT, 0 },
		{ "\xff", SBD_UTF8_REJECT, 0 },
		{ "12345678\x80", SBD_UTF8_REJECT, 8 },        /* lone continuation */
		{ "\xe2\x82" "a", SBD_UTF8_REJECT, 2 },
		{ "\xe2\x82", SBD_UTF8_NEED1, 2 },
		{ "\xf0\x9f", SBD_UTF8_NEED2, 2 },
		{ "\xf4", SBD_UTF8_AFTER_F4, 1 },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		const uint8_t *s = (const uint8_t *)cases[i].s;
		size_t n = strlen(cases[i].s), valid = 999;
		g_assert_cmpint(sbd_utf8_feed(SBD_UTF8_ACCEPT, s, n, &valid), ==, cases[i].end);
		g_assert_cmpuint(valid, ==, cases[i].valid);
		/* one byte at a time ends the same way */
		enum sbd_utf8_state st = SBD_UTF8_ACCEPT;
		for (size_t k = 0; k < n; k++)
			st = sbd_utf8_feed(st, s + k, 1, NULL);
		g_assert_cmpint(st, ==, cases[i].end);
	}
	g_assert_cmpint(sbd_utf8_feed(SBD_UTF8_REJECT, (const uint8_t *)"a", 1, NULL), ==,
	    SBD_UTF8_REJECT);
}

static void
test_utf8_across_fragments(void)
{
	static const char kosme[] = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5 \xf0\x9f\x98\x80";
	size_t n = strlen(kosme);

	/* every split point, with a ping between the fragments */
	for (size_t cut = 0; cut <= n; cut++) {
		g_autoptr(GByteArray) b = g_byte_array_new();
		g_autoptr(GString) want = g_string_new(NULL);
		add_frame(b, SBD_WS_OP_TEXT, false, kosme, cut);
		add_frame(b, SBD_WS_OP_PING, true, "", 0);
		add_frame(b, SBD_WS_OP_CONTINUATION, true, kosme + cut, n - cut);
		if (cut > 0) {
			g_string_append(want, "part:");
			put_bytes(want, (const uint8_t *)kosme, cut);
			g_string_append_c(want, '|');
		}
		g_string_append(want, "ping:|text:");
		put_bytes(want, (const uint8_t *)kosme + cut, n - cut);
		g_string_append_c(want, '|');
		check_bytes(b->data, b->len, want->str);
	}
}

static void
test_utf8_errors(void)
{
	g_autoptr(GByteArray) b = g_byte_array_new();

	/* the valid bytes before the bad one are handed out, then the error */
	add_frame(b, SBD_WS_OP_TEXT, false, "ok \xe2\x82", 5);
	add_frame(b, SBD_WS_OP_CONTINUATION, true, "\xac \xed\xa0\x80", 5);
	check_bytes(b->data, b->len, "error:1007:invalid UTF-8 in a text message|");
	g_autofree char *bytewise = run(b->data, b->len, 1, 0);
	g_assert_cmpstr(bytewise, ==, "error:1007:invalid UTF-8 in a text message|");

	struct sbd_ws_parser p;
	struct sbd_ws_event ev;
	size_t pos;
	sbd_ws_parser_init(&p, 0);
	pos = sbd_ws_parse(&p, b->data, b->len, &ev);
	g_assert_cmpmem(ev.data, ev.len, "ok \xe2\x82", 5);
	pos += sbd_ws_parse(&p, b->data + pos, b->len - pos, &ev);
	g_assert_cmpint(ev.type, ==, SBD_WS_EV_DATA);
	g_assert_cmpmem(ev.data, ev.len, "\xac \xed", 3); /* \xa0 is the bad byte */
	g_assert_false(ev.fin_message);
	g_assert_cmpuint(sbd_ws_parse(&p, b->data + pos, b->len - pos, &ev), ==, 0);
	g_assert_cmpint(ev.type, ==, SBD_WS_EV_ERROR);
	g_assert_cmpuint(ev.close_code, ==, SBD_WS_CLOSE_INVALID_DATA);

	/* a message may not end inside a character, even split over fragments */
	g_byte_array_set_size(b, 0);
	add_frame(b, SBD_WS_OP_TEXT, false, "a\xf0\x9f", 3);
	add_frame(b, SBD_WS_OP_CONTINUATION, true, "\x98", 1);
	check_bytes(b->data, b->len, "error:1007:text message ends inside a character|");
	g_byte_array_set_size(b, 0);
	add_frame(b, SBD_WS_OP_TEXT, false, "\xe2\x82", 2);
	add_frame(b, SBD_WS_OP_CONTINUATION, true, "", 0);
	check_bytes(b->data, b->len, "error:1007:text message ends inside a character|");

	/* binary messages are not UTF-8 */
	g_byte_array_set_size(b, 0);
	add_frame(b, SBD_WS_OP_BINARY, true, "\xff\xe2", 2);
	check_bytes(b->data, b->len, "binary:\\xff\\xe2|");
}

/* ---- masking and builders ---- */

static void
test_mask(void)
{
	uint8_t buf[64 + 8], ref[64 + 8];

	for (size_t align = 0; align < 8; align++)
		for (size_t len = 0; len <= 64; len++)
			for (uint64_t off = 0; off < 5; off++) {
				for (size_t i = 0; i < len; i++)
					buf[align + i] = ref[i] = (uint8_t)(i * 13 + len);
				sbd_ws_mask(buf + align, len, rfc_mask, off);
				for (size_t i = 0; i < len; i++)
					g_assert_cmphex(buf[align + i], ==,
					    ref[i] ^ rfc_mask[(off + i) & 3]);
			}
}

static void
test_builders(void)
{
	uint8_t h[SBD_WS_HEADER_MAX], out[16];

	g_assert_cmpuint(sbd_ws_frame_header(h, SBD_WS_OP_TEXT, true, 0), ==, 2);
	g_assert_cmpmem(h, 2, "\x81\x00", 2);
	g_assert_cmpuint(sbd_ws_frame_header(h, SBD_WS_OP_BINARY, false, 125), ==, 2);
	g_assert_cmpmem(h, 2, "\x02\x7d", 2);
	g_assert_cmpuint(sbd_ws_frame_header(h, SBD_WS_OP_CONTINUATION, true, 126), ==, 4);
	g_assert_cmpmem(h, 4, "\x80\x7e\x00\x7e", 4);
	g_assert_cmpuint(sbd_ws_frame_header(h, SBD_WS_OP_TEXT, true, 65535), ==, 4);
	g_assert_cmpmem(h, 4, "\x81\x7e\xff\xff", 4);
	g_assert_cmpuint(sbd_ws_frame_header(h, SBD_WS_OP_TEXT, true, INT64_MAX), ==, 10);
	g_assert_cmpmem(h, 10, "\x81\x7f\x7f\xff\xff\xff\xff\xff\xff\xff", 10);
	g_assert_cmpuint(sbd_ws_frame_header(h, SBD_WS_OP_CLOSE, true, 2), ==, 2);
	g_assert_cmpmem(h, 2, "\x88\x02", 2);
	/* frames no peer may accept */
	g_assert_cmpuint(sbd_ws_frame_header(h, SBD_WS_OP_PING, true, 126), ==, 0);
	g_assert_cmpuint(sbd_ws_frame_header(h, SBD_WS_OP_PONG, false, 0), ==, 0);
	g_assert_cmpuint(sbd_ws_frame_header(h, (enum sbd_ws_opcode)3, true, 0), ==, 0);
	g_assert_cmpuint(sbd_ws_frame_header(h, SBD_WS_OP_BINARY, true, UINT64_C(1) << 63), ==, 0);

	g_assert_cmpuint(sbd_ws_client_frame_header(h, SBD_WS_OP_BINARY, true, 65536, rfc_mask),
	    ==, 14);
	g_assert_cmpmem(h, 14, "\x82\xff\0\0\0\0\0\x01\0\0\x37\xfa\x21\x3d", 14);
	g_assert_cmpuint(sbd_ws_client_frame_header(h, SBD_WS_OP_PING, false, 1, rfc_mask), ==, 0);
	/* a whole frame must fit */
	g_assert_cmpuint(sbd_ws_client_frame(out, 10, SBD_WS_OP_TEXT, true, rfc_mask, "Hello", 5),
	    ==, 0);
	g_assert_cmpuint(sbd_ws_client_frame(out, 11, SBD_WS_OP_TEXT, true, rfc_mask, "Hello", 5),
	    ==, 11);
	g_assert_cmpuint(sbd_ws_client_frame(out, 3, SBD_WS_OP_TEXT, true, rfc_mask, NULL, 0),
	    ==, 0);
	g_assert_cmpuint(sbd_ws_client_frame(out, 6, SBD_WS_OP_TEXT, true, rfc_mask, NULL, 0),
	    ==, 6);
}

static void
test_opcode_name(void)
{
	g_assert_cmpstr(sbd_ws_opcode_name(SBD_WS_OP_CONTINUATION), ==, "continuation");
	g_assert_cmpstr(sbd_ws_opcode_name(SBD_WS_OP_TEXT), ==, "text");
	g_assert_cmpstr(sbd_ws_opcode_name(SBD_WS_OP_BINARY), ==, "binary");
	g_assert_cmpstr(sbd_ws_opcode_name(SBD_WS_OP_CLOSE), ==, "close");
	g_assert_cmpstr(sbd_ws_opcode_name(SBD_WS_OP_PING), ==, "ping");
	g_assert_cmpstr(sbd_ws_opcode_name(SBD_WS_OP_PONG), ==, "pong");
	for (unsigned op = 3; op <= 15; op++)
		if (op < SBD_WS_OP_CLOSE || op > SBD_WS_OP_PONG)
			g_assert_null(sbd_ws_opcode_name(op));
}

/* What a client reads: whole server frames, unmasked, or masked and reported. */
static void
test_decode(void)
{
	/* RFC 6455 §5.7: an unmasked and a masked "Hello" */
	static const uint8_t hello[] = { 0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f };
	static const uint8_t hello_masked[] = { 0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f,
		0x4d, 0x51, 0x58 };
	uint8_t buf[16], *big = g_malloc(70000 + SBD_WS_HEADER_MAX);
	struct sbd_ws_frame fr;
	size_t n;

	memcpy(buf, hello, sizeof hello);
	for (size_t i = 0; i < sizeof hello; i++)
		g_assert_cmpint(sbd_ws_frame_decode(buf, i, &fr), ==, SBD_WS_FRAME_INCOMPLETE);
	g_assert_cmpint(sbd_ws_frame_decode(buf, sizeof hello, &fr), ==, SBD_WS_FRAME_OK);
	g_assert_true(fr.fin);
	g_assert_false(fr.masked);
	g_assert_cmpuint(fr.opcode, ==, SBD_WS_OP_TEXT);
	g_assert_cmpuint(fr.length, ==, 5);
	g_assert_cmpuint(fr.header_len, ==, 2);
	g_assert_cmpmem(buf + fr.header_len, 5, "Hello", 5);

	memcpy(buf, hello_masked, sizeof hello_masked);
	g_assert_cmpint(sbd_ws_frame_decode(buf, sizeof hello_masked - 1, &fr), ==,
	    SBD_WS_FRAME_INCOMPLETE);
	g_assert_cmpuint(fr.length, ==, 5);
	g_assert_cmpmem(buf, sizeof hello_masked, hello_masked, sizeof hello_masked);
	g_assert_cmpint(sbd_ws_frame_decode(buf, sizeof hello_masked, &fr), ==, SBD_WS_FRAME_OK);
	g_assert_true(fr.masked);
	g_assert_cmpuint(fr.header_len, ==, 6);
	g_assert_cmpmem(buf + fr.header_len, 5, "Hello", 5);

	/* the 16-bit and 64-bit lengths; a frame followed by more bytes */
	memset(big, 'x', 70000 + SBD_WS_HEADER_MAX);
	n = sbd_ws_frame_header(big, SBD_WS_OP_BINARY, false, 300);
	g_assert_cmpint(sbd_ws_frame_decode(big, n + 300 + 5, &fr), ==, SBD_WS_FRAME_OK);
	g_assert_false(fr.fin);
	g_assert_cmpuint(fr.header_len, ==, 4);
	g_assert_cmpuint(fr.length, ==, 300);
	n = sbd_ws_client_frame_header(big, SBD_WS_OP_BINARY, true, 70000, rfc_mask);
	g_assert_cmpint(sbd_ws_frame_decode(big, 3, &fr), ==, SBD_WS_FRAME_INCOMPLETE);
	g_assert_cmpint(sbd_ws_frame_decode(big, n + 69999, &fr), ==, SBD_WS_FRAME_INCOMPLETE);
	g_assert_cmpuint(fr.length, ==, 70000);
	g_assert_cmpuint(fr.header_len, ==, 14);
	g_assert_cmpint(sbd_ws_frame_decode(big, n + 70000, &fr), ==, SBD_WS_FRAME_OK);
	for (size_t i = 0; i < 70000; i++)
		g_assert_cmphex(big[n + i], ==, 'x' ^ rfc_mask[i & 3]);

	/* a server's close frame, code 1000 */
	memcpy(buf, "\x88\x02\x03\xe8", 4);
	g_assert_cmpint(sbd_ws_frame_decode(buf, 4, &fr), ==, SBD_WS_FRAME_OK);
	g_assert_cmpuint(fr.opcode, ==, SBD_WS_OP_CLOSE);
	g_assert_cmpmem(buf + fr.header_len, 2, "\x03\xe8", 2);

	/* the rules of sequences and control frames are the caller's */
	memcpy(buf, "\x09\x7e\x00\x00", 4); /* a ping not fin, 16-bit length 0 */
	g_assert_cmpint(sbd_ws_frame_decode(buf, 4, &fr), ==, SBD_WS_FRAME_OK);
	g_assert_false(fr.fin);
	g_assert_cmpuint(fr.opcode, ==, SBD_WS_OP_PING);

	memcpy(buf, "\xc1\x00", 2); /* RSV1 */
	g_assert_cmpint(sbd_ws_frame_decode(buf, 2, &fr), ==, SBD_WS_FRAME_INVALID);
	g_assert_cmpuint(fr.opcode, ==, SBD_WS_OP_TEXT);
	memcpy(buf, "\x83\x00", 2); /* opcode 3 */
	g_assert_cmpint(sbd_ws_frame_decode(buf, 2, &fr), ==, SBD_WS_FRAME_INVALID);
	memcpy(buf, "\x82\x7f\x80\x00\x00\x00\x00\x00\x00\x00", 10);
	g_assert_cmpint(sbd_ws_frame_decode(buf, 10, &fr), ==, SBD_WS_FRAME_INVALID);
	g_free(big);
}

/* A 100 MiB message through a 64 KiB buffer: nothing is kept but the frame state. */
static void
test_streaming(void)
{
	const uint64_t total = 100u << 20;
	const size_t chunk = 64u << 10;
	uint8_t *buf = g_malloc(chunk);
	uint8_t h[SBD_WS_HEADER_MAX];
	struct sbd_ws_parser p;
	struct sbd_ws_event ev;
	uint64_t sent = 0, got = 0;
	size_t hl = sbd_ws_client_frame_header(h, SBD_WS_OP_BINARY, true, total, rfc_mask);
	bool fin = false;

	sbd_ws_parser_init(&p, total);
	g_assert_cmpuint(sbd_ws_parse(&p, h, hl, &ev), ==, hl);
	g_assert_cmpint(ev.type, ==, SBD_WS_EV_NONE);
	while (sent < total) {
		size_t n = (size_t)MIN(chunk, total - sent);
		for (size_t i = 0; i < n; i++)
			buf[i] = (uint8_t)(sent + i);
		sbd_ws_mask(buf, n, rfc_mask, sent);
		sent += n;
		size_t pos = 0;
		while (pos < n) {
			pos += sbd_ws_parse(&p, buf + pos, n - pos, &ev);
			g_assert_cmpint(ev.type, ==, SBD_WS_EV_DATA);
			for (size_t i = 0; i < ev.len; i += 4099)
				g_assert_cmphex(ev.data[i], ==, (uint8_t)(got + i));
			got += ev.len;
			fin = ev.fin_message;
		}
	}
	g_assert_cmpuint(got, ==, total);
	g_assert_true(fin);
	g_free(buf);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ws-frame/rfc-examples", test_rfc_examples);
	g_test_add_func("/ws-frame/fragment-events", test_fragment_events);
	g_test_add_func("/ws-frame/lengths", test_lengths);
	g_test_add_func("/ws-frame/control-between-fragments", test_control_between_fragments);
	g_test_add_func("/ws-frame/close", test_close);
	g_test_add_func("/ws-frame/close-payload", test_close_payload);
	g_test_add_func("/ws-frame/header-errors", test_header_errors);
	g_test_add_func("/ws-frame/sequence-errors", test_sequence_errors);
	g_test_add_func("/ws-frame/max-message", test_max_message);
	g_test_add_func("/ws-frame/utf8-validator", test_utf8_validator);
	g_test_add_func("/ws-frame/utf8-across-fragments", test_utf8_across_fragments);
	g_test_add_func("/ws-frame/utf8-errors", test_utf8_errors);
	g_test_add_func("/ws-frame/mask", test_mask);
	g_test_add_func("/ws-frame/builders", test_builders);
	g_test_add_func("/ws-frame/streaming", test_streaming);
	g_test_add_func("/ws-frame/opcode-name", test_opcode_name);
	g_test_add_func("/ws-frame/decode", test_decode);
	return g_test_run();
}
