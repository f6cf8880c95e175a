/* sbd-flow.c - copy src to dst through a thread-local scratch; only the unwritten rest is kept */
#include "sbd-flow.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define CHUNK      65536
#define BUF_CAP    (256 * 1024) /* stop reading the source past this much unsent */
#define RUN_BUDGET (1024 * 1024) /* bytes per run, so one busy tunnel cannot starve a loop */

static _Thread_local char scratch[CHUNK];

void
sbd_flow_init(struct sbd_flow *f, struct sbd_end *src, struct sbd_end *dst)
{
	*f = (struct sbd_flow){ .src = src, .dst = dst, .shut_dst = true, .pipe = { -1, -1 } };
}

static void
pipe_release(struct sbd_flow *f)
{
	if (f->pipe[0] >= 0) {
		close(f->pipe[0]);
		close(f->pipe[1]);
	}
	f->pipe[0] = f->pipe[1] = -1;
	f->pipe_len = 0;
}

void
sbd_flow_clear(struct sbd_flow *f)
{
	sb_buf_free(&f->buf);
	pipe_release(f);
}

bool
sbd_flow_wants_read(const struct sbd_flow *f)
{
	return !f->src_eof && !f->done && f->buf.len < BUF_CAP && f->pipe_len == 0;
}

bool
sbd_flow_wants_write(const struct sbd_flow *f)
{
	return !f->done && (f->buf.len > 0 || f->pipe_len > 0 ||
	    f->dst->tls_write_pending > 0 || f->src_eof);
}

/*
 * A full read says the source is streaming: between two plain sockets the
 * kernel can then move the bytes itself. The pipe is given back as soon as the
 * source runs dry, so idle tunnels hold no pipe.
 */
static void
maybe_start_splice(struct sbd_flow *f, size_t last_read, size_t asked)
{
	if (last_read < asked || f->no_splice || f->filter != NULL || f->pipe[0] >= 0 ||
	    f->src->tls != NULL || f->dst->tls != NULL)
		return;
	if (pipe2(f->pipe, O_NONBLOCK | O_CLOEXEC) < 0)
		f->pipe[0] = f->pipe[1] = -1;
}

