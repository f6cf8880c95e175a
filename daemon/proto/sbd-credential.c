/* sbd-credential.c - a credential out of a request's headers or target */
#include "sbd-credential.h"
#include "sbd-http-list.h"
#include "sbd-hex.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sb-alloc.h"

static void
wipe_free(char *s)
{
	if (s == NULL)
		return;
	volatile char *p = s;
	while (*p != '\0')
		*p++ = '\0';
	free(s);
}

void
sbd_cred_clear(struct sbd_credential *c)
{
	wipe_free(c->secret);
	wipe_free(c->user);
	wipe_free(c->map_token);
	wipe_free(c->forward);
	c->secret = NULL;
	c->user = NULL;
	c->map_token = NULL;
	c->forward = NULL;
	c->type = SBD_CRED_NONE;
}

static int
b64_value(unsigned char c, bool url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

long
sbd_base64_decode(const char *text, size_t len, bool url, uint8_t *out, size_t cap)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t n = 0;

	while (len > 0 && text[len - 1] == '=')
		len--;
	if (len % 4 == 1)
		return -1;
	for (size_t i = 0; i < len; i++) {
		int v = b64_value((unsigned char)text[i], url);

		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == cap)
				return -1;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	/* the leftover bits must be zero: one text, one value */
	if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
		return -1;
	return (long)n;
}

static char *
dup_checked(const char *s, size_t len)
{
	if (len == 0 || len > SBD_CRED_MAX)
		return NULL;
	return sb_xstrndup(s, len);
}

void
sbd_cred_from_authorization(const char *value, struct sbd_credential *out)
{
	const char *p = value;
	size_t len;

	memset(out, 0, sizeof *out);
	out->source = SB_CRED_HEADER;
	if (value == NULL)
		return;
	while (sbd_is_ows(*p))
		p++;
	len = strlen(p);
	while (len > 0 && sbd_is_ows(p[len - 1]))
		len--;
	if (len > 7 && strncasecmp(p, "Bearer ", 7) == 0) {
		p += 7;
		len -= 7;
		while (len > 0 && sbd_is_ows(*p)) {
			p++;
			len--;
		}
		out->secret = dup_checked(p, len);
		if (out->secret != NULL && strpbrk(out->secret, " \t") == NULL) {
			out->type = SBD_CRED_BEARER;
		} else {
			sbd_cred_clear(out);
			out->type = SBD_CRED_BAD;
		}
	} else if (len > 6 && strncasecmp(p, "Basic ", 6) == 0) {
		uint8_t buf[SBD_CRED_MAX];
		long n;
		char *colon;

		p += 6;
		len -= 6;
		while (len > 0 && sbd_is_ows(*p)) {
			p++;
			len--;
		}
		n = sbd_base64_decode(p, len, false, buf, sizeof buf - 1);
		colon = n > 0 ? memchr(buf, ':', (size_t)n) : NULL;
		if (colon == NULL || colon == (char *)buf || memchr(buf, '\0', (size_t)n) != NULL) {
			out->type = SBD_CRED_BAD;
		} else {
			out->type = SBD_CRED_BASIC;
			out->user = sb_xstrndup((char *)buf, (size_t)(colon - (char *)buf));
			out->secret = sb_xstrndup(colon + 1, (size_t)((char *)buf + n - colon - 1));
		}
		volatile uint8_t *w = buf;
		for (size_t i = 0; i < sizeof buf; i++)
			w[i] = 0;
	}
}

char *
sbd_cred_cookie(const char *cookies, const char *name)
{
	size_t nlen = strlen(name);
	const char *p = cookies;

	while (p != NULL && *p != '\0') {
		while (sbd_is_ows(*p) || *p == ';' || *p == ',')
			p++;
		const char *end = p + strcspn(p, ";,");
		if ((size_t)(end - p) > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
			const char *v = p + nlen + 1;
			size_t vlen = (size_t)(end - v);

			while (vlen > 0 && sbd_is_ows(v[vlen - 1]))
				vlen--;
			if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
				v++;
				vlen -= 2;
			}
			return dup_checked(v, vlen);
		}
		p = end;
	}
	return NULL;
}

char *
sbd_cred_subprotocol(const char *offered)
{
	const size_t plen = strlen(SBD_SUBPROTOCOL_BEARER);
	const char *p = offered, *elem;
	size_t len;

	while (p != NULL && sbd_list_next(&p, &elem, &len)) {
		if (len > plen && strncasecmp(elem, SBD_SUBPROTOCOL_BEARER, plen) == 0)
			return dup_checked(elem + plen, len - plen);
	}
	return NULL;
}

/* Percent-decoding ('+' is a space in a query); NULL on a broken escape or a NUL. */
static char *
query_decode(const char *s, size_t len)
{
	char *out;
	size_t n = 0;

	if (len == 0 || len > SBD_CRED_MAX)
		return NULL;
	out = sb_xmalloc(len + 1);
	for (size_t i = 0; i < len; i++) {
		if (s[i] != '%') {
			out[n++] = s[i] == '+' ? ' ' : s[i];
			continue;
		}
		int hi = i + 2 < len ? sbd_hex_digit(s[i + 1]) : -1;
		int lo = hi >= 0 ? sbd_hex_digit(s[i + 2]) : -1;

		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
			free(out);
			return NULL;
		}
		out[n++] = (char)(hi * 16 + lo);
		i += 2;
	}
	out[n] = '\0';
	return out;
}

