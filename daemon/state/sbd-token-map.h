/* sbd-token-map.h - a route's token -> target map (websockify's TokenFile) at run time
 *
 * Built when a policy is put in place, from a file or a folder of files. A
 * lookup looks for a change (the files' inode, size and mtime) at most once a
 * second, on the workers: a job reads the files again and resolves their
 * names there, at most one at a time per map, and puts the fresh map in place
 * when it is done; lookups meanwhile answer from the map before. A map that no
 * longer reads keeps the one before, with a warning in the log, once per
 * change. Any thread may look up.
 */
#pragma once

#include <stdint.h>

#include "sb-errors.h"
#include "sb-policy.h"

struct sbd_loop;
struct sbd_target;
struct sbd_token_map;
struct sbd_workers;

/* The map of route r; NULL with errors at path ("routes[2].backend.token_map"). */
struct sbd_token_map *sbd_token_map_new(const struct sb_policy *p, const struct sb_route *r,
    const char *path, struct sb_errors *errs);
/* NULL ok. A re-read on the workers keeps what it needs until it is done. */
void sbd_token_map_free(struct sbd_token_map *m);
/*
 * The target of token, with a reference (sbd_target_unref), or NULL when it is
 * not listed. When a look for a change is due, it goes to workers, its done to
 * loop (the caller's); workers NULL: never.
 */
struct sbd_target *sbd_token_map_lookup(struct sbd_token_map *m, const char *token,
    uint64_t now_ms, struct sbd_workers *workers, struct sbd_loop *loop);
