/* sbd-ws-handshake.c - the RFC 6455 opening handshake */
#include "sbd-ws-handshake.h"
#include "sbd-http-list.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <string.h>

#define SHA1_LEN    20

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* The value without surrounding spaces and tabs: its start, and its length in *len. */
static const char *
trim(const char *s, size_t *len)
{
	size_t n;

	while (sbd_is_ows(*s))
		s++;
	n = strlen(s);
	while (n > 0 && sbd_is_ows(s[n - 1]))
		n--;
	*len = n;
	return s;
}

static bool
is_b64(char c)
{
	return c != '\0' && strchr(b64_alphabet, c) != NULL;
}

bool
sbd_ws_key_is_valid(const char *key)
{
	size_t n;

	if (key == NULL)
		return false;
	key = trim(key, &n);
	/* 16 bytes are five 3-byte groups and one byte: 22 characters, then "==" */
	if (n != SBD_WS_KEY_LEN || key[22] != '=' || key[23] != '=')
		return false;
	for (size_t i = 0; i < 22; i++)
		if (!is_b64(key[i]))
			return false;
	return true;
}

/* Standard base64 with padding; out holds 4 * ceil(n / 3) + 1 bytes. */
static void
b64_encode(const unsigned char *in, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = b64_alphabet[v >> 18 & 63];
		out[o++] = b64_alphabet[v >> 12 & 63];
		out[o++] = i + 1 < n ? b64_alphabet[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? b64_alphabet[v & 63] : '=';
	}
	out[o] = '\0';
}

void
sbd_ws_key_encode(const uint8_t nonce[SBD_WS_NONCE_LEN], char out[SBD_WS_KEY_LEN + 1])
{
	b64_encode(nonce, SBD_WS_NONCE_LEN, out);
}

bool
sbd_ws_accept(const char *key, char out[SBD_WS_ACCEPT_LEN + 1])
{
	char text[SBD_WS_KEY_LEN + sizeof SBD_WS_GUID];
	unsigned char digest[SHA1_LEN];
	size_t n;

	out[0] = '\0';
	if (key == NULL)
		return false;
	key = trim(key, &n);
	if (n > SBD_WS_KEY_LEN) /* not a valid key; hash what fits, the caller checked it */
		n = SBD_WS_KEY_LEN;
	memcpy(text, key, n);
	memcpy(text + n, SBD_WS_GUID, sizeof SBD_WS_GUID - 1);
	if (gnutls_hash_fast(GNUTLS_DIG_SHA1, text, n + sizeof SBD_WS_GUID - 1, digest) < 0)
		return false;
	b64_encode(digest, sizeof digest, out);
	return true;
}

enum sbd_ws_check
sbd_ws_check_request(const char *version, const char *key)
{
	size_t n;

	if (version == NULL)
		return SBD_WS_CHECK_MISSING_VERSION;
	version = trim(version, &n);
	if (n != strlen(SBD_WS_VERSION) || memcmp(version, SBD_WS_VERSION, n) != 0)
		return SBD_WS_CHECK_BAD_VERSION;
	if (key == NULL)
		return SBD_WS_CHECK_MISSING_KEY;
	if (!sbd_ws_key_is_valid(key))
		return SBD_WS_CHECK_BAD_KEY;
	return SBD_WS_CHECK_OK;
}

int
sbd_ws_check_status(enum sbd_ws_check c)
{
	switch (c) {
	case SBD_WS_CHECK_OK:
		return 101;
	case SBD_WS_CHECK_MISSING_VERSION:
	case SBD_WS_CHECK_BAD_VERSION:
		return 426;
	case SBD_WS_CHECK_MISSING_KEY:
	case SBD_WS_CHECK_BAD_KEY:
		return 400;
	}
	return 400;
}

const char *
sbd_ws_check_reason(enum sbd_ws_check c)
{
	switch (c) {
	case SBD_WS_CHECK_OK:
		return "ok";
	case SBD_WS_CHECK_MISSING_VERSION:
		return "missing Sec-WebSocket-Version (13 required)";
	case SBD_WS_CHECK_BAD_VERSION:
		return "unsupported Sec-WebSocket-Version (13 required)";
	case SBD_WS_CHECK_MISSING_KEY:
		return "missing Sec-WebSocket-Key";
	case SBD_WS_CHECK_BAD_KEY:
		return "Sec-WebSocket-Key does not decode to 16 bytes";
	}
	return "invalid WebSocket handshake";
}

/* The allowed name equal to offered[0..len), or NULL. */
static const char *
find_allowed(const char *offered, size_t len, char *const *allowed, size_t n_allowed)
{
	for (size_t i = 0; i < n_allowed; i++)
		if (allowed[i] != NULL && strlen(allowed[i]) == len &&
		    memcmp(allowed[i], offered, len) == 0)
			return allowed[i];
	return NULL;
}

const char *
sbd_ws_choose_subprotocol(const char *offered, char *const *allowed, size_t n_allowed,
    bool *refuse)
{
	const char *p = offered, *elem;
	size_t len;

	*refuse = false;
	if (n_allowed == 0)
		return NULL;
	while (p != NULL && sbd_list_next(&p, &elem, &len)) {
		const char *found = find_allowed(elem, len, allowed, n_allowed);

		if (found != NULL)
			return found;
	}
	*refuse = true;
	return NULL;
}
