/* sbd-h2c.c - h2c upgrade: HTTP2-Settings, the stream-1 replay, SETTINGS ACK and preface filters */
#include "sbd-h2c.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sb-alloc.h"
#include "sbd-hpack.h"
#include "sbd-upgrade.h"

#define SETTING_LEN 6
#define MAX_FRAME_SIZE_MAX 16777215u
#define WINDOW_MAX 0x7fffffffu
/* base64 characters for SBD_H2C_SETTINGS_MAX bytes, rounded up */
#define SETTINGS_B64_MAX ((SBD_H2C_SETTINGS_MAX + 2) / 3 * 4)
#define REQUEST_STREAM 1

/* -- frame headers -- */

bool
sbd_h2_frame_parse_header(const uint8_t *buf, size_t len, struct sbd_h2_frame_header *out)
{
	if (len < SBD_H2_FRAME_HEADER_LEN)
		return false;
	out->length = (uint32_t)buf[0] << 16 | (uint32_t)buf[1] << 8 | buf[2];
	out->type = buf[3];
	out->flags = buf[4];
	out->stream_id = ((uint32_t)buf[5] << 24 | (uint32_t)buf[6] << 16 | (uint32_t)buf[7] << 8 |
			     buf[8]) & 0x7fffffffu;
	return true;
}

void
sbd_h2_frame_write_header(uint8_t out[SBD_H2_FRAME_HEADER_LEN], uint32_t length, uint8_t type,
    uint8_t flags, uint32_t stream_id)
{
	out[0] = (uint8_t)(length >> 16);
	out[1] = (uint8_t)(length >> 8);
	out[2] = (uint8_t)length;
	out[3] = type;
	out[4] = flags;
	out[5] = (uint8_t)(stream_id >> 24 & 0x7f);
	out[6] = (uint8_t)(stream_id >> 16);
	out[7] = (uint8_t)(stream_id >> 8);
	out[8] = (uint8_t)stream_id;
}

static void
append_frame(struct sb_buf *out, uint8_t type, uint8_t flags, uint32_t stream_id,
    const void *payload, size_t len)
{
	uint8_t hdr[SBD_H2_FRAME_HEADER_LEN];

	sbd_h2_frame_write_header(hdr, (uint32_t)len, type, flags, stream_id);
	sb_buf_append(out, hdr, sizeof hdr);
	sb_buf_append(out, payload, len);
}

/* -- HTTP2-Settings -- */

static int
b64url_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/* Decodes text[0..n), all base64url characters, n % 4 != 1, into out. */
static void
b64url_decode(const char *text, size_t n, uint8_t *out)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		acc = (acc << 6 | (uint32_t)b64url_value(text[i])) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
}

static const char *
check_setting(uint16_t id, uint32_t value)
{
	switch (id) {
	case SBD_H2_SETTINGS_ENABLE_PUSH:
		return value <= 1 ? NULL : "HTTP2-Settings: ENABLE_PUSH is not 0 or 1";
	case SBD_H2_SETTINGS_INITIAL_WINDOW_SIZE:
		return value <= WINDOW_MAX ? NULL :
					     "HTTP2-Settings: INITIAL_WINDOW_SIZE above 2^31-1";
	case SBD_H2_SETTINGS_MAX_FRAME_SIZE:
		return value >= SBD_H2_DEFAULT_MAX_FRAME && value <= MAX_FRAME_SIZE_MAX ?
			   NULL :
			   "HTTP2-Settings: MAX_FRAME_SIZE outside 16384..16777215";
	case SBD_H2_SETTINGS_ENABLE_CONNECT_PROTOCOL:
		return value <= 1 ? NULL : "HTTP2-Settings: ENABLE_CONNECT_PROTOCOL is not 0 or 1";
	case SBD_H2_SETTINGS_NO_RFC7540_PRIORITIES:
		return value <= 1 ? NULL : "HTTP2-Settings: NO_RFC7540_PRIORITIES is not 0 or 1";
	default:
		return NULL; /* the others take any 32-bit value; unknown ids are ignored */
	}
}

