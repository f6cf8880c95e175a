/*
 * test-end.c - sbd-end over TLS: the first byte, reads that gather records, batched writes
 * that fill whole TCP segments, EOF
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <gnutls/gnutls.h>
#include <linux/tcp.h> /* struct tcp_info with tcpi_data_segs_out */
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sb-errors.h"
#include "sbd-end.h"
#include "sbd-tls.h"

#define BIG (3u << 20)

static char *tmp_dir;
static gnutls_certificate_credentials_t server_cred;

/* The client side: a blocking GnuTLS session in a thread, following a script. */
enum script {
	SEND_RECORDS_THEN_BYE, /* 8 records of 1000 bytes and close_notify, all before reading */
	SEND_BIG_THEN_BYE,     /* BIG bytes of a pattern in records of assorted sizes */
	READ_BIG_LATE,         /* waits until told, then reads BIG bytes and checks them */
};

struct client {
	int fd;
	enum script script;
	GMutex lock;
	GCond cond;
	gboolean go;
	gboolean sent;         /* the script's sending is done */
	guint64 read;          /* bytes read and found right */
};

static unsigned char
pattern(guint64 i)
{
	return (unsigned char)((i * 2654435761u) >> 13);
}

static void
client_signal(struct client *c, gboolean *flag)
{
	g_mutex_lock(&c->lock);
	*flag = TRUE;
	g_cond_broadcast(&c->cond);
	g_mutex_unlock(&c->lock);
}

static void
client_wait(struct client *c, gboolean *flag)
{
	g_mutex_lock(&c->lock);
	while (!*flag)
		g_cond_wait(&c->cond, &c->lock);
	g_mutex_unlock(&c->lock);
}

static void
send_all(gnutls_session_t s, const unsigned char *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = gnutls_record_send(s, buf, n);

		if (w == GNUTLS_E_AGAIN || w == GNUTLS_E_INTERRUPTED)
			continue;
		g_assert_cmpint(w, >, 0);
		buf += w;
		n -= (size_t)w;
	}
}

static gpointer
client_run(gpointer user)
{
	struct client *c = user;
	gnutls_certificate_credentials_t cred;
	gnutls_session_t s;
	unsigned char *buf = g_malloc(BIG);
	int rc;

	g_assert_cmpint(gnutls_certificate_allocate_credentials(&cred), ==, 0);
	g_assert_cmpint(gnutls_init(&s, GNUTLS_CLIENT), ==, 0);
	g_assert_cmpint(gnutls_priority_set_direct(s, "NORMAL", NULL), ==, 0);
	g_assert_cmpint(gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred), ==, 0);
	gnutls_transport_set_int(s, c->fd);
	do {
		rc = gnutls_handshake(s);
	} while (rc < 0 && !gnutls_error_is_fatal(rc));
	g_assert_cmpint(rc, ==, 0);

	for (guint64 i = 0; i < BIG; i++)
		buf[i] = pattern(i);
	switch (c->script) {
	case SEND_RECORDS_THEN_BYE:
		for (int i = 0; i < 8; i++)
			send_all(s, buf + 1000 * i, 1000);
		g_assert_cmpint(gnutls_bye(s, GNUTLS_SHUT_WR), ==, 0);
		client_signal(c, &c->sent);
		break;
	case SEND_BIG_THEN_BYE:
		for (size_t off = 0, k = 0; off < BIG; k++) {
			size_t n = MIN((size_t)(1 + (k * 7919) % 20000), BIG - off);

			send_all(s, buf + off, n);
			off += n;
		}
		g_assert_cmpint(gnutls_bye(s, GNUTLS_SHUT_WR), ==, 0);
		client_signal(c, &c->sent);
		break;
	case READ_BIG_LATE:
		client_wait(c, &c->go);
		while (c->read < BIG) {
			ssize_t r = gnutls_record_recv(s, buf, BIG);

			if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
				continue;
			g_assert_cmpint(r, >, 0);
			for (ssize_t i = 0; i < r; i++)
				g_assert_cmpint(buf[i], ==, pattern(c->read + (guint64)i));
			c->read += (guint64)r;
		}
		break;
	}
	gnutls_deinit(s);
	gnutls_certificate_free_credentials(cred);
	g_free(buf);
	return NULL;
}

struct pair {
	int sv[2];
	struct sbd_end end;
	struct client client;
	GThread *thread;
};

static void
wait_fd(int fd, short events)
{
	struct pollfd p = { fd, events, 0 };

	g_assert_cmpint(poll(&p, 1, 10000), ==, 1);
}

/*
 * A connected pair of TCP sockets over loopback, as a socketpair would give;
 * with mss, both ends clamp their segments to it (Ethernet's 1448, say), so
 * that it stays put: loopback's grows with the window early on.
 */
