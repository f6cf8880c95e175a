/* sbd-stats.h - live counts by name ("route", "vnc"), shared by all threads, kept across reloads */
#pragma once

#include "sbd-daemon.h"

/* Finds or creates the entry; entries live as long as the daemon. */
struct sbd_route_stats *sbd_stats_get(struct sbd_daemon *d, const char *kind, const char *name);
/* Reserves one slot under limit (0: no limit); false when full. */
bool sbd_stats_reserve(struct sbd_route_stats *s, unsigned limit);
void sbd_stats_release(struct sbd_route_stats *s);
void sbd_stats_free_all(struct sbd_daemon *d);
