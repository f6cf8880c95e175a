/* bench-client.c - tunnel benchmarks: echo throughput, idle tunnels, and an echo backend
 *
 * Besides one checked echo (--bytes) and idle tunnels (--idle), --load runs --conns
 * connections, one thread each, for --warmup then --seconds seconds and prints one line of
 * key=value figures from the measured part only:
 *   echo      bytes out and back as fast as a 4 MiB window allows: mbps (one way, payload)
 *   rtt       --size bytes out, wait for them back, again: p50_us p99_us
 *   upgrades  a new connection (TLS handshake), the upgrade, --size bytes echoed, close: per_s
 *   latency   one connection at a time: connect_to_101_ms, request_to_101_ms (medians, p99)
 * --ws speaks RFC 6455 (client frames of --size bytes, masked with one fixed key; frames
 * back are counted by payload, masked or not); --nagle leaves Nagle's algorithm on; --priority
 * sets the client's GnuTLS priority (e.g. NORMAL:-GROUP-ALL:+GROUP-X25519). The upgrade-echo
 * server answers any request with 101 and then echoes: the backend for proxies that do not
 * speak WebSocket to TCP themselves (their client frames come back as they were sent).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
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
	int upgrade_echo_port;
	const char *load;  /* echo, rtt, upgrades, latency */
	unsigned conns;
	double seconds, warmup;
	size_t size;
	bool ws;
	bool nagle;
	const char *priority;
};

struct tunnel {
	int fd;
	gnutls_session_t tls; /* NULL: plain */
	double handshake_done;
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
	    "Upgrade: %s\r\n%s\r\n", o->path, o->sni ? o->sni : "localhost",
	    o->ws ? "websocket" : o->token,
	    o->ws ? "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" : "");

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
	struct tunnel t = { .fd = tcp_connect(o->host, o->port, o->nagle) };
	int rc;

	if (o->tls) {
		gnutls_init(&t.tls, GNUTLS_CLIENT);
		if (o->priority == NULL)
			gnutls_set_default_priority(t.tls);
		else if (gnutls_priority_set_direct(t.tls, o->priority, NULL) < 0)
			die("bad priority %s", o->priority);
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
	if (t.tls != NULL)
		t.handshake_done = now_s();
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

/* --load: the part after the warm-up is measured; every thread stops at the same time. */
static double measure_from, measure_to;

#define WS_KEY_HDR 8 /* 126 + 16-bit length + mask key */

/* Counts the payload of the frames in buf (server frames: masked or not). */
struct ws_reader {
	unsigned char hdr[14];
	size_t hdr_len, hdr_need;
	uint64_t payload_left;
};

static uint64_t
ws_count(struct ws_reader *w, const unsigned char *buf, size_t n)
{
	uint64_t payload = 0;

	while (n > 0) {
		if (w->payload_left > 0) {
			size_t take = n < w->payload_left ? n : (size_t)w->payload_left;

			w->payload_left -= take;
			payload += take;
			buf += take;
			n -= take;
			continue;
		}
		if (w->hdr_need == 0)
			w->hdr_need = 2;
		w->hdr[w->hdr_len++] = *buf++;
		n--;
		if (w->hdr_len == 2) {
			unsigned len7 = w->hdr[1] & 0x7f;

			w->hdr_need = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) +
			    ((w->hdr[1] & 0x80) ? 4 : 0);
		}
		if (w->hdr_len < w->hdr_need)
			continue;
		unsigned len7 = w->hdr[1] & 0x7f;
		uint64_t len = len7;
		if (len7 == 126)
			len = (uint64_t)w->hdr[2] << 8 | w->hdr[3];
		else if (len7 == 127)
			for (int i = 0; i < 8; i++)
				len = len << 8 | w->hdr[2 + i];
		w->payload_left = len;
		w->hdr_len = w->hdr_need = 0;
	}
	return payload;
}

