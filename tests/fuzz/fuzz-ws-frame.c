/*
 * fuzz-ws-frame.c - libFuzzer target: the WebSocket client-frame parser, the
 * server-frame decoder and the frame builders.
 *
 * Input: two bytes of split point (big-endian, modulo the stream's length + 1),
 * one byte of message cap (0: none, else that many bytes), then the stream.
 * The stream is parsed all at once, in two pieces cut at the split point, and
 * (when short) a byte at a time; each piece is its own heap copy, so reading
 * past one is caught. All three must give the same events, once data runs are
 * joined (a run's length depends on the cuts). The stream is also decoded as a
 * server's frames; and it is framed as a client frame and parsed back, framed as
 * a server and a client frame and decoded back, and cut into a close payload.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb-buf.h"
#include "sbd-ws-frame.h"
#include "fuzz-check.h"

#define BYTEWISE_MAX 2048

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Events, with the data runs of a message joined; data cut short by an error is dropped. */
struct transcript {
	struct sb_buf out;
	struct sb_buf pending;
	enum sbd_utf8_state utf8; /* of the text handed out in the current message */
	int failed;
};

static void
put_record(struct sb_buf *out, char tag, uint32_t n, const void *p, size_t len)
{
	sb_buf_append(out, &tag, 1);
	sb_buf_append(out, &n, sizeof n);
	sb_buf_append(out, &len, sizeof len);
	if (len > 0)
		sb_buf_append(out, p, len);
}

static void
flush_pending(struct transcript *t, char tag, uint32_t op)
{
	put_record(&t->out, tag, op, sb_buf_head(&t->pending), t->pending.len);
	sb_buf_consume(&t->pending, t->pending.len);
}

static void
record(struct transcript *t, const struct sbd_ws_event *ev)
{
	switch (ev->type) {
	case SBD_WS_EV_NONE:
		return;
	case SBD_WS_EV_DATA:
		check(ev->len > 0 || ev->fin_message, "empty data run before the message end");
		check(ev->opcode == SBD_WS_OP_TEXT || ev->opcode == SBD_WS_OP_BINARY,
		    "data opcode");
		if (ev->opcode == SBD_WS_OP_TEXT) {
			t->utf8 = sbd_utf8_feed(t->utf8, ev->data, ev->len, NULL);
			check(t->utf8 != SBD_UTF8_REJECT, "invalid UTF-8 handed out");
			check(!ev->fin_message || t->utf8 == SBD_UTF8_ACCEPT,
			    "text ends mid-character");
		}
		if (ev->len > 0)
			sb_buf_append(&t->pending, ev->data, ev->len);
		if (ev->fin_message) {
			flush_pending(t, 'D', ev->opcode);
			t->utf8 = SBD_UTF8_ACCEPT;
		}
		return;
	case SBD_WS_EV_ERROR:
		check(ev->close_code == SBD_WS_CLOSE_PROTOCOL ||
		    ev->close_code == SBD_WS_CLOSE_INVALID_DATA ||
		    ev->close_code == SBD_WS_CLOSE_TOO_BIG, "error code");
		check(ev->reason != NULL && ev->reason[0] != '\0', "error reason");
		sb_buf_consume(&t->pending, t->pending.len);
		put_record(&t->out, 'E', ev->close_code, ev->reason, strlen(ev->reason));
		t->failed = 1;
		return;
	case SBD_WS_EV_PING:
	case SBD_WS_EV_PONG:
		break;
	case SBD_WS_EV_CLOSE:
		check(ev->close_code == SBD_WS_CLOSE_NO_STATUS ||
		    sbd_ws_close_code_is_valid(ev->close_code), "close code");
		check(sbd_utf8_feed(SBD_UTF8_ACCEPT, ev->data, ev->len, NULL) == SBD_UTF8_ACCEPT,
		    "close reason UTF-8");
		check(strlen(ev->reason) <= ev->len, "close reason length");
		break;
	}
	check(ev->len <= SBD_WS_CONTROL_MAX, "control payload over 125 bytes");
	if (t->pending.len > 0)
		flush_pending(t, 'P', 0);
	put_record(&t->out, (char)('0' + ev->type), ev->close_code, ev->data, ev->len);
}

