/* sbd-stats.c - named live counters; a small list under one lock, looked up at reload */
#include "sbd-stats.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "sb-alloc.h"

struct sbd_stats {
	pthread_mutex_t lock;
	struct sbd_route_stats *head;
};

struct sbd_stats *
sbd_stats_new(void)
{
	struct sbd_stats *t = sb_xcalloc(1, sizeof *t);

	pthread_mutex_init(&t->lock, NULL);
	return t;
}

void
sbd_stats_free(struct sbd_stats *t)
{
	if (t == NULL)
		return;
	while (t->head != NULL) {
		struct sbd_route_stats *s = t->head;

		t->head = s->next;
		free(s->name);
		free(s);
	}
	pthread_mutex_destroy(&t->lock);
	free(t);
}

struct sbd_route_stats *
sbd_stats_get(struct sbd_stats *t, const char *kind, const char *name)
{
	char *key = sb_xasprintf("%s:%s", kind, name);
	struct sbd_route_stats *s;

	pthread_mutex_lock(&t->lock);
	for (s = t->head; s != NULL; s = s->next)
		if (strcmp(s->name, key) == 0)
			break;
	if (s == NULL) {
		s = sb_xcalloc(1, sizeof *s);
		s->name = key;
		key = NULL;
		s->next = t->head;
		t->head = s;
	}
	pthread_mutex_unlock(&t->lock);
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
sbd_stats_foreach(struct sbd_stats *t, const char *kind,
    void (*fn)(void *arg, const char *name, const struct sbd_route_stats *s), void *arg)
{
	size_t klen = strlen(kind);

	pthread_mutex_lock(&t->lock);
	for (struct sbd_route_stats *s = t->head; s != NULL; s = s->next)
		if (strncmp(s->name, kind, klen) == 0 && s->name[klen] == ':')
			fn(arg, s->name + klen + 1, s);
	pthread_mutex_unlock(&t->lock);
}
