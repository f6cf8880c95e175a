/* sbd-admission.c - the admission steps, in order, on the connection's loop */
#include "sbd-admission.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb-alloc.h"
#include "sb-log.h"
#include "sbd-backend.h"
#include "sbd-config.h"
#include "sbd-ctx.h"
#include "sbd-loop.h"
#include "sbd-pool.h"
#include "sbd-token-map.h"

/* Servers tried for one request at most: the connect step's budget is time, this is a cap. */
#define TRIED_MAX 16
/* The least time one attempt gets while other servers are left to try. */
#define ATTEMPT_MIN_MS 250

struct sbd_admission {
	struct sbd_loop *loop;
	struct sbd_route_rt *route;
	struct sbd_pools *pools;
	struct sockaddr_storage client;
	uint64_t connect_timeout_ms;
	sbd_admitted_fn *done;
	void *arg;
	size_t step;                      /* the step running or next */
	struct sbd_backend_connect *connect; /* the connect step, while it waits */
	struct sbd_target *trying;        /* the server it waits for */
	struct sbd_target *tried[TRIED_MAX]; /* references */
	size_t n_tried;
	uint64_t deadline_ms;             /* the whole connect step's */
	char tried_log[512];              /* "10.0.0.1:80 (Connection refused), ..." */
	struct sbd_admitted result;
	bool over;
	struct sbd_auth_who who;          /* the identity and rate steps (sbd-auth.c) */
	struct sbd_credential cred;       /* what the request presented, until the step takes it */
	struct sbd_auth_step *auth;       /* the identity step, while it waits */
	char *map_token;                  /* backend token_map: the request's token (wiped) */
	struct sbd_target *mapped;        /* and the server it names, a reference */
};

enum step_state {
	STEP_PASSED,  /* on to the next step */
	STEP_WAITING, /* the step goes on from an event, and then runs the next */
	STEP_REFUSED, /* result says why */
};

static void run(struct sbd_admission *a);

static void
finish(struct sbd_admission *a)
{
	a->over = true;
	a->done(a->arg, &a->result);
}

static void
free_connect(void *arg)
{
	sbd_backend_connect_free(arg);
}

/*
 * A server that refused, did not answer in time or failed the TLS handshake:
 * counted against it, noted for the log.
 */
static void
attempt_failed(struct sbd_admission *a, struct sbd_target *tg, const char *why)
{
	size_t used = strlen(a->tried_log);

	sbd_pools_report(a->pools, tg, false, why, a->route->rise, a->route->fall);
	/* both are cut when long: the log names the first servers tried, the reason its start */
	if (snprintf(a->tried_log + used, sizeof a->tried_log - used, "%s%s (%s)",
	    used ? ", " : "", tg->text, why) < 0)
		a->tried_log[used] = '\0';
	if (snprintf(a->result.reason, sizeof a->result.reason, "backend %s unreachable: %s",
	    tg->text, why) < 0)
		a->result.reason[0] = '\0';
}

/* Every server tried (or none up): a 502, with what was tried in the log only. */
static enum step_state
connect_refused(struct sbd_admission *a)
{
	const char *route = a->route->route->name;

	a->result.status = 502;
	if (a->n_tried == 0)
		snprintf(a->result.reason, sizeof a->result.reason,
		    "no backend server of route %s is up", route);
	else if (a->n_tried > 1)
		snprintf(a->result.reason, sizeof a->result.reason,
		    "no backend server of route %s answered (%zu tried)", route, a->n_tried);
	if (a->n_tried > 1)
		sb_warn("route %s: no backend server answered: %s", route, a->tried_log);
	return STEP_REFUSED;
}

static void
connected(struct sbd_admission *a, struct sbd_target *tg, struct sbd_backend_link *link)
{
	sbd_pools_report(a->pools, tg, true, NULL, a->route->rise, a->route->fall);
	a->result.backend_fd = link->fd;
	a->result.backend_tls = link->tls;
	link->fd = -1;
	link->tls = NULL;
	a->result.target = sbd_target_occupy(sbd_target_ref(tg));
}

static void on_connected(void *arg, struct sbd_backend_link *link);

