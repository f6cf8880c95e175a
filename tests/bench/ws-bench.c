/* ws-bench.c - a fast WebSocket / upgrade-tunnel load client and TCP backend for benchmarks
 *
 *   ws-bench serve PORT sink|source|echo [SOURCE_BYTES]
 *	a TCP backend on 127.0.0.1:PORT, one thread per connection. sink: reads to EOF
 *	and after every MiB (and at EOF) writes the total so far as 8 bytes, big-endian;
 *	source: writes SOURCE_BYTES, then closes; echo: echoes.
 *   ws-bench run PORT PATH KIND DIR BYTES [MSG_BYTES]
 *	one connection to 127.0.0.1:PORT. KIND: ws, wss (RFC 6455, client frames of
 *	MSG_BYTES, default 16384), tunnel, tunnel-tls (Upgrade: sb-bench, raw bytes),
 *	raw (no handshake: straight to a backend, for the baseline; PATH is ignored).
 *	DIR: up (BYTES to a sink, done when its count says so), down (BYTES from a
 *	source), echo (BYTES out and back). Prints "BYTES SECONDS MB/s", timed from the
 *	end of the handshake.
 *
 * Every frame is masked with one fixed key computed once, so the client spends its time
 * on I/O and the proxy's work is what is measured; a real client would pick a new key
 * per frame. TLS certificates are not checked: this talks to loopback only.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define IO_CHUNK   (256 * 1024)
#define ACK_EVERY  (1024 * 1024)
#define BATCH      16 /* frames per write */

enum kind { KIND_WS, KIND_WSS, KIND_TUNNEL, KIND_TUNNEL_TLS, KIND_RAW };
enum dir { DIR_UP, DIR_DOWN, DIR_ECHO };

struct conn {
	int fd;
	gnutls_session_t tls; /* NULL: plain */
	bool ws;
};

static void
die(const char *what)
{
	fprintf(stderr, "ws-bench: %s: %s\n", what, errno ? strerror(errno) : "failed");
	exit(2);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static ssize_t
conn_read(struct conn *c, void *buf, size_t n)
{
	if (c->tls == NULL)
		return read(c->fd, buf, n);
	for (;;) {
		ssize_t r = gnutls_record_recv(c->tls, buf, n);

		if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
			continue;
		if (r == GNUTLS_E_PREMATURE_TERMINATION)
			return 0;
		return r < 0 ? -1 : r;
	}
}

static void
conn_write_all(struct conn *c, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	while (n > 0) {
		ssize_t w = c->tls == NULL ? write(c->fd, p, n) :
		    gnutls_record_send(c->tls, p, n);

		if (c->tls != NULL && (w == GNUTLS_E_AGAIN || w == GNUTLS_E_INTERRUPTED))
			continue;
		if (w < 0 && c->tls == NULL && errno == EINTR)
			continue;
		if (w <= 0)
			die("write");
		p += w;
		n -= (size_t)w;
	}
}

static int
tcp_connect(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		die("connect");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return fd;
}

static void
tls_start(struct conn *c)
{
	gnutls_certificate_credentials_t cred;
	int rc;

	if (gnutls_certificate_allocate_credentials(&cred) < 0 ||
	    gnutls_init(&c->tls, GNUTLS_CLIENT) < 0 ||
	    gnutls_set_default_priority(c->tls) < 0 ||
	    gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE, cred) < 0 ||
	    gnutls_server_name_set(c->tls, GNUTLS_NAME_DNS, "localhost", 9) < 0)
		die("gnutls setup");
	gnutls_transport_set_int(c->tls, c->fd);
	do
		rc = gnutls_handshake(c->tls);
	while (rc < 0 && !gnutls_error_is_fatal(rc));
	if (rc < 0) {
		fprintf(stderr, "ws-bench: TLS handshake: %s\n", gnutls_strerror(rc));
		exit(2);
	}
}

