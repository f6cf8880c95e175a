/* sbd-tunnel-private.h - the tunnel as its modes see it (tunnel/ only) */
#pragma once

#include <stdatomic.h>

#include "sbd-end.h"
#include "sbd-flow.h"
#include "sbd-mode.h"
#include "sbd-tunnel.h"

struct sbd_tunnel {
	struct sbd_tunnel_host host;
	struct sbd_end *client;  /* the owner's */
	struct sbd_end backend;
	struct sbd_flow up;      /* client -> backend (modes that move bytes as they are) */
	struct sbd_flow down;    /* backend -> client */
	struct sbd_route_rt *route;
	struct sbd_target *target; /* the backend's server, held while the tunnel lives */
	const struct sbd_mode_ops *ops;
	void *mode;              /* the mode's state */
	atomic_uint_fast64_t bytes_up;
	atomic_uint_fast64_t bytes_down;
	uint64_t down_skip;      /* bytes of the 101 still ahead in the down flow: not payload */
	_Atomic uint64_t last_active_ms; /* relaxed: snapshots read it for idle_s */
	uint64_t deadline_ms;    /* a mode's handshake deadline; the idle timeout waits for it */
	uint64_t handshake_timeout_ms;
	bool client_eof_early;   /* the client shut its side before the hand-over */
	atomic_bool half_closed; /* one direction finished (for snapshots) */
	enum sbd_close first_eof; /* who ended the tunnel first */
};

/* Adds payload bytes moved to the tunnel's and the daemon's counters. */
void sbd_tunnel_count(struct sbd_tunnel *t, uint64_t up, uint64_t down);
/* Asks the owner's loop to watch an end for these events (0: none). */
void sbd_tunnel_watch(struct sbd_tunnel *t, struct sbd_end *e, unsigned events);
/* Runs the pump again soon, for work no epoll event will announce. */
void sbd_tunnel_rerun(struct sbd_tunnel *t);
/* Modes that move bytes with the two flows: runs them and says whether it is over. */
struct sbd_why sbd_tunnel_pump_flows(struct sbd_tunnel *t);
