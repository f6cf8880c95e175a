/* sbd-h2c.h - h2c upgrade (RFC 7540 §3.2): HTTP2-Settings, the stream-1 replay, frame headers
 *
 * Pure functions: no I/O. After the 101 the daemon relays bytes between a
 * client that upgraded and a backend that speaks HTTP/2 with prior knowledge:
 *
 *   to the backend: sbd_h2c_build_preamble() (preface, the client's
 *     HTTP2-Settings as a SETTINGS frame, the request as stream 1), then the
 *     client's bytes with the client's own 24-byte preface removed
 *     (struct sbd_h2c_preface);
 *   to the client: the backend's bytes minus the one SETTINGS ACK that answers
 *     the replayed HTTP2-Settings, which the 101 already acknowledged
 *     (struct sbd_h2c_ack_filter), so the client sees exactly one ACK per
 *     SETTINGS frame it sent.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sb-buf.h"

/* "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" */
#define SBD_H2_PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define SBD_H2_PREFACE_LEN 24
#define SBD_H2_FRAME_HEADER_LEN 9
/* SETTINGS_MAX_FRAME_SIZE's initial value: what a peer accepts before its SETTINGS arrive. */
#define SBD_H2_DEFAULT_MAX_FRAME 16384
/* The initial flow-control window of a stream and of the connection (RFC 9113 §6.9.2). */
#define SBD_H2_DEFAULT_WINDOW 65535
/* The longest request body the replay may carry: DATA sent before any WINDOW_UPDATE. */
#define SBD_H2C_BODY_MAX SBD_H2_DEFAULT_WINDOW
/* The longest decoded HTTP2-Settings: it is sent as one SETTINGS frame of at most 16384. */
#define SBD_H2C_SETTINGS_MAX SBD_H2_DEFAULT_MAX_FRAME

enum sbd_h2_frame_type {
	SBD_H2_DATA = 0x0,
	SBD_H2_HEADERS = 0x1,
	SBD_H2_PRIORITY = 0x2,
	SBD_H2_RST_STREAM = 0x3,
	SBD_H2_SETTINGS = 0x4,
	SBD_H2_PUSH_PROMISE = 0x5,
	SBD_H2_PING = 0x6,
	SBD_H2_GOAWAY = 0x7,
	SBD_H2_WINDOW_UPDATE = 0x8,
	SBD_H2_CONTINUATION = 0x9,
};

enum sbd_h2_flag {
	SBD_H2_FLAG_END_STREAM = 0x01, /* DATA, HEADERS */
	SBD_H2_FLAG_ACK = 0x01,        /* SETTINGS, PING */
	SBD_H2_FLAG_END_HEADERS = 0x04,
	SBD_H2_FLAG_PADDED = 0x08,
	SBD_H2_FLAG_PRIORITY = 0x20,
};

enum sbd_h2_setting {
	SBD_H2_SETTINGS_HEADER_TABLE_SIZE = 0x1,
	SBD_H2_SETTINGS_ENABLE_PUSH = 0x2,
	SBD_H2_SETTINGS_MAX_CONCURRENT_STREAMS = 0x3,
	SBD_H2_SETTINGS_INITIAL_WINDOW_SIZE = 0x4,
	SBD_H2_SETTINGS_MAX_FRAME_SIZE = 0x5,
	SBD_H2_SETTINGS_MAX_HEADER_LIST_SIZE = 0x6,
	SBD_H2_SETTINGS_ENABLE_CONNECT_PROTOCOL = 0x8, /* RFC 8441 */
	SBD_H2_SETTINGS_NO_RFC7540_PRIORITIES = 0x9,   /* RFC 9218 */
};

struct sbd_h2_frame_header {
	uint32_t length;    /* payload length, 24 bits */
	uint8_t type;       /* enum sbd_h2_frame_type, or an unknown type to ignore */
	uint8_t flags;
	uint32_t stream_id; /* 31 bits; the reserved bit is dropped */
};

/*
 * Reads a frame header from the first 9 bytes of buf. Returns false (out
 * untouched) when len < 9; any 9 bytes are a header, so true otherwise.
 */
bool sbd_h2_frame_parse_header(const uint8_t *buf, size_t len, struct sbd_h2_frame_header *out);

/* Writes a frame header (length < 2^24, stream_id < 2^31) into out[0..9). */
void sbd_h2_frame_write_header(uint8_t out[SBD_H2_FRAME_HEADER_LEN], uint32_t length,
    uint8_t type, uint8_t flags, uint32_t stream_id);

