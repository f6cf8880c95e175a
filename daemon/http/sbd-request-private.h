/* sbd-request-private.h - one request on its way to a verdict and a 101 (http/ only) */
#pragma once

#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stdint.h>

#include "sb-addr.h"
#include "sb-buf.h"
#include "sbd-authfile.h"
#include "sbd-credential.h"
#include "sbd-route.h"

struct sbd_config;
struct sbd_conn;
struct sbd_http;
struct sbd_mode_ops;
struct sbd_route_rt;
struct sbd_route_stats;

enum sbd_request_phase {
	SBD_REQUEST_NEW,
	SBD_REQUEST_BODY,      /* reading the body the mode wants before the 101 */
	SBD_REQUEST_ADMITTING, /* suspended while the admission steps run on the conn's loop */
	SBD_REQUEST_ANSWERED,
};

struct sbd_request {
	struct sbd_http *http;
	struct MHD_Connection *mhd;
	struct sbd_conn *conn;     /* a reference */
	struct sbd_config *config; /* a reference: route pointers stay valid */
	enum sbd_request_phase phase;
	bool decided;
	const char *method;        /* MHD's, valid for the request */
	char *raw_uri;             /* the request target as sent, query included */
	struct sbd_verdict verdict;
	struct sbd_route_rt *route; /* the route that matched, in config */
	const struct sbd_mode_ops *ops;
	void *prep;                /* the mode's state from its checks */
	struct sbd_route_stats *stats; /* a reserved slot, until handed over */
	struct sb_buf body;        /* modes that want it: the request body */
	bool body_too_big;
	/* what the admission steps answered */
	bool admitted;             /* they did */
	bool suspended;            /* MHD waits for them */
	int admitted_status;       /* 101, or a refusal */
	bool aborted;              /* the connection went away meanwhile */
	int backend_fd;
	struct sbd_credential cred; /* what route auth found in the request, for the admission */
	struct sbd_cred_replay replay; /* the credential headers as a backend may see them */
	char identity[SBD_IDENTITY_MAX + 1]; /* who the admission found, or "" */
	int auth_method;           /* and by which method, or -1 */
	char challenge[192];       /* 401: WWW-Authenticate values, one a line */
	unsigned retry_after_s;    /* 429: Retry-After */
	gnutls_session_t backend_tls; /* TLS to the backend, or NULL */
	struct sbd_target *target; /* the backend's server, held */
};
