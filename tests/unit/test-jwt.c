/* test-jwt.c - JWT keys, claims and signatures: HS256, ES256, EdDSA; alg confusion; exp/nbf/aud */
#include <glib.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <string.h>

#include "sbd-jwt.h"

#define NOW     1700000000
#define HS_KEY  "a-shared-secret-of-32-bytes-long"
/* base64url of HS_KEY */
#define HS_JWKS "{\"keys\":[{\"kty\":\"oct\",\"alg\":\"HS256\",\"kid\":\"k1\"," \
	"\"k\":\"YS1zaGFyZWQtc2VjcmV0LW9mLTMyLWJ5dGVzLWxvbmc\"}]}"

static char *
b64url(const void *data, size_t len)
{
	char *s = g_base64_encode(data, len);

	g_strdelimit(s, "+", '-');
	g_strdelimit(s, "/", '_');
	*strchrnul(s, '=') = '\0';
	return s;
}

/* header.claims, base64url each */
static char *
signing_input(const char *header, const char *claims)
{
	g_autofree char *h = b64url(header, strlen(header));
	g_autofree char *c = b64url(claims, strlen(claims));

	return g_strdup_printf("%s.%s", h, c);
}

static char *
hs256(const char *header, const char *claims, const char *key)
{
	g_autofree char *si = signing_input(header, claims);
	uint8_t mac[32];

	g_assert_cmpint(gnutls_hmac_fast(GNUTLS_MAC_SHA256, key, strlen(key), si, strlen(si), mac),
	    ==, 0);
	g_autofree char *sig = b64url(mac, sizeof mac);
	return g_strdup_printf("%s.%s", si, sig);
}

static struct sbd_jwt_keys *
load(const char *text)
{
	const char *why = NULL;
	struct sbd_jwt_keys *k = sbd_jwt_keys_load(text, strlen(text), &why);

	g_assert_nonnull(k);
	return k;
}

static const char *
verify(const struct sbd_jwt_keys *k, const char *token, const struct sbd_jwt_expect *ex,
    char id[SBD_IDENTITY_MAX + 1])
{
	const char *why = NULL;
	int64_t exp = 0;

	if (sbd_jwt_verify(k, token, ex, id, &exp, &why) == 0)
		return NULL;
	g_assert_nonnull(why);
	g_assert_cmpstr(id, ==, "");
	return why;
}

static const struct sbd_jwt_expect EXPECT = {
	.issuer = "https://id.test", .audience = "sb", .claim = "sub", .leeway_s = 30, .now = NOW,
};
#define HS "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"

static void
test_hs256(void)
{
	struct sbd_jwt_keys *k = load(HS_JWKS);
	char id[SBD_IDENTITY_MAX + 1];
	g_autofree char *good = hs256(HS, "{\"sub\":\"erin\",\"iss\":\"https://id.test\","
	    "\"aud\":\"sb\",\"exp\":1700000060}", HS_KEY);
	g_autofree char *wrong_key = hs256(HS, "{\"sub\":\"erin\",\"iss\":\"https://id.test\","
	    "\"aud\":\"sb\"}", "another-secret-of-32-bytes-long!");
	g_autofree char *kid = hs256("{\"alg\":\"HS256\",\"kid\":\"k2\"}", "{\"sub\":\"erin\","
	    "\"iss\":\"https://id.test\",\"aud\":\"sb\"}", HS_KEY);

	g_assert_cmpuint(sbd_jwt_keys_count(k), ==, 1);
	g_assert_null(verify(k, good, &EXPECT, id));
	g_assert_cmpstr(id, ==, "erin");
	g_assert_cmpstr(verify(k, wrong_key, &EXPECT, id), ==,
	    "the token's signature does not verify");
	/* a kid that names another key finds none */
	g_assert_cmpstr(verify(k, kid, &EXPECT, id), ==,
	    "no configured key serves the token's algorithm");
	/* exp is handed back, for whoever keeps the verdict; none: INT64_MAX */
	int64_t exp = 0;
	const char *why = NULL;
	g_autofree char *no_exp = hs256(HS, "{\"sub\":\"erin\",\"iss\":\"https://id.test\","
	    "\"aud\":\"sb\"}", HS_KEY);
	g_assert_cmpint(sbd_jwt_verify(k, good, &EXPECT, id, &exp, &why), ==, 0);
	g_assert_cmpint(exp, ==, 1700000060);
	g_assert_cmpint(sbd_jwt_verify(k, no_exp, &EXPECT, id, &exp, &why), ==, 0);
	g_assert_cmpint(exp, ==, INT64_MAX);
	/* one changed byte of the signature */
	good[strlen(good) - 2] = good[strlen(good) - 2] == 'A' ? 'B' : 'A';
	g_assert_nonnull(verify(k, good, &EXPECT, id));
	sbd_jwt_keys_free(k);
}

