/* sbd-takeover.c - switchboardd --takeover: the old daemon's sockets, over its control socket */
#include "sbd-takeover.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "sb-alloc.h"
#include "sb-control.h"
#include "sb-log.h"
#include "sb-rpc.h"
#include "sbd-inherit.h"

/* The old daemon answers from its main loop: seconds mean it is stuck. */
#define ANSWER_TIMEOUT_S 10
#define FDS_MAX 253

struct sbd_takeover {
	char *path;
	int fd;
	pid_t pid;
	int control_fd;       /* the old daemon's control socket, until someone takes it */
	char *control_path;
	struct sb_line_reader reader;
	int fds[FDS_MAX];     /* what came with the answer, in order */
	size_t n_fds;
};

static void __attribute__((format(printf, 3, 4)))
fail(struct sb_errors *errs, const struct sbd_takeover *t, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	sb_errors_add(errs, "", "takeover %s: %s", t->path, msg);
}

static void
close_fds(struct sbd_takeover *t)
{
	for (size_t i = 0; i < t->n_fds; i++)
		close(t->fds[i]);
	t->n_fds = 0;
}

/* One recvmsg: bytes into the reader, descriptors into t->fds. */
static int
receive(struct sbd_takeover *t, struct sb_errors *errs)
{
	char data[4096];
	union {
		char buf[CMSG_SPACE(FDS_MAX * sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = data, .iov_len = sizeof data };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
	    .msg_controllen = sizeof control.buf };
	ssize_t n;

	do
		n = recvmsg(t->fd, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); n >= 0 && cm != NULL;
	    cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		int *got = (int *)(void *)CMSG_DATA(cm);

		for (size_t i = 0; i < k; i++) {
			if (t->n_fds < FDS_MAX)
				t->fds[t->n_fds++] = got[i];
			else
				close(got[i]);
		}
	}
	if (n < 0) {
		fail(errs, t, "%s", errno == EAGAIN ? "no answer within 10 s" :
		    strerror(errno));
		return -1;
	}
	if (n == 0) {
		fail(errs, t, "the daemon closed the connection");
		return -1;
	}
	if (msg.msg_flags & MSG_CTRUNC) {
		fail(errs, t, "more sockets than one message can hold");
		return -1;
	}
	sb_line_reader_feed(&t->reader, data, (size_t)n);
	return 0;
}

/* Sends a request and reads its answer; its result, or NULL with the error in errs. */
static json_object *
call(struct sbd_takeover *t, int64_t id, const char *method, json_object *params,
    struct sb_rpc_response *resp, struct sb_errors *errs)
{
	char *line = sb_rpc_request_line(id, method, params);
	size_t len = strlen(line), off = 0;

	while (off < len) {
		ssize_t n = send(t->fd, line + off, len - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fail(errs, t, "%s: %s", method, strerror(errno));
			free(line);
			return NULL;
		}
		off += (size_t)n;
	}
	free(line);
	for (;;) {
		const char *text;
		size_t tlen;
		enum sb_line_result lr = sb_line_reader_next(&t->reader, &text, &tlen);

		if (lr == SB_LINE_NEED_MORE) {
			if (receive(t, errs) < 0)
				return NULL;
			continue;
		}
		if (lr == SB_LINE_TOO_LONG) {
			fail(errs, t, "%s: an answer longer than 1 MiB", method);
			return NULL;
		}
		enum sb_rpc_response_kind k = sb_rpc_parse_response(text, tlen, resp);

		if (k == SB_RPC_RESPONSE_NOTIFICATION || (k != SB_RPC_RESPONSE_INVALID &&
		    !sb_rpc_id_is(resp->id, id))) {
			sb_rpc_response_clear(resp);
			continue;
		}
		if (k == SB_RPC_RESPONSE_RESULT && resp->result != NULL)
			return resp->result;
		fail(errs, t, "%s: %s", method, k == SB_RPC_RESPONSE_ERROR ?
		    resp->message : "not a JSON-RPC answer");
		return NULL;
	}
}

