/* test-sbctl-format.c - switchboardctl's units, tables, status, event and policy error lines */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sbctl-format.h"

/* Runs fn into a string. */
#define CAPTURE(var, call)                                      \
	do {                                                    \
		size_t capture_len_ = 0;                        \
		FILE *out = open_memstream(&(var), &capture_len_); \
		g_assert_nonnull(out);                          \
		call;                                           \
		fclose(out);                                    \
	} while (0)

static json_object *
parse(const char *text)
{
	json_object *v = json_tokener_parse(text);

	g_assert_nonnull(v);
	return v;
}

static void
test_bytes(void)
{
	static const struct {
		uint64_t n;
		const char *text;
	} cases[] = {
		{ 0, "0B" },
		{ 1023, "1023B" },
		{ 1024, "1.0KiB" },
		{ 1536, "1.5KiB" },
		{ 102297, "99.9KiB" },
		{ 102400, "100KiB" },
		{ 1047552, "1023KiB" },
		{ 1048063, "1023KiB" },
		{ 1048064, "1.0MiB" },  /* 1023.5 KiB moves up a unit, not to "1024KiB" */
		{ 5ull << 30, "5.0GiB" },
		{ UINT64_MAX, "16.0EiB" },
	};
	char out[SBCTL_BYTES_MAX];

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		sbctl_format_bytes(cases[i].n, out);
		g_assert_cmpstr(out, ==, cases[i].text);
	}
}

static void
test_duration(void)
{
	static const struct {
		int64_t s;
		const char *text;
	} cases[] = {
		{ -5, "0s" }, { 0, "0s" }, { 59, "59s" }, { 60, "1m00s" }, { 725, "12m05s" },
		{ 3600, "1h00m" }, { 11220, "3h07m" }, { 86399, "23h59m" }, { 86400, "1d00h" },
		{ 183600, "2d03h" },
	};
	char out[SBCTL_DURATION_MAX];

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		sbctl_format_duration(cases[i].s, out);
		g_assert_cmpstr(out, ==, cases[i].text);
	}
}

static void
test_printable(void)
{
	static const char input[] = "ok \x1b[31m\tcaf\xc3\xa9 \xc2\x9b \xff\x00z";
	char *p = sbctl_printable(input, sizeof input - 1);
	char *again = sbctl_printable(p, strlen(p));

	g_assert_cmpstr(p, ==, "ok \\x1b[31m\\x09caf\xc3\xa9 \\xc2\\x9b \\xff\\x00z");
	g_assert_cmpstr(again, ==, p);
	g_assert_cmpuint(sbctl_text_width("caf\xc3\xa9"), ==, 4);
	free(again);
	free(p);
}

static void
test_table(void)
{
	static const struct sbctl_column cols[] = {
		{ "ID", SBCTL_ALIGN_RIGHT, false },
		{ "NAME", SBCTL_ALIGN_LEFT, true },
		{ "NOTE", SBCTL_ALIGN_LEFT, true },
	};
	struct sbctl_table *t = sbctl_table_new(cols, G_N_ELEMENTS(cols));
	const char *r1[] = { "7", "a-rather-long-name", "x" };
	const char *r2[] = { "12", NULL, "caf\xc3\xa9 \x07" };
	char *text;

	sbctl_table_add(t, r1);
	sbctl_table_add(t, r2);
	g_assert_cmpuint(sbctl_table_rows(t), ==, 2);

	CAPTURE(text, sbctl_table_print(t, out, 200, true));
	g_assert_cmpstr(text, ==,
	    "ID  NAME                NOTE\n"
	    " 7  a-rather-long-name  x\n"
	    "12  -                   caf\xc3\xa9 \\x07\n");
	free(text);

	/* 24 columns: the widest shrinkable column gives way, cut with an ellipsis */
	CAPTURE(text, sbctl_table_print(t, out, 24, true));
	g_assert_cmpstr(text, ==,
	    "ID  NAME       NOTE\n"
	    " 7  a-rather\xe2\x80\xa6  x\n"
	    "12  -          caf\xc3\xa9 \\x07\n");
	free(text);

	/* 22: then both, one column at a time */
	CAPTURE(text, sbctl_table_print(t, out, 22, true));
	g_assert_cmpstr(text, ==,
	    "ID  NAME      NOTE\n"
	    " 7  a-rathe\xe2\x80\xa6  x\n"
	    "12  -         caf\xc3\xa9 \\x\xe2\x80\xa6\n");
	free(text);

	/* too narrow even at header widths: shrinks to them and overflows */
	CAPTURE(text, sbctl_table_print(t, out, 5, false));
	g_assert_cmpstr(text, ==,
	    "ID  NAME  NOTE\n"
	    " 7  a-r~  x\n"
	    "12  -     caf~\n");
	free(text);
	sbctl_table_free(t);
	sbctl_table_free(NULL);
}

