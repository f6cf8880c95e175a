/* sbd-tunnel.c - after the 101: the backend end, the counters, and the mode that runs between */
#include "sbd-tunnel-private.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sb-alloc.h"
#include "sbd-config.h"
#include "sbd-ctx.h"
#include "sbd-loop.h"
#include "sbd-pool.h"
#include "sbd-proxy-proto.h"

/* The backend learns the real client first: PROXY v1 or v2 ahead of everything else. */
static void
proxy_header(struct sbd_tunnel *t, enum sb_proxy_version v, const struct sockaddr *client,
    struct sb_buf *out)
{
	struct sockaddr_storage local;
	socklen_t len = sizeof local;
	uint8_t hdr[SBD_PROXY_V2_ENCODE_MAX > SBD_PROXY_V1_MAX + 1 ? SBD_PROXY_V2_ENCODE_MAX :
	    SBD_PROXY_V1_MAX + 1];
	size_t n;

	if (getsockname(t->client->fd, (struct sockaddr *)&local, &len) < 0)
		memset(&local, 0, sizeof local);
	if (v == SB_PROXY_V1)
		n = sbd_proxy_encode_v1((char *)hdr, client, (struct sockaddr *)&local);
	else
		n = sbd_proxy_encode_v2(hdr, sizeof hdr, client, (struct sockaddr *)&local);
	sb_buf_append(out, hdr, n);
}

struct sbd_tunnel *
sbd_tunnel_new(const struct sbd_tunnel_host *host, struct sbd_tunnel_start *st,
    struct sbd_why *why)
{
	struct sbd_tunnel *t = sb_xcalloc(1, sizeof *t);
	struct sb_buf to_backend = SB_BUF_INIT;
	void *prep = st->prep;

	t->host = *host;
	t->client = st->client;
	sbd_end_init(&t->backend, st->backend_fd, st->backend_tls);
	t->backend.tls_established = st->backend_tls != NULL; /* the admission's handshake */
	st->backend_fd = -1;
	st->backend_tls = NULL;
	t->target = st->target;
	st->target = NULL;
	t->route = st->route;
	st->route = NULL;
	st->prep = NULL;
	t->ops = sbd_mode_ops(t->route->route->mode);
	t->handshake_timeout_ms = st->handshake_timeout_ms;
	t->client_eof_early = st->client_eof;
	atomic_store_explicit(&t->last_active_ms, sbd_now_ms(), memory_order_relaxed);
	/* Flows own pipe fds: a zeroed flow would "own" fd 0. Modes that use them set them up. */
	sbd_flow_init(&t->up, NULL, NULL);
	sbd_flow_init(&t->down, NULL, NULL);
	if (t->route->route->proxy_protocol != SB_PROXY_NONE)
		proxy_header(t, t->route->route->proxy_protocol, st->client_addr, &to_backend);

	*why = t->ops->start(t, prep, &st->early, &st->to_client, &to_backend);
	sb_buf_free(&to_backend);
	sb_buf_free(&st->early);
	sb_buf_free(&st->to_client);
	return t;
}

void
sbd_tunnel_free(struct sbd_tunnel *t)
{
	if (t == NULL)
		return;
	if (t->ops->free != NULL)
		t->ops->free(t->mode);
	sbd_flow_clear(&t->up);
	sbd_flow_clear(&t->down);
	sbd_end_close(&t->backend);
	sbd_route_rt_unref(t->route);
	t->route = NULL;
	sbd_target_release(t->target);
	t->target = NULL;
	sbd_loop_defer(t->host.loop, free, t);
}

struct sbd_why
sbd_tunnel_pump(struct sbd_tunnel *t)
{
	return t->ops->pump(t);
}

struct sbd_why
sbd_tunnel_tick(struct sbd_tunnel *t, uint64_t now)
{
	struct sbd_why why = t->ops->tick ? t->ops->tick(t, now) : SBD_WHY_OPEN;

	if (!sbd_why_is_open(why) || t->deadline_ms != 0)
		return why;
	if (sbd_tunnel_idle_ms(t, now) >= t->route->route->idle_timeout_s * 1000ull)
		return SBD_WHY(SBD_CLOSE_IDLE);
	return SBD_WHY_OPEN;
}

const struct sbd_route_rt *
sbd_tunnel_route(const struct sbd_tunnel *t)
{
	return t->route;
}

const char *
sbd_tunnel_backend_text(const struct sbd_tunnel *t)
{
	return t->target->text;
}

void
sbd_tunnel_bytes(const struct sbd_tunnel *t, uint64_t *up, uint64_t *down)
{
	*up = atomic_load(&t->bytes_up);
	*down = atomic_load(&t->bytes_down);
}

