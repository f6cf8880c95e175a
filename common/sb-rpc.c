/* sb-rpc.c - JSON-RPC 2.0 over lines: line reader, request and response parsing, builders */
#include "sb-rpc.h"

#include <stdlib.h>
#include <string.h>

#include "sb-alloc.h"

/* The whole RPC conversation is plain single-line JSON ('\n' only ends messages). */
#define SB_RPC_JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

void
sb_line_reader_init(struct sb_line_reader *r, size_t limit)
{
	memset(r, 0, sizeof *r);
	r->limit = limit != 0 ? limit : SB_RPC_LINE_MAX_DEFAULT;
}

void
sb_line_reader_clear(struct sb_line_reader *r)
{
	free(r->buf);
	memset(r, 0, sizeof *r);
}

void
sb_line_reader_feed(struct sb_line_reader *r, const void *data, size_t len)
{
	const char *p = data;

	if (r->skipping) {
		const char *nl = len > 0 ? memchr(p, '\n', len) : NULL;

		if (nl == NULL)
			return;
		r->skipping = false;
		len -= (size_t)(nl + 1 - p);
		p = nl + 1;
	}
	if (len == 0)
		return;
	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->len - r->start);
		r->len -= r->start;
		r->start = 0;
	}
	if (r->len + len + 1 > r->cap) {
		size_t cap = r->cap != 0 ? r->cap : 4096;

		while (cap < r->len + len + 1)
			cap *= 2;
		r->buf = sb_xrealloc(r->buf, cap);
		r->cap = cap;
	}
	memcpy(r->buf + r->len, p, len);
	r->len += len;
}

enum sb_line_result
sb_line_reader_next(struct sb_line_reader *r, const char **line, size_t *len)
{
	size_t pending = r->len - r->start;
	/* a line of limit bytes has its '\n' at offset limit at the latest */
	size_t window = pending < r->limit + 1 ? pending : r->limit + 1;
	char *s, *nl = NULL;

	if (pending == 0)
		return SB_LINE_NEED_MORE;
	s = r->buf + r->start;
	if (window > r->scanned)
		nl = memchr(s + r->scanned, '\n', window - r->scanned);
	if (nl != NULL) {
		*nl = '\0';
		*line = s;
		*len = (size_t)(nl - s);
		r->start += *len + 1;
		r->scanned = 0;
		return SB_LINE_OK;
	}
	r->scanned = window;
	if (pending <= r->limit)
		return SB_LINE_NEED_MORE;

	nl = memchr(s + window, '\n', pending - window);
	if (nl != NULL) {
		r->start += (size_t)(nl + 1 - s);
	} else {
		r->start = r->len;
		r->skipping = true;
	}
	r->scanned = 0;
	return SB_LINE_TOO_LONG;
}

size_t
sb_line_reader_pending(const struct sb_line_reader *r)
{
	return r->len - r->start;
}

bool
sb_utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t n;
		unsigned int cp, min;

		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			n = 1, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return false;
		}
		if (len - i - 1 < n)
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

/* One strict JSON document, nothing but whitespace around it; NULL when it is not. */
static json_object *
parse_json(const char *text, size_t len)
{
	json_tokener *tok;
	json_object *doc = NULL;
	size_t end;

	if (len > INT32_MAX || !sb_utf8_valid(text, len) || memchr(text, '\0', len) != NULL)
		return NULL;
	tok = json_tokener_new();
	if (tok == NULL)
		abort();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS);
	doc = json_tokener_parse_ex(tok, text, (int)len);
	if (doc == NULL && json_tokener_get_error(tok) == json_tokener_continue) {
		/* a bare number is complete only once the input ends */
		doc = json_tokener_parse_ex(tok, "", 1);
		end = len;
	} else {
		end = json_tokener_get_parse_end(tok);
	}
	json_tokener_free(tok);
	for (; doc != NULL && end < len; end++) {
		if (strchr(" \t\r\n", text[end]) == NULL) {
			json_object_put(doc);
			doc = NULL;
		}
	}
	return doc;
}

/* A string member without NUL bytes (json-c allows "\u0000"); NULL otherwise. */
static const char *
member_string(json_object *obj, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	if (strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v))
		return NULL;
	return json_object_get_string(v);
}

static bool
is_jsonrpc_2(json_object *obj)
{
	const char *v = member_string(obj, "jsonrpc");

	return v != NULL && strcmp(v, "2.0") == 0;
}

static bool
is_id_type(json_object *v)
{
	return json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double) ||
	    json_object_is_type(v, json_type_string);
}

enum sb_rpc_parse
sb_rpc_parse_request(const char *line, size_t len, struct sb_rpc_request *out)
{
	json_object *id, *params;

	memset(out, 0, sizeof *out);
	out->doc = parse_json(line, len);
	if (out->doc == NULL)
		return SB_RPC_PARSE_ERROR;
	if (!json_object_is_type(out->doc, json_type_object))
		return SB_RPC_PARSE_INVALID_REQUEST;

	if (json_object_object_get_ex(out->doc, "id", &id)) {
		if (id != NULL && !is_id_type(id))
			return SB_RPC_PARSE_INVALID_REQUEST;
		out->has_id = true;
		out->id = id;
	}
	if (!is_jsonrpc_2(out->doc))
		return SB_RPC_PARSE_INVALID_REQUEST;
	out->method = member_string(out->doc, "method");
	if (out->method == NULL)
		return SB_RPC_PARSE_INVALID_REQUEST;
	if (json_object_object_get_ex(out->doc, "params", &params)) {
		if (!json_object_is_type(params, json_type_object) &&
		    !json_object_is_type(params, json_type_array)) {
			out->method = NULL;
			return SB_RPC_PARSE_INVALID_REQUEST;
		}
		out->params = params;
	}
	return SB_RPC_PARSE_OK;
}

