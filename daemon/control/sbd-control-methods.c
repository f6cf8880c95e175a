/* sbd-control-methods.c - one function per control method: status, connections.*, policy.* */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sb-alloc.h"
#include "sb-buf.h"
#include "sb-config.h"
#include "sb-control.h"
#include "sb-log.h"
#include "sbd-control-private.h"
#include "sbd-daemon.h"
#include "sbd-loop.h"
#include "sbd-config.h"
#include "sbd-conn.h"
#include "sbd-events.h"
#include "sbd-registry.h"

typedef char *method_fn(struct sbd_control_client *cl, json_object *id, json_object *params);

static json_object *
errors_to_json(const struct sb_errors *errs)
{
	json_object *arr = json_object_new_array();

	for (size_t i = 0; i < errs->count; i++) {
		json_object *e = json_object_new_object();

		json_object_object_add(e, SB_FIELD_PATH,
		    json_object_new_string(errs->items[i].path));
		json_object_object_add(e, SB_FIELD_MESSAGE,
		    json_object_new_string(errs->items[i].message));
		json_object_array_add(arr, e);
	}
	return arr;
}

/* A -32000 answer carrying every error with its JSON path. */
static char *
policy_error(json_object *id, const char *what, const struct sb_errors *errs)
{
	json_object *data = json_object_new_object();
	char *msg, *line;

	json_object_object_add(data, SB_FIELD_ERRORS, errors_to_json(errs));
	if (errs->count == 1)
		msg = sb_xasprintf("%s: %s%s%s", what, errs->items[0].path,
		    errs->items[0].path[0] ? ": " : "", errs->items[0].message);
	else
		msg = sb_xasprintf("%s: %zu errors", what, errs->count);
	line = sb_rpc_error(id, SB_ERR_POLICY_INVALID, msg, data);
	free(msg);
	json_object_put(data);
	return line;
}

static char *
invalid_params(json_object *id, const char *why)
{
	return sb_rpc_error(id, SB_ERR_INVALID_PARAMS, why, NULL);
}

/* The params object, or NULL when params were given and are not an object. */
static bool
params_object(json_object *params)
{
	return params == NULL || json_object_is_type(params, json_type_object);
}

static json_object *
u64(uint64_t v)
{
	return json_object_new_int64((int64_t)v);
}

/* [{"connections": N}, ...]: what each worker loop holds, in the order of their threads. */
static json_object *
status_workers(struct sbd_ctx *ctx)
{
	json_object *ws = json_object_new_array();

	for (unsigned i = 0; i < ctx->n_loops; i++) {
		json_object *w = json_object_new_object();

		json_object_object_add(w, SB_FIELD_CONNECTIONS, u64(sbd_conn_loop_load(ctx->loops[i])));
		json_object_array_add(ws, w);
	}
	return ws;
}

static char *
m_status(struct sbd_control_client *cl, json_object *id, json_object *params)
{
	struct sbd_daemon *d = cl->ctl->d;
	struct sbd_config *c = sbd_ctx_config(&d->ctx);
	json_object *r = json_object_new_object(), *ls = json_object_new_array();
	json_object *counters = json_object_new_object();
	char *line;

	json_object_object_add(r, SB_FIELD_VERSION, json_object_new_string(SB_VERSION));
	json_object_object_add(r, SB_FIELD_UPTIME_S, u64((sbd_now_ms() - d->ctx.started_ms) / 1000));
	json_object_object_add(r, SB_FIELD_REVISION, u64(c->revision));
	json_object_object_add(r, "policy_file", d->opts.policy_file ?
	    json_object_new_string(d->opts.policy_file) : NULL);
	json_object_object_add(r, "draining", json_object_new_boolean(atomic_load(&d->ctx.draining)));
	for (size_t i = 0; i < c->policy->n_listeners; i++) {
		const struct sb_listener *l = &c->policy->listeners[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, SB_FIELD_NAME, json_object_new_string(l->name));
		json_object_object_add(o, SB_FIELD_BIND, json_object_new_string(l->bind));
		json_object_object_add(o, SB_FIELD_TLS, json_object_new_boolean(l->tls != NULL));
		if (l->tls != NULL)
			json_object_object_add(o, SB_FIELD_CERTIFICATES, sbd_control_certificates(c, i));
		json_object_array_add(ls, o);
	}
	json_object_object_add(r, SB_FIELD_LISTENERS, ls);
	json_object_object_add(counters, SB_FIELD_ACCEPTED, u64(atomic_load(&d->ctx.counters.accepted)));
	json_object_object_add(counters, SB_FIELD_UPGRADED, u64(atomic_load(&d->ctx.counters.upgraded)));
	json_object_object_add(counters, SB_FIELD_REJECTED, u64(atomic_load(&d->ctx.counters.rejected)));
	json_object_object_add(counters, SB_FIELD_ACTIVE, u64(atomic_load(&d->ctx.counters.tunnels)));
	json_object_object_add(counters, SB_FIELD_CONNECTIONS, u64(atomic_load(&d->ctx.counters.active)));
	json_object_object_add(counters, SB_FIELD_BYTES_UP, u64(atomic_load(&d->ctx.counters.bytes_up)));
	json_object_object_add(counters, SB_FIELD_BYTES_DOWN,
	    u64(atomic_load(&d->ctx.counters.bytes_down)));
	json_object_object_add(r, SB_FIELD_COUNTERS, counters);
	json_object_object_add(r, SB_FIELD_WORKERS, status_workers(&d->ctx));
	line = sb_rpc_result(id, r);
	json_object_put(r);
	sbd_config_unref(c);
	return line;
}

