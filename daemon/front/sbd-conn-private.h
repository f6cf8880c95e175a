/* sbd-conn-private.h - the connection as the front's files see it (front/ only) */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "sb-buf.h"
#include "sb-control.h"
#include "sbd-authfile.h"
#include "sbd-close.h"
#include "sbd-conn.h"
#include "sbd-end.h"
#include "sbd-flow.h"
#include "sbd-http-head.h"
#include "sbd-registry.h"
#include "sbd-tls.h"

struct sb_listener;
struct sbd_tunnel;
struct sbd_route_stats;

/* The client's TLS as the hand-over found it, its texts packed after it (one allocation). */
struct sbd_conn_tls {
	const char *version, *cipher, *sni, *alpn;
	char text[];
};

/*
 * The HTTP phase: our end of the socketpair into MHD and the two flows through
 * it. Allocated when the request starts, freed (deferred: the pair's watch)
 * at the hand-over or the close, so that a tunnel holds none of it.
 */
struct sbd_conn_http {
	struct sbd_end pair;     /* our end of the socketpair to MHD */
	struct sbd_flow up;      /* client -> pair */
	struct sbd_flow down;    /* pair -> client */
	struct sbd_head_scan head; /* the request head on its way to MHD */
};

enum sbd_conn_state {
	SBD_CONN_PROXY,     /* reading the PROXY header */
	SBD_CONN_HANDSHAKE, /* TLS handshake */
	SBD_CONN_HTTP,      /* the request goes to the loop's MHD through the socketpair */
	SBD_CONN_LINGER,    /* answer sent and shut: reading the client out before close */
	SBD_CONN_TUNNEL,    /* after the 101: the tunnel runs */
	SBD_CONN_CLOSED,
};

struct sbd_conn {
	atomic_int refs;
	struct sbd_conn_info info;
	struct sbd_ctx *ctx;
	struct sbd_loop *loop;
	struct sbd_conn *prev, *next; /* the loop's list */
	enum sbd_conn_state state;
	struct sbd_listener_conf *lconf; /* a reference */

	struct sbd_end client;
	struct sbd_conn_http *http; /* the HTTP phase's state while it runs, else NULL */
	const char *head_flaw;   /* what it had wrong, for the verdict */
	struct sbd_admission *admission; /* the steps before the 101, while they run */
	sbd_admitted_fn *admitted;       /* the HTTP side's callback */
	void *admitted_arg;
	struct sbd_tunnel *tunnel;       /* after the 101 */
	struct sbd_route_stats *route_slot; /* the route's slot the tunnel holds */
	struct sbd_registry_entry entry; /* listed while a tunnel */
	char label[32 + SB_ADDR_TEXT_MAX]; /* "conn 7 10.0.0.1:4242", for the tunnel's logs */
	char identity[SBD_IDENTITY_MAX + 1]; /* who route auth found (at the hand-over), or "" */
	struct sbd_conn_tls *tls; /* the client's TLS, recorded at the hand-over; NULL: plain */
	char *method, *path;     /* the upgraded request's, for connection.closed (path escaped) */

	uint64_t started_ms;
	int64_t started_unix_ms;
	uint64_t deadline_ms;    /* handshake or linger deadline; 0 none */
	uint64_t handshake_timeout_ms;
	uint64_t reported_up, reported_down; /* counters of the last connection.updated */
	bool peer_counted;       /* counted in the per-address table */
	unsigned per_ip_limit;
	unsigned per_ip_v6_prefix; /* what the address was counted by, for the release */
	struct sb_buf proxy_in;  /* the PROXY header read so far */
	bool rerun_posted;
	bool first_byte_checked; /* TLS listeners: the client really starts a handshake */
};

/* The one way a connection ends: logs, events and counters, then every resource. */
void sbd_conn_close(struct sbd_conn *c, struct sbd_why why);
void sbd_conn_pump(struct sbd_conn *c);
/* After the PROXY header (or at once): per-address limit, then TLS or the request. */
void sbd_conn_admit_client(struct sbd_conn *c);
/*
 * At accept, on a PROXY listener: true when the TCP peer may send the header
 * (listener proxy_protocol.from); otherwise refuses and closes c.
 */
bool sbd_proxy_in_sender_ok(struct sbd_conn *c, const struct sb_listener *l);
/* SBD_CONN_PROXY: reads the header without reading past it. */
void sbd_proxy_in_read(struct sbd_conn *c);
/* Sets what the loop watches an end for (nothing once the end hung up). */
void sbd_conn_watch(struct sbd_conn *c, struct sbd_end *e, unsigned events);
void sbd_conn_post_rerun(struct sbd_conn *c);
/* Ends the HTTP phase: closes the pair, clears the flows, frees them after this round. */
void sbd_conn_http_end(struct sbd_conn *c);
/* Registry operations of a tunnel's entry (sbd-conn-report.c). */
extern const struct sbd_registry_ops sbd_conn_entry_ops;
/* connection.updated, at most once a second and only when the counters moved. */
void sbd_conn_report_counters(struct sbd_conn *c);
/* A connection event with the tunnel's fields (and a close reason). */
void sbd_conn_emit(struct sbd_conn *c, enum sb_control_event type, const char *reason);
/* A refusal before MHD has the request: counted, logged, an event. */
void sbd_conn_refused(struct sbd_conn *c, int status, const char *reason);
