/* swb-apply-preview.h - what applying a policy closes, in words, before it is applied */
#pragma once

#include <json-c/json.h>

#include "swb-connection-model.h"

G_BEGIN_DECLS

/*
 * policy.validate's would_close as the question's text: "Applying closes 2
 * connections: 7 (route vnc, 10.0.0.1:4242), 9 (route ssh, [::1]:5)", each
 * connection as connections (the live rows) knows it, else by its id alone.
 * NULL when would_close is empty or not an array. (transfer full)
 */
char *swb_apply_preview_text(json_object *would_close, SwbConnectionModel *connections);

G_END_DECLS
