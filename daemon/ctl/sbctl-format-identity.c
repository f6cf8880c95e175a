/* sbctl-format-identity.c - connections summed per identity: the JSON and its table */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sb-control.h"
#include "sbctl-format.h"

static void
add_int(json_object *entry, const char *key, int64_t n)
{
	int64_t was = 0;

	sbctl_json_int(entry, key, &was);
	json_object_object_add(entry, key, json_object_new_int64(was + n));
}

/* By identity, byte order; those without one (null) last. */
static int
by_identity(const void *a, const void *b)
{
	const char *x = sbctl_json_str(*(json_object *const *)a, SB_FIELD_IDENTITY);
	const char *y = sbctl_json_str(*(json_object *const *)b, SB_FIELD_IDENTITY);

	if (x == NULL || y == NULL)
		return (x == NULL) - (y == NULL);
	return strcmp(x, y);
}

json_object *
sbctl_connections_by_identity(json_object *list)
{
	size_t n = json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;
	json_object *named = json_object_new_object(); /* identity -> its entry */
	json_object *nobody = NULL;                    /* the entry of connections without one */
	json_object *out = json_object_new_array();

	for (size_t i = 0; i < n; i++) {
		json_object *c = json_object_array_get_idx(list, i);
		const char *identity = sbctl_json_str(c, SB_FIELD_IDENTITY);
		json_object *entry = NULL;
		int64_t bytes;

		if (identity != NULL && !json_object_object_get_ex(named, identity, &entry)) {
			entry = json_object_new_object();
			json_object_object_add(entry, SB_FIELD_IDENTITY, json_object_new_string(identity));
			json_object_object_add(named, identity, entry);
			json_object_array_add(out, json_object_get(entry));
		} else if (identity == NULL && (entry = nobody) == NULL) {
			entry = nobody = json_object_new_object();
			json_object_object_add(entry, SB_FIELD_IDENTITY, NULL);
			json_object_array_add(out, entry);
		}
		add_int(entry, SB_FIELD_CONNECTIONS, 1);
		add_int(entry, SB_FIELD_BYTES_UP, sbctl_json_int(c, SB_FIELD_BYTES_UP, &bytes) ?
		    bytes : 0);
		add_int(entry, SB_FIELD_BYTES_DOWN, sbctl_json_int(c, SB_FIELD_BYTES_DOWN, &bytes) ?
		    bytes : 0);
	}
	json_object_put(named);
	json_object_array_sort(out, by_identity);
	return out;
}

void
sbctl_print_identities(FILE *out, json_object *by, const struct sbctl_view *view)
{
	static const struct sbctl_column cols[] = {
		{ "IDENTITY", SBCTL_ALIGN_LEFT, true },
		{ "CONNECTIONS", SBCTL_ALIGN_RIGHT, false },
		{ "UP", SBCTL_ALIGN_RIGHT, false },
		{ "DOWN", SBCTL_ALIGN_RIGHT, false },
	};
	struct sbctl_table *t = sbctl_table_new(cols, sizeof cols / sizeof cols[0]);
	size_t n = json_object_is_type(by, json_type_array) ? json_object_array_length(by) : 0;

	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(by, i);
		char count[24] = "-", up[SBCTL_BYTES_MAX], down[SBCTL_BYTES_MAX];
		int64_t v;

		if (sbctl_json_int(e, SB_FIELD_CONNECTIONS, &v))
			snprintf(count, sizeof count, "%" PRId64, v);
		sbctl_format_bytes_of(e, SB_FIELD_BYTES_UP, up);
		sbctl_format_bytes_of(e, SB_FIELD_BYTES_DOWN, down);

		const char *cells[] = { sbctl_json_str(e, SB_FIELD_IDENTITY), count, up, down };
		sbctl_table_add(t, cells);
	}
	sbctl_table_show(t, out, view, "no live connections");
}