static void
test_alg_none(void)
{
	struct sbd_jwt_keys *k = load(HS_JWKS);
	char id[SBD_IDENTITY_MAX + 1];
	g_autofree char *si = signing_input("{\"alg\":\"none\"}",
	    "{\"sub\":\"erin\",\"iss\":\"https://id.test\",\"aud\":\"sb\"}");
	g_autofree char *empty_sig = g_strdup_printf("%s.", si);
	g_autofree char *some_sig = g_strdup_printf("%s.AAAA", si);

	g_assert_nonnull(verify(k, empty_sig, &EXPECT, id));
	g_assert_cmpstr(verify(k, some_sig, &EXPECT, id), ==,
	    "no configured key serves the token's algorithm");
	sbd_jwt_keys_free(k);
}

/* A fresh key pair of pk and the PEM of its public half. */
static gnutls_privkey_t
generate(gnutls_pk_algorithm_t pk, unsigned bits, char **pem)
{
	gnutls_privkey_t priv;
	gnutls_pubkey_t pub;
	gnutls_datum_t out;

	g_assert_cmpint(gnutls_privkey_init(&priv), ==, 0);
	g_assert_cmpint(gnutls_privkey_generate(priv, pk, bits, 0), ==, 0);
	g_assert_cmpint(gnutls_pubkey_init(&pub), ==, 0);
	g_assert_cmpint(gnutls_pubkey_import_privkey(pub, priv, 0, 0), ==, 0);
	g_assert_cmpint(gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_PEM, &out), ==, 0);
	*pem = g_strndup((const char *)out.data, out.size);
	gnutls_free(out.data);
	gnutls_pubkey_deinit(pub);
	return priv;
}

/* ES256: the DER signature rewritten as JWS's r || s, 32 bytes each. */
static char *
es256(gnutls_privkey_t priv, const char *header, const char *claims)
{
	g_autofree char *si = signing_input(header, claims);
	gnutls_datum_t data = { (unsigned char *)si, (unsigned)strlen(si) };
	gnutls_datum_t der, r, s;
	uint8_t raw[64] = { 0 };

	g_assert_cmpint(gnutls_privkey_sign_data2(priv, GNUTLS_SIGN_ECDSA_SHA256, 0, &data, &der),
	    ==, 0);
	g_assert_cmpint(gnutls_decode_rs_value(&der, &r, &s), ==, 0);
	/* big-endian integers, maybe with a leading zero or shorter than 32 bytes */
	for (unsigned i = 0; i < r.size && i < 32; i++)
		raw[31 - i] = r.data[r.size - 1 - i];
	for (unsigned i = 0; i < s.size && i < 32; i++)
		raw[63 - i] = s.data[s.size - 1 - i];
	gnutls_free(der.data);
	gnutls_free(r.data);
	gnutls_free(s.data);
	g_autofree char *sig = b64url(raw, sizeof raw);
	return g_strdup_printf("%s.%s", si, sig);
}

static char *
eddsa(gnutls_privkey_t priv, const char *header, const char *claims)
{
	g_autofree char *si = signing_input(header, claims);
	gnutls_datum_t data = { (unsigned char *)si, (unsigned)strlen(si) };
	gnutls_datum_t sig;

	g_assert_cmpint(gnutls_privkey_sign_data2(priv, GNUTLS_SIGN_EDDSA_ED25519, 0, &data,
	    &sig), ==, 0);
	g_autofree char *text = b64url(sig.data, sig.size);
	gnutls_free(sig.data);
	return g_strdup_printf("%s.%s", si, text);
}

#define CLAIMS "{\"sub\":\"erin\",\"iss\":\"https://id.test\",\"aud\":[\"x\",\"sb\"]}"

