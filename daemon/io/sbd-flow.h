/* sbd-flow.h - one direction of a connection: bytes from one end to another, half-close */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "sb-buf.h"
#include "sbd-end.h"

enum sbd_flow_result {
	SBD_FLOW_BLOCKED,   /* waiting for the source to read or the sink to write */
	SBD_FLOW_MORE,      /* budget spent with work left: run again soon */
	SBD_FLOW_DONE,      /* source at EOF, everything delivered, sink shut for writing */
	SBD_FLOW_SRC_ERROR, /* src->error says why */
	SBD_FLOW_DST_ERROR, /* dst->error says why */
	SBD_FLOW_FILTER_ERROR, /* filter_error says why */
};

/*
 * Rewrites a direction's bytes on their way (h2c's preface and SETTINGS ACK):
 * appends what dst must get to out. Returns 0, 1 when it has nothing left to
 * do (the flow then passes bytes straight through), or -1 with *why.
 */
typedef int sbd_flow_filter(void *ctx, const uint8_t *in, size_t len, struct sb_buf *out,
    const char **why);

struct sbd_flow {
	struct sbd_end *src;
	struct sbd_end *dst;
	struct sb_buf buf;  /* read from src, not yet accepted by dst */
	uint64_t bytes;     /* delivered to dst */
	bool src_eof;
	bool done;
	bool shut_dst;      /* shut dst for writing at EOF (false: leave dst open) */
	bool no_splice;     /* the bytes must stay where a hand-over can find them */
	sbd_flow_filter *filter;
	void *filter_ctx;
	const char *filter_error;
	int pipe[2];        /* splice(2) between plain sockets, during bulk transfers only */
	size_t pipe_len;    /* bytes in the pipe, not yet spliced to dst */
};

void sbd_flow_init(struct sbd_flow *f, struct sbd_end *src, struct sbd_end *dst);
/* Moves what it can now; *moved grows by the bytes delivered. */
enum sbd_flow_result sbd_flow_run(struct sbd_flow *f, uint64_t *moved);
bool sbd_flow_wants_read(const struct sbd_flow *f);
bool sbd_flow_wants_write(const struct sbd_flow *f);
/*
 * What to watch e for, given the two flows of a connection: EPOLLIN where one
 * reads from e and wants input, EPOLLOUT where one writes to e and has output.
 */
unsigned sbd_flows_interest(const struct sbd_flow *up, const struct sbd_flow *down,
    const struct sbd_end *e);
void sbd_flow_clear(struct sbd_flow *f);
