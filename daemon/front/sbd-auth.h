/* sbd-auth.h - the identity and rate steps of the admission, on the connection's loop
 *
 * The credential was taken from the request while MHD parsed it
 * (sbd_auth_capture); here it meets the route's methods. tokens and
 * client_cert are checked at once; basic and jwt go to the workers and come
 * back on the loop. Verdicts are cached by a keyed hash of the credential.
 */
#pragma once

#include <gnutls/gnutls.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "sbd-authfile.h"
#include "sbd-credential.h"

struct sbd_ctx;
struct sbd_loop;
struct sbd_route_rt;
struct sbd_admitted;
struct sbd_auth_step;

enum sbd_auth_state {
	SBD_AUTH_PASSED,
	SBD_AUTH_WAITING,  /* done runs later, on the loop */
	SBD_AUTH_REFUSED,  /* result has the status, reason and challenge */
};

/* What the identity step needs of the connection. */
struct sbd_auth_who {
	struct sbd_ctx *ctx;
	struct sbd_loop *loop;
	gnutls_session_t tls;   /* the client's session, NULL on a plain listener */
	const struct sockaddr *client;
	unsigned ipv6_prefix;
};

/* What the request shows that auth may look at (any of them may be NULL but target and client). */
struct sbd_auth_headers {
	const char *authorization;
	const char *cookie;         /* all Cookie fields, joined */
	const char *subprotocols;   /* all Sec-WebSocket-Protocol fields, joined */
	const char *target;         /* the request target as sent */
	const char *host;
	const char *client;         /* the client's address, for X-Forwarded-For */
	bool tls;                   /* the client came over TLS */
};

/*
 * While MHD has the request: the credential the route's auth.from finds in the request
 * (the first source that has one), or type NONE; for auth "request", the
 * header lines for the auth service; for a backend token_map, its token
 * (from auth.from as written, else query:token). When a query source names
 * a parameter, *stripped is the target without it (else NULL), for whatever
 * is replayed to a backend.
 */
void sbd_auth_capture(const struct sbd_route_rt *route, const struct sbd_auth_headers *h,
    struct sbd_credential *out, char **stripped);

typedef void sbd_auth_done_fn(void *arg, enum sbd_auth_state st);

/*
 * Runs the identity step; takes cred. On PASSED result->identity is set; on
 * WAITING, done(arg, PASSED or REFUSED) runs later on who->loop, unless
 * sbd_auth_step_cancel came first. *step holds what waits (NULL otherwise).
 */
enum sbd_auth_state sbd_auth_identify(const struct sbd_auth_who *who, struct sbd_route_rt *route,
    struct sbd_credential *cred, struct sbd_admitted *result, sbd_auth_done_fn *done, void *arg,
    struct sbd_auth_step **step);
/* The admission ends first: done will not run. NULL ok. */
void sbd_auth_step_cancel(struct sbd_auth_step *step);

/*
 * The rate steps: true to go on; false refused with 429 and Retry-After in
 * result. The address's bucket comes before the identity step, so that every
 * attempt counts, a refused credential too; the identity's after it.
 */
bool sbd_auth_rate_address(const struct sbd_auth_who *who, struct sbd_route_rt *route,
    struct sbd_admitted *result);
bool sbd_auth_rate_identity(const struct sbd_auth_who *who, struct sbd_route_rt *route,
    struct sbd_admitted *result);
