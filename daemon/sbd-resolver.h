/* sbd-resolver.h - backend servers' host names, resolved again every resolve_s, off the loops
 *
 * Each server of the policy in place that is written as a host name (not an
 * address literal, unix: or builtin:) is resolved again every resolve_s of
 * its route's backend: getaddrinfo runs on a worker, and its answer comes
 * back to the main loop, where it changes the route's pool
 * (sbd_pools_resolved): addresses that stay keep their state, new ones join,
 * vanished ones take no new tunnels while open ones flow on. A name that does
 * not resolve keeps its last addresses, with the error as their last_error
 * and in the log. One resolution is in flight at a time, so the workers stay
 * free for the checks that admit connections. A new policy starts afresh (its
 * build resolved every name); answers meant for an older one are dropped.
 */
#pragma once

#include <stdint.h>

struct sbd_config;
struct sbd_ctx;
struct sbd_loop;
struct sbd_resolver;

/* changed(arg) runs on loop whenever a pool's addresses changed. */
struct sbd_resolver *sbd_resolver_new(struct sbd_ctx *ctx, struct sbd_loop *loop,
    void (*changed)(void *arg), void *arg);
/* loop's thread: config was put in place; its names are followed from now on. */
void sbd_resolver_follow(struct sbd_resolver *r, struct sbd_config *config);
/* loop's thread, about once a second: starts the resolution that is due, if any. */
void sbd_resolver_tick(struct sbd_resolver *r, uint64_t now_ms);
/*
 * After the workers were freed (a job they dropped or finished is over) and
 * loop has run what they posted. NULL ok.
 */
void sbd_resolver_free(struct sbd_resolver *r);
