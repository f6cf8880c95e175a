/* sbd-tunnel.h - one upgraded connection after its 101: two ends, the mode between them */
#pragma once

#include <gnutls/gnutls.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "sb-buf.h"
#include "sbd-close.h"

struct sbd_counters;
struct sbd_end;
struct sbd_loop;
struct sbd_route_rt;
struct sbd_target;
struct sbd_tunnel;

/* What the owner lends the tunnel: its loop's watches and a way to come back soon. */
struct sbd_tunnel_host {
	void (*watch)(void *owner, struct sbd_end *e, unsigned events);
	void (*rerun)(void *owner);
	void *owner;
	struct sbd_loop *loop;         /* the owner's */
	struct sbd_counters *counters; /* the daemon's byte counters */
	const char *label;             /* names the connection in logs: "conn 7 10.0.0.1:4242" */
};

/* What the hand-over gives a new tunnel. */
struct sbd_tunnel_start {
	struct sbd_end *client;       /* the owner's end, lent for the tunnel's life */
	int backend_fd;               /* connected; taken */
	gnutls_session_t backend_tls; /* TLS over it, handshake done, or NULL; taken */
	struct sbd_target *target;    /* its server, held; taken */
	struct sbd_route_rt *route;   /* a reference, taken */
	void *prep;                   /* the mode's state from before the 101, taken */
	struct sb_buf early;          /* client bytes that came before the hand-over, moved */
	struct sb_buf to_client;      /* the rest of the 101, still to write, moved */
	bool client_eof;              /* the client had shut its side already */
	const struct sockaddr *client_addr; /* the real client, for a PROXY header */
	uint64_t handshake_timeout_ms; /* tls mode's handshake */
};

/*
 * Starts the route's mode. The tunnel always exists afterwards (so it can be
 * registered and closed like any other); *why says whether it is already over.
 */
struct sbd_tunnel *sbd_tunnel_new(const struct sbd_tunnel_host *host,
    struct sbd_tunnel_start *st, struct sbd_why *why);
/*
 * Loop thread; NULL ok. Closes the backend end (the client end is the
 * owner's); the memory goes after this round of events, which may still
 * name the backend's watch.
 */
void sbd_tunnel_free(struct sbd_tunnel *t);

/* Moves what can move now, both ways. */
struct sbd_why sbd_tunnel_pump(struct sbd_tunnel *t);
/* Once a second: the mode's timers, then the route's idle timeout. */
struct sbd_why sbd_tunnel_tick(struct sbd_tunnel *t, uint64_t now);

/* Any thread. */
const struct sbd_route_rt *sbd_tunnel_route(const struct sbd_tunnel *t);
const char *sbd_tunnel_backend_text(const struct sbd_tunnel *t);
void sbd_tunnel_bytes(const struct sbd_tunnel *t, uint64_t *up, uint64_t *down);
bool sbd_tunnel_half_closed(const struct sbd_tunnel *t);
/* Milliseconds since bytes last moved either way, at now (sbd_now_ms()). */
uint64_t sbd_tunnel_idle_ms(const struct sbd_tunnel *t, uint64_t now);
/* The mode's own counters; false (out untouched) for a mode that keeps none. */
struct sbd_mode_stats;
bool sbd_tunnel_mode_stats(const struct sbd_tunnel *t, struct sbd_mode_stats *out);
