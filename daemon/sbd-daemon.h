/* sbd-daemon.h - the root object: owns the loops, listeners, HTTP, control; applies policies */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "sb-log.h"
#include "sb-policy.h"

#include "sbd-ctx.h"

struct sbd_loop;
struct sbd_echo;
struct sbd_health;
struct sbd_listener;
struct sbd_resolver;
struct sbd_takeover;

struct sbd_options {
	const char *policy_file; /* NULL: the embedded default */
	const char *control_path;
	const char *state_dir;
	unsigned threads;        /* 0: one per core */
	enum sb_log_format log_format; /* the access log's too */
	const char *takeover;    /* --takeover: the control socket of the daemon to replace */
};

struct sbd_daemon {
	struct sbd_ctx ctx;      /* what the threads share: all the front and HTTP side see */
	struct sbd_options opts;
	struct sbd_loop *main_loop;
	uint64_t last_revision;
	uint64_t pool_gen;       /* policies built, put in place or not: targets' generations */

	struct sbd_listener **listeners; /* main thread only */
	size_t n_listeners;
	bool accepting; /* listeners accept: not before the start-up that could still fail is done */

	struct sbd_control *control; /* main thread */
	struct sbd_metrics *metrics; /* main thread; NULL when the policy names no address */
	struct sbd_access_log *access_log; /* a tap on ctx.events; main thread sets its file */
	char *policy_dir;            /* where a policy.apply's relative paths resolve */
	struct sbd_echo *echo;
	struct sbd_health *health;   /* active checks of backend servers, on their own thread */
	struct sbd_resolver *resolver; /* servers' names resolved again; main thread */
	struct sbd_takeover *takeover; /* during start with --takeover only */
	struct sockaddr_storage echo_addr;
	socklen_t echo_addr_len;

	uint64_t drain_deadline_ms;
	unsigned sigint_count;

	/* systemd: WATCHDOG=1 every watchdog_ms (0: not asked), while every worker ticks */
	struct sbd_beat {
		struct sbd_loop *loop;
		atomic_uint_fast64_t last_ms; /* the worker's last tick */
	} *beats;
	uint64_t watchdog_ms;
	uint64_t watchdog_sent_ms;
	bool watchdog_stalled;
	char status_sent[160];   /* the last STATUS= line */
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
/*
 * SIGTERM, daemon.drain: stop accepting, let tunnels finish up to the drain
 * timeout. Requests already accepted are refused (503) unless listening
 * sockets live on elsewhere (ctx.serve_accepted: a listener's socket is
 * systemd's, or a new daemon took them over).
 */
void sbd_daemon_drain(struct sbd_daemon *d);


/*
 * Creates the state dir when missing and checks that no one else may change
 * it (sb_dir_open_trusted); -1 with "state dir DIR: what is wrong" in errs.
 */
int sbd_daemon_check_state_dir(const char *state_dir, struct sb_errors *errs);
/* Loads the policy: the file, or the embedded default (whose files live in the state dir). */
struct sb_policy *sbd_daemon_load_policy(const char *file, const char *state_dir,
    struct sb_errors *errs);
