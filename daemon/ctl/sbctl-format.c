/* sbctl-format.c - switchboardctl's human output: units, tables, status, events, policy errors */
#include "sbctl-format.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sb-alloc.h"
#include "sb-control.h"
#include "sb-rpc.h"

void
sbctl_format_bytes(uint64_t n, char out[SBCTL_BYTES_MAX])
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = (double)n;
	size_t u = 0;

	if (n < 1024) {
		snprintf(out, SBCTL_BYTES_MAX, "%" PRIu64 "B", n);
		return;
	}
	/* 1023.5 would print as "1024": move up a unit first */
	while (v >= 1023.5 && u + 1 < sizeof units / sizeof units[0]) {
		v /= 1024;
		u++;
	}
	if (v < 99.95)
		snprintf(out, SBCTL_BYTES_MAX, "%.1f%s", v, units[u]);
	else
		snprintf(out, SBCTL_BYTES_MAX, "%.0f%s", v, units[u]);
}

void
sbctl_format_duration(int64_t s, char out[SBCTL_DURATION_MAX])
{
	long long v = s > 0 ? (long long)s : 0;

	if (v < 60)
		snprintf(out, SBCTL_DURATION_MAX, "%llds", v);
	else if (v < 3600)
		snprintf(out, SBCTL_DURATION_MAX, "%lldm%02llds", v / 60, v % 60);
	else if (v < 86400)
		snprintf(out, SBCTL_DURATION_MAX, "%lldh%02lldm", v / 3600, v / 60 % 60);
	else
		snprintf(out, SBCTL_DURATION_MAX, "%lldd%02lldh", v / 86400, v / 3600 % 24);
}

/* Length of the UTF-8 sequence a lead byte starts; 0 for a byte that cannot start one. */
static size_t
utf8_seq_len(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if ((c & 0xe0) == 0xc0)
		return 2;
	if ((c & 0xf0) == 0xe0)
		return 3;
	if ((c & 0xf8) == 0xf0)
		return 4;
	return 0;
}

char *
sbctl_printable(const char *s, size_t len)
{
	/* at worst every byte becomes \xNN */
	char *out = sb_xmalloc(len * 4 + 1);
	size_t o = 0;

	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)s[i];
		size_t n = utf8_seq_len(c);

		if (n == 1 && c >= 0x20 && c != 0x7f) {
			out[o++] = (char)c;
			i++;
		} else if (n > 1 && n <= len - i && sb_utf8_valid(s + i, n) &&
		    !(c == 0xc2 && (unsigned char)s[i + 1] < 0xa0)) {
			/* valid, and not a C1 control (U+0080..U+009F) */
			memcpy(out + o, s + i, n);
			o += n;
			i += n;
		} else {
			o += (size_t)snprintf(out + o, 5, "\\x%02x", c);
			i++;
		}
	}
	out[o] = '\0';
	return out;
}

size_t
sbctl_text_width(const char *s)
{
	size_t w = 0;

	for (; *s != '\0'; s++) {
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	}
	return w;
}

struct sbctl_table {
	struct sbctl_column *cols;
	size_t ncols;
	char **cells; /* rows * ncols, row-major */
	size_t rows;
	size_t cap;
};

struct sbctl_table *
sbctl_table_new(const struct sbctl_column *cols, size_t ncols)
{
	struct sbctl_table *t = sb_xcalloc(1, sizeof *t);

	t->cols = sb_xmemdup(cols, ncols * sizeof *cols);
	t->ncols = ncols;
	return t;
}

void
sbctl_table_free(struct sbctl_table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->rows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->cols);
	free(t);
}

void
sbctl_table_add(struct sbctl_table *t, const char *const *cells)
{
	if (t->rows == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->cells = sb_xrealloc(t->cells, t->cap * t->ncols * sizeof *t->cells);
	}
	for (size_t c = 0; c < t->ncols; c++) {
		const char *v = cells[c] != NULL ? cells[c] : "-";

		t->cells[t->rows * t->ncols + c] = sbctl_printable(v, strlen(v));
	}
	t->rows++;
}

size_t
sbctl_table_rows(const struct sbctl_table *t)
{
	return t->rows;
}

