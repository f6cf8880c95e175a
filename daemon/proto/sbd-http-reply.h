/* sbd-http-reply.h - an HTTP/1.x response head, as an auth service answers: status and headers
 *
 * Pure functions over the bytes read so far; nothing is allocated.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define SBD_REPLY_HEAD_MAX 16384 /* a longer head is refused */

/*
 * The length of the head (through its blank line) with *status (100..599),
 * 0 while it is not complete, or -1 with *why (static) when it cannot be one:
 * no "HTTP/1.x NNN" status line, a NUL or bare CR, a head over
 * SBD_REPLY_HEAD_MAX.
 *
 * Incremental: buf is what was read so far, only ever appended to, and
 * *scanned where the previous call left off (0 the first time); the search
 * goes on from there, so a head that comes a byte at a time costs its length,
 * not its square. The answer is the one a single call over buf would give.
 */
long sbd_http_reply_head(const char *buf, size_t len, size_t *scanned, int *status,
    const char **why);

/*
 * The value of the first header field name (case-insensitive) in a complete
 * head, without surrounding whitespace, into out (cap bytes with its NUL).
 * False when absent, too long or holding control characters.
 */
bool sbd_http_reply_header(const char *head, size_t len, const char *name, char *out, size_t cap);
