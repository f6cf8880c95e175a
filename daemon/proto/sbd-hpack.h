/* sbd-hpack.h - HPACK (RFC 7541): a literal-only encoder and the static table
 *
 * The encoder writes only "literal header field without indexing" (RFC 7541
 * §6.2.2), with the name either from the static table or as a literal, and
 * never Huffman-codes: what it writes leaves the peer's dynamic table as it
 * was, so a connection can be handed over to another encoder afterwards (the
 * h2c replay of stream 1). The daemon decodes no HPACK; the tests' decoder is
 * tests/support/hpack-decode.h.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sb-buf.h"

/* Entries in the static table (RFC 7541 Appendix A): indices 1..61. */
#define SBD_HPACK_STATIC_COUNT 61

struct sbd_hpack_static_entry {
	const char *name;
	const char *value; /* "" when the entry has a name only */
};

/* RFC 7541 Appendix A: index i (1..61) is sbd_hpack_static_table[i - 1]. */
extern const struct sbd_hpack_static_entry sbd_hpack_static_table[SBD_HPACK_STATIC_COUNT];

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
