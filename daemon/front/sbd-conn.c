/* sbd-conn.c - a connection's life: TLS handshake, the pump into MHD, linger, close, sweep */
#include "sbd-conn-private.h"

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sb-alloc.h"
#include "sb-log.h"
#include "sbd-config.h"
#include "sbd-ctx.h"
#include "sbd-events.h"
#include "sbd-http.h"
#include "sbd-listener-conf.h"
#include "sbd-loop.h"
#include "sbd-peers.h"
#include "sbd-recheck.h"
#include "sbd-refusal.h"
#include "sbd-route.h"
#include "sbd-stats.h"
#include "sbd-tls.h"
#include "sbd-tunnel.h"

#define LINGER_MS 2000

static void on_io(struct sbd_watch *w, unsigned events);

struct sbd_conn *
sbd_conn_ref(struct sbd_conn *c)
{
	atomic_fetch_add(&c->refs, 1);
	return c;
}

void
sbd_conn_unref(struct sbd_conn *c)
{
	if (c == NULL || atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	/* Everything with an fd was released by sbd_conn_close on the loop. */
	sbd_listener_conf_unref(c->lconf);
	free(c->method);
	free(c->path);
	free(c->tls);
	free(c);
}

const struct sbd_conn_info *
sbd_conn_info(const struct sbd_conn *c)
{
	return &c->info;
}

/* The flaw is stored before the bytes that finish the head reach MHD: MHD cannot be earlier. */
const char *
sbd_conn_head_flaw(const struct sbd_conn *c)
{
	return c->head_flaw;
}

static void
unref_task(void *arg)
{
	sbd_conn_unref(arg);
}

/* What a worker loop holds of connections. */
struct loop_conns {
	struct sbd_conn *head;
	struct sbd_http *http; /* the loop's MHD: its connections' requests */
	atomic_uint load;      /* see sbd_conn_loop_load(); any thread */
	bool closed;           /* sbd_conn_close_all() ran: no connection starts */
};

static struct sbd_conn **
list_head(struct sbd_loop *loop)
{
	return &((struct loop_conns *)sbd_loop_data(loop))->head;
}

static struct sbd_http *
loop_http(struct sbd_loop *loop)
{
	return ((struct loop_conns *)sbd_loop_data(loop))->http;
}

void
sbd_conn_loop_init(struct sbd_loop *loop)
{
	sbd_loop_set_data(loop, sb_xcalloc(1, sizeof(struct loop_conns)));
}

unsigned
sbd_conn_loop_load(const struct sbd_loop *loop)
{
	const struct loop_conns *lc = sbd_loop_data(loop);

	return atomic_load_explicit(&lc->load, memory_order_relaxed);
}

void
sbd_conn_loop_take(struct sbd_loop *loop)
{
	struct loop_conns *lc = sbd_loop_data(loop);

	atomic_fetch_add_explicit(&lc->load, 1, memory_order_relaxed);
}

static void
loop_let_go(struct sbd_loop *loop)
{
	struct loop_conns *lc = sbd_loop_data(loop);

	atomic_fetch_sub_explicit(&lc->load, 1, memory_order_relaxed);
}

int
sbd_conn_loop_start_http(struct sbd_loop *loop, struct sbd_ctx *ctx,
    const struct sb_limits *limits)
{
	struct loop_conns *lc = sbd_loop_data(loop);

	lc->http = sbd_http_new(ctx, loop, limits);
	return lc->http != NULL ? 0 : -1;
}

void
sbd_conn_loop_fini(struct sbd_loop *loop)
{
	struct loop_conns *lc = sbd_loop_data(loop);

	if (lc != NULL)
		sbd_http_free(lc->http);
	free(lc);
	sbd_loop_set_data(loop, NULL);
}

static void
list_insert(struct sbd_conn *c)
{
	struct sbd_conn **head = list_head(c->loop);

	c->prev = NULL;
	c->next = *head;
	if (*head != NULL)
		(*head)->prev = c;
	*head = c;
}

static void
list_remove(struct sbd_conn *c)
{
	struct sbd_conn **head = list_head(c->loop);

	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		*head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

void
sbd_conn_watch(struct sbd_conn *c, struct sbd_end *e, unsigned events)
{
	if (e->fd < 0 || e->hup)
		return;
	if (e->watch.fd < 0) {
		if (sbd_loop_watch_add(c->loop, &e->watch, e->fd, events, on_io, c) < 0)
			sb_log_errno(SB_LOG_WARN, "conn %llu: watch", (unsigned long long)c->info.id);
		return;
	}
	sbd_loop_watch_set(&e->watch, events);
}

/* HTTP phase: interest follows the two flows between the client and the pair. */
static void
update_interest(struct sbd_conn *c)
{
	struct sbd_conn_http *h = c->http;
	struct sbd_end *ends[] = { &c->client, &h->pair };

	for (size_t i = 0; i < 2; i++) {
		unsigned ev = sbd_flows_interest(&h->up, &h->down, ends[i]);

		if (ends[i]->fd < 0)
			continue;
		/* Records GnuTLS already decrypted raise no epoll event: come back for them. */
		if ((ev & EPOLLIN) && sbd_end_has_pending(ends[i]))
			sbd_conn_post_rerun(c);
		sbd_conn_watch(c, ends[i], ev);
	}
}

static void
rerun(void *arg)
{
	struct sbd_conn *c = arg;

	c->rerun_posted = false;
	if (c->state != SBD_CONN_CLOSED)
		sbd_conn_pump(c);
	sbd_conn_unref(c);
}

void
sbd_conn_post_rerun(struct sbd_conn *c)
{
	if (c->rerun_posted)
		return;
	c->rerun_posted = true;
	sbd_loop_post(c->loop, rerun, sbd_conn_ref(c));
}

static void
close_tunnel(struct sbd_conn *c, const char *reason)
{
	uint64_t up, down;

	sbd_tunnel_bytes(c->tunnel, &up, &down);
	sb_info("conn %llu %s route %s%s%s: closed: %s (up %llu, down %llu bytes, %.1f s)",
	    (unsigned long long)c->info.id, c->info.text, sbd_tunnel_route(c->tunnel)->route->name,
	    c->identity[0] ? " as " : "", c->identity,
	    reason, (unsigned long long)up, (unsigned long long)down,
	    (double)(sbd_now_ms() - c->started_ms) / 1000.0);
	sbd_conn_emit(c, SB_EVENT_CONNECTION_CLOSED, reason);
	sbd_registry_remove(c->ctx->registry, &c->entry);
	atomic_fetch_sub(&c->ctx->counters.tunnels, 1);
	sbd_tunnel_free(c->tunnel);
	c->tunnel = NULL;
	sbd_stats_release(c->route_slot);
	c->route_slot = NULL;
}

void
sbd_conn_close(struct sbd_conn *c, struct sbd_why why)
{
	struct sbd_ctx *ctx = c->ctx;
	char reason[256];

	if (c->state == SBD_CONN_CLOSED)
		return;
	sbd_why_format(why, reason, sizeof reason);
	if (c->admission != NULL)
		sbd_admission_abort(c->admission); /* the HTTP side hears, and frees its request */
	if (c->tunnel != NULL)
		close_tunnel(c, reason);
	else
		sb_debug("conn %llu %s: closed: %s", (unsigned long long)c->info.id, c->info.text,
		    reason);
	sbd_end_close(&c->client);
	sbd_conn_http_end(c);
	sb_buf_free(&c->proxy_in);
	sbd_stats_release(c->lconf->stats);
	if (c->peer_counted)
		sbd_peers_release(ctx->peers, (struct sockaddr *)&c->info.addr,
		    c->per_ip_v6_prefix);
	atomic_fetch_sub(&ctx->counters.active, 1);
	loop_let_go(c->loop);
	c->state = SBD_CONN_CLOSED;
	list_remove(c);
	sbd_loop_defer(c->loop, unref_task, c);
}

/* HTTP phase, client to MHD: the head is checked on its way; its bytes pass unchanged. */
static int
scan_head(void *ctx, const uint8_t *in, size_t len, struct sb_buf *out, const char **why)
{
	struct sbd_conn *c = ctx;

	struct sbd_head_scan *head = &c->http->head;

	sbd_head_scan_feed(head, in, len);
	if (head->flaw != NULL)
		c->head_flaw = head->flaw;
	sb_buf_append(out, in, len);
	return head->done ? 1 : 0;
}

static void
http_free_task(void *arg)
{
	free(arg);
}

void
sbd_conn_http_end(struct sbd_conn *c)
{
	struct sbd_conn_http *h = c->http;

	if (h == NULL)
		return;
	sbd_end_close(&h->pair);
	sbd_flow_clear(&h->up);
	sbd_flow_clear(&h->down);
	c->http = NULL;
	sbd_loop_defer(c->loop, http_free_task, h); /* the pair's watch may still be named */
}

static void
start_http(struct sbd_conn *c)
{
	int sp[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sp) < 0) {
		sb_log_errno(SB_LOG_WARN, "conn %llu: socketpair", (unsigned long long)c->info.id);
		sbd_conn_close(c, SBD_WHY(SBD_CLOSE_NO_DESCRIPTORS));
		return;
	}
	struct sbd_conn_http *h = c->http = sb_xcalloc(1, sizeof *h);
	sbd_end_init(&h->pair, sp[0], NULL);
	sbd_flow_init(&h->up, &c->client, &h->pair);
	sbd_flow_init(&h->down, &h->pair, &c->client);
	h->down.shut_dst = false; /* MHD closing its end ends the answer: then we linger */
	h->up.no_splice = h->down.no_splice = true; /* the hand-over drains our buffers */
	sbd_head_scan_init(&h->head);
	h->up.filter = scan_head;
	h->up.filter_ctx = c;
	c->state = SBD_CONN_HTTP;
	if (sbd_http_add(loop_http(c->loop), c, sp[1]) < 0) {
		sbd_conn_close(c, SBD_WHY(SBD_CLOSE_HTTP_REFUSED));
		return;
	}
	sbd_conn_pump(c);
}

static void
begin_linger(struct sbd_conn *c)
{
	sbd_conn_http_end(c);
	c->state = SBD_CONN_LINGER;
	c->deadline_ms = sbd_now_ms() + LINGER_MS;
}

/* After the answer: shut our side, then read the client out so it is not reset mid-answer. */
static void
linger(struct sbd_conn *c)
{
	static _Thread_local char sink[16384];
	int rc = sbd_end_shutdown_write(&c->client);

	if (rc == SBD_END_AGAIN) {
		sbd_conn_watch(c, &c->client, EPOLLOUT);
		return;
	}
	if (rc == SBD_END_ERROR) {
		sbd_conn_close(c, SBD_WHY(SBD_CLOSE_ANSWERED));
		return;
	}
	for (int i = 0; i < 64; i++) {
		ssize_t r = sbd_end_read(&c->client, sink, sizeof sink);

		if (r == SBD_END_AGAIN) {
			sbd_conn_watch(c, &c->client, EPOLLIN);
			return;
		}
		if (r <= 0) {
			sbd_conn_close(c, SBD_WHY(SBD_CLOSE_ANSWERED));
			return;
		}
	}
	sbd_conn_post_rerun(c);
}

static void
pump_http(struct sbd_conn *c)
{
	struct sbd_conn_http *h = c->http;
	uint64_t moved = 0;
	enum sbd_flow_result up = sbd_flow_run(&h->up, &moved);
	enum sbd_flow_result down = sbd_flow_run(&h->down, &moved);

	if (up == SBD_FLOW_SRC_ERROR || down == SBD_FLOW_DST_ERROR) {
		sbd_conn_close(c, SBD_WHY_DETAIL(SBD_CLOSE_CLIENT_ERROR, c->client.error));
		return;
	}
	if (up == SBD_FLOW_DST_ERROR) {
		/* MHD closed its end while the client still sent: the answer decides. */
		h->up.done = true;
		sbd_flow_clear(&h->up);
	}
	if (down == SBD_FLOW_SRC_ERROR || down == SBD_FLOW_DONE) {
		begin_linger(c);
		linger(c);
		return;
	}
	if (up == SBD_FLOW_MORE || down == SBD_FLOW_MORE)
		sbd_conn_post_rerun(c);
	update_interest(c);
}

void
sbd_conn_pump(struct sbd_conn *c)
{
	struct sbd_why why;

	switch (c->state) {
	case SBD_CONN_HTTP:
		pump_http(c);
		break;
	case SBD_CONN_TUNNEL:
		why = sbd_tunnel_pump(c->tunnel);
		if (!sbd_why_is_open(why))
			sbd_conn_close(c, why);
		break;
	case SBD_CONN_LINGER:
		linger(c);
		break;
	default:
		break;
	}
}

/* A first byte other than a TLS handshake record: answer plain HTTP, drop anything else. */
static bool
check_first_byte(struct sbd_conn *c)
{
	int b = sbd_end_tls_first_byte(&c->client);

	if (b == SBD_END_AGAIN) {
		sbd_conn_watch(c, &c->client, EPOLLIN);
		return false;
	}
	if (b < 0) {
		sbd_conn_close(c, SBD_WHY(SBD_CLOSE_LEFT_BEFORE_TLS));
		return false;
	}
	if (b == 0x16)
		return true;
	if (b >= 'A' && b <= 'Z') {
		sbd_refusal_send_raw(c->client.fd, 400, "plain HTTP sent to a TLS listener");
		sbd_conn_close(c, SBD_WHY(SBD_CLOSE_PLAIN_ON_TLS));
	} else {
		sbd_conn_close(c, SBD_WHY(SBD_CLOSE_NOT_TLS));
	}
	return false;
}

static void
handshake(struct sbd_conn *c)
{
	gnutls_session_t s = c->client.tls;
	int rc;

	if (!c->first_byte_checked && !check_first_byte(c))
		return;
	c->first_byte_checked = true;
	do {
		rc = gnutls_handshake(s);
	} while (rc < 0 && !gnutls_error_is_fatal(rc) && rc != GNUTLS_E_AGAIN &&
	    rc != GNUTLS_E_INTERRUPTED);
	if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
		sbd_conn_watch(c, &c->client, gnutls_record_get_direction(s) ? EPOLLOUT : EPOLLIN);
		return;
	}
	if (rc < 0) {
		sb_info("conn %llu %s: tls handshake: %s", (unsigned long long)c->info.id,
		    c->info.text, gnutls_strerror(rc));
		sbd_conn_close(c, SBD_WHY_DETAIL(SBD_CLOSE_TLS_HANDSHAKE, gnutls_strerror(rc)));
		return;
	}
	c->client.tls_established = true;
	/*
	 * The client's Finished waits for a delayed ACK (40 ms) before a client
	 * with Nagle on lets its request go; ACK it now (Linux sends a pending
	 * ACK when TCP_QUICKACK is set).
	 */
	int one = 1;
	setsockopt(c->client.fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
	if (sb_log_enabled(SB_LOG_DEBUG)) {
		char desc[256];

		sbd_tls_describe(s, desc, sizeof desc);
		sb_debug("conn %llu %s: %s", (unsigned long long)c->info.id, c->info.text, desc);
	}
	start_http(c);
}

static void
on_io(struct sbd_watch *w, unsigned events)
{
	struct sbd_conn *c = w->arg;
	struct sbd_end *e = (struct sbd_end *)((char *)w - offsetof(struct sbd_end, watch));

	e->ready = events;
	if ((events & (EPOLLHUP | EPOLLERR)) && !(w->events & EPOLLIN)) {
		/* Reported whatever we asked for: stop watching, read it out when a flow runs. */
		sbd_loop_watch_del(w);
		e->hup = true;
	}
	if (c->state == SBD_CONN_PROXY)
		sbd_proxy_in_read(c);
	else if (c->state == SBD_CONN_HANDSHAKE)
		handshake(c);
	else
		sbd_conn_pump(c);
}

void
sbd_conn_start(struct sbd_ctx *ctx, struct sbd_loop *loop, struct sbd_listener_conf *lconf,
    int fd, const struct sockaddr *addr, socklen_t addrlen)
{
	struct loop_conns *lc = sbd_loop_data(loop);
	struct sbd_conn *c;
	struct sbd_config *cfg;

	if (lc->closed) {
		/* handed over while the loop shut down: nothing here would close it */
		close(fd);
		sbd_listener_conf_unref(lconf);
		loop_let_go(loop);
		return;
	}
	c = sb_xcalloc(1, sizeof *c);
	cfg = sbd_ctx_config(ctx);
	atomic_init(&c->refs, 1); /* the loop's */
	c->info.id = atomic_fetch_add(&ctx->next_conn_id, 1) + 1;
	memcpy(&c->info.addr, addr, addrlen);
	c->info.addr_len = addrlen;
	sb_addr_format(addr, c->info.text);
	c->info.listener = lconf->name;
	c->ctx = ctx;
	c->loop = loop;
	c->lconf = lconf;
	c->entry.id = c->info.id;
	c->entry.loop = loop;
	c->entry.ops = &sbd_conn_entry_ops;
	sbd_end_init(&c->client, fd, NULL);
	c->started_ms = sbd_now_ms();
	c->info.accepted_ms = c->started_ms;
	c->handshake_timeout_ms = cfg->policy->limits.handshake_timeout_s * 1000ull;
	c->deadline_ms = c->started_ms + c->handshake_timeout_ms;
	c->per_ip_limit = cfg->policy->limits.max_per_ip;
	c->per_ip_v6_prefix = cfg->policy->limits.ipv6_prefix;
	sbd_stats_reserve(lconf->stats, 0);
	atomic_fetch_add(&ctx->counters.active, 1);
	list_insert(c);
	sb_debug("conn %llu %s: accepted on %s", (unsigned long long)c->info.id, c->info.text,
	    lconf->name);

	if (lconf->proxy_protocol) {
		/* Who may send a header is the TCP peer's call, before any byte is read. */
		bool trusted = sbd_proxy_in_sender_ok(c,
		    sb_policy_find_listener(cfg->policy, lconf->name));

		sbd_config_unref(cfg);
		if (!trusted)
			return;
		/* Nothing else is read before the PROXY header says who the client is. */
		c->state = SBD_CONN_PROXY;
		sbd_conn_watch(c, &c->client, EPOLLIN);
		return;
	}
	sbd_config_unref(cfg);
	sbd_conn_admit_client(c);
}

void
sbd_conn_admit_client(struct sbd_conn *c)
{
	struct sbd_listener_conf *lconf = c->lconf;

	if (!sbd_peers_acquire(c->ctx->peers, (struct sockaddr *)&c->info.addr,
	    c->per_ip_v6_prefix, c->per_ip_limit)) {
		sb_warn("conn %llu %s: turned away: %u connections from that address",
		    (unsigned long long)c->info.id, c->info.text, c->per_ip_limit);
		sbd_conn_refused(c, 503, "too many connections from this address");
		if (lconf->tls == NULL)
			sbd_refusal_send_raw(c->client.fd, 503, "too many connections from this address");
		sbd_conn_close(c, SBD_WHY(SBD_CLOSE_PER_ADDRESS));
		return;
	}
	c->peer_counted = true;

	if (lconf->tls != NULL) {
		gnutls_session_t s = sbd_tls_session_new(lconf->tls, c->client.fd);

		if (s == NULL) {
			sbd_conn_close(c, SBD_WHY(SBD_CLOSE_TLS_SESSION));
			return;
		}
		/* Handshake reads go through the read-ahead: one recv per flight, not two per record. */
		sbd_end_start_tls(&c->client, s, NULL);
		c->state = SBD_CONN_HANDSHAKE;
		/* The ClientHello is usually there by the time of the accept: no epoll round for it. */
		handshake(c);
		return;
	}
	start_http(c);
}

static enum sbd_close
timeout_reason(const struct sbd_conn *c)
{
	switch (c->state) {
	case SBD_CONN_LINGER:
		return SBD_CLOSE_ANSWERED;
	case SBD_CONN_PROXY:
		return SBD_CLOSE_PROXY_TIMEOUT;
	case SBD_CONN_HANDSHAKE:
		return SBD_CLOSE_TLS_TIMEOUT;
	default:
		return SBD_CLOSE_REQUEST_TIMEOUT;
	}
}

void
sbd_conn_sweep(struct sbd_loop *loop, uint64_t now)
{
	struct sbd_conn *c = *list_head(loop);

	while (c != NULL) {
		struct sbd_conn *next = c->next;

		if (c->admission != NULL)
			sbd_admission_tick(c->admission, now);
		if (c->state == SBD_CONN_TUNNEL) {
			struct sbd_why why = sbd_tunnel_tick(c->tunnel, now);

			if (!sbd_why_is_open(why))
				sbd_conn_close(c, why);
			else
				sbd_conn_report_counters(c);
		} else if (c->deadline_ms != 0 && now >= c->deadline_ms) {
			sbd_conn_close(c, SBD_WHY(timeout_reason(c)));
		}
		c = next;
	}
	sbd_http_tick(loop_http(loop));
}

void
sbd_conn_recheck(struct sbd_loop *loop, const struct sbd_config *config)
{
	const struct sb_policy *p = config->policy;
	struct sbd_conn *c = *list_head(loop);

	while (c != NULL) {
		struct sbd_conn *next = c->next;
		const struct sb_route *was;
		enum sbd_close why;
		enum sbd_recheck verdict;

		if (c->state != SBD_CONN_TUNNEL) {
			c = next;
			continue;
		}
		was = sbd_tunnel_route(c->tunnel)->route;
		verdict = sbd_recheck_tunnel(p, was, c->info.listener,
		    (struct sockaddr *)&c->info.addr, &why);
		if (verdict == SBD_RECHECK_CLOSE)
			sbd_conn_close(c, SBD_WHY(why));
		else if (verdict == SBD_RECHECK_KEEP)
			sb_info("conn %llu route %s: %s; kept (on_policy_change keep)",
			    (unsigned long long)c->info.id, was->name, sbd_close_text(why));
		c = next;
	}
}

void
sbd_conn_close_all(struct sbd_loop *loop)
{
	struct loop_conns *lc = sbd_loop_data(loop);

	if (lc == NULL)
		return;
	lc->closed = true;
	while (lc->head != NULL)
		sbd_conn_close(lc->head, SBD_WHY(SBD_CLOSE_SHUTDOWN));
	/* Every admission was told: MHD has no request left waiting for one. */
	sbd_http_stop(lc->http);
}