/*
 * Decodes an HTTP2-Settings header value (RFC 7540 §3.2.1): base64url
 * (RFC 4648 §5) without padding; '=' padding is tolerated when correct, other
 * characters (whitespace, '+', '/') are not. The payload must be a multiple of
 * 6 bytes and at most SBD_H2C_SETTINGS_MAX, and each known setting must hold a
 * legal value (RFC 9113 §6.5.2): ENABLE_PUSH, ENABLE_CONNECT_PROTOCOL and
 * NO_RFC7540_PRIORITIES 0 or 1, INITIAL_WINDOW_SIZE <= 2^31-1, MAX_FRAME_SIZE
 * 16384..16777215; unknown ids are allowed (they are to be ignored).
 *
 * Returns 0 with *payload (sb_xmalloc'd, the caller free()s it; NULL when
 * *len is 0: an empty value is an empty SETTINGS) and *len, or -1 with *why a
 * static reason for the 400 answer and *payload NULL, *len 0.
 */
int sbd_h2c_decode_settings(const char *http2_settings_header, uint8_t **payload, size_t *len,
    const char **why);

struct sbd_h2c_header {
	const char *name;  /* as received, any case; NUL-terminated */
	const char *value; /* NUL-terminated */
};

struct sbd_h2c_request {
	const char *method;    /* "GET", "POST", "OPTIONS"... */
	const char *path;      /* the request target as received: "/x?y", "*" */
	const char *authority; /* the Host header's value, or NULL to send no :authority */
	const struct sbd_h2c_header *headers; /* every request header, Host and upgrade ones too */
	size_t n_headers;
	const uint8_t *body; /* the request body, or NULL */
	size_t body_len;     /* 0 when there is no body */
};

/*
 * Appends to out what the backend must see first, in order:
 *  - the connection preface SBD_H2_PREFACE;
 *  - a SETTINGS frame on stream 0 whose payload is settings[0..settings_len)
 *    (the decoded HTTP2-Settings; settings_len 0 gives an empty SETTINGS);
 *  - HEADERS on stream 1 with :method, :scheme "http", :authority (when not
 *    NULL), :path, then the request headers with names lower-cased, each as an
 *    HPACK literal without indexing (so the backend's dynamic table is still
 *    empty for the client's own encoder), minus hop-by-hop headers: connection,
 *    upgrade, http2-settings, keep-alive, proxy-connection, transfer-encoding,
 *    host, te unless its value is "trailers", any header the Connection header
 *    names, and any name starting with ':'. END_STREAM when body_len is 0.
 *    A block over 16384 bytes goes on in CONTINUATION frames; END_HEADERS is
 *    on the last frame of the block;
 *  - the body as DATA frames on stream 1 of at most 16384 bytes each,
 *    END_STREAM on the last.
 * Returns 0, or -1 with nothing appended when settings_len is over
 * SBD_H2C_SETTINGS_MAX or not a multiple of 6, or body_len is over
 * SBD_H2C_BODY_MAX (the backend's window would overflow: answer 413 instead).
 */
int sbd_h2c_build_preamble(struct sb_buf *out, const uint8_t *settings, size_t settings_len,
    const struct sbd_h2c_request *req);

/*
 * Removes the client's own connection preface from the start of its byte
 * stream after the 101 (the backend already got one in the preamble).
 * Zero-initialise; feed the client's bytes until DONE.
 */
struct sbd_h2c_preface {
	size_t matched; /* preface bytes seen so far */
};

enum sbd_h2c_preface_result {
	SBD_H2C_PREFACE_NEED_MORE, /* all of in matched a part of the preface */
	SBD_H2C_PREFACE_DONE,      /* the preface is complete; in[*used..] is HTTP/2 frames */
	SBD_H2C_PREFACE_INVALID,   /* the client did not send the preface: close */
};

/*
 * Consumes preface bytes from in[0..len): *used is how many belong to the
 * preface (all of len on NEED_MORE). After DONE, further calls return DONE
 * with *used 0.
 */
enum sbd_h2c_preface_result sbd_h2c_preface_consume(struct sbd_h2c_preface *p, const uint8_t *in,
    size_t len, size_t *used);

/*
 * Passes the backend's bytes to the client, dropping the first SETTINGS frame
 * with the ACK flag (the answer to the replayed HTTP2-Settings: it is the
 * first ACK the backend sends, as that SETTINGS was the first it got).
 * Zero-initialise.
 */
struct sbd_h2c_ack_filter {
	bool dropped;             /* the ACK is gone: everything passes unparsed */
	uint8_t hdr[SBD_H2_FRAME_HEADER_LEN]; /* a frame header split across reads */
	size_t hdr_len;
	uint32_t payload_left;    /* bytes of the current frame's payload still to pass */
};

/*
 * Appends to out the bytes of in[0..len) the client must see. Up to 8 bytes
 * of a frame header may be held back until the rest arrives. Returns 0, or -1
 * with *why when the backend sent a SETTINGS ACK with a payload (a
 * FRAME_SIZE_ERROR: close the connection).
 */
int sbd_h2c_ack_filter_feed(struct sbd_h2c_ack_filter *f, const uint8_t *in, size_t len,
    struct sb_buf *out, const char **why);
