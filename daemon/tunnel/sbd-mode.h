/* sbd-mode.h - one table of operations per mode: the whole of what a mode is
 *
 * The HTTP side asks a mode what it wants of a request (check, then ready once
 * a body is read) and which headers its 101 carries (answer); the tunnel asks
 * it to start after the hand-over, to move bytes (pump) and, once a second, to
 * keep time (tick). A mode never closes anything: it returns a reason, and the
 * connection's owner closes.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "sb-buf.h"
#include "sb-policy.h"
#include "sbd-close.h"

struct sbd_request;
struct sbd_route_rt;
struct sbd_tunnel;
struct sbd_verdict;

typedef void sbd_add_header_fn(void *arg, const char *name, const char *value);

/* What a mode tells connections.get of itself; "up" is from the client, "down" towards it. */
struct sbd_mode_stats {
	const char *subprotocol;             /* the one the 101 named; NULL: none */
	uint64_t messages_up, messages_down; /* whole WebSocket messages */
	uint64_t pings_up, pings_down;       /* pings the client sent; pings we sent it */
	int64_t ping_rtt_ms;                 /* our last ping's round trip; -1 before a pong */
};

struct sbd_mode_ops {
	enum sb_mode mode;
	/* The request body belongs to the upgrade (h2c): read it before ready(). */
	bool wants_body;
	/*
	 * While MHD has the request, before the backend is chosen: what the mode asks of the
	 * request. True, with the mode's own state in *prep (may stay NULL), or
	 * false with the refusal in v (status, reason, upgrade_hint).
	 */
	bool (*check)(const struct sbd_request *r, const struct sbd_route_rt *route, void **prep,
	    struct sbd_verdict *v);
	/* While MHD has the request, after the body (NULL: nothing to do). False with the refusal in v. */
	bool (*ready)(const struct sbd_request *r, void *prep, struct sbd_verdict *v);
	/* The 101's headers besides Connection, which MHD adds itself. token: the chosen one. */
	void (*answer)(const void *prep, const char *token, sbd_add_header_fn *add, void *arg);
	void (*prep_free)(void *prep);
	/*
	 * Loop thread, at the hand-over: takes prep; early (client bytes), to_client
	 * (the rest of the 101) and to_backend (a PROXY header, if any) are moved in.
	 */
	struct sbd_why (*start)(struct sbd_tunnel *t, void *prep, struct sb_buf *early,
	    struct sb_buf *to_client, struct sb_buf *to_backend);
	struct sbd_why (*pump)(struct sbd_tunnel *t);
	/* Once a second (NULL: nothing to keep time for). */
	struct sbd_why (*tick)(struct sbd_tunnel *t, uint64_t now);
	/*
	 * Any thread, while the tunnel is registered (NULL: nothing to tell):
	 * fills out from counters the loop keeps with relaxed atomics.
	 */
	void (*stats)(const struct sbd_tunnel *t, struct sbd_mode_stats *out);
	/* Frees the mode's state of t (NULL ok). */
	void (*free)(void *state);
};

extern const struct sbd_mode_ops sbd_mode_tunnel;
extern const struct sbd_mode_ops sbd_mode_websocket;
extern const struct sbd_mode_ops sbd_mode_h2c;
extern const struct sbd_mode_ops sbd_mode_tls;

/* The operations of a mode. */
const struct sbd_mode_ops *sbd_mode_ops(enum sb_mode mode);
