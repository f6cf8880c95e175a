/* sbd-ws-frame.h - WebSocket frames (RFC 6455 §5): pure functions over buffers, no I/O */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest frame header: 2 bytes, a 64-bit length and a masking key. */
#define SBD_WS_HEADER_MAX  14
/* Longest control frame payload (RFC 6455 §5.5). */
#define SBD_WS_CONTROL_MAX 125

/* Close codes (RFC 6455 §7.4.1) the daemon sends or reports. */
#define SBD_WS_CLOSE_NORMAL        1000
#define SBD_WS_CLOSE_GOING_AWAY    1001
#define SBD_WS_CLOSE_PROTOCOL      1002
#define SBD_WS_CLOSE_NO_STATUS     1005 /* never on the wire: a close frame without a code */
#define SBD_WS_CLOSE_INVALID_DATA  1007
#define SBD_WS_CLOSE_TOO_BIG       1009
#define SBD_WS_CLOSE_INTERNAL      1011

enum sbd_ws_opcode {
	SBD_WS_OP_CONTINUATION = 0x0,
	SBD_WS_OP_TEXT = 0x1,
	SBD_WS_OP_BINARY = 0x2,
	SBD_WS_OP_CLOSE = 0x8,
	SBD_WS_OP_PING = 0x9,
	SBD_WS_OP_PONG = 0xa,
};

/* "text", "binary", "close", ...; NULL for an opcode RFC 6455 does not define. */
const char *sbd_ws_opcode_name(unsigned opcode);

/* ---- Incremental UTF-8 validation (RFC 3629: no overlongs, surrogates or > U+10FFFF) ---- */

enum sbd_utf8_state {
	SBD_UTF8_ACCEPT,     /* at a character boundary: everything so far is valid */
	SBD_UTF8_REJECT,     /* invalid; stays so */
	/* inside a multi-byte character: what the next bytes must be */
	SBD_UTF8_NEED1,      /* one more of 80..BF */
	SBD_UTF8_NEED2,      /* two more */
	SBD_UTF8_NEED3,      /* three more */
	SBD_UTF8_AFTER_E0,   /* A0..BF (no overlong), then one more */
	SBD_UTF8_AFTER_ED,   /* 80..9F (no surrogate), then one more */
	SBD_UTF8_AFTER_F0,   /* 90..BF (no overlong), then two more */
	SBD_UTF8_AFTER_F4,   /* 80..8F (<= U+10FFFF), then two more */
};

/*
 * Feeds n bytes to a validator that starts at SBD_UTF8_ACCEPT and returns its
 * new state. When the result is SBD_UTF8_REJECT, *valid_len (if not NULL) is
 * the number of bytes of p before the first invalid one; otherwise it is n.
 */
enum sbd_utf8_state sbd_utf8_feed(enum sbd_utf8_state state, const uint8_t *p, size_t n,
    size_t *valid_len);

/* ---- Parsing client frames ---- */

enum sbd_ws_event_type {
	SBD_WS_EV_NONE,  /* all bytes were consumed; more are needed */
	SBD_WS_EV_DATA,  /* a run of payload bytes of a text or binary message */
	SBD_WS_EV_PING,
	SBD_WS_EV_PONG,
	SBD_WS_EV_CLOSE, /* a valid close frame */
	SBD_WS_EV_ERROR, /* the peer broke the protocol: close with close_code */
};

struct sbd_ws_event {
	enum sbd_ws_event_type type;
	/*
	 * DATA: unmasked payload bytes, in place in the caller's buffer.
	 * PING, PONG: the whole payload (<= 125 bytes), in the parser; valid
	 * until the next sbd_ws_parse call.
	 * CLOSE: the reason bytes (without the code), in the parser, same lifetime.
	 * NONE, ERROR: NULL and 0.
	 */
	uint8_t *data;
	size_t len;
	/* DATA: the message's opcode, SBD_WS_OP_TEXT or SBD_WS_OP_BINARY. */
	enum sbd_ws_opcode opcode;
	/*
	 * DATA: these are the last bytes of the message. Exactly one DATA event per
	 * message carries it, possibly with len 0; no other DATA event has len 0.
	 */
	bool fin_message;
	/*
	 * CLOSE: the peer's code, or SBD_WS_CLOSE_NO_STATUS when its frame had none.
	 * ERROR: the code to close with (1002, 1007 or 1009).
	 */
	uint16_t close_code;
	/*
	 * CLOSE: the peer's reason, NUL-terminated (valid UTF-8; cut at an embedded
	 * NUL, data/len hold all of it); "" when none.
	 * ERROR: a static text naming the problem, fit for a close frame and logs.
	 */
	const char *reason;
};

enum sbd_ws_parser_state {
	SBD_WS_PARSE_HEADER,
	SBD_WS_PARSE_DATA,
	SBD_WS_PARSE_CONTROL,
	SBD_WS_PARSE_CLOSED,
	SBD_WS_PARSE_ERROR,
};

/*
 * Parser of the frames a client sends. It holds at most one control frame's
 * payload, never a data message: data is handed out as it arrives. Its fields
 * are private; embed it by value and start it with sbd_ws_parser_init.
 */
