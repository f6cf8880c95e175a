/* sbd-ctx.h - what the threads of the running daemon share, and nothing more
 *
 * The front, the HTTP side and the control socket get this instead of the
 * daemon: counters, the applied configuration, the per-address table, named
 * live counts, the event bus and the registry of tunnels, the worker loops and
 * the HTTP parser to hand requests to.
 */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct sbd_config;
struct sbd_events;
struct sbd_loop;
struct sbd_peers;
struct sbd_pools;
struct sbd_registry;
struct sbd_stats;
struct sbd_tls_tickets;
struct sbd_workers;

/* Auth by method (tokens, basic, jwt, client_cert, request): counts, never names. */
enum sbd_auth_method {
	SBD_AUTH_TOKENS,
	SBD_AUTH_BASIC,
	SBD_AUTH_JWT,
	SBD_AUTH_CLIENT_CERT,
	SBD_AUTH_REQUEST,
	SBD_AUTH_METHODS,
};

struct sbd_auth_counters {
	atomic_uint_fast64_t accepted[SBD_AUTH_METHODS];
	atomic_uint_fast64_t refused[SBD_AUTH_METHODS]; /* a credential this method turned down */
	atomic_uint_fast64_t missing;   /* refused before any method looked: no credential (401,
	                                 * or 403 without the certificate), a malformed one, one
	                                 * no method takes */
	atomic_uint_fast64_t rate_limited; /* 429 */
	atomic_uint_fast64_t busy;      /* 503: the workers' queue was full */
	atomic_uint_fast64_t service_failed; /* 503: the auth service of "request" failed */
};

struct sbd_counters {
	atomic_uint_fast64_t accepted;
	atomic_uint_fast64_t upgraded;
	atomic_uint_fast64_t rejected;
	atomic_uint_fast64_t bytes_up;
	atomic_uint_fast64_t bytes_down;
	atomic_uint active;  /* client connections, in any phase */
	atomic_uint tunnels; /* upgraded and bridged */
	atomic_uint_fast64_t access_log_dropped; /* lines the access log could not keep */
};

struct sbd_ctx {
	struct sbd_counters counters;
	struct sbd_auth_counters auth;
	struct sbd_workers *workers; /* bcrypt and signatures, off the loops */
	struct sbd_peers *peers;
	struct sbd_stats *stats;
	struct sbd_events *events;
	struct sbd_registry *registry;
	struct sbd_pools *pools;  /* backend servers by route, kept across revisions */
	struct sbd_tls_tickets *tickets; /* the daemon's one ticket key: reloads keep it */
	struct sbd_loop **loops; /* the worker loops, which own connections */
	unsigned n_loops;
	atomic_uint_fast64_t next_conn_id;
	atomic_bool draining;     /* refuse new upgrades */
	/* draining, but the listening sockets live on (systemd, a new daemon): serve what was accepted */
	atomic_bool serve_accepted;
	uint64_t started_ms;      /* when the daemon started (monotonic) */

	pthread_mutex_t config_lock;
	struct sbd_config *config; /* read it with sbd_ctx_config() */
};

void sbd_ctx_init(struct sbd_ctx *ctx);
/*
 * Frees what init made and what the root put in (config, peers, stats, events,
 * registry, ticket key).
 */
void sbd_ctx_fini(struct sbd_ctx *ctx);
/* The current policy revision, with a reference. */
struct sbd_config *sbd_ctx_config(struct sbd_ctx *ctx);
/* Puts c in place (taking its reference) and drops the previous one. */
void sbd_ctx_set_config(struct sbd_ctx *ctx, struct sbd_config *c);