/* Totals per identity: one entry each, byte order, those without an identity last. */
static void
test_by_identity(void)
{
	json_object *list = parse("[{\"id\":1,\"identity\":\"bob\",\"bytes_up\":10,"
	    "\"bytes_down\":20},{\"id\":2,\"bytes_up\":1,\"bytes_down\":2},"
	    "{\"id\":3,\"identity\":\"alice\",\"bytes_up\":1024,\"bytes_down\":3000},"
	    "{\"id\":4,\"identity\":\"bob\",\"bytes_up\":5,\"bytes_down\":7},"
	    "{\"id\":5,\"identity\":null}]");
	json_object *empty = parse("[]");
	json_object *by = sbctl_connections_by_identity(list);
	json_object *none = sbctl_connections_by_identity(empty);
	struct sbctl_view view = { 100, true, 0 };
	char *text;

	g_assert_cmpstr(json_object_to_json_string_ext(by, JSON_C_TO_STRING_PLAIN), ==,
	    "[{\"identity\":\"alice\",\"connections\":1,\"bytes_up\":1024,\"bytes_down\":3000},"
	    "{\"identity\":\"bob\",\"connections\":2,\"bytes_up\":15,\"bytes_down\":27},"
	    "{\"identity\":null,\"connections\":2,\"bytes_up\":1,\"bytes_down\":2}]");
	CAPTURE(text, sbctl_print_identities(out, by, &view));
	g_assert_cmpstr(text, ==,
	    "IDENTITY  CONNECTIONS      UP    DOWN\n"
	    "alice               1  1.0KiB  2.9KiB\n"
	    "bob                 2     15B     27B\n"
	    "-                   2      1B      2B\n");
	free(text);
	g_assert_cmpuint(json_object_array_length(none), ==, 0);
	CAPTURE(text, sbctl_print_identities(out, none, &view));
	g_assert_cmpstr(text, ==, "no live connections\n");
	free(text);
	json_object_put(by);
	json_object_put(none);
	json_object_put(list);
	json_object_put(empty);
}

