/*
 * swb-client.h - a connection to one daemon's control socket: JSON-RPC calls
 * as _async/_finish, events as a signal, reconnection with backoff
 */
#pragma once

#include <gio/gio.h>
#include <json-c/json.h>

G_BEGIN_DECLS

/* A json_object as a boxed type (copy: a new reference), for signals and properties. */
#define SWB_TYPE_JSON (swb_json_get_type())
GType swb_json_get_type(void);

/* Errors the daemon answered; the code is the JSON-RPC error code (SB_ERR_*). */
#define SWB_CLIENT_ERROR (swb_client_error_quark())
GQuark swb_client_error_quark(void);

#define SWB_TYPE_CLIENT (swb_client_get_type())
G_DECLARE_FINAL_TYPE(SwbClient, swb_client, SWB, CLIENT, GObject)

/*
 * Signals:
 *   "event" (detailed by the event type, e.g. "event::connection.opened"):
 *       (const char *type, json_object *params) for each event notification
 *   "ready": subscribed to events, after each (re)connection and after the
 *       daemon dropped a slow subscription and we subscribed again; whatever
 *       was seeded from calls before may have missed events and should be
 *       fetched again. The subscription asks for history: the daemon's kept
 *       refusals and closes follow "ready" as events with "history": true,
 *       every time, so what was built from them starts over at "ready".
 * Properties: "socket-path", "connected" (subscribed and answering), "error"
 * (why the last attempt failed or the connection ended; NULL once connected),
 * "retry-at" (g_get_monotonic_time() of the next attempt; 0 when none is due).
 */
SwbClient *swb_client_new(const char *socket_path);
/*
 * socket_path may be ssh://[user@]host[:port][/path]: the client then runs ssh
 * as switchboardctl does (BatchMode=yes, $SWITCHBOARD_SSH) and speaks over its
 * stdin and stdout; when ssh ends, its stderr is the "error".
 */

const char *swb_client_get_socket_path(SwbClient *self);
gboolean swb_client_get_connected(SwbClient *self);
const char *swb_client_get_error(SwbClient *self);
gint64 swb_client_get_retry_at(SwbClient *self);

/* Connects now unless connected or connecting; the backoff starts over. */
void swb_client_start(SwbClient *self);
/* Disconnects and stops retrying; pending calls fail with G_IO_ERROR_CLOSED. */
void swb_client_stop(SwbClient *self);

/*
 * Calls method with params (borrowed; NULL for none). Fails at once with
 * G_IO_ERROR_NOT_CONNECTED when not connected, and with G_IO_ERROR_CLOSED when
 * the connection ends first.
 */
void swb_client_call_async(SwbClient *self, const char *method, json_object *params,
    GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data);
/*
 * The result (transfer full; a JSON null result is returned as NULL without an
 * error). On a SWB_CLIENT_ERROR, *error_data (when not NULL) gets the error's
 * "data" member (transfer full, may be NULL).
 */
json_object *swb_client_call_finish(SwbClient *self, GAsyncResult *result,
    json_object **error_data, GError **error);

G_END_DECLS
