/* sbd-daemon.c - start, policy revisions and reload, signals, drain and stop */
#include "sbd-daemon.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "sb-alloc.h"
#include "sb-config.h"
#include "sb-log.h"
#include "sb-path.h"
#include "sb-control.h"
#include "sbd-accept.h"
#include "sbd-access-log.h"
#include "sbd-config.h"
#include "sbd-conn.h"
#include "sbd-control.h"
#include "sbd-echo.h"
#include "sbd-events.h"
#include "sbd-health.h"
#include "sbd-inherit.h"
#include "sbd-listener.h"
#include "sbd-loop.h"
#include "sbd-metrics.h"
#include "sbd-takeover.h"
#include "sbd-tls.h"
#include "sbd-resolver.h"
#include "sbd-workers.h"

extern const char sbd_default_policy[];
extern const size_t sbd_default_policy_len;

/* systemd's readiness protocol: one datagram to $NOTIFY_SOCKET. */
static void
notify_systemd(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (path == NULL || (path[0] != '/' && path[0] != '@') ||
	    strlen(path) >= sizeof sun.sun_path)
		return;
	memcpy(sun.sun_path, path, strlen(path));
	if (sun.sun_path[0] == '@')
		sun.sun_path[0] = '\0';
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	(void)!sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sun,
	    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path)));
	close(fd);
}

int
sbd_daemon_check_state_dir(const char *state_dir, struct sb_errors *errs)
{
	char why[512];
	int fd = sb_dir_open_trusted(state_dir, 0700, why, sizeof why);

	if (fd < 0) {
		sb_errors_add(errs, "", "state dir %s: %s", state_dir, why);
		return -1;
	}
	close(fd);
	return 0;
}

struct sb_policy *
sbd_daemon_load_policy(const char *file, const char *state_dir, struct sb_errors *errs)
{
	char *cert, *key;
	struct sb_policy *p;

	if (file != NULL)
		return sb_policy_load(file, errs);

	/* The embedded policy's certificate is made on first start and kept. */
	if (sbd_daemon_check_state_dir(state_dir, errs) < 0)
		return NULL;
	cert = sb_xasprintf("%s/cert.pem", state_dir);
	key = sb_xasprintf("%s/key.pem", state_dir);
	if (sbd_tls_ensure_self_signed(cert, key, errs) < 0) {
		p = NULL;
	} else {
		p = sb_policy_from_string(sbd_default_policy, sbd_default_policy_len, state_dir,
		    errs);
	}
	free(cert);
	free(key);
	return p;
}

static void
log_errors(const char *what, const char *file, const struct sb_errors *errs)
{
	for (size_t i = 0; i < errs->count; i++)
		sb_error("%s: %s: %s%s%s", what, file ? file : "(default policy)",
		    errs->items[i].path, errs->items[i].path[0] ? ": " : "",
		    errs->items[i].message);
}

int
sbd_daemon_reload(struct sbd_daemon *d)
{
	struct sb_errors errs = SB_ERRORS_INIT;
	struct sb_policy *p;
	int rc = -1;

	if (atomic_load(&d->ctx.draining))
		return -1;
	notify_systemd("RELOADING=1");
	sb_info("reload: reading %s", d->opts.policy_file ? d->opts.policy_file :
	    "the default policy");
	p = sbd_daemon_load_policy(d->opts.policy_file, d->opts.state_dir, &errs);
	if (p != NULL)
		rc = sbd_daemon_apply(d, p, "SIGHUP", &errs);
	if (rc < 0) {
		log_errors("reload refused", d->opts.policy_file, &errs);
		sb_warn("reload: the running policy stays");
	}
	sb_errors_clear(&errs);
	notify_systemd("READY=1");
	return rc;
}

static void
stop_now(struct sbd_daemon *d)
{
	sbd_loop_stop(d->main_loop);
}

static void
close_all_task(void *arg)
{
	struct sbd_loop *loop = arg;

	sbd_conn_close_all(loop);
}

