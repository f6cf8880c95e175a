/* sbd-control.c - the control socket server: accept, peer checks, bounded lines, subscribers */
#include "sbd-control.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "sb-alloc.h"
#include "sb-log.h"
#include "sb-path.h"
#include "sbd-accept.h"
#include "sbd-control-private.h"
#include "sbd-daemon.h"
#include "sbd-config.h"
#include "sbd-events.h"
#include "sbd-registry.h"

#define MAX_CLIENTS    1024
/* Past MAX_CLIENTS, room kept for root and the daemon's own uid: others cannot lock them out. */
#define MAX_CLIENTS_KEPT 16
#define READ_CHUNK     65536
/* A subscriber this far behind is dropped rather than let it hold the daemon's memory. */
#define SUBSCRIBER_MAX (4u << 20)
/* A client this far behind in reading its answers is not read until it catches up. */
#define ANSWERS_MAX (1u << 20)

static void on_client_io(struct sbd_watch *w, unsigned events);

static void
client_free(void *arg)
{
	struct sbd_control_client *cl = arg;

	for (size_t i = 0; i < cl->n_pass_fds; i++)
		close(cl->pass_fds[i]);
	free(cl->pass_fds);
	sb_line_reader_clear(&cl->reader);
	sb_buf_free(&cl->out);
	free(cl);
}

static void
client_close(struct sbd_control_client *cl, const char *why)
{
	struct sbd_control *ctl = cl->ctl;

	sb_debug("control: client uid %u pid %d: %s", (unsigned)cl->uid, (int)cl->pid, why);
	sbd_loop_watch_del(&cl->watch);
	close(cl->fd);
	if (cl->subscribed && --ctl->n_subscribers == 0)
		sbd_events_set_listening(ctl->d->ctx.events, false);
	if (cl->prev != NULL)
		cl->prev->next = cl->next;
	else
		ctl->clients = cl->next;
	if (cl->next != NULL)
		cl->next->prev = cl->prev;
	ctl->n_clients--;
	sbd_loop_defer(ctl->d->main_loop, client_free, cl);
}

/*
 * One send of what is queued. Descriptors to pass go with it (SCM_RIGHTS):
 * the kernel ties them to these bytes, and they are ours to close once sent.
 */
