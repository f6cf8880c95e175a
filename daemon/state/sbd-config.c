/* sbd-config.c - policy revisions, reference counted across threads */
#include "sbd-config.h"

#include <stdlib.h>

#include "sb-alloc.h"
#include "sbd-auth-rt.h"
#include "sbd-pool.h"
#include "sbd-rate.h"
#include "sbd-token-map.h"
#include "sbd-tls.h"
#include "sbd-tls-client.h"

struct sbd_config *
sbd_config_new(struct sb_policy *policy)
{
	struct sbd_config *c = sb_xcalloc(1, sizeof *c);

	atomic_init(&c->refs, 1);
	c->policy = policy;
	c->routes = sb_xcalloc(policy->n_routes ? policy->n_routes : 1, sizeof *c->routes);
	c->listener_tls = sb_xcalloc(policy->n_listeners ? policy->n_listeners : 1,
	    sizeof *c->listener_tls);
	for (size_t i = 0; i < policy->n_routes; i++) {
		c->routes[i].config = c;
		c->routes[i].route = &policy->routes[i];
		c->routes[i].index = i;
	}
	return c;
}

struct sbd_config *
sbd_config_ref(struct sbd_config *c)
{
	atomic_fetch_add(&c->refs, 1);
	return c;
}

void
sbd_config_unref(struct sbd_config *c)
{
	if (c == NULL || atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	for (size_t i = 0; i < c->policy->n_routes; i++) {
		sbd_tls_ctx_unref(c->routes[i].tls);
		sbd_tls_client_unref(c->routes[i].backend_tls);
		sbd_pool_unref(c->routes[i].pool);
		sbd_auth_rt_free(c->routes[i].auth);
		sbd_rate_table_free(c->routes[i].rate_address);
		sbd_rate_table_free(c->routes[i].rate_identity);
		sbd_token_map_free(c->routes[i].token_map);
	}
	free(c->routes);
	for (size_t i = 0; i < c->policy->n_listeners; i++)
		sbd_tls_ctx_unref(c->listener_tls[i]);
	free(c->listener_tls);
	sb_policy_free(c->policy);
	free(c);
}

struct sbd_route_rt *
sbd_route_rt_ref(struct sbd_route_rt *rt)
{
	sbd_config_ref(rt->config);
	return rt;
}

void
sbd_route_rt_unref(struct sbd_route_rt *rt)
{
	if (rt != NULL)
		sbd_config_unref(rt->config);
}
