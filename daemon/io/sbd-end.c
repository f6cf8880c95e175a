/* sbd-end.c - read, write, half-close and close over a socket or a TLS session */
#include "sbd-end.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sb-alloc.h"
#include "sbd-tls.h"

#define TLS_RECORD_MAX 16384
/* What one recv asks for on a TLS end: several records, read ahead of GnuTLS. */
#define READ_AHEAD     65536
/* Plaintext encrypted per sbd_end_write, its records handed to the socket in one send. */
#define WRITE_BATCH    65536
/* sbd_end_write_goal asks the socket its MSS again after this many calls: it grows early on. */
#define MSS_REASK      256

void
sbd_end_init(struct sbd_end *e, int fd, gnutls_session_t tls)
{
	*e = (struct sbd_end){ .fd = fd, .tls = tls };
	e->watch.fd = -1;
}

/*
 * One block a thread keeps for the next read-ahead, so that a tunnel that
 * drains its block and reads again costs no malloc; an idle end holds none.
 * It is a thread-specific value so that it is freed when its thread ends.
 */
static pthread_key_t spare_key;
static pthread_once_t spare_once = PTHREAD_ONCE_INIT;

static void
spare_key_create(void)
{
	if (pthread_key_create(&spare_key, free) != 0)
		abort();
}

static char *
block_get(void)
{
	pthread_once(&spare_once, spare_key_create);
	char *b = pthread_getspecific(spare_key);

	if (b == NULL)
		return sb_xmalloc(READ_AHEAD);
	pthread_setspecific(spare_key, NULL);
	return b;
}

static void
block_put(char *b)
{
	pthread_once(&spare_once, spare_key_create);
	if (pthread_getspecific(spare_key) == NULL && pthread_setspecific(spare_key, b) == 0)
		return;
	free(b);
}

static void
ahead_release(struct sbd_end *e)
{
	if (e->ahead != NULL)
		block_put(e->ahead);
	e->ahead = NULL;
	e->ahead_at = e->ahead_len = 0;
}

/* One recv into the read-ahead; the block is let go of again when no bytes came. */
static ssize_t
ahead_fill(struct sbd_end *e)
{
	if (e->ahead == NULL)
		e->ahead = block_get();
	ssize_t r = recv(e->fd, e->ahead, READ_AHEAD, 0);
	if (r <= 0) {
		int err = errno;

		ahead_release(e);
		errno = err;
		return r;
	}
	e->ahead_at = 0;
	e->ahead_len = (unsigned)r;
	return r;
}

/*
 * GnuTLS asks for a record's header, then for its body: two recvs per record
 * with the plain socket functions. Here one recv reads up to READ_AHEAD and
 * the bytes serve the asks that follow. RFC 2817: the bytes read before TLS
 * started come first.
 */
static ssize_t
pull_ahead(gnutls_transport_ptr_t ptr, void *buf, size_t n)
{
	struct sbd_end *e = ptr;
	size_t take;

	if (e->preread.len > 0) {
		take = n < e->preread.len ? n : e->preread.len;
		memcpy(buf, sb_buf_head(&e->preread), take);
		sb_buf_consume(&e->preread, take);
		return (ssize_t)take;
	}
	if (e->ahead_len == 0) {
		if (e->no_recv) {
			gnutls_transport_set_errno(e->tls, EAGAIN);
			return -1;
		}
		ssize_t r = ahead_fill(e);
		if (r <= 0) {
			if (r < 0)
				gnutls_transport_set_errno(e->tls, errno);
			return r;
		}
	}
	take = n < e->ahead_len ? n : e->ahead_len;
	memcpy(buf, e->ahead + e->ahead_at, take);
	e->ahead_at += (unsigned)take;
	e->ahead_len -= (unsigned)take;
	if (e->ahead_len == 0)
		ahead_release(e);
	return (ssize_t)take;
}

/* The records of one sbd_end_write, on their way to one send. */
static _Thread_local struct {
	char data[WRITE_BATCH + 4096];
	size_t len;
} batch;

/*
 * Inside a write batch records are gathered for one send; while an earlier
 * batch is not all sent they queue in out, so that nothing overtakes it;
 * otherwise (the handshake, alerts, close_notify) they go to the socket.
 */
