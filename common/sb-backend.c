/* sb-backend.c - a route's backend: parse, write, compare */
#include "sb-backend.h"

#include <string.h>
#include <stdlib.h>

#include "sb-alloc.h"
#include "sb-json.h"

static const char *const backend_keys[] = {
	"servers", "balance", "health", "tls", "resolve_s", "token_map", NULL,
};
static const char *const server_keys[] = { "address", "weight", "backup", NULL };
static const char *const health_keys[] = {
	"interval_s", "timeout_ms", "rise", "fall", "send", "expect", NULL,
};
static const char *const tls_keys[] = { "verify", "ca", "sni", "cert", "key", NULL };
static const char *const balance_choice[] = {
	"round_robin", "least_connections", "source_hash", "first", NULL,
};

/* sun_path holds 108 bytes with its NUL. */
#define UNIX_PATH_MAX 107

const char *
sb_balance_name(enum sb_balance balance)
{
	return (size_t)balance < sizeof balance_choice / sizeof balance_choice[0] - 1 ?
	    balance_choice[balance] : "round_robin";
}

void
sb_server_clear(struct sb_server *s)
{
	free(s->address);
	sb_hostport_clear(&s->hp);
	free(s->unix_path);
	memset(s, 0, sizeof *s);
}

int
sb_server_parse_address(const char *text, struct sb_server *out, const char **why)
{
	memset(out, 0, sizeof *out);
	out->weight = SB_DEFAULT_WEIGHT;
	if (strcmp(text, SB_BACKEND_BUILTIN_ECHO) == 0) {
		out->kind = SB_SERVER_ECHO;
	} else if (strncmp(text, "builtin:", 8) == 0) {
		*why = "unknown built-in backend (the only one is \"builtin:echo\")";
		return -1;
	} else if (strncmp(text, SB_BACKEND_UNIX_PREFIX, strlen(SB_BACKEND_UNIX_PREFIX)) == 0) {
		const char *path = text + strlen(SB_BACKEND_UNIX_PREFIX);

		if (path[0] == '\0') {
			*why = "a UNIX socket address needs a path: unix:/run/app.sock";
			return -1;
		}
		if (strlen(path) > UNIX_PATH_MAX) {
			*why = "a UNIX socket path may hold at most 107 bytes";
			return -1;
		}
		out->kind = SB_SERVER_UNIX;
		out->unix_path = sb_xstrdup(path);
	} else {
		if (sb_hostport_parse(text, &out->hp, why) < 0)
			return -1;
		out->kind = SB_SERVER_INET;
	}
	out->address = sb_xstrdup(text);
	return 0;
}

/* One address at the current path; false (error added) when it is not one. */
static bool
parse_address(struct sb_json_ctx *ctx, json_object *v, struct sb_server *out)
{
	char *text = NULL;
	const char *why = NULL;
	bool ok;

	if (sb_json_as_string(ctx, v, &text) != SB_JSON_OK)
		return false;
	ok = sb_server_parse_address(text, out, &why) == 0;
	if (!ok)
		sb_json_error(ctx, "%s", why);
	free(text);
	return ok;
}

static void
parse_server(struct sb_json_ctx *ctx, json_object *v, struct sb_server *out)
{
	json_object *addr;
	int64_t weight;
	bool backup = false;
	size_t mark;

	if (json_object_is_type(v, json_type_string)) {
		parse_address(ctx, v, out);
		return;
	}
	if (!json_object_is_type(v, json_type_object)) {
		sb_json_error(ctx, "must be an address or an object with \"address\"");
		return;
	}
	sb_json_check_keys(ctx, v, server_keys, NULL);
	addr = sb_json_member(v, "address");
	if (addr == NULL) {
		sb_json_error_at(ctx, "address", "is required");
		return;
	}
	mark = sb_json_push_key(ctx, "address");
	parse_address(ctx, addr, out);
	sb_json_pop(ctx, mark);
	if (sb_json_get_int(ctx, v, "weight", false, 1, SB_WEIGHT_MAX, &weight) == SB_JSON_OK)
		out->weight = (unsigned)weight;
	if (sb_json_get_bool(ctx, v, "backup", false, &backup) == SB_JSON_OK)
		out->backup = backup;
}