void
sbd_daemon_drain(struct sbd_daemon *d)
{
	struct sbd_config *c;

	if (atomic_exchange(&d->ctx.draining, true))
		return;
	c = sbd_ctx_config(&d->ctx);
	d->drain_deadline_ms = sbd_now_ms() + c->policy->limits.drain_timeout_s * 1000ull;
	sbd_config_unref(c);
	/*
	 * systemd keeps its sockets, and the connections waiting in them, for the
	 * next daemon: a restart, so what was accepted is served, not turned away.
	 */
	for (size_t i = 0; i < d->n_listeners; i++)
		if (sbd_listener_from_systemd(d->listeners[i]))
			atomic_store(&d->ctx.serve_accepted, true);
	notify_systemd("STOPPING=1");
	sb_info("draining: %u connections open, up to %llu s", atomic_load(&d->ctx.counters.active),
	    (unsigned long long)(d->drain_deadline_ms - sbd_now_ms()) / 1000);
	for (size_t i = 0; i < d->n_listeners; i++)
		sbd_listener_close(d->listeners[i]);
	d->n_listeners = 0;
}

/*
 * WatchdogSec= in the unit sets WATCHDOG_USEC (and WATCHDOG_PID, the pid
 * meant): WATCHDOG=1 is then due every half of it.
 */
static void
watchdog_setup(struct sbd_daemon *d)
{
	const char *usec = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
	unsigned long long us;
	char *end;

	if (usec == NULL || (pid != NULL && strtoll(pid, NULL, 10) != (long long)getpid()))
		return;
	errno = 0;
	us = strtoull(usec, &end, 10);
	if (errno != 0 || end == usec || *end != '\0' || us == 0) {
		sb_warn("systemd: WATCHDOG_USEC=%s is not a number of microseconds", usec);
		return;
	}
	d->watchdog_ms = us / 2000 > 0 ? us / 2000 : 1;
	sb_info("systemd: watchdog pings every %llu ms", (unsigned long long)d->watchdog_ms);
}

/*
 * From the main loop's tick: WATCHDOG=1 when one is due and every worker
 * loop ticked within the last half interval (at least three ticks). A stuck
 * worker stops the pings, and systemd restarts the daemon.
 */
static void
watchdog_tick(struct sbd_daemon *d, uint64_t now)
{
	uint64_t stale = d->watchdog_ms > 3000 ? d->watchdog_ms : 3000;

	if (d->watchdog_ms == 0 || now + 1000 < d->watchdog_sent_ms + d->watchdog_ms)
		return;
	for (unsigned i = 0; i < d->ctx.n_loops; i++) {
		uint64_t last = atomic_load(&d->beats[i].last_ms);

		if (now > last && now - last > stale) {
			if (!d->watchdog_stalled)
				sb_error("systemd: worker %u has not ticked for %llu ms: no watchdog ping",
				    i, (unsigned long long)(now - last));
			d->watchdog_stalled = true;
			return;
		}
	}
	d->watchdog_stalled = false;
	notify_systemd("WATCHDOG=1");
	d->watchdog_sent_ms = now;
}

/* STATUS= with live counts, when they changed. */
static void
status_tick(struct sbd_daemon *d)
{
	struct sbd_config *c = sbd_ctx_config(&d->ctx);
	char status[sizeof d->status_sent];

	snprintf(status, sizeof status, "STATUS=%sconnections %u, tunnels %u, policy revision %llu",
	    atomic_load(&d->ctx.draining) ? "draining: " : "",
	    atomic_load(&d->ctx.counters.active), atomic_load(&d->ctx.counters.tunnels),
	    (unsigned long long)(c ? c->revision : 0));
	sbd_config_unref(c);
	if (strcmp(status, d->status_sent) == 0)
		return;
	notify_systemd(status);
	memcpy(d->status_sent, status, sizeof status);
}

static void
on_main_tick(void *arg)
{
	struct sbd_daemon *d = arg;

	watchdog_tick(d, sbd_now_ms());
	status_tick(d);
	sbd_resolver_tick(d->resolver, sbd_now_ms());
	if (!atomic_load(&d->ctx.draining))
		return;
	if (atomic_load(&d->ctx.counters.active) == 0) {
		sb_info("drained: every connection finished");
		stop_now(d);
	} else if (sbd_now_ms() >= d->drain_deadline_ms) {
		sb_warn("drain timeout: closing %u connections", atomic_load(&d->ctx.counters.active));
		stop_now(d);
	}
}

/* A name resolved to other addresses: the checks follow the pools at once. */
static void
on_names_changed(void *arg)
{
	struct sbd_daemon *d = arg;

	sbd_health_kick(d->health);
}

