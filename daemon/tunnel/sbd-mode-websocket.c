/* sbd-mode-websocket.c - websocket mode: RFC 6455 with the client, bytes with the backend */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>

#include "sb-alloc.h"
#include "sb-escape.h"
#include "sbd-config.h"
#include "sbd-loop.h"
#include "sbd-request.h"
#include "sbd-route.h"
#include "sbd-tunnel-private.h"
#include "sbd-ws-frame.h"
#include "sbd-ws-handshake.h"

#define CHUNK        65536
#define QUEUE_CAP    (256 * 1024) /* stop reading a side while this much waits for the other */
#define RUN_BUDGET   (1024 * 1024)
#define CLOSE_WAIT_MS 5000        /* how long our close frame waits for the client's */
#define REASON_MAX   160

struct sbd_ws {
	struct sbd_ws_parser parser;
	struct sb_buf in;         /* client bytes not yet parsed */
	struct sb_buf to_backend; /* message payloads */
	struct sb_buf to_client;  /* whole frames */
	bool text;                /* backend bytes go out as text messages */
	uint8_t partial[4];       /* text: the start of a character split by a read */
	size_t partial_len;
	bool client_eof;
	bool close_received;      /* the client's close frame (or its EOF) */
	bool close_sent;
	bool backend_eof;
	bool backend_shut;
	bool failing;             /* close as soon as to_client is out */
	bool pong_pending;        /* a pong waits for room in to_client */
	uint8_t *pong;            /* its payload (SBD_WS_CONTROL_MAX bytes), held only meanwhile */
	size_t pong_len;
	unsigned ping_interval_s;
	bool ping_outstanding;
	uint64_t last_ping_ms;
	uint64_t close_deadline_ms;
	char *reason;             /* why it ends (at most REASON_MAX), once it is known */
	/* connections.get reads these from another thread (relaxed: counters, not signals) */
	const char *subprotocol;  /* the route's string the 101 named, or NULL */
	atomic_uint_fast64_t messages_up, messages_down, pings_up, pings_down;
	atomic_int_fast64_t ping_rtt_ms;
};

/* Adds one to a counter connections.get reads. */
static void
bump(atomic_uint_fast64_t *n)
{
	atomic_fetch_add_explicit(n, 1, memory_order_relaxed);
}

static const char *prep_protocol(const void *prep);

