/*
 * swb-fleet-dialog.h - "Apply this policy to…": the daemons the app knows, a
 * check each, and after Apply each one's outcome (applied, stale, invalid,
 * unreachable)
 */
#pragma once

#include <adwaita.h>
#include <json-c/json.h>

G_BEGIN_DECLS

#define SWB_TYPE_FLEET_DIALOG (swb_fleet_dialog_get_type())
G_DECLARE_FINAL_TYPE(SwbFleetDialog, swb_fleet_dialog, SWB, FLEET_DIALOG, AdwWindow)

/*
 * sessions: a GListModel of SwbSession (each row checked at first); policy is
 * copied. Rows are named for tests: "fleet-check-N", "fleet-result-N"; the
 * button "fleet-apply".
 */
SwbFleetDialog *swb_fleet_dialog_new(GtkWindow *parent, GListModel *sessions,
    json_object *policy);
/* A row's outcome ("applied", "stale", "invalid", "unreachable"), or NULL before it. */
const char *swb_fleet_dialog_get_outcome(SwbFleetDialog *self, guint i);

G_END_DECLS
