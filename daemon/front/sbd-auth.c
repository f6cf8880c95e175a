/* sbd-auth.c - the identity step (credential against the route's methods) and the rate steps */
#include "sbd-auth.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sb-alloc.h"
#include "sb-log.h"
#include "sbd-admission.h"
#include "sbd-auth-request.h"
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

/*
 * The first of sources that holds a credential, into out (when out->type is
 * still NONE); every query source is stripped from *stripped (or target) alike,
 * whether it held the one used or not.
 */
static void
capture_from(const struct sb_cred_source *sources, size_t n, const struct sbd_auth_headers *h,
    struct sbd_credential *out, char **stripped)
{
	for (size_t i = 0; i < n; i++) {
		const struct sb_cred_source *s = &sources[i];

		if (s->kind == SB_CRED_QUERY && strchr(h->target, '?') != NULL) {
			char *next = sbd_cred_strip_query(*stripped != NULL ? *stripped : h->target,
			    s->name);

			free(*stripped);
			*stripped = next;
		}
		if (out->type != SBD_CRED_NONE)
			continue;
		if (s->kind == SB_CRED_HEADER) {
			sbd_cred_from_authorization(h->authorization, out);
			continue;
		}
		char *token = from_source(s, h->cookie, h->subprotocols, h->target);
		if (token != NULL) {
			out->type = SBD_CRED_BEARER;
			out->source = s->kind;
			out->secret = token;
		}
	}
}

/*
 * What the auth service is sent: the credential lines and what the request
 * asks for. Its answer is cached by all of it: a service may decide by the
 * path or the address, so an answer for one request never stands for another.
 */
static void
capture_forward(const struct sbd_auth_headers *h, struct sbd_credential *out)
{
	out->forward = sb_xasprintf("%s%s%s%s%s%sX-Original-URI: %s\r\nX-Original-Host: %s\r\n"
	    "X-Forwarded-For: %s\r\nX-Forwarded-Proto: %s\r\n",
	    h->authorization ? "Authorization: " : "", h->authorization ? h->authorization : "",
	    h->authorization ? "\r\n" : "", h->cookie ? "Cookie: " : "",
	    h->cookie ? h->cookie : "", h->cookie ? "\r\n" : "", h->target,
	    h->host != NULL ? h->host : "", h->client, h->tls ? "https" : "http");
}

void
sbd_auth_capture(const struct sbd_route_rt *route, const struct sbd_auth_headers *h,
    struct sbd_credential *out, char **stripped)
{
	static const struct sb_cred_source header = { SB_CRED_HEADER, NULL };
	static const struct sb_cred_source query_token = { SB_CRED_QUERY, (char *)"token" };
	const struct sb_auth *a = route->route->auth;

	memset(out, 0, sizeof *out);
	*stripped = NULL;
	if (a != NULL) {
		capture_from(a->n_from > 0 ? a->from : &header, a->n_from > 0 ? a->n_from : 1, h,
		    out, stripped);
		if (a->request != NULL)
			capture_forward(h, out);
	}
	if (route->route->backend.token_map != NULL) {
		/* the map's token: where auth looks, as written, else noVNC's ?token= */
		struct sbd_credential m = { 0 };
		bool written = a != NULL && a->n_from > 0;

		capture_from(written ? a->from : &query_token, written ? a->n_from : 1, h, &m,
		    stripped);
		if (m.type == SBD_CRED_BEARER) {
			out->map_token = m.secret;
			m.secret = NULL;
		}
		sbd_cred_clear(&m);
	}
}

/*
 * The challenges of a 401: Bearer, and Basic where basic is a method, one a line: each goes
 * out as a WWW-Authenticate header of its own, as browsers (Chromium) only read one
 * challenge a header and would never answer a Basic behind a Bearer.
 */