int
sbd_h2c_decode_settings(const char *http2_settings_header, uint8_t **payload, size_t *len,
    const char **why)
{
	const char *text = http2_settings_header;
	size_t n = strlen(text), pad = 0, out_len;
	uint8_t *out = NULL;

	*payload = NULL;
	*len = 0;
	while (pad < n && text[n - 1 - pad] == '=')
		pad++;
	if (pad > 0 && (pad > 2 || n % 4 != 0)) {
		*why = "HTTP2-Settings: bad base64url padding";
		return -1;
	}
	n -= pad;
	if (n > SETTINGS_B64_MAX) {
		*why = "HTTP2-Settings: longer than one 16384-byte SETTINGS frame";
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (b64url_value(text[i]) < 0) {
			*why = "HTTP2-Settings: not base64url";
			return -1;
		}
	}
	if (n % 4 == 1) {
		*why = "HTTP2-Settings: base64url length is not possible";
		return -1;
	}
	/* every 4 characters are 3 bytes; 2 or 3 left over are 1 or 2 */
	out_len = n / 4 * 3 + (n % 4 == 0 ? 0 : n % 4 - 1);
	if (out_len % SETTING_LEN != 0) {
		*why = "HTTP2-Settings: payload is not a multiple of 6 bytes";
		return -1;
	}
	if (out_len > SBD_H2C_SETTINGS_MAX) {
		*why = "HTTP2-Settings: longer than one 16384-byte SETTINGS frame";
		return -1;
	}
	if (out_len == 0)
		return 0; /* an empty value: the client keeps every default */
	out = sb_xmalloc(out_len);
	b64url_decode(text, n, out);
	for (size_t i = 0; i < out_len; i += SETTING_LEN) {
		uint16_t id = (uint16_t)(out[i] << 8 | out[i + 1]);
		uint32_t value = (uint32_t)out[i + 2] << 24 | (uint32_t)out[i + 3] << 16 |
		    (uint32_t)out[i + 4] << 8 | out[i + 5];

		*why = check_setting(id, value);
		if (*why != NULL)
			goto err;
	}
	*payload = out;
	*len = out_len;
	return 0;
err:
	free(out);
	return -1;
}

/* -- the stream-1 replay -- */

static const char *const hop_by_hop[] = {
	"connection", "upgrade", "http2-settings", "keep-alive", "proxy-connection",
	"transfer-encoding", "host",
};

static bool
value_is_trailers(const char *v)
{
	size_t n;

	while (*v == ' ' || *v == '\t')
		v++;
	n = strlen(v);
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	return n == 8 && strncasecmp(v, "trailers", 8) == 0;
}

/* Whether a header (name already lower-cased) stays out of the HTTP/2 request. */
static bool
is_dropped(const struct sbd_h2c_request *req, const char *lname, const char *value)
{
	if (lname[0] == '\0' || lname[0] == ':')
		return true;
	for (size_t i = 0; i < sizeof hop_by_hop / sizeof hop_by_hop[0]; i++)
		if (strcmp(lname, hop_by_hop[i]) == 0)
			return true;
	if (strcmp(lname, "te") == 0)
		return !value_is_trailers(value);
	/* RFC 9110 §7.6.1: the fields Connection names are hop-by-hop too */
	for (size_t i = 0; i < req->n_headers; i++)
		if (strcasecmp(req->headers[i].name, "connection") == 0 &&
		    sbd_header_has_token(req->headers[i].value, lname))
			return true;
	return false;
}

static void
encode_header_block(struct sb_buf *block, const struct sbd_h2c_request *req)
{
	sbd_hpack_encode_field(block, ":method", 7, req->method, strlen(req->method));
	sbd_hpack_encode_field(block, ":scheme", 7, "http", 4);
	if (req->authority != NULL)
		sbd_hpack_encode_field(block, ":authority", 10, req->authority,
		    strlen(req->authority));
	sbd_hpack_encode_field(block, ":path", 5, req->path, strlen(req->path));
	for (size_t i = 0; i < req->n_headers; i++) {
		const struct sbd_h2c_header *h = &req->headers[i];
		char *lname = sb_xstrdup(h->name);

		for (char *c = lname; *c != '\0'; c++)
			*c = (char)tolower((unsigned char)*c);
		/* a kept te is "trailers" up to case and blanks: send it plain */
		const char *value = strcmp(lname, "te") == 0 ? "trailers" : h->value;

		if (!is_dropped(req, lname, h->value))
			sbd_hpack_encode_field(block, lname, strlen(lname), value, strlen(value));
		free(lname);
	}
}

