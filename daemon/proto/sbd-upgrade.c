/* sbd-upgrade.c - token lists of Connection and Upgrade headers, Host matching */
#include "sbd-upgrade.h"
#include "sbd-http-list.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ASCII only, whatever the locale. */
static bool
is_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* RFC 9110 §5.6.2 tchar. */
static bool
is_tchar(unsigned char c)
{
	if (is_alnum(c))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

enum sbd_tokens_result
sbd_tokens_parse(const char *header, struct sbd_token_list *out)
{
	const unsigned char *p = (const unsigned char *)header;

	out->count = 0;
	if (header == NULL)
		return SBD_TOKENS_EMPTY;
	for (;;) {
		while (sbd_is_ows(*p) || *p == ',')
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
		while (sbd_is_ows(*p))
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
	size_t tlen = strlen(token), len;
	const char *p = header, *elem;

	if (header == NULL)
		return false;
	while (sbd_list_next(&p, &elem, &len)) {
		if (len == tlen && strncasecmp(elem, token, tlen) == 0)
			return true;
	}
	return false;
}

bool
sbd_token_matches(const char *pattern, const char *token)
{
	return strcmp(pattern, "*") == 0 || strcasecmp(pattern, token) == 0;
}

/* RFC 3986 §3.2.2 reg-name: unreserved, sub-delims and pct-encoded octets. */
static bool
is_reg_name(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%') {
			if (i + 2 >= len || !isxdigit((unsigned char)s[i + 1]) ||
			    !isxdigit((unsigned char)s[i + 2]))
				return false;
		} else if (!is_alnum(c) && (c == '\0' || strchr("-._~!$&'()*+,;=", c) == NULL)) {
			return false;
		}
	}
	return true;
}

bool
sbd_host_normalize(const char *host_header, char *out, size_t outlen)
{
	const char *start = host_header;
	const char *end, *port;
	struct in6_addr a6;
	bool literal;
	size_t len;

	if (host_header == NULL || outlen == 0)
		return false;
	literal = *start == '[';
	if (literal) {
		start++;
		end = strchr(start, ']');
		if (end == NULL)
			return false;
		port = end + 1;
	} else {
		end = start + strcspn(start, ":");
		port = end;
	}
	/* port = *DIGIT (RFC 3986 §3.2.3) */
	if (*port != '\0' && (*port != ':' || port[1 + strspn(port + 1, "0123456789")] != '\0'))
		return false;
	len = (size_t)(end - start);
	if (len == 0 || len >= outlen || (!literal && !is_reg_name(start, len)))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)start[i];

		out[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	out[len] = '\0';
	if (literal) /* IP-literal: only IPv6 (IPvFuture is not used in practice) */
		return inet_pton(AF_INET6, out, &a6) == 1;
	if (out[len - 1] == '.')
		out[--len] = '\0'; /* "example.org." is example.org */
	return len > 0 && out[len - 1] != '.'; /* "example.org.." has an empty label */
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
