/* sbd-auth-rt.h - a route's auth at run time: its files read at apply, checks, a verdict cache
 *
 * Built once per policy revision; any thread may call the checks. The fast
 * ones (tokens, client certificates) run on a connection's loop; basic and
 * jwt cost milliseconds and run on the workers.
 */
#pragma once

#include <gnutls/gnutls.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "sb-auth.h"
#include "sb-errors.h"
#include "sb-policy.h"
#include "sbd-authfile.h"
#include "sbd-credential.h"

struct sbd_auth_rt;
struct sbd_tls_client;

/* The auth service of "request", resolved when the policy is applied. */
struct sbd_auth_service {
	const struct sb_auth_request *conf;
	struct sockaddr_storage addr;
	socklen_t addr_len;
	struct sbd_tls_client *tls;   /* https: verified against the system store; else NULL */
};

/* What a check decided, as cached. */
struct sbd_auth_verdict {
	bool accepted;
	int method;                           /* enum sbd_auth_method */
	char identity[SBD_IDENTITY_MAX + 1];  /* when accepted */
	const char *why;                      /* static; when refused: says nothing secret */
	int status;                           /* request: the service's 401 or 403; else 0 */
	char challenge[192];                  /* request: the service's WWW-Authenticate, or "" */
	int64_t until_s;                      /* jwt: refused from this second on (exp + leeway,
	                                         seconds since the epoch); 0: no end */
};

/* Reads the route's files; NULL with errors at path ("routes[2].auth") when one is wrong. */
struct sbd_auth_rt *sbd_auth_rt_new(const struct sb_policy *p, const struct sb_auth *a,
    const char *path, struct sb_errors *errs);
void sbd_auth_rt_free(struct sbd_auth_rt *rt);
const struct sb_auth *sbd_auth_rt_conf(const struct sbd_auth_rt *rt);

/* Bearer tokens: the tokens file (SHA-256, compared in constant time). */
bool sbd_auth_rt_has_tokens(const struct sbd_auth_rt *rt);
bool sbd_auth_rt_has_basic(const struct sbd_auth_rt *rt);
bool sbd_auth_rt_has_jwt(const struct sbd_auth_rt *rt);
/* NULL when the route's auth has no "request". */
const struct sbd_auth_service *sbd_auth_rt_service(const struct sbd_auth_rt *rt);
void sbd_auth_check_token(const struct sbd_auth_rt *rt, const char *token,
    struct sbd_auth_verdict *v);
/* Slow: crypt_rn. */
void sbd_auth_check_basic(const struct sbd_auth_rt *rt, const char *user, const char *password,
    struct sbd_auth_verdict *v);
/* Slow: a signature. now: seconds since the epoch. */
void sbd_auth_check_jwt(const struct sbd_auth_rt *rt, const char *token, int64_t now,
    struct sbd_auth_verdict *v);
/*
 * The client's verified certificate against client_cert. Returns 1 accepted
 * (v filled), 0 no verified certificate, -1 one outside the lists.
 */
int sbd_auth_check_cert(const struct sbd_auth_rt *rt, gnutls_session_t session,
    struct sbd_auth_verdict *v);

/*
 * The cache: by a keyed hash of the credential, never the credential. A
 * verdict of "request" stands for its cache_s (0: not kept) and is keyed by
 * every line sent to the service too (the path, the address), not only
 * the credential. An accepted verdict with until_s is kept no later than
 * until_s (the wall clock's), whatever the cache's lifetime.
 */
bool sbd_auth_cache_get(struct sbd_auth_rt *rt, const struct sbd_credential *c, uint64_t now_ms,
    struct sbd_auth_verdict *v);
void sbd_auth_cache_put(struct sbd_auth_rt *rt, const struct sbd_credential *c, uint64_t now_ms,
    const struct sbd_auth_verdict *v);
