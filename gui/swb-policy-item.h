/* swb-policy-item.h - a listener or a route of the edited policy, as a sidebar row */
#pragma once

#include <glib-object.h>

#include "swb-policy-form.h"

G_BEGIN_DECLS

#define SWB_TYPE_POLICY_ITEM (swb_policy_item_get_type())
G_DECLARE_FINAL_TYPE(SwbPolicyItem, swb_policy_item, SWB, POLICY_ITEM, GObject)

SwbPolicyItem *swb_policy_item_new(SwbSection section, int index);

SwbSection swb_policy_item_get_section(SwbPolicyItem *self);
int swb_policy_item_get_index(SwbPolicyItem *self);
const char *swb_policy_item_get_title(SwbPolicyItem *self);
const char *swb_policy_item_get_subtitle(SwbPolicyItem *self);
guint swb_policy_item_get_n_errors(SwbPolicyItem *self);

/* Each setter notifies only on a change. */
void swb_policy_item_set_title(SwbPolicyItem *self, const char *title);
void swb_policy_item_set_subtitle(SwbPolicyItem *self, const char *subtitle);
void swb_policy_item_set_n_errors(SwbPolicyItem *self, guint n_errors);

G_END_DECLS
