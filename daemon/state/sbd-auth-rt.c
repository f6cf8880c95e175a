/* sbd-auth-rt.c - a route's auth at run time: files, checks, cache */
#include "sbd-auth-rt.h"

#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sb-alloc.h"
#include "sbd-ctx.h"
#include "sbd-file.h"
#include "sbd-jwt.h"
#include "sbd-tls-client.h"

#define CACHE_SLOTS   1024
#define CACHE_OK_MS   10000 /* an accepted credential is checked again after this */
#define CACHE_BAD_MS  2000  /* a refused one: long enough to blunt a flood, short for a typo */

struct cache_slot {
	uint8_t key[32];        /* HMAC-SHA256(cache_key, credential) */
	uint64_t expires_ms;
	struct sbd_auth_verdict v;
};

struct sbd_auth_rt {
	const struct sb_auth *conf;
	struct sbd_token_entry *tokens;
	size_t n_tokens;
	bool has_tokens;
	struct sbd_htpasswd_entry *users;
	size_t n_users;
	bool has_basic;
	struct sbd_jwt_keys *keys;
	struct sbd_auth_service *service;
	uint8_t cache_key[32];
	pthread_mutex_t lock;
	struct cache_slot *cache;
};

/* One of auth's files (name as the policy writes it): all of it, or NULL with an error at path. */
static char *
read_auth_file(const struct sb_policy *p, const char *what, const char *name, const char *path,
    size_t *len, struct sb_errors *errs)
{
	char *file = sb_policy_resolve_path(p, name);
	const char *why;
	char *text = sbd_file_read(file, len, &why);

	if (text == NULL)
		sb_errors_add(errs, path, "%s: cannot read \"%s\": %s", what, name, why);
	free(file);
	return text;
}

static int
load_tokens(struct sbd_auth_rt *rt, const struct sb_policy *p, const char *path,
    struct sb_errors *errs)
{
	size_t len = 0;
	char *text = read_auth_file(p, "tokens", rt->conf->tokens, path, &len, errs);
	struct sbd_authfile_error err;

	if (text != NULL && sbd_tokens_file_parse(text, len, &rt->tokens, &rt->n_tokens, &err) < 0)
		sb_errors_add(errs, path, "tokens: %s line %zu: %s", rt->conf->tokens, err.line,
		    err.why);
	else
		rt->has_tokens = text != NULL;
	sbd_file_wipe(text, len);
	return rt->has_tokens ? 0 : -1;
}

static int
load_basic(struct sbd_auth_rt *rt, const struct sb_policy *p, const char *path,
    struct sb_errors *errs)
{
	size_t len = 0;
	char *text = read_auth_file(p, "basic", rt->conf->basic, path, &len, errs);
	struct sbd_authfile_error err;

	if (text != NULL && sbd_htpasswd_parse(text, len, &rt->users, &rt->n_users, &err) < 0)
		sb_errors_add(errs, path, "basic: %s line %zu: %s", rt->conf->basic, err.line,
		    err.why);
	else
		rt->has_basic = text != NULL;
	sbd_file_wipe(text, len);
	return rt->has_basic ? 0 : -1;
}

static int
load_keys(struct sbd_auth_rt *rt, const struct sb_policy *p, const char *path,
    struct sb_errors *errs)
{
	size_t len = 0;
	char *text = read_auth_file(p, "jwt.keys", rt->conf->jwt->keys, path, &len, errs);
	const char *why;

	if (text != NULL && (rt->keys = sbd_jwt_keys_load(text, len, &why)) == NULL)
		sb_errors_add(errs, path, "jwt.keys: %s: %s", rt->conf->jwt->keys, why);
	sbd_file_wipe(text, len);
	return rt->keys != NULL ? 0 : -1;
}

