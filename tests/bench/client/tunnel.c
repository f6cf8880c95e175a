/* tunnel.c - one connection through the proxy: connect, TLS, the upgrade, send and receive */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench-client.h"

void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("bench-client: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

void
raise_fd_limit(unsigned long want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want) {
		struct rlimit more = { .rlim_cur = want, .rlim_max = want };

		if (setrlimit(RLIMIT_NOFILE, &more) == 0)
			return;
	}
	if (rl.rlim_cur < rl.rlim_max && rl.rlim_max != RLIM_INFINITY) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
set_nonblocking(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

static int
tcp_connect(const char *host, int port, bool nagle)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;

	if (fd < 0)
		die("socket: %s", strerror(errno));
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
		die("%s: not an IPv4 address", host);
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) < 0)
		die("connect %s:%d: %s", host, port, strerror(errno));
	if (!nagle)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return fd;
}

ssize_t
t_send(struct tunnel *t, const void *buf, size_t n)
{
	if (t->tls == NULL) {
		ssize_t w = send(t->fd, buf, n, MSG_NOSIGNAL);

		return w < 0 && (errno == EAGAIN || errno == EINTR) ? -2 : w;
	}
	ssize_t w = gnutls_record_send(t->tls, buf, n);
	if (w == GNUTLS_E_AGAIN || w == GNUTLS_E_INTERRUPTED)
		return -2;
	return w < 0 ? -1 : w;
}

ssize_t
t_recv(struct tunnel *t, void *buf, size_t n)
{
	if (t->tls == NULL) {
		ssize_t r = recv(t->fd, buf, n, 0);

		return r < 0 && (errno == EAGAIN || errno == EINTR) ? -2 : r;
	}
	ssize_t r = gnutls_record_recv(t->tls, buf, n);
	if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
		return -2;
	if (r == GNUTLS_E_PREMATURE_TERMINATION)
		return 0;
	return r < 0 ? -1 : r;
}

/* Blocking helpers for the handshake phase. */
void
send_all(struct tunnel *t, const char *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = t_send(t, buf, n);

		if (w == -2)
			continue;
		if (w <= 0)
			die("send failed");
		buf += w;
		n -= (size_t)w;
	}
}

/* Reads one head up to its blank line, byte by byte: nothing after it is taken. */
static void
read_head(struct tunnel *t, char *head, size_t cap, const char *what)
{
	size_t got = 0;

	while (got < 4 || memcmp(head + got - 4, "\r\n\r\n", 4) != 0) {
		ssize_t r = t_recv(t, head + got, 1);

		if (r == -2)
			continue;
		if (r <= 0 || ++got == cap - 1)
			die("no %s", what);
	}
	head[got] = '\0';
}

/* Sends the upgrade request and reads the answer head; anything past it is an error. */
static void
upgrade(struct tunnel *t, const struct options *o)
{
	char req[512], head[4096];
	const char *host = o->sni ? o->sni : "localhost";
	int n;

	if (o->starttls)
		n = snprintf(req, sizeof req, "OPTIONS * HTTP/1.1\r\nHost: %s\r\n"
		    "Connection: Upgrade\r\nUpgrade: TLS/1.0\r\n\r\n", host);
	else
		n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s\r\n"
		    "Connection: Upgrade\r\nUpgrade: %s\r\n%s\r\n", o->path, host,
		    o->ws ? "websocket" : o->token, o->ws ? "Sec-WebSocket-Key: "
		    "dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" : "");
	send_all(t, req, (size_t)n);
	read_head(t, head, sizeof head, "answer to the upgrade request");
	if (strncmp(head, "HTTP/1.1 101", 12) != 0)
		die("upgrade refused: %.*s", (int)strcspn(head, "\r"), head);
}

static void
start_tls(struct tunnel *t, const struct options *o)
{
	int rc;

	gnutls_init(&t->tls, GNUTLS_CLIENT);
	if (o->priority == NULL)
		gnutls_set_default_priority(t->tls);
	else if (gnutls_priority_set_direct(t->tls, o->priority, NULL) < 0)
		die("bad priority %s", o->priority);
	gnutls_credentials_set(t->tls, GNUTLS_CRD_CERTIFICATE, creds);
	if (o->sni)
		gnutls_server_name_set(t->tls, GNUTLS_NAME_DNS, o->sni, strlen(o->sni));
	gnutls_transport_set_int(t->tls, t->fd);
	gnutls_handshake_set_timeout(t->tls, GNUTLS_DEFAULT_HANDSHAKE_TIMEOUT);
	do {
		rc = gnutls_handshake(t->tls);
	} while (rc < 0 && !gnutls_error_is_fatal(rc));
	if (rc < 0)
		die("tls handshake: %s", gnutls_strerror(rc));
	t->handshake_done = now_s();
}

/*
 * TLS then the upgrade; or, --starttls (RFC 2817), the upgrade in plain, TLS on
 * the same socket, and inside it the answer to the request (the head the
 * backend sends: an echo backend sends the replayed request back).
 */
struct tunnel
open_tunnel(const struct options *o)
{
	struct tunnel t = { .fd = tcp_connect(o->host, o->port, o->nagle) };

	if (o->starttls) {
		char head[4096];

		upgrade(&t, o);
		start_tls(&t, o);
		read_head(&t, head, sizeof head, "answer inside TLS to the upgraded request");
		return t;
	}
	if (o->tls)
		start_tls(&t, o);
	if (!o->raw)
		upgrade(&t, o);
	return t;
}

void
close_tunnel(struct tunnel *t)
{
	if (t->tls != NULL) {
		gnutls_bye(t->tls, GNUTLS_SHUT_WR);
		gnutls_deinit(t->tls);
	}
	close(t->fd);
}