static ssize_t
send_some(struct sbd_control_client *cl)
{
	struct iovec iov = { .iov_base = (void *)sb_buf_head(&cl->out), .iov_len = cl->out.len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	size_t space = CMSG_SPACE(cl->n_pass_fds * sizeof(int));
	char *control = NULL;
	ssize_t n;

	if (cl->n_pass_fds == 0)
		return send(cl->fd, iov.iov_base, iov.iov_len, MSG_NOSIGNAL | MSG_DONTWAIT);
	control = sb_xcalloc(1, space);
	msg.msg_control = control;
	msg.msg_controllen = space;
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(cl->n_pass_fds * sizeof(int));
	memcpy(CMSG_DATA(cm), cl->pass_fds, cl->n_pass_fds * sizeof(int));
	n = sendmsg(cl->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
	free(control);
	if (n > 0) {
		for (size_t i = 0; i < cl->n_pass_fds; i++)
			close(cl->pass_fds[i]);
		cl->n_pass_fds = 0;
	}
	return n;
}

/* Writes what is queued; false when the client is gone. */
static bool
client_flush(struct sbd_control_client *cl)
{
	while (cl->out.len > 0) {
		ssize_t n = send_some(cl);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			client_close(cl, "write failed");
			return false;
		}
		sb_buf_consume(&cl->out, (size_t)n);
	}
	if (cl->out.len == 0 && cl->closing) {
		client_close(cl, "closed after its last answer");
		return false;
	}
	sbd_loop_watch_set(&cl->watch, (cl->closing || cl->out.len >= ANSWERS_MAX ? 0 : EPOLLIN) |
	    (cl->out.len > 0 ? EPOLLOUT : 0));
	return true;
}

static void
client_queue(struct sbd_control_client *cl, char *line)
{
	if (line == NULL)
		return;
	sb_buf_append(&cl->out, line, strlen(line));
	free(line);
}

void
sbd_control_subscribe(struct sbd_control_client *cl)
{
	if (cl->subscribed)
		return;
	cl->subscribed = true;
	if (cl->ctl->n_subscribers++ == 0)
		sbd_events_set_listening(cl->ctl->d->ctx.events, true);
}

static void
handle_line(struct sbd_control_client *cl, const char *line, size_t len)
{
	struct sb_rpc_request req;
	enum sb_rpc_parse outcome = sb_rpc_parse_request(line, len, &req);

	if (outcome != SB_RPC_PARSE_OK) {
		int code = sb_rpc_parse_error_code(outcome);
		const char *msg = outcome == SB_RPC_PARSE_ERROR ?
		    "parse error: not valid JSON in UTF-8" :
		    "invalid request: expected {\"jsonrpc\": \"2.0\", \"method\": ..., \"id\": ...}";

		client_queue(cl, sb_rpc_error(req.has_id ? req.id : NULL, code, msg, NULL));
	} else {
		client_queue(cl, sbd_control_dispatch(cl, &req));
	}
	sb_rpc_request_clear(&req);
}

/*
 * Answers the complete lines read so far, while the client keeps up with
 * reading them; true when it stopped with lines perhaps left for later.
 */
static bool
answer_lines(struct sbd_control_client *cl)
{
	const char *line;
	size_t len;

	for (;;) {
		if (cl->out.len >= ANSWERS_MAX || cl->closing)
			return true;

		enum sb_line_result lr = sb_line_reader_next(&cl->reader, &line, &len);

		if (lr == SB_LINE_NEED_MORE)
			return false;
		if (lr == SB_LINE_TOO_LONG)
			client_queue(cl, sb_rpc_error(NULL, SB_ERR_INVALID_REQUEST,
			    "invalid request: line longer than 1 MiB", NULL));
		else
			handle_line(cl, line, len);
	}
}

static void
on_client_io(struct sbd_watch *w, unsigned events)
{
	struct sbd_control_client *cl = w->arg;
	static char chunk[READ_CHUNK];
	bool paused = cl->out.len >= ANSWERS_MAX;

	if ((events & (EPOLLHUP | EPOLLERR)) && paused) {
		client_close(cl, "hung up with answers unread");
		return;
	}
	if (!paused && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
		ssize_t n = recv(cl->fd, chunk, sizeof chunk, MSG_DONTWAIT);

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			client_close(cl, n == 0 ? "disconnected" : "read failed");
			return;
		}
		if (n > 0)
			sb_line_reader_feed(&cl->reader, chunk, (size_t)n);
	}
	bool more = answer_lines(cl);

	/* Answers that went out make room for the lines that waited for it. */
	while (client_flush(cl) && more && cl->out.len < ANSWERS_MAX && !cl->closing)
		more = answer_lines(cl);
}

static bool
peer_allowed(struct sbd_control *ctl, uid_t uid)
{
	struct sbd_config *c = sbd_ctx_config(&ctl->d->ctx);
	const struct sb_control *s = &c->policy->control;
	bool ok = uid == 0 || uid == geteuid() || !s->has_allow_uids;

	for (size_t i = 0; !ok && i < s->n_allow_uids; i++)
		ok = s->allow_uids[i] == uid;
	sbd_config_unref(c);
	return ok;
}

/* A short refusal, one JSON-RPC error line, to a client not served; then it is closed. */
static void
refuse(int fd, const char *message)
{
	char *line = sb_rpc_error(NULL, SB_ERR_INVALID_REQUEST, message, NULL);

	(void)!send(fd, line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT);
	free(line);
}

