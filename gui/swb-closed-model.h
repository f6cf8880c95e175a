/* swb-closed-model.h - recently closed connections, newest first, at most a fixed number */
#pragma once

#include <gio/gio.h>
#include <json-c/json.h>

#include "swb-connection.h"

G_BEGIN_DECLS

#define SWB_TYPE_CLOSED_MODEL (swb_closed_model_get_type())
G_DECLARE_FINAL_TYPE(SwbClosedModel, swb_closed_model, SWB, CLOSED_MODEL, GObject)

#define SWB_CLOSED_MODEL_DEFAULT_LIMIT 500

/*
 * A GListModel of SwbConnection as connection.closed events show them (with
 * "reason" and "time"); the oldest rows leave past limit (>= 1). The daemon's
 * kept closes (history) and live ones arrive alike.
 */
SwbClosedModel *swb_closed_model_new(guint limit);
/* Adds a connection.closed event at the top; FALSE for other types or bad params. */
gboolean swb_closed_model_handle_event(SwbClosedModel *self, const char *type,
    json_object *params, gint64 now_us);
void swb_closed_model_clear(SwbClosedModel *self);

G_END_DECLS
