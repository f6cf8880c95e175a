/*
 * fuzz-credential.c - libFuzzer target: what a client sends as a credential, and the files auth reads.
 *
 * Input: a flag byte, then bytes cut at the first NUL. The flag's low three
 * bits pick the parser: 0 an Authorization value, 1 a Cookie header, 2 a
 * Sec-WebSocket-Protocol list, 3 a request target, 4 a JWT (claims, and the
 * signature against an HS256 key), 5 a tokens file, 6 an htpasswd file, 7 a
 * JWKS or PEM key file (these three take the bytes whole, NULs included).
 *
 * Invariants: a Bearer token is 1..SBD_CRED_MAX bytes without spaces; a
 * Basic credential has a user without ':' and neither part holds a NUL; a
 * cookie, subprotocol or query credential is 1..SBD_CRED_MAX bytes, and none
 * is found again in what the replay keeps of its header or target (the
 * stripped value is never longer than twice the input); a JWT that verifies
 * has passed the claim checks and names a valid identity, and one whose
 * header names another algorithm never verifies; parsed files hold valid
 * names only.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb-alloc.h"
#include "sbd-authfile.h"
#include "sbd-credential.h"
#include "sbd-jwt.h"
#include "fuzz-check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NAME "sb_token"
/* base64url of "fuzzing-key-of-at-least-16-bytes", the seeds' signing key */
#define JWKS "{\"keys\":[{\"kty\":\"oct\",\"alg\":\"HS256\",\"k\":" \
	"\"ZnV6emluZy1rZXktb2YtYXQtbGVhc3QtMTYtYnl0ZXM\"}]}"

static bool
valid_secret(const char *s)
{
	return s != NULL && s[0] != '\0' && strlen(s) <= SBD_CRED_MAX;
}

static void
fuzz_authorization(const char *text)
{
	struct sbd_credential c;

	sbd_cred_from_authorization(text, &c);
	switch (c.type) {
	case SBD_CRED_BEARER:
		check(valid_secret(c.secret) && strpbrk(c.secret, " \t") == NULL, "bearer token");
		check(c.user == NULL, "a bearer token has no user");
		break;
	case SBD_CRED_BASIC:
		check(c.user != NULL && c.user[0] != '\0' && strchr(c.user, ':') == NULL,
		    "basic user");
		check(c.secret != NULL, "basic password");
		break;
	case SBD_CRED_NONE:
	case SBD_CRED_BAD:
		check(c.secret == NULL && c.user == NULL, "no secret kept for none or bad");
		break;
	}
	sbd_cred_clear(&c);
	check(c.secret == NULL && c.user == NULL && c.type == SBD_CRED_NONE, "cleared");
}

static void
fuzz_cookie(const char *text)
{
	static const char *const from[] = { "cookie:" NAME };
	struct sb_cred_source src;
	struct sb_auth a = { .from = &src, .n_from = 1 };
	const char *why;
	char *v = sbd_cred_cookie(text, NAME);
	char *kept;

	check(sb_cred_source_parse(from[0], &src, &why) == 0, "the source parses");
	check(v == NULL || valid_secret(v), "cookie value");
	free(v);
	kept = sbd_cred_strip_cookies(text, &a);
	if (kept != NULL) {
		check(strlen(kept) <= 2 * strlen(text), "stripped cookies' length");
		v = sbd_cred_cookie(kept, NAME);
		check(v == NULL, "the cookie is still in what is replayed");
	}
	free(kept);
	free(src.name);
}

static void
fuzz_subprotocol(const char *text)
{
	char *v = sbd_cred_subprotocol(text);
	char *kept;

	check(v == NULL || valid_secret(v), "subprotocol token");
	free(v);
	kept = sbd_cred_strip_bearer(text);
	if (kept != NULL) {
		check(strlen(kept) <= 2 * strlen(text), "stripped list's length");
		v = sbd_cred_subprotocol(kept);
		check(v == NULL, "a bearer entry is still in what is replayed");
	}
	free(kept);
}

static void
fuzz_query(const char *text)
{
	char *v = sbd_cred_query(text, "token");
	char *kept = sbd_cred_strip_query(text, "token");

	check(v == NULL || valid_secret(v), "query value");
	free(v);
	check(strlen(kept) <= strlen(text), "stripped target's length");
	v = sbd_cred_query(kept, "token");
	check(v == NULL, "the parameter is still in what is replayed");
	free(kept);
}

