/* sbd-daemon.h - the root object: policy revisions, loops, listeners, HTTP, counters */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "sb-policy.h"

struct sbd_loop;
struct sbd_http;
struct sbd_echo;
struct sbd_listener;
struct sbd_tls_ctx;
struct sbd_conn;

/* Live tunnel count of a route, kept by name across policy revisions. */
struct sbd_route_stats {
	char *name;
	atomic_uint active;
	atomic_uint_fast64_t total;
	struct sbd_route_stats *next;
};

/* What a route needs at run time beside its policy entry. */
struct sbd_route_rt {
	struct sockaddr_storage backend;
	socklen_t backend_len;
	struct sbd_tls_ctx *tls; /* tls mode */
	struct sbd_route_stats *stats;
};

/* One applied policy. Immutable; connections hold a reference while they need it. */
struct sbd_config {
	atomic_int refs;
	uint64_t revision;
	struct sb_policy *policy;
	struct sbd_route_rt *routes; /* policy->n_routes */
};

struct sbd_counters {
	atomic_uint_fast64_t accepted;
	atomic_uint_fast64_t upgraded;
	atomic_uint_fast64_t rejected;
	atomic_uint_fast64_t bytes_up;
	atomic_uint_fast64_t bytes_down;
	atomic_uint active;  /* client connections, in any phase */
	atomic_uint tunnels; /* upgraded and bridged */
};

struct sbd_options {
	const char *policy_file; /* NULL: the embedded default */
	const char *control_path;
	const char *state_dir;
	unsigned threads;        /* 0: one per core */
};

struct sbd_daemon {
	struct sbd_options opts;
	struct sbd_loop *main_loop;
	struct sbd_loop **loops;
	unsigned n_loops;
	atomic_uint next_loop;

	pthread_mutex_t config_lock;
	struct sbd_config *config;
	uint64_t last_revision;

	struct sbd_listener **listeners; /* main thread only */
	size_t n_listeners;

	struct sbd_http *http;
	struct sbd_registry *registry;
	struct sbd_peers *peers;
	struct sbd_control *control; /* main thread */
	struct sbd_metrics *metrics; /* main thread; NULL when the policy names no address */
	char *policy_dir;            /* where a policy.apply's relative paths resolve */
	struct sbd_echo *echo;
	struct sockaddr_storage echo_addr;
	socklen_t echo_addr_len;

	pthread_mutex_t stats_lock;
	struct sbd_route_stats *route_stats;

	struct sbd_counters counters;
	atomic_uint_fast64_t next_conn_id;
	uint64_t started_ms;
	atomic_bool draining;
	uint64_t drain_deadline_ms;
	unsigned sigint_count;
	bool http_stopped; /* MHD is gone: upgrade handles must not be touched */
	int exit_code;
};

/* Sets up loops, the HTTP parser, the echo backend; loads and applies the policy. */
struct sbd_daemon *sbd_daemon_new(const struct sbd_options *opts, int *exit_code);
/* Runs the main loop on this thread until the daemon has stopped; returns the exit code. */
int sbd_daemon_run(struct sbd_daemon *d);
void sbd_daemon_free(struct sbd_daemon *d);

/*
 * Main thread: builds the policy aside (backends resolved, listeners opened or
 * re-configured) and swaps it in; live tunnels are then re-checked. Takes the
 * policy. On any error the running policy stays and errs says why.
 */
int sbd_daemon_apply(struct sbd_daemon *d, struct sb_policy *policy, const char *by,
    struct sb_errors *errs);
/* Reloads the policy file (SIGHUP); the running policy stays when the new one is bad. */
int sbd_daemon_reload(struct sbd_daemon *d);
/* SIGTERM: stop accepting, let tunnels finish up to the drain timeout. */
void sbd_daemon_drain(struct sbd_daemon *d);

/* The current policy revision, with a reference. */
struct sbd_config *sbd_daemon_config(struct sbd_daemon *d);
struct sbd_config *sbd_config_ref(struct sbd_config *c);
void sbd_config_unref(struct sbd_config *c);

/* Picks a worker loop for a new connection (round robin). */
struct sbd_loop *sbd_daemon_pick_loop(struct sbd_daemon *d);

/* Loads the policy: the file, or the embedded default (whose files live in the state dir). */
struct sb_policy *sbd_daemon_load_policy(const char *file, const char *state_dir,
    struct sb_errors *errs);
