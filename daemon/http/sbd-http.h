/* sbd-http.h - libmicrohttpd as the HTTP/1.1 parser: no TLS, no listen socket, upgrades */
#pragma once

#include <gnutls/gnutls.h>
#include <stddef.h>

#include "sb-policy.h"
#include "sbd-authfile.h"

struct MHD_UpgradeResponseHandle;
struct sbd_conn;
struct sbd_ctx;
struct sbd_http;
struct sbd_loop;
struct sbd_route_rt;
struct sbd_route_stats;
struct sbd_target;

/*
 * One per worker loop, run by that loop alone (MHD's epoll fd in the loop's):
 * a connection stays on its loop from accept to close. Every call below is
 * for the loop's thread (or before it runs, or after it stopped).
 */
struct sbd_http *sbd_http_new(struct sbd_ctx *ctx, struct sbd_loop *loop,
    const struct sb_limits *limits);
/* Once a second: MHD's own timeouts. NULL ok. */
void sbd_http_tick(struct sbd_http *h);
/* After the loop's connections closed: MHD stops and frees its requests. NULL ok. */
void sbd_http_stop(struct sbd_http *h);
/* Stops it if needed; after the loop's pending tasks ran. NULL ok. */
void sbd_http_free(struct sbd_http *h);
/*
 * Gives MHD its end of conn's socketpair. Returns -1 when MHD refused it
 * (MHD closed fd then).
 */
int sbd_http_add(struct sbd_http *h, struct sbd_conn *conn, int fd);

/* What the 101 leaves for the connection's loop to take over. */
struct sbd_upgrade {
	struct sbd_http *http;
	char *extra;             /* bytes MHD read past the request */
	size_t extra_len;
	int mhd_fd;              /* MHD's end of the socketpair: drain it, never close it */
	struct MHD_UpgradeResponseHandle *urh;
	int backend_fd;          /* connected by the admission steps */
	gnutls_session_t backend_tls; /* over it, handshake done; NULL: plain */
	struct sbd_target *target; /* its server, held */
	struct sbd_route_rt *route; /* a reference */
	void *prep;              /* the mode's state from its checks */
	struct sbd_route_stats *stats; /* the route's slot this tunnel holds */
	char identity[SBD_IDENTITY_MAX + 1]; /* who route auth found, or "" */
	int auth_method;         /* enum sbd_auth_method, or -1 */
	char *method;            /* the request's method, and its path escaped without the query */
	char *path;
};

/* Tells MHD it may close its end of the pair; once per upgrade, before MHD stops. */
void sbd_upgrade_release_mhd(struct sbd_upgrade *u);
/* Frees what was not taken (fields set to NULL or -1 were). */
void sbd_upgrade_free(struct sbd_upgrade *u);
