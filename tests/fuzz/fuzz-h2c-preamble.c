/*
 * fuzz-h2c-preamble.c - libFuzzer target: the request an h2c upgrade replays to the backend.
 *
 * Input: a flag byte (bit 0: no authority), a byte of body repetitions, two
 * bytes of settings length (big-endian, modulo SBD_H2C_SETTINGS_MAX + 8, so
 * bad lengths come too), then NUL-separated fields: method, path, authority,
 * body (repeated as many times as said), then header names and values in
 * turn. A name of one byte from 1 to 0x1f stands for a name from a table
 * of the interesting ones (hop-by-hop, te, pseudo-headers, cases). The
 * settings payload repeats the input's bytes.
 *
 * Invariants: a bad settings length or an over-long body is refused with
 * nothing appended; otherwise the output is the preface, a SETTINGS frame with
 * exactly the payload, a HEADERS frame and CONTINUATIONs on stream 1 of at
 * most 16384 bytes with END_HEADERS on the last only, END_STREAM on HEADERS
 * only without a body, then the body in DATA frames with END_STREAM on the
 * last; the header block decodes with an empty dynamic table to :method,
 * :scheme http, :authority, :path, then the request's headers lower-cased
 * minus the hop-by-hop ones, those the Connection headers name, pseudo and
 * empty names, and te unless it says trailers (then it stays, sent as
 * "trailers", even though Connection names it, as HTTP/1.1 requires).
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hpack-decode.h"
#include "sb-buf.h"
#include "sbd-h2c.h"
#include "fuzz-check.h"

#define HEADERS_MAX 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = {
	"Connection", "connection", "Upgrade", "HTTP2-Settings", "Keep-Alive", "Proxy-Connection",
	"Transfer-Encoding", "Host", "TE", "te", ":path", ":x", "", "X-A", "x-a", "Accept",
	"Content-Length", "Trailer", "X-Named", "CONNECTION", "upgrade, x-a", " x-a",
};

static bool
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* s[0..len) without spaces and tabs around it, compared case-insensitively with word. */
static bool
trimmed_equal(const char *s, size_t len, const char *word)
{
	while (len > 0 && is_ows(*s)) {
		s++;
		len--;
	}
	while (len > 0 && is_ows(s[len - 1]))
		len--;
	return len == strlen(word) && strncasecmp(s, word, len) == 0;
}

/* Whether a comma-separated list names token (the model of a Connection value). */
static bool
list_names(const char *list, const char *token)
{
	for (;;) {
		const char *comma = strchr(list, ',');
		size_t len = comma != NULL ? (size_t)(comma - list) : strlen(list);

		if (len > 0 && trimmed_equal(list, len, token))
			return true;
		if (comma == NULL)
			return false;
		list = comma + 1;
	}
}

struct field {
	char *name;
	const char *value;
};

struct expect {
	struct field f[4 + HEADERS_MAX];
	size_t n;
	size_t seen;
	bool ok;
};

static void
expect_field(struct expect *e, const char *name, const char *value)
{
	e->f[e->n].name = strdup(name);
	e->f[e->n].value = value;
	e->n++;
}

/* The fields the backend must see, worked out apart from the encoder. */
static void
model(struct expect *e, const struct sbd_h2c_request *req)
{
	static const char *const hop[] = { "connection", "upgrade", "http2-settings",
		"keep-alive", "proxy-connection", "transfer-encoding", "host" };

	expect_field(e, ":method", req->method);
	expect_field(e, ":scheme", "http");
	if (req->authority != NULL)
		expect_field(e, ":authority", req->authority);
	expect_field(e, ":path", req->path);
	for (size_t i = 0; i < req->n_headers; i++) {
		const struct sbd_h2c_header *h = &req->headers[i];
		char *lname = strdup(h->name);
		bool drop = lname[0] == '\0' || lname[0] == ':';

		for (char *c = lname; *c != '\0'; c++)
			*c = (char)tolower((unsigned char)*c);
		for (size_t k = 0; k < sizeof hop / sizeof hop[0]; k++)
			drop = drop || strcmp(lname, hop[k]) == 0;
		/* te: trailers stays even when Connection names te, as HTTP/1.1 clients must */
		if (strcmp(lname, "te") == 0)
			drop = !trimmed_equal(h->value, strlen(h->value), "trailers");
		else
			for (size_t k = 0; k < req->n_headers; k++)
				drop = drop || (strcasecmp(req->headers[k].name, "connection") == 0 &&
						   list_names(req->headers[k].value, lname));
		if (!drop)
			expect_field(e, lname, strcmp(lname, "te") == 0 ? "trailers" : h->value);
		free(lname);
	}
}

