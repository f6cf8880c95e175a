/* sbd-backend.c - the backend connect: non-blocking, watched on the loop, bounded in time */
#include "sbd-backend.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "sb-alloc.h"
#include "sbd-loop.h"

struct sbd_backend_connect {
	int fd;
	uint64_t deadline_ms;
	struct sbd_watch watch;
	sbd_connected_fn *done;
	void *arg;
	bool over;
};

static void
finish(struct sbd_backend_connect *c, int error)
{
	int fd = c->fd;

	if (c->over)
		return;
	c->over = true;
	sbd_loop_watch_del(&c->watch);
	c->fd = -1;
	if (error != 0) {
		close(fd);
		fd = -1;
	}
	c->done(c->arg, fd, error);
}

static void
on_ready(struct sbd_watch *w, unsigned events)
{
	struct sbd_backend_connect *c = w->arg;
	int err = 0;
	socklen_t len = sizeof err;

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	finish(c, err);
}

struct sbd_backend_connect *
sbd_backend_connect(struct sbd_loop *loop, const struct sockaddr *addr, socklen_t addrlen,
    uint64_t deadline_ms, sbd_connected_fn *done, void *arg, int *fd, int *error)
{
	struct sbd_backend_connect *c;
	int s = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	*fd = -1;
	*error = 0;
	if (s < 0) {
		*error = errno;
		return NULL;
	}
	if (connect(s, addr, addrlen) == 0) {
		*fd = s;
		return NULL;
	}
	if (errno != EINPROGRESS) {
		*error = errno;
		close(s);
		return NULL;
	}
	c = sb_xcalloc(1, sizeof *c);
	c->fd = s;
	c->deadline_ms = deadline_ms;
	c->done = done;
	c->arg = arg;
	c->watch.fd = -1;
	if (sbd_loop_watch_add(loop, &c->watch, s, EPOLLOUT, on_ready, c) < 0) {
		*error = errno;
		close(s);
		free(c);
		return NULL;
	}
	return c;
}

void
sbd_backend_connect_tick(struct sbd_backend_connect *c, uint64_t now)
{
	if (now >= c->deadline_ms)
		finish(c, ETIMEDOUT);
}

void
sbd_backend_connect_abort(struct sbd_backend_connect *c)
{
	finish(c, ECONNABORTED);
}

void
sbd_backend_connect_free(struct sbd_backend_connect *c)
{
	if (c == NULL)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}