static void
challenge(const struct sbd_route_rt *route, struct sbd_admitted *result)
{
	const struct sb_auth *a = route->route->auth;
	const char *realm = sb_auth_realm(a);

	if (a->basic != NULL)
		snprintf(result->challenge, sizeof result->challenge,
		    "Bearer realm=\"%s\"\nBasic realm=\"%s\", charset=\"UTF-8\"", realm, realm);
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

/*
 * A check that waits: on the workers (it holds the credential, and the
 * verdict comes back), or the auth service's answer on the loop (call).
 */
struct sbd_auth_step {
	struct sbd_auth_who who;
	struct sbd_route_rt *route;    /* a reference: the revision outlives the job */
	struct sbd_credential cred;
	struct sbd_auth_verdict verdict;
	struct sbd_admitted *result;
	sbd_auth_done_fn *done;        /* NULL once cancelled */
	void *arg;
	struct sbd_auth_call *call;    /* asking the auth service: the step is the loop's */
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

/* A verdict, cached or fresh, into the admission's result: true when it admits. */
static bool
apply_verdict(const struct sbd_auth_who *who, const struct sbd_route_rt *route,
    const struct sbd_auth_verdict *v, struct sbd_admitted *result)
{
	if (v->accepted) {
		admit_as(who, v, result);
		return true;
	}
	refuse(who, route, result, v->status != 0 ? v->status : 401, v->method, v->why);
	if (v->status == 401 && v->challenge[0] != '\0')
		snprintf(result->challenge, sizeof result->challenge, "%s", v->challenge);
	return false;
}

/*
 * What the auth service said, as a verdict: NULL, or what failed (static, for
 * a 503; nothing cached). A 2xx without the identity_header asked for names no
 * one: admitting it would skip the identity's rate too.
 */
static const char *
answer_verdict(const struct sb_auth_request *conf, const struct sbd_auth_answer *ans,
    struct sbd_auth_verdict *v)
{
	memset(v, 0, sizeof *v);
	v->method = SBD_AUTH_REQUEST;
	if (ans->status >= 200 && ans->status < 300) {
		if (conf->identity_header != NULL && ans->identity[0] == '\0')
			return "the auth service named no identity";
		v->accepted = true;
		snprintf(v->identity, sizeof v->identity, "%s", ans->identity);
	} else if (ans->status == 401 || ans->status == 403) {
		v->status = ans->status;
		v->why = ans->status == 401 ? "the auth service asks for a credential" :
		    "the auth service refused";
		snprintf(v->challenge, sizeof v->challenge, "%s", ans->challenge);
	} else {
		return "the auth service is not available";
	}
	return NULL;
}

static void
on_answer(void *arg, const struct sbd_auth_answer *ans)
{
	struct sbd_auth_step *s = arg;
	sbd_auth_done_fn *done = s->done;
	void *done_arg = s->arg;
	const struct sb_auth_request *conf = sbd_auth_rt_service(s->route->auth)->conf;
	const char *failed = answer_verdict(conf, ans, &s->verdict);
	bool passed = false;

	s->call = NULL; /* it frees itself */
	if (failed == NULL) {
		sbd_auth_cache_put(s->route->auth, &s->cred, sbd_now_ms(), &s->verdict);
		passed = apply_verdict(&s->who, s->route, &s->verdict, s->result);
	} else {
		const char *route = s->route->route->name;

		atomic_fetch_add(&s->who.ctx->auth.service_failed, 1);
		if (ans->status >= 200 && ans->status < 300)
			sb_warn("route %s: the auth service answered %d without a valid %s", route,
			    ans->status, conf->identity_header);
		else if (ans->status != 0)
			sb_warn("route %s: the auth service answered %d", route, ans->status);
		else
			sb_warn("route %s: the auth service: %s", route, ans->why);
		s->result->status = 503;
		snprintf(s->result->reason, sizeof s->result->reason, "route %s: %s", route, failed);
	}
	step_free(s);
	done(done_arg, passed ? SBD_AUTH_PASSED : SBD_AUTH_REFUSED);
}

/*
 * No local method admits: the auth service decides. s (taken) holds the
 * credential and the forward lines; a cached answer decides at once.
 */
static enum sbd_auth_state
ask_service(struct sbd_auth_step *s)
{
	struct sbd_auth_verdict v;
	bool passed;

	if (sbd_auth_cache_get(s->route->auth, &s->cred, sbd_now_ms(), &v) &&
	    v.method == SBD_AUTH_REQUEST) {
		passed = apply_verdict(&s->who, s->route, &v, s->result);
		step_free(s);
		return passed ? SBD_AUTH_PASSED : SBD_AUTH_REFUSED;
	}
	s->call = sbd_auth_call_start(s->who.loop, sbd_auth_rt_service(s->route->auth),
	    s->cred.forward != NULL ? s->cred.forward : "", on_answer, s);
	return SBD_AUTH_WAITING;
}

static struct sbd_auth_step *
step_new(const struct sbd_auth_who *who, struct sbd_route_rt *route,
    struct sbd_credential *cred, struct sbd_admitted *result, sbd_auth_done_fn *done, void *arg)
{
	struct sbd_auth_step *s = sb_xcalloc(1, sizeof *s);

	s->who = *who;
	s->who.client = NULL; /* only the loop's step uses it */
	s->route = sbd_route_rt_ref(route);
	s->cred = *cred;
	memset(cred, 0, sizeof *cred);
	s->result = result;
	s->done = done;
	s->arg = arg;
	return s;
}

static void
slow_done(void *arg)
{
	struct sbd_auth_step *s = arg;

	if (s->done == NULL) {
		step_free(s);
		return;
	}
	sbd_auth_cache_put(s->route->auth, &s->cred, sbd_now_ms(), &s->verdict);
	if (!s->verdict.accepted && sbd_auth_rt_service(s->route->auth) != NULL) {
		/* the step stays the admission's, now waiting on the loop */
		sbd_auth_done_fn *done = s->done;
		void *done_arg = s->arg;
		enum sbd_auth_state st = ask_service(s);

		if (st != SBD_AUTH_WAITING)
			done(done_arg, st);
		return;
	}
	if (s->verdict.accepted)
		admit_as(&s->who, &s->verdict, s->result);
	else
		refuse(&s->who, s->route, s->result, 401, s->verdict.method, s->verdict.why);
	s->done(s->arg, s->verdict.accepted ? SBD_AUTH_PASSED : SBD_AUTH_REFUSED);
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
	if (step == NULL)
		return;
	step->done = NULL; /* a job frees it when it comes back */
	if (step->call != NULL) {
		sbd_auth_call_cancel(step->call);
		step_free(step);
	}
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

/* The auth service decides (it takes cred); *step holds it while it waits. */
static enum sbd_auth_state
identify_by_service(const struct sbd_auth_who *who, struct sbd_route_rt *route,
    struct sbd_credential *cred, struct sbd_admitted *result, sbd_auth_done_fn *done, void *arg,
    struct sbd_auth_step **step)
{
	struct sbd_auth_step *s = step_new(who, route, cred, result, done, arg);
	enum sbd_auth_state st = ask_service(s);

	if (st == SBD_AUTH_WAITING)
		*step = s;
	return st;
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
	bool service = sbd_auth_rt_service(rt) != NULL;
	if (service && (cred->type == SBD_CRED_NONE || cred->type == SBD_CRED_BAD || !others))
		return identify_by_service(who, route, cred, result, done, arg, step);
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
		if (!v.accepted && service)
			return identify_by_service(who, route, cred, result, done, arg, step);
		if (apply_verdict(who, route, &v, result))
			st = SBD_AUTH_PASSED;
		goto out;
	}
	if (cred->type == SBD_CRED_BEARER && sbd_auth_rt_has_tokens(rt)) {
		sbd_auth_check_token(rt, cred->secret, &v);
		if (v.accepted || slow_method(rt, cred) < 0) {
			sbd_auth_cache_put(rt, cred, sbd_now_ms(), &v);
			if (!v.accepted && service)
				return identify_by_service(who, route, cred, result, done, arg, step);
			if (apply_verdict(who, route, &v, result))
				st = SBD_AUTH_PASSED;
			goto out;
		}
	}
	if (slow_method(rt, cred) < 0) {
		if (service)
			return identify_by_service(who, route, cred, result, done, arg, step);
		refuse(who, route, result, 401, -1, cred->type == SBD_CRED_BASIC ?
		    "this route takes no user name and password" : "the token is not valid");
		goto out;
	}
	struct sbd_auth_step *s = step_new(who, route, cred, result, done, arg);
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

/* A bucket said no: 429 with Retry-After. */
static bool
rate_refused(const struct sbd_auth_who *who, struct sbd_route_rt *route,
    struct sbd_admitted *result, const char *which, unsigned retry)
{
	atomic_fetch_add(&who->ctx->auth.rate_limited, 1);
	result->status = 429;
	result->retry_after_s = retry;
	snprintf(result->reason, sizeof result->reason,
	    "route %s: too many new connections from %s; retry in %u s", route->route->name,
	    which, retry);
	return false;
}

bool
sbd_auth_rate_address(const struct sbd_auth_who *who, struct sbd_route_rt *route,
    struct sbd_admitted *result)
{
	const struct sb_rate *r = route->route->rate;
	uint8_t key[17];
	unsigned retry = 0;
	size_t len;

	if (r == NULL || route->rate_address == NULL)
		return true;
	len = sbd_rate_address_key(who->client, who->ipv6_prefix, key);
	if (sbd_rate_table_take(route->rate_address, key, len, r->per_address, sbd_now_ms(),
	    &retry))
		return true;
	return rate_refused(who, route, result, "this address", retry);
}

bool
sbd_auth_rate_identity(const struct sbd_auth_who *who, struct sbd_route_rt *route,
    struct sbd_admitted *result)
{
	const struct sb_rate *r = route->route->rate;
	unsigned retry = 0;

	if (r == NULL || route->rate_identity == NULL || result->identity[0] == '\0')
		return true;
	if (sbd_rate_table_take(route->rate_identity, result->identity, strlen(result->identity),
	    r->per_identity, sbd_now_ms(), &retry))
		return true;
	return rate_refused(who, route, result, "this identity", retry);
}
