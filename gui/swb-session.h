/*
 * swb-session.h - one daemon the app watches: its client and the models its
 * events feed (connections, refused upgrades, backends, throughput, status)
 */
#pragma once

#include <gio/gio.h>
#include <json-c/json.h>

#include "swb-backend-model.h"
#include "swb-client.h"
#include "swb-closed-model.h"
#include "swb-connection-model.h"
#include "swb-rejection-model.h"
#include "swb-throughput.h"

G_BEGIN_DECLS

#define SWB_TYPE_SESSION (swb_session_get_type())
G_DECLARE_FINAL_TYPE(SwbSession, swb_session, SWB, SESSION, GObject)

/*
 * Properties: "client", "status" (the last status result, SWB_TYPE_JSON; NULL
 * before the first), "revision" (the daemon's policy revision; -1 unknown).
 * Signal "policy-applied" (gint64 revision): someone applied a policy.
 */
SwbSession *swb_session_new(const char *socket_path);

/* Connects (and keeps reconnecting); ticks the models once a second while connected. */
void swb_session_start(SwbSession *self);

const char *swb_session_get_socket_path(SwbSession *self);
/* (transfer none) */
SwbClient *swb_session_get_client(SwbSession *self);
SwbConnectionModel *swb_session_get_connections(SwbSession *self);
SwbRejectionModel *swb_session_get_rejections(SwbSession *self);
/* Recently closed connections: the daemon's kept ones (history), then live ones. */
SwbClosedModel *swb_session_get_closed(SwbSession *self);
/* The routes' servers: backends.list at each connection, then backend.state events. */
SwbBackendModel *swb_session_get_backends(SwbSession *self);
SwbThroughput *swb_session_get_throughput(SwbSession *self);
/* "connected · 3 connections", or "not connected: why", for a list of daemons. (transfer full) */
char *swb_session_dup_state_text(SwbSession *self);
/* (transfer none) NULL before the first status answer. */
json_object *swb_session_get_status(SwbSession *self);
gint64 swb_session_get_revision(SwbSession *self);

/* Asks for status (and with rows, connections.list) now. */
void swb_session_refresh(SwbSession *self, gboolean rows);
/* Asks for backends.list now (its counters move without events). */
void swb_session_refresh_backends(SwbSession *self);

G_END_DECLS
