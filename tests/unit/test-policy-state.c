/*
 * test-policy-state.c - the daemon's side of the edited policy against a
 * scripted daemon: load, check as you type, apply with a revision, conflicts
 */
#include <gio/gio.h>
#include <json-c/json.h>

#include "sb-control.h"
#include "swb-test.h"
#include "swb-policy-state.h"

#define WAIT_MS 5000

static const char running_policy[] =
    "{\"version\": 1,"
    " \"listeners\": [{\"name\": \"plain\", \"bind\": \"127.0.0.1:8080\"}],"
    " \"routes\": [{\"name\": \"echo\", \"match\": {\"path\": \"/echo\", \"upgrade\": \"*\"},"
    "   \"mode\": \"tunnel\", \"backend\": \"builtin:echo\"}]}";

typedef enum {
	VALIDATE_OK,
	VALIDATE_INVALID,
	VALIDATE_FAIL,
} ValidateScript;

typedef struct {
	/* the scripted daemon */
	SwbTestDaemon *daemon;
	gint64 revision;     /* the one it runs */
	const char *file;    /* what policy.get says of its file; NULL: none */
	ValidateScript validate;
	guint gets;
	guint validates;
	json_object *applied; /* the params of the last policy.apply */
	/* the app's side */
	SwbSession *session;
	SwbPolicyModel *model;
	SwbPolicyState *state;
	guint loaded;
	char *load_failed;
	gboolean answered;
	gboolean ok;
	gint64 applied_revision;
	GError *error;
} Fixture;

static char *
answer_get(Fixture *f)
{
	g_autofree char *file = f->file != NULL ? g_strdup_printf(", \"file\": \"%s\"", f->file) :
	    g_strdup("");

	f->gets++;
	return g_strdup_printf("\"result\": {\"policy\": %s, \"revision\": %" G_GINT64_FORMAT
	    "%s}", running_policy, f->revision, file);
}

static char *
answer_validate(Fixture *f)
{
	f->validates++;
	switch (f->validate) {
	case VALIDATE_INVALID:
		return g_strdup_printf("\"error\": {\"code\": %d, \"message\": \"invalid policy\","
		    " \"data\": {\"errors\": [{\"path\": \"routes[0].backend\","
		    " \"message\": \"nothing listens there\"}]}}", SB_ERR_POLICY_INVALID);
	case VALIDATE_FAIL:
		return g_strdup_printf("\"error\": {\"code\": %d, \"message\": \"out of time\"}",
		    SB_ERR_INTERNAL);
	case VALIDATE_OK:
	default:
		return g_strdup("\"result\": {}");
	}
}

/* With a revision, it must be the running one; then the next revision runs. */
static char *
answer_apply(Fixture *f, json_object *params)
{
	json_object *revision = NULL;

	json_object_put(f->applied);
	f->applied = json_object_get(params);
	if (json_object_object_get_ex(params, SB_FIELD_REVISION, &revision) &&
	    json_object_get_int64(revision) != f->revision)
		return g_strdup_printf("\"error\": {\"code\": %d, \"message\": \"stale revision\","
		    " \"data\": {\"revision\": %" G_GINT64_FORMAT "}}", SB_ERR_STALE_REVISION,
		    f->revision);
	f->revision++;
	return g_strdup_printf("\"result\": {\"revision\": %" G_GINT64_FORMAT "}", f->revision);
}

static char *
answer(const char *method, json_object *params, gpointer data)
{
	Fixture *f = data;
	enum sb_control_method m;

	if (!sb_control_method_lookup(method, &m))
		return NULL;
	switch (m) {
	case SB_METHOD_POLICY_GET:
		return answer_get(f);
	case SB_METHOD_POLICY_VALIDATE:
		return answer_validate(f);
	case SB_METHOD_POLICY_APPLY:
		return answer_apply(f, params);
	default:
		return NULL; /* status, connections.list: never answered */
	}
}

static void
on_loaded(SwbPolicyState *state, Fixture *f)
{
	f->loaded++;
}

static void
on_load_failed(SwbPolicyState *state, const char *reason, Fixture *f)
{
	g_free(f->load_failed);
	f->load_failed = g_strdup(reason);
}

