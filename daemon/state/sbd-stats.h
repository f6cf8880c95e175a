/* sbd-stats.h - live counts by name ("route", "vnc"), shared by all threads, kept across reloads */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct sbd_stats;

/* One named count; lives as long as its table. */
struct sbd_route_stats {
	char *name; /* "kind:name" */
	atomic_uint active;
	atomic_uint_fast64_t total;
	struct sbd_route_stats *next;
};

struct sbd_stats *sbd_stats_new(void);
/* NULL ok. */
void sbd_stats_free(struct sbd_stats *t);
/* Finds or creates the entry of that kind and name. */
struct sbd_route_stats *sbd_stats_get(struct sbd_stats *t, const char *kind, const char *name);
/* Reserves one slot under limit (0: no limit); false when full. */
bool sbd_stats_reserve(struct sbd_route_stats *s, unsigned limit);
/* NULL ok. */
void sbd_stats_release(struct sbd_route_stats *s);
/* Calls fn for every entry of a kind, with the entry's name (without "kind:"), under the lock. */
void sbd_stats_foreach(struct sbd_stats *t, const char *kind,
    void (*fn)(void *arg, const char *name, const struct sbd_route_stats *s), void *arg);
