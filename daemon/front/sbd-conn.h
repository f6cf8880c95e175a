/* sbd-conn.h - one client connection, from accept to close, owned by one loop */
#pragma once

#include <stdint.h>
#include <sys/socket.h>

#include "sb-addr.h"
#include "sbd-admission.h"

struct sbd_config;
struct sbd_ctx;
struct sbd_listener_conf;
struct sbd_loop;
struct sbd_route_rt;
struct sbd_upgrade;
struct sbd_conn;

/* Who a connection is: fixed once a PROXY header (if any) was read. */
struct sbd_conn_info {
	uint64_t id;
	struct sockaddr_storage addr;
	socklen_t addr_len;
	char text[SB_ADDR_TEXT_MAX];
	const char *listener;
	uint64_t accepted_ms; /* monotonic */
};

/* Loop thread. Takes ownership of fd. */
void sbd_conn_start(struct sbd_ctx *ctx, struct sbd_loop *loop, struct sbd_listener_conf *lconf,
    int fd, const struct sockaddr *addr, socklen_t addrlen);
struct sbd_conn *sbd_conn_ref(struct sbd_conn *c);
void sbd_conn_unref(struct sbd_conn *c);
/* Any thread. */
const struct sbd_conn_info *sbd_conn_info(const struct sbd_conn *c);
/*
 * HTTP thread, once MHD has the request head: what the head had wrong on its
 * way (a bare CR, an obs-fold line; MHD takes both), or NULL.
 */
const char *sbd_conn_head_flaw(const struct sbd_conn *c);

/*
 * HTTP thread: the verdict admitted a request for route (borrowed until done
 * runs): the admission steps run on the connection's loop, and done reports.
 * cred (taken; NULL ok) is the credential the request presented, for route auth.
 */
void sbd_conn_admit(struct sbd_conn *c, struct sbd_route_rt *route, uint64_t connect_timeout_ms,
    struct sbd_credential *cred, sbd_admitted_fn *done, void *arg);
/* HTTP thread, after the 101 went out: the loop takes the connection over (and u). */
void sbd_conn_upgraded(struct sbd_conn *c, struct sbd_upgrade *u);

/* Loop thread: the connection list of a worker loop. */
void sbd_conn_loop_init(struct sbd_loop *loop);
void sbd_conn_loop_fini(struct sbd_loop *loop);
/* Loop thread: the per-second sweep of the loop's connections (timeouts, counters). */
void sbd_conn_sweep(struct sbd_loop *loop, uint64_t now);
/*
 * Loop thread: after a policy change, each tunnel whose route is gone or now
 * refuses it is closed where on_policy_change says "close", else kept.
 */
void sbd_conn_recheck(struct sbd_loop *loop, const struct sbd_config *config);
/* Loop thread: closes every connection of the loop. */
void sbd_conn_close_all(struct sbd_loop *loop);
