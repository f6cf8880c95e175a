/* hpack-decode.h - a bounded HPACK decoder (RFC 7541) for the tests
 *
 * It understands every representation with a dynamic table bounded by the
 * caller, but not Huffman-coded strings, which it refuses with HPACK_HUFFMAN:
 * enough to read back what the daemon's literal-only encoder writes
 * (sbd-hpack.h), and to be fuzzed against it. The daemon itself decodes no HPACK.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* The default and largest dynamic table size a decoder accepts unless told otherwise. */
#define HPACK_DEFAULT_TABLE_SIZE 4096
/* Decoded integers above this are refused (RFC 7541 §5.1 lets decoders limit them). */
#define HPACK_INT_MAX 0xffffffffu

enum hpack_status {
	HPACK_OK,
	HPACK_TRUNCATED, /* the block ends inside a representation */
	HPACK_INVALID,   /* a bad index, an over-long integer, a size update out of place... */
	HPACK_HUFFMAN,   /* a Huffman-coded string: not supported by this decoder */
};

/*
 * Called once per decoded field, in order. The pointers are valid only during
 * the call; the strings are not NUL-terminated and may hold any byte.
 */
typedef void hpack_field_cb(void *user, const char *name, size_t name_len, const char *value,
    size_t value_len);

struct hpack_decoder;

/*
 * A decoder whose dynamic table may grow to max_table_size bytes (RFC 7541
 * §4.1 sizes: name + value + 32 per entry): the SETTINGS_HEADER_TABLE_SIZE the
 * decoding side announced (HPACK_DEFAULT_TABLE_SIZE if none). Size updates
 * in a block may lower the size, never raise it past max_table_size.
 */
struct hpack_decoder *hpack_decoder_new(size_t max_table_size);
void hpack_decoder_free(struct hpack_decoder *d);

/* Current dynamic table: entries and their size in RFC 7541 §4.1 bytes. */
size_t hpack_decoder_table_count(const struct hpack_decoder *d);
size_t hpack_decoder_table_size(const struct hpack_decoder *d);

/*
 * Decodes one complete header block (the HEADERS payload plus its
 * CONTINUATIONs, padding and priority removed) and calls on_field for each
 * field. Reads only block[0..len). Returns HPACK_OK, or another status with
 * *why (if why is not NULL) pointing at a static explanation; after an error the
 * decoder's table is out of step with the encoder's and the connection must end
 * (COMPRESSION_ERROR). Fields already reported stay reported.
 */
enum hpack_status hpack_decode(struct hpack_decoder *d, const uint8_t *block, size_t len,
    hpack_field_cb *on_field, void *user, const char **why);

/*
 * Decodes one integer with an N-bit prefix (1..8) from p[0..len): *value and
 * *used (bytes read) on HPACK_OK; HPACK_TRUNCATED when p ends inside it,
 * HPACK_INVALID above HPACK_INT_MAX or past 5 continuation bytes.
 */
enum hpack_status hpack_decode_int(const uint8_t *p, size_t len, unsigned prefix_bits,
    uint32_t *value, size_t *used);
