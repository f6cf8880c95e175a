/* sbd-end.c - read, write, half-close and close over a socket or a TLS session */
#include "sbd-end.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sbd-tls.h"

/* One TLS record at most per send, so that a retry after AGAIN is cheap. */
#define TLS_RECORD_MAX 16384

void
sbd_end_init(struct sbd_end *e, int fd, gnutls_session_t tls)
{
	*e = (struct sbd_end){ .fd = fd, .tls = tls };
	e->watch.fd = -1;
}

static ssize_t
pull_preread(gnutls_transport_ptr_t ptr, void *buf, size_t n)
{
	struct sbd_end *e = ptr;
	ssize_t r;

	if (e->preread.len > 0) {
		size_t take = n < e->preread.len ? n : e->preread.len;

		memcpy(buf, sb_buf_head(&e->preread), take);
		sb_buf_consume(&e->preread, take);
		return (ssize_t)take;
	}
	r = recv(e->fd, buf, n, 0);
	if (r < 0)
		gnutls_transport_set_errno(e->tls, errno);
	return r;
}

static ssize_t
push_socket(gnutls_transport_ptr_t ptr, const void *buf, size_t n)
{
	struct sbd_end *e = ptr;
	ssize_t w = send(e->fd, buf, n, MSG_NOSIGNAL);

	if (w < 0)
		gnutls_transport_set_errno(e->tls, errno);
	return w;
}

void
sbd_end_start_tls(struct sbd_end *e, gnutls_session_t session, struct sb_buf *preread)
{
	e->tls = session;
	sb_buf_move(&e->preread, preread);
	gnutls_transport_set_ptr(session, e);
	gnutls_transport_set_pull_function(session, pull_preread);
	gnutls_transport_set_push_function(session, push_socket);
}

bool
sbd_end_is_open(const struct sbd_end *e)
{
	return e->fd >= 0;
}

static ssize_t
plain_error(struct sbd_end *e)
{
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return SBD_END_AGAIN;
	e->error = errno == ECONNRESET ? "connection reset" :
	    errno == EPIPE ? "broken pipe" :
	    errno == ETIMEDOUT ? "timed out" : "socket error";
	return SBD_END_ERROR;
}

ssize_t
sbd_end_read(struct sbd_end *e, void *buf, size_t n)
{
	if (e->tls == NULL) {
		ssize_t r = recv(e->fd, buf, n, 0);

		if (r == 0)
			e->read_eof = true;
		return r >= 0 ? r : plain_error(e);
	}

	ssize_t r = gnutls_record_recv(e->tls, buf, n);
	if (r > 0)
		return r;
	if (r == 0 || r == GNUTLS_E_PREMATURE_TERMINATION) {
		/* A TCP close without close_notify ends the stream just the same. */
		e->read_eof = true;
		return 0;
	}
	if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
		return SBD_END_AGAIN;
	e->error = gnutls_strerror((int)r);
	return SBD_END_ERROR;
}

ssize_t
sbd_end_write(struct sbd_end *e, const void *buf, size_t n)
{
	if (e->tls == NULL) {
		ssize_t w = send(e->fd, buf, n, MSG_NOSIGNAL);

		return w >= 0 ? w : plain_error(e);
	}

	if (e->tls_write_pending > 0)
		n = e->tls_write_pending;
	else if (n > TLS_RECORD_MAX)
		n = TLS_RECORD_MAX;
	ssize_t w = gnutls_record_send(e->tls, buf, n);
	if (w >= 0) {
		e->tls_write_pending = 0;
		return w;
	}
	if (w == GNUTLS_E_AGAIN || w == GNUTLS_E_INTERRUPTED) {
		e->tls_write_pending = n;
		return SBD_END_AGAIN;
	}
	e->error = gnutls_strerror((int)w);
	return SBD_END_ERROR;
}

int
sbd_end_shutdown_write(struct sbd_end *e)
{
	if (e->write_shut)
		return 0;
	if (e->tls != NULL && !e->tls_bye_sent) {
		int rc = gnutls_bye(e->tls, GNUTLS_SHUT_WR);

		if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED)
			return SBD_END_AGAIN;
		if (rc < 0) {
			e->error = gnutls_strerror(rc);
			return SBD_END_ERROR;
		}
		e->tls_bye_sent = true;
	}
	if (shutdown(e->fd, SHUT_WR) < 0 && errno != ENOTCONN) {
		e->error = "shutdown failed";
		return SBD_END_ERROR;
	}
	e->write_shut = true;
	return 0;
}

bool
sbd_end_has_pending(const struct sbd_end *e)
{
	return e->tls != NULL && gnutls_record_check_pending(e->tls) > 0;
}

void
sbd_end_close(struct sbd_end *e)
{
	if (e->fd < 0)
		return;
	sbd_loop_watch_del(&e->watch);
	if (e->tls != NULL) {
		/* Best effort: a peer that still listens learns the close was deliberate. */
		if (e->tls_established && !e->tls_bye_sent && e->tls_write_pending == 0)
			gnutls_bye(e->tls, GNUTLS_SHUT_WR);
		sbd_tls_session_free(e->tls);
		e->tls = NULL;
	}
	sb_buf_free(&e->preread);
	close(e->fd);
	e->fd = -1;
}
