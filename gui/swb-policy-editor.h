/*
 * swb-policy-editor.h - edits a daemon's policy: listeners and routes in a
 * form, validated as you type (common/'s validator, then the daemon's),
 * applied with the revision it started from; opens and saves policy files
 */
#pragma once

#include <gtk/gtk.h>

#include "swb-policy-model.h"
#include "swb-policy-state.h"

G_BEGIN_DECLS

#define SWB_TYPE_POLICY_EDITOR (swb_policy_editor_get_type())
G_DECLARE_FINAL_TYPE(SwbPolicyEditor, swb_policy_editor, SWB, POLICY_EDITOR, GtkBox)

/* Signal "toast" (const char *text): something to tell the user in passing. */
GtkWidget *swb_policy_editor_new(void);
/* The daemon to edit; its policy is loaded once connected unless edits are pending. */
void swb_policy_editor_set_session(SwbPolicyEditor *self, SwbSession *session);
/* (transfer none) */
SwbPolicyModel *swb_policy_editor_get_model(SwbPolicyEditor *self);
/* The daemon's side of the edited policy, which the editor shows. (transfer none) */
SwbPolicyState *swb_policy_editor_get_state(SwbPolicyEditor *self);
/*
 * What Open and Save do once a file is chosen: load a policy file into the
 * editor (relative paths then start at its folder; Apply sends it to the
 * daemon), and save the edited policy atomically (canonical JSON when valid).
 */
gboolean swb_policy_editor_open_file(SwbPolicyEditor *self, const char *path, GError **error);
gboolean swb_policy_editor_save_file(SwbPolicyEditor *self, const char *path, GError **error);
/* Shows a listener or route (index), or the general settings. */
void swb_policy_editor_select(SwbPolicyEditor *self, SwbSection section, int index);

G_END_DECLS