bool
sbd_tunnel_half_closed(const struct sbd_tunnel *t)
{
	return atomic_load(&t->half_closed);
}

uint64_t
sbd_tunnel_idle_ms(const struct sbd_tunnel *t, uint64_t now)
{
	uint64_t last = atomic_load_explicit(&t->last_active_ms, memory_order_relaxed);

	return now > last ? now - last : 0;
}

bool
sbd_tunnel_mode_stats(const struct sbd_tunnel *t, struct sbd_mode_stats *out)
{
	if (t->ops->stats == NULL)
		return false;
	t->ops->stats(t, out);
	return true;
}

void
sbd_tunnel_count(struct sbd_tunnel *t, uint64_t up, uint64_t down)
{
	if (up == 0 && down == 0)
		return;
	atomic_store_explicit(&t->last_active_ms, sbd_now_ms(), memory_order_relaxed);
	if (t->down_skip > 0) {
		uint64_t skip = down < t->down_skip ? down : t->down_skip;

		t->down_skip -= skip;
		down -= skip;
	}
	atomic_fetch_add(&t->bytes_up, up);
	atomic_fetch_add(&t->bytes_down, down);
	atomic_fetch_add(&t->host.counters->bytes_up, up);
	atomic_fetch_add(&t->host.counters->bytes_down, down);
}

void
sbd_tunnel_watch(struct sbd_tunnel *t, struct sbd_end *e, unsigned events)
{
	t->host.watch(t->host.owner, e, events);
}

void
sbd_tunnel_rerun(struct sbd_tunnel *t)
{
	t->host.rerun(t->host.owner);
}

/* Interest follows the flows: read where a flow wants input, write where one has output. */
static void
update_interest(struct sbd_tunnel *t)
{
	struct sbd_end *ends[] = { t->client, &t->backend };

	for (size_t i = 0; i < 2; i++) {
		unsigned ev = sbd_flows_interest(&t->up, &t->down, ends[i]);

		/* Records GnuTLS already decrypted raise no epoll event: come back for them. */
		if ((ev & EPOLLIN) && sbd_end_has_pending(ends[i]))
			sbd_tunnel_rerun(t);
		sbd_tunnel_watch(t, ends[i], ev);
	}
}

struct sbd_why
sbd_tunnel_pump_flows(struct sbd_tunnel *t)
{
	uint64_t up_moved = 0, down_moved = 0;
	/*
	 * Both flows run; the one whose source epoll just reported goes first, so
	 * that a backend's answer is not kept waiting behind a read of the client
	 * that finds nothing.
	 */
	bool down_first = (t->backend.ready & EPOLLIN) && !(t->client->ready & EPOLLIN);
	enum sbd_flow_result up, down;

	if (down_first) {
		down = sbd_flow_run(&t->down, &down_moved);
		up = sbd_flow_run(&t->up, &up_moved);
	} else {
		up = sbd_flow_run(&t->up, &up_moved);
		down = sbd_flow_run(&t->down, &down_moved);
	}
	t->client->ready = t->backend.ready = 0;

	sbd_tunnel_count(t, up_moved, down_moved);
	if (t->first_eof == SBD_CLOSE_NONE && (t->up.src_eof || t->down.src_eof)) {
		t->first_eof = t->up.src_eof ? SBD_CLOSE_CLIENT_CLOSED : SBD_CLOSE_BACKEND_CLOSED;
		atomic_store(&t->half_closed, true);
	}
	if (up == SBD_FLOW_SRC_ERROR || down == SBD_FLOW_DST_ERROR)
		return SBD_WHY_DETAIL(SBD_CLOSE_CLIENT_ERROR, t->client->error);
	if (up == SBD_FLOW_DST_ERROR || down == SBD_FLOW_SRC_ERROR)
		return SBD_WHY_DETAIL(SBD_CLOSE_BACKEND_ERROR, t->backend.error);
	if (up == SBD_FLOW_FILTER_ERROR || down == SBD_FLOW_FILTER_ERROR)
		return SBD_WHY_DETAIL(SBD_CLOSE_PROTOCOL, up == SBD_FLOW_FILTER_ERROR ?
		    t->up.filter_error : t->down.filter_error);
	if (up == SBD_FLOW_DONE && down == SBD_FLOW_DONE)
		return SBD_WHY(t->first_eof);
	if (up == SBD_FLOW_MORE || down == SBD_FLOW_MORE)
		sbd_tunnel_rerun(t);
	update_interest(t);
	return SBD_WHY_OPEN;
}