static void
on_worker_tick(void *arg)
{
	struct sbd_beat *beat = arg;
	uint64_t now = sbd_now_ms();

	atomic_store(&beat->last_ms, now);
	sbd_conn_sweep(beat->loop, now);
}

static void
on_signal(struct sbd_watch *w, unsigned events)
{
	struct sbd_daemon *d = w->arg;
	struct signalfd_siginfo si;

	while (read(w->fd, &si, sizeof si) == sizeof si) {
		switch (si.ssi_signo) {
		case SIGHUP:
			sbd_daemon_reload(d);
			break;
		case SIGUSR1:
			sb_info("access log: reopening its file");
			sbd_access_log_reopen(d->access_log);
			break;
		case SIGINT:
			if (++d->sigint_count >= 2) {
				sb_warn("second SIGINT: exiting now");
				stop_now(d);
				break;
			}
			/* fall through */
		case SIGTERM:
			sbd_daemon_drain(d);
			on_main_tick(d);
			break;
		}
	}
}

static struct sbd_watch signal_watch = { .fd = -1 };
static int signal_fd = -1;

static int
setup_signals(struct sbd_daemon *d)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	signal_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (signal_fd < 0)
		return -1;
	return sbd_loop_watch_add(d->main_loop, &signal_watch, signal_fd, EPOLLIN, on_signal, d);
}

/*
 * The control socket: --control, else the policy's, else the default path. A
 * default path taken by another daemon is only a warning: traffic still flows.
 */
static int
start_control(struct sbd_daemon *d)
{
	struct sbd_config *c = sbd_ctx_config(&d->ctx);
	const char *path = d->opts.control_path ? d->opts.control_path : c->policy->control.socket;
	char *fallback = path ? NULL : sb_control_default_socket();
	struct sb_errors errs = SB_ERRORS_INIT;
	int rc = 0;

	int adopt = d->takeover ? sbd_takeover_control(d->takeover, path ? path : fallback) : -1;

	d->control = sbd_control_new(d, path ? path : fallback, &c->policy->control, adopt, &errs);
	if (d->control == NULL) {
		if (path != NULL) {
			log_errors("cannot start", d->opts.policy_file, &errs);
			rc = -1;
		} else {
			sb_warn("%s; running without a control socket", errs.items[0].message);
		}
	}
	sb_errors_clear(&errs);
	free(fallback);
	sbd_config_unref(c);
	return rc;
}

/* Counted down by each worker loop; the last of them and sync_workers to let go frees it. */
struct sync_point {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned left;
	unsigned refs;
};

static bool
sync_point_unref(struct sync_point *sp)
{
	bool done = sp->left == 0;

	if (--sp->refs > 0) {
		pthread_mutex_unlock(&sp->lock);
		return done;
	}
	pthread_mutex_unlock(&sp->lock);
	pthread_cond_destroy(&sp->cond);
	pthread_mutex_destroy(&sp->lock);
	free(sp);
	return done;
}

static void
sync_task(void *arg)
{
	struct sync_point *sp = arg;

	pthread_mutex_lock(&sp->lock);
	if (--sp->left == 0)
		pthread_cond_signal(&sp->cond);
	sync_point_unref(sp);
}

/*
 * Waits until every worker loop has run what was posted to it so far (the
 * listeners' start among it): from then on each accepts. False after 10 s.
 */
static bool
sync_workers(struct sbd_daemon *d)
{
	struct sync_point *sp = sb_xcalloc(1, sizeof *sp);
	struct timespec until;
	int rc = 0;

	pthread_mutex_init(&sp->lock, NULL);
	pthread_cond_init(&sp->cond, NULL);
	sp->left = d->ctx.n_loops;
	sp->refs = d->ctx.n_loops + 1;
	for (unsigned i = 0; i < d->ctx.n_loops; i++)
		sbd_loop_post(d->ctx.loops[i], sync_task, sp);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	pthread_mutex_lock(&sp->lock);
	while (sp->left > 0 && rc == 0)
		rc = pthread_cond_timedwait(&sp->cond, &sp->lock, &until);
	return sync_point_unref(sp);
}

/*
 * --takeover, once this daemon accepts on every socket: the old one stops
 * accepting and drains. Until then both accept on the same sockets, so the
 * connections waiting in them are taken by one or the other, never lost.
 */
