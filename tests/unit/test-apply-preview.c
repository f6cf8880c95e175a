/* test-apply-preview.c - the apply preview's text: the connections would_close names */
#include <glib.h>
#include <json-c/json.h>

#include "swb-apply-preview.h"

static void
test_text(void)
{
	g_autoptr(SwbConnectionModel) model = swb_connection_model_new();
	json_object *list = json_tokener_parse("[{\"id\": 7, \"route\": \"vnc\", "
	    "\"client\": \"10.0.0.1:4242\"}, {\"id\": 9, \"route\": \"ssh\", \"client\": "
	    "\"[::1]:5\"}, {\"id\": 11, \"route\": \"stays\", \"client\": \"10.0.0.2:1\"}]");
	json_object *two = json_tokener_parse("[9, 7]");
	json_object *one = json_tokener_parse("[7]");
	json_object *gone = json_tokener_parse("[7, 12]");
	json_object *none = json_tokener_parse("[]");
	g_autofree char *t2 = NULL, *t1 = NULL, *tg = NULL;

	swb_connection_model_reset(model, list, 0);
	t2 = swb_apply_preview_text(two, model);
	g_assert_cmpstr(t2, ==, "Applying closes 2 connections: 9 (route ssh, [::1]:5), "
	    "7 (route vnc, 10.0.0.1:4242)");
	t1 = swb_apply_preview_text(one, model);
	g_assert_cmpstr(t1, ==, "Applying closes 1 connection: 7 (route vnc, 10.0.0.1:4242)");
	/* one that closed since: its id alone */
	tg = swb_apply_preview_text(gone, model);
	g_assert_cmpstr(tg, ==, "Applying closes 2 connections: 7 (route vnc, 10.0.0.1:4242), 12");
	g_assert_null(swb_apply_preview_text(none, model));
	g_assert_null(swb_apply_preview_text(NULL, model));
	json_object_put(list);
	json_object_put(two);
	json_object_put(one);
	json_object_put(gone);
	json_object_put(none);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/apply-preview/text", test_text);
	return g_test_run();
}
