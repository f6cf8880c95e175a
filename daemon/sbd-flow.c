/* sbd-flow.c - copy src to dst through a thread-local scratch; only the unwritten rest is kept */
#include "sbd-flow.h"

#include <string.h>

#define CHUNK      65536
#define BUF_CAP    (256 * 1024) /* stop reading the source past this much unsent */
#define RUN_BUDGET (1024 * 1024) /* bytes per run, so one busy tunnel cannot starve a loop */

static _Thread_local char scratch[CHUNK];

void
sbd_flow_init(struct sbd_flow *f, struct sbd_end *src, struct sbd_end *dst)
{
	*f = (struct sbd_flow){ .src = src, .dst = dst, .shut_dst = true };
}

void
sbd_flow_clear(struct sbd_flow *f)
{
	sb_buf_free(&f->buf);
}

bool
sbd_flow_wants_read(const struct sbd_flow *f)
{
	return !f->src_eof && !f->done && f->buf.len < BUF_CAP;
}

bool
sbd_flow_wants_write(const struct sbd_flow *f)
{
	return !f->done && (f->buf.len > 0 || f->dst->tls_write_pending > 0 || f->src_eof);
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
			sb_buf_free(&f->buf);
			return SBD_FLOW_DONE;
		}
		if (f->buf.len >= BUF_CAP)
			return SBD_FLOW_BLOCKED;
		if (budget >= RUN_BUDGET)
			return SBD_FLOW_MORE;

		ssize_t r = sbd_end_read(f->src, scratch, sizeof scratch);
		if (r == 0) {
			f->src_eof = true;
			continue;
		}
		if (r == SBD_END_AGAIN)
			return SBD_FLOW_BLOCKED;
		if (r == SBD_END_ERROR)
			return SBD_FLOW_SRC_ERROR;
		budget += (uint64_t)r;

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
	}
}
