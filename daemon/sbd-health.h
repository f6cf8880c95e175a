/* sbd-health.h - active checks of backend servers, on a loop of their own
 *
 * Every server of a route with "health" is checked each interval_s: a TCP
 * connect within timeout_ms, then, when the route says so, `send` and a
 * bounded read until the answer starts with `expect`. Results go through
 * sbd_pools_report with the route's rise and fall, so a server is marked
 * down after `fall` failures and up again after `rise` successes, without a
 * reload. A server's first check comes at a random point of its interval, so
 * a pool is never checked all at once. The checks follow the policy in place
 * and the pools' target lists: servers that stay keep their schedule and
 * their state, removed ones stop being checked.
 */
#pragma once

struct sbd_ctx;
struct sbd_health;

/* Starts the checker's thread; NULL (logged) when it cannot. */
struct sbd_health *sbd_health_new(struct sbd_ctx *ctx);
/* Any thread: a policy was put in place or a pool changed; look at the targets again. */
void sbd_health_kick(struct sbd_health *h);
/* Stops the thread; checks in flight are dropped. NULL ok. */
void sbd_health_free(struct sbd_health *h);