static char *
m_connections_list(struct sbd_control_client *cl, json_object *id, json_object *params)
{
	json_object *list = sbd_registry_list(cl->ctl->d->ctx.registry);
	char *line = sb_rpc_result(id, list);

	json_object_put(list);
	return line;
}

/* params {"id": N}: N, or 0 when params are not that. */
static int64_t
params_connection_id(json_object *params)
{
	json_object *v;
	int64_t cid;

	if (!params_object(params) || params == NULL ||
	    !json_object_object_get_ex(params, SB_FIELD_ID, &v) ||
	    !json_object_is_type(v, json_type_int) || (cid = json_object_get_int64(v)) <= 0)
		return 0;
	return cid;
}

static char *
no_such_connection(json_object *id, int64_t cid)
{
	char msg[96];

	snprintf(msg, sizeof msg, "no such connection: %lld", (long long)cid);
	return sb_rpc_error(id, SB_ERR_NO_SUCH_CONNECTION, msg, NULL);
}

static char *
m_connections_close(struct sbd_control_client *cl, json_object *id, json_object *params)
{
	int64_t cid = params_connection_id(params);
	char reason[96];

	if (cid == 0)
		return invalid_params(id, "invalid params: expected {\"id\": a connection id}");
	snprintf(reason, sizeof reason, "closed by control (uid %u)", (unsigned)cl->uid);
	if (!sbd_registry_close(cl->ctl->d->ctx.registry, (uint64_t)cid, reason))
		return no_such_connection(id, cid);
	sb_info("control: uid %u closes connection %lld", (unsigned)cl->uid, (long long)cid);
	json_object *r = json_object_new_object();
	char *line = sb_rpc_result(id, r);
	json_object_put(r);
	return line;
}

static char *
m_connections_get(struct sbd_control_client *cl, json_object *id, json_object *params)
{
	int64_t cid = params_connection_id(params);
	json_object *r;
	char *line;

	if (cid == 0)
		return invalid_params(id, "invalid params: expected {\"id\": a connection id}");
	r = sbd_registry_get(cl->ctl->d->ctx.registry, (uint64_t)cid);
	if (r == NULL)
		return no_such_connection(id, cid);
	line = sb_rpc_result(id, r);
	json_object_put(r);
	return line;
}

static char *
m_policy_get(struct sbd_control_client *cl, json_object *id, json_object *params)
{
	struct sbd_daemon *d = cl->ctl->d;
	struct sbd_config *c = sbd_ctx_config(&d->ctx);
	json_object *r = json_object_new_object();
	char *line;

	json_object_object_add(r, SB_FIELD_POLICY, sb_policy_to_json(c->policy));
	json_object_object_add(r, SB_FIELD_REVISION, u64(c->revision));
	json_object_object_add(r, SB_FIELD_FILE, d->opts.policy_file ?
	    json_object_new_string(d->opts.policy_file) : NULL);
	line = sb_rpc_result(id, r);
	json_object_put(r);
	sbd_config_unref(c);
	return line;
}