static gboolean
is_loaded(gpointer data)
{
	Fixture *f = data;

	return f->loaded > 0 && swb_policy_state_get_check(f->state) == SWB_POLICY_CHECK_VALID;
}

static void
setup(Fixture *f, gconstpointer data)
{
	f->revision = 5;
	f->file = "/etc/switchboard/policy.json";
	f->daemon = swb_test_daemon_new(answer, f);
	f->session = swb_session_new(swb_test_daemon_get_path(f->daemon));
	f->model = swb_policy_model_new();
	f->state = swb_policy_state_new(f->model);
	g_signal_connect(f->state, "loaded", G_CALLBACK(on_loaded), f);
	g_signal_connect(f->state, "load-failed", G_CALLBACK(on_load_failed), f);
	swb_policy_state_set_session(f->state, f->session);
	swb_session_start(f->session);
	/* connected: the daemon's policy is loaded, then checked with it */
	g_assert_true(swb_test_wait_for(is_loaded, f, WAIT_MS));
}

static void
teardown(Fixture *f, gconstpointer data)
{
	g_assert_finalize_object(f->state);
	g_assert_finalize_object(f->model);
	g_assert_finalize_object(f->session);
	swb_test_daemon_free(f->daemon);
	json_object_put(f->applied);
	g_free(f->load_failed);
	g_clear_error(&f->error);
}

static void
edit(Fixture *f, const char *timeout)
{
	swb_policy_model_set_text(f->model, SWB_SECTION_ROUTE, 0,
	    swb_policy_field_find(SWB_SECTION_ROUTE, "idle_timeout_s"), timeout);
}

static gboolean
check_done(gpointer data)
{
	Fixture *f = data;

	return swb_policy_state_get_check(f->state) != SWB_POLICY_CHECK_PENDING;
}

static void
on_applied(GObject *source, GAsyncResult *result, gpointer data)
{
	Fixture *f = data;

	g_clear_error(&f->error);
	f->applied_revision = -1;
	f->ok = swb_policy_state_apply_finish(SWB_POLICY_STATE(source), result,
	    &f->applied_revision, &f->error);
	f->answered = TRUE;
}

static gboolean
is_answered(gpointer data)
{
	return ((Fixture *)data)->answered;
}

static void
apply(Fixture *f, gboolean overwrite)
{
	f->answered = FALSE;
	swb_policy_state_apply_async(f->state, overwrite, NULL, on_applied, f);
	g_assert_true(swb_test_wait_for(is_answered, f, WAIT_MS));
}

static gint64
applied_member_int(Fixture *f, const char *key)
{
	json_object *v = NULL;

	return json_object_object_get_ex(f->applied, key, &v) ? json_object_get_int64(v) : -1;
}

static void
test_load(Fixture *f, gconstpointer data)
{
	g_assert_true(swb_policy_state_get_connected(f->state));
	g_assert_cmpint(swb_policy_model_get_revision(f->model), ==, 5);
	g_assert_cmpuint(swb_policy_model_get_n_items(f->model, SWB_SECTION_ROUTE), ==, 1);
	g_assert_false(swb_policy_model_get_modified(f->model));
	g_assert_cmpstr(swb_policy_state_get_daemon_file(f->state), ==,
	    "/etc/switchboard/policy.json");
	g_assert_false(swb_policy_state_get_busy(f->state));
	g_assert_cmpint(swb_policy_state_get_conflict(f->state), ==, SWB_POLICY_CONFLICT_NONE);
	g_assert_cmpuint(f->gets, ==, 1);
	g_assert_cmpuint(f->validates, ==, 1);
	g_assert_null(f->load_failed);
	/* nothing to apply until an edit; reloading is always offered */
	g_assert_false(swb_policy_state_can_apply(f->state));
	g_assert_false(swb_policy_state_can_overwrite(f->state));
	g_assert_true(swb_policy_state_can_reload(f->state));
}

