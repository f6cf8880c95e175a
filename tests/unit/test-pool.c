/* test-pool.c - targets kept across revisions; round robin by weight, least connections,
 * source hash, first; backups; what is tried is skipped; state set by hand; a name's
 * addresses changed in place */
#include <arpa/inet.h>
#include <glib.h>
#include <netinet/in.h>
#include <string.h>

#include "sb-alloc.h"
#include "sbd-events.h"
#include "sbd-pool.h"

struct fixture {
	struct sbd_events *events;
	struct sbd_pools *table;
	uint64_t gen;
};

static void
fixture_init(struct fixture *f)
{
	f->events = sbd_events_new();
	f->table = sbd_pools_new(f->events);
	f->gen = 1;
}

static void
fixture_clear(struct fixture *f)
{
	sbd_pools_free(f->table);
	sbd_events_free(f->events);
}

static struct sockaddr_in
v4(const char *ip, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };

	g_assert_cmpint(inet_pton(AF_INET, ip, &sin.sin_addr), ==, 1);
	return sin;
}

/* A pool of n servers 10.0.0.1:80 .. 10.0.0.n:80 with these weights and backup flags. */
static struct sbd_pool *
pool(struct fixture *f, const char *route, enum sb_balance balance, size_t n,
    const unsigned *weights, const bool *backups)
{
	struct sbd_target **targets = sb_xcalloc(n, sizeof *targets);

	for (size_t i = 0; i < n; i++) {
		char text[32];
		struct sb_server s = { 0 };
		const char *why = NULL;
		struct sockaddr_in sin;

		g_snprintf(text, sizeof text, "10.0.0.%zu:80", i + 1);
		g_assert_cmpint(sb_server_parse_address(text, &s, &why), ==, 0);
		s.weight = weights ? weights[i] : 1;
		s.backup = backups ? backups[i] : false;
		sin = v4(s.hp.host, 80);
		targets[i] = sbd_pools_target(f->table, f->gen, route, &s, (struct sockaddr *)&sin,
		    sizeof sin, text);
		free(s.address);
		free(s.hp.host);
	}
	sbd_pools_commit(f->table, f->gen);
	return sbd_pool_new(balance, targets, n);
}

/* Picks count times (each pick released at once) and counts per target index. */
static void
spread(struct sbd_pool *p, const struct sockaddr *client, unsigned count, unsigned *per)
{
	for (unsigned k = 0; k < count; k++) {
		struct sbd_target *tg = sbd_pool_pick(p, client, NULL, 0);

		g_assert_nonnull(tg);
		for (size_t i = 0; i < p->n_targets; i++)
			if (p->targets[i] == tg)
				per[i]++;
		sbd_target_unref(tg);
	}
}

static void
test_round_robin_weights(void)
{
	struct fixture f;
	const unsigned weights[] = { 1, 2, 5 };
	unsigned per[3] = { 0 };
	struct sbd_pool *p;

	fixture_init(&f);
	p = pool(&f, "r", SB_BALANCE_ROUND_ROBIN, 3, weights, NULL);
	spread(p, NULL, 80, per);
	/* Exact over whole windows of the total weight (8). */
	g_assert_cmpuint(per[0], ==, 10);
	g_assert_cmpuint(per[1], ==, 20);
	g_assert_cmpuint(per[2], ==, 50);
	sbd_pool_unref(p);
	fixture_clear(&f);
}

static void
test_least_connections(void)
{
	struct fixture f;
	const unsigned weights[] = { 1, 1, 2 };
	struct sbd_pool *p;
	struct sbd_target *tg;

	fixture_init(&f);
	p = pool(&f, "r", SB_BALANCE_LEAST_CONNECTIONS, 3, weights, NULL);
	atomic_store(&p->targets[0]->active, 3);
	atomic_store(&p->targets[1]->active, 1);
	atomic_store(&p->targets[2]->active, 3); /* 1.5 per unit of weight */
	tg = sbd_pool_pick(p, NULL, NULL, 0);
	g_assert_true(tg == p->targets[1]);
	sbd_target_unref(tg);
	atomic_store(&p->targets[1]->active, 2); /* now 2 against 1.5 */
	tg = sbd_pool_pick(p, NULL, NULL, 0);
	g_assert_true(tg == p->targets[2]);
	sbd_target_unref(tg);
	sbd_pool_unref(p);
	fixture_clear(&f);
}