static void
on_field(void *user, const char *name, size_t name_len, const char *value, size_t value_len)
{
	struct expect *e = user;

	if (e->seen < e->n) {
		const struct field *f = &e->f[e->seen];

		e->ok = e->ok && strlen(f->name) == name_len && memcmp(f->name, name, name_len) == 0 &&
			strlen(f->value) == value_len && memcmp(f->value, value, value_len) == 0;
	}
	e->seen++;
}

static void
check_frames(const struct sb_buf *out, const uint8_t *settings, size_t settings_len,
    const struct sbd_h2c_request *req)
{
	const uint8_t *p = (const uint8_t *)sb_buf_head(out);
	size_t left = out->len, data_len = 0, n_block = 0;
	struct sb_buf block = SB_BUF_INIT;
	struct sbd_h2_frame_header fh;
	struct expect e = { .ok = true };
	struct hpack_decoder *d;
	bool headers_done = false;

	check(left >= SBD_H2_PREFACE_LEN && memcmp(p, SBD_H2_PREFACE, SBD_H2_PREFACE_LEN) == 0,
	    "preface");
	p += SBD_H2_PREFACE_LEN;
	left -= SBD_H2_PREFACE_LEN;
	check(sbd_h2_frame_parse_header(p, left, &fh) && fh.type == SBD_H2_SETTINGS &&
		  fh.flags == 0 && fh.stream_id == 0 && fh.length == settings_len &&
		  left - SBD_H2_FRAME_HEADER_LEN >= settings_len &&
		  (settings_len == 0 ||
		      memcmp(p + SBD_H2_FRAME_HEADER_LEN, settings, settings_len) == 0),
	    "SETTINGS frame");
	p += SBD_H2_FRAME_HEADER_LEN + fh.length;
	left -= SBD_H2_FRAME_HEADER_LEN + fh.length;
	while (left > 0) {
		check(sbd_h2_frame_parse_header(p, left, &fh), "a frame header cut short");
		check(fh.length <= left - SBD_H2_FRAME_HEADER_LEN, "a frame cut short");
		check(fh.length <= SBD_H2_DEFAULT_MAX_FRAME, "a frame over 16384 bytes");
		check(fh.stream_id == 1, "a frame not on stream 1");
		if (!headers_done) {
			check(fh.type == (n_block == 0 ? SBD_H2_HEADERS : SBD_H2_CONTINUATION),
			    "HEADERS, then CONTINUATIONs");
			check((fh.flags & SBD_H2_FLAG_END_STREAM) != 0 ==
				  (n_block == 0 && req->body_len == 0),
			    "END_STREAM on HEADERS");
			headers_done = (fh.flags & SBD_H2_FLAG_END_HEADERS) != 0;
			check(headers_done || fh.length == SBD_H2_DEFAULT_MAX_FRAME,
			    "a short frame before END_HEADERS");
			sb_buf_append(&block, p + SBD_H2_FRAME_HEADER_LEN, fh.length);
			n_block++;
		} else {
			check(fh.type == SBD_H2_DATA, "DATA after the header block");
			check(fh.length > 0, "an empty DATA frame");
			check(memcmp(p + SBD_H2_FRAME_HEADER_LEN, req->body + data_len, fh.length) == 0,
			    "body bytes");
			data_len += fh.length;
			check((fh.flags & SBD_H2_FLAG_END_STREAM) != 0 == (data_len == req->body_len),
			    "END_STREAM on the last DATA frame only");
		}
		p += SBD_H2_FRAME_HEADER_LEN + fh.length;
		left -= SBD_H2_FRAME_HEADER_LEN + fh.length;
	}
	check(headers_done, "no END_HEADERS");
	check(data_len == req->body_len, "body length");

	model(&e, req);
	d = hpack_decoder_new(HPACK_DEFAULT_TABLE_SIZE);
	check(hpack_decode(d, (const uint8_t *)sb_buf_head(&block), block.len, on_field, &e, NULL) ==
		  HPACK_OK,
	    "the header block does not decode");
	check(hpack_decoder_table_count(d) == 0, "the block left entries in the dynamic table");
	check(e.seen == e.n && e.ok, "the fields differ from the model's");
	hpack_decoder_free(d);
	for (size_t i = 0; i < e.n; i++)
		free(e.f[i].name);
	sb_buf_free(&block);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *field[4 + 2 * HEADERS_MAX] = { NULL };
	struct sbd_h2c_header headers[HEADERS_MAX];
	struct sbd_h2c_request req = { 0 };
	struct sb_buf out = SB_BUF_INIT;
	size_t n = 0, pos = 4, settings_len, body_len, n_headers = 0;
	uint8_t *settings, *body;
	int rc;

	if (size < 4)
		return 0;
	settings_len = ((size_t)data[2] << 8 | data[3]) % (SBD_H2C_SETTINGS_MAX + 8);
	while (pos <= size && n < sizeof field / sizeof field[0]) {
		const uint8_t *nul = memchr(data + pos, 0, size - pos);
		size_t len = nul != NULL ? (size_t)(nul - (data + pos)) : size - pos;

		field[n] = malloc(len + 1);
		memcpy(field[n], data + pos, len);
		field[n][len] = '\0';
		n++;
		pos += len + 1;
	}
	settings = malloc(settings_len + 1);
	for (size_t i = 0; i < settings_len; i++)
		settings[i] = data[i % size];
	body_len = n > 3 ? strlen(field[3]) * data[1] : 0;
	body = malloc(body_len + 1);
	for (size_t i = 0; i < body_len; i++)
		body[i] = (uint8_t)field[3][i % strlen(field[3])];
	for (size_t i = 4; i + 1 < n; i += 2) {
		const char *name = field[i];

		if (strlen(name) == 1 && (unsigned char)name[0] < 0x20)
			name = names[((unsigned char)name[0] - 1) % (sizeof names / sizeof names[0])];
		headers[n_headers].name = name;
		headers[n_headers].value = field[i + 1];
		n_headers++;
	}
	req.method = n > 0 ? field[0] : "GET";
	req.path = n > 1 ? field[1] : "/";
	req.authority = (data[0] & 1) || n < 3 ? NULL : field[2];
	req.headers = headers;
	req.n_headers = n_headers;
	req.body = body_len > 0 ? body : NULL;
	req.body_len = body_len;

	sb_buf_append(&out, "x", 1); /* a refusal must leave what is there alone */
	rc = sbd_h2c_build_preamble(&out, settings, settings_len, &req);
	if (settings_len % 6 != 0 || settings_len > SBD_H2C_SETTINGS_MAX ||
	    body_len > SBD_H2C_BODY_MAX) {
		check(rc == -1 && out.len == 1, "a bad length accepted");
	} else {
		check(rc == 0, "a good request refused");
		sb_buf_consume(&out, 1);
		check_frames(&out, settings, settings_len, &req);
	}
	sb_buf_free(&out);
	free(settings);
	free(body);
	for (size_t i = 0; i < n; i++)
		free(field[i]);
	return 0;
}
