/*
 * swb-pool-form.c - a route's backend as the pool editor sees it: a list of
 * servers (address, weight, backup) and a balance, written back in the form
 * the route had (a string, a list or an object) while that form still fits
 */
#include "swb-pool-form.h"

const char *const swb_pool_balances[] = { "round_robin", "least_connections", "source_hash",
	"first", NULL };

/* A server entry as an object with a text address, or NULL. (transfer full) */
static json_object *
server_object(json_object *e)
{
	json_object *v;

	if (json_object_is_type(e, json_type_string)) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "address", json_object_get(e));
		return o;
	}
	if (!json_object_is_type(e, json_type_object) ||
	    !json_object_object_get_ex(e, "address", &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get(e);
}

/* The servers of a list, each as an object; NULL when one is not a server. */
static json_object *
servers_of(json_object *arr)
{
	json_object *out = json_object_new_array();

	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *s = server_object(json_object_array_get_idx(arr, i));

		if (s == NULL) {
			json_object_put(out);
			return NULL;
		}
		json_object_array_add(out, s);
	}
	return out;
}

json_object *
swb_pool_from_backend(json_object *backend, SwbPoolForm *form)
{
	json_object *pool, *servers = NULL, *v;

	*form = SWB_POOL_FORM_STRING;
	if (backend == NULL) {
		pool = json_object_new_object();
		json_object_object_add(pool, "servers", json_object_new_array());
		return pool;
	}
	if (json_object_is_type(backend, json_type_string)) {
		servers = json_object_new_array();
		json_object_array_add(servers, server_object(backend));
	} else if (json_object_is_type(backend, json_type_array)) {
		*form = SWB_POOL_FORM_LIST;
		servers = servers_of(backend);
	} else if (json_object_is_type(backend, json_type_object)) {
		*form = SWB_POOL_FORM_OBJECT;
		if (!json_object_object_get_ex(backend, "servers", &v))
			servers = json_object_new_array();
		else if (json_object_is_type(v, json_type_array))
			servers = servers_of(v);
	}
	if (servers == NULL)
		return NULL;
	pool = json_object_new_object();
	json_object_object_add(pool, "servers", servers);
	if (*form == SWB_POOL_FORM_OBJECT) {
		json_object_object_foreach(backend, key, val) {
			if (g_str_equal(key, "servers"))
				continue;
			json_object_object_add(pool, key, json_object_get(val));
		}
	}
	return pool;
}

static json_object *
servers(json_object *pool)
{
	json_object *arr = NULL;

	json_object_object_get_ex(pool, "servers", &arr);
	return arr;
}

static gboolean
is_plain(json_object *server)
{
	return json_object_object_length(server) == 1;
}

json_object *
swb_pool_to_backend(json_object *pool, SwbPoolForm form)
{
	json_object *arr = servers(pool);
	size_t n = arr != NULL ? json_object_array_length(arr) : 0;
	gboolean plain = json_object_object_length(pool) == 1;
	json_object *out, *list = json_object_new_array();

	for (size_t i = 0; i < n; i++) {
		json_object *s = json_object_array_get_idx(arr, i);
		json_object *address = NULL;

		json_object_object_get_ex(s, "address", &address);
		if (is_plain(s)) {
			json_object_array_add(list, json_object_get(address));
		} else {
			json_object_array_add(list, json_object_get(s));
			plain = FALSE;
		}
	}
	if (plain && n == 0) {
		json_object_put(list);
		return NULL;
	}
	if (plain && n == 1 && form == SWB_POOL_FORM_STRING) {
		out = json_object_get(json_object_array_get_idx(list, 0));
		json_object_put(list);
		return out;
	}
	if (plain && form != SWB_POOL_FORM_OBJECT)
		return list;
	out = json_object_new_object();
	/* an object without servers (a token map, say) gets none until one is added */
	if (n > 0)
		json_object_object_add(out, "servers", list);
	else
		json_object_put(list);
	json_object_object_foreach(pool, key, val) {
		if (!g_str_equal(key, "servers"))
			json_object_object_add(out, key, json_object_get(val));
	}
	return out;
}

guint
swb_pool_get_n_servers(json_object *pool)
{
	json_object *arr = servers(pool);

	return arr != NULL ? (guint)json_object_array_length(arr) : 0;
}

static json_object *
server(json_object *pool, guint i)
{
	return i < swb_pool_get_n_servers(pool) ? json_object_array_get_idx(servers(pool), i) :
	    NULL;
}

char *
swb_pool_get_server_text(json_object *pool, guint i, const char *key)
{
	json_object *s = server(pool, i);
	json_object *v = NULL;

	if (s == NULL || !json_object_object_get_ex(s, key, &v) || v == NULL)
		return g_strdup("");
	if (json_object_is_type(v, json_type_string))
		return g_strdup(json_object_get_string(v));
	return g_strdup(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
}

gboolean
swb_pool_get_backup(json_object *pool, guint i)
{
	json_object *s = server(pool, i);
	json_object *v = NULL;

	return s != NULL && json_object_object_get_ex(s, "backup", &v) &&
	    json_object_get_boolean(v);
}

void
swb_pool_set_server_text(json_object *pool, guint i, const char *key, const char *text)
{
	json_object *s = server(pool, i);
	g_autofree char *trimmed = g_strstrip(g_strdup(text != NULL ? text : ""));
	gint64 n;

	if (s == NULL)
		return;
	/* the address stays even when empty: a server is its address */
	if (trimmed[0] == '\0' && !g_str_equal(key, "address"))
		json_object_object_del(s, key);
	else if (!g_str_equal(key, "address") &&
	    g_ascii_string_to_signed(trimmed, 10, G_MININT64, G_MAXINT64, &n, NULL))
		json_object_object_add(s, key, json_object_new_int64(n));
	else
		json_object_object_add(s, key, json_object_new_string(trimmed));
}

void
swb_pool_set_backup(json_object *pool, guint i, gboolean backup)
{
	json_object *s = server(pool, i);

	if (s == NULL)
		return;
	if (backup)
		json_object_object_add(s, "backup", json_object_new_boolean(TRUE));
	else
		json_object_object_del(s, "backup");
}

void
swb_pool_add_server(json_object *pool)
{
	json_object *s = json_object_new_object();

	json_object_object_add(s, "address", json_object_new_string(""));
	json_object_array_add(servers(pool), s);
}

void
swb_pool_remove_server(json_object *pool, guint i)
{
	if (i < swb_pool_get_n_servers(pool))
		json_object_array_del_idx(servers(pool), i, 1);
}

const char *
swb_pool_get_balance(json_object *pool)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(pool, "balance", &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

void
swb_pool_set_balance(json_object *pool, const char *balance)
{
	if (balance == NULL || balance[0] == '\0')
		json_object_object_del(pool, "balance");
	else
		json_object_object_add(pool, "balance", json_object_new_string(balance));
}
