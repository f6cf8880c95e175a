/*
 * swb-policy-errors.h - the validators' findings on the edited policy: each
 * with its JSON path, where it points in the form, and whether it blocks
 */
#pragma once

#include <glib.h>

#include "swb-policy-form.h"

G_BEGIN_DECLS

/* Where an error came from. */
typedef enum {
	SWB_ERROR_SOURCE_LOCAL,  /* common/'s validator, run on every change */
	SWB_ERROR_SOURCE_DAEMON, /* policy.validate or policy.apply */
} SwbErrorSource;

typedef struct _SwbPolicyErrors SwbPolicyErrors;

SwbPolicyErrors *swb_policy_errors_new(void);
void swb_policy_errors_free(SwbPolicyErrors *errors);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SwbPolicyErrors, swb_policy_errors_free)

/*
 * Advisory errors are the local validator's "cannot read" findings on
 * certificate files: this app may not be able to read what the daemon can (a
 * root-only key, a path relative to the daemon's policy file), so they are
 * shown but do not block; the daemon's own check decides.
 */
void swb_policy_errors_add(SwbPolicyErrors *errors, const char *path, const char *message,
    SwbErrorSource source);
/* Drops every error of source (and the daemon's ones when dropping the local ones). */
void swb_policy_errors_drop(SwbPolicyErrors *errors, SwbErrorSource source);
guint swb_policy_errors_get_n(SwbPolicyErrors *errors);
/* Local errors that are not advisory. */
guint swb_policy_errors_get_n_blocking(SwbPolicyErrors *errors);
/* The i-th error, local ones first; source and advisory may be NULL. */
void swb_policy_errors_get(SwbPolicyErrors *errors, guint i, const char **path,
    const char **message, SwbErrorSource *source, gboolean *advisory);
/*
 * The error at (or inside) a field, a blocking one first; field NULL: errors
 * of the item itself (index -1: of the section or the document). NULL: none.
 */
const char *swb_policy_errors_find(SwbPolicyErrors *errors, SwbSection section, int index,
    const SwbField *field, gboolean *advisory);
/* How many errors point into listeners[index] or routes[index]. */
guint swb_policy_errors_count_item(SwbPolicyErrors *errors, SwbSection section, int index);

G_END_DECLS
