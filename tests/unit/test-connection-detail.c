/* test-connection-detail.c - the detail view's text for each row of a connections.get result */
#include <glib.h>
#include <json-c/json.h>

#include "swb-connection-detail.h"

static char *
text(json_object *d, SwbDetailRow row)
{
	return swb_connection_detail_text(d, row);
}

#define CHECK(d, row, want)                                             \
	do {                                                            \
		g_autofree char *got_ = text(d, row);                   \
		g_assert_cmpstr(got_, ==, want);                        \
	} while (0)

static void
test_websocket_over_tls(void)
{
	json_object *d = json_tokener_parse("{\"id\": 7, \"listener\": \"public\", "
	    "\"route\": \"vnc\", \"mode\": \"websocket\", \"client\": \"10.0.0.1:4242\", "
	    "\"backend\": \"127.0.0.1:5900\", \"bytes_up\": 1500, \"bytes_down\": 12, "
	    "\"state\": \"open\", \"age_s\": 75, \"idle_s\": 3, \"tls\": {\"version\": "
	    "\"TLS1.3\", \"cipher\": \"AES-256-GCM\", \"sni\": \"vnc.example.org\", "
	    "\"alpn\": null}, \"subprotocol\": \"binary\", \"websocket\": {\"messages_up\": 4, "
	    "\"messages_down\": 5, \"pings_up\": 1, \"pings_down\": 2, \"ping_rtt_ms\": 12}}");

	g_assert_nonnull(d);
	CHECK(d, SWB_DETAIL_ROUTE, "vnc (websocket)");
	CHECK(d, SWB_DETAIL_IDENTITY, "—");
	CHECK(d, SWB_DETAIL_CLIENT, "10.0.0.1:4242");
	CHECK(d, SWB_DETAIL_BACKEND, "127.0.0.1:5900");
	CHECK(d, SWB_DETAIL_LISTENER, "public");
	CHECK(d, SWB_DETAIL_STATE, "open");
	CHECK(d, SWB_DETAIL_AGE, "1 min 15 s");
	CHECK(d, SWB_DETAIL_IDLE, "3 s");
	CHECK(d, SWB_DETAIL_BYTES, "1.5\xc2\xa0kB up, 12 B down");
	CHECK(d, SWB_DETAIL_TLS, "TLS1.3, AES-256-GCM");
	CHECK(d, SWB_DETAIL_SNI, "vnc.example.org");
	CHECK(d, SWB_DETAIL_ALPN, "—");
	CHECK(d, SWB_DETAIL_SUBPROTOCOL, "binary");
	CHECK(d, SWB_DETAIL_MESSAGES, "4 up, 5 down");
	CHECK(d, SWB_DETAIL_PINGS, "1 from the client, 2 to it, last round trip 12 ms");
	json_object_put(d);
}

static void
test_plain_tunnel(void)
{
	json_object *d = json_tokener_parse("{\"id\": 8, \"route\": \"raw\", \"mode\": \"tunnel\", "
	    "\"tls\": null, \"subprotocol\": null, \"websocket\": null, \"identity\": \"alice\"}");

	CHECK(d, SWB_DETAIL_TLS, "None (plain)");
	CHECK(d, SWB_DETAIL_SNI, "—");
	CHECK(d, SWB_DETAIL_MESSAGES, "—");
	CHECK(d, SWB_DETAIL_PINGS, "—");
	CHECK(d, SWB_DETAIL_AGE, "—");
	CHECK(d, SWB_DETAIL_IDENTITY, "alice");
	CHECK(d, SWB_DETAIL_BYTES, "0 B up, 0 B down");
	for (guint i = 0; i < SWB_DETAIL_COUNT; i++)
		g_assert_nonnull(swb_connection_detail_title((SwbDetailRow)i));
	g_assert_null(swb_connection_detail_title(SWB_DETAIL_COUNT));
	json_object_put(d);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/connection-detail/websocket-over-tls", test_websocket_over_tls);
	g_test_add_func("/connection-detail/plain-tunnel", test_plain_tunnel);
	return g_test_run();
}
