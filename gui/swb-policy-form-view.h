/*
 * swb-policy-form-view.h - the form of one listener, route or the general
 * settings: a row per field of swb-policy-form's table, each showing its error
 */
#pragma once

#include <gtk/gtk.h>

#include "swb-policy-model.h"

G_BEGIN_DECLS

#define SWB_TYPE_POLICY_FORM_VIEW (swb_policy_form_view_get_type())
G_DECLARE_FINAL_TYPE(SwbPolicyFormView, swb_policy_form_view, SWB, POLICY_FORM_VIEW, GtkWidget)

GtkWidget *swb_policy_form_view_new(void);
/* The model edited; the view follows its "errors-changed". */
void swb_policy_form_view_set_model(SwbPolicyFormView *self, SwbPolicyModel *model);
/*
 * Shows the fields of listeners[index], routes[index] or (SWB_SECTION_GENERAL)
 * the document. Each row is named "field-KEY" (e.g. "field-backend").
 */
void swb_policy_form_view_show(SwbPolicyFormView *self, SwbSection section, int index);
/* Reads the fields again from the model (after a load or a move). */
void swb_policy_form_view_refresh(SwbPolicyFormView *self);

G_END_DECLS
