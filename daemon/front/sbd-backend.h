/* sbd-backend.h - a backend connected without blocking, within a deadline */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct sbd_loop;
struct sbd_backend_connect;

/* fd connected (error 0), or -1 with the errno of the failure (ETIMEDOUT past the deadline). */
typedef void sbd_connected_fn(void *arg, int fd, int error);

/*
 * Loop thread: starts a non-blocking connect. When it ends at once (either
 * way) returns NULL with *fd and *error set and done is not called; otherwise
 * done runs on the loop once, from an fd event, tick or abort.
 */
struct sbd_backend_connect *sbd_backend_connect(struct sbd_loop *loop, const struct sockaddr *addr,
    socklen_t addrlen, uint64_t deadline_ms, sbd_connected_fn *done, void *arg, int *fd,
    int *error);
/* Fails it with ETIMEDOUT once the deadline passed. */
void sbd_backend_connect_tick(struct sbd_backend_connect *c, uint64_t now);
/* Fails it with ECONNABORTED. */
void sbd_backend_connect_abort(struct sbd_backend_connect *c);
/* After done ran. NULL ok. */
void sbd_backend_connect_free(struct sbd_backend_connect *c);
