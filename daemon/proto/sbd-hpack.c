/* sbd-hpack.c - HPACK literal encoder and bounded decoder (no Huffman) */
#include "sbd-hpack.h"

#include <stdlib.h>
#include <string.h>

#include "sb-alloc.h"

/* RFC 7541 §4.1: each entry costs its name, its value and 32 bytes */
#define ENTRY_OVERHEAD 32
/* a 32-bit value after an 8-bit prefix needs at most 5 continuation bytes */
#define INT_MAX_CONTINUATIONS 5

struct static_entry {
	const char *name;
	const char *value;
};

/* RFC 7541 Appendix A; index i + 1 */
static const struct static_entry static_table[SBD_HPACK_STATIC_COUNT] = {
	{ ":authority", "" },
	{ ":method", "GET" },
	{ ":method", "POST" },
	{ ":path", "/" },
	{ ":path", "/index.html" },
	{ ":scheme", "http" },
	{ ":scheme", "https" },
	{ ":status", "200" },
	{ ":status", "204" },
	{ ":status", "206" },
	{ ":status", "304" },
	{ ":status", "400" },
	{ ":status", "404" },
	{ ":status", "500" },
	{ "accept-charset", "" },
	{ "accept-encoding", "gzip, deflate" },
	{ "accept-language", "" },
	{ "accept-ranges", "" },
	{ "accept", "" },
	{ "access-control-allow-origin", "" },
	{ "age", "" },
	{ "allow", "" },
	{ "authorization", "" },
	{ "cache-control", "" },
	{ "content-disposition", "" },
	{ "content-encoding", "" },
	{ "content-language", "" },
	{ "content-length", "" },
	{ "content-location", "" },
	{ "content-range", "" },
	{ "content-type", "" },
	{ "cookie", "" },
	{ "date", "" },
	{ "etag", "" },
	{ "expect", "" },
	{ "expires", "" },
	{ "from", "" },
	{ "host", "" },
	{ "if-match", "" },
	{ "if-modified-since", "" },
	{ "if-none-match", "" },
	{ "if-range", "" },
	{ "if-unmodified-since", "" },
	{ "last-modified", "" },
	{ "link", "" },
	{ "location", "" },
	{ "max-forwards", "" },
	{ "proxy-authenticate", "" },
	{ "proxy-authorization", "" },
	{ "range", "" },
	{ "referer", "" },
	{ "refresh", "" },
	{ "retry-after", "" },
	{ "server", "" },
	{ "set-cookie", "" },
	{ "strict-transport-security", "" },
	{ "transfer-encoding", "" },
	{ "user-agent", "" },
	{ "vary", "" },
	{ "via", "" },
	{ "www-authenticate", "" },
};

/* -- encoder -- */

void
sbd_hpack_encode_int(struct sb_buf *out, uint8_t high_bits, unsigned prefix_bits, uint64_t value)
{
	uint8_t bytes[16]; /* 1 + ceil(64 / 7) at most */
	uint64_t max = (1u << prefix_bits) - 1;
	size_t n = 0;

	if (value < max) {
		bytes[n++] = (uint8_t)(high_bits | value);
	} else {
		bytes[n++] = (uint8_t)(high_bits | max);
		value -= max;
		while (value >= 128) {
			bytes[n++] = (uint8_t)(value % 128 + 128);
			value /= 128;
		}
		bytes[n++] = (uint8_t)value;
	}
	sb_buf_append(out, bytes, n);
}

void
sbd_hpack_encode_string(struct sb_buf *out, const char *s, size_t len)
{
	sbd_hpack_encode_int(out, 0x00, 7, len);
	sb_buf_append(out, s, len);
}

void
sbd_hpack_encode_literal_new_name(struct sb_buf *out, const char *name, size_t name_len,
    const char *value, size_t value_len)
{
	sb_buf_append(out, "\0", 1);
	sbd_hpack_encode_string(out, name, name_len);
	sbd_hpack_encode_string(out, value, value_len);
}

void
sbd_hpack_encode_literal_indexed_name(struct sb_buf *out, uint32_t index, const char *value,
    size_t value_len)
{
	sbd_hpack_encode_int(out, 0x00, 4, index);
	sbd_hpack_encode_string(out, value, value_len);
}

uint32_t
sbd_hpack_static_name_index(const char *name, size_t len)
{
	for (uint32_t i = 0; i < SBD_HPACK_STATIC_COUNT; i++) {
		const char *s = static_table[i].name;

		if (strlen(s) == len && memcmp(s, name, len) == 0)
			return i + 1;
	}
	return 0;
}

