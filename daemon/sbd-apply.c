/* sbd-apply.c - a policy put in place: backends resolved, listeners reconciled, swapped, re-checked */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sb-alloc.h"
#include "sb-log.h"
#include "sbd-auth-rt.h"
#include "sbd-access-log.h"
#include "sbd-config.h"
#include "sbd-conn.h"
#include "sbd-daemon.h"
#include "sbd-events.h"
#include "sbd-fdlimit.h"
#include "sbd-health.h"
#include "sbd-listener.h"
#include "sbd-loop.h"
#include "sbd-metrics.h"
#include "sbd-pool.h"
#include "sbd-pool-build.h"
#include "sbd-rate.h"
#include "sbd-resolver.h"
#include "sbd-stats.h"
#include "sbd-tls.h"
#include "sbd-tls-client.h"
#include "sbd-token-map.h"

/* The run-time side of a policy: pools of servers, certificates, counters. Takes the policy. */
static struct sbd_config *
config_build(struct sbd_daemon *d, struct sb_policy *policy, uint64_t gen,
    struct sb_errors *errs)
{
	struct sbd_config *c = sbd_config_new(policy);
	size_t before = errs->count;

	for (size_t i = 0; i < policy->n_routes; i++) {
		const struct sb_route *r = &policy->routes[i];

		c->routes[i].pool = sbd_pool_build(d, policy, i, gen, errs);
		/* Without checks nothing could bring a server back: failures are only counted. */
		c->routes[i].rise = r->backend.health ? r->backend.health->rise : 0;
		c->routes[i].fall = r->backend.health ? r->backend.health->fall : 0;
		if (r->mode == SB_MODE_TLS && r->tls != NULL) {
			char what[96], path[48];

			snprintf(what, sizeof what, "route %s", r->name);
			snprintf(path, sizeof path, "routes[%zu].tls", i);
			c->routes[i].tls = sbd_tls_ctx_new_pair(policy, r->tls, d->ctx.tickets, what,
			    path, errs);
		}
		if (r->backend.tls != NULL) {
			char path[48];

			snprintf(path, sizeof path, "routes[%zu].backend.tls", i);
			c->routes[i].backend_tls = sbd_tls_client_new(policy, r->backend.tls,
			    r->mode == SB_MODE_H2C, path, errs);
		}
		c->routes[i].stats = sbd_stats_get(d->ctx.stats, "route", r->name);
		if (r->auth != NULL) {
			char path[48];

			snprintf(path, sizeof path, "routes[%zu].auth", i);
			c->routes[i].auth = sbd_auth_rt_new(policy, r->auth, path, errs);
		}
		if (r->backend.token_map != NULL) {
			char path[64];

			snprintf(path, sizeof path, "routes[%zu].backend.token_map", i);
			c->routes[i].token_map = sbd_token_map_new(policy, r, path, errs);
		}
		if (r->rate != NULL && r->rate->per_address != NULL)
			c->routes[i].rate_address = sbd_rate_table_new();
		if (r->rate != NULL && r->rate->per_identity != NULL)
			c->routes[i].rate_identity = sbd_rate_table_new();
	}
	if (errs->count > before) {
		sbd_config_unref(c);
		return NULL;
	}
	c->revision = ++d->last_revision;
	return c;
}

struct pending_listener {
	struct sbd_listener *lis;     /* existing, or newly opened */
	struct sbd_listener_conf *conf; /* new settings for an existing one */
	bool is_new;
};

/*
 * Opens what the policy adds and prepares new settings for what it keeps;
 * nothing changes unless everything succeeded.
 */
static int
apply_listeners(struct sbd_daemon *d, const struct sb_policy *policy, struct sb_errors *errs)
{
	struct pending_listener *pl = sb_xcalloc(policy->n_listeners, sizeof *pl);
	bool *kept = sb_xcalloc(d->n_listeners + 1, sizeof *kept);
	int rc = 0;

	for (size_t i = 0; i < policy->n_listeners && rc == 0; i++) {
		const struct sb_listener *l = &policy->listeners[i];
		char path[64];

		snprintf(path, sizeof path, "listeners[%zu]", i);
		for (size_t j = 0; j < d->n_listeners; j++) {
			if (!kept[j] && sbd_listener_serves(d->listeners[j], l)) {
				kept[j] = true;
				pl[i].lis = d->listeners[j];
				pl[i].conf = sbd_listener_conf_new(&d->ctx, policy, l, path, errs);
				break;
			}
		}
		if (pl[i].lis == NULL) {
			pl[i].lis = sbd_listener_open(&d->ctx, policy, l, path, errs);
			pl[i].is_new = pl[i].lis != NULL;
		} else if (pl[i].conf == NULL) {
			pl[i].lis = NULL;
		}
		if (pl[i].lis == NULL)
			rc = -1;
	}
	if (rc < 0) {
		for (size_t i = 0; i < policy->n_listeners; i++) {
			if (pl[i].is_new)
				sbd_listener_close(pl[i].lis);
			sbd_listener_conf_unref(pl[i].conf);
		}
		goto out;
	}

	for (size_t j = 0; j < d->n_listeners; j++)
		if (!kept[j])
			sbd_listener_close(d->listeners[j]);
	free(d->listeners);
	d->listeners = sb_xcalloc(policy->n_listeners, sizeof *d->listeners);
	d->n_listeners = policy->n_listeners;
	for (size_t i = 0; i < policy->n_listeners; i++) {
		d->listeners[i] = pl[i].lis;
		if (!pl[i].is_new)
			sbd_listener_set_conf(pl[i].lis, pl[i].conf);
	}
out:
	free(kept);
	free(pl);
	return rc;
}