static ssize_t
push_batched(gnutls_transport_ptr_t ptr, const giovec_t *iov, int iovcnt)
{
	struct sbd_end *e = ptr;
	size_t n = 0;

	if (e->tls_batch || e->out.len > 0) {
		for (int i = 0; i < iovcnt; i++) {
			if (e->tls_batch && e->out.len == 0 &&
			    batch.len + iov[i].iov_len <= sizeof batch.data) {
				memcpy(batch.data + batch.len, iov[i].iov_base, iov[i].iov_len);
				batch.len += iov[i].iov_len;
			} else {
				sb_buf_append(&e->out, batch.data, batch.len);
				batch.len = 0;
				sb_buf_append(&e->out, iov[i].iov_base, iov[i].iov_len);
			}
			n += iov[i].iov_len;
		}
		return (ssize_t)n;
	}
	struct msghdr msg = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)iovcnt };
	ssize_t w = sendmsg(e->fd, &msg, MSG_NOSIGNAL);
	if (w < 0)
		gnutls_transport_set_errno(e->tls, errno);
	return w;
}

static void
use_own_transport(struct sbd_end *e)
{
	if (e->tls_transport)
		return;
	gnutls_transport_set_ptr(e->tls, e);
	gnutls_transport_set_pull_function(e->tls, pull_ahead);
	gnutls_transport_set_vec_push_function(e->tls, push_batched);
	e->tls_transport = true;
}

