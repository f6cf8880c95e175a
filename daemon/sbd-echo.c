/* sbd-echo.c - echoes every byte back; half-close answered with half-close */
#include "sbd-echo.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <unistd.h>

#include "sb-alloc.h"
#include "sb-log.h"
#include "sbd-accept.h"
#include "sbd-end.h"
#include "sbd-flow.h"
#include "sbd-loop.h"

struct echo_conn {
	struct sbd_echo *echo;
	struct sbd_end end;
	struct sbd_flow flow;
	struct echo_conn *prev, *next;
};

struct sbd_echo {
	struct sbd_loop *loop;
	struct sbd_watch listen_watch;
	int fd;
	struct echo_conn *conns;
};

static void
free_conn(void *arg)
{
	free(arg);
}

static void
echo_close(struct echo_conn *ec)
{
	struct sbd_echo *echo = ec->echo;

	sbd_end_close(&ec->end);
	sbd_flow_clear(&ec->flow);
	if (ec->prev != NULL)
		ec->prev->next = ec->next;
	else
		echo->conns = ec->next;
	if (ec->next != NULL)
		ec->next->prev = ec->prev;
	sbd_loop_defer(echo->loop, free_conn, ec);
}

static void
on_echo_io(struct sbd_watch *w, unsigned events)
{
	struct echo_conn *ec = w->arg;
	uint64_t moved = 0;
	enum sbd_flow_result r;

	do
		r = sbd_flow_run(&ec->flow, &moved);
	while (r == SBD_FLOW_MORE);
	if (r != SBD_FLOW_BLOCKED) {
		echo_close(ec);
		return;
	}
	sbd_loop_watch_set(w, (sbd_flow_wants_read(&ec->flow) ? EPOLLIN : 0) |
	    (sbd_flow_wants_write(&ec->flow) ? EPOLLOUT : 0));
}

static void
on_echo_accept(struct sbd_watch *w, unsigned events)
{
	struct sbd_echo *echo = w->arg;

	for (int i = 0; i < 64; i++) {
		int fd;
		enum sbd_accept_result r = sbd_accept(w, "echo", &fd, NULL, NULL);

		if (r == SBD_ACCEPT_NONE)
			return;
		if (r == SBD_ACCEPT_REFUSE) {
			sbd_accept_refused(fd); /* the daemon's own connect: it sees the close */
			continue;
		}
		struct echo_conn *ec = sb_xcalloc(1, sizeof *ec);
		ec->echo = echo;
		sbd_end_init(&ec->end, fd, NULL);
		sbd_flow_init(&ec->flow, &ec->end, &ec->end);
		if (sbd_loop_watch_add(echo->loop, &ec->end.watch, fd, EPOLLIN, on_echo_io, ec) < 0) {
			close(fd);
			free(ec);
			continue;
		}
		ec->next = echo->conns;
		if (echo->conns != NULL)
			echo->conns->prev = ec;
		echo->conns = ec;
	}
}

struct sbd_echo *
sbd_echo_new(struct sbd_loop *loop, struct sockaddr_storage *addr, socklen_t *addrlen)
{
	struct sbd_echo *echo = sb_xcalloc(1, sizeof *echo);
	struct sockaddr_in *sin = (struct sockaddr_in *)addr;

	echo->loop = loop;
	echo->listen_watch.fd = -1;
	*sin = (struct sockaddr_in){ .sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	*addrlen = sizeof *sin;
	echo->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (echo->fd < 0 || bind(echo->fd, (struct sockaddr *)sin, *addrlen) < 0 ||
	    listen(echo->fd, 1024) < 0 ||
	    getsockname(echo->fd, (struct sockaddr *)addr, addrlen) < 0 ||
	    sbd_loop_watch_add(loop, &echo->listen_watch, echo->fd, EPOLLIN, on_echo_accept,
	    echo) < 0) {
		sb_log_errno(SB_LOG_ERROR, "echo: listen");
		sbd_echo_free(echo);
		return NULL;
	}
	return echo;
}

void
sbd_echo_free(struct sbd_echo *echo)
{
	if (echo == NULL)
		return;
	while (echo->conns != NULL)
		echo_close(echo->conns);
	sbd_loop_watch_del(&echo->listen_watch);
	if (echo->fd >= 0)
		close(echo->fd);
	free(echo);
}
