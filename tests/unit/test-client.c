/* test-client.c - the app's control client against a scripted in-process daemon */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-c/json.h>

#include "sb-control.h"
#include "swb-client.h"
#include "swb-test.h"

#define WAIT_MS 5000

typedef struct {
	SwbTestDaemon *daemon;
	SwbClient *client;
	guint ready;
	guint events;
	char *last_event;
	json_object *answer;
	json_object *error_data;
	GError *error;
	gboolean answered;
} Fixture;

/* status and policy.apply have answers; anything else is never answered. */
static char *
answer(const char *method, json_object *params, gpointer data)
{
	if (g_str_equal(method, "status"))
		return g_strdup("\"result\": {\"version\": \"9.9\"}");
	if (g_str_equal(method, "policy.apply"))
		return g_strdup("\"error\": {\"code\": -32001, \"message\": \"stale revision\","
		    " \"data\": {\"revision\": 9}}");
	return NULL;
}

static gboolean
is_connected(gpointer data)
{
	Fixture *f = data;

	return swb_client_get_connected(f->client);
}

static gboolean
is_disconnected(gpointer data)
{
	Fixture *f = data;

	return !swb_client_get_connected(f->client);
}

static gboolean
is_answered(gpointer data)
{
	Fixture *f = data;

	return f->answered;
}

static void
on_ready(SwbClient *client, Fixture *f)
{
	f->ready++;
}

static void
on_event(SwbClient *client, const char *type, json_object *params, Fixture *f)
{
	g_free(f->last_event);
	f->last_event = g_strdup(type);
	f->events++;
}

static void
on_answer(GObject *source, GAsyncResult *result, gpointer data)
{
	Fixture *f = data;

	g_clear_error(&f->error);
	g_clear_pointer(&f->answer, json_object_put);
	g_clear_pointer(&f->error_data, json_object_put);
	f->answer = swb_client_call_finish(SWB_CLIENT(source), result, &f->error_data,
	    &f->error);
	f->answered = TRUE;
}

static void
call(Fixture *f, const char *method)
{
	f->answered = FALSE;
	swb_client_call_async(f->client, method, NULL, NULL, on_answer, f);
	g_assert_true(swb_test_wait_for(is_answered, f, WAIT_MS));
}

static void
setup(Fixture *f, gconstpointer data)
{
	f->daemon = swb_test_daemon_new(answer, f);
	f->client = swb_client_new(swb_test_daemon_get_path(f->daemon));
	g_signal_connect(f->client, "ready", G_CALLBACK(on_ready), f);
	g_signal_connect(f->client, "event::connection.opened", G_CALLBACK(on_event), f);
}

static void
teardown(Fixture *f, gconstpointer data)
{
	swb_client_stop(f->client);
	g_assert_finalize_object(f->client);
	swb_test_daemon_free(f->daemon);
	g_free(f->last_event);
	g_clear_pointer(&f->answer, json_object_put);
	g_clear_pointer(&f->error_data, json_object_put);
	g_clear_error(&f->error);
}

static void
test_calls(Fixture *f, gconstpointer data)
{
	json_object *v = NULL;

	call(f, "status");
	g_assert_error(f->error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED);
	swb_client_start(f->client);
	g_assert_true(swb_test_wait_for(is_connected, f, WAIT_MS));
	g_assert_cmpuint(f->ready, ==, 1);
	g_assert_cmpuint(swb_test_daemon_get_subscribes(f->daemon), ==, 1);
	g_assert_null(swb_client_get_error(f->client));

	call(f, "status");
	g_assert_no_error(f->error);
	g_assert_true(json_object_object_get_ex(f->answer, "version", &v));
	g_assert_cmpstr(json_object_get_string(v), ==, "9.9");

	/* a JSON-RPC error keeps its code and its data */
	call(f, "policy.apply");
	g_assert_error(f->error, SWB_CLIENT_ERROR, SB_ERR_STALE_REVISION);
	g_assert_true(json_object_object_get_ex(f->error_data, "revision", &v));
	g_assert_cmpint(json_object_get_int(v), ==, 9);
}

