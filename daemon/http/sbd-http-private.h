/* sbd-http-private.h - the request object, shared by the access handler and the mode checks */
#pragma once

#include <microhttpd.h>
#include <stdbool.h>
#include <stdint.h>

#include "sb-addr.h"
#include "sb-buf.h"
#include "sbd-loop.h"
#include "sbd-route.h"
#include "sbd-ws-handshake.h"

struct sbd_http;
struct sbd_conn;
struct sbd_config;
struct sbd_route_stats;

enum request_phase {
	PHASE_NEW,
	PHASE_BODY,       /* h2c: reading the request body before connecting */
	PHASE_CONNECTING, /* suspended until the backend answers */
	PHASE_ANSWERED,
};

struct sbd_request {
	struct sbd_http *http;
	struct MHD_Connection *mhd;
	struct sbd_conn *conn;     /* a reference */
	struct sbd_config *config; /* a reference: route pointers stay valid */
	enum request_phase phase;
	struct sbd_verdict verdict;
	const struct sb_route *route;
	struct sbd_route_stats *stats; /* a reserved slot, until handed over */
	int backend_fd;
	int connect_error;         /* errno of a failed connect; ETIMEDOUT past the deadline */
	bool connected;
	uint64_t connect_deadline;
	struct sbd_watch connect_watch;
	char backend_text[SB_ADDR_TEXT_MAX];
	char *raw_uri;             /* the request target as sent, query included */
	bool decided;
	struct sb_buf replay;      /* what the backend gets first: tls mode's request (RFC 2817
	                            * §3.3), h2c mode's preface, SETTINGS and stream 1 */
	const char *method;        /* MHD's, valid for the request */
	uint8_t *h2_settings;      /* h2c: the decoded HTTP2-Settings */
	size_t h2_settings_len;
	struct sb_buf body;        /* h2c: the request body */
	bool body_too_big;
	char ws_accept[SBD_WS_ACCEPT_LEN + 1]; /* websocket mode */
	const char *ws_protocol;               /* the subprotocol answered, or NULL */
};

/* All values of a header, joined with ", " (RFC 9110 §5.3); free() it. NULL when absent. */
char *sbd_http_header_joined(struct MHD_Connection *mc, const char *name);
/*
 * What the route's mode asks of the request before a 101: the WebSocket
 * handshake, h2c's HTTP2-Settings, the RFC 2817 replay. False with the refusal
 * in r->verdict.
 */
bool sbd_http_mode_checks(struct sbd_request *r, const char *method);
/* h2c: the backend's preface, SETTINGS and stream 1 into r->replay; -1 when the body is too big. */
int sbd_http_h2c_preamble(struct sbd_request *r);