/* An array of servers at the current path (the list form, or "servers"). */
static void
parse_servers(struct sb_json_ctx *ctx, json_object *arr, struct sb_backend *out)
{
	size_t n = json_object_array_length(arr);
	bool echo = false;

	if (n == 0) {
		sb_json_error(ctx, "must not be empty");
		return;
	}
	if (n > SB_SERVERS_MAX) {
		sb_json_error(ctx, "may hold at most %d servers", SB_SERVERS_MAX);
		return;
	}
	out->servers = sb_xcalloc(n, sizeof *out->servers);
	out->n_servers = n;
	for (size_t i = 0; i < n; i++) {
		size_t mark = sb_json_push_index(ctx, i);
		json_object *e = json_object_array_get_idx(arr, i);

		if (e == NULL)
			sb_json_error(ctx, "must be an address");
		else
			parse_server(ctx, e, &out->servers[i]);
		echo = echo || out->servers[i].kind == SB_SERVER_ECHO;
		sb_json_pop(ctx, mark);
	}
	if (echo && n > 1)
		sb_json_error(ctx, "\"builtin:echo\" must be the only server");
}

static void
get_uint(struct sb_json_ctx *ctx, json_object *o, const char *key, int64_t min, int64_t max,
    unsigned *out)
{
	int64_t v;

	if (sb_json_get_int(ctx, o, key, false, min, max, &v) == SB_JSON_OK)
		*out = (unsigned)v;
}

static void
get_bytes(struct sb_json_ctx *ctx, json_object *o, const char *key, char **out)
{
	if (sb_json_get_string(ctx, o, key, false, out) == SB_JSON_OK &&
	    strlen(*out) > SB_HEALTH_BYTES_MAX) {
		sb_json_error_at(ctx, key, "may hold at most %d bytes", SB_HEALTH_BYTES_MAX);
		free(*out);
		*out = NULL;
	}
}

static void
parse_health(struct sb_json_ctx *ctx, json_object *o, struct sb_health *h)
{
	h->interval_s = SB_HEALTH_DEFAULT_INTERVAL_S;
	h->timeout_ms = SB_HEALTH_DEFAULT_TIMEOUT_MS;
	h->rise = SB_HEALTH_DEFAULT_RISE;
	h->fall = SB_HEALTH_DEFAULT_FALL;
	sb_json_check_keys(ctx, o, health_keys, NULL);
	get_uint(ctx, o, "interval_s", 1, SB_HEALTH_INTERVAL_MAX_S, &h->interval_s);
	get_uint(ctx, o, "timeout_ms", 1, SB_HEALTH_TIMEOUT_MAX_MS, &h->timeout_ms);
	get_uint(ctx, o, "rise", 1, SB_HEALTH_COUNT_MAX, &h->rise);
	get_uint(ctx, o, "fall", 1, SB_HEALTH_COUNT_MAX, &h->fall);
	get_bytes(ctx, o, "send", &h->send);
	get_bytes(ctx, o, "expect", &h->expect);
	if (h->expect != NULL && h->expect[0] == '\0')
		sb_json_error_at(ctx, "expect", "must not be empty (omit it to check the connect only)");
}

static void
parse_tls(struct sb_json_ctx *ctx, json_object *o, struct sb_backend_tls *t)
{
	t->verify = true;
	sb_json_check_keys(ctx, o, tls_keys, NULL);
	sb_json_get_bool(ctx, o, "verify", false, &t->verify);
	sb_json_get_string(ctx, o, "ca", false, &t->ca);
	sb_json_get_string(ctx, o, "sni", false, &t->sni);
	sb_json_get_string(ctx, o, "cert", false, &t->cert);
	sb_json_get_string(ctx, o, "key", false, &t->key);
	if ((t->cert == NULL) != (t->key == NULL))
		sb_json_error(ctx, "a client certificate needs both cert and key");
	if (t->sni != NULL && !sb_hostname_is_valid(t->sni))
		sb_json_error_at(ctx, "sni", "invalid host name");
}

/* A member that must be an object: entered, checked, handed to fn. */
static void
parse_member_object(struct sb_json_ctx *ctx, json_object *obj, const char *key, size_t size,
    void **out, void (*fn)(struct sb_json_ctx *, json_object *, void *))
{
	json_object *o = NULL;

	if (sb_json_get_object(ctx, obj, key, false, &o) != SB_JSON_OK)
		return;
	size_t mark = sb_json_push_key(ctx, key);
	*out = sb_xcalloc(1, size);
	fn(ctx, o, *out);
	sb_json_pop(ctx, mark);
}