static void
tcp_pair(int sv[2], int mss)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	g_assert_cmpint(l, >=, 0);
	if (mss > 0)
		g_assert_cmpint(setsockopt(l, IPPROTO_TCP, TCP_MAXSEG, &mss, sizeof mss), ==, 0);
	g_assert_cmpint(bind(l, (struct sockaddr *)&a, sizeof a), ==, 0);
	g_assert_cmpint(listen(l, 1), ==, 0);
	g_assert_cmpint(getsockname(l, (struct sockaddr *)&a, &len), ==, 0);
	sv[1] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (mss > 0)
		g_assert_cmpint(setsockopt(sv[1], IPPROTO_TCP, TCP_MAXSEG, &mss, sizeof mss), ==, 0);
	g_assert_cmpint(connect(sv[1], (struct sockaddr *)&a, sizeof a), ==, 0);
	sv[0] = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	g_assert_cmpint(sv[0], >=, 0);
	close(l);
}

/*
 * A server end over a socketpair (TCP over loopback with segments of tcp_mss
 * when that is not 0), its handshake done, and the client running script.
 */
static void
pair_start_on(struct pair *p, enum script script, int tcp_mss)
{
	gnutls_session_t s;
	int rc;

	memset(p, 0, sizeof *p);
	if (tcp_mss > 0)
		tcp_pair(p->sv, tcp_mss);
	else
		g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p->sv), ==, 0);
	g_assert_cmpint(fcntl(p->sv[0], F_SETFL, O_NONBLOCK), ==, 0);
	g_assert_cmpint(gnutls_init(&s, GNUTLS_SERVER | GNUTLS_NONBLOCK), ==, 0);
	g_assert_cmpint(gnutls_priority_set_direct(s, "NORMAL", NULL), ==, 0);
	g_assert_cmpint(gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, server_cred), ==, 0);
	/* As the front does: the first byte looked at, the handshake through the read-ahead. */
	sbd_end_init(&p->end, p->sv[0], NULL);
	sbd_end_start_tls(&p->end, s, NULL);
	p->client.fd = p->sv[1];
	p->client.script = script;
	g_mutex_init(&p->client.lock);
	g_cond_init(&p->client.cond);
	p->thread = g_thread_new("tls-client", client_run, &p->client);
	while ((rc = sbd_end_tls_first_byte(&p->end)) == SBD_END_AGAIN)
		wait_fd(p->sv[0], POLLIN);
	g_assert_cmpint(rc, ==, 0x16);
	while ((rc = gnutls_handshake(s)) == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED)
		wait_fd(p->sv[0], gnutls_record_get_direction(s) ? POLLOUT : POLLIN);
	g_assert_cmpint(rc, ==, 0);
	p->end.tls_established = true;
}

static void
pair_start(struct pair *p, enum script script)
{
	pair_start_on(p, script, 0);
}

/* An end with a session of its own, before the handshake, over a fresh socketpair. */
static void
fresh_end(struct sbd_end *e, int sv[2])
{
	gnutls_session_t s;

	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), ==, 0);
	g_assert_cmpint(fcntl(sv[0], F_SETFL, O_NONBLOCK), ==, 0);
	g_assert_cmpint(gnutls_init(&s, GNUTLS_SERVER | GNUTLS_NONBLOCK), ==, 0);
	sbd_end_init(e, sv[0], NULL);
	sbd_end_start_tls(e, s, NULL);
}

/*
 * The first byte: AGAIN while none came (no block held), then the byte, left
 * in place for the handshake; EOF before any byte is an error with read_eof.
 */
static void
test_first_byte(void)
{
	struct sbd_end e;
	int sv[2];

	fresh_end(&e, sv);
	g_assert_cmpint(sbd_end_tls_first_byte(&e), ==, SBD_END_AGAIN);
	g_assert_null(e.ahead);
	g_assert_cmpint(write(sv[1], "\x16\x03\x01", 3), ==, 3);
	g_assert_cmpint(sbd_end_tls_first_byte(&e), ==, 0x16);
	g_assert_cmpint(sbd_end_tls_first_byte(&e), ==, 0x16);
	g_assert_cmpuint(e.ahead_len, ==, 3);
	g_assert_true(sbd_end_has_pending(&e));
	sbd_end_close(&e);
	close(sv[1]);

	fresh_end(&e, sv);
	close(sv[1]);
	g_assert_cmpint(sbd_end_tls_first_byte(&e), ==, SBD_END_ERROR);
	g_assert_true(e.read_eof);
	g_assert_null(e.ahead);
	sbd_end_close(&e);
}