static void
test_connections(void)
{
	json_object *list = parse("[{\"id\":3,\"route\":\"vnc\",\"identity\":\"alice\","
	    "\"mode\":\"websocket\","
	    "\"client\":\"[2001:db8::1]:50123\",\"backend\":\"127.0.0.1:5900\","
	    "\"started\":\"2024-05-01T12:00:00.000Z\",\"bytes_up\":1536,\"bytes_down\":5368709120,"
	    "\"state\":\"open\"},{\"id\":12,\"route\":\"echo\",\"mode\":\"tunnel\","
	    "\"client\":\"127.0.0.1:4000\",\"backend\":\"builtin:echo\","
	    "\"started\":\"2024-05-01T12:59:55.000Z\",\"bytes_up\":0,\"bytes_down\":0}]");
	json_object *empty = parse("[]");
	/* 2024-05-01T13:00:00Z */
	struct sbctl_view view = { 100, true, 1714568400000 };
	char *text, **lines;

	CAPTURE(text, sbctl_print_connections(out, list, &view));
	g_assert_cmpstr(text, ==,
	    "ID  ROUTE  IDENTITY  MODE       CLIENT               BACKEND           AGE      UP"
	    "    DOWN\n"
	    " 3  vnc    alice     websocket  [2001:db8::1]:50123  127.0.0.1:5900  1h00m  1.5KiB"
	    "  5.0GiB\n"
	    "12  echo   -         tunnel     127.0.0.1:4000       builtin:echo       5s      0B"
	    "      0B\n");
	free(text);

	/* 70 columns: CLIENT, the widest, gives way first, then BACKEND and CLIENT in turn */
	view.width = 70;
	CAPTURE(text, sbctl_print_connections(out, list, &view));
	g_assert_cmpstr(text, ==,
	    "ID  ROUTE  IDENTITY  MODE       CLIENT  BACKEND    AGE      UP    DOWN\n"
	    " 3  vnc    alice     websocket  [2001\xe2\x80\xa6  127.0.\xe2\x80\xa6  1h00m  1.5KiB"
	    "  5.0GiB\n"
	    "12  echo   -         tunnel     127.0\xe2\x80\xa6  builti\xe2\x80\xa6     5s      0B"
	    "      0B\n");
	lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l != NULL; l++)
		g_assert_cmpuint(sbctl_text_width(*l), <=, 70);
	g_strfreev(lines);
	free(text);

	CAPTURE(text, sbctl_print_connections(out, empty, &view));
	g_assert_cmpstr(text, ==, "no live connections\n");
	free(text);
	json_object_put(list);
	json_object_put(empty);
}

static void
test_connection(void)
{
	struct sbctl_view view = { 100, true, 0 };
	json_object *ws = parse("{\"id\": 7, \"listener\": \"tls\", \"route\": \"vnc\", "
	    "\"mode\": \"websocket\", \"client\": \"10.0.0.1:4242\", \"backend\": "
	    "\"127.0.0.1:5900\", \"started\": \"2024-05-01T12:00:00.000Z\", \"bytes_up\": 1536, "
	    "\"bytes_down\": 12, \"state\": \"open\", \"age_s\": 75, \"idle_s\": 3, "
	    "\"tls\": {\"version\": \"TLS1.3\", \"cipher\": \"AES-256-GCM\", "
	    "\"sni\": \"a\\u001bb\", \"alpn\": null}, \"subprotocol\": \"binary\", "
	    "\"websocket\": {\"messages_up\": 4, \"messages_down\": 5, \"pings_up\": 1, "
	    "\"pings_down\": 2, \"ping_rtt_ms\": 12}}");
	json_object *plain = parse("{\"id\": 8, \"route\": \"raw\", \"mode\": \"tunnel\", "
	    "\"tls\": null, \"subprotocol\": null, \"websocket\": null, \"age_s\": 0, "
	    "\"idle_s\": 0}");
	char *text = NULL;

	CAPTURE(text, sbctl_print_connection(out, ws, &view));
	g_assert_cmpstr(text, ==,
	    "connection 7\n"
	    "route:       vnc (websocket)\n"
	    "client:      10.0.0.1:4242\n"
	    "backend:     127.0.0.1:5900\n"
	    "listener:    tls\n"
	    "state:       open\n"
	    "started:     2024-05-01T12:00:00.000Z\n"
	    "age:         1m15s (idle 3s)\n"
	    "bytes:       1.5KiB up, 12B down\n"
	    "tls:         TLS1.3 AES-256-GCM, sni a\\x1bb, alpn -\n"
	    "subprotocol: binary\n"
	    "messages:    4 up, 5 down\n"
	    "pings:       1 from the client, 2 to it (last round trip 12 ms)\n");
	free(text);
	CAPTURE(text, sbctl_print_connection(out, plain, &view));
	g_assert_nonnull(strstr(text, "tls:         none (plain)\n"));
	g_assert_nonnull(strstr(text, "client:      -\n"));
	g_assert_null(strstr(text, "messages"));
	g_assert_null(strstr(text, "subprotocol"));
	free(text);
	json_object_put(ws);
	json_object_put(plain);
}