static void
health_slot(struct sb_json_ctx *ctx, json_object *o, void *h)
{
	parse_health(ctx, o, h);
}

static void
tls_slot(struct sb_json_ctx *ctx, json_object *o, void *t)
{
	parse_tls(ctx, o, t);
}

static void
parse_object(struct sb_json_ctx *ctx, json_object *o, struct sb_backend *out)
{
	json_object *arr = NULL;
	int choice;

	sb_json_check_keys(ctx, o, backend_keys, NULL);
	sb_json_get_string(ctx, o, "token_map", false, &out->token_map);
	if (out->token_map != NULL) {
		/* the token picks the one server: nothing to balance or check */
		static const char *const not_with_map[] = {
			"servers", "balance", "health", "resolve_s", NULL,
		};

		for (size_t i = 0; not_with_map[i] != NULL; i++) {
			if (sb_json_member(o, not_with_map[i]) != NULL)
				sb_json_error_at(ctx, not_with_map[i],
				    "cannot be used with \"token_map\" (the token names the server)");
		}
		if (out->token_map[0] == '\0')
			sb_json_error_at(ctx, "token_map", "must name a file or a folder");
		parse_member_object(ctx, o, "tls", sizeof *out->tls, (void **)&out->tls, tls_slot);
		return;
	}
	if (sb_json_get_array(ctx, o, "servers", true, &arr) == SB_JSON_OK) {
		size_t mark = sb_json_push_key(ctx, "servers");

		parse_servers(ctx, arr, out);
		sb_json_pop(ctx, mark);
	}
	if (sb_json_get_enum(ctx, o, "balance", false, balance_choice, &choice) == SB_JSON_OK)
		out->balance = (enum sb_balance)choice;
	parse_member_object(ctx, o, "health", sizeof *out->health, (void **)&out->health,
	    health_slot);
	parse_member_object(ctx, o, "tls", sizeof *out->tls, (void **)&out->tls, tls_slot);
	get_uint(ctx, o, "resolve_s", 1, SB_RESOLVE_MAX_S, &out->resolve_s);
	if (out->tls != NULL && sb_backend_is_echo(out))
		sb_json_error_at(ctx, "tls", "\"builtin:echo\" speaks no TLS");
}

void
sb_backend_parse(struct sb_json_ctx *ctx, json_object *route, struct sb_backend *out)
{
	json_object *v = sb_json_member(route, "backend");
	size_t mark;

	memset(out, 0, sizeof *out);
	out->resolve_s = SB_DEFAULT_RESOLVE_S;
	if (v == NULL) {
		sb_json_error_at(ctx, "backend", "is required");
		return;
	}
	mark = sb_json_push_key(ctx, "backend");
	if (json_object_is_type(v, json_type_string)) {
		out->form = SB_BACKEND_FORM_STRING;
		out->servers = sb_xcalloc(1, sizeof *out->servers);
		if (parse_address(ctx, v, &out->servers[0]))
			out->n_servers = 1;
	} else if (json_object_is_type(v, json_type_array)) {
		out->form = SB_BACKEND_FORM_LIST;
		parse_servers(ctx, v, out);
	} else if (json_object_is_type(v, json_type_object)) {
		out->form = SB_BACKEND_FORM_OBJECT;
		parse_object(ctx, v, out);
	} else {
		sb_json_error(ctx, "must be an address, a list of addresses or an object");
	}
	sb_json_pop(ctx, mark);
}

bool
sb_backend_is_echo(const struct sb_backend *b)
{
	return b->n_servers == 1 && b->servers[0].kind == SB_SERVER_ECHO;
}

static json_object *
server_to_json(const struct sb_server *s, bool as_object)
{
	json_object *o;

	if (!as_object && s->weight == SB_DEFAULT_WEIGHT && !s->backup)
		return json_object_new_string(s->address);
	o = json_object_new_object();
	json_object_object_add(o, "address", json_object_new_string(s->address));
	if (s->weight != SB_DEFAULT_WEIGHT)
		json_object_object_add(o, "weight", json_object_new_int((int)s->weight));
	if (s->backup)
		json_object_object_add(o, "backup", json_object_new_boolean(true));
	return o;
}

