/* sbd-mode-tunnel.c - tunnel mode: raw bytes both ways, for any custom token */
#include "sbd-tunnel-private.h"

static void
answer(const void *prep, const char *token, sbd_add_header_fn *add, void *arg)
{
	add(arg, "Upgrade", token);
}

static struct sbd_why
start(struct sbd_tunnel *t, void *prep, struct sb_buf *early, struct sb_buf *to_client,
    struct sb_buf *to_backend)
{
	sbd_flow_init(&t->up, t->client, &t->backend);
	sb_buf_move(&t->up.buf, to_backend); /* a PROXY header, if any */
	sb_buf_move(&t->up.buf, early);
	t->up.src_eof = t->client_eof_early; /* a FIN seen before the hand-over goes on */
	sbd_flow_init(&t->down, &t->backend, t->client);
	t->down_skip = to_client->len; /* the 101 is not tunnel payload */
	sb_buf_move(&t->down.buf, to_client);
	return SBD_WHY_OPEN;
}

const struct sbd_mode_ops sbd_mode_tunnel = {
	.mode = SB_MODE_TUNNEL,
	.answer = answer,
	.start = start,
	.pump = sbd_tunnel_pump_flows,
};
