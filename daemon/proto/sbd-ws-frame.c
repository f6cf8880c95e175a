/* sbd-ws-frame.c - WebSocket frames: the parser of client frames, a decoder of server
 * frames, and the builders */
#include "sbd-ws-frame.h"

#include <string.h>

#define WORD_SIZE  sizeof(uint64_t)
#define ASCII_BITS UINT64_C(0x8080808080808080)

/* ---- UTF-8 ---- */

static enum sbd_utf8_state
utf8_lead(uint8_t b)
{
	if (b < 0x80)
		return SBD_UTF8_ACCEPT;
	if (b < 0xc2) /* a continuation byte, or an overlong two-byte form */
		return SBD_UTF8_REJECT;
	if (b < 0xe0)
		return SBD_UTF8_NEED1;
	if (b == 0xe0)
		return SBD_UTF8_AFTER_E0;
	if (b == 0xed)
		return SBD_UTF8_AFTER_ED;
	if (b < 0xf0)
		return SBD_UTF8_NEED2;
	if (b == 0xf0)
		return SBD_UTF8_AFTER_F0;
	if (b < 0xf4)
		return SBD_UTF8_NEED3;
	if (b == 0xf4)
		return SBD_UTF8_AFTER_F4;
	return SBD_UTF8_REJECT;
}

/* One byte after the lead byte: the range it must fall in and the state after it. */
static enum sbd_utf8_state
utf8_next(enum sbd_utf8_state s, uint8_t b)
{
	uint8_t lo = 0x80, hi = 0xbf;
	enum sbd_utf8_state to;

	switch (s) {
	case SBD_UTF8_ACCEPT:
		return utf8_lead(b);
	case SBD_UTF8_REJECT:
		return SBD_UTF8_REJECT;
	case SBD_UTF8_NEED1:
		to = SBD_UTF8_ACCEPT;
		break;
	case SBD_UTF8_NEED2:
		to = SBD_UTF8_NEED1;
		break;
	case SBD_UTF8_NEED3:
		to = SBD_UTF8_NEED2;
		break;
	case SBD_UTF8_AFTER_E0:
		lo = 0xa0;
		to = SBD_UTF8_NEED1;
		break;
	case SBD_UTF8_AFTER_ED:
		hi = 0x9f;
		to = SBD_UTF8_NEED1;
		break;
	case SBD_UTF8_AFTER_F0:
		lo = 0x90;
		to = SBD_UTF8_NEED2;
		break;
	case SBD_UTF8_AFTER_F4:
		hi = 0x8f;
		to = SBD_UTF8_NEED2;
		break;
	default:
		return SBD_UTF8_REJECT;
	}
	return b >= lo && b <= hi ? to : SBD_UTF8_REJECT;
}

enum sbd_utf8_state
sbd_utf8_feed(enum sbd_utf8_state state, const uint8_t *p, size_t n, size_t *valid_len)
{
	size_t i = 0;

	while (i < n && state != SBD_UTF8_REJECT) {
		/* ASCII runs, a word at a time, are the common case */
		if (state == SBD_UTF8_ACCEPT) {
			uint64_t w;
			while (n - i >= WORD_SIZE) {
				memcpy(&w, p + i, WORD_SIZE);
				if (w & ASCII_BITS)
					break;
				i += WORD_SIZE;
			}
			if (i == n)
				break;
		}
		state = utf8_next(state, p[i]);
		if (state != SBD_UTF8_REJECT)
			i++;
	}
	if (valid_len != NULL)
		*valid_len = i;
	return state;
}

/* ---- masking ---- */