/* Prints cell in exactly w columns, cut with the ellipsis when longer. */
static void
print_cell(FILE *out, const char *cell, size_t w, enum sbctl_align align, bool last,
    bool utf8)
{
	size_t cw = sbctl_text_width(cell);

	if (cw > w) {
		const char *p = cell;
		size_t keep = w > 0 ? w - 1 : 0;

		/* keep code points, not bytes */
		for (size_t n = 0; *p != '\0' && n < keep;) {
			p++;
			while (((unsigned char)*p & 0xc0) == 0x80)
				p++;
			n++;
		}
		fprintf(out, "%.*s%s", (int)(p - cell), cell, w > 0 ? (utf8 ? "…" : "~") : "");
		return;
	}
	if (align == SBCTL_ALIGN_RIGHT)
		fprintf(out, "%*s%s", (int)(w - cw), "", cell);
	else if (last)
		fputs(cell, out);
	else
		fprintf(out, "%s%*s", cell, (int)(w - cw), "");
}

void
sbctl_table_print(const struct sbctl_table *t, FILE *out, int width, bool utf8)
{
	size_t *w = sb_xcalloc(t->ncols, sizeof *w);
	size_t total = t->ncols > 0 ? 2 * (t->ncols - 1) : 0;

	for (size_t c = 0; c < t->ncols; c++) {
		w[c] = sbctl_text_width(t->cols[c].header);
		for (size_t r = 0; r < t->rows; r++) {
			size_t cw = sbctl_text_width(t->cells[r * t->ncols + c]);

			if (cw > w[c])
				w[c] = cw;
		}
		total += w[c];
	}
	/* take one column at a time from the widest shrinkable column */
	while (width > 0 && total > (size_t)width) {
		size_t best = t->ncols;

		for (size_t c = 0; c < t->ncols; c++) {
			if (t->cols[c].shrink && w[c] > sbctl_text_width(t->cols[c].header) &&
			    (best == t->ncols || w[c] > w[best]))
				best = c;
		}
		if (best == t->ncols)
			break;
		w[best]--;
		total--;
	}
	for (size_t r = 0; r <= t->rows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			const char *cell = r == 0 ? t->cols[c].header :
			    t->cells[(r - 1) * t->ncols + c];

			if (c > 0)
				fputs("  ", out);
			print_cell(out, cell, w[c], t->cols[c].align, c + 1 == t->ncols, utf8);
		}
		fputc('\n', out);
	}
	free(w);
}

void
sbctl_table_show(struct sbctl_table *t, FILE *out, const struct sbctl_view *view,
    const char *none)
{
	if (sbctl_table_rows(t) == 0)
		fprintf(out, "%s\n", none);
	else
		sbctl_table_print(t, out, view->width, view->utf8);
	sbctl_table_free(t);
}

const char *
sbctl_json_str(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

bool
sbctl_json_int(json_object *o, const char *key, int64_t *out)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return false;
	*out = json_object_get_int64(v);
	return true;
}

void
sbctl_format_bytes_of(json_object *o, const char *key, char out[SBCTL_BYTES_MAX])
{
	int64_t n;

	if (sbctl_json_int(o, key, &n) && n >= 0)
		sbctl_format_bytes((uint64_t)n, out);
	else
		snprintf(out, SBCTL_BYTES_MAX, "-");
}

