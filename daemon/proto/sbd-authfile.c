/* sbd-authfile.c - tokens and htpasswd files, line by line */
#include "sbd-authfile.h"
#include "sbd-hex.h"

#include <gnutls/crypto.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb-alloc.h"

int
sbd_identity_is_valid(const char *s, size_t len)
{
	if (len == 0 || len > SBD_IDENTITY_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c == 0x7f)
			return 0;
	}
	return 1;
}

/* One line at a time: [*line, *line + *len), comments and blank lines skipped. */
struct lines {
	const char *p, *end;
	size_t number;
};

static bool
next_line(struct lines *ls, const char **line, size_t *len)
{
	while (ls->p < ls->end) {
		const char *nl = memchr(ls->p, '\n', (size_t)(ls->end - ls->p));
		const char *stop = nl != NULL ? nl : ls->end;
		const char *s = ls->p;
		const char *e = stop;

		ls->p = nl != NULL ? nl + 1 : ls->end;
		ls->number++;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
			e--;
		if (s == e || *s == '#')
			continue;
		*line = s;
		*len = (size_t)(e - s);
		return true;
	}
	return false;
}

static int
fail(struct sbd_authfile_error *err, size_t line, const char *why)
{
	err->line = line;
	err->why = why;
	return -1;
}

int
sbd_tokens_file_parse(const char *text, size_t len, struct sbd_token_entry **out, size_t *n,
    struct sbd_authfile_error *err)
{
	struct lines ls = { text, text + len, 0 };
	struct sbd_token_entry *items = NULL;
	size_t count = 0, cap = 0;
	const char *line;
	size_t llen;

	*out = NULL;
	*n = 0;
	if (memchr(text, '\0', len) != NULL)
		return fail(err, 0, "holds a NUL byte");
	while (next_line(&ls, &line, &llen)) {
		const char *sp = line;
		const char *hex;
		size_t name_len, hex_len;
		struct sbd_token_entry e;

		while (sp < line + llen && *sp != ' ' && *sp != '\t')
			sp++;
		name_len = (size_t)(sp - line);
		hex = sp;
		while (hex < line + llen && (*hex == ' ' || *hex == '\t'))
			hex++;
		hex_len = (size_t)(line + llen - hex);
		if (hex == sp || hex_len == 0) {
			sbd_token_entries_free(items, count);
			return fail(err, ls.number, "must be NAME SHA256-HEX");
		}
		if (!sbd_identity_is_valid(line, name_len)) {
			sbd_token_entries_free(items, count);
			return fail(err, ls.number, "the name must be 1..128 visible characters");
		}
		if (hex_len != 64) {
			sbd_token_entries_free(items, count);
			return fail(err, ls.number, "the hash must be 64 hex digits (SHA-256)");
		}
		for (size_t i = 0; i < 32; i++) {
			int hi = sbd_hex_digit(hex[2 * i]), lo = sbd_hex_digit(hex[2 * i + 1]);

			if (hi < 0 || lo < 0) {
				sbd_token_entries_free(items, count);
				return fail(err, ls.number, "the hash must be 64 hex digits (SHA-256)");
			}
			e.sha256[i] = (uint8_t)(hi * 16 + lo);
		}
		e.name = sb_xstrndup(line, name_len);
		if (count == cap) {
			cap = cap ? cap * 2 : 16;
			items = sb_xrealloc(items, cap * sizeof *items);
		}
		items[count++] = e;
	}
	*out = items;
	*n = count;
	return 0;
}

int
sbd_token_digest(const char *token, size_t len, uint8_t out[32])
{
	return gnutls_hash_fast(GNUTLS_DIG_SHA256, token, len, out) < 0 ? -1 : 0;
}

bool
sbd_equal_ct(const uint8_t *a, const uint8_t *b, size_t len)
{
	volatile uint8_t diff = 0;

	for (size_t i = 0; i < len; i++)
		diff |= a[i] ^ b[i];
	return diff == 0;
}

char *
sbd_token_line(const char *name, const char *token, const char **why)
{
	uint8_t digest[32];
	char hex[2 * sizeof digest + 1];
	char *line;

	if (!sbd_identity_is_valid(name, strlen(name)) || name[0] == '#') {
		*why = "a name is 1..128 visible characters, not starting with #";
		return NULL;
	}
	if (sbd_token_digest(token, strlen(token), digest) < 0) {
		*why = "SHA-256 is not available";
		return NULL;
	}
	sbd_hex_encode(digest, sizeof digest, hex);
	line = sb_xmalloc(strlen(name) + 1 + sizeof hex);
	snprintf(line, strlen(name) + 1 + sizeof hex, "%s %s", name, hex);
	return line;
}

void
sbd_token_entries_free(struct sbd_token_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(e[i].name);
	free(e);
}

/* The schemes libcrypt checks for us: bcrypt and SHA-crypt. */
static bool
hash_is_supported(const char *h, size_t len)
{
	static const char *const prefixes[] = { "$2y$", "$2b$", "$5$", "$6$", NULL };

	for (size_t i = 0; prefixes[i] != NULL; i++) {
		size_t plen = strlen(prefixes[i]);

		if (len > plen + 8 && strncmp(h, prefixes[i], plen) == 0)
			return true;
	}
	return false;
}

