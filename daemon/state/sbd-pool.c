/* sbd-pool.c - targets kept across revisions, and the balance rules over them */
#include "sbd-pool.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb-alloc.h"
#include "sb-control.h"
#include "sb-log.h"
#include "sbd-events.h"
#include "sbd-loop.h"

struct sbd_pools {
	pthread_mutex_t lock;
	struct sbd_target *head;
	struct sbd_events *events;
	uint64_t gen;           /* the generation in place */
};

static bool
in_policy(const struct sbd_pools *t, const struct sbd_target *tg)
{
	return tg->named_gen == t->gen;
}

static const char *const admin_names[] = { "ready", "drain", "maint" };

const char *
sbd_target_admin_name(enum sbd_target_admin admin)
{
	return (size_t)admin < 3 ? admin_names[admin] : "ready";
}

const char *
sbd_target_state_name(const struct sbd_target *tg)
{
	enum sbd_target_admin admin = (enum sbd_target_admin)atomic_load(&tg->admin);

	if (admin == SBD_TARGET_MAINT)
		return "maint";
	if (atomic_load(&tg->health) == SBD_TARGET_DOWN)
		return "down";
	return admin == SBD_TARGET_DRAIN ? "drain" : "up";
}

bool
sbd_target_usable(const struct sbd_target *tg)
{
	return atomic_load(&tg->admin) == SBD_TARGET_READY &&
	    atomic_load(&tg->health) == SBD_TARGET_UP;
}

struct sbd_target *
sbd_target_ref(struct sbd_target *tg)
{
	atomic_fetch_add(&tg->refs, 1);
	return tg;
}

static void
target_free(struct sbd_target *tg)
{
	free(tg->route);
	free(tg->server);
	free(tg->host);
	free(tg);
}

void
sbd_target_unref(struct sbd_target *tg)
{
	if (tg != NULL && atomic_fetch_sub(&tg->refs, 1) == 1)
		target_free(tg);
}

struct sbd_target *
sbd_target_occupy(struct sbd_target *tg)
{
	atomic_fetch_add(&tg->active, 1);
	atomic_fetch_add(&tg->total, 1);
	return tg;
}

void
sbd_target_release(struct sbd_target *tg)
{
	if (tg == NULL)
		return;
	atomic_fetch_sub(&tg->active, 1);
	sbd_target_unref(tg);
}

struct sbd_pools *
sbd_pools_new(struct sbd_events *events)
{
	struct sbd_pools *t = sb_xcalloc(1, sizeof *t);

	pthread_mutex_init(&t->lock, NULL);
	t->events = events;
	return t;
}

void
sbd_pools_free(struct sbd_pools *t)
{
	if (t == NULL)
		return;
	while (t->head != NULL) {
		struct sbd_target *tg = t->head;

		t->head = tg->next;
		sbd_target_unref(tg);
	}
	pthread_mutex_destroy(&t->lock);
	free(t);
}

struct sbd_target *
sbd_target_new(const char *route, const struct sb_server *server, const struct sockaddr *addr,
    socklen_t addr_len, const char *text)
{
	struct sbd_target *tg = sb_xcalloc(1, sizeof *tg);

	atomic_init(&tg->refs, 1);
	tg->route = sb_xstrdup(route);
	tg->server = sb_xstrdup(server->address);
	tg->host = server->kind == SB_SERVER_INET ? sb_xstrdup(server->hp.host) : NULL;
	snprintf(tg->text, sizeof tg->text, "%s", text);
	memcpy(&tg->addr, addr, addr_len);
	tg->addr_len = addr_len;
	tg->weight = server->weight;
	tg->backup = server->backup;
	atomic_init(&tg->health, SBD_TARGET_UP);
	atomic_init(&tg->admin, SBD_TARGET_READY);
	return tg;
}

/* A new target, up and ready, in the table (which holds its one reference). Under its lock. */
static struct sbd_target *
target_new(struct sbd_pools *t, const char *route, const struct sb_server *server,
    const struct sockaddr *addr, socklen_t addr_len, const char *text)
{
	struct sbd_target *tg = sbd_target_new(route, server, addr, addr_len, text);

	tg->next = t->head;
	t->head = tg;
	return tg;
}