/* Metrics are an aid, not the service: a metrics address that cannot be had is logged. */
static void
apply_metrics(struct sbd_daemon *d, const char *addr)
{
	struct sb_errors errs = SB_ERRORS_INIT;

	if (d->metrics != NULL && addr != NULL &&
	    strcmp(sbd_metrics_address(d->metrics), addr) == 0)
		return;
	sbd_metrics_free(d->metrics);
	d->metrics = NULL;
	if (addr == NULL)
		return;
	d->metrics = sbd_metrics_new(&d->ctx, addr, &errs);
	if (d->metrics == NULL)
		sb_error("%s; no metrics until a policy names an address that works",
		    errs.items[0].message);
	sb_errors_clear(&errs);
}

/* The policy's access log, opened before anything changes: a file that cannot be is an error. */
static int
open_access_log(struct sbd_daemon *d, const struct sb_policy *policy, char **path, int *fd,
    struct sb_errors *errs)
{
	*path = policy->access_log ? sb_policy_resolve_path(policy, policy->access_log) : NULL;
	if (sbd_access_log_open(d->access_log, *path, fd) < 0) {
		sb_errors_add(errs, "access_log", "cannot open %s: %s", *path, strerror(errno));
		return -1;
	}
	return 0;
}

struct recheck {
	struct sbd_config *config;
	struct sbd_loop *loop;
};

static void
recheck_task(void *arg)
{
	struct recheck *rc = arg;

	sbd_conn_recheck(rc->loop, rc->config);
	sbd_config_unref(rc->config);
	free(rc);
}

int
sbd_daemon_apply(struct sbd_daemon *d, struct sb_policy *policy, const char *by,
    struct sb_errors *errs)
{
	uint64_t gen = ++d->pool_gen;
	struct sbd_config *c = config_build(d, policy, gen, errs);
	char *log_path = NULL;
	int log_fd = -1;

	if (c == NULL)
		return -1;
	if (open_access_log(d, policy, &log_path, &log_fd, errs) < 0 ||
	    apply_listeners(d, policy, errs) < 0) {
		if (log_fd >= 0)
			close(log_fd);
		free(log_path);
		sbd_config_unref(c);
		return -1;
	}
	for (size_t i = 0; i < d->n_listeners; i++)
		c->listener_tls[i] = sbd_listener_tls(d->listeners[i]);
	/* Before the swap: every line made under the new policy goes to its log. */
	sbd_access_log_use(d->access_log, log_path, log_fd);
	free(log_path);
	sbd_ctx_set_config(&d->ctx, c); /* c stays valid: only this thread swaps */
	sbd_fd_limit_raise(policy->limits.max_connections);
	sbd_pools_commit(d->ctx.pools, gen);
	sbd_resolver_follow(d->resolver, c); /* names are resolved again from now on */
	sbd_health_kick(d->health); /* servers that stay keep their checks; new ones get theirs */
	/* New listeners accept only now: a connection must always find a policy. */
	for (size_t i = 0; d->accepting && i < d->n_listeners; i++)
		sbd_listener_start(d->listeners[i]);
	apply_metrics(d, policy->metrics);
	sb_info("policy revision %llu applied by %s: %zu listeners, %zu routes",
	    (unsigned long long)c->revision, by, policy->n_listeners, policy->n_routes);
	sbd_events_policy_applied(d->ctx.events, c->revision, by);
	/* Live tunnels are looked at again, each on its own loop. */
	for (unsigned i = 0; c->revision > 1 && i < d->ctx.n_loops; i++) {
		struct recheck *rc = sb_xcalloc(1, sizeof *rc);

		rc->config = sbd_config_ref(c);
		rc->loop = d->ctx.loops[i];
		sbd_loop_post(rc->loop, recheck_task, rc);
	}
	return 0;
}