/* The auth service's address (a name: its first) and, for https, a verifying client. */
static int
load_service(struct sbd_auth_rt *rt, const struct sb_policy *p, const char *path,
    struct sb_errors *errs)
{
	static const struct sb_backend_tls verify = { .verify = true };
	const struct sb_auth_request *r = rt->conf->request;
	struct sbd_auth_service *svc = sb_xcalloc(1, sizeof *svc);
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG };
	struct addrinfo *res = NULL;
	char port[8], where[64];
	int rc;

	rt->service = svc;
	svc->conf = r;
	snprintf(port, sizeof port, "%u", r->parsed.hp.port);
	if (sb_hostport_to_sockaddr(&r->parsed.hp, &svc->addr, &svc->addr_len) < 0) {
		rc = getaddrinfo(r->parsed.hp.host, port, &hints, &res);
		if (rc != 0 || res == NULL) {
			sb_errors_add(errs, path, "request.url: cannot resolve %s: %s",
			    r->parsed.hp.host, gai_strerror(rc));
			return -1;
		}
		memcpy(&svc->addr, res->ai_addr, res->ai_addrlen);
		svc->addr_len = res->ai_addrlen;
		freeaddrinfo(res);
	}
	snprintf(where, sizeof where, "%s.request.url", path);
	if (r->parsed.tls && (svc->tls = sbd_tls_client_new(p, &verify, false, where, errs)) == NULL)
		return -1;
	return 0;
}

struct sbd_auth_rt *
sbd_auth_rt_new(const struct sb_policy *p, const struct sb_auth *a, const char *path,
    struct sb_errors *errs)
{
	struct sbd_auth_rt *rt = sb_xcalloc(1, sizeof *rt);
	int rc = 0;

	rt->conf = a;
	pthread_mutex_init(&rt->lock, NULL);
	rt->cache = sb_xcalloc(CACHE_SLOTS, sizeof *rt->cache);
	if (gnutls_rnd(GNUTLS_RND_KEY, rt->cache_key, sizeof rt->cache_key) < 0) {
		sb_errors_add(errs, path, "no random bytes for the verdict cache");
		rc = -1;
	}
	if (a->tokens != NULL && load_tokens(rt, p, path, errs) < 0)
		rc = -1;
	if (a->basic != NULL && load_basic(rt, p, path, errs) < 0)
		rc = -1;
	if (a->jwt != NULL && load_keys(rt, p, path, errs) < 0)
		rc = -1;
	if (a->request != NULL && load_service(rt, p, path, errs) < 0)
		rc = -1;
	if (rc < 0) {
		sbd_auth_rt_free(rt);
		return NULL;
	}
	return rt;
}

void
sbd_auth_rt_free(struct sbd_auth_rt *rt)
{
	if (rt == NULL)
		return;
	sbd_token_entries_free(rt->tokens, rt->n_tokens);
	sbd_htpasswd_entries_free(rt->users, rt->n_users);
	sbd_jwt_keys_free(rt->keys);
	if (rt->service != NULL) {
		sbd_tls_client_unref(rt->service->tls);
		free(rt->service);
	}
	gnutls_memset(rt->cache, 0, CACHE_SLOTS * sizeof *rt->cache);
	free(rt->cache);
	pthread_mutex_destroy(&rt->lock);
	free(rt);
}

const struct sb_auth *
sbd_auth_rt_conf(const struct sbd_auth_rt *rt)
{
	return rt->conf;
}

bool
sbd_auth_rt_has_tokens(const struct sbd_auth_rt *rt)
{
	return rt->has_tokens;
}

bool
sbd_auth_rt_has_basic(const struct sbd_auth_rt *rt)
{
	return rt->has_basic;
}

bool
sbd_auth_rt_has_jwt(const struct sbd_auth_rt *rt)
{
	return rt->keys != NULL;
}

const struct sbd_auth_service *
sbd_auth_rt_service(const struct sbd_auth_rt *rt)
{
	return rt->service;
}

static void
refused(struct sbd_auth_verdict *v, int method, const char *why)
{
	memset(v, 0, sizeof *v);
	v->method = method;
	v->why = why;
}

static void
accepted(struct sbd_auth_verdict *v, int method, const char *identity)
{
	memset(v, 0, sizeof *v);
	v->accepted = true;
	v->method = method;
	snprintf(v->identity, sizeof v->identity, "%s", identity);
}

void
sbd_auth_check_token(const struct sbd_auth_rt *rt, const char *token,
    struct sbd_auth_verdict *v)
{
	uint8_t digest[32];
	const char *name = NULL;

	refused(v, SBD_AUTH_TOKENS, "the token is not valid");
	if (sbd_token_digest(token, strlen(token), digest) < 0)
		return;
	/* every entry is compared: the time taken says nothing about which one matched */
	for (size_t i = 0; i < rt->n_tokens; i++) {
		if (sbd_equal_ct(digest, rt->tokens[i].sha256, sizeof digest) && name == NULL)
			name = rt->tokens[i].name;
	}
	gnutls_memset(digest, 0, sizeof digest);
	if (name != NULL)
		accepted(v, SBD_AUTH_TOKENS, name);
}