static void
on_accept(struct sbd_watch *w, unsigned events)
{
	struct sbd_control *ctl = w->arg;

	for (int i = 0; i < 16; i++) {
		int fd;
		enum sbd_accept_result r = sbd_accept(w, "control", &fd, NULL, NULL);
		struct ucred cred = { .pid = 0, .uid = (uid_t)-1, .gid = (gid_t)-1 };
		socklen_t len = sizeof cred;
		bool privileged, allowed;

		if (r == SBD_ACCEPT_NONE)
			return;
		if (r == SBD_ACCEPT_REFUSE) {
			refuse(fd, "daemon out of file descriptors: try again later");
			sbd_accept_refused(fd);
			continue;
		}
		/* A peer we cannot name is nobody we trust: never uid 0 by default. */
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || len != sizeof cred) {
			sb_log_errno(SB_LOG_WARN, "control: refused a client: SO_PEERCRED");
			refuse(fd, "permission denied: the client's credentials cannot be read");
			close(fd);
			continue;
		}
		privileged = cred.uid == 0 || cred.uid == geteuid();
		allowed = peer_allowed(ctl, cred.uid);
		if (!allowed ||
		    ctl->n_clients >= MAX_CLIENTS + (privileged ? MAX_CLIENTS_KEPT : 0)) {
			sb_warn("control: refused uid %u pid %d: %s", (unsigned)cred.uid,
			    (int)cred.pid, allowed ? "too many clients" : "not allowed");
			refuse(fd, allowed ? "too many control clients" :
			    "permission denied: uid not in control.allow_uids");
			close(fd);
			continue;
		}

		struct sbd_control_client *cl = sb_xcalloc(1, sizeof *cl);
		cl->ctl = ctl;
		cl->fd = fd;
		cl->uid = cred.uid;
		cl->pid = cred.pid;
		sb_line_reader_init(&cl->reader, 0);
		if (sbd_loop_watch_add(ctl->d->main_loop, &cl->watch, fd, EPOLLIN, on_client_io,
		    cl) < 0) {
			close(fd);
			client_free(cl);
			continue;
		}
		cl->next = ctl->clients;
		if (ctl->clients != NULL)
			ctl->clients->prev = cl;
		ctl->clients = cl;
		ctl->n_clients++;
		sb_info("control: client uid %u pid %d connected", (unsigned)cl->uid, (int)cl->pid);
	}
}

/*
 * Main loop: one event line to every subscriber (but to none that had it as
 * history); a subscriber too far behind is dropped.
 */
static void
broadcast(void *arg)
{
	char *line = arg;
	struct sbd_daemon *d;
	uint64_t seq;
	memcpy(&d, line, sizeof d);
	memcpy(&seq, line + sizeof d, sizeof seq);
	struct sbd_control *ctl = d->control;
	const char *text = line + sizeof d + sizeof seq;
	size_t len = strlen(text);

	if (ctl == NULL) {
		free(line); /* the server stopped while this was on its way */
		return;
	}

	for (struct sbd_control_client *cl = ctl->clients, *next; cl != NULL; cl = next) {
		next = cl->next;
		if (!cl->subscribed || cl->closing || (seq != 0 && seq <= cl->history_upto))
			continue;
		if (cl->out.len + len > SUBSCRIBER_MAX) {
			json_object *p = json_object_new_object();

			json_object_object_add(p, "type", json_object_new_string(
			    sb_control_event_name(SB_EVENT_SUBSCRIPTION_DROPPED)));
			json_object_object_add(p, "reason", json_object_new_string(
			    "subscriber too slow: more than 4 MiB of events unread"));
			client_queue(cl, sb_rpc_notification(SB_CONTROL_NOTIFY_EVENT, p));
			json_object_put(p);
			sb_warn("control: dropping slow subscriber uid %u pid %d", (unsigned)cl->uid,
			    (int)cl->pid);
			cl->closing = true;
			client_flush(cl);
			continue;
		}
		sb_buf_append(&cl->out, text, len);
		client_flush(cl);
	}
	free(line);
}

/* Any thread: serialize here, deliver on the main loop. */
static void
on_event(void *ctx, json_object *params, uint64_t seq)
{
	struct sbd_daemon *d = ctx;
	char *text = sb_rpc_notification(SB_CONTROL_NOTIFY_EVENT, params);
	size_t len = strlen(text);
	char *msg = sb_xmalloc(sizeof d + sizeof seq + len + 1);

	json_object_put(params);
	memcpy(msg, &d, sizeof d);
	memcpy(msg + sizeof d, &seq, sizeof seq);
	memcpy(msg + sizeof d + sizeof seq, text, len + 1);
	free(text);
	sbd_loop_post(d->main_loop, broadcast, msg);
}

/* Where the socket's settings are in a policy: what its errors are filed under. */
#define CONTROL_PATH "control.socket"

/* A socket file nobody answers on is left from a crash: remove it. One that answers is in use. */
static int
claim_path(const char *path, const struct sockaddr_un *sun, struct sb_errors *errs)
{
	struct stat st;
	int probe;

	if (lstat(path, &st) < 0)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		sb_errors_add(errs, CONTROL_PATH, "control socket %s: exists and is not a socket",
		    path);
		return -1;
	}
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe >= 0 && connect(probe, (const struct sockaddr *)sun, sizeof *sun) == 0) {
		close(probe);
		sb_errors_add(errs, CONTROL_PATH, "control socket %s: in use by another daemon",
		    path);
		return -1;
	}
	if (probe >= 0)
		close(probe);
	unlink(path);
	return 0;
}