void
sbd_ws_mask(uint8_t *data, size_t len, const uint8_t mask[4], uint64_t offset)
{
	size_t i = 0;
	unsigned k = (unsigned)(offset & 3);

	while (i < len && ((uintptr_t)(data + i) & (WORD_SIZE - 1)) != 0) {
		data[i++] ^= mask[k];
		k = (k + 1) & 3;
	}
	if (len - i >= WORD_SIZE) {
		/* the key as a word, starting at k; it repeats every 4 bytes, so it
		 * stays right for every aligned word */
		uint8_t bytes[WORD_SIZE];
		uint64_t m;
		for (unsigned j = 0; j < WORD_SIZE; j++)
			bytes[j] = mask[(k + j) & 3];
		memcpy(&m, bytes, WORD_SIZE);
		for (; len - i >= WORD_SIZE; i += WORD_SIZE) {
			uint64_t w;
			memcpy(&w, data + i, WORD_SIZE);
			w ^= m;
			memcpy(data + i, &w, WORD_SIZE);
		}
	}
	while (i < len) {
		data[i++] ^= mask[k];
		k = (k + 1) & 3;
	}
}

/* ---- parsing ---- */

static bool
opcode_is_known(unsigned op)
{
	return op <= SBD_WS_OP_BINARY || (op >= SBD_WS_OP_CLOSE && op <= SBD_WS_OP_PONG);
}

static bool
opcode_is_control(unsigned op)
{
	return op >= SBD_WS_OP_CLOSE;
}

bool
sbd_ws_close_code_is_valid(uint16_t code)
{
	return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011) ||
	    (code >= 3000 && code <= 4999);
}

void
sbd_ws_parser_init(struct sbd_ws_parser *p, uint64_t max_message_bytes)
{
	memset(p, 0, sizeof *p);
	p->state = SBD_WS_PARSE_HEADER;
	p->max_message = max_message_bytes;
	p->utf8 = SBD_UTF8_ACCEPT;
}

static void
set_error(struct sbd_ws_parser *p, uint16_t code, const char *reason)
{
	p->state = SBD_WS_PARSE_ERROR;
	p->error_code = code;
	p->error_reason = reason;
}

static void
fill_error(const struct sbd_ws_parser *p, struct sbd_ws_event *ev)
{
	*ev = (struct sbd_ws_event){
		.type = SBD_WS_EV_ERROR,
		.close_code = p->error_code,
		.reason = p->error_reason,
	};
}

static void
next_frame(struct sbd_ws_parser *p)
{
	p->state = SBD_WS_PARSE_HEADER;
	p->header_len = 0;
	p->header_need = 0;
	p->frame_len = 0;
}

/* The frame's length is known: the message cap applies to data frames. */
static uint16_t
check_length(struct sbd_ws_parser *p, const char **why)
{
	if (opcode_is_control(p->frame_op) || p->max_message == 0)
		return 0;
	if (p->frame_len > p->max_message - p->message_len) {
		*why = "message over the size limit";
		return SBD_WS_CLOSE_TOO_BIG;
	}
	p->message_len += p->frame_len;
	return 0;
}

/* Takes one header byte; returns 0, or the close code with *why set. */
static uint16_t
header_byte(struct sbd_ws_parser *p, uint8_t b, const char **why)
{
	unsigned n = p->header_len++;

	*why = NULL;
	if (n == 0) {
		p->frame_fin = (b & 0x80) != 0;
		p->frame_op = b & 0x0f;
		if (b & 0x70)
			*why = "reserved bits set without an extension";
		else if (!opcode_is_known(p->frame_op))
			*why = "unknown opcode";
		else if (opcode_is_control(p->frame_op))
			*why = p->frame_fin ? NULL : "fragmented control frame";
		else if (p->frame_op == SBD_WS_OP_CONTINUATION)
			*why = p->in_message ? NULL : "continuation frame without a message";
		else
			*why = p->in_message ? "new data frame inside a fragmented message" : NULL;
		return *why != NULL ? SBD_WS_CLOSE_PROTOCOL : 0;
	}
	if (n == 1) {
		unsigned len7 = b & 0x7f;
		if (!(b & 0x80))
			*why = "unmasked client frame";
		else if (opcode_is_control(p->frame_op) && len7 > SBD_WS_CONTROL_MAX)
			*why = "control frame over 125 bytes";
		if (*why != NULL)
			return SBD_WS_CLOSE_PROTOCOL;
		p->header_need = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + 4;
		if (len7 >= 126)
			return 0;
		p->frame_len = len7;
		return check_length(p, why);
	}

	unsigned ext_end = p->header_need - 4u;
	if (n >= ext_end) {
		p->mask[n - ext_end] = b;
		return 0;
	}
	p->frame_len = p->frame_len << 8 | b;
	if (n + 1 < ext_end)
		return 0;
	if (ext_end == 4 && p->frame_len < 126)
		*why = "16-bit length not minimally encoded";
	else if (ext_end == 10 && (p->frame_len >> 63) != 0)
		*why = "64-bit length with its top bit set";
	else if (ext_end == 10 && p->frame_len <= 0xffff)
		*why = "64-bit length not minimally encoded";
	if (*why != NULL)
		return SBD_WS_CLOSE_PROTOCOL;
	return check_length(p, why);
}