/* crypt_rn's answer against the stored hash, in constant time. */
static bool
crypt_matches(const char *password, const char *hash)
{
	struct crypt_data *cd = sb_xcalloc(1, sizeof *cd);
	const char *out = crypt_rn(password, hash, cd, sizeof *cd);
	size_t len = strlen(hash);
	bool ok = out != NULL && out[0] != '*' && strlen(out) == len &&
	    sbd_equal_ct((const uint8_t *)out, (const uint8_t *)hash, len);

	gnutls_memset(cd, 0, sizeof *cd);
	free(cd);
	return ok;
}

void
sbd_auth_check_basic(const struct sbd_auth_rt *rt, const char *user, const char *password,
    struct sbd_auth_verdict *v)
{
	const char *hash = NULL;

	refused(v, SBD_AUTH_BASIC, "the user name or password is not valid");
	for (size_t i = 0; i < rt->n_users && hash == NULL; i++) {
		if (strcmp(rt->users[i].user, user) == 0)
			hash = rt->users[i].hash;
	}
	if (hash == NULL) {
		/* an unknown user costs what a known one does: no telling them apart by time */
		if (rt->n_users > 0)
			(void)crypt_matches(password, rt->users[0].hash);
		return;
	}
	if (crypt_matches(password, hash))
		accepted(v, SBD_AUTH_BASIC, user);
}

void
sbd_auth_check_jwt(const struct sbd_auth_rt *rt, const char *token, int64_t now,
    struct sbd_auth_verdict *v)
{
	const struct sb_auth_jwt *j = rt->conf->jwt;
	struct sbd_jwt_expect ex = {
		.issuer = j->issuer,
		.audience = j->audience,
		.claim = sb_auth_jwt_claim(j),
		.leeway_s = j->leeway_s,
		.now = now,
	};
	char identity[SBD_IDENTITY_MAX + 1];
	const char *why = NULL;
	int64_t exp;

	if (sbd_jwt_verify(rt->keys, token, &ex, identity, &exp, &why) < 0) {
		refused(v, SBD_AUTH_JWT, why);
		return;
	}
	accepted(v, SBD_AUTH_JWT, identity);
	if (exp <= INT64_MAX - (int64_t)j->leeway_s)
		v->until_s = exp + (int64_t)j->leeway_s;
}

static bool
listed(char *const *items, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(items[i], s) == 0)
			return true;
	}
	return false;
}

/* The subject's CN, else the whole DN, as the identity. */
static void
cert_identity(gnutls_x509_crt_t crt, const char *dn, char *out, size_t cap)
{
	char cn[SBD_IDENTITY_MAX + 1];
	size_t len = sizeof cn;

	if (gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, cn, &len) == 0 &&
	    sbd_identity_is_valid(cn, strlen(cn)))
		snprintf(out, cap, "%s", cn);
	else
		snprintf(out, cap, "%.*s", SBD_IDENTITY_MAX, dn);
}

int
sbd_auth_check_cert(const struct sbd_auth_rt *rt, gnutls_session_t session,
    struct sbd_auth_verdict *v)
{
	const struct sb_auth_client_cert *cc = rt->conf->client_cert;
	const gnutls_datum_t *certs;
	unsigned n = 0, status = 1;
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t dn = { NULL, 0 };
	int rc = 0;

	refused(v, SBD_AUTH_CLIENT_CERT, "no client certificate");
	if (cc == NULL || session == NULL ||
	    (certs = gnutls_certificate_get_peers(session, &n)) == NULL || n == 0 ||
	    gnutls_certificate_verify_peers2(session, &status) < 0 || status != 0)
		return 0;
	if (gnutls_x509_crt_init(&crt) < 0)
		return 0;
	if (gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) < 0 ||
	    gnutls_x509_crt_get_dn3(crt, &dn, 0) < 0)
		goto out;
	rc = -1;
	refused(v, SBD_AUTH_CLIENT_CERT, "the client certificate is not allowed on this route");
	if (cc->subjects == NULL && cc->sans == NULL) {
		cert_identity(crt, (const char *)dn.data, v->identity, sizeof v->identity);
		rc = 1;
	} else if (listed(cc->subjects, cc->n_subjects, (const char *)dn.data)) {
		cert_identity(crt, (const char *)dn.data, v->identity, sizeof v->identity);
		rc = 1;
	}
	for (unsigned i = 0; rc != 1 && cc->sans != NULL; i++) {
		char san[512];
		size_t len = sizeof san - 1;
		int type = gnutls_x509_crt_get_subject_alt_name(crt, i, san, &len, NULL);

		if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (type < 0)
			continue;
		san[len] = '\0';
		if ((type == GNUTLS_SAN_DNSNAME || type == GNUTLS_SAN_RFC822NAME ||
		    type == GNUTLS_SAN_URI) && strlen(san) == len &&
		    listed(cc->sans, cc->n_sans, san) && sbd_identity_is_valid(san, len)) {
			snprintf(v->identity, sizeof v->identity, "%s", san);
			rc = 1;
		}
	}
	if (rc == 1) {
		v->accepted = true;
		v->why = NULL;
	}
