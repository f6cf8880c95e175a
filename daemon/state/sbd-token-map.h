/* sbd-token-map.h - a route's token -> target map (websockify's TokenFile) at run time
 *
 * Built when a policy is put in place, from a file or a folder of files. A
 * lookup notices a change (the files' inode, size and mtime) at most once a
 * second and reads them again; a map that no longer reads keeps the one
 * before, with a warning in the log. Any thread may look up.
 */
#pragma once

#include <stdint.h>

#include "sb-errors.h"
#include "sb-policy.h"

struct sbd_target;
struct sbd_token_map;

/* The map of route r; NULL with errors at path ("routes[2].backend.token_map"). */
struct sbd_token_map *sbd_token_map_new(const struct sb_policy *p, const struct sb_route *r,
    const char *path, struct sb_errors *errs);
/* NULL ok. */
void sbd_token_map_free(struct sbd_token_map *m);
/* The target of token, with a reference (sbd_target_unref), or NULL when it is not listed. */
struct sbd_target *sbd_token_map_lookup(struct sbd_token_map *m, const char *token,
    uint64_t now_ms);
