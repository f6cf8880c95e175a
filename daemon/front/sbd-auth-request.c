/* sbd-auth-request.c - a GET to the auth service: connect, write, read the head, with a deadline */
#include "sbd-auth-request.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "sb-alloc.h"
#include "sbd-backend.h"
#include "sbd-end.h"
#include "sbd-http-reply.h"
#include "sbd-loop.h"

struct sbd_auth_call {
	struct sbd_loop *loop;
	const struct sbd_auth_service *svc; /* the route's revision keeps it */
	struct sbd_backend_connect *connect; /* while connecting */
	struct sbd_end end;                 /* once connected */
	struct sbd_watch timer;             /* the deadline: a timerfd */
	char *request;                      /* the bytes to send; wiped: they carry credentials */
	size_t request_len, sent;
	char head[SBD_REPLY_HEAD_MAX];
	size_t got;
	size_t scanned;                     /* of head: where the search for its end goes on */
	sbd_auth_answer_fn *done;           /* NULL once cancelled or done */
	void *arg;
	bool started;                       /* sbd_auth_call_start has returned */
	struct sbd_auth_answer answer;
	bool answered;                      /* answer is final, done pending */
};

static void
connect_free(void *arg)
{
	sbd_backend_connect_free(arg);
}

static void
call_free(void *arg)
{
	struct sbd_auth_call *c = arg;

	sbd_backend_connect_free(c->connect);
	if (c->request != NULL) {
		gnutls_memset(c->request, 0, c->request_len);
		free(c->request);
	}
	gnutls_memset(c->head, 0, sizeof c->head);
	free(c);
}

/* Everything the call holds on the loop goes; the memory once this round is over. */
static void
teardown(struct sbd_auth_call *c)
{
	if (c->connect != NULL)
		sbd_backend_connect_abort(c->connect); /* on_connected sees done == NULL */
	if (c->end.fd >= 0)
		sbd_end_close(&c->end);
	if (c->timer.fd >= 0) {
		int fd = c->timer.fd;

		sbd_loop_watch_del(&c->timer);
		close(fd);
	}
	sbd_loop_defer(c->loop, call_free, c);
}

static void
deliver(void *arg)
{
	struct sbd_auth_call *c = arg;
	sbd_auth_answer_fn *done = c->done;

	c->done = NULL;
	if (done != NULL)
		done(c->arg, &c->answer);
	teardown(c);
}

/* The answer is in (or failed): done runs from a deferred task, never from start. */
static void
finish(struct sbd_auth_call *c)
{
	if (c->answered)
		return;
	c->answered = true;
	if (c->end.fd >= 0)
		sbd_loop_watch_del(&c->end.watch);
	sbd_loop_defer(c->loop, deliver, c);
}

static void
fail(struct sbd_auth_call *c, const char *what, const char *why)
{
	if (c->answered)
		return;
	c->answer.status = 0;
	/* a long reason is cut: the log line is for people, the status is what counts */
	if (snprintf(c->answer.why, sizeof c->answer.why, "%s%s%s", what, why ? ": " : "",
	    why ? why : "") < 0)
		c->answer.why[0] = '\0';
	finish(c);
}

static void
on_timer(struct sbd_watch *w, unsigned events)
{
	struct sbd_auth_call *c = w->arg;

	(void)events;
	fail(c, "no answer in time", NULL);
}

static void
got_head(struct sbd_auth_call *c, size_t head_len, int status)
{
	const struct sb_auth_request *conf = c->svc->conf;
	char identity[SBD_IDENTITY_MAX + 1];

	c->answer.status = status;
	if (status >= 200 && status < 300 && conf->identity_header != NULL &&
	    sbd_http_reply_header(c->head, head_len, conf->identity_header, identity,
	    sizeof identity) && sbd_identity_is_valid(identity, strlen(identity)))
		snprintf(c->answer.identity, sizeof c->answer.identity, "%s", identity);
	if (status == 401 && !sbd_http_reply_header(c->head, head_len, "WWW-Authenticate",
	    c->answer.challenge, sizeof c->answer.challenge))
		c->answer.challenge[0] = '\0';
	finish(c);
}

