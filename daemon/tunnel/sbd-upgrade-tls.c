/* sbd-upgrade-tls.c - flush the 101 in plain, run the server handshake, then replay and bridge */
#include "sbd-upgrade-tls.h"

#include <stdio.h>
#include <stdlib.h>

#include "sb-alloc.h"
#include "sb-log.h"
#include "sbd-conn-private.h"
#include "sbd-tls.h"

struct sbd_tls_upgrade {
	struct sbd_tls_ctx *ctx;
	struct sb_buf to_client; /* plain: the end of the 101 */
	struct sb_buf early;     /* the client's first TLS records */
	struct sb_buf replay;
	bool handshaking;
};

struct sbd_tls_upgrade *
sbd_tls_upgrade_new(struct sbd_tls_ctx *ctx, struct sb_buf *to_client, struct sb_buf *early,
    struct sb_buf *replay)
{
	struct sbd_tls_upgrade *u = sb_xcalloc(1, sizeof *u);

	u->ctx = sbd_tls_ctx_ref(ctx);
	sb_buf_move(&u->to_client, to_client);
	sb_buf_move(&u->early, early);
	sb_buf_move(&u->replay, replay);
	return u;
}

void
sbd_tls_upgrade_free(struct sbd_tls_upgrade *u)
{
	if (u == NULL)
		return;
	sbd_tls_ctx_unref(u->ctx);
	sb_buf_free(&u->to_client);
	sb_buf_free(&u->early);
	sb_buf_free(&u->replay);
	free(u);
}

static void
start_tunnel(struct sbd_conn *c)
{
	struct sbd_tls_upgrade *u = c->tls_upgrade;

	sbd_flow_init(&c->up, &c->client, &c->backend);
	sb_buf_move(&c->up.buf, &u->replay);
	sbd_flow_init(&c->down, &c->backend, &c->client);
	sbd_tls_upgrade_free(u);
	c->tls_upgrade = NULL;
	c->deadline_ms = 0;
	if (sb_log_enabled(SB_LOG_DEBUG)) {
		char desc[256];

		sbd_tls_describe(c->client.tls, desc, sizeof desc);
		sb_debug("conn %llu %s: upgraded to %s", (unsigned long long)c->id, c->client_text,
		    desc);
	}
	sbd_bridge_pump(c);
}

void
sbd_tls_upgrade_pump(struct sbd_conn *c)
{
	struct sbd_tls_upgrade *u = c->tls_upgrade;
	char why[160];
	int rc;

	while (!u->handshaking && u->to_client.len > 0) {
		ssize_t w = sbd_end_write(&c->client, sb_buf_head(&u->to_client), u->to_client.len);

		if (w == SBD_END_AGAIN) {
			sbd_conn_watch(c, &c->client, EPOLLOUT);
			return;
		}
		if (w < 0) {
			snprintf(why, sizeof why, "client error: %s", c->client.error);
			sbd_conn_close(c, why);
			return;
		}
		sb_buf_consume(&u->to_client, (size_t)w);
	}
	if (!u->handshaking) {
		gnutls_session_t s = sbd_tls_session_new(u->ctx, c->client.fd);

		if (s == NULL) {
			sbd_conn_close(c, "cannot start a TLS session");
			return;
		}
		sbd_end_start_tls(&c->client, s, &u->early);
		u->handshaking = true;
	}
	do {
		rc = gnutls_handshake(c->client.tls);
	} while (rc < 0 && !gnutls_error_is_fatal(rc) && rc != GNUTLS_E_AGAIN &&
	    rc != GNUTLS_E_INTERRUPTED);
	if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
		sbd_conn_watch(c, &c->client,
		    gnutls_record_get_direction(c->client.tls) ? EPOLLOUT : EPOLLIN);
		sbd_conn_watch(c, &c->backend, 0);
		return;
	}
	if (rc < 0) {
		snprintf(why, sizeof why, "tls upgrade handshake: %.*s",
		    sbd_tls_msg_len(gnutls_strerror(rc)), gnutls_strerror(rc));
		sbd_conn_close(c, why);
		return;
	}
	c->client.tls_established = true;
	start_tunnel(c);
}