void
sbd_hpack_encode_field(struct sb_buf *out, const char *name, size_t name_len, const char *value,
    size_t value_len)
{
	uint32_t index = sbd_hpack_static_name_index(name, name_len);

	if (index != 0)
		sbd_hpack_encode_literal_indexed_name(out, index, value, value_len);
	else
		sbd_hpack_encode_literal_new_name(out, name, name_len, value, value_len);
}

/* -- decoder -- */

struct table_entry {
	char *name; /* one allocation: name bytes, then value bytes */
	size_t name_len;
	const char *value;
	size_t value_len;
};

struct sbd_hpack_decoder {
	struct table_entry *entries; /* newest first: entries[0] is index 62 */
	size_t count;
	size_t cap;
	size_t size;         /* §4.1 size of the entries */
	size_t max_size;     /* the limit in force, after size updates */
	size_t settings_max; /* the ceiling size updates may not pass */
};

struct sbd_hpack_decoder *
sbd_hpack_decoder_new(size_t max_table_size)
{
	struct sbd_hpack_decoder *d = sb_xcalloc(1, sizeof *d);

	d->max_size = d->settings_max = max_table_size;
	/* every entry costs at least ENTRY_OVERHEAD, which bounds the count */
	d->cap = max_table_size / ENTRY_OVERHEAD;
	if (d->cap > 0)
		d->entries = sb_xcalloc(d->cap, sizeof *d->entries);
	return d;
}

void
sbd_hpack_decoder_free(struct sbd_hpack_decoder *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->count; i++)
		free(d->entries[i].name);
	free(d->entries);
	free(d);
}

size_t
sbd_hpack_decoder_table_count(const struct sbd_hpack_decoder *d)
{
	return d->count;
}

size_t
sbd_hpack_decoder_table_size(const struct sbd_hpack_decoder *d)
{
	return d->size;
}

static void
table_evict_to(struct sbd_hpack_decoder *d, size_t limit)
{
	while (d->size > limit) {
		struct table_entry *e = &d->entries[--d->count];

		d->size -= e->name_len + e->value_len + ENTRY_OVERHEAD;
		free(e->name);
		e->name = NULL;
	}
}

/* §4.4: evict for room, then insert at the front; an entry larger than the table empties it. */
static void
table_add(struct sbd_hpack_decoder *d, const char *name, size_t name_len, const char *value,
    size_t value_len)
{
	size_t esize = name_len + value_len + ENTRY_OVERHEAD;
	struct table_entry e;

	if (esize > d->max_size) {
		table_evict_to(d, 0);
		return;
	}
	/* copy first: name may point into an entry about to be evicted */
	e.name = sb_xmalloc(name_len + value_len + 1);
	memcpy(e.name, name, name_len);
	memcpy(e.name + name_len, value, value_len);
	e.name_len = name_len;
	e.value = e.name + name_len;
	e.value_len = value_len;
	table_evict_to(d, d->max_size - esize);
	memmove(d->entries + 1, d->entries, d->count * sizeof *d->entries);
	d->entries[0] = e;
	d->count++;
	d->size += esize;
}

struct field {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
};

static enum sbd_hpack_status
table_lookup(const struct sbd_hpack_decoder *d, uint32_t index, struct field *f, const char **why)
{
	if (index == 0) {
		*why = "index 0 is not valid";
		return SBD_HPACK_INVALID;
	}
	if (index <= SBD_HPACK_STATIC_COUNT) {
		const struct static_entry *s = &static_table[index - 1];

		f->name = s->name;
		f->name_len = strlen(s->name);
		f->value = s->value;
		f->value_len = strlen(s->value);
		return SBD_HPACK_OK;
	}
	if (index - SBD_HPACK_STATIC_COUNT > d->count) {
		*why = "index beyond the static and dynamic tables";
		return SBD_HPACK_INVALID;
	}
	const struct table_entry *e = &d->entries[index - SBD_HPACK_STATIC_COUNT - 1];

	f->name = e->name;
	f->name_len = e->name_len;
	f->value = e->value;
	f->value_len = e->value_len;
	return SBD_HPACK_OK;
}

