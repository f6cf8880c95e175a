/* sbd-spread.h - which worker loop a new connection starts on */
#pragma once

#include <sys/socket.h>

struct sbd_ctx;
struct sbd_listener_conf;
struct sbd_loop;

/*
 * Loop thread (here: the loop that accepted fd). Starts the connection on
 * here, or hands it to the loop holding the fewest connections when here
 * holds more than one more than that one. Takes ownership of fd and of
 * lconf's reference.
 */
void sbd_spread_start(struct sbd_ctx *ctx, struct sbd_loop *here, struct sbd_listener_conf *lconf,
    int fd, const struct sockaddr *addr, socklen_t addrlen);
