/* sb-json.h - json-c helpers: typed getters that report errors at a JSON path; JSON text */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sb-errors.h"

/* What a getter found. */
enum sb_json_result {
	SB_JSON_ABSENT,  /* no such key, or its value is null */
	SB_JSON_OK,      /* *out was set */
	SB_JSON_INVALID, /* wrong type or value; an error was added */
};

/*
 * The JSON path of the value being read ("routes[2].match.host"), and where
 * errors go. Push a key or an index before looking inside a value and pop back
 * to the mark the push returned.
 */
struct sb_json_ctx {
	struct sb_errors *errs;
	char *path;
	size_t len;
	size_t cap;
};

void sb_json_ctx_init(struct sb_json_ctx *ctx, struct sb_errors *errs);
void sb_json_ctx_clear(struct sb_json_ctx *ctx);
const char *sb_json_path(const struct sb_json_ctx *ctx);
/* Keys that are not [A-Za-z0-9_-]+ are written ["like this"]. */
size_t sb_json_push_key(struct sb_json_ctx *ctx, const char *key);
size_t sb_json_push_index(struct sb_json_ctx *ctx, size_t index);
void sb_json_pop(struct sb_json_ctx *ctx, size_t mark);
/* Adds an error at the current path. */
void sb_json_error(struct sb_json_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Adds an error at the current path plus key. */
void sb_json_error_at(struct sb_json_ctx *ctx, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Value getters: v is the value at the current path (NULL or JSON null:
 * SB_JSON_ABSENT). Errors read "must be a string", "must not be empty",
 * "must be a boolean", "must be an integer", "must be MIN..MAX",
 * "must be an object", "must be an array", "must be "a" or "b"".
 */
enum sb_json_result sb_json_as_string(struct sb_json_ctx *ctx, json_object *v, char **out);
enum sb_json_result sb_json_as_bool(struct sb_json_ctx *ctx, json_object *v, bool *out);
enum sb_json_result sb_json_as_int(struct sb_json_ctx *ctx, json_object *v, int64_t min,
    int64_t max, int64_t *out);
enum sb_json_result sb_json_as_object(struct sb_json_ctx *ctx, json_object *v);
enum sb_json_result sb_json_as_array(struct sb_json_ctx *ctx, json_object *v);
/* names is NULL-terminated; *out is the index of the matching name. */
enum sb_json_result sb_json_as_enum(struct sb_json_ctx *ctx, json_object *v,
    const char *const *names, int *out);

/* The member key of obj; NULL when absent or null. */
json_object *sb_json_member(json_object *obj, const char *key);

/*
 * Member getters: the same, for obj's member key (the path gets ".key").
 * With required, an absent member is an error: "is required".
 */
enum sb_json_result sb_json_get_string(struct sb_json_ctx *ctx, json_object *obj,
    const char *key, bool required, char **out);
enum sb_json_result sb_json_get_bool(struct sb_json_ctx *ctx, json_object *obj,
    const char *key, bool required, bool *out);
enum sb_json_result sb_json_get_int(struct sb_json_ctx *ctx, json_object *obj,
    const char *key, bool required, int64_t min, int64_t max, int64_t *out);
enum sb_json_result sb_json_get_enum(struct sb_json_ctx *ctx, json_object *obj,
    const char *key, bool required, const char *const *names, int *out);
/* *out is borrowed from obj. */
enum sb_json_result sb_json_get_object(struct sb_json_ctx *ctx, json_object *obj,
    const char *key, bool required, json_object **out);
enum sb_json_result sb_json_get_array(struct sb_json_ctx *ctx, json_object *obj,
    const char *key, bool required, json_object **out);
/*
 * A member that must be an array of non-empty strings; *out is a new
 * array (free each string, then it) and *n its length. Invalid elements
 * are reported at their index; then *out is NULL and *n 0.
 */
enum sb_json_result sb_json_get_strings(struct sb_json_ctx *ctx, json_object *obj,
    const char *key, bool required, char ***out, size_t *n);

/*
 * Strict key sets: every key of obj (at the current path) must be in keys
 * (NULL-terminated); others are reported as "unknown key", except those in
 * unsupported (may be NULL), reported as "not supported yet".
 * Returns the number of errors added.
 */
size_t sb_json_check_keys(struct sb_json_ctx *ctx, json_object *obj, const char *const *keys,
    const char *const *unsupported);

/* sb-json-text.c */

/* True when path is prefix itself or lies inside it ("a.b[2]" is within "a.b"). */
bool sb_json_path_within(const char *path, const char *prefix);

/*
 * Sorts errs->items[from..] by where their paths point in doc (document
 * order; a missing key sorts after its present siblings). Stable.
 */
void sb_json_sort_errors(json_object *doc, struct sb_errors *errs, size_t from);

/*
 * Parses one JSON document (strict, UTF-8). A syntax error is added at
 * path "" as "invalid JSON at line L, column C: what"; returns NULL then,
 * and also for the document "null" (with no error added).
 */
json_object *sb_json_parse(const char *text, size_t len, struct sb_errors *errs);

/*
 * Pretty text: two-space indent, one member or element a line, "[]" and
 * "{}" when empty, a final newline. free() it.
 */
char *sb_json_to_pretty(json_object *v);

/* Writing: a member only when it says something (value not NULL, not the default). */
void sb_json_add_string(json_object *obj, const char *key, const char *value);
void sb_json_add_int(json_object *obj, const char *key, int64_t value, int64_t dflt);
/* A JSON array of the n strings. */
json_object *sb_json_strings(char *const *items, size_t n);