/* One client frame of size bytes of the pattern, masked with a fixed key. */
static unsigned char *
ws_frame(size_t size, size_t *frame_len)
{
	static const unsigned char key[4] = { 0x12, 0x34, 0x56, 0x78 };
	size_t hdr = size < 126 ? 6 : size < 65536 ? 8 : 14;
	unsigned char *f = malloc(hdr + size);

	if (f == NULL)
		die("out of memory");
	f[0] = 0x82;
	if (size < 126) {
		f[1] = 0x80 | (unsigned char)size;
	} else if (size < 65536) {
		f[1] = 0x80 | 126;
		f[2] = (unsigned char)(size >> 8);
		f[3] = (unsigned char)size;
	} else {
		f[1] = 0x80 | 127;
		for (int i = 0; i < 8; i++)
			f[2 + i] = (unsigned char)((uint64_t)size >> (56 - 8 * i));
	}
	memcpy(f + hdr - 4, key, 4);
	for (size_t i = 0; i < size; i++)
		f[hdr + i] = pattern[i % PATTERN_LEN] ^ key[i % 4];
	*frame_len = hdr + size;
	return f;
}

struct worker {
	pthread_t thread;
	const struct options *o;
	uint64_t bytes;      /* echo: payload back during the measured part */
	uint64_t done;       /* upgrades: completed during the measured part */
	double *samples;     /* rtt: seconds */
	size_t nsamples, cap;
};

static void
add_sample(struct worker *w, double v)
{
	if (w->nsamples == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 4096;
		w->samples = realloc(w->samples, w->cap * sizeof *w->samples);
		if (w->samples == NULL)
			die("out of memory");
	}
	w->samples[w->nsamples++] = v;
}

/* What goes out on the wire: the pattern, or the same frame again and again. */
struct source {
	const unsigned char *data;
	size_t len, off;
	size_t payload_per_byte_num, payload_per_byte_den; /* payload share of the wire bytes */
};

