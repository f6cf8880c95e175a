/* sbd-auth.c - the identity step (credential against the route's methods) and the rate step */
#include "sbd-auth.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sb-alloc.h"
#include "sbd-admission.h"
#include "sbd-auth-rt.h"
#include "sbd-config.h"
#include "sbd-ctx.h"
#include "sbd-jwt.h"
#include "sbd-loop.h"
#include "sbd-rate.h"
#include "sbd-workers.h"

static char *
from_source(const struct sb_cred_source *s, const char *cookie, const char *subprotocols,
    const char *target)
{
	switch (s->kind) {
	case SB_CRED_COOKIE:
		return cookie != NULL ? sbd_cred_cookie(cookie, s->name) : NULL;
	case SB_CRED_SUBPROTOCOL:
		return sbd_cred_subprotocol(subprotocols);
	case SB_CRED_QUERY:
		return sbd_cred_query(target, s->name);
	case SB_CRED_HEADER:
		break;
	}
	return NULL;
}

void
sbd_auth_capture(const struct sbd_route_rt *route, const char *authorization,
    const char *cookie, const char *subprotocols, const char *target,
    struct sbd_credential *out, char **stripped)
{
	static const struct sb_cred_source header = { SB_CRED_HEADER, NULL };
	const struct sb_auth *a = route->route->auth;
	size_t n = a->n_from > 0 ? a->n_from : 1;

	memset(out, 0, sizeof *out);
	*stripped = NULL;
	for (size_t i = 0; i < n; i++) {
		const struct sb_cred_source *s = a->n_from > 0 ? &a->from[i] : &header;

		/* a query credential is never replayed, whether it was the one used or not */
		if (s->kind == SB_CRED_QUERY && strchr(target, '?') != NULL) {
			char *next = sbd_cred_strip_query(*stripped != NULL ? *stripped : target,
			    s->name);

			free(*stripped);
			*stripped = next;
		}
		if (out->type != SBD_CRED_NONE)
			continue;
		if (s->kind == SB_CRED_HEADER) {
			sbd_cred_from_authorization(authorization, out);
			continue;
		}
		char *token = from_source(s, cookie, subprotocols, target);
		if (token != NULL) {
			out->type = SBD_CRED_BEARER;
			out->source = s->kind;
			out->secret = token;
		}
	}
}

/* The challenge of a 401: Bearer, and Basic where basic is a method. */
static void
challenge(const struct sbd_route_rt *route, struct sbd_admitted *result)
{
	const struct sb_auth *a = route->route->auth;
	const char *realm = sb_auth_realm(a);

	if (a->basic != NULL)
		snprintf(result->challenge, sizeof result->challenge,
		    "Bearer realm=\"%s\", Basic realm=\"%s\", charset=\"UTF-8\"", realm, realm);
	else
		snprintf(result->challenge, sizeof result->challenge, "Bearer realm=\"%s\"", realm);
}

static void
refuse(const struct sbd_auth_who *who, const struct sbd_route_rt *route,
    struct sbd_admitted *result, int status, int method, const char *why)
{
	result->status = status;
	snprintf(result->reason, sizeof result->reason, "route %s: %s", route->route->name, why);
	if (status == 401)
		challenge(route, result);
	if (method >= 0 && method < SBD_AUTH_METHODS)
		atomic_fetch_add(&who->ctx->auth.refused[method], 1);
	else
		atomic_fetch_add(&who->ctx->auth.missing, 1);
}

static void
admit_as(const struct sbd_auth_who *who, const struct sbd_auth_verdict *v,
    struct sbd_admitted *result)
{
	snprintf(result->identity, sizeof result->identity, "%s", v->identity);
	result->auth_method = v->method;
	atomic_fetch_add(&who->ctx->auth.accepted[v->method], 1);
}

/* A slow check on the workers: it holds the credential, and the verdict comes back. */
struct sbd_auth_step {
	struct sbd_auth_who who;
	struct sbd_route_rt *route;    /* a reference: the revision outlives the job */
	struct sbd_credential cred;
	struct sbd_auth_verdict verdict;
	struct sbd_admitted *result;
	sbd_auth_done_fn *done;        /* NULL once cancelled */
	void *arg;
};

static void
step_free(struct sbd_auth_step *s)
{
	sbd_cred_clear(&s->cred);
	sbd_route_rt_unref(s->route);
	free(s);
}

static void
slow_work(void *arg)
{
	struct sbd_auth_step *s = arg;
	const struct sbd_auth_rt *rt = s->route->auth;

	if (s->cred.type == SBD_CRED_BASIC)
		sbd_auth_check_basic(rt, s->cred.user, s->cred.secret, &s->verdict);
	else
		sbd_auth_check_jwt(rt, s->cred.secret, (int64_t)time(NULL), &s->verdict);
}

static void
slow_done(void *arg)
{
	struct sbd_auth_step *s = arg;

	if (s->done != NULL) {
		sbd_auth_cache_put(s->route->auth, &s->cred, sbd_now_ms(), &s->verdict);
		if (s->verdict.accepted)
			admit_as(&s->who, &s->verdict, s->result);
		else
			refuse(&s->who, s->route, s->result, 401, s->verdict.method, s->verdict.why);
		s->done(s->arg, s->verdict.accepted ? SBD_AUTH_PASSED : SBD_AUTH_REFUSED);
	}
	step_free(s);
}

static void
slow_drop(void *arg)
{
	step_free(arg);
}

