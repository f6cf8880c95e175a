/* sbd-jwt.h - JSON Web Tokens (RFC 7519): keys from a JWKS or PEM file, signature, claims
 *
 * The algorithm comes from the configured key, never from the token: a token
 * whose header names another algorithm than its key's (alg "none", HS256
 * against a public key) fails. A token with a "crit" header fails: we
 * understand no extension. exp and nbf are checked with a leeway; iss and aud
 * when asked for.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sbd-authfile.h"

#define SBD_JWT_MAX 8192 /* longer tokens are refused unread */

struct sbd_jwt_keys;

/*
 * A JWKS ({"keys": [...]}: RSA, EC P-256, OKP Ed25519 and oct keys) or one
 * or more PEM public keys (RSA -> RS256, P-256 -> ES256, Ed25519 -> EdDSA).
 * NULL with *why a static text.
 */
struct sbd_jwt_keys *sbd_jwt_keys_load(const char *text, size_t len, const char **why);
void sbd_jwt_keys_free(struct sbd_jwt_keys *k);
size_t sbd_jwt_keys_count(const struct sbd_jwt_keys *k);

struct sbd_jwt_expect {
	const char *issuer;   /* NULL: not checked */
	const char *audience; /* NULL: not checked */
	const char *claim;    /* the claim that names the identity */
	unsigned leeway_s;
	int64_t now;          /* seconds since the epoch */
};

/* True when token looks like a JWS compact serialization: three base64url parts. */
bool sbd_jwt_looks_like(const char *token);

/*
 * Checks the token's header and claims but not its signature: what the
 * parsers get wrong (and the fuzzer hits). Fills identity on success, and
 * empties it on failure.
 * Returns 0, or -1 with *why a static text that reveals nothing of the token.
 */
int sbd_jwt_check_claims(const char *token, const struct sbd_jwt_expect *ex,
    char identity[SBD_IDENTITY_MAX + 1], const char **why);
/*
 * sbd_jwt_check_claims, and the signature by one of keys. On success *exp is
 * the token's exp (seconds since the epoch), INT64_MAX when it has none: past
 * exp + leeway_s it would be refused, so whoever keeps the verdict keeps it
 * no longer.
 */
int sbd_jwt_verify(const struct sbd_jwt_keys *keys, const char *token,
    const struct sbd_jwt_expect *ex, char identity[SBD_IDENTITY_MAX + 1], int64_t *exp,
    const char **why);
