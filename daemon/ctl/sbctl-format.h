/* sbctl-format.h - switchboardctl's human output: units, tables, status, events, policy errors */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SBCTL_BYTES_MAX 16
#define SBCTL_DURATION_MAX 32

/* "0B", "999B", "1.5KiB", "12.3MiB", "512GiB": binary units, 3 significant digits at most. */
void sbctl_format_bytes(uint64_t n, char out[SBCTL_BYTES_MAX]);
/* An integer member of o (a byte count) as sbctl_format_bytes writes it; "-" when absent. */
void sbctl_format_bytes_of(json_object *o, const char *key, char out[SBCTL_BYTES_MAX]);
/* "45s", "12m03s", "3h07m", "2d03h"; a negative duration is "0s". */
void sbctl_format_duration(int64_t seconds, char out[SBCTL_DURATION_MAX]);

/*
 * s as safe terminal text: control bytes (C1 ones too) and invalid UTF-8
 * written as \xNN; free() it. Applied twice, it changes nothing more.
 */
char *sbctl_printable(const char *s, size_t len);
/* Its width in terminal columns (code points; no wide-character tables). */
size_t sbctl_text_width(const char *s);

/* A string member of o, or NULL (absent, null, not a string; o NULL too). */
const char *sbctl_json_str(json_object *o, const char *key);
/* An integer member of o into *out; false when absent or not an integer. */
bool sbctl_json_int(json_object *o, const char *key, int64_t *out);

/* A text table: one header row, columns padded, shrunk to a width when they can be. */
struct sbctl_table;

enum sbctl_align {
	SBCTL_ALIGN_LEFT,
	SBCTL_ALIGN_RIGHT,
};

struct sbctl_column {
	const char *header;
	enum sbctl_align align;
	bool shrink; /* may be cut (with an ellipsis) to fit the width */
};

struct sbctl_table *sbctl_table_new(const struct sbctl_column *cols, size_t ncols);
void sbctl_table_free(struct sbctl_table *t);
/* Adds a row of ncols cells (copied; made printable; NULL shows "-"). */
void sbctl_table_add(struct sbctl_table *t, const char *const *cells);
size_t sbctl_table_rows(const struct sbctl_table *t);
/*
 * Prints the table in at most width columns when shrinking allows it (the
 * shrinkable columns lose width, widest first, down to their header's width).
 * utf8: cut cells end with "…", else with "~".
 */
void sbctl_table_print(const struct sbctl_table *t, FILE *out, int width, bool utf8);

struct sbctl_view {
	int width;      /* terminal columns */
	bool utf8;      /* the terminal takes UTF-8 */
	int64_t now_ms; /* for ages */
};

/* Prints t as the view allows, or the line none when it has no rows; then frees t. */
void sbctl_table_show(struct sbctl_table *t, FILE *out, const struct sbctl_view *view,
    const char *none);

/* connections.list's result as a table: ID ROUTE IDENTITY MODE CLIENT BACKEND AGE UP DOWN. */
void sbctl_print_connections(FILE *out, json_object *list, const struct sbctl_view *view);
/*
 * connections.list's result summed per identity (sbctl-format-identity.c):
 * [{identity, connections, bytes_up, bytes_down}] by identity, the
 * connections without one last as identity null. (transfer full)
 */
json_object *sbctl_connections_by_identity(json_object *list);
/* That summary as a table: IDENTITY CONNECTIONS UP DOWN. */
void sbctl_print_identities(FILE *out, json_object *by, const struct sbctl_view *view);
/* connections.get's result: one "name: value" line per field (sbctl-format-connection.c). */
void sbctl_print_connection(FILE *out, json_object *conn, const struct sbctl_view *view);
/* backends.list's result as a table: ROUTE ADDRESS STATE ACTIVE TOTAL FAILURES LAST ERROR. */
void sbctl_print_backends(FILE *out, json_object *list, const struct sbctl_view *view);
/* upgrade.rejected events as a table: TIME CLIENT LISTENER ROUTE STATUS REASON. */
void sbctl_print_refused(FILE *out, json_object *list, const struct sbctl_view *view);
/* status's result: version, uptime, revision, listeners, certificates, counters. */
void sbctl_print_status(FILE *out, json_object *status, const struct sbctl_view *view);
/*
 * The certificates of status's listeners as a table (LISTENER SNI SUBJECT NOT AFTER
 * EXPIRES OCSP), then a "warning:" line for each that expires within
 * SB_CERT_WARN_S (or has expired) and each whose OCSP response went stale;
 * nothing when no listener has any (sbctl-format-certs.c).
 */
void sbctl_print_certificates(FILE *out, json_object *listeners, const struct sbctl_view *view);
/* One event notification's params as one line: time, type, then key=value fields. */
void sbctl_print_event(FILE *out, json_object *event);
/*
 * A policy error's data ({"errors": [{path, message}]}) as "FILE: PATH: message"
 * lines, like switchboardd --check; returns how many it printed.
 */
size_t sbctl_print_policy_errors(FILE *out, const char *file, json_object *data);
