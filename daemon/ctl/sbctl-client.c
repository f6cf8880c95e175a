/* sbctl-client.c - switchboardctl's control socket client: one call at a time, then events */
#include "sbctl-client.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sb-alloc.h"
#include "sb-buf.h"
#include "sb-ssh.h"

/* Answers can be large (a policy, thousands of connections); the daemon is trusted this far. */
#define SBCTL_LINE_MAX ((size_t)64 << 20)
/* Notifications held while a call waits for its answer. */
#define SBCTL_QUEUE_MAX 10000

struct sbctl_client {
	int fd;
	pid_t ssh;  /* ssh:// : the ssh whose stdin and stdout fd is; else 0 */
	char *path;
	struct sb_line_reader reader;
	int64_t next_id;
	char **queue; /* notification lines, oldest at head */
	size_t head;
	size_t count;
	size_t cap;
};

/*
 * ssh://[user@]host[:port][/path]: the command sb_ssh_argv() makes, its stdin
 * and stdout one end of a socketpair (so the rest reads and writes it as it
 * would the daemon's socket), its stderr ours: ssh's own words reach the
 * user. *pid is the child.
 */
static int
ssh_start(const char *url, pid_t *pid, char **err)
{
	char **argv = sb_ssh_argv(url, NULL, err);
	int sp[2];

	if (argv == NULL)
		return -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
		*err = sb_xasprintf("socketpair: %s", strerror(errno));
		sb_ssh_argv_free(argv);
		return -1;
	}
	*pid = fork();
	if (*pid == 0) {
		if (dup2(sp[1], STDIN_FILENO) < 0 || dup2(sp[1], STDOUT_FILENO) < 0)
			_exit(127);
		execvp(argv[0], argv);
		fprintf(stderr, "switchboardctl: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(sp[1]);
	sb_ssh_argv_free(argv);
	if (*pid < 0) {
		*err = sb_xasprintf("fork: %s", strerror(errno));
		close(sp[0]);
		return -1;
	}
	return sp[0];
}

struct sbctl_client *
sbctl_client_connect(const char *path, char **err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct sbctl_client *c;
	pid_t ssh = 0;
	int fd;

	if (sb_ssh_is_url(path)) {
		fd = ssh_start(path, &ssh, err);
		if (fd < 0)
			return NULL;
		goto connected;
	}
	if (strlen(path) >= sizeof sa.sun_path) {
		*err = sb_xasprintf("control socket path too long: %s", path);
		return NULL;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*err = sb_xasprintf("socket: %s", strerror(errno));
		return NULL;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		*err = sb_xasprintf("cannot reach the daemon at %s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
connected:
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		*err = sb_xasprintf("fcntl: %s", strerror(errno));
		close(fd);
		return NULL;
	}
	c = sb_xcalloc(1, sizeof *c);
	c->fd = fd;
	c->ssh = ssh;
	c->path = sb_xstrdup(path);
	c->next_id = 1;
	sb_line_reader_init(&c->reader, SBCTL_LINE_MAX);
	return c;
}

void
sbctl_client_free(struct sbctl_client *c)
{
	if (c == NULL)
		return;
	close(c->fd);
	if (c->ssh > 0) {
		/* our end closed, the relay there ends and ssh with it */
		while (waitpid(c->ssh, NULL, 0) < 0 && errno == EINTR)
			;
	}
	for (size_t i = 0; i < c->count; i++)
		free(c->queue[(c->head + i) % c->cap]);
	free(c->queue);
	sb_line_reader_clear(&c->reader);
	free(c->path);
	free(c);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left before deadline (-1: none), for poll(). */
static int
remaining(int64_t deadline)
{
	int64_t left;

	if (deadline < 0)
		return -1;
	left = deadline - now_ms();
	return left < 0 ? 0 : left > INT32_MAX ? INT32_MAX : (int)left;
}

static enum sbctl_io
send_all(struct sbctl_client *c, const char *data, size_t len, int64_t deadline, char **err)
{
	while (len > 0) {
		ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);
		struct pollfd pfd = { .fd = c->fd, .events = POLLOUT };

		if (n > 0) {
			data += n;
			len -= (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EPIPE || errno == ECONNRESET)
			return SBCTL_IO_CLOSED;
		if (errno != EAGAIN) {
			*err = sb_xasprintf("write to %s: %s", c->path, strerror(errno));
			return SBCTL_IO_ERROR;
		}
		n = poll(&pfd, 1, remaining(deadline));
		if (n == 0)
			return SBCTL_IO_TIMEOUT;
		if (n < 0 && errno != EINTR) {
			*err = sb_xasprintf("poll: %s", strerror(errno));
			return SBCTL_IO_ERROR;
		}
	}
	return SBCTL_IO_OK;
}

/* The next line from the socket, copied into *line (free() it). */
static enum sbctl_io
read_line(struct sbctl_client *c, int64_t deadline, char **line, char **err)
{
	for (;;) {
		const char *l;
		size_t len;
		char buf[65536];
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		ssize_t n;

		switch (sb_line_reader_next(&c->reader, &l, &len)) {
		case SB_LINE_OK:
			*line = sb_xmemdup(l, len + 1);
			return SBCTL_IO_OK;
		case SB_LINE_TOO_LONG:
			*err = sb_xasprintf("the daemon sent a message over %zu bytes",
			    (size_t)SBCTL_LINE_MAX);
			return SBCTL_IO_ERROR;
		case SB_LINE_NEED_MORE:
			break;
		}
		n = read(c->fd, buf, sizeof buf);
		if (n > 0) {
			sb_line_reader_feed(&c->reader, buf, (size_t)n);
			continue;
		}
		if (n == 0 || errno == ECONNRESET)
			return SBCTL_IO_CLOSED;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			*err = sb_xasprintf("read from %s: %s", c->path, strerror(errno));
			return SBCTL_IO_ERROR;
		}
		n = poll(&pfd, 1, remaining(deadline));
		if (n == 0)
			return SBCTL_IO_TIMEOUT;
		if (n < 0 && errno != EINTR) {
			*err = sb_xasprintf("poll: %s", strerror(errno));
			return SBCTL_IO_ERROR;
		}
	}
}

static enum sbctl_io
parse_line(char *line, enum sb_rpc_response_kind *kind, struct sb_rpc_response *out,
    char **err)
{
	*kind = sb_rpc_parse_response(line, strlen(line), out);
	if (*kind == SB_RPC_RESPONSE_INVALID) {
		*err = sb_xasprintf("the daemon sent something that is not JSON-RPC 2.0: %.80s",
		    line);
		sb_rpc_response_clear(out);
		return SBCTL_IO_ERROR;
	}
	return SBCTL_IO_OK;
}

static bool
enqueue(struct sbctl_client *c, char *line)
{
	if (c->count == SBCTL_QUEUE_MAX)
		return false;
	if (c->count == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		char **q = sb_xcalloc(cap, sizeof *q);

		for (size_t i = 0; i < c->count; i++)
			q[i] = c->queue[(c->head + i) % c->cap];
		free(c->queue);
		c->queue = q;
		c->cap = cap;
		c->head = 0;
	}
	c->queue[(c->head + c->count) % c->cap] = line;
	c->count++;
	return true;
}

enum sbctl_io
sbctl_client_call(struct sbctl_client *c, const char *method, json_object *params,
    int timeout_ms, struct sb_rpc_response *out, char **err)
{
	int64_t id = c->next_id++;
	int64_t deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	char *req = sb_rpc_request_line(id, method, params);
	enum sbctl_io io = send_all(c, req, strlen(req), deadline, err);

	free(req);
	memset(out, 0, sizeof *out);
	while (io == SBCTL_IO_OK) {
		enum sb_rpc_response_kind kind;
		char *line = NULL;

		io = read_line(c, deadline, &line, err);
		if (io != SBCTL_IO_OK)
			break;
		io = parse_line(line, &kind, out, err);
		if (io != SBCTL_IO_OK) {
			free(line);
			break;
		}
		if (kind == SB_RPC_RESPONSE_NOTIFICATION) {
			sb_rpc_response_clear(out);
			if (!enqueue(c, line)) {
				free(line);
				*err = sb_xasprintf("over %d notifications while waiting for %s",
				    SBCTL_QUEUE_MAX, method);
				return SBCTL_IO_ERROR;
			}
			continue;
		}
		free(line);
		if (sb_rpc_id_is(out->id, id))
			return SBCTL_IO_OK;
		*err = sb_xasprintf("the daemon answered %s with a foreign id%s%s", method,
		    kind == SB_RPC_RESPONSE_ERROR ? ": " : "",
		    kind == SB_RPC_RESPONSE_ERROR ? out->message : "");
		sb_rpc_response_clear(out);
		return SBCTL_IO_ERROR;
	}
	return io;
}

enum sbctl_io
sbctl_client_next_event(struct sbctl_client *c, int timeout_ms, struct sb_rpc_response *out,
    char **err)
{
	int64_t deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;

	memset(out, 0, sizeof *out);
	for (;;) {
		enum sb_rpc_response_kind kind;
		enum sbctl_io io;
		char *line;

		if (c->count > 0) {
			line = c->queue[c->head];
			c->head = (c->head + 1) % c->cap;
			c->count--;
		} else if ((io = read_line(c, deadline, &line, err)) != SBCTL_IO_OK) {
			return io;
		}
		io = parse_line(line, &kind, out, err);
		free(line);
		if (io != SBCTL_IO_OK || kind == SB_RPC_RESPONSE_NOTIFICATION)
			return io;
		/* an answer nobody waits for: a stray, skip it */
		sb_rpc_response_clear(out);
	}
}
