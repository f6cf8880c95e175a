/* sbctl-format-backends.c - backends.list's answer as a table */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sb-control.h"
#include "sbctl-format.h"

static void
count_of(json_object *o, const char *key, char out[24])
{
	int64_t v;

	if (sbctl_json_int(o, key, &v))
		snprintf(out, 24, "%" PRId64, v);
	else
		snprintf(out, 24, "-");
}

void
sbctl_print_backends(FILE *out, json_object *list, const struct sbctl_view *view)
{
	static const struct sbctl_column cols[] = {
		{ "ROUTE", SBCTL_ALIGN_LEFT, true },
		{ "ADDRESS", SBCTL_ALIGN_LEFT, true },
		{ "STATE", SBCTL_ALIGN_LEFT, false },
		{ "ACTIVE", SBCTL_ALIGN_RIGHT, false },
		{ "TOTAL", SBCTL_ALIGN_RIGHT, false },
		{ "FAILURES", SBCTL_ALIGN_RIGHT, false },
		{ "LAST ERROR", SBCTL_ALIGN_LEFT, true },
	};
	struct sbctl_table *t = sbctl_table_new(cols, sizeof cols / sizeof cols[0]);
	size_t n = json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;

	for (size_t i = 0; i < n; i++) {
		json_object *b = json_object_array_get_idx(list, i);
		const char *address = sbctl_json_str(b, SB_FIELD_ADDRESS);
		const char *server = sbctl_json_str(b, SB_FIELD_SERVER);
		char shown[512], active[24], total[24], failures[24];
		json_object *backup = NULL;

		/* A name that resolved shows as "name (address)"; a backup says so. */
		if (server != NULL && address != NULL && strcmp(server, address) != 0)
			snprintf(shown, sizeof shown, "%s (%s)", server, address);
		else
			snprintf(shown, sizeof shown, "%s", address ? address : "-");
		if (json_object_object_get_ex(b, SB_FIELD_BACKUP, &backup) &&
		    json_object_get_boolean(backup))
			strncat(shown, " backup", sizeof shown - strlen(shown) - 1);
		count_of(b, SB_FIELD_ACTIVE, active);
		count_of(b, SB_FIELD_TOTAL, total);
		count_of(b, SB_FIELD_FAILURES, failures);

		const char *cells[] = {
			sbctl_json_str(b, SB_FIELD_ROUTE), shown, sbctl_json_str(b, SB_FIELD_STATE),
			active, total, failures, sbctl_json_str(b, SB_FIELD_LAST_ERROR),
		};
		sbctl_table_add(t, cells);
	}
	sbctl_table_show(t, out, view, "no backend servers");
}
