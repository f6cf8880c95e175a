/* sbd-handover.c - the HTTP side's calls into the connection: admission, then the hand-over */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sb-alloc.h"
#include "sb-log.h"
#include "sbd-admission.h"
#include "sbd-config.h"
#include "sbd-conn-private.h"
#include "sbd-ctx.h"
#include "sbd-http.h"
#include "sbd-loop.h"
#include "sbd-tunnel.h"

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

static void
tunnel_watch(void *owner, struct sbd_end *e, unsigned events)
{
	sbd_conn_watch(owner, e, events);
}

static void
tunnel_rerun(void *owner)
{
	sbd_conn_post_rerun(owner);
}

/* Copies text to *at, returns where it now is; *at moves past its end. */
static const char *
pack(char **at, const char *text)
{
	char *start = *at;
	size_t n = strlen(text) + 1;

	memcpy(start, text, n);
	*at += n;
	return start;
}

/*
 * The session's facts, kept for the tunnel's life at their own length: an
 * idle TLS connection holds about 60 bytes of them, not 384.
 */
static struct sbd_conn_tls *
conn_tls_new(gnutls_session_t session)
{
	struct sbd_tls_facts f;
	struct sbd_conn_tls *t;
	char *at;

	sbd_tls_facts(session, &f);
	t = sb_xmalloc(sizeof *t + strlen(f.version) + strlen(f.cipher) + strlen(f.sni) +
	    strlen(f.alpn) + 4);
	at = t->text;
	t->version = pack(&at, f.version);
	t->cipher = pack(&at, f.cipher);
	t->sni = pack(&at, f.sni);
	t->alpn = pack(&at, f.alpn);
	return t;
}

/*
 * The order of early client bytes is the whole point: what MHD read past the
 * request, then what sits unread in MHD's end of the pair, then what we read
 * from the client but had not yet written into the pair. MHD wrote the 101
 * into the pair before it told us; whatever of it (and after it) we have not
 * forwarded yet still goes to the client first.
 */
void
sbd_conn_upgraded(struct sbd_conn *c, struct sbd_upgrade *u)
{
	struct sbd_ctx *ctx = c->ctx;
	struct sbd_why why;

	if (c->state != SBD_CONN_HTTP) {
		/* The client left between the 101 and now. */
		sbd_upgrade_free(u);
		return;
	}

	struct sbd_tunnel_start st = {
		.client = &c->client,
		.backend_fd = u->backend_fd,
		.backend_tls = u->backend_tls,
		.target = u->target,
		.route = u->route,
		.prep = u->prep,
		.client_addr = (const struct sockaddr *)&c->info.addr,
		.handshake_timeout_ms = c->handshake_timeout_ms,
	};
	u->backend_fd = -1;
	u->backend_tls = NULL;
	u->target = NULL;
	u->route = NULL;
	u->prep = NULL;

	struct sbd_conn_http *h = c->http;
	drain_into(h->pair.fd, &h->down.buf);
	sb_buf_append(&st.early, u->extra, u->extra_len);
	drain_into(u->mhd_fd, &st.early);
	sb_buf_move(&st.early, &h->up.buf);
	st.client_eof = h->up.src_eof;
	sb_buf_move(&st.to_client, &h->down.buf);
	sbd_upgrade_release_mhd(u);
	sbd_conn_http_end(c);
	c->route_slot = u->stats;
	u->stats = NULL;
	c->method = u->method;
	u->method = NULL;
	c->path = u->path;
	u->path = NULL;
	memcpy(c->identity, u->identity, sizeof c->identity);
	sbd_upgrade_free(u);

	snprintf(c->label, sizeof c->label, "conn %llu %s", (unsigned long long)c->info.id,
	    c->info.text);
	/* Once, here: a snapshot on another thread must not ask GnuTLS about a live session. */
	if (c->client.tls != NULL)
		c->tls = conn_tls_new(c->client.tls);
	struct sbd_tunnel_host host = {
		.watch = tunnel_watch,
		.rerun = tunnel_rerun,
		.owner = c,
		.loop = c->loop,
		.counters = &ctx->counters,
		.label = c->label,
	};
	c->tunnel = sbd_tunnel_new(&host, &st, &why);
	c->state = SBD_CONN_TUNNEL;
	c->deadline_ms = 0;
	c->started_ms = sbd_now_ms();
	c->started_unix_ms = sbd_unix_ms();
	atomic_fetch_add(&ctx->counters.upgraded, 1);
	atomic_fetch_add(&ctx->counters.tunnels, 1);
	sb_info("conn %llu %s route %s: %s to %s%s%s", (unsigned long long)c->info.id,
	    c->info.text, sbd_tunnel_route(c->tunnel)->route->name,
	    sb_mode_name(sbd_tunnel_route(c->tunnel)->route->mode),
	    sbd_tunnel_backend_text(c->tunnel), c->identity[0] ? " as " : "", c->identity);
	sbd_registry_add(ctx->registry, &c->entry);
	sbd_conn_emit(c, SB_EVENT_CONNECTION_OPENED, NULL);
	if (!sbd_why_is_open(why)) {
		sbd_conn_close(c, why);
		return;
	}
	sbd_conn_pump(c);
}

static void
free_admission_task(void *arg)
{
	sbd_admission_free(arg);
}

static void
on_admitted(void *arg, struct sbd_admitted *result)
{
	struct sbd_conn *c = arg;

	sbd_loop_defer(c->loop, free_admission_task, c->admission);
	c->admission = NULL;
	c->admitted(c->admitted_arg, result);
	if (result->backend_fd >= 0)
		close(result->backend_fd); /* not taken: the HTTP side is gone */
}

/*
 * Steps that end at once (a UNIX socket connects at once, a refusal comes at
 * once) report before sbd_admission_start returns, when on_admitted could not
 * yet see the admission to free it.
 */
static void
forget_if_over(struct sbd_conn *c)
{
	if (c->admission != NULL && sbd_admission_is_over(c->admission)) {
		sbd_loop_defer(c->loop, free_admission_task, c->admission);
		c->admission = NULL;
	}
}

void
sbd_conn_admit(struct sbd_conn *c, struct sbd_route_rt *route, uint64_t connect_timeout_ms,
    struct sbd_credential *cred, sbd_admitted_fn *done, void *arg)
{
	struct sbd_credential none = { 0 };

	if (cred == NULL)
		cred = &none;
	if (c->state == SBD_CONN_CLOSED) {
		struct sbd_admitted aborted = { .aborted = true, .backend_fd = -1 };

		done(arg, &aborted);
	} else {
		c->admitted = done;
		c->admitted_arg = arg;
		struct sbd_auth_who who = {
			.ctx = c->ctx,
			.loop = c->loop,
			.tls = c->client.tls,
			.client = (const struct sockaddr *)&c->info.addr,
			.ipv6_prefix = route->config->policy->limits.ipv6_prefix,
		};

		if (route->route->auth != NULL || route->route->rate != NULL ||
		    route->token_map != NULL)
			c->admission = sbd_admission_start_auth(&who, cred, c->ctx->pools, route,
			    connect_timeout_ms, on_admitted, c);
		else
			c->admission = sbd_admission_start(c->loop, c->ctx->pools, route,
			    &c->info.addr, connect_timeout_ms, on_admitted, c);
	}
	sbd_cred_clear(cred);
	forget_if_over(c);
}
