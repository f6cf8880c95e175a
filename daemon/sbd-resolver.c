/* sbd-resolver.c - one name at a time to the workers, the answers into the pools */
#include "sbd-resolver.h"

#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb-alloc.h"
#include "sb-log.h"
#include "sbd-config.h"
#include "sbd-ctx.h"
#include "sbd-loop.h"
#include "sbd-pool.h"
#include "sbd-resolve.h"
#include "sbd-workers.h"

/* How soon a job the workers' queue had no room for is tried again. */
#define RETRY_FULL_MS 1000

struct name {
	struct sbd_resolver *r;
	struct sbd_config *config;   /* held: the revision whose pool it changes */
	size_t route, server;        /* config->policy->routes[route].backend.servers[server] */
	uint64_t next_ms;            /* when it is resolved again */
	bool busy;                   /* on the workers: the job owns the answer fields */
	bool orphan;                 /* no longer followed: the job's end frees it */
	bool failing;                /* its last resolution failed (logged once) */
	int rc;                      /* the job's answer: getaddrinfo's code */
	struct sbd_resolved_list list; /* and the addresses */
	struct name *next;
};

struct sbd_resolver {
	struct sbd_ctx *ctx;
	struct sbd_loop *loop;
	void (*changed)(void *arg);
	void *arg;
	struct name *names;          /* those of the policy in place */
	bool in_flight;
};

static const struct sb_route *
route_of(const struct name *n)
{
	return &n->config->policy->routes[n->route];
}

static const struct sb_server *
server_of(const struct name *n)
{
	return &route_of(n)->backend.servers[n->server];
}

static void
name_free(struct name *n)
{
	sbd_resolved_list_clear(&n->list);
	sbd_config_unref(n->config);
	free(n);
}

static void
work(void *arg)
{
	struct name *n = arg;

	n->rc = sbd_resolve(server_of(n)->hp.host, server_of(n)->hp.port, &n->list);
}

/* The answer, on the loop: into the pool, or the error onto the addresses kept. */
static void
take(struct name *n)
{
	struct sbd_resolver *r = n->r;
	const struct sb_route *route = route_of(n);
	const struct sb_server *s = server_of(n);
	struct sbd_pool *pool = n->config->routes[n->route].pool;
	char error[128];

	if (n->rc != 0) {
		snprintf(error, sizeof error, "cannot resolve %s: %s", s->hp.host, gai_strerror(n->rc));
		sbd_pools_unresolved(r->ctx->pools, pool, s, error);
		if (!n->failing)
			sb_warn("route %s: backend %s: %s; its last addresses stay", route->name,
			    s->address, error);
		n->failing = true;
		return;
	}
	if (n->failing)
		sb_info("route %s: backend %s resolves again", route->name, s->address);
	n->failing = false;
	if (sbd_pools_resolved(r->ctx->pools, pool, route->name, s, &n->list) > 0 &&
	    r->changed != NULL)
		r->changed(r->arg);
}

static void
done(void *arg)
{
	struct name *n = arg;

	n->busy = false;
	n->r->in_flight = false;
	if (n->orphan) {
		name_free(n);
		return;
	}
	take(n);
	sbd_resolved_list_clear(&n->list);
	n->next_ms = sbd_now_ms() + route_of(n)->backend.resolve_s * 1000ull;
}

/* The workers stopped before the job ran: only at the end, on the thread that frees them. */
static void
drop(void *arg)
{
	struct name *n = arg;

	n->busy = false;
	n->r->in_flight = false;
	if (n->orphan)
		name_free(n);
}

struct sbd_resolver *
sbd_resolver_new(struct sbd_ctx *ctx, struct sbd_loop *loop, void (*changed)(void *arg),
    void *arg)
{
	struct sbd_resolver *r = sb_xcalloc(1, sizeof *r);

	r->ctx = ctx;
	r->loop = loop;
	r->changed = changed;
	r->arg = arg;
	return r;
}

/* Lets go of every name: those on the workers are freed when their job ends. */
static void
forget_all(struct sbd_resolver *r)
{
	while (r->names != NULL) {
		struct name *n = r->names;

		r->names = n->next;
		n->next = NULL;
		if (n->busy)
			n->orphan = true;
		else
			name_free(n);
	}
}

/* A host name, not an address literal: something to resolve again. */
static bool
is_name(const struct sb_server *s)
{
	struct sockaddr_storage ss;
	socklen_t len;

	return s->kind == SB_SERVER_INET && sb_hostport_to_sockaddr(&s->hp, &ss, &len) < 0;
}

void
sbd_resolver_follow(struct sbd_resolver *r, struct sbd_config *config)
{
	uint64_t now = sbd_now_ms();

	forget_all(r);
	for (size_t i = 0; i < config->policy->n_routes; i++) {
		const struct sb_backend *b = &config->policy->routes[i].backend;

		if (config->routes[i].pool == NULL)
			continue;
		for (size_t k = 0; k < b->n_servers; k++) {
			struct name *n;

			if (!is_name(&b->servers[k]))
				continue;
			n = sb_xcalloc(1, sizeof *n);
			n->r = r;
			n->config = sbd_config_ref(config);
			n->route = i;
			n->server = k;
			n->next_ms = now + b->resolve_s * 1000ull; /* the build just resolved it */
			n->next = r->names;
			r->names = n;
		}
	}
}

void
sbd_resolver_tick(struct sbd_resolver *r, uint64_t now_ms)
{
	struct name *due = NULL;
	struct sbd_job job;

	if (r->in_flight)
		return;
	/* The most overdue first: no name waits behind others for ever. */
	for (struct name *n = r->names; n != NULL; n = n->next)
		if (now_ms >= n->next_ms && (due == NULL || n->next_ms < due->next_ms))
			due = n;
	if (due == NULL)
		return;
	job = (struct sbd_job){ .work = work, .done = done, .drop = drop, .loop = r->loop,
	    .arg = due };
	due->busy = r->in_flight = true;
	if (!sbd_workers_submit(r->ctx->workers, &job)) {
		due->busy = r->in_flight = false;
		due->next_ms = now_ms + RETRY_FULL_MS;
		sb_debug("route %s: backend %s: the workers are busy; resolving later",
		    route_of(due)->name, server_of(due)->address);
	}
}

void
sbd_resolver_free(struct sbd_resolver *r)
{
	if (r == NULL)
		return;
	forget_all(r); /* nothing is on the workers any more: each name goes now */
	free(r);
}