static void
test_status(void)
{
	json_object *st = parse("{\"version\":\"0.1.0\",\"uptime_s\":3725,\"revision\":4,"
	    "\"policy_file\":\"/etc/switchboard/policy.json\",\"draining\":true,"
	    "\"listeners\":[{\"name\":\"public\",\"bind\":\"0.0.0.0:8443\",\"tls\":true},"
	    "{\"name\":\"plain\",\"bind\":\"127.0.0.1:8080\",\"tls\":false}],"
	    "\"counters\":{\"accepted\":120,\"upgraded\":100,\"rejected\":20,\"active\":3,"
	    "\"bytes_up\":2048,\"bytes_down\":0},"
	    "\"workers\":[{\"connections\":3},{\"connections\":0}]}");
	json_object *bare = parse("{\"version\":\"0.2.0\",\"policy_file\":null}");
	struct sbctl_view view = { 100, true, 0 };
	char *text;

	CAPTURE(text, sbctl_print_status(out, st, &view));
	g_assert_cmpstr(text, ==,
	    "switchboardd 0.1.0, up 1h02m\n"
	    "policy: revision 4, /etc/switchboard/policy.json\n"
	    "draining: yes (no new connections)\n"
	    "\n"
	    "LISTENER  BIND            TLS\n"
	    "public    0.0.0.0:8443    yes\n"
	    "plain     127.0.0.1:8080  no\n"
	    "\n"
	    "connections:  accepted 120  upgraded 100  rejected 20  active 3\n"
	    "traffic:  up 2.0KiB  down 0B\n"
	    "workers:  3 | 0 connections\n");
	free(text);

	CAPTURE(text, sbctl_print_status(out, bare, &view));
	g_assert_cmpstr(text, ==, "switchboardd 0.2.0\npolicy: the built-in default\n");
	free(text);
	json_object_put(st);
	json_object_put(bare);
}

/* Certificates after the listeners: a table, then warnings 14 days ahead, expired, stale OCSP. */
static void
test_status_certificates(void)
{
	json_object *st = parse("{\"version\":\"0.1.0\",\"listeners\":["
	    "{\"name\":\"public\",\"bind\":\"0.0.0.0:8443\",\"tls\":true,\"certificates\":["
	    "{\"sni\":null,\"subject\":\"CN=example.org\",\"not_after\":\"2030-01-01T00:00:00.000Z\","
	    "\"expires_in_s\":8640000,\"ocsp\":\"stapled\","
	    "\"ocsp_next_update\":\"2029-01-02T00:00:00.000Z\"},"
	    "{\"sni\":[\"vnc.example.org\",\"*.vnc.example.org\"],\"subject\":\"CN=vnc\","
	    "\"not_after\":\"2029-01-10T00:00:00.000Z\",\"expires_in_s\":777600,\"ocsp\":\"stale\","
	    "\"ocsp_next_update\":\"2029-01-01T00:00:00.000Z\"}]},"
	    "{\"name\":\"old\",\"bind\":\"127.0.0.1:9443\",\"tls\":true,\"certificates\":["
	    "{\"sni\":null,\"subject\":\"CN=old\",\"not_after\":\"2028-12-30T00:00:00.000Z\","
	    "\"expires_in_s\":-172800,\"ocsp\":\"none\",\"ocsp_next_update\":null}]}]}");
	struct sbctl_view view = { 200, false, 0 };
	char *text;

	CAPTURE(text, sbctl_print_status(out, st, &view));
	g_assert_cmpstr(text, ==,
	    "switchboardd 0.1.0\n"
	    "policy: the built-in default\n"
	    "\n"
	    "LISTENER  BIND            TLS\n"
	    "public    0.0.0.0:8443    yes\n"
	    "old       127.0.0.1:9443  yes\n"
	    "\n"
	    "certificates:\n"
	    "LISTENER  SNI                                SUBJECT         NOT AFTER                 "
	    "EXPIRES            OCSP\n"
	    "public    default                            CN=example.org  2030-01-01T00:00:00.000Z  "
	    "in 100d00h         stapled\n"
	    "public    vnc.example.org,*.vnc.example.org  CN=vnc          2029-01-10T00:00:00.000Z  "
	    "in 9d00h           stale\n"
	    "old       default                            CN=old          2028-12-30T00:00:00.000Z  "
	    "expired 2d00h ago  none\n"
	    "warning: listener public, certificate vnc.example.org,*.vnc.example.org (CN=vnc): "
	    "expires in 9d00h, notAfter 2029-01-10T00:00:00.000Z\n"
	    "warning: listener public, certificate vnc.example.org,*.vnc.example.org: the stapled "
	    "OCSP response went stale at 2029-01-01T00:00:00.000Z and is no longer sent; refresh "
	    "the file and reload\n"
	    "warning: listener old, certificate default (CN=old): expired 2d00h ago, "
	    "notAfter 2028-12-30T00:00:00.000Z\n");
	free(text);
	json_object_put(st);
}

