/* sbd-hex.h - hexadecimal digits: their values for the parsers that decode %XX and hex
 * text, and bytes written as lowercase hex */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* 0..15, or -1 when c is not a hexadecimal digit (either case). */
static inline int
sbd_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* n bytes as 2 * n lowercase hex digits and a NUL in out (2 * n + 1 bytes). */
static inline void
sbd_hex_encode(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}
