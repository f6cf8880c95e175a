/* sbd-jwt.c - JWT: keys, header, claims and signatures (GnuTLS) */
#include "sbd-jwt.h"

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb-alloc.h"
#include "sbd-credential.h"

#define KEYS_MAX 64
#define PART_MAX 6144

enum jwt_alg { ALG_HS256, ALG_HS384, ALG_HS512, ALG_RS256, ALG_ES256, ALG_EDDSA };

static const char *const alg_names[] = {
	[ALG_HS256] = "HS256", [ALG_HS384] = "HS384", [ALG_HS512] = "HS512",
	[ALG_RS256] = "RS256", [ALG_ES256] = "ES256", [ALG_EDDSA] = "EdDSA",
};

struct jwt_key {
	enum jwt_alg alg;
	char *kid;                /* NULL: matches a token without kid, or any */
	uint8_t *secret;          /* HS* */
	size_t secret_len;
	gnutls_pubkey_t pub;      /* the others */
};

struct sbd_jwt_keys {
	struct jwt_key items[KEYS_MAX];
	size_t n;
};

static int
alg_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof alg_names / sizeof alg_names[0]; i++) {
		if (strcmp(name, alg_names[i]) == 0)
			return (int)i;
	}
	return -1;
}

void
sbd_jwt_keys_free(struct sbd_jwt_keys *k)
{
	if (k == NULL)
		return;
	for (size_t i = 0; i < k->n; i++) {
		free(k->items[i].kid);
		if (k->items[i].secret != NULL) {
			gnutls_memset(k->items[i].secret, 0, k->items[i].secret_len);
			free(k->items[i].secret);
		}
		if (k->items[i].pub != NULL)
			gnutls_pubkey_deinit(k->items[i].pub);
	}
	free(k);
}

size_t
sbd_jwt_keys_count(const struct sbd_jwt_keys *k)
{
	return k->n;
}

