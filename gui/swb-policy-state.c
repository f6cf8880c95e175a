/*
 * swb-policy-state.c - the daemon's side of the policy being edited: loading
 * (policy.get), checking as you type (policy.validate), applying with the
 * revision the edits started from (policy.apply) and its conflicts
 */
#include "swb-policy-state-private.h"

#include "sb-control.h"

/* Typing pauses this long before the daemon is asked. */
#define CHECK_DELAY_MS 400

struct _SwbPolicyState {
	GObject parent_instance;

	SwbPolicyModel *model;
	SwbSession *session;
	/*
	 * Our calls to this session; cancelled when the session changes and at
	 * dispose. Their callbacks hold no reference: they look at a cancelled
	 * call's state only once they know it was not cancelled.
	 */
	GCancellable *cancellable;
	SwbPolicyCheck check;
	char *check_error;
	guint check_source;
	guint generation; /* of the document sent for checking */
	gboolean busy;
	SwbPolicyConflict conflict;
	gint64 conflict_revision;
	char *daemon_file;
	gboolean persist;
};

G_DEFINE_FINAL_TYPE(SwbPolicyState, swb_policy_state, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE(SwbPolicyCheck, swb_policy_check,
    G_DEFINE_ENUM_VALUE(SWB_POLICY_CHECK_NONE, "none"),
    G_DEFINE_ENUM_VALUE(SWB_POLICY_CHECK_PENDING, "pending"),
    G_DEFINE_ENUM_VALUE(SWB_POLICY_CHECK_VALID, "valid"),
    G_DEFINE_ENUM_VALUE(SWB_POLICY_CHECK_INVALID, "invalid"),
    G_DEFINE_ENUM_VALUE(SWB_POLICY_CHECK_FAILED, "failed"))

G_DEFINE_ENUM_TYPE(SwbPolicyConflict, swb_policy_conflict,
    G_DEFINE_ENUM_VALUE(SWB_POLICY_CONFLICT_NONE, "none"),
    G_DEFINE_ENUM_VALUE(SWB_POLICY_CONFLICT_STALE, "stale"),
    G_DEFINE_ENUM_VALUE(SWB_POLICY_CONFLICT_ELSEWHERE, "elsewhere"))

enum {
	PROP_0,
	PROP_MODEL,
	PROP_SESSION,
	PROP_CONNECTED,
	PROP_BUSY,
	PROP_CHECK,
	PROP_CHECK_ERROR,
	PROP_CONFLICT,
	PROP_CONFLICT_REVISION,
	PROP_DAEMON_FILE,
	PROP_PERSIST,
	N_PROPS
};

enum {
	SIGNAL_LOADED,
	SIGNAL_LOAD_FAILED,
	N_SIGNALS
};

static GParamSpec *props[N_PROPS];
static guint signals[N_SIGNALS];

static SwbClient *
client_of(SwbPolicyState *self)
{
	return self->session != NULL ? swb_session_get_client(self->session) : NULL;
}

static void
set_busy(SwbPolicyState *self, gboolean busy)
{
	if (self->busy == busy)
		return;
	self->busy = busy;
	g_object_notify_by_pspec(G_OBJECT(self), props[PROP_BUSY]);
}

void
_swb_policy_state_set_busy(SwbPolicyState *self, gboolean busy)
{
	set_busy(self, busy);
}

static void
set_check(SwbPolicyState *self, SwbPolicyCheck check, const char *error)
{
	if (g_strcmp0(self->check_error, error) != 0) {
		g_free(self->check_error);
		self->check_error = g_strdup(error);
		g_object_notify_by_pspec(G_OBJECT(self), props[PROP_CHECK_ERROR]);
	}
	if (self->check == check)
		return;
	self->check = check;
	g_object_notify_by_pspec(G_OBJECT(self), props[PROP_CHECK]);
}

static void
set_conflict(SwbPolicyState *self, SwbPolicyConflict conflict, gint64 revision)
{
	g_object_freeze_notify(G_OBJECT(self));
	if (self->conflict_revision != revision) {
		self->conflict_revision = revision;
		g_object_notify_by_pspec(G_OBJECT(self), props[PROP_CONFLICT_REVISION]);
	}
	if (self->conflict != conflict) {
		self->conflict = conflict;
		g_object_notify_by_pspec(G_OBJECT(self), props[PROP_CONFLICT]);
	}
	g_object_thaw_notify(G_OBJECT(self));
}

static void
set_daemon_file(SwbPolicyState *self, const char *file)
{
	if (g_strcmp0(self->daemon_file, file) == 0)
		return;
	g_free(self->daemon_file);
	self->daemon_file = g_strdup(file);
	g_object_notify_by_pspec(G_OBJECT(self), props[PROP_DAEMON_FILE]);
}

static void
call_daemon(SwbPolicyState *self, enum sb_control_method method, json_object *params,
    GAsyncReadyCallback callback, gpointer data)
{
	swb_client_call_async(client_of(self), sb_control_method_name(method), params,
	    self->cancellable, callback, data);
}

static json_object *
policy_params(SwbPolicyState *self)
{
	json_object *params = json_object_new_object();

	json_object_object_add(params, SB_FIELD_POLICY,
	    json_object_get(swb_policy_model_get_document(self->model)));
	return params;
}

/* A policy.validate in flight, and which text it judges. */
typedef struct {
	SwbPolicyState *self;
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
	SwbPolicyState *self = call->self;

	json_object_put(answer);
	/* cancelled: another session, or we are gone; another generation: the text changed */
	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
	    call->generation != self->generation) {
		json_object_put(error_data);
		return;
	}
	if (error == NULL) {
		swb_policy_model_set_daemon_errors(self->model, NULL);
		set_check(self, SWB_POLICY_CHECK_VALID, NULL);
	} else if (g_error_matches(error, SWB_CLIENT_ERROR, SB_ERR_POLICY_INVALID)) {
		json_object_object_get_ex(error_data, SB_FIELD_ERRORS, &errors);
		swb_policy_model_set_daemon_errors(self->model, errors);
		set_check(self, SWB_POLICY_CHECK_INVALID, NULL);
	} else {
		set_check(self, SWB_POLICY_CHECK_FAILED, error->message);
	}
	json_object_put(error_data);
}