/* The policy of params, parsed against the running policy's folder; NULL with errs set. */
static struct sb_policy *
params_policy(struct sbd_daemon *d, json_object *params, struct sb_errors *errs)
{
	json_object *doc;

	if (params == NULL || !json_object_object_get_ex(params, SB_FIELD_POLICY, &doc) ||
	    !json_object_is_type(doc, json_type_object)) {
		sb_errors_add(errs, "", "params.policy must be a policy object");
		return NULL;
	}
	return sb_policy_from_json(doc, d->policy_dir, errs);
}

static char *
m_policy_validate(struct sbd_control_client *cl, json_object *id, json_object *params)
{
	struct sb_errors errs = SB_ERRORS_INIT;
	struct sb_policy *p;
	char *line;

	if (!params_object(params))
		return invalid_params(id, "invalid params: expected {\"policy\": {...}}");
	p = params_policy(cl->ctl->d, params, &errs);
	if (p == NULL) {
		line = policy_error(id, "invalid policy", &errs);
	} else {
		json_object *r = json_object_new_object(), *close = json_object_new_array();
		json_object *keep = json_object_new_array();

		sbd_registry_preview(cl->ctl->d->ctx.registry, p, close, keep);
		json_object_object_add(r, SB_FIELD_VALID, json_object_new_boolean(true));
		json_object_object_add(r, SB_FIELD_WOULD_CLOSE, close);
		json_object_object_add(r, SB_FIELD_WOULD_KEEP, keep);
		line = sb_rpc_result(id, r);
		json_object_put(r);
		sb_policy_free(p);
	}
	sb_errors_clear(&errs);
	return line;
}

/* Puts FILE.bak back after an apply that was written but could not be put in place. */
static void
restore_backup(const char *file)
{
	char *bak = sb_xasprintf("%s.bak", file);

	if (rename(bak, file) < 0)
		sb_log_errno(SB_LOG_ERROR, "policy: restore %s from %s", file, bak);
	free(bak);
}

static char *
m_policy_apply(struct sbd_control_client *cl, json_object *id, json_object *params)
{
	struct sbd_daemon *d = cl->ctl->d;
	struct sb_errors errs = SB_ERRORS_INIT;
	struct sbd_config *cur;
	struct sb_policy *p = NULL;
	json_object *v, *r;
	bool persist = d->opts.policy_file != NULL;
	char by[64], *line = NULL;
	uint64_t current;

	if (!params_object(params))
		return invalid_params(id, "invalid params: expected {\"policy\": {...}, "
		    "\"revision\": N, \"persist\": true}");
	if (params != NULL && json_object_object_get_ex(params, SB_FIELD_PERSIST, &v)) {
		if (!json_object_is_type(v, json_type_boolean))
			return invalid_params(id, "invalid params: persist must be true or false");
		persist = json_object_get_boolean(v);
	}
	cur = sbd_ctx_config(&d->ctx);
	current = cur->revision;
	sbd_config_unref(cur);
	if (params != NULL && json_object_object_get_ex(params, SB_FIELD_REVISION, &v) && v) {
		if (!json_object_is_type(v, json_type_int))
			return invalid_params(id, "invalid params: revision must be an integer");
		if ((uint64_t)json_object_get_int64(v) != current) {
			json_object *data = json_object_new_object();
			char msg[128];

			json_object_object_add(data, SB_FIELD_REVISION, u64(current));
			snprintf(msg, sizeof msg, "stale revision %lld: the running policy is "
			    "revision %llu", (long long)json_object_get_int64(v),
			    (unsigned long long)current);
			line = sb_rpc_error(id, SB_ERR_STALE_REVISION, msg, data);
			json_object_put(data);
			return line;
		}
	}
	if (persist && d->opts.policy_file == NULL)
		return invalid_params(id, "invalid params: persist: the daemon runs its "
		    "default policy, there is no file to write");

	p = params_policy(d, params, &errs);
	if (p == NULL) {
		line = policy_error(id, "invalid policy", &errs);
		goto out;
	}
	if (persist) {
		char *text = sb_policy_to_string(p);
		int rc = sb_policy_save_text(d->opts.policy_file, text);

		free(text);
		if (rc < 0) {
			char msg[256];

			snprintf(msg, sizeof msg, "cannot write %s: %s; nothing applied",
			    d->opts.policy_file, strerror(errno));
			sb_policy_free(p);
			line = sb_rpc_error(id, SB_ERR_POLICY_WRITE, msg, NULL);
			goto out;
		}
	}
	snprintf(by, sizeof by, "control (uid %u)", (unsigned)cl->uid);
	if (sbd_daemon_apply(d, p, by, &errs) < 0) {
		if (persist)
			restore_backup(d->opts.policy_file);
		line = policy_error(id, "policy not applied", &errs);
		goto out;
	}
	cur = sbd_ctx_config(&d->ctx);
	r = json_object_new_object();
	json_object_object_add(r, SB_FIELD_REVISION, u64(cur->revision));
	json_object_object_add(r, "persisted", json_object_new_boolean(persist));
	sbd_config_unref(cur);
	line = sb_rpc_result(id, r);
	json_object_put(r);
out:
	sb_errors_clear(&errs);
	return line;
}

