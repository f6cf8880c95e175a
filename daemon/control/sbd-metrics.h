/* sbd-metrics.h - GET /metrics in the Prometheus text format, on the policy's "metrics" address */
#pragma once

#include "sb-errors.h"

struct sbd_ctx;
struct sbd_loop;
struct sbd_metrics;

/* Serves on addr ("host:port"); NULL with the reason in errs when it cannot bind. */
struct sbd_metrics *sbd_metrics_new(struct sbd_ctx *ctx, const char *addr,
    struct sb_errors *errs);
void sbd_metrics_free(struct sbd_metrics *m);
const char *sbd_metrics_address(const struct sbd_metrics *m);
/* The exposition text of the daemon's counters now; free() it. */
char *sbd_metrics_render(struct sbd_ctx *ctx);
