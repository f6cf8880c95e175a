/* test-rejection-model.c - refused upgrades: newest first, bounded */
#include <glib.h>
#include <json-c/json.h>

#include "swb-rejection-model.h"

static gboolean
feed(SwbRejectionModel *model, const char *type, const char *params_text)
{
	json_object *params = json_tokener_parse(params_text);
	gboolean handled;

	g_assert_nonnull(params);
	handled = swb_rejection_model_handle_event(model, type, params);
	json_object_put(params);
	return handled;
}

static SwbRejection *
row(SwbRejectionModel *model, guint i)
{
	SwbRejection *r = g_list_model_get_item(G_LIST_MODEL(model), i);

	g_object_unref(r); /* the model keeps it */
	return r;
}

static void
test_newest_first_bounded(void)
{
	g_autoptr(SwbRejectionModel) model = swb_rejection_model_new(3);

	for (int i = 0; i < 5; i++) {
		g_autofree char *ev = g_strdup_printf("{\"time\": \"2024-05-01T12:00:0%dZ\","
		    " \"client\": \"10.0.0.%d:1000\", \"status\": %d, \"reason\": \"r%d\"}",
		    i, i, 400 + i, i);

		g_assert_true(feed(model, "upgrade.rejected", ev));
	}
	g_assert_cmpuint(g_list_model_get_n_items(G_LIST_MODEL(model)), ==, 3);
	g_assert_cmpuint(swb_rejection_get_status(row(model, 0)), ==, 404);
	g_assert_cmpstr(swb_rejection_get_client(row(model, 0)), ==, "10.0.0.4:1000");
	g_assert_cmpstr(swb_rejection_get_reason(row(model, 2)), ==, "r2");
	g_assert_null(swb_rejection_get_route(row(model, 0)));
	g_assert_cmpint(swb_rejection_get_time(row(model, 0)), ==,
	    (G_GINT64_CONSTANT(1714564800) + 4) * G_USEC_PER_SEC);
	swb_rejection_model_clear(model);
	g_assert_cmpuint(g_list_model_get_n_items(G_LIST_MODEL(model)), ==, 0);
}

static void
test_route_and_bad_events(void)
{
	g_autoptr(SwbRejectionModel) model = swb_rejection_model_new(10);
	g_autofree char *route = NULL;

	g_assert_false(feed(model, "connection.opened", "{\"status\": 404}"));
	g_assert_false(feed(model, "upgrade.rejected", "{\"reason\": \"no status\"}"));
	g_assert_true(feed(model, "upgrade.rejected", "{\"status\": 403, \"route\": \"vnc\","
	    " \"reason\": \"origin refused\", \"client\": \"[::1]:5\"}"));
	g_assert_cmpstr(swb_rejection_get_route(row(model, 0)), ==, "vnc");
	g_object_get(row(model, 0), "route", &route, NULL);
	g_assert_cmpstr(route, ==, "vnc");
	g_assert_cmpuint(g_list_model_get_n_items(G_LIST_MODEL(model)), ==, 1);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/rejection-model/newest-first-bounded", test_newest_first_bounded);
	g_test_add_func("/rejection-model/route-and-bad-events", test_route_and_bad_events);
	return g_test_run();
}
