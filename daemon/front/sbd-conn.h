/* sbd-conn.h - one client connection, from accept to close, owned by one loop */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "sb-addr.h"
#include "sb-policy.h"
#include "sbd-end.h"
#include "sbd-flow.h"

struct sbd_daemon;
struct sbd_listener_conf;
struct sbd_route_stats;
struct sbd_request;
struct sbd_tls_ctx;
struct sbd_tls_upgrade;
struct sbd_h2c_filters;
struct MHD_UpgradeResponseHandle;

enum sbd_conn_state {
	SBD_CONN_PROXY,     /* reading the PROXY header */
	SBD_CONN_HANDSHAKE, /* TLS handshake */
	SBD_CONN_HTTP,      /* the request goes to MHD through the socketpair */
	SBD_CONN_LINGER,    /* answer sent and shut: reading the client out before close */
	SBD_CONN_TUNNEL,    /* bridged to the backend */
	SBD_CONN_CLOSED,
};

/* What the HTTP side decided for an upgrade; handed to the loop after the 101. */
struct sbd_handover {
	struct sbd_conn *conn;   /* a reference */
	char *extra;             /* bytes MHD read past the request */
	size_t extra_len;
	int mhd_fd;              /* MHD's end of the socketpair (MHD owns it) */
	struct MHD_UpgradeResponseHandle *urh;
	int backend_fd;          /* connected; ownership passes to the conn */
	char *route;
	enum sb_mode mode;
	unsigned idle_timeout_s;
	enum sb_on_change on_change;
	enum sb_proxy_version proxy_out; /* a PROXY header to send the backend first */
	uint64_t max_message_bytes;
	unsigned ping_interval_s;
	bool text_messages;
	struct sbd_route_stats *stats; /* a reserved slot, released at close */
	char backend_text[SB_ADDR_TEXT_MAX];
	struct sbd_tls_ctx *tls;       /* tls mode: the route's certificate, a reference */
	struct sb_buf replay;          /* tls mode: the request for the backend */
};

struct sbd_conn {
	atomic_int refs;
	uint64_t id;
	struct sbd_daemon *daemon;
	struct sbd_loop *loop;
	struct sbd_conn *prev, *next; /* the loop's list */
	enum sbd_conn_state state;

	struct sbd_listener_conf *lconf; /* a reference */
	struct sockaddr_storage client_addr;
	socklen_t client_len;
	char client_text[SB_ADDR_TEXT_MAX];

	struct sbd_end client;
	struct sbd_end pair;    /* our end of the socketpair to MHD (HTTP phase) */
	struct sbd_end backend; /* tunnel phase */
	struct sbd_flow up;     /* client -> pair, then client -> backend */
	struct sbd_flow down;   /* pair -> client, then backend -> client */
	bool in_mhd;            /* MHD holds the other end of the pair */
	struct sbd_request *pending_connect;
	struct sbd_ws *ws;       /* websocket mode: the codec between client and backend */
	struct sbd_tls_upgrade *tls_upgrade; /* tls mode, until its handshake is done */
	struct sbd_h2c_filters *h2c; /* h2c mode: the preface and ACK rewrites */ /* a suspended request waiting for its backend */

	char *route;
	enum sb_mode mode;
	struct sbd_route_stats *stats;
	char backend_text[SB_ADDR_TEXT_MAX];
	uint64_t started_ms;
	uint64_t last_active_ms;
	uint64_t deadline_ms;   /* handshake or linger deadline; 0 none */
	uint64_t handshake_timeout_ms;
	unsigned idle_timeout_s;
	atomic_uint_fast64_t bytes_up;
	atomic_uint_fast64_t bytes_down;
	uint64_t down_skip;      /* bytes of the 101 still ahead in the down flow */
	int64_t started_unix_ms;
	enum sb_on_change on_change; /* the route's own setting, UNSET when it has none */
	struct sbd_conn *reg_prev, *reg_next; /* the registry's list (tunnels only) */
	uint64_t reported_up, reported_down; /* counters of the last connection.updated */
	atomic_bool half_closed; /* one direction finished (for snapshots) */
	bool peer_counted;       /* counted in the per-address table */
	unsigned per_ip_limit;
	struct sb_buf proxy_in;  /* the PROXY header read so far */
	bool rerun_posted;
	bool first_byte_checked; /* TLS listeners: the client really starts a handshake */
	const char *first_eof;   /* "client" or "backend": who ended the tunnel first */
};

/* Takes ownership of fd; runs on loop. */
void sbd_conn_start(struct sbd_daemon *d, struct sbd_loop *loop, struct sbd_listener_conf *lconf,
    int fd, const struct sockaddr *addr, socklen_t addrlen);
struct sbd_conn *sbd_conn_ref(struct sbd_conn *c);
void sbd_conn_unref(struct sbd_conn *c);
/* Loop thread: tears the connection down now, with a reason for the log. */
void sbd_conn_close(struct sbd_conn *c, const char *reason);
/* Posted from the MHD thread after the 101 went out. */
void sbd_conn_handover(void *handover);
/* Loop thread: the per-second sweep of the loop's connections (timeouts). */
void sbd_conn_sweep(struct sbd_loop *loop, uint64_t now);
/* Loop thread: the connection list of a worker loop. */
void sbd_conn_loop_init(struct sbd_loop *loop);
void sbd_conn_loop_fini(struct sbd_loop *loop);
/*
 * Loop thread: after a policy change, each tunnel whose route is gone or now
 * refuses it is closed where on_policy_change says "close", else kept.
 */
struct sbd_config;
void sbd_conn_recheck(struct sbd_loop *loop, const struct sbd_config *config);
/* Loop thread: closes every connection of the loop. */
void sbd_conn_close_all(struct sbd_loop *loop, const char *reason);
