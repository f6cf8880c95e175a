/*
 * swb-policy-editor-daemon.c - the policy editor's side facing the daemon:
 * loading (policy.get), checking as you type (policy.validate), applying
 * with the revision the edits started from (policy.apply) and its conflicts
 */
#include "swb-policy-editor-private.h"

#include <adwaita.h>

#include "sb-control.h"
#include "swb-application.h"

/* Typing pauses this long before the daemon is asked. */
#define CHECK_DELAY_MS 400

static void
call_daemon(SwbPolicyEditor *self, enum sb_control_method method, json_object *params,
    GAsyncReadyCallback callback, gpointer data)
{
	swb_client_call_async(_swb_policy_editor_client(self), sb_control_method_name(method),
	    params, self->cancellable, callback, data);
}

/* A policy.validate in flight, and which text it judges. */
typedef struct {
	SwbPolicyEditor *self;
	guint generation;
} CheckCall;

static void
on_validated(GObject *source, GAsyncResult *result, gpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree CheckCall *call = data;
	json_object *error_data = NULL;
	json_object *answer = swb_client_call_finish(SWB_CLIENT(source), result, &error_data,
	    &error);
	json_object *errors = NULL;
	SwbPolicyEditor *self = call->self;

	json_object_put(answer);
	/* cancelled: the editor is gone; another generation: the text changed since */
	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
	    call->generation != self->generation) {
		json_object_put(error_data);
		return;
	}
	g_clear_pointer(&self->check_error, g_free);
	if (error == NULL) {
		self->check = SWB_CHECK_VALID;
		swb_policy_model_set_daemon_errors(self->model, NULL);
	} else if (g_error_matches(error, SWB_CLIENT_ERROR, SB_ERR_POLICY_INVALID)) {
		self->check = SWB_CHECK_INVALID;
		json_object_object_get_ex(error_data, SB_FIELD_ERRORS, &errors);
		swb_policy_model_set_daemon_errors(self->model, errors);
	} else {
		self->check = SWB_CHECK_FAILED;
		self->check_error = g_strdup(error->message);
	}
	json_object_put(error_data);
	_swb_policy_editor_update_actions(self);
}

static json_object *
policy_params(SwbPolicyEditor *self)
{
	json_object *params = json_object_new_object();

	json_object_object_add(params, SB_FIELD_POLICY,
	    json_object_get(swb_policy_model_get_document(self->model)));
	return params;
}

static gboolean
run_check(gpointer data)
{
	SwbPolicyEditor *self = data;
	json_object *params = policy_params(self);
	CheckCall *call = g_new(CheckCall, 1);

	self->check_source = 0;
	call->self = self;
	call->generation = self->generation;
	call_daemon(self, SB_METHOD_POLICY_VALIDATE, params, on_validated, call);
	json_object_put(params);
	return G_SOURCE_REMOVE;
}

void
_swb_policy_editor_schedule_check(SwbPolicyEditor *self)
{
	g_clear_handle_id(&self->check_source, g_source_remove);
	self->generation++;
	if (!swb_policy_model_get_valid(self->model) || !_swb_policy_editor_is_connected(self)) {
		self->check = SWB_CHECK_NONE;
	} else {
		self->check = SWB_CHECK_PENDING;
		self->check_source = g_timeout_add(CHECK_DELAY_MS, run_check, self);
	}
	_swb_policy_editor_update_actions(self);
}

void
_swb_policy_editor_show_conflict(SwbPolicyEditor *self, gint64 revision, const char *text)
{
	self->conflict_revision = revision;
	gtk_label_set_label(self->conflict_label, text);
	gtk_revealer_set_reveal_child(self->conflict_revealer, revision >= 0);
	_swb_policy_editor_update_actions(self);
}

static void
on_got_policy(GObject *source, GAsyncResult *result, gpointer data)
{
	g_autoptr(GError) error = NULL;
	json_object *answer = swb_client_call_finish(SWB_CLIENT(source), result, NULL, &error);
	json_object *policy = NULL;
	json_object *revision = NULL;
	json_object *file = NULL;
	SwbPolicyEditor *self;

	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return;
	self = data;
	self->busy = FALSE;
	if (answer == NULL || !json_object_object_get_ex(answer, SB_FIELD_POLICY, &policy) ||
	    !json_object_is_type(policy, json_type_object)) {
		g_autofree char *text = g_strdup_printf("Could not load the daemon's policy: %s",
		    error != NULL ? error->message : "the answer has no policy");

		_swb_policy_editor_toast(self, text);
		json_object_put(answer);
		_swb_policy_editor_update_actions(self);
		return;
	}
	json_object_object_get_ex(answer, SB_FIELD_REVISION, &revision);
	swb_policy_model_load(self->model, policy, json_object_is_type(revision, json_type_int) ?
	    json_object_get_int64(revision) : -1, NULL);
	/* the daemon's file, when it says, is where its relative paths start */
	g_clear_pointer(&self->daemon_file, g_free);
	if (json_object_object_get_ex(answer, SB_FIELD_FILE, &file) &&
	    json_object_is_type(file, json_type_string)) {
		g_autofree char *dir = g_path_get_dirname(json_object_get_string(file));

		self->daemon_file = g_strdup(json_object_get_string(file));
		swb_policy_model_set_base_dir(self->model, dir);
	}
	_swb_policy_editor_show_conflict(self, -1, "");
	swb_policy_editor_select(self, self->section, self->index);
	json_object_put(answer);
}