static gboolean
ready_twice(gpointer data)
{
	Fixture *f = data;

	return f->ready >= 2 && swb_client_get_connected(f->client);
}

static void
test_events(Fixture *f, gconstpointer data)
{
	swb_client_start(f->client);
	g_assert_true(swb_test_wait_for(is_connected, f, WAIT_MS));
	/* junk and foreign notifications are ignored */
	swb_test_daemon_send(f->daemon, "not json at all");
	swb_test_daemon_send(f->daemon,
	    "{\"jsonrpc\": \"2.0\", \"method\": \"other\", \"params\": {}}");
	swb_test_daemon_send_event(f->daemon, "connection.opened", "\"id\": 1");
	call(f, "status");
	g_assert_cmpuint(f->events, ==, 1);
	g_assert_cmpstr(f->last_event, ==, "connection.opened");

	/* a dropped subscription: subscribe again, and say "ready" again */
	swb_test_daemon_send_event(f->daemon, "subscription.dropped", NULL);
	g_assert_true(swb_test_wait_for(ready_twice, f, WAIT_MS));
	g_assert_cmpuint(swb_test_daemon_get_subscribes(f->daemon), ==, 2);
	g_assert_true(swb_client_get_connected(f->client));
}

/* The daemon goes away with a call in flight, then comes back. */
static void
test_reconnect(Fixture *f, gconstpointer data)
{
	swb_client_start(f->client);
	g_assert_true(swb_test_wait_for(is_connected, f, WAIT_MS));
	f->answered = FALSE;
	swb_client_call_async(f->client, "never.answered", NULL, NULL, on_answer, f);
	swb_test_daemon_stop(f->daemon);
	g_assert_true(swb_test_wait_for(is_disconnected, f, WAIT_MS));
	g_assert_true(swb_test_wait_for(is_answered, f, WAIT_MS));
	g_assert_error(f->error, G_IO_ERROR, G_IO_ERROR_CLOSED);
	g_assert_nonnull(swb_client_get_error(f->client));
	g_assert_cmpint(swb_client_get_retry_at(f->client), >, 0);
	swb_test_daemon_start(f->daemon);
	g_assert_true(swb_test_wait_for(ready_twice, f, WAIT_MS));
	g_assert_null(swb_client_get_error(f->client));
}

static void
test_no_daemon(Fixture *f, gconstpointer data)
{
	swb_test_daemon_stop(f->daemon);
	swb_client_start(f->client);
	g_assert_true(swb_test_wait_for(is_disconnected, f, WAIT_MS));
	while (swb_client_get_error(f->client) == NULL)
		g_main_context_iteration(NULL, TRUE);
	g_assert_cmpint(swb_client_get_retry_at(f->client), >, 0);
	swb_client_stop(f->client);
	g_assert_cmpint(swb_client_get_retry_at(f->client), ==, 0);
	g_assert_false(swb_client_get_connected(f->client));
}

/* An executable script in a fresh folder (removed at the end of the test). */
static char *
write_script(const char *body)
{
	g_autofree char *dir = g_dir_make_tmp("swb-ssh-XXXXXX", NULL);
	char *path = g_build_filename(dir, "ssh", NULL);

	g_assert_nonnull(dir);
	g_assert_true(g_file_set_contents(path, body, -1, NULL));
	g_assert_cmpint(g_chmod(path, 0755), ==, 0);
	return path;
}

static void
remove_script(char *path)
{
	g_autofree char *dir = g_path_get_dirname(path);

	g_remove(path);
	g_rmdir(dir);
	g_free(path);
}

static gboolean
has_error(gpointer data)
{
	Fixture *f = data;

	return swb_client_get_error(f->client) != NULL;
}

