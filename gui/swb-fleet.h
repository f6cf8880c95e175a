/*
 * swb-fleet.h - one policy applied to one daemon of several: its own
 * revision first (policy.get), then policy.apply with it; the outcome in a word
 */
#pragma once

#include <gio/gio.h>
#include <json-c/json.h>

#include "swb-client.h"

G_BEGIN_DECLS

typedef enum {
	SWB_FLEET_APPLIED,     /* the daemon runs it: detail names the revision */
	SWB_FLEET_STALE,       /* another apply came between our get and our apply */
	SWB_FLEET_INVALID,     /* the daemon refused it: detail names the first error */
	SWB_FLEET_UNREACHABLE, /* not connected, or the connection failed: detail says why */
} SwbFleetOutcome;

/* "applied", "stale", "invalid", "unreachable". */
const char *swb_fleet_outcome_name(SwbFleetOutcome outcome);

/* Applies policy (borrowed; copied) to client's daemon with the revision it runs now. */
void swb_fleet_apply_async(SwbClient *client, json_object *policy, GCancellable *cancellable,
    GAsyncReadyCallback callback, gpointer user_data);
/* The outcome; *detail (may be NULL) gets a line for the user (transfer full). */
SwbFleetOutcome swb_fleet_apply_finish(GAsyncResult *result, char **detail);

G_END_DECLS
