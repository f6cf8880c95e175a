/* bench-client.c - tunnel benchmarks: echo throughput, idle tunnels, and an echo backend */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PATTERN_LEN (1u << 20)
#define CHUNK       (256u << 10)
#define WINDOW      (4u << 20)
#define IO_TIMEOUT_MS 20000

struct options {
	const char *host;
	int port;
	bool tls;
	bool raw; /* no upgrade: straight to an echo server, for a baseline */
	const char *sni;
	const char *path;
	const char *token;
	uint64_t bytes;
	unsigned idle;
	int echo_port;
};

struct tunnel {
	int fd;
	gnutls_session_t tls; /* NULL: plain */
};

static gnutls_certificate_credentials_t creds;
static unsigned char *pattern;

static void __attribute__((noreturn, format(printf, 1, 2)))
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

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
set_nonblocking(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

static int
tcp_connect(const char *host, int port)
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
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return fd;
}

static ssize_t
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

static ssize_t
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
static void
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

/* Sends the upgrade request and reads the answer head; anything past it is an error. */
static void
upgrade(struct tunnel *t, const struct options *o)
{
	char req[512], head[4096];
	size_t got = 0;
	int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: Upgrade\r\n"
	    "Upgrade: %s\r\n\r\n", o->path, o->sni ? o->sni : "localhost", o->token);

	send_all(t, req, (size_t)n);
	while (got < 4 || memcmp(head + got - 4, "\r\n\r\n", 4) != 0) {
		ssize_t r = t_recv(t, head + got, 1);

		if (r == -2)
			continue;
		if (r <= 0 || ++got == sizeof head - 1)
			die("no answer to the upgrade request");
	}
	head[got] = '\0';
	if (strncmp(head, "HTTP/1.1 101", 12) != 0)
		die("upgrade refused: %.*s", (int)strcspn(head, "\r"), head);
}

static struct tunnel
open_tunnel(const struct options *o)
{
	struct tunnel t = { .fd = tcp_connect(o->host, o->port) };
	int rc;

	if (o->tls) {
		gnutls_init(&t.tls, GNUTLS_CLIENT);
		gnutls_set_default_priority(t.tls);
		gnutls_credentials_set(t.tls, GNUTLS_CRD_CERTIFICATE, creds);
		if (o->sni)
			gnutls_server_name_set(t.tls, GNUTLS_NAME_DNS, o->sni, strlen(o->sni));
		gnutls_transport_set_int(t.tls, t.fd);
		gnutls_handshake_set_timeout(t.tls, GNUTLS_DEFAULT_HANDSHAKE_TIMEOUT);
		do {
			rc = gnutls_handshake(t.tls);
		} while (rc < 0 && !gnutls_error_is_fatal(rc));
		if (rc < 0)
			die("tls handshake: %s", gnutls_strerror(rc));
	}
	if (!o->raw)
		upgrade(&t, o);
	return t;
}

static void
close_tunnel(struct tunnel *t)
{
	if (t->tls != NULL) {
		gnutls_bye(t->tls, GNUTLS_SHUT_WR);
		gnutls_deinit(t->tls);
	}
	close(t->fd);
}

/*
 * Sends o->bytes of a pattern and reads the echo, checking every byte, full
 * duplex on one non-blocking socket with at most WINDOW bytes in flight.
 */
static void
run_echo(const struct options *o)
{
	struct tunnel t = open_tunnel(o);
	unsigned char *in = malloc(CHUNK);
	uint64_t sent = 0, recvd = 0;
	size_t pending = 0; /* a TLS send that returned AGAIN is retried with the same length */
	double start;

	if (in == NULL)
		die("out of memory");
	set_nonblocking(t.fd, true);
	start = now_s();
	while (recvd < o->bytes) {
		bool want_send = sent < o->bytes && (pending > 0 || sent - recvd < WINDOW);
		bool buffered = t.tls != NULL && gnutls_record_check_pending(t.tls) > 0;
		struct pollfd p = { .fd = t.fd, .events = POLLIN | (want_send ? POLLOUT : 0) };

		if (!buffered) {
			int rc = poll(&p, 1, IO_TIMEOUT_MS);

			if (rc == 0)
				die("stalled: %llu sent, %llu back", (unsigned long long)sent,
				    (unsigned long long)recvd);
			if (rc < 0 && errno != EINTR)
				die("poll: %s", strerror(errno));
		}
		if (buffered || (p.revents & (POLLIN | POLLHUP | POLLERR))) {
			ssize_t r = t_recv(&t, in, CHUNK);

			if (r == 0)
				die("EOF after %llu of %llu bytes", (unsigned long long)recvd,
				    (unsigned long long)o->bytes);
			if (r == -1)
				die("receive failed");
			for (ssize_t i = 0; i < r; ) {
				size_t off = (size_t)((recvd + (uint64_t)i) % PATTERN_LEN);
				size_t n = (size_t)r - (size_t)i;

				if (n > PATTERN_LEN - off)
					n = PATTERN_LEN - off;
				if (memcmp(in + i, pattern + off, n) != 0)
					die("corrupt echo near byte %llu", (unsigned long long)recvd);
				i += (ssize_t)n;
			}
			if (r > 0)
				recvd += (uint64_t)r;
		}
		if (want_send && (p.revents & POLLOUT)) {
			size_t off = (size_t)(sent % PATTERN_LEN);
			size_t n = pending;

			if (n == 0) {
				n = PATTERN_LEN - off;
				if (n > CHUNK)
					n = CHUNK;
				if (n > o->bytes - sent)
					n = (size_t)(o->bytes - sent);
			}
			ssize_t w = t_send(&t, pattern + off, n);
			if (w == -1)
				die("send failed");
			pending = w == -2 && t.tls != NULL ? n : 0;
			if (w > 0)
				sent += (uint64_t)w;
		}
	}
	double secs = now_s() - start;
	printf("%s echo %llu bytes in %.3f s: %.1f MB/s each way\n", o->tls ? "tls" : "plain",
	    (unsigned long long)o->bytes, secs, (double)o->bytes / secs / 1e6);
	set_nonblocking(t.fd, false);
	close_tunnel(&t);
	free(in);
}

