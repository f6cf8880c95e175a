/* sbd-metrics.h - GET /metrics in the Prometheus text format, on the policy's "metrics" address */
#pragma once

#include "sb-errors.h"

struct sbd_ctx;
struct sbd_loop;
struct sbd_metrics;

/*
 * Serves on addr ("host:port"), on a socket bound there that systemd or the
 * daemon taken over passed (sbd-inherit.h), else one of its own; NULL with
 * the reason in errs when it cannot bind.
 */
struct sbd_metrics *sbd_metrics_new(struct sbd_ctx *ctx, const char *addr,
    struct sb_errors *errs);
void sbd_metrics_free(struct sbd_metrics *m);
const char *sbd_metrics_address(const struct sbd_metrics *m);
/* Its listening socket (still its own), for daemon.takeover to pass on; -1 when unknown. */
int sbd_metrics_fd(const struct sbd_metrics *m);
/* The exposition text of the daemon's counters now; free() it. */
char *sbd_metrics_render(struct sbd_ctx *ctx);
