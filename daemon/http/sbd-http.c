/* sbd-http.c - the access handler: verdict, mode checks, admission, the 101 and its hand-over */
#include "sbd-http.h"
#include "sbd-request-private.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sb-alloc.h"
#include "sb-escape.h"
#include "sb-log.h"
#include "sbd-admission.h"
#include "sbd-auth.h"
#include "sbd-config.h"
#include "sbd-conn.h"
#include "sbd-ctx.h"
#include "sbd-events.h"
#include "sbd-h2c.h"
#include "sbd-http-head.h"
#include "sbd-loop.h"
#include "sbd-mode.h"
#include "sbd-pool.h"
#include "sbd-refusal.h"
#include "sbd-request.h"
#include "sbd-route.h"
#include "sbd-stats.h"
#include "sbd-tls.h"

struct sbd_http {
	struct sbd_ctx *ctx;
	struct sbd_loop *loop;     /* the one thread that runs this MHD, and its connections */
	struct MHD_Daemon *mhd;    /* NULL once stopped */
	struct sbd_watch watch;    /* MHD's epoll fd, inside the loop's */
	struct sbd_conn *adding;   /* during sbd_http_add: the connection MHD is told about */
	bool run_queued;           /* a run is deferred to the end of the loop's round */
	unsigned runs_in_round;    /* runs back to back while MHD said it had more to do */
};

static void __attribute__((format(printf, 2, 0)))
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof msg, fmt, ap);
	/* The pair is AF_UNIX: TCP options and "push" flushes do not apply there. */
	if (strstr(msg, "TCP_NODELAY") || strstr(msg, "TCP_CORK") || strstr(msg, "TCP_NOPUSH") ||
	    strstr(msg, "Failed to push the data"))
		return;
	msg[strcspn(msg, "\n")] = '\0';
	sb_warn("http: %s", msg);
}

static void
on_mhd_panic(void *cls, const char *file, unsigned line, const char *reason)
{
	sb_error("http: libmicrohttpd panic at %s:%u: %s", file, line, reason ? reason : "");
	abort();
}

/* Runs in a row before the rest of the loop gets its turn, while MHD has work at hand. */
#define RUNS_IN_ROUND_MAX 8

static void run_mhd(struct sbd_http *h);

static void
run_task(void *arg)
{
	struct sbd_http *h = arg;

	h->run_queued = false;
	run_mhd(h);
}

static void
run_next_round(void *arg)
{
	struct sbd_http *h = arg;

	h->runs_in_round = 0;
	run_task(h);
}

/*
 * MHD runs again after the current round of events: for what MHD cannot see
 * in its epoll set (a resumed request, an upgrade let go of), and never from
 * inside one of its own callbacks.
 */
static void
run_soon(struct sbd_http *h)
{
	if (h->mhd == NULL || h->run_queued)
		return;
	h->run_queued = true;
	sbd_loop_defer(h->loop, run_task, h);
}

static void
run_mhd(struct sbd_http *h)
{
	MHD_UNSIGNED_LONG_LONG ms;

	if (h->mhd == NULL)
		return;
	MHD_run(h->mhd);
	/* Bytes MHD read but did not parse yet raise no event: it says so with a 0 timeout. */
	if (h->mhd == NULL || MHD_get_timeout(h->mhd, &ms) != MHD_YES || ms != 0) {
		h->runs_in_round = 0;
		return;
	}
	if (h->run_queued)
		return;
	if (++h->runs_in_round < RUNS_IN_ROUND_MAX) {
		run_soon(h);
		return;
	}
	h->run_queued = true;
	sbd_loop_post(h->loop, run_next_round, h); /* after the others' events */
}

static void
on_mhd_ready(struct sbd_watch *w, unsigned events)
{
	struct sbd_http *h = w->arg;

	if (!h->run_queued) /* else a run comes at the end of this round anyway */
		run_mhd(h);
}

static void
on_mhd_connection(void *cls, struct MHD_Connection *mc, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
	struct sbd_http *h = cls;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		/* MHD_add_connection announces it before it returns: no MHD thread here. */
		*socket_context = h->adding ? sbd_conn_ref(h->adding) : NULL;
	} else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		sbd_conn_unref(*socket_context);
		*socket_context = NULL;
	}
}

