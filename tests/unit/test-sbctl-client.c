/* test-sbctl-client.c - the control socket client against a scripted server on a UNIX socket */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sbctl-client.h"

/*
 * The server reads one request, then writes each line of its script with
 * "@ID" replaced by the request's id, then closes the connection or waits
 * for the client to close it.
 */
struct server {
	char *dir;
	char *path;
	int listen_fd;
	const char *const *script;
	bool close_after;
	char *request; /* the line it read */
	GThread *thread;
};

static char *
replace_id(const char *line, const char *id)
{
	GString *s = g_string_new(line);

	g_string_replace(s, "@ID", id, 0);
	return g_string_free(s, FALSE);
}

static gpointer
serve(gpointer data)
{
	struct server *srv = data;
	int fd = accept(srv->listen_fd, NULL, NULL);
	GString *req = g_string_new(NULL);
	struct sb_rpc_request parsed;
	char c, *id;

	g_assert_cmpint(fd, >=, 0);
	while (read(fd, &c, 1) == 1 && c != '\n')
		g_string_append_c(req, c);
	g_assert_cmpint(sb_rpc_parse_request(req->str, req->len, &parsed), ==, SB_RPC_PARSE_OK);
	id = g_strdup(json_object_to_json_string(parsed.id));
	for (const char *const *l = srv->script; *l != NULL; l++) {
		char *line = replace_id(*l, id);

		g_assert_cmpint(write(fd, line, strlen(line)), ==, (ssize_t)strlen(line));
		g_free(line);
	}
	if (!srv->close_after) {
		while (read(fd, &c, 1) == 1)
			;
	}
	close(fd);
	sb_rpc_request_clear(&parsed);
	g_free(id);
	srv->request = g_string_free(req, FALSE);
	return NULL;
}

static void
server_start(struct server *srv, const char *const *script, bool close_after)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	srv->dir = g_dir_make_tmp("sbctl-client-XXXXXX", NULL);
	g_assert_nonnull(srv->dir);
	srv->path = g_build_filename(srv->dir, "control.sock", NULL);
	g_strlcpy(sa.sun_path, srv->path, sizeof sa.sun_path);
	srv->listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
	g_assert_cmpint(bind(srv->listen_fd, (struct sockaddr *)&sa, sizeof sa), ==, 0);
	g_assert_cmpint(listen(srv->listen_fd, 1), ==, 0);
	srv->script = script;
	srv->close_after = close_after;
	srv->request = NULL;
	srv->thread = g_thread_new("server", serve, srv);
}

/* Waits for the server to finish; srv->request is then the caller's to free. */
static void
server_stop(struct server *srv)
{
	g_thread_join(srv->thread);
	close(srv->listen_fd);
	g_unlink(srv->path);
	g_rmdir(srv->dir);
	g_free(srv->path);
	g_free(srv->dir);
}

static struct sbctl_client *
connect_ok(struct server *srv)
{
	char *err = NULL;
	struct sbctl_client *c = sbctl_client_connect(srv->path, &err);

	g_assert_null(err);
	g_assert_nonnull(c);
	return c;
}

static void
test_call_and_events(void)
{
	static const char *const script[] = {
		"{\"jsonrpc\":\"2.0\",\"method\":\"event\",\"params\":{\"type\":\"first\"}}\n",
		"{\"jsonrpc\":\"2.0\",\"id\":@ID,\"result\":{\"ok\":1}}\n"
		"{\"jsonrpc\":\"2.0\",\"method\":\"event\",\"params\":{\"type\":\"sec",
		"ond\"}}\n",
		NULL,
	};
	struct server srv;
	struct sbctl_client *c;
	struct sb_rpc_response r;
	json_object *params = json_object_new_object();
	char *err = NULL;

	server_start(&srv, script, true);
	c = connect_ok(&srv);
	json_object_object_add(params, "id", json_object_new_int(4));
	g_assert_cmpint(sbctl_client_call(c, "connections.close", params, 5000, &r, &err), ==,
	    SBCTL_IO_OK);
	g_assert_nonnull(r.result);
	g_assert_null(r.message);
	g_assert_cmpint(json_object_get_int(json_object_object_get(r.result, "ok")), ==, 1);
	sb_rpc_response_clear(&r);

	/* the notification that came before the answer was kept, in order */
	g_assert_cmpint(sbctl_client_next_event(c, 5000, &r, &err), ==, SBCTL_IO_OK);
	g_assert_cmpstr(json_object_get_string(json_object_object_get(r.params, "type")), ==,
	    "first");
	sb_rpc_response_clear(&r);
	g_assert_cmpint(sbctl_client_next_event(c, 5000, &r, &err), ==, SBCTL_IO_OK);
	g_assert_cmpstr(json_object_get_string(json_object_object_get(r.params, "type")), ==,
	    "second");
	sb_rpc_response_clear(&r);
	g_assert_cmpint(sbctl_client_next_event(c, 5000, &r, &err), ==, SBCTL_IO_CLOSED);
	sb_rpc_response_clear(&r);
	sbctl_client_free(c);
	server_stop(&srv);
	g_assert_nonnull(strstr(srv.request, "\"params\":{\"id\":4}"));
	g_free(srv.request);
	json_object_put(params);
}