struct sbd_target *
sbd_pools_target(struct sbd_pools *t, uint64_t gen, const char *route,
    const struct sb_server *server, const struct sockaddr *addr, socklen_t addr_len,
    const char *text)
{
	struct sbd_target *tg;

	pthread_mutex_lock(&t->lock);
	/* Only what the policy in place names carries over: a server removed and
	 * added again starts afresh. */
	for (tg = t->head; tg != NULL; tg = tg->next)
		if ((in_policy(t, tg) || tg->pending_gen == gen) && strcmp(tg->route, route) == 0 &&
		    strcmp(tg->server, server->address) == 0 && strcmp(tg->text, text) == 0)
			break;
	if (tg == NULL)
		tg = target_new(t, route, server, addr, addr_len, text);
	/* Weight and role follow the newest policy; state and counters stay. */
	tg->weight = server->weight;
	tg->backup = server->backup;
	tg->pending_gen = gen;
	sbd_target_ref(tg);
	pthread_mutex_unlock(&t->lock);
	return tg;
}

/* Forgets the targets no policy names that only the table still holds: no pool, no tunnel. */
static void
sweep(struct sbd_pools *t)
{
	for (struct sbd_target **p = &t->head; *p != NULL;) {
		struct sbd_target *tg = *p;

		if (!in_policy(t, tg) && atomic_load(&tg->refs) == 1) {
			*p = tg->next;
			sbd_target_unref(tg);
			continue;
		}
		p = &tg->next;
	}
}

void
sbd_pools_commit(struct sbd_pools *t, uint64_t gen)
{
	pthread_mutex_lock(&t->lock);
	t->gen = gen;
	for (struct sbd_target *tg = t->head; tg != NULL; tg = tg->next)
		if (tg->pending_gen == gen)
			tg->named_gen = gen;
	sweep(t);
	pthread_mutex_unlock(&t->lock);
}

void
sbd_pools_foreach(struct sbd_pools *t, void (*fn)(void *arg, const struct sbd_target *tg),
    void *arg)
{
	pthread_mutex_lock(&t->lock);
	for (const struct sbd_target *tg = t->head; tg != NULL; tg = tg->next)
		if (in_policy(t, tg))
			fn(arg, tg);
	pthread_mutex_unlock(&t->lock);
}

static void
emit_state(struct sbd_pools *t, const struct sbd_target *tg, const char *reason)
{
	json_object *ev = sbd_event_new(t->events, SB_EVENT_BACKEND_STATE);

	sb_info("backend %s of route %s: %s (%s)", tg->text, tg->route, sbd_target_state_name(tg),
	    reason);
	if (ev == NULL)
		return;
	json_object_object_add(ev, SB_FIELD_ROUTE, json_object_new_string(tg->route));
	json_object_object_add(ev, SB_FIELD_ADDRESS, json_object_new_string(tg->text));
	json_object_object_add(ev, SB_FIELD_SERVER, json_object_new_string(tg->server));
	json_object_object_add(ev, SB_FIELD_STATE,
	    json_object_new_string(sbd_target_state_name(tg)));
	json_object_object_add(ev, SB_FIELD_REASON, json_object_new_string(reason));
	sbd_event_emit(t->events, ev);
}

int
sbd_pools_set_admin(struct sbd_pools *t, const char *route, const char *address,
    enum sbd_target_admin admin)
{
	int found = -1;

	pthread_mutex_lock(&t->lock);
	for (struct sbd_target *tg = t->head; tg != NULL; tg = tg->next) {
		if (!in_policy(t, tg) || strcmp(tg->route, route) != 0 ||
		    (strcmp(tg->text, address) != 0 && strcmp(tg->server, address) != 0))
			continue;
		found = 0;
		if (atomic_exchange(&tg->admin, (int)admin) != (int)admin)
			emit_state(t, tg, admin == SBD_TARGET_READY ? "set ready by hand" :
			    admin == SBD_TARGET_DRAIN ? "set to drain by hand" :
			    "set to maintenance by hand");
	}
	pthread_mutex_unlock(&t->lock);
	return found;
}

