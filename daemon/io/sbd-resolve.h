/* sbd-resolve.h - a host name to every address it stands for, blocking
 *
 * getaddrinfo may wait seconds on a slow resolver: call this where waiting
 * is fine (a worker thread, or while a policy is built), never on a loop
 * that carries connections.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "sb-addr.h"

struct sbd_resolved {
	struct sockaddr_storage addr;
	socklen_t len;
	char text[SB_ADDR_TEXT_MAX]; /* "10.0.0.5:5900", "[::1]:80" */
};

struct sbd_resolved_list {
	struct sbd_resolved *items;
	size_t n;
};

/*
 * Every stream address of host:port, each once, in the resolver's order.
 * 0, or getaddrinfo's code (for gai_strerror) with *out empty.
 */
int sbd_resolve(const char *host, uint16_t port, struct sbd_resolved_list *out);
void sbd_resolved_list_clear(struct sbd_resolved_list *list);
