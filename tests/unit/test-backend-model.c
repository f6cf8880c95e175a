/* test-backend-model.c - backend servers: backends.list in place, backend.state events */
#include <glib.h>
#include <json-c/json.h>

#include "swb-backend-model.h"

typedef struct {
	guint calls, position, removed, added;
} Changes;

static void
on_items_changed(GListModel *model, guint position, guint removed, guint added, Changes *c)
{
	c->calls++;
	c->position = position;
	c->removed = removed;
	c->added = added;
}

static void
count_notify(GObject *object, GParamSpec *pspec, guint *n)
{
	(*n)++;
}

static void
reset(SwbBackendModel *model, const char *text)
{
	json_object *list = json_tokener_parse(text);

	g_assert_nonnull(list);
	swb_backend_model_reset(model, list);
	json_object_put(list);
}

static gboolean
feed(SwbBackendModel *model, const char *type, const char *text)
{
	json_object *params = json_tokener_parse(text);
	gboolean handled;

	g_assert_nonnull(params);
	handled = swb_backend_model_handle_event(model, type, params);
	json_object_put(params);
	return handled;
}

static SwbBackend *
row(SwbBackendModel *model, guint i)
{
	SwbBackend *b = g_list_model_get_item(G_LIST_MODEL(model), i);

	g_assert_nonnull(b);
	g_object_unref(b); /* the model keeps it */
	return b;
}

static guint
n_rows(SwbBackendModel *model)
{
	return g_list_model_get_n_items(G_LIST_MODEL(model));
}

#define LIST_TWO "[{\"route\": \"vnc\", \"address\": \"127.0.0.1:5900\"," \
	" \"server\": \"127.0.0.1:5900\", \"weight\": 2, \"backup\": false, \"state\": \"up\"," \
	" \"active\": 3, \"total\": 10, \"failures\": 0, \"last_check\": null," \
	" \"last_error\": null}," \
	" {\"route\": \"vnc\", \"address\": \"127.0.0.1:5901\", \"server\": \"vnc.internal:5901\"," \
	" \"weight\": 1, \"backup\": true, \"state\": \"down\", \"active\": 0, \"total\": 0," \
	" \"failures\": 4, \"last_check\": \"2024-05-01T12:00:00Z\"," \
	" \"last_error\": \"connection refused\"}]"

static void
test_list(void)
{
	g_autoptr(SwbBackendModel) model = swb_backend_model_new();
	g_autofree char *role = NULL;
	g_autofree char *icon = NULL;
	guint64 active = 0;
	SwbBackend *b;

	reset(model, LIST_TWO);
	g_assert_cmpuint(n_rows(model), ==, 2);
	b = row(model, 0);
	g_assert_cmpstr(swb_backend_get_route(b), ==, "vnc");
	g_assert_cmpstr(swb_backend_get_address(b), ==, "127.0.0.1:5900");
	g_assert_cmpstr(swb_backend_get_state(b), ==, "up");
	g_assert_cmpstr(swb_backend_get_admin(b), ==, "ready");
	g_assert_cmpuint(swb_backend_get_weight(b), ==, 2);
	g_assert_cmpuint(swb_backend_get_total(b), ==, 10);
	g_assert_null(swb_backend_get_last_error(b));
	g_object_get(b, "role", &role, "active", &active, "state-icon", &icon, NULL);
	g_assert_cmpstr(role, ==, "weight 2");
	g_assert_cmpuint(active, ==, 3);
	g_assert_cmpstr(icon, ==, "emblem-ok-symbolic");
	b = row(model, 1);
	g_assert_cmpstr(swb_backend_get_server(b), ==, "vnc.internal:5901");
	g_assert_cmpstr(swb_backend_get_state(b), ==, "down");
	g_assert_true(swb_backend_get_backup(b));
	g_assert_cmpuint(swb_backend_get_failures(b), ==, 4);
	g_assert_cmpstr(swb_backend_get_last_error(b), ==, "connection refused");
	/* found by its address, or by the name it was written as */
	g_assert_true(swb_backend_model_find(model, "vnc", "vnc.internal:5901") == b);
	g_assert_true(swb_backend_model_find(model, "vnc", "127.0.0.1:5901") == b);
	g_assert_null(swb_backend_model_find(model, "ssh", "127.0.0.1:5901"));
}

