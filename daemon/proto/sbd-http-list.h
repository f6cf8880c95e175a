/* sbd-http-list.h - HTTP's comma-separated header lists (RFC 9110 §5.6.1), an element at a time */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Optional whitespace: a space or a tab. */
static inline bool
sbd_is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * The next non-empty element of the list at *cursor, without its surrounding
 * whitespace: *elem and *len, and *cursor moved past it. False at the end.
 */
static inline bool
sbd_list_next(const char **cursor, const char **elem, size_t *len)
{
	const char *p = *cursor, *end;

	while (sbd_is_ows(*p) || *p == ',')
		p++;
	if (*p == '\0')
		return false;
	*elem = p;
	while (*p != '\0' && *p != ',')
		p++;
	*cursor = p;
	for (end = p; sbd_is_ows(end[-1]); end--)
		;
	*len = (size_t)(end - *elem);
	return true;
}
