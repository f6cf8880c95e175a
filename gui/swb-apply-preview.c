/* swb-apply-preview.c - what applying a policy closes, in words, before it is applied */
#include "swb-apply-preview.h"

#include "sb-control.h"
#include "swb-policy-state-private.h"

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

static void
put_json(gpointer v)
{
	json_object_put(v);
}

static void
on_previewed(GObject *source, GAsyncResult *result, gpointer data)
{
	g_autoptr(GTask) task = data;
	GError *error = NULL;
	json_object *answer = swb_client_call_finish(SWB_CLIENT(source), result, NULL, &error);
	json_object *close = NULL;

	/* before the answer: its callback may start the apply, busy again */
	_swb_policy_state_set_busy(g_task_get_source_object(task), FALSE);
	if (error != NULL)
		g_task_return_error(task, error);
	else if (json_object_object_get_ex(answer, SB_FIELD_WOULD_CLOSE, &close) &&
	    json_object_is_type(close, json_type_array))
		g_task_return_pointer(task, json_object_get(close), put_json);
	else
		g_task_return_pointer(task, json_object_new_array(), put_json);
	json_object_put(answer);
}

void
swb_apply_preview_async(SwbPolicyState *state, GCancellable *cancellable,
    GAsyncReadyCallback callback, gpointer user_data)
{
	GTask *task = g_task_new(state, cancellable, callback, user_data);
	SwbSession *session = swb_policy_state_get_session(state);
	json_object *params;

	g_task_set_source_tag(task, swb_apply_preview_async);
	if (session == NULL || !swb_policy_state_get_connected(state)) {
		g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
		    "not connected to the daemon");
		g_object_unref(task);
		return;
	}
	params = json_object_new_object();
	json_object_object_add(params, SB_FIELD_POLICY, json_object_get(
	    swb_policy_model_get_document(swb_policy_state_get_model(state))));
	_swb_policy_state_set_busy(state, TRUE);
	swb_client_call_async(swb_session_get_client(session),
	    sb_control_method_name(SB_METHOD_POLICY_VALIDATE), params, cancellable, on_previewed,
	    task);
	json_object_put(params);
}

json_object *
swb_apply_preview_finish(SwbPolicyState *state, GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(result, state), NULL);
	return g_task_propagate_pointer(G_TASK(result), error);
}