/* Each pause in typing asks the daemon once; its verdict lands in the state and the model. */
static void
test_check(Fixture *f, gconstpointer data)
{
	guint before = f->validates;

	edit(f, "10");
	edit(f, "12");
	g_assert_cmpint(swb_policy_state_get_check(f->state), ==, SWB_POLICY_CHECK_PENDING);
	g_assert_true(swb_test_wait_for(check_done, f, WAIT_MS));
	g_assert_cmpuint(f->validates, ==, before + 1);
	g_assert_cmpint(swb_policy_state_get_check(f->state), ==, SWB_POLICY_CHECK_VALID);
	g_assert_true(swb_policy_state_can_apply(f->state));

	f->validate = VALIDATE_INVALID;
	edit(f, "13");
	g_assert_true(swb_test_wait_for(check_done, f, WAIT_MS));
	g_assert_cmpint(swb_policy_state_get_check(f->state), ==, SWB_POLICY_CHECK_INVALID);
	g_assert_cmpstr(swb_policy_model_get_field_error(f->model, SWB_SECTION_ROUTE, 0,
	    swb_policy_field_find(SWB_SECTION_ROUTE, "backend"), NULL), ==,
	    "nothing listens there");
	g_assert_false(swb_policy_state_can_apply(f->state));

	f->validate = VALIDATE_FAIL;
	edit(f, "14");
	g_assert_true(swb_test_wait_for(check_done, f, WAIT_MS));
	g_assert_cmpint(swb_policy_state_get_check(f->state), ==, SWB_POLICY_CHECK_FAILED);
	g_assert_cmpstr(swb_policy_state_get_check_error(f->state), ==, "out of time");
	/* a daemon that cannot check does not stop an apply, which it judges itself */
	g_assert_true(swb_policy_state_can_apply(f->state));

	/* invalid here: the daemon is not asked */
	before = f->validates;
	edit(f, "-1");
	g_assert_false(swb_policy_model_get_valid(f->model));
	g_assert_cmpint(swb_policy_state_get_check(f->state), ==, SWB_POLICY_CHECK_NONE);
	g_assert_null(swb_policy_state_get_check_error(f->state));
	g_assert_false(swb_policy_state_can_apply(f->state));
	edit(f, "15");
	g_assert_true(swb_test_wait_for(check_done, f, WAIT_MS));
	g_assert_cmpuint(f->validates, ==, before + 1);
}

/* Apply sends the revision the edits started from and whether to persist. */
static void
test_apply(Fixture *f, gconstpointer data)
{
	edit(f, "10");
	apply(f, FALSE);
	g_assert_no_error(f->error);
	g_assert_true(f->ok);
	g_assert_cmpint(f->applied_revision, ==, 6);
	g_assert_cmpint(applied_member_int(f, SB_FIELD_REVISION), ==, 5);
	g_assert_cmpint(applied_member_int(f, SB_FIELD_PERSIST), ==, TRUE);
	g_assert_cmpint(swb_policy_model_get_revision(f->model), ==, 6);
	g_assert_false(swb_policy_model_get_modified(f->model));
	g_assert_false(swb_policy_state_get_busy(f->state));

	swb_policy_state_set_persist(f->state, FALSE);
	edit(f, "11");
	apply(f, FALSE);
	g_assert_true(f->ok);
	g_assert_cmpint(applied_member_int(f, SB_FIELD_REVISION), ==, 6);
	g_assert_cmpint(applied_member_int(f, SB_FIELD_PERSIST), ==, FALSE);

	/* a daemon without a policy file is not asked to persist */
	f->file = NULL;
	f->loaded = 0;
	swb_policy_state_reload(f->state);
	g_assert_true(swb_policy_state_get_busy(f->state));
	g_assert_true(swb_test_wait_for(is_loaded, f, WAIT_MS));
	g_assert_null(swb_policy_state_get_daemon_file(f->state));
	edit(f, "12");
	apply(f, FALSE);
	g_assert_true(f->ok);
	g_assert_false(json_object_object_get_ex(f->applied, SB_FIELD_PERSIST, NULL));
}