static json_object *
health_to_json(const struct sb_health *h)
{
	json_object *o = json_object_new_object();

	sb_json_add_int(o, "interval_s", h->interval_s, SB_HEALTH_DEFAULT_INTERVAL_S);
	sb_json_add_int(o, "timeout_ms", h->timeout_ms, SB_HEALTH_DEFAULT_TIMEOUT_MS);
	sb_json_add_int(o, "rise", h->rise, SB_HEALTH_DEFAULT_RISE);
	sb_json_add_int(o, "fall", h->fall, SB_HEALTH_DEFAULT_FALL);
	sb_json_add_string(o, "send", h->send);
	sb_json_add_string(o, "expect", h->expect);
	return o;
}

static json_object *
tls_to_json(const struct sb_backend_tls *t)
{
	json_object *o = json_object_new_object();

	if (!t->verify)
		json_object_object_add(o, "verify", json_object_new_boolean(false));
	sb_json_add_string(o, "ca", t->ca);
	sb_json_add_string(o, "sni", t->sni);
	sb_json_add_string(o, "cert", t->cert);
	sb_json_add_string(o, "key", t->key);
	return o;
}

json_object *
sb_backend_to_json(const struct sb_backend *b)
{
	json_object *o, *servers;

	if (b->form == SB_BACKEND_FORM_STRING && b->n_servers == 1)
		return json_object_new_string(b->servers[0].address);
	servers = json_object_new_array();
	for (size_t i = 0; i < b->n_servers; i++)
		json_object_array_add(servers, server_to_json(&b->servers[i],
		    b->form == SB_BACKEND_FORM_OBJECT));
	if (b->form == SB_BACKEND_FORM_LIST)
		return servers;
	o = json_object_new_object();
	if (b->token_map != NULL) {
		json_object_put(servers);
		sb_json_add_string(o, "token_map", b->token_map);
		if (b->tls != NULL)
			json_object_object_add(o, "tls", tls_to_json(b->tls));
		return o;
	}
	json_object_object_add(o, "servers", servers);
	if (b->balance != SB_BALANCE_ROUND_ROBIN)
		json_object_object_add(o, "balance",
		    json_object_new_string(sb_balance_name(b->balance)));
	if (b->health != NULL)
		json_object_object_add(o, "health", health_to_json(b->health));
	if (b->tls != NULL)
		json_object_object_add(o, "tls", tls_to_json(b->tls));
	sb_json_add_int(o, "resolve_s", b->resolve_s, SB_DEFAULT_RESOLVE_S);
	return o;
}

static bool
str_eq(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static bool
health_eq(const struct sb_health *a, const struct sb_health *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return a->interval_s == b->interval_s && a->timeout_ms == b->timeout_ms &&
	    a->rise == b->rise && a->fall == b->fall && str_eq(a->send, b->send) &&
	    str_eq(a->expect, b->expect);
}

static bool
tls_eq(const struct sb_backend_tls *a, const struct sb_backend_tls *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return a->verify == b->verify && str_eq(a->ca, b->ca) && str_eq(a->sni, b->sni) &&
	    str_eq(a->cert, b->cert) && str_eq(a->key, b->key);
}

bool
sb_backend_equal(const struct sb_backend *a, const struct sb_backend *b)
{
	if (a->n_servers != b->n_servers || a->balance != b->balance ||
	    a->resolve_s != b->resolve_s || !health_eq(a->health, b->health) ||
	    !tls_eq(a->tls, b->tls) || !str_eq(a->token_map, b->token_map))
		return false;
	for (size_t i = 0; i < a->n_servers; i++) {
		const struct sb_server *x = &a->servers[i], *y = &b->servers[i];

		if (!str_eq(x->address, y->address) || x->weight != y->weight ||
		    x->backup != y->backup)
			return false;
	}
	return true;
}

void
sb_backend_clear(struct sb_backend *b)
{
	for (size_t i = 0; i < b->n_servers; i++)
		sb_server_clear(&b->servers[i]);
	free(b->servers);
	if (b->health != NULL) {
		free(b->health->send);
		free(b->health->expect);
		free(b->health);
	}
	if (b->tls != NULL) {
		free(b->tls->ca);
		free(b->tls->sni);
		free(b->tls->cert);
		free(b->tls->key);
		free(b->tls);
	}
	free(b->token_map);
	memset(b, 0, sizeof *b);
}
