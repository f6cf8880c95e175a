/* echo.c - one checked echo: every byte of a pattern out and back, full duplex */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench-client.h"

/*
 * Sends o->bytes of a pattern and reads the echo, checking every byte, full
 * duplex on one non-blocking socket with at most WINDOW bytes in flight.
 */
void
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
