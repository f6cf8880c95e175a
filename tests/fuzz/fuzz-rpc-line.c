/*
 * fuzz-rpc-line.c - bytes through the line reader in fuzzer-chosen chunks, then
 * every line through request and response parsing and back through the builders.
 *
 * Input: byte 0 picks the line limit (1..64, so too-long lines are common),
 * bytes 1..4 seed the chunk sizes, the rest is the stream.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sb-rpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t
next_rand(uint32_t *state)
{
	/* xorshift32: deterministic chunking from the input itself */
	*state ^= *state << 13;
	*state ^= *state >> 17;
	*state ^= *state << 5;
	return *state;
}

static bool
is_id(json_object *id)
{
	return id == NULL || json_object_is_type(id, json_type_int) ||
	    json_object_is_type(id, json_type_double) || json_object_is_type(id, json_type_string);
}

/* A built message: one line, its only '\n' at the end, and it parses back as expected. */
static void
check_built(char *msg, enum sb_rpc_response_kind want)
{
	size_t n = strlen(msg);
	struct sb_rpc_response resp;

	assert(n > 0 && msg[n - 1] == '\n');
	assert(memchr(msg, '\n', n - 1) == NULL);
	assert(sb_utf8_valid(msg, n));
	assert(sb_rpc_parse_response(msg, n - 1, &resp) == want);
	sb_rpc_response_clear(&resp);
	free(msg);
}

static void
check_request(const char *line, size_t len)
{
	struct sb_rpc_request req;
	struct sb_rpc_request again;
	enum sb_rpc_parse res = sb_rpc_parse_request(line, len, &req);
	char *msg;

	if (!req.has_id)
		assert(req.id == NULL);
	assert(is_id(req.id));
	if (res == SB_RPC_PARSE_ERROR)
		assert(req.doc == NULL && !req.has_id);
	if (res != SB_RPC_PARSE_OK) {
		assert(sb_rpc_parse_error_code(res) < 0);
		check_built(sb_rpc_error(req.id, sb_rpc_parse_error_code(res), NULL, NULL),
		    SB_RPC_RESPONSE_ERROR);
		sb_rpc_request_clear(&req);
		return;
	}
	assert(req.method != NULL && sb_utf8_valid(req.method, strlen(req.method)));
	assert(req.params == NULL || json_object_is_type(req.params, json_type_object) ||
	    json_object_is_type(req.params, json_type_array));

	check_built(sb_rpc_result(req.id, req.params), SB_RPC_RESPONSE_RESULT);
	check_built(sb_rpc_error(req.id, SB_ERR_INVALID_PARAMS, req.method, req.params),
	    SB_RPC_RESPONSE_ERROR);
	check_built(sb_rpc_notification(req.method, req.params), SB_RPC_RESPONSE_NOTIFICATION);

	msg = sb_rpc_request_line(1, req.method, req.params);
	assert(sb_rpc_parse_request(msg, strlen(msg) - 1, &again) == SB_RPC_PARSE_OK);
	assert(strcmp(again.method, req.method) == 0);
	assert(sb_rpc_id_is(again.id, 1));
	assert((again.params == NULL) == (req.params == NULL));
	sb_rpc_request_clear(&again);
	free(msg);
	sb_rpc_request_clear(&req);
}

static void
check_response(const char *line, size_t len)
{
	struct sb_rpc_response resp;

	switch (sb_rpc_parse_response(line, len, &resp)) {
	case SB_RPC_RESPONSE_RESULT:
		assert(is_id(resp.id));
		break;
	case SB_RPC_RESPONSE_ERROR:
		assert(is_id(resp.id) && resp.message != NULL);
		break;
	case SB_RPC_RESPONSE_NOTIFICATION:
		assert(resp.method != NULL);
		break;
	case SB_RPC_RESPONSE_INVALID:
		break;
	}
	sb_rpc_response_clear(&resp);
}

/* What the reader must yield, from a plain split of the bytes fed so far on '\n'. */
struct expect {
	const uint8_t *p;   /* the first byte not accounted for */
	size_t left;        /* bytes fed from p on */
	size_t limit;
	bool tail_reported; /* the unfinished line at p was already reported too long */
};

/* Returns true with *line and *len for a line, or true with *line NULL for a too-long one. */
static bool
expect_next(struct expect *e, const uint8_t **line, size_t *len)
{
	for (;;) {
		const uint8_t *nl = e->left > 0 ? memchr(e->p, '\n', e->left) : NULL;
		bool reported = e->tail_reported;

		if (nl == NULL) {
			/* an unfinished line is reported once, as soon as it passes the limit */
			if (e->left > e->limit && !e->tail_reported) {
				e->tail_reported = true;
				*line = NULL;
				return true;
			}
			return false;
		}
		*len = (size_t)(nl - e->p);
		*line = *len > e->limit ? NULL : e->p;
		e->left -= *len + 1;
		e->p = nl + 1;
		e->tail_reported = false;
		if (!reported)
			return true;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sb_line_reader r;
	struct expect e;
	uint32_t seed;
	size_t off = 0;

	if (size < 5)
		return 0;
	sb_line_reader_init(&r, 1 + data[0] % 64);
	memcpy(&seed, data + 1, sizeof seed);
	seed |= 1;
	data += 5;
	size -= 5;
	e = (struct expect){ data, 0, r.limit, false };

	while (off < size) {
		size_t chunk = 1 + next_rand(&seed) % 97;
		enum sb_line_result res;
		const char *line;
		size_t len;

		if (chunk > size - off)
			chunk = size - off;
		sb_line_reader_feed(&r, data + off, chunk);
		off += chunk;
		e.left += chunk;
		while ((res = sb_line_reader_next(&r, &line, &len)) != SB_LINE_NEED_MORE) {
			const uint8_t *want;
			size_t want_len = 0;

			assert(expect_next(&e, &want, &want_len));
			if (res == SB_LINE_TOO_LONG) {
				assert(want == NULL);
				continue;
			}
			assert(want != NULL && want_len == len && memcmp(want, line, len) == 0);
			assert(len <= r.limit && line[len] == '\0');
			check_request(line, len);
			check_response(line, len);
		}
		assert(sb_line_reader_pending(&r) <= r.limit);
	}
	/* nothing left unreported: only an unfinished tail within the limit remains */
	{
		const uint8_t *want;
		size_t want_len;

		assert(!expect_next(&e, &want, &want_len));
		assert(r.skipping || sb_line_reader_pending(&r) == e.left);
	}
	sb_line_reader_clear(&r);
	return 0;
}