/* The warnings, like the table, write what the daemon sent as printable text: no escapes. */
static void
test_status_certificates_printable(void)
{
	json_object *st = parse("{\"version\":\"0.1.0\",\"listeners\":["
	    "{\"name\":\"pub\\u001b]0;x\\u0007\",\"bind\":\"0.0.0.0:8443\",\"tls\":true,"
	    "\"certificates\":[{\"sni\":[\"a\\u001b[2J\"],\"subject\":\"CN=\\u001b[31mred\","
	    "\"not_after\":\"2029\\r01\",\"expires_in_s\":3600,\"ocsp\":\"stale\","
	    "\"ocsp_next_update\":\"2029\\u009b01\"},"
	    "{\"sni\":null,\"subject\":\"CN=min\",\"expires_in_s\":-9223372036854775808}]}]}");
	struct sbctl_view view = { 200, false, 0 };
	char *text;

	CAPTURE(text, sbctl_print_status(out, st, &view));
	g_assert_null(strchr(text, '\x1b'));
	g_assert_null(strchr(text, '\a'));
	g_assert_null(strchr(text, '\r'));
	g_assert_null(strstr(text, "\xc2\x9b"));
	g_assert_nonnull(strstr(text, "warning: listener pub\\x1b]0;x\\x07, certificate "
	    "a\\x1b[2J (CN=\\x1b[31mred): expires in 1h00m, notAfter 2029\\x0d01\n"));
	g_assert_nonnull(strstr(text, "went stale at 2029\\xc2\\x9b01 and"));
	/* the most negative expiry a daemon can send is still a time ago, not an overflow */
	g_assert_nonnull(strstr(text, "certificate default (CN=min): expired 106751991167300d15h "
	    "ago, notAfter -\n"));
	free(text);
	json_object_put(st);
}