static void
test_es256_and_confusion(void)
{
	g_autofree char *pem = NULL;
	gnutls_privkey_t priv = generate(GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), &pem);
	struct sbd_jwt_keys *k = load(pem);
	char id[SBD_IDENTITY_MAX + 1];
	g_autofree char *good = es256(priv, "{\"alg\":\"ES256\"}", CLAIMS);
	/* the classic confusion: HS256 keyed with the public key's PEM text */
	g_autofree char *confused = hs256(HS, CLAIMS, pem);
	/* the right signature under a header that names another algorithm */
	g_autofree char *renamed = es256(priv, "{\"alg\":\"RS256\"}", CLAIMS);

	g_assert_null(verify(k, good, &EXPECT, id));
	g_assert_cmpstr(id, ==, "erin");
	g_assert_cmpstr(verify(k, confused, &EXPECT, id), ==,
	    "no configured key serves the token's algorithm");
	g_assert_cmpstr(verify(k, renamed, &EXPECT, id), ==,
	    "no configured key serves the token's algorithm");
	sbd_jwt_keys_free(k);
	gnutls_privkey_deinit(priv);
}

static void
test_eddsa(void)
{
	g_autofree char *pem = NULL, *other_pem = NULL;
	gnutls_privkey_t priv = generate(GNUTLS_PK_EDDSA_ED25519, 256, &pem);
	gnutls_privkey_t other = generate(GNUTLS_PK_EDDSA_ED25519, 256, &other_pem);
	/* two keys in one PEM file: either may sign */
	g_autofree char *both = g_strconcat(other_pem, pem, NULL);
	struct sbd_jwt_keys *k = load(both);
	struct sbd_jwt_keys *only_other = load(other_pem);
	char id[SBD_IDENTITY_MAX + 1];
	g_autofree char *good = eddsa(priv, "{\"alg\":\"EdDSA\"}", CLAIMS);

	g_assert_cmpuint(sbd_jwt_keys_count(k), ==, 2);
	g_assert_null(verify(k, good, &EXPECT, id));
	g_assert_cmpstr(verify(only_other, good, &EXPECT, id), ==,
	    "the token's signature does not verify");
	sbd_jwt_keys_free(k);
	sbd_jwt_keys_free(only_other);
	gnutls_privkey_deinit(priv);
	gnutls_privkey_deinit(other);
}

/* The claim checks alone, at NOW with a leeway of 30 s. */
static const char *
claims_why(const char *claims)
{
	g_autofree char *token = hs256(HS, claims, HS_KEY);
	char id[SBD_IDENTITY_MAX + 1];
	const char *why = NULL;

	if (sbd_jwt_check_claims(token, &EXPECT, id, &why) == 0)
		return NULL;
	g_assert_nonnull(why);
	return why;
}

#define BASE "\"sub\":\"erin\",\"iss\":\"https://id.test\",\"aud\":\"sb\""

static void
test_times(void)
{
	/* exp: still good up to leeway_s after it */
	g_assert_null(claims_why("{" BASE ",\"exp\":1700000000}"));
	g_assert_null(claims_why("{" BASE ",\"exp\":1699999971}"));
	g_assert_cmpstr(claims_why("{" BASE ",\"exp\":1699999970}"), ==, "the token has expired");
	/* an exp near the end of int64_t is far off, not an overflow */
	g_assert_null(claims_why("{" BASE ",\"exp\":9223372036854775807}"));
	g_assert_cmpstr(claims_why("{" BASE ",\"exp\":\"tomorrow\"}"), ==,
	    "the token's exp is not a date");
	/* a fractional NumericDate counts by its whole seconds */
	g_assert_null(claims_why("{" BASE ",\"exp\":1699999971.9}"));
	/* nbf: good from leeway_s before it */
	g_assert_null(claims_why("{" BASE ",\"nbf\":1700000030}"));
	g_assert_cmpstr(claims_why("{" BASE ",\"nbf\":1700000031}"), ==,
	    "the token is not valid yet");
	g_assert_cmpstr(claims_why("{" BASE ",\"nbf\":1e300}"), ==, "the token's nbf is not a date");
	/* neither present: no limit in time */
	g_assert_null(claims_why("{" BASE "}"));
}

