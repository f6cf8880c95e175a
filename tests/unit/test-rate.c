/* test-rate.c - token buckets with an injected clock, the bounded table, address keys */
#include <arpa/inet.h>
#include <glib.h>
#include <netinet/in.h>
#include <string.h>

#include "sbd-rate.h"

#define T0 1000000 /* any start: the clock is ours */

static void
test_burst_then_refill(void)
{
	const struct sb_rate_bucket conf = { .per_s = 2, .burst = 3 };
	struct sbd_bucket b = { 0 };
	unsigned retry = 0;

	/* a new bucket is full: the burst passes at once */
	for (int i = 0; i < 3; i++)
		g_assert_true(sbd_bucket_take(&b, &conf, T0, &retry));
	g_assert_false(sbd_bucket_take(&b, &conf, T0, &retry));
	g_assert_cmpuint(retry, ==, 1); /* 500 ms to a token, rounded up to whole seconds */
	/* 499 ms later there is still no whole token; 500 ms makes one */
	g_assert_false(sbd_bucket_take(&b, &conf, T0 + 499, &retry));
	g_assert_cmpuint(retry, ==, 1);
	g_assert_true(sbd_bucket_take(&b, &conf, T0 + 500, &retry));
	g_assert_false(sbd_bucket_take(&b, &conf, T0 + 500, &retry));
	/* a long pause refills to the burst, never past it */
	for (int i = 0; i < 3; i++)
		g_assert_true(sbd_bucket_take(&b, &conf, T0 + 3600000, &retry));
	g_assert_false(sbd_bucket_take(&b, &conf, T0 + 3600000, &retry));
}

static void
test_retry_after(void)
{
	/* one token every 10 s: Retry-After counts the seconds to the next one */
	const struct sb_rate_bucket slow = { .per_s = 1, .burst = 1 };
	struct sbd_bucket b = { 0 };
	unsigned retry = 0;

	g_assert_true(sbd_bucket_take(&b, &slow, T0, &retry));
	g_assert_false(sbd_bucket_take(&b, &slow, T0, &retry));
	g_assert_cmpuint(retry, ==, 1);
	g_assert_false(sbd_bucket_take(&b, &slow, T0 + 1, &retry));
	g_assert_cmpuint(retry, ==, 1);
	g_assert_true(sbd_bucket_take(&b, &slow, T0 + 1000, &retry));

	/* a fast bucket still says at least 1 */
	const struct sb_rate_bucket fast = { .per_s = 1000000, .burst = 1 };
	struct sbd_bucket f = { 0 };

	g_assert_true(sbd_bucket_take(&f, &fast, T0, &retry));
	g_assert_false(sbd_bucket_take(&f, &fast, T0, &retry));
	g_assert_cmpuint(retry, ==, 1);
	g_assert_true(sbd_bucket_take(&f, &fast, T0 + 1, &retry));
}

static void
test_partial_tokens(void)
{
	/* 3 per second: 333 ms add 999 millitokens, not yet one; 334 ms do */
	const struct sb_rate_bucket conf = { .per_s = 3, .burst = 1 };
	struct sbd_bucket b = { 0 };
	unsigned retry;

	g_assert_true(sbd_bucket_take(&b, &conf, T0, &retry));
	g_assert_false(sbd_bucket_take(&b, &conf, T0 + 333, &retry));
	g_assert_true(sbd_bucket_take(&b, &conf, T0 + 334, &retry));
	/* refused takes do not cost: the fractions keep adding up */
	for (uint64_t t = T0 + 334; t < T0 + 334 + 333; t += 37)
		g_assert_false(sbd_bucket_take(&b, &conf, t, &retry));
	g_assert_true(sbd_bucket_take(&b, &conf, T0 + 334 + 334, &retry));
}

static void
test_clock_backwards(void)
{
	const struct sb_rate_bucket conf = { .per_s = 1, .burst = 2 };
	struct sbd_bucket b = { 0 };
	unsigned retry;

	g_assert_true(sbd_bucket_take(&b, &conf, T0, &retry));
	g_assert_true(sbd_bucket_take(&b, &conf, T0, &retry));
	/*
	 * an earlier time (another thread read the clock first) adds nothing,
	 * and the time between it and the latest is not counted twice
	 */
	g_assert_false(sbd_bucket_take(&b, &conf, T0 - 5000, &retry));
	g_assert_false(sbd_bucket_take(&b, &conf, T0 - 4000, &retry));
	g_assert_false(sbd_bucket_take(&b, &conf, T0 + 999, &retry));
	g_assert_true(sbd_bucket_take(&b, &conf, T0 + 1000, &retry));
}

