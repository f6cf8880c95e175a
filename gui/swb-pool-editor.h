/*
 * swb-pool-editor.h - a route's backend servers in the policy editor: address,
 * weight and backup per server, add and remove, and the balance; each edit
 * goes into the route's "backend" (the JSON row keeps the rest)
 */
#pragma once

#include <adwaita.h>

#include "swb-policy-model.h"

G_BEGIN_DECLS

#define SWB_TYPE_POOL_EDITOR (swb_pool_editor_get_type())
G_DECLARE_FINAL_TYPE(SwbPoolEditor, swb_pool_editor, SWB, POOL_EDITOR, AdwPreferencesGroup)

/*
 * Signal "edited": the editor wrote the route's backend (the form's JSON row
 * shows it again). Widgets are named for tests: "pool-add", "pool-balance",
 * and per server K (from 0) "pool-address-K", "pool-weight-K",
 * "pool-backup-K", "pool-remove-K".
 */
GtkWidget *swb_pool_editor_new(void);
/* Edits routes[index] of model (NULL: nothing). */
void swb_pool_editor_show(SwbPoolEditor *self, SwbPolicyModel *model, int index);
/* Reads the route's backend again (after an edit elsewhere, a load or a move). */
void swb_pool_editor_refresh(SwbPoolEditor *self);

G_END_DECLS
