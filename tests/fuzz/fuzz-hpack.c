/*
 * fuzz-hpack.c - libFuzzer target: the HPACK decoder and the literal encoder.
 *
 * Input: two bytes of announced table size (big-endian, 0..65535), then a
 * header block, decoded twice by one decoder so the second pass meets the
 * dynamic table the first one left. Invariants: the table never grows past
 * the announced size; every field handed out is readable for its length;
 * each decoded field, re-encoded as a literal without indexing, decodes back
 * to itself with a fresh decoder whose table stays empty.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hpack-decode.h"
#include "sb-buf.h"
#include "sbd-hpack.h"
#include "fuzz-check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct expect {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
	int seen;
};

static void
on_echo(void *user, const char *name, size_t name_len, const char *value, size_t value_len)
{
	struct expect *e = user;

	check(!e->seen, "one field came back as several");
	check(name_len == e->name_len && memcmp(name, e->name, name_len) == 0 &&
		  value_len == e->value_len && memcmp(value, e->value, value_len) == 0,
	    "re-encoded field decodes differently");
	e->seen = 1;
}

static void
on_field(void *user, const char *name, size_t name_len, const char *value, size_t value_len)
{
	struct expect e = { name, name_len, value, value_len, 0 };
	struct hpack_decoder *fresh = hpack_decoder_new(0);
	struct sb_buf b = SB_BUF_INIT;

	(void)user;
	sbd_hpack_encode_field(&b, name, name_len, value, value_len);
	check(hpack_decode(fresh, (const uint8_t *)sb_buf_head(&b), b.len, on_echo, &e,
		  NULL) == HPACK_OK && e.seen,
	    "re-encoded field does not decode");
	check(hpack_decoder_table_count(fresh) == 0, "literal touched the table");
	sb_buf_free(&b);
	hpack_decoder_free(fresh);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hpack_decoder *d;
	size_t max;

	if (size < 2)
		return 0;
	max = (size_t)data[0] << 8 | data[1];
	d = hpack_decoder_new(max);
	for (int pass = 0; pass < 2; pass++) {
		const char *why = NULL;
		enum hpack_status st = hpack_decode(d, data + 2, size - 2, on_field, NULL,
		    &why);

		check(st == HPACK_OK || why != NULL, "error without a reason");
		check(hpack_decoder_table_size(d) <= max, "table past its size");
		check(hpack_decoder_table_count(d) * 32 <= hpack_decoder_table_size(d),
		    "entry count and size disagree");
	}
	hpack_decoder_free(d);
	return 0;
}
