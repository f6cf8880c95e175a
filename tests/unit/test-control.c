/* test-control.c - the control protocol's name tables, default socket path and time stamps */
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sb-control.h"

static void
test_methods(void)
{
	static const char *const names[] = {
		"status", "connections.list", "connections.close", "connections.get", "policy.get",
		"policy.validate", "policy.apply", "events.subscribe", "backends.list",
		"backends.set", "daemon.takeover", "daemon.drain",
	};
	enum sb_control_method m;

	g_assert_cmpuint(G_N_ELEMENTS(names), ==, SB_METHOD_COUNT);
	for (int i = 0; i < SB_METHOD_COUNT; i++) {
		g_assert_cmpstr(sb_control_method_name((enum sb_control_method)i), ==, names[i]);
		g_assert_true(sb_control_method_lookup(names[i], &m));
		g_assert_cmpint(m, ==, i);
	}
	g_assert_null(sb_control_method_name(SB_METHOD_COUNT));
	g_assert_false(sb_control_method_lookup("Status", &m));
	g_assert_false(sb_control_method_lookup("", &m));
}

static void
test_events(void)
{
	static const char *const names[] = {
		"connection.opened", "connection.updated", "connection.closed",
		"upgrade.rejected", "policy.applied", "backend.state", "subscription.dropped",
	};
	enum sb_control_event e;

	g_assert_cmpuint(G_N_ELEMENTS(names), ==, SB_EVENT_COUNT);
	for (int i = 0; i < SB_EVENT_COUNT; i++) {
		g_assert_cmpstr(sb_control_event_name((enum sb_control_event)i), ==, names[i]);
		g_assert_true(sb_control_event_lookup(names[i], &e));
		g_assert_cmpint(e, ==, i);
	}
	g_assert_null(sb_control_event_name((enum sb_control_event)-1));
	g_assert_false(sb_control_event_lookup("connection", &e));
}

static void
test_errors(void)
{
	g_assert_cmpint(SB_ERR_PARSE, ==, -32700);
	g_assert_cmpint(SB_ERR_INVALID_REQUEST, ==, -32600);
	g_assert_cmpint(SB_ERR_METHOD_NOT_FOUND, ==, -32601);
	g_assert_cmpint(SB_ERR_INVALID_PARAMS, ==, -32602);
	g_assert_cmpint(SB_ERR_INTERNAL, ==, -32603);
	g_assert_cmpint(SB_ERR_POLICY_INVALID, ==, -32000);
	g_assert_cmpint(SB_ERR_STALE_REVISION, ==, -32001);
	g_assert_cmpint(SB_ERR_NO_SUCH_CONNECTION, ==, -32002);
	g_assert_cmpint(SB_ERR_POLICY_WRITE, ==, -32003);
	g_assert_cmpstr(sb_control_error_message(SB_ERR_PARSE), ==, "Parse error");
	g_assert_cmpstr(sb_control_error_message(SB_ERR_NO_SUCH_CONNECTION), ==,
	    "no such connection");
	g_assert_cmpstr(sb_control_error_message(-32050), ==, "Server error");
	g_assert_cmpstr(sb_control_error_message(7), ==, "error");
}

static void
check_socket(const char *want)
{
	char *path = sb_control_default_socket();

	g_assert_cmpstr(path, ==, want);
	free(path);
}

static void
test_default_socket(void)
{
	char *tmp;

	g_setenv("SWITCHBOARD_CONTROL", "/x/y.sock", TRUE);
	check_socket("/x/y.sock");
	g_setenv("SWITCHBOARD_CONTROL", "", TRUE);
	if (getuid() == 0) {
		check_socket("/run/switchboard/control.sock");
		return;
	}
	g_setenv("XDG_RUNTIME_DIR", "/run/user/77", TRUE);
	check_socket("/run/user/77/switchboard/control.sock");
	g_unsetenv("XDG_RUNTIME_DIR");
	tmp = g_strdup_printf("/tmp/switchboard-%u/control.sock", (unsigned)getuid());
	check_socket(tmp);
	g_free(tmp);
}