int
sbd_h2c_build_preamble(struct sb_buf *out, const uint8_t *settings, size_t settings_len,
    const struct sbd_h2c_request *req)
{
	struct sb_buf block = SB_BUF_INIT;
	const uint8_t *p;
	size_t left;
	bool first = true;

	if (settings_len > SBD_H2C_SETTINGS_MAX || settings_len % SETTING_LEN != 0 ||
	    req->body_len > SBD_H2C_BODY_MAX)
		return -1;
	sb_buf_append(out, SBD_H2_PREFACE, SBD_H2_PREFACE_LEN);
	append_frame(out, SBD_H2_SETTINGS, 0, 0, settings, settings_len);

	encode_header_block(&block, req);
	p = (const uint8_t *)sb_buf_head(&block);
	left = block.len;
	while (first || left > 0) {
		size_t chunk = left < SBD_H2_DEFAULT_MAX_FRAME ? left : SBD_H2_DEFAULT_MAX_FRAME;
		uint8_t flags = chunk == left ? SBD_H2_FLAG_END_HEADERS : 0;

		if (first && req->body_len == 0)
			flags |= SBD_H2_FLAG_END_STREAM;
		append_frame(out, first ? SBD_H2_HEADERS : SBD_H2_CONTINUATION, flags,
		    REQUEST_STREAM, p, chunk);
		p += chunk;
		left -= chunk;
		first = false;
	}
	sb_buf_free(&block);

	p = req->body;
	left = req->body_len;
	while (left > 0) {
		size_t chunk = left < SBD_H2_DEFAULT_MAX_FRAME ? left : SBD_H2_DEFAULT_MAX_FRAME;

		append_frame(out, SBD_H2_DATA, chunk == left ? SBD_H2_FLAG_END_STREAM : 0,
		    REQUEST_STREAM, p, chunk);
		p += chunk;
		left -= chunk;
	}
	return 0;
}

/* -- after the 101 -- */

enum sbd_h2c_preface_result
sbd_h2c_preface_consume(struct sbd_h2c_preface *p, const uint8_t *in, size_t len, size_t *used)
{
	size_t want = SBD_H2_PREFACE_LEN - p->matched;
	size_t n = len < want ? len : want;

	*used = 0;
	if (want == 0)
		return SBD_H2C_PREFACE_DONE;
	if (n > 0 && memcmp(in, &SBD_H2_PREFACE[p->matched], n) != 0)
		return SBD_H2C_PREFACE_INVALID;
	p->matched += n;
	*used = n;
	return p->matched == SBD_H2_PREFACE_LEN ? SBD_H2C_PREFACE_DONE : SBD_H2C_PREFACE_NEED_MORE;
}

int
sbd_h2c_ack_filter_feed(struct sbd_h2c_ack_filter *f, const uint8_t *in, size_t len,
    struct sb_buf *out, const char **why)
{
	size_t pos = 0;

	while (pos < len && !f->dropped) {
		struct sbd_h2_frame_header h;
		size_t n;

		if (f->payload_left > 0) {
			n = len - pos < f->payload_left ? len - pos : f->payload_left;
			sb_buf_append(out, in + pos, n);
			f->payload_left -= (uint32_t)n;
			pos += n;
			continue;
		}
		n = SBD_H2_FRAME_HEADER_LEN - f->hdr_len;
		if (n > len - pos)
			n = len - pos;
		memcpy(f->hdr + f->hdr_len, in + pos, n);
		f->hdr_len += n;
		pos += n;
		if (!sbd_h2_frame_parse_header(f->hdr, f->hdr_len, &h))
			continue; /* the header is still split: hold it back */
		f->hdr_len = 0;
		if (h.type == SBD_H2_SETTINGS && (h.flags & SBD_H2_FLAG_ACK) != 0) {
			if (h.length != 0) {
				*why = "backend sent a SETTINGS ACK with a payload";
				return -1;
			}
			f->dropped = true;
			continue;
		}
		sb_buf_append(out, f->hdr, SBD_H2_FRAME_HEADER_LEN);
		f->payload_left = h.length;
	}
	if (pos < len)
		sb_buf_append(out, in + pos, len - pos);
	return 0;
}
