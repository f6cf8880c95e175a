/* sb-json-text.c - JSON text in and out: strict parse, pretty writer, errors in document order */
#include "sb-json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb-alloc.h"

bool
sb_json_path_within(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	if (n == 0)
		return true;
	if (strncmp(path, prefix, n) != 0)
		return false;
	return path[n] == '\0' || path[n] == '.' || path[n] == '[';
}

#define POSITION_DEPTH 12

/* Reads the segment at *p (".key", "key", "[3]" or ["key"]); 1: a key, 0: an index. */
static int
next_segment(const char **p, char **key, size_t *index)
{
	const char *s = *p;

	if (*s == '.')
		s++;
	if (s[0] == '[' && s[1] != '"') {
		char *end;

		*index = strtoul(s + 1, &end, 10);
		*p = *end == ']' ? end + 1 : end + strlen(end);
		return 0;
	}
	if (s[0] == '[') {
		const char *end = s + 2;

		while (*end != '\0' && *end != '"')
			end += end[0] == '\\' && end[1] != '\0' ? 2 : 1;
		char *quoted = sb_xstrndup(s + 1, (size_t)(end - s));
		json_object *str = json_tokener_parse(quoted);

		*key = sb_xstrdup(str ? json_object_get_string(str) : "");
		json_object_put(str);
		free(quoted);
		*p = *end == '\0' ? end : end[1] == ']' ? end + 2 : end + 1;
		return 1;
	}
	size_t len = strcspn(s, ".[");
	*key = sb_xstrndup(s, len);
	*p = s + len;
	return 1;
}

struct position {
	size_t at[POSITION_DEPTH];
	size_t depth;
	size_t order; /* the error's index, for a stable sort */
};

static void
doc_position(json_object *doc, const char *path, struct position *pos)
{
	json_object *cur = doc;

	pos->depth = 0;
	while (*path != '\0' && pos->depth < POSITION_DEPTH) {
		char *key = NULL;
		size_t index = 0, at = 0;

		if (next_segment(&path, &key, &index)) {
			json_object *found = NULL;

			if (cur != NULL && json_object_is_type(cur, json_type_object)) {
				json_object_object_foreach(cur, k, v) {
					if (strcmp(k, key) == 0) {
						found = v;
						break;
					}
					at++;
				}
			}
			cur = found;
		} else {
			at = index;
			cur = cur != NULL && json_object_is_type(cur, json_type_array) ?
			    json_object_array_get_idx(cur, index) : NULL;
		}
		free(key);
		pos->at[pos->depth++] = at;
	}
}

static int
position_cmp(const struct position *a, const struct position *b)
{
	for (size_t i = 0; i < a->depth && i < b->depth; i++) {
		if (a->at[i] != b->at[i])
			return a->at[i] < b->at[i] ? -1 : 1;
	}
	if (a->depth != b->depth)
		return a->depth < b->depth ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

static int
position_qsort_cmp(const void *a, const void *b)
{
	return position_cmp(a, b);
}

void
sb_json_sort_errors(json_object *doc, struct sb_errors *errs, size_t from)
{
	size_t n = errs->count > from ? errs->count - from : 0;
	struct position *pos = sb_xcalloc(n, sizeof *pos);
	struct sb_error *sorted = sb_xcalloc(n, sizeof *sorted);

	for (size_t i = 0; i < n; i++) {
		doc_position(doc, errs->items[from + i].path, &pos[i]);
		pos[i].order = i;
	}
	qsort(pos, n, sizeof *pos, position_qsort_cmp);
	for (size_t i = 0; i < n; i++)
		sorted[i] = errs->items[from + pos[i].order];
	if (n > 0)
		memcpy(errs->items + from, sorted, n * sizeof *sorted);
	free(sorted);
	free(pos);
}

static void
syntax_error(struct sb_errors *errs, const char *text, size_t offset, const char *what)
{
	size_t line = 1, line_start = 0;

	for (size_t i = 0; i < offset; i++) {
		if (text[i] == '\n') {
			line++;
			line_start = i + 1;
		}
	}
	sb_errors_add(errs, "", "invalid JSON at line %zu, column %zu: %s", line,
	    offset - line_start + 1, what);
}

json_object *
sb_json_parse(const char *text, size_t len, struct sb_errors *errs)
{
	json_tokener *tok = json_tokener_new_ex(JSON_TOKENER_DEFAULT_DEPTH);
	const char *nul = memchr(text, '\0', len);
	json_object *doc = NULL;
	size_t end;

	if (tok == NULL)
		abort();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	if (nul != NULL) {
		syntax_error(errs, text, (size_t)(nul - text), "NUL byte");
		goto err;
	}
	/* the document null parses as NULL too, with no error */
	doc = json_tokener_parse_ex(tok, text, (int)len);
	if (json_tokener_get_error(tok) == json_tokener_continue) {
		/* a number at the very end is complete only once the input ends */
		doc = json_tokener_parse_ex(tok, "", 1);
		if (json_tokener_get_error(tok) != json_tokener_success) {
			syntax_error(errs, text, len, "unexpected end of data");
			goto err;
		}
		end = len;
	} else if (json_tokener_get_error(tok) != json_tokener_success) {
		syntax_error(errs, text, json_tokener_get_parse_end(tok),
		    json_tokener_error_desc(json_tokener_get_error(tok)));
		goto err;
	} else {
		end = json_tokener_get_parse_end(tok);
	}
	for (; end < len; end++) {
		if (strchr(" \t\r\n", text[end]) == NULL) {
			syntax_error(errs, text, end, "unexpected data after the document");
			goto err;
		}
	}
	json_tokener_free(tok);
	return doc;

err:
	json_object_put(doc);
	json_tokener_free(tok);
	return NULL;
}

static void
indent(FILE *f, int depth)
{
	for (int i = 0; i < depth; i++)
		fputs("  ", f);
}

static void
write_value(FILE *f, json_object *v, int depth)
{
	if (json_object_is_type(v, json_type_object)) {
		if (json_object_object_length(v) == 0) {
			fputs("{}", f);
			return;
		}
		const char *sep = "{\n";
		json_object_object_foreach(v, key, child) {
			json_object *k = json_object_new_string(key);

			fputs(sep, f);
			indent(f, depth + 1);
			fprintf(f, "%s: ", json_object_to_json_string_ext(k,
			    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
			json_object_put(k);
			write_value(f, child, depth + 1);
			sep = ",\n";
		}
		fputc('\n', f);
		indent(f, depth);
		fputc('}', f);
	} else if (json_object_is_type(v, json_type_array)) {
		size_t n = json_object_array_length(v);

		if (n == 0) {
			fputs("[]", f);
			return;
		}
		fputs("[\n", f);
		for (size_t i = 0; i < n; i++) {
			indent(f, depth + 1);
			write_value(f, json_object_array_get_idx(v, i), depth + 1);
			fputs(i + 1 < n ? ",\n" : "\n", f);
		}
		indent(f, depth);
		fputc(']', f);
	} else {
		fputs(json_object_to_json_string_ext(v,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE), f);
	}
}

char *
sb_json_to_pretty(json_object *v)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (f == NULL)
		abort();
	write_value(f, v, 0);
	fputc('\n', f);
	if (fclose(f) != 0)
		abort();
	return text;
}