enum sbd_hpack_status
sbd_hpack_decode_int(const uint8_t *p, size_t len, unsigned prefix_bits, uint32_t *value,
    size_t *used)
{
	uint64_t max = (1u << prefix_bits) - 1;
	uint64_t v;
	unsigned shift = 0;

	if (len == 0)
		return SBD_HPACK_TRUNCATED;
	v = p[0] & max;
	if (v < max) {
		*value = (uint32_t)v;
		*used = 1;
		return SBD_HPACK_OK;
	}
	for (size_t i = 1;; i++) {
		if (i > INT_MAX_CONTINUATIONS)
			return SBD_HPACK_INVALID;
		if (i >= len)
			return SBD_HPACK_TRUNCATED;
		v += (uint64_t)(p[i] & 0x7f) << shift;
		shift += 7;
		if (v > SBD_HPACK_INT_MAX)
			return SBD_HPACK_INVALID;
		if ((p[i] & 0x80) == 0) {
			*value = (uint32_t)v;
			*used = i + 1;
			return SBD_HPACK_OK;
		}
	}
}

struct reader {
	const uint8_t *p;
	size_t len;
	size_t pos;
	const char *why;
};

static enum sbd_hpack_status
read_int(struct reader *r, unsigned prefix_bits, uint32_t *value)
{
	size_t used = 0;
	enum sbd_hpack_status st =
	    sbd_hpack_decode_int(r->p + r->pos, r->len - r->pos, prefix_bits, value, &used);

	if (st == SBD_HPACK_TRUNCATED)
		r->why = "block ends inside an integer";
	else if (st == SBD_HPACK_INVALID)
		r->why = "integer too large";
	r->pos += used;
	return st;
}

static enum sbd_hpack_status
read_string(struct reader *r, const char **s, size_t *len)
{
	enum sbd_hpack_status st;
	uint32_t n;

	if (r->pos < r->len && (r->p[r->pos] & 0x80) != 0) {
		r->why = "Huffman-coded strings are not supported";
		return SBD_HPACK_HUFFMAN;
	}
	st = read_int(r, 7, &n);
	if (st != SBD_HPACK_OK)
		return st;
	if (n > r->len - r->pos) {
		r->why = "block ends inside a string";
		return SBD_HPACK_TRUNCATED;
	}
	*s = (const char *)r->p + r->pos;
	*len = n;
	r->pos += n;
	return SBD_HPACK_OK;
}

/* §6.2: a literal whose name is indexed (index != 0) or follows as a string. */
static enum sbd_hpack_status
read_literal(struct sbd_hpack_decoder *d, struct reader *r, unsigned prefix_bits,
    struct field *f)
{
	enum sbd_hpack_status st;
	uint32_t index;

	st = read_int(r, prefix_bits, &index);
	if (st != SBD_HPACK_OK)
		return st;
	if (index != 0) {
		st = table_lookup(d, index, f, &r->why);
	} else {
		st = read_string(r, &f->name, &f->name_len);
	}
	if (st != SBD_HPACK_OK)
		return st;
	return read_string(r, &f->value, &f->value_len);
}

enum sbd_hpack_status
sbd_hpack_decode(struct sbd_hpack_decoder *d, const uint8_t *block, size_t len,
    sbd_hpack_field_cb *on_field, void *user, const char **why)
{
	struct reader r = { block, len, 0, NULL };
	enum sbd_hpack_status st = SBD_HPACK_OK;
	bool field_seen = false;

	while (st == SBD_HPACK_OK && r.pos < r.len) {
		uint8_t b = block[r.pos];
		struct field f = { 0 };
		uint32_t n;

		if (b & 0x80) { /* §6.1 indexed field */
			st = read_int(&r, 7, &n);
			if (st == SBD_HPACK_OK)
				st = table_lookup(d, n, &f, &r.why);
		} else if (b & 0x40) { /* §6.2.1 literal with incremental indexing */
			st = read_literal(d, &r, 6, &f);
		} else if (b & 0x20) { /* §6.3 dynamic table size update */
			st = read_int(&r, 5, &n);
			if (st != SBD_HPACK_OK)
				break;
			if (field_seen) {
				r.why = "table size update after a field";
				st = SBD_HPACK_INVALID;
			} else if (n > d->settings_max) {
				r.why = "table size update above the announced size";
				st = SBD_HPACK_INVALID;
			} else {
				d->max_size = n;
				table_evict_to(d, n);
			}
			continue;
		} else { /* §6.2.2 without indexing, §6.2.3 never indexed */
			st = read_literal(d, &r, 4, &f);
		}
		if (st != SBD_HPACK_OK)
			break;
		field_seen = true;
		on_field(user, f.name, f.name_len, f.value, f.value_len);
		if ((b & 0xc0) == 0x40)
			table_add(d, f.name, f.name_len, f.value, f.value_len);
	}
	if (st != SBD_HPACK_OK && why != NULL)
		*why = r.why;
	return st;
}
