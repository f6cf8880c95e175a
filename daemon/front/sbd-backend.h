/* sbd-backend.h - a backend connected without blocking, within a deadline, TLS included */
#pragma once

#include <gnutls/gnutls.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct sbd_loop;
struct sbd_backend_connect;
struct sbd_tls_client;

/* What a connect came to. The receiver takes fd and tls (and sets them to -1 and NULL). */
struct sbd_backend_link {
	int fd;               /* connected (and, for TLS, the handshake done), or -1 */
	gnutls_session_t tls; /* the client session over fd, or NULL for plain */
	int error;            /* the failure's errno: ETIMEDOUT past the deadline, EPROTO for TLS */
	char why[192];        /* the failure in words: "Connection refused", "TLS: ..." */
};

typedef void sbd_connected_fn(void *arg, struct sbd_backend_link *link);

/*
 * Loop thread: starts a non-blocking connect and, with tls, the client
 * handshake on it (host: the server's host, for SNI and the name check; NULL
 * for a UNIX socket), all within deadline_ms. When it ends at once (either
 * way) returns NULL with *now filled and done is not called; otherwise done
 * runs on the loop once, from an fd event, tick or abort.
 */
struct sbd_backend_connect *sbd_backend_connect(struct sbd_loop *loop, const struct sockaddr *addr,
    socklen_t addrlen, uint64_t deadline_ms, struct sbd_tls_client *tls, const char *host,
    sbd_connected_fn *done, void *arg, struct sbd_backend_link *now);
/* Fails it with ETIMEDOUT once the deadline passed. */
void sbd_backend_connect_tick(struct sbd_backend_connect *c, uint64_t now);
/* Fails it with ECONNABORTED. */
void sbd_backend_connect_abort(struct sbd_backend_connect *c);
/* After done ran; closes what the receiver did not take. NULL ok. */
void sbd_backend_connect_free(struct sbd_backend_connect *c);
/* Closes what a link still holds. */
void sbd_backend_link_close(struct sbd_backend_link *link);
