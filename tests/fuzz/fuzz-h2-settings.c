/*
 * fuzz-h2-settings.c - libFuzzer target: HTTP2-Settings decoding and the stream-1 preamble.
 *
 * The input, as a NUL-terminated string, is an HTTP2-Settings value. Accepted:
 * the payload is a multiple of 6 bytes and fits one frame, re-encoding it
 * decodes to the same bytes, and the preamble built from it starts with the
 * preface and a SETTINGS frame carrying exactly that payload, then frames on
 * stream 1 of at most 16384 bytes whose header block decodes to the request.
 * Refused: a reason and no payload. The input also serves as a header value
 * (so the preamble meets every byte) and as a body of its own length.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hpack-decode.h"
#include "sb-buf.h"
#include "sbd-h2c.h"
#include "fuzz-check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static char *
b64url_encode(const uint8_t *p, size_t len)
{
	char *s = malloc(len / 3 * 4 + 5), *o = s;

	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		size_t n = len - i < 3 ? len - i : 3;

		if (n > 1)
			v |= (uint32_t)p[i + 1] << 8;
		if (n > 2)
			v |= p[i + 2];
		for (size_t k = 0; k < n + 1; k++)
			*o++ = b64url_alphabet[v >> (18 - 6 * k) & 0x3f];
	}
	*o = '\0';
	return s;
}

struct fields {
	size_t count;
	int value_ok; /* the x-fuzz field came back intact */
	const char *value;
	size_t value_len;
};

static void
on_field(void *user, const char *name, size_t name_len, const char *value, size_t value_len)
{
	struct fields *f = user;

	f->count++;
	if (name_len == 6 && memcmp(name, "x-fuzz", 6) == 0)
		f->value_ok = value_len == f->value_len && memcmp(value, f->value, value_len) == 0;
}

static void
check_preamble(const uint8_t *settings, size_t settings_len, const char *text, size_t text_len,
    const uint8_t *body, size_t body_len)
{
	const struct sbd_h2c_header headers[] = {
		{ "Host", "example.org" },
		{ "Connection", "Upgrade, HTTP2-Settings" },
		{ "X-Fuzz", text },
	};
	struct sbd_h2c_request req = {
		.method = "POST", .path = "/", .authority = "example.org",
		.headers = headers, .n_headers = 3, .body = body, .body_len = body_len,
	};
	struct sb_buf out = SB_BUF_INIT, block = SB_BUF_INIT;
	struct fields fields = { 0, 0, text, text_len };
	struct sbd_h2_frame_header fh;
	struct hpack_decoder *d;
	const uint8_t *p;
	size_t left, data_len = 0;

	check(sbd_h2c_build_preamble(&out, settings, settings_len, &req) == 0, "preamble refused");
	p = (const uint8_t *)sb_buf_head(&out);
	check(out.len >= SBD_H2_PREFACE_LEN + 9 && memcmp(p, SBD_H2_PREFACE, 24) == 0, "preface");
	p += SBD_H2_PREFACE_LEN;
	left = out.len - SBD_H2_PREFACE_LEN;
	check(sbd_h2_frame_parse_header(p, left, &fh) && fh.type == SBD_H2_SETTINGS &&
		  fh.length == settings_len && fh.stream_id == 0 && fh.flags == 0 &&
		  (settings_len == 0 || memcmp(p + 9, settings, settings_len) == 0),
	    "SETTINGS frame");
	p += 9 + fh.length;
	left -= 9 + fh.length;
	while (left > 0) {
		check(sbd_h2_frame_parse_header(p, left, &fh), "cut frame header");
		check(fh.length <= left - 9 && fh.length <= SBD_H2_DEFAULT_MAX_FRAME, "frame size");
		check(fh.stream_id == 1, "stream id");
		if (fh.type == SBD_H2_DATA)
			data_len += fh.length;
		else
			sb_buf_append(&block, p + 9, fh.length);
		p += 9 + fh.length;
		left -= 9 + fh.length;
	}
	check(data_len == body_len, "body length");
	d = hpack_decoder_new(HPACK_DEFAULT_TABLE_SIZE);
	check(hpack_decode(d, (const uint8_t *)sb_buf_head(&block), block.len, on_field,
		  &fields, NULL) == HPACK_OK,
	    "header block does not decode");
	check(fields.count == 5 && fields.value_ok, "header fields");
	hpack_decoder_free(d);
	sb_buf_free(&block);
	sb_buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	uint8_t *payload = NULL, *again = NULL;
	size_t len = 99, len2 = 0;
	const char *why = NULL;
	char *encoded;

	memcpy(text, data, size);
	text[size] = '\0';
	if (sbd_h2c_decode_settings(text, &payload, &len, &why) != 0) {
		check(why != NULL && payload == NULL && len == 0, "refusal without a reason");
		check_preamble(NULL, 0, text, strlen(text), data,
		    size < SBD_H2C_BODY_MAX ? size : SBD_H2C_BODY_MAX);
		free(text);
		return 0;
	}
	check(len % 6 == 0 && len <= SBD_H2C_SETTINGS_MAX, "payload size");
	check((len == 0) == (payload == NULL), "payload pointer");
	encoded = b64url_encode(payload, len);
	check(sbd_h2c_decode_settings(encoded, &again, &len2, &why) == 0 && len2 == len &&
		  (len == 0 || memcmp(again, payload, len) == 0),
	    "re-encoded payload decodes differently");
	check_preamble(payload, len, text, strlen(text), NULL, 0);
	free(encoded);
	free(again);
	free(payload);
	free(text);
	return 0;
}
