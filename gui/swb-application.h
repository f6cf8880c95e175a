/* swb-application.h - the app: command line, sessions by socket, settings, app actions */
#pragma once

#include <adwaita.h>

#include "swb-session.h"
#include "swb-settings.h"
#include "swb-window.h"

G_BEGIN_DECLS

#define SWB_TYPE_APPLICATION (swb_application_get_type())
G_DECLARE_FINAL_TYPE(SwbApplication, swb_application, SWB, APPLICATION, AdwApplication)

/*
 * The app. Command line: --socket PATH picks the daemon (else the last one
 * used, else sb_control_default_socket()). A second instance hands its
 * --socket to the first.
 */
SwbApplication *swb_application_new(void);
/* (transfer none) From startup (registration) on. */
SwbSettings *swb_application_get_settings(SwbApplication *self);
/* The session of a socket, made and started on first use. (transfer none) */
SwbSession *swb_application_get_session(SwbApplication *self, const char *socket_path);
/* Forgets a socket: no longer remembered, and its session ends unless it is shown. */
void swb_application_forget_socket(SwbApplication *self, const char *socket_path);
/*
 * Shows the daemon at socket_path in the main window (made when needed) and
 * remembers the socket. Returns the window. (transfer none)
 */
SwbWindow *swb_application_open_socket(SwbApplication *self, const char *socket_path);

G_END_DECLS