void
sbctl_print_connections(FILE *out, json_object *list, const struct sbctl_view *view)
{
	static const struct sbctl_column cols[] = {
		{ "ID", SBCTL_ALIGN_RIGHT, false },
		{ "ROUTE", SBCTL_ALIGN_LEFT, true },
		{ "IDENTITY", SBCTL_ALIGN_LEFT, true },
		{ "MODE", SBCTL_ALIGN_LEFT, false },
		{ "CLIENT", SBCTL_ALIGN_LEFT, true },
		{ "BACKEND", SBCTL_ALIGN_LEFT, true },
		{ "AGE", SBCTL_ALIGN_RIGHT, false },
		{ "UP", SBCTL_ALIGN_RIGHT, false },
		{ "DOWN", SBCTL_ALIGN_RIGHT, false },
	};
	struct sbctl_table *t = sbctl_table_new(cols, sizeof cols / sizeof cols[0]);
	size_t n = json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;

	for (size_t i = 0; i < n; i++) {
		json_object *c = json_object_array_get_idx(list, i);
		char id[24] = "-", age[SBCTL_DURATION_MAX] = "-", up[SBCTL_BYTES_MAX];
		char down[SBCTL_BYTES_MAX];
		const char *started = sbctl_json_str(c, SB_FIELD_STARTED);
		int64_t v;

		if (sbctl_json_int(c, SB_FIELD_ID, &v))
			snprintf(id, sizeof id, "%" PRId64, v);
		if (started != NULL && sb_time_parse_rfc3339(started, &v) == 0)
			sbctl_format_duration((view->now_ms - v) / 1000, age);
		sbctl_format_bytes_of(c, SB_FIELD_BYTES_UP, up);
		sbctl_format_bytes_of(c, SB_FIELD_BYTES_DOWN, down);

		const char *cells[] = {
			id, sbctl_json_str(c, SB_FIELD_ROUTE), sbctl_json_str(c, SB_FIELD_IDENTITY),
			sbctl_json_str(c, SB_FIELD_MODE),
			sbctl_json_str(c, SB_FIELD_CLIENT), sbctl_json_str(c, SB_FIELD_BACKEND), age, up, down,
		};
		sbctl_table_add(t, cells);
	}
	sbctl_table_show(t, out, view, "no live connections");
}

void
sbctl_print_refused(FILE *out, json_object *list, const struct sbctl_view *view)
{
	static const struct sbctl_column cols[] = {
		{ "TIME (UTC)", SBCTL_ALIGN_LEFT, false },
		{ "CLIENT", SBCTL_ALIGN_LEFT, true },
		{ "LISTENER", SBCTL_ALIGN_LEFT, true },
		{ "ROUTE", SBCTL_ALIGN_LEFT, true },
		{ "STATUS", SBCTL_ALIGN_RIGHT, false },
		{ "REASON", SBCTL_ALIGN_LEFT, true },
	};
	struct sbctl_table *t = sbctl_table_new(cols, sizeof cols / sizeof cols[0]);
	size_t n = json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;

	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(list, i);
		const char *time = sbctl_json_str(e, SB_FIELD_TIME);
		char when[SB_TIME_RFC3339_MAX] = "-", status[24] = "-";
		int64_t v;

		/* "2024-05-01T12:34:56.789Z" is shown "2024-05-01 12:34:56" */
		if (time != NULL && strlen(time) >= 19 && time[10] == 'T') {
			memcpy(when, time, 19);
			when[10] = ' ';
			when[19] = '\0';
		}
		if (sbctl_json_int(e, SB_FIELD_STATUS, &v))
			snprintf(status, sizeof status, "%" PRId64, v);

		const char *cells[] = {
			when, sbctl_json_str(e, SB_FIELD_CLIENT), sbctl_json_str(e, SB_FIELD_LISTENER),
			sbctl_json_str(e, SB_FIELD_ROUTE), status, sbctl_json_str(e, SB_FIELD_REASON),
		};
		sbctl_table_add(t, cells);
	}
	sbctl_table_show(t, out, view, "no refusals kept");
}

/* before, s made printable ("-" when NULL), then after. */
static void
print_str(FILE *out, const char *before, const char *s, const char *after)
{
	char *p = sbctl_printable(s != NULL ? s : "-", s != NULL ? strlen(s) : 1);

	fprintf(out, "%s%s%s", before, p, after);
	free(p);
}

static void
print_count(FILE *out, json_object *counters, const char *label, const char *key)
{
	int64_t v;

	if (sbctl_json_int(counters, key, &v))
		fprintf(out, "  %s %" PRId64, label, v);
}

