/* sbd-workers.c - a small thread pool whose results go back to the loop that asked */
#include "sbd-workers.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "sb-alloc.h"
#include "sb-log.h"
#include "sbd-loop.h"

struct sbd_workers {
	pthread_mutex_t lock;
	pthread_cond_t ready;
	struct sbd_job *queue;   /* a ring of queue_max */
	unsigned queue_max, head, count;
	unsigned started;        /* workers that took their number (sbd-check-N) */
	bool stopping;
	pthread_t *threads;
	unsigned n_threads;
};

static void *
worker_main(void *arg)
{
	struct sbd_workers *w = arg;
	char name[16];

	pthread_mutex_lock(&w->lock);
	snprintf(name, sizeof name, "sbd-check-%u", w->started++); /* for top and perf */
	pthread_mutex_unlock(&w->lock);
	pthread_setname_np(pthread_self(), name);
	for (;;) {
		struct sbd_job job;

		pthread_mutex_lock(&w->lock);
		while (w->count == 0 && !w->stopping)
			pthread_cond_wait(&w->ready, &w->lock);
		if (w->count == 0) {
			pthread_mutex_unlock(&w->lock);
			return NULL;
		}
		job = w->queue[w->head];
		w->head = (w->head + 1) % w->queue_max;
		w->count--;
		pthread_mutex_unlock(&w->lock);
		job.work(job.arg);
		sbd_loop_post(job.loop, job.done, job.arg);
	}
}

struct sbd_workers *
sbd_workers_new(unsigned threads, unsigned queue_max)
{
	struct sbd_workers *w = sb_xcalloc(1, sizeof *w);

	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->ready, NULL);
	w->queue_max = queue_max;
	w->queue = sb_xcalloc(queue_max, sizeof *w->queue);
	w->threads = sb_xcalloc(threads, sizeof *w->threads);
	for (unsigned i = 0; i < threads; i++) {
		if (pthread_create(&w->threads[w->n_threads], NULL, worker_main, w) != 0) {
			sb_warn("workers: cannot start a thread");
			break;
		}
		w->n_threads++;
	}
	return w;
}

bool
sbd_workers_submit(struct sbd_workers *w, const struct sbd_job *job)
{
	bool ok = false;

	pthread_mutex_lock(&w->lock);
	if (!w->stopping && w->n_threads > 0 && w->count < w->queue_max) {
		w->queue[(w->head + w->count) % w->queue_max] = *job;
		w->count++;
		ok = true;
		pthread_cond_signal(&w->ready);
	}
	pthread_mutex_unlock(&w->lock);
	return ok;
}

unsigned
sbd_workers_queued(struct sbd_workers *w)
{
	unsigned n;

	pthread_mutex_lock(&w->lock);
	n = w->count;
	pthread_mutex_unlock(&w->lock);
	return n;
}

void
sbd_workers_free(struct sbd_workers *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	while (w->count > 0) {
		struct sbd_job job = w->queue[w->head];

		w->head = (w->head + 1) % w->queue_max;
		w->count--;
		pthread_mutex_unlock(&w->lock);
		job.drop(job.arg);
		pthread_mutex_lock(&w->lock);
	}
	pthread_cond_broadcast(&w->ready);
	pthread_mutex_unlock(&w->lock);
	for (unsigned i = 0; i < w->n_threads; i++)
		pthread_join(w->threads[i], NULL);
	pthread_cond_destroy(&w->ready);
	pthread_mutex_destroy(&w->lock);
	free(w->threads);
	free(w->queue);
	free(w);
}
