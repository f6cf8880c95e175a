/* sbctl-format-certs.c - status: the listeners' certificates, expiry and OCSP, with warnings */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb-control.h"
#include "sbctl-format.h"

typedef void cert_fn(void *arg, const char *listener, const char *sni, json_object *cert);

/* Calls fn for each certificate of each listener, sni being its names ("default" for none). */
static size_t
each_cert(json_object *listeners, cert_fn *fn, void *arg)
{
	size_t n = json_object_is_type(listeners, json_type_array) ?
	    json_object_array_length(listeners) : 0, count = 0;

	for (size_t i = 0; i < n; i++) {
		json_object *l = json_object_array_get_idx(listeners, i), *certs = NULL;

		if (!json_object_object_get_ex(l, SB_FIELD_CERTIFICATES, &certs) ||
		    !json_object_is_type(certs, json_type_array))
			continue;
		for (size_t j = 0; j < json_object_array_length(certs); j++) {
			json_object *c = json_object_array_get_idx(certs, j), *names = NULL;
			char sni[256] = "default";
			size_t len = 0;

			if (json_object_object_get_ex(c, SB_FIELD_SNI, &names) &&
			    json_object_is_type(names, json_type_array)) {
				for (size_t k = 0; k < json_object_array_length(names) && len < sizeof sni;
				    k++)
					len += (size_t)snprintf(sni + len, sizeof sni - len, "%s%s",
					    k > 0 ? "," : "",
					    json_object_get_string(json_object_array_get_idx(names, k)));
			}
			fn(arg, sbctl_json_str(l, SB_FIELD_NAME), sni, c);
			count++;
		}
	}
	return count;
}

/* "in 3d04h" or "expired 2d00h ago". */
static void
expiry_text(int64_t in_s, char *out, size_t outlen)
{
	char d[SBCTL_DURATION_MAX];

	/* INT64_MIN has no negative: the most a daemon can say is INT64_MAX seconds ago */
	sbctl_format_duration(in_s >= 0 ? in_s : in_s == INT64_MIN ? INT64_MAX : -in_s, d);
	snprintf(out, outlen, in_s < 0 ? "expired %s ago" : "in %s", d);
}

static void
add_row(void *arg, const char *listener, const char *sni, json_object *cert)
{
	char expires[64] = "-";
	int64_t in_s;

	if (sbctl_json_int(cert, SB_FIELD_EXPIRES_IN_S, &in_s))
		expiry_text(in_s, expires, sizeof expires);
	const char *cells[] = {
		listener, sni, sbctl_json_str(cert, SB_FIELD_SUBJECT),
		sbctl_json_str(cert, SB_FIELD_NOT_AFTER), expires, sbctl_json_str(cert, SB_FIELD_OCSP),
	};
	sbctl_table_add(arg, cells);
}

/* What the daemon sent, as printable text ("-" when absent): free() it. */
static char *
printable(const char *s)
{
	return sbctl_printable(s != NULL ? s : "-", s != NULL ? strlen(s) : 1);
}

static void
print_warning(void *arg, const char *listener, const char *sni, json_object *cert)
{
	FILE *out = arg;
	const char *ocsp = sbctl_json_str(cert, SB_FIELD_OCSP);
	char *l = printable(listener), *names = printable(sni);
	char expires[64];
	int64_t in_s;

	if (sbctl_json_int(cert, SB_FIELD_EXPIRES_IN_S, &in_s) && in_s < SB_CERT_WARN_S) {
		char *subject = printable(sbctl_json_str(cert, SB_FIELD_SUBJECT));
		char *not_after = printable(sbctl_json_str(cert, SB_FIELD_NOT_AFTER));

		expiry_text(in_s, expires, sizeof expires);
		fprintf(out, "warning: listener %s, certificate %s (%s): %s%s, notAfter %s\n",
		    l, names, subject, in_s < 0 ? "" : "expires ", expires, not_after);
		free(subject);
		free(not_after);
	}
	if (ocsp != NULL && strcmp(ocsp, "stale") == 0) {
		char *next = printable(sbctl_json_str(cert, SB_FIELD_OCSP_NEXT_UPDATE));

		fprintf(out, "warning: listener %s, certificate %s: the stapled OCSP response went "
		    "stale at %s and is no longer sent; refresh the file and reload\n", l, names, next);
		free(next);
	}
	free(l);
	free(names);
}

void
sbctl_print_certificates(FILE *out, json_object *listeners, const struct sbctl_view *view)
{
	static const struct sbctl_column cols[] = {
		{ "LISTENER", SBCTL_ALIGN_LEFT, true },
		{ "SNI", SBCTL_ALIGN_LEFT, true },
		{ "SUBJECT", SBCTL_ALIGN_LEFT, true },
		{ "NOT AFTER", SBCTL_ALIGN_LEFT, false },
		{ "EXPIRES", SBCTL_ALIGN_LEFT, false },
		{ "OCSP", SBCTL_ALIGN_LEFT, false },
	};
	struct sbctl_table *t = sbctl_table_new(cols, sizeof cols / sizeof cols[0]);

	if (each_cert(listeners, add_row, t) > 0) {
		fputs("\ncertificates:\n", out);
		sbctl_table_print(t, out, view->width, view->utf8);
		each_cert(listeners, print_warning, out);
	}
	sbctl_table_free(t);
}