static gboolean
run_check(gpointer data)
{
	SwbPolicyState *self = data;
	json_object *params = policy_params(self);
	CheckCall *call = g_new(CheckCall, 1);

	self->check_source = 0;
	call->self = self;
	call->generation = self->generation;
	call_daemon(self, SB_METHOD_POLICY_VALIDATE, params, on_validated, call);
	json_object_put(params);
	return G_SOURCE_REMOVE;
}

/* The document changed (or the connection did): ask the daemon once typing pauses. */
static void
schedule_check(SwbPolicyState *self)
{
	g_clear_handle_id(&self->check_source, g_source_remove);
	self->generation++;
	if (!swb_policy_model_get_valid(self->model) || !swb_policy_state_get_connected(self)) {
		set_check(self, SWB_POLICY_CHECK_NONE, NULL);
		return;
	}
	set_check(self, SWB_POLICY_CHECK_PENDING, NULL);
	self->check_source = g_timeout_add(CHECK_DELAY_MS, run_check, self);
}

static void
on_got_policy(GObject *source, GAsyncResult *result, gpointer data)
{
	g_autoptr(GError) error = NULL;
	json_object *answer = swb_client_call_finish(SWB_CLIENT(source), result, NULL, &error);
	json_object *policy = NULL;
	json_object *revision = NULL;
	json_object *file = NULL;
	SwbPolicyState *self;

	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return;
	self = data;
	set_busy(self, FALSE);
	if (answer == NULL || !json_object_object_get_ex(answer, SB_FIELD_POLICY, &policy) ||
	    !json_object_is_type(policy, json_type_object)) {
		g_signal_emit(self, signals[SIGNAL_LOAD_FAILED], 0,
		    error != NULL ? error->message : "the answer has no policy");
		json_object_put(answer);
		return;
	}
	json_object_object_get_ex(answer, SB_FIELD_REVISION, &revision);
	swb_policy_model_load(self->model, policy, json_object_is_type(revision, json_type_int) ?
	    json_object_get_int64(revision) : -1, NULL);
	/* the daemon's file, when it says, is where its relative paths start */
	if (json_object_object_get_ex(answer, SB_FIELD_FILE, &file) &&
	    json_object_is_type(file, json_type_string)) {
		g_autofree char *dir = g_path_get_dirname(json_object_get_string(file));

		set_daemon_file(self, json_object_get_string(file));
		swb_policy_model_set_base_dir(self->model, dir);
	} else {
		set_daemon_file(self, NULL);
	}
	set_conflict(self, SWB_POLICY_CONFLICT_NONE, -1);
	g_signal_emit(self, signals[SIGNAL_LOADED], 0);
	json_object_put(answer);
}

void
swb_policy_state_reload(SwbPolicyState *self)
{
	g_return_if_fail(SWB_IS_POLICY_STATE(self));
	if (!swb_policy_state_get_connected(self))
		return;
	set_busy(self, TRUE);
	call_daemon(self, SB_METHOD_POLICY_GET, NULL, on_got_policy, self);
}

