/* sbd-health.c - the checker: one thread, one timerfd, a connect and a bounded read per check */
#include "sbd-health.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "sb-alloc.h"
#include "sb-log.h"
#include "sbd-backend.h"
#include "sbd-config.h"
#include "sbd-ctx.h"
#include "sbd-end.h"
#include "sbd-loop.h"
#include "sbd-pool.h"

struct check {
	struct sbd_health *h;
	struct sbd_target *tg;           /* held */
	struct sbd_route_rt *rt;         /* the revision its settings come from, held */
	uint64_t next_ms;                /* when the next check starts */
	uint64_t deadline_ms;            /* 0: none in flight */
	struct sbd_backend_connect *connect; /* while the connect waits */
	struct sbd_end end;              /* after it: send, then read the answer */
	size_t sent;
	char answer[SB_HEALTH_BYTES_MAX];
	size_t got;
	bool seen;                       /* still named, at the last look */
	struct check *next;
};

struct sbd_health {
	struct sbd_ctx *ctx;
	struct sbd_loop *loop;
	int timer_fd;
	struct sbd_watch timer_watch;
	struct check *checks;
	uint64_t rng;
};

static const struct sb_health *
settings(const struct check *c)
{
	return c->rt->route->backend.health;
}

/* xorshift64*: spreads first checks, nothing more is asked of it. */
static uint64_t
next_random(struct sbd_health *h)
{
	h->rng ^= h->rng >> 12;
	h->rng ^= h->rng << 25;
	h->rng ^= h->rng >> 27;
	return h->rng * 2685821657736338717ull;
}

