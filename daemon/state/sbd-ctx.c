/* sbd-ctx.c - the shared context's life and its one lock */
#include "sbd-ctx.h"

#include "sbd-config.h"
#include "sbd-events.h"
#include "sbd-peers.h"
#include "sbd-pool.h"
#include "sbd-registry.h"
#include "sbd-stats.h"
#include "sbd-tls.h"
#include "sbd-workers.h"

/* bcrypt at cost 10 takes ~60 ms: two threads, and a queue of a few seconds of them */
#define WORKER_THREADS 2
#define WORKER_QUEUE   256

void
sbd_ctx_init(struct sbd_ctx *ctx)
{
	pthread_mutex_init(&ctx->config_lock, NULL);
	ctx->peers = sbd_peers_new();
	ctx->stats = sbd_stats_new();
	ctx->events = sbd_events_new();
	ctx->registry = sbd_registry_new();
	ctx->pools = sbd_pools_new(ctx->events);
	ctx->workers = sbd_workers_new(WORKER_THREADS, WORKER_QUEUE);
}

void
sbd_ctx_fini(struct sbd_ctx *ctx)
{
	sbd_workers_free(ctx->workers); /* the root stops them earlier, while its loops live */
	ctx->workers = NULL;
	sbd_config_unref(ctx->config);
	ctx->config = NULL;
	sbd_registry_free(ctx->registry);
	sbd_pools_free(ctx->pools);
	sbd_events_free(ctx->events);
	sbd_stats_free(ctx->stats);
	sbd_peers_free(ctx->peers);
	sbd_tls_tickets_unref(ctx->tickets);
	ctx->tickets = NULL;
	pthread_mutex_destroy(&ctx->config_lock);
}

struct sbd_config *
sbd_ctx_config(struct sbd_ctx *ctx)
{
	struct sbd_config *c;

	pthread_mutex_lock(&ctx->config_lock);
	c = sbd_config_ref(ctx->config);
	pthread_mutex_unlock(&ctx->config_lock);
	return c;
}

void
sbd_ctx_set_config(struct sbd_ctx *ctx, struct sbd_config *c)
{
	struct sbd_config *old;

	pthread_mutex_lock(&ctx->config_lock);
	old = ctx->config;
	ctx->config = c;
	pthread_mutex_unlock(&ctx->config_lock);
	sbd_config_unref(old);
}
