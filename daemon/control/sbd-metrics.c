/* sbd-metrics.c - a second, tiny MHD daemon with its own listen socket: counters as text */
#include "sbd-metrics.h"

#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb-addr.h"
#include "sb-alloc.h"
#include "sb-buf.h"
#include "sb-log.h"
#include "sbd-config.h"
#include "sbd-conn.h"
#include "sbd-ctx.h"
#include "sbd-inherit.h"
#include "sbd-pool.h"
#include "sbd-stats.h"
#include "sbd-loop.h"
#include "sbd-tls.h"

struct sbd_metrics {
	struct sbd_ctx *ctx;
	struct MHD_Daemon *mhd;
	char *address;
	bool adopted; /* its socket was passed: from says by whom */
	enum sbd_inherit_from from;
};

static void __attribute__((format(printf, 2, 3)))
add(struct sb_buf *b, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n > 0)
		sb_buf_append(b, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

static void
metric(struct sb_buf *b, const char *name, const char *type, const char *help,
    unsigned long long value)
{
	add(b, "# HELP switchboard_%s %s\n# TYPE switchboard_%s %s\nswitchboard_%s %llu\n", name,
	    help, name, type, name, value);
}

static void
route_active(void *arg, const char *name, const struct sbd_route_stats *s)
{
	add(arg, "switchboard_route_active_connections{route=\"%s\"} %u\n", name,
	    atomic_load(&s->active));
}

static void
route_total(void *arg, const char *name, const struct sbd_route_stats *s)
{
	add(arg, "switchboard_route_upgrades_total{route=\"%s\"} %llu\n", name,
	    (unsigned long long)atomic_load(&s->total));
}

static void
worker_metrics(struct sbd_ctx *ctx, struct sb_buf *b)
{
	add(b, "# HELP switchboard_worker_connections Client connections each worker thread holds.\n"
	    "# TYPE switchboard_worker_connections gauge\n");
	for (unsigned i = 0; i < ctx->n_loops; i++)
		add(b, "switchboard_worker_connections{worker=\"%u\"} %u\n", i,
		    sbd_conn_loop_load(ctx->loops[i]));
}

/* Label values are policy names ([A-Za-z0-9._-]), so they need no escaping. */
static void
route_metrics(struct sbd_ctx *ctx, struct sb_buf *b)
{
	add(b, "# HELP switchboard_route_active_connections Live tunnels per route.\n"
	    "# TYPE switchboard_route_active_connections gauge\n");
	sbd_stats_foreach(ctx->stats, "route", route_active, b);
	add(b, "# HELP switchboard_route_upgrades_total Tunnels opened per route.\n"
	    "# TYPE switchboard_route_upgrades_total counter\n");
	sbd_stats_foreach(ctx->stats, "route", route_total, b);
}

/* A label value: backslash and double quote escaped (an address may be a socket path). */
static void
label_value(const char *in, char *out, size_t outlen)
{
	size_t n = 0;

	for (; *in != '\0' && n + 3 < outlen; in++) {
		if (*in == '"' || *in == '\\')
			out[n++] = '\\';
		out[n++] = *in == '\n' ? ' ' : *in;
	}
	out[n] = '\0';
}

struct backend_metric {
	struct sb_buf *b;
	const char *name;
};

static void
backend_line(void *arg, const struct sbd_target *tg)
{
	const struct backend_metric *m = arg;
	char address[2 * SBD_TARGET_TEXT_MAX];
	unsigned long long v;

	label_value(tg->text, address, sizeof address);
	if (strcmp(m->name, "up") == 0)
		v = sbd_target_usable(tg);
	else if (strcmp(m->name, "active") == 0)
		v = atomic_load(&tg->active);
	else
		v = (unsigned long long)atomic_load(&tg->failures);
	add(m->b, "switchboard_backend_%s{route=\"%s\",address=\"%s\"} %llu\n", m->name,
	    tg->route, address, v);
}

/* Per server: up (takes new tunnels), active tunnels, failed connects and checks. */
static void
backend_metrics(struct sbd_ctx *ctx, struct sb_buf *b)
{
	static const char *const rows[][3] = {
		{ "up", "gauge", "1 when the server takes new tunnels (up and ready)." },
		{ "active", "gauge", "Tunnels open to the server." },
		{ "failures_total", "counter", "Failed connects and health checks." },
	};

	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct backend_metric m = { b, rows[i][0] };

		add(b, "# HELP switchboard_backend_%s %s\n# TYPE switchboard_backend_%s %s\n",
		    rows[i][0], rows[i][2], rows[i][0], rows[i][1]);
		sbd_pools_foreach(ctx->pools, backend_line, &m);
	}
}

