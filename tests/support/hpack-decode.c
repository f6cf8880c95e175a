/* hpack-decode.c - the tests' HPACK decoder: every representation, a bounded table, no Huffman */
#include "hpack-decode.h"

#include <stdlib.h>
#include <string.h>

#include "sb-alloc.h"
#include "sbd-hpack.h"

/* RFC 7541 §4.1: each entry costs its name, its value and 32 bytes */
#define ENTRY_OVERHEAD 32
/* a 32-bit value after an 8-bit prefix needs at most 5 continuation bytes */
#define INT_MAX_CONTINUATIONS 5


struct table_entry {
	char *name; /* one allocation: name bytes, then value bytes */
	size_t name_len;
	const char *value;
	size_t value_len;
};

struct hpack_decoder {
	struct table_entry *entries; /* newest first: entries[0] is index 62 */
	size_t count;
	size_t cap;
	size_t size;         /* §4.1 size of the entries */
	size_t max_size;     /* the limit in force, after size updates */
	size_t settings_max; /* the ceiling size updates may not pass */
};

struct hpack_decoder *
hpack_decoder_new(size_t max_table_size)
{
	struct hpack_decoder *d = sb_xcalloc(1, sizeof *d);

	d->max_size = d->settings_max = max_table_size;
	/* every entry costs at least ENTRY_OVERHEAD, which bounds the count */
	d->cap = max_table_size / ENTRY_OVERHEAD;
	if (d->cap > 0)
		d->entries = sb_xcalloc(d->cap, sizeof *d->entries);
	return d;
}

void
hpack_decoder_free(struct hpack_decoder *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->count; i++)
		free(d->entries[i].name);
	free(d->entries);
	free(d);
}

size_t
hpack_decoder_table_count(const struct hpack_decoder *d)
{
	return d->count;
}

size_t
hpack_decoder_table_size(const struct hpack_decoder *d)
{
	return d->size;
}

static void
table_evict_to(struct hpack_decoder *d, size_t limit)
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
table_add(struct hpack_decoder *d, const char *name, size_t name_len, const char *value,
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

static enum hpack_status
table_lookup(const struct hpack_decoder *d, uint32_t index, struct field *f, const char **why)
{
	if (index == 0) {
		*why = "index 0 is not valid";
		return HPACK_INVALID;
	}
	if (index <= SBD_HPACK_STATIC_COUNT) {
		const struct sbd_hpack_static_entry *s = &sbd_hpack_static_table[index - 1];

		f->name = s->name;
		f->name_len = strlen(s->name);
		f->value = s->value;
		f->value_len = strlen(s->value);
		return HPACK_OK;
	}
	if (index - SBD_HPACK_STATIC_COUNT > d->count) {
		*why = "index beyond the static and dynamic tables";
		return HPACK_INVALID;
	}
	const struct table_entry *e = &d->entries[index - SBD_HPACK_STATIC_COUNT - 1];

	f->name = e->name;
	f->name_len = e->name_len;
	f->value = e->value;
	f->value_len = e->value_len;
	return HPACK_OK;
}

enum hpack_status
hpack_decode_int(const uint8_t *p, size_t len, unsigned prefix_bits, uint32_t *value,
    size_t *used)
{
	uint64_t max = (1u << prefix_bits) - 1;
	uint64_t v;
	unsigned shift = 0;

	if (len == 0)
		return HPACK_TRUNCATED;
	v = p[0] & max;
	if (v < max) {
		*value = (uint32_t)v;
		*used = 1;
		return HPACK_OK;
	}
	for (size_t i = 1;; i++) {
		if (i > INT_MAX_CONTINUATIONS)
			return HPACK_INVALID;
		if (i >= len)
			return HPACK_TRUNCATED;
		v += (uint64_t)(p[i] & 0x7f) << shift;
		shift += 7;
		if (v > HPACK_INT_MAX)
			return HPACK_INVALID;
		if ((p[i] & 0x80) == 0) {
			*value = (uint32_t)v;
			*used = i + 1;
			return HPACK_OK;
		}
	}
}

struct reader {
	const uint8_t *p;
	size_t len;
	size_t pos;
	const char *why;
};

static enum hpack_status
read_int(struct reader *r, unsigned prefix_bits, uint32_t *value)
{
	size_t used = 0;
	enum hpack_status st =
	    hpack_decode_int(r->p + r->pos, r->len - r->pos, prefix_bits, value, &used);

	if (st == HPACK_TRUNCATED)
		r->why = "block ends inside an integer";
	else if (st == HPACK_INVALID)
		r->why = "integer too large";
	r->pos += used;
	return st;
}

static enum hpack_status
read_string(struct reader *r, const char **s, size_t *len)
{
	enum hpack_status st;
	uint32_t n;

	if (r->pos < r->len && (r->p[r->pos] & 0x80) != 0) {
		r->why = "Huffman-coded strings are not supported";
		return HPACK_HUFFMAN;
	}
	st = read_int(r, 7, &n);
	if (st != HPACK_OK)
		return st;
	if (n > r->len - r->pos) {
		r->why = "block ends inside a string";
		return HPACK_TRUNCATED;
	}
	*s = (const char *)r->p + r->pos;
	*len = n;
	r->pos += n;
	return HPACK_OK;
}

/* §6.2: a literal whose name is indexed (index != 0) or follows as a string. */
static enum hpack_status
read_literal(struct hpack_decoder *d, struct reader *r, unsigned prefix_bits,
    struct field *f)
{
	enum hpack_status st;
	uint32_t index;

	st = read_int(r, prefix_bits, &index);
	if (st != HPACK_OK)
		return st;
	if (index != 0) {
		st = table_lookup(d, index, f, &r->why);
	} else {
		st = read_string(r, &f->name, &f->name_len);
	}
	if (st != HPACK_OK)
		return st;
	return read_string(r, &f->value, &f->value_len);
}

enum hpack_status
hpack_decode(struct hpack_decoder *d, const uint8_t *block, size_t len,
    hpack_field_cb *on_field, void *user, const char **why)
{
	struct reader r = { block, len, 0, NULL };
	enum hpack_status st = HPACK_OK;
	bool field_seen = false;

	while (st == HPACK_OK && r.pos < r.len) {
		uint8_t b = block[r.pos];
		struct field f = { 0 };
		uint32_t n;

		if (b & 0x80) { /* §6.1 indexed field */
			st = read_int(&r, 7, &n);
			if (st == HPACK_OK)
				st = table_lookup(d, n, &f, &r.why);
		} else if (b & 0x40) { /* §6.2.1 literal with incremental indexing */
			st = read_literal(d, &r, 6, &f);
		} else if (b & 0x20) { /* §6.3 dynamic table size update */
			st = read_int(&r, 5, &n);
			if (st != HPACK_OK)
				break;
			if (field_seen) {
				r.why = "table size update after a field";
				st = HPACK_INVALID;
			} else if (n > d->settings_max) {
				r.why = "table size update above the announced size";
				st = HPACK_INVALID;
			} else {
				d->max_size = n;
				table_evict_to(d, n);
			}
			continue;
		} else { /* §6.2.2 without indexing, §6.2.3 never indexed */
			st = read_literal(d, &r, 4, &f);
		}
		if (st != HPACK_OK)
			break;
		field_seen = true;
		on_field(user, f.name, f.name_len, f.value, f.value_len);
		if ((b & 0xc0) == 0x40)
			table_add(d, f.name, f.name_len, f.value, f.value_len);
	}
	if (st != HPACK_OK && why != NULL)
		*why = r.why;
	return st;
}
