/* swb-backend.h - one server of a route's pool (a backends.list element), as a list row */
#pragma once

#include <glib-object.h>
#include <json-c/json.h>

G_BEGIN_DECLS

#define SWB_TYPE_BACKEND (swb_backend_get_type())
G_DECLARE_FINAL_TYPE(SwbBackend, swb_backend, SWB, BACKEND, GObject)

/*
 * Properties (read-only, notified when they change): "route", "address",
 * "server", "weight", "backup", "role" ("weight 2", "backup"), "state" ("up",
 * "down", "drain", "maint"), "state-icon", "admin" (what a hand last set:
 * "ready", "drain" or "maint"), "active", "total", "failures", "last-check"
 * (RFC 3339 text or NULL), "last-error" (NULL: none), "reason" (of the last
 * backend.state event).
 */

/* From a backends.list element or a backend.state event; NULL without route and address. */
SwbBackend *swb_backend_new_from_json(json_object *obj);
/* Takes the fields present in obj (a missing one keeps its value); TRUE when one changed. */
gboolean swb_backend_update(SwbBackend *self, json_object *obj);

const char *swb_backend_get_route(SwbBackend *self);
const char *swb_backend_get_address(SwbBackend *self);
const char *swb_backend_get_server(SwbBackend *self);
const char *swb_backend_get_state(SwbBackend *self);
/* "drain" and "maint" as the state says; "ready" for up and down. */
const char *swb_backend_get_admin(SwbBackend *self);
guint swb_backend_get_weight(SwbBackend *self);
gboolean swb_backend_get_backup(SwbBackend *self);
guint64 swb_backend_get_active(SwbBackend *self);
guint64 swb_backend_get_total(SwbBackend *self);
guint64 swb_backend_get_failures(SwbBackend *self);
const char *swb_backend_get_last_error(SwbBackend *self);
const char *swb_backend_get_reason(SwbBackend *self);

G_END_DECLS