/* Sends the upgrade request and reads the answer's head; exits unless it is a 101. */
static void
upgrade(struct conn *c, const char *path)
{
	char req[512], head[4096];
	size_t got = 0;

	if (c->ws)
		snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: localhost\r\n"
		    "Connection: Upgrade\r\nUpgrade: websocket\r\n"
		    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
		    "Sec-WebSocket-Version: 13\r\n\r\n", path);
	else
		snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: localhost\r\n"
		    "Connection: Upgrade\r\nUpgrade: sb-bench\r\n\r\n", path);
	conn_write_all(c, req, strlen(req));
	/* byte by byte, so nothing past the head is read here */
	while (got < sizeof head - 1) {
		if (conn_read(c, head + got, 1) != 1)
			die("reading the upgrade answer");
		got++;
		if (got >= 4 && memcmp(head + got - 4, "\r\n\r\n", 4) == 0)
			break;
	}
	head[got] = '\0';
	if (strncmp(head, "HTTP/1.1 101", 12) != 0) {
		fprintf(stderr, "ws-bench: upgrade refused:\n%s\n", head);
		exit(2);
	}
}

/* ---- The reading side: payload bytes counted, the last 8 kept (a sink's count) ---- */

struct reader {
	struct conn *c;
	uint64_t want;        /* stop after this many payload bytes; 0: at the first count >= ack */
	uint64_t ack_target;  /* up: stop when the sink's count reaches this */
	uint64_t payload;     /* payload bytes seen */
	uint8_t last8[8];
	double done_at;
	/* frame parsing (ws) */
	uint8_t hdr[14];
	size_t hdr_len;
	uint64_t frame_left;
	bool in_payload;
	bool closed;
};

static void
take_payload(struct reader *r, const uint8_t *p, size_t n)
{
	for (size_t i = n > 8 ? n - 8 : 0; i < n; i++) {
		memmove(r->last8, r->last8 + 1, 7);
		r->last8[7] = p[i];
	}
	r->payload += n;
}

static uint64_t
sink_count(const struct reader *r)
{
	uint64_t v = 0;

	if (r->payload < 8 || r->payload % 8 != 0)
		return 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | r->last8[i];
	return v;
}

/* Header length once the first two bytes are in; 0 before that. */
static size_t
header_need(const struct reader *r)
{
	size_t n;

	if (r->hdr_len < 2)
		return 2;
	n = (r->hdr[1] & 0x7f) == 126 ? 4 : (r->hdr[1] & 0x7f) == 127 ? 10 : 2;
	return n;
}

static void
parse_ws(struct reader *r, const uint8_t *p, size_t n)
{
	while (n > 0 && !r->closed) {
		if (r->in_payload) {
			size_t k = r->frame_left < n ? (size_t)r->frame_left : n;

			take_payload(r, p, k);
			p += k;
			n -= k;
			r->frame_left -= k;
			if (r->frame_left == 0)
				r->in_payload = false;
			continue;
		}
		r->hdr[r->hdr_len++] = *p++;
		n--;
		if (r->hdr_len < header_need(r))
			continue;
		uint64_t len = r->hdr[1] & 0x7f;
		if (len == 126)
			len = (uint64_t)r->hdr[2] << 8 | r->hdr[3];
		else if (len == 127)
			for (int i = 2, j = 0; j < 8; i++, j++)
				len = (j == 0 ? 0 : len << 8) | r->hdr[i];
		if ((r->hdr[0] & 0x0f) == 0x8)
			r->closed = true;
		else if ((r->hdr[0] & 0x0f) >= 0x8 && len > 0)
			die("control frame from the server");
		r->hdr_len = 0;
		r->frame_left = len;
		r->in_payload = len > 0;
	}
}

static bool
reader_done(const struct reader *r)
{
	if (r->ack_target > 0)
		return sink_count(r) >= r->ack_target;
	return r->payload >= r->want;
}

static void *
reader_run(void *arg)
{
	struct reader *r = arg;
	static _Thread_local uint8_t buf[IO_CHUNK];

	while (!reader_done(r)) {
		ssize_t n = conn_read(r->c, buf, sizeof buf);

		if (n <= 0) {
			fprintf(stderr, "ws-bench: connection ended after %llu payload bytes\n",
			    (unsigned long long)r->payload);
			exit(2);
		}
		if (r->c->ws)
			parse_ws(r, buf, (size_t)n);
		else
			take_payload(r, buf, (size_t)n);
		if (r->closed && !reader_done(r)) {
			fprintf(stderr, "ws-bench: close frame after %llu payload bytes\n",
			    (unsigned long long)r->payload);
			exit(2);
		}
	}
	r->done_at = now_s();
	return NULL;
}