/* A refresh with new counters keeps the rows (no items-changed) and notifies what changed. */
static void
test_refresh_in_place(void)
{
	g_autoptr(SwbBackendModel) model = swb_backend_model_new();
	Changes c = { 0 };
	guint notified = 0;
	SwbBackend *first;

	reset(model, LIST_TWO);
	first = row(model, 0);
	g_signal_connect(model, "items-changed", G_CALLBACK(on_items_changed), &c);
	g_signal_connect(first, "notify::total", G_CALLBACK(count_notify), &notified);
	reset(model, "[{\"route\": \"vnc\", \"address\": \"127.0.0.1:5900\", \"total\": 11,"
	    " \"active\": 2, \"last_error\": \"timed out\"},"
	    " {\"route\": \"vnc\", \"address\": \"127.0.0.1:5901\", \"state\": \"up\"}]");
	g_assert_cmpuint(c.calls, ==, 0);
	g_assert_true(row(model, 0) == first);
	g_assert_cmpuint(notified, ==, 1);
	g_assert_cmpuint(swb_backend_get_total(first), ==, 11);
	g_assert_cmpuint(swb_backend_get_active(first), ==, 2);
	g_assert_cmpstr(swb_backend_get_last_error(first), ==, "timed out");
	/* a field left out keeps its value */
	g_assert_cmpuint(swb_backend_get_weight(first), ==, 2);
	g_assert_cmpstr(swb_backend_get_state(row(model, 1)), ==, "up");
	g_signal_handlers_disconnect_by_data(first, &notified);

	/* one server leaves, one comes: the rows change, the kept one stays the same object */
	reset(model, "[{\"route\": \"vnc\", \"address\": \"127.0.0.1:5900\"},"
	    " {\"route\": \"ssh\", \"address\": \"unix:/run/ssh.sock\", \"state\": \"maint\"},"
	    " {\"route\": \"ssh\"}, {\"address\": \"x:1\"}, 42]");
	g_assert_cmpuint(c.calls, ==, 1);
	g_assert_cmpuint(c.removed, ==, 2);
	g_assert_cmpuint(c.added, ==, 2);
	g_assert_true(row(model, 0) == first);
	g_assert_cmpstr(swb_backend_get_admin(row(model, 1)), ==, "maint");
	reset(model, "{\"not\": \"a list\"}");
	g_assert_cmpuint(n_rows(model), ==, 0);
}

static void
test_events(void)
{
	g_autoptr(SwbBackendModel) model = swb_backend_model_new();
	Changes c = { 0 };
	g_autofree char *icon = NULL;
	SwbBackend *b;

	reset(model, LIST_TWO);
	g_signal_connect(model, "items-changed", G_CALLBACK(on_items_changed), &c);
	g_assert_true(feed(model, "backend.state", "{\"route\": \"vnc\","
	    " \"address\": \"127.0.0.1:5900\", \"server\": \"127.0.0.1:5900\","
	    " \"state\": \"drain\", \"reason\": \"set to drain by hand\"}"));
	b = row(model, 0);
	g_assert_cmpuint(c.calls, ==, 0);
	g_assert_cmpstr(swb_backend_get_state(b), ==, "drain");
	g_assert_cmpstr(swb_backend_get_admin(b), ==, "drain");
	g_assert_cmpstr(swb_backend_get_reason(b), ==, "set to drain by hand");
	/* the counters the event does not carry stay */
	g_assert_cmpuint(swb_backend_get_total(b), ==, 10);
	g_object_get(b, "state-icon", &icon, NULL);
	g_assert_cmpstr(icon, ==, "media-playback-pause-symbolic");

	/* a server the list has not shown yet gets a row */
	g_assert_true(feed(model, "backend.state", "{\"route\": \"ssh\","
	    " \"address\": \"10.0.0.7:22\", \"state\": \"down\", \"reason\": \"refused\"}"));
	g_assert_cmpuint(c.calls, ==, 1);
	g_assert_cmpuint(c.position, ==, 2);
	g_assert_cmpuint(c.added, ==, 1);
	g_assert_cmpstr(swb_backend_get_state(row(model, 2)), ==, "down");

	g_assert_false(feed(model, "connection.opened", "{\"route\": \"vnc\","
	    " \"address\": \"127.0.0.1:5900\", \"state\": \"up\"}"));
	g_assert_false(feed(model, "backend.state", "{\"route\": \"vnc\", \"state\": \"up\"}"));
	g_assert_cmpstr(swb_backend_get_state(row(model, 0)), ==, "drain");
	swb_backend_model_clear(model);
	g_assert_cmpuint(n_rows(model), ==, 0);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/backend-model/list", test_list);
	g_test_add_func("/backend-model/refresh-in-place", test_refresh_in_place);
	g_test_add_func("/backend-model/events", test_events);
	return g_test_run();
}
