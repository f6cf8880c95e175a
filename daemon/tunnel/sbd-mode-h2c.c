/* sbd-mode-h2c.c - h2c mode (RFC 7540 §3.2): the request becomes stream 1 on an HTTP/2 backend
 *
 * Before the 101: exactly one decodable HTTP2-Settings, and a body that fits
 * the backend's first window. After it: the backend gets the preamble
 * (connection preface, the client's settings as SETTINGS, the request as
 * stream 1), then the client's frames without its own preface; the client gets
 * the backend's frames without the ACK of the replayed SETTINGS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sb-alloc.h"
#include "sbd-config.h"
#include "sbd-h2c.h"
#include "sbd-request.h"
#include "sbd-route.h"
#include "sbd-tunnel-private.h"

struct h2c_prep {
	uint8_t *settings; /* the decoded HTTP2-Settings */
	size_t settings_len;
	struct sb_buf preamble;
};

static void
prep_free(void *arg)
{
	struct h2c_prep *p = arg;

	if (p == NULL)
		return;
	free(p->settings);
	sb_buf_free(&p->preamble);
	free(p);
}

/* RFC 7540 §3.2.1: exactly one HTTP2-Settings, decodable; a body that fits the window. */
static bool
check(const struct sbd_request *r, const struct sbd_route_rt *route, void **prep,
    struct sbd_verdict *v)
{
	unsigned n = sbd_request_header_count(r, "HTTP2-Settings");
	struct h2c_prep *p;
	const char *why = NULL;
	const char *cl;

	if (n != 1) {
		v->status = 400;
		snprintf(v->reason, sizeof v->reason, "h2c needs exactly one HTTP2-Settings header, "
		    "not %u", n);
		return false;
	}
	p = sb_xcalloc(1, sizeof *p);
	if (sbd_h2c_decode_settings(sbd_request_header(r, "HTTP2-Settings"), &p->settings,
	    &p->settings_len, &why) < 0) {
		prep_free(p);
		v->status = 400;
		snprintf(v->reason, sizeof v->reason, "%s", why);
		return false;
	}
	cl = sbd_request_header(r, "Content-Length");
	if (cl != NULL && strtoull(cl, NULL, 10) > SBD_H2C_BODY_MAX) {
		prep_free(p);
		v->status = 413;
		snprintf(v->reason, sizeof v->reason, "an h2c request body may hold at most %u bytes",
		    (unsigned)SBD_H2C_BODY_MAX);
		return false;
	}
	*prep = p;
	return true;
}

struct header_list {
	struct sbd_h2c_header *items;
	size_t n, cap;
};

static void
collect_header(void *arg, const char *name, const char *value)
{
	struct header_list *l = arg;

	/* MHD answered "Expect: 100-continue" itself; the backend must not answer it again. */
	if (strcasecmp(name, "Expect") == 0)
		return;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->items = sb_xrealloc(l->items, l->cap * sizeof *l->items);
	}
	l->items[l->n].name = name;
	l->items[l->n].value = value ? value : "";
	l->n++;
}

/* RFC 7540 §3.2: with the body read, the request becomes stream 1 of the preamble. */
static bool
ready(const struct sbd_request *r, void *arg, struct sbd_verdict *v)
{
	struct h2c_prep *p = arg;
	struct header_list hl = { 0 };
	size_t body_len = 0;
	const uint8_t *body = sbd_request_body(r, &body_len);
	int rc;

	sbd_request_foreach_replayed(r, collect_header, &hl);
	struct sbd_h2c_request req = {
		.method = sbd_request_method(r),
		.path = sbd_request_uri(r),
		.authority = sbd_request_header(r, "Host"),
		.headers = hl.items,
		.n_headers = hl.n,
		.body = body,
		.body_len = body_len,
	};
	rc = sbd_h2c_build_preamble(&p->preamble, p->settings, p->settings_len, &req);
	free(hl.items);
	if (rc < 0) {
		v->status = 413;
		snprintf(v->reason, sizeof v->reason, "an h2c request body may hold at most %u bytes",
		    (unsigned)SBD_H2C_BODY_MAX);
		return false;
	}
	return true;
}

static void
answer(const void *prep, const char *token, sbd_add_header_fn *add, void *arg)
{
	add(arg, "Upgrade", "h2c");
}

/* After the 101: the two rewrites, as flow filters. */
struct h2c_filters {
	struct sbd_h2c_preface preface;
	struct sbd_h2c_ack_filter ack;
};

/* Client to backend: drop the client's connection preface, pass the rest. */
static int
strip_preface(void *ctx, const uint8_t *in, size_t len, struct sb_buf *out, const char **why)
{
	struct h2c_filters *f = ctx;
	size_t used = 0;

	switch (sbd_h2c_preface_consume(&f->preface, in, len, &used)) {
	case SBD_H2C_PREFACE_NEED_MORE:
		return 0;
	case SBD_H2C_PREFACE_DONE:
		sb_buf_append(out, in + used, len - used);
		return 1;
	case SBD_H2C_PREFACE_INVALID:
		break;
	}
	*why = "h2c: the client did not send the HTTP/2 connection preface";
	return -1;
}

/* Backend to client: one SETTINGS ACK answers our replayed SETTINGS, not the client's. */
static int
drop_first_ack(void *ctx, const uint8_t *in, size_t len, struct sb_buf *out, const char **why)
{
	struct h2c_filters *f = ctx;

	if (sbd_h2c_ack_filter_feed(&f->ack, in, len, out, why) < 0)
		return -1;
	return f->ack.dropped && f->ack.hdr_len == 0 ? 1 : 0;
}

static struct sbd_why
start(struct sbd_tunnel *t, void *arg, struct sb_buf *early, struct sb_buf *to_client,
    struct sb_buf *to_backend)
{
	struct h2c_prep *p = arg;
	struct h2c_filters *f = sb_xcalloc(1, sizeof *f);
	const char *why = NULL;
	int rc;

	t->mode = f;
	sbd_flow_init(&t->up, t->client, &t->backend);
	sb_buf_move(&t->up.buf, to_backend); /* a PROXY header, if any */
	sb_buf_move(&t->up.buf, &p->preamble);
	prep_free(p);
	rc = strip_preface(f, (const uint8_t *)sb_buf_head(early), early->len, &t->up.buf, &why);
	sb_buf_free(early);
	if (rc == 0) {
		t->up.filter = strip_preface;
		t->up.filter_ctx = f;
	}
	sbd_flow_init(&t->down, &t->backend, t->client);
	t->down_skip = to_client->len; /* the 101 is not tunnel payload */
	sb_buf_move(&t->down.buf, to_client);
	t->down.filter = drop_first_ack;
	t->down.filter_ctx = f;
	return rc < 0 ? SBD_WHY_DETAIL(SBD_CLOSE_PROTOCOL, why) : SBD_WHY_OPEN;
}

const struct sbd_mode_ops sbd_mode_h2c = {
	.mode = SB_MODE_H2C,
	.wants_body = true,
	.check = check,
	.ready = ready,
	.answer = answer,
	.prep_free = prep_free,
	.start = start,
	.pump = sbd_tunnel_pump_flows,
	.free = free,
};
