/* test-workers.c - the check workers: named, a bounded queue, what waits dropped at the end */
#include <glib.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "sbd-loop.h"
#include "sbd-workers.h"

struct seen {
	atomic_int started, done, dropped;
	atomic_bool release;
	char name[16];
};

static void
record(void *arg)
{
	struct seen *s = arg;

	pthread_getname_np(pthread_self(), s->name, sizeof s->name);
	atomic_fetch_add(&s->started, 1);
}

/* Holds its worker until the test lets it go (at most 10 s). */
static void
hold(void *arg)
{
	struct seen *s = arg;

	atomic_fetch_add(&s->started, 1);
	for (int i = 0; i < 10000 && !atomic_load(&s->release); i++)
		g_usleep(1000);
}

static void
on_done(void *arg)
{
	atomic_fetch_add(&((struct seen *)arg)->done, 1);
}

static void
on_drop(void *arg)
{
	atomic_fetch_add(&((struct seen *)arg)->dropped, 1);
}

/* Runs the loop's posted tasks until done reaches want (at most 10 s). */
static void
wait_done(struct sbd_loop *loop, struct seen *s, int want)
{
	for (int i = 0; i < 10000 && atomic_load(&s->done) < want; i++) {
		sbd_loop_run_pending(loop);
		g_usleep(1000);
	}
	g_assert_cmpint(atomic_load(&s->done), ==, want);
}

static void
test_named(void)
{
	struct sbd_loop *loop = sbd_loop_new("test", 0);
	struct sbd_workers *w = sbd_workers_new(1, 4);
	struct seen s = { 0 };
	struct sbd_job job = { .work = record, .done = on_done, .drop = on_drop, .loop = loop,
		.arg = &s };

	g_assert_true(sbd_workers_submit(w, &job));
	wait_done(loop, &s, 1);
	g_assert_cmpstr(s.name, ==, "sbd-check-0");
	sbd_workers_free(w);
	g_assert_cmpint(atomic_load(&s.dropped), ==, 0);
	sbd_loop_free(loop);
}

static void
test_full_queue_refuses(void)
{
	struct sbd_loop *loop = sbd_loop_new("test", 0);
	struct sbd_workers *w = sbd_workers_new(1, 1);
	struct seen held = { 0 }, queued = { 0 };
	struct sbd_job hold_job = { .work = hold, .done = on_done, .drop = on_drop, .loop = loop,
		.arg = &held };
	struct sbd_job job = { .work = record, .done = on_done, .drop = on_drop, .loop = loop,
		.arg = &queued };

	g_assert_true(sbd_workers_submit(w, &hold_job));
	for (int i = 0; i < 10000 && atomic_load(&held.started) == 0; i++)
		g_usleep(1000);
	g_assert_cmpint(atomic_load(&held.started), ==, 1);
	g_assert_true(sbd_workers_submit(w, &job));
	g_assert_false(sbd_workers_submit(w, &job)); /* one waits already: the queue is full */
	g_assert_cmpuint(sbd_workers_queued(w), ==, 1);
	atomic_store(&held.release, true);
	/* the held job ends while free drops the queued one, which never runs */
	sbd_workers_free(w);
	wait_done(loop, &held, 1);
	g_assert_cmpint(atomic_load(&queued.started) + atomic_load(&queued.dropped), ==, 1);
	sbd_loop_run_pending(loop);
	g_assert_cmpint(atomic_load(&queued.started), ==, atomic_load(&queued.done));
	sbd_loop_free(loop);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/workers/named", test_named);
	g_test_add_func("/workers/full-queue-refuses", test_full_queue_refuses);
	return g_test_run();
}