/* "workers:  3 | 2" - the connections each worker thread holds. */
static void
print_workers(FILE *out, json_object *st)
{
	json_object *ws = NULL;
	int64_t n;

	if (!json_object_object_get_ex(st, SB_FIELD_WORKERS, &ws) || !json_object_is_type(ws, json_type_array) ||
	    json_object_array_length(ws) == 0)
		return;
	fputs("workers: ", out);
	for (size_t i = 0; i < json_object_array_length(ws); i++) {
		if (!sbctl_json_int(json_object_array_get_idx(ws, i), SB_FIELD_CONNECTIONS, &n))
			n = 0;
		fprintf(out, "%s%" PRId64, i > 0 ? " | " : " ", n);
	}
	fputs(" connections\n", out);
}

void
sbctl_print_status(FILE *out, json_object *st, const struct sbctl_view *view)
{
	static const struct sbctl_column cols[] = {
		{ "LISTENER", SBCTL_ALIGN_LEFT, true },
		{ "BIND", SBCTL_ALIGN_LEFT, true },
		{ "TLS", SBCTL_ALIGN_LEFT, false },
	};
	json_object *ls = NULL, *counters = NULL, *v;
	char buf[SBCTL_DURATION_MAX], up[SBCTL_BYTES_MAX], down[SBCTL_BYTES_MAX];
	int64_t n;

	print_str(out, "switchboardd ", sbctl_json_str(st, SB_FIELD_VERSION), "");
	if (sbctl_json_int(st, SB_FIELD_UPTIME_S, &n)) {
		sbctl_format_duration(n, buf);
		fprintf(out, ", up %s", buf);
	}
	fputc('\n', out);
	fputs("policy:", out);
	if (sbctl_json_int(st, SB_FIELD_REVISION, &n))
		fprintf(out, " revision %" PRId64 ",", n);
	print_str(out, " ", sbctl_json_str(st, "policy_file") ? sbctl_json_str(st, "policy_file") :
	    "the built-in default", "\n");
	if (json_object_object_get_ex(st, "draining", &v) && json_object_get_boolean(v))
		fputs("draining: yes (no new connections)\n", out);

	if (json_object_object_get_ex(st, SB_FIELD_LISTENERS, &ls) &&
	    json_object_is_type(ls, json_type_array) && json_object_array_length(ls) > 0) {
		struct sbctl_table *t = sbctl_table_new(cols, sizeof cols / sizeof cols[0]);

		for (size_t i = 0; i < json_object_array_length(ls); i++) {
			json_object *l = json_object_array_get_idx(ls, i), *tls = NULL;
			const char *cells[3] = {
				sbctl_json_str(l, SB_FIELD_NAME), sbctl_json_str(l, SB_FIELD_BIND), "-",
			};

			if (json_object_object_get_ex(l, SB_FIELD_TLS, &tls) && tls != NULL)
				cells[2] = json_object_get_boolean(tls) ? "yes" : "no";
			sbctl_table_add(t, cells);
		}
		fputc('\n', out);
		sbctl_table_print(t, out, view->width, view->utf8);
		sbctl_table_free(t);
		sbctl_print_certificates(out, ls, view);
	}
	if (json_object_object_get_ex(st, SB_FIELD_COUNTERS, &counters) &&
	    json_object_is_type(counters, json_type_object)) {
		fputs("\nconnections:", out);
		print_count(out, counters, "accepted", SB_FIELD_ACCEPTED);
		print_count(out, counters, "upgraded", SB_FIELD_UPGRADED);
		print_count(out, counters, "rejected", SB_FIELD_REJECTED);
		print_count(out, counters, "active", SB_FIELD_ACTIVE);
		sbctl_format_bytes_of(counters, SB_FIELD_BYTES_UP, up);
		sbctl_format_bytes_of(counters, SB_FIELD_BYTES_DOWN, down);
		fprintf(out, "\ntraffic:  up %s  down %s\n", up, down);
	}
	print_workers(out, st);
}

