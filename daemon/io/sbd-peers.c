/* sbd-peers.c - a small chained hash of client addresses (v4-mapped v6 counts as v4) */
#include "sbd-peers.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sb-alloc.h"

#define BUCKETS 4096

struct peer {
	uint8_t addr[16];
	unsigned count;
	struct peer *next;
};

struct sbd_peers {
	pthread_mutex_t lock;
	struct peer *buckets[BUCKETS];
};

struct sbd_peers *
sbd_peers_new(void)
{
	struct sbd_peers *p = sb_xcalloc(1, sizeof *p);

	pthread_mutex_init(&p->lock, NULL);
	return p;
}

void
sbd_peers_free(struct sbd_peers *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < BUCKETS; i++) {
		while (p->buckets[i] != NULL) {
			struct peer *e = p->buckets[i];

			p->buckets[i] = e->next;
			free(e);
		}
	}
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/*
 * The address as 16 bytes, IPv4 written v4-mapped, so both forms of one client
 * meet; other IPv6 addresses keep their first v6_prefix bits only.
 */
static void
key_of(const struct sockaddr *sa, unsigned v6_prefix, uint8_t key[16])
{
	const struct in6_addr *a6;

	memset(key, 0, 16);
	if (sa->sa_family == AF_INET) {
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return;
	}
	if (sa->sa_family != AF_INET6)
		return;
	a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	memcpy(key, a6, 16);
	if (IN6_IS_ADDR_V4MAPPED(a6) || v6_prefix == 0 || v6_prefix >= 128)
		return;
	key[v6_prefix / 8] &= (uint8_t)(0xff00u >> (v6_prefix % 8));
	memset(key + v6_prefix / 8 + 1, 0, 15 - v6_prefix / 8);
}

static size_t
bucket_of(const uint8_t key[16])
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */

	for (int i = 0; i < 16; i++)
		h = (h ^ key[i]) * 1099511628211ull;
	return (size_t)(h % BUCKETS);
}

bool
sbd_peers_acquire(struct sbd_peers *p, const struct sockaddr *sa, unsigned v6_prefix,
    unsigned limit)
{
	uint8_t key[16];
	struct peer *e;
	bool ok = true;

	key_of(sa, v6_prefix, key);
	size_t b = bucket_of(key);
	pthread_mutex_lock(&p->lock);
	for (e = p->buckets[b]; e != NULL; e = e->next)
		if (memcmp(e->addr, key, 16) == 0)
			break;
	if (e == NULL) {
		e = sb_xcalloc(1, sizeof *e);
		memcpy(e->addr, key, 16);
		e->next = p->buckets[b];
		p->buckets[b] = e;
	}
	if (limit > 0 && e->count >= limit)
		ok = false;
	else
		e->count++;
	pthread_mutex_unlock(&p->lock);
	return ok;
}

void
sbd_peers_release(struct sbd_peers *p, const struct sockaddr *sa, unsigned v6_prefix)
{
	uint8_t key[16];
	struct peer **pe;

	key_of(sa, v6_prefix, key);
	pthread_mutex_lock(&p->lock);
	for (pe = &p->buckets[bucket_of(key)]; *pe != NULL; pe = &(*pe)->next) {
		if (memcmp((*pe)->addr, key, 16) == 0) {
			if (--(*pe)->count == 0) {
				struct peer *e = *pe;

				*pe = e->next;
				free(e);
			}
			break;
		}
	}
	pthread_mutex_unlock(&p->lock);
}