static void
end_message(struct sbd_ws_parser *p)
{
	p->in_message = false;
	p->message_len = 0;
	p->utf8 = SBD_UTF8_ACCEPT;
}

/* A whole control payload is in p->control: its event, or an error. */
static void
control_done(struct sbd_ws_parser *p, struct sbd_ws_event *ev)
{
	uint8_t *c = p->control;
	size_t n = p->control_len;

	next_frame(p);
	if (p->frame_op == SBD_WS_OP_PING || p->frame_op == SBD_WS_OP_PONG) {
		*ev = (struct sbd_ws_event){
			.type = p->frame_op == SBD_WS_OP_PING ? SBD_WS_EV_PING : SBD_WS_EV_PONG,
			.data = c,
			.len = n,
		};
		return;
	}

	uint16_t code = SBD_WS_CLOSE_NO_STATUS;
	if (n == 1) {
		set_error(p, SBD_WS_CLOSE_PROTOCOL, "close frame with a one-byte payload");
		fill_error(p, ev);
		return;
	}
	if (n >= 2) {
		code = (uint16_t)(c[0] << 8 | c[1]);
		if (!sbd_ws_close_code_is_valid(code)) {
			set_error(p, SBD_WS_CLOSE_PROTOCOL, "invalid close code");
			fill_error(p, ev);
			return;
		}
		if (sbd_utf8_feed(SBD_UTF8_ACCEPT, c + 2, n - 2, NULL) != SBD_UTF8_ACCEPT) {
			set_error(p, SBD_WS_CLOSE_INVALID_DATA, "close reason is not UTF-8");
			fill_error(p, ev);
			return;
		}
	}
	size_t off = n >= 2 ? 2 : 0;
	c[n] = '\0';
	p->state = SBD_WS_PARSE_CLOSED;
	*ev = (struct sbd_ws_event){
		.type = SBD_WS_EV_CLOSE,
		.data = c + off,
		.len = n - off,
		.close_code = code,
		.reason = (const char *)(c + off),
	};
}

/* Delivers up to n payload bytes at d (n > 0, or 0 for an empty fin frame); returns how many. */
static size_t
data_run(struct sbd_ws_parser *p, uint8_t *d, size_t n, struct sbd_ws_event *ev)
{
	size_t take = n < p->remaining ? n : (size_t)p->remaining;
	bool last = p->frame_fin && take == p->remaining;

	sbd_ws_mask(d, take, p->mask, p->mask_pos);
	p->mask_pos = (uint8_t)((p->mask_pos + take) & 3);
	if (p->message_op == SBD_WS_OP_TEXT) {
		size_t ok;
		p->utf8 = sbd_utf8_feed(p->utf8, d, take, &ok);
		if (p->utf8 == SBD_UTF8_REJECT) {
			/* hand out the valid bytes first; the error comes next call */
			set_error(p, SBD_WS_CLOSE_INVALID_DATA, "invalid UTF-8 in a text message");
			if (ok == 0) {
				fill_error(p, ev);
				return 0;
			}
			*ev = (struct sbd_ws_event){
				.type = SBD_WS_EV_DATA, .data = d, .len = ok,
				.opcode = SBD_WS_OP_TEXT,
			};
			return ok;
		}
		if (last && p->utf8 != SBD_UTF8_ACCEPT) {
			set_error(p, SBD_WS_CLOSE_INVALID_DATA,
			    "text message ends inside a character");
			fill_error(p, ev);
			return 0;
		}
	}
	p->remaining -= take;
	*ev = (struct sbd_ws_event){
		.type = SBD_WS_EV_DATA,
		.data = d,
		.len = take,
		.opcode = p->message_op,
		.fin_message = last,
	};
	if (p->remaining == 0) {
		next_frame(p);
		if (last)
			end_message(p);
	}
	return take;
}