static void *
echo_worker(void *arg)
{
	struct worker *w = arg;
	const struct options *o = w->o;
	struct tunnel t = open_tunnel(o);
	struct ws_reader rd = { 0 };
	unsigned char *in = malloc(CHUNK);
	size_t frame_len = 0;
	unsigned char *frame = o->ws ? ws_frame(o->size, &frame_len) : NULL;
	const unsigned char *src = o->ws ? frame : pattern;
	size_t src_len = o->ws ? frame_len : PATTERN_LEN, off = 0, pending = 0;
	uint64_t sent = 0, recvd = 0, base = 0; /* wire bytes out, payload back */
	bool measuring = false;

	if (in == NULL)
		die("out of memory");
	set_nonblocking(t.fd, true);
	for (;;) {
		double now = now_s();

		if (!measuring && now >= measure_from) {
			measuring = true;
			base = recvd;
		}
		if (now >= measure_to)
			break;
		/* the window counts payload; a frame's header is not echoed as such */
		uint64_t sent_payload = o->ws ? sent / frame_len * o->size : sent;
		bool want_send = pending > 0 || sent_payload < recvd + WINDOW;
		bool buffered = t.tls != NULL && gnutls_record_check_pending(t.tls) > 0;
		struct pollfd p = { .fd = t.fd, .events = POLLIN | (want_send ? POLLOUT : 0) };

		if (!buffered && poll(&p, 1, 100) < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		if (buffered || (p.revents & (POLLIN | POLLHUP | POLLERR))) {
			ssize_t r = t_recv(&t, in, CHUNK);

			if (r == 0 || r == -1)
				die("echo: connection lost");
			if (r > 0)
				recvd += o->ws ? ws_count(&rd, in, (size_t)r) : (uint64_t)r;
		}
		if (want_send && (p.revents & POLLOUT)) {
			size_t n = pending ? pending : src_len - off;

			if (n > CHUNK)
				n = CHUNK;
			ssize_t w2 = t_send(&t, src + off, n);
			if (w2 == -1)
				die("echo: send failed");
			pending = w2 == -2 && t.tls != NULL ? n : 0;
			if (w2 > 0) {
				off = (off + (size_t)w2) % src_len;
				sent += (uint64_t)w2;
			}
		}
	}
	w->bytes = recvd - base;
	/* Ends without waiting for what is in flight: a reset, not a clean close. */
	struct linger lg = { 1, 0 };
	setsockopt(t.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	if (t.tls != NULL)
		gnutls_deinit(t.tls);
	close(t.fd);
	free(in);
	free(frame);
	return NULL;
}

/* Sends all of buf and reads until want payload bytes came back (blocking). */
static void
round_trip(struct tunnel *t, const struct options *o, const unsigned char *buf, size_t len,
    struct ws_reader *rd, unsigned char *in)
{
	uint64_t got = 0;

	send_all(t, (const char *)buf, len);
	while (got < o->size) {
		ssize_t r = t_recv(t, in, CHUNK);

		if (r == -2)
			continue;
		if (r <= 0)
			die("round trip: connection lost");
		got += o->ws ? ws_count(rd, in, (size_t)r) : (uint64_t)r;
	}
}

/*
 * rtt: one tunnel, --size bytes out and back again and again, each round timed;
 * upgrades: the same once per new tunnel, each completed tunnel counted.
 */
static void *
round_trip_worker(void *arg)
{
	struct worker *w = arg;
	const struct options *o = w->o;
	bool per_tunnel = strcmp(o->load, "upgrades") == 0;
	struct tunnel t = { .fd = -1 };
	unsigned char *in = malloc(CHUNK);
	size_t len = o->size;
	unsigned char *frame = o->ws ? ws_frame(o->size, &len) : NULL;

	if (in == NULL)
		die("out of memory");
	for (;;) {
		double t0 = now_s();

		if (t0 >= measure_to)
			break;
		if (t.fd < 0)
			t = open_tunnel(o);
		struct ws_reader rd = { 0 };
		round_trip(&t, o, frame ? frame : pattern, len, &rd, in);
		if (per_tunnel) {
			close_tunnel(&t);
			t.fd = -1;
		}
		if (t0 >= measure_from && per_tunnel && now_s() < measure_to)
			w->done++;
		else if (t0 >= measure_from && !per_tunnel)
			add_sample(w, now_s() - t0);
	}
	if (t.fd >= 0)
		close_tunnel(&t);
	free(in);
	free(frame);
	return NULL;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
percentile(double *v, size_t n, double p)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof *v, cmp_double);
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);
	return v[i];
}

/* One connection at a time: how long from connect, and from the request, to the 101. */
static void
run_latency(const struct options *o)
{
	unsigned n = o->conns;
	double *total = calloc(n, sizeof *total), *req = calloc(n, sizeof *req);

	if (total == NULL || req == NULL)
		die("out of memory");
	for (unsigned i = 0; i < n; i++) {
		double t0 = now_s();
		struct tunnel t = open_tunnel(o);
		double t2 = now_s();

		total[i] = (t2 - t0) * 1e3;
		req[i] = (t2 - (t.tls != NULL ? t.handshake_done : t0)) * 1e3;
		close_tunnel(&t);
	}
	printf("latency n=%u connect_to_101_ms=%.3f connect_to_101_p99_ms=%.3f "
	    "request_to_101_ms=%.3f request_to_101_p99_ms=%.3f\n", n,
	    percentile(total, n, 0.5), percentile(total, n, 0.99), percentile(req, n, 0.5),
	    percentile(req, n, 0.99));
	free(total);
	free(req);
}

