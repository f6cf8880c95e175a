/* swb-connection-model.h - the daemon's live connections as a GListModel, fed by events */
#pragma once

#include <gio/gio.h>
#include <json-c/json.h>

#include "swb-connection.h"

G_BEGIN_DECLS

#define SWB_TYPE_CONNECTION_MODEL (swb_connection_model_get_type())
G_DECLARE_FINAL_TYPE(SwbConnectionModel, swb_connection_model, SWB, CONNECTION_MODEL, GObject)

/*
 * A GListModel of SwbConnection. Times are injected: now_us is
 * g_get_monotonic_time(), wall_us g_get_real_time(), so tests can script them.
 * The "ticked" signal (double up, double down: bytes per second over the last
 * tick, all connections) follows each swb_connection_model_tick().
 */
SwbConnectionModel *swb_connection_model_new(void);

/* Replaces the rows with a connections.list result (an array); rows with a known id are kept. */
void swb_connection_model_reset(SwbConnectionModel *self, json_object *list, gint64 now_us);
/*
 * Applies the params of a connection.opened, .updated or .closed event.
 * Returns FALSE for other types and for params without an id. New rows join
 * the list together, at the next idle (before the next frame) or flush: a
 * burst of thousands is one items-changed, not thousands.
 */
gboolean swb_connection_model_handle_event(SwbConnectionModel *self, const char *type,
    json_object *params, gint64 now_us);
/* Adds the rows opened since the last flush to the list now. */
void swb_connection_model_flush(SwbConnectionModel *self);
/* Once a second (flushing first): rates per connection, per route and in total; ages. */
void swb_connection_model_tick(SwbConnectionModel *self, gint64 now_us, gint64 wall_us);

/* (transfer none) NULL when absent. */
SwbConnection *swb_connection_model_lookup(SwbConnectionModel *self, guint64 id);
/* Per-route counters, a GListModel of SwbRouteStats in order of first sight. (transfer none) */
GListModel *swb_connection_model_get_routes(SwbConnectionModel *self);
/* Bytes per second over the last tick. */
double swb_connection_model_get_rate_up(SwbConnectionModel *self);
double swb_connection_model_get_rate_down(SwbConnectionModel *self);

G_END_DECLS
