/* test-connection-model.c - the GUI's connection list fed a scripted event stream */
#include <glib.h>
#include <json-c/json.h>

#include "swb-connection-model.h"
#include "swb-format.h"
#include "swb-route-stats.h"
#include "swb-throughput.h"

#define SEC G_USEC_PER_SEC
/* 2024-05-01T12:00:00Z */
#define WALL_BASE (G_GINT64_CONSTANT(1714564800) * SEC)

static json_object *
json(const char *text)
{
	json_object *v = json_tokener_parse(text);

	g_assert_nonnull(v);
	return v;
}

/* Applies an event written as JSON params with its "type". */
static gboolean
feed(SwbConnectionModel *model, const char *params_text, gint64 now_us)
{
	json_object *params = json(params_text);
	json_object *type = NULL;
	gboolean handled;

	json_object_object_get_ex(params, "type", &type);
	handled = swb_connection_model_handle_event(model, json_object_get_string(type), params,
	    now_us);
	json_object_put(params);
	return handled;
}

static SwbRouteStats *
route(SwbConnectionModel *model, const char *name)
{
	GListModel *routes = swb_connection_model_get_routes(model);

	for (guint i = 0; i < g_list_model_get_n_items(routes); i++) {
		g_autoptr(SwbRouteStats) stats = g_list_model_get_item(routes, i);

		if (g_str_equal(swb_route_stats_get_name(stats), name))
			return stats; /* the store keeps it alive */
	}
	return NULL;
}

typedef struct {
	guint added;
	guint removed;
} Changes;

static void
count_signal(guint *n)
{
	(*n)++;
}

static void
on_items_changed(GListModel *model, guint position, guint removed, guint added, Changes *c)
{
	c->added += added;
	c->removed += removed;
}