static void
run_load(const struct options *o)
{
	void *(*fn)(void *);

	if (strcmp(o->load, "latency") == 0) {
		run_latency(o);
		return;
	}
	if (strcmp(o->load, "echo") == 0)
		fn = echo_worker;
	else if (strcmp(o->load, "rtt") == 0 || strcmp(o->load, "upgrades") == 0)
		fn = round_trip_worker;
	else
		die("unknown load %s", o->load);

	struct worker *ws = calloc(o->conns, sizeof *ws);
	if (ws == NULL)
		die("out of memory");
	measure_from = now_s() + o->warmup;
	measure_to = measure_from + o->seconds;
	for (unsigned i = 0; i < o->conns; i++) {
		ws[i].o = o;
		if (pthread_create(&ws[i].thread, NULL, fn, &ws[i]) != 0)
			die("pthread_create failed");
	}
	uint64_t bytes = 0, done = 0;
	size_t nsamples = 0;
	for (unsigned i = 0; i < o->conns; i++) {
		pthread_join(ws[i].thread, NULL);
		bytes += ws[i].bytes;
		done += ws[i].done;
		nsamples += ws[i].nsamples;
	}
	if (fn == echo_worker) {
		printf("echo conns=%u seconds=%.1f mbps=%.1f\n", o->conns, o->seconds,
		    (double)bytes / o->seconds / 1e6);
	} else if (strcmp(o->load, "upgrades") == 0) {
		printf("upgrades conns=%u seconds=%.1f per_s=%.1f\n", o->conns, o->seconds,
		    (double)done / o->seconds);
	} else {
		double *all = malloc((nsamples ? nsamples : 1) * sizeof *all);
		size_t k = 0;

		if (all == NULL)
			die("out of memory");
		for (unsigned i = 0; i < o->conns; i++)
			for (size_t j = 0; j < ws[i].nsamples; j++)
				all[k++] = ws[i].samples[j] * 1e6;
		printf("rtt conns=%u n=%zu p50_us=%.1f p99_us=%.1f\n", o->conns, nsamples,
		    percentile(all, nsamples, 0.5), percentile(all, nsamples, 0.99));
		free(all);
	}
	for (unsigned i = 0; i < o->conns; i++)
		free(ws[i].samples);
	free(ws);
}

struct echo_conn {
	int fd;
	size_t off, len;
	bool eof;
	bool in_head; /* upgrade-echo: the request head is still being read */
	unsigned char buf[CHUNK];
};

static void
echo_close(int ep, struct echo_conn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c);
}

static void
base64(const unsigned char *in, size_t n, char *out)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0) |
		    (i + 2 < n ? in[i + 2] : 0);

		*out++ = abc[v >> 18 & 63];
		*out++ = abc[v >> 12 & 63];
		*out++ = i + 1 < n ? abc[v >> 6 & 63] : '=';
		*out++ = i + 2 < n ? abc[v & 63] : '=';
	}
	*out = '\0';
}

