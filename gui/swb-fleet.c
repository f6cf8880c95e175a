/*
 * swb-fleet.c - one policy applied to one daemon of several: its own
 * revision first (policy.get), then policy.apply with it; the outcome in a word
 */
#include "swb-fleet.h"

#include "sb-control.h"

static const char *const outcome_names[] = {
	[SWB_FLEET_APPLIED] = "applied",
	[SWB_FLEET_STALE] = "stale",
	[SWB_FLEET_INVALID] = "invalid",
	[SWB_FLEET_UNREACHABLE] = "unreachable",
};

typedef struct {
	json_object *policy;
	SwbFleetOutcome outcome;
	char *detail;
} Apply;

static void
apply_free(Apply *a)
{
	json_object_put(a->policy);
	g_free(a->detail);
	g_free(a);
}

const char *
swb_fleet_outcome_name(SwbFleetOutcome outcome)
{
	return (guint)outcome < G_N_ELEMENTS(outcome_names) ? outcome_names[outcome] : "unknown";
}

static void
finish(GTask *task, SwbFleetOutcome outcome, char *detail)
{
	Apply *a = g_task_get_task_data(task);

	a->outcome = outcome;
	a->detail = detail;
	g_task_return_boolean(task, TRUE);
	g_object_unref(task);
}

/* An error from the daemon as an outcome: its first policy error, or its message. */
static void
finish_error(GTask *task, GError *error, json_object *data)
{
	json_object *errors = NULL, *first, *path = NULL, *message = NULL;

	if (g_error_matches(error, SWB_CLIENT_ERROR, SB_ERR_STALE_REVISION)) {
		finish(task, SWB_FLEET_STALE, g_strdup(error->message));
		return;
	}
	if (!g_error_matches(error, SWB_CLIENT_ERROR, SB_ERR_POLICY_INVALID)) {
		finish(task, SWB_FLEET_UNREACHABLE, g_strdup(error->message));
		return;
	}
	if (data != NULL && json_object_object_get_ex(data, SB_FIELD_ERRORS, &errors) &&
	    json_object_is_type(errors, json_type_array) && json_object_array_length(errors) > 0 &&
	    (first = json_object_array_get_idx(errors, 0)) != NULL &&
	    json_object_object_get_ex(first, SB_FIELD_PATH, &path) &&
	    json_object_object_get_ex(first, SB_FIELD_MESSAGE, &message)) {
		finish(task, SWB_FLEET_INVALID, g_strdup_printf("%s: %s",
		    json_object_get_string(path), json_object_get_string(message)));
		return;
	}
	finish(task, SWB_FLEET_INVALID, g_strdup(error->message));
}

static void
on_applied(GObject *source, GAsyncResult *result, gpointer data)
{
	GTask *task = data;
	g_autoptr(GError) error = NULL;
	json_object *error_data = NULL;
	json_object *answer = swb_client_call_finish(SWB_CLIENT(source), result, &error_data,
	    &error);
	json_object *v = NULL;

	if (answer == NULL && error != NULL)
		finish_error(task, error, error_data);
	else if (json_object_object_get_ex(answer, SB_FIELD_REVISION, &v))
		finish(task, SWB_FLEET_APPLIED, g_strdup_printf("revision %" G_GINT64_FORMAT,
		    json_object_get_int64(v)));
	else
		finish(task, SWB_FLEET_APPLIED, NULL);
	json_object_put(error_data);
	json_object_put(answer);
}

static void
on_got(GObject *source, GAsyncResult *result, gpointer data)
{
	GTask *task = data;
	Apply *a = g_task_get_task_data(task);
	g_autoptr(GError) error = NULL;
	json_object *answer = swb_client_call_finish(SWB_CLIENT(source), result, NULL, &error);
	json_object *revision = NULL;
	json_object *params;

	if (answer == NULL || !json_object_object_get_ex(answer, SB_FIELD_REVISION, &revision) ||
	    !json_object_is_type(revision, json_type_int)) {
		finish(task, SWB_FLEET_UNREACHABLE, g_strdup(error != NULL ? error->message :
		    "policy.get answered no revision"));
		json_object_put(answer);
		return;
	}
	params = json_object_new_object();
	json_object_object_add(params, SB_FIELD_POLICY, json_object_get(a->policy));
	json_object_object_add(params, SB_FIELD_REVISION, json_object_get(revision));
	swb_client_call_async(SWB_CLIENT(source), sb_control_method_name(SB_METHOD_POLICY_APPLY),
	    params, g_task_get_cancellable(task), on_applied, task);
	json_object_put(params);
	json_object_put(answer);
}

void
swb_fleet_apply_async(SwbClient *client, json_object *policy, GCancellable *cancellable,
    GAsyncReadyCallback callback, gpointer user_data)
{
	GTask *task = g_task_new(client, cancellable, callback, user_data);
	Apply *a = g_new0(Apply, 1);

	g_task_set_source_tag(task, swb_fleet_apply_async);
	json_object_deep_copy(policy, &a->policy, NULL);
	g_task_set_task_data(task, a, (GDestroyNotify)apply_free);
	swb_client_call_async(client, sb_control_method_name(SB_METHOD_POLICY_GET), NULL,
	    cancellable, on_got, task);
}

SwbFleetOutcome
swb_fleet_apply_finish(GAsyncResult *result, char **detail)
{
	Apply *a = g_task_get_task_data(G_TASK(result));

	if (detail != NULL)
		*detail = g_strdup(a->detail);
	return a->outcome;
}