/* Opens o->idle tunnels, says so, and keeps them until stdin closes. */
static void
run_idle(const struct options *o)
{
	struct tunnel *ts = calloc(o->idle, sizeof *ts);
	char c;

	if (ts == NULL)
		die("out of memory");
	for (unsigned i = 0; i < o->idle; i++)
		ts[i] = open_tunnel(o);
	printf("ready %u\n", o->idle);
	fflush(stdout);
	while (read(STDIN_FILENO, &c, 1) > 0)
		;
	for (unsigned i = 0; i < o->idle; i++)
		close_tunnel(&ts[i]);
	free(ts);
}

struct echo_conn {
	int fd;
	size_t off, len;
	bool eof;
	unsigned char buf[CHUNK];
};

static void
echo_close(int ep, struct echo_conn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c);
}

/* Reads what there is, writes it back; waits for POLLOUT while a remainder is left. */
static void
echo_io(int ep, struct echo_conn *c)
{
	for (int rounds = 0; rounds < 16; rounds++) {
		if (c->len > 0) {
			ssize_t w = send(c->fd, c->buf + c->off, c->len, MSG_NOSIGNAL);

			if (w < 0 && errno == EAGAIN)
				break;
			if (w < 0) {
				echo_close(ep, c);
				return;
			}
			c->off += (size_t)w;
			c->len -= (size_t)w;
			continue;
		}
		if (c->eof) {
			echo_close(ep, c);
			return;
		}
		ssize_t r = recv(c->fd, c->buf, sizeof c->buf, 0);
		if (r < 0 && errno == EAGAIN)
			break;
		if (r <= 0) {
			c->eof = true;
			continue;
		}
		c->off = 0;
		c->len = (size_t)r;
	}
	struct epoll_event ev = { .events = c->len > 0 ? EPOLLOUT : EPOLLIN, .data.ptr = c };
	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void
run_echo_server(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	int one = 1;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL }, evs[256];

	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(ls, (struct sockaddr *)&sin, sizeof sin) < 0 || listen(ls, 4096) < 0)
		die("echo server on port %d: %s", port, strerror(errno));
	epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
	printf("echo server on 127.0.0.1:%d\n", port);
	fflush(stdout);
	for (;;) {
		int n = epoll_wait(ep, evs, 256, -1);

		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr != NULL) {
				echo_io(ep, evs[i].data.ptr);
				continue;
			}
			for (int k = 0; k < 64; k++) {
				int fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
				struct echo_conn *c;

				if (fd < 0)
					break;
				c = calloc(1, sizeof *c);
				if (c == NULL)
					die("out of memory");
				c->fd = fd;
				setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
				struct epoll_event cev = { .events = EPOLLIN, .data.ptr = c };
				epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
			}
		}
	}
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: bench-client --port P [--host 127.0.0.1] [--tls] [--sni NAME] [--raw]\n"
	    "                    [--path /echo] [--token bench] (--bytes N | --idle N)\n"
	    "       bench-client --echo-server PORT\n");
	exit(1);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'p' },
		{ "tls", no_argument, NULL, 't' },
		{ "raw", no_argument, NULL, 'r' },
		{ "sni", required_argument, NULL, 's' },
		{ "path", required_argument, NULL, 'P' },
		{ "token", required_argument, NULL, 'T' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "idle", required_argument, NULL, 'i' },
		{ "echo-server", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	struct options o = { .host = "127.0.0.1", .path = "/echo", .token = "bench" };
	int ch;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'H':
			o.host = optarg;
			break;
		case 'p':
			o.port = atoi(optarg);
			break;
		case 't':
			o.tls = true;
			break;
		case 'r':
			o.raw = true;
			break;
		case 's':
			o.sni = optarg;
			break;
		case 'P':
			o.path = optarg;
			break;
		case 'T':
			o.token = optarg;
			break;
		case 'b':
			o.bytes = strtoull(optarg, NULL, 10);
			break;
		case 'i':
			o.idle = (unsigned)atoi(optarg);
			break;
		case 'e':
			o.echo_port = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (o.echo_port > 0) {
		run_echo_server(o.echo_port);
		return 0;
	}
	if (o.port <= 0 || (o.bytes == 0) == (o.idle == 0))
		usage();

	gnutls_global_init();
	gnutls_certificate_allocate_credentials(&creds); /* no CA: the benchmark does not verify */
	pattern = malloc(PATTERN_LEN);
	if (pattern == NULL)
		die("out of memory");
	for (size_t i = 0; i < PATTERN_LEN; i++)
		pattern[i] = (unsigned char)((i * 2654435761u) >> 13);
	if (o.idle > 0)
		run_idle(&o);
	else
		run_echo(&o);
	free(pattern);
	gnutls_certificate_free_credentials(creds);
	gnutls_global_deinit();
	return 0;
}