void
sbd_end_start_tls(struct sbd_end *e, gnutls_session_t session, struct sb_buf *preread)
{
	e->tls = session;
	e->tls_transport = false;
	if (preread != NULL)
		sb_buf_move(&e->preread, preread);
	use_own_transport(e);
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

int
sbd_end_tls_first_byte(struct sbd_end *e)
{
	if (e->preread.len > 0)
		return *(const unsigned char *)sb_buf_head(&e->preread);
	if (e->ahead_len == 0) {
		ssize_t r = ahead_fill(e);

		if (r == 0) {
			e->read_eof = true;
			return SBD_END_ERROR;
		}
		if (r < 0)
			return (int)plain_error(e);
	}
	return (unsigned char)e->ahead[e->ahead_at];
}

/* Bytes GnuTLS can have without a recv: read ahead, or decrypted and not yet taken. */
static bool
at_hand(const struct sbd_end *e)
{
	return e->preread.len > 0 || e->ahead_len > 0 || gnutls_record_check_pending(e->tls) > 0;
}

/* A record_recv result other than data: 0 at EOF, SBD_END_AGAIN or SBD_END_ERROR. */
static ssize_t
tls_status(struct sbd_end *e, ssize_t r)
{
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
sbd_end_read(struct sbd_end *e, void *buf, size_t n)
{
	if (e->tls == NULL) {
		ssize_t r = recv(e->fd, buf, n, 0);

		if (r == 0)
			e->read_eof = true;
		return r >= 0 ? r : plain_error(e);
	}

	use_own_transport(e);
	if (e->tls_deferred != 0) {
		ssize_t r = e->tls_deferred;

		e->tls_deferred = 0;
		return tls_status(e, r);
	}
	ssize_t r = gnutls_record_recv(e->tls, buf, n);
	if (r <= 0)
		return tls_status(e, r);

	/* More records already read ahead (or decrypted): take them too, without a recv. */
	size_t got = (size_t)r;
	e->no_recv = true;
	while (got < n && at_hand(e)) {
		r = gnutls_record_recv(e->tls, (char *)buf + got, n - got);
		if (r <= 0) {
			if (r != GNUTLS_E_AGAIN && r != GNUTLS_E_INTERRUPTED)
				/* EOF or an error, after these bytes: the next read's result */
				e->tls_deferred = r == 0 ? GNUTLS_E_PREMATURE_TERMINATION : (int)r;
			break;
		}
		got += (size_t)r;
	}
	e->no_recv = false;
	return (ssize_t)got;
}

/* Sends out: 0 when all went, SBD_END_AGAIN or SBD_END_ERROR. */
static int
flush_out(struct sbd_end *e)
{
	while (e->out.len > 0) {
		ssize_t w = send(e->fd, sb_buf_head(&e->out), e->out.len, MSG_NOSIGNAL);

		if (w < 0)
			return (int)plain_error(e);
		sb_buf_consume(&e->out, (size_t)w);
	}
	return 0;
}

/* Sends the batch; what the socket does not take now moves to out. */
static int
flush_batch(struct sbd_end *e)
{
	size_t off = 0;
	int rc = 0;

	if (e->out.len > 0) {
		sb_buf_append(&e->out, batch.data, batch.len);
		batch.len = 0;
		return flush_out(e);
	}
	while (off < batch.len) {
		ssize_t w = send(e->fd, batch.data + off, batch.len - off, MSG_NOSIGNAL);

		if (w < 0) {
			rc = (int)plain_error(e);
			break;
		}
		off += (size_t)w;
	}
	if (rc == SBD_END_AGAIN)
		sb_buf_append(&e->out, batch.data + off, batch.len - off);
	batch.len = 0;
	return rc;
}

ssize_t
sbd_end_write(struct sbd_end *e, const void *buf, size_t n)
{
	if (e->tls == NULL) {
		ssize_t w = send(e->fd, buf, n, MSG_NOSIGNAL);

		return w >= 0 ? w : plain_error(e);
	}

	use_own_transport(e);
	if (e->tls_write_pending > 0) {
		/* The records of the last call are made: they only have to reach the socket. */
		int rc = flush_out(e);

		if (rc < 0)
			return rc;
		size_t done = e->tls_write_pending;
		e->tls_write_pending = 0;
		return (ssize_t)done;
	}
	if (n == 0)
		return 0;
	n = sbd_end_write_goal(e, n < WRITE_BATCH ? n : WRITE_BATCH);

	size_t done = 0;
	ssize_t w = 0;
	e->tls_batch = true;
	while (done < n) {
		size_t len = n - done < TLS_RECORD_MAX ? n - done : TLS_RECORD_MAX;

		w = gnutls_record_send(e->tls, (const char *)buf + done, len);
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	e->tls_batch = false;
	int rc = flush_batch(e);
	if (done == 0) {
		/* Records are queued, never refused, inside a batch: this is no AGAIN. */
		e->error = gnutls_strerror((int)w);
		return SBD_END_ERROR;
	}
	if (rc == SBD_END_AGAIN) {
		e->tls_write_pending = done;
		return SBD_END_AGAIN;
	}
	return rc < 0 ? rc : (ssize_t)done;
}

/*
 * The kernel cuts a send into segments of up to 64 KiB, whole MSS each but the
 * last. A 64 KiB write of plaintext comes out as 64 KiB and 88 bytes of TLS
 * records, and on loopback (MSS 65,483) that was one full segment and one of
 * 141 bytes: a second segment, ACK and wake-up for a few bytes, on every write.
 * A write that fits whole segments costs both kernels half the packets.
 */
size_t
sbd_end_write_goal(struct sbd_end *e, size_t most)
{
	if (e->mss_age == 0) {
		int mss = 0;
		socklen_t len = sizeof mss;

		if (getsockopt(e->fd, IPPROTO_TCP, TCP_MAXSEG, &mss, &len) < 0 || mss <= 0)
			mss = 0;
		e->mss = (unsigned)mss;
	}
	if (++e->mss_age >= MSS_REASK)
		e->mss_age = 0;
	if (e->mss == 0)
		return most;

	size_t wire = WRITE_BATCH / e->mss * e->mss;
	if (wire == 0)
		wire = e->mss;
	if (e->tls != NULL) {
		size_t over = gnutls_record_overhead_size(e->tls);
		size_t record = gnutls_record_get_max_size(e->tls);
		size_t full = wire / (record + over);
		size_t rest = wire - full * (record + over);

		wire = full * record + (rest > over ? rest - over : 0);
	}
	return wire > 0 && wire < most ? wire : most;
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
	return e->tls != NULL && (at_hand(e) || e->tls_deferred != 0);
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
	ahead_release(e);
	sb_buf_free(&e->out);
	close(e->fd);
	e->fd = -1;
}
