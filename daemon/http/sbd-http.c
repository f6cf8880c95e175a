/* sbd-http.c - the access handler: verdict, backend connect before the 101, upgrade hand-over */
#include "sbd-http.h"
#include "sbd-http-private.h"

#include <errno.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sb-alloc.h"
#include "sb-log.h"
#include "sbd-conn.h"
#include "sbd-daemon.h"
#include "sbd-h2c.h"
#include "sbd-listener.h"
#include "sbd-loop.h"
#include "sbd-refusal.h"
#include "sbd-registry.h"
#include "sbd-route.h"
#include "sbd-stats.h"
#include "sbd-tls.h"
#include "sbd-ws-handshake.h"


struct sbd_http {
	struct sbd_daemon *d;
	struct MHD_Daemon *mhd;
	pthread_mutex_t pending_lock;
	struct sbd_conn **pending; /* by fd: connections MHD has not announced yet */
	size_t n_pending;
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

static void
pending_put(struct sbd_http *h, int fd, struct sbd_conn *conn)
{
	pthread_mutex_lock(&h->pending_lock);
	if ((size_t)fd >= h->n_pending) {
		size_t n = (size_t)fd * 2 + 64;

		h->pending = sb_xrealloc(h->pending, n * sizeof *h->pending);
		memset(h->pending + h->n_pending, 0, (n - h->n_pending) * sizeof *h->pending);
		h->n_pending = n;
	}
	/* A stale entry means MHD dropped that connection before announcing it. */
	if (h->pending[fd] != NULL)
		sbd_conn_unref(h->pending[fd]);
	h->pending[fd] = sbd_conn_ref(conn);
	pthread_mutex_unlock(&h->pending_lock);
}

static struct sbd_conn *
pending_take(struct sbd_http *h, int fd)
{
	struct sbd_conn *conn = NULL;

	pthread_mutex_lock(&h->pending_lock);
	if (fd >= 0 && (size_t)fd < h->n_pending) {
		conn = h->pending[fd];
		h->pending[fd] = NULL;
	}
	pthread_mutex_unlock(&h->pending_lock);
	return conn;
}

static void
on_mhd_connection(void *cls, struct MHD_Connection *mc, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
	struct sbd_http *h = cls;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
		    MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);

		*socket_context = ci ? pending_take(h, ci->connect_fd) : NULL;
	} else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		sbd_conn_unref(*socket_context);
		*socket_context = NULL;
	}
}

int
sbd_http_add(struct sbd_http *h, struct sbd_conn *conn, int fd)
{
	pending_put(h, fd, conn);
	if (MHD_add_connection(h->mhd, fd, (const struct sockaddr *)&conn->client_addr,
	    conn->client_len) != MHD_YES) {
		sbd_conn_unref(pending_take(h, fd));
		return -1;
	}
	return 0;
}

