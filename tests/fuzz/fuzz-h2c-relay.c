/*
 * fuzz-h2c-relay.c - libFuzzer target: the filters an h2c relay runs after the 101.
 *
 * Input: two bytes of split point (big-endian, modulo the stream's length + 1),
 * then a byte stream. As the backend's bytes, it goes through the SETTINGS ACK
 * filter whole, in two pieces cut at the split point, and (when short) a byte
 * at a time; each piece is its own heap copy. All runs must agree with each
 * other and with a model that walks the frames: the output is the input less
 * the first SETTINGS ACK's 9 bytes, or, with no ACK yet, less a partial frame
 * header held back at the end; an ACK with a payload fails. As the
 * client's bytes, it goes through the preface consumer whole and in two pieces,
 * which must agree too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb-buf.h"
#include "sbd-h2c.h"
#include "fuzz-check.h"

#define BYTEWISE_MAX 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct run {
	struct sbd_h2c_ack_filter f;
	struct sb_buf out;
	int failed;
};

static void
feed(struct run *r, const uint8_t *p, size_t n)
{
	const char *why = NULL;
	uint8_t *copy;

	if (r->failed)
		return;
	copy = malloc(n > 0 ? n : 1);
	memcpy(copy, p, n);
	if (sbd_h2c_ack_filter_feed(&r->f, copy, n, &r->out, &why) != 0) {
		check(why != NULL, "failure without a reason");
		r->failed = 1;
	}
	free(copy);
}

static void
check_same(const struct run *a, const struct run *b)
{
	check(a->failed == b->failed, "runs disagree on failure");
	if (a->failed)
		return;
	check(a->f.dropped == b->f.dropped, "runs disagree on the drop");
	check(a->out.len == b->out.len &&
		  (a->out.len == 0 || memcmp(sb_buf_head(&a->out), sb_buf_head(&b->out),
					  a->out.len) == 0),
	    "runs disagree on the output");
}

/* A model of the filter over the whole input: walk the frames to the first SETTINGS ACK. */
static void
check_output(const struct run *r, const uint8_t *in, size_t len)
{
	const uint8_t *out = (const uint8_t *)sb_buf_head(&r->out);
	struct sbd_h2_frame_header h;
	size_t pos = 0;

	while (sbd_h2_frame_parse_header(in + pos, len - pos, &h)) {
		if (h.type == SBD_H2_SETTINGS && (h.flags & SBD_H2_FLAG_ACK) != 0) {
			if (h.length != 0) {
				check(r->failed, "ACK with a payload accepted");
				return;
			}
			check(!r->failed && r->f.dropped, "ACK not dropped");
			check(r->out.len == len - SBD_H2_FRAME_HEADER_LEN,
			    "drop is not one header");
			check(memcmp(out, in, pos) == 0, "bytes before the drop changed");
			check(memcmp(out + pos, in + pos + SBD_H2_FRAME_HEADER_LEN,
				  len - pos - SBD_H2_FRAME_HEADER_LEN) == 0,
			    "bytes after the drop changed");
			return;
		}
		if (h.length >= len - pos - SBD_H2_FRAME_HEADER_LEN) {
			pos = len; /* the input ends inside this frame's payload */
			break;
		}
		pos += SBD_H2_FRAME_HEADER_LEN + h.length;
	}
	/* no ACK: all passes but a partial frame header at the end */
	check(!r->failed && !r->f.dropped, "drop without an ACK");
	check(r->out.len == pos && r->f.hdr_len == len - pos, "held-back bytes");
	check(pos == 0 || memcmp(out, in, pos) == 0, "bytes changed");
}

static void
check_preface(const uint8_t *in, size_t len, size_t split)
{
	struct sbd_h2c_preface whole = { 0 }, parts = { 0 };
	size_t used_whole = 0, used1 = 0, used2 = 0;
	enum sbd_h2c_preface_result rw, r1, r2;

	rw = sbd_h2c_preface_consume(&whole, in, len, &used_whole);
	r1 = sbd_h2c_preface_consume(&parts, in, split, &used1);
	if (r1 == SBD_H2C_PREFACE_INVALID) {
		check(rw == SBD_H2C_PREFACE_INVALID, "preface: a part fails, the whole does not");
		return;
	}
	r2 = sbd_h2c_preface_consume(&parts, in + used1, len - used1, &used2);
	check(r2 == rw, "preface: whole and parts disagree");
	if (rw == SBD_H2C_PREFACE_DONE) {
		check(used_whole == SBD_H2_PREFACE_LEN && used1 + used2 == SBD_H2_PREFACE_LEN,
		    "preface: wrong length consumed");
		check(memcmp(in, SBD_H2_PREFACE, SBD_H2_PREFACE_LEN) == 0,
		    "preface: accepted junk");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run whole = { 0 }, two = { 0 }, bytes = { 0 };
	const uint8_t *in;
	size_t len, split;

	if (size < 2)
		return 0;
	in = data + 2;
	len = size - 2;
	split = ((size_t)data[0] << 8 | data[1]) % (len + 1);

	feed(&whole, in, len);
	check_output(&whole, in, len);
	feed(&two, in, split);
	feed(&two, in + split, len - split);
	check_same(&whole, &two);
	if (len <= BYTEWISE_MAX) {
		for (size_t i = 0; i < len; i++)
			feed(&bytes, in + i, 1);
		check_same(&whole, &bytes);
	}
	sb_buf_free(&whole.out);
	sb_buf_free(&two.out);
	sb_buf_free(&bytes.out);
	check_preface(in, len, split);
	return 0;
}