/* Whether the JWS header (the part before the first dot) holds "alg":"HS256" as text. */
static bool
header_names_hs256(const char *token)
{
	uint8_t buf[8192];
	long n = sbd_base64_decode(token, strcspn(token, "."), true, buf, sizeof buf - 1);

	if (n <= 0)
		return false;
	buf[n] = '\0';
	return strstr((const char *)buf, "HS256") != NULL;
}

static void
fuzz_jwt(const char *text)
{
	static struct sbd_jwt_keys *keys;
	const char *why = NULL;
	char id[SBD_IDENTITY_MAX + 1], id2[SBD_IDENTITY_MAX + 1];
	struct sbd_jwt_expect ex = {
		.issuer = "https://id.test", .audience = "sb", .claim = "sub", .leeway_s = 30,
		.now = 1700000000,
	};
	int64_t exp = 0;
	int claims, verified;

	if (keys == NULL) {
		keys = sbd_jwt_keys_load(JWKS, strlen(JWKS), &why);
		check(keys != NULL, "the fuzzer's JWKS loads");
	}
	claims = sbd_jwt_check_claims(text, &ex, id, &why);
	check(claims == 0 || why != NULL, "a refusal says why");
	if (claims == 0)
		check(sbd_identity_is_valid(id, strlen(id)), "identity from the claims");
	verified = sbd_jwt_verify(keys, text, &ex, id2, &exp, &why);
	if (verified == 0) {
		check(exp > ex.now - (int64_t)ex.leeway_s, "verified past its exp and leeway");
		check(claims == 0 && strcmp(id, id2) == 0, "verified without passing the claims");
		check(header_names_hs256(text), "verified with another algorithm than the key's");
	} else {
		check(id2[0] == '\0', "no identity when refused");
	}
	if (claims == 0)
		check(sbd_jwt_looks_like(text), "claims of a non-JWT");
}

static void
fuzz_files(unsigned mode, const char *bytes, size_t len)
{
	struct sbd_authfile_error err = { 0, NULL };

	if (mode == 5) {
		struct sbd_token_entry *e;
		size_t n;

		if (sbd_tokens_file_parse(bytes, len, &e, &n, &err) == 0) {
			for (size_t i = 0; i < n; i++)
				check(sbd_identity_is_valid(e[i].name, strlen(e[i].name)), "token name");
			sbd_token_entries_free(e, n);
		} else {
			check(err.why != NULL && e == NULL && n == 0, "a tokens file error");
		}
	} else if (mode == 6) {
		struct sbd_htpasswd_entry *e;
		size_t n;

		if (sbd_htpasswd_parse(bytes, len, &e, &n, &err) == 0) {
			for (size_t i = 0; i < n; i++) {
				check(sbd_identity_is_valid(e[i].user, strlen(e[i].user)), "user");
				check(e[i].hash[0] == '$' && strchr(e[i].hash, ':') == NULL, "hash");
			}
			sbd_htpasswd_entries_free(e, n);
		} else {
			check(err.why != NULL && e == NULL && n == 0, "an htpasswd error");
		}
	} else {
		const char *why = NULL;
		struct sbd_jwt_keys *k = sbd_jwt_keys_load(bytes, len, &why);

		check(k != NULL || why != NULL, "a key file error");
		if (k != NULL)
			check(sbd_jwt_keys_count(k) > 0, "a key file with no key");
		sbd_jwt_keys_free(k);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned mode;
	char *text;

	if (size < 1 || size > 16384)
		return 0;
	mode = data[0] & 7;
	/* an exact-size copy: a read past the end trips ASan */
	text = sb_xmalloc(size);
	memcpy(text, data + 1, size - 1);
	if (mode >= 5) {
		fuzz_files(mode, text, size - 1);
		free(text);
		return 0;
	}
	text[size - 1] = '\0';
	text[strnlen(text, size - 1)] = '\0';
	switch (mode) {
	case 0:
		fuzz_authorization(text);
		break;
	case 1:
		fuzz_cookie(text);
		break;
	case 2:
		fuzz_subprotocol(text);
		break;
	case 3:
		fuzz_query(text);
		break;
	default:
		fuzz_jwt(text);
		break;
	}
	free(text);
	return 0;
}
