/* sbd-backend.c - the backend connect: non-blocking, watched on the loop, bounded in time */
#include "sbd-backend.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sb-alloc.h"
#include "sbd-loop.h"
#include "sbd-tls.h"
#include "sbd-tls-client.h"

struct sbd_backend_connect {
	struct sbd_backend_link link;
	struct sbd_tls_client *tls;   /* borrowed: the caller keeps its route's revision */
	char *host;
	bool connected;               /* the TCP (or UNIX) connect is done */
	uint64_t deadline_ms;
	struct sbd_watch watch;
	sbd_connected_fn *done;
	void *arg;
	bool over;
};

void
sbd_backend_link_close(struct sbd_backend_link *link)
{
	sbd_tls_session_free(link->tls);
	link->tls = NULL;
	if (link->fd >= 0)
		close(link->fd);
	link->fd = -1;
}

static void
link_fail(struct sbd_backend_link *link, int error, const char *why)
{
	sbd_backend_link_close(link);
	link->error = error;
	snprintf(link->why, sizeof link->why, "%s", why != NULL ? why : strerror(error));
}

static void
finish(struct sbd_backend_connect *c)
{
	if (c->over)
		return;
	c->over = true;
	sbd_loop_watch_del(&c->watch);
	c->done(c->arg, &c->link);
}

/* One handshake step: true once it is over (done or failed), false while it waits. */
static bool
handshake(struct sbd_backend_connect *c)
{
	int rc;

	do {
		rc = gnutls_handshake(c->link.tls);
	} while (rc < 0 && rc != GNUTLS_E_AGAIN && !gnutls_error_is_fatal(rc));
	if (rc == GNUTLS_E_AGAIN) {
		sbd_loop_watch_set(&c->watch, gnutls_record_get_direction(c->link.tls) ? EPOLLOUT :
		    EPOLLIN);
		return false;
	}
	if (rc < 0) {
		char why[sizeof c->link.why];

		sbd_tls_client_failure(c->link.tls, rc, why, sizeof why);
		link_fail(&c->link, EPROTO, why);
	}
	return true;
}

/* The connect is done: plain, that is all; TLS starts its handshake. */
static bool
on_connect_done(struct sbd_backend_connect *c)
{
	const char *why;

	c->connected = true;
	if (c->tls == NULL)
		return true;
	c->link.tls = sbd_tls_client_session(c->tls, c->link.fd, c->host, &why);
	if (c->link.tls == NULL) {
		link_fail(&c->link, EPROTO, why);
		return true;
	}
	return handshake(c);
}

static void
on_ready(struct sbd_watch *w, unsigned events)
{
	struct sbd_backend_connect *c = w->arg;
	int err = 0;
	socklen_t len = sizeof err;

	if (c->connected) {
		if (handshake(c))
			finish(c);
		return;
	}
	if (getsockopt(c->link.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err != 0)
		link_fail(&c->link, err, NULL);
	if (err != 0 || on_connect_done(c))
		finish(c);
}

static void
connect_free(struct sbd_backend_connect *c)
{
	sbd_backend_link_close(&c->link);
	free(c->host);
	free(c);
}

struct sbd_backend_connect *
sbd_backend_connect(struct sbd_loop *loop, const struct sockaddr *addr, socklen_t addrlen,
    uint64_t deadline_ms, struct sbd_tls_client *tls, const char *host, sbd_connected_fn *done,
    void *arg, struct sbd_backend_link *now)
{
	struct sbd_backend_connect *c;
	int s = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	bool at_once;

	*now = (struct sbd_backend_link){ .fd = -1 };
	if (s < 0) {
		link_fail(now, errno, NULL);
		return NULL;
	}
	now->fd = s;
	if (addr->sa_family == AF_INET || addr->sa_family == AF_INET6) {
		/*
		 * As on the client side: a tunnel forwards what it read at once, in
		 * one write, and a small message (a keystroke over SSH or VNC) must
		 * not wait for the backend's delayed ACK of the one before.
		 */
		int one = 1;

		setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	}
	at_once = connect(s, addr, addrlen) == 0;
	/*
	 * A connect in progress is asked again at once: to a backend on this host
	 * it is done by now (0), and the 101 need not wait a loop round for
	 * EPOLLOUT; EALREADY while it goes on, a refusal as its error.
	 */
	if (!at_once && errno == EINPROGRESS)
		at_once = connect(s, addr, addrlen) == 0 || errno == EISCONN;
	if (at_once && tls == NULL)
		return NULL;
	if (!at_once && errno != EINPROGRESS && errno != EALREADY) {
		link_fail(now, errno, NULL);
		return NULL;
	}
	c = sb_xcalloc(1, sizeof *c);
	c->link = *now;
	c->tls = tls;
	c->host = host ? sb_xstrdup(host) : NULL;
	c->deadline_ms = deadline_ms;
	c->done = done;
	c->arg = arg;
	c->watch.fd = -1;
	if (sbd_loop_watch_add(loop, &c->watch, s, EPOLLOUT, on_ready, c) < 0) {
		link_fail(&c->link, errno, NULL);
		at_once = true;
	} else if (at_once && !on_connect_done(c)) {
		at_once = false; /* the handshake waits */
	}
	if (!at_once)
		return c;
	sbd_loop_watch_del(&c->watch);
	*now = c->link;
	c->link = (struct sbd_backend_link){ .fd = -1 };
	connect_free(c);
	return NULL;
}

void
sbd_backend_connect_tick(struct sbd_backend_connect *c, uint64_t now)
{
	if (c->over || now < c->deadline_ms)
		return;
	link_fail(&c->link, ETIMEDOUT, c->connected ? "TLS handshake timed out" :
	    "connect timed out");
	finish(c);
}

void
sbd_backend_connect_abort(struct sbd_backend_connect *c)
{
	if (c->over)
		return;
	link_fail(&c->link, ECONNABORTED, NULL);
	finish(c);
}

void
sbd_backend_connect_free(struct sbd_backend_connect *c)
{
	if (c != NULL)
		connect_free(c);
}
