/* sbd-bridge.c - after the 101: leave the socketpair, bridge the client to the backend */
#include <errno.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sb-log.h"
#include "sbd-conn-private.h"
#include "sbd-daemon.h"
#include "sbd-loop.h"
#include "sbd-registry.h"
#include "sbd-h2c-bridge.h"
#include "sbd-proxy-proto.h"
#include "sbd-stats.h"
#include "sbd-tls.h"
#include "sbd-upgrade-tls.h"
#include "sbd-ws-bridge.h"

static void
handover_free(struct sbd_handover *ho)
{
	if (ho->backend_fd >= 0)
		close(ho->backend_fd);
	sbd_stats_release(ho->stats);
	sbd_tls_ctx_unref(ho->tls);
	sb_buf_free(&ho->replay);
	free(ho->extra);
	free(ho->route);
	sbd_conn_unref(ho->conn);
	free(ho);
}

/* Reads fd until it would block, appending to b. */
static void
drain_into(int fd, struct sb_buf *b)
{
	for (;;) {
		char *p = sb_buf_reserve(b, 65536);
		ssize_t n = recv(fd, p, 65536, MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		sb_buf_commit(b, (size_t)n);
	}
	if (b->len == 0)
		sb_buf_free(b);
}

/* The backend learns the real client first: PROXY v1 or v2 ahead of everything else. */
static void
prepend_proxy_header(struct sbd_conn *c, enum sb_proxy_version v, struct sb_buf *first)
{
	struct sockaddr_storage local;
	socklen_t len = sizeof local;
	uint8_t hdr[SBD_PROXY_V2_ENCODE_MAX > SBD_PROXY_V1_MAX + 1 ? SBD_PROXY_V2_ENCODE_MAX :
	    SBD_PROXY_V1_MAX + 1];
	struct sb_buf out = SB_BUF_INIT;
	size_t n;

	if (getsockname(c->client.fd, (struct sockaddr *)&local, &len) < 0)
		memset(&local, 0, sizeof local);
	if (v == SB_PROXY_V1)
		n = sbd_proxy_encode_v1((char *)hdr, (struct sockaddr *)&c->client_addr,
		    (struct sockaddr *)&local);
	else
		n = sbd_proxy_encode_v2(hdr, sizeof hdr, (struct sockaddr *)&c->client_addr,
		    (struct sockaddr *)&local);
	sb_buf_append(&out, hdr, n);
	sb_buf_move(&out, first);
	sb_buf_move(first, &out);
}

/*
 * The order of early client bytes is the whole point: what MHD
 * read past the request, then what sits unread in MHD's end of the pair, then
 * what we read from the client but had not yet written into the pair.
 */
void
sbd_conn_handover(void *arg)
{
	struct sbd_handover *ho = arg;
	struct sbd_conn *c = ho->conn;
	struct sbd_daemon *d = c->daemon;
	struct sb_buf early = SB_BUF_INIT;

	if (c->state != SBD_CONN_HTTP) {
		/* The client left between the 101 and now. */
		if (!d->http_stopped)
			MHD_upgrade_action(ho->urh, MHD_UPGRADE_ACTION_CLOSE);
		handover_free(ho);
		return;
	}

	/* The rest of the 101, and anything after it, still goes to the client first. */
	drain_into(c->pair.fd, &c->down.buf);
	sb_buf_append(&early, ho->extra, ho->extra_len);
	drain_into(ho->mhd_fd, &early);
	sb_buf_move(&early, &c->up.buf);
	MHD_upgrade_action(ho->urh, MHD_UPGRADE_ACTION_CLOSE); /* MHD closes its end, later */
	sbd_end_close(&c->pair);
	c->in_mhd = false;

	bool client_eof = c->up.src_eof;
	struct sb_buf to_client = c->down.buf;

	if (ho->proxy_out != SB_PROXY_NONE)
		prepend_proxy_header(c, ho->proxy_out, &ho->replay);

	sbd_end_init(&c->backend, ho->backend_fd, NULL);
	ho->backend_fd = -1;
	c->down_skip = to_client.len; /* the 101 is not tunnel payload */
	c->deadline_ms = 0;
	if (ho->mode == SB_MODE_TLS) {
		/* The flows start once the handshake is done. */
		sbd_flow_init(&c->up, NULL, NULL);
		sbd_flow_init(&c->down, NULL, NULL);
		c->tls_upgrade = sbd_tls_upgrade_new(ho->tls, &to_client, &early, &ho->replay);
		c->down_skip = 0;
		c->deadline_ms = sbd_now_ms() + c->handshake_timeout_ms;
	} else if (ho->mode == SB_MODE_H2C) {
		const char *why = NULL;

		if (sbd_h2c_bridge_setup(c, &ho->replay, &early, &to_client, &why) < 0)
			c->first_eof = why; /* closed below, once the tunnel is registered */
	} else if (ho->mode == SB_MODE_WEBSOCKET) {
		/* The codec owns both directions; the flows stay empty. */
		sbd_flow_init(&c->up, NULL, NULL);
		sbd_flow_init(&c->down, NULL, NULL);
		c->ws = sbd_ws_new(ho->max_message_bytes, ho->ping_interval_s, ho->text_messages,
		    &early, &to_client, &ho->replay);
		c->down_skip = 0; /* the codec counts payload only */
	} else {
		sbd_flow_init(&c->up, &c->client, &c->backend);
		sb_buf_move(&c->up.buf, &ho->replay); /* a PROXY header, if any */
		sb_buf_move(&c->up.buf, &early);
		c->up.src_eof = client_eof; /* a FIN seen before the hand-over reaches the backend */
		sbd_flow_init(&c->down, &c->backend, &c->client);
		c->down.buf = to_client;
	}

	c->route = ho->route;
	ho->route = NULL;
	c->mode = ho->mode;
	c->idle_timeout_s = ho->idle_timeout_s;
	c->on_change = ho->on_change;
	c->stats = ho->stats;
	ho->stats = NULL;
	memcpy(c->backend_text, ho->backend_text, sizeof c->backend_text);
	c->state = SBD_CONN_TUNNEL;
	c->started_ms = c->last_active_ms = sbd_now_ms();
	c->started_unix_ms = sbd_unix_ms();
	atomic_fetch_add(&d->counters.upgraded, 1);
	atomic_fetch_add(&d->counters.tunnels, 1);
	sb_info("conn %llu %s route %s: %s to %s", (unsigned long long)c->id, c->client_text,
	    c->route, sb_mode_name(c->mode), c->backend_text);
	handover_free(ho);
	sbd_registry_add(d->registry, c);
	if (c->first_eof != NULL) {
		sbd_conn_close(c, c->first_eof);
		return;
	}
	sbd_bridge_pump(c);
}

void
sbd_bridge_count(struct sbd_conn *c, uint64_t up, uint64_t down)
{
	struct sbd_daemon *d = c->daemon;

	if (up == 0 && down == 0)
		return;
	c->last_active_ms = sbd_now_ms();
	if (c->down_skip > 0) {
		uint64_t skip = down < c->down_skip ? down : c->down_skip;

		c->down_skip -= skip;
		down -= skip;
	}
	atomic_fetch_add(&c->bytes_up, up);
	atomic_fetch_add(&c->bytes_down, down);
	atomic_fetch_add(&d->counters.bytes_up, up);
	atomic_fetch_add(&d->counters.bytes_down, down);
}

void
sbd_bridge_pump(struct sbd_conn *c)
{
	if (c->tls_upgrade != NULL) {
		sbd_tls_upgrade_pump(c);
		return;
	}
	if (c->ws != NULL) {
		sbd_ws_pump(c);
		return;
	}

	uint64_t up_moved = 0, down_moved = 0;
	enum sbd_flow_result up = sbd_flow_run(&c->up, &up_moved);
	enum sbd_flow_result down = sbd_flow_run(&c->down, &down_moved);
	char why[160];

	sbd_bridge_count(c, up_moved, down_moved);
	if (c->first_eof == NULL && (c->up.src_eof || c->down.src_eof)) {
		c->first_eof = c->up.src_eof ? "client closed" : "backend closed";
		atomic_store(&c->half_closed, true);
	}
	if (up == SBD_FLOW_SRC_ERROR || down == SBD_FLOW_DST_ERROR) {
		snprintf(why, sizeof why, "client error: %s", c->client.error ? c->client.error :
		    "error");
		sbd_conn_close(c, why);
		return;
	}
	if (up == SBD_FLOW_DST_ERROR || down == SBD_FLOW_SRC_ERROR) {
		snprintf(why, sizeof why, "backend error: %s", c->backend.error ?
		    c->backend.error : "error");
		sbd_conn_close(c, why);
		return;
	}
	if (up == SBD_FLOW_FILTER_ERROR || down == SBD_FLOW_FILTER_ERROR) {
		sbd_conn_close(c, up == SBD_FLOW_FILTER_ERROR ? c->up.filter_error :
		    c->down.filter_error);
		return;
	}
	if (up == SBD_FLOW_DONE && down == SBD_FLOW_DONE) {
		sbd_conn_close(c, c->first_eof);
		return;
	}
	if (up == SBD_FLOW_MORE || down == SBD_FLOW_MORE)
		sbd_conn_post_rerun(c);
	sbd_conn_update_interest(c);
}
