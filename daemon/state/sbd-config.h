/* sbd-config.h - one applied policy revision and its routes at run time */
#pragma once

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "sb-addr.h"
#include "sb-policy.h"

struct sbd_auth_rt;
struct sbd_pool;
struct sbd_rate_table;
struct sbd_route_stats;
struct sbd_tls_client;
struct sbd_tls_ctx;
struct sbd_token_map;

/*
 * A route as the running daemon needs it: its policy entry and what was
 * prepared for it once per revision. Requests and tunnels hold it with
 * sbd_route_rt_ref(), which keeps its whole revision alive, so nothing of the
 * route is ever copied on the way from the verdict to the tunnel.
 */
struct sbd_route_rt {
	struct sbd_config *config;   /* the revision it belongs to */
	const struct sb_route *route; /* in config->policy */
	size_t index;                /* routes[index] in the policy */
	struct sbd_pool *pool;         /* the servers its tunnels may go to */
	unsigned rise, fall;           /* health counts; 0: the route has no checks */
	struct sbd_tls_ctx *tls;       /* tls mode: the route's certificate */
	struct sbd_tls_client *backend_tls; /* backend "tls": how to speak TLS to its servers */
	struct sbd_route_stats *stats; /* live tunnels of the route, by name across revisions */
	struct sbd_auth_rt *auth;      /* route auth: its files as read at apply; NULL: none */
	struct sbd_rate_table *rate_address;  /* route rate: buckets (NULL: none) */
	struct sbd_rate_table *rate_identity;
	struct sbd_token_map *token_map; /* backend token_map: the token picks the server */
};

/* One applied policy. Immutable once in place; holders keep a reference. */
struct sbd_config {
	atomic_int refs;
	uint64_t revision;
	struct sb_policy *policy;
	struct sbd_route_rt *routes; /* policy->n_routes */
	struct sbd_tls_ctx **listener_tls; /* policy->n_listeners, each NULL or held: for status */
};

/* Takes the policy; routes[i] point at their policy entries, nothing else filled in. */
struct sbd_config *sbd_config_new(struct sb_policy *policy);
struct sbd_config *sbd_config_ref(struct sbd_config *c);
/* NULL ok. */
void sbd_config_unref(struct sbd_config *c);

struct sbd_route_rt *sbd_route_rt_ref(struct sbd_route_rt *rt);
/* NULL ok. */
void sbd_route_rt_unref(struct sbd_route_rt *rt);
