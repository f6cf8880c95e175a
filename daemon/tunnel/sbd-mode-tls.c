/* sbd-mode-tls.c - tls mode (RFC 2817): TLS starts on the upgraded plain connection
 *
 * Before the 101 the request is kept for the backend without its upgrade
 * headers (§3.3: the answer to it comes inside TLS). After the 101 the rest
 * of the 101 goes out in plain, the server handshake runs on the same socket
 * with the route's certificate (the client's first records may have come
 * early), then the replayed request and the bytes both ways.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sb-alloc.h"
#include "sb-log.h"
#include "sbd-config.h"
#include "sbd-loop.h"
#include "sbd-request.h"
#include "sbd-tls.h"
#include "sbd-tunnel-private.h"

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

static void
replay_header(void *arg, const char *name, const char *value)
{
	struct sb_buf *b = arg;
	char *line;

	if (is_upgrade_header(name))
		return;
	line = sb_xasprintf("%s: %s\r\n", name, value ? value : "");
	sb_buf_append(b, line, strlen(line));
	free(line);
}

static void
replay_free(void *arg)
{
	struct sb_buf *replay = arg;

	if (replay == NULL)
		return;
	sb_buf_free(replay);
	free(replay);
}

static bool
check(const struct sbd_request *r, const struct sbd_route_rt *route, void **prep,
    struct sbd_verdict *v)
{
	struct sb_buf *replay = sb_xcalloc(1, sizeof *replay);
	char *start = sb_xasprintf("%s %s HTTP/1.1\r\n", sbd_request_method(r),
	    sbd_request_uri(r));

	sb_buf_append(replay, start, strlen(start));
	free(start);
	sbd_request_foreach_replayed(r, replay_header, replay);
	sb_buf_append(replay, "\r\n", 2);
	*prep = replay;
	return true;
}

static void
answer(const void *prep, const char *token, sbd_add_header_fn *add, void *arg)
{
	/* RFC 2817 §3.2: the protocol stack the connection switches to. */
	add(arg, "Upgrade", "TLS/1.2, HTTP/1.1");
}

struct tls_upgrade {
	struct sb_buf to_client; /* plain: the end of the 101 */
	struct sb_buf early;     /* the client's first TLS records */
	struct sb_buf replay;    /* a PROXY header, then the request */
	bool handshaking;
	bool bridging;           /* the handshake is done: bytes flow */
};

static void
upgrade_free(void *arg)
{
	struct tls_upgrade *u = arg;

	if (u == NULL)
		return;
	sb_buf_free(&u->to_client);
	sb_buf_free(&u->early);
	sb_buf_free(&u->replay);
	free(u);
}

static struct sbd_why
start(struct sbd_tunnel *t, void *prep, struct sb_buf *early, struct sb_buf *to_client,
    struct sb_buf *to_backend)
{
	struct tls_upgrade *u = sb_xcalloc(1, sizeof *u);

	t->mode = u;
	sb_buf_move(&u->to_client, to_client);
	sb_buf_move(&u->early, early);
	sb_buf_move(&u->replay, to_backend);
	sb_buf_move(&u->replay, prep);
	replay_free(prep);
	/* The flows start once the handshake is done; until then its deadline, not idleness. */
	t->deadline_ms = sbd_now_ms() + t->handshake_timeout_ms;
	return SBD_WHY_OPEN;
}

static struct sbd_why
start_bridge(struct sbd_tunnel *t)
{
	struct tls_upgrade *u = t->mode;

	sbd_flow_init(&t->up, t->client, &t->backend);
	sb_buf_move(&t->up.buf, &u->replay);
	sbd_flow_init(&t->down, &t->backend, t->client);
	u->bridging = true;
	t->deadline_ms = 0;
	if (sb_log_enabled(SB_LOG_DEBUG)) {
		char desc[256];

		sbd_tls_describe(t->client->tls, desc, sizeof desc);
		sb_debug("%s: upgraded to %s", t->host.label, desc);
	}
	return sbd_tunnel_pump_flows(t);
}

static struct sbd_why
pump(struct sbd_tunnel *t)
{
	struct tls_upgrade *u = t->mode;
	int rc;

	if (u->bridging)
		return sbd_tunnel_pump_flows(t);
	while (!u->handshaking && u->to_client.len > 0) {
		ssize_t w = sbd_end_write(t->client, sb_buf_head(&u->to_client), u->to_client.len);

		if (w == SBD_END_AGAIN) {
			sbd_tunnel_watch(t, t->client, EPOLLOUT);
			return SBD_WHY_OPEN;
		}
		if (w < 0)
			return SBD_WHY_DETAIL(SBD_CLOSE_CLIENT_ERROR, t->client->error);
		sb_buf_consume(&u->to_client, (size_t)w);
	}
	if (!u->handshaking) {
		gnutls_session_t s = sbd_tls_session_new(t->route->tls, t->client->fd);

		if (s == NULL)
			return SBD_WHY(SBD_CLOSE_TLS_SESSION);
		sbd_end_start_tls(t->client, s, &u->early);
		u->handshaking = true;
	}
	do {
		rc = gnutls_handshake(t->client->tls);
	} while (rc < 0 && !gnutls_error_is_fatal(rc) && rc != GNUTLS_E_AGAIN &&
	    rc != GNUTLS_E_INTERRUPTED);
	if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
		sbd_tunnel_watch(t, t->client,
		    gnutls_record_get_direction(t->client->tls) ? EPOLLOUT : EPOLLIN);
		sbd_tunnel_watch(t, &t->backend, 0);
		return SBD_WHY_OPEN;
	}
	if (rc < 0)
		return SBD_WHY_DETAIL(SBD_CLOSE_UPGRADE_FAILED, gnutls_strerror(rc));
	t->client->tls_established = true;
	return start_bridge(t);
}

static struct sbd_why
tick(struct sbd_tunnel *t, uint64_t now)
{
	if (t->deadline_ms != 0 && now >= t->deadline_ms)
		return SBD_WHY(SBD_CLOSE_UPGRADE_TIMEOUT);
	return SBD_WHY_OPEN;
}

const struct sbd_mode_ops sbd_mode_tls = {
	.mode = SB_MODE_TLS,
	.check = check,
	.answer = answer,
	.prep_free = replay_free,
	.start = start,
	.pump = pump,
	.tick = tick,
	.free = upgrade_free,
};
