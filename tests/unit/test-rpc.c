/* test-rpc.c - line reader, UTF-8 check, request and response parsing, builders */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "sb-rpc.h"

/* The start of every well-formed message. */
#define V2 "{\"jsonrpc\":\"2.0\","

/* Drains r into a string: each line as "<line>|", each too-long one as "!|". */
static void
drain(struct sb_line_reader *r, GString *got)
{
	const char *line;
	size_t len;
	enum sb_line_result res;

	while ((res = sb_line_reader_next(r, &line, &len)) != SB_LINE_NEED_MORE) {
		if (res == SB_LINE_OK) {
			g_assert_cmpuint(strlen(line), ==, len);
			g_string_append_len(got, line, (gssize)len);
			g_string_append_c(got, '|');
		} else {
			g_string_append(got, "!|");
		}
	}
}

static void
feed_in_chunks(const char *input, size_t limit, size_t chunk, GString *got)
{
	struct sb_line_reader r;
	size_t len = strlen(input);

	sb_line_reader_init(&r, limit);
	for (size_t off = 0; off < len; off += chunk) {
		sb_line_reader_feed(&r, input + off, MIN(chunk, len - off));
		drain(&r, got);
	}
	sb_line_reader_clear(&r);
}

static void
test_line_reader(void)
{
	/* limit 5: "12345" fits, "123456" does not */
	const char *input = "a\n\n12345\n123456\nbc\nxxxxxxxxxxxxxxxxxxxx\nd\nlong-partial-tail";
	const char *want = "a||12345|!|bc|!|d|!|";

	for (size_t chunk = 1; chunk <= strlen(input); chunk++) {
		GString *got = g_string_new(NULL);

		feed_in_chunks(input, 5, chunk, got);
		g_assert_cmpstr(got->str, ==, want);
		g_string_free(got, TRUE);
	}
}

static void
test_line_reader_pending(void)
{
	struct sb_line_reader r;
	const char *line;
	size_t len;

	sb_line_reader_init(&r, 0);
	g_assert_cmpuint(r.limit, ==, SB_RPC_LINE_MAX_DEFAULT);
	g_assert_cmpint(sb_line_reader_next(&r, &line, &len), ==, SB_LINE_NEED_MORE);
	sb_line_reader_feed(&r, "{\"a\":1}\n{\"b\"", 12);
	g_assert_cmpint(sb_line_reader_next(&r, &line, &len), ==, SB_LINE_OK);
	g_assert_cmpstr(line, ==, "{\"a\":1}");
	g_assert_cmpint(sb_line_reader_next(&r, &line, &len), ==, SB_LINE_NEED_MORE);
	g_assert_cmpuint(sb_line_reader_pending(&r), ==, 4);
	sb_line_reader_feed(&r, ":2}\n", 4);
	g_assert_cmpint(sb_line_reader_next(&r, &line, &len), ==, SB_LINE_OK);
	g_assert_cmpstr(line, ==, "{\"b\":2}");
	g_assert_cmpuint(sb_line_reader_pending(&r), ==, 0);
	/* a NUL inside a line is data, not an end */
	sb_line_reader_feed(&r, "x\0y\n", 4);
	g_assert_cmpint(sb_line_reader_next(&r, &line, &len), ==, SB_LINE_OK);
	g_assert_cmpuint(len, ==, 3);
	g_assert_true(memcmp(line, "x\0y", 3) == 0);
	sb_line_reader_clear(&r);
}