static gint64
member_revision(json_object *obj, gint64 missing)
{
	json_object *v = NULL;

	return json_object_object_get_ex(obj, SB_FIELD_REVISION, &v) ?
	    json_object_get_int64(v) : missing;
}

static void
on_applied(GObject *source, GAsyncResult *result, gpointer data)
{
	g_autoptr(GTask) task = data;
	SwbPolicyState *self = g_task_get_source_object(task);
	GError *error = NULL;
	json_object *error_data = NULL;
	json_object *answer = swb_client_call_finish(SWB_CLIENT(source), result, &error_data,
	    &error);
	json_object *errors = NULL;

	/* cancelled: the session changed, and its outcome is no longer ours to follow */
	if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		set_busy(self, FALSE);
	if (error == NULL) {
		gint64 *revision = g_new(gint64, 1);

		*revision = member_revision(answer, -1);
		swb_policy_model_mark_applied(self->model, *revision);
		set_conflict(self, SWB_POLICY_CONFLICT_NONE, -1);
		g_task_return_pointer(task, revision, g_free);
	} else if (g_error_matches(error, SWB_CLIENT_ERROR, SB_ERR_STALE_REVISION)) {
		set_conflict(self, SWB_POLICY_CONFLICT_STALE, member_revision(error_data, 0));
		g_task_return_error(task, error);
	} else if (g_error_matches(error, SWB_CLIENT_ERROR, SB_ERR_POLICY_INVALID)) {
		json_object_object_get_ex(error_data, SB_FIELD_ERRORS, &errors);
		swb_policy_model_set_daemon_errors(self->model, errors);
		set_check(self, SWB_POLICY_CHECK_INVALID, NULL);
		g_task_return_error(task, error);
	} else {
		g_task_return_error(task, error);
	}
	json_object_put(answer);
	json_object_put(error_data);
}

void
swb_policy_state_apply_async(SwbPolicyState *self, gboolean overwrite,
    GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
	GTask *task;
	json_object *params;
	gint64 revision;

	g_return_if_fail(SWB_IS_POLICY_STATE(self));
	task = g_task_new(self, cancellable, callback, user_data);
	g_task_set_source_tag(task, swb_policy_state_apply_async);
	if (client_of(self) == NULL) {
		g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
		    "not connected to the daemon");
		g_object_unref(task);
		return;
	}
	revision = overwrite ? self->conflict_revision :
	    swb_policy_model_get_revision(self->model);
	params = policy_params(self);
	if (revision >= 0)
		json_object_object_add(params, SB_FIELD_REVISION, json_object_new_int64(revision));
	/* a daemon running without a policy file has nowhere to persist to */
	if (self->daemon_file != NULL)
		json_object_object_add(params, SB_FIELD_PERSIST,
		    json_object_new_boolean(self->persist));
	set_busy(self, TRUE);
	call_daemon(self, SB_METHOD_POLICY_APPLY, params, on_applied, task);
	json_object_put(params);
}

gboolean
swb_policy_state_apply_finish(SwbPolicyState *self, GAsyncResult *result, gint64 *revision,
    GError **error)
{
	g_autofree gint64 *applied = NULL;

	g_return_val_if_fail(g_task_is_valid(result, self), FALSE);
	applied = g_task_propagate_pointer(G_TASK(result), error);
	if (applied == NULL)
		return FALSE;
	if (revision != NULL)
		*revision = *applied;
	return TRUE;
}

static void
on_connected_changed(SwbPolicyState *self)
{
	g_object_notify_by_pspec(G_OBJECT(self), props[PROP_CONNECTED]);
	/* a fresh daemon policy unless the user has edits or a file open */
	if (swb_policy_state_get_connected(self) &&
	    !swb_policy_model_get_modified(self->model) &&
	    swb_policy_model_get_file(self->model) == NULL)
		swb_policy_state_reload(self);
	else
		schedule_check(self);
}

static void
on_policy_applied(SwbSession *session, gint64 revision, SwbPolicyState *self)
{
	if (revision == swb_policy_model_get_revision(self->model) || self->busy)
		return;
	if (!swb_policy_model_get_modified(self->model))
		swb_policy_state_reload(self);
	else
		set_conflict(self, SWB_POLICY_CONFLICT_ELSEWHERE, revision);
}

static void
disconnect_session(SwbPolicyState *self)
{
	if (self->session == NULL)
		return;
	g_signal_handlers_disconnect_by_data(swb_session_get_client(self->session), self);
	g_signal_handlers_disconnect_by_data(self->session, self);
	g_clear_object(&self->session);
}