/*
 * ssh://: an "ssh" that runs the remote command here (switchboardctl relay
 * --socket 'PATH', as the real one would on the far side) carries the calls.
 */
static void
test_ssh(Fixture *f, gconstpointer data)
{
	const char *build = g_getenv("SB_BUILD_ROOT");
	g_autofree char *body = NULL, *url = NULL, *log = NULL;
	char *script;

	if (build == NULL) {
		g_test_skip("SB_BUILD_ROOT is not set: no switchboardctl to relay with");
		return;
	}
	log = g_strdup_printf("%s.args", swb_test_daemon_get_path(f->daemon));
	body = g_strdup_printf("#!/bin/sh\nprintf '%%s\\n' \"$@\" > '%s'\n"
	    "for last; do :; done\nPATH='%s/daemon':$PATH\neval \"exec $last\"\n", log, build);
	script = write_script(body);
	g_setenv("SWITCHBOARD_SSH", script, TRUE);
	g_clear_object(&f->client);
	url = g_strdup_printf("ssh://someone@example.org:2222%s",
	    swb_test_daemon_get_path(f->daemon));
	f->client = swb_client_new(url);
	g_signal_connect(f->client, "ready", G_CALLBACK(on_ready), f);
	swb_client_start(f->client);
	g_assert_true(swb_test_wait_for(is_connected, f, WAIT_MS));
	call(f, "status");
	g_assert_no_error(f->error);
	g_assert_nonnull(f->answer);
	{
		g_autofree char *args = NULL;

		g_assert_true(g_file_get_contents(log, &args, NULL, NULL));
		g_assert_true(g_str_has_prefix(args, "-T\n-o\nBatchMode=yes\n"
		    "-o\nServerAliveInterval=5\n-o\nServerAliveCountMax=3\n-p\n2222\n--\n"
		    "someone@example.org\nswitchboardctl relay --socket '"));
		g_remove(log);
	}
	/* the daemon goes: ssh's relay ends, and the client says so and tries again */
	swb_test_daemon_stop(f->daemon);
	g_assert_true(swb_test_wait_for(is_disconnected, f, WAIT_MS));
	swb_test_daemon_start(f->daemon);
	g_assert_true(swb_test_wait_for(ready_twice, f, WAIT_MS * 2));
	g_unsetenv("SWITCHBOARD_SSH");
	remove_script(script);
}

/* ssh that fails: its own words are the error, and it is tried again. */
static void
test_ssh_refused(Fixture *f, gconstpointer data)
{
	char *script = write_script("#!/bin/sh\necho 'Warning: something' >&2\n"
	    "echo 'me@host: Permission denied (publickey).' >&2\nexit 255\n");

	g_setenv("SWITCHBOARD_SSH", script, TRUE);
	g_clear_object(&f->client);
	f->client = swb_client_new("ssh://me@host");
	swb_client_start(f->client);
	g_assert_true(swb_test_wait_for(has_error, f, WAIT_MS));
	g_assert_cmpstr(swb_client_get_error(f->client), ==,
	    "Warning: something\nme@host: Permission denied (publickey).");
	g_assert_false(swb_client_get_connected(f->client));
	g_assert_cmpint(swb_client_get_retry_at(f->client), >, 0);
	g_unsetenv("SWITCHBOARD_SSH");
	remove_script(script);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/client/calls", Fixture, NULL, setup, test_calls, teardown);
	g_test_add("/client/events", Fixture, NULL, setup, test_events, teardown);
	g_test_add("/client/reconnect", Fixture, NULL, setup, test_reconnect, teardown);
	g_test_add("/client/no-daemon", Fixture, NULL, setup, test_no_daemon, teardown);
	g_test_add("/client/ssh", Fixture, NULL, setup, test_ssh, teardown);
	g_test_add("/client/ssh-refused", Fixture, NULL, setup, test_ssh_refused, teardown);
	return g_test_run();
}