/* Applied elsewhere first: ours is stale; Overwrite applies over the running revision. */
static void
test_stale(Fixture *f, gconstpointer data)
{
	f->revision = 7;
	edit(f, "10");
	apply(f, FALSE);
	g_assert_false(f->ok);
	g_assert_error(f->error, SWB_CLIENT_ERROR, SB_ERR_STALE_REVISION);
	g_assert_cmpint(swb_policy_state_get_conflict(f->state), ==, SWB_POLICY_CONFLICT_STALE);
	g_assert_cmpint(swb_policy_state_get_conflict_revision(f->state), ==, 7);
	g_assert_true(swb_policy_model_get_modified(f->model));
	g_assert_true(swb_policy_state_can_overwrite(f->state));

	apply(f, TRUE);
	g_assert_no_error(f->error);
	g_assert_cmpint(applied_member_int(f, SB_FIELD_REVISION), ==, 7);
	g_assert_cmpint(f->applied_revision, ==, 8);
	g_assert_cmpint(swb_policy_state_get_conflict(f->state), ==, SWB_POLICY_CONFLICT_NONE);
	g_assert_cmpint(swb_policy_state_get_conflict_revision(f->state), ==, -1);
	g_assert_false(swb_policy_state_can_overwrite(f->state));
}

static gboolean
has_conflict(gpointer data)
{
	Fixture *f = data;

	return swb_policy_state_get_conflict(f->state) != SWB_POLICY_CONFLICT_NONE;
}

static gboolean
runs_revision_9(gpointer data)
{
	Fixture *f = data;

	return swb_policy_model_get_revision(f->model) == 9 && !swb_policy_state_get_busy(f->state);
}

/* A revision applied elsewhere: a conflict over edits, else simply loaded. */
static void
test_applied_elsewhere(Fixture *f, gconstpointer data)
{
	g_autofree char *eight = g_strdup_printf("\"%s\": 8", SB_FIELD_REVISION);
	g_autofree char *nine = g_strdup_printf("\"%s\": 9", SB_FIELD_REVISION);
	const char *type = sb_control_event_name(SB_EVENT_POLICY_APPLIED);

	edit(f, "10");
	f->revision = 8;
	swb_test_daemon_send_event(f->daemon, type, eight);
	g_assert_true(swb_test_wait_for(has_conflict, f, WAIT_MS));
	g_assert_cmpint(swb_policy_state_get_conflict(f->state), ==,
	    SWB_POLICY_CONFLICT_ELSEWHERE);
	g_assert_cmpint(swb_policy_state_get_conflict_revision(f->state), ==, 8);
	g_assert_cmpuint(f->gets, ==, 1);

	/* Reload drops the edits and the conflict */
	f->loaded = 0;
	swb_policy_state_reload(f->state);
	g_assert_true(swb_test_wait_for(is_loaded, f, WAIT_MS));
	g_assert_cmpint(swb_policy_state_get_conflict(f->state), ==, SWB_POLICY_CONFLICT_NONE);
	g_assert_cmpint(swb_policy_model_get_revision(f->model), ==, 8);

	f->revision = 9;
	swb_test_daemon_send_event(f->daemon, type, nine);
	g_assert_true(swb_test_wait_for(runs_revision_9, f, WAIT_MS));
	g_assert_cmpuint(f->gets, ==, 3);
	g_assert_cmpint(swb_policy_state_get_conflict(f->state), ==, SWB_POLICY_CONFLICT_NONE);
}

/* No session: nothing of the last daemon's is left, and nothing can be sent. */
static void
test_no_session(Fixture *f, gconstpointer data)
{
	edit(f, "10");
	swb_policy_state_set_session(f->state, NULL);
	g_assert_null(swb_policy_state_get_session(f->state));
	g_assert_false(swb_policy_state_get_connected(f->state));
	g_assert_cmpint(swb_policy_model_get_revision(f->model), ==, -1);
	g_assert_false(swb_policy_model_get_modified(f->model));
	g_assert_null(swb_policy_state_get_daemon_file(f->state));
	g_assert_cmpint(swb_policy_state_get_check(f->state), ==, SWB_POLICY_CHECK_NONE);
	g_assert_false(swb_policy_state_can_reload(f->state));
	apply(f, FALSE);
	g_assert_error(f->error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/policy-state/load", Fixture, NULL, setup, test_load, teardown);
	g_test_add("/policy-state/check", Fixture, NULL, setup, test_check, teardown);
	g_test_add("/policy-state/apply", Fixture, NULL, setup, test_apply, teardown);
	g_test_add("/policy-state/stale", Fixture, NULL, setup, test_stale, teardown);
	g_test_add("/policy-state/applied-elsewhere", Fixture, NULL, setup,
	    test_applied_elsewhere, teardown);
	g_test_add("/policy-state/no-session", Fixture, NULL, setup, test_no_session, teardown);
	return g_test_run();
}