static void
test_seed_and_events(void)
{
	g_autoptr(SwbConnectionModel) model = swb_connection_model_new();
	json_object *list = json("["
	    "{\"id\": 1, \"listener\": \"plain\", \"route\": \"echo\", \"mode\": \"tunnel\","
	    " \"client\": \"127.0.0.1:5000\", \"backend\": \"builtin:echo\","
	    " \"started\": \"2024-05-01T11:59:00Z\", \"bytes_up\": 100, \"bytes_down\": 200,"
	    " \"state\": \"open\"},"
	    "{\"id\": 2, \"route\": \"vnc\", \"mode\": \"websocket\", \"client\": \"[::1]:6000\","
	    " \"backend\": \"127.0.0.1:5900\", \"bytes_up\": 0, \"bytes_down\": 0},"
	    "{\"route\": \"no id: skipped\"}]");
	Changes changes = { 0, 0 };
	SwbConnection *conn;
	g_autofree char *age = NULL;

	g_signal_connect(model, "items-changed", G_CALLBACK(on_items_changed), &changes);
	swb_connection_model_reset(model, list, 0);
	json_object_put(list);
	g_assert_cmpuint(g_list_model_get_n_items(G_LIST_MODEL(model)), ==, 2);
	g_assert_cmpuint(changes.added, ==, 2);
	conn = swb_connection_model_lookup(model, 1);
	g_assert_nonnull(conn);
	g_assert_cmpstr(swb_connection_get_route(conn), ==, "echo");
	g_assert_cmpstr(swb_connection_get_listener(conn), ==, "plain");
	g_assert_cmpstr(swb_connection_get_client(conn), ==, "127.0.0.1:5000");
	g_assert_cmpuint(swb_connection_get_bytes_up(conn), ==, 100);
	g_assert_cmpuint(swb_connection_get_bytes_down(conn), ==, 200);
	g_assert_cmpint(swb_connection_get_started(conn), ==, WALL_BASE - 60 * SEC);
	g_assert_cmpuint(swb_route_stats_get_opened(route(model, "echo")), ==, 1);
	g_assert_cmpuint(swb_route_stats_get_active(route(model, "vnc")), ==, 1);

	/* a new connection appears at the end */
	g_assert_true(feed(model, "{\"type\": \"connection.opened\", \"id\": 3,"
	    " \"route\": \"echo\", \"mode\": \"tunnel\", \"client\": \"127.0.0.1:5001\","
	    " \"backend\": \"builtin:echo\","
	    " \"started\": \"2024-05-01T12:00:00Z\", \"bytes_up\": 0, \"bytes_down\": 0}", 0));
	/* it joins the list at the next idle, or now on a flush */
	g_assert_cmpuint(g_list_model_get_n_items(G_LIST_MODEL(model)), ==, 2);
	g_assert_nonnull(swb_connection_model_lookup(model, 3));
	swb_connection_model_flush(model);
	g_assert_cmpuint(g_list_model_get_n_items(G_LIST_MODEL(model)), ==, 3);
	g_assert_cmpuint(changes.added, ==, 3);
	g_assert_cmpuint(swb_route_stats_get_opened(route(model, "echo")), ==, 2);
	g_assert_cmpuint(swb_route_stats_get_active(route(model, "echo")), ==, 2);
	/* opened again (seeded and announced): still one row */
	g_assert_true(feed(model, "{\"type\": \"connection.opened\", \"id\": 3,"
	    " \"route\": \"echo\"}", 0));
	g_assert_cmpuint(g_list_model_get_n_items(G_LIST_MODEL(model)), ==, 3);

	/* counters: one second later 1000 bytes up, then 2000 more the next second */
	g_assert_true(feed(model, "{\"type\": \"connection.updated\", \"id\": 3,"
	    " \"bytes_up\": 1000, \"bytes_down\": 500}", 1 * SEC));
	swb_connection_model_tick(model, 1 * SEC, WALL_BASE + 1 * SEC);
	conn = swb_connection_model_lookup(model, 3);
	g_assert_cmpuint(swb_connection_get_bytes_up(conn), ==, 1000);
	g_assert_cmpfloat_with_epsilon(swb_connection_get_rate_up(conn), 1000, 0.01);
	g_assert_cmpfloat_with_epsilon(swb_connection_get_rate_down(conn), 500, 0.01);
	g_assert_true(feed(model, "{\"type\": \"connection.updated\", \"id\": 3,"
	    " \"bytes_up\": 3000, \"bytes_down\": 500}", 2 * SEC));
	swb_connection_model_tick(model, 2 * SEC, WALL_BASE + 2 * SEC);
	g_assert_cmpfloat_with_epsilon(swb_connection_get_rate_up(conn), 2000, 0.01);
	g_assert_cmpfloat_with_epsilon(swb_connection_get_rate_down(conn), 0, 0.01);
	g_assert_cmpfloat_with_epsilon(swb_connection_model_get_rate_up(model), 2000, 0.01);
	g_assert_cmpfloat_with_epsilon(swb_route_stats_get_rate_up(route(model, "echo")), 2000,
	    0.01);
	/* bytes per route: seeded 100 + 3000 live */
	g_assert_cmpuint(swb_route_stats_get_bytes_up(route(model, "echo")), ==, 3100);
	g_object_get(conn, "age-text", &age, NULL);
	g_assert_cmpstr(age, ==, "2 s");

	/* no update for a while: idle, rate 0 */
	swb_connection_model_tick(model, 5 * SEC, WALL_BASE + 5 * SEC);
	g_assert_cmpfloat_with_epsilon(swb_connection_get_rate_up(conn), 0, 0.01);
	g_assert_cmpfloat_with_epsilon(swb_connection_model_get_rate_up(model), 0, 0.01);

	/* closed with its final counters: the row goes, its bytes stay in the route */
	g_assert_true(feed(model, "{\"type\": \"connection.closed\", \"id\": 3,"
	    " \"bytes_up\": 5000, \"bytes_down\": 700, \"reason\": \"client closed\"}", 6 * SEC));
	g_assert_null(swb_connection_model_lookup(model, 3));
	swb_connection_model_flush(model);
	g_assert_cmpuint(g_list_model_get_n_items(G_LIST_MODEL(model)), ==, 2);
	g_assert_cmpuint(changes.removed, ==, 1);
	g_assert_cmpuint(changes.added, ==, 3);
	swb_connection_model_tick(model, 6 * SEC, WALL_BASE + 6 * SEC);
	/* the last 2000 up and 200 down arrived with the close, within this tick */
	g_assert_cmpfloat_with_epsilon(swb_connection_model_get_rate_up(model), 2000, 0.01);
	g_assert_cmpfloat_with_epsilon(swb_connection_model_get_rate_down(model), 200, 0.01);
	g_assert_cmpuint(swb_route_stats_get_bytes_up(route(model, "echo")), ==, 5100);
	g_assert_cmpuint(swb_route_stats_get_active(route(model, "echo")), ==, 1);
	g_assert_cmpuint(swb_route_stats_get_opened(route(model, "echo")), ==, 2);

	/* closing an unknown id changes nothing */
	g_assert_true(feed(model, "{\"type\": \"connection.closed\", \"id\": 99}", 7 * SEC));
	g_assert_cmpuint(g_list_model_get_n_items(G_LIST_MODEL(model)), ==, 2);
}

