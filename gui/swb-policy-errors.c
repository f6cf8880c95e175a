/*
 * swb-policy-errors.c - the validators' findings on the edited policy: each
 * with its JSON path, where it points in the form, and whether it blocks
 */
#include "swb-policy-errors.h"

#include <string.h>

typedef struct {
	char *path;
	char *message;
	SwbErrorSource source;
	SwbErrorTarget target;
	gboolean advisory;
} Entry;

struct _SwbPolicyErrors {
	GArray *entries; /* Entry: local ones, then the daemon's */
	guint n_local;
	guint n_blocking;
};

static void
clear_entry(gpointer data)
{
	Entry *e = data;

	g_free(e->path);
	g_free(e->message);
}

SwbPolicyErrors *
swb_policy_errors_new(void)
{
	SwbPolicyErrors *errors = g_new0(SwbPolicyErrors, 1);

	errors->entries = g_array_new(FALSE, TRUE, sizeof(Entry));
	g_array_set_clear_func(errors->entries, clear_entry);
	return errors;
}

void
swb_policy_errors_free(SwbPolicyErrors *errors)
{
	if (errors == NULL)
		return;
	g_array_unref(errors->entries);
	g_free(errors);
}

/*
 * The members naming files the daemon reads, which this app may not be able
 * to (a key readable by the daemon's user alone, a remote daemon's file).
 */
static const char *const file_members[] = {
	"cert", "key", "ocsp", "client_ca", "tokens", "basic", "keys", NULL,
};

static gboolean
is_file_access(const char *path, const char *message, SwbErrorSource source)
{
	const char *last = strrchr(path, '.');

	last = last != NULL ? last + 1 : path;
	return source == SWB_ERROR_SOURCE_LOCAL && g_str_has_prefix(message, "cannot read ") &&
	    g_strv_contains(file_members, last);
}

void
swb_policy_errors_add(SwbPolicyErrors *errors, const char *path, const char *message,
    SwbErrorSource source)
{
	Entry e = {
		g_strdup(path != NULL ? path : ""),
		g_strdup(message != NULL ? message : ""),
		source,
		{ SWB_SECTION_GENERAL, -1, NULL },
		FALSE,
	};

	swb_policy_error_target(e.path, &e.target);
	e.advisory = is_file_access(e.path, e.message, source);
	if (source == SWB_ERROR_SOURCE_DAEMON) {
		g_array_append_val(errors->entries, e);
		return;
	}
	/* local ones stay in front of the daemon's */
	g_array_insert_val(errors->entries, errors->n_local, e);
	errors->n_local++;
	if (!e.advisory)
		errors->n_blocking++;
}

void
swb_policy_errors_drop(SwbPolicyErrors *errors, SwbErrorSource source)
{
	if (source == SWB_ERROR_SOURCE_DAEMON) {
		g_array_set_size(errors->entries, errors->n_local);
		return;
	}
	g_array_set_size(errors->entries, 0);
	errors->n_local = 0;
	errors->n_blocking = 0;
}

guint
swb_policy_errors_get_n(SwbPolicyErrors *errors)
{
	return errors->entries->len;
}

guint
swb_policy_errors_get_n_blocking(SwbPolicyErrors *errors)
{
	return errors->n_blocking;
}

void
swb_policy_errors_get(SwbPolicyErrors *errors, guint i, const char **path,
    const char **message, SwbErrorSource *source, gboolean *advisory)
{
	const Entry *e;

	g_return_if_fail(i < errors->entries->len);
	e = &g_array_index(errors->entries, Entry, i);
	*path = e->path;
	*message = e->message;
	if (source != NULL)
		*source = e->source;
	if (advisory != NULL)
		*advisory = e->advisory;
}

const char *
swb_policy_errors_find(SwbPolicyErrors *errors, SwbSection section, int index,
    const SwbField *field, gboolean *advisory)
{
	const char *found = NULL;

	for (guint i = 0; i < errors->entries->len; i++) {
		const Entry *e = &g_array_index(errors->entries, Entry, i);

		if (e->target.section != section || e->target.index != index ||
		    e->target.field != field)
			continue;
		if (advisory != NULL)
			*advisory = e->advisory;
		found = e->message;
		if (!e->advisory)
			break;
	}
	return found;
}

guint
swb_policy_errors_count_item(SwbPolicyErrors *errors, SwbSection section, int index)
{
	guint count = 0;

	for (guint i = 0; i < errors->entries->len; i++) {
		const Entry *e = &g_array_index(errors->entries, Entry, i);

		count += e->target.section == section && e->target.index == index;
	}
	return count;
}