/* ---- The writing side ---- */

struct writer {
	struct conn *c;
	uint64_t total;
	size_t msg;
};

static void *
writer_run(void *arg)
{
	struct writer *w = arg;
	static const uint8_t key[4] = { 0x37, 0xfa, 0x21, 0x3d };
	size_t frame_len = w->c->ws ? w->msg + (w->msg < 126 ? 6 : w->msg < 65536 ? 8 : 14) :
	    w->msg;
	uint8_t *batch = malloc(frame_len * BATCH);
	uint64_t sent = 0;

	if (batch == NULL)
		die("malloc");
	for (size_t f = 0; f < BATCH; f++) {
		uint8_t *p = batch + f * frame_len;
		size_t h = 0;

		if (w->c->ws) {
			p[h++] = 0x82;
			if (w->msg < 126) {
				p[h++] = 0x80 | (uint8_t)w->msg;
			} else if (w->msg < 65536) {
				p[h++] = 0x80 | 126;
				p[h++] = (uint8_t)(w->msg >> 8);
				p[h++] = (uint8_t)w->msg;
			} else {
				p[h++] = 0x80 | 127;
				for (int s = 56; s >= 0; s -= 8)
					p[h++] = (uint8_t)((uint64_t)w->msg >> s);
			}
			memcpy(p + h, key, 4);
			h += 4;
		}
		for (size_t i = 0; i < w->msg; i++)
			p[h + i] = (uint8_t)(i * 7 + f) ^ (w->c->ws ? key[i % 4] : 0);
	}
	while (sent < w->total) {
		uint64_t frames = (w->total - sent + w->msg - 1) / w->msg;
		size_t k = frames < BATCH ? (size_t)frames : BATCH;

		if (sent + k * w->msg > w->total && !w->c->ws) {
			conn_write_all(w->c, batch, (size_t)(w->total - sent));
			sent = w->total;
			break;
		}
		conn_write_all(w->c, batch, k * frame_len);
		sent += k * w->msg;
	}
	free(batch);
	return NULL;
}

static int
run(int port, const char *path, const char *kind_s, const char *dir_s, uint64_t bytes,
    size_t msg)
{
	struct conn c = { .fd = -1 };
	enum kind kind;
	enum dir dir;

	if (strcmp(kind_s, "ws") == 0)
		kind = KIND_WS;
	else if (strcmp(kind_s, "wss") == 0)
		kind = KIND_WSS;
	else if (strcmp(kind_s, "tunnel") == 0)
		kind = KIND_TUNNEL;
	else if (strcmp(kind_s, "tunnel-tls") == 0)
		kind = KIND_TUNNEL_TLS;
	else if (strcmp(kind_s, "raw") == 0)
		kind = KIND_RAW;
	else
		return 1;
	if (strcmp(dir_s, "up") == 0)
		dir = DIR_UP;
	else if (strcmp(dir_s, "down") == 0)
		dir = DIR_DOWN;
	else if (strcmp(dir_s, "echo") == 0)
		dir = DIR_ECHO;
	else
		return 1;
	/* the whole message count must be exact for ws: round bytes up to messages */
	if (kind == KIND_WS || kind == KIND_WSS)
		bytes = (bytes + msg - 1) / msg * msg;

	c.fd = tcp_connect(port);
	c.ws = kind == KIND_WS || kind == KIND_WSS;
	if (kind == KIND_WSS || kind == KIND_TUNNEL_TLS)
		tls_start(&c);
	if (kind != KIND_RAW)
		upgrade(&c, path);

	struct reader r = { .c = &c };
	struct writer w = { .c = &c, .total = bytes, .msg = msg };
	pthread_t rt, wt;
	double start = now_s();

	if (dir == DIR_UP)
		r.ack_target = bytes;
	else
		r.want = bytes;
	if (pthread_create(&rt, NULL, reader_run, &r) != 0)
		die("pthread_create");
	if (dir != DIR_DOWN && pthread_create(&wt, NULL, writer_run, &w) != 0)
		die("pthread_create");
	pthread_join(rt, NULL);
	if (dir != DIR_DOWN)
		pthread_join(wt, NULL);
	double secs = r.done_at - start;
	printf("%llu %.6f %.1f\n", (unsigned long long)bytes, secs, (double)bytes / secs / 1e6);
	if (c.tls != NULL) {
		gnutls_bye(c.tls, GNUTLS_SHUT_WR);
		gnutls_deinit(c.tls);
	}
	close(c.fd);
	return 0;
}

