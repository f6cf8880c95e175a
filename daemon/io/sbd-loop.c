/* sbd-loop.c - an epoll loop in the manner of a small ae: watches, tick, task queue */
#include "sbd-loop.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "sb-alloc.h"
#include "sb-log.h"

#define MAX_EVENTS 256
#define TICK_MS    1000

struct task {
	sbd_task_fn *fn;
	void *arg;
	struct task *next;
};

struct task_list {
	struct task *head;
	struct task *tail;
};

struct sbd_loop {
	char name[32];
	unsigned index;
	int epfd;
	int wake_fd;
	struct sbd_watch wake_watch;
	pthread_t thread;
	bool has_thread;
	pthread_t owner;
	atomic_bool stop;

	pthread_mutex_t posted_lock;
	struct task_list posted;
	struct task_list deferred;

	void *data;
	struct sbd_watch *paused; /* put back into epoll at the next tick */
	sbd_task_fn *tick_fn;
	void *tick_arg;
	uint64_t next_tick;
};

uint64_t
sbd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int64_t
sbd_unix_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
task_list_push(struct task_list *l, sbd_task_fn *fn, void *arg)
{
	struct task *t = sb_xmalloc(sizeof *t);

	t->fn = fn;
	t->arg = arg;
	t->next = NULL;
	if (l->tail != NULL)
		l->tail->next = t;
	else
		l->head = t;
	l->tail = t;
}

static void
task_list_run(struct task *t)
{
	while (t != NULL) {
		struct task *next = t->next;

		t->fn(t->arg);
		free(t);
		t = next;
	}
}

static void
run_posted(struct sbd_loop *loop)
{
	struct task *head;

	pthread_mutex_lock(&loop->posted_lock);
	head = loop->posted.head;
	loop->posted.head = loop->posted.tail = NULL;
	pthread_mutex_unlock(&loop->posted_lock);
	task_list_run(head);
}

static void
run_deferred(struct sbd_loop *loop)
{
	while (loop->deferred.head != NULL) {
		struct task *head = loop->deferred.head;

		loop->deferred.head = loop->deferred.tail = NULL;
		task_list_run(head);
	}
}

static void
on_wake(struct sbd_watch *w, unsigned events)
{
	struct sbd_loop *loop = w->arg;
	uint64_t n;

	(void)!read(loop->wake_fd, &n, sizeof n);
	run_posted(loop);
}

struct sbd_loop *
sbd_loop_new(const char *name, unsigned index)
{
	struct sbd_loop *loop = sb_xcalloc(1, sizeof *loop);

	snprintf(loop->name, sizeof loop->name, "%s", name);
	loop->index = index;
	loop->wake_fd = -1;
	loop->wake_watch.fd = -1;
	pthread_mutex_init(&loop->posted_lock, NULL);
	loop->owner = pthread_self();
	loop->next_tick = sbd_now_ms() + TICK_MS;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0)
		goto err;
	loop->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (loop->wake_fd < 0)
		goto err;
	if (sbd_loop_watch_add(loop, &loop->wake_watch, loop->wake_fd, EPOLLIN, on_wake, loop) < 0)
		goto err;
	return loop;
err:
	sb_log_errno(SB_LOG_ERROR, "loop %s: create", name);
	sbd_loop_free(loop);
	return NULL;
}

void
sbd_loop_run_pending(struct sbd_loop *loop)
{
	run_posted(loop);
	run_deferred(loop);
}

void
sbd_loop_free(struct sbd_loop *loop)
{
	if (loop == NULL)
		return;
	run_posted(loop);
	run_deferred(loop);
	if (loop->wake_fd >= 0)
		close(loop->wake_fd);
	if (loop->epfd >= 0)
		close(loop->epfd);
	pthread_mutex_destroy(&loop->posted_lock);
	free(loop);
}

const char *
sbd_loop_name(const struct sbd_loop *loop)
{
	return loop->name;
}

void
sbd_loop_set_data(struct sbd_loop *loop, void *data)
{
	loop->data = data;
}

void *
sbd_loop_data(const struct sbd_loop *loop)
{
	return loop->data;
}

unsigned
sbd_loop_index(const struct sbd_loop *loop)
{
	return loop->index;
}

int
sbd_loop_watch_add(struct sbd_loop *loop, struct sbd_watch *w, int fd, unsigned events,
    sbd_io_fn *fn, void *arg)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	w->fd = fd;
	w->events = events;
	w->fn = fn;
	w->arg = arg;
	w->loop = loop;
	w->paused = false;
	w->paused_next = NULL;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		w->fd = -1;
		return -1;
	}
	return 0;
}

