/* swb-connection.h - one live connection of the daemon, as a list row */
#pragma once

#include <glib-object.h>
#include <json-c/json.h>

G_BEGIN_DECLS

#define SWB_TYPE_CONNECTION (swb_connection_get_type())
G_DECLARE_FINAL_TYPE(SwbConnection, swb_connection, SWB, CONNECTION, GObject)

/*
 * A row from a connections.list element or a connection event; NULL when obj
 * has no numeric "id". now_us is g_get_monotonic_time() (injected for tests).
 */
SwbConnection *swb_connection_new_from_json(json_object *obj, gint64 now_us);
/* Takes the fields present in obj; byte counters become a rate sample. */
void swb_connection_update(SwbConnection *self, json_object *obj, gint64 now_us);
/*
 * Once a second: the rate from the last two byte samples (0 once no sample
 * came for a while), the age at wall_us (microseconds since the epoch).
 */
void swb_connection_tick(SwbConnection *self, gint64 now_us, gint64 wall_us);
/* Bytes counted since the previous call, for the throughput totals. */
void swb_connection_take_delta(SwbConnection *self, guint64 *up, guint64 *down);

guint64 swb_connection_get_id(SwbConnection *self);
const char *swb_connection_get_listener(SwbConnection *self);
const char *swb_connection_get_route(SwbConnection *self);
const char *swb_connection_get_mode(SwbConnection *self);
const char *swb_connection_get_client(SwbConnection *self);
/* Who the route's auth found (a token's name, a user, a claim); NULL without auth. */
const char *swb_connection_get_identity(SwbConnection *self);
const char *swb_connection_get_backend(SwbConnection *self);
const char *swb_connection_get_state(SwbConnection *self);
/* A closed connection's reason (from connection.closed); NULL for a live one. */
const char *swb_connection_get_reason(SwbConnection *self);
/* Microseconds since the epoch; 0 when unknown. */
gint64 swb_connection_get_started(SwbConnection *self);
guint64 swb_connection_get_bytes_up(SwbConnection *self);
guint64 swb_connection_get_bytes_down(SwbConnection *self);
/* Bytes per second. */
double swb_connection_get_rate_up(SwbConnection *self);
double swb_connection_get_rate_down(SwbConnection *self);
/*
 * True when any of id, route, mode, client, identity, backend or state
 * contains needle (casefolded).
 */
gboolean swb_connection_matches(SwbConnection *self, const char *needle);

G_END_DECLS