static void
on_io(struct sbd_watch *w, unsigned events)
{
	struct sbd_auth_call *c = w->arg;

	(void)events;
	while (c->sent < c->request_len) {
		ssize_t n = sbd_end_write(&c->end, c->request + c->sent, c->request_len - c->sent);

		if (n == SBD_END_AGAIN) {
			sbd_loop_watch_set(&c->end.watch, EPOLLOUT);
			return;
		}
		if (n < 0) {
			fail(c, "send", c->end.error);
			return;
		}
		c->sent += (size_t)n;
	}
	sbd_loop_watch_set(&c->end.watch, EPOLLIN);
	for (;;) {
		ssize_t n;
		long head_len;
		int status;
		const char *why = NULL;

		if (c->got == sizeof c->head) {
			fail(c, "the answer's head is longer than 16 KiB", NULL);
			return;
		}
		n = sbd_end_read(&c->end, c->head + c->got, sizeof c->head - c->got);
		if (n == SBD_END_AGAIN)
			return;
		if (n == 0 || n == SBD_END_ERROR) {
			fail(c, n == 0 ? "closed before answering" : "read", n == 0 ? NULL :
			    c->end.error);
			return;
		}
		c->got += (size_t)n;
		head_len = sbd_http_reply_head(c->head, c->got, &c->scanned, &status, &why);
		if (head_len < 0) {
			fail(c, why, NULL);
			return;
		}
		if (head_len > 0) {
			got_head(c, (size_t)head_len, status);
			return;
		}
	}
}

static void
connected(struct sbd_auth_call *c, struct sbd_backend_link *link)
{
	sbd_end_init(&c->end, link->fd, link->tls);
	c->end.tls_established = link->tls != NULL;
	link->fd = -1;
	link->tls = NULL;
	if (sbd_loop_watch_add(c->loop, &c->end.watch, c->end.fd, EPOLLOUT, on_io, c) < 0)
		fail(c, "watch", strerror(errno));
}

static void
on_connected(void *arg, struct sbd_backend_link *link)
{
	struct sbd_auth_call *c = arg;

	sbd_loop_defer(c->loop, connect_free, c->connect); /* its watch may still be named */
	c->connect = NULL;
	if (c->answered)
		return; /* the timer came first and aborted it */
	if (link->fd >= 0)
		connected(c, link);
	else
		fail(c, "connect", link->why);
}

struct sbd_auth_call *
sbd_auth_call_start(struct sbd_loop *loop, const struct sbd_auth_service *svc,
    const char *forward, sbd_auth_answer_fn *done, void *arg)
{
	const struct sb_auth_request *conf = svc->conf;
	struct sbd_auth_call *c = sb_xcalloc(1, sizeof *c);
	struct itimerspec its = { 0 };
	struct sbd_backend_link now;
	char host[300];
	int tfd;

	c->loop = loop;
	c->svc = svc;
	c->done = done;
	c->arg = arg;
	c->end.fd = -1;
	c->timer.fd = -1;
	if (strchr(conf->parsed.hp.host, ':') != NULL)
		snprintf(host, sizeof host, "[%s]:%u", conf->parsed.hp.host, conf->parsed.hp.port);
	else
		snprintf(host, sizeof host, "%s:%u", conf->parsed.hp.host, conf->parsed.hp.port);
	c->request = sb_xasprintf("GET %s HTTP/1.1\r\nHost: %s\r\n%sConnection: close\r\n"
	    "User-Agent: switchboard\r\n\r\n", conf->parsed.path, host, forward);
	c->request_len = strlen(c->request);

	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	its.it_value.tv_sec = conf->timeout_ms / 1000;
	its.it_value.tv_nsec = (long)(conf->timeout_ms % 1000) * 1000000;
	if (tfd < 0 || timerfd_settime(tfd, 0, &its, NULL) < 0 ||
	    sbd_loop_watch_add(loop, &c->timer, tfd, EPOLLIN, on_timer, c) < 0) {
		if (tfd >= 0)
			close(tfd);
		fail(c, "timer", strerror(errno));
		return c;
	}
	/* the connect's own deadline is a backstop: the timer ends the call first */
	c->connect = sbd_backend_connect(loop, (const struct sockaddr *)&svc->addr, svc->addr_len,
	    sbd_now_ms() + conf->timeout_ms + 1000, svc->tls, conf->parsed.hp.host, on_connected,
	    c, &now);
	if (c->connect == NULL) {
		if (now.fd >= 0)
			connected(c, &now);
		else
			fail(c, "connect", now.why);
	}
	return c;
}

void
sbd_auth_call_cancel(struct sbd_auth_call *call)
{
	if (call == NULL)
		return;
	call->done = NULL;
	if (!call->answered) {
		call->answered = true;
		teardown(call);
	}
}
