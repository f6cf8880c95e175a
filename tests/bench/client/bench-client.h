/* bench-client.h - what the parts of bench-client share: options, a tunnel, the pattern */
#pragma once

#include <gnutls/gnutls.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PATTERN_LEN (1u << 20)
#define CHUNK       (256u << 10)
#define WINDOW      (4u << 20)
#define IO_TIMEOUT_MS 20000

struct options {
	const char *host;
	int port;
	bool tls;
	bool starttls; /* RFC 2817: plain, the upgrade to TLS/1.0, then TLS on the same socket */
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
	/*
	 * echo load: connection i opens i x stagger_ms after the start, one at a time
	 * on an idle server, and none echoes before the last is open
	 */
	unsigned stagger_ms;
};

struct tunnel {
	int fd;
	gnutls_session_t tls; /* NULL: plain */
	double handshake_done;
};

/* main.c */
extern gnutls_certificate_credentials_t creds;
extern unsigned char *pattern;

/* tunnel.c: a connection through the proxy, upgraded (or raw), TLS or plain */
void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...);
double now_s(void);
void set_nonblocking(int fd, bool on);
/* Raises RLIMIT_NOFILE to the hard limit, and the hard one to want where allowed. */
void raise_fd_limit(unsigned long want);
/* > 0 bytes, 0 EOF, -1 error, -2 again. */
ssize_t t_send(struct tunnel *t, const void *buf, size_t n);
ssize_t t_recv(struct tunnel *t, void *buf, size_t n);
/* Blocking. */
void send_all(struct tunnel *t, const char *buf, size_t n);
struct tunnel open_tunnel(const struct options *o);
void close_tunnel(struct tunnel *t);

/* ws.c: RFC 6455 as far as the benchmark needs it */
struct ws_reader {
	unsigned char hdr[14];
	size_t hdr_len, hdr_need;
	uint64_t payload_left;
};
/* Counts the payload of the frames in buf (server frames: masked or not). */
uint64_t ws_count(struct ws_reader *w, const unsigned char *buf, size_t n);
/* One client frame of size bytes of the pattern, masked with a fixed key (malloc'd). */
unsigned char *ws_frame(size_t size, size_t *frame_len);

/* echo.c */
void run_echo(const struct options *o);
/* idle.c */
void run_idle(const struct options *o);
/* load.c */
void run_load(const struct options *o);
/* server.c */
void run_echo_server(int port, bool upgrade);
