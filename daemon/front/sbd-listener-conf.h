/* sbd-listener-conf.h - what a connection keeps of its listener: settings of one revision */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>

#include "sb-errors.h"
#include "sb-policy.h"

struct sbd_ctx;
struct sbd_route_stats;
struct sbd_tls_ctx;

/* A listener's settings of one policy revision; connections keep a reference. */
struct sbd_listener_conf {
	atomic_int refs;
	char *name;
	struct sbd_tls_ctx *tls; /* NULL: plain */
	bool proxy_protocol;
	unsigned max_connections;
	struct sbd_route_stats *stats; /* live connections of the listener, by name */
};

/* Builds new settings (TLS credentials reloaded); NULL with the reason in errs, under path. */
struct sbd_listener_conf *sbd_listener_conf_new(struct sbd_ctx *ctx,
    const struct sb_policy *policy, const struct sb_listener *l, const char *path,
    struct sb_errors *errs);
struct sbd_listener_conf *sbd_listener_conf_ref(struct sbd_listener_conf *c);
/* NULL ok. */
void sbd_listener_conf_unref(struct sbd_listener_conf *c);
