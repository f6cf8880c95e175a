/* load.c - --load: echo throughput, round trips, upgrades/s and latency over many threads */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench-client.h"

/* --load: the part after the warm-up is measured; every thread stops at the same time. */
static double measure_from, measure_to;

/* --stagger: the echo threads wait here until every connection is open. */
static pthread_barrier_t all_open;

struct worker {
	pthread_t thread;
	const struct options *o;
	unsigned index;
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
	struct tunnel t;
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
	if (o->stagger_ms > 0)
		usleep(w->index * o->stagger_ms * 1000u);
	t = open_tunnel(o);
	if (o->stagger_ms > 0)
		pthread_barrier_wait(&all_open);
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

void
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
	if (o->stagger_ms > 0) {
		/* the warm-up starts once the last connection is open */
		if (fn != echo_worker || pthread_barrier_init(&all_open, NULL, o->conns) != 0)
			die("--stagger: for --load echo only");
	}
	measure_from = now_s() + o->conns * o->stagger_ms / 1000.0 + o->warmup;
	measure_to = measure_from + o->seconds;
	for (unsigned i = 0; i < o->conns; i++) {
		ws[i].o = o;
		ws[i].index = i;
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
	if (o->stagger_ms > 0)
		pthread_barrier_destroy(&all_open);
}
