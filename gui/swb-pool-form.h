/*
 * swb-pool-form.h - a route's backend as the pool editor sees it: a list of
 * servers (address, weight, backup) and a balance, written back in the form
 * the route had (a string, a list or an object) while that form still fits
 */
#pragma once

#include <glib.h>
#include <json-c/json.h>

G_BEGIN_DECLS

typedef enum {
	SWB_POOL_FORM_STRING, /* "host:port" */
	SWB_POOL_FORM_LIST,   /* ["a:1", "b:2"] */
	SWB_POOL_FORM_OBJECT, /* {"servers": [...], "balance": ..., ...} */
} SwbPoolForm;

/* The balance choices, NULL-terminated (none chosen: the daemon's default, round_robin). */
extern const char *const swb_pool_balances[];

/*
 * The backend value (NULL: none yet) as a pool: an object whose "servers" are
 * objects with an "address" each; other members (health, tls, resolve_s…)
 * stay as they are. NULL when the value is nothing the editor can show (a
 * number, a server without a text address, "servers" not a list…): the JSON
 * form is then the only editor. (transfer full)
 */
json_object *swb_pool_from_backend(json_object *backend, SwbPoolForm *form);
/*
 * The pool as a backend value in form, or the smallest form that holds it:
 * a server with only an address is its string, a pool of one such server
 * and nothing else a string (when form was one), plain servers a list
 * (when form was not an object). NULL: no servers and nothing else, the key
 * goes. (transfer full)
 */
json_object *swb_pool_to_backend(json_object *pool, SwbPoolForm form);

guint swb_pool_get_n_servers(json_object *pool);
/* A server's "address" or "weight" as form text ("" when absent). (transfer full) */
char *swb_pool_get_server_text(json_object *pool, guint i, const char *key);
gboolean swb_pool_get_backup(json_object *pool, guint i);
/* Sets "address" or "weight" from text: empty removes it, a number becomes one. */
void swb_pool_set_server_text(json_object *pool, guint i, const char *key, const char *text);
void swb_pool_set_backup(json_object *pool, guint i, gboolean backup);
/* Appends a server with an empty address (which the validator then names). */
void swb_pool_add_server(json_object *pool);
void swb_pool_remove_server(json_object *pool, guint i);
/* NULL when none is chosen. (transfer none) */
const char *swb_pool_get_balance(json_object *pool);
/* NULL or "": back to the default. */
void swb_pool_set_balance(json_object *pool, const char *balance);

G_END_DECLS