static int
connect_to(struct sbd_takeover *t, struct sb_errors *errs)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = ANSWER_TIMEOUT_S };
	struct ucred cred;
	socklen_t len = sizeof cred;

	if (strlen(t->path) >= sizeof sun.sun_path) {
		fail(errs, t, "path too long");
		return -1;
	}
	memcpy(sun.sun_path, t->path, strlen(t->path));
	t->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (t->fd < 0 || connect(t->fd, (struct sockaddr *)&sun, sizeof sun) < 0) {
		fail(errs, t, "%s", strerror(errno));
		return -1;
	}
	setsockopt(t->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(t->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	/* Sockets from a stranger would serve the stranger's traffic: root or us only. */
	if (getsockopt(t->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || len != sizeof cred ||
	    (cred.uid != 0 && cred.uid != geteuid())) {
		fail(errs, t, "the daemon there runs as another user (uid %d)",
		    len == sizeof cred ? (int)cred.uid : -1);
		return -1;
	}
	return 0;
}

/* Files each passed descriptor as its entry names it; -1 when they do not agree. */
static int
sort_sockets(struct sbd_takeover *t, json_object *sockets, struct sb_errors *errs)
{
	size_t n = json_object_is_type(sockets, json_type_array) ?
	    json_object_array_length(sockets) : 0;

	if (n != t->n_fds) {
		fail(errs, t, "%zu sockets named, %zu passed", n, t->n_fds);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(sockets, i), *kind, *path;
		int fd = t->fds[i];

		t->fds[i] = -1;
		if (!json_object_object_get_ex(e, SB_FIELD_KIND, &kind)) {
			close(fd);
		} else if (strcmp(json_object_get_string(kind), SB_KIND_CONTROL) == 0 &&
		    json_object_object_get_ex(e, SB_FIELD_PATH, &path) && t->control_fd < 0) {
			t->control_fd = fd;
			t->control_path = sb_xstrdup(json_object_get_string(path));
		} else if (strcmp(json_object_get_string(kind), SB_KIND_LISTENER) == 0 ||
		    strcmp(json_object_get_string(kind), SB_KIND_METRICS) == 0) {
			sbd_inherit_add(fd, SBD_INHERIT_TAKEOVER);
		} else {
			close(fd);
		}
	}
	t->n_fds = 0;
	return 0;
}

struct sbd_takeover *
sbd_takeover_begin(const char *path, struct sb_errors *errs)
{
	struct sbd_takeover *t = sb_xcalloc(1, sizeof *t);
	struct sb_rpc_response resp = { 0 };
	json_object *r, *v;

	t->path = sb_xstrdup(path);
	t->fd = t->control_fd = -1;
	sb_line_reader_init(&t->reader, 0);
	if (connect_to(t, errs) < 0 ||
	    (r = call(t, 1, sb_control_method_name(SB_METHOD_DAEMON_TAKEOVER), NULL, &resp,
	    errs)) == NULL)
		goto err;
	if (json_object_object_get_ex(r, SB_FIELD_PID, &v))
		t->pid = (pid_t)json_object_get_int64(v);
	if (!json_object_object_get_ex(r, SB_FIELD_SOCKETS, &v) || sort_sockets(t, v, errs) < 0)
		goto err;
	sb_info("takeover: daemon pid %d on %s passed its sockets", (int)t->pid, path);
	sb_rpc_response_clear(&resp);
	return t;
err:
	sb_rpc_response_clear(&resp);
	sbd_takeover_free(t);
	return NULL;
}

int
sbd_takeover_control(struct sbd_takeover *t, const char *path)
{
	int fd = t->control_fd;

	if (fd < 0 || path == NULL || strcmp(path, t->control_path) != 0)
		return -1;
	t->control_fd = -1;
	return fd;
}

pid_t
sbd_takeover_pid(const struct sbd_takeover *t)
{
	return t->pid;
}

int
sbd_takeover_finish(struct sbd_takeover *t, struct sb_errors *errs)
{
	struct sb_rpc_response resp = { 0 };
	json_object *params = json_object_new_object();
	int rc;

	json_object_object_add(params, SB_FIELD_TAKEOVER, json_object_new_boolean(true));
	/* the control socket is ours when we took it */
	json_object_object_add(params, SB_FIELD_CONTROL,
	    json_object_new_boolean(t->control_path != NULL && t->control_fd < 0));
	rc = call(t, 2, sb_control_method_name(SB_METHOD_DAEMON_DRAIN), params, &resp,
	    errs) != NULL ? 0 : -1;
	json_object_put(params);
	sb_rpc_response_clear(&resp);
	if (rc == 0)
		sb_info("takeover: daemon pid %d stops accepting and drains", (int)t->pid);
	return rc;
}

void
sbd_takeover_free(struct sbd_takeover *t)
{
	if (t == NULL)
		return;
	close_fds(t);
	if (t->control_fd >= 0)
		close(t->control_fd);
	if (t->fd >= 0)
		close(t->fd);
	sb_line_reader_clear(&t->reader);
	free(t->control_path);
	free(t->path);
	free(t);
}
