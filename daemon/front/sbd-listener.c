/* sbd-listener.c - bind, socket activation, accept with limits on every worker loop */
#include "sbd-listener.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sb-alloc.h"
#include "sb-log.h"
#include "sbd-accept.h"
#include "sbd-config.h"
#include "sbd-ctx.h"
#include "sbd-events.h"
#include "sbd-inherit.h"
#include "sbd-loop.h"
#include "sbd-refusal.h"
#include "sbd-spread.h"
#include "sbd-stats.h"
#include "sbd-tls.h"

#define ACCEPT_BATCH 64
#define BACKLOG      4096

struct sbd_listener {
	struct sbd_ctx *ctx;
	int fd;
	bool adopted; /* passed by systemd or by the daemon taken over: from says which */
	enum sbd_inherit_from from;
	struct sockaddr_storage addr;
	socklen_t addr_len;
	char address[SB_ADDR_TEXT_MAX];
	char what[SB_ADDR_TEXT_MAX + 16]; /* "listener ADDRESS", for logs */

	pthread_mutex_t conf_lock;
	struct sbd_listener_conf *conf;

	struct sbd_watch *watches; /* one per worker loop */
	atomic_uint loops_left;
};

struct sbd_listener *
sbd_listener_open(struct sbd_ctx *ctx, const struct sb_policy *policy,
    const struct sb_listener *l, const char *path, struct sb_errors *errs)
{
	struct sbd_listener *lis = sb_xcalloc(1, sizeof *lis);
	int one = 1;

	lis->ctx = ctx;
	lis->fd = -1;
	pthread_mutex_init(&lis->conf_lock, NULL);
	if (sb_hostport_to_sockaddr(&l->bind_hp, &lis->addr, &lis->addr_len) < 0) {
		sb_errors_add(errs, path, "listener %s: bind %s: not a numeric address", l->name,
		    l->bind);
		goto err;
	}
	sb_addr_format((struct sockaddr *)&lis->addr, lis->address);
	snprintf(lis->what, sizeof lis->what, "listener %s", lis->address);

	lis->fd = sbd_inherit_take((struct sockaddr *)&lis->addr, lis->addr_len, &lis->from);
	if (lis->fd >= 0) {
		lis->adopted = true;
		sb_info("listener %s: using socket %s passed by %s", l->name, lis->address,
		    sbd_inherit_from_name(lis->from));
	} else {
		lis->fd = socket(lis->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (lis->fd < 0)
			goto sys_err;
		setsockopt(lis->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (lis->addr.ss_family == AF_INET6)
			setsockopt(lis->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
		if (bind(lis->fd, (struct sockaddr *)&lis->addr, lis->addr_len) < 0 ||
		    listen(lis->fd, BACKLOG) < 0)
			goto sys_err;
	}
	lis->conf = sbd_listener_conf_new(ctx, policy, l, path, errs);
	if (lis->conf == NULL)
		goto err;
	return lis;
sys_err:
	sb_errors_add(errs, path, "listener %s: bind %s: %s", l->name, lis->address,
	    strerror(errno));
err:
	if (lis->adopted)
		sbd_inherit_add(lis->fd, lis->from); /* kept for a policy that can use it */
	else if (lis->fd >= 0)
		close(lis->fd);
	pthread_mutex_destroy(&lis->conf_lock);
	free(lis);
	return NULL;
}

bool
sbd_listener_serves(const struct sbd_listener *lis, const struct sb_listener *l)
{
	struct sockaddr_storage ss;
	socklen_t len;

	return sb_hostport_to_sockaddr(&l->bind_hp, &ss, &len) == 0 && len == lis->addr_len &&
	    memcmp(&ss, &lis->addr, len) == 0;
}

void
sbd_listener_set_conf(struct sbd_listener *lis, struct sbd_listener_conf *conf)
{
	struct sbd_listener_conf *old;

	pthread_mutex_lock(&lis->conf_lock);
	old = lis->conf;
	lis->conf = conf;
	pthread_mutex_unlock(&lis->conf_lock);
	sbd_listener_conf_unref(old);
}

const char *
sbd_listener_name(const struct sbd_listener *lis)
{
	return lis->conf->name;
}

struct sbd_tls_ctx *
sbd_listener_tls(struct sbd_listener *lis)
{
	struct sbd_tls_ctx *tls;

	pthread_mutex_lock(&lis->conf_lock);
	tls = lis->conf->tls != NULL ? sbd_tls_ctx_ref(lis->conf->tls) : NULL;
	pthread_mutex_unlock(&lis->conf_lock);
	return tls;
}

const char *
sbd_listener_address(const struct sbd_listener *lis)
{
	return lis->address;
}

int
sbd_listener_fd(const struct sbd_listener *lis)
{
	return lis->fd;
}

bool
sbd_listener_from_systemd(const struct sbd_listener *lis)
{
	return lis->adopted && lis->from == SBD_INHERIT_SYSTEMD;
}

static struct sbd_listener_conf *
current_conf(struct sbd_listener *lis)
{
	struct sbd_listener_conf *c;

	pthread_mutex_lock(&lis->conf_lock);
	c = sbd_listener_conf_ref(lis->conf);
	pthread_mutex_unlock(&lis->conf_lock);
	return c;
}

/* Over a limit: a plain client hears why; a TLS client cannot without a handshake. */
static void
turn_away(struct sbd_ctx *ctx, int fd, const struct sbd_listener_conf *conf,
    const struct sockaddr_storage *ss, const char *reason)
{
	char who[SB_ADDR_TEXT_MAX];

	sb_addr_format((const struct sockaddr *)ss, who);
	atomic_fetch_add(&ctx->counters.rejected, 1);
	sbd_events_rejected(ctx->events, 503, reason, who, conf->name, NULL);
	if (conf->tls == NULL)
		sbd_refusal_send_raw(fd, 503, reason);
}

static bool
over_limit(struct sbd_ctx *ctx, const struct sbd_listener_conf *conf)
{
	struct sbd_config *cfg = sbd_ctx_config(ctx);
	unsigned limit = cfg->policy->limits.max_connections;

	sbd_config_unref(cfg);
	return atomic_load(&ctx->counters.active) >= limit ||
	    (conf->max_connections > 0 &&
	    atomic_load(&conf->stats->active) >= conf->max_connections);
}

static void
on_acceptable(struct sbd_watch *w, unsigned events)
{
	struct sbd_listener *lis = w->arg;
	struct sbd_ctx *ctx = lis->ctx;

	for (int i = 0; i < ACCEPT_BATCH; i++) {
		struct sockaddr_storage ss;
		socklen_t len;
		int fd;
		enum sbd_accept_result r = sbd_accept(w, lis->what, &fd, &ss, &len);

		if (r == SBD_ACCEPT_NONE)
			break;
		atomic_fetch_add(&ctx->counters.accepted, 1);

		struct sbd_listener_conf *conf = current_conf(lis);

		if (r == SBD_ACCEPT_REFUSE) {
			/* counted in sbd_accept's report, not logged one by one */
			turn_away(ctx, fd, conf, &ss, "out of file descriptors");
			sbd_accept_refused(fd);
			sbd_listener_conf_unref(conf);
			continue;
		}
		if (over_limit(ctx, conf)) {
			char who[SB_ADDR_TEXT_MAX];

			sb_addr_format((struct sockaddr *)&ss, who);
			sb_warn("listener %s: %s turned away: connection limit reached",
			    conf->name, who);
			turn_away(ctx, fd, conf, &ss, "connection limit reached");
			close(fd);
			sbd_listener_conf_unref(conf);
			continue;
		}
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		sbd_spread_start(ctx, w->loop, conf, fd, (struct sockaddr *)&ss, len);
	}
}

static void
start_on_loop(void *arg)
{
	struct sbd_watch *w = arg;
	struct sbd_listener *lis = w->arg;

	if (sbd_loop_watch_add(w->loop, w, lis->fd, EPOLLIN | EPOLLEXCLUSIVE, on_acceptable,
	    lis) < 0)
		sb_log_errno(SB_LOG_ERROR, "listener %s: watch", lis->address);
}

void
sbd_listener_start(struct sbd_listener *lis)
{
	struct sbd_ctx *ctx = lis->ctx;

	if (lis->watches != NULL)
		return; /* already accepting */
	lis->watches = sb_xcalloc(ctx->n_loops, sizeof *lis->watches);
	atomic_init(&lis->loops_left, ctx->n_loops);
	for (unsigned i = 0; i < ctx->n_loops; i++) {
		lis->watches[i].fd = -1;
		lis->watches[i].loop = ctx->loops[i];
		lis->watches[i].arg = lis;
		sbd_loop_post(ctx->loops[i], start_on_loop, &lis->watches[i]);
	}
	sb_info("listener %s: accepting on %s%s", lis->conf->name, lis->address,
	    lis->conf->tls ? " (tls)" : "");
}

static void
free_listener(struct sbd_listener *lis)
{
	if (lis->fd >= 0)
		close(lis->fd);
	sbd_listener_conf_unref(lis->conf);
	pthread_mutex_destroy(&lis->conf_lock);
	free(lis->watches);
	free(lis);
}

/* After this loop's round: it may still hold events that name its watch, now removed. */
static void
release_on_loop(void *arg)
{
	struct sbd_watch *w = arg;
	struct sbd_listener *lis = w->arg;

	if (atomic_fetch_sub(&lis->loops_left, 1) == 1)
		free_listener(lis);
}

static void
stop_on_loop(void *arg)
{
	struct sbd_watch *w = arg;

	sbd_loop_watch_del(w);
	sbd_loop_defer(w->loop, release_on_loop, w);
}

void
sbd_listener_close(struct sbd_listener *lis)
{
	if (lis->adopted)
		sbd_inherit_give_back(lis->fd, lis->from);
	if (lis->watches == NULL) {
		free_listener(lis);
		return;
	}
	struct sbd_ctx *ctx = lis->ctx;
	struct sbd_watch *watches = lis->watches;

	sb_info("listener %s: closing %s", lis->conf->name, lis->address);
	/* The last loop to let go frees lis: nothing of it is touched after a post. */
	for (unsigned i = 0; i < ctx->n_loops; i++)
		sbd_loop_post(ctx->loops[i], stop_on_loop, &watches[i]);
}