void
_swb_policy_editor_reload(SwbPolicyEditor *self)
{
	if (!_swb_policy_editor_is_connected(self))
		return;
	self->busy = TRUE;
	_swb_policy_editor_update_actions(self);
	call_daemon(self, SB_METHOD_POLICY_GET, NULL, on_got_policy, self);
}

static void
on_applied(GObject *source, GAsyncResult *result, gpointer data)
{
	g_autoptr(GError) error = NULL;
	json_object *error_data = NULL;
	json_object *answer = swb_client_call_finish(SWB_CLIENT(source), result, &error_data,
	    &error);
	json_object *v = NULL;
	SwbPolicyEditor *self;

	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		goto out;
	self = data;
	self->busy = FALSE;
	if (error == NULL) {
		gint64 revision = json_object_object_get_ex(answer, SB_FIELD_REVISION, &v) ?
		    json_object_get_int64(v) : -1;
		g_autofree char *text = g_strdup_printf("Applied: revision %" G_GINT64_FORMAT,
		    revision);

		swb_policy_model_mark_applied(self->model, revision);
		_swb_policy_editor_show_conflict(self, -1, "");
		_swb_policy_editor_toast(self, text);
	} else if (g_error_matches(error, SWB_CLIENT_ERROR, SB_ERR_STALE_REVISION)) {
		gint64 current = json_object_object_get_ex(error_data, SB_FIELD_REVISION, &v) ?
		    json_object_get_int64(v) : 0;
		g_autofree char *text = g_strdup_printf("Someone else applied revision %"
		    G_GINT64_FORMAT " since this policy was loaded. Reload it (your edits are "
		    "lost) or overwrite it with yours?", current);

		_swb_policy_editor_show_conflict(self, current, text);
	} else if (g_error_matches(error, SWB_CLIENT_ERROR, SB_ERR_POLICY_INVALID)) {
		self->check = SWB_CHECK_INVALID;
		json_object_object_get_ex(error_data, SB_FIELD_ERRORS, &v);
		swb_policy_model_set_daemon_errors(self->model, v);
	} else {
		g_autofree char *text = g_strdup_printf("Not applied: %s", error->message);

		_swb_policy_editor_toast(self, text);
	}
	_swb_policy_editor_update_actions(self);
out:
	json_object_put(answer);
	json_object_put(error_data);
}

void
_swb_policy_editor_apply(SwbPolicyEditor *self, gint64 revision)
{
	json_object *params = policy_params(self);
	SwbApplication *app = SWB_APPLICATION(g_application_get_default());
	gboolean persist = app == NULL ||
	    swb_settings_get_persist_policy(swb_application_get_settings(app));

	if (revision >= 0)
		json_object_object_add(params, SB_FIELD_REVISION, json_object_new_int64(revision));
	/* a daemon running without a policy file has nowhere to persist to */
	if (self->daemon_file != NULL)
		json_object_object_add(params, SB_FIELD_PERSIST, json_object_new_boolean(persist));
	self->busy = TRUE;
	_swb_policy_editor_update_actions(self);
	call_daemon(self, SB_METHOD_POLICY_APPLY, params, on_applied, self);
	json_object_put(params);
}

void
_swb_policy_editor_on_connected_changed(SwbPolicyEditor *self)
{
	/* a fresh daemon policy unless the user has edits or a file open */
	if (_swb_policy_editor_is_connected(self) && !swb_policy_model_get_modified(self->model) &&
	    swb_policy_model_get_file(self->model) == NULL)
		_swb_policy_editor_reload(self);
	else
		_swb_policy_editor_schedule_check(self);
}

void
_swb_policy_editor_on_policy_applied(SwbSession *session, gint64 revision, SwbPolicyEditor *self)
{
	g_autofree char *text = NULL;

	if (revision == swb_policy_model_get_revision(self->model) || self->busy)
		return;
	if (!swb_policy_model_get_modified(self->model)) {
		_swb_policy_editor_reload(self);
		return;
	}
	text = g_strdup_printf("The daemon now runs revision %" G_GINT64_FORMAT ", applied "
	    "elsewhere while you were editing. Reload it or overwrite it with yours?", revision);
	_swb_policy_editor_show_conflict(self, revision, text);
}

