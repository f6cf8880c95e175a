/* sbd-hpack.h - HPACK (RFC 7541): a literal-only encoder and a small bounded decoder
 *
 * The encoder writes only "literal header field without indexing" (RFC 7541
 * §6.2.2), with the name either from the static table or as a literal, and
 * never Huffman-codes: what it writes leaves the peer's dynamic table as it
 * was, so a connection can be handed over to another encoder afterwards (the
 * h2c replay of stream 1).
 *
 * The decoder understands every representation with a dynamic table bounded by
 * the caller, but not Huffman-coded strings, which it refuses with
 * SBD_HPACK_HUFFMAN. It is meant for tests and test backends.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sb-buf.h"

/* Entries in the static table (RFC 7541 Appendix A): indices 1..61. */
#define SBD_HPACK_STATIC_COUNT 61
/* The default and largest dynamic table size a decoder accepts unless told otherwise. */
#define SBD_HPACK_DEFAULT_TABLE_SIZE 4096
/* Decoded integers above this are refused (RFC 7541 §5.1 lets decoders limit them). */
#define SBD_HPACK_INT_MAX 0xffffffffu

/* -- encoder -- */

/*
 * Appends value as an HPACK integer with an N-bit prefix (RFC 7541 §5.1),
 * 1 <= prefix_bits <= 8. high_bits are OR-ed into the first byte above the
 * prefix (the representation's pattern, e.g. 0x40); bits inside the prefix
 * must be zero.
 */
void sbd_hpack_encode_int(struct sb_buf *out, uint8_t high_bits, unsigned prefix_bits,
    uint64_t value);

/* Appends a string literal (§5.2): H=0, a 7-bit-prefix length, the raw bytes. */
void sbd_hpack_encode_string(struct sb_buf *out, const char *s, size_t len);

/* Appends "literal without indexing, new name" (§6.2.2, first byte 0x00). */
void sbd_hpack_encode_literal_new_name(struct sb_buf *out, const char *name, size_t name_len,
    const char *value, size_t value_len);

/*
 * Appends "literal without indexing, indexed name" (§6.2.2, pattern 0000 and a
 * 4-bit prefix index); index names a static table entry (1..61).
 */
void sbd_hpack_encode_literal_indexed_name(struct sb_buf *out, uint32_t index,
    const char *value, size_t value_len);

/*
 * The lowest static table index whose name is exactly name[0..len) (names are
 * lower case, pseudo-headers included: ":path" -> 4), or 0 when none.
 */
uint32_t sbd_hpack_static_name_index(const char *name, size_t len);

/*
 * Appends one header field as a literal without indexing: with the static
 * table's index for its name when there is one, else with a literal name.
 * The name is written as given; HTTP/2 needs it in lower case.
 */
void sbd_hpack_encode_field(struct sb_buf *out, const char *name, size_t name_len,
    const char *value, size_t value_len);

/* -- decoder -- */

enum sbd_hpack_status {
	SBD_HPACK_OK,
	SBD_HPACK_TRUNCATED, /* the block ends inside a representation */
	SBD_HPACK_INVALID,   /* a bad index, an over-long integer, a size update out of place... */
	SBD_HPACK_HUFFMAN,   /* a Huffman-coded string: not supported by this decoder */
};

/*
 * Called once per decoded field, in order. The pointers are valid only during
 * the call; the strings are not NUL-terminated and may hold any byte.
 */
typedef void sbd_hpack_field_cb(void *user, const char *name, size_t name_len,
    const char *value, size_t value_len);

struct sbd_hpack_decoder;

/*
 * A decoder whose dynamic table may grow to max_table_size bytes (RFC 7541
 * §4.1 sizes: name + value + 32 per entry): the SETTINGS_HEADER_TABLE_SIZE the
 * decoding side announced (SBD_HPACK_DEFAULT_TABLE_SIZE if none). Size updates
 * in a block may lower the size, never raise it past max_table_size.
 */
struct sbd_hpack_decoder *sbd_hpack_decoder_new(size_t max_table_size);
void sbd_hpack_decoder_free(struct sbd_hpack_decoder *d);

/* Current dynamic table: entries and their size in RFC 7541 §4.1 bytes. */
size_t sbd_hpack_decoder_table_count(const struct sbd_hpack_decoder *d);
size_t sbd_hpack_decoder_table_size(const struct sbd_hpack_decoder *d);

/*
 * Decodes one complete header block (the HEADERS payload plus its
 * CONTINUATIONs, padding and priority removed) and calls on_field for each
 * field. Reads only block[0..len). Returns SBD_HPACK_OK, or another status with
 * *why (if why is not NULL) pointing at a static explanation; after an error the
 * decoder's table is out of step with the encoder's and the connection must end
 * (COMPRESSION_ERROR). Fields already reported stay reported.
 */
enum sbd_hpack_status sbd_hpack_decode(struct sbd_hpack_decoder *d, const uint8_t *block,
    size_t len, sbd_hpack_field_cb *on_field, void *user, const char **why);

/*
 * Decodes one integer with an N-bit prefix (1..8) from p[0..len): *value and
 * *used (bytes read) on SBD_HPACK_OK; SBD_HPACK_TRUNCATED when p ends inside
 * it, SBD_HPACK_INVALID above SBD_HPACK_INT_MAX or past 5 continuation bytes.
 */
enum sbd_hpack_status sbd_hpack_decode_int(const uint8_t *p, size_t len, unsigned prefix_bits,
    uint32_t *value, size_t *used);
