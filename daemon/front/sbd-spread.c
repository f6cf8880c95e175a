/*
 * sbd-spread.c - which worker loop a new connection starts on.
 *
 * Every loop waits on every listening socket with EPOLLEXCLUSIVE, and the
 * kernel wakes the first loop that sleeps in epoll_wait: while the daemon is
 * not busy that is always the same one, and connections that come one at a
 * time (a browser tab, then another) all land on it. They stay where they
 * start, so when they get busy later one core does the work of all.
 *
 * So the loop that accepted a connection counts what each loop holds and,
 * when it holds more than one more than the least loaded, posts the
 * connection there (one eventfd wake-up, on a loop that was idle). Counts
 * are taken at the choice, not at the start, so a burst accepted at once is
 * spread too.
 */
#include "sbd-spread.h"

#include <string.h>

#include "sb-alloc.h"
#include "sbd-conn.h"
#include "sbd-ctx.h"
#include "sbd-loop.h"

/* A loop keeps what it accepted while it holds at most this many more than the least loaded. */
#define SPREAD_SLACK 1

struct handed {
	struct sbd_ctx *ctx;
	struct sbd_loop *loop;
	struct sbd_listener_conf *lconf;
	int fd;
	socklen_t addrlen;
	struct sockaddr_storage addr;
};

static void
start_handed(void *arg)
{
	struct handed *h = arg;

	sbd_conn_start(h->ctx, h->loop, h->lconf, h->fd, (struct sockaddr *)&h->addr, h->addrlen);
	free(h);
}

static struct sbd_loop *
choose(struct sbd_ctx *ctx, struct sbd_loop *here)
{
	unsigned mine = sbd_conn_loop_load(here), least = mine;
	struct sbd_loop *to = here;

	for (unsigned i = 0; i < ctx->n_loops; i++) {
		unsigned n = sbd_conn_loop_load(ctx->loops[i]);

		if (n < least) {
			least = n;
			to = ctx->loops[i];
		}
	}
	return mine <= least + SPREAD_SLACK ? here : to;
}

void
sbd_spread_start(struct sbd_ctx *ctx, struct sbd_loop *here, struct sbd_listener_conf *lconf,
    int fd, const struct sockaddr *addr, socklen_t addrlen)
{
	struct sbd_loop *to = ctx->n_loops > 1 ? choose(ctx, here) : here;
	struct handed *h;

	sbd_conn_loop_take(to);
	if (to == here) {
		sbd_conn_start(ctx, here, lconf, fd, addr, addrlen);
		return;
	}
	h = sb_xcalloc(1, sizeof *h);
	h->ctx = ctx;
	h->loop = to;
	h->lconf = lconf;
	h->fd = fd;
	h->addrlen = addrlen;
	memcpy(&h->addr, addr, addrlen);
	sbd_loop_post(to, start_handed, h);
}
