/* swb-apply-preview.h - what applying a policy closes, in words, before it is applied */
#pragma once

#include <json-c/json.h>

#include "swb-connection-model.h"
#include "swb-policy-state.h"

G_BEGIN_DECLS

/*
 * policy.validate's would_close as the question's text: "Applying closes 2
 * connections: 7 (route vnc, 10.0.0.1:4242), 9 (route ssh, [::1]:5)", each
 * connection as connections (the live rows) knows it, else by its id alone.
 * NULL when would_close is empty or not an array. (transfer full)
 */
char *swb_apply_preview_text(json_object *would_close, SwbConnectionModel *connections);

/*
 * Asks the daemon (policy.validate) what applying the document of state's
 * model would close. The state is busy from here until the answer, so that an
 * apply that follows it is one step with it. _finish returns would_close, an
 * array of connection ids (transfer full), or NULL with the error (an invalid
 * document is left for the apply to report).
 */
void swb_apply_preview_async(SwbPolicyState *state, GCancellable *cancellable,
    GAsyncReadyCallback callback, gpointer user_data);
json_object *swb_apply_preview_finish(SwbPolicyState *state, GAsyncResult *result,
    GError **error);

G_END_DECLS
