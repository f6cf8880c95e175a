/* sbd-conn-report.c - what the outside sees of a tunnel: its snapshot, its events */
#include <stddef.h>

#include "sbd-config.h"
#include "sbd-conn-private.h"
#include "sbd-ctx.h"
#include "sbd-events.h"
#include "sbd-loop.h"
#include "sbd-mode.h"
#include "sbd-recheck.h"
#include "sbd-tunnel.h"

/* The fields connections.list shows, for one tunnel; any thread. */
static json_object *
snapshot(struct sbd_registry_entry *e)
{
	struct sbd_conn *c = (struct sbd_conn *)((char *)e - offsetof(struct sbd_conn, entry));
	const struct sbd_route_rt *rt = sbd_tunnel_route(c->tunnel);
	json_object *o = json_object_new_object();
	char t[SB_TIME_RFC3339_MAX];
	uint64_t up, down;

	sbd_tunnel_bytes(c->tunnel, &up, &down);
	sb_time_rfc3339(c->started_unix_ms, t);
	json_object_object_add(o, SB_FIELD_ID, json_object_new_int64((int64_t)c->info.id));
	json_object_object_add(o, SB_FIELD_LISTENER, json_object_new_string(c->info.listener));
	json_object_object_add(o, SB_FIELD_ROUTE, json_object_new_string(rt->route->name));
	json_object_object_add(o, SB_FIELD_MODE,
	    json_object_new_string(sb_mode_name(rt->route->mode)));
	json_object_object_add(o, SB_FIELD_CLIENT, json_object_new_string(c->info.text));
	if (c->identity[0] != '\0')
		json_object_object_add(o, SB_FIELD_IDENTITY, json_object_new_string(c->identity));
	json_object_object_add(o, SB_FIELD_BACKEND,
	    json_object_new_string(sbd_tunnel_backend_text(c->tunnel)));
	json_object_object_add(o, SB_FIELD_STARTED, json_object_new_string(t));
	json_object_object_add(o, SB_FIELD_BYTES_UP, json_object_new_int64((int64_t)up));
	json_object_object_add(o, SB_FIELD_BYTES_DOWN, json_object_new_int64((int64_t)down));
	json_object_object_add(o, SB_FIELD_STATE, json_object_new_string(
	    sbd_tunnel_half_closed(c->tunnel) ? "half-closed" : "open"));
	return o;
}

static json_object *
text_or_null(const char *s)
{
	return s != NULL && s[0] != '\0' ? json_object_new_string(s) : NULL;
}

/* connections.get: the list fields, then what one connection alone is asked about. */
static json_object *
detail(struct sbd_registry_entry *e)
{
	struct sbd_conn *c = (struct sbd_conn *)((char *)e - offsetof(struct sbd_conn, entry));
	json_object *o = snapshot(e), *tls = NULL, *ws = NULL;
	struct sbd_mode_stats st = { .ping_rtt_ms = -1 };
	uint64_t now = sbd_now_ms();

	json_object_object_add(o, SB_FIELD_AGE_S,
	    json_object_new_int64((int64_t)((now - c->started_ms) / 1000)));
	json_object_object_add(o, SB_FIELD_IDLE_S,
	    json_object_new_int64((int64_t)(sbd_tunnel_idle_ms(c->tunnel, now) / 1000)));
	if (c->tls != NULL) {
		tls = json_object_new_object();
		json_object_object_add(tls, SB_FIELD_VERSION, text_or_null(c->tls->version));
		json_object_object_add(tls, SB_FIELD_CIPHER, text_or_null(c->tls->cipher));
		json_object_object_add(tls, SB_FIELD_SNI, text_or_null(c->tls->sni));
		json_object_object_add(tls, SB_FIELD_ALPN, text_or_null(c->tls->alpn));
	}
	json_object_object_add(o, SB_FIELD_TLS, tls);
	if (sbd_tunnel_mode_stats(c->tunnel, &st)) {
		ws = json_object_new_object();
		json_object_object_add(ws, SB_FIELD_MESSAGES_UP,
		    json_object_new_int64((int64_t)st.messages_up));
		json_object_object_add(ws, SB_FIELD_MESSAGES_DOWN,
		    json_object_new_int64((int64_t)st.messages_down));
		json_object_object_add(ws, SB_FIELD_PINGS_UP,
		    json_object_new_int64((int64_t)st.pings_up));
		json_object_object_add(ws, SB_FIELD_PINGS_DOWN,
		    json_object_new_int64((int64_t)st.pings_down));
		json_object_object_add(ws, SB_FIELD_PING_RTT_MS, st.ping_rtt_ms < 0 ? NULL :
		    json_object_new_int64(st.ping_rtt_ms));
	}
	json_object_object_add(o, SB_FIELD_SUBPROTOCOL, text_or_null(st.subprotocol));
	json_object_object_add(o, SB_FIELD_WEBSOCKET, ws);
	return o;
}