/*
 * With {"history": true}, the answer {"history": N} is followed at once by the
 * N kept events, oldest first, each with "history": true; live events come
 * after them, none of them twice (the kept ones carry a seq, see sbd-events.h).
 */
static char *
m_events_subscribe(struct sbd_control_client *cl, json_object *id, json_object *params)
{
	json_object *r = json_object_new_object(), *v, *kept;
	struct sb_buf out = SB_BUF_INIT;
	bool history = false;
	char *line;

	if (params != NULL && json_object_object_get_ex(params, SB_FIELD_HISTORY, &v) && v) {
		if (!json_object_is_type(v, json_type_boolean)) {
			json_object_put(r);
			return invalid_params(id, "invalid params: history must be true or false");
		}
		history = json_object_get_boolean(v);
	} else if (!params_object(params)) {
		json_object_put(r);
		return invalid_params(id, "invalid params: expected {\"history\": true} or none");
	}
	sbd_control_subscribe(cl); /* listening first: nothing emitted from now on is missed */
	if (!history) {
		line = sb_rpc_result(id, r);
		json_object_put(r);
		return line;
	}
	kept = sbd_events_history(cl->ctl->d->ctx.events, &cl->history_upto);
	json_object_object_add(r, SB_FIELD_HISTORY,
	    json_object_new_int64((int64_t)json_object_array_length(kept)));
	line = sb_rpc_result(id, r);
	sb_buf_append(&out, line, strlen(line));
	free(line);
	for (size_t i = 0; i < json_object_array_length(kept); i++) {
		line = sb_rpc_notification(SB_CONTROL_NOTIFY_EVENT,
		    json_object_array_get_idx(kept, i));
		sb_buf_append(&out, line, strlen(line));
		free(line);
	}
	json_object_put(kept);
	json_object_put(r);
	sb_buf_append(&out, "", 1);
	return out.data; /* nothing was consumed: the text starts at data */
}

static method_fn *const methods[SB_METHOD_COUNT] = {
	[SB_METHOD_STATUS] = m_status,
	[SB_METHOD_CONNECTIONS_LIST] = m_connections_list,
	[SB_METHOD_CONNECTIONS_CLOSE] = m_connections_close,
	[SB_METHOD_CONNECTIONS_GET] = m_connections_get,
	[SB_METHOD_POLICY_GET] = m_policy_get,
	[SB_METHOD_POLICY_VALIDATE] = m_policy_validate,
	[SB_METHOD_POLICY_APPLY] = m_policy_apply,
	[SB_METHOD_EVENTS_SUBSCRIBE] = m_events_subscribe,
	[SB_METHOD_BACKENDS_LIST] = sbd_control_backends_list,
	[SB_METHOD_BACKENDS_SET] = sbd_control_backends_set,
	[SB_METHOD_DAEMON_TAKEOVER] = sbd_control_takeover,
	[SB_METHOD_DAEMON_DRAIN] = sbd_control_drain,
};

char *
sbd_control_dispatch(struct sbd_control_client *cl, struct sb_rpc_request *req)
{
	enum sb_control_method m;
	char *line;

	if (!sb_control_method_lookup(req->method, &m)) {
		char msg[160];

		snprintf(msg, sizeof msg, "method not found: %.100s", req->method);
		line = sb_rpc_error(req->id, SB_ERR_METHOD_NOT_FOUND, msg, NULL);
	} else {
		line = methods[m](cl, req->id, req->params);
	}
	if (!req->has_id) {
		free(line); /* a notification gets no answer */
		return NULL;
	}
	return line;
}
