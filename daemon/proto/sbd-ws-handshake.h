/* sbd-ws-handshake.h - the RFC 6455 opening handshake: checks, accept key, subprotocol */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RFC 6455 §1.3: appended to the client's key before hashing. */
#define SBD_WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
/* Sec-WebSocket-Key is base64 of a 16-byte nonce: 24 characters. */
#define SBD_WS_NONCE_LEN 16
#define SBD_WS_KEY_LEN   24
/* Sec-WebSocket-Accept is base64 of a SHA-1 digest: 28 characters. */
#define SBD_WS_ACCEPT_LEN 28
/* The only version spoken, as Sec-WebSocket-Version says it. */
#define SBD_WS_VERSION "13"

/*
 * Whether a Sec-WebSocket-Key value is base64 that decodes to exactly 16 bytes:
 * 22 characters of the base64 alphabet and "==", with optional spaces or tabs
 * around them. NULL is not valid.
 */
bool sbd_ws_key_is_valid(const char *key);

/*
 * The Sec-WebSocket-Key a client sends (RFC 6455 §4.1): nonce in base64,
 * NUL-terminated in out. The nonce must be fresh random bytes for each
 * handshake; drawing them is the caller's business.
 */
void sbd_ws_key_encode(const uint8_t nonce[SBD_WS_NONCE_LEN], char out[SBD_WS_KEY_LEN + 1]);

/*
 * Sec-WebSocket-Accept for a valid key (spaces and tabs around it are ignored):
 * base64(SHA-1(key + SBD_WS_GUID)), NUL-terminated in out. Returns false, with
 * out empty, when key is NULL or GnuTLS refuses to compute SHA-1.
 */
bool sbd_ws_accept(const char *key, char out[SBD_WS_ACCEPT_LEN + 1]);

/* What the handshake headers of a request say; the checks run in this order. */
enum sbd_ws_check {
	SBD_WS_CHECK_OK,              /* 101 */
	SBD_WS_CHECK_MISSING_VERSION, /* 426 */
	SBD_WS_CHECK_BAD_VERSION,     /* 426: not "13" */
	SBD_WS_CHECK_MISSING_KEY,     /* 400 */
	SBD_WS_CHECK_BAD_KEY,         /* 400: does not decode to 16 bytes */
};

/*
 * Checks the Sec-WebSocket-Version and Sec-WebSocket-Key values of a request
 * (NULL when absent). The Upgrade/Connection tokens, the method and the HTTP
 * version are the route's business (sbd-route.h).
 */
enum sbd_ws_check sbd_ws_check_request(const char *version, const char *key);

/*
 * The HTTP status that answers an outcome: 101 for OK, 426 for a version
 * problem (the answer must carry Sec-WebSocket-Version: 13), 400 for a key one.
 */
int sbd_ws_check_status(enum sbd_ws_check c);

/* A short text for the refusal body and logs; "ok" for SBD_WS_CHECK_OK. */
const char *sbd_ws_check_reason(enum sbd_ws_check c);

/*
 * Picks the subprotocol to answer in Sec-WebSocket-Protocol. offered is the
 * client's Sec-WebSocket-Protocol values joined with ", " (NULL when it sent
 * none); allowed is the route's match.subprotocols. Names compare exactly
 * (case-sensitively).
 *
 * - The route lists none (n_allowed == 0): returns NULL, *refuse = false;
 *   the answer carries no Sec-WebSocket-Protocol.
 * - Otherwise: returns allowed[i] for the first protocol, in the client's
 *   order, that the route allows, with *refuse = false; when none fits (or
 *   the client offered none) returns NULL with *refuse = true: refuse the
 *   upgrade with a 4xx.
 *
 * The returned pointer is one of allowed[]: it lives as long as they do.
 */
const char *sbd_ws_choose_subprotocol(const char *offered, char *const *allowed, size_t n_allowed,
    bool *refuse);
