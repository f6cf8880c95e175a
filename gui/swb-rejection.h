/* swb-rejection.h - one refused upgrade (an upgrade.rejected event), as a list row */
#pragma once

#include <glib-object.h>
#include <json-c/json.h>

G_BEGIN_DECLS

#define SWB_TYPE_REJECTION (swb_rejection_get_type())
G_DECLARE_FINAL_TYPE(SwbRejection, swb_rejection, SWB, REJECTION, GObject)

/* From an upgrade.rejected event's params; NULL when it has no numeric "status". */
SwbRejection *swb_rejection_new_from_json(json_object *params);

/* Microseconds since the epoch (the event's "time"; 0 when absent). */
gint64 swb_rejection_get_time(SwbRejection *self);
const char *swb_rejection_get_client(SwbRejection *self);
/* NULL when no route matched. */
const char *swb_rejection_get_route(SwbRejection *self);
guint swb_rejection_get_status(SwbRejection *self);
const char *swb_rejection_get_reason(SwbRejection *self);

G_END_DECLS