/* key=value, the value quoted when it holds anything but plain characters. */
static void
print_field(FILE *out, const char *key, json_object *v)
{
	char bytes[SBCTL_BYTES_MAX];
	const char *s;
	char *p;
	bool plain = true;

	if (v == NULL)
		return;
	if (json_object_is_type(v, json_type_int) &&
	    (strcmp(key, SB_FIELD_BYTES_UP) == 0 || strcmp(key, SB_FIELD_BYTES_DOWN) == 0)) {
		sbctl_format_bytes((uint64_t)json_object_get_int64(v), bytes);
		fprintf(out, " %s=%s", strcmp(key, SB_FIELD_BYTES_UP) == 0 ? "up" : "down", bytes);
		return;
	}
	s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) :
	    json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
	p = sbctl_printable(s, strlen(s));
	for (const char *c = p; *c != '\0'; c++) {
		if (*c == ' ' || *c == '"' || *c == '=')
			plain = false;
	}
	if (plain && *p != '\0') {
		fprintf(out, " %s=%s", key, p);
	} else {
		fprintf(out, " %s=\"", key);
		for (const char *c = p; *c != '\0'; c++) {
			if (*c == '"')
				fputc('\\', out);
			fputc(*c, out);
		}
		fputc('"', out);
	}
	free(p);
}

void
sbctl_print_event(FILE *out, json_object *event)
{
	/* the fields shown for each type, in order; other types show all their fields */
	static const char *const conn_fields[] = {
		SB_FIELD_ID, SB_FIELD_ROUTE, SB_FIELD_CLIENT, SB_FIELD_MODE, SB_FIELD_BACKEND,
		NULL,
	};
	static const char *const update_fields[] = {
		SB_FIELD_ID, SB_FIELD_ROUTE, SB_FIELD_CLIENT, SB_FIELD_BYTES_UP,
		SB_FIELD_BYTES_DOWN, NULL,
	};
	static const char *const closed_fields[] = {
		SB_FIELD_ID, SB_FIELD_ROUTE, SB_FIELD_CLIENT, SB_FIELD_BYTES_UP,
		SB_FIELD_BYTES_DOWN, SB_FIELD_REASON, NULL,
	};
	static const char *const rejected_fields[] = {
		SB_FIELD_ROUTE, SB_FIELD_CLIENT, SB_FIELD_LISTENER, SB_FIELD_STATUS,
		SB_FIELD_REASON, NULL,
	};
	static const char *const *const fields[SB_EVENT_COUNT] = {
		[SB_EVENT_CONNECTION_OPENED] = conn_fields,
		[SB_EVENT_CONNECTION_UPDATED] = update_fields,
		[SB_EVENT_CONNECTION_CLOSED] = closed_fields,
		[SB_EVENT_UPGRADE_REJECTED] = rejected_fields,
	};
	const char *type = sbctl_json_str(event, SB_FIELD_TYPE);
	enum sb_control_event e;

	print_str(out, "", sbctl_json_str(event, SB_FIELD_TIME), " ");
	/* types padded to the longest, "subscription.dropped" */
	print_str(out, "", type, "");
	fprintf(out, "%*s", type != NULL && strlen(type) < 20 ? (int)(20 - strlen(type)) : 0, "");
	if (type != NULL && sb_control_event_lookup(type, &e) && fields[e] != NULL) {
		for (const char *const *f = fields[e]; *f != NULL; f++) {
			json_object *v = NULL;

			json_object_object_get_ex(event, *f, &v);
			print_field(out, *f, v);
		}
	} else if (json_object_is_type(event, json_type_object)) {
		json_object_object_foreach(event, key, v) {
			if (strcmp(key, SB_FIELD_TYPE) != 0 && strcmp(key, SB_FIELD_TIME) != 0)
				print_field(out, key, v);
		}
	}
	fputc('\n', out);
}

size_t
sbctl_print_policy_errors(FILE *out, const char *file, json_object *data)
{
	json_object *errs;
	size_t n = 0;

	if (data == NULL || !json_object_object_get_ex(data, SB_FIELD_ERRORS, &errs) ||
	    !json_object_is_type(errs, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(errs); i++) {
		json_object *e = json_object_array_get_idx(errs, i);
		const char *path = sbctl_json_str(e, SB_FIELD_PATH), *msg = sbctl_json_str(e, SB_FIELD_MESSAGE);

		if (msg == NULL)
			continue;
		print_str(out, "", file, ": ");
		if (path != NULL && path[0] != '\0')
			print_str(out, "", path, ": ");
		print_str(out, "", msg, "\n");
		n++;
	}
	return n;
}
