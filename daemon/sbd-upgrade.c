/* sbd-upgrade.c - token lists of Connection and Upgrade headers, Host matching */
#include "sbd-upgrade.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* RFC 9110 §5.6.2 tchar. */
static bool
is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool
is_ows(unsigned char c)
{
	return c == ' ' || c == '\t';
}

enum sbd_tokens_result
sbd_tokens_parse(const char *header, struct sbd_token_list *out)
{
	const unsigned char *p = (const unsigned char *)header;

	out->count = 0;
	if (header == NULL)
		return SBD_TOKENS_EMPTY;
	for (;;) {
		while (is_ows(*p) || *p == ',')
			p++;
		if (*p == '\0')
			break;

		const unsigned char *start = p;
		bool slash = false;
		while (is_tchar(*p) || (*p == '/' && !slash && p > start)) {
			if (*p == '/')
				slash = true;
			p++;
		}
		size_t len = (size_t)(p - start);
		if (len == 0 || start[len - 1] == '/')
			return SBD_TOKENS_INVALID;
		while (is_ows(*p))
			p++;
		if (*p != ',' && *p != '\0')
			return SBD_TOKENS_INVALID;
		if (len > SBD_TOKEN_LEN_MAX)
			return SBD_TOKENS_TOO_LONG;
		if (out->count == SBD_TOKENS_MAX)
			return SBD_TOKENS_TOO_MANY;
		memcpy(out->items[out->count].text, start, len);
		out->items[out->count].text[len] = '\0';
		out->count++;
	}
	return out->count > 0 ? SBD_TOKENS_OK : SBD_TOKENS_EMPTY;
}

const char *
sbd_tokens_result_text(enum sbd_tokens_result r)
{
	switch (r) {
	case SBD_TOKENS_OK:
		return "ok";
	case SBD_TOKENS_EMPTY:
		return "no protocol in Upgrade";
	case SBD_TOKENS_INVALID:
		return "malformed Upgrade header";
	case SBD_TOKENS_TOO_MANY:
		return "too many protocols in Upgrade";
	case SBD_TOKENS_TOO_LONG:
		return "protocol name too long in Upgrade";
	}
	return "?";
}

bool
sbd_header_has_token(const char *header, const char *token)
{
	size_t tlen = strlen(token);
	const char *p = header;

	if (header == NULL)
		return false;
	while (*p != '\0') {
		while (is_ows((unsigned char)*p) || *p == ',')
			p++;
		const char *start = p;
		while (*p != '\0' && *p != ',')
			p++;
		const char *end = p;
		while (end > start && is_ows((unsigned char)end[-1]))
			end--;
		if ((size_t)(end - start) == tlen && strncasecmp(start, token, tlen) == 0)
			return true;
	}
	return false;
}

bool
sbd_token_matches(const char *pattern, const char *token)
{
	return strcmp(pattern, "*") == 0 || strcasecmp(pattern, token) == 0;
}

bool
sbd_host_normalize(const char *host_header, char *out, size_t outlen)
{
	const char *start = host_header;
	const char *end;
	size_t len;

	if (host_header == NULL || outlen == 0)
		return false;
	if (*start == '[') {
		end = strchr(start, ']');
		if (end == NULL)
			return false;
		start++;
		if (end[1] != '\0' && end[1] != ':')
			return false;
	} else {
		end = strchr(start, ':');
		if (end == NULL)
			end = start + strlen(start);
	}
	len = (size_t)(end - start);
	if (len == 0 || len >= outlen)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)start[i];

		if (c <= ' ' || c >= 0x7f || c == '/' || c == '@')
			return false;
		out[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	if (len > 0 && out[len - 1] == '.')
		len--; /* "example.org." is example.org */
	out[len] = '\0';
	return len > 0;
}

bool
sbd_host_matches(const char *pattern, const char *host)
{
	if (strncmp(pattern, "*.", 2) == 0) {
		size_t plen = strlen(pattern + 1); /* ".example.org" */
		size_t hlen = strlen(host);

		return hlen > plen && strcasecmp(host + hlen - plen, pattern + 1) == 0;
	}
	return strcasecmp(pattern, host) == 0;
}
