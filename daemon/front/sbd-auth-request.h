/* sbd-auth-request.h - route auth "request": one GET to the auth service, on the loop
 *
 * Connect (and TLS for https) without blocking, send the request, read the
 * answer's head, all within the service's timeout_ms, measured by a timer of
 * its own. The answer is the status and two headers; the body is never read.
 */
#pragma once

#include "sbd-auth-rt.h"

struct sbd_loop;
struct sbd_auth_call;

/* What the service said. */
struct sbd_auth_answer {
	int status;                          /* its status, or 0 when it gave none (why says) */
	char why[128];                       /* no answer: "connect: Connection refused", ... */
	char identity[SBD_IDENTITY_MAX + 1]; /* 2xx: its identity_header, when valid; else "" */
	char challenge[192];                 /* 401: its WWW-Authenticate, or "" */
};

typedef void sbd_auth_answer_fn(void *arg, const struct sbd_auth_answer *answer);

/*
 * Loop thread: asks svc, sending forward (header lines, borrowed until this
 * returns). done runs on the loop once, unless sbd_auth_call_cancel comes
 * first; never from within this call.
 */
struct sbd_auth_call *sbd_auth_call_start(struct sbd_loop *loop,
    const struct sbd_auth_service *svc, const char *forward, sbd_auth_answer_fn *done,
    void *arg);
/* Loop thread: done will not run; the call is freed. NULL ok. */
void sbd_auth_call_cancel(struct sbd_auth_call *call);