static void
pair_finish(struct pair *p)
{
	g_thread_join(p->thread);
	sbd_end_close(&p->end); /* closes sv[0] and frees the session */
	close(p->sv[1]);
	g_mutex_clear(&p->client.lock);
	g_cond_clear(&p->client.cond);
}

/* A READ_BIG_LATE client that has everything: it read BIG bytes, all right. */
static void
client_read_all(struct pair *p)
{
	pair_finish(p);
	g_assert_cmpuint(p->client.read, ==, BIG);
}

/* Reads everything up to EOF into out; returns the reads that returned bytes. */
static unsigned
read_to_eof(struct sbd_end *e, unsigned char *out, size_t cap, size_t *got)
{
	unsigned reads = 0;

	*got = 0;
	for (;;) {
		ssize_t r = sbd_end_read(e, out + *got, MIN(cap - *got, 65536));

		if (r == SBD_END_AGAIN) {
			if (!sbd_end_has_pending(e))
				wait_fd(e->fd, POLLIN);
			continue;
		}
		if (r < 0)
			g_error("read: %s", e->error);
		if (r == 0)
			return reads;
		*got += (size_t)r;
		reads++;
	}
}

/* Records that wait together come back from one read, and EOF is kept for the next. */
static void
test_read_gathers_records(void)
{
	struct pair p;
	unsigned char buf[16384];
	size_t got;

	/* (room for more than was sent, so that the read that finds EOF asks for bytes) */
	pair_start(&p, SEND_RECORDS_THEN_BYE);
	client_wait(&p.client, &p.client.sent);
	g_assert_cmpuint(read_to_eof(&p.end, buf, sizeof buf, &got), ==, 1);
	g_assert_cmpuint(got, ==, 8000);
	for (size_t i = 0; i < got; i++)
		g_assert_cmpint(buf[i], ==, pattern(i));
	g_assert_true(p.end.read_eof);
	g_assert_cmpint(sbd_end_read(&p.end, buf, sizeof buf), ==, 0);
	pair_finish(&p);
}

/* Records of every size, read as they come: every byte, in order, then EOF. */
static void
test_read_exact(void)
{
	struct pair p;
	unsigned char *buf = g_malloc(BIG + 1);
	size_t got;

	pair_start(&p, SEND_BIG_THEN_BYE);
	read_to_eof(&p.end, buf, BIG + 1, &got);
	g_assert_cmpuint(got, ==, BIG);
	for (size_t i = 0; i < got; i++)
		if (buf[i] != pattern(i))
			g_assert_cmpuint(i, ==, got);
	g_assert_false(sbd_end_has_pending(&p.end));
	pair_finish(&p);
	g_free(buf);
}

/*
 * A peer that does not read: writes end in AGAIN with the length to repeat,
 * the repeat returns it once the socket takes the rest, and nothing is lost.
 */
static void
test_write_again_then_exact(void)
{
	struct pair p;
	unsigned char *buf = g_malloc(BIG);
	size_t sent = 0;
	gboolean blocked = FALSE;

	for (guint64 i = 0; i < BIG; i++)
		buf[i] = pattern(i);
	pair_start(&p, READ_BIG_LATE);
	while (sent < BIG) {
		ssize_t w = sbd_end_write(&p.end, buf + sent, BIG - sent);

		if (w == SBD_END_AGAIN) {
			g_assert_cmpuint(p.end.tls_write_pending, >, 0);
			g_assert_cmpuint(p.end.tls_write_pending, <=, BIG - sent);
			if (!blocked) {
				blocked = TRUE;
				client_signal(&p.client, &p.client.go);
			}
			wait_fd(p.end.fd, POLLOUT);
			continue;
		}
		g_assert_cmpint(w, >, 0);
		g_assert_cmpint(w, <=, 65536);
		g_assert_cmpuint(p.end.tls_write_pending, ==, 0);
		sent += (size_t)w;
	}
	g_assert_true(blocked);
	g_assert_cmpuint(p.end.out.len, ==, 0);
	client_read_all(&p);
	g_free(buf);
}

static unsigned
tcp_mss(int fd)
{
	int mss = 0;
	socklen_t len = sizeof mss;

	g_assert_cmpint(getsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &mss, &len), ==, 0);
	g_assert_cmpint(mss, >, 0);
	return (unsigned)mss;
}

/* Data segments fd has sent so far, once everything written is sent and acknowledged. */
static guint32
segments_out(int fd)
{
	struct tcp_info ti;

	for (int i = 0; i < 1000; i++) {
		socklen_t len = sizeof ti;

		g_assert_cmpint(getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len), ==, 0);
		if (ti.tcpi_notsent_bytes == 0 && ti.tcpi_unacked == 0)
			return ti.tcpi_data_segs_out;
		g_usleep(10000);
	}
	g_error("the socket never sent all it was given");
}

