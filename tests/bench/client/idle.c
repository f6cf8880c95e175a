/* idle.c - many upgraded connections held idle, for the proxy's memory per connection */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench-client.h"

#define CHECK_BYTES   16
#define CHECK_WAIT_MS 10000

/* CHECK_BYTES out (one frame with --ws) and back within CHECK_WAIT_MS: whether they came. */
static bool
echoes(struct tunnel *t, const struct options *o)
{
	size_t len = CHECK_BYTES;
	unsigned char *frame = o->ws ? ws_frame(CHECK_BYTES, &len) : NULL;
	const unsigned char *out = frame ? frame : pattern;
	unsigned char in[256];
	struct ws_reader rd = { 0 };
	uint64_t got = 0, back = 0;
	size_t sent = 0;
	double deadline = now_s() + CHECK_WAIT_MS / 1e3;
	bool ok = true;

	while (sent < len && ok) {
		ssize_t w = t_send(t, out + sent, len - sent);

		if (w > 0)
			sent += (size_t)w;
		else if (w != -2)
			ok = false;
	}
	while (ok && got < CHECK_BYTES) {
		struct pollfd p = { .fd = t->fd, .events = POLLIN };
		bool buffered = t->tls != NULL && gnutls_record_check_pending(t->tls) > 0;
		int wait_ms = (int)((deadline - now_s()) * 1e3);

		if (!buffered && (wait_ms <= 0 || poll(&p, 1, wait_ms) == 0)) {
			ok = false;
			break;
		}
		ssize_t r = t_recv(t, in, sizeof in);
		if (r == -2)
			continue;
		if (r <= 0) {
			ok = false;
			break;
		}
		/* Plain bytes come back as they went; frames are counted by their payload. */
		if (!o->ws && memcmp(in, pattern + back, (size_t)r) != 0)
			ok = false;
		back += (uint64_t)r;
		got += o->ws ? ws_count(&rd, in, (size_t)r) : (uint64_t)r;
	}
	free(frame);
	return ok && got == CHECK_BYTES;
}

/*
 * Opens o->idle tunnels and says "ready N"; then, for each line "echo" on
 * stdin, sends a few bytes through every one of them and says "echoed N lost
 * K" (a tunnel lost is one whose bytes did not all come back in time); at EOF
 * closes them all.
 */
void
run_idle(const struct options *o)
{
	struct tunnel *ts = calloc(o->idle, sizeof *ts);
	bool *lost = calloc(o->idle, sizeof *lost);
	char line[64];

	if (ts == NULL || lost == NULL)
		die("out of memory");
	for (unsigned i = 0; i < o->idle; i++)
		ts[i] = open_tunnel(o);
	printf("ready %u\n", o->idle);
	fflush(stdout);
	while (fgets(line, sizeof line, stdin) != NULL) {
		unsigned echoed = 0, gone = 0;

		if (strcmp(line, "echo\n") != 0)
			die("idle: unknown command %s", line);
		for (unsigned i = 0; i < o->idle; i++) {
			if (!lost[i] && echoes(&ts[i], o))
				echoed++;
			else
				lost[i] = true;
			gone += lost[i];
		}
		printf("echoed %u lost %u\n", echoed, gone);
		fflush(stdout);
	}
	for (unsigned i = 0; i < o->idle; i++)
		close_tunnel(&ts[i]);
	free(lost);
	free(ts);
}