/* The uid 0 rule, in a child that drops to another uid when it can. */
static void
test_default_socket_other_uid(void)
{
	if (getuid() != 0) {
		g_test_skip("checked directly when not root");
		return;
	}
	if (g_test_subprocess()) {
		g_assert_cmpint(setuid(65534), ==, 0);
		g_unsetenv("SWITCHBOARD_CONTROL");
		g_setenv("XDG_RUNTIME_DIR", "/run/user/65534", TRUE);
		check_socket("/run/user/65534/switchboard/control.sock");
		g_unsetenv("XDG_RUNTIME_DIR");
		check_socket("/tmp/switchboard-65534/control.sock");
		exit(0);
	}
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_passed();
}

static void
test_time_format(void)
{
	static const struct {
		int64_t ms;
		const char *text;
	} cases[] = {
		{ 0, "1970-01-01T00:00:00.000Z" },
		{ 1, "1970-01-01T00:00:00.001Z" },
		{ -1, "1969-12-31T23:59:59.999Z" },
		{ 951782400000, "2000-02-29T00:00:00.000Z" },
		{ 1714566896789, "2024-05-01T12:34:56.789Z" },
		{ 253402300799999, "9999-12-31T23:59:59.999Z" },
		{ -62135596800000, "0001-01-01T00:00:00.000Z" },
	};
	char out[SB_TIME_RFC3339_MAX];
	int64_t ms;

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		sb_time_rfc3339(cases[i].ms, out);
		g_assert_cmpstr(out, ==, cases[i].text);
		g_assert_cmpint(sb_time_parse_rfc3339(cases[i].text, &ms), ==, 0);
		g_assert_cmpint(ms, ==, cases[i].ms);
	}
	/* the extremes fit the buffer */
	sb_time_rfc3339(INT64_MIN, out);
	g_assert_cmpuint(strlen(out), <, sizeof out);
	g_assert_cmpstr(out + strlen(out) - 1, ==, "Z");
	sb_time_rfc3339(INT64_MAX, out);
	g_assert_cmpuint(strlen(out), <, sizeof out);
}

static void
test_time_parse(void)
{
	static const char *const bad[] = {
		"", "2024-05-01", "2024-05-01T12:34:56", "2024-05-01T12:34:56.Z",
		"2024-13-01T00:00:00Z", "2023-02-29T00:00:00Z", "2024-05-01T24:00:00Z",
		"2024-05-01T12:60:00Z", "2024-05-01T12:34:56Zx", "2024-05-01T12:34:56+0100",
		"24-05-01T12:34:56Z", "2024-05-01X12:34:56Z",
	};
	int64_t ms;

	g_assert_cmpint(sb_time_parse_rfc3339("2024-05-01T14:34:56.789123+02:00", &ms), ==, 0);
	g_assert_cmpint(ms, ==, 1714566896789);
	g_assert_cmpint(sb_time_parse_rfc3339("2024-05-01t07:04:56.7-05:30", &ms), ==, 0);
	g_assert_cmpint(ms, ==, 1714566896700);
	g_assert_cmpint(sb_time_parse_rfc3339("2024-02-29 00:00:00z", &ms), ==, 0);
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_test_message("bad: %s", bad[i]);
		g_assert_cmpint(sb_time_parse_rfc3339(bad[i], &ms), ==, -1);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/control/methods", test_methods);
	g_test_add_func("/control/events", test_events);
	g_test_add_func("/control/errors", test_errors);
	g_test_add_func("/control/default-socket", test_default_socket);
	g_test_add_func("/control/default-socket-other-uid", test_default_socket_other_uid);
	g_test_add_func("/control/time-format", test_time_format);
	g_test_add_func("/control/time-parse", test_time_parse);
	return g_test_run();
}
