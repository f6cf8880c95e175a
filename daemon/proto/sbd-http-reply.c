/* sbd-http-reply.c - a response head: the status line, then one header at a time */
#include "sbd-http-reply.h"

#include <string.h>
#include <strings.h>

long
sbd_http_reply_head(const char *buf, size_t len, size_t *scanned, int *status,
    const char **why)
{
	size_t scan = len < SBD_REPLY_HEAD_MAX ? len : SBD_REPLY_HEAD_MAX;
	size_t end = 0, i;

	*status = 0;
	for (i = *scanned < scan ? *scanned : scan; i < scan; i++) {
		if (buf[i] == '\0' || (buf[i] == '\r' && i + 1 < len && buf[i + 1] != '\n')) {
			*why = "the answer holds a NUL or a bare CR";
			return -1;
		}
		if (buf[i] == '\n' && i >= 3 && memcmp(buf + i - 3, "\r\n\r\n", 4) == 0) {
			end = i + 1;
			break;
		}
		if (buf[i] == '\n' && i >= 1 && memcmp(buf + i - 1, "\n\n", 2) == 0) {
			end = i + 1;
			break;
		}
	}
	/* a CR last is judged (bare or not) once the byte after it is read */
	*scanned = i > 0 && i == len && buf[i - 1] == '\r' ? i - 1 : i;
	if (end == 0) {
		if (len >= SBD_REPLY_HEAD_MAX) {
			*why = "the answer's head is longer than 16 KiB";
			return -1;
		}
		if (len >= 5 && memcmp(buf, "HTTP/", 5) != 0) {
			*why = "the answer is not HTTP";
			return -1;
		}
		return 0;
	}
	if (end < 13 || memcmp(buf, "HTTP/1.", 7) != 0 || (buf[7] != '0' && buf[7] != '1') ||
	    buf[8] != ' ' || buf[9] < '1' || buf[9] > '5' || buf[10] < '0' || buf[10] > '9' ||
	    buf[11] < '0' || buf[11] > '9' || (buf[12] != ' ' && buf[12] != '\r' &&
	    buf[12] != '\n')) {
		*why = "the answer has no HTTP/1.x status line";
		return -1;
	}
	*status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
	return (long)end;
}

bool
sbd_http_reply_header(const char *head, size_t len, const char *name, char *out, size_t cap)
{
	size_t nlen = strlen(name);
	const char *p = memchr(head, '\n', len);
	const char *end = head + len;

	while (p != NULL && p + 1 < end) {
		const char *line = p + 1;
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		const char *v, *ve;

		if (eol == NULL)
			break;
		p = eol;
		if ((size_t)(eol - line) <= nlen || line[nlen] != ':' ||
		    strncasecmp(line, name, nlen) != 0)
			continue;
		v = line + nlen + 1;
		ve = eol;
		while (v < ve && (*v == ' ' || *v == '\t'))
			v++;
		while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		if ((size_t)(ve - v) >= cap)
			return false;
		for (const char *c = v; c < ve; c++) {
			if ((unsigned char)*c < 0x20 && *c != '\t')
				return false;
			if (*c == 0x7f)
				return false;
		}
		memcpy(out, v, (size_t)(ve - v));
		out[ve - v] = '\0';
		return true;
	}
	return false;
}