static void
test_error_answer(void)
{
	static const char *const script[] = {
		"{\"jsonrpc\":\"2.0\",\"id\":@ID,\"error\":{\"code\":-32002,"
		"\"message\":\"no such connection: 9\"}}\n",
		NULL,
	};
	struct server srv;
	struct sbctl_client *c;
	struct sb_rpc_response r;
	char *err = NULL;

	server_start(&srv, script, false);
	c = connect_ok(&srv);
	g_assert_cmpint(sbctl_client_call(c, "status", NULL, 5000, &r, &err), ==, SBCTL_IO_OK);
	g_assert_null(r.result);
	g_assert_cmpint(r.code, ==, -32002);
	g_assert_cmpstr(r.message, ==, "no such connection: 9");
	sb_rpc_response_clear(&r);
	sbctl_client_free(c);
	server_stop(&srv);
	g_free(srv.request);
}

static void
test_request_line(void)
{
	static const char *const script[] = { "{\"jsonrpc\":\"2.0\",\"id\":@ID,\"result\":{}}\n",
		NULL };
	struct server srv;
	struct sbctl_client *c;
	struct sb_rpc_response r;
	char *err = NULL;

	server_start(&srv, script, false);
	c = connect_ok(&srv);
	g_assert_cmpint(sbctl_client_call(c, "policy.get", NULL, 5000, &r, &err), ==,
	    SBCTL_IO_OK);
	sb_rpc_response_clear(&r);
	sbctl_client_free(c);
	server_stop(&srv);
	g_assert_cmpstr(srv.request, ==,
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"policy.get\"}");
	g_free(srv.request);
}

static void
test_failures(void)
{
	static const char *const foreign[] = {
		"{\"jsonrpc\":\"2.0\",\"id\":777,\"result\":{}}\n", NULL };
	static const char *const garbage[] = { "hello\n", NULL };
	static const char *const silent[] = { NULL };
	static const char *const closing[] = {
		"{\"jsonrpc\":\"2.0\",\"method\":\"event\"}\n", NULL };
	static const struct {
		const char *const *script;
		bool close_after;
		int timeout_ms;
		enum sbctl_io want;
	} cases[] = {
		{ foreign, false, 5000, SBCTL_IO_ERROR },
		{ garbage, false, 5000, SBCTL_IO_ERROR },
		{ silent, false, 100, SBCTL_IO_TIMEOUT },
		{ closing, true, 5000, SBCTL_IO_CLOSED },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct server srv;
		struct sbctl_client *c;
		struct sb_rpc_response r;
		char *err = NULL;

		g_test_message("case %zu", i);
		server_start(&srv, cases[i].script, cases[i].close_after);
		c = connect_ok(&srv);
		g_assert_cmpint(sbctl_client_call(c, "status", NULL, cases[i].timeout_ms, &r, &err),
		    ==, cases[i].want);
		g_assert_null(r.doc);
		g_assert_true((err != NULL) == (cases[i].want == SBCTL_IO_ERROR));
		free(err);
		sbctl_client_free(c);
		server_stop(&srv);
		g_free(srv.request);
	}
}

static void
test_no_daemon(void)
{
	char *err = NULL;

	g_assert_null(sbctl_client_connect("/nonexistent/switchboard/control.sock", &err));
	g_assert_nonnull(strstr(err, "cannot reach the daemon at /nonexistent"));
	free(err);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sbctl-client/call-and-events", test_call_and_events);
	g_test_add_func("/sbctl-client/error-answer", test_error_answer);
	g_test_add_func("/sbctl-client/request-line", test_request_line);
	g_test_add_func("/sbctl-client/failures", test_failures);
	g_test_add_func("/sbctl-client/no-daemon", test_no_daemon);
	return g_test_run();
}