/* Route auth: counts by method and result, never a label per identity. */
static void
auth_metrics(struct sbd_ctx *ctx, struct sb_buf *b)
{
	static const char *const methods[SBD_AUTH_METHODS] = {
		[SBD_AUTH_TOKENS] = "tokens", [SBD_AUTH_BASIC] = "basic", [SBD_AUTH_JWT] = "jwt",
		[SBD_AUTH_CLIENT_CERT] = "client_cert", [SBD_AUTH_REQUEST] = "request",
	};
	const struct sbd_auth_counters *a = &ctx->auth;

	add(b, "# HELP switchboard_auth_total Route auth decisions by method: admitted, or refused "
	    "(401, 403 for a client certificate); method \"none\" counts refusals no method looked "
	    "at (no credential, a malformed one, one no method takes).\n"
	    "# TYPE switchboard_auth_total counter\n");
	for (size_t i = 0; i < SBD_AUTH_METHODS; i++) {
		add(b, "switchboard_auth_total{method=\"%s\",result=\"admitted\"} %llu\n",
		    methods[i], (unsigned long long)atomic_load(&a->accepted[i]));
		add(b, "switchboard_auth_total{method=\"%s\",result=\"refused\"} %llu\n",
		    methods[i], (unsigned long long)atomic_load(&a->refused[i]));
	}
	add(b, "switchboard_auth_total{method=\"none\",result=\"refused\"} %llu\n",
	    (unsigned long long)atomic_load(&a->missing));
	metric(b, "rate_limited_total", "counter", "Upgrades refused with 429 by a route's rate.",
	    atomic_load(&a->rate_limited));
	metric(b, "auth_busy_total", "counter",
	    "Upgrades refused with 503: too many credential checks were waiting.",
	    atomic_load(&a->busy));
	metric(b, "auth_service_failed_total", "counter",
	    "Upgrades refused with 503: a route's auth service failed or did not answer in time.",
	    atomic_load(&a->service_failed));
}

/* An SNI entry's names, comma-separated; "" for the default certificate (index 0). */
static void
sni_label(const struct sb_listener_tls *tls, size_t cert, char *out, size_t outlen)
{
	size_t n = 0;

	out[0] = '\0';
	if (cert == 0 || cert > tls->n_sni)
		return;
	for (size_t i = 0; i < tls->sni[cert - 1].n_names && n < outlen; i++) {
		int w = snprintf(out + n, outlen - n, "%s%s", i > 0 ? "," : "",
		    tls->sni[cert - 1].names[i]);

		if (w < 0)
			break;
		n += (size_t)w;
	}
}

/* When each listener certificate expires: a timestamp, to alert on it minus time(). */
static void
certificate_metrics(const struct sbd_config *c, struct sb_buf *b)
{
	add(b, "# HELP switchboard_certificate_not_after_timestamp_seconds "
	    "When a listener's certificate expires (notAfter), in seconds since the epoch.\n"
	    "# TYPE switchboard_certificate_not_after_timestamp_seconds gauge\n");
	for (size_t l = 0; l < c->policy->n_listeners; l++) {
		const struct sbd_tls_ctx *tls = c->listener_tls[l];
		const struct sb_listener *pl = &c->policy->listeners[l];

		for (size_t i = 0; tls != NULL && pl->tls != NULL && i < sbd_tls_ctx_n_certs(tls); i++) {
			char names[256], sni[2 * sizeof names];

			sni_label(pl->tls, i, names, sizeof names);
			label_value(names, sni, sizeof sni);
			add(b, "switchboard_certificate_not_after_timestamp_seconds"
			    "{listener=\"%s\",sni=\"%s\"} %lld\n", pl->name, sni,
			    (long long)sbd_tls_ctx_cert(tls, i)->not_after);
		}
	}
}

