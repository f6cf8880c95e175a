/* sbd-http-head.c - request head scan, target path, header fields: pure, fuzzed */
#include "sbd-http-head.h"
#include "sbd-hex.h"

#include <stdlib.h>
#include <string.h>

#include "sb-alloc.h"

enum {
	LEAD,     /* before the request line: empty lines are skipped (RFC 9112 §2.2) */
	LEAD_CR,
	LINE,     /* inside a line */
	LINE_CR,
	START,    /* at the start of a header line, or of the empty line that ends the head */
	END_CR,
};

void
sbd_head_scan_init(struct sbd_head_scan *s)
{
	*s = (struct sbd_head_scan){ .state = LEAD };
}

static size_t
flaw(struct sbd_head_scan *s, const char *why, size_t used)
{
	s->flaw = why;
	s->done = true;
	return used;
}

size_t
sbd_head_scan_feed(struct sbd_head_scan *s, const uint8_t *in, size_t len)
{
	size_t i;

	if (s->done)
		return 0;
	for (i = 0; i < len; i++) {
		uint8_t c = in[i];

		switch (s->state) {
		case LEAD:
			s->state = c == '\r' ? LEAD_CR : c == '\n' ? LEAD : LINE;
			break;
		case LINE:
			s->state = c == '\r' ? LINE_CR : c == '\n' ? START : LINE;
			break;
		case LEAD_CR:
		case LINE_CR:
		case END_CR:
			if (c != '\n')
				return flaw(s, "a bare CR in the request head", i + 1);
			if (s->state == END_CR) {
				s->done = true;
				return i + 1;
			}
			s->state = s->state == LEAD_CR ? LEAD : START;
			break;
		case START:
			if (c == ' ' || c == '\t')
				return flaw(s, "an obs-fold line continuation in the request head", i + 1);
			if (c == '\n') {
				s->done = true;
				return i + 1;
			}
			s->state = c == '\r' ? END_CR : LINE;
			break;
		}
	}
	return i;
}

/* Whether the decoded path holds a segment "." or "..". */
static bool
has_dot_segment(const char *path)
{
	for (const char *seg = path; seg != NULL; seg = strchr(seg, '/')) {
		size_t n;

		if (*seg == '/')
			seg++;
		n = strcspn(seg, "/");
		if ((n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
			return true;
		if (seg[n] == '\0')
			break;
	}
	return false;
}

char *
sbd_target_path(const char *target, const char **why)
{
	size_t len;
	char *path;
	size_t out = 0;

	/*
	 * origin-form "/x", asterisk-form "*", or absolute-form, which a server
	 * must accept (RFC 9112 §3.2.2): its path is what follows the authority.
	 */
	if (target[0] != '/' && target[0] != '\0' && target[0] != '?' && strcmp(target, "*") != 0) {
		const char *sep = strstr(target, "://");

		if (sep == NULL || sep == target || strspn(target, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.") != (size_t)(sep - target)) {
			*why = "the request target is not a path";
			return NULL;
		}
		target = sep + 3 + strcspn(sep + 3, "/?#");
		if (target[0] != '/')
			target = "/";
	}
	len = strcspn(target, "?#");
	path = sb_xmalloc(len + 1);

	for (size_t i = 0; i < len; i++) {
		int hi, lo;

		if (target[i] != '%') {
			path[out++] = target[i];
			continue;
		}
		if (i + 2 >= len || (hi = sbd_hex_digit(target[i + 1])) < 0 ||
		    (lo = sbd_hex_digit(target[i + 2])) < 0) {
			*why = "a malformed %-escape in the path";
			goto refuse;
		}
		path[out] = (char)(hi << 4 | lo);
		if (path[out] == '/') {
			*why = "an encoded / in the path";
			goto refuse;
		}
		if (path[out] == '\0') {
			*why = "an encoded NUL in the path";
			goto refuse;
		}
		out++;
		i += 2;
	}
	path[out] = '\0';
	if (out == 0) {
		*why = "no path in the request target";
		goto refuse;
	}
	if (has_dot_segment(path)) {
		*why = "a dot-segment (/./ or /../) in the path";
		goto refuse;
	}
	return path;

refuse:
	free(path);
	return NULL;
}

bool
sbd_path_has_prefix(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	if (strncmp(path, prefix, n) != 0)
		return false;
	return path[n] == '\0' || path[n] == '/' || (n > 0 && prefix[n - 1] == '/');
}

/* RFC 9110 §5.6.2: tchar. */
static bool
is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

bool
sbd_field_is_valid(const char *name, const char *value)
{
	if (name == NULL || name[0] == '\0')
		return false;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (!is_tchar(*p))
			return false;
	for (const unsigned char *p = (const unsigned char *)(value ? value : ""); *p; p++)
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return false;
	return true;
}