static void
test_events(void)
{
	static const struct {
		const char *event;
		const char *line;
	} cases[] = {
		{ "{\"type\":\"connection.opened\",\"time\":\"2024-05-01T12:00:00.000Z\",\"id\":3,"
		  "\"route\":\"vnc\",\"mode\":\"websocket\",\"client\":\"10.0.0.1:5000\","
		  "\"backend\":\"127.0.0.1:5900\",\"bytes_up\":0}",
		  "2024-05-01T12:00:00.000Z connection.opened    id=3 route=vnc "
		  "client=10.0.0.1:5000 "
		  "mode=websocket backend=127.0.0.1:5900\n" },
		{ "{\"type\":\"connection.updated\",\"time\":\"T\",\"id\":3,\"route\":\"vnc\","
		  "\"client\":\"c\",\"bytes_up\":2048,\"bytes_down\":10}",
		  "T connection.updated   id=3 route=vnc client=c up=2.0KiB down=10B\n" },
		{ "{\"type\":\"connection.closed\",\"time\":\"T\",\"id\":3,\"route\":\"vnc\","
		  "\"client\":\"c\",\"bytes_up\":1,\"bytes_down\":2,"
		  "\"reason\":\"idle \\\"timeout\\\"\"}",
		  "T connection.closed    id=3 route=vnc client=c up=1B down=2B "
		  "reason=\"idle \\\"timeout\\\"\"\n" },
		{ "{\"type\":\"upgrade.rejected\",\"time\":\"T\",\"client\":\"[::1]:4\","
		  "\"status\":404,"
		  "\"reason\":\"no route\",\"listener\":\"plain\"}",
		  "T upgrade.rejected     client=[::1]:4 listener=plain status=404 "
		  "reason=\"no route\"\n" },
		{ "{\"type\":\"policy.applied\",\"time\":\"T\",\"revision\":5,\"by\":\"control\"}",
		  "T policy.applied       revision=5 by=control\n" },
		{ "{\"type\":\"subscription.dropped\",\"time\":\"T\",\"reason\":\"slow\x1b\"}",
		  "T subscription.dropped reason=slow\\x1b\n" },
		{ "{\"type\":\"something.new\",\"time\":\"T\",\"a\":[1,2],\"b\":\"\"}",
		  "T something.new        a=[1,2] b=\"\"\n" },
		{ "{}", "- -\n" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		json_object *ev = parse(cases[i].event);
		char *text;

		CAPTURE(text, sbctl_print_event(out, ev));
		g_assert_cmpstr(text, ==, cases[i].line);
		free(text);
		json_object_put(ev);
	}
}

static void
test_policy_errors(void)
{
	json_object *data = parse("{\"errors\":[{\"path\":\"routes[2].backend\","
	    "\"message\":\"port must be 1..65535\"},{\"path\":\"\",\"message\":\"invalid JSON\"},"
	    "{\"path\":\"x\"}]}");
	json_object *none = parse("{\"revision\":3}");
	char *text;
	size_t n;

	CAPTURE(text, n = sbctl_print_policy_errors(out, "p.json", data));
	g_assert_cmpuint(n, ==, 2);
	g_assert_cmpstr(text, ==,
	    "p.json: routes[2].backend: port must be 1..65535\n"
	    "p.json: invalid JSON\n");
	free(text);
	CAPTURE(text, n = sbctl_print_policy_errors(out, "p.json", none));
	g_assert_cmpuint(n, ==, 0);
	g_assert_cmpstr(text, ==, "");
	free(text);
	json_object_put(data);
	json_object_put(none);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sbctl-format/bytes", test_bytes);
	g_test_add_func("/sbctl-format/duration", test_duration);
	g_test_add_func("/sbctl-format/printable", test_printable);
	g_test_add_func("/sbctl-format/table", test_table);
	g_test_add_func("/sbctl-format/connections", test_connections);
	g_test_add_func("/sbctl-format/by-identity", test_by_identity);
	g_test_add_func("/sbctl-format/connection", test_connection);
	g_test_add_func("/sbctl-format/status", test_status);
	g_test_add_func("/sbctl-format/status-certificates", test_status_certificates);
	g_test_add_func("/sbctl-format/status-certificates-printable",
	    test_status_certificates_printable);
	g_test_add_func("/sbctl-format/events", test_events);
	g_test_add_func("/sbctl-format/policy-errors", test_policy_errors);
	return g_test_run();
}
