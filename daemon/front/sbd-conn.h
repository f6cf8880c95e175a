/* sbd-conn.h - one client connection, from accept to close, owned by one loop */
#pragma once

#include <stdint.h>
#include <sys/socket.h>

#include "sb-addr.h"
#include "sbd-admission.h"

struct sb_limits;
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

/*
 * Loop thread. Takes ownership of fd and of lconf's reference. The connection
 * counts in the loop's load from the sbd_conn_loop_take() that chose the loop
 * until it closes; on a loop already shut down it is closed at once.
 */
void sbd_conn_start(struct sbd_ctx *ctx, struct sbd_loop *loop, struct sbd_listener_conf *lconf,
    int fd, const struct sockaddr *addr, socklen_t addrlen);
/* Any thread: the connections loop holds, and those given to it and not yet started. */
unsigned sbd_conn_loop_load(const struct sbd_loop *loop);
/* Any thread: one more for loop's load, for a connection about to start on it. */
void sbd_conn_loop_take(struct sbd_loop *loop);
struct sbd_conn *sbd_conn_ref(struct sbd_conn *c);
void sbd_conn_unref(struct sbd_conn *c);
/* Any thread. */
const struct sbd_conn_info *sbd_conn_info(const struct sbd_conn *c);
/*
 * Once MHD has the request head: what the head had wrong on its way (a bare
 * CR, an obs-fold line; MHD takes both), or NULL.
 */
const char *sbd_conn_head_flaw(const struct sbd_conn *c);

/*
 * The verdict admitted a request for route (borrowed until done runs): the
 * admission steps start, and done reports, before this returns when they end
 * at once. cred (taken; NULL ok) is the credential the request presented, for
 * route auth.
 */
void sbd_conn_admit(struct sbd_conn *c, struct sbd_route_rt *route, uint64_t connect_timeout_ms,
    struct sbd_credential *cred, sbd_admitted_fn *done, void *arg);
/*
 * After the 101 went out (from MHD's upgrade callback): the connection takes
 * its early bytes, lets go of MHD and starts its tunnel. Takes u.
 */
void sbd_conn_upgraded(struct sbd_conn *c, struct sbd_upgrade *u);

/* Loop thread: the connection list of a worker loop, and its MHD. */
void sbd_conn_loop_init(struct sbd_loop *loop);
/* Before the loop runs: its MHD. -1 when it cannot start. */
int sbd_conn_loop_start_http(struct sbd_loop *loop, struct sbd_ctx *ctx,
    const struct sb_limits *limits);
/* After the loop stopped and its pending tasks ran. */
void sbd_conn_loop_fini(struct sbd_loop *loop);
/* Loop thread: the per-second sweep of the loop's connections (timeouts, counters) and MHD. */
void sbd_conn_sweep(struct sbd_loop *loop, uint64_t now);
/*
 * Loop thread: after a policy change, each tunnel whose route is gone or now
 * refuses it is closed where on_policy_change says "close", else kept.
 */
void sbd_conn_recheck(struct sbd_loop *loop, const struct sbd_config *config);
/* Loop thread: closes every connection of the loop, then stops its MHD. */
void sbd_conn_close_all(struct sbd_loop *loop);