/* A base64url member of a JWK, decoded into a new buffer. */
static uint8_t *
jwk_bytes(json_object *jwk, const char *name, size_t *len)
{
	json_object *v;
	const char *text;
	uint8_t *out;
	long n;

	if (!json_object_object_get_ex(jwk, name, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	text = json_object_get_string(v);
	out = sb_xmalloc(strlen(text) + 1);
	n = sbd_base64_decode(text, strlen(text), true, out, strlen(text) + 1);
	if (n <= 0) {
		free(out);
		return NULL;
	}
	*len = (size_t)n;
	return out;
}

static const char *
jwk_string(json_object *jwk, const char *name)
{
	json_object *v;

	if (!json_object_object_get_ex(jwk, name, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* The algorithm a public key serves, from its kind (and curve). */
static int
alg_of_pubkey(gnutls_pubkey_t pub)
{
	unsigned bits = 0;
	int pk = gnutls_pubkey_get_pk_algorithm(pub, &bits);
	gnutls_ecc_curve_t curve;

	if (pk == GNUTLS_PK_RSA)
		return bits >= 2048 ? ALG_RS256 : -1;
	if (pk == GNUTLS_PK_EDDSA_ED25519)
		return ALG_EDDSA;
	if (pk == GNUTLS_PK_ECDSA && gnutls_pubkey_export_ecc_raw(pub, &curve, NULL, NULL) == 0 &&
	    curve == GNUTLS_ECC_CURVE_SECP256R1)
		return ALG_ES256;
	return -1;
}

static int
import_jwk(json_object *jwk, struct jwt_key *k, const char **why)
{
	const char *kty = jwk_string(jwk, "kty");
	const char *alg = jwk_string(jwk, "alg");
	const char *use = jwk_string(jwk, "use");
	const char *kid = jwk_string(jwk, "kid");
	const char *crv = jwk_string(jwk, "crv");
	gnutls_datum_t a = { NULL, 0 }, b = { NULL, 0 };
	size_t alen = 0, blen = 0;
	int rc = -1, want;

	memset(k, 0, sizeof *k);
	*why = "a key is not an RSA, EC P-256, Ed25519 or oct JWK";
	if (kty == NULL || (use != NULL && strcmp(use, "sig") != 0))
		return -1;
	if (strcmp(kty, "oct") == 0) {
		want = alg != NULL ? alg_from_name(alg) : ALG_HS256;
		if (want < ALG_HS256 || want > ALG_HS512)
			return -1;
		k->secret = jwk_bytes(jwk, "k", &k->secret_len);
		if (k->secret == NULL || k->secret_len < 16) {
			*why = "an oct key needs \"k\" of at least 16 bytes";
			return -1;
		}
		k->alg = (enum jwt_alg)want;
		rc = 0;
		goto out;
	}
	if (gnutls_pubkey_init(&k->pub) < 0)
		return -1;
	if (strcmp(kty, "RSA") == 0) {
		a.data = jwk_bytes(jwk, "n", &alen);
		b.data = jwk_bytes(jwk, "e", &blen);
		a.size = (unsigned)alen;
		b.size = (unsigned)blen;
		if (a.data != NULL && b.data != NULL &&
		    gnutls_pubkey_import_rsa_raw(k->pub, &a, &b) == 0)
			rc = 0;
	} else if (strcmp(kty, "EC") == 0 && crv != NULL && strcmp(crv, "P-256") == 0) {
		a.data = jwk_bytes(jwk, "x", &alen);
		b.data = jwk_bytes(jwk, "y", &blen);
		a.size = (unsigned)alen;
		b.size = (unsigned)blen;
		if (a.data != NULL && b.data != NULL && gnutls_pubkey_import_ecc_raw(k->pub,
		    GNUTLS_ECC_CURVE_SECP256R1, &a, &b) == 0)
			rc = 0;
	} else if (strcmp(kty, "OKP") == 0 && crv != NULL && strcmp(crv, "Ed25519") == 0) {
		a.data = jwk_bytes(jwk, "x", &alen);
		a.size = (unsigned)alen;
		if (a.data != NULL && gnutls_pubkey_import_ecc_raw(k->pub,
		    GNUTLS_ECC_CURVE_ED25519, &a, NULL) == 0)
			rc = 0;
	}
	if (rc == 0) {
		want = alg_of_pubkey(k->pub);
		if (want < 0 || (alg != NULL && alg_from_name(alg) != want)) {
			*why = "a key's \"alg\" does not fit its kind (RS256, ES256 or EdDSA)";
			rc = -1;
		} else {
			k->alg = (enum jwt_alg)want;
		}
	}
out:
	free(a.data);
	free(b.data);
	if (rc == 0 && kid != NULL)
		k->kid = sb_xstrdup(kid);
	return rc;
}

static struct sbd_jwt_keys *
load_jwks(const char *text, size_t len, const char **why)
{
	json_tokener *tok = json_tokener_new();
	json_object *doc = json_tokener_parse_ex(tok, text, (int)len);
	json_object *arr;
	struct sbd_jwt_keys *keys = NULL;

	json_tokener_free(tok);
	*why = "a JWKS must be {\"keys\": [...]} with 1..64 keys";
	if (doc == NULL || !json_object_object_get_ex(doc, "keys", &arr) ||
	    !json_object_is_type(arr, json_type_array) || json_object_array_length(arr) == 0 ||
	    json_object_array_length(arr) > KEYS_MAX)
		goto out;
	keys = sb_xcalloc(1, sizeof *keys);
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *jwk = json_object_array_get_idx(arr, i);

		if (!json_object_is_type(jwk, json_type_object) ||
		    import_jwk(jwk, &keys->items[keys->n], why) < 0) {
			if (keys->items[keys->n].pub != NULL)
				gnutls_pubkey_deinit(keys->items[keys->n].pub);
			free(keys->items[keys->n].secret);
			sbd_jwt_keys_free(keys);
			keys = NULL;
			goto out;
		}
		keys->n++;
	}
out:
	json_object_put(doc);
	return keys;
}

static struct sbd_jwt_keys *
load_pem(const char *text, size_t len, const char **why)
{
	static const char begin[] = "-----BEGIN PUBLIC KEY-----";
	static const char end[] = "-----END PUBLIC KEY-----";
	struct sbd_jwt_keys *keys = sb_xcalloc(1, sizeof *keys);
	const char *p = text, *stop = text + len;

	*why = "no PEM public key (-----BEGIN PUBLIC KEY-----) of RSA, P-256 or Ed25519";
	while (keys->n < KEYS_MAX && (p = memmem(p, (size_t)(stop - p), begin,
	    sizeof begin - 1)) != NULL) {
		const char *e = memmem(p, (size_t)(stop - p), end, sizeof end - 1);
		struct jwt_key *k = &keys->items[keys->n];
		gnutls_datum_t d;
		int alg;

		if (e == NULL)
			break;
		e += sizeof end - 1;
		d.data = (unsigned char *)(uintptr_t)p;
		d.size = (unsigned)(e - p);
		if (gnutls_pubkey_init(&k->pub) < 0 ||
		    gnutls_pubkey_import(k->pub, &d, GNUTLS_X509_FMT_PEM) < 0 ||
		    (alg = alg_of_pubkey(k->pub)) < 0) {
			if (k->pub != NULL)
				gnutls_pubkey_deinit(k->pub);
			k->pub = NULL;
			sbd_jwt_keys_free(keys);
			return NULL;
		}
		k->alg = (enum jwt_alg)alg;
		keys->n++;
		p = e;
	}
	if (keys->n == 0) {
		sbd_jwt_keys_free(keys);
		return NULL;
	}
	return keys;
}

struct sbd_jwt_keys *
sbd_jwt_keys_load(const char *text, size_t len, const char **why)
{
	size_t i = 0;

	while (i < len && (text[i] == ' ' || text[i] == '\n' || text[i] == '\r' || text[i] == '\t'))
		i++;
	if (i < len && text[i] == '{')
		return load_jwks(text + i, len - i, why);
	return load_pem(text, len, why);
}

bool
sbd_jwt_looks_like(const char *token)
{
	const char *d1 = strchr(token, '.');
	const char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;

	return d1 != NULL && d2 != NULL && d1 != token && strchr(d2 + 1, '.') == NULL &&
	    strlen(token) <= SBD_JWT_MAX;
}

/* The parts of a compact JWS; false when it is not three base64url parts. */
struct jws {
	const char *signing_input; /* header.payload */
	size_t signing_len;
	json_object *header;
	json_object *claims;
	uint8_t sig[1024];
	size_t sig_len;
};

static json_object *
decode_json_part(const char *s, size_t len)
{
	uint8_t buf[PART_MAX];
	long n = sbd_base64_decode(s, len, true, buf, sizeof buf);
	json_tokener *tok;
	json_object *o;

	if (n <= 0 || memchr(buf, '\0', (size_t)n) != NULL)
		return NULL;
	tok = json_tokener_new();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, (const char *)buf, (int)n);
	if (o != NULL && json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	if (o != NULL && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	return o;
}

static void
jws_clear(struct jws *j)
{
	json_object_put(j->header);
	json_object_put(j->claims);
	j->header = j->claims = NULL;
}

static int
jws_split(const char *token, struct jws *j, const char **why)
{
	const char *d1, *d2;
	long n;

	memset(j, 0, sizeof *j);
	*why = "not a JWT";
	if (!sbd_jwt_looks_like(token))
		return -1;
	d1 = strchr(token, '.');
	d2 = strchr(d1 + 1, '.');
	j->header = decode_json_part(token, (size_t)(d1 - token));
	j->claims = decode_json_part(d1 + 1, (size_t)(d2 - d1 - 1));
	n = sbd_base64_decode(d2 + 1, strlen(d2 + 1), true, j->sig, sizeof j->sig);
	if (j->header == NULL || j->claims == NULL || n <= 0) {
		jws_clear(j);
		return -1;
	}
	j->sig_len = (size_t)n;
	j->signing_input = token;
	j->signing_len = (size_t)(d2 - token);
	return 0;
}

static const char *
member_string(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* A NumericDate member: -1 absent, -2 present but not a number, else 0 with *out. */
static int
member_time(json_object *o, const char *key, int64_t *out)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return -1;
	if (json_object_is_type(v, json_type_int)) {
		*out = json_object_get_int64(v);
		return 0;
	}
	if (json_object_is_type(v, json_type_double)) {
		double d = json_object_get_double(v);

		if (d > -1e15 && d < 1e15) {
			*out = (int64_t)d;
			return 0;
		}
	}
	return -2;
}

static bool
audience_has(json_object *claims, const char *want)
{
	json_object *v;

	if (!json_object_object_get_ex(claims, "aud", &v))
		return false;
	if (json_object_is_type(v, json_type_string))
		return strcmp(json_object_get_string(v), want) == 0;
	if (!json_object_is_type(v, json_type_array))
		return false;
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		json_object *e = json_object_array_get_idx(v, i);

		if (json_object_is_type(e, json_type_string) &&
		    strcmp(json_object_get_string(e), want) == 0)
			return true;
	}
	return false;
}

/* The header and claims; *exp: the token's exp, INT64_MAX when it has none. */
static int
check_parts(const struct jws *j, const struct sbd_jwt_expect *ex,
    char identity[SBD_IDENTITY_MAX + 1], int64_t *exp, const char **why)
{
	json_object *v;
	const char *alg = member_string(j->header, "alg");
	const char *id;
	int64_t t;
	int r;

	if (alg == NULL) {
		*why = "the token's header names no algorithm";
		return -1;
	}
	if (json_object_object_get_ex(j->header, "crit", &v)) {
		*why = "the token has critical header extensions";
		return -1;
	}
	/* now - leeway, not exp + leeway: an exp near INT64_MAX must not overflow */
	if ((r = member_time(j->claims, "exp", &t)) == -2 ||
	    (r == 0 && ex->now - (int64_t)ex->leeway_s >= t)) {
		*why = r == -2 ? "the token's exp is not a date" : "the token has expired";
		return -1;
	}
	*exp = r == 0 ? t : INT64_MAX;
	if ((r = member_time(j->claims, "nbf", &t)) == -2 ||
	    (r == 0 && ex->now + (int64_t)ex->leeway_s < t)) {
		*why = r == -2 ? "the token's nbf is not a date" : "the token is not valid yet";
		return -1;
	}
	if (ex->issuer != NULL && (member_string(j->claims, "iss") == NULL ||
	    strcmp(member_string(j->claims, "iss"), ex->issuer) != 0)) {
		*why = "the token's issuer is not the one expected";
		return -1;
	}
	if (ex->audience != NULL && !audience_has(j->claims, ex->audience)) {
		*why = "the token is not meant for this audience";
		return -1;
	}
	id = member_string(j->claims, ex->claim);
	if (id == NULL || !sbd_identity_is_valid(id, strlen(id))) {
		*why = "the token's identity claim is missing or not a short name";
		return -1;
	}
	snprintf(identity, SBD_IDENTITY_MAX + 1, "%s", id);
	return 0;
}

int
sbd_jwt_check_claims(const char *token, const struct sbd_jwt_expect *ex,
    char identity[SBD_IDENTITY_MAX + 1], const char **why)
{
	struct jws j;
	int64_t exp;
	int rc;

	identity[0] = '\0';
	if (jws_split(token, &j, why) < 0)
		return -1;
	rc = check_parts(&j, ex, identity, &exp, why);
	if (rc < 0)
		identity[0] = '\0';
	jws_clear(&j);
	return rc;
}

static bool
hmac_ok(const struct jwt_key *k, const struct jws *j)
{
	static const gnutls_mac_algorithm_t macs[] = {
		[ALG_HS256] = GNUTLS_MAC_SHA256, [ALG_HS384] = GNUTLS_MAC_SHA384,
		[ALG_HS512] = GNUTLS_MAC_SHA512,
	};
	uint8_t digest[64];
	size_t dlen = gnutls_hmac_get_len(macs[k->alg]);
	unsigned diff = 0;

	if (dlen != j->sig_len || gnutls_hmac_fast(macs[k->alg], k->secret, k->secret_len,
	    j->signing_input, j->signing_len, digest) < 0)
		return false;
	for (size_t i = 0; i < dlen; i++)
		diff |= digest[i] ^ j->sig[i];
	return diff == 0;
}

static bool
signature_ok(const struct jwt_key *k, const struct jws *j)
{
	gnutls_datum_t data = { (unsigned char *)(uintptr_t)j->signing_input,
		(unsigned)j->signing_len };
	gnutls_datum_t sig = { (unsigned char *)(uintptr_t)j->sig, (unsigned)j->sig_len };
	gnutls_datum_t der = { NULL, 0 };
	bool ok = false;

	switch (k->alg) {
	case ALG_HS256:
	case ALG_HS384:
	case ALG_HS512:
		return hmac_ok(k, j);
	case ALG_RS256:
		return gnutls_pubkey_verify_data2(k->pub, GNUTLS_SIGN_RSA_SHA256, 0, &data,
		    &sig) >= 0;
	case ALG_ES256: {
		/* JWS writes r || s, 32 bytes each; GnuTLS wants DER */
		gnutls_datum_t r = { (unsigned char *)(uintptr_t)j->sig, 32 };
		gnutls_datum_t s = { (unsigned char *)(uintptr_t)j->sig + 32, 32 };

		if (j->sig_len != 64 || gnutls_encode_rs_value(&der, &r, &s) < 0)
			return false;
		ok = gnutls_pubkey_verify_data2(k->pub, GNUTLS_SIGN_ECDSA_SHA256, 0, &data,
		    &der) >= 0;
		gnutls_free(der.data);
		return ok;
	}
	case ALG_EDDSA:
		return gnutls_pubkey_verify_data2(k->pub, GNUTLS_SIGN_EDDSA_ED25519, 0, &data,
		    &sig) >= 0;
	}
	return false;
}

int
sbd_jwt_verify(const struct sbd_jwt_keys *keys, const char *token,
    const struct sbd_jwt_expect *ex, char identity[SBD_IDENTITY_MAX + 1], int64_t *exp,
    const char **why)
{
	struct jws j;
	const char *alg, *kid;
	bool tried = false;
	int rc = -1;

	identity[0] = '\0';
	if (jws_split(token, &j, why) < 0)
		return -1;
	if (check_parts(&j, ex, identity, exp, why) < 0)
		goto out;
	alg = member_string(j.header, "alg");
	kid = member_string(j.header, "kid");
	*why = "no configured key serves the token's algorithm";
	for (size_t i = 0; i < keys->n && rc < 0; i++) {
		const struct jwt_key *k = &keys->items[i];

		/* the key decides the algorithm: the token's must be the same */
		if (strcmp(alg, alg_names[k->alg]) != 0)
			continue;
		if (kid != NULL && k->kid != NULL && strcmp(kid, k->kid) != 0)
			continue;
		tried = true;
		if (signature_ok(k, &j))
			rc = 0;
	}
	if (rc < 0 && tried)
		*why = "the token's signature does not verify";
out:
	if (rc < 0)
		identity[0] = '\0';
	jws_clear(&j);
	return rc;
}