static void
test_source_hash(void)
{
	struct fixture f;
	struct sbd_pool *p;
	unsigned per[4] = { 0 };
	unsigned hit = 0;

	fixture_init(&f);
	p = pool(&f, "r", SB_BALANCE_SOURCE_HASH, 4, NULL, NULL);
	for (unsigned c = 1; c <= 200; c++) {
		char ip[32];
		struct sockaddr_in a, b;
		struct sbd_target *x, *y;

		g_snprintf(ip, sizeof ip, "192.0.2.%u", c % 250 + 1);
		a = v4(ip, 1000);
		b = v4(ip, 2000); /* the same client, another port */
		x = sbd_pool_pick(p, (struct sockaddr *)&a, NULL, 0);
		y = sbd_pool_pick(p, (struct sockaddr *)&b, NULL, 0);
		g_assert_true(x == y);
		for (size_t i = 0; i < 4; i++)
			per[i] += p->targets[i] == x;
		sbd_target_unref(x);
		sbd_target_unref(y);
	}
	/* Different clients spread over every server. */
	for (size_t i = 0; i < 4; i++)
		hit += per[i] > 0;
	g_assert_cmpuint(hit, ==, 4);
	sbd_pool_unref(p);
	fixture_clear(&f);
}

static void
test_first_backup_and_tried(void)
{
	struct fixture f;
	const bool backups[] = { false, false, true };
	struct sbd_pool *p;
	struct sbd_target *tried[3];
	struct sbd_target *tg;

	fixture_init(&f);
	p = pool(&f, "r", SB_BALANCE_FIRST, 3, NULL, backups);
	tried[0] = sbd_pool_pick(p, NULL, NULL, 0);
	g_assert_true(tried[0] == p->targets[0]);
	g_assert_cmpuint(sbd_pool_left(p, tried, 1), ==, 1);
	tried[1] = sbd_pool_pick(p, NULL, tried, 1);
	g_assert_true(tried[1] == p->targets[1]);
	/* Every primary tried: the backup is next, then nothing. */
	tried[2] = sbd_pool_pick(p, NULL, tried, 2);
	g_assert_true(tried[2] == p->targets[2]);
	g_assert_null(sbd_pool_pick(p, NULL, tried, 3));
	for (size_t i = 0; i < 3; i++)
		sbd_target_unref(tried[i]);

	/* A backup is not used while a primary is usable. */
	sbd_pools_report(f.table, p->targets[0], false, "refused", 1, 1);
	tg = sbd_pool_pick(p, NULL, NULL, 0);
	g_assert_true(tg == p->targets[1]);
	sbd_target_unref(tg);
	sbd_pool_unref(p);
	fixture_clear(&f);
}

static void
test_rise_fall_and_admin(void)
{
	struct fixture f;
	struct sbd_pool *p;
	struct sbd_target *tg;

	fixture_init(&f);
	p = pool(&f, "vnc", SB_BALANCE_ROUND_ROBIN, 2, NULL, NULL);
	tg = p->targets[0];
	sbd_pools_report(f.table, tg, false, "connection refused", 2, 3);
	sbd_pools_report(f.table, tg, false, "connection refused", 2, 3);
	g_assert_cmpstr(sbd_target_state_name(tg), ==, "up");
	sbd_pools_report(f.table, tg, false, "connection refused", 2, 3);
	g_assert_cmpstr(sbd_target_state_name(tg), ==, "down");
	g_assert_cmpuint(atomic_load(&tg->failures), ==, 3);
	g_assert_cmpstr(tg->last_error, ==, "connection refused");
	sbd_pools_report(f.table, tg, true, NULL, 2, 3);
	g_assert_cmpstr(sbd_target_state_name(tg), ==, "down");
	sbd_pools_report(f.table, tg, true, NULL, 2, 3);
	g_assert_cmpstr(sbd_target_state_name(tg), ==, "up");

	/* By hand, by the server as written or by the address; a wrong name is refused. */
	g_assert_cmpint(sbd_pools_set_admin(f.table, "vnc", "10.0.0.2:80", SBD_TARGET_DRAIN),
	    ==, 0);
	g_assert_cmpstr(sbd_target_state_name(p->targets[1]), ==, "drain");
	g_assert_false(sbd_target_usable(p->targets[1]));
	g_assert_cmpint(sbd_pools_set_admin(f.table, "vnc", "10.9.9.9:80", SBD_TARGET_MAINT),
	    ==, -1);
	g_assert_cmpint(sbd_pools_set_admin(f.table, "other", "10.0.0.2:80", SBD_TARGET_MAINT),
	    ==, -1);
	for (int i = 0; i < 4; i++) {
		struct sbd_target *pick = sbd_pool_pick(p, NULL, NULL, 0);

		g_assert_true(pick == p->targets[0]);
		sbd_target_unref(pick);
	}
	sbd_pool_unref(p);
	fixture_clear(&f);
}

