/* test-peers.c - the per-address table: limits, IPv6 grouped by prefix, v4-mapped as IPv4 */
#include <arpa/inet.h>
#include <glib.h>
#include <netinet/in.h>
#include <string.h>

#include "sbd-peers.h"

/* A socket address for a numeric IPv4 or IPv6 literal. */
static struct sockaddr_storage
addr(const char *text)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof ss);
	if (strchr(text, ':') != NULL) {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;

		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(40000);
		g_assert_cmpint(inet_pton(AF_INET6, text, &a6->sin6_addr), ==, 1);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;

		a4->sin_family = AF_INET;
		a4->sin_port = htons(40000);
		g_assert_cmpint(inet_pton(AF_INET, text, &a4->sin_addr), ==, 1);
	}
	return ss;
}

enum op {
	ADMIT,   /* acquire: counted */
	REFUSE,  /* acquire: past the limit, not counted */
	RELEASE,
};

/* One connection's step: its address, the prefix and limit it is counted by, what happens. */
struct step {
	const char *addr;
	unsigned prefix;
	unsigned limit;
	enum op op;
};

static void
run(const struct step *steps, size_t n)
{
	struct sbd_peers *p = sbd_peers_new();

	for (size_t i = 0; i < n; i++) {
		struct sockaddr_storage ss = addr(steps[i].addr);
		const struct sockaddr *sa = (const struct sockaddr *)&ss;

		g_test_message("step %zu: %s /%u", i, steps[i].addr, steps[i].prefix);
		if (steps[i].op == RELEASE)
			sbd_peers_release(p, sa, steps[i].prefix);
		else
			g_assert_cmpint(sbd_peers_acquire(p, sa, steps[i].prefix, steps[i].limit), ==,
			    steps[i].op == ADMIT);
	}
	sbd_peers_free(p);
}

static void
test_limit_v4(void)
{
	static const struct step steps[] = {
		{ "192.0.2.1", 64, 2, ADMIT },
		{ "192.0.2.1", 64, 2, ADMIT },
		{ "192.0.2.1", 64, 2, REFUSE },
		/* another address has its own count */
		{ "192.0.2.2", 64, 2, ADMIT },
		{ "192.0.2.1", 64, 2, RELEASE },
		{ "192.0.2.1", 64, 2, ADMIT },
		{ "192.0.2.1", 64, 2, REFUSE },
		/* limit 0: no limit */
		{ "192.0.2.3", 64, 0, ADMIT },
		{ "192.0.2.3", 64, 0, ADMIT },
		{ "192.0.2.3", 64, 0, ADMIT },
	};

	run(steps, G_N_ELEMENTS(steps));
}

/* One host with a /64 has 2^64 addresses: they all count as one client. */
static void
test_v6_grouped_by_64(void)
{
	static const struct step steps[] = {
		{ "2001:db8::1", 64, 3, ADMIT },
		{ "2001:db8::ffff:ffff:ffff:ffff", 64, 3, ADMIT },
		{ "2001:db8::a:b:c:d", 64, 3, ADMIT },
		{ "2001:db8::2", 64, 3, REFUSE },
		/* the next /64 is another client */
		{ "2001:db8:0:1::1", 64, 3, ADMIT },
		/* what was counted under /64 is given back under /64, by any address in it */
		{ "2001:db8::77", 64, 3, RELEASE },
		{ "2001:db8::99", 64, 3, ADMIT },
		{ "2001:db8::1", 64, 3, REFUSE },
	};

	run(steps, G_N_ELEMENTS(steps));
}

static void
test_v6_prefixes(void)
{
	static const struct step steps[] = {
		/* 128: every address on its own */
		{ "2001:db8::1", 128, 1, ADMIT },
		{ "2001:db8::2", 128, 1, ADMIT },
		{ "2001:db8::1", 128, 1, REFUSE },
		/* inside a byte: 0x8..0xf share the top 13 bits of the 4th group, 0x10 not */
		{ "2001:db8:1:8::1", 61, 1, ADMIT },
		{ "2001:db8:1:f::1", 61, 1, REFUSE },
		{ "2001:db8:1:10::1", 61, 1, ADMIT },
		/* 1: half of the address space */
		{ "2001:db8:2::1", 1, 1, ADMIT },
		{ "3fff::1", 1, 1, REFUSE },
		{ "8000::1", 1, 1, ADMIT },
	};

	run(steps, G_N_ELEMENTS(steps));
}

/* A dual-stack peer or a PROXY header gives ::ffff:a.b.c.d: that is the IPv4 client. */
static void
test_v4_mapped(void)
{
	static const struct step steps[] = {
		{ "::ffff:198.51.100.1", 64, 2, ADMIT },
		{ "198.51.100.1", 64, 2, ADMIT },
		{ "::ffff:198.51.100.1", 64, 2, REFUSE },
		{ "198.51.100.1", 64, 2, REFUSE },
		/* not grouped with its /64 (or /8) neighbours: the whole IPv4 internet */
		{ "::ffff:198.51.100.2", 64, 2, ADMIT },
		{ "::ffff:203.0.113.9", 8, 2, ADMIT },
		{ "198.51.100.1", 64, 2, RELEASE },
		{ "::ffff:198.51.100.1", 64, 2, ADMIT },
	};

	run(steps, G_N_ELEMENTS(steps));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/peers/limit-v4", test_limit_v4);
	g_test_add_func("/peers/v6-grouped-by-64", test_v6_grouped_by_64);
	g_test_add_func("/peers/v6-prefixes", test_v6_prefixes);
	g_test_add_func("/peers/v4-mapped", test_v4_mapped);
	return g_test_run();
}