/*
 * The header is complete. Returns true when that alone makes an event: an
 * empty control frame, an empty fin data frame, or an error on either.
 */
static bool
frame_begin(struct sbd_ws_parser *p, uint8_t *at, struct sbd_ws_event *ev)
{
	p->remaining = p->frame_len;
	p->mask_pos = 0;
	if (opcode_is_control(p->frame_op)) {
		p->control_len = 0;
		p->state = SBD_WS_PARSE_CONTROL;
		if (p->remaining > 0)
			return false;
		control_done(p, ev);
		return true;
	}
	if (p->frame_op != SBD_WS_OP_CONTINUATION) {
		p->in_message = true;
		p->message_op = p->frame_op;
	}
	p->state = SBD_WS_PARSE_DATA;
	if (p->remaining > 0)
		return false;
	if (!p->frame_fin) {
		next_frame(p);
		return false;
	}
	(void)data_run(p, at, 0, ev); /* consumes nothing: the event is the message's end */
	return true;
}

size_t
sbd_ws_parse(struct sbd_ws_parser *p, uint8_t *buf, size_t len, struct sbd_ws_event *ev)
{
	size_t pos = 0;

	*ev = (struct sbd_ws_event){ .type = SBD_WS_EV_NONE };
	if (p->state == SBD_WS_PARSE_ERROR) {
		fill_error(p, ev);
		return 0;
	}
	if (p->state == SBD_WS_PARSE_CLOSED)
		return len;
	while (pos < len) {
		if (p->state == SBD_WS_PARSE_DATA)
			return pos + data_run(p, buf + pos, len - pos, ev);
		if (p->state == SBD_WS_PARSE_CONTROL) {
			size_t take = len - pos;
			if (take > p->remaining)
				take = (size_t)p->remaining;
			memcpy(p->control + p->control_len, buf + pos, take);
			sbd_ws_mask(p->control + p->control_len, take, p->mask, p->control_len);
			p->control_len = (uint8_t)(p->control_len + take);
			p->remaining -= take;
			pos += take;
			if (p->remaining == 0) {
				control_done(p, ev);
				return pos;
			}
			continue;
		}

		const char *why;
		uint16_t code = header_byte(p, buf[pos++], &why);
		if (code != 0) {
			set_error(p, code, why);
			fill_error(p, ev);
			return pos;
		}
		if (p->header_len == p->header_need && frame_begin(p, buf + pos, ev))
			return pos;
	}
	return pos;
}

const char *
sbd_ws_opcode_name(unsigned opcode)
{
	switch (opcode) {
	case SBD_WS_OP_CONTINUATION:
		return "continuation";
	case SBD_WS_OP_TEXT:
		return "text";
	case SBD_WS_OP_BINARY:
		return "binary";
	case SBD_WS_OP_CLOSE:
		return "close";
	case SBD_WS_OP_PING:
		return "ping";
	case SBD_WS_OP_PONG:
		return "pong";
	}
	return NULL;
}

/* ---- decoding a server's frames ---- */