/* The timer fires at the earliest start or deadline of any check. */
static void
rearm(struct sbd_health *h)
{
	uint64_t at = UINT64_MAX;
	struct itimerspec its = { 0 };

	for (struct check *c = h->checks; c != NULL; c = c->next) {
		uint64_t t = c->deadline_ms != 0 ? c->deadline_ms : c->next_ms;

		if (t < at)
			at = t;
	}
	if (at != UINT64_MAX) {
		if (at == 0)
			at = 1; /* zero would disarm it */
		its.it_value.tv_sec = (time_t)(at / 1000);
		its.it_value.tv_nsec = (long)(at % 1000) * 1000000;
	}
	timerfd_settime(h->timer_fd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void
free_connect(void *arg)
{
	sbd_backend_connect_free(arg);
}

/* Ends the check in flight, if any, without a verdict. */
static void
drop(struct check *c)
{
	if (c->connect != NULL) {
		struct sbd_backend_connect *connect = c->connect;

		c->connect = NULL; /* on_connected must not count the abort */
		sbd_backend_connect_abort(connect);
		sbd_loop_defer(c->h->loop, free_connect, connect);
	}
	sbd_end_close(&c->end);
	c->deadline_ms = 0;
	c->sent = c->got = 0;
}

static void
finish(struct check *c, bool ok, const char *why)
{
	char error[128];

	drop(c);
	snprintf(error, sizeof error, "check: %s", why != NULL ? why : "failed");
	sb_debug("backend %s of route %s: %s", c->tg->text, c->tg->route, ok ? "check passed" :
	    error);
	sbd_pools_report(c->h->ctx->pools, c->tg, ok, error, c->rt->rise, c->rt->fall);
}

/* Sends `send`, then reads until the answer starts with `expect` or cannot. */
static void
converse(struct check *c)
{
	const struct sb_health *hs = settings(c);
	size_t send_len = hs->send != NULL ? strlen(hs->send) : 0;
	size_t need = hs->expect != NULL ? strlen(hs->expect) : 0;

	while (c->sent < send_len) {
		ssize_t w = sbd_end_write(&c->end, hs->send + c->sent, send_len - c->sent);

		if (w == SBD_END_AGAIN) {
			sbd_loop_watch_set(&c->end.watch, EPOLLOUT);
			return;
		}
		if (w < 0) {
			finish(c, false, c->end.error);
			return;
		}
		c->sent += (size_t)w;
	}
	while (c->got < need) {
		ssize_t r = sbd_end_read(&c->end, c->answer + c->got, need - c->got);

		if (r == SBD_END_AGAIN) {
			sbd_loop_watch_set(&c->end.watch, EPOLLIN);
			return;
		}
		if (r == 0) {
			finish(c, false, "closed before the expected answer");
			return;
		}
		if (r < 0) {
			finish(c, false, c->end.error);
			return;
		}
		c->got += (size_t)r;
		if (memcmp(c->answer, hs->expect, c->got) != 0) {
			finish(c, false, "unexpected answer");
			return;
		}
	}
	finish(c, true, NULL);
}

static void
on_io(struct sbd_watch *w, unsigned events)
{
	struct check *c = w->arg;

	converse(c);
	rearm(c->h);
}

/* Connected, and with backend TLS the handshake passed: send and expect go inside it. */
static void
connected(struct check *c, struct sbd_backend_link *link)
{
	const struct sb_health *hs = settings(c);
	int fd = link->fd;

	if (hs->send == NULL && hs->expect == NULL) {
		sbd_backend_link_close(link);
		finish(c, true, NULL);
		return;
	}
	sbd_end_init(&c->end, fd, link->tls);
	c->end.tls_established = link->tls != NULL;
	link->fd = -1;
	link->tls = NULL;
	if (sbd_loop_watch_add(c->h->loop, &c->end.watch, fd, 0, on_io, c) < 0) {
		finish(c, false, strerror(errno));
		return;
	}
	converse(c);
}

static void
on_connected(void *arg, struct sbd_backend_link *link)
{
	struct check *c = arg;

	if (c->connect == NULL)
		return; /* dropped: no verdict */
	sbd_loop_defer(c->h->loop, free_connect, c->connect);
	c->connect = NULL;
	if (link->fd >= 0)
		connected(c, link);
	else
		finish(c, false, link->why);
}

static void
start(struct check *c, uint64_t now)
{
	uint64_t interval = settings(c)->interval_s * 1000ull;
	struct sbd_backend_link link;

	/* Keep the phase: each server's checks stay where its first one fell. */
	c->next_ms += interval;
	if (c->next_ms <= now)
		c->next_ms = now + interval;
	c->deadline_ms = now + settings(c)->timeout_ms;
	c->connect = sbd_backend_connect(c->h->loop, (const struct sockaddr *)&c->tg->addr,
	    c->tg->addr_len, c->deadline_ms, c->rt->backend_tls, c->tg->host, on_connected, c,
	    &link);
	if (c->connect != NULL)
		return;
	if (link.fd >= 0)
		connected(c, &link);
	else
		finish(c, false, link.why);
}

static void
on_timer(struct sbd_watch *w, unsigned events)
{
	struct sbd_health *h = w->arg;
	uint64_t expirations, now = sbd_now_ms();

	(void)!read(h->timer_fd, &expirations, sizeof expirations);
	for (struct check *c = h->checks; c != NULL; c = c->next) {
		if (c->deadline_ms != 0 && now >= c->deadline_ms) {
			if (c->connect != NULL)
				sbd_backend_connect_tick(c->connect, now); /* on_connected: timed out */
			else
				finish(c, false, "no answer in time");
		} else if (c->deadline_ms == 0 && now >= c->next_ms) {
			start(c, now);
		}
	}
	rearm(h);
}

static struct check *
find(struct sbd_health *h, const struct sbd_target *tg)
{
	for (struct check *c = h->checks; c != NULL; c = c->next)
		if (c->tg == tg)
			return c;
	return NULL;
}

static void
free_check(void *arg)
{
	struct check *c = arg;

	sbd_target_unref(c->tg);
	sbd_route_rt_unref(c->rt);
	free(c);
}

/* A server of route rt, checked from now on (or still, with rt's settings). */
static void
keep(struct sbd_health *h, struct sbd_route_rt *rt, struct sbd_target *tg, uint64_t now)
{
	struct check *c = find(h, tg);
	unsigned interval = rt->route->backend.health->interval_s;

	if (c == NULL) {
		c = sb_xcalloc(1, sizeof *c);
		c->h = h;
		c->tg = sbd_target_ref(tg);
		c->end.fd = c->end.watch.fd = -1;
		c->next = h->checks;
		h->checks = c;
	} else if (c->rt != rt) {
		if (settings(c)->interval_s == interval) {
			sbd_route_rt_unref(c->rt);
			c->rt = sbd_route_rt_ref(rt);
		} else {
			drop(c); /* new settings: a new first check, somewhere in the new interval */
			sbd_route_rt_unref(c->rt);
			c->rt = NULL;
		}
	}
	c->seen = true;
	if (c->rt != NULL)
		return;
	c->rt = sbd_route_rt_ref(rt);
	/* No thundering herd: the first check falls anywhere in the interval. */
	c->next_ms = now + next_random(h) % (interval * 1000ull);
}

/*
 * The checks follow the policy in place and each pool's targets now: new
 * servers are checked, removed ones no longer; a server whose route lost its
 * checks is up again, since nothing else could bring it back.
 */
static void
reconcile(struct sbd_health *h)
{
	struct sbd_config *config = sbd_ctx_config(h->ctx);
	uint64_t now = sbd_now_ms();

	for (struct check *c = h->checks; c != NULL; c = c->next)
		c->seen = false;
	for (size_t i = 0; config != NULL && i < config->policy->n_routes; i++) {
		struct sbd_route_rt *rt = &config->routes[i];
		struct sbd_target **targets = NULL;
		size_t n;

		if (rt->pool == NULL || rt->route->backend.health == NULL)
			continue;
		n = sbd_pool_snapshot(rt->pool, &targets);
		for (size_t k = 0; k < n; k++) {
			keep(h, rt, targets[k], now);
			sbd_target_unref(targets[k]);
		}
		free(targets);
	}
	for (struct check **p = &h->checks; *p != NULL;) {
		struct check *c = *p;

		if (c->seen) {
			p = &c->next;
			continue;
		}
		*p = c->next;
		drop(c);
		sbd_pools_unchecked(h->ctx->pools, c->tg);
		sbd_loop_defer(h->loop, free_check, c); /* its watch may still be named */
	}
	sbd_config_unref(config);
	rearm(h);
}

static void
on_kick(void *arg)
{
	reconcile(arg);
}

void
sbd_health_kick(struct sbd_health *h)
{
	if (h != NULL)
		sbd_loop_post(h->loop, on_kick, h);
}

struct sbd_health *
sbd_health_new(struct sbd_ctx *ctx)
{
	struct sbd_health *h = sb_xcalloc(1, sizeof *h);

	h->ctx = ctx;
	h->timer_watch.fd = -1;
	if (getrandom(&h->rng, sizeof h->rng, 0) != sizeof h->rng)
		h->rng = (uint64_t)sbd_unix_ms();
	h->rng |= 1;
	h->loop = sbd_loop_new("sbd-health", 0);
	h->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (h->loop == NULL || h->timer_fd < 0 ||
	    sbd_loop_watch_add(h->loop, &h->timer_watch, h->timer_fd, EPOLLIN, on_timer, h) < 0)
		goto err;
	/* Pools also change between policies (names resolved again): look each second. */
	sbd_loop_set_tick(h->loop, on_kick, h);
	if (sbd_loop_start_thread(h->loop) < 0)
		goto err;
	return h;
err:
	sb_log_errno(SB_LOG_ERROR, "health checks: start");
	sbd_health_free(h);
	return NULL;
}

void
sbd_health_free(struct sbd_health *h)
{
	if (h == NULL)
		return;
	if (h->loop != NULL) {
		sbd_loop_stop(h->loop);
		sbd_loop_join(h->loop);
	}
	while (h->checks != NULL) {
		struct check *c = h->checks;

		h->checks = c->next;
		drop(c);
		free_check(c);
	}
	sbd_loop_watch_del(&h->timer_watch);
	sbd_loop_free(h->loop); /* runs what was deferred */
	if (h->timer_fd >= 0)
		close(h->timer_fd);
	free(h);
}