/*
 * The backend is connected before the 101 goes out, so a dead one is a 502.
 * With backend TLS the handshake is part of the connect, so a certificate
 * that fails verification counts as a failed connect. A server that refuses
 * or times out is skipped for the next the pool's rule picks, within the
 * connect timeout: each attempt gets an even share of what is left, and at
 * least ATTEMPT_MIN_MS.
 */
static enum step_state
try_next(struct sbd_admission *a)
{
	struct sbd_pool *pool = a->route->pool;

	for (;;) {
		uint64_t now = sbd_now_ms();
		struct sbd_target *tg;
		struct sbd_backend_link link;
		uint64_t budget, share;
		size_t left;

		if (a->n_tried == TRIED_MAX || now >= a->deadline_ms)
			return connect_refused(a);
		if (a->mapped != NULL) /* the token's server, and no other */
			tg = a->n_tried == 0 ? sbd_target_ref(a->mapped) : NULL;
		else
			tg = sbd_pool_pick(pool, (const struct sockaddr *)&a->client, a->tried,
			    a->n_tried);
		if (tg == NULL)
			return connect_refused(a);
		a->tried[a->n_tried++] = tg;
		left = a->mapped != NULL ? 0 : sbd_pool_left(pool, a->tried, a->n_tried);
		budget = a->deadline_ms - now;
		share = left == 0 ? budget : budget / (left + 1);
		if (share < ATTEMPT_MIN_MS)
			share = budget < ATTEMPT_MIN_MS ? budget : ATTEMPT_MIN_MS;
		a->connect = sbd_backend_connect(a->loop, (const struct sockaddr *)&tg->addr,
		    tg->addr_len, now + share, a->route->backend_tls, tg->host, on_connected, a,
		    &link);
		if (a->connect != NULL) {
			a->trying = tg;
			return STEP_WAITING;
		}
		if (link.fd >= 0) {
			connected(a, tg, &link);
			return STEP_PASSED;
		}
		attempt_failed(a, tg, link.why);
	}
}

static void
on_connected(void *arg, struct sbd_backend_link *link)
{
	struct sbd_admission *a = arg;
	struct sbd_target *tg = a->trying;
	enum step_state st;

	sbd_loop_defer(a->loop, free_connect, a->connect); /* its watch may still be named */
	a->connect = NULL;
	a->trying = NULL;
	if (link->fd >= 0) {
		connected(a, tg, link);
		st = STEP_PASSED;
	} else if (link->error == ECONNABORTED) {
		a->result.aborted = true;
		st = STEP_REFUSED;
	} else {
		attempt_failed(a, tg, link->why);
		st = try_next(a);
	}
	if (st == STEP_WAITING)
		return;
	if (st == STEP_REFUSED) {
		finish(a);
		return;
	}
	a->step++;
	run(a);
}

static enum step_state
step_connect(struct sbd_admission *a)
{
	a->deadline_ms = sbd_now_ms() + a->connect_timeout_ms;
	return try_next(a);
}

static void
on_identified(void *arg, enum sbd_auth_state st)
{
	struct sbd_admission *a = arg;

	a->auth = NULL;
	if (st != SBD_AUTH_PASSED) {
		finish(a);
		return;
	}
	a->step++;
	run(a);
}

/* Who is asking: the route's auth (sbd-auth.c); before anything is chosen for them. */
static enum step_state
step_identity(struct sbd_admission *a)
{
	if (a->who.ctx == NULL)
		return STEP_PASSED;
	switch (sbd_auth_identify(&a->who, a->route, &a->cred, &a->result, on_identified, a,
	    &a->auth)) {
	case SBD_AUTH_PASSED:
		return STEP_PASSED;
	case SBD_AUTH_WAITING:
		return STEP_WAITING;
	case SBD_AUTH_REFUSED:
		break;
	}
	return STEP_REFUSED;
}

/* How often from this address: before any credential is checked, so guesses count too. */
static enum step_state
step_rate_address(struct sbd_admission *a)
{
	if (a->who.ctx == NULL || sbd_auth_rate_address(&a->who, a->route, &a->result))
		return STEP_PASSED;
	return STEP_REFUSED;
}

/* How often for the identity just found. */
static enum step_state
step_rate_identity(struct sbd_admission *a)
{
	if (a->who.ctx == NULL || sbd_auth_rate_identity(&a->who, a->route, &a->result))
		return STEP_PASSED;
	return STEP_REFUSED;
}

