/*
 * swb-gui-test.h - what the app's tests under Xvfb share: a real daemon in a
 * child process, upgrades made by hand, widgets found by name, screenshots
 */
#pragma once

#include <gtk/gtk.h>
#include <json-c/json.h>

#include "swb-application.h"

#define SWB_GUI_WAIT_MS 5000

/* Runs the main loop for ms. */
void swb_gui_spin(guint ms);
/* The widget named name in root's tree, or NULL. */
GtkWidget *swb_gui_find_named(GtkWidget *root, const char *name);
/* The widget named name in root's tree; the test fails when there is none. */
GtkWidget *swb_gui_widget(GtkWidget *root, const char *name);
/* The column of view titled title; the test fails when there is none. (transfer none) */
GtkColumnViewColumn *swb_gui_column(GtkColumnView *view, const char *title);
/* A loopback TCP port nobody listens on now. */
guint16 swb_gui_free_port(void);
/*
 * build/daemon/switchboardd --policy policy --state-dir dir, killed with the
 * test if it aborts; returns once socket exists. (transfer full)
 */
GSubprocess *swb_gui_start_daemon(const char *policy, const char *dir, const char *socket);
/* SIGTERM, and waits for it. */
void swb_gui_stop_daemon(GSubprocess **daemon);
/*
 * Connects to 127.0.0.1:port and sends an upgrade request (token x-test) for
 * path; *head gets the answer's head (read until its end or the wait is up).
 */
GSocketConnection *swb_gui_upgrade(guint16 port, const char *path, char **head);
/*
 * Renders w into build/tests/gui/NAME, and into the folder of
 * $SWB_SCREENSHOT_DOCS (the docs/ copy) when that is set.
 */
void swb_gui_save_png(GtkWidget *w, const char *name);
/*
 * One JSON-RPC call on the control socket at socket, on a connection of its
 * own (what switchboardctl would see): the result (transfer full), or NULL
 * with *code (when not NULL) set to the error's code.
 */
json_object *swb_gui_rpc(const char *socket, const char *method, const char *params_json,
    int *code);
/* Removes the files of a test folder, then the folder. */
void swb_gui_remove_dir(const char *dir);

/* A daemon of a test's own, and the app that watches it. */
typedef struct {
	char *dir, *policy, *socket;
	guint16 port;           /* its plain listener */
	GSubprocess *daemon;
	SwbApplication *app;    /* registered, no window yet */
} SwbGuiDaemon;

/*
 * A fresh folder (prefix-XXXXXX) with a policy of one plain listener on a
 * free port, routes (a JSON array's text) and the control socket there; the
 * daemon started on it, and the app registered (not unique).
 */
void swb_gui_daemon_setup(SwbGuiDaemon *g, const char *prefix, const char *routes_json);
/* Stops the daemon, drops the app, removes the folder. */
void swb_gui_daemon_teardown(SwbGuiDaemon *g);
