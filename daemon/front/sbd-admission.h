/* sbd-admission.h - between the verdict and the 101: steps that may wait, none that blocks
 *
 * The HTTP side hands an admitted request's route to the connection's loop;
 * the steps run there in order (the address's rate, identity, the identity's rate,
 * the token map's target, then connect a backend; each may wait on its own fd or
 * timer); the first refusal ends the sequence with its status,
 * and nothing reaches a backend before every step has passed.
 */
#pragma once

#include <gnutls/gnutls.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "sb-addr.h"
#include "sbd-auth.h"

struct sbd_loop;
struct sbd_pools;
struct sbd_route_rt;
struct sbd_target;
struct sbd_admission;

/* The outcome, handed to the requester once. */
struct sbd_admitted {
	int status;             /* 101, or the refusal: 502, 503 ... */
	bool aborted;           /* the connection went away: no answer at all */
	char reason[256];       /* for a refusal */
	int backend_fd;         /* 101: connected, owned by the receiver */
	gnutls_session_t backend_tls; /* 101: TLS over it (handshake done) or NULL, taken likewise */
	struct sbd_target *target; /* 101: its server, held (sbd_target_release), taken likewise */
	char identity[SBD_IDENTITY_MAX + 1]; /* who the route's auth found, or "" */
	int auth_method;        /* enum sbd_auth_method that named it, or -1 */
	char challenge[192];    /* 401: WWW-Authenticate values, one a line */
	unsigned retry_after_s; /* 429: Retry-After */
};

typedef void sbd_admitted_fn(void *arg, struct sbd_admitted *result);

/*
 * Loop thread. route is borrowed for the admission's life; done runs on the
 * loop, once. Connect results count for or against the servers in pools.
 */
struct sbd_admission *sbd_admission_start(struct sbd_loop *loop, struct sbd_pools *pools,
    struct sbd_route_rt *route, const struct sockaddr_storage *client,
    uint64_t connect_timeout_ms, sbd_admitted_fn *done, void *arg);
/*
 * The same, with the identity and rate steps first: who says what the route's
 * auth may look at, and cred (taken) is what the request presented.
 */
struct sbd_admission *sbd_admission_start_auth(const struct sbd_auth_who *who,
    struct sbd_credential *cred, struct sbd_pools *pools, struct sbd_route_rt *route,
    uint64_t connect_timeout_ms, sbd_admitted_fn *done, void *arg);
/* Once a second: steps past their deadline fail. False once the admission is over. */
bool sbd_admission_tick(struct sbd_admission *a, uint64_t now);
/* The connection closes: done runs with aborted set. */
void sbd_admission_abort(struct sbd_admission *a);
/* After done ran. NULL ok. */
void sbd_admission_free(struct sbd_admission *a);
bool sbd_admission_is_over(const struct sbd_admission *a);