/* The value of header name (lowercase, with ':') in head, or "". */
static void
header_value(const char *head, const char *name, char *out, size_t cap)
{
	const char *p = strcasestr(head, name);
	size_t n;

	out[0] = '\0';
	if (p == NULL)
		return;
	p += strlen(name);
	p += strspn(p, " ");
	n = strcspn(p, "\r");
	if (n >= cap)
		n = cap - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

/* Upgrade-echo: once the head is in, c->buf holds the 101 and the bytes after the head. */
static bool
answer_head(struct echo_conn *c)
{
	char *end;
	char token[128], key[128], accept[64] = "", extra[128] = "", answer[512];

	c->buf[c->len] = '\0';
	end = strstr((char *)c->buf, "\r\n\r\n");
	if (end == NULL)
		return c->len < sizeof c->buf - 1;
	*end = '\0';
	header_value((char *)c->buf, "\nupgrade:", token, sizeof token);
	header_value((char *)c->buf, "\nsec-websocket-key:", key, sizeof key);
	if (key[0] != '\0') {
		unsigned char digest[20];

		strncat(key, "258EAFA5-E914-47DA-95CA-C5AB0DC85B11", sizeof key - strlen(key) - 1);
		gnutls_hash_fast(GNUTLS_DIG_SHA1, key, strlen(key), digest);
		base64(digest, sizeof digest, accept);
		snprintf(extra, sizeof extra, "Sec-WebSocket-Accept: %s\r\n", accept);
	}
	int n = snprintf(answer, sizeof answer, "HTTP/1.1 101 Switching Protocols\r\n"
	    "Connection: Upgrade\r\nUpgrade: %s\r\n%s\r\n", token, extra);
	size_t head_len = (size_t)(end + 4 - (char *)c->buf), rest = c->len - head_len;

	if ((size_t)n + rest > sizeof c->buf)
		return false;
	memmove(c->buf + n, c->buf + head_len, rest);
	memcpy(c->buf, answer, (size_t)n);
	c->off = 0;
	c->len = (size_t)n + rest;
	c->in_head = false;
	return true;
}

/* Reads what there is, writes it back; waits for POLLOUT while a remainder is left. */
static void
echo_io(int ep, struct echo_conn *c)
{
	while (c->in_head) {
		ssize_t r = recv(c->fd, c->buf + c->len, sizeof c->buf - 1 - c->len, 0);

		if (r < 0 && errno == EAGAIN)
			return;
		if (r <= 0) {
			echo_close(ep, c);
			return;
		}
		c->len += (size_t)r;
		if (!answer_head(c)) {
			echo_close(ep, c);
			return;
		}
	}
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
run_echo_server(int port, bool upgrade)
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
	printf("%secho server on 127.0.0.1:%d\n", upgrade ? "upgrade-" : "", port);
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
				c->in_head = upgrade;
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
	    "                    [--path /echo] [--token bench] [--ws] [--nagle] [--priority P]\n"
	    "                    (--bytes N | --idle N | --load echo|rtt|upgrades|latency\n"
	    "                     [--conns N] [--seconds S] [--warmup S] [--size BYTES])\n"
	    "       bench-client --echo-server PORT | --upgrade-echo-server PORT\n");
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
		{ "upgrade-echo-server", required_argument, NULL, 'E' },
		{ "load", required_argument, NULL, 'l' },
		{ "conns", required_argument, NULL, 'c' },
		{ "seconds", required_argument, NULL, 'S' },
		{ "warmup", required_argument, NULL, 'W' },
		{ "size", required_argument, NULL, 'z' },
		{ "ws", no_argument, NULL, 'w' },
		{ "nagle", no_argument, NULL, 'n' },
		{ "priority", required_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	struct options o = { .host = "127.0.0.1", .path = "/echo", .token = "bench", .conns = 1,
		.seconds = 5, .warmup = 1 };
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
		case 'E':
			o.upgrade_echo_port = atoi(optarg);
			break;
		case 'l':
			o.load = optarg;
			break;
		case 'c':
			o.conns = (unsigned)atoi(optarg);
			break;
		case 'S':
			o.seconds = atof(optarg);
			break;
		case 'W':
			o.warmup = atof(optarg);
			break;
		case 'z':
			o.size = (size_t)strtoull(optarg, NULL, 10);
			break;
		case 'w':
			o.ws = true;
			break;
		case 'n':
			o.nagle = true;
			break;
		case 'R':
			o.priority = optarg;
			break;
		default:
			usage();
		}
	}
	if (o.echo_port > 0 || o.upgrade_echo_port > 0) {
		run_echo_server(o.echo_port > 0 ? o.echo_port : o.upgrade_echo_port,
		    o.upgrade_echo_port > 0);
		return 0;
	}
	if (o.port <= 0 || (o.bytes > 0) + (o.idle > 0) + (o.load != NULL) != 1 || o.conns == 0)
		usage();
	if (o.size == 0)
		o.size = o.ws ? 16384 : 64;

	gnutls_global_init();
	gnutls_certificate_allocate_credentials(&creds); /* no CA: the benchmark does not verify */
	pattern = malloc(PATTERN_LEN);
	if (pattern == NULL)
		die("out of memory");
	for (size_t i = 0; i < PATTERN_LEN; i++)
		pattern[i] = (unsigned char)((i * 2654435761u) >> 13);
	if (o.idle > 0)
		run_idle(&o);
	else if (o.load != NULL)
		run_load(&o);
	else
		run_echo(&o);
	free(pattern);
	gnutls_certificate_free_credentials(creds);
	gnutls_global_deinit();
	return 0;
}
