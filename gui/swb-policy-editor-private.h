/* swb-policy-editor-private.h - what the editor's UI and its daemon side share */
#pragma once

#include "swb-policy-editor.h"
#include "swb-policy-form-view.h"

typedef enum {
	SWB_CHECK_NONE,    /* not asked: invalid here, or not connected */
	SWB_CHECK_PENDING,
	SWB_CHECK_VALID,
	SWB_CHECK_INVALID, /* the daemon listed errors */
	SWB_CHECK_FAILED,  /* the daemon could not be asked */
} SwbDaemonCheck;

struct _SwbPolicyEditor {
	GtkBox parent_instance;

	SwbSession *session;
	SwbPolicyModel *model;
	SwbSection section;
	int index;
	gboolean selecting;
	SwbDaemonCheck check;
	char *check_error;
	guint check_source;
	guint generation; /* of the document sent for checking */
	gboolean busy;    /* an apply or a reload in flight */
	gint64 conflict_revision; /* -1: no conflict shown */
	char *daemon_file;        /* the daemon's policy file, as policy.get says; NULL: none */
	GCancellable *cancellable;

	GtkRevealer *conflict_revealer;
	GtkLabel *conflict_label;
	GtkLabel *origin_label;
	GtkLabel *check_label;
	GtkListBox *general_list;
	GtkListBox *listener_list;
	GtkListBox *route_list;
	SwbPolicyFormView *form_view;
	GtkRevealer *errors_revealer;
	GtkListBox *errors_list;
};

/* swb-policy-editor.c */
void _swb_policy_editor_toast(SwbPolicyEditor *self, const char *text);
/* (transfer none) NULL without a session. */
SwbClient *_swb_policy_editor_client(SwbPolicyEditor *self);
gboolean _swb_policy_editor_is_connected(SwbPolicyEditor *self);
void _swb_policy_editor_update_actions(SwbPolicyEditor *self);

/* swb-policy-editor-daemon.c: policy.get, policy.validate, policy.apply */
void _swb_policy_editor_schedule_check(SwbPolicyEditor *self);
void _swb_policy_editor_reload(SwbPolicyEditor *self);
void _swb_policy_editor_apply(SwbPolicyEditor *self, gint64 revision);
/* revision -1 hides the conflict bar. */
void _swb_policy_editor_show_conflict(SwbPolicyEditor *self, gint64 revision, const char *text);
void _swb_policy_editor_on_connected_changed(SwbPolicyEditor *self);
void _swb_policy_editor_on_policy_applied(SwbSession *session, gint64 revision,
    SwbPolicyEditor *self);