/* A backend token_map: the request's token names the server; an unknown one is a 404. */
static enum step_state
step_target(struct sbd_admission *a)
{
	if (a->route->token_map == NULL)
		return STEP_PASSED;
	if (a->map_token != NULL)
		a->mapped = sbd_token_map_lookup(a->route->token_map, a->map_token, sbd_now_ms(),
		    a->who.ctx != NULL ? a->who.ctx->workers : NULL, a->loop);
	if (a->mapped != NULL)
		return STEP_PASSED;
	a->result.status = 404;
	snprintf(a->result.reason, sizeof a->result.reason, "route %s: %s", a->route->route->name,
	    a->map_token != NULL ? "no target for this token" : "a token is required");
	return STEP_REFUSED;
}

/* The steps, in the order a request must pass them. */
static enum step_state (*const steps[])(struct sbd_admission *a) = {
	step_rate_address,
	step_identity,
	step_rate_identity,
	step_target,
	step_connect,
};

static void
run(struct sbd_admission *a)
{
	for (; a->step < sizeof steps / sizeof steps[0]; a->step++) {
		enum step_state st = steps[a->step](a);

		if (st == STEP_WAITING)
			return;
		if (st == STEP_REFUSED) {
			finish(a);
			return;
		}
	}
	a->result.status = 101;
	finish(a);
}

struct sbd_admission *
sbd_admission_start(struct sbd_loop *loop, struct sbd_pools *pools, struct sbd_route_rt *route,
    const struct sockaddr_storage *client, uint64_t connect_timeout_ms, sbd_admitted_fn *done,
    void *arg)
{
	struct sbd_admission *a = sb_xcalloc(1, sizeof *a);

	a->loop = loop;
	a->pools = pools;
	a->route = route;
	a->client = *client;
	a->connect_timeout_ms = connect_timeout_ms;
	a->done = done;
	a->arg = arg;
	a->result.backend_fd = -1;
	a->result.auth_method = -1;
	run(a);
	return a;
}

struct sbd_admission *
sbd_admission_start_auth(const struct sbd_auth_who *who, struct sbd_credential *cred,
    struct sbd_pools *pools, struct sbd_route_rt *route, uint64_t connect_timeout_ms,
    sbd_admitted_fn *done, void *arg)
{
	struct sbd_admission *a = sb_xcalloc(1, sizeof *a);

	a->loop = who->loop;
	a->pools = pools;
	a->route = route;
	memcpy(&a->client, who->client, who->client->sa_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	a->connect_timeout_ms = connect_timeout_ms;
	a->done = done;
	a->arg = arg;
	a->result.backend_fd = -1;
	a->result.auth_method = -1;
	a->who = *who;
	a->who.client = (const struct sockaddr *)&a->client;
	a->cred = *cred;
	memset(cred, 0, sizeof *cred);
	a->map_token = a->cred.map_token; /* the identity step clears the rest */
	a->cred.map_token = NULL;
	run(a);
	return a;
}

bool
sbd_admission_tick(struct sbd_admission *a, uint64_t now)
{
	if (!a->over && a->connect != NULL)
		sbd_backend_connect_tick(a->connect, now);
	return !a->over;
}

void
sbd_admission_abort(struct sbd_admission *a)
{
	if (a->over)
		return;
	sbd_auth_step_cancel(a->auth);
	a->auth = NULL;
	if (a->connect != NULL) {
		sbd_backend_connect_abort(a->connect);
		return;
	}
	a->result.aborted = true;
	finish(a);
}

bool
sbd_admission_is_over(const struct sbd_admission *a)
{
	return a->over;
}

void
sbd_admission_free(struct sbd_admission *a)
{
	if (a == NULL)
		return;
	sbd_backend_connect_free(a->connect);
	sbd_auth_step_cancel(a->auth);
	sbd_cred_clear(&a->cred);
	if (a->map_token != NULL) {
		gnutls_memset(a->map_token, 0, strlen(a->map_token));
		free(a->map_token);
	}
	sbd_target_unref(a->mapped);
	for (size_t i = 0; i < a->n_tried; i++)
		sbd_target_unref(a->tried[i]);
	sbd_target_release(a->result.target); /* not taken: nobody got to use it */
	sbd_backend_link_close(&(struct sbd_backend_link){ .fd = a->result.backend_fd,
	    .tls = a->result.backend_tls });
	free(a);
}
