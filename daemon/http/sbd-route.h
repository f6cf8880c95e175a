/* sbd-route.h - from a request to a route or a refusal: pure, no I/O, no shared state */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "sb-policy.h"
#include "sbd-upgrade.h"

struct sbd_route_query {
	const char *listener;
	const char *host;        /* Host header or NULL */
	unsigned host_count;     /* how many Host headers came (more than one: 400) */
	const char *path;        /* the request target as sent: percent-encoded, query included */
	const char *head_flaw;   /* what the raw head had wrong (sbd_head_scan), or NULL */
	const char *bad_field;   /* the name of the first invalid header field, or NULL */
	const char *method;
	bool http11;             /* HTTP/1.1 or later: Upgrade is honoured */
	const char *connection;  /* all Connection headers, joined with ", " */
	const char *upgrade;     /* all Upgrade headers, joined */
	const char *origin;
	bool has_body;           /* Content-Length > 0 or Transfer-Encoding */
	const struct sockaddr *client;
};

struct sbd_verdict {
	int status;            /* 101, or the refusal: 400, 403, 404, 426 */
	bool has_route;        /* a route matched (even when it refuses) */
	size_t route;          /* its index in the policy */
	char token[SBD_TOKEN_LEN_MAX + 1]; /* the protocol chosen, as the client wrote it */
	char reason[256];      /* why, for the body, the log and the event */
	char upgrade_hint[256]; /* 426: the protocols routed at this host and path */
};

/* Whether a route still takes a client on that listener (listeners and allow). */
bool sbd_route_admits(const struct sb_route *r, const char *listener,
    const struct sockaddr *client);

void sbd_route_decide(const struct sb_policy *policy, const struct sbd_route_query *q,
    struct sbd_verdict *v);
