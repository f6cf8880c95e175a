/* sb-escape.c - \xNN for control characters and bytes that are not UTF-8 */
#include "sb-escape.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sb-alloc.h"

#define ESCAPE_LEN 4 /* \xNN */

/*
 * The length of the valid UTF-8 character at s (s[0] is not NUL and not
 * ASCII), or 0 when s does not start one: no overlong forms, no surrogates,
 * nothing past U+10FFFF (RFC 3629). *cp gets the code point.
 */
static size_t
utf8_char(const uint8_t *s, uint32_t *cp)
{
	size_t len;
	uint32_t c, min;

	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2, c = s[0] & 0x1f, min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3, c = s[0] & 0x0f, min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4, c = s[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0; /* also stops at the terminating NUL */
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* How many bytes at s to take as they are (0: escape s[0]); *len the bytes looked at. */
static size_t
plain_run(const uint8_t *s, size_t *len)
{
	uint32_t cp;

	if (s[0] < 0x80) {
		*len = 1;
		return s[0] >= 0x20 && s[0] != 0x7f;
	}
	*len = utf8_char(s, &cp);
	if (*len == 0) {
		*len = 1;
		return 0;
	}
	return cp >= 0x80 && cp <= 0x9f ? 0 : *len;
}

bool
sb_escape_text(char *out, size_t outlen, const char *in)
{
	const uint8_t *s = (const uint8_t *)in;
	size_t used = 0;

	while (*s != '\0') {
		size_t len, keep = plain_run(s, &len);
		size_t need = keep ? keep : len * ESCAPE_LEN;

		if (used + need >= outlen) {
			out[used] = '\0';
			return false;
		}
		if (keep) {
			memcpy(out + used, s, keep);
			used += keep;
		} else {
			for (size_t i = 0; i < len; i++) {
				snprintf(out + used, ESCAPE_LEN + 1, "\\x%02x", s[i]);
				used += ESCAPE_LEN;
			}
		}
		s += len;
	}
	out[used] = '\0';
	return true;
}

char *
sb_escape_text_dup(const char *in)
{
	size_t outlen = strlen(in) * ESCAPE_LEN + 1;
	char *out = sb_xmalloc(outlen);

	sb_escape_text(out, outlen, in);
	return out;
}
