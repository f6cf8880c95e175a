/* sbd-peers.h - connections per client address, for limits.max_per_ip */
#pragma once

#include <stdbool.h>
#include <sys/socket.h>

struct sbd_peers;

struct sbd_peers *sbd_peers_new(void);
void sbd_peers_free(struct sbd_peers *peers);
/*
 * Counts one more connection from sa's address; false (and nothing counted)
 * past limit (0: no limit). An IPv6 address counts by its first v6_prefix bits
 * (1..128; 0 means 128), so that one host's /64 is one client; a v4-mapped one
 * counts as its IPv4 address, whatever the prefix.
 */
bool sbd_peers_acquire(struct sbd_peers *peers, const struct sockaddr *sa, unsigned v6_prefix,
    unsigned limit);
/* Gives back what acquire counted: the same address and prefix. */
void sbd_peers_release(struct sbd_peers *peers, const struct sockaddr *sa, unsigned v6_prefix);
