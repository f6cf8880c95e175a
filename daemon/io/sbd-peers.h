/* sbd-peers.h - connections per client address, for limits.max_per_ip */
#pragma once

#include <stdbool.h>
#include <sys/socket.h>

struct sbd_peers;

struct sbd_peers *sbd_peers_new(void);
void sbd_peers_free(struct sbd_peers *peers);
/* Counts one more connection from sa's address; false (and nothing counted) past limit. */
bool sbd_peers_acquire(struct sbd_peers *peers, const struct sockaddr *sa, unsigned limit);
void sbd_peers_release(struct sbd_peers *peers, const struct sockaddr *sa);
