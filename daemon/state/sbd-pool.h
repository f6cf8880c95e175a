/* sbd-pool.h - a route's servers at run time: their state, their counts, and the choice
 *
 * A target is one address a route may connect to: a server as written, or
 * one of the addresses its host name resolves to. Targets are kept by
 * (route, address) in a table that outlives policy revisions, so a server
 * that stays in a new policy keeps its health, its counters and what an
 * operator set by hand. A pool is one revision's view of a route: its targets
 * in policy order, the balance rule, and the cursor of that rule.
 */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "sb-addr.h"
#include "sb-backend.h"
#include "sbd-resolve.h"

struct sbd_events;
struct sbd_pools;

enum sbd_target_health {
	SBD_TARGET_UP,
	SBD_TARGET_DOWN,
};

/* What an operator set: "ready" (the default), "drain" (no new tunnels), "maint" (down). */
enum sbd_target_admin {
	SBD_TARGET_READY,
	SBD_TARGET_DRAIN,
	SBD_TARGET_MAINT,
};

#define SBD_TARGET_TEXT_MAX (SB_ADDR_TEXT_MAX + 112) /* "unix:" and a socket path */

struct sbd_target {
	atomic_int refs;
	char *route;
	char *server;              /* the server as written in the policy */
	char *host;                /* its host, for TLS's SNI and name check; NULL for unix: */
	char text[SBD_TARGET_TEXT_MAX]; /* the address connected to: "10.0.0.5:5900", "unix:/run/x" */
	struct sockaddr_storage addr;
	socklen_t addr_len;
	unsigned weight;
	bool backup;
	atomic_int health;         /* enum sbd_target_health */
	atomic_int admin;          /* enum sbd_target_admin */
	atomic_uint active;        /* tunnels open now */
	atomic_uint_fast64_t total; /* tunnels opened */
	atomic_uint_fast64_t failures; /* failed connects and checks */
	/* Health bookkeeping, under the table's lock. */
	unsigned ok_streak, fail_streak;
	int64_t last_check_unix_ms;
	char last_error[128];
	uint64_t pending_gen;      /* the newest policy built that names it */
	uint64_t named_gen;        /* the newest policy put in place that names it */
	struct sbd_target *next;   /* the table's list */
};

struct sbd_pool {
	atomic_int refs;
	enum sb_balance balance;
	pthread_mutex_t lock;        /* the targets and the balance rule's state */
	struct sbd_target **targets; /* references, policy order; read under lock */
	size_t n_targets;
	int *current;                /* smooth weighted round robin, per target */
};

struct sbd_pools *sbd_pools_new(struct sbd_events *events);
void sbd_pools_free(struct sbd_pools *t);

/*
 * Finds or makes the target of (route, server, address), with a reference,
 * for the policy being built as generation gen (counting up from 1). New
 * targets start up.
 */
struct sbd_target *sbd_pools_target(struct sbd_pools *t, uint64_t gen, const char *route,
    const struct sb_server *server, const struct sockaddr *addr, socklen_t addr_len,
    const char *text);
/*
 * Generation gen is in place: what it names is listed from now on, and the
 * targets no policy names any more are forgotten once nothing uses them.
 */
void sbd_pools_commit(struct sbd_pools *t, uint64_t gen);
/* The targets of the running policy, for backends.list: fn under the table's lock. */
void sbd_pools_foreach(struct sbd_pools *t, void (*fn)(void *arg, const struct sbd_target *tg),
    void *arg);
/* backends.set: 0, or -1 when no target of that route has that server or address. */
int sbd_pools_set_admin(struct sbd_pools *t, const char *route, const char *address,
    enum sbd_target_admin admin);

/*
 * A connect or check result. Health follows the checks' rise and fall counts
 * (a failed connect of a tunnel counts as a failed check); a change of state
 * is logged and sent as a backend.state event. fall 0 (a route without
 * checks): failures are counted, the server stays up.
 */
void sbd_pools_report(struct sbd_pools *t, struct sbd_target *tg, bool ok, const char *error,
    unsigned rise, unsigned fall);
/*
 * tg is no longer checked: while the policy in place still names it (its
 * route dropped "health"), it is up again, since no check could bring it back.
 */
void sbd_pools_unchecked(struct sbd_pools *t, struct sbd_target *tg);

/*
 * server's name, in route's pool p of the policy in place, now resolves to
 * list (never empty): its targets whose address stays keep their state,
 * counters and tunnels; new addresses join, up, as at a build; the others
 * leave p, set to drain: no new tunnels, while those open on them flow on.
 * Each one that joins or leaves is logged and sent as a backend.state event.
 * Returns how many joined or left.
 */
size_t sbd_pools_resolved(struct sbd_pools *t, struct sbd_pool *p, const char *route,
    const struct sb_server *server, const struct sbd_resolved_list *list);
/* server's name did not resolve: its targets in p stay, with error as their last_error. */
void sbd_pools_unresolved(struct sbd_pools *t, struct sbd_pool *p, const struct sb_server *server,
    const char *error);

/*
 * A target outside the table (a token map's), up and ready, with one
 * reference: it is freed with its last.
 */
struct sbd_target *sbd_target_new(const char *route, const struct sb_server *server,
    const struct sockaddr *addr, socklen_t addr_len, const char *text);
struct sbd_target *sbd_target_ref(struct sbd_target *tg);
void sbd_target_unref(struct sbd_target *tg);
/*
 * A tunnel's hold on its server, from the connect that succeeded to the
 * tunnel's end: counts it in active and total (what least_connections reads).
 * Returns tg (the reference is the caller's); release drops both. NULL ok.
 */
struct sbd_target *sbd_target_occupy(struct sbd_target *tg);
void sbd_target_release(struct sbd_target *tg);
/* Up by its checks and ready by hand: takes new tunnels. */
bool sbd_target_usable(const struct sbd_target *tg);
const char *sbd_target_state_name(const struct sbd_target *tg);
const char *sbd_target_admin_name(enum sbd_target_admin admin);

/* Takes the references in targets (an array it then owns). */
struct sbd_pool *sbd_pool_new(enum sb_balance balance, struct sbd_target **targets, size_t n);
struct sbd_pool *sbd_pool_ref(struct sbd_pool *p);
void sbd_pool_unref(struct sbd_pool *p);
/*
 * Chooses a target for a client by the pool's rule among the usable ones not
 * in tried (backups only while no other is usable). NULL when none is left.
 * Returns a reference.
 */
struct sbd_target *sbd_pool_pick(struct sbd_pool *p, const struct sockaddr *client,
    struct sbd_target *const *tried, size_t n_tried);
/* Usable targets not in tried: how many attempts may still follow. */
size_t sbd_pool_left(struct sbd_pool *p, struct sbd_target *const *tried, size_t n_tried);
/*
 * The targets now, each with a reference, in a new array (*out; free it and
 * unref each). For readers on other threads: the list may change under them.
 */
size_t sbd_pool_snapshot(struct sbd_pool *p, struct sbd_target ***out);
