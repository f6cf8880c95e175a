/* sb-escape.h - text from the wire made safe for one line of a log or an answer's body */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/*
 * Copies in to out (outlen > 0 bytes, always terminated) with every control
 * character written as \xNN: the C0 controls (a line feed, ESC...), DEL, the
 * C1 controls U+0080..U+009F (each of their two bytes), and every byte that is
 * not part of valid UTF-8. Other text, backslashes included, is copied as it
 * is, so escaping twice changes nothing. Cuts only between characters or
 * escapes; returns false when it had to cut.
 */
bool sb_escape_text(char *out, size_t outlen, const char *in);
/* The same into a string of its own; free() it. */
char *sb_escape_text_dup(const char *in);