static void
test_utf8(void)
{
	static const struct {
		const char *s;
		bool valid;
	} cases[] = {
		{ "plain ascii", true },
		{ "caf\xc3\xa9", true },
		{ "\xe2\x82\xac", true },          /* U+20AC */
		{ "\xf0\x9f\x98\x80", true },      /* U+1F600 */
		{ "\xf4\x8f\xbf\xbf", true },      /* U+10FFFF */
		{ "\xc3", false },                 /* truncated */
		{ "\xc0\xaf", false },             /* overlong '/' */
		{ "\xe0\x80\xaf", false },         /* overlong */
		{ "\xed\xa0\x80", false },         /* surrogate U+D800 */
		{ "\xf4\x90\x80\x80", false },     /* U+110000 */
		{ "\xff", false },
		{ "\x80", false },                 /* lone continuation */
		{ "a\xe2\x82", false },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
		g_assert_cmpint(sb_utf8_valid(cases[i].s, strlen(cases[i].s)), ==, cases[i].valid);
}

static enum sb_rpc_parse
parse(const char *line, struct sb_rpc_request *req)
{
	return sb_rpc_parse_request(line, strlen(line), req);
}

static void
test_parse_request_ok(void)
{
	struct sb_rpc_request req;

	g_assert_cmpint(parse(V2 "\"id\":7,\"method\":\"status\"}", &req), ==,
	    SB_RPC_PARSE_OK);
	g_assert_cmpstr(req.method, ==, "status");
	g_assert_true(req.has_id);
	g_assert_true(sb_rpc_id_is(req.id, 7));
	g_assert_null(req.params);
	sb_rpc_request_clear(&req);

	g_assert_cmpint(parse(" " V2 "\"id\":\"abc\",\"method\":\"connections.close\","
	    "\"params\":{\"id\":3}} \r", &req), ==, SB_RPC_PARSE_OK);
	g_assert_cmpstr(json_object_get_string(req.id), ==, "abc");
	g_assert_true(json_object_is_type(req.params, json_type_object));
	sb_rpc_request_clear(&req);

	/* a notification: no id at all */
	g_assert_cmpint(parse(V2 "\"method\":\"x\",\"params\":[1]}", &req), ==,
	    SB_RPC_PARSE_OK);
	g_assert_false(req.has_id);
	g_assert_true(json_object_is_type(req.params, json_type_array));
	sb_rpc_request_clear(&req);

	/* "id": null is a request whose answer carries null */
	g_assert_cmpint(parse(V2 "\"method\":\"x\",\"id\":null}", &req), ==,
	    SB_RPC_PARSE_OK);
	g_assert_true(req.has_id);
	g_assert_null(req.id);
	sb_rpc_request_clear(&req);
}

static void
test_parse_request_errors(void)
{
	static const struct {
		const char *line;
		enum sb_rpc_parse want;
		bool has_id; /* and then the id is 5 */
	} cases[] = {
		{ "", SB_RPC_PARSE_ERROR, false },
		{ "{", SB_RPC_PARSE_ERROR, false },
		{ V2 "\"method\":\"x\",\"id\":5} trailing", SB_RPC_PARSE_ERROR, false },
		{ V2 "\"method\":\"x\",\"id\":5}{}", SB_RPC_PARSE_ERROR, false },
		{ "{'jsonrpc':'2.0'}", SB_RPC_PARSE_ERROR, false },
		{ V2 "\"method\":\"\xc3\x28\",\"id\":5}", SB_RPC_PARSE_ERROR, false },
		{ "[]", SB_RPC_PARSE_INVALID_REQUEST, false },
		{ "42", SB_RPC_PARSE_INVALID_REQUEST, false },
		{ "\"s\"", SB_RPC_PARSE_INVALID_REQUEST, false },
		{ "{\"method\":\"x\",\"id\":5}", SB_RPC_PARSE_INVALID_REQUEST, true },
		{ "{\"jsonrpc\":\"1.0\",\"method\":\"x\",\"id\":5}", SB_RPC_PARSE_INVALID_REQUEST,
		  true },
		{ "{\"jsonrpc\":2.0,\"method\":\"x\",\"id\":5}", SB_RPC_PARSE_INVALID_REQUEST,
		  true },
		{ V2 "\"id\":5}", SB_RPC_PARSE_INVALID_REQUEST, true },
		{ V2 "\"method\":1,\"id\":5}", SB_RPC_PARSE_INVALID_REQUEST, true },
		{ V2 "\"method\":\"a\\u0000b\",\"id\":5}",
		  SB_RPC_PARSE_INVALID_REQUEST, true },
		{ V2 "\"method\":\"x\",\"params\":3,\"id\":5}",
		  SB_RPC_PARSE_INVALID_REQUEST, true },
		{ V2 "\"method\":\"x\",\"params\":null,\"id\":5}",
		  SB_RPC_PARSE_INVALID_REQUEST, true },
		{ V2 "\"method\":\"x\",\"id\":true}", SB_RPC_PARSE_INVALID_REQUEST, false },
		{ V2 "\"method\":\"x\",\"id\":{}}", SB_RPC_PARSE_INVALID_REQUEST, false },
		{ V2 "\"method\":\"x\",\"id\":[5]}", SB_RPC_PARSE_INVALID_REQUEST, false },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct sb_rpc_request req;

		g_test_message("case %zu", i);
		g_assert_cmpint(parse(cases[i].line, &req), ==, cases[i].want);
		g_assert_cmpint(req.has_id, ==, cases[i].has_id);
		if (cases[i].has_id)
			g_assert_true(sb_rpc_id_is(req.id, 5));
		sb_rpc_request_clear(&req);
	}
	g_assert_cmpint(sb_rpc_parse_error_code(SB_RPC_PARSE_ERROR), ==, -32700);
	g_assert_cmpint(sb_rpc_parse_error_code(SB_RPC_PARSE_INVALID_REQUEST), ==, -32600);
	g_assert_cmpint(sb_rpc_parse_error_code(SB_RPC_PARSE_OK), ==, 0);
}

static void
test_parse_request_nul(void)
{
	static const char line[] = V2 "\"method\":\"x\"}\0{}";
	struct sb_rpc_request req;

	g_assert_cmpint(sb_rpc_parse_request(line, sizeof line - 1, &req), ==, SB_RPC_PARSE_ERROR);
	sb_rpc_request_clear(&req);
}

static void
test_builders(void)
{
	json_object *id = json_object_new_int(9);
	json_object *sid = json_object_new_string("q\n\"1\"");
	json_object *result = json_object_new_object();
	json_object *data = json_object_new_object();
	char *line;

	json_object_object_add(result, "path", json_object_new_string("/run/a b/c"));
	line = sb_rpc_result(id, result);
	g_assert_cmpstr(line, ==,
	    V2 "\"id\":9,\"result\":{\"path\":\"/run/a b/c\"}}\n");
	free(line);

	line = sb_rpc_result(NULL, NULL);
	g_assert_cmpstr(line, ==, V2 "\"id\":null,\"result\":null}\n");
	free(line);

	/* a newline inside a value never ends the line early */
	line = sb_rpc_error(sid, SB_ERR_METHOD_NOT_FOUND, NULL, NULL);
	g_assert_cmpstr(line, ==, V2 "\"id\":\"q\\n\\\"1\\\"\",\"error\":"
	    "{\"code\":-32601,\"message\":\"Method not found\"}}\n");
	free(line);

	json_object_object_add(data, "revision", json_object_new_int(4));
	line = sb_rpc_error(id, SB_ERR_STALE_REVISION, "stale", data);
	g_assert_cmpstr(line, ==, V2 "\"id\":9,\"error\":"
	    "{\"code\":-32001,\"message\":\"stale\",\"data\":{\"revision\":4}}}\n");
	free(line);

	line = sb_rpc_notification("event", data);
	g_assert_cmpstr(line, ==,
	    V2 "\"method\":\"event\",\"params\":{\"revision\":4}}\n");
	free(line);
	line = sb_rpc_notification("ping", NULL);
	g_assert_cmpstr(line, ==, V2 "\"method\":\"ping\"}\n");
	free(line);

	line = sb_rpc_request_line(12, "policy.get", NULL);
	g_assert_cmpstr(line, ==, V2 "\"id\":12,\"method\":\"policy.get\"}\n");
	free(line);
	line = sb_rpc_request_line(13, "connections.close", data);
	g_assert_cmpstr(line, ==, V2 "\"id\":13,\"method\":\"connections.close\","
	    "\"params\":{\"revision\":4}}\n");
	free(line);

	/* the builders borrowed: every object still has exactly our reference */
	g_assert_cmpint(json_object_put(id), ==, 1);
	g_assert_cmpint(json_object_put(sid), ==, 1);
	g_assert_cmpint(json_object_put(result), ==, 1);
	g_assert_cmpint(json_object_put(data), ==, 1);
}

static enum sb_rpc_response_kind
parse_resp(const char *line, struct sb_rpc_response *resp)
{
	return sb_rpc_parse_response(line, strlen(line), resp);
}

static void
test_parse_response(void)
{
	struct sb_rpc_response resp;

	g_assert_cmpint(parse_resp(V2 "\"id\":3,\"result\":{\"revision\":2}}", &resp),
	    ==, SB_RPC_RESPONSE_RESULT);
	g_assert_true(sb_rpc_id_is(resp.id, 3));
	g_assert_false(sb_rpc_id_is(resp.id, 4));
	g_assert_cmpint(json_object_get_int(json_object_object_get(resp.result, "revision")), ==,
	    2);
	sb_rpc_response_clear(&resp);

	g_assert_cmpint(parse_resp(V2 "\"id\":3,\"error\":{\"code\":-32000,"
	    "\"message\":\"invalid policy\",\"data\":{\"errors\":[]}}}", &resp), ==,
	    SB_RPC_RESPONSE_ERROR);
	g_assert_cmpint(resp.code, ==, SB_ERR_POLICY_INVALID);
	g_assert_cmpstr(resp.message, ==, "invalid policy");
	g_assert_nonnull(json_object_object_get(resp.data, "errors"));
	sb_rpc_response_clear(&resp);

	g_assert_cmpint(parse_resp(V2 "\"method\":\"event\","
	    "\"params\":{\"type\":\"policy.applied\"}}", &resp), ==, SB_RPC_RESPONSE_NOTIFICATION);
	g_assert_cmpstr(resp.method, ==, "event");
	g_assert_nonnull(resp.params);
	sb_rpc_response_clear(&resp);

	/* an error to an unparseable request has id null */
	g_assert_cmpint(parse_resp(V2 "\"id\":null,\"error\":{\"code\":-32700,"
	    "\"message\":\"Parse error\"}}", &resp), ==, SB_RPC_RESPONSE_ERROR);
	g_assert_null(resp.id);
	g_assert_null(resp.data);
	sb_rpc_response_clear(&resp);

	static const char *const invalid[] = {
		"",
		"nope",
		"[]",
		"{\"id\":1,\"result\":1}",
		V2 "\"id\":1}",
		V2 "\"id\":1,\"result\":1,\"error\":{\"code\":1,\"message\":\"m\"}}",
		V2 "\"id\":1,\"error\":{\"code\":\"x\",\"message\":\"m\"}}",
		V2 "\"id\":1,\"error\":{\"code\":1}}",
		V2 "\"id\":1,\"error\":{\"code\":99999999999,\"message\":\"m\"}}",
		V2 "\"id\":1,\"error\":\"bad\"}",
		V2 "\"id\":[],\"result\":1}",
		V2 "\"params\":{}}",
		V2 "\"method\":\"event\",\"params\":1}",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(invalid); i++) {
		g_test_message("invalid %zu: %s", i, invalid[i]);
		g_assert_cmpint(parse_resp(invalid[i], &resp), ==, SB_RPC_RESPONSE_INVALID);
		sb_rpc_response_clear(&resp);
	}
}

/* What a server builds from any request parses back as the matching response. */
static void
test_round_trip(void)
{
	struct sb_rpc_request req;
	struct sb_rpc_response resp;
	char *line = sb_rpc_request_line(41, "policy.apply", NULL);
	char *answer;

	g_assert_cmpint(sb_rpc_parse_request(line, strlen(line) - 1, &req), ==, SB_RPC_PARSE_OK);
	g_assert_cmpstr(req.method, ==, "policy.apply");
	answer = sb_rpc_error(req.id, SB_ERR_STALE_REVISION, NULL, NULL);
	g_assert_cmpint(sb_rpc_parse_response(answer, strlen(answer) - 1, &resp), ==,
	    SB_RPC_RESPONSE_ERROR);
	g_assert_true(sb_rpc_id_is(resp.id, 41));
	g_assert_cmpint(resp.code, ==, SB_ERR_STALE_REVISION);
	sb_rpc_response_clear(&resp);
	sb_rpc_request_clear(&req);
	free(answer);
	free(line);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/rpc/line-reader", test_line_reader);
	g_test_add_func("/rpc/line-reader-pending", test_line_reader_pending);
	g_test_add_func("/rpc/utf8", test_utf8);
	g_test_add_func("/rpc/parse-request-ok", test_parse_request_ok);
	g_test_add_func("/rpc/parse-request-errors", test_parse_request_errors);
	g_test_add_func("/rpc/parse-request-nul", test_parse_request_nul);
	g_test_add_func("/rpc/builders", test_builders);
	g_test_add_func("/rpc/parse-response", test_parse_response);
	g_test_add_func("/rpc/round-trip", test_round_trip);
	return g_test_run();
}