void
sbd_pools_report(struct sbd_pools *t, struct sbd_target *tg, bool ok, const char *error,
    unsigned rise, unsigned fall)
{
	int health, was;

	pthread_mutex_lock(&t->lock);
	tg->last_check_unix_ms = sbd_unix_ms();
	was = atomic_load(&tg->health);
	health = was;
	if (ok) {
		tg->fail_streak = 0;
		if (++tg->ok_streak >= rise)
			health = SBD_TARGET_UP;
	} else {
		atomic_fetch_add(&tg->failures, 1);
		snprintf(tg->last_error, sizeof tg->last_error, "%s", error ? error : "failed");
		tg->ok_streak = 0;
		if (++tg->fail_streak >= fall && fall > 0)
			health = SBD_TARGET_DOWN;
	}
	if (health != was) {
		atomic_store(&tg->health, health);
		emit_state(t, tg, ok ? "checks pass again" : tg->last_error);
	}
	pthread_mutex_unlock(&t->lock);
}

void
sbd_pools_unchecked(struct sbd_pools *t, struct sbd_target *tg)
{
	pthread_mutex_lock(&t->lock);
	tg->ok_streak = tg->fail_streak = 0;
	if (in_policy(t, tg) && atomic_exchange(&tg->health, SBD_TARGET_UP) != SBD_TARGET_UP)
		emit_state(t, tg, "no health checks any more");
	pthread_mutex_unlock(&t->lock);
}

static bool
of_server(const struct sbd_target *tg, const struct sb_server *server)
{
	return strcmp(tg->server, server->address) == 0;
}

/*
 * Appends server's targets for list to next (current: their round-robin
 * state), reusing those of p that have the address (marked in kept) and
 * making the others. Returns how many joined. Under both locks.
 */
static size_t
put_group(struct sbd_pools *t, struct sbd_pool *p, const char *route,
    const struct sb_server *server, const struct sbd_resolved_list *list,
    struct sbd_target **next, int *current, size_t *n, bool *kept)
{
	size_t joined = 0;
	char why_joined[300];

	snprintf(why_joined, sizeof why_joined, "%s resolves to it now", server->hp.host);
	for (size_t k = 0; k < list->n; k++) {
		const struct sbd_resolved *a = &list->items[k];
		struct sbd_target *tg = NULL;

		for (size_t j = 0; j < p->n_targets && tg == NULL; j++) {
			if (!kept[j] && of_server(p->targets[j], server) &&
			    strcmp(p->targets[j]->text, a->text) == 0) {
				kept[j] = true;
				tg = p->targets[j];
				current[*n] = p->current[j];
			}
		}
		if (tg == NULL) {
			tg = sbd_target_ref(target_new(t, route, server, (const struct sockaddr *)&a->addr,
			    a->len, a->text));
			tg->pending_gen = tg->named_gen = t->gen;
			current[*n] = 0;
			joined++;
			emit_state(t, tg, why_joined);
		}
		next[(*n)++] = tg;
	}
	return joined;
}