void
swb_policy_state_set_session(SwbPolicyState *self, SwbSession *session)
{
	g_return_if_fail(SWB_IS_POLICY_STATE(self));
	if (self->session == session)
		return;
	g_object_freeze_notify(G_OBJECT(self));
	disconnect_session(self);
	if (session != NULL)
		self->session = g_object_ref(session);
	g_cancellable_cancel(self->cancellable);
	g_object_unref(self->cancellable);
	self->cancellable = g_cancellable_new();
	set_busy(self, FALSE);
	set_daemon_file(self, NULL);
	swb_policy_model_clear(self->model);
	set_conflict(self, SWB_POLICY_CONFLICT_NONE, -1);
	g_object_notify_by_pspec(G_OBJECT(self), props[PROP_SESSION]);
	if (session != NULL) {
		g_signal_connect_object(swb_session_get_client(session), "notify::connected",
		    G_CALLBACK(on_connected_changed), self, G_CONNECT_SWAPPED);
		g_signal_connect_object(session, "policy-applied", G_CALLBACK(on_policy_applied),
		    self, 0);
	}
	on_connected_changed(self);
	g_object_thaw_notify(G_OBJECT(self));
}

SwbSession *
swb_policy_state_get_session(SwbPolicyState *self)
{
	return self->session;
}

SwbPolicyModel *
swb_policy_state_get_model(SwbPolicyState *self)
{
	return self->model;
}

gboolean
swb_policy_state_get_connected(SwbPolicyState *self)
{
	SwbClient *client = client_of(self);

	return client != NULL && swb_client_get_connected(client);
}

gboolean
swb_policy_state_get_busy(SwbPolicyState *self)
{
	return self->busy;
}

SwbPolicyCheck
swb_policy_state_get_check(SwbPolicyState *self)
{
	return self->check;
}

const char *
swb_policy_state_get_check_error(SwbPolicyState *self)
{
	return self->check_error;
}

SwbPolicyConflict
swb_policy_state_get_conflict(SwbPolicyState *self)
{
	return self->conflict;
}

gint64
swb_policy_state_get_conflict_revision(SwbPolicyState *self)
{
	return self->conflict_revision;
}

const char *
swb_policy_state_get_daemon_file(SwbPolicyState *self)
{
	return self->daemon_file;
}

void
swb_policy_state_set_persist(SwbPolicyState *self, gboolean persist)
{
	g_return_if_fail(SWB_IS_POLICY_STATE(self));
	persist = !!persist;
	if (self->persist == persist)
		return;
	self->persist = persist;
	g_object_notify_by_pspec(G_OBJECT(self), props[PROP_PERSIST]);
}

/* Connected, with a valid document and nothing in flight. */
static gboolean
can_send(SwbPolicyState *self)
{
	return swb_policy_state_get_connected(self) && !self->busy &&
	    swb_policy_model_get_valid(self->model);
}

gboolean
swb_policy_state_can_apply(SwbPolicyState *self)
{
	return can_send(self) && self->check != SWB_POLICY_CHECK_INVALID &&
	    swb_policy_model_get_modified(self->model);
}

gboolean
swb_policy_state_can_overwrite(SwbPolicyState *self)
{
	return can_send(self) && self->conflict_revision >= 0;
}

gboolean
swb_policy_state_can_reload(SwbPolicyState *self)
{
	return swb_policy_state_get_connected(self) && !self->busy;
}

SwbPolicyState *
swb_policy_state_new(SwbPolicyModel *model)
{
	g_return_val_if_fail(SWB_IS_POLICY_MODEL(model), NULL);
	return g_object_new(SWB_TYPE_POLICY_STATE, "model", model, NULL);
}

static void
swb_policy_state_get_property(GObject *object, guint prop_id, GValue *value,
    GParamSpec *pspec)
{
	SwbPolicyState *self = SWB_POLICY_STATE(object);

	switch (prop_id) {
	case PROP_MODEL:
		g_value_set_object(value, self->model);
		break;
	case PROP_SESSION:
		g_value_set_object(value, self->session);
		break;
	case PROP_CONNECTED:
		g_value_set_boolean(value, swb_policy_state_get_connected(self));
		break;
	case PROP_BUSY:
		g_value_set_boolean(value, self->busy);
		break;
	case PROP_CHECK:
		g_value_set_enum(value, self->check);
		break;
	case PROP_CHECK_ERROR:
		g_value_set_string(value, self->check_error);
		break;
	case PROP_CONFLICT:
		g_value_set_enum(value, self->conflict);
		break;
	case PROP_CONFLICT_REVISION:
		g_value_set_int64(value, self->conflict_revision);
		break;
	case PROP_DAEMON_FILE:
		g_value_set_string(value, self->daemon_file);
		break;
	case PROP_PERSIST:
		g_value_set_boolean(value, self->persist);
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
	}
}