/* The query of a request target, after its '?'; NULL when it has none. */
static const char *
query_of(const char *target)
{
	const char *q = strchr(target, '?');

	return q != NULL ? q + 1 : NULL;
}

static bool
param_is(const char *p, size_t plen, const char *name)
{
	size_t nlen = strlen(name);

	return plen >= nlen && strncmp(p, name, nlen) == 0 && (plen == nlen || p[nlen] == '=');
}

char *
sbd_cred_query(const char *target, const char *name)
{
	const char *p = query_of(target);

	while (p != NULL && *p != '\0' && *p != '#') {
		size_t plen = strcspn(p, "&#");

		if (param_is(p, plen, name)) {
			size_t nlen = strlen(name);

			if (plen <= nlen + 1)
				return NULL;
			return query_decode(p + nlen + 1, plen - nlen - 1);
		}
		p += plen;
		if (*p == '&')
			p++;
	}
	return NULL;
}

char *
sbd_cred_strip_query(const char *target, const char *name)
{
	const char *q = strchr(target, '?');
	char *out;
	size_t n;

	if (q == NULL)
		return sb_xstrdup(target);
	out = sb_xmalloc(strlen(target) + 1);
	n = (size_t)(q - target);
	memcpy(out, target, n);
	bool first = true;
	for (const char *p = q + 1; *p != '\0' && *p != '#';) {
		size_t plen = strcspn(p, "&#");

		if (plen > 0 && !param_is(p, plen, name)) {
			out[n++] = first ? '?' : '&';
			memcpy(out + n, p, plen);
			n += plen;
			first = false;
		}
		p += plen;
		if (*p == '&')
			p++;
	}
	out[n] = '\0';
	return out;
}

/*
 * A list split at any of seps, each item trimmed of spaces, with only the
 * items keep(arg, item, len) accepts, joined with joiner; NULL when none is left.
 */
static char *
filter_list(const char *list, const char *seps, const char *joiner,
    bool (*keep)(const void *arg, const char *item, size_t len), const void *arg)
{
	char *out = sb_xmalloc(strlen(list) * 2 + 1);
	size_t n = 0, jlen = strlen(joiner);

	for (const char *p = list; *p != '\0';) {
		size_t len = strcspn(p, seps);
		const char *s = p, *e = p + len;

		while (s < e && sbd_is_ows(*s))
			s++;
		while (e > s && sbd_is_ows(e[-1]))
			e--;
		if (e > s && keep(arg, s, (size_t)(e - s))) {
			if (n > 0) {
				memcpy(out + n, joiner, jlen);
				n += jlen;
			}
			memcpy(out + n, s, (size_t)(e - s));
			n += (size_t)(e - s);
		}
		p += len;
		if (*p != '\0')
			p++;
	}
	if (n == 0) {
		free(out);
		return NULL;
	}
	out[n] = '\0';
	return out;
}

static bool
cookie_kept(const void *arg, const char *item, size_t len)
{
	const struct sb_auth *a = arg;

	for (size_t i = 0; i < a->n_from; i++) {
		const struct sb_cred_source *s = &a->from[i];
		size_t nlen = s->kind == SB_CRED_COOKIE ? strlen(s->name) : 0;

		if (nlen > 0 && len > nlen && strncmp(item, s->name, nlen) == 0 &&
		    item[nlen] == '=')
			return false;
	}
	return true;
}

char *
sbd_cred_strip_cookies(const char *cookies, const struct sb_auth *a)
{
	/* the same separators sbd_cred_cookie reads: what it could find, this removes */
	return filter_list(cookies, ";,", "; ", cookie_kept, a);
}

static bool
protocol_kept(const void *arg, const char *item, size_t len)
{
	const size_t plen = strlen(SBD_SUBPROTOCOL_BEARER);

	return len < plen || strncasecmp(item, SBD_SUBPROTOCOL_BEARER, plen) != 0;
}

char *
sbd_cred_strip_bearer(const char *offered)
{
	return filter_list(offered, ",", ", ", protocol_kept, NULL);
}

void
sbd_cred_replay_init(struct sbd_cred_replay *rp, const struct sb_auth *a,
    const char *cookies, const char *protocols)
{
	memset(rp, 0, sizeof *rp);
	if (a->n_from == 0) {
		rp->drop_authorization = true;
		return;
	}
	for (size_t i = 0; i < a->n_from; i++) {
		switch (a->from[i].kind) {
		case SB_CRED_HEADER:
			rp->drop_authorization = true;
			break;
		case SB_CRED_COOKIE:
			rp->rewrite_cookie = true;
			break;
		case SB_CRED_SUBPROTOCOL:
			rp->rewrite_protocols = true;
			break;
		case SB_CRED_QUERY:
			break;
		}
	}
	if (rp->rewrite_cookie && cookies != NULL)
		rp->cookie = sbd_cred_strip_cookies(cookies, a);
	if (rp->rewrite_protocols && protocols != NULL)
		rp->protocols = sbd_cred_strip_bearer(protocols);
}

void
sbd_cred_replay_clear(struct sbd_cred_replay *rp)
{
	free(rp->cookie);
	free(rp->protocols);
	memset(rp, 0, sizeof *rp);
}
