/* sbd-access-log.c - access lines made on any thread, written by one writer thread */
#include "sbd-access-log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sb-alloc.h"
#include "sb-buf.h"
#include "sb-control.h"
#include "sb-escape.h"
#include "sbd-loop.h"

#define NO_FD (-2)
/* How long the last lines may take at exit before the writer is given up. */
#define STOP_WAIT_S 5
/* At most one warning about lost lines this often. */
#define WARN_EVERY_MS 10000

struct sbd_access_log {
	enum sb_log_format format;
	atomic_uint_fast64_t *dropped;
	pthread_t thread;

	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct sb_buf queue; /* whole lines waiting for the writer */
	char *path;          /* NULL: stderr; the writer reads it under the lock */
	int next_fd;         /* a target the writer takes after its batch; NO_FD: none */
	bool reopen;
	size_t switch_at;    /* with next_fd or reopen: the bytes queued before the change */
	bool stop;

	/* the writer's own */
	int fd;
	bool mid_line;       /* a failed write left part of a line in the file */
	uint64_t warned_ms;
	uint64_t warned_dropped;
};

/* ---- lines ---- */

static const char *
str_field(json_object *ev, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(ev, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int64_t
int_field(json_object *ev, const char *key, int64_t dflt)
{
	json_object *v;

	if (!json_object_object_get_ex(ev, key, &v) || !json_object_is_type(v, json_type_int))
		return dflt;
	return json_object_get_int64(v);
}

/*
 * One text field: "-" when unknown; control characters as \xNN
 * (sb_escape_text), and a quote as \x22; outside quotes a space as \x20 too,
 * so fields split at spaces.
 */
static void
put_text(struct sb_buf *b, const char *value, bool quoted)
{
	char *esc;

	if (quoted)
		sb_buf_append(b, "\"", 1);
	if (value == NULL || value[0] == '\0') {
		sb_buf_append(b, "-", 1);
	} else {
		esc = sb_escape_text_dup(value);
		for (const char *p = esc; *p != '\0'; p++) {
			if (*p == '"')
				sb_buf_append(b, "\\x22", 4);
			else if (*p == ' ' && !quoted)
				sb_buf_append(b, "\\x20", 4);
			else
				sb_buf_append(b, p, 1);
		}
		free(esc);
	}
	if (quoted)
		sb_buf_append(b, "\"", 1);
}

static void
put_int(struct sb_buf *b, int64_t v)
{
	char num[24];
	int n = snprintf(num, sizeof num, "%lld", (long long)v);

	sb_buf_append(b, num, (size_t)n);
}

char *
sbd_access_log_line(enum sb_log_format format, json_object *event)
{
	const char *type = str_field(event, SB_FIELD_TYPE);
	bool closed;
	const char *method, *path, *identity;
	int64_t status, up, down, duration;
	struct sb_buf b = SB_BUF_INIT;
	char *line;

	if (type == NULL)
		return NULL;
	closed = strcmp(type, sb_control_event_name(SB_EVENT_CONNECTION_CLOSED)) == 0;
	if (!closed && strcmp(type, sb_control_event_name(SB_EVENT_UPGRADE_REJECTED)) != 0)
		return NULL;
	method = str_field(event, SB_FIELD_METHOD);
	path = str_field(event, SB_FIELD_PATH);
	identity = str_field(event, SB_FIELD_IDENTITY);
	status = closed ? 101 : int_field(event, SB_FIELD_STATUS, 0);
	up = int_field(event, SB_FIELD_BYTES_UP, 0);
	down = int_field(event, SB_FIELD_BYTES_DOWN, 0);
	duration = int_field(event, SB_FIELD_DURATION_MS, 0);

	if (format == SB_LOG_JSON) {
		json_object *o = json_object_new_object();
		const char *keys[] = { SB_FIELD_CLIENT, SB_FIELD_IDENTITY, SB_FIELD_LISTENER,
			SB_FIELD_ROUTE, SB_FIELD_METHOD, SB_FIELD_PATH };
		const char *s;

		/* the shape of every JSON line the daemon writes: time, level, message */
		json_object_object_add(o, SB_FIELD_TIME,
		    json_object_new_string(str_field(event, SB_FIELD_TIME)));
		json_object_object_add(o, "level", json_object_new_string("info"));
		json_object_object_add(o, SB_FIELD_MESSAGE, json_object_new_string("access"));
		for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
			s = str_field(event, keys[i]);
			json_object_object_add(o, keys[i], s ? json_object_new_string(s) : NULL);
		}
		json_object_object_add(o, SB_FIELD_STATUS, json_object_new_int64(status));
		s = str_field(event, SB_FIELD_BACKEND);
		json_object_object_add(o, SB_FIELD_BACKEND, s ? json_object_new_string(s) : NULL);
		json_object_object_add(o, SB_FIELD_BYTES_UP, json_object_new_int64(up));
		json_object_object_add(o, SB_FIELD_BYTES_DOWN, json_object_new_int64(down));
		json_object_object_add(o, SB_FIELD_DURATION_MS, json_object_new_int64(duration));
		s = str_field(event, SB_FIELD_REASON);
		json_object_object_add(o, SB_FIELD_REASON, s ? json_object_new_string(s) : NULL);
		if (closed)
			json_object_object_add(o, SB_FIELD_ID,
			    json_object_new_int64(int_field(event, SB_FIELD_ID, 0)));
		line = sb_xasprintf("%s\n", json_object_to_json_string_ext(o,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
		return line;
	}

	put_text(&b, str_field(event, SB_FIELD_TIME), false);
	sb_buf_append(&b, " ", 1);
	put_text(&b, str_field(event, SB_FIELD_CLIENT), false);
	sb_buf_append(&b, " ", 1);
	put_text(&b, identity, false);
	sb_buf_append(&b, " ", 1);
	put_text(&b, str_field(event, SB_FIELD_LISTENER), false);
	sb_buf_append(&b, " ", 1);
	put_text(&b, str_field(event, SB_FIELD_ROUTE), false);
	sb_buf_append(&b, " ", 1);
	if (method != NULL) {
		char *request = sb_xasprintf("%s %s", method, path ? path : "-");

		put_text(&b, request, true);
		free(request);
	} else {
		put_text(&b, NULL, true);
	}
	sb_buf_append(&b, " ", 1);
	put_int(&b, status);
	sb_buf_append(&b, " ", 1);
	put_text(&b, str_field(event, SB_FIELD_BACKEND), false);
	sb_buf_append(&b, " ", 1);
	put_int(&b, up);
	sb_buf_append(&b, " ", 1);
	put_int(&b, down);
	sb_buf_append(&b, " ", 1);
	put_int(&b, duration);
	sb_buf_append(&b, " ", 1);
	put_text(&b, str_field(event, SB_FIELD_REASON), true);
	sb_buf_append(&b, "\n", 1);
	line = sb_xstrndup(sb_buf_head(&b), b.len);
	sb_buf_free(&b);
	return line;
}

/* ---- the queue ---- */

void
sbd_access_log_event(void *arg, json_object *event)
{
	struct sbd_access_log *a = arg;
	char *line = sbd_access_log_line(a->format, event);
	size_t n;

	if (line == NULL)
		return;
	n = strlen(line);
	pthread_mutex_lock(&a->lock);
	if (a->queue.len + n > SBD_ACCESS_LOG_QUEUE_BYTES) {
		atomic_fetch_add(a->dropped, 1);
	} else {
		sb_buf_append(&a->queue, line, n);
		pthread_cond_signal(&a->wake);
	}
	pthread_mutex_unlock(&a->lock);
	free(line);
}

/* ---- the writer ---- */

static size_t
count_lines(const char *p, size_t n)
{
	size_t lines = 0;

	for (size_t i = 0; i < n; i++)
		lines += p[i] == '\n';
	return lines;
}

/* Writes all of p; returns how many bytes went out before an error. */
static size_t
write_some(int fd, const char *p, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t w = write(fd, p + done, n - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	return done;
}

static void
warn_dropped(struct sbd_access_log *a, int err)
{
	uint64_t now = sbd_now_ms(), dropped = atomic_load(a->dropped);

	if (dropped == a->warned_dropped || (a->warned_ms != 0 && now - a->warned_ms < WARN_EVERY_MS))
		return;
	sb_warn("access log: %llu lines dropped so far%s%s",
	    (unsigned long long)dropped, err ? ": " : "", err ? strerror(err) : "");
	a->warned_ms = now;
	a->warned_dropped = dropped;
}

/* The bytes up to and including the last line feed among the first n. */
static size_t
whole_lines(const char *p, size_t n)
{
	while (n > 0 && p[n - 1] != '\n')
		n--;
	return n;
}

/*
 * A file takes the batch in one write; when the disk is full, the part of a
 * line that went out is cut off again, so the file holds whole lines only.
 * A pipe or a terminal (stderr) takes one line a write, so that no other
 * writer's line lands inside one of ours. What does not go out is dropped
 * and counted.
 */
static void
write_batch(struct sbd_access_log *a, const char *p, size_t n)
{
	struct stat st;
	bool file = fstat(a->fd, &st) == 0 && S_ISREG(st.st_mode);
	int err = 0;

	if (n == 0)
		return;
	if (a->mid_line && write_some(a->fd, "\n", 1) == 1)
		a->mid_line = false;
	while (n > 0 && !a->mid_line) {
		size_t len = file ? n : (size_t)((const char *)memchr(p, '\n', n) - p) + 1;
		size_t done = write_some(a->fd, p, len);

		if (done < len) {
			err = errno;
			if (done > 0 && file && ftruncate(a->fd, st.st_size + (off_t)whole_lines(p, done)) == 0)
				done = whole_lines(p, done); /* the file is ours alone: it ended at st_size */
			a->mid_line = whole_lines(p, done) != done;
			p += done;
			n -= done;
			break;
		}
		p += len;
		n -= len;
	}
	if (n > 0)
		atomic_fetch_add(a->dropped, count_lines(p, n));
	warn_dropped(a, err);
}

static int
open_log(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
}

static void
set_fd(struct sbd_access_log *a, int fd)
{
	if (a->fd != STDERR_FILENO && a->fd >= 0)
		close(a->fd);
	a->fd = fd;
	a->mid_line = false;
}

static void *
writer_main(void *arg)
{
	struct sbd_access_log *a = arg;
	struct sb_buf batch = SB_BUF_INIT;
	char *reopen_path;
	size_t before;
	int next_fd;
	bool stop;

	for (;;) {
		pthread_mutex_lock(&a->lock);
		while (sb_buf_is_empty(&a->queue) && !a->reopen && a->next_fd == NO_FD && !a->stop)
			pthread_cond_wait(&a->wake, &a->lock);
		sb_buf_move(&batch, &a->queue);
		next_fd = a->next_fd;
		a->next_fd = NO_FD;
		reopen_path = a->reopen && a->path != NULL ? sb_xstrdup(a->path) : NULL;
		a->reopen = false;
		before = next_fd != NO_FD || reopen_path != NULL ? a->switch_at : batch.len;
		stop = a->stop && sb_buf_is_empty(&a->queue);
		pthread_mutex_unlock(&a->lock);

		/* what was queued before the change goes where it was meant to */
		write_batch(a, sb_buf_head(&batch), before);
		sb_buf_consume(&batch, before);
		if (next_fd != NO_FD)
			set_fd(a, next_fd);
		if (reopen_path != NULL) {
			int fd = open_log(reopen_path);

			if (fd < 0)
				sb_log_errno(SB_LOG_WARN, "access log: reopen %s, still writing the old file",
				    reopen_path);
			else
				set_fd(a, fd);
			free(reopen_path);
		}
		/* and what came after it, to the new target */
		write_batch(a, sb_buf_head(&batch), batch.len);
		sb_buf_consume(&batch, batch.len);
		if (stop)
			break;
	}
	sb_buf_free(&batch);
	return NULL;
}

struct sbd_access_log *
sbd_access_log_new(enum sb_log_format format, atomic_uint_fast64_t *dropped)
{
	struct sbd_access_log *a = sb_xcalloc(1, sizeof *a);

	a->format = format;
	a->dropped = dropped;
	a->fd = STDERR_FILENO;
	a->next_fd = NO_FD;
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->wake, NULL);
	if (pthread_create(&a->thread, NULL, writer_main, a) != 0) {
		pthread_cond_destroy(&a->wake);
		pthread_mutex_destroy(&a->lock);
		free(a);
		return NULL;
	}
	return a;
}

void
sbd_access_log_free(struct sbd_access_log *a)
{
	struct timespec until;

	if (a == NULL)
		return;
	pthread_mutex_lock(&a->lock);
	a->stop = true;
	pthread_cond_signal(&a->wake);
	pthread_mutex_unlock(&a->lock);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += STOP_WAIT_S;
	if (pthread_timedjoin_np(a->thread, NULL, &until) != 0) {
		/* stuck in a write (a pipe nobody reads, a hung file system): its lines are lost */
		pthread_cancel(a->thread);
		pthread_join(a->thread, NULL);
	}
	set_fd(a, -1);
	if (a->next_fd >= 0 && a->next_fd != STDERR_FILENO)
		close(a->next_fd);
	sb_buf_free(&a->queue);
	free(a->path);
	pthread_cond_destroy(&a->wake);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

static bool
same_path(const char *x, const char *y)
{
	return x == y || (x != NULL && y != NULL && strcmp(x, y) == 0);
}

int
sbd_access_log_open(struct sbd_access_log *a, const char *path, int *fd)
{
	bool same;

	*fd = -1;
	pthread_mutex_lock(&a->lock);
	same = same_path(a->path, path);
	pthread_mutex_unlock(&a->lock);
	if (same || path == NULL)
		return 0;
	*fd = open_log(path);
	return *fd < 0 ? -1 : 0;
}

void
sbd_access_log_use(struct sbd_access_log *a, const char *path, int fd)
{
	pthread_mutex_lock(&a->lock);
	if (same_path(a->path, path)) {
		pthread_mutex_unlock(&a->lock);
		if (fd >= 0)
			close(fd);
		return;
	}
	if (a->next_fd >= 0 && a->next_fd != STDERR_FILENO)
		close(a->next_fd);
	if (a->next_fd == NO_FD && !a->reopen)
		a->switch_at = a->queue.len;
	a->next_fd = path != NULL ? fd : STDERR_FILENO;
	free(a->path);
	a->path = path ? sb_xstrdup(path) : NULL;
	a->reopen = false;
	pthread_cond_signal(&a->wake);
	pthread_mutex_unlock(&a->lock);
}

void
sbd_access_log_reopen(struct sbd_access_log *a)
{
	pthread_mutex_lock(&a->lock);
	if (a->path != NULL) {
		if (a->next_fd == NO_FD && !a->reopen)
			a->switch_at = a->queue.len;
		a->reopen = true;
		pthread_cond_signal(&a->wake);
	}
	pthread_mutex_unlock(&a->lock);
}
