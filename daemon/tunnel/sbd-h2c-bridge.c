/* sbd-h2c-bridge.c - the two rewrites an h2c tunnel needs, as flow filters */
#include "sbd-h2c-bridge.h"

#include <stdlib.h>

#include "sb-alloc.h"
#include "sbd-conn-private.h"
#include "sbd-h2c.h"

struct sbd_h2c_filters {
	struct sbd_h2c_preface preface;
	struct sbd_h2c_ack_filter ack;
};

void
sbd_h2c_filters_free(struct sbd_h2c_filters *f)
{
	free(f);
}

/* Client to backend: drop the client's connection preface, pass the rest. */
static int
strip_preface(void *ctx, const uint8_t *in, size_t len, struct sb_buf *out, const char **why)
{
	struct sbd_h2c_filters *f = ctx;
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
	struct sbd_h2c_filters *f = ctx;

	if (sbd_h2c_ack_filter_feed(&f->ack, in, len, out, why) < 0)
		return -1;
	return f->ack.dropped && f->ack.hdr_len == 0 ? 1 : 0;
}

int
sbd_h2c_bridge_setup(struct sbd_conn *c, struct sb_buf *preamble, struct sb_buf *early,
    struct sb_buf *to_client, const char **why)
{
	struct sbd_h2c_filters *f = sb_xcalloc(1, sizeof *f);
	int rc;

	c->h2c = f;
	sbd_flow_init(&c->up, &c->client, &c->backend);
	sb_buf_move(&c->up.buf, preamble);
	rc = strip_preface(f, (const uint8_t *)sb_buf_head(early), early->len, &c->up.buf, why);
	sb_buf_free(early);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		c->up.filter = strip_preface;
		c->up.filter_ctx = f;
	}
	sbd_flow_init(&c->down, &c->backend, &c->client);
	sb_buf_move(&c->down.buf, to_client);
	c->down.filter = drop_first_ack;
	c->down.filter_ctx = f;
	return 0;
}
