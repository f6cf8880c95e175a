/* sbd-pool-build.h - a route's servers, resolved into a pool when a policy is put in place */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "sb-errors.h"
#include "sb-policy.h"

struct sbd_daemon;
struct sbd_pool;

/*
 * The pool of policy->routes[index] for the policy being built as generation
 * gen: each server's addresses (a name stands for every address it resolves
 * to; builtin:echo for the daemon's echo), as targets that keep their state
 * across revisions. NULL with errors at the server's path when a name does
 * not resolve or a path is too long.
 */
struct sbd_pool *sbd_pool_build(struct sbd_daemon *d, const struct sb_policy *policy,
    size_t index, uint64_t gen, struct sb_errors *errs);
