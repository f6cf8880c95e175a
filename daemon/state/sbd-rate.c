/* sbd-rate.c - token buckets, and bounded tables of them */
#include "sbd-rate.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "sb-alloc.h"

#define SETS      1024
#define WAYS      4
#define KEY_MAX   (SBD_RATE_KEY_MAX)
#define SBD_RATE_KEY_MAX 130

bool
sbd_bucket_take(struct sbd_bucket *b, const struct sb_rate_bucket *conf, uint64_t now_ms,
    unsigned *retry_s)
{
	uint64_t cap = (uint64_t)conf->burst * 1000;

	if (b->milli > cap)
		b->milli = cap;
	if (b->last_ms == 0) {
		b->milli = cap;
	} else if (now_ms > b->last_ms) {
		uint64_t add = (now_ms - b->last_ms) * conf->per_s;

		b->milli = add >= cap - b->milli ? cap : b->milli + add;
	}
	/* never back: two threads may take with times read in the other order */
	if (b->last_ms == 0 || now_ms > b->last_ms)
		b->last_ms = now_ms > 0 ? now_ms : 1;
	if (b->milli >= 1000) {
		b->milli -= 1000;
		return true;
	}
	/* (1000 - milli) millitokens at per_s per millisecond */
	uint64_t wait_ms = (1000 - b->milli + conf->per_s - 1) / conf->per_s;
	*retry_s = (unsigned)((wait_ms + 999) / 1000);
	if (*retry_s == 0)
		*retry_s = 1;
	return false;
}

struct slot {
	uint8_t key[KEY_MAX];
	size_t key_len;
	struct sbd_bucket bucket;
};

struct sbd_rate_table {
	pthread_mutex_t lock;
	struct slot *slots; /* SETS * WAYS */
};

struct sbd_rate_table *
sbd_rate_table_new(void)
{
	struct sbd_rate_table *t = sb_xcalloc(1, sizeof *t);

	pthread_mutex_init(&t->lock, NULL);
	t->slots = sb_xcalloc((size_t)SETS * WAYS, sizeof *t->slots);
	return t;
}

void
sbd_rate_table_free(struct sbd_rate_table *t)
{
	if (t == NULL)
		return;
	pthread_mutex_destroy(&t->lock);
	free(t->slots);
	free(t);
}

/* FNV-1a: the keys are ours (addresses, identities that passed auth), not chosen to collide. */
static uint32_t
hash(const uint8_t *p, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

bool
sbd_rate_table_take(struct sbd_rate_table *t, const void *key, size_t key_len,
    const struct sb_rate_bucket *conf, uint64_t now_ms, unsigned *retry_s)
{
	struct slot *set, *s = NULL;
	bool ok;

	if (key_len > KEY_MAX)
		key_len = KEY_MAX;
	set = &t->slots[(size_t)(hash(key, key_len) % SETS) * WAYS];
	pthread_mutex_lock(&t->lock);
	for (size_t i = 0; i < WAYS && s == NULL; i++) {
		if (set[i].key_len == key_len && memcmp(set[i].key, key, key_len) == 0)
			s = &set[i];
	}
	if (s == NULL) {
		s = &set[0];
		for (size_t i = 1; i < WAYS; i++) {
			if (set[i].bucket.last_ms < s->bucket.last_ms)
				s = &set[i];
		}
		memset(s, 0, sizeof *s);
		memcpy(s->key, key, key_len);
		s->key_len = key_len;
	}
	ok = sbd_bucket_take(&s->bucket, conf, now_ms, retry_s);
	pthread_mutex_unlock(&t->lock);
	return ok;
}

size_t
sbd_rate_address_key(const struct sockaddr *sa, unsigned ipv6_prefix, uint8_t out[17])
{
	if (sa->sa_family == AF_INET) {
		out[0] = 4;
		memcpy(out + 1, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
		return 5;
	}
	if (sa->sa_family == AF_INET6) {
		const uint8_t *a = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;

		/* an IPv4-mapped address counts as the IPv4 one */
		static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
		if (memcmp(a, mapped, 12) == 0) {
			out[0] = 4;
			memcpy(out + 1, a + 12, 4);
			return 5;
		}
		out[0] = 6;
		memset(out + 1, 0, 16);
		for (unsigned bit = 0; bit < ipv6_prefix && bit < 128; bit++) {
			if (a[bit / 8] & (0x80 >> (bit % 8)))
				out[1 + bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
		}
		return 17;
	}
	out[0] = 0;
	return 1;
}
