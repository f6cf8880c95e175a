/* sbd-end.h - one side of a connection: a plain socket or a GnuTLS session over one */
#pragma once

#include <gnutls/gnutls.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "sb-buf.h"
#include "sbd-loop.h"

/* sbd_end_read/write/shutdown results besides byte counts. */
#define SBD_END_AGAIN (-1)
#define SBD_END_ERROR (-2)

struct sbd_end {
	int fd;
	gnutls_session_t tls;  /* NULL: plain */
	size_t tls_write_pending; /* length of a record send that returned AGAIN */
	bool tls_bye_sent;
	bool tls_established;  /* handshake done: a close sends close_notify */
	bool read_eof;         /* EOF (or close_notify) seen */
	bool write_shut;       /* our side shut for writing */
	bool hup;              /* the peer hung up: no longer watched, read until EOF */
	const char *error;     /* static text of the last SBD_END_ERROR */
	struct sb_buf preread; /* bytes read off the socket before TLS started: TLS reads them first */
	struct sbd_watch watch;
};

void sbd_end_init(struct sbd_end *e, int fd, gnutls_session_t tls);
bool sbd_end_is_open(const struct sbd_end *e);

/*
 * Starts TLS on a plain end (RFC 2817): session reads the bytes of preread
 * (moved in) before the socket's, for a ClientHello that came early.
 */
void sbd_end_start_tls(struct sbd_end *e, gnutls_session_t session, struct sb_buf *preread);

/* > 0 bytes, 0 EOF, SBD_END_AGAIN, SBD_END_ERROR. */
ssize_t sbd_end_read(struct sbd_end *e, void *buf, size_t n);
/* > 0 bytes, SBD_END_AGAIN, SBD_END_ERROR. For TLS, after AGAIN call again with the same n. */
ssize_t sbd_end_write(struct sbd_end *e, const void *buf, size_t n);
/* Half-close: close_notify then FIN for TLS, FIN for plain. 0, SBD_END_AGAIN or SBD_END_ERROR. */
int sbd_end_shutdown_write(struct sbd_end *e);
/* TLS records already decrypted and waiting: read again without waiting for epoll. */
bool sbd_end_has_pending(const struct sbd_end *e);
/* Removes the watch, sends close_notify when possible, closes the fd, frees the session. */
void sbd_end_close(struct sbd_end *e);