size_t
sbd_pools_resolved(struct sbd_pools *t, struct sbd_pool *p, const char *route,
    const struct sb_server *server, const struct sbd_resolved_list *list)
{
	struct sbd_target **next, **old;
	int *current, *old_current;
	bool *kept;
	size_t n = 0, n_old, changes = 0;
	bool placed = false;
	char why_left[300];

	snprintf(why_left, sizeof why_left, "%s no longer resolves to it", server->hp.host);

	pthread_mutex_lock(&t->lock);
	pthread_mutex_lock(&p->lock);
	n_old = p->n_targets;
	next = sb_xcalloc(n_old + list->n + 1, sizeof *next);
	current = sb_xcalloc(n_old + list->n + 1, sizeof *current);
	kept = sb_xcalloc(n_old + 1, sizeof *kept);
	/* Policy order: the server's new addresses where its old ones stood. */
	for (size_t i = 0; i < n_old; i++) {
		if (!of_server(p->targets[i], server)) {
			kept[i] = true;
			current[n] = p->current[i];
			next[n++] = p->targets[i];
		} else if (!placed) {
			changes += put_group(t, p, route, server, list, next, current, &n, kept);
			placed = true;
		}
	}
	if (!placed)
		changes += put_group(t, p, route, server, list, next, current, &n, kept);
	old = p->targets;
	old_current = p->current;
	p->targets = next;
	p->current = current;
	p->n_targets = n;
	pthread_mutex_unlock(&p->lock);
	/* Gone from the name: no new tunnels; those open on it hold it and keep flowing. */
	for (size_t i = 0; i < n_old; i++) {
		struct sbd_target *tg = old[i];

		if (kept[i])
			continue;
		changes++;
		tg->pending_gen = tg->named_gen = 0;
		atomic_store(&tg->admin, SBD_TARGET_DRAIN);
		emit_state(t, tg, why_left);
		sbd_target_unref(tg);
	}
	sweep(t); /* and those that left earlier, once their last tunnel closed */
	pthread_mutex_unlock(&t->lock);
	free(old);
	free(old_current);
	free(kept);
	return changes;
}

void
sbd_pools_unresolved(struct sbd_pools *t, struct sbd_pool *p, const struct sb_server *server,
    const char *error)
{
	pthread_mutex_lock(&t->lock);
	pthread_mutex_lock(&p->lock);
	for (size_t i = 0; i < p->n_targets; i++)
		if (of_server(p->targets[i], server))
			snprintf(p->targets[i]->last_error, sizeof p->targets[i]->last_error, "%s",
			    error);
	pthread_mutex_unlock(&p->lock);
	pthread_mutex_unlock(&t->lock);
}

struct sbd_pool *
sbd_pool_new(enum sb_balance balance, struct sbd_target **targets, size_t n)
{
	struct sbd_pool *p = sb_xcalloc(1, sizeof *p);

	atomic_init(&p->refs, 1);
	p->balance = balance;
	p->targets = targets;
	p->n_targets = n;
	p->current = sb_xcalloc(n ? n : 1, sizeof *p->current);
	pthread_mutex_init(&p->lock, NULL);
	return p;
}

struct sbd_pool *
sbd_pool_ref(struct sbd_pool *p)
{
	atomic_fetch_add(&p->refs, 1);
	return p;
}