/* Says why the connection ends; an idle connection holds no text for it. */
static void __attribute__((format(printf, 2, 3)))
set_reason(struct sbd_ws *ws, const char *fmt, ...)
{
	char text[REASON_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	free(ws->reason);
	ws->reason = sb_xstrdup(text);
}

static _Thread_local uint8_t scratch[CHUNK];

/* The codec owns both directions; the tunnel's flows stay empty. */
static struct sbd_why
start(struct sbd_tunnel *t, void *prep, struct sb_buf *early, struct sb_buf *to_client,
    struct sb_buf *to_backend)
{
	const struct sb_route *route = t->route->route;
	struct sbd_ws *ws = sb_xcalloc(1, sizeof *ws);

	ws->subprotocol = prep_protocol(prep);
	atomic_init(&ws->ping_rtt_ms, -1);
	free(prep);
	t->mode = ws;
	sbd_ws_parser_init(&ws->parser, route->max_message_bytes);
	ws->ping_interval_s = route->ping_interval_s;
	ws->text = route->text_messages;
	ws->last_ping_ms = sbd_now_ms();
	sb_buf_move(&ws->in, early);
	sb_buf_move(&ws->to_client, to_client);
	sb_buf_move(&ws->to_backend, to_backend);
	return SBD_WHY_OPEN;
}

static void
ws_free(void *state)
{
	struct sbd_ws *ws = state;

	if (ws == NULL)
		return;
	sb_buf_free(&ws->in);
	sb_buf_free(&ws->to_backend);
	sb_buf_free(&ws->to_client);
	free(ws->pong);
	free(ws->reason);
	free(ws);
}

static void
queue_frame(struct sbd_ws *ws, enum sbd_ws_opcode op, const void *payload, size_t len)
{
	uint8_t hdr[SBD_WS_HEADER_MAX];
	size_t n = sbd_ws_frame_header(hdr, op, true, len);

	sb_buf_append(&ws->to_client, hdr, n);
	sb_buf_append(&ws->to_client, payload, len);
	if (op == SBD_WS_OP_BINARY || op == SBD_WS_OP_TEXT)
		bump(&ws->messages_down);
}

/* Our close frame, once; after it no data frame may follow. */
static void
queue_close(struct sbd_ws *ws, uint16_t code, const char *reason)
{
	uint8_t payload[SBD_WS_CONTROL_MAX];
	size_t n;

	if (ws->close_sent)
		return;
	n = sbd_ws_close_payload(payload, code, reason);
	queue_frame(ws, SBD_WS_OP_CLOSE, payload, n);
	ws->close_sent = true;
	ws->close_deadline_ms = sbd_now_ms() + CLOSE_WAIT_MS;
}

static void
fail(struct sbd_ws *ws, uint16_t code, const char *why, const char *detail)
{
	queue_close(ws, code, why);
	if (!ws->failing)
		set_reason(ws, "%s%s%s", why, detail ? ": " : "", detail ? detail : "");
	ws->failing = true;
}

/* Whether parsing may go on: the payloads it yields must fit the backend's queue. */
static bool
can_parse(const struct sbd_ws *ws)
{
	return ws->to_backend.len < QUEUE_CAP && !ws->failing;
}

/*
 * A pong for a ping. While the client's queue is full, only the latest waits
 * (RFC 6455 §5.5.3 allows answering just the most recent ping): a client that
 * sends pings and never reads cannot grow to_client, and one that sends a
 * large message while its reader is busy is still read.
 */
static void
answer_ping(struct sbd_ws *ws, const uint8_t *payload, size_t len)
{
	if (ws->close_sent)
		return;
	if (ws->to_client.len < QUEUE_CAP && !ws->pong_pending) {
		queue_frame(ws, SBD_WS_OP_PONG, payload, len);
		return;
	}
	if (ws->pong == NULL)
		ws->pong = sb_xmalloc(SBD_WS_CONTROL_MAX);
	memcpy(ws->pong, payload, len);
	ws->pong_len = len;
	ws->pong_pending = true;
}

/* The waiting pong goes out once the client's queue has room again. */
static void
release_pong(struct sbd_ws *ws)
{
	if (!ws->pong_pending || ws->to_client.len >= QUEUE_CAP)
		return;
	ws->pong_pending = false;
	if (!ws->close_sent)
		queue_frame(ws, SBD_WS_OP_PONG, ws->pong, ws->pong_len);
	free(ws->pong);
	ws->pong = NULL;
}

/* Turns buffered client bytes into backend bytes and our answers to control frames. */
static void
parse_input(struct sbd_ws *ws, uint64_t *up)
{
	/* Room for every payload of these bytes at once, rather than a regrowth per frame. */
	if (ws->in.len > 0 && can_parse(ws))
		sb_buf_reserve(&ws->to_backend, ws->in.len);
	while (ws->in.len > 0 && can_parse(ws)) {
		struct sbd_ws_event ev;
		size_t n = sbd_ws_parse(&ws->parser, (uint8_t *)sb_buf_head(&ws->in), ws->in.len,
		    &ev);

		switch (ev.type) {
		case SBD_WS_EV_DATA:
			sb_buf_append(&ws->to_backend, ev.data, ev.len);
			*up += ev.len;
			if (ev.fin_message)
				bump(&ws->messages_up);
			break;
		case SBD_WS_EV_PING:
			bump(&ws->pings_up);
			answer_ping(ws, ev.data, ev.len);
			break;
		case SBD_WS_EV_PONG:
			if (ws->ping_outstanding)
				atomic_store_explicit(&ws->ping_rtt_ms,
				    (int_fast64_t)(sbd_now_ms() - ws->last_ping_ms),
				    memory_order_relaxed);
			ws->ping_outstanding = false;
			break;
		case SBD_WS_EV_CLOSE:
			ws->close_received = true;
			if (ws->reason == NULL) {
				/* the client's words: events and logs show them escaped (and cut) */
				char said[REASON_MAX - 32];

				sb_escape_text(said, sizeof said, ev.reason);
				set_reason(ws, "client closed (%u%s%s)", ev.close_code,
				    said[0] ? " " : "", said);
			}
			queue_close(ws, ev.close_code == SBD_WS_CLOSE_NO_STATUS ?
			    SBD_WS_CLOSE_NORMAL : ev.close_code, NULL);
			break;
		case SBD_WS_EV_ERROR:
			fail(ws, ev.close_code, ev.reason, NULL);
			break;
		case SBD_WS_EV_NONE:
			break;
		}
		sb_buf_consume(&ws->in, n);
		if (ev.type == SBD_WS_EV_NONE || ws->close_received)
			break;
	}
	if (ws->close_received)
		sb_buf_free(&ws->in);
	if (ws->to_backend.len == 0)
		sb_buf_free(&ws->to_backend); /* control frames only: no storage held idle */
}

static bool
client_wants_read(const struct sbd_ws *ws)
{
	return !ws->client_eof && !ws->close_received && ws->in.len < QUEUE_CAP && can_parse(ws);
}

static bool
backend_wants_read(const struct sbd_ws *ws)
{
	return !ws->backend_eof && !ws->close_sent && ws->to_client.len < QUEUE_CAP;
}

/* Writes a queue to an end: 0 when empty, SBD_END_AGAIN, or SBD_END_ERROR. */
static int
flush_queue(struct sbd_end *e, struct sb_buf *q)
{
	while (q->len > 0) {
		ssize_t w = sbd_end_write(e, sb_buf_head(q), q->len);

		if (w < 0)
			return (int)w;
		sb_buf_consume(q, (size_t)w);
	}
	return 0;
}

/*
 * Text messages must be whole UTF-8: a character cut by a read waits for its
 * end, and bytes that are not UTF-8 end the connection (1011) rather than reach
 * a client that would have to reject them.
 */
static int
queue_text(struct sbd_ws *ws, const uint8_t *data, size_t len)
{
	uint8_t joined[sizeof ws->partial + CHUNK];
	size_t n = 0, valid;

	memcpy(joined, ws->partial, ws->partial_len);
	n = ws->partial_len;
	memcpy(joined + n, data, len);
	n += len;
	enum sbd_utf8_state st = sbd_utf8_feed(SBD_UTF8_ACCEPT, joined, n, &valid);
	if (st == SBD_UTF8_REJECT) {
		fail(ws, SBD_WS_CLOSE_INTERNAL, "the backend sent bytes that are not UTF-8", NULL);
		return -1;
	}
	/* Cut before the character still in progress (at most 3 bytes long). */
	size_t keep = 0;
	if (st != SBD_UTF8_ACCEPT) {
		while (keep < 3 && keep < n && (joined[n - 1 - keep] & 0xc0) == 0x80)
			keep++;
		keep++; /* its lead byte */
	}
	if (n - keep > 0)
		queue_frame(ws, SBD_WS_OP_TEXT, joined, n - keep);
	memcpy(ws->partial, joined + n - keep, keep);
	ws->partial_len = keep;
	return 0;
}

/*
 * Backend bytes are read straight into to_client, behind room for the binary
 * frame's header: FRAME_READ_MAX keeps that header at 4 bytes at most.
 */
#define FRAME_HEADER_ROOM 4
#define FRAME_READ_MAX    65535

/* Where the next read goes, and how much it may take (*want). */
static uint8_t *
frame_slot(struct sb_buf *q, size_t *want)
{
	size_t room = q->cap - q->start - q->len;

	/* The storage that is left, unless too little is: then room to grow into. */
	*want = (room >= FRAME_HEADER_ROOM + 4096 ? room : CHUNK) - FRAME_HEADER_ROOM;
	if (*want > FRAME_READ_MAX)
		*want = FRAME_READ_MAX;
	return (uint8_t *)sb_buf_reserve(q, FRAME_HEADER_ROOM + *want) + FRAME_HEADER_ROOM;
}

/* Puts the header before the len bytes read at frame_slot's place; the frame joins q. */
static void
frame_commit(struct sb_buf *q, size_t len)
{
	uint8_t *slot = (uint8_t *)q->data + q->start + q->len;
	uint8_t hdr[SBD_WS_HEADER_MAX];
	size_t n = sbd_ws_frame_header(hdr, SBD_WS_OP_BINARY, true, len);

	if (n < FRAME_HEADER_ROOM) /* a payload under 126 bytes: a 2-byte header */
		memmove(slot + n, slot + FRAME_HEADER_ROOM, len);
	memcpy(slot, hdr, n);
	sb_buf_commit(q, n + len);
}

/* One round both ways; a reason once the connection is over. */
static struct sbd_why
pump_once(struct sbd_tunnel *t, uint64_t *up, uint64_t *down, uint64_t *budget)
{
	struct sbd_ws *ws = t->mode;

	while (client_wants_read(ws) && *budget < RUN_BUDGET) {
		/*
		 * The few bytes of a frame header cut by the last read and this read
		 * share one CHUNK of storage, rather than making it grow (and copy).
		 */
		size_t want = ws->in.len < CHUNK / 2 ? CHUNK - ws->in.len : CHUNK;
		ssize_t r = sbd_end_read(t->client, sb_buf_reserve(&ws->in, want), want);

		if (r == SBD_END_AGAIN) {
			/* An idle connection holds no read buffer (a third of its memory). */
			if (ws->in.len == 0)
				sb_buf_free(&ws->in);
			break;
		}
		if (r == SBD_END_ERROR)
			return SBD_WHY_DETAIL(SBD_CLOSE_CLIENT_ERROR, t->client->error);
		if (r == 0) {
			ws->client_eof = true;
			if (!ws->close_received && ws->reason == NULL)
				set_reason(ws, "client went away without a close frame");
			ws->close_received = true;
			break;
		}
		sb_buf_commit(&ws->in, (size_t)r);
		*budget += (uint64_t)r;
		parse_input(ws, up);
	}
	parse_input(ws, up);

	if (flush_queue(&t->backend, &ws->to_backend) == SBD_END_ERROR) {
		sb_buf_free(&ws->to_backend);
		fail(ws, SBD_WS_CLOSE_INTERNAL, "backend error", t->backend.error);
	}
	if (ws->close_received && ws->to_backend.len == 0 && !ws->backend_shut) {
		int rc = sbd_end_shutdown_write(&t->backend);

		if (rc != SBD_END_AGAIN)
			ws->backend_shut = true;
	}

	while (backend_wants_read(ws) && *budget < RUN_BUDGET) {
		uint8_t *at = scratch;
		size_t want = sizeof scratch;

		if (!ws->text) {
			at = frame_slot(&ws->to_client, &want);
			/* A frame, header and all, that fills whole segments to the client. */
			size_t fit = sbd_end_write_goal(t->client, want + FRAME_HEADER_ROOM);
			if (fit > FRAME_HEADER_ROOM && fit - FRAME_HEADER_ROOM < want)
				want = fit - FRAME_HEADER_ROOM;
		}
		ssize_t r = sbd_end_read(&t->backend, at, want);

		if (r <= 0 && ws->to_client.len == 0)
			sb_buf_free(&ws->to_client); /* an idle connection holds no storage */
		if (r == SBD_END_AGAIN)
			break;
		if (r == SBD_END_ERROR) {
			fail(ws, SBD_WS_CLOSE_INTERNAL, "backend error", t->backend.error);
			break;
		}
		if (r == 0) {
			ws->backend_eof = true;
			if (ws->partial_len > 0) {
				fail(ws, SBD_WS_CLOSE_INTERNAL,
				    "the backend closed in the middle of a UTF-8 character", NULL);
				break;
			}
			if (ws->reason == NULL)
				set_reason(ws, "backend closed");
			queue_close(ws, SBD_WS_CLOSE_NORMAL, "backend closed");
			break;
		}
		if (ws->text) {
			if (queue_text(ws, scratch, (size_t)r) < 0)
				break;
		} else {
			frame_commit(&ws->to_client, (size_t)r);
			bump(&ws->messages_down);
		}
		*down += (uint64_t)r;
		*budget += (uint64_t)r;
	}

	int rc = flush_queue(t->client, &ws->to_client);
	if (rc == 0 && ws->pong_pending) {
		release_pong(ws);
		rc = flush_queue(t->client, &ws->to_client);
	}
	if (rc == SBD_END_ERROR)
		return SBD_WHY_DETAIL(SBD_CLOSE_CLIENT_ERROR, t->client->error);
	bool flushed = rc == 0 && t->client->tls_write_pending == 0;
	bool handshake_done = ws->close_sent && ws->close_received && ws->to_backend.len == 0;
	if (flushed && (ws->failing || handshake_done)) {
		sbd_end_shutdown_write(t->client);
		return SBD_WHY_DETAIL(SBD_CLOSE_WEBSOCKET, ws->reason ? ws->reason : "");
	}
	return SBD_WHY_OPEN;
}

static void
update_interest(struct sbd_tunnel *t)
{
	struct sbd_ws *ws = t->mode;

	/*
	 * No epoll event will come for work already in hand: records GnuTLS
	 * decrypted (or read ahead) on either end, or frames read but left unparsed while a queue was full and
	 * has room again.
	 */
	if ((client_wants_read(ws) && sbd_end_has_pending(t->client)) ||
	    (backend_wants_read(ws) && sbd_end_has_pending(&t->backend)) ||
	    (ws->in.len > 0 && can_parse(ws) && !ws->close_received))
		sbd_tunnel_rerun(t);
	sbd_tunnel_watch(t, t->client, (client_wants_read(ws) ? EPOLLIN : 0) |
	    (ws->to_client.len > 0 || ws->pong_pending || t->client->tls_write_pending ?
	    EPOLLOUT : 0));
	sbd_tunnel_watch(t, &t->backend, (backend_wants_read(ws) ? EPOLLIN : 0) |
	    (ws->to_backend.len > 0 || (ws->close_received && !ws->backend_shut) ? EPOLLOUT : 0));
}

static struct sbd_why
pump(struct sbd_tunnel *t)
{
	uint64_t up = 0, down = 0, budget = 0;
	struct sbd_why why = pump_once(t, &up, &down, &budget);

	sbd_tunnel_count(t, up, down);
	if (!sbd_why_is_open(why))
		return why;
	if (budget >= RUN_BUDGET)
		sbd_tunnel_rerun(t);
	update_interest(t);
	return SBD_WHY_OPEN;
}

static struct sbd_why
tick(struct sbd_tunnel *t, uint64_t now)
{
	struct sbd_ws *ws = t->mode;

	if (ws->close_sent) {
		if (now >= ws->close_deadline_ms)
			return SBD_WHY_DETAIL(SBD_CLOSE_WEBSOCKET, ws->reason ? ws->reason :
			    "websocket close handshake timed out");
		return SBD_WHY_OPEN;
	}
	if (ws->ping_interval_s == 0 || now - ws->last_ping_ms < ws->ping_interval_s * 1000ull)
		return SBD_WHY_OPEN;
	if (ws->ping_outstanding) {
		fail(ws, SBD_WS_CLOSE_GOING_AWAY, "no pong to the last ping", NULL);
	} else {
		queue_frame(ws, SBD_WS_OP_PING, "sb", 2);
		bump(&ws->pings_down);
		ws->ping_outstanding = true;
	}
	ws->last_ping_ms = now;
	return pump(t);
}

/* Before the 101: what RFC 6455 §4.2.1 asks of the handshake. */
struct ws_prep {
	char accept[SBD_WS_ACCEPT_LEN + 1];
	const char *protocol; /* the subprotocol answered (the route's string), or NULL */
};

static bool
check(const struct sbd_request *r, const struct sbd_route_rt *rt, void **prep,
    struct sbd_verdict *v)
{
	const struct sb_route *route = rt->route;
	const char *method = sbd_request_method(r);
	const char *key = sbd_request_header(r, "Sec-WebSocket-Key");
	struct ws_prep *p;

	if (strcmp(method, "GET") != 0) {
		v->status = 400;
		snprintf(v->reason, sizeof v->reason, "a WebSocket handshake must be a GET, not %s",
		    method);
		return false;
	}
	enum sbd_ws_check wc = sbd_ws_check_request(
	    sbd_request_header(r, "Sec-WebSocket-Version"), key);
	if (wc != SBD_WS_CHECK_OK) {
		v->status = sbd_ws_check_status(wc);
		snprintf(v->reason, sizeof v->reason, "%s", sbd_ws_check_reason(wc));
		/* RFC 9110 §15.5.22: a 426 names the protocol to switch to. */
		snprintf(v->upgrade_hint, sizeof v->upgrade_hint, "websocket");
		return false;
	}
	p = sb_xcalloc(1, sizeof *p);
	if (!sbd_ws_accept(key, p->accept)) {
		free(p);
		v->status = 400;
		snprintf(v->reason, sizeof v->reason, "cannot compute Sec-WebSocket-Accept");
		return false;
	}

	char *offered = sbd_request_header_joined(r, "Sec-WebSocket-Protocol");
	bool no_fit = false;
	p->protocol = sbd_ws_choose_subprotocol(offered, route->match.subprotocols,
	    route->match.n_subprotocols, &no_fit);
	if (no_fit) {
		v->status = 400;
		snprintf(v->reason, sizeof v->reason, "route %s needs a subprotocol it allows; "
		    "offered: %s", route->name, offered ? offered : "none");
		free(p);
		p = NULL;
	}
	free(offered);
	*prep = p;
	return !no_fit;
}

static const char *
prep_protocol(const void *prep)
{
	return prep != NULL ? ((const struct ws_prep *)prep)->protocol : NULL;
}

static void
stats(const struct sbd_tunnel *t, struct sbd_mode_stats *out)
{
	struct sbd_ws *ws = t->mode;

	out->subprotocol = ws->subprotocol;
	out->messages_up = atomic_load_explicit(&ws->messages_up, memory_order_relaxed);
	out->messages_down = atomic_load_explicit(&ws->messages_down, memory_order_relaxed);
	out->pings_up = atomic_load_explicit(&ws->pings_up, memory_order_relaxed);
	out->pings_down = atomic_load_explicit(&ws->pings_down, memory_order_relaxed);
	out->ping_rtt_ms = atomic_load_explicit(&ws->ping_rtt_ms, memory_order_relaxed);
}

static void
answer(const void *prep, const char *token, sbd_add_header_fn *add, void *arg)
{
	const struct ws_prep *p = prep;

	add(arg, "Upgrade", "websocket");
	add(arg, "Sec-WebSocket-Accept", p->accept);
	if (p->protocol != NULL)
		add(arg, "Sec-WebSocket-Protocol", p->protocol);
}

const struct sbd_mode_ops sbd_mode_websocket = {
	.mode = SB_MODE_WEBSOCKET,
	.check = check,
	.answer = answer,
	.prep_free = free,
	.start = start,
	.pump = pump,
	.tick = tick,
	.stats = stats,
	.free = ws_free,
};