static void
finish_takeover(struct sbd_daemon *d)
{
	struct sb_errors errs = SB_ERRORS_INIT;

	if (!sync_workers(d))
		sb_warn("takeover: a worker loop took over 10 s to start accepting");
	if (sbd_takeover_finish(d->takeover, &errs) < 0) {
		sb_error("%s", errs.items[0].message);
		sb_error("takeover: the daemon pid %d still accepts beside this one: stop it with"
		    " SIGTERM", (int)sbd_takeover_pid(d->takeover));
	}
	sb_errors_clear(&errs);
	sbd_takeover_free(d->takeover);
	d->takeover = NULL;
}

struct sbd_daemon *
sbd_daemon_new(const struct sbd_options *opts, int *exit_code)
{
	struct sbd_daemon *d = sb_xcalloc(1, sizeof *d);
	struct sb_errors errs = SB_ERRORS_INIT;
	struct sb_policy *policy;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	*exit_code = 2;
	/*
	 * systemd's sockets before the daemon opens a descriptor of its own, which
	 * a LISTEN_FDS counting more than were passed would name, and before any
	 * thread runs (it leaves the environment). The policy's listeners take them
	 * by address.
	 */
	if (sbd_inherit_systemd() > 0)
		sb_info("systemd: passed listening sockets (LISTEN_FDS)");
	d->opts = *opts;
	d->ctx.started_ms = sbd_now_ms();
	sbd_ctx_init(&d->ctx);
	sbd_accept_init();
	if (sbd_tls_init(&errs) < 0 || (d->ctx.tickets = sbd_tls_tickets_new(&errs)) == NULL) {
		log_errors("cannot start", opts->policy_file, &errs);
		goto err;
	}

	d->ctx.n_loops = opts->threads ? opts->threads : (ncpu > 0 ? (unsigned)ncpu : 1);
	d->main_loop = sbd_loop_new("sbd-main", 0);
	d->ctx.loops = sb_xcalloc(d->ctx.n_loops, sizeof *d->ctx.loops);
	d->beats = sb_xcalloc(d->ctx.n_loops, sizeof *d->beats);
	for (unsigned i = 0; i < d->ctx.n_loops; i++) {
		char name[32];
		struct sbd_loop *loop;

		snprintf(name, sizeof name, "sbd-worker-%u", i);
		loop = d->ctx.loops[i] = sbd_loop_new(name, i);
		if (loop == NULL)
			goto err;
		sbd_conn_loop_init(loop);
		d->beats[i].loop = loop;
		atomic_store(&d->beats[i].last_ms, sbd_now_ms());
		sbd_loop_set_tick(loop, on_worker_tick, &d->beats[i]);
	}
	if (d->main_loop == NULL || setup_signals(d) < 0)
		goto err;
	sbd_loop_set_tick(d->main_loop, on_main_tick, d);
	d->resolver = sbd_resolver_new(&d->ctx, d->main_loop, on_names_changed, d);

	/* Before any loop emits: the access log sees every refusal and close. */
	d->access_log = sbd_access_log_new(opts->log_format, &d->ctx.counters.access_log_dropped);
	if (d->access_log == NULL) {
		sb_log_errno(SB_LOG_ERROR, "start the access log's thread");
		goto err;
	}
	sbd_events_set_tap(d->ctx.events, sbd_access_log_event, d->access_log);

	d->echo = sbd_echo_new(d->main_loop, &d->echo_addr, &d->echo_addr_len);
	if (d->echo == NULL)
		goto err;
	/* A state dir we may not trust is the machine's trouble, not the policy's (exit 2). */
	if (opts->policy_file == NULL && sbd_daemon_check_state_dir(opts->state_dir, &errs) < 0) {
		log_errors("cannot start", NULL, &errs);
		goto err;
	}

	policy = sbd_daemon_load_policy(opts->policy_file, opts->state_dir, &errs);
	if (policy == NULL) {
		log_errors("bad policy", opts->policy_file, &errs);
		*exit_code = 1;
		goto err;
	}
	d->policy_dir = sb_xstrdup(policy->base_dir ? policy->base_dir : ".");
	if (opts->policy_file != NULL) {
		unsigned n = sb_policy_remove_stale_temps(opts->policy_file);

		if (n > 0)
			sb_info("policy: removed %u temp file(s) an interrupted save left behind", n);
	}
	for (unsigned i = 0; i < d->ctx.n_loops; i++) {
		if (sbd_conn_loop_start_http(d->ctx.loops[i], &d->ctx, &policy->limits) < 0) {
			sb_policy_free(policy);
			goto err;
		}
	}
	d->health = sbd_health_new(&d->ctx);
	if (d->health == NULL) {
		sb_policy_free(policy);
		goto err;
	}
	for (unsigned i = 0; i < d->ctx.n_loops; i++) {
		if (sbd_loop_start_thread(d->ctx.loops[i]) < 0) {
			sb_log_errno(SB_LOG_ERROR, "start worker thread");
			sb_policy_free(policy);
			goto err;
		}
	}
	if (opts->takeover != NULL &&
	    (d->takeover = sbd_takeover_begin(opts->takeover, &errs)) == NULL) {
		log_errors("cannot take over", opts->policy_file, &errs);
		sb_policy_free(policy);
		goto err;
	}
	if (sbd_daemon_apply(d, policy, "start", &errs) < 0) {
		log_errors("cannot start", opts->policy_file, &errs);
		goto err;
	}
	sb_errors_clear(&errs);
	sbd_inherit_drop(SBD_INHERIT_TAKEOVER); /* the old daemon closes its copies as it drains */
	if (start_control(d) < 0)
		goto err;
	/*
	 * Only now, when nothing can fail: a daemon that stops during start-up
	 * takes no connection out of a socket that systemd or the daemon taken
	 * over still holds, where the next daemon or the old one answers it.
	 */
	d->accepting = true;
	for (size_t i = 0; i < d->n_listeners; i++)
		sbd_listener_start(d->listeners[i]);
	if (d->takeover != NULL)
		finish_takeover(d);
	notify_systemd("READY=1");
	watchdog_setup(d);
	watchdog_tick(d, sbd_now_ms());
	status_tick(d);
	sb_info("switchboardd %s ready: %u worker threads", SB_VERSION, d->ctx.n_loops);
	return d;
err:
	sb_errors_clear(&errs);
	sbd_daemon_free(d);
	return NULL;
}