static void
test_foreign_and_bad_events(void)
{
	g_autoptr(SwbConnectionModel) model = swb_connection_model_new();

	g_assert_false(feed(model, "{\"type\": \"upgrade.rejected\", \"status\": 404}", 0));
	g_assert_false(feed(model, "{\"type\": \"connection.opened\", \"route\": \"x\"}", 0));
	g_assert_false(feed(model, "{\"type\": \"connection.opened\", \"id\": \"7\"}", 0));
	g_assert_false(feed(model, "{\"type\": \"no.such.event\", \"id\": 7}", 0));
	g_assert_cmpuint(g_list_model_get_n_items(G_LIST_MODEL(model)), ==, 0);
	/* an update for a row never seen (we joined late) adds it */
	g_assert_true(feed(model, "{\"type\": \"connection.updated\", \"id\": 7, \"route\": \"r\","
	    " \"bytes_up\": 10, \"bytes_down\": 0}", 0));
	swb_connection_model_flush(model);
	g_assert_cmpuint(g_list_model_get_n_items(G_LIST_MODEL(model)), ==, 1);
}

static void
test_reset_keeps_known_rows(void)
{
	g_autoptr(SwbConnectionModel) model = swb_connection_model_new();
	json_object *first = json("[{\"id\": 1, \"route\": \"a\", \"bytes_up\": 10},"
	    " {\"id\": 2, \"route\": \"a\", \"bytes_up\": 20}]");
	json_object *second = json("[{\"id\": 2, \"route\": \"a\", \"bytes_up\": 25},"
	    " {\"id\": 4, \"route\": \"b\"}, {\"id\": 4, \"route\": \"b\"}]");
	SwbConnection *two;

	swb_connection_model_reset(model, first, 0);
	two = swb_connection_model_lookup(model, 2);
	swb_connection_model_reset(model, second, SEC);
	/* the same object for the same id, updated; id 1 closed while we were away */
	g_assert_true(swb_connection_model_lookup(model, 2) == two);
	g_assert_cmpuint(swb_connection_get_bytes_up(two), ==, 25);
	g_assert_null(swb_connection_model_lookup(model, 1));
	g_assert_cmpuint(g_list_model_get_n_items(G_LIST_MODEL(model)), ==, 2);
	swb_connection_model_tick(model, 2 * SEC, WALL_BASE);
	g_assert_cmpuint(swb_route_stats_get_bytes_up(route(model, "a")), ==, 35);
	g_assert_cmpuint(swb_route_stats_get_active(route(model, "a")), ==, 1);
	g_assert_cmpuint(swb_route_stats_get_active(route(model, "b")), ==, 1);
	json_object_put(first);
	json_object_put(second);
}

/* A burst of opened events is one change of the list; one closed before it shows is none. */
static void
test_burst(void)
{
	g_autoptr(SwbConnectionModel) model = swb_connection_model_new();
	Changes changes = { 0, 0 };
	guint signals = 0;

	g_signal_connect(model, "items-changed", G_CALLBACK(on_items_changed), &changes);
	g_signal_connect_swapped(model, "items-changed", G_CALLBACK(count_signal), &signals);
	for (int i = 1; i <= 1000; i++) {
		g_autofree char *ev = g_strdup_printf(
		    "{\"type\": \"connection.opened\", \"id\": %d, \"route\": \"r\"}", i);

		g_assert_true(feed(model, ev, 0));
	}
	g_assert_true(feed(model, "{\"type\": \"connection.closed\", \"id\": 500}", 0));
	g_assert_null(swb_connection_model_lookup(model, 500));
	g_assert_cmpuint(signals, ==, 0);
	/* the idle flush */
	while (g_main_context_iteration(NULL, FALSE))
		;
	g_assert_cmpuint(signals, ==, 1);
	g_assert_cmpuint(changes.added, ==, 999);
	g_assert_cmpuint(g_list_model_get_n_items(G_LIST_MODEL(model)), ==, 999);

	/* closing 100, 200 ... 900 (500 is gone already): one change from the first to the last */
	for (int i = 100; i <= 900; i += 100) {
		g_autofree char *ev = g_strdup_printf(
		    "{\"type\": \"connection.closed\", \"id\": %d}", i);

		g_assert_true(feed(model, ev, 0));
	}
	g_assert_cmpuint(g_list_model_get_n_items(G_LIST_MODEL(model)), ==, 999);
	while (g_main_context_iteration(NULL, FALSE))
		;
	g_assert_cmpuint(signals, ==, 2);
	g_assert_cmpuint(g_list_model_get_n_items(G_LIST_MODEL(model)), ==, 991);
	/* positions 99 (id 100) to 898 (id 900) went, and the 792 between them came back */
	g_assert_cmpuint(changes.removed, ==, 800);
	g_assert_cmpuint(changes.added, ==, 999 + 792);
	for (guint i = 0; i < 991; i++) {
		g_autoptr(SwbConnection) conn = g_list_model_get_item(G_LIST_MODEL(model), i);

		guint64 id = swb_connection_get_id(conn);

		g_assert_true(id % 100 != 0 || id == 1000);
	}
}

