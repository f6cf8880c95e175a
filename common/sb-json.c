/* sb-json.c - json-c helpers: typed getters that report errors at a JSON path; pretty writer */
#include "sb-json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb-alloc.h"

void
sb_json_ctx_init(struct sb_json_ctx *ctx, struct sb_errors *errs)
{
	ctx->errs = errs;
	ctx->cap = 64;
	ctx->path = sb_xmalloc(ctx->cap);
	ctx->path[0] = '\0';
	ctx->len = 0;
}

void
sb_json_ctx_clear(struct sb_json_ctx *ctx)
{
	free(ctx->path);
	ctx->path = NULL;
	ctx->len = ctx->cap = 0;
}

const char *
sb_json_path(const struct sb_json_ctx *ctx)
{
	return ctx->path;
}

static void
path_append(struct sb_json_ctx *ctx, const char *s, size_t n)
{
	if (ctx->len + n + 1 > ctx->cap) {
		while (ctx->len + n + 1 > ctx->cap)
			ctx->cap *= 2;
		ctx->path = sb_xrealloc(ctx->path, ctx->cap);
	}
	memcpy(ctx->path + ctx->len, s, n);
	ctx->len += n;
	ctx->path[ctx->len] = '\0';
}

static bool
key_is_plain(const char *key)
{
	if (*key == '\0')
		return false;
	for (const char *p = key; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			return false;
	}
	return true;
}

