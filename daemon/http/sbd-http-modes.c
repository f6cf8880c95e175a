/* sbd-http-modes.c - what each mode asks of a request before its 101 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sb-alloc.h"
#include "sbd-daemon.h"
#include "sbd-h2c.h"
#include "sbd-http-private.h"

/* Headers that belong to this hop's upgrade, not to the request the backend answers. */
static bool
is_upgrade_header(const char *name)
{
	static const char *const hop[] = {
		"connection", "upgrade", "keep-alive", "proxy-connection", "http2-settings",
		"te", "trailer", "transfer-encoding",
	};

	for (size_t i = 0; i < sizeof hop / sizeof hop[0]; i++)
		if (strcasecmp(name, hop[i]) == 0)
			return true;
	return false;
}

static enum MHD_Result
replay_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct sb_buf *b = cls;
	char *line;

	if (is_upgrade_header(key))
		return MHD_YES;
	line = sb_xasprintf("%s: %s\r\n", key, value ? value : "");
	sb_buf_append(b, line, strlen(line));
	free(line);
	return MHD_YES;
}

/* RFC 2817 §3.3: the answer to the request comes inside TLS, so the backend gets it again. */
static void
build_replay(struct sbd_request *r, const char *method)
{
	char *start = sb_xasprintf("%s %s HTTP/1.1\r\n", method, r->raw_uri);

	sb_buf_append(&r->replay, start, strlen(start));
	free(start);
	MHD_get_connection_values(r->mhd, MHD_HEADER_KIND, replay_header, &r->replay);
	sb_buf_append(&r->replay, "\r\n", 2);
}

struct count {
	const char *name;
	unsigned n;
};

static enum MHD_Result
count_one(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct count *c = cls;

	if (strcasecmp(key, c->name) == 0)
		c->n++;
	return MHD_YES;
}

/* RFC 7540 §3.2.1: exactly one HTTP2-Settings, decodable; a body that fits the window. */
static bool
h2c_checks(struct sbd_request *r)
{
	struct sbd_verdict *v = &r->verdict;
	struct count n = { "HTTP2-Settings", 0 };
	const char *why = NULL;
	const char *cl;

	MHD_get_connection_values(r->mhd, MHD_HEADER_KIND, count_one, &n);
	if (n.n != 1) {
		v->status = 400;
		snprintf(v->reason, sizeof v->reason, "h2c needs exactly one HTTP2-Settings header, "
		    "not %u", n.n);
		return false;
	}
	if (sbd_h2c_decode_settings(MHD_lookup_connection_value(r->mhd, MHD_HEADER_KIND,
	    "HTTP2-Settings"), &r->h2_settings, &r->h2_settings_len, &why) < 0) {
		v->status = 400;
		snprintf(v->reason, sizeof v->reason, "%s", why);
		return false;
	}
	cl = MHD_lookup_connection_value(r->mhd, MHD_HEADER_KIND, "Content-Length");
	if (cl != NULL && strtoull(cl, NULL, 10) > SBD_H2C_BODY_MAX) {
		v->status = 413;
		snprintf(v->reason, sizeof v->reason, "an h2c request body may hold at most %u bytes",
		    (unsigned)SBD_H2C_BODY_MAX);
		return false;
	}
	return true;
}

struct header_list {
	struct sbd_h2c_header *items;
	size_t n, cap;
};

static enum MHD_Result
collect_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct header_list *l = cls;

	/* MHD answered "Expect: 100-continue" itself; the backend must not answer it again. */
	if (strcasecmp(key, "Expect") == 0)
		return MHD_YES;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->items = sb_xrealloc(l->items, l->cap * sizeof *l->items);
	}
	l->items[l->n].name = key;
	l->items[l->n].value = value ? value : "";
	l->n++;
	return MHD_YES;
}

/* RFC 7540 §3.2: the request becomes stream 1 on a prior-knowledge connection. */
int
sbd_http_h2c_preamble(struct sbd_request *r)
{
	struct header_list hl = { 0 };
	int rc;

	MHD_get_connection_values(r->mhd, MHD_HEADER_KIND, collect_header, &hl);
	struct sbd_h2c_request req = {
		.method = r->method,
		.path = r->raw_uri,
		.authority = MHD_lookup_connection_value(r->mhd, MHD_HEADER_KIND, "Host"),
		.headers = hl.items,
		.n_headers = hl.n,
		.body = (const uint8_t *)sb_buf_head(&r->body),
		.body_len = r->body.len,
	};
	rc = sbd_h2c_build_preamble(&r->replay, r->h2_settings, r->h2_settings_len, &req);
	free(hl.items);
	return rc;
}

/* What the route's mode asks of the request; false with the refusal in r->verdict. */
bool
sbd_http_mode_checks(struct sbd_request *r, const char *method)
{
	const struct sb_route *route = r->route;
	struct sbd_verdict *v = &r->verdict;

	if (route->mode == SB_MODE_TLS) {
		build_replay(r, method);
		return true;
	}
	if (route->mode == SB_MODE_H2C)
		return h2c_checks(r);
	if (route->mode != SB_MODE_WEBSOCKET)
		return true;
	if (strcmp(method, "GET") != 0) {
		v->status = 400;
		snprintf(v->reason, sizeof v->reason, "a WebSocket handshake must be a GET, not %s",
		    method);
		return false;
	}

	const char *key = MHD_lookup_connection_value(r->mhd, MHD_HEADER_KIND, "Sec-WebSocket-Key");
	enum sbd_ws_check wc = sbd_ws_check_request(
	    MHD_lookup_connection_value(r->mhd, MHD_HEADER_KIND, "Sec-WebSocket-Version"), key);
	if (wc != SBD_WS_CHECK_OK) {
		v->status = sbd_ws_check_status(wc);
		snprintf(v->reason, sizeof v->reason, "%s", sbd_ws_check_reason(wc));
		/* RFC 9110 §15.5.22: a 426 names the protocol to switch to. */
		snprintf(v->upgrade_hint, sizeof v->upgrade_hint, "websocket");
		return false;
	}
	if (!sbd_ws_accept(key, r->ws_accept)) {
		v->status = 400;
		snprintf(v->reason, sizeof v->reason, "cannot compute Sec-WebSocket-Accept");
		return false;
	}

	char *offered = sbd_http_header_joined(r->mhd, "Sec-WebSocket-Protocol");
	bool no_fit = false;
	r->ws_protocol = sbd_ws_choose_subprotocol(offered, route->match.subprotocols,
	    route->match.n_subprotocols, &no_fit);
	if (no_fit) {
		v->status = 400;
		snprintf(v->reason, sizeof v->reason, "route %s needs a subprotocol it allows; "
		    "offered: %s", route->name, offered ? offered : "none");
	}
	free(offered);
	return !no_fit;
}