int
sbd_htpasswd_parse(const char *text, size_t len, struct sbd_htpasswd_entry **out, size_t *n,
    struct sbd_authfile_error *err)
{
	struct lines ls = { text, text + len, 0 };
	struct sbd_htpasswd_entry *items = NULL;
	size_t count = 0, cap = 0;
	const char *line;
	size_t llen;

	*out = NULL;
	*n = 0;
	if (memchr(text, '\0', len) != NULL)
		return fail(err, 0, "holds a NUL byte");
	while (next_line(&ls, &line, &llen)) {
		const char *colon = memchr(line, ':', llen);
		const char *hash;
		size_t ulen, hlen;

		if (colon == NULL) {
			sbd_htpasswd_entries_free(items, count);
			return fail(err, ls.number, "must be user:hash");
		}
		ulen = (size_t)(colon - line);
		hash = colon + 1;
		hlen = (size_t)(line + llen - hash);
		if (!sbd_identity_is_valid(line, ulen)) {
			sbd_htpasswd_entries_free(items, count);
			return fail(err, ls.number, "the user must be 1..128 visible characters");
		}
		if (!hash_is_supported(hash, hlen) || memchr(hash, ':', hlen) != NULL) {
			sbd_htpasswd_entries_free(items, count);
			return fail(err, ls.number,
			    "unsupported hash (bcrypt $2y$/$2b$ or SHA-crypt $5$/$6$ only)");
		}
		if (count == cap) {
			cap = cap ? cap * 2 : 16;
			items = sb_xrealloc(items, cap * sizeof *items);
		}
		items[count].user = sb_xstrndup(line, ulen);
		items[count].hash = sb_xstrndup(hash, hlen);
		count++;
	}
	*out = items;
	*n = count;
	return 0;
}

void
sbd_htpasswd_entries_free(struct sbd_htpasswd_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(e[i].user);
		free(e[i].hash);
	}
	free(e);
}

/* No spaces, no control bytes. */
static bool
is_visible(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
			return false;
	}
	return true;
}

/* The ": " (colon, then a space or tab) that ends a TokenFile token, or NULL. */
static const char *
token_end(const char *line, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (line[i] == ':' && (line[i + 1] == ' ' || line[i + 1] == '\t'))
			return line + i;
	}
	return NULL;
}

static bool
token_listed(const struct sbd_tokenmap_entry *items, size_t count, const char *tok, size_t len)
{
	for (size_t i = 0; i < count; i++) {
		if (strlen(items[i].token) == len && memcmp(items[i].token, tok, len) == 0)
			return true;
	}
	return false;
}

int
sbd_tokenmap_parse(const char *text, size_t len, struct sbd_tokenmap_entry **out, size_t *n,
    struct sbd_authfile_error *err)
{
	static const char websockify_unix[] = "unix_socket:";
	struct lines ls = { text, text + len, 0 };
	struct sbd_tokenmap_entry *items = NULL;
	size_t count = 0, cap = 0;
	const char *line, *why = NULL;
	size_t llen;

	*out = NULL;
	*n = 0;
	if (memchr(text, '\0', len) != NULL)
		return fail(err, 0, "holds a NUL byte");
	while (why == NULL && next_line(&ls, &line, &llen)) {
		const char *sep = token_end(line, llen);
		const char *target;
		size_t tok_len, target_len;

		if (sep == NULL) {
			why = "must be TOKEN: host:port (or TOKEN: unix:/path)";
			break;
		}
		tok_len = (size_t)(sep - line);
		target = sep + 2;
		while (target < line + llen && (*target == ' ' || *target == '\t'))
			target++;
		target_len = (size_t)(line + llen - target);
		if (!sbd_identity_is_valid(line, tok_len))
			why = "the token must be 1..128 visible characters";
		else if (target_len == 0 || !is_visible(target, target_len))
			why = "must be TOKEN: host:port (or TOKEN: unix:/path)";
		else if (token_listed(items, count, line, tok_len))
			why = "the token is listed twice";
		if (why != NULL)
			break;
		if (count == cap) {
			cap = cap ? cap * 2 : 16;
			items = sb_xrealloc(items, cap * sizeof *items);
		}
		items[count].token = sb_xstrndup(line, tok_len);
		if (target_len > sizeof websockify_unix - 1 &&
		    memcmp(target, websockify_unix, sizeof websockify_unix - 1) == 0)
			items[count].target = sb_xasprintf("unix:%.*s",
			    (int)(target_len - (sizeof websockify_unix - 1)),
			    target + sizeof websockify_unix - 1);
		else
			items[count].target = sb_xstrndup(target, target_len);
		count++;
	}
	if (why != NULL) {
		sbd_tokenmap_entries_free(items, count);
		return fail(err, ls.number, why);
	}
	*out = items;
	*n = count;
	return 0;
}

void
sbd_tokenmap_entries_free(struct sbd_tokenmap_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(e[i].token);
		free(e[i].target);
	}
	free(e);
}
