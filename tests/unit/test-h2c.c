/* test-h2c.c - HTTP2-Settings decoding, the stream-1 preamble and frame headers */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "hpack-decode.h"
#include "sbd-h2c.h"

/* base64url without padding, as clients send it */
static char *
b64url(const uint8_t *p, size_t len)
{
	char *s = g_base64_encode(p, len);

	for (char *c = s; *c != '\0'; c++) {
		if (*c == '+')
			*c = '-';
		else if (*c == '/')
			*c = '_';
		else if (*c == '=')
			*c = '\0';
	}
	return s;
}

static int
decode(const char *text, uint8_t **payload, size_t *len, const char **why)
{
	*why = NULL;
	return sbd_h2c_decode_settings(text, payload, len, why);
}

static void
test_settings_curl(void)
{
	static const uint8_t want[18] = {
		0x00, 0x03, 0x00, 0x00, 0x00, 0x64, /* MAX_CONCURRENT_STREAMS 100 */
		0x00, 0x04, 0x40, 0x00, 0x00, 0x00, /* INITIAL_WINDOW_SIZE 2^30 */
		0x00, 0x02, 0x00, 0x00, 0x00, 0x00, /* ENABLE_PUSH 0 */
	};
	uint8_t *payload = NULL;
	size_t len = 0;
	const char *why;

	g_assert_cmpint(decode("AAMAAABkAARAAAAAAAIAAAAA", &payload, &len, &why), ==, 0);
	g_assert_null(why);
	g_assert_cmpmem(payload, len, want, sizeof want);
	free(payload);

	/* an empty value is an empty SETTINGS */
	payload = (uint8_t *)"x";
	g_assert_cmpint(decode("", &payload, &len, &why), ==, 0);
	g_assert_null(payload);
	g_assert_cmpuint(len, ==, 0);
}

