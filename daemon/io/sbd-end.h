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
	size_t tls_write_pending; /* bytes of a write that returned AGAIN: its records wait in out */
	bool tls_bye_sent;
	bool tls_established;  /* handshake done: a close sends close_notify */
	bool read_eof;         /* EOF (or close_notify) seen */
	bool write_shut;       /* our side shut for writing */
	bool hup;              /* the peer hung up: no longer watched, read until EOF */
	bool tls_transport;    /* our pull and push serve the session (set at its first use) */
	bool tls_batch;        /* records being encrypted go to out, not to the socket */
	bool no_recv;          /* reading on: the pull serves what it holds, without a recv */
	unsigned ready;        /* the epoll events last reported for this end, for its owner */
	int tls_deferred;      /* a record_recv result met after bytes were read: the next read's */
	const char *error;     /* static text of the last SBD_END_ERROR */
	struct sb_buf preread; /* bytes read off the socket before TLS started: TLS reads them first */
	/*
	 * TLS: bytes one recv read ahead of GnuTLS, so that it serves several
	 * records; ahead_at is where the unread ones start. Held only while it
	 * has bytes.
	 */
	char *ahead;
	unsigned ahead_at, ahead_len;
	unsigned mss;          /* the socket's TCP_MAXSEG as last asked; 0: not TCP */
	unsigned mss_age;      /* sbd_end_write_goal calls since it was asked (0: ask now) */
	struct sb_buf out;     /* TLS: records encrypted, not yet taken by the socket */
	struct sbd_watch watch;
};

void sbd_end_init(struct sbd_end *e, int fd, gnutls_session_t tls);
bool sbd_end_is_open(const struct sbd_end *e);

/*
 * Starts TLS on a plain end: session reads through the end's read-ahead, and
 * first the bytes of preread (moved in; NULL for none), for a ClientHello that
 * came before TLS started (RFC 2817).
 */
void sbd_end_start_tls(struct sbd_end *e, gnutls_session_t session, struct sb_buf *preread);
/*
 * TLS, before the handshake: the first byte the session will read (0 to 255),
 * left in place; one recv fills the read-ahead. SBD_END_AGAIN, or SBD_END_ERROR
 * at EOF (read_eof set) or on an error.
 */
int sbd_end_tls_first_byte(struct sbd_end *e);

/*
 * > 0 bytes, 0 EOF, SBD_END_AGAIN, SBD_END_ERROR. TLS reads on while records are at hand
 * without a syscall, so one call may return several records.
 */
ssize_t sbd_end_read(struct sbd_end *e, void *buf, size_t n);
/*
 * > 0 bytes, SBD_END_AGAIN, SBD_END_ERROR. For TLS, after AGAIN call again with the same n.
 * TLS encrypts up to 64 KiB of buf into records, as many bytes as fill whole TCP segments
 * (sbd_end_write_goal), and hands them to the socket in one send.
 */
ssize_t sbd_end_write(struct sbd_end *e, const void *buf, size_t n);
/*
 * At most most: the bytes to hand one sbd_end_write so that what reaches the wire
 * (records and all, for TLS) fills whole TCP segments of e's socket.
 */
size_t sbd_end_write_goal(struct sbd_end *e, size_t most);
/* Half-close: close_notify then FIN for TLS, FIN for plain. 0, SBD_END_AGAIN or SBD_END_ERROR. */
int sbd_end_shutdown_write(struct sbd_end *e);
/* TLS records already decrypted and waiting: read again without waiting for epoll. */
bool sbd_end_has_pending(const struct sbd_end *e);
/* Removes the watch, sends close_notify when possible, closes the fd, frees the session. */
void sbd_end_close(struct sbd_end *e);