char *
sbd_metrics_render(struct sbd_ctx *ctx)
{
	struct sb_buf b = SB_BUF_INIT;
	struct sbd_config *c = sbd_ctx_config(ctx);
	char *text;

	metric(&b, "connections_accepted_total", "counter", "Client connections accepted.",
	    atomic_load(&ctx->counters.accepted));
	metric(&b, "upgrades_total", "counter", "Upgrades answered with 101.",
	    atomic_load(&ctx->counters.upgraded));
	metric(&b, "rejected_total", "counter", "Upgrades and connections refused.",
	    atomic_load(&ctx->counters.rejected));
	metric(&b, "connections", "gauge", "Client connections open, in any phase.",
	    atomic_load(&ctx->counters.active));
	metric(&b, "tunnels", "gauge", "Upgraded connections open.",
	    atomic_load(&ctx->counters.tunnels));
	metric(&b, "bytes_up_total", "counter", "Tunnel payload bytes from clients to backends.",
	    atomic_load(&ctx->counters.bytes_up));
	metric(&b, "bytes_down_total", "counter", "Tunnel payload bytes from backends to clients.",
	    atomic_load(&ctx->counters.bytes_down));
	metric(&b, "access_log_dropped_total", "counter",
	    "Access log lines dropped: the queue was full or the file refused them.",
	    atomic_load(&ctx->counters.access_log_dropped));
	metric(&b, "policy_revision", "gauge", "Revision of the running policy.", c->revision);
	metric(&b, "uptime_seconds", "gauge", "Seconds since the daemon started.",
	    (sbd_now_ms() - ctx->started_ms) / 1000);
	worker_metrics(ctx, &b);
	route_metrics(ctx, &b);
	backend_metrics(ctx, &b);
	auth_metrics(ctx, &b);
	certificate_metrics(c, &b);
	sbd_config_unref(c);
	text = sb_xstrndup(sb_buf_head(&b), b.len);
	sb_buf_free(&b);
	return text;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *mc, const char *url, const char *method,
    const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct sbd_metrics *m = cls;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	unsigned status = MHD_HTTP_OK;
	char *text;

	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		text = sb_xstrdup("405 only GET /metrics\n");
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
	} else if (strcmp(url, "/metrics") != 0) {
		text = sb_xstrdup("404 see /metrics\n");
		status = MHD_HTTP_NOT_FOUND;
	} else {
		text = sbd_metrics_render(m->ctx);
	}
	resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	    status == MHD_HTTP_OK ? "text/plain; version=0.0.4; charset=utf-8" :
	    "text/plain; charset=utf-8");
	ret = MHD_queue_response(mc, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void __attribute__((format(printf, 2, 0)))
on_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof msg, fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	sb_warn("metrics: %s", msg);
}

struct sbd_metrics *
sbd_metrics_new(struct sbd_ctx *ctx, const char *addr, struct sb_errors *errs)
{
	struct sbd_metrics *m = sb_xcalloc(1, sizeof *m);
	struct sb_hostport hp = { 0 };
	struct sockaddr_storage ss;
	socklen_t len;
	const char *why = NULL;
	/*
	 * ITC: without it MHD_stop_daemon wakes its thread with shutdown() on the
	 * listen socket, which a daemon that took it over shares.
	 */
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
	    MHD_USE_ITC;
	int fd;

	m->ctx = ctx;
	m->address = sb_xstrdup(addr);
	if (sb_hostport_parse(addr, &hp, &why) < 0 || sb_hostport_to_sockaddr(&hp, &ss, &len) < 0) {
		sb_errors_add(errs, "metrics", "metrics %s: %s", addr, why ? why : "not a numeric address");
		goto err;
	}
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/* A socket passed by systemd or the daemon taken over; MHD owns it from here, as its own. */
	fd = sbd_inherit_take((struct sockaddr *)&ss, len, &m->from);
	m->adopted = fd >= 0;
	if (fd >= 0)
		sb_info("metrics: using socket %s passed by %s", addr, sbd_inherit_from_name(m->from));
	struct MHD_OptionItem where[] = {
		fd >= 0 ? (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET, fd, NULL } :
		    (struct MHD_OptionItem){ MHD_OPTION_SOCK_ADDR, 0, &ss },
		{ MHD_OPTION_END, 0, NULL },
	};

	m->mhd = MHD_start_daemon(flags, hp.port, NULL, NULL, on_request, m,
	    MHD_OPTION_EXTERNAL_LOGGER, on_log, NULL,
	    MHD_OPTION_ARRAY, where,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
	    MHD_OPTION_END);
	if (m->mhd == NULL) {
		sb_errors_add(errs, "metrics", "metrics %s: cannot listen there", addr);
		goto err;
	}
	sb_hostport_clear(&hp);
	sb_info("metrics: GET http://%s/metrics", addr);
	return m;
err:
	sb_hostport_clear(&hp);
	free(m->address);
	free(m);
	return NULL;
}

const char *
sbd_metrics_address(const struct sbd_metrics *m)
{
	return m->address;
}

int
sbd_metrics_fd(const struct sbd_metrics *m)
{
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(m->mhd,
	    MHD_DAEMON_INFO_LISTEN_FD);

	return info != NULL ? info->listen_fd : -1;
}

void
sbd_metrics_free(struct sbd_metrics *m)
{
	if (m == NULL)
		return;
	if (m->adopted)
		sbd_inherit_give_back(sbd_metrics_fd(m), m->from);
	MHD_stop_daemon(m->mhd);
	free(m->address);
	free(m);
}
