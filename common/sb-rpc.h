/* sb-rpc.h - JSON-RPC 2.0 over lines: line reader, request and response parsing, builders */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sb-control.h"

#define SB_RPC_LINE_MAX_DEFAULT ((size_t)1 << 20)

/*
 * Splits a byte stream into '\n'-terminated lines of at most limit bytes (not
 * counting the '\n'). Feed it what one read() returned, then call
 * sb_line_reader_next() until it says SB_LINE_NEED_MORE: it then holds at most
 * limit bytes of a partial line, plus whatever the next feed brings.
 */
struct sb_line_reader {
	char *buf;
	size_t start; /* first byte not yet handed out */
	size_t len;   /* bytes in buf, from 0 */
	size_t cap;
	size_t limit;
	size_t scanned; /* bytes from start known to hold no '\n' */
	bool skipping; /* inside a too-long line: drop bytes up to its '\n' */
};

enum sb_line_result {
	SB_LINE_NEED_MORE, /* no complete line buffered: feed more */
	SB_LINE_OK,        /* *line, *len: a line without its '\n' */
	SB_LINE_TOO_LONG,  /* a line passed the limit; it is skipped up to its '\n' */
};

/* limit 0 means SB_RPC_LINE_MAX_DEFAULT. */
void sb_line_reader_init(struct sb_line_reader *r, size_t limit);
void sb_line_reader_clear(struct sb_line_reader *r);
void sb_line_reader_feed(struct sb_line_reader *r, const void *data, size_t len);
/*
 * The next line. On SB_LINE_OK, *line is NUL-terminated where its '\n' was
 * and stays valid until the next call on r (it may hold other NUL bytes: use *len).
 * Each too-long line is reported once, as soon as it is known to be too long.
 */
enum sb_line_result sb_line_reader_next(struct sb_line_reader *r, const char **line,
    size_t *len);
/* Bytes of an unfinished line held (0 while skipping one); at the end: a truncated message. */
size_t sb_line_reader_pending(const struct sb_line_reader *r);

/* Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
bool sb_utf8_valid(const char *s, size_t len);

enum sb_rpc_parse {
	SB_RPC_PARSE_OK,
	SB_RPC_PARSE_ERROR,           /* not JSON, or not UTF-8: answer SB_ERR_PARSE, id null */
	SB_RPC_PARSE_INVALID_REQUEST, /* JSON, but not a request: answer SB_ERR_INVALID_REQUEST */
};

struct sb_rpc_request {
	json_object *doc;    /* owns what the fields below borrow */
	const char *method;  /* SB_RPC_PARSE_OK: never NULL */
	json_object *params; /* an object or an array; NULL when absent */
	bool has_id;         /* false: a notification (no answer) or an id that could not be read */
	json_object *id;     /* a number or a string; NULL for "id": null or when !has_id */
};

/*
 * Parses one line (without its '\n'). On SB_RPC_PARSE_INVALID_REQUEST, has_id
 * and id are set when the id could be read, so the error answer can carry it.
 * Call sb_rpc_request_clear() whatever the outcome.
 */
enum sb_rpc_parse sb_rpc_parse_request(const char *line, size_t len, struct sb_rpc_request *out);
void sb_rpc_request_clear(struct sb_rpc_request *req);
/* SB_ERR_PARSE or SB_ERR_INVALID_REQUEST for a failed parse; 0 for SB_RPC_PARSE_OK. */
int sb_rpc_parse_error_code(enum sb_rpc_parse outcome);

/*
 * Builders: one serialized message with its final "\n"; free() it. They
 * borrow every json_object argument (and take their own references). A NULL
 * id is written as null; a NULL result as null; NULL params or data are left
 * out; a NULL message is sb_control_error_message(code).
 */
char *sb_rpc_result(json_object *id, json_object *result);
char *sb_rpc_error(json_object *id, int code, const char *message, json_object *data);
char *sb_rpc_notification(const char *method, json_object *params);
char *sb_rpc_request_line(int64_t id, const char *method, json_object *params);

enum sb_rpc_response_kind {
	SB_RPC_RESPONSE_RESULT,
	SB_RPC_RESPONSE_ERROR,
	SB_RPC_RESPONSE_NOTIFICATION,
	SB_RPC_RESPONSE_INVALID, /* not JSON, not UTF-8, or not a JSON-RPC 2.0 response */
};

struct sb_rpc_response {
	json_object *doc;      /* owns what the fields below borrow */
	json_object *id;       /* RESULT and ERROR: the request's id (NULL for null) */
	json_object *result;   /* RESULT: may be NULL for a null result */
	int code;              /* ERROR */
	const char *message;   /* ERROR */
	json_object *data;     /* ERROR: NULL when absent */
	const char *method;    /* NOTIFICATION */
	json_object *params;   /* NOTIFICATION: NULL when absent */
};

/* Parses one line a server sent. Call sb_rpc_response_clear() whatever the outcome. */
enum sb_rpc_response_kind sb_rpc_parse_response(const char *line, size_t len,
    struct sb_rpc_response *out);
void sb_rpc_response_clear(struct sb_rpc_response *resp);
/* True when id is the integer want. */
bool sb_rpc_id_is(json_object *id, int64_t want);
