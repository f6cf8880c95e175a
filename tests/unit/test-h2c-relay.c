/* test-h2c-relay.c - what an h2c relay filters after the 101: the client's preface, one ACK */
#include <glib.h>
#include <string.h>

#include "sbd-h2c.h"

static void
append(GByteArray *b, const void *p, size_t n)
{
	g_byte_array_append(b, p, (guint)n);
}

static void
append_frame_header(GByteArray *b, size_t len, uint8_t type, uint8_t flags, uint32_t stream)
{
	uint8_t h[SBD_H2_FRAME_HEADER_LEN];

	sbd_h2_frame_write_header(h, (uint32_t)len, type, flags, stream);
	append(b, h, sizeof h);
}

/* Feeds an exact-size copy, so a read past n trips ASan. */
static int
feed(struct sbd_h2c_ack_filter *f, const uint8_t *p, size_t n, struct sb_buf *out)
{
	guint8 *copy = g_memdup2(p, n);
	const char *why = NULL;
	int r = sbd_h2c_ack_filter_feed(f, copy, n, out, &why);

	g_assert_true(r == 0 || why != NULL);
	g_free(copy);
	return r;
}

static void
test_preface_consume(void)
{
	static const char stream[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04";
	struct sbd_h2c_preface p = { 0 };
	size_t used;

	/* in pieces: 10, then 20 (the last 6 are frames) */
	g_assert_cmpint(sbd_h2c_preface_consume(&p, (const uint8_t *)stream, 10, &used), ==,
	    SBD_H2C_PREFACE_NEED_MORE);
	g_assert_cmpuint(used, ==, 10);
	g_assert_cmpint(sbd_h2c_preface_consume(&p, (const uint8_t *)stream + 10, 18, &used), ==,
	    SBD_H2C_PREFACE_DONE);
	g_assert_cmpuint(used, ==, 14);
	g_assert_cmpint(sbd_h2c_preface_consume(&p, (const uint8_t *)stream, 4, &used), ==,
	    SBD_H2C_PREFACE_DONE);
	g_assert_cmpuint(used, ==, 0);

	/* byte by byte, then a wrong byte */
	memset(&p, 0, sizeof p);
	for (size_t i = 0; i < 23; i++) {
		g_assert_cmpint(sbd_h2c_preface_consume(&p, (const uint8_t *)stream + i, 1, &used),
		    ==, SBD_H2C_PREFACE_NEED_MORE);
		g_assert_cmpuint(used, ==, 1);
	}
	g_assert_cmpint(sbd_h2c_preface_consume(&p, (const uint8_t *)"X", 1, &used), ==,
	    SBD_H2C_PREFACE_INVALID);
	memset(&p, 0, sizeof p);
	g_assert_cmpint(sbd_h2c_preface_consume(&p, (const uint8_t *)"GET / HTTP/1.1", 14, &used),
	    ==, SBD_H2C_PREFACE_INVALID);
	g_assert_cmpint(sbd_h2c_preface_consume(&p, NULL, 0, &used), ==,
	    SBD_H2C_PREFACE_NEED_MORE);
}

/* The backend's first bytes: its SETTINGS, two ACKs, WINDOW_UPDATE, a response. */
static void
backend_stream(GByteArray *in, GByteArray *want)
{
	static const uint8_t settings[6] = { 0x00, 0x03, 0x00, 0x00, 0x00, 0x80 };
	static const uint8_t wu[4] = { 0x00, 0x00, 0x80, 0x00 };
	static const uint8_t headers[4] = { 0x88, 0x0f, 0x10, 0x00 }; /* :status 200 ... */

	append_frame_header(in, 6, SBD_H2_SETTINGS, 0, 0);
	append(in, settings, 6);
	g_byte_array_append(want, in->data, in->len);
	append_frame_header(in, 0, SBD_H2_SETTINGS, SBD_H2_FLAG_ACK, 0); /* dropped */
	append_frame_header(in, 0, SBD_H2_SETTINGS, SBD_H2_FLAG_ACK, 0);
	append_frame_header(want, 0, SBD_H2_SETTINGS, SBD_H2_FLAG_ACK, 0);
	append_frame_header(in, 4, SBD_H2_WINDOW_UPDATE, 0, 0);
	append(in, wu, 4);
	append_frame_header(want, 4, SBD_H2_WINDOW_UPDATE, 0, 0);
	append(want, wu, 4);
	append_frame_header(in, 4, SBD_H2_HEADERS, SBD_H2_FLAG_END_HEADERS, 1);
	append(in, headers, 4);
	append_frame_header(want, 4, SBD_H2_HEADERS, SBD_H2_FLAG_END_HEADERS, 1);
	append(want, headers, 4);
}

static void
test_ack_filter(void)
{
	GByteArray *in = g_byte_array_new(), *want = g_byte_array_new();

	backend_stream(in, want);
	/* whole, byte by byte, and in every two-piece split */
	for (size_t split = 0; split <= in->len + 1; split++) {
		struct sbd_h2c_ack_filter f = { 0 };
		struct sb_buf out = SB_BUF_INIT;

		if (split == in->len + 1) {
			for (size_t i = 0; i < in->len; i++)
				g_assert_cmpint(feed(&f, in->data + i, 1, &out), ==, 0);
		} else {
			g_assert_cmpint(feed(&f, in->data, split, &out), ==, 0);
			g_assert_cmpint(feed(&f, in->data + split, in->len - split, &out), ==, 0);
		}
		g_assert_true(f.dropped);
		g_assert_cmpmem(sb_buf_head(&out), out.len, want->data, want->len);
		sb_buf_free(&out);
	}
	/* a held-back partial header stays out of the output until it completes */
	{
		struct sbd_h2c_ack_filter f = { 0 };
		struct sb_buf out = SB_BUF_INIT;

		g_assert_cmpint(feed(&f, in->data, 5, &out), ==, 0);
		g_assert_cmpuint(out.len, ==, 0);
		sb_buf_free(&out);
	}
	g_byte_array_unref(in);
	g_byte_array_unref(want);
}

static void
test_ack_filter_bad_ack(void)
{
	GByteArray *in = g_byte_array_new();
	struct sbd_h2c_ack_filter f = { 0 };
	struct sb_buf out = SB_BUF_INIT;
	const char *why = NULL;

	append_frame_header(in, 6, SBD_H2_SETTINGS, SBD_H2_FLAG_ACK, 0);
	append(in, "\0\0\0\0\0\0", 6);
	g_assert_cmpint(sbd_h2c_ack_filter_feed(&f, in->data, in->len, &out, &why), ==, -1);
	g_assert_nonnull(strstr(why, "payload"));
	sb_buf_free(&out);
	g_byte_array_unref(in);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/h2c-relay/preface", test_preface_consume);
	g_test_add_func("/h2c-relay/ack-filter/drops-one", test_ack_filter);
	g_test_add_func("/h2c-relay/ack-filter/bad-ack", test_ack_filter_bad_ack);
	return g_test_run();
}