static void
count_target(void *arg, const struct sbd_target *tg)
{
	(*(unsigned *)arg)++;
}

/* A server that stays in the next policy keeps what it had; one that goes is forgotten. */
static void
test_survives_revisions(void)
{
	struct fixture f;
	struct sbd_pool *p, *q;
	unsigned listed = 0;

	fixture_init(&f);
	p = pool(&f, "vnc", SB_BALANCE_ROUND_ROBIN, 2, NULL, NULL);
	sbd_pools_report(f.table, p->targets[1], false, "timed out", 1, 1);
	atomic_store(&p->targets[1]->total, 7);
	f.gen = 2;
	q = pool(&f, "vnc", SB_BALANCE_ROUND_ROBIN, 1, NULL, NULL); /* only 10.0.0.1 stays */
	g_assert_true(q->targets[0] == p->targets[0]);
	sbd_pool_unref(p); /* the old revision goes */
	f.gen = 3;
	p = pool(&f, "vnc", SB_BALANCE_ROUND_ROBIN, 2, NULL, NULL); /* 10.0.0.2 is back: new */
	g_assert_cmpstr(sbd_target_state_name(p->targets[1]), ==, "up");
	g_assert_cmpuint(atomic_load(&p->targets[1]->total), ==, 0);
	sbd_pools_foreach(f.table, count_target, &listed);
	g_assert_cmpuint(listed, ==, 2);
	sbd_pool_unref(q);
	sbd_pool_unref(p);
	fixture_clear(&f);
}

/* The target of server (as written) at ip:80, for the policy being built. */
static struct sbd_target *
named_target(struct fixture *f, const char *route, const struct sb_server *s, const char *ip)
{
	struct sockaddr_in sin = v4(ip, 80);
	char text[32];

	g_snprintf(text, sizeof text, "%s:80", ip);
	return sbd_pools_target(f->table, f->gen, route, s, (struct sockaddr *)&sin, sizeof sin,
	    text);
}

static void
resolved_to(struct sbd_resolved_list *list, const char *const *ips, size_t n)
{
	list->items = sb_xcalloc(n, sizeof *list->items);
	list->n = n;
	for (size_t i = 0; i < n; i++) {
		struct sockaddr_in sin = v4(ips[i], 80);

		memcpy(&list->items[i].addr, &sin, sizeof sin);
		list->items[i].len = sizeof sin;
		g_snprintf(list->items[i].text, sizeof list->items[i].text, "%s:80", ips[i]);
	}
}

static void
count_usable(void *arg, const struct sbd_target *tg)
{
	(*(unsigned *)arg) += sbd_target_usable(tg);
}

/*
 * A name resolved again: addresses that stay keep their target (state, counters,
 * place), new ones join, vanished ones leave the pool and drain while their
 * tunnels last; servers of other names stay as they were. A failure changes
 * nothing but last_error.
 */