static void
free_request(struct sbd_request *r)
{
	if (r->backend_fd >= 0)
		close(r->backend_fd);
	sbd_stats_release(r->stats);
	sb_buf_free(&r->replay);
	sb_buf_free(&r->body);
	free(r->h2_settings);
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

/* All values of a header, joined with ", " as RFC 9110 §5.3 allows. */
struct join {
	const char *name;
	char *out;
};

static enum MHD_Result
join_one(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct join *j = cls;
	char *s;

	if (strcasecmp(key, j->name) != 0 || value == NULL)
		return MHD_YES;
	s = j->out ? sb_xasprintf("%s, %s", j->out, value) : sb_xstrdup(value);
	free(j->out);
	j->out = s;
	return MHD_YES;
}

char *
sbd_http_header_joined(struct MHD_Connection *mc, const char *name)
{
	struct join j = { name, NULL };

	MHD_get_connection_values(mc, MHD_HEADER_KIND, join_one, &j);
	return j.out;
}

static bool
has_body(struct MHD_Connection *mc)
{
	const char *cl = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Content-Length");

	if (MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Transfer-Encoding") != NULL)
		return true;
	return cl != NULL && strspn(cl, "0") != strlen(cl);
}

static enum MHD_Result
refuse(struct sbd_request *r, int status, const char *reason)
{
	struct sbd_conn *c = r->conn;
	const char *route = r->route ? r->route->name : NULL;

	r->phase = PHASE_ANSWERED;
	atomic_fetch_add(&c->daemon->counters.rejected, 1);
	sb_info("conn %llu %s: refused %d%s%s: %s", (unsigned long long)c->id, c->client_text,
	    status, route ? " route " : "", route ? route : "", reason);
	sbd_registry_rejected(c->daemon->registry, status, reason, c->client_text, c->lconf->name,
	    route);
	return sbd_refusal_queue(r->mhd, status, reason, r->verdict.upgrade_hint,
	    r->route != NULL && r->route->mode == SB_MODE_WEBSOCKET);
}

static void
connect_done(struct sbd_request *r, int error)
{
	sbd_loop_watch_del(&r->connect_watch);
	r->conn->pending_connect = NULL;
	r->connect_error = error;
	r->connected = error == 0;
	MHD_resume_connection(r->mhd);
}

static void
on_connect_ready(struct sbd_watch *w, unsigned events)
{
	struct sbd_request *r = w->arg;
	int err = 0;
	socklen_t len = sizeof err;

	if (getsockopt(r->backend_fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	connect_done(r, err);
}

/* Runs on the connection's loop: watch the connect until it ends or times out. */
static void
watch_connect(void *arg)
{
	struct sbd_request *r = arg;

	if (r->conn->daemon->http_stopped)
		return;
	if (r->conn->state == SBD_CONN_CLOSED) {
		connect_done(r, ECONNABORTED);
		return;
	}
	r->conn->pending_connect = r;
	if (sbd_loop_watch_add(r->conn->loop, &r->connect_watch, r->backend_fd, EPOLLOUT,
	    on_connect_ready, r) < 0)
		connect_done(r, errno);
}

void
sbd_http_connect_abort(struct sbd_request *r)
{
	connect_done(r, ECONNABORTED);
}

void
sbd_http_connect_sweep(struct sbd_request *r, uint64_t now)
{
	if (now >= r->connect_deadline)
		connect_done(r, ETIMEDOUT);
}

/* Starts the backend connect; returns false when it failed at once (connect_error set). */
static bool
start_connect(struct sbd_request *r, size_t route_index)
{
	const struct sbd_route_rt *rt = &r->config->routes[route_index];
	const struct sb_limits *lim = &r->config->policy->limits;

	sb_addr_format((const struct sockaddr *)&rt->backend, r->backend_text);
	r->backend_fd = socket(rt->backend.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (r->backend_fd < 0) {
		r->connect_error = errno;
		return false;
	}
	if (connect(r->backend_fd, (const struct sockaddr *)&rt->backend, rt->backend_len) == 0) {
		r->connected = true;
		return true;
	}
	if (errno != EINPROGRESS) {
		r->connect_error = errno;
		return false;
	}
	r->connect_deadline = sbd_now_ms() + lim->connect_timeout_ms;
	r->phase = PHASE_CONNECTING;
	MHD_suspend_connection(r->mhd);
	sbd_loop_post(r->conn->loop, watch_connect, r);
	return true;
}

static void
on_upgraded(void *cls, struct MHD_Connection *mc, void *con_cls, const char *extra_in,
    size_t extra_len, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
	struct sbd_request *r = cls;
	struct sbd_handover *ho = sb_xcalloc(1, sizeof *ho);

	ho->conn = sbd_conn_ref(r->conn);
	ho->extra = extra_len ? sb_xmemdup(extra_in, extra_len) : NULL;
	ho->extra_len = extra_len;
	ho->mhd_fd = sock;
	ho->urh = urh;
	ho->backend_fd = r->backend_fd;
	r->backend_fd = -1;
	ho->route = sb_xstrdup(r->route->name);
	ho->mode = r->route->mode;
	ho->idle_timeout_s = r->route->idle_timeout_s;
	ho->on_change = r->route->on_policy_change;
	ho->proxy_out = r->route->proxy_protocol;
	ho->max_message_bytes = r->route->max_message_bytes;
	ho->text_messages = r->route->text_messages;
	if (r->route->mode == SB_MODE_TLS)
		ho->tls = sbd_tls_ctx_ref(r->config->routes[r->verdict.route].tls);
	sb_buf_move(&ho->replay, &r->replay);
	ho->ping_interval_s = r->route->ping_interval_s;
	ho->stats = r->stats;
	r->stats = NULL;
	memcpy(ho->backend_text, r->backend_text, sizeof ho->backend_text);
	sbd_loop_post(r->conn->loop, sbd_conn_handover, ho);
}

static enum MHD_Result
answer_upgrade(struct sbd_request *r)
{
	struct MHD_Response *resp = MHD_create_response_for_upgrade(on_upgraded, r);
	enum MHD_Result ret;

	r->phase = PHASE_ANSWERED;
	if (resp == NULL)
		return MHD_NO;
	/* MHD adds "Connection: Upgrade" itself. */
	if (r->route->mode == SB_MODE_WEBSOCKET) {
		MHD_add_response_header(resp, MHD_HTTP_HEADER_UPGRADE, "websocket");
		MHD_add_response_header(resp, "Sec-WebSocket-Accept", r->ws_accept);
		if (r->ws_protocol != NULL)
			MHD_add_response_header(resp, "Sec-WebSocket-Protocol", r->ws_protocol);
	} else if (r->route->mode == SB_MODE_H2C) {
		MHD_add_response_header(resp, MHD_HTTP_HEADER_UPGRADE, "h2c");
	} else if (r->route->mode == SB_MODE_TLS) {
		/* RFC 2817 §3.2: the protocol stack the connection switches to. */
		MHD_add_response_header(resp, MHD_HTTP_HEADER_UPGRADE, "TLS/1.2, HTTP/1.1");
	} else {
		MHD_add_response_header(resp, MHD_HTTP_HEADER_UPGRADE, r->verdict.token);
	}
	ret = MHD_queue_response(r->mhd, MHD_HTTP_SWITCHING_PROTOCOLS, resp);
	MHD_destroy_response(resp);
	return ret;
}


/* The backend is connected before the 101 goes out, so a dead one is a 502. */
static enum MHD_Result
connect_and_answer(struct sbd_request *r)
{
	char why[160];

	if (r->route->mode == SB_MODE_H2C) {
		if (r->body_too_big || sbd_http_h2c_preamble(r) < 0) {
			snprintf(why, sizeof why, "an h2c request body may hold at most %u bytes",
			    (unsigned)SBD_H2C_BODY_MAX);
			return refuse(r, 413, why);
		}
	}
	if (!start_connect(r, r->verdict.route)) {
		snprintf(why, sizeof why, "backend %s unreachable: %s", r->backend_text,
		    strerror(r->connect_error));
		return refuse(r, 502, why);
	}
	if (r->phase == PHASE_CONNECTING)
		return MHD_YES;
	return answer_upgrade(r);
}

static enum MHD_Result
decide(struct sbd_request *r, const char *url, const char *method, const char *version)
{
	struct sbd_conn *c = r->conn;
	struct sbd_route_query q = {
		.listener = c->lconf->name,
		.host = MHD_lookup_connection_value(r->mhd, MHD_HEADER_KIND, "Host"),
		.path = url,
		.method = method,
		.http11 = strcmp(version, MHD_HTTP_VERSION_1_0) != 0,
		.origin = MHD_lookup_connection_value(r->mhd, MHD_HEADER_KIND, "Origin"),
		.has_body = has_body(r->mhd),
		.client = (const struct sockaddr *)&c->client_addr,
	};
	char *connection = sbd_http_header_joined(r->mhd, "Connection");
	char *upgrade = sbd_http_header_joined(r->mhd, "Upgrade");

	q.connection = connection;
	q.upgrade = upgrade;
	sbd_route_decide(r->config->policy, &q, &r->verdict);
	free(connection);
	free(upgrade);

	if (r->verdict.has_route)
		r->route = &r->config->policy->routes[r->verdict.route];
	if (r->verdict.status != 101)
		return refuse(r, r->verdict.status, r->verdict.reason);
	if (!sbd_http_mode_checks(r, method))
		return refuse(r, r->verdict.status, r->verdict.reason);

	struct sbd_route_stats *stats = r->config->routes[r->verdict.route].stats;
	if (!sbd_stats_reserve(stats, r->route->max_connections)) {
		char why[128];

		snprintf(why, sizeof why, "route %s is full (%u connections)", r->route->name,
		    r->route->max_connections);
		return refuse(r, 503, why);
	}
	r->stats = stats;
	if (atomic_load(&c->daemon->draining))
		return refuse(r, 503, "switchboard is shutting down");
	if (r->route->mode == SB_MODE_H2C && q.has_body) {
		r->phase = PHASE_BODY; /* the body is part of stream 1: read it first */
		return MHD_YES;
	}
	return connect_and_answer(r);
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
	r->config = sbd_daemon_config(h->d);
	r->backend_fd = -1;
	r->connect_watch.fd = -1;
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
		return decide(r, url, method, version);
	}
	if (r->phase == PHASE_BODY) {
		if (*upload_size == 0)
			return connect_and_answer(r);
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
	if (r->phase != PHASE_CONNECTING)
		return MHD_YES;
	if (r->connected)
		return answer_upgrade(r);

	char why[160];
	snprintf(why, sizeof why, "backend %s unreachable: %s", r->backend_text,
	    r->connect_error == ETIMEDOUT ? "connect timed out" : strerror(r->connect_error));
	if (r->connect_error == ECONNABORTED)
		return MHD_NO; /* the client went away meanwhile */
	return refuse(r, 502, why);
}

struct sbd_http *
sbd_http_new(struct sbd_daemon *d, const struct sb_limits *limits)
{
	struct sbd_http *h = sb_xcalloc(1, sizeof *h);
	unsigned flags = MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ITC | MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_EPOLL | MHD_ALLOW_UPGRADE | MHD_USE_ERROR_LOG;

	h->d = d;
	pthread_mutex_init(&h->pending_lock, NULL);
	MHD_set_panic_func(on_mhd_panic, NULL);
	struct MHD_OptionItem ops[] = {
		/* The logger must come first, or MHD's earliest messages go to stderr. */
		{ MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)on_mhd_log, NULL },
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
		pthread_mutex_destroy(&h->pending_lock);
		free(h);
		return NULL;
	}
	return h;
}

void
sbd_http_free(struct sbd_http *h)
{
	if (h == NULL)
		return;
	MHD_stop_daemon(h->mhd);
	for (size_t i = 0; i < h->n_pending; i++)
		sbd_conn_unref(h->pending[i]);
	free(h->pending);
	pthread_mutex_destroy(&h->pending_lock);
	free(h);
}
