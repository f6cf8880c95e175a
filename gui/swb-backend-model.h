/*
 * swb-backend-model.h - the daemon's backend servers, route by route: fed by
 * backends.list, kept current by backend.state events
 */
#pragma once

#include <gio/gio.h>
#include <json-c/json.h>

#include "swb-backend.h"

G_BEGIN_DECLS

#define SWB_TYPE_BACKEND_MODEL (swb_backend_model_get_type())
G_DECLARE_FINAL_TYPE(SwbBackendModel, swb_backend_model, SWB, BACKEND_MODEL, GObject)

/* A GListModel of SwbBackend in the daemon's order (its routes', then their servers'). */
SwbBackendModel *swb_backend_model_new(void);
/*
 * Takes a backends.list result: a server already shown (same route and
 * address) keeps its row and takes the new values, new ones appear, the rest
 * leave. items-changed only when rows come, go or move.
 */
void swb_backend_model_reset(SwbBackendModel *self, json_object *list);
/*
 * A backend.state event: the server's state (and reason) change; an unknown
 * server is added. FALSE for other types or params without route and address.
 */
gboolean swb_backend_model_handle_event(SwbBackendModel *self, const char *type,
    json_object *params);
void swb_backend_model_clear(SwbBackendModel *self);
/* The row of route's server at address (or named so), or NULL. (transfer none) */
SwbBackend *swb_backend_model_find(SwbBackendModel *self, const char *route,
    const char *address);

G_END_DECLS
