/* sbd-workers.h - a few threads for work that costs milliseconds (bcrypt, signatures)
 *
 * A connection's loop must never wait on such work: it submits a job, the job
 * runs on a worker, and its done runs back on the loop it names. The queue is
 * bounded: a full one refuses the job at once, and the caller answers 503.
 */
#pragma once

#include <stdbool.h>

struct sbd_loop;
struct sbd_workers;

struct sbd_job {
	void (*work)(void *arg); /* a worker thread */
	void (*done)(void *arg); /* then loop's thread */
	void (*drop)(void *arg); /* instead of both, when the pool stops first: any thread */
	struct sbd_loop *loop;
	void *arg;
};

struct sbd_workers *sbd_workers_new(unsigned threads, unsigned queue_max);
/* False when the queue is full (or the pool stops): nothing of job runs then. */
bool sbd_workers_submit(struct sbd_workers *w, const struct sbd_job *job);
/* Jobs waiting now, for metrics. */
unsigned sbd_workers_queued(struct sbd_workers *w);
/* Drops what waits, lets the running jobs finish (their done is posted), joins. NULL ok. */
void sbd_workers_free(struct sbd_workers *w);