size_t
sb_json_push_key(struct sb_json_ctx *ctx, const char *key)
{
	size_t mark = ctx->len;

	if (key_is_plain(key)) {
		if (ctx->len > 0)
			path_append(ctx, ".", 1);
		path_append(ctx, key, strlen(key));
	} else {
		json_object *s = json_object_new_string(key);
		const char *quoted = json_object_to_json_string_ext(s,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

		path_append(ctx, "[", 1);
		path_append(ctx, quoted, strlen(quoted));
		path_append(ctx, "]", 1);
		json_object_put(s);
	}
	return mark;
}

size_t
sb_json_push_index(struct sb_json_ctx *ctx, size_t index)
{
	size_t mark = ctx->len;
	char text[32];
	int n = snprintf(text, sizeof text, "[%zu]", index);

	path_append(ctx, text, (size_t)n);
	return mark;
}

void
sb_json_pop(struct sb_json_ctx *ctx, size_t mark)
{
	ctx->len = mark;
	ctx->path[mark] = '\0';
}

static void
add_error(struct sb_json_ctx *ctx, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void
add_error(struct sb_json_ctx *ctx, const char *fmt, va_list ap)
{
	char *message = NULL;

	if (vasprintf(&message, fmt, ap) < 0)
		message = NULL;
	sb_errors_add(ctx->errs, ctx->path, "%s", message ? message : "(out of memory)");
	free(message);
}

void
sb_json_error(struct sb_json_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_error(ctx, fmt, ap);
	va_end(ap);
}

void
sb_json_error_at(struct sb_json_ctx *ctx, const char *key, const char *fmt, ...)
{
	size_t mark = sb_json_push_key(ctx, key);
	va_list ap;

	va_start(ap, fmt);
	add_error(ctx, fmt, ap);
	va_end(ap);
	sb_json_pop(ctx, mark);
}

enum sb_json_result
sb_json_as_string(struct sb_json_ctx *ctx, json_object *v, char **out)
{
	if (v == NULL)
		return SB_JSON_ABSENT;
	if (!json_object_is_type(v, json_type_string)) {
		sb_json_error(ctx, "must be a string");
		return SB_JSON_INVALID;
	}
	if (json_object_get_string_len(v) == 0) {
		sb_json_error(ctx, "must not be empty");
		return SB_JSON_INVALID;
	}
	if (strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v)) {
		sb_json_error(ctx, "must not contain NUL characters");
		return SB_JSON_INVALID;
	}
	*out = sb_xstrdup(json_object_get_string(v));
	return SB_JSON_OK;
}

enum sb_json_result
sb_json_as_bool(struct sb_json_ctx *ctx, json_object *v, bool *out)
{
	if (v == NULL)
		return SB_JSON_ABSENT;
	if (!json_object_is_type(v, json_type_boolean)) {
		sb_json_error(ctx, "must be a boolean");
		return SB_JSON_INVALID;
	}
	*out = json_object_get_boolean(v);
	return SB_JSON_OK;
}

enum sb_json_result
sb_json_as_int(struct sb_json_ctx *ctx, json_object *v, int64_t min, int64_t max, int64_t *out)
{
	if (v == NULL)
		return SB_JSON_ABSENT;
	if (!json_object_is_type(v, json_type_int)) {
		sb_json_error(ctx, "must be an integer");
		return SB_JSON_INVALID;
	}
	int64_t i = json_object_get_int64(v);
	/* json-c clamps what int64 cannot hold to INT64_MAX or INT64_MIN */
	if (i < min || i > max || i == INT64_MAX || i == INT64_MIN) {
		sb_json_error(ctx, "must be %lld..%lld", (long long)min, (long long)max);
		return SB_JSON_INVALID;
	}
	*out = i;
	return SB_JSON_OK;
}

enum sb_json_result
sb_json_as_object(struct sb_json_ctx *ctx, json_object *v)
{
	if (v == NULL)
		return SB_JSON_ABSENT;
	if (!json_object_is_type(v, json_type_object)) {
		sb_json_error(ctx, "must be an object");
		return SB_JSON_INVALID;
	}
	return SB_JSON_OK;
}

enum sb_json_result
sb_json_as_array(struct sb_json_ctx *ctx, json_object *v)
{
	if (v == NULL)
		return SB_JSON_ABSENT;
	if (!json_object_is_type(v, json_type_array)) {
		sb_json_error(ctx, "must be an array");
		return SB_JSON_INVALID;
	}
	return SB_JSON_OK;
}

/* "a", "b" or "c" */
static char *
names_list(const char *const *names)
{
	char *list = sb_xstrdup("");

	for (size_t i = 0; names[i] != NULL; i++) {
		const char *sep = i == 0 ? "" : names[i + 1] == NULL ? " or " : ", ";
		char *next = sb_xasprintf("%s%s\"%s\"", list, sep, names[i]);

		free(list);
		list = next;
	}
	return list;
}

enum sb_json_result
sb_json_as_enum(struct sb_json_ctx *ctx, json_object *v, const char *const *names, int *out)
{
	if (v == NULL)
		return SB_JSON_ABSENT;
	if (json_object_is_type(v, json_type_string)) {
		for (int i = 0; names[i] != NULL; i++) {
			if (strcmp(json_object_get_string(v), names[i]) == 0) {
				*out = i;
				return SB_JSON_OK;
			}
		}
	}
	char *list = names_list(names);
	sb_json_error(ctx, "must be %s", list);
	free(list);
	return SB_JSON_INVALID;
}

json_object *
sb_json_member(json_object *obj, const char *key)
{
	json_object *v = NULL;

	if (obj == NULL || !json_object_object_get_ex(obj, key, &v))
		return NULL;
	return v;
}

/* Pushes key; returns its value, or NULL after reporting a missing required one. */
static json_object *
enter(struct sb_json_ctx *ctx, json_object *obj, const char *key, bool required, size_t *mark)
{
	json_object *v = sb_json_member(obj, key);

	*mark = sb_json_push_key(ctx, key);
	if (v == NULL && required)
		sb_json_error(ctx, "is required");
	return v;
}

static enum sb_json_result
leave(struct sb_json_ctx *ctx, size_t mark, bool required, enum sb_json_result r)
{
	sb_json_pop(ctx, mark);
	return r == SB_JSON_ABSENT && required ? SB_JSON_INVALID : r;
}

enum sb_json_result
sb_json_get_string(struct sb_json_ctx *ctx, json_object *obj, const char *key, bool required,
    char **out)
{
	size_t mark;
	json_object *v = enter(ctx, obj, key, required, &mark);

	return leave(ctx, mark, required, sb_json_as_string(ctx, v, out));
}

enum sb_json_result
sb_json_get_bool(struct sb_json_ctx *ctx, json_object *obj, const char *key, bool required,
    bool *out)
{
	size_t mark;
	json_object *v = enter(ctx, obj, key, required, &mark);

	return leave(ctx, mark, required, sb_json_as_bool(ctx, v, out));
}

enum sb_json_result
sb_json_get_int(struct sb_json_ctx *ctx, json_object *obj, const char *key, bool required,
    int64_t min, int64_t max, int64_t *out)
{
	size_t mark;
	json_object *v = enter(ctx, obj, key, required, &mark);

	return leave(ctx, mark, required, sb_json_as_int(ctx, v, min, max, out));
}

enum sb_json_result
sb_json_get_enum(struct sb_json_ctx *ctx, json_object *obj, const char *key, bool required,
    const char *const *names, int *out)
{
	size_t mark;
	json_object *v = enter(ctx, obj, key, required, &mark);

	return leave(ctx, mark, required, sb_json_as_enum(ctx, v, names, out));
}

enum sb_json_result
sb_json_get_object(struct sb_json_ctx *ctx, json_object *obj, const char *key, bool required,
    json_object **out)
{
	size_t mark;
	json_object *v = enter(ctx, obj, key, required, &mark);
	enum sb_json_result r = sb_json_as_object(ctx, v);

	if (r == SB_JSON_OK)
		*out = v;
	return leave(ctx, mark, required, r);
}

enum sb_json_result
sb_json_get_array(struct sb_json_ctx *ctx, json_object *obj, const char *key, bool required,
    json_object **out)
{
	size_t mark;
	json_object *v = enter(ctx, obj, key, required, &mark);
	enum sb_json_result r = sb_json_as_array(ctx, v);

	if (r == SB_JSON_OK)
		*out = v;
	return leave(ctx, mark, required, r);
}

enum sb_json_result
sb_json_get_strings(struct sb_json_ctx *ctx, json_object *obj, const char *key, bool required,
    char ***out, size_t *n)
{
	size_t mark;
	json_object *v = enter(ctx, obj, key, required, &mark);
	enum sb_json_result r = sb_json_as_array(ctx, v);

	if (r == SB_JSON_OK) {
		size_t len = json_object_array_length(v);
		char **items = sb_xcalloc(len, sizeof *items);
		size_t count = 0;

		for (size_t i = 0; i < len; i++) {
			size_t elem = sb_json_push_index(ctx, i);
			json_object *e = json_object_array_get_idx(v, i);

			if (e == NULL)
				sb_json_error(ctx, "must be a string");
			if (sb_json_as_string(ctx, e, &items[count]) == SB_JSON_OK)
				count++;
			else
				r = SB_JSON_INVALID;
			sb_json_pop(ctx, elem);
		}
		if (r == SB_JSON_INVALID) {
			/* indices would no longer match the document: keep none */
			for (size_t i = 0; i < count; i++)
				free(items[i]);
			free(items);
			items = NULL;
			count = 0;
		}
		*out = items;
		*n = count;
	}
	return leave(ctx, mark, required, r);
}

size_t
sb_json_check_keys(struct sb_json_ctx *ctx, json_object *obj, const char *const *keys,
    const char *const *unsupported)
{
	size_t errors = 0;

	json_object_object_foreach(obj, key, value) {
		bool known = false;

		(void)value;
		for (size_t i = 0; keys[i] != NULL && !known; i++)
			known = strcmp(key, keys[i]) == 0;
		if (known)
			continue;
		for (size_t i = 0; unsupported != NULL && unsupported[i] != NULL && !known; i++)
			known = strcmp(key, unsupported[i]) == 0;
		sb_json_error_at(ctx, key, known ? "not supported yet" : "unknown key");
		errors++;
	}
	return errors;
}

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

/* Reads the segment at *p (".key", "key", "[3]" or ["key"]); returns 1 for a key, 0 for an index. */
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