/* The bytes of records that carry n bytes of plaintext. */
static size_t
wire_size(gnutls_session_t s, size_t n)
{
	size_t record = gnutls_record_get_max_size(s);

	return n + (n + record - 1) / record * gnutls_record_overhead_size(s);
}

/*
 * A 64 KiB write to a TLS end over TCP takes what makes whole segments: 64 KiB
 * of plaintext is 65,624 bytes of records, which on loopback (MSS 65,483) was
 * one full segment and one of 141 bytes, and with segments clamped as on
 * Ethernet (MSS 1,436 with timestamps) 45 full ones and one of 1,004. A plain TCP end's goal is whole segments too; an end that is
 * not TCP has no goal.
 */
static void
test_write_fills_segments(void)
{
	struct pair p;
	unsigned char *buf = g_malloc(BIG);
	size_t sent = 0;

	for (guint64 i = 0; i < BIG; i++)
		buf[i] = pattern(i);
	pair_start_on(&p, READ_BIG_LATE, 1448);
	client_signal(&p.client, &p.client.go);
	for (int k = 0; k < 2; k++) {
		unsigned mss = tcp_mss(p.sv[0]);
		size_t whole = 65536 / mss * mss;
		guint32 before = segments_out(p.sv[0]);
		ssize_t w;

		g_assert_cmpuint(whole, >, 0);
		while ((w = sbd_end_write(&p.end, buf + sent, 65536)) == SBD_END_AGAIN)
			wait_fd(p.end.fd, POLLOUT);
		g_assert_cmpint(w, >, 0);
		g_assert_cmpuint(wire_size(p.end.tls, (size_t)w), <=, whole);
		g_assert_cmpuint(wire_size(p.end.tls, (size_t)w), >, whole - mss);
		g_assert_cmpuint(segments_out(p.sv[0]) - before, ==, whole / mss);
		sent += (size_t)w;
	}
	while (sent < BIG) {
		ssize_t w = sbd_end_write(&p.end, buf + sent, BIG - sent);

		if (w == SBD_END_AGAIN)
			wait_fd(p.end.fd, POLLOUT);
		else {
			g_assert_cmpint(w, >, 0);
			sent += (size_t)w;
		}
	}
	client_read_all(&p);
	g_free(buf);

	struct sbd_end e;
	int sv[2];
	tcp_pair(sv, 0);
	sbd_end_init(&e, sv[0], NULL);
	unsigned mss = tcp_mss(sv[0]);
	g_assert_cmpuint(sbd_end_write_goal(&e, 65536), ==, 65536 / mss * mss);
	g_assert_cmpuint(sbd_end_write_goal(&e, 1000), ==, MIN(1000, 65536 / mss * mss));
	sbd_end_close(&e);
	close(sv[1]);
	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), ==, 0);
	sbd_end_init(&e, sv[0], NULL);
	g_assert_cmpuint(sbd_end_write_goal(&e, 65536), ==, 65536);
	sbd_end_close(&e);
	close(sv[1]);
}

int
main(int argc, char **argv)
{
	g_autofree char *cert = NULL, *key = NULL;
	struct sb_errors errs = SB_ERRORS_INIT;
	int rc;

	g_test_init(&argc, &argv, NULL);
	tmp_dir = g_dir_make_tmp("test-end-XXXXXX", NULL);
	g_assert_nonnull(tmp_dir);
	cert = g_build_filename(tmp_dir, "cert.pem", NULL);
	key = g_build_filename(tmp_dir, "key.pem", NULL);
	g_assert_cmpint(gnutls_global_init(), ==, 0);
	g_assert_cmpint(sbd_tls_generate_self_signed(cert, key, "localhost", &errs), ==, 0);
	sb_errors_clear(&errs);
	g_assert_cmpint(gnutls_certificate_allocate_credentials(&server_cred), ==, 0);
	g_assert_cmpint(gnutls_certificate_set_x509_key_file2(server_cred, cert, key,
	    GNUTLS_X509_FMT_PEM, NULL, 0), >=, 0);

	g_test_add_func("/end/first-byte", test_first_byte);
	g_test_add_func("/end/read-gathers-records", test_read_gathers_records);
	g_test_add_func("/end/read-exact", test_read_exact);
	g_test_add_func("/end/write-again-then-exact", test_write_again_then_exact);
	g_test_add_func("/end/write-fills-segments", test_write_fills_segments);
	rc = g_test_run();

	gnutls_certificate_free_credentials(server_cred);
	g_unlink(cert);
	g_unlink(key);
	g_rmdir(tmp_dir);
	g_free(tmp_dir);
	return rc;
}