static void
test_smaller_burst(void)
{
	/* a bucket filled under a bigger burst (a reload) is cut to the new one */
	const struct sb_rate_bucket big = { .per_s = 1, .burst = 10 };
	const struct sb_rate_bucket small = { .per_s = 1, .burst = 2 };
	struct sbd_bucket b = { 0 };
	unsigned retry;

	g_assert_true(sbd_bucket_take(&b, &big, T0, &retry));
	g_assert_true(sbd_bucket_take(&b, &small, T0, &retry));
	g_assert_true(sbd_bucket_take(&b, &small, T0, &retry));
	g_assert_false(sbd_bucket_take(&b, &small, T0, &retry));
}

static void
test_table(void)
{
	const struct sb_rate_bucket conf = { .per_s = 1, .burst = 2 };
	struct sbd_rate_table *t = sbd_rate_table_new();
	unsigned retry;

	g_assert_true(sbd_rate_table_take(t, "alice", 5, &conf, T0, &retry));
	g_assert_true(sbd_rate_table_take(t, "alice", 5, &conf, T0, &retry));
	g_assert_false(sbd_rate_table_take(t, "alice", 5, &conf, T0, &retry));
	/* another key has its own bucket, a prefix too */
	g_assert_true(sbd_rate_table_take(t, "alic", 4, &conf, T0, &retry));
	g_assert_true(sbd_rate_table_take(t, "bob", 3, &conf, T0, &retry));
	g_assert_false(sbd_rate_table_take(t, "alice", 5, &conf, T0 + 999, &retry));
	g_assert_true(sbd_rate_table_take(t, "alice", 5, &conf, T0 + 1000, &retry));

	/* many keys: the table stays bounded; a key pushed out starts full again */
	for (unsigned i = 0; i < 20000; i++) {
		char key[16];

		g_snprintf(key, sizeof key, "k%u", i);
		g_assert_true(sbd_rate_table_take(t, key, strlen(key), &conf, T0 + 2000, &retry));
	}
	g_assert_true(sbd_rate_table_take(t, "alice", 5, &conf, T0 + 2000, &retry));
	sbd_rate_table_free(t);
	sbd_rate_table_free(NULL);
}

static size_t
key_of(const char *addr, unsigned prefix, uint8_t out[17])
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof ss);
	if (strchr(addr, ':') == NULL) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		g_assert_cmpint(inet_pton(AF_INET, addr, &sin->sin_addr), ==, 1);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		g_assert_cmpint(inet_pton(AF_INET6, addr, &sin6->sin6_addr), ==, 1);
	}
	return sbd_rate_address_key((const struct sockaddr *)&ss, prefix, out);
}

static void
test_address_key(void)
{
	uint8_t a[17], b[17];
	size_t la, lb;

	/* v4, and the same address v4-mapped */
	la = key_of("192.0.2.7", 64, a);
	lb = key_of("::ffff:192.0.2.7", 64, b);
	g_assert_cmpmem(a, la, b, lb);
	lb = key_of("192.0.2.8", 64, b);
	g_assert_false(la == lb && memcmp(a, b, la) == 0);
	/* one /64 is one client; another /64 is another */
	la = key_of("2001:db8:1:2::1", 64, a);
	lb = key_of("2001:db8:1:2:ffff:ffff:ffff:ffff", 64, b);
	g_assert_cmpmem(a, la, b, lb);
	lb = key_of("2001:db8:1:3::1", 64, b);
	g_assert_false(la == lb && memcmp(a, b, la) == 0);
	/* a /56 takes in the /64s below it; 128 keeps every address apart */
	la = key_of("2001:db8:1:2::1", 56, a);
	lb = key_of("2001:db8:1:3::1", 56, b);
	g_assert_cmpmem(a, la, b, lb);
	la = key_of("2001:db8::1", 128, a);
	lb = key_of("2001:db8::2", 128, b);
	g_assert_false(la == lb && memcmp(a, b, la) == 0);
	/* an odd prefix cuts inside a byte */
	la = key_of("2001:db8:1:2::", 61, a);
	lb = key_of("2001:db8:1:7::", 61, b);
	g_assert_cmpmem(a, la, b, lb);
	lb = key_of("2001:db8:1:8::", 61, b);
	g_assert_false(la == lb && memcmp(a, b, la) == 0);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/rate/burst-then-refill", test_burst_then_refill);
	g_test_add_func("/rate/retry-after", test_retry_after);
	g_test_add_func("/rate/partial-tokens", test_partial_tokens);
	g_test_add_func("/rate/clock-backwards", test_clock_backwards);
	g_test_add_func("/rate/smaller-burst", test_smaller_burst);
	g_test_add_func("/rate/table", test_table);
	g_test_add_func("/rate/address-key", test_address_key);
	return g_test_run();
}
