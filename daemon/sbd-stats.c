/* sbd-stats.c - named live counters; a small list under one lock, looked up at reload */
#include "sbd-stats.h"

#include <stdlib.h>
#include <string.h>

#include "sb-alloc.h"

struct sbd_route_stats *
sbd_stats_get(struct sbd_daemon *d, const char *kind, const char *name)
{
	char *key = sb_xasprintf("%s:%s", kind, name);
	struct sbd_route_stats *s;

	pthread_mutex_lock(&d->stats_lock);
	for (s = d->route_stats; s != NULL; s = s->next)
		if (strcmp(s->name, key) == 0)
			break;
	if (s == NULL) {
		s = sb_xcalloc(1, sizeof *s);
		s->name = key;
		key = NULL;
		s->next = d->route_stats;
		d->route_stats = s;
	}
	pthread_mutex_unlock(&d->stats_lock);
	free(key);
	return s;
}

bool
sbd_stats_reserve(struct sbd_route_stats *s, unsigned limit)
{
	unsigned cur = atomic_load(&s->active);

	do {
		if (limit > 0 && cur >= limit)
			return false;
	} while (!atomic_compare_exchange_weak(&s->active, &cur, cur + 1));
	atomic_fetch_add(&s->total, 1);
	return true;
}

void
sbd_stats_release(struct sbd_route_stats *s)
{
	if (s != NULL)
		atomic_fetch_sub(&s->active, 1);
}

void
sbd_stats_free_all(struct sbd_daemon *d)
{
	while (d->route_stats != NULL) {
		struct sbd_route_stats *s = d->route_stats;

		d->route_stats = s->next;
		free(s->name);
		free(s);
	}
}