void
sb_rpc_request_clear(struct sb_rpc_request *req)
{
	json_object_put(req->doc);
	memset(req, 0, sizeof *req);
}

int
sb_rpc_parse_error_code(enum sb_rpc_parse outcome)
{
	switch (outcome) {
	case SB_RPC_PARSE_OK:
		return 0;
	case SB_RPC_PARSE_ERROR:
		return SB_ERR_PARSE;
	case SB_RPC_PARSE_INVALID_REQUEST:
		return SB_ERR_INVALID_REQUEST;
	}
	return SB_ERR_INTERNAL;
}

/* {"jsonrpc":"2.0"} to start every message. */
static json_object *
message_new(void)
{
	json_object *msg = json_object_new_object();

	json_object_object_add(msg, "jsonrpc", json_object_new_string("2.0"));
	return msg;
}

/* Serializes msg with a final "\n" and drops msg. */
static char *
message_finish(json_object *msg)
{
	size_t n;
	const char *text = json_object_to_json_string_length(msg, SB_RPC_JSON_FLAGS, &n);
	char *line = sb_xmalloc(n + 2);

	memcpy(line, text, n);
	line[n] = '\n';
	line[n + 1] = '\0';
	json_object_put(msg);
	return line;
}

char *
sb_rpc_result(json_object *id, json_object *result)
{
	json_object *msg = message_new();

	json_object_object_add(msg, "id", json_object_get(id));
	json_object_object_add(msg, "result", json_object_get(result));
	return message_finish(msg);
}

char *
sb_rpc_error(json_object *id, int code, const char *message, json_object *data)
{
	json_object *msg = message_new();
	json_object *err = json_object_new_object();

	json_object_object_add(err, "code", json_object_new_int(code));
	json_object_object_add(err, "message",
	    json_object_new_string(message != NULL ? message : sb_control_error_message(code)));
	if (data != NULL)
		json_object_object_add(err, "data", json_object_get(data));
	json_object_object_add(msg, "id", json_object_get(id));
	json_object_object_add(msg, "error", err);
	return message_finish(msg);
}

char *
sb_rpc_notification(const char *method, json_object *params)
{
	json_object *msg = message_new();

	json_object_object_add(msg, "method", json_object_new_string(method));
	if (params != NULL)
		json_object_object_add(msg, "params", json_object_get(params));
	return message_finish(msg);
}

char *
sb_rpc_request_line(int64_t id, const char *method, json_object *params)
{
	json_object *msg = message_new();

	json_object_object_add(msg, "id", json_object_new_int64(id));
	json_object_object_add(msg, "method", json_object_new_string(method));
	if (params != NULL)
		json_object_object_add(msg, "params", json_object_get(params));
	return message_finish(msg);
}

static enum sb_rpc_response_kind
parse_error_object(json_object *err, struct sb_rpc_response *out)
{
	json_object *code, *data;
	int64_t c;

	if (!json_object_is_type(err, json_type_object) ||
	    !json_object_object_get_ex(err, "code", &code) ||
	    !json_object_is_type(code, json_type_int))
		return SB_RPC_RESPONSE_INVALID;
	c = json_object_get_int64(code);
	out->message = member_string(err, "message");
	if (c < INT32_MIN || c > INT32_MAX || out->message == NULL)
		return SB_RPC_RESPONSE_INVALID;
	out->code = (int)c;
	if (json_object_object_get_ex(err, "data", &data))
		out->data = data;
	return SB_RPC_RESPONSE_ERROR;
}

enum sb_rpc_response_kind
sb_rpc_parse_response(const char *line, size_t len, struct sb_rpc_response *out)
{
	json_object *id, *result, *err, *params;
	bool has_result, has_error;

	memset(out, 0, sizeof *out);
	out->doc = parse_json(line, len);
	if (out->doc == NULL || !json_object_is_type(out->doc, json_type_object) ||
	    !is_jsonrpc_2(out->doc))
		return SB_RPC_RESPONSE_INVALID;

	if (!json_object_object_get_ex(out->doc, "id", &id)) {
		out->method = member_string(out->doc, "method");
		if (out->method == NULL)
			return SB_RPC_RESPONSE_INVALID;
		if (json_object_object_get_ex(out->doc, "params", &params)) {
			if (!json_object_is_type(params, json_type_object) &&
			    !json_object_is_type(params, json_type_array)) {
				out->method = NULL;
				return SB_RPC_RESPONSE_INVALID;
			}
			out->params = params;
		}
		return SB_RPC_RESPONSE_NOTIFICATION;
	}
	if (id != NULL && !is_id_type(id))
		return SB_RPC_RESPONSE_INVALID;
	has_result = json_object_object_get_ex(out->doc, "result", &result);
	has_error = json_object_object_get_ex(out->doc, "error", &err);
	if (has_result == has_error)
		return SB_RPC_RESPONSE_INVALID;
	out->id = id;
	if (has_result) {
		out->result = result;
		return SB_RPC_RESPONSE_RESULT;
	}
	return parse_error_object(err, out);
}

void
sb_rpc_response_clear(struct sb_rpc_response *resp)
{
	json_object_put(resp->doc);
	memset(resp, 0, sizeof *resp);
}

bool
sb_rpc_id_is(json_object *id, int64_t want)
{
	return id != NULL && json_object_is_type(id, json_type_int) &&
	    json_object_get_int64(id) == want;
}
