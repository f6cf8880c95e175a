/* swb-format.h - human-readable byte counts, rates, durations, times and sockets for the views */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* "0 B", "1.5 kB", "12.0 MB" (decimal units). (transfer full) */
char *swb_format_bytes(guint64 bytes);
/* "0 B/s", "1.5 kB/s". (transfer full) */
char *swb_format_rate(double bytes_per_s);
/* "42 s", "3 min 05 s", "2 h 07 min", "3 d 4 h". (transfer full) */
char *swb_format_duration(gint64 seconds);
/* A UTC time as local "HH:MM:SS". (transfer full) */
char *swb_format_clock(GDateTime *time);
/* RFC 3339 text to microseconds since the epoch; 0 when unparsable. */
gint64 swb_parse_rfc3339(const char *text);
/*
 * A control socket in a few words: "~/…/switchboard/control.sock" (the end of
 * the path, which tells sockets apart), or for an ssh:// daemon the host it
 * is on ("ssh admin@gw:2222"). (transfer full)
 */
char *swb_format_socket(const char *path);

G_END_DECLS
