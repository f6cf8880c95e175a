/*
 * swb-policy-state.h - the daemon's side of the policy being edited: the
 * session it is loaded from (policy.get) and applied to (policy.apply, with
 * the revision the edits started from), what the daemon says of the edited
 * text (policy.validate), and a conflict with a revision applied elsewhere
 */
#pragma once

#include <gio/gio.h>

#include "swb-policy-model.h"
#include "swb-session.h"

G_BEGIN_DECLS

typedef enum {
	SWB_POLICY_CHECK_NONE,    /* not asked: invalid here, or not connected */
	SWB_POLICY_CHECK_PENDING, /* asked, or about to be once typing pauses */
	SWB_POLICY_CHECK_VALID,
	SWB_POLICY_CHECK_INVALID, /* the daemon listed errors (in the model) */
	SWB_POLICY_CHECK_FAILED,  /* the daemon could not be asked: see "check-error" */
} SwbPolicyCheck;

typedef enum {
	SWB_POLICY_CONFLICT_NONE,
	SWB_POLICY_CONFLICT_STALE,     /* our apply was refused: the daemon runs a newer revision */
	SWB_POLICY_CONFLICT_ELSEWHERE, /* a revision was applied elsewhere while we had edits */
} SwbPolicyConflict;

#define SWB_TYPE_POLICY_CHECK (swb_policy_check_get_type())
GType swb_policy_check_get_type(void);
#define SWB_TYPE_POLICY_CONFLICT (swb_policy_conflict_get_type())
GType swb_policy_conflict_get_type(void);

#define SWB_TYPE_POLICY_STATE (swb_policy_state_get_type())
G_DECLARE_FINAL_TYPE(SwbPolicyState, swb_policy_state, SWB, POLICY_STATE, GObject)

/*
 * Properties: "model" (construct only: the policy it loads into, checks and
 * marks applied), "session" (NULL: none), "connected", "busy" (a load or an
 * apply in flight), "check", "check-error", "conflict", "conflict-revision"
 * (-1 without a conflict), "daemon-file" (the daemon's policy file, as
 * policy.get says; NULL: none), "persist" (whether an apply asks the daemon to
 * save to that file; TRUE by default).
 * Signals: "loaded" after the daemon's policy replaced the model's,
 * "load-failed" (const char *reason) when it could not be loaded.
 *
 * On its own it loads the daemon's policy once connected (unless the model
 * has edits or a file open) and after a revision applied elsewhere (unless
 * it has edits: that is a conflict), and asks the daemon to check the text
 * a moment after each edit.
 */
SwbPolicyState *swb_policy_state_new(SwbPolicyModel *model);

/* (transfer none) */
SwbPolicyModel *swb_policy_state_get_model(SwbPolicyState *self);
/* Another daemon: its own policy, from scratch (the model is cleared). */
void swb_policy_state_set_session(SwbPolicyState *self, SwbSession *session);
/* (transfer none) */
SwbSession *swb_policy_state_get_session(SwbPolicyState *self);
gboolean swb_policy_state_get_connected(SwbPolicyState *self);
gboolean swb_policy_state_get_busy(SwbPolicyState *self);
SwbPolicyCheck swb_policy_state_get_check(SwbPolicyState *self);
/* Why the daemon could not be asked; NULL unless the check FAILED. */
const char *swb_policy_state_get_check_error(SwbPolicyState *self);
SwbPolicyConflict swb_policy_state_get_conflict(SwbPolicyState *self);
gint64 swb_policy_state_get_conflict_revision(SwbPolicyState *self);
const char *swb_policy_state_get_daemon_file(SwbPolicyState *self);
void swb_policy_state_set_persist(SwbPolicyState *self, gboolean persist);

/* What may be asked now: apply the edits, overwrite a conflict, reload. */
gboolean swb_policy_state_can_apply(SwbPolicyState *self);
gboolean swb_policy_state_can_overwrite(SwbPolicyState *self);
gboolean swb_policy_state_can_reload(SwbPolicyState *self);

/* Loads the daemon's policy into the model (edits are lost); a no-op when not connected. */
void swb_policy_state_reload(SwbPolicyState *self);
/*
 * Applies the model's document with the revision it started from, or with
 * overwrite, over the conflicting revision. cancellable only stops the
 * callback from seeing the outcome; the state follows it either way.
 */
void swb_policy_state_apply_async(SwbPolicyState *self, gboolean overwrite,
    GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data);
/*
 * TRUE with the revision now running. Errors: SWB_CLIENT_ERROR
 * SB_ERR_STALE_REVISION (now a STALE conflict), SB_ERR_POLICY_INVALID (the
 * check is INVALID, the errors are in the model), or why the daemon could not
 * be asked.
 */
gboolean swb_policy_state_apply_finish(SwbPolicyState *self, GAsyncResult *result,
    gint64 *revision, GError **error);

G_END_DECLS