out:
	gnutls_free(dn.data);
	gnutls_x509_crt_deinit(crt);
	return rc;
}

/* False when there is no keyed hash: then nothing is cached, as one key would stand for all. */
static bool
cache_key(const struct sbd_auth_rt *rt, const struct sbd_credential *c, uint8_t out[32])
{
	gnutls_hmac_hd_t h;
	uint8_t type = (uint8_t)c->type;

	if (gnutls_hmac_init(&h, GNUTLS_MAC_SHA256, rt->cache_key, sizeof rt->cache_key) < 0)
		return false;
	gnutls_hmac(h, &type, 1);
	if (c->user != NULL)
		gnutls_hmac(h, c->user, strlen(c->user) + 1);
	if (c->secret != NULL)
		gnutls_hmac(h, c->secret, strlen(c->secret) + 1);
	if (c->forward != NULL)
		gnutls_hmac(h, c->forward, strlen(c->forward));
	gnutls_hmac_deinit(h, out);
	return true;
}

static size_t
slot_of(const uint8_t key[32])
{
	return ((size_t)key[0] | (size_t)key[1] << 8) % CACHE_SLOTS;
}

bool
sbd_auth_cache_get(struct sbd_auth_rt *rt, const struct sbd_credential *c, uint64_t now_ms,
    struct sbd_auth_verdict *v)
{
	uint8_t key[32];
	bool hit;

	if (!cache_key(rt, c, key))
		return false;
	struct cache_slot *s = &rt->cache[slot_of(key)];
	pthread_mutex_lock(&rt->lock);
	hit = s->expires_ms > now_ms && sbd_equal_ct(s->key, key, sizeof key);
	if (hit)
		*v = s->v;
	pthread_mutex_unlock(&rt->lock);
	return hit;
}

/* ttl_ms, or less: the milliseconds until until_s (a wall-clock second; 0: no end) */
static uint64_t
ttl_until(uint64_t ttl_ms, int64_t until_s)
{
	struct timespec ts;
	int64_t left_s;

	if (until_s == 0)
		return ttl_ms;
	clock_gettime(CLOCK_REALTIME, &ts);
	left_s = until_s - (int64_t)ts.tv_sec;
	if (left_s <= 0)
		return 0;
	if ((uint64_t)left_s > ttl_ms / 1000 + 1)
		return ttl_ms;
	uint64_t left_ms = (uint64_t)left_s * 1000 - (uint64_t)ts.tv_nsec / 1000000;
	return left_ms < ttl_ms ? left_ms : ttl_ms;
}

void
sbd_auth_cache_put(struct sbd_auth_rt *rt, const struct sbd_credential *c, uint64_t now_ms,
    const struct sbd_auth_verdict *v)
{
	uint8_t key[32];

	uint64_t ttl_ms = v->accepted ? CACHE_OK_MS : CACHE_BAD_MS;

	if (v->method == SBD_AUTH_REQUEST)
		ttl_ms = (uint64_t)rt->conf->request->cache_s * 1000;
	if (v->accepted)
		ttl_ms = ttl_until(ttl_ms, v->until_s);
	if (ttl_ms == 0 || !cache_key(rt, c, key))
		return;
	struct cache_slot *s = &rt->cache[slot_of(key)];
	pthread_mutex_lock(&rt->lock);
	memcpy(s->key, key, sizeof key);
	s->expires_ms = now_ms + ttl_ms;
	s->v = *v;
	pthread_mutex_unlock(&rt->lock);
}