void
sbd_pool_unref(struct sbd_pool *p)
{
	if (p == NULL || atomic_fetch_sub(&p->refs, 1) != 1)
		return;
	for (size_t i = 0; i < p->n_targets; i++)
		sbd_target_unref(p->targets[i]);
	free(p->targets);
	free(p->current);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

static bool
was_tried(const struct sbd_target *tg, struct sbd_target *const *tried, size_t n_tried)
{
	for (size_t i = 0; i < n_tried; i++)
		if (tried[i] == tg)
			return true;
	return false;
}

/* The candidates: usable, not tried, and backups only when no primary qualifies. */
static size_t
candidates(struct sbd_pool *p, struct sbd_target *const *tried, size_t n_tried, size_t *out)
{
	size_t n = 0;

	for (int backup = 0; backup < 2 && n == 0; backup++)
		for (size_t i = 0; i < p->n_targets; i++) {
			struct sbd_target *tg = p->targets[i];

			if (tg->backup == (backup == 1) && sbd_target_usable(tg) &&
			    !was_tried(tg, tried, n_tried))
				out[n++] = i;
		}
	return n;
}

size_t
sbd_pool_left(struct sbd_pool *p, struct sbd_target *const *tried, size_t n_tried)
{
	size_t idx[SB_SERVERS_MAX * 4];
	size_t n = 0;

	pthread_mutex_lock(&p->lock);
	if (p->n_targets <= sizeof idx / sizeof idx[0])
		n = candidates(p, tried, n_tried, idx);
	pthread_mutex_unlock(&p->lock);
	return n;
}

size_t
sbd_pool_snapshot(struct sbd_pool *p, struct sbd_target ***out)
{
	size_t n;

	pthread_mutex_lock(&p->lock);
	n = p->n_targets;
	*out = sb_xcalloc(n ? n : 1, sizeof **out);
	for (size_t i = 0; i < n; i++)
		(*out)[i] = sbd_target_ref(p->targets[i]);
	pthread_mutex_unlock(&p->lock);
	return n;
}

/* The client's address as bytes (v4-mapped v6 as v4), port left out. */
static uint64_t
client_hash(const struct sockaddr *sa)
{
	const uint8_t *b = NULL;
	size_t n = 0;
	uint64_t h = 1469598103934665603ull; /* FNV-1a */

	if (sa != NULL && sa->sa_family == AF_INET) {
		b = (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
		n = 4;
	} else if (sa != NULL && sa->sa_family == AF_INET6) {
		const struct in6_addr *a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;

		b = IN6_IS_ADDR_V4MAPPED(a6) ? a6->s6_addr + 12 : a6->s6_addr;
		n = IN6_IS_ADDR_V4MAPPED(a6) ? 4 : 16;
	}
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 1099511628211ull;
	}
	return h;
}

/* nginx's smooth weighted round robin: even spread, weights honoured over every window. */
static size_t
pick_round_robin(struct sbd_pool *p, const size_t *idx, size_t n)
{
	int total = 0;
	size_t best = idx[0];

	for (size_t k = 0; k < n; k++) {
		size_t i = idx[k];

		p->current[i] += (int)p->targets[i]->weight;
		total += (int)p->targets[i]->weight;
		if (p->current[i] > p->current[best])
			best = i;
	}
	p->current[best] -= total;
	return best;
}

static size_t
pick_least(struct sbd_pool *p, const size_t *idx, size_t n)
{
	size_t best = idx[0];

	/* Fewest tunnels per unit of weight; ties go to the earlier server. */
	for (size_t k = 1; k < n; k++) {
		const struct sbd_target *a = p->targets[idx[k]], *b = p->targets[best];

		if ((uint64_t)atomic_load(&a->active) * b->weight <
		    (uint64_t)atomic_load(&b->active) * a->weight)
			best = idx[k];
	}
	return best;
}

/* By weight: a client lands on the same server while the set of usable ones stays. */
static size_t
pick_hash(struct sbd_pool *p, const size_t *idx, size_t n, const struct sockaddr *client)
{
	uint64_t total = 0, h;

	for (size_t k = 0; k < n; k++)
		total += p->targets[idx[k]]->weight;
	h = client_hash(client) % total;
	for (size_t k = 0; k < n; k++) {
		uint64_t w = p->targets[idx[k]]->weight;

		if (h < w)
			return idx[k];
		h -= w;
	}
	return idx[n - 1];
}

struct sbd_target *
sbd_pool_pick(struct sbd_pool *p, const struct sockaddr *client, struct sbd_target *const *tried,
    size_t n_tried)
{
	size_t idx[SB_SERVERS_MAX * 4];
	size_t n, chosen;
	struct sbd_target *tg;

	pthread_mutex_lock(&p->lock);
	if (p->n_targets > sizeof idx / sizeof idx[0]) {
		pthread_mutex_unlock(&p->lock);
		return NULL;
	}
	n = candidates(p, tried, n_tried, idx);
	if (n == 0) {
		pthread_mutex_unlock(&p->lock);
		return NULL;
	}
	switch (p->balance) {
	case SB_BALANCE_LEAST_CONNECTIONS:
		chosen = pick_least(p, idx, n);
		break;
	case SB_BALANCE_SOURCE_HASH:
		chosen = pick_hash(p, idx, n, client);
		break;
	case SB_BALANCE_FIRST:
		chosen = idx[0];
		break;
	default:
		chosen = pick_round_robin(p, idx, n);
		break;
	}
	tg = sbd_target_ref(p->targets[chosen]);
	pthread_mutex_unlock(&p->lock);
	return tg;
}
