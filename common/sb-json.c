/* sb-json.c - json-c helpers: typed getters that report errors at a JSON path; strict keys */
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

void
sb_json_add_string(json_object *obj, const char *key, const char *value)
{
	if (value != NULL)
		json_object_object_add(obj, key, json_object_new_string(value));
}

void
sb_json_add_int(json_object *obj, const char *key, int64_t value, int64_t dflt)
{
	if (value != dflt)
		json_object_object_add(obj, key, json_object_new_int64(value));
}

json_object *
sb_json_strings(char *const *items, size_t n)
{
	json_object *arr = json_object_new_array_ext((int)n);

	for (size_t i = 0; i < n; i++)
		json_object_array_add(arr, json_object_new_string(items[i]));
	return arr;
}