/* Parses piece (a heap copy of n bytes) to its end or an error. */
static void
feed(struct sbd_ws_parser *p, struct transcript *t, uint8_t *piece, size_t n)
{
	struct sbd_ws_event ev;
	size_t pos = 0;

	do {
		size_t used = sbd_ws_parse(p, piece + pos, n - pos, &ev);
		check(used <= n - pos, "consumed more than given");
		if (ev.type == SBD_WS_EV_NONE)
			check(used == n - pos, "need more bytes before the end");
		if (ev.type == SBD_WS_EV_DATA)
			check(ev.data >= piece + pos && ev.data + ev.len == piece + pos + used,
			    "data run outside what was consumed");
		pos += used;
		record(t, &ev);
	} while (ev.type != SBD_WS_EV_NONE && ev.type != SBD_WS_EV_ERROR);
	if (ev.type == SBD_WS_EV_ERROR) {
		struct sbd_ws_event again;
		check(sbd_ws_parse(p, piece, n, &again) == 0, "error state consumes");
		check(again.type == SBD_WS_EV_ERROR && again.close_code == ev.close_code &&
		    again.reason == ev.reason, "error does not stick");
	}
}

/* The stream cut at the given points (ascending, the last one n). */
static void
run(const uint8_t *in, const size_t *cuts, size_t n_cuts, uint64_t max, struct transcript *t)
{
	struct sbd_ws_parser p;
	size_t from = 0;

	sbd_ws_parser_init(&p, max);
	for (size_t i = 0; i < n_cuts && !t->failed; i++) {
		size_t n = cuts[i] - from;
		uint8_t *piece = malloc(n > 0 ? n : 1);
		check(piece != NULL, "out of memory");
		if (n > 0)
			memcpy(piece, in + from, n);
		feed(&p, t, piece, n);
		free(piece);
		from = cuts[i];
	}
}

static int
same(const struct transcript *a, const struct transcript *b)
{
	if (a->out.len != b->out.len)
		return 0;
	return a->out.len == 0 ||
	    memcmp(sb_buf_head(&a->out), sb_buf_head(&b->out), a->out.len) == 0;
}

static void
transcript_free(struct transcript *t)
{
	sb_buf_free(&t->out);
	sb_buf_free(&t->pending);
}

/* A client frame of the stream as payload parses back to it. */
static void
round_trip(const uint8_t *payload, size_t n)
{
	static const uint8_t mask[4] = { 0xa5, 0x01, 0x7e, 0xc3 };
	struct sbd_ws_parser p;
	struct sbd_ws_event ev;
	size_t cap = n + SBD_WS_HEADER_MAX;
	uint8_t *frame = malloc(cap);
	size_t len, used;

	check(frame != NULL, "out of memory");
	len = sbd_ws_client_frame(frame, cap, SBD_WS_OP_BINARY, true, mask, payload, n);
	check(len > 0 && len <= cap, "client frame length");
	sbd_ws_parser_init(&p, n);
	used = sbd_ws_parse(&p, frame, len, &ev);
	check(used == len && ev.type == SBD_WS_EV_DATA && ev.fin_message && ev.len == n &&
	    (n == 0 || memcmp(ev.data, payload, n) == 0), "round trip");
	free(frame);
}

/*
 * The stream read as a server's frames, one whole frame after another, from a
 * heap copy: each frame lies within the stream, a prefix of it is incomplete,
 * and a masked payload comes out as the bytes XORed with its key.
 */
static void
server_frames(const uint8_t *in, size_t n)
{
	uint8_t *copy = malloc(n > 0 ? n : 1);
	struct sbd_ws_frame fr;
	size_t pos = 0;

	check(copy != NULL, "out of memory");
	if (n > 0)
		memcpy(copy, in, n);
	while (sbd_ws_frame_decode(copy + pos, n - pos, &fr) == SBD_WS_FRAME_OK) {
		size_t h = fr.header_len;
		struct sbd_ws_frame again;

		check(h >= 2 && h <= SBD_WS_HEADER_MAX && h <= n - pos &&
		    fr.length <= n - pos - h, "frame past the stream");
		check(sbd_ws_opcode_name(fr.opcode) != NULL, "frame with an unknown opcode");
		check(h == 2 + (fr.masked ? 4 : 0) + (in[pos + 1] % 128 == 126 ? 2 :
		    in[pos + 1] % 128 == 127 ? 8 : 0), "header length");
		for (size_t i = 0; i < fr.length; i++) {
			uint8_t key = fr.masked ? in[pos + h - 4 + i % 4] : 0;
			check(copy[pos + h + i] == (in[pos + h + i] ^ key), "payload unmasked wrong");
		}
		check(sbd_ws_frame_decode(copy + pos, h + (size_t)fr.length - 1, &again) ==
		    SBD_WS_FRAME_INCOMPLETE, "a prefix decodes");
		check(h + fr.length == 2 || again.opcode == fr.opcode, "a prefix's opcode");
		pos += h + (size_t)fr.length;
	}
	free(copy);
}

