/*
 * swb-backends-view.h - each route's servers: a state indicator, tunnels,
 * failures, the last error, and a ready/drain/maint switch per server
 */
#pragma once

#include <gtk/gtk.h>

#include "swb-session.h"

G_BEGIN_DECLS

#define SWB_TYPE_BACKENDS_VIEW (swb_backends_view_get_type())
G_DECLARE_FINAL_TYPE(SwbBackendsView, swb_backends_view, SWB, BACKENDS_VIEW, GtkWidget)

/*
 * Shows session's backend model (NULL: nothing). While the view is on screen
 * it asks for backends.list every SWB_BACKENDS_VIEW_REFRESH_MS, for the
 * counters that move without events. A server's switch sends backends.set;
 * its buttons are named "backend-STATE-ROUTE-ADDRESS" (STATE ready, drain or
 * maint). Signal "toast" (const char *text): a switch the daemon refused.
 */
#define SWB_BACKENDS_VIEW_REFRESH_MS 2000

void swb_backends_view_set_session(SwbBackendsView *self, SwbSession *session);

G_END_DECLS