static void
test_search(void)
{
	json_object *obj = json("{\"id\": 42, \"route\": \"VNC\", \"client\": \"10.1.2.3:999\","
	    " \"backend\": \"127.0.0.1:5900\"}");
	g_autoptr(SwbConnection) conn = swb_connection_new_from_json(obj, 0);
	g_autofree char *needle = g_utf8_casefold("vnc", -1);

	g_assert_true(swb_connection_matches(conn, needle));
	g_assert_true(swb_connection_matches(conn, "42"));
	g_assert_true(swb_connection_matches(conn, "5900"));
	g_assert_true(swb_connection_matches(conn, ""));
	g_assert_false(swb_connection_matches(conn, "ssh"));
	json_object_put(obj);
}

/*
 * identity: from connections.list and from events, a property the Identity
 * column binds to, and part of what the search matches; absent without auth.
 */
static void
test_identity(void)
{
	g_autoptr(SwbConnectionModel) model = swb_connection_model_new();
	json_object *list = json("[{\"id\": 1, \"route\": \"vnc\", \"client\": \"10.0.0.1:1\","
	    " \"identity\": \"Alice\"}, {\"id\": 2, \"route\": \"vnc\","
	    " \"client\": \"10.0.0.2:2\"}]");
	g_autofree char *alice = g_utf8_casefold("alice", -1);
	g_autofree char *bob = g_utf8_casefold("bob@example.org", -1);
	g_autofree char *prop = NULL;
	SwbConnection *conn;
	guint notified = 0;

	swb_connection_model_reset(model, list, 0);
	json_object_put(list);
	conn = swb_connection_model_lookup(model, 1);
	g_assert_cmpstr(swb_connection_get_identity(conn), ==, "Alice");
	g_object_get(conn, "identity", &prop, NULL);
	g_assert_cmpstr(prop, ==, "Alice");
	g_assert_true(swb_connection_matches(conn, alice));
	conn = swb_connection_model_lookup(model, 2);
	g_assert_null(swb_connection_get_identity(conn));
	g_assert_false(swb_connection_matches(conn, alice));

	/* a connection.opened event carries it too */
	g_assert_true(feed(model, "{\"type\": \"connection.opened\", \"id\": 3,"
	    " \"route\": \"vnc\", \"identity\": \"bob@example.org\"}", 0));
	conn = swb_connection_model_lookup(model, 3);
	g_assert_cmpstr(swb_connection_get_identity(conn), ==, "bob@example.org");
	g_assert_true(swb_connection_matches(conn, bob));
	g_assert_true(swb_connection_matches(conn, "example.org"));
	g_assert_false(swb_connection_matches(conn, alice));

	/* an update that names it: the column is told, the search follows */
	conn = swb_connection_model_lookup(model, 2);
	g_signal_connect_swapped(conn, "notify::identity", G_CALLBACK(count_signal), &notified);
	g_assert_true(feed(model, "{\"type\": \"connection.updated\", \"id\": 2,"
	    " \"identity\": \"alice\", \"bytes_up\": 1}", SEC));
	g_assert_cmpuint(notified, ==, 1);
	g_assert_true(swb_connection_matches(conn, alice));
	/* the same again: no notification */
	g_assert_true(feed(model, "{\"type\": \"connection.updated\", \"id\": 2,"
	    " \"identity\": \"alice\", \"bytes_up\": 2}", 2 * SEC));
	g_assert_cmpuint(notified, ==, 1);
}

