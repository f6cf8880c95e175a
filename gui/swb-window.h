/* swb-window.h - the main window: one daemon's connections, throughput, refusals, policy, status */
#pragma once

#include <adwaita.h>

#include "swb-session.h"
#include "swb-settings.h"

G_BEGIN_DECLS

#define SWB_TYPE_WINDOW (swb_window_get_type())
G_DECLARE_FINAL_TYPE(SwbWindow, swb_window, SWB, WINDOW, AdwApplicationWindow)

/*
 * The window lists settings' sockets and keeps its size there. It asks app
 * for the rest through actions: app.open-socket and app.forget-socket (a
 * socket path each), so it needs no more of the application than those.
 */
SwbWindow *swb_window_new(GtkApplication *app, SwbSettings *settings);
/* Shows session (a new reference is taken); the previous one keeps running in the app. */
void swb_window_set_session(SwbWindow *self, SwbSession *session);
/*
 * The daemons the app keeps (a GListModel of SwbSession): the daemon menu says
 * how each one is, and "Apply to…" (win.apply-to) offers them all.
 */
void swb_window_set_sessions(SwbWindow *self, GListModel *sessions);
/* (transfer none) NULL before the first swb_window_set_session(). */
SwbSession *swb_window_get_session(SwbWindow *self);
void swb_window_toast(SwbWindow *self, const char *text);

G_END_DECLS