void
sbd_loop_watch_set(struct sbd_watch *w, unsigned events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	if (w->fd < 0 || w->events == events)
		return;
	if (w->paused) {
		w->events = events; /* registered so when the pause ends */
		return;
	}
	if (epoll_ctl(w->loop->epfd, EPOLL_CTL_MOD, w->fd, &ev) == 0)
		w->events = events;
	else
		sb_log_errno(SB_LOG_WARN, "loop %s: epoll mod fd %d", w->loop->name, w->fd);
}

static void
unlink_paused(struct sbd_watch *w)
{
	struct sbd_watch **p = &w->loop->paused;

	while (*p != NULL && *p != w)
		p = &(*p)->paused_next;
	if (*p == w)
		*p = w->paused_next;
	w->paused_next = NULL;
	w->paused = false;
}

void
sbd_loop_watch_del(struct sbd_watch *w)
{
	if (w->fd < 0)
		return;
	if (w->paused)
		unlink_paused(w);
	else
		epoll_ctl(w->loop->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	w->fd = -1;
	w->events = 0;
}

void
sbd_loop_watch_pause(struct sbd_watch *w)
{
	if (w->fd < 0 || w->paused)
		return;
	epoll_ctl(w->loop->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	w->paused = true;
	w->paused_next = w->loop->paused;
	w->loop->paused = w;
}

static void
resume_paused(struct sbd_loop *loop)
{
	struct sbd_watch *w = loop->paused;

	loop->paused = NULL;
	while (w != NULL) {
		struct sbd_watch *next = w->paused_next;
		struct epoll_event ev = { .events = w->events, .data.ptr = w };

		w->paused = false;
		w->paused_next = NULL;
		if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, w->fd, &ev) < 0) {
			sb_log_errno(SB_LOG_WARN, "loop %s: epoll add fd %d after a pause", loop->name,
			    w->fd);
			sbd_loop_watch_pause(w); /* tried again at the next tick */
		}
		w = next;
	}
}

void
sbd_loop_post(struct sbd_loop *loop, sbd_task_fn *fn, void *arg)
{
	uint64_t one = 1;

	pthread_mutex_lock(&loop->posted_lock);
	task_list_push(&loop->posted, fn, arg);
	pthread_mutex_unlock(&loop->posted_lock);
	(void)!write(loop->wake_fd, &one, sizeof one);
}

void
sbd_loop_defer(struct sbd_loop *loop, sbd_task_fn *fn, void *arg)
{
	task_list_push(&loop->deferred, fn, arg);
}

void
sbd_loop_set_tick(struct sbd_loop *loop, sbd_task_fn *fn, void *arg)
{
	loop->tick_fn = fn;
	loop->tick_arg = arg;
	loop->next_tick = sbd_now_ms() + TICK_MS;
}

void
sbd_loop_run(struct sbd_loop *loop)
{
	struct epoll_event events[MAX_EVENTS];

	loop->owner = pthread_self();
	while (!atomic_load(&loop->stop)) {
		int timeout = -1;

		if (loop->tick_fn != NULL || loop->paused != NULL) {
			uint64_t now = sbd_now_ms();

			timeout = loop->next_tick > now ? (int)(loop->next_tick - now) : 0;
		}
		int n = epoll_wait(loop->epfd, events, MAX_EVENTS, timeout);
		if (n < 0 && errno != EINTR) {
			sb_log_errno(SB_LOG_ERROR, "loop %s: epoll_wait", loop->name);
			break;
		}
		for (int i = 0; i < n; i++) {
			struct sbd_watch *w = events[i].data.ptr;

			if (w->fd >= 0 && !w->paused)
				w->fn(w, events[i].events);
		}
		run_deferred(loop);
		if (sbd_now_ms() >= loop->next_tick) {
			loop->next_tick = sbd_now_ms() + TICK_MS;
			resume_paused(loop);
			if (loop->tick_fn != NULL)
				loop->tick_fn(loop->tick_arg);
			run_deferred(loop);
		}
	}
	run_posted(loop);
	run_deferred(loop);
}

static void *
loop_thread(void *arg)
{
	struct sbd_loop *loop = arg;

	pthread_setname_np(pthread_self(), loop->name);
	sbd_loop_run(loop);
	return NULL;
}

int
sbd_loop_start_thread(struct sbd_loop *loop)
{
	int rc = pthread_create(&loop->thread, NULL, loop_thread, loop);

	if (rc != 0) {
		errno = rc;
		return -1;
	}
	loop->has_thread = true;
	return 0;
}

void
sbd_loop_join(struct sbd_loop *loop)
{
	if (loop->has_thread) {
		pthread_join(loop->thread, NULL);
		loop->has_thread = false;
	}
}

void
sbd_loop_stop(struct sbd_loop *loop)
{
	uint64_t one = 1;

	atomic_store(&loop->stop, true);
	(void)!write(loop->wake_fd, &one, sizeof one);
}

bool
sbd_loop_in_thread(const struct sbd_loop *loop)
{
	return pthread_equal(loop->owner, pthread_self());
}