enum sbd_ws_frame_result
sbd_ws_frame_decode(uint8_t *buf, size_t len, struct sbd_ws_frame *out)
{
	size_t h = 2;
	uint64_t n;

	memset(out, 0, sizeof *out);
	if (len < 2)
		return SBD_WS_FRAME_INCOMPLETE;
	out->fin = (buf[0] & 0x80) != 0;
	out->opcode = buf[0] & 0x0f;
	out->masked = (buf[1] & 0x80) != 0;
	if ((buf[0] & 0x70) != 0 || !opcode_is_known(out->opcode))
		return SBD_WS_FRAME_INVALID;
	n = buf[1] & 0x7f;
	if (n >= 126) {
		h = n == 126 ? 4 : 10;
		if (len < h)
			return SBD_WS_FRAME_INCOMPLETE;
		n = 0;
		for (size_t i = 2; i < h; i++)
			n = n << 8 | buf[i];
		if ((n >> 63) != 0)
			return SBD_WS_FRAME_INVALID;
	}
	out->length = n;
	if (out->masked)
		h += 4;
	out->header_len = h;
	if (len < h || len - h < n)
		return SBD_WS_FRAME_INCOMPLETE;
	if (out->masked)
		sbd_ws_mask(buf + h, (size_t)n, buf + h - 4, 0);
	return SBD_WS_FRAME_OK;
}

/* ---- building ---- */

static size_t
put_header(uint8_t *out, enum sbd_ws_opcode op, bool fin, uint64_t len, uint8_t mask_bit)
{
	if (!opcode_is_known(op) || (len >> 63) != 0)
		return 0;
	if (opcode_is_control(op) && (!fin || len > SBD_WS_CONTROL_MAX))
		return 0;
	out[0] = (uint8_t)((fin ? 0x80 : 0) | op);
	if (len < 126) {
		out[1] = (uint8_t)(mask_bit | len);
		return 2;
	}
	if (len <= 0xffff) {
		out[1] = mask_bit | 126;
		out[2] = (uint8_t)(len >> 8);
		out[3] = (uint8_t)len;
		return 4;
	}
	out[1] = mask_bit | 127;
	for (unsigned i = 0; i < 8; i++)
		out[2 + i] = (uint8_t)(len >> (56 - 8 * i));
	return 10;
}

size_t
sbd_ws_frame_header(uint8_t out[SBD_WS_HEADER_MAX], enum sbd_ws_opcode op, bool fin,
    uint64_t payload_len)
{
	return put_header(out, op, fin, payload_len, 0);
}

size_t
sbd_ws_client_frame_header(uint8_t out[SBD_WS_HEADER_MAX], enum sbd_ws_opcode op, bool fin,
    uint64_t payload_len, const uint8_t mask[4])
{
	size_t n = put_header(out, op, fin, payload_len, 0x80);

	if (n == 0)
		return 0;
	memcpy(out + n, mask, 4);
	return n + 4;
}

size_t
sbd_ws_client_frame(uint8_t *out, size_t out_size, enum sbd_ws_opcode op, bool fin,
    const uint8_t mask[4], const void *payload, size_t payload_len)
{
	uint8_t header[SBD_WS_HEADER_MAX];
	size_t n = sbd_ws_client_frame_header(header, op, fin, payload_len, mask);

	if (n == 0 || out_size < n || payload_len > out_size - n)
		return 0;
	memcpy(out, header, n);
	if (payload_len > 0)
		memcpy(out + n, payload, payload_len);
	sbd_ws_mask(out + n, payload_len, mask, 0);
	return n + payload_len;
}

size_t
sbd_ws_close_payload(uint8_t out[SBD_WS_CONTROL_MAX], uint16_t code, const char *reason)
{
	enum sbd_utf8_state s = SBD_UTF8_ACCEPT;
	size_t keep = 0;

	if (code == SBD_WS_CLOSE_NO_STATUS)
		return 0;
	out[0] = (uint8_t)(code >> 8);
	out[1] = (uint8_t)code;
	/* the longest prefix that ends on a character boundary and fits */
	for (size_t i = 0; reason != NULL && reason[i] != '\0' && i < SBD_WS_CONTROL_MAX - 2; i++) {
		s = sbd_utf8_feed(s, (const uint8_t *)reason + i, 1, NULL);
		if (s == SBD_UTF8_REJECT)
			break;
		if (s == SBD_UTF8_ACCEPT)
			keep = i + 1;
	}
	if (keep > 0)
		memcpy(out + 2, reason, keep);
	return 2 + keep;
}
