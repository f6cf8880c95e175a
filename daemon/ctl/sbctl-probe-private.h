/* sbctl-probe-private.h - what the probe's files share: its state, report and I/O */
#pragma once

#include <gnutls/gnutls.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sbctl-cmd.h"
#include "sbctl-http.h"

/* Received bytes kept at most: a head, a refusal's body, the first frames. */
#define SBCTL_PROBE_IN_MAX ((size_t)1 << 20)

struct sbctl_probe {
	struct sbctl_ctx *ctx;
	/* options */
	const char *url_text;
	const char *token;     /* the Upgrade token */
	char **headers;        /* --header values, borrowed from argv */
	size_t n_headers;
	bool insecure;
	const char *send;      /* --send TEXT, or NULL */
	int timeout_ms;        /* for each step */
	/* state */
	struct sbctl_url url;
	bool websocket;        /* the token is websocket: RFC 6455 key, accept and frames */
	int fd;
	gnutls_certificate_credentials_t cred;
	gnutls_session_t tls;  /* NULL for ws:// and http:// */
	uint8_t *in;           /* received, not yet consumed */
	size_t in_len;
	json_object *report;   /* {url, steps: [...], upgraded, error?} */
	json_object *steps;
};

enum sbctl_probe_recv {
	SBCTL_PROBE_RECV_DATA,    /* bytes were appended to in */
	SBCTL_PROBE_RECV_EOF,     /* the peer closed */
	SBCTL_PROBE_RECV_TIMEOUT, /* nothing before the deadline */
	SBCTL_PROBE_RECV_FULL,    /* in holds SBCTL_PROBE_IN_MAX bytes already */
	SBCTL_PROBE_RECV_ERROR,   /* *err says why */
};

/* Monotonic milliseconds, fractional. */
double sbctl_probe_now(void);
/* Milliseconds as a JSON number with one decimal, written as such ("12.3"). */
json_object *sbctl_probe_ms_json(double ms);
/* A new step {"step": name} in the report (borrowed). */
json_object *sbctl_probe_step(struct sbctl_probe *p, const char *name);
/* A line of the human report (nothing with --json). */
void sbctl_probe_say(struct sbctl_probe *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The report ends badly: "error" in JSON, "error: ..." for humans. */
void sbctl_probe_fail(struct sbctl_probe *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Prints a block of peer bytes as "| " lines (a few KiB at most). */
void sbctl_probe_say_block(struct sbctl_probe *p, const uint8_t *data, size_t len);
/* A JSON string of bytes from the peer: made printable, so always valid UTF-8. */
json_object *sbctl_probe_peer_text(const void *data, size_t len);
/* Drops the first n bytes of p->in. */
void sbctl_probe_consume(struct sbctl_probe *p, size_t n);
/* "ms": the time since t0, in the step. */
void sbctl_probe_add_ms(json_object *step, double t0);

/* After the 101: sends --send TEXT, then shows what comes back before the timeout. */
void sbctl_probe_exchange(struct sbctl_probe *p);
/* A polite end: a WebSocket close frame (once upgraded), a TLS close_notify; closes p->fd. */
void sbctl_probe_finish(struct sbctl_probe *p, bool upgraded);

/* The TLS client handshake on p->fd and what it learned; SBCTL_EXIT_UNREACHABLE on failure. */
enum sbctl_exit sbctl_probe_tls(struct sbctl_probe *p, double deadline);
void sbctl_probe_tls_close(struct sbctl_probe *p);

enum sbctl_probe_recv sbctl_probe_recv(struct sbctl_probe *p, double deadline, char **err);
/* Sends all of data before deadline; false with *err set. */
bool sbctl_probe_send(struct sbctl_probe *p, const void *data, size_t len, double deadline,
    char **err);