void
sbd_auth_step_cancel(struct sbd_auth_step *step)
{
	if (step != NULL)
		step->done = NULL; /* the job frees it when it comes back */
}

/* Which slow method takes a credential, or -1 when none of the route's does. */
static int
slow_method(const struct sbd_auth_rt *rt, const struct sbd_credential *c)
{
	if (c->type == SBD_CRED_BASIC && sbd_auth_rt_has_basic(rt))
		return SBD_AUTH_BASIC;
	if (c->type == SBD_CRED_BEARER && sbd_auth_rt_has_jwt(rt) &&
	    sbd_jwt_looks_like(c->secret))
		return SBD_AUTH_JWT;
	return -1;
}

enum sbd_auth_state
sbd_auth_identify(const struct sbd_auth_who *who, struct sbd_route_rt *route,
    struct sbd_credential *cred, struct sbd_admitted *result, sbd_auth_done_fn *done, void *arg,
    struct sbd_auth_step **step)
{
	struct sbd_auth_rt *rt = route->auth;
	struct sbd_auth_verdict v;
	enum sbd_auth_state st = SBD_AUTH_REFUSED;
	int cert = 0;

	*step = NULL;
	if (rt == NULL) {
		sbd_cred_clear(cred);
		return SBD_AUTH_PASSED;
	}
	if (route->route->auth->client_cert != NULL) {
		cert = sbd_auth_check_cert(rt, who->tls, &v);
		if (cert == 1) {
			admit_as(who, &v, result);
			sbd_cred_clear(cred);
			return SBD_AUTH_PASSED;
		}
	}
	const struct sb_auth *a = route->route->auth;
	bool others = a->tokens != NULL || a->basic != NULL || a->jwt != NULL;
	if (cred->type == SBD_CRED_NONE || !others) {
		if (cert < 0 || !others)
			refuse(who, route, result, 403, cert < 0 ? SBD_AUTH_CLIENT_CERT : -1,
			    cert < 0 ? v.why : "a client certificate is required");
		else
			refuse(who, route, result, 401, -1, "a credential is required");
		goto out;
	}
	if (cred->type == SBD_CRED_BAD) {
		refuse(who, route, result, 401, -1, "the credential is malformed");
		goto out;
	}
	if (sbd_auth_cache_get(rt, cred, sbd_now_ms(), &v)) {
		if (v.accepted) {
			admit_as(who, &v, result);
			st = SBD_AUTH_PASSED;
		} else {
			refuse(who, route, result, 401, v.method, v.why);
		}
		goto out;
	}
	if (cred->type == SBD_CRED_BEARER && sbd_auth_rt_has_tokens(rt)) {
		sbd_auth_check_token(rt, cred->secret, &v);
		if (v.accepted || slow_method(rt, cred) < 0) {
			sbd_auth_cache_put(rt, cred, sbd_now_ms(), &v);
			if (v.accepted) {
				admit_as(who, &v, result);
				st = SBD_AUTH_PASSED;
			} else {
				refuse(who, route, result, 401, v.method, v.why);
			}
			goto out;
		}
	}
	if (slow_method(rt, cred) < 0) {
		refuse(who, route, result, 401, -1, cred->type == SBD_CRED_BASIC ?
		    "this route takes no user name and password" : "the token is not valid");
		goto out;
	}
	struct sbd_auth_step *s = sb_xcalloc(1, sizeof *s);
	s->who = *who;
	s->who.client = NULL; /* only the loop's step uses it */
	s->route = sbd_route_rt_ref(route);
	s->cred = *cred;
	memset(cred, 0, sizeof *cred);
	s->result = result;
	s->done = done;
	s->arg = arg;
	struct sbd_job job = {
		.work = slow_work, .done = slow_done, .drop = slow_drop, .loop = who->loop, .arg = s,
	};
	if (!sbd_workers_submit(who->ctx->workers, &job)) {
		step_free(s);
		atomic_fetch_add(&who->ctx->auth.busy, 1);
		result->status = 503;
		snprintf(result->reason, sizeof result->reason,
		    "route %s: too many credential checks waiting; try again", route->route->name);
		return SBD_AUTH_REFUSED;
	}
	*step = s;
	return SBD_AUTH_WAITING;
out:
	sbd_cred_clear(cred);
	return st;
}

bool
sbd_auth_rate(const struct sbd_auth_who *who, struct sbd_route_rt *route,
    struct sbd_admitted *result)
{
	const struct sb_rate *r = route->route->rate;
	uint64_t now = sbd_now_ms();
	unsigned retry = 0;
	const char *which = NULL;

	if (r == NULL)
		return true;
	if (route->rate_address != NULL) {
		uint8_t key[17];
		size_t len = sbd_rate_address_key(who->client, who->ipv6_prefix, key);

		if (!sbd_rate_table_take(route->rate_address, key, len, r->per_address, now,
		    &retry))
			which = "this address";
	}
	if (which == NULL && route->rate_identity != NULL && result->identity[0] != '\0' &&
	    !sbd_rate_table_take(route->rate_identity, result->identity,
	    strlen(result->identity), r->per_identity, now, &retry))
		which = "this identity";
	if (which == NULL)
		return true;
	atomic_fetch_add(&who->ctx->auth.rate_limited, 1);
	result->status = 429;
	result->retry_after_s = retry;
	snprintf(result->reason, sizeof result->reason,
	    "route %s: too many new connections from %s; retry in %u s", route->route->name,
	    which, retry);
	return false;
}