int
sbd_http_add(struct sbd_http *h, struct sbd_conn *conn, int fd)
{
	const struct sbd_conn_info *ci = sbd_conn_info(conn);
	enum MHD_Result ok;

	h->adding = conn;
	ok = MHD_add_connection(h->mhd, fd, (const struct sockaddr *)&ci->addr, ci->addr_len);
	h->adding = NULL;
	return ok == MHD_YES ? 0 : -1;
}

static void
free_request(struct sbd_request *r)
{
	sbd_tls_session_free(r->backend_tls);
	if (r->backend_fd >= 0)
		close(r->backend_fd);
	sbd_target_release(r->target);
	if (r->prep != NULL)
		r->ops->prep_free(r->prep);
	sbd_stats_release(r->stats);
	sbd_cred_clear(&r->cred);
	sbd_cred_replay_clear(&r->replay);
	sb_buf_free(&r->body);
	free(r->raw_uri);
	sbd_config_unref(r->config);
	sbd_conn_unref(r->conn);
	free(r);
}

static void
on_completed(void *cls, struct MHD_Connection *mc, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	if (*con_cls != NULL)
		free_request(*con_cls);
	*con_cls = NULL;
}

static bool
has_body(struct MHD_Connection *mc)
{
	const char *cl = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Content-Length");

	if (MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Transfer-Encoding") != NULL)
		return true;
	return cl != NULL && strspn(cl, "0") != strlen(cl);
}

/*
 * The request's path for the access log and events: the query cut off (it may
 * carry a token), at most SBD_LOGGED_PATH_MAX bytes, escaped.
 */
#define SBD_LOGGED_PATH_MAX 2048

static void
logged_path(const struct sbd_request *r, char out[SBD_LOGGED_PATH_MAX * 4])
{
	size_t n = strcspn(r->raw_uri, "?");
	char *raw = sb_xstrndup(r->raw_uri, n < SBD_LOGGED_PATH_MAX ? n : SBD_LOGGED_PATH_MAX);

	sb_escape_text(out, SBD_LOGGED_PATH_MAX * 4, raw);
	free(raw);
}

static enum MHD_Result
refuse(struct sbd_request *r, int status, const char *reason)
{
	const struct sbd_conn_info *ci = sbd_conn_info(r->conn);
	struct sbd_ctx *ctx = r->http->ctx;
	const char *route = r->route ? r->route->route->name : NULL;
	char text[sizeof r->verdict.reason * 4];
	char path[SBD_LOGGED_PATH_MAX * 4];
	struct sbd_event_request req = {
		.method = r->method,
		.path = path,
		.duration_ms = sbd_now_ms() - ci->accepted_ms,
	};

	/*
	 * Reasons quote the request (its path, Origin, Upgrade): the log and the
	 * body escape what they write, and the event says the same.
	 */
	sb_escape_text(text, sizeof text, reason);
	r->phase = SBD_REQUEST_ANSWERED;
	atomic_fetch_add(&ctx->counters.rejected, 1);
	sb_info("conn %llu %s: refused %d%s%s: %s", (unsigned long long)ci->id, ci->text,
	    status, route ? " route " : "", route ? route : "", reason);
	logged_path(r, path);
	sbd_events_rejected_request(ctx->events, status, text, ci->text, ci->listener, route, &req);
	if (status == 401 || status == 429)
		return sbd_refusal_queue_auth(r->mhd, status, reason, r->challenge,
		    r->retry_after_s);
	return sbd_refusal_queue(r->mhd, status, reason, r->verdict.upgrade_hint,
	    r->route != NULL && r->route->route->mode == SB_MODE_WEBSOCKET);
}

static void
on_upgraded(void *cls, struct MHD_Connection *mc, void *con_cls, const char *extra_in,
    size_t extra_len, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
	struct sbd_request *r = cls;
	struct sbd_upgrade *u = sb_xcalloc(1, sizeof *u);

	u->http = r->http;
	u->extra = extra_len ? sb_xmemdup(extra_in, extra_len) : NULL;
	u->extra_len = extra_len;
	u->mhd_fd = sock;
	u->urh = urh;
	u->backend_fd = r->backend_fd;
	r->backend_fd = -1;
	u->backend_tls = r->backend_tls;
	r->backend_tls = NULL;
	u->target = r->target;
	r->target = NULL;
	u->route = sbd_route_rt_ref(r->route);
	u->prep = r->prep;
	r->prep = NULL;
	u->stats = r->stats;
	r->stats = NULL;
	memcpy(u->identity, r->identity, sizeof u->identity);
	u->auth_method = r->auth_method;
	u->method = sb_xstrdup(r->method);
	u->path = sb_xmalloc(SBD_LOGGED_PATH_MAX * 4);
	logged_path(r, u->path);
	/* Kept for the tunnel's life (connection.closed): only its length, not 8 KiB. */
	u->path = sb_xrealloc(u->path, strlen(u->path) + 1);
	sbd_conn_upgraded(r->conn, u);
}

static void
add_header(void *arg, const char *name, const char *value)
{
	MHD_add_response_header(arg, name, value);
}

static enum MHD_Result
answer_upgrade(struct sbd_request *r)
{
	struct MHD_Response *resp = MHD_create_response_for_upgrade(on_upgraded, r);
	enum MHD_Result ret;

	r->phase = SBD_REQUEST_ANSWERED;
	if (resp == NULL)
		return MHD_NO;
	/* MHD adds "Connection: Upgrade" itself: never add it twice. */
	r->ops->answer(r->prep, r->verdict.token, add_header, resp);
	ret = MHD_queue_response(r->mhd, MHD_HTTP_SWITCHING_PROTOCOLS, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* The admission steps are over: at once, inside admit(), or later from the loop. */
static void
on_admitted(void *arg, struct sbd_admitted *result)
{
	struct sbd_request *r = arg;

	r->admitted = true;
	r->admitted_status = result->status;
	r->aborted = result->aborted;
	r->backend_fd = result->backend_fd;
	result->backend_fd = -1;
	r->backend_tls = result->backend_tls;
	result->backend_tls = NULL;
	r->target = result->target;
	result->target = NULL;
	snprintf(r->verdict.reason, sizeof r->verdict.reason, "%s", result->reason);
	memcpy(r->identity, result->identity, sizeof r->identity);
	r->auth_method = result->auth_method;
	memcpy(r->challenge, result->challenge, sizeof r->challenge);
	r->retry_after_s = result->retry_after_s;
	if (r->suspended) {
		r->suspended = false;
		MHD_resume_connection(r->mhd);
		run_soon(r->http);
	}
}

static enum MHD_Result
answer_admitted(struct sbd_request *r)
{
	if (r->aborted)
		return MHD_NO; /* the client went away meanwhile */
	if (r->admitted_status == 101)
		return answer_upgrade(r);
	return refuse(r, r->admitted_status, r->verdict.reason);
}

/* The mode has what it needs: the admission steps run on the connection's loop. */
static enum MHD_Result
admit(struct sbd_request *r)
{
	if (r->body_too_big) {
		char why[128];

		snprintf(why, sizeof why, "an h2c request body may hold at most %u bytes",
		    (unsigned)SBD_H2C_BODY_MAX);
		return refuse(r, 413, why);
	}
	if (r->ops->ready != NULL && !r->ops->ready(r, r->prep, &r->verdict))
		return refuse(r, r->verdict.status, r->verdict.reason);
	r->phase = SBD_REQUEST_ADMITTING;
	sbd_conn_admit(r->conn, r->route, r->config->policy->limits.connect_timeout_ms,
	    &r->cred, on_admitted, r);
	if (r->admitted)
		return answer_admitted(r); /* the steps ended at once */
	r->suspended = true;
	MHD_suspend_connection(r->mhd);
	return MHD_YES;
}

/* The name of the first header field that is not valid (sbd_field_is_valid). */
static void
check_field(void *arg, const char *name, const char *value)
{
	const char **bad = arg;

	if (*bad == NULL && !sbd_field_is_valid(name, value))
		*bad = name;
}

/*
 * Route auth: the credential is taken here, inside MHD's run, while the
 * headers are at hand; no credential source stays in the target and the
 * headers that the modes replay to a backend.
 */
static void
capture_credential(struct sbd_request *r)
{
	const struct sbd_conn_info *ci = sbd_conn_info(r->conn);
	const struct sb_listener *lis = sb_policy_find_listener(r->config->policy, ci->listener);
	char *cookie = sbd_request_header_joined(r, "Cookie");
	char *protocols = sbd_request_header_joined(r, "Sec-WebSocket-Protocol");
	char client[SB_ADDR_TEXT_MAX];
	char *stripped = NULL;
	struct sbd_auth_headers h = {
		.authorization = MHD_lookup_connection_value(r->mhd, MHD_HEADER_KIND,
		    "Authorization"),
		.cookie = cookie,
		.subprotocols = protocols,
		.target = r->raw_uri,
		.host = MHD_lookup_connection_value(r->mhd, MHD_HEADER_KIND, "Host"),
		.client = client,
		.tls = lis != NULL && lis->tls != NULL,
	};

	sb_addr_format_host((const struct sockaddr *)&ci->addr, client);
	sbd_auth_capture(r->route, &h, &r->cred, &stripped);
	if (r->route->route->auth != NULL)
		sbd_cred_replay_init(&r->replay, r->route->route->auth, cookie, protocols);
	if (stripped != NULL) {
		free(r->raw_uri);
		r->raw_uri = stripped;
	}
	free(cookie);
	free(protocols);
}

static enum MHD_Result
decide(struct sbd_request *r, const char *method, const char *version)
{
	const struct sbd_conn_info *ci = sbd_conn_info(r->conn);
	struct sbd_route_query q = {
		.listener = ci->listener,
		.host = MHD_lookup_connection_value(r->mhd, MHD_HEADER_KIND, "Host"),
		.host_count = sbd_request_header_count(r, "Host"),
		/* MHD's url is decoded, and cut at an encoded NUL: the verdict decodes the raw one */
		.path = r->raw_uri,
		.head_flaw = sbd_conn_head_flaw(r->conn),
		.method = method,
		.http11 = strcmp(version, MHD_HTTP_VERSION_1_0) != 0,
		.origin = MHD_lookup_connection_value(r->mhd, MHD_HEADER_KIND, "Origin"),
		.has_body = has_body(r->mhd),
		.client = (const struct sockaddr *)&ci->addr,
	};
	char *connection = sbd_request_header_joined(r, "Connection");
	char *upgrade = sbd_request_header_joined(r, "Upgrade");

	q.connection = connection;
	q.upgrade = upgrade;
	sbd_request_foreach_header(r, check_field, &q.bad_field);
	sbd_route_decide(r->config->policy, &q, &r->verdict);
	free(connection);
	free(upgrade);

	if (r->verdict.has_route) {
		r->route = &r->config->routes[r->verdict.route];
		r->ops = sbd_mode_ops(r->route->route->mode);
	}
	if (r->verdict.status != 101)
		return refuse(r, r->verdict.status, r->verdict.reason);
	if (r->route->route->auth != NULL || r->route->route->backend.token_map != NULL)
		capture_credential(r);
	if (r->ops->check != NULL && !r->ops->check(r, r->route, &r->prep, &r->verdict))
		return refuse(r, r->verdict.status, r->verdict.reason);

	const struct sb_route *route = r->route->route;
	if (!sbd_stats_reserve(r->route->stats, route->max_connections)) {
		char why[128];

		snprintf(why, sizeof why, "route %s is full (%u connections)", route->name,
		    route->max_connections);
		return refuse(r, 503, why);
	}
	r->stats = r->route->stats;
	if (atomic_load(&r->http->ctx->draining) && !atomic_load(&r->http->ctx->serve_accepted))
		return refuse(r, 503, "switchboard is shutting down");
	if (r->ops->wants_body && q.has_body) {
		r->phase = SBD_REQUEST_BODY; /* the body is part of the upgrade: read it first */
		return MHD_YES;
	}
	return admit(r);
}

/* MHD calls this first for every request: our request object starts here, with the raw URI. */
static void *
on_uri(void *cls, const char *uri, struct MHD_Connection *mc)
{
	struct sbd_http *h = cls;
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct sbd_conn *c = ci ? ci->socket_context : NULL;
	struct sbd_request *r;

	if (c == NULL)
		return NULL;
	r = sb_xcalloc(1, sizeof *r);
	r->http = h;
	r->mhd = mc;
	r->conn = sbd_conn_ref(c);
	r->config = sbd_ctx_config(h->ctx);
	r->backend_fd = -1;
	r->auth_method = -1;
	r->raw_uri = sb_xstrdup(uri ? uri : "/");
	return r;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *mc, const char *url, const char *method,
    const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct sbd_request *r = *con_cls;

	if (r == NULL)
		return MHD_NO;
	if (!r->decided) {
		r->decided = true;
		r->method = method;
		return decide(r, method, version);
	}
	if (r->phase == SBD_REQUEST_BODY) {
		if (*upload_size == 0)
			return admit(r);
		if (r->body.len + *upload_size > SBD_H2C_BODY_MAX)
			r->body_too_big = true; /* answered 413 once the body is read */
		else
			sb_buf_append(&r->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		*upload_size = 0; /* the body of a request already answered */
		return MHD_YES;
	}
	if (r->phase != SBD_REQUEST_ADMITTING || !r->admitted)
		return MHD_YES;
	return answer_admitted(r);
}

void
sbd_upgrade_release_mhd(struct sbd_upgrade *u)
{
	if (u->urh == NULL)
		return;
	MHD_upgrade_action(u->urh, MHD_UPGRADE_ACTION_CLOSE); /* MHD closes its end, later */
	u->urh = NULL;
	run_soon(u->http); /* MHD sees the close when it runs, not in its epoll set */
}

void
sbd_upgrade_free(struct sbd_upgrade *u)
{
	if (u == NULL)
		return;
	sbd_upgrade_release_mhd(u);
	sbd_tls_session_free(u->backend_tls);
	if (u->backend_fd >= 0)
		close(u->backend_fd);
	sbd_target_release(u->target);
	if (u->prep != NULL)
		sbd_mode_ops(u->route->route->mode)->prep_free(u->prep);
	sbd_stats_release(u->stats);
	sbd_route_rt_unref(u->route);
	free(u->method);
	free(u->path);
	free(u->extra);
	free(u);
}

struct sbd_http *
sbd_http_new(struct sbd_ctx *ctx, struct sbd_loop *loop, const struct sb_limits *limits)
{
	struct sbd_http *h = sb_xcalloc(1, sizeof *h);
	/* No MHD thread: the loop that owns the connections drives MHD from its epoll. */
	unsigned flags = MHD_USE_NO_LISTEN_SOCKET | MHD_USE_EPOLL | MHD_ALLOW_UPGRADE |
	    MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *info;

	h->ctx = ctx;
	h->loop = loop;
	h->watch.fd = -1;
	MHD_set_panic_func(on_mhd_panic, NULL);
	struct MHD_OptionItem ops[] = {
		/* The logger must come first, or MHD's earliest messages go to stderr. */
		{ MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)on_mhd_log, NULL },
		/* The listeners' own count is the limit: each loop's MHD must never refuse first. */
		{ MHD_OPTION_CONNECTION_LIMIT, (intptr_t)(limits->max_connections + 64), NULL },
		{ MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)limits->handshake_timeout_s, NULL },
		{ MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)(32 * 1024), NULL },
		{ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, NULL },
		{ MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)on_uri, h },
		{ MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_mhd_connection, h },
		{ MHD_OPTION_END, 0, NULL },
	};
	h->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h, MHD_OPTION_ARRAY, ops,
	    MHD_OPTION_END);
	if (h->mhd == NULL) {
		sb_error("http: cannot start libmicrohttpd");
		free(h);
		return NULL;
	}
	info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (info == NULL ||
	    sbd_loop_watch_add(loop, &h->watch, info->epoll_fd, EPOLLIN, on_mhd_ready, h) < 0) {
		sb_log_errno(SB_LOG_ERROR, "http: watch libmicrohttpd's epoll fd");
		sbd_http_free(h);
		return NULL;
	}
	return h;
}

void
sbd_http_tick(struct sbd_http *h)
{
	if (h != NULL)
		run_mhd(h); /* MHD's own timeouts */
}

void
sbd_http_stop(struct sbd_http *h)
{
	if (h == NULL || h->mhd == NULL)
		return;
	sbd_loop_watch_del(&h->watch);
	MHD_stop_daemon(h->mhd);
	h->mhd = NULL;
}

void
sbd_http_free(struct sbd_http *h)
{
	if (h == NULL)
		return;
	sbd_http_stop(h);
	free(h);
}
