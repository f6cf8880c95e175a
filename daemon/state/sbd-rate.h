/* sbd-rate.h - token buckets on new upgrades, per client address and per identity
 *
 * A bucket holds up to burst tokens and gains per_s each second; an upgrade
 * takes one. The tables are bounded: a key that finds no room takes the slot
 * idle longest, whose bucket was full by then or nearly (a forgotten client
 * starts again with a full bucket, which is what it would have anyway).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "sb-auth.h"

/* The pure part: millitokens, so that rates below one per millisecond add up. */
struct sbd_bucket {
	uint64_t milli;     /* tokens * 1000 */
	uint64_t last_ms;   /* when milli was last brought up to date */
};

/*
 * Brings b up to now, then takes a token: true. False when there is none;
 * *retry_s is then the whole seconds until one will be (at least 1).
 * A zeroed bucket starts full.
 */
bool sbd_bucket_take(struct sbd_bucket *b, const struct sb_rate_bucket *conf, uint64_t now_ms,
    unsigned *retry_s);

struct sbd_rate_table;

struct sbd_rate_table *sbd_rate_table_new(void);
void sbd_rate_table_free(struct sbd_rate_table *t);
/* Any thread. key is any bytes (an address group, an identity). */
bool sbd_rate_table_take(struct sbd_rate_table *t, const void *key, size_t key_len,
    const struct sb_rate_bucket *conf, uint64_t now_ms, unsigned *retry_s);
/* The key of a client address: IPv4 whole, IPv6 by its first prefix bits. Returns its length. */
size_t sbd_rate_address_key(const struct sockaddr *sa, unsigned ipv6_prefix, uint8_t out[17]);
