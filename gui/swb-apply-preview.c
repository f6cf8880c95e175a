/* swb-apply-preview.c - what applying a policy closes, in words, before it is applied */
#include "swb-apply-preview.h"

char *
swb_apply_preview_text(json_object *would_close, SwbConnectionModel *connections)
{
	g_autoptr(GString) text = NULL;
	size_t n;

	if (would_close == NULL || !json_object_is_type(would_close, json_type_array) ||
	    (n = json_object_array_length(would_close)) == 0)
		return NULL;
	text = g_string_new(NULL);
	g_string_append_printf(text, g_dngettext(NULL, "Applying closes %zu connection: ",
	    "Applying closes %zu connections: ", n), n);
	for (size_t i = 0; i < n; i++) {
		gint64 id = json_object_get_int64(json_object_array_get_idx(would_close, i));
		SwbConnection *c = connections != NULL && id > 0 ?
		    swb_connection_model_lookup(connections, (guint64)id) : NULL;

		g_string_append_printf(text, "%s%" G_GINT64_FORMAT, i > 0 ? ", " : "", id);
		if (c != NULL)
			g_string_append_printf(text, " (route %s, %s)",
			    swb_connection_get_route(c) ? swb_connection_get_route(c) : "?",
			    swb_connection_get_client(c) ? swb_connection_get_client(c) : "?");
	}
	return g_string_free(g_steal_pointer(&text), FALSE);
}
