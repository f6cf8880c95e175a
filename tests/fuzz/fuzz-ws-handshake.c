/*
 * fuzz-ws-handshake.c - libFuzzer target: the RFC 6455 handshake checks and the subprotocol choice.
 *
 * Input: a flag byte, then NUL-separated fields: Sec-WebSocket-Version,
 * Sec-WebSocket-Key, Sec-WebSocket-Protocol as offered, then the route's
 * allowed subprotocols (at most 8). Flag bits 0-2 make the first three NULL
 * (the header is absent). Each field is its own heap copy.
 *
 * Invariants: the check follows its documented order (version, then key) and
 * its status and reason agree with it; a valid key is 22 base64 characters
 * and "==" between optional spaces and tabs, its accept value is 28 base64
 * characters, the same for the trimmed key, and any 16-byte nonce encodes to
 * a valid key. The subprotocol chosen is the allowed entry equal to the first
 * offered token (comma-separated, spaces and tabs trimmed) that any entry
 * equals, or none with a refusal; a route with no entries neither picks nor refuses.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sbd-ws-handshake.h"
#include "fuzz-check.h"

#define ALLOWED_MAX 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static bool
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* s without the spaces and tabs around it: its start, and its length in *len. */
static const char *
trim(const char *s, size_t *len)
{
	size_t n;

	while (is_ows(*s))
		s++;
	for (n = strlen(s); n > 0 && is_ows(s[n - 1]); n--)
		;
	*len = n;
	return s;
}

/* The model of a valid key: spaces and tabs around 22 base64 characters and "==". */
static bool
model_key_is_valid(const char *key)
{
	size_t n;

	if (key == NULL)
		return false;
	key = trim(key, &n);
	if (n != SBD_WS_KEY_LEN || key[22] != '=' || key[23] != '=')
		return false;
	for (size_t i = 0; i < 22; i++)
		if (key[i] == '\0' || strchr(b64, key[i]) == NULL)
			return false;
	return true;
}

static bool
model_version_ok(const char *v)
{
	size_t n;

	v = trim(v, &n);
	return n == 2 && memcmp(v, "13", 2) == 0;
}

static void
check_request(const char *version, const char *key)
{
	enum sbd_ws_check c = sbd_ws_check_request(version, key);
	enum sbd_ws_check want;
	int status = sbd_ws_check_status(c);
	const char *reason = sbd_ws_check_reason(c);

	if (version == NULL)
		want = SBD_WS_CHECK_MISSING_VERSION;
	else if (!model_version_ok(version))
		want = SBD_WS_CHECK_BAD_VERSION;
	else if (key == NULL)
		want = SBD_WS_CHECK_MISSING_KEY;
	else if (!model_key_is_valid(key))
		want = SBD_WS_CHECK_BAD_KEY;
	else
		want = SBD_WS_CHECK_OK;
	check(c == want, "check outcome");
	check(reason != NULL && reason[0] != '\0', "a reason");
	switch (c) {
	case SBD_WS_CHECK_OK:
		check(status == 101, "status of OK");
		break;
	case SBD_WS_CHECK_MISSING_VERSION:
	case SBD_WS_CHECK_BAD_VERSION:
		check(status == 426, "status of a version problem");
		break;
	case SBD_WS_CHECK_MISSING_KEY:
	case SBD_WS_CHECK_BAD_KEY:
		check(status == 400, "status of a key problem");
		break;
	}
	check(sbd_ws_key_is_valid(key) == model_key_is_valid(key), "key validity");
}

static void
check_accept(const char *key)
{
	char out[SBD_WS_ACCEPT_LEN + 1], again[SBD_WS_ACCEPT_LEN + 1], trimmed[SBD_WS_KEY_LEN + 1];
	const char *k = key;

	if (!sbd_ws_key_is_valid(key))
		return;
	check(sbd_ws_accept(key, out), "accept of a valid key");
	check(strlen(out) == SBD_WS_ACCEPT_LEN && out[27] == '=', "accept length");
	for (size_t i = 0; i < 27; i++)
		check(strchr(b64, out[i]) != NULL, "accept alphabet");
	size_t n;

	k = trim(k, &n);
	memcpy(trimmed, k, SBD_WS_KEY_LEN);
	trimmed[SBD_WS_KEY_LEN] = '\0';
	check(sbd_ws_accept(trimmed, again) && strcmp(out, again) == 0,
	    "accept differs for the trimmed key");
}

static void
check_key_encode(const uint8_t *bytes, size_t len)
{
	uint8_t nonce[SBD_WS_NONCE_LEN] = { 0 };
	char key[SBD_WS_KEY_LEN + 1];

	memcpy(nonce, bytes, len < sizeof nonce ? len : sizeof nonce);
	sbd_ws_key_encode(nonce, key);
	check(strlen(key) == SBD_WS_KEY_LEN && sbd_ws_key_is_valid(key), "encoded key invalid");
	check(sbd_ws_check_request("13", key) == SBD_WS_CHECK_OK, "encoded key refused");
}

/* The model: the first offered token any allowed entry equals, and that entry. */
static const char *
model_choose(const char *offered, char *const *allowed, size_t n_allowed, bool *refuse)
{
	const char *p = offered;

	*refuse = false;
	if (n_allowed == 0)
		return NULL;
	while (p != NULL && *p != '\0') {
		const char *comma = strchr(p, ','), *start = p, *end;

		end = comma != NULL ? comma : p + strlen(p);
		p = comma != NULL ? comma + 1 : end;
		while (start < end && is_ows(*start))
			start++;
		while (end > start && is_ows(end[-1]))
			end--;
		for (size_t i = 0; i < n_allowed && end > start; i++)
			if (strlen(allowed[i]) == (size_t)(end - start) &&
			    memcmp(allowed[i], start, (size_t)(end - start)) == 0)
				return allowed[i];
	}
	*refuse = true;
	return NULL;
}

static void
check_subprotocol(const char *offered, char *const *allowed, size_t n_allowed)
{
	bool refuse = true, want_refuse;
	const char *got = sbd_ws_choose_subprotocol(offered, allowed, n_allowed, &refuse);
	const char *want = model_choose(offered, allowed, n_allowed, &want_refuse);

	check(got == want, "subprotocol chosen");
	check(refuse == want_refuse, "refusal");
	check(got == NULL || !refuse, "a choice and a refusal");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *field[3 + ALLOWED_MAX] = { NULL };
	size_t n = 0, pos = 1;
	uint8_t flags;

	if (size < 1)
		return 0;
	flags = data[0];
	while (pos <= size && n < sizeof field / sizeof field[0]) {
		const uint8_t *nul = memchr(data + pos, 0, size - pos);
		size_t len = nul != NULL ? (size_t)(nul - (data + pos)) : size - pos;

		field[n] = malloc(len + 1);
		memcpy(field[n], data + pos, len);
		field[n][len] = '\0';
		n++;
		pos += len + 1;
	}
	const char *version = (flags & 1) || n < 1 ? NULL : field[0];
	const char *key = (flags & 2) || n < 2 ? NULL : field[1];
	const char *offered = (flags & 4) || n < 3 ? NULL : field[2];

	check_request(version, key);
	check_accept(key);
	check_key_encode(data, size);
	check_subprotocol(offered, field + 3, n > 3 ? n - 3 : 0);
	for (size_t i = 0; i < n; i++)
		free(field[i]);
	return 0;
}
