/* main.c - bench-client: tunnel benchmarks: echo throughput, idle tunnels, and an echo backend
 *
 * Besides one checked echo (--bytes) and idle tunnels (--idle; "echo" on stdin sends a few
 * bytes through each and says how many came back), --load runs --conns
 * connections, one thread each, for --warmup then --seconds seconds and prints one line of
 * key=value figures from the measured part only:
 *   echo      bytes out and back as fast as a 4 MiB window allows: mbps (one way, payload)
 *   rtt       --size bytes out, wait for them back, again: p50_us p99_us
 *   upgrades  a new connection (TLS handshake), the upgrade, --size bytes echoed, close: per_s
 *   latency   one connection at a time: connect_to_101_ms, request_to_101_ms (medians, p99)
 * --ws speaks RFC 6455 (client frames of --size bytes, masked with one fixed key; frames
 * back are counted by payload, masked or not); --nagle leaves Nagle's algorithm on; --priority
 * sets the client's GnuTLS priority (e.g. NORMAL:-GROUP-ALL:+GROUP-X25519); --starttls
 * upgrades a plain connection to TLS (RFC 2817, OPTIONS * and Upgrade: TLS/1.0). The upgrade-echo
 * server answers any request with 101 and then echoes: the backend for proxies that do not
 * speak WebSocket to TCP themselves (their client frames come back as they were sent).
 */
#include <getopt.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench-client.h"

gnutls_certificate_credentials_t creds;
unsigned char *pattern;

static void
usage(void)
{
	fprintf(stderr,
	    "usage: bench-client --port P [--host 127.0.0.1] [--tls | --starttls] [--sni NAME] [--raw]\n"
	    "                    [--path /echo] [--token bench] [--ws] [--nagle] [--priority P]\n"
	    "                    (--bytes N | --idle N | --load echo|rtt|upgrades|latency\n"
	    "                     [--conns N] [--seconds S] [--warmup S] [--size BYTES]\n"
	    "                     [--stagger MS])\n"
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
		{ "starttls", no_argument, NULL, 'U' },
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
		{ "stagger", required_argument, NULL, 'g' },
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
		case 'U':
			o.starttls = true;
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
		case 'g':
			o.stagger_ms = (unsigned)atoi(optarg);
			break;
		case 'R':
			o.priority = optarg;
			break;
		default:
			usage();
		}
	}
	/* Each connection costs a descriptor here (the echo server: one per connection). */
	raise_fd_limit((unsigned long)(o.idle > o.conns ? o.idle : o.conns) + 1024);
	if (o.echo_port > 0 || o.upgrade_echo_port > 0) {
		run_echo_server(o.echo_port > 0 ? o.echo_port : o.upgrade_echo_port,
		    o.upgrade_echo_port > 0);
		return 0;
	}
	if (o.port <= 0 || (o.bytes > 0) + (o.idle > 0) + (o.load != NULL) != 1 || o.conns == 0 ||
	    (o.starttls && (o.tls || o.raw || o.ws)))
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