/* ---- The backend ---- */

enum role { ROLE_SINK, ROLE_SOURCE, ROLE_ECHO };

struct served {
	int fd;
	enum role role;
	uint64_t source_bytes;
};

static bool
write_all_fd(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

static bool
send_count(int fd, uint64_t v)
{
	uint8_t b[8];

	for (int i = 7; i >= 0; i--, v >>= 8)
		b[i] = (uint8_t)v;
	return write_all_fd(fd, b, 8);
}

static void *
serve_one(void *arg)
{
	struct served *s = arg;
	uint8_t *buf = malloc(IO_CHUNK);
	uint64_t total = 0, next_ack = ACK_EVERY;

	if (buf == NULL)
		die("malloc");
	if (s->role == ROLE_SOURCE) {
		memset(buf, 'S', IO_CHUNK);
		while (total < s->source_bytes) {
			size_t k = s->source_bytes - total < IO_CHUNK ?
			    (size_t)(s->source_bytes - total) : IO_CHUNK;

			if (!write_all_fd(s->fd, buf, k))
				break;
			total += k;
		}
		shutdown(s->fd, SHUT_WR);
	}
	for (;;) {
		ssize_t n = read(s->fd, buf, IO_CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (s->role == ROLE_ECHO && !write_all_fd(s->fd, buf, (size_t)n))
			break;
		if (s->role != ROLE_SINK)
			continue;
		total += (uint64_t)n;
		if (total >= next_ack) {
			if (!send_count(s->fd, total))
				break;
			next_ack = (total / ACK_EVERY + 1) * ACK_EVERY;
		}
	}
	if (s->role == ROLE_SINK)
		send_count(s->fd, total);
	close(s->fd);
	free(buf);
	free(s);
	return NULL;
}

static int
serve(int port, const char *role_s, uint64_t source_bytes)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	enum role role;
	int one = 1;
	int lfd = socket(AF_INET, SOCK_STREAM, 0);

	if (strcmp(role_s, "sink") == 0)
		role = ROLE_SINK;
	else if (strcmp(role_s, "source") == 0)
		role = ROLE_SOURCE;
	else if (strcmp(role_s, "echo") == 0)
		role = ROLE_ECHO;
	else
		return 1;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(lfd, 128) < 0)
		die("listen");
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		pthread_t t;
		struct served *s;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			die("accept");
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		s = malloc(sizeof *s);
		if (s == NULL)
			die("malloc");
		*s = (struct served){ .fd = fd, .role = role, .source_bytes = source_bytes };
		if (pthread_create(&t, NULL, serve_one, s) != 0)
			die("pthread_create");
		pthread_detach(t);
	}
}

int
main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc >= 4 && strcmp(argv[1], "serve") == 0)
		return serve(atoi(argv[2]), argv[3], argc > 4 ? strtoull(argv[4], NULL, 10) : 0);
	if (argc >= 7 && strcmp(argv[1], "run") == 0)
		return run(atoi(argv[2]), argv[3], argv[4], argv[5], strtoull(argv[6], NULL, 10),
		    argc > 7 ? (size_t)strtoull(argv[7], NULL, 10) : 16384);
	fprintf(stderr, "usage: ws-bench serve PORT sink|source|echo [SOURCE_BYTES]\n"
	    "       ws-bench run PORT PATH ws|wss|tunnel|tunnel-tls|raw up|down|echo BYTES "
	    "[MSG_BYTES]\n");
	return 1;
}