struct sbd_ws_parser {
	enum sbd_ws_parser_state state;
	uint64_t max_message;    /* 0: no limit */
	uint64_t message_len;    /* payload bytes of the current message, by the headers seen */
	uint64_t frame_len;      /* payload length of the current frame, as its header is read */
	uint64_t remaining;      /* payload bytes of the current frame not yet consumed */
	bool in_message;         /* a data message is in progress (its fin frame not yet done) */
	enum sbd_ws_opcode message_op;
	enum sbd_utf8_state utf8;
	uint8_t frame_op;
	bool frame_fin;
	uint8_t header_len;      /* header bytes seen */
	uint8_t header_need;     /* header bytes in all, once the second byte is known */
	uint8_t mask[4];
	uint8_t mask_pos;        /* payload offset in the frame, modulo 4 */
	uint8_t control_len;
	uint8_t control[SBD_WS_CONTROL_MAX + 1]; /* + a NUL after a close reason */
	uint16_t error_code;
	const char *error_reason;
};

/* Starts (or restarts) a parser; max_message_bytes caps a data message, 0 for no cap. */
void sbd_ws_parser_init(struct sbd_ws_parser *p, uint64_t max_message_bytes);

/*
 * Consumes bytes from buf and fills *ev with at most one event; returns the
 * number of bytes consumed. Call again with the rest of buf (buf + returned)
 * until the event is SBD_WS_EV_NONE, which means all of buf was consumed and
 * the parser needs more bytes. A frame may be split across calls anywhere:
 * the parser keeps the partial header and control payload it has seen.
 *
 * The payload bytes of data frames are unmasked in buf, in place; other bytes
 * of buf may be left as they were. ev->data of a DATA event points into buf.
 *
 * Text messages are checked as UTF-8 across frames and calls: DATA events
 * carry only bytes before the first invalid one, and the error follows.
 *
 * After SBD_WS_EV_ERROR, every call returns 0 with the same error. After
 * SBD_WS_EV_CLOSE, the client may send nothing more: every call consumes all
 * of buf, discards it and returns SBD_WS_EV_NONE.
 */
size_t sbd_ws_parse(struct sbd_ws_parser *p, uint8_t *buf, size_t len, struct sbd_ws_event *ev);

/* Whether a close frame may carry code (RFC 6455 §7.4: 1000-1003, 1007-1011, 3000-4999). */
bool sbd_ws_close_code_is_valid(uint16_t code);

/* ---- Reading a server's frames, one whole frame at a time (the client side) ---- */

struct sbd_ws_frame {
	bool fin;
	unsigned opcode;   /* 0..15: an undefined one makes the frame invalid */
	bool masked;       /* a server must not mask: reported, and unmasked here */
	uint64_t length;   /* payload length, once the header is whole */
	size_t header_len; /* once the header is whole */
};

enum sbd_ws_frame_result {
	SBD_WS_FRAME_INCOMPLETE, /* need more bytes: the header, or a payload of out->length */
	SBD_WS_FRAME_OK,         /* payload at buf + header_len, length bytes (unmasked in place) */
	SBD_WS_FRAME_INVALID,    /* reserved bits or opcode, or a length with its top bit set */
};

/*
 * Decodes the frame at the start of buf, as a client reads what a server
 * sends: it says what the frame is and leaves the protocol's rules on
 * sequences, control frames and masking to the caller, who may want to show a
 * peer's mistakes rather than stop at them. Once the first two bytes are there,
 * out->fin, opcode and masked are filled in whatever the result.
 */
enum sbd_ws_frame_result sbd_ws_frame_decode(uint8_t *buf, size_t len, struct sbd_ws_frame *out);

/* ---- Building frames ---- */

/*
 * XORs len bytes of data with the masking key, in place; offset is the position
 * of data[0] in the frame's payload. Masking and unmasking are the same.
 */
void sbd_ws_mask(uint8_t *data, size_t len, const uint8_t mask[4], uint64_t offset);

/*
 * Writes the header of an unmasked (server) frame with the shortest length
 * encoding; the payload follows as is. Returns the header's length (2 to 10),
 * or 0 when the frame would be invalid: a control frame that is not fin or has
 * more than 125 bytes, an opcode RFC 6455 does not define, or payload_len >= 2^63.
 */
size_t sbd_ws_frame_header(uint8_t out[SBD_WS_HEADER_MAX], enum sbd_ws_opcode op, bool fin,
    uint64_t payload_len);

/*
 * The same for a client frame, masked with mask (which RFC 6455 §5.3 wants
 * unpredictable: take it from a strong random source). Returns 6 to 14, or 0.
 * The payload must then be masked with sbd_ws_mask(payload, n, mask, 0).
 */
size_t sbd_ws_client_frame_header(uint8_t out[SBD_WS_HEADER_MAX], enum sbd_ws_opcode op, bool fin,
    uint64_t payload_len, const uint8_t mask[4]);

/*
 * A whole client frame in out: header, then payload masked with mask. Returns
 * its length, or 0 when the frame would be invalid (see sbd_ws_frame_header) or
 * does not fit in out_size bytes.
 */
size_t sbd_ws_client_frame(uint8_t *out, size_t out_size, enum sbd_ws_opcode op, bool fin,
    const uint8_t mask[4], const void *payload, size_t payload_len);

/*
 * The payload of a close frame: code in network order, then reason (NULL for
 * none) cut to its longest valid UTF-8 prefix that fits in 123 bytes. Returns
 * its length; 0 (an empty payload) when code is SBD_WS_CLOSE_NO_STATUS.
 */
size_t sbd_ws_close_payload(uint8_t out[SBD_WS_CONTROL_MAX], uint16_t code, const char *reason);