/* A server frame and a client frame of the stream as payload decode back to it. */
static void
server_round_trip(const uint8_t *payload, size_t n)
{
	static const uint8_t mask[4] = { 0x3c, 0x00, 0xff, 0x81 };
	size_t cap = n + SBD_WS_HEADER_MAX;
	uint8_t *frame = malloc(cap);
	struct sbd_ws_frame fr;
	size_t len;

	check(frame != NULL, "out of memory");
	len = sbd_ws_frame_header(frame, SBD_WS_OP_TEXT, false, n);
	if (n > 0)
		memcpy(frame + len, payload, n);
	check(sbd_ws_frame_decode(frame, len + n, &fr) == SBD_WS_FRAME_OK && !fr.fin &&
	    !fr.masked && fr.opcode == SBD_WS_OP_TEXT && fr.header_len == len &&
	    fr.length == n, "server frame decodes");
	len = sbd_ws_client_frame(frame, cap, SBD_WS_OP_BINARY, true, mask, payload, n);
	check(sbd_ws_frame_decode(frame, len, &fr) == SBD_WS_FRAME_OK && fr.fin && fr.masked &&
	    fr.opcode == SBD_WS_OP_BINARY && fr.header_len + fr.length == len &&
	    (n == 0 || memcmp(frame + fr.header_len, payload, n) == 0), "client frame decodes");
	free(frame);
}

/* Any text cut into a close payload is a valid, complete UTF-8 prefix of it. */
static void
close_payload(const uint8_t *text, size_t n)
{
	uint8_t out[SBD_WS_CONTROL_MAX];
	char *reason = malloc(n + 1);
	size_t len;

	check(reason != NULL, "out of memory");
	memcpy(reason, text, n);
	reason[n] = '\0';
	len = sbd_ws_close_payload(out, SBD_WS_CLOSE_NORMAL, reason);
	check(len >= 2 && len <= SBD_WS_CONTROL_MAX, "close payload length");
	check(out[0] == 0x03 && out[1] == 0xe8, "close payload code");
	check(memcmp(out + 2, reason, len - 2) == 0, "close payload reason");
	check(sbd_utf8_feed(SBD_UTF8_ACCEPT, out + 2, len - 2, NULL) == SBD_UTF8_ACCEPT,
	    "close payload UTF-8");
	free(reason);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct transcript whole = { SB_BUF_INIT, SB_BUF_INIT, SBD_UTF8_ACCEPT, 0 };
	struct transcript split = { SB_BUF_INIT, SB_BUF_INIT, SBD_UTF8_ACCEPT, 0 };

	if (size < 3)
		return 0;
	const uint8_t *in = data + 3;
	size_t n = size - 3;
	size_t at = ((size_t)data[0] << 8 | data[1]) % (n + 1);
	uint64_t max = data[2];
	size_t cuts[2] = { at, n };

	run(in, &n, 1, max, &whole);
	run(in, cuts, 2, max, &split);
	check(same(&whole, &split), "split at one point changes the events");
	if (n <= BYTEWISE_MAX) {
		struct transcript bytes = { SB_BUF_INIT, SB_BUF_INIT, SBD_UTF8_ACCEPT, 0 };
		size_t *each = malloc((n + 1) * sizeof *each);
		check(each != NULL, "out of memory");
		for (size_t i = 0; i < n; i++)
			each[i] = i + 1;
		run(in, each, n, max, &bytes);
		check(same(&whole, &bytes), "bytewise parsing changes the events");
		free(each);
		transcript_free(&bytes);
	}
	transcript_free(&whole);
	transcript_free(&split);

	round_trip(in, n);
	server_frames(in, n);
	server_round_trip(in, n);
	close_payload(in, n);
	return 0;
}