static void
test_settings_alphabet(void)
{
	/* an unknown id (ignored) whose bytes encode to '-' and '_' */
	static const uint8_t raw[6] = { 0xfb, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t *payload = NULL;
	size_t len = 0;
	const char *why;

	g_assert_cmpint(decode("-_______", &payload, &len, &why), ==, 0);
	g_assert_cmpmem(payload, len, raw, sizeof raw);
	free(payload);
	/* the standard alphabet's '+' and '/' are refused */
	g_assert_cmpint(decode("+///////", &payload, &len, &why), ==, -1);
	g_assert_nonnull(strstr(why, "not base64url"));
	g_assert_null(payload);
	g_assert_cmpuint(len, ==, 0);
}

static void
test_settings_bad_syntax(void)
{
	static const struct {
		const char *text;
		const char *why;
	} cases[] = {
		{ "AAMAAABkAARA AAAAAAIAAAAA", "not base64url" },
		{ " AAMAAABk", "not base64url" },
		{ "AAMAAABk\n", "not base64url" },
		{ "AAMA.ABk", "not base64url" },
		{ "AAMAA", "not possible" },
		{ "A", "not possible" },
		{ "AAMAAABkAARAAAAAAAIAAAA", "multiple of 6" }, /* 17 bytes */
		{ "AAMAAA", "multiple of 6" },
		{ "AAMAAA==", "multiple of 6" }, /* padding is tolerated, 4 bytes are not */
		{ "AAMAAABk=", "padding" },
		{ "AAMAAABk==", "padding" },
		{ "AAM===", "padding" },
		{ "=", "padding" },
		{ "AA=A", "not base64url" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		uint8_t *payload = NULL;
		size_t len = 5;
		const char *why;

		g_assert_cmpint(decode(cases[i].text, &payload, &len, &why), ==, -1);
		g_assert_null(payload);
		g_assert_cmpuint(len, ==, 0);
		if (why == NULL || strstr(why, cases[i].why) == NULL)
			g_error("\"%s\": why \"%s\", expected \"%s\"", cases[i].text, why,
			    cases[i].why);
	}
}

static void
test_settings_values(void)
{
	static const struct {
		uint16_t id;
		uint32_t value;
		const char *why; /* NULL: accepted */
	} cases[] = {
		{ 0x1, 0xffffffffu, NULL },
		{ 0x2, 0, NULL },
		{ 0x2, 1, NULL },
		{ 0x2, 2, "ENABLE_PUSH" },
		{ 0x3, 0, NULL },
		{ 0x4, 0, NULL },
		{ 0x4, 0x7fffffffu, NULL },
		{ 0x4, 0x80000000u, "INITIAL_WINDOW_SIZE" },
		{ 0x5, 16383, "MAX_FRAME_SIZE" },
		{ 0x5, 16384, NULL },
		{ 0x5, 16777215, NULL },
		{ 0x5, 16777216, "MAX_FRAME_SIZE" },
		{ 0x6, 0, NULL },
		{ 0x8, 1, NULL },
		{ 0x8, 2, "ENABLE_CONNECT_PROTOCOL" },
		{ 0x9, 1, NULL },
		{ 0x9, 7, "NO_RFC7540_PRIORITIES" },
		{ 0x0, 12345, NULL },
		{ 0x7, 99, NULL },
		{ 0xffff, 99, NULL },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		/* the setting under test after a harmless one, so every position is checked */
		uint8_t raw[12] = { 0x00, 0x03, 0x00, 0x00, 0x00, 0x64 };
		uint8_t *payload = NULL;
		size_t len = 0;
		const char *why;
		char *text;

		raw[6] = (uint8_t)(cases[i].id >> 8);
		raw[7] = (uint8_t)cases[i].id;
		raw[8] = (uint8_t)(cases[i].value >> 24);
		raw[9] = (uint8_t)(cases[i].value >> 16);
		raw[10] = (uint8_t)(cases[i].value >> 8);
		raw[11] = (uint8_t)cases[i].value;
		text = b64url(raw, sizeof raw);
		if (cases[i].why == NULL) {
			g_assert_cmpint(decode(text, &payload, &len, &why), ==, 0);
			g_assert_cmpmem(payload, len, raw, sizeof raw);
		} else {
			g_assert_cmpint(decode(text, &payload, &len, &why), ==, -1);
			g_assert_null(payload);
			g_assert_nonnull(strstr(why, cases[i].why));
		}
		free(payload);
		g_free(text);
	}
}

static void
test_settings_size_limit(void)
{
	uint8_t *raw = g_malloc0(SBD_H2C_SETTINGS_MAX + 6);
	uint8_t *payload = NULL;
	size_t len = 0;
	const char *why;
	char *text;

	/* 2730 settings (16380 bytes) fit one frame; 2731 do not */
	text = b64url(raw, 16380);
	g_assert_cmpint(decode(text, &payload, &len, &why), ==, 0);
	g_assert_cmpuint(len, ==, 16380);
	free(payload);
	g_free(text);
	text = b64url(raw, 16386);
	g_assert_cmpint(decode(text, &payload, &len, &why), ==, -1);
	g_assert_nonnull(strstr(why, "16384"));
	g_free(text);
	g_free(raw);
}

static void
test_frame_header(void)
{
	uint8_t h[SBD_H2_FRAME_HEADER_LEN];
	struct sbd_h2_frame_header f = { 0 };

	sbd_h2_frame_write_header(h, 0x123456, SBD_H2_HEADERS, 0x25, 0x7fffffff);
	g_assert_cmpmem(h, sizeof h, "\x12\x34\x56\x01\x25\x7f\xff\xff\xff", 9);
	g_assert_false(sbd_h2_frame_parse_header(h, 8, &f));
	g_assert_cmpuint(f.length, ==, 0);
	g_assert_true(sbd_h2_frame_parse_header(h, 9, &f));
	g_assert_cmpuint(f.length, ==, 0x123456);
	g_assert_cmpuint(f.type, ==, SBD_H2_HEADERS);
	g_assert_cmpuint(f.flags, ==, 0x25);
	g_assert_cmpuint(f.stream_id, ==, 0x7fffffff);
	/* the reserved bit is not part of the stream id */
	h[5] = 0x80;
	h[6] = h[7] = 0;
	h[8] = 3;
	g_assert_true(sbd_h2_frame_parse_header(h, 9, &f));
	g_assert_cmpuint(f.stream_id, ==, 3);
	/* a SETTINGS ACK */
	g_assert_true(sbd_h2_frame_parse_header((const uint8_t *)"\0\0\0\x04\x01\0\0\0\0", 9, &f));
	g_assert_cmpuint(f.type, ==, SBD_H2_SETTINGS);
	g_assert_cmpuint(f.flags & SBD_H2_FLAG_ACK, ==, SBD_H2_FLAG_ACK);
	g_assert_cmpuint(f.length, ==, 0);
	g_assert_cmpuint(f.stream_id, ==, 0);
}

static void
append(GByteArray *b, const void *p, size_t n)
{
	g_byte_array_append(b, p, (guint)n);
}

/* an HPACK string literal, short enough for a one-byte length */
static void
append_str(GByteArray *b, const char *s)
{
	uint8_t n = (uint8_t)strlen(s);

	g_assert_cmpuint(strlen(s), <, 127);
	append(b, &n, 1);
	append(b, s, n);
}

static void
append_frame_header(GByteArray *b, size_t len, uint8_t type, uint8_t flags, uint32_t stream)
{
	uint8_t h[9] = {
		(uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len, type, flags,
		(uint8_t)(stream >> 24), (uint8_t)(stream >> 16), (uint8_t)(stream >> 8),
		(uint8_t)stream,
	};

	append(b, h, 9);
}

static const uint8_t curl_settings[18] = {
	0x00, 0x03, 0x00, 0x00, 0x00, 0x64, 0x00, 0x04, 0x40, 0x00, 0x00, 0x00,
	0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
};

/* What curl --http2 sends, plus every kind of hop-by-hop header. */
static const struct sbd_h2c_header get_headers[] = {
	{ "Host", "example.org:8080" },
	{ "User-Agent", "curl/8.0" },
	{ "Accept", "*/*" },
	{ "Connection", "Upgrade, HTTP2-Settings, X-Hop" },
	{ "Upgrade", "h2c" },
	{ "HTTP2-Settings", "AAMAAABkAARAAAAAAAIAAAAA" },
	{ "X-Custom", "Yes" },
	{ "Keep-Alive", "timeout=5" },
	{ "Proxy-Connection", "keep-alive" },
	{ "X-Hop", "dropped: Connection names it" },
	{ "TE", " Trailers " },
	{ "Transfer-Encoding", "chunked" },
};

static void
test_preamble_get(void)
{
	struct sbd_h2c_request req = {
		.method = "GET",
		.path = "/index?x=1",
		.authority = "example.org:8080",
		.headers = get_headers,
		.n_headers = G_N_ELEMENTS(get_headers),
	};
	struct sb_buf out = SB_BUF_INIT;
	GByteArray *want = g_byte_array_new(), *block = g_byte_array_new();

	/* the header block, written out by hand */
	append(block, "\x02", 1), append_str(block, "GET");                /* :method, name 2 */
	append(block, "\x06", 1), append_str(block, "http");               /* :scheme, name 6 */
	append(block, "\x01", 1), append_str(block, "example.org:8080");   /* :authority, 1 */
	append(block, "\x04", 1), append_str(block, "/index?x=1");         /* :path, name 4 */
	append(block, "\x0f\x2b", 2), append_str(block, "curl/8.0");       /* user-agent, 58 */
	append(block, "\x0f\x04", 2), append_str(block, "*/*");            /* accept, 19 */
	append(block, "\x00", 1), append_str(block, "x-custom"), append_str(block, "Yes");
	append(block, "\x00", 1), append_str(block, "te"), append_str(block, "trailers");

	append(want, SBD_H2_PREFACE, SBD_H2_PREFACE_LEN);
	append_frame_header(want, sizeof curl_settings, SBD_H2_SETTINGS, 0, 0);
	append(want, curl_settings, sizeof curl_settings);
	append_frame_header(want, block->len, SBD_H2_HEADERS,
	    SBD_H2_FLAG_END_HEADERS | SBD_H2_FLAG_END_STREAM, 1);
	append(want, block->data, block->len);

	g_assert_cmpint(sbd_h2c_build_preamble(&out, curl_settings, sizeof curl_settings, &req), ==,
	    0);
	g_assert_cmpmem(sb_buf_head(&out), out.len, want->data, want->len);
	g_assert_cmpmem(sb_buf_head(&out), 24, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24);
	sb_buf_free(&out);

	/* no Host: no :authority; a te other than trailers is dropped; an empty SETTINGS */
	{
		static const struct sbd_h2c_header h[] = { { "TE", "gzip, trailers" } };
		static const uint8_t want2[] = {
			0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, /* SETTINGS, empty */
			0x00, 0x00, 0x0e, 0x01, 0x05, 0x00, 0x00, 0x00, 0x01, /* HEADERS */
			0x02, 0x03, 'G', 'E', 'T', 0x06, 0x04, 'h', 't', 't', 'p', 0x04, 0x01, '*',
		};
		struct sbd_h2c_request r2 = { .method = "GET", .path = "*", .headers = h,
			.n_headers = 1 };

		g_assert_cmpint(sbd_h2c_build_preamble(&out, NULL, 0, &r2), ==, 0);
		g_assert_cmpmem(sb_buf_head(&out) + 24, out.len - 24, want2, sizeof want2);
		sb_buf_free(&out);
	}
	g_byte_array_unref(block);
	g_byte_array_unref(want);
}

/* Walks the frames after the preface and the SETTINGS frame. */
struct frame {
	struct sbd_h2_frame_header h;
	const uint8_t *payload;
};

static GArray *
split_frames(const struct sb_buf *out, size_t skip)
{
	GArray *frames = g_array_new(FALSE, FALSE, sizeof(struct frame));
	const uint8_t *p = (const uint8_t *)sb_buf_head(out) + skip;
	size_t left = out->len - skip;

	while (left > 0) {
		struct frame f;

		g_assert_true(sbd_h2_frame_parse_header(p, left, &f.h));
		g_assert_cmpuint(left - 9, >=, f.h.length);
		g_assert_cmpuint(f.h.length, <=, SBD_H2_DEFAULT_MAX_FRAME);
		f.payload = p + 9;
		g_array_append_val(frames, f);
		p += 9 + f.h.length;
		left -= 9 + f.h.length;
	}
	return frames;
}

static void
on_field(void *user, const char *name, size_t name_len, const char *value, size_t value_len)
{
	GString *s = user;

	g_string_append_len(s, name, (gssize)name_len);
	g_string_append(s, ": ");
	g_string_append_len(s, value, (gssize)value_len);
	g_string_append_c(s, '\n');
}

static char *
decode_block(const GByteArray *block)
{
	struct hpack_decoder *d = hpack_decoder_new(HPACK_DEFAULT_TABLE_SIZE);
	GString *s = g_string_new(NULL);

	g_assert_cmpint(hpack_decode(d, block->data, block->len, on_field, s, NULL), ==,
	    HPACK_OK);
	g_assert_cmpuint(hpack_decoder_table_count(d), ==, 0);
	hpack_decoder_free(d);
	return g_string_free(s, FALSE);
}

static void
test_preamble_post_40k(void)
{
	static const struct sbd_h2c_header h[] = {
		{ "Host", "127.0.0.1" },
		{ "Content-Type", "application/octet-stream" },
		{ "Content-Length", "40960" },
		{ "Connection", "Upgrade, HTTP2-Settings" },
		{ "Upgrade", "h2c" },
		{ "HTTP2-Settings", "AAMAAABkAARAAAAAAAIAAAAA" },
	};
	uint8_t *body = g_malloc(40960);
	struct sbd_h2c_request req = {
		.method = "POST", .path = "/upload", .authority = "127.0.0.1",
		.headers = h, .n_headers = G_N_ELEMENTS(h), .body = body, .body_len = 40960,
	};
	static const size_t data_len[3] = { 16384, 16384, 8192 };
	struct sb_buf out = SB_BUF_INIT;
	GByteArray *block = g_byte_array_new();
	GArray *frames;
	char *fields;

	for (size_t i = 0; i < 40960; i++)
		body[i] = (uint8_t)(i * 7 + i / 256);
	g_assert_cmpint(sbd_h2c_build_preamble(&out, curl_settings, 18, &req), ==, 0);
	frames = split_frames(&out, 24);
	g_assert_cmpuint(frames->len, ==, 5);
	/* SETTINGS, HEADERS without END_STREAM, then DATA 16384 + 16384 + 8192 */
	g_assert_cmpuint(g_array_index(frames, struct frame, 0).h.type, ==, SBD_H2_SETTINGS);
	g_assert_cmpmem(g_array_index(frames, struct frame, 0).payload, 18, curl_settings, 18);
	g_assert_cmpuint(g_array_index(frames, struct frame, 1).h.type, ==, SBD_H2_HEADERS);
	g_assert_cmpuint(g_array_index(frames, struct frame, 1).h.flags, ==,
	    SBD_H2_FLAG_END_HEADERS);
	g_assert_cmpuint(g_array_index(frames, struct frame, 1).h.stream_id, ==, 1);
	append(block, g_array_index(frames, struct frame, 1).payload,
	    g_array_index(frames, struct frame, 1).h.length);
	fields = decode_block(block);
	g_assert_cmpstr(fields, ==,
	    ":method: POST\n:scheme: http\n:authority: 127.0.0.1\n:path: /upload\n"
	    "content-type: application/octet-stream\ncontent-length: 40960\n");
	for (size_t i = 0; i < 3; i++) {
		const struct frame *f = &g_array_index(frames, struct frame, 2 + i);

		g_assert_cmpuint(f->h.type, ==, SBD_H2_DATA);
		g_assert_cmpuint(f->h.stream_id, ==, 1);
		g_assert_cmpuint(f->h.length, ==, data_len[i]);
		g_assert_cmpuint(f->h.flags, ==, i == 2 ? SBD_H2_FLAG_END_STREAM : 0);
		g_assert_cmpmem(f->payload, f->h.length, body + 16384 * i, data_len[i]);
	}
	g_free(fields);
	g_array_unref(frames);
	g_byte_array_unref(block);
	sb_buf_free(&out);
	g_free(body);
}

/* A header block over 16384 bytes continues in CONTINUATION frames. */
static void
test_preamble_continuation(void)
{
	char *big = g_malloc(40000);
	struct sbd_h2c_header h[] = { { "X-Big", big } };
	struct sbd_h2c_request req = {
		.method = "GET", .path = "/", .authority = "a", .headers = h, .n_headers = 1,
	};

	memset(big, 'b', 39999);
	big[39999] = '\0';
	for (int with_body = 0; with_body < 2; with_body++) {
		struct sb_buf out = SB_BUF_INIT;
		GByteArray *block = g_byte_array_new();
		GArray *frames;
		char *fields, *want;

		req.body = with_body ? (const uint8_t *)"hello" : NULL;
		req.body_len = with_body ? 5 : 0;
		g_assert_cmpint(sbd_h2c_build_preamble(&out, NULL, 0, &req), ==, 0);
		frames = split_frames(&out, 24);
		g_assert_cmpuint(frames->len, ==, (guint)(4 + with_body));
		for (guint i = 1; i < 4; i++) {
			const struct frame *f = &g_array_index(frames, struct frame, i);
			uint8_t flags = i == 3 ? SBD_H2_FLAG_END_HEADERS : 0;

			if (i == 1 && !with_body)
				flags |= SBD_H2_FLAG_END_STREAM;
			g_assert_cmpuint(f->h.type, ==,
			    i == 1 ? SBD_H2_HEADERS : SBD_H2_CONTINUATION);
			g_assert_cmpuint(f->h.flags, ==, flags);
			g_assert_cmpuint(f->h.stream_id, ==, 1);
			if (i < 3)
				g_assert_cmpuint(f->h.length, ==, 16384);
			append(block, f->payload, f->h.length);
		}
		if (with_body) {
			const struct frame *f = &g_array_index(frames, struct frame, 4);

			g_assert_cmpuint(f->h.type, ==, SBD_H2_DATA);
			g_assert_cmpuint(f->h.flags, ==, SBD_H2_FLAG_END_STREAM);
			g_assert_cmpmem(f->payload, f->h.length, "hello", 5);
		}
		fields = decode_block(block);
		want = g_strdup_printf(":method: GET\n:scheme: http\n:authority: a\n:path: /\n"
				       "x-big: %s\n", big);
		g_assert_cmpstr(fields, ==, want);
		g_free(want);
		g_free(fields);
		g_array_unref(frames);
		g_byte_array_unref(block);
		sb_buf_free(&out);
	}
	g_free(big);
}

static void
test_preamble_refused(void)
{
	struct sbd_h2c_request req = { .method = "POST", .path = "/", .authority = "a" };
	uint8_t *body = g_malloc0(SBD_H2C_BODY_MAX + 1);
	struct sb_buf out = SB_BUF_INIT;

	req.body = body;
	req.body_len = SBD_H2C_BODY_MAX + 1;
	g_assert_cmpint(sbd_h2c_build_preamble(&out, NULL, 0, &req), ==, -1);
	g_assert_cmpuint(out.len, ==, 0);
	req.body_len = SBD_H2C_BODY_MAX;
	g_assert_cmpint(sbd_h2c_build_preamble(&out, NULL, 0, &req), ==, 0);
	sb_buf_free(&out);
	req.body_len = 0;
	g_assert_cmpint(sbd_h2c_build_preamble(&out, body, 7, &req), ==, -1);
	g_assert_cmpint(sbd_h2c_build_preamble(&out, body, SBD_H2C_SETTINGS_MAX + 6, &req), ==, -1);
	g_assert_cmpuint(out.len, ==, 0);
	g_free(body);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/h2c/settings/curl", test_settings_curl);
	g_test_add_func("/h2c/settings/alphabet", test_settings_alphabet);
	g_test_add_func("/h2c/settings/bad-syntax", test_settings_bad_syntax);
	g_test_add_func("/h2c/settings/values", test_settings_values);
	g_test_add_func("/h2c/settings/size-limit", test_settings_size_limit);
	g_test_add_func("/h2c/frame-header", test_frame_header);
	g_test_add_func("/h2c/preamble/get", test_preamble_get);
	g_test_add_func("/h2c/preamble/post-40k", test_preamble_post_40k);
	g_test_add_func("/h2c/preamble/continuation", test_preamble_continuation);
	g_test_add_func("/h2c/preamble/refused", test_preamble_refused);
	return g_test_run();
}