static void
test_many_rows(void)
{
	g_autoptr(SwbConnectionModel) model = swb_connection_model_new();
	g_autoptr(GString) text = g_string_new("[");
	json_object *list;
	gint64 start = g_get_monotonic_time();

	for (int i = 1; i <= 5000; i++)
		g_string_append_printf(text, "%s{\"id\": %d, \"route\": \"r%d\", \"bytes_up\": %d}",
		    i > 1 ? "," : "", i, i % 7, i);
	g_string_append(text, "]");
	list = json(text->str);
	swb_connection_model_reset(model, list, 0);
	json_object_put(list);
	for (int i = 1; i <= 5000; i += 2) {
		g_autofree char *ev = g_strdup_printf(
		    "{\"type\": \"connection.closed\", \"id\": %d}", i);

		g_assert_true(feed(model, ev, SEC));
	}
	swb_connection_model_tick(model, SEC, WALL_BASE);
	g_assert_cmpuint(g_list_model_get_n_items(G_LIST_MODEL(model)), ==, 2500);
	g_assert_cmpuint(g_list_model_get_n_items(swb_connection_model_get_routes(model)), ==, 7);
	/* generous: a few milliseconds in practice; a quadratic slip would take seconds */
	g_assert_cmpint(g_get_monotonic_time() - start, <, 2 * SEC);
}

static void
test_throughput_ring(void)
{
	g_autoptr(SwbThroughput) t = swb_throughput_new(3);
	double up, down;

	g_assert_cmpuint(swb_throughput_get_n_samples(t), ==, 0);
	g_assert_cmpfloat(swb_throughput_get_peak(t), ==, 0);
	swb_throughput_push(t, 1, 10);
	swb_throughput_push(t, 2, 20);
	swb_throughput_push(t, 3, 30);
	swb_throughput_push(t, 4, 5);
	g_assert_cmpuint(swb_throughput_get_n_samples(t), ==, 3);
	swb_throughput_get_sample(t, 0, &up, &down);
	g_assert_cmpfloat(up, ==, 4);
	swb_throughput_get_sample(t, 2, &up, &down);
	g_assert_cmpfloat(up, ==, 2);
	g_assert_cmpfloat(down, ==, 20);
	g_assert_cmpfloat(swb_throughput_get_peak(t), ==, 30);
}

static void
test_format(void)
{
	g_autofree char *b = swb_format_bytes(999);
	g_autofree char *kb = swb_format_bytes(1500);
	g_autofree char *r = swb_format_rate(0.2);
	g_autofree char *d1 = swb_format_duration(59);
	g_autofree char *d2 = swb_format_duration(125);
	g_autofree char *d3 = swb_format_duration(7500);
	g_autofree char *d4 = swb_format_duration(90000);

	g_assert_cmpstr(b, ==, "999 B");
	/* g_format_size() keeps the number and its unit together */
	g_assert_cmpstr(kb, ==, "1.5\u00a0kB");
	g_assert_cmpstr(r, ==, "0 B/s");
	g_assert_cmpstr(d1, ==, "59 s");
	g_assert_cmpstr(d2, ==, "2 min 05 s");
	g_assert_cmpstr(d3, ==, "2 h 05 min");
	g_assert_cmpstr(d4, ==, "1 d 1 h");
	g_assert_cmpint(swb_parse_rfc3339("2024-05-01T12:00:00.250Z"), ==, WALL_BASE + SEC / 4);
	g_assert_cmpint(swb_parse_rfc3339("yesterday"), ==, 0);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/connection-model/seed-and-events", test_seed_and_events);
	g_test_add_func("/connection-model/foreign-and-bad-events", test_foreign_and_bad_events);
	g_test_add_func("/connection-model/reset-keeps-known-rows", test_reset_keeps_known_rows);
	g_test_add_func("/connection-model/burst", test_burst);
	g_test_add_func("/connection-model/search", test_search);
	g_test_add_func("/connection-model/identity", test_identity);
	g_test_add_func("/connection-model/many-rows", test_many_rows);
	g_test_add_func("/connection-model/throughput-ring", test_throughput_ring);
	g_test_add_func("/connection-model/format", test_format);
	return g_test_run();
}
