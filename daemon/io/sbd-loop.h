/* sbd-loop.h - one epoll event loop per thread: fd watches, a 1 s tick, posted tasks */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>

struct sbd_loop;
struct sbd_watch;

typedef void sbd_io_fn(struct sbd_watch *w, unsigned events);
typedef void sbd_task_fn(void *arg);

/*
 * Embedded in its owner; fd < 0 once removed. A callback may remove any watch,
 * its own included: events still pending for a removed watch are skipped. Owners
 * whose memory holds watches free it with sbd_loop_defer, never directly.
 */
struct sbd_watch {
	int fd;
	unsigned events; /* EPOLLIN | EPOLLOUT | ... as registered */
	sbd_io_fn *fn;
	void *arg;
	struct sbd_loop *loop;
	bool paused;                    /* out of epoll until the next tick */
	struct sbd_watch *paused_next;  /* the loop's list of paused watches */
};

struct sbd_loop *sbd_loop_new(const char *name, unsigned index);
/* After the loop has stopped and its thread (if any) was joined. */
void sbd_loop_free(struct sbd_loop *loop);

const char *sbd_loop_name(const struct sbd_loop *loop);
/* One pointer for the loop's owner (the connection list of a worker loop). */
void sbd_loop_set_data(struct sbd_loop *loop, void *data);
void *sbd_loop_data(const struct sbd_loop *loop);
unsigned sbd_loop_index(const struct sbd_loop *loop);

/* Owner thread only (or before the loop runs). epoll flags such as EPOLLEXCLUSIVE allowed. */
int sbd_loop_watch_add(struct sbd_loop *loop, struct sbd_watch *w, int fd, unsigned events,
    sbd_io_fn *fn, void *arg);
/* Changes the interest set when it differs. */
void sbd_loop_watch_set(struct sbd_watch *w, unsigned events);
/* No-op when w is not registered. Does not close the fd. Cancels a pause. */
void sbd_loop_watch_del(struct sbd_watch *w);
/*
 * Owner thread: takes w out of epoll until the loop's next tick puts it back
 * with its events (as sbd_loop_watch_set changed them meanwhile). For a
 * listening socket that cannot accept for now (no descriptors left), which a
 * level-triggered watch would report again at once. Works with EPOLLEXCLUSIVE,
 * which epoll cannot modify in place.
 */
void sbd_loop_watch_pause(struct sbd_watch *w);

/* Thread-safe: fn(arg) runs on the loop's thread, in posting order. */
void sbd_loop_post(struct sbd_loop *loop, sbd_task_fn *fn, void *arg);
/* Owner thread: fn(arg) runs after the events of the current round, before the next wait. */
void sbd_loop_defer(struct sbd_loop *loop, sbd_task_fn *fn, void *arg);
/* Called about once a second on the loop's thread. */
void sbd_loop_set_tick(struct sbd_loop *loop, sbd_task_fn *fn, void *arg);

/* After the loop stopped: runs what was posted or deferred since, on the calling thread. */
void sbd_loop_run_pending(struct sbd_loop *loop);
/* Runs until sbd_loop_stop; pending posted tasks are run before it returns. */
void sbd_loop_run(struct sbd_loop *loop);
int sbd_loop_start_thread(struct sbd_loop *loop);
void sbd_loop_join(struct sbd_loop *loop);
/* Thread-safe. */
void sbd_loop_stop(struct sbd_loop *loop);
bool sbd_loop_in_thread(const struct sbd_loop *loop);

/* Monotonic milliseconds. */
uint64_t sbd_now_ms(void);
/* Wall-clock milliseconds since the epoch, for timestamps people read. */
int64_t sbd_unix_ms(void);
