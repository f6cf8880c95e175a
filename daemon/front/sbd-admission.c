/* sbd-admission.c - the admission steps, in order, on the connection's loop */
#include "sbd-admission.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb-alloc.h"
#include "sbd-backend.h"
#include "sbd-config.h"
#include "sbd-loop.h"

struct sbd_admission {
	struct sbd_loop *loop;
	struct sbd_route_rt *route;
	struct sockaddr_storage client;
	uint64_t connect_timeout_ms;
	sbd_admitted_fn *done;
	void *arg;
	size_t step;                      /* the step running or next */
	struct sbd_backend_connect *connect; /* the connect step, while it waits */
	struct sbd_admitted result;
	bool over;
};

enum step_state {
	STEP_PASSED,  /* on to the next step */
	STEP_WAITING, /* the step calls step_passed or refuse itself later */
	STEP_REFUSED, /* result says why */
};

static void run(struct sbd_admission *a);

static void
finish(struct sbd_admission *a)
{
	a->over = true;
	a->done(a->arg, &a->result);
}

static enum step_state
connect_failed(struct sbd_admission *a, int error)
{
	if (error == ECONNABORTED) {
		a->result.aborted = true;
		return STEP_REFUSED;
	}
	a->result.status = 502;
	snprintf(a->result.reason, sizeof a->result.reason, "backend %s unreachable: %s",
	    a->result.backend_text, error == ETIMEDOUT ? "connect timed out" : strerror(error));
	return STEP_REFUSED;
}

static void
on_connected(void *arg, int fd, int error)
{
	struct sbd_admission *a = arg;

	a->result.backend_fd = fd;
	if (fd < 0) {
		connect_failed(a, error);
		finish(a);
		return;
	}
	a->step++;
	run(a);
}

/* The backend is connected before the 101 goes out, so a dead one is a 502. */
static enum step_state
step_connect(struct sbd_admission *a)
{
	const struct sbd_route_rt *rt = a->route;
	int fd, error;

	snprintf(a->result.backend_text, sizeof a->result.backend_text, "%s", rt->backend_text);
	a->connect = sbd_backend_connect(a->loop, (const struct sockaddr *)&rt->backend,
	    rt->backend_len, sbd_now_ms() + a->connect_timeout_ms, on_connected, a, &fd, &error);
	if (a->connect != NULL)
		return STEP_WAITING;
	a->result.backend_fd = fd;
	return fd >= 0 ? STEP_PASSED : connect_failed(a, error);
}

/* The steps, in the order a request must pass them. */
static enum step_state (*const steps[])(struct sbd_admission *a) = {
	step_connect,
};

static void
run(struct sbd_admission *a)
{
	for (; a->step < sizeof steps / sizeof steps[0]; a->step++) {
		enum step_state st = steps[a->step](a);

		if (st == STEP_WAITING)
			return;
		if (st == STEP_REFUSED) {
			finish(a);
			return;
		}
	}
	a->result.status = 101;
	finish(a);
}

struct sbd_admission *
sbd_admission_start(struct sbd_loop *loop, struct sbd_route_rt *route,
    const struct sockaddr_storage *client, uint64_t connect_timeout_ms, sbd_admitted_fn *done,
    void *arg)
{
	struct sbd_admission *a = sb_xcalloc(1, sizeof *a);

	a->loop = loop;
	a->route = route;
	a->client = *client;
	a->connect_timeout_ms = connect_timeout_ms;
	a->done = done;
	a->arg = arg;
	a->result.backend_fd = -1;
	run(a);
	return a;
}

bool
sbd_admission_tick(struct sbd_admission *a, uint64_t now)
{
	if (!a->over && a->connect != NULL)
		sbd_backend_connect_tick(a->connect, now);
	return !a->over;
}

void
sbd_admission_abort(struct sbd_admission *a)
{
	if (a->over)
		return;
	if (a->connect != NULL) {
		sbd_backend_connect_abort(a->connect);
		return;
	}
	a->result.aborted = true;
	finish(a);
}

bool
sbd_admission_is_over(const struct sbd_admission *a)
{
	return a->over;
}

void
sbd_admission_free(struct sbd_admission *a)
{
	if (a == NULL)
		return;
	sbd_backend_connect_free(a->connect);
	free(a);
}