static void
test_audience_issuer_identity(void)
{
	g_assert_null(claims_why("{\"sub\":\"erin\",\"iss\":\"https://id.test\",\"aud\":\"sb\"}"));
	g_assert_null(claims_why("{\"sub\":\"erin\",\"iss\":\"https://id.test\","
	    "\"aud\":[\"other\",\"sb\"]}"));
	g_assert_cmpstr(claims_why("{\"sub\":\"erin\",\"iss\":\"https://id.test\","
	    "\"aud\":[\"other\",1]}"), ==, "the token is not meant for this audience");
	g_assert_cmpstr(claims_why("{\"sub\":\"erin\",\"iss\":\"https://id.test\"}"), ==,
	    "the token is not meant for this audience");
	g_assert_cmpstr(claims_why("{\"sub\":\"erin\",\"iss\":\"https://id.test.evil\","
	    "\"aud\":\"sb\"}"), ==, "the token's issuer is not the one expected");
	g_assert_cmpstr(claims_why("{\"iss\":\"https://id.test\",\"aud\":\"sb\"}"), ==,
	    "the token's identity claim is missing or not a short name");
	g_assert_cmpstr(claims_why("{\"sub\":\"two words\",\"iss\":\"https://id.test\","
	    "\"aud\":\"sb\"}"), ==, "the token's identity claim is missing or not a short name");
	g_assert_cmpstr(claims_why("{\"sub\":7,\"iss\":\"https://id.test\",\"aud\":\"sb\"}"), ==,
	    "the token's identity claim is missing or not a short name");

	/* unchecked when not asked for */
	struct sbd_jwt_expect loose = { .claim = "email", .now = NOW };
	g_autofree char *token = hs256(HS, "{\"email\":\"e@x.org\",\"aud\":\"else\"}", HS_KEY);
	char id[SBD_IDENTITY_MAX + 1];
	const char *why = NULL;

	g_assert_cmpint(sbd_jwt_check_claims(token, &loose, id, &why), ==, 0);
	g_assert_cmpstr(id, ==, "e@x.org");
}

static void
test_malformed(void)
{
	static const char *const bad[] = {
		"", "a.b", "a.b.c.d", ".eyJ9.sig", "!!!.eyJzdWIiOiJ4In0.c2ln",
		/* header "[]" is not an object */
		"W10.eyJzdWIiOiJ4In0.c2ln",
	};
	char id[SBD_IDENTITY_MAX + 1];
	const char *why;

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		why = NULL;
		g_assert_cmpint(sbd_jwt_check_claims(bad[i], &EXPECT, id, &why), ==, -1);
		g_assert_cmpstr(why, ==, "not a JWT");
	}
	/* no alg, or a critical extension */
	g_autofree char *no_alg = hs256("{\"typ\":\"JWT\"}", "{" BASE "}", HS_KEY);
	g_autofree char *crit = hs256("{\"alg\":\"HS256\",\"crit\":[\"b64\"],\"b64\":false}",
	    "{" BASE "}", HS_KEY);
	g_assert_cmpint(sbd_jwt_check_claims(no_alg, &EXPECT, id, &why), ==, -1);
	g_assert_cmpstr(why, ==, "the token's header names no algorithm");
	g_assert_cmpint(sbd_jwt_check_claims(crit, &EXPECT, id, &why), ==, -1);
	g_assert_cmpstr(why, ==, "the token has critical header extensions");
}

static void
test_keys(void)
{
	static const char *const bad[] = {
		"{\"keys\":[]}",
		"{\"keys\":[{\"kty\":\"oct\",\"k\":\"c2hvcnQ\"}]}",               /* 5 bytes */
		"{\"keys\":[{\"kty\":\"oct\",\"alg\":\"RS256\",\"k\":\"" "YS1zaGFyZWQtc2VjcmV0LW9mLTMyLWJ5dGVzLWxvbmc\"}]}",
		"{\"keys\":[{\"kty\":\"oct\",\"use\":\"enc\",\"k\":\"" "YS1zaGFyZWQtc2VjcmV0LW9mLTMyLWJ5dGVzLWxvbmc\"}]}",
		"{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"AA\",\"y\":\"AA\"}]}",
		"not a key at all",
		"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
	};

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		const char *why = NULL;

		g_assert_null(sbd_jwt_keys_load(bad[i], strlen(bad[i]), &why));
		g_assert_nonnull(why);
	}
	sbd_jwt_keys_free(NULL);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/jwt/hs256", test_hs256);
	g_test_add_func("/jwt/alg-none", test_alg_none);
	g_test_add_func("/jwt/es256-and-alg-confusion", test_es256_and_confusion);
	g_test_add_func("/jwt/eddsa", test_eddsa);
	g_test_add_func("/jwt/exp-nbf-leeway", test_times);
	g_test_add_func("/jwt/audience-issuer-identity", test_audience_issuer_identity);
	g_test_add_func("/jwt/malformed", test_malformed);
	g_test_add_func("/jwt/keys", test_keys);
	return g_test_run();
}
