/* swb-policy-state-private.h - the state as the apply preview (swb-apply-preview.c) sees it */
#pragma once

#include "swb-policy-state.h"

G_BEGIN_DECLS

/* An apply is under way (from its preview on): applies elsewhere are its conflict. */
void _swb_policy_state_set_busy(SwbPolicyState *self, gboolean busy);

G_END_DECLS
