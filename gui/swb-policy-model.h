/*
 * swb-policy-model.h - the policy being edited: the JSON document, the
 * daemon revision it started from, and the validators' errors by JSON path
 */
#pragma once

#include <gio/gio.h>
#include <json-c/json.h>

#include "swb-policy-errors.h"
#include "swb-policy-form.h"
#include "swb-policy-item.h"

G_BEGIN_DECLS

#define SWB_TYPE_POLICY_MODEL (swb_policy_model_get_type())
G_DECLARE_FINAL_TYPE(SwbPolicyModel, swb_policy_model, SWB, POLICY_MODEL, GObject)

/*
 * Signals: "changed" after any edit or load (the document changed),
 * "structure-changed" after a load, add, remove or move (items were rebuilt),
 * "errors-changed" when either error list changed.
 * Properties: "valid" (no local errors but advisory ones), "modified" (differs from the
 * baseline: the last load or apply), "revision", "file", "n-errors".
 */
SwbPolicyModel *swb_policy_model_new(void);

/* Copies doc; the baseline becomes doc too. revision -1: unknown; file may be NULL. */
void swb_policy_model_load(SwbPolicyModel *self, json_object *doc, gint64 revision,
    const char *file);
/* An empty policy, revision unknown, no file; the baseline too. */
void swb_policy_model_clear(SwbPolicyModel *self);
/*
 * Replaces the document with text read from file (any JSON object; the
 * validators judge the rest). The baseline and revision stay: "modified" then
 * says whether the file differs from the policy last loaded from the daemon.
 */
gboolean swb_policy_model_load_text(SwbPolicyModel *self, const char *text, const char *file,
    GError **error);
/* The document as edited. (transfer none) */
json_object *swb_policy_model_get_document(SwbPolicyModel *self);
/* Canonical JSON (common/'s writer) when valid, else the document pretty-printed. */
char *swb_policy_model_dup_text(SwbPolicyModel *self);
/* After a successful apply: the document becomes the baseline at revision. */
void swb_policy_model_mark_applied(SwbPolicyModel *self, gint64 revision);
gint64 swb_policy_model_get_revision(SwbPolicyModel *self);
const char *swb_policy_model_get_file(SwbPolicyModel *self);
void swb_policy_model_set_file(SwbPolicyModel *self, const char *file);
/*
 * Where relative paths in the document resolve for the local validator (the
 * folder of the daemon's policy file); NULL: the open file's folder, else ours.
 */
void swb_policy_model_set_base_dir(SwbPolicyModel *self, const char *base_dir);
gboolean swb_policy_model_get_modified(SwbPolicyModel *self);
gboolean swb_policy_model_get_valid(SwbPolicyModel *self);

/* Listeners or routes, a GListModel of SwbPolicyItem. (transfer none) */
GListModel *swb_policy_model_get_items(SwbPolicyModel *self, SwbSection section);
guint swb_policy_model_get_n_items(SwbPolicyModel *self, SwbSection section);
/* A field of listeners[index], routes[index] or (index -1) the document. (transfer full) */
char *swb_policy_model_get_text(SwbPolicyModel *self, SwbSection section, int index,
    const SwbField *field);
void swb_policy_model_set_text(SwbPolicyModel *self, SwbSection section, int index,
    const SwbField *field, const char *text);
/* Appends a new listener or route with a fresh name; returns its index. */
int swb_policy_model_add(SwbPolicyModel *self, SwbSection section);
void swb_policy_model_remove(SwbPolicyModel *self, SwbSection section, int index);
/* Moves an item by delta places; FALSE when that leaves the list. */
gboolean swb_policy_model_move(SwbPolicyModel *self, SwbSection section, int index, int delta);

/* The daemon's errors (data.errors: [{path, message}]), or NULL to clear them. */
void swb_policy_model_set_daemon_errors(SwbPolicyModel *self, json_object *errors);
guint swb_policy_model_get_n_errors(SwbPolicyModel *self);
/* The i-th error, local ones first (see swb-policy-errors.h for "advisory"). */
void swb_policy_model_get_error(SwbPolicyModel *self, guint i, const char **path,
    const char **message, SwbErrorSource *source, gboolean *advisory);
/*
 * The error at (or inside) a field, a blocking one first; field NULL: errors
 * of the item itself (index -1: of the section or document). NULL: none.
 */
const char *swb_policy_model_get_field_error(SwbPolicyModel *self, SwbSection section,
    int index, const SwbField *field, gboolean *advisory);

G_END_DECLS