/* Empties the pipe into dst: 0 when empty, SBD_END_AGAIN or SBD_END_ERROR. */
static int
pipe_flush(struct sbd_flow *f, uint64_t *moved)
{
	while (f->pipe_len > 0) {
		ssize_t n = splice(f->pipe[0], NULL, f->dst->fd, NULL, f->pipe_len,
		    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return SBD_END_AGAIN;
		if (n <= 0) {
			f->dst->error = errno == EPIPE ? "broken pipe" :
			    errno == ECONNRESET ? "connection reset" : "socket error";
			return SBD_END_ERROR;
		}
		f->pipe_len -= (size_t)n;
		f->bytes += (uint64_t)n;
		*moved += (uint64_t)n;
	}
	return 0;
}

/* One splice from src into the pipe: > 0 bytes, 0 EOF, SBD_END_AGAIN or SBD_END_ERROR. */
static ssize_t
pipe_fill(struct sbd_flow *f)
{
	for (;;) {
		ssize_t n = splice(f->src->fd, NULL, f->pipe[1], NULL,
		    sbd_end_write_goal(f->dst, CHUNK),
		    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n > 0)
			f->pipe_len += (size_t)n;
		else if (n == 0)
			f->src->read_eof = true;
		else if (errno == EAGAIN)
			return SBD_END_AGAIN;
		else {
			f->src->error = errno == ECONNRESET ? "connection reset" : "socket error";
			return SBD_END_ERROR;
		}
		return n;
	}
}

/* Writes the queued bytes; returns SBD_END_AGAIN, SBD_END_ERROR or 0 when all went out. */
static int
flush(struct sbd_flow *f, uint64_t *moved)
{
	while (f->buf.len > 0) {
		ssize_t w = sbd_end_write(f->dst, sb_buf_head(&f->buf), f->buf.len);

		if (w < 0)
			return (int)w;
		sb_buf_consume(&f->buf, (size_t)w);
		f->bytes += (uint64_t)w;
		*moved += (uint64_t)w;
	}
	return 0;
}

enum sbd_flow_result
sbd_flow_run(struct sbd_flow *f, uint64_t *moved)
{
	uint64_t budget = 0;

	if (f->done)
		return SBD_FLOW_DONE;
	for (;;) {
		int rc = flush(f, moved);

		if (rc == 0 && f->pipe_len > 0)
			rc = pipe_flush(f, moved);
		if (rc == SBD_END_ERROR)
			return SBD_FLOW_DST_ERROR;
		if (f->src_eof) {
			if (rc == SBD_END_AGAIN)
				return SBD_FLOW_BLOCKED;
			if (f->shut_dst) {
				rc = sbd_end_shutdown_write(f->dst);
				if (rc == SBD_END_AGAIN)
					return SBD_FLOW_BLOCKED;
				if (rc == SBD_END_ERROR)
					return SBD_FLOW_DST_ERROR;
			}
			f->done = true;
			sbd_flow_clear(f);
			return SBD_FLOW_DONE;
		}
		/* A blocked sink still lets the buffer read ahead, up to its cap; the pipe does not. */
		if (f->pipe_len > 0 || f->buf.len >= BUF_CAP)
			return SBD_FLOW_BLOCKED;
		if (budget >= RUN_BUDGET)
			return SBD_FLOW_MORE;

		if (f->pipe[0] >= 0) {
			ssize_t n = pipe_fill(f);

			if (n == 0)
				f->src_eof = true;
			else if (n == SBD_END_ERROR)
				return SBD_FLOW_SRC_ERROR;
			else if (n == SBD_END_AGAIN) {
				pipe_release(f);
				return SBD_FLOW_BLOCKED;
			} else
				budget += (uint64_t)n;
			continue;
		}

		/* What fills whole segments on dst's socket: see sbd_end_write_goal. */
		size_t want = f->filter != NULL ? sizeof scratch :
		    sbd_end_write_goal(f->dst, sizeof scratch);
		ssize_t r = sbd_end_read(f->src, scratch, want);
		if (r == 0) {
			f->src_eof = true;
			continue;
		}
		if (r == SBD_END_AGAIN)
			return SBD_FLOW_BLOCKED;
		if (r == SBD_END_ERROR)
			return SBD_FLOW_SRC_ERROR;
		budget += (uint64_t)r;
		if (f->filter != NULL) {
			int fr = f->filter(f->filter_ctx, (const uint8_t *)scratch, (size_t)r, &f->buf,
			    &f->filter_error);

			if (fr < 0)
				return SBD_FLOW_FILTER_ERROR;
			if (fr > 0)
				f->filter = NULL;
			continue;
		}
		maybe_start_splice(f, (size_t)r, want);

		size_t off = 0;
		if (f->buf.len == 0 && f->dst->tls_write_pending == 0) {
			/* The common case: straight through, nothing kept. */
			while (off < (size_t)r) {
				ssize_t w = sbd_end_write(f->dst, scratch + off, (size_t)r - off);

				if (w == SBD_END_ERROR)
					return SBD_FLOW_DST_ERROR;
				if (w == SBD_END_AGAIN)
					break;
				off += (size_t)w;
				f->bytes += (uint64_t)w;
				*moved += (uint64_t)w;
			}
		}
		sb_buf_append(&f->buf, scratch + off, (size_t)r - off);
		/*
		 * A short read drained the source: reading again now would only
		 * return EAGAIN, a system call for nothing on every message of a
		 * chatty tunnel. Its watch is level-triggered and says when more
		 * comes; an end no longer watched (hup) reads on to its EOF.
		 */
		if ((size_t)r < want && !f->src->hup && !sbd_end_has_pending(f->src))
			return SBD_FLOW_BLOCKED;
	}
}

unsigned
sbd_flows_interest(const struct sbd_flow *up, const struct sbd_flow *down,
    const struct sbd_end *e)
{
	const struct sbd_flow *flows[] = { up, down };
	unsigned ev = 0;

	for (size_t f = 0; f < 2; f++) {
		if (flows[f]->src == e && sbd_flow_wants_read(flows[f]))
			ev |= EPOLLIN;
		if (flows[f]->dst == e && sbd_flow_wants_write(flows[f]))
			ev |= EPOLLOUT;
	}
	return ev;
}