static void
test_resolved_again(void)
{
	struct fixture f;
	struct sb_server lit = { 0 }, name = { 0 };
	const char *why = NULL;
	struct sbd_target **targets = sb_xcalloc(3, sizeof *targets);
	struct sbd_target *stay, *gone, *tunnel;
	struct sbd_resolved_list list;
	const char *const next[] = { "10.0.0.2", "10.0.0.3" };
	struct sbd_pool *p;
	unsigned per[3] = { 0 }, listed = 0;

	fixture_init(&f);
	g_assert_cmpint(sb_server_parse_address("10.0.0.9:80", &lit, &why), ==, 0);
	g_assert_cmpint(sb_server_parse_address("a.test:80", &name, &why), ==, 0);
	lit.weight = name.weight = 1;
	targets[0] = named_target(&f, "r", &name, "10.0.0.1");
	targets[1] = named_target(&f, "r", &name, "10.0.0.2");
	targets[2] = named_target(&f, "r", &lit, "10.0.0.9");
	sbd_pools_commit(f.table, f.gen);
	p = sbd_pool_new(SB_BALANCE_ROUND_ROBIN, targets, 3);
	gone = p->targets[0];
	stay = p->targets[1];
	atomic_store(&stay->total, 5);
	tunnel = sbd_target_occupy(sbd_target_ref(gone)); /* a tunnel open on the old address */

	resolved_to(&list, next, 2);
	g_assert_cmpuint(sbd_pools_resolved(f.table, p, "r", &name, &list), ==, 2);
	g_assert_cmpuint(p->n_targets, ==, 3);
	g_assert_true(p->targets[0] == stay);
	g_assert_cmpuint(atomic_load(&stay->total), ==, 5);
	g_assert_cmpstr(p->targets[1]->text, ==, "10.0.0.3:80");
	g_assert_cmpstr(p->targets[1]->server, ==, "a.test:80");
	g_assert_cmpstr(sbd_target_state_name(p->targets[1]), ==, "up");
	g_assert_cmpstr(p->targets[2]->text, ==, "10.0.0.9:80");
	/* The vanished address: no new tunnels, the open one still counted, not listed. */
	g_assert_cmpstr(sbd_target_state_name(gone), ==, "drain");
	g_assert_cmpuint(atomic_load(&gone->active), ==, 1);
	spread(p, NULL, 30, per);
	g_assert_cmpuint(per[0], ==, 10);
	g_assert_cmpuint(per[1], ==, 10);
	g_assert_cmpuint(per[2], ==, 10);
	sbd_pools_foreach(f.table, count_usable, &listed);
	g_assert_cmpuint(listed, ==, 3);
	g_assert_cmpint(sbd_pools_set_admin(f.table, "r", "10.0.0.1:80", SBD_TARGET_READY), ==, -1);

	/* The same answer again changes nothing; the tunnel's end lets the old target go. */
	sbd_target_release(tunnel);
	g_assert_cmpuint(sbd_pools_resolved(f.table, p, "r", &name, &list), ==, 0);
	g_assert_true(p->targets[0] == stay);

	/* A failure keeps the addresses and says why on the name's targets only. */
	sbd_pools_unresolved(f.table, p, &name, "cannot resolve a.test: Name or service not known");
	g_assert_cmpuint(p->n_targets, ==, 3);
	g_assert_cmpstr(p->targets[0]->last_error, ==,
	    "cannot resolve a.test: Name or service not known");
	g_assert_cmpstr(p->targets[1]->last_error, ==,
	    "cannot resolve a.test: Name or service not known");
	g_assert_cmpstr(p->targets[2]->last_error, ==, "");

	/* A name the pool did not have yet joins at the end. */
	sbd_resolved_list_clear(&list);
	resolved_to(&list, (const char *const[]){ "10.0.0.7" }, 1);
	free(lit.address);
	free(lit.hp.host);
	g_assert_cmpint(sb_server_parse_address("b.test:80", &lit, &why), ==, 0);
	lit.weight = 1;
	g_assert_cmpuint(sbd_pools_resolved(f.table, p, "r", &lit, &list), ==, 1);
	g_assert_cmpuint(p->n_targets, ==, 4);
	g_assert_cmpstr(p->targets[3]->server, ==, "b.test:80");
	sbd_resolved_list_clear(&list);
	sbd_pool_unref(p);
	free(lit.address);
	free(lit.hp.host);
	free(name.address);
	free(name.hp.host);
	fixture_clear(&f);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/pool/round-robin-weights", test_round_robin_weights);
	g_test_add_func("/pool/least-connections", test_least_connections);
	g_test_add_func("/pool/source-hash", test_source_hash);
	g_test_add_func("/pool/first-backup-tried", test_first_backup_and_tried);
	g_test_add_func("/pool/rise-fall-admin", test_rise_fall_and_admin);
	g_test_add_func("/pool/survives-revisions", test_survives_revisions);
	g_test_add_func("/pool/resolved-again", test_resolved_again);
	return g_test_run();
}