static void
swb_policy_state_set_property(GObject *object, guint prop_id, const GValue *value,
    GParamSpec *pspec)
{
	SwbPolicyState *self = SWB_POLICY_STATE(object);

	switch (prop_id) {
	case PROP_MODEL:
		self->model = g_value_dup_object(value);
		break;
	case PROP_SESSION:
		swb_policy_state_set_session(self, g_value_get_object(value));
		break;
	case PROP_PERSIST:
		swb_policy_state_set_persist(self, g_value_get_boolean(value));
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
	}
}

static void
swb_policy_state_constructed(GObject *object)
{
	SwbPolicyState *self = SWB_POLICY_STATE(object);

	G_OBJECT_CLASS(swb_policy_state_parent_class)->constructed(object);
	g_return_if_fail(self->model != NULL);
	g_signal_connect_object(self->model, "changed", G_CALLBACK(schedule_check), self,
	    G_CONNECT_SWAPPED);
}

static void
swb_policy_state_dispose(GObject *object)
{
	SwbPolicyState *self = SWB_POLICY_STATE(object);

	g_cancellable_cancel(self->cancellable);
	g_clear_handle_id(&self->check_source, g_source_remove);
	disconnect_session(self);
	G_OBJECT_CLASS(swb_policy_state_parent_class)->dispose(object);
}

static void
swb_policy_state_finalize(GObject *object)
{
	SwbPolicyState *self = SWB_POLICY_STATE(object);

	g_clear_object(&self->cancellable);
	g_clear_object(&self->model);
	g_clear_pointer(&self->check_error, g_free);
	g_clear_pointer(&self->daemon_file, g_free);
	G_OBJECT_CLASS(swb_policy_state_parent_class)->finalize(object);
}

static void
swb_policy_state_class_init(SwbPolicyStateClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS |
	    G_PARAM_EXPLICIT_NOTIFY;
	const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
	    G_PARAM_EXPLICIT_NOTIFY;

	object_class->get_property = swb_policy_state_get_property;
	object_class->set_property = swb_policy_state_set_property;
	object_class->constructed = swb_policy_state_constructed;
	object_class->dispose = swb_policy_state_dispose;
	object_class->finalize = swb_policy_state_finalize;

	props[PROP_MODEL] = g_param_spec_object("model", NULL, NULL, SWB_TYPE_POLICY_MODEL,
	    G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
	props[PROP_SESSION] = g_param_spec_object("session", NULL, NULL, SWB_TYPE_SESSION, rw);
	props[PROP_CONNECTED] = g_param_spec_boolean("connected", NULL, NULL, FALSE, ro);
	props[PROP_BUSY] = g_param_spec_boolean("busy", NULL, NULL, FALSE, ro);
	props[PROP_CHECK] = g_param_spec_enum("check", NULL, NULL, SWB_TYPE_POLICY_CHECK,
	    SWB_POLICY_CHECK_NONE, ro);
	props[PROP_CHECK_ERROR] = g_param_spec_string("check-error", NULL, NULL, NULL, ro);
	props[PROP_CONFLICT] = g_param_spec_enum("conflict", NULL, NULL,
	    SWB_TYPE_POLICY_CONFLICT, SWB_POLICY_CONFLICT_NONE, ro);
	props[PROP_CONFLICT_REVISION] = g_param_spec_int64("conflict-revision", NULL, NULL, -1,
	    G_MAXINT64, -1, ro);
	props[PROP_DAEMON_FILE] = g_param_spec_string("daemon-file", NULL, NULL, NULL, ro);
	props[PROP_PERSIST] = g_param_spec_boolean("persist", NULL, NULL, TRUE, rw);
	g_object_class_install_properties(object_class, N_PROPS, props);

	signals[SIGNAL_LOADED] = g_signal_new("loaded", G_TYPE_FROM_CLASS(klass),
	    G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
	signals[SIGNAL_LOAD_FAILED] = g_signal_new("load-failed", G_TYPE_FROM_CLASS(klass),
	    G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
swb_policy_state_init(SwbPolicyState *self)
{
	self->cancellable = g_cancellable_new();
	self->conflict_revision = -1;
	self->persist = TRUE;
}
