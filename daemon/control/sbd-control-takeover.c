/* sbd-control-takeover.c - daemon.takeover and daemon.drain: a new daemon takes the sockets over */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "sb-alloc.h"
#include "sb-config.h"
#include "sb-control.h"
#include "sb-log.h"
#include "sbd-control.h"
#include "sbd-control-private.h"
#include "sbd-daemon.h"
#include "sbd-listener.h"
#include "sbd-metrics.h"

/* The kernel passes at most SCM_MAX_FD (253) descriptors in one message. */
#define PASS_MAX 253

/* Only root or the daemon's own uid may take its sockets or stop it (allow_uids may not). */
static bool
owner(const struct sbd_control_client *cl)
{
	return cl->uid == 0 || cl->uid == geteuid();
}

static char *
not_owner(struct sbd_control_client *cl, json_object *id, const char *what)
{
	sb_warn("control: %s refused to uid %u pid %d: not the daemon's owner", what,
	    (unsigned)cl->uid, (int)cl->pid);
	return sb_rpc_error(id, SB_ERR_NOT_OWNER,
	    "permission denied: only root or the daemon's own user may do this", NULL);
}

/* A copy of fd for the client to pass on, and the entry naming it; false when no copy could be made. */
static bool
pass(struct sbd_control_client *cl, int fd, json_object *sockets, json_object *entry)
{
	int copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);

	if (copy < 0) {
		sb_log_errno(SB_LOG_ERROR, "daemon.takeover: dup");
		json_object_put(entry);
		return false;
	}
	cl->pass_fds[cl->n_pass_fds++] = copy;
	json_object_array_add(sockets, entry);
	return true;
}

static json_object *
entry(const char *kind, const char *key, const char *value, const char *key2,
    const char *value2)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, SB_FIELD_KIND, json_object_new_string(kind));
	json_object_object_add(o, key, json_object_new_string(value));
	if (key2 != NULL)
		json_object_object_add(o, key2, json_object_new_string(value2));
	return o;
}

/*
 * The answer names every socket in the order passed; the descriptors go with
 * its first bytes (see send_some in sbd-control.c). The daemon keeps accepting
 * until daemon.drain: a new daemon that fails half-way leaves nothing lost.
 */
char *
sbd_control_takeover(struct sbd_control_client *cl, json_object *id, json_object *params)
{
	struct sbd_daemon *d = cl->ctl->d;
	json_object *r, *sockets;
	bool ok = true;
	char *line;

	(void)params;
	if (!owner(cl))
		return not_owner(cl, id, "daemon.takeover");
	if (atomic_load(&d->ctx.draining))
		return sb_rpc_error(id, SB_ERR_DRAINING,
		    "the daemon is draining: its sockets are closed", NULL);
	if (cl->n_pass_fds > 0 || d->n_listeners + 2 > PASS_MAX)
		return sb_rpc_error(id, SB_ERR_INTERNAL, cl->n_pass_fds > 0 ?
		    "sockets of an earlier daemon.takeover are still on their way" :
		    "more listeners than one message can pass (251)", NULL);
	free(cl->pass_fds);
	cl->pass_fds = sb_xcalloc(d->n_listeners + 2, sizeof *cl->pass_fds);
	sockets = json_object_new_array();
	for (size_t i = 0; ok && i < d->n_listeners; i++)
		ok = pass(cl, sbd_listener_fd(d->listeners[i]), sockets,
		    entry(SB_KIND_LISTENER, SB_FIELD_NAME, sbd_listener_name(d->listeners[i]),
		    SB_FIELD_ADDRESS, sbd_listener_address(d->listeners[i])));
	if (ok && d->metrics != NULL && sbd_metrics_fd(d->metrics) >= 0)
		ok = pass(cl, sbd_metrics_fd(d->metrics), sockets,
		    entry(SB_KIND_METRICS, SB_FIELD_ADDRESS, sbd_metrics_address(d->metrics), NULL,
		    NULL));
	if (ok && sbd_control_fd(cl->ctl) >= 0)
		ok = pass(cl, sbd_control_fd(cl->ctl), sockets,
		    entry(SB_KIND_CONTROL, SB_FIELD_PATH, sbd_control_path(cl->ctl), NULL, NULL));
	if (!ok) {
		json_object_put(sockets);
		for (size_t i = 0; i < cl->n_pass_fds; i++)
			close(cl->pass_fds[i]);
		cl->n_pass_fds = 0;
		return sb_rpc_error(id, SB_ERR_INTERNAL, "cannot copy a listening socket", NULL);
	}
	sb_info("control: daemon.takeover: passing %zu sockets to uid %u pid %d", cl->n_pass_fds,
	    (unsigned)cl->uid, (int)cl->pid);
	r = json_object_new_object();
	json_object_object_add(r, SB_FIELD_PID, json_object_new_int64((int64_t)getpid()));
	json_object_object_add(r, SB_FIELD_VERSION, json_object_new_string(SB_VERSION));
	json_object_object_add(r, SB_FIELD_SOCKETS, sockets);
	line = sb_rpc_result(id, r);
	json_object_put(r);
	return line;
}

static bool
flag(json_object *params, const char *key, bool *out)
{
	json_object *v;

	*out = false;
	if (params == NULL || !json_object_object_get_ex(params, key, &v) || v == NULL)
		return true;
	if (!json_object_is_type(v, json_type_boolean))
		return false;
	*out = json_object_get_boolean(v);
	return true;
}

char *
sbd_control_drain(struct sbd_control_client *cl, json_object *id, json_object *params)
{
	struct sbd_daemon *d = cl->ctl->d;
	bool takeover, control;
	json_object *r;
	char *line;

	if (!owner(cl))
		return not_owner(cl, id, "daemon.drain");
	if ((params != NULL && !json_object_is_type(params, json_type_object)) ||
	    !flag(params, SB_FIELD_TAKEOVER, &takeover) || !flag(params, SB_FIELD_CONTROL, &control))
		return sb_rpc_error(id, SB_ERR_INVALID_PARAMS,
		    "invalid params: expected {\"takeover\": true|false, \"control\": true|false}",
		    NULL);
	sb_info("control: daemon.drain from uid %u pid %d%s", (unsigned)cl->uid, (int)cl->pid,
	    takeover ? ": a new daemon serves the sockets now" : "");
	if (control)
		sbd_control_hand_over(cl->ctl);
	if (takeover) {
		atomic_store(&d->ctx.serve_accepted, true);
		/* the new daemon answers on the metrics socket: scrapes see one daemon, not two */
		sbd_metrics_free(d->metrics);
		d->metrics = NULL;
	}
	sbd_daemon_drain(d);
	r = json_object_new_object();
	line = sb_rpc_result(id, r);
	json_object_put(r);
	return line;
}