int
sbd_daemon_run(struct sbd_daemon *d)
{
	sbd_loop_run(d->main_loop);
	return d->exit_code;
}

void
sbd_daemon_free(struct sbd_daemon *d)
{
	struct sbd_loop **loops = d ? d->ctx.loops : NULL;

	if (d == NULL)
		return;
	sbd_health_free(d->health);
	d->health = NULL;
	for (size_t i = 0; i < d->n_listeners; i++)
		sbd_listener_close(d->listeners[i]);
	d->n_listeners = 0;
	for (unsigned i = 0; loops != NULL && i < d->ctx.n_loops; i++) {
		if (loops[i] == NULL)
			continue;
		sbd_loop_post(loops[i], close_all_task, loops[i]);
		sbd_loop_stop(loops[i]);
	}
	for (unsigned i = 0; loops != NULL && i < d->ctx.n_loops; i++)
		if (loops[i] != NULL)
			sbd_loop_join(loops[i]);
	/* A check still running posts its result to a loop: they must outlive the workers. */
	sbd_workers_free(d->ctx.workers);
	d->ctx.workers = NULL;
	sbd_control_free(d->control);
	d->control = NULL;
	sbd_metrics_free(d->metrics);
	d->metrics = NULL;
	for (unsigned i = 0; loops != NULL && i < d->ctx.n_loops; i++) {
		if (loops[i] == NULL)
			continue;
		sbd_loop_run_pending(loops[i]); /* what was posted after the loop stopped */
		sbd_conn_loop_fini(loops[i]);
		sbd_loop_free(loops[i]);
	}
	free(loops);
	free(d->beats);
	sbd_echo_free(d->echo);
	sbd_access_log_free(d->access_log); /* after the loops: their last closes are in it */
	if (signal_fd >= 0) {
		sbd_loop_watch_del(&signal_watch);
		close(signal_fd);
		signal_fd = -1;
	}
	sbd_loop_free(d->main_loop); /* runs the resolutions' answers the workers posted */
	sbd_resolver_free(d->resolver);
	sbd_accept_fini();
	sbd_takeover_free(d->takeover);
	sbd_inherit_fini();
	sbd_ctx_fini(&d->ctx);
	free(d->listeners);
	free(d->policy_dir);
	free(d);
}
