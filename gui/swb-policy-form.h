/*
 * swb-policy-form.h - the policy editor's fields as a table: each field's JSON
 * key, its kind, and how its text maps to JSON and back; and where a validator
 * error's JSON path points in the form
 */
#pragma once

#include <glib.h>
#include <json-c/json.h>

G_BEGIN_DECLS

typedef enum {
	SWB_SECTION_GENERAL,  /* the top-level object minus listeners and routes */
	SWB_SECTION_LISTENER, /* listeners[i] */
	SWB_SECTION_ROUTE,    /* routes[i] */
} SwbSection;

typedef enum {
	SWB_FIELD_TEXT,     /* a string; empty text omits the key */
	SWB_FIELD_INT,      /* an integer; other text stays a string, for the validator to refuse */
	SWB_FIELD_BOOL,     /* "true", or the key omitted (false is the default) */
	SWB_FIELD_CHOICE,   /* one of choices; empty text omits the key (the default) */
	SWB_FIELD_LIST,     /* an array of strings, written "a, b"; "[]" is the empty array */
	SWB_FIELD_INT_LIST, /* an array of integers, written "1000, 1001" */
	SWB_FIELD_NAME_LIST, /* an array of strings that hold commas (distinguished names), "a; b" */
	SWB_FIELD_JSON,     /* any JSON value, written as JSON */
} SwbFieldKind;

typedef struct {
	const char *key;   /* "match.host": each dot enters an object */
	const char *label;
	const char *hint;  /* what to type, shown as a tooltip */
	SwbFieldKind kind;
	const char *const *choices; /* SWB_FIELD_CHOICE: NULL-terminated */
	const char *group; /* the form groups fields under these titles */
} SwbField;

/* The fields of a section, in form order. */
const SwbField *swb_policy_fields(SwbSection section, guint *n_fields);
/* NULL when the section has no such key. */
const SwbField *swb_policy_field_find(SwbSection section, const char *key);

/*
 * The title of the folded row (an expander) that holds the field with the
 * others of its sub-object ("auth.jwt.keys": "JSON Web Tokens"); NULL: a row
 * of its group.
 */
const char *swb_policy_field_fold(const SwbField *field);

/* The field's value in obj (a listener, a route, or the document) as form text. (transfer full) */
char *swb_field_get_text(const SwbField *field, json_object *obj);
/*
 * Sets the field's value in obj from form text; empty text removes the key,
 * and objects left empty by that ("tls": {}) go too.
 */
void swb_field_set_text(const SwbField *field, json_object *obj, const char *text);

/* Where a validator error points. */
typedef struct {
	SwbSection section;
	int index;             /* listener or route index; -1: general, or the whole array */
	const SwbField *field; /* NULL: the item (or the document) as a whole */
} SwbErrorTarget;

/*
 * Maps a JSON path ("routes[2].backend", "listeners[0].tls.sni[1].cert",
 * "limits.max_per_ip", "") to its form target. The deepest field whose key
 * is a prefix of the path (at a "." or "[" boundary) wins.
 */
void swb_policy_error_target(const char *path, SwbErrorTarget *out);
/* The JSON path of a field: "routes[2].backend"; field NULL: "routes[2]". (transfer full) */
char *swb_policy_field_path(SwbSection section, int index, const SwbField *field);

G_END_DECLS