static void
entry_close(struct sbd_registry_entry *e, const char *reason)
{
	struct sbd_conn *c = (struct sbd_conn *)((char *)e - offsetof(struct sbd_conn, entry));

	sbd_conn_close(c, SBD_WHY_DETAIL(SBD_CLOSE_REQUESTED, reason));
}

static void
entry_ref(struct sbd_registry_entry *e)
{
	sbd_conn_ref((struct sbd_conn *)((char *)e - offsetof(struct sbd_conn, entry)));
}

static void
entry_unref(struct sbd_registry_entry *e)
{
	sbd_conn_unref((struct sbd_conn *)((char *)e - offsetof(struct sbd_conn, entry)));
}

/* The same rule sbd_conn_recheck applies after the swap: the preview names what it closes. */
static enum sbd_recheck
entry_recheck(struct sbd_registry_entry *e, const struct sb_policy *p)
{
	struct sbd_conn *c = (struct sbd_conn *)((char *)e - offsetof(struct sbd_conn, entry));
	enum sbd_close why;

	return sbd_recheck_tunnel(p, sbd_tunnel_route(c->tunnel)->route, c->info.listener,
	    (struct sockaddr *)&c->info.addr, &why);
}

const struct sbd_registry_ops sbd_conn_entry_ops = {
	.snapshot = snapshot,
	.detail = detail,
	.close = entry_close,
	.ref = entry_ref,
	.unref = entry_unref,
	.recheck = entry_recheck,
};

void
sbd_conn_emit(struct sbd_conn *c, enum sb_control_event type, const char *reason)
{
	json_object *ev = sbd_event_new(c->ctx->events, type);

	if (ev == NULL)
		return;
	json_object *snap = snapshot(&c->entry);
	json_object_object_foreach(snap, key, value)
		json_object_object_add(ev, key, json_object_get(value));
	json_object_put(snap);
	if (type == SB_EVENT_CONNECTION_CLOSED) {
		json_object_object_add(ev, SB_FIELD_STATE, json_object_new_string("closed"));
		json_object_object_add(ev, SB_FIELD_REASON, json_object_new_string(reason));
		json_object_object_add(ev, SB_FIELD_METHOD, text_or_null(c->method));
		json_object_object_add(ev, SB_FIELD_PATH, text_or_null(c->path));
		json_object_object_add(ev, SB_FIELD_DURATION_MS,
		    json_object_new_int64((int64_t)(sbd_now_ms() - c->info.accepted_ms)));
	}
	sbd_event_emit(c->ctx->events, ev);
}

void
sbd_conn_refused(struct sbd_conn *c, int status, const char *reason)
{
	struct sbd_event_request req = { .duration_ms = sbd_now_ms() - c->info.accepted_ms };

	atomic_fetch_add(&c->ctx->counters.rejected, 1);
	sbd_events_rejected_request(c->ctx->events, status, reason, c->info.text, c->info.listener,
	    NULL, &req);
}

/* connection.updated, at most once a second and only when the counters moved. */
void
sbd_conn_report_counters(struct sbd_conn *c)
{
	uint64_t up, down;

	sbd_tunnel_bytes(c->tunnel, &up, &down);
	if (up == c->reported_up && down == c->reported_down)
		return;
	c->reported_up = up;
	c->reported_down = down;
	sbd_conn_emit(c, SB_EVENT_CONNECTION_UPDATED, NULL);
}
