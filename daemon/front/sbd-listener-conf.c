/* sbd-listener-conf.c - a listener's settings of one policy revision */
#include "sbd-listener-conf.h"

#include <stdlib.h>

#include "sb-alloc.h"
#include "sbd-ctx.h"
#include "sbd-stats.h"
#include "sbd-tls.h"

struct sbd_listener_conf *
sbd_listener_conf_ref(struct sbd_listener_conf *c)
{
	atomic_fetch_add(&c->refs, 1);
	return c;
}

void
sbd_listener_conf_unref(struct sbd_listener_conf *c)
{
	if (c == NULL || atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	sbd_tls_ctx_unref(c->tls);
	free(c->name);
	free(c);
}

struct sbd_listener_conf *
sbd_listener_conf_new(struct sbd_ctx *ctx, const struct sb_policy *policy,
    const struct sb_listener *l, const char *path, struct sb_errors *errs)
{
	struct sbd_listener_conf *c = sb_xcalloc(1, sizeof *c);

	atomic_init(&c->refs, 1);
	c->name = sb_xstrdup(l->name);
	c->proxy_protocol = l->proxy_protocol;
	c->max_connections = l->max_connections;
	c->stats = sbd_stats_get(ctx->stats, "listener", l->name);
	if (l->tls != NULL) {
		c->tls = sbd_tls_ctx_new_listener(policy, l, ctx->tickets, path, errs);
		if (c->tls == NULL) {
			sbd_listener_conf_unref(c);
			return NULL;
		}
	}
	return c;
}
