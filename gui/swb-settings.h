/* swb-settings.h - the app's GSettings keys as GObject properties */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define SWB_TYPE_SETTINGS (swb_settings_get_type())
G_DECLARE_FINAL_TYPE(SwbSettings, swb_settings, SWB, SETTINGS, GObject)

/* At most this many sockets are remembered. */
#define SWB_SETTINGS_MAX_SOCKETS 12

/*
 * Properties, bound to the schema's keys: "last-socket", "sockets" (GStrv,
 * most recent first), "window-width", "window-height", "window-maximized",
 * "persist-policy". The schema comes from the installed schemas, or when it is
 * not installed from the build tree (so build/gui/switchboard runs as built).
 */
SwbSettings *swb_settings_new(void);

const char *swb_settings_get_last_socket(SwbSettings *self);
/* Makes path the last socket used and the first remembered one. */
void swb_settings_remember_socket(SwbSettings *self, const char *path);
void swb_settings_forget_socket(SwbSettings *self, const char *path);
/* (transfer none) NULL-terminated. */
const char *const *swb_settings_get_sockets(SwbSettings *self);
gboolean swb_settings_get_persist_policy(SwbSettings *self);
/* (transfer none) for g_settings_bind() of window state. */
GSettings *swb_settings_get_gsettings(SwbSettings *self);

G_END_DECLS
