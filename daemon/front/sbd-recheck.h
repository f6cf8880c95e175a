/* sbd-recheck.h - what a new policy does to a live tunnel: the one rule for apply and preview */
#pragma once

#include <sys/socket.h>

#include "sb-policy.h"
#include "sbd-close.h"
#include "sbd-registry.h"

/*
 * Pure. A tunnel of route was (from the policy it started under), on
 * listener, from client, under the new policy p: still admitted, kept
 * although no longer admitted (on_policy_change "keep", the default), or
 * closed ("close" on its route in p, else on was when the route is gone, else
 * p's default). *why names what changed when it is not admitted.
 */
enum sbd_recheck sbd_recheck_tunnel(const struct sb_policy *p, const struct sb_route *was,
    const char *listener, const struct sockaddr *client, enum sbd_close *why);