/*
 * bind() creates the socket file with 0777 less the umask: with the umask
 * widened to 077 for that call, only this uid can connect until the chmod.
 * (The umask is the process's: other threads creating files meanwhile only
 * get them more private.)
 */
static int
bind_private(int fd, const struct sockaddr_un *sun)
{
	mode_t old = umask(077);
	int rc;

	umask(old | 077);
	rc = bind(fd, (const struct sockaddr *)sun, sizeof *sun);
	umask(old);
	return rc;
}

struct sbd_control *
sbd_control_new(struct sbd_daemon *d, const char *path, const struct sb_control *settings,
    int adopt_fd, struct sb_errors *errs)
{
	struct sbd_control *ctl = sb_xcalloc(1, sizeof *ctl);
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	ctl->d = d;
	ctl->fd = -1;
	ctl->watch.fd = -1;
	ctl->path = sb_xstrdup(path);
	if (strlen(path) >= sizeof sun.sun_path) {
		sb_errors_add(errs, CONTROL_PATH, "control socket %s: path too long", path);
		goto err;
	}
	memcpy(sun.sun_path, path, strlen(path));
	char *dir = sb_path_dir(path);
	char why[512];
	int dir_fd = sb_dir_open_trusted(dir, 0755, why, sizeof why);

	if (dir_fd < 0) {
		sb_errors_add(errs, CONTROL_PATH, "control socket %s: folder %s: %s", path, dir, why);
		free(dir);
		goto err;
	}
	close(dir_fd);
	free(dir);
	if (adopt_fd >= 0) {
		/* the daemon taken over made the file; it is ours from now on */
		ctl->fd = adopt_fd;
		sb_info("control: using socket %s passed by the daemon taken over", path);
	} else if (claim_path(path, &sun, errs) < 0) {
		goto err;
	} else {
		ctl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (ctl->fd < 0 || bind_private(ctl->fd, &sun) < 0) {
			sb_errors_add(errs, CONTROL_PATH, "control socket %s: bind: %s", path,
			    strerror(errno));
			goto err;
		}
	}
	/* The group first, then the mode that lets it in: no one gets in early. */
	if (settings->group != NULL) {
		struct group *gr = getgrnam(settings->group);

		if (gr == NULL || chown(path, (uid_t)-1, gr->gr_gid) < 0)
			sb_warn("control socket %s: cannot give it to group %s", path,
			    settings->group);
	}
	if (chmod(path, settings->mode) < 0)
		sb_log_errno(SB_LOG_WARN, "control socket %s: chmod %04o", path, settings->mode);
	if (listen(ctl->fd, 64) < 0 ||
	    sbd_loop_watch_add(d->main_loop, &ctl->watch, ctl->fd, EPOLLIN, on_accept, ctl) < 0) {
		sb_errors_add(errs, CONTROL_PATH, "control socket %s: listen: %s", path, strerror(errno));
		goto err;
	}
	sbd_events_set_sink(d->ctx.events, on_event, d);
	sb_info("control: listening on %s (mode %04o)", path, settings->mode);
	return ctl;
err:
	if (ctl->fd >= 0) {
		close(ctl->fd);
		if (ctl->fd != adopt_fd)
			unlink(path);
	} else if (adopt_fd >= 0) {
		close(adopt_fd);
	}
	free(ctl->path);
	free(ctl);
	return NULL;
}

int
sbd_control_fd(const struct sbd_control *ctl)
{
	return ctl->fd;
}

void
sbd_control_hand_over(struct sbd_control *ctl)
{
	if (ctl->handed_over)
		return;
	ctl->handed_over = true;
	sbd_loop_watch_del(&ctl->watch);
	close(ctl->fd);
	ctl->fd = -1;
	sb_info("control: %s is served by the new daemon; clients connected here stay", ctl->path);
}

const char *
sbd_control_path(const struct sbd_control *ctl)
{
	return ctl->path;
}

void
sbd_control_free(struct sbd_control *ctl)
{
	if (ctl == NULL)
		return;
	sbd_events_set_listening(ctl->d->ctx.events, false);
	sbd_events_set_sink(ctl->d->ctx.events, NULL, NULL);
	while (ctl->clients != NULL)
		client_close(ctl->clients, "daemon stopping");
	sbd_loop_watch_del(&ctl->watch);
	if (ctl->fd >= 0) {
		close(ctl->fd);
		unlink(ctl->path);
	}
	free(ctl->path);
	free(ctl);
}
