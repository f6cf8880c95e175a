/* swb-rejection-model.h - refused upgrades, newest first, at most a fixed number */
#pragma once

#include <gio/gio.h>
#include <json-c/json.h>

#include "swb-rejection.h"

G_BEGIN_DECLS

#define SWB_TYPE_REJECTION_MODEL (swb_rejection_model_get_type())
G_DECLARE_FINAL_TYPE(SwbRejectionModel, swb_rejection_model, SWB, REJECTION_MODEL, GObject)

#define SWB_REJECTION_MODEL_DEFAULT_LIMIT 1000

/* A GListModel of SwbRejection; the oldest rows leave past limit (>= 1). */
SwbRejectionModel *swb_rejection_model_new(guint limit);
/* Adds an upgrade.rejected event at the top; FALSE for other types or bad params. */
gboolean swb_rejection_model_handle_event(SwbRejectionModel *self, const char *type,
    json_object *params);
void swb_rejection_model_clear(SwbRejectionModel *self);
guint swb_rejection_model_get_limit(SwbRejectionModel *self);

G_END_DECLS
