/* sb-policy-parse.c - policy JSON -> model; every problem is reported, not just the first */
#include "sb-policy.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sb-alloc.h"
#include "sb-path.h"
#include "sb-json.h"
#include "sb-policy-private.h"

static const char *const top_keys[] = {
	"version", "listeners", "routes", "control", "limits", "on_policy_change", "metrics",
	"access_log", "$schema", NULL,
};
static const char *const listener_keys[] = {
	"name", "bind", "tls", "proxy_protocol", "max_connections", NULL,
};
static const char *const proxy_in_keys[] = { "from", NULL };
static const char *const listener_tls_keys[] = {
	"cert", "key", "ocsp", "sni", "client_auth", "client_ca", "min_version", "priority", NULL,
};
static const char *const sni_keys[] = { "names", "cert", "key", "ocsp", NULL };
static const char *const route_keys[] = {
	"name", "listeners", "match", "mode", "backend", "tls", "allow", "origins",
	"max_connections", "idle_timeout_s", "proxy_protocol", "on_policy_change",
	"ping_interval_s", "max_message_bytes", "text_messages", "auth", "rate", NULL,
};
static const char *const match_keys[] = { "host", "path", "upgrade", "subprotocols", NULL };
static const char *const pair_keys[] = { "cert", "key", "ocsp", NULL };
static const char *const control_keys[] = { "socket", "mode", "group", "allow_uids", NULL };
static const char *const limits_keys[] = {
	"max_connections", "max_per_ip", "ipv6_prefix", "handshake_timeout_s",
	"connect_timeout_ms", "drain_timeout_s", NULL,
};

static const char *const mode_choice[] = { "websocket", "tunnel", "h2c", "tls", NULL };
static const char *const on_change_choice[] = { "keep", "close", NULL };
static const char *const proxy_choice[] = { "v1", "v2", NULL };
static const char *const min_version_choice[] = { "1.2", "1.3", NULL };

/* An optional integer member stored in an unsigned field of the model. */
struct int_field {
	const char *key;
	int64_t min;
	int64_t max;
	size_t offset;
	bool wide; /* uint64_t, not unsigned */
};

static const struct int_field route_ints[] = {
	{ "max_connections", 1, SB_CONNECTIONS_MAX, offsetof(struct sb_route, max_connections),
	  false },
	{ "idle_timeout_s", 1, SB_IDLE_TIMEOUT_MAX_S, offsetof(struct sb_route, idle_timeout_s),
	  false },
	{ "ping_interval_s", 1, SB_PING_INTERVAL_MAX_S,
	  offsetof(struct sb_route, ping_interval_s), false },
	{ "max_message_bytes", 1, SB_MESSAGE_BYTES_MAX,
	  offsetof(struct sb_route, max_message_bytes), true },
	{ NULL, 0, 0, 0, false },
};

static const struct int_field limits_ints[] = {
	{ "max_connections", 1, SB_CONNECTIONS_MAX, offsetof(struct sb_limits, max_connections),
	  false },
	{ "max_per_ip", 1, SB_CONNECTIONS_MAX, offsetof(struct sb_limits, max_per_ip), false },
	{ "ipv6_prefix", 1, 128, offsetof(struct sb_limits, ipv6_prefix), false },
	{ "handshake_timeout_s", 1, SB_HANDSHAKE_TIMEOUT_MAX_S,
	  offsetof(struct sb_limits, handshake_timeout_s), false },
	{ "connect_timeout_ms", 1, SB_CONNECT_TIMEOUT_MAX_MS,
	  offsetof(struct sb_limits, connect_timeout_ms), false },
	{ "drain_timeout_s", 0, SB_DRAIN_TIMEOUT_MAX_S,
	  offsetof(struct sb_limits, drain_timeout_s), false },
	{ NULL, 0, 0, 0, false },
};

static void
parse_ints(struct sb_json_ctx *ctx, json_object *obj, const struct int_field *fields, void *base)
{
	for (const struct int_field *f = fields; f->key != NULL; f++) {
		int64_t v;

		if (sb_json_get_int(ctx, obj, f->key, false, f->min, f->max, &v) != SB_JSON_OK)
			continue;
		if (f->wide)
			*(uint64_t *)(void *)((char *)base + f->offset) = (uint64_t)v;
		else
			*(unsigned *)(void *)((char *)base + f->offset) = (unsigned)v;
	}
}

/*
 * Enters obj's member key when it is an object: checks its keys and returns
 * it, with the path pushed (pop to *mark). NULL when absent or invalid.
 */
static json_object *
enter_object(struct sb_json_ctx *ctx, json_object *obj, const char *key, bool required,
    const char *const *keys, size_t *mark)
{
	json_object *v = NULL;

	if (sb_json_get_object(ctx, obj, key, required, &v) != SB_JSON_OK)
		return NULL;
	*mark = sb_json_push_key(ctx, key);
	sb_json_check_keys(ctx, v, keys, NULL);
	return v;
}

static void
parse_pair(struct sb_json_ctx *ctx, json_object *obj, struct sb_cert_pair *pair)
{
	sb_json_get_string(ctx, obj, "cert", true, &pair->cert);
	sb_json_get_string(ctx, obj, "key", true, &pair->key);
	sb_json_get_string(ctx, obj, "ocsp", false, &pair->ocsp);
}

static void
parse_sni(struct sb_json_ctx *ctx, json_object *arr, struct sb_listener_tls *tls)
{
	tls->n_sni = json_object_array_length(arr);
	tls->sni = sb_xcalloc(tls->n_sni, sizeof *tls->sni);
	for (size_t i = 0; i < tls->n_sni; i++) {
		size_t mark = sb_json_push_index(ctx, i);
		json_object *e = json_object_array_get_idx(arr, i);
		struct sb_sni *sni = &tls->sni[i];

		if (sb_json_as_object(ctx, e) == SB_JSON_OK) {
			sb_json_check_keys(ctx, e, sni_keys, NULL);
			sb_json_get_strings(ctx, e, "names", true, &sni->names, &sni->n_names);
			parse_pair(ctx, e, &sni->pair);
		} else if (e == NULL) {
			sb_json_error(ctx, "must be an object");
		}
		sb_json_pop(ctx, mark);
	}
}

static void
parse_listener_tls(struct sb_json_ctx *ctx, json_object *obj, struct sb_listener *l)
{
	size_t mark;
	json_object *o = enter_object(ctx, obj, "tls", false, listener_tls_keys, &mark);
	json_object *arr = NULL;
	int choice;

	if (o == NULL)
		return;
	l->tls = sb_xcalloc(1, sizeof *l->tls);
	parse_pair(ctx, o, &l->tls->pair);
	if (sb_json_get_array(ctx, o, "sni", false, &arr) == SB_JSON_OK) {
		size_t sni_mark = sb_json_push_key(ctx, "sni");

		parse_sni(ctx, arr, l->tls);
		sb_json_pop(ctx, sni_mark);
	}
	if (sb_json_get_enum(ctx, o, "client_auth", false, sb_client_auth_names, &choice) ==
	    SB_JSON_OK)
		l->tls->client_auth = (enum sb_client_auth)choice;
	sb_json_get_string(ctx, o, "client_ca", false, &l->tls->client_ca);
	if (sb_json_get_enum(ctx, o, "min_version", false, min_version_choice, &choice) ==
	    SB_JSON_OK && choice > 0)
		l->tls->min_version = sb_xstrdup(min_version_choice[choice]);
	sb_json_get_string(ctx, o, "priority", false, &l->tls->priority);
	sb_json_pop(ctx, mark);
}

/*
 * The array member key of obj as CIDRs into a new *out; each element that is
 * not one is reported at its index (and left out of *n).
 */
static enum sb_json_result
get_cidrs(struct sb_json_ctx *ctx, json_object *obj, const char *key, bool required,
    struct sb_cidr **out, size_t *n)
{
	json_object *arr = NULL;
	enum sb_json_result res = sb_json_get_array(ctx, obj, key, required, &arr);

	if (res != SB_JSON_OK)
		return res;
	size_t mark = sb_json_push_key(ctx, key);
	size_t len = json_object_array_length(arr);

	*out = sb_xcalloc(len, sizeof **out);
	*n = 0;
	for (size_t i = 0; i < len; i++) {
		size_t elem = sb_json_push_index(ctx, i);
		json_object *e = json_object_array_get_idx(arr, i);
		char *text = NULL;
		const char *why;

		if (e == NULL)
			sb_json_error(ctx, "must be a string");
		if (sb_json_as_string(ctx, e, &text) == SB_JSON_OK) {
			if (sb_cidr_parse(text, &(*out)[*n], &why) == 0)
				(*n)++;
			else
				sb_json_error(ctx, "%s", why);
		}
		free(text);
		sb_json_pop(ctx, elem);
	}
	sb_json_pop(ctx, mark);
	return SB_JSON_OK;
}

/* Listener "proxy_protocol": true (any sender), false, or {"from": [CIDR, ...]}. */
static void
parse_proxy_in(struct sb_json_ctx *ctx, json_object *obj, struct sb_listener *l)
{
	json_object *v = sb_json_member(obj, "proxy_protocol");
	json_object *from;
	size_t mark;

	if (v == NULL)
		return;
	if (json_object_is_type(v, json_type_boolean)) {
		l->proxy_protocol = json_object_get_boolean(v);
		return;
	}
	if (!json_object_is_type(v, json_type_object)) {
		sb_json_error_at(ctx, "proxy_protocol",
		    "must be a boolean or an object like {\"from\": [\"10.0.0.0/8\"]}");
		return;
	}
	mark = sb_json_push_key(ctx, "proxy_protocol");
	sb_json_check_keys(ctx, v, proxy_in_keys, NULL);
	l->proxy_protocol = true;
	from = sb_json_member(v, "from");
	if (from != NULL && json_object_is_type(from, json_type_array) &&
	    json_object_array_length(from) == 0)
		sb_json_error_at(ctx, "from", "must not be empty (true takes any sender)");
	else if (get_cidrs(ctx, v, "from", true, &l->proxy_from, &l->n_proxy_from) ==
	    SB_JSON_OK)
		l->has_proxy_from = true;
	sb_json_pop(ctx, mark);
}

static void
parse_listener(struct sb_json_ctx *ctx, json_object *obj, struct sb_listener *l)
{
	const char *why;
	int64_t v;

	sb_json_check_keys(ctx, obj, listener_keys, NULL);
	sb_json_get_string(ctx, obj, "name", true, &l->name);
	if (sb_json_get_string(ctx, obj, "bind", true, &l->bind) == SB_JSON_OK)
		sb_hostport_parse(l->bind, &l->bind_hp, &why);
	parse_listener_tls(ctx, obj, l);
	parse_proxy_in(ctx, obj, l);
	if (sb_json_get_int(ctx, obj, "max_connections", false, 1, SB_CONNECTIONS_MAX, &v) ==
	    SB_JSON_OK)
		l->max_connections = (unsigned)v;
}

static void
parse_match(struct sb_json_ctx *ctx, json_object *obj, struct sb_match *m)
{
	size_t mark;
	json_object *o = enter_object(ctx, obj, "match", false, match_keys, &mark);

	if (o == NULL)
		return;
	sb_json_get_string(ctx, o, "host", false, &m->host);
	sb_json_get_string(ctx, o, "path", false, &m->path);
	sb_json_get_string(ctx, o, "upgrade", false, &m->upgrade);
	sb_json_get_strings(ctx, o, "subprotocols", false, &m->subprotocols, &m->n_subprotocols);
	sb_json_pop(ctx, mark);
}

static void
parse_route(struct sb_json_ctx *ctx, json_object *obj, struct sb_route *r)
{
	size_t mark;
	json_object *o;
	int choice;
	bool has_mode = false;

	r->idle_timeout_s = SB_DEFAULT_IDLE_TIMEOUT_S;
	sb_json_check_keys(ctx, obj, route_keys, NULL);
	sb_json_get_string(ctx, obj, "name", true, &r->name);
	o = sb_json_member(obj, "listeners");
	if (o != NULL && json_object_is_type(o, json_type_array) &&
	    json_object_array_length(o) == 0)
		sb_json_error_at(ctx, "listeners",
		    "must not be empty (omit it for every listener)");
	else
		sb_json_get_strings(ctx, obj, "listeners", false, &r->listeners, &r->n_listeners);
	parse_match(ctx, obj, &r->match);
	if (sb_json_get_enum(ctx, obj, "mode", false, mode_choice, &choice) == SB_JSON_OK) {
		sb_mode_from_name(mode_choice[choice], &r->mode);
		has_mode = true;
	}
	if (has_mode && r->match.upgrade == NULL &&
	    (r->mode == SB_MODE_WEBSOCKET || r->mode == SB_MODE_H2C))
		r->match.upgrade = sb_xstrdup(sb_mode_name(r->mode));
	else if (!has_mode)
		r->mode = sb_mode_for_upgrade(r->match.upgrade);
	sb_backend_parse(ctx, obj, &r->backend);
	o = enter_object(ctx, obj, "tls", false, pair_keys, &mark);
	if (o != NULL) {
		r->tls = sb_xcalloc(1, sizeof *r->tls);
		parse_pair(ctx, o, r->tls);
		sb_json_pop(ctx, mark);
	}
	if (get_cidrs(ctx, obj, "allow", false, &r->allow, &r->n_allow) == SB_JSON_OK)
		r->has_allow = true;
	if (sb_json_get_strings(ctx, obj, "origins", false, &r->origins, &r->n_origins) ==
	    SB_JSON_OK)
		r->has_origins = true;
	parse_ints(ctx, obj, route_ints, r);
	sb_json_get_bool(ctx, obj, "text_messages", false, &r->text_messages);
	if (sb_json_get_enum(ctx, obj, "proxy_protocol", false, proxy_choice, &choice) ==
	    SB_JSON_OK)
		r->proxy_protocol = (enum sb_proxy_version)(choice + 1);
	if (sb_json_get_enum(ctx, obj, "on_policy_change", false, on_change_choice, &choice) ==
	    SB_JSON_OK)
		r->on_policy_change = (enum sb_on_change)(choice + 1);
	sb_auth_parse(ctx, obj, &r->auth);
	sb_rate_parse(ctx, obj, &r->rate);
}

/* "0660", "755": three or four octal digits. */
static int
parse_octal_mode(const char *text, unsigned *out)
{
	size_t len = strlen(text);
	unsigned v = 0;

	if (len < 3 || len > 4)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (text[i] < '0' || text[i] > '7')
			return -1;
		v = v * 8 + (unsigned)(text[i] - '0');
	}
	*out = v;
	return 0;
}

static void
parse_control(struct sb_json_ctx *ctx, json_object *doc, struct sb_control *c)
{
	size_t mark;
	json_object *o = enter_object(ctx, doc, "control", false, control_keys, &mark);
	json_object *arr = NULL;
	json_object *mode;

	if (o == NULL)
		return;
	sb_json_get_string(ctx, o, "socket", false, &c->socket);
	mode = sb_json_member(o, "mode");
	if (mode != NULL && (!json_object_is_type(mode, json_type_string) ||
	    parse_octal_mode(json_object_get_string(mode), &c->mode) < 0))
		sb_json_error_at(ctx, "mode", "must be an octal string like \"0660\"");
	sb_json_get_string(ctx, o, "group", false, &c->group);
	if (sb_json_get_array(ctx, o, "allow_uids", false, &arr) == SB_JSON_OK) {
		size_t uids_mark = sb_json_push_key(ctx, "allow_uids");
		size_t n = json_object_array_length(arr);

		c->has_allow_uids = true;
		c->allow_uids = sb_xcalloc(n, sizeof *c->allow_uids);
		for (size_t i = 0; i < n; i++) {
			size_t elem = sb_json_push_index(ctx, i);
			json_object *e = json_object_array_get_idx(arr, i);
			int64_t uid;

			if (e == NULL)
				sb_json_error(ctx, "must be an integer");
			if (sb_json_as_int(ctx, e, 0, SB_UID_MAX, &uid) == SB_JSON_OK)
				c->allow_uids[c->n_allow_uids++] = (unsigned)uid;
			sb_json_pop(ctx, elem);
		}
		sb_json_pop(ctx, uids_mark);
	}
	sb_json_pop(ctx, mark);
}

/* Parses each element of the array member key with fn into a zeroed slot. */
static void *
parse_array(struct sb_json_ctx *ctx, json_object *doc, const char *key, bool required,
    size_t size, size_t *n, void (*fn)(struct sb_json_ctx *, json_object *, void *))
{
	json_object *arr = NULL;

	*n = 0;
	if (sb_json_get_array(ctx, doc, key, required, &arr) != SB_JSON_OK)
		return NULL;
	size_t mark = sb_json_push_key(ctx, key);
	size_t len = json_object_array_length(arr);
	char *items = sb_xcalloc(len, size);

	for (size_t i = 0; i < len; i++) {
		size_t elem = sb_json_push_index(ctx, i);
		json_object *e = json_object_array_get_idx(arr, i);

		if (e == NULL)
			sb_json_error(ctx, "must be an object");
		if (sb_json_as_object(ctx, e) == SB_JSON_OK)
			fn(ctx, e, items + i * size);
		sb_json_pop(ctx, elem);
	}
	sb_json_pop(ctx, mark);
	*n = len;
	return items;
}

static void
parse_listener_slot(struct sb_json_ctx *ctx, json_object *obj, void *slot)
{
	parse_listener(ctx, obj, slot);
}

static void
parse_route_slot(struct sb_json_ctx *ctx, json_object *obj, void *slot)
{
	parse_route(ctx, obj, slot);
}

struct sb_policy *
sb_policy_parse(json_object *doc, const char *base_dir, struct sb_errors *errs)
{
	struct sb_policy *p = sb_policy_new();
	struct sb_json_ctx ctx;
	json_object *version;
	size_t mark;
	int choice;

	sb_json_ctx_init(&ctx, errs);
	p->base_dir = sb_xstrdup(base_dir);
	if (doc == NULL || !json_object_is_type(doc, json_type_object)) {
		sb_json_error(&ctx, "the document must be a JSON object");
		goto out;
	}
	sb_json_check_keys(&ctx, doc, top_keys, NULL);
	version = sb_json_member(doc, "version");
	if (version == NULL)
		sb_json_error_at(&ctx, "version", "is required");
	else if (!json_object_is_type(version, json_type_int) ||
	    json_object_get_int64(version) != 1)
		sb_json_error_at(&ctx, "version", "must be 1");
	p->listeners = parse_array(&ctx, doc, "listeners", true, sizeof *p->listeners,
	    &p->n_listeners, parse_listener_slot);
	if (p->listeners != NULL && p->n_listeners == 0)
		sb_json_error_at(&ctx, "listeners", "must have at least one listener");
	p->routes = parse_array(&ctx, doc, "routes", false, sizeof *p->routes, &p->n_routes,
	    parse_route_slot);
	parse_control(&ctx, doc, &p->control);
	json_object *limits = enter_object(&ctx, doc, "limits", false, limits_keys, &mark);
	if (limits != NULL) {
		parse_ints(&ctx, limits, limits_ints, &p->limits);
		sb_json_pop(&ctx, mark);
	}
	if (sb_json_get_enum(&ctx, doc, "on_policy_change", false, on_change_choice, &choice) ==
	    SB_JSON_OK)
		p->on_policy_change = (enum sb_on_change)(choice + 1);
	sb_json_get_string(&ctx, doc, "metrics", false, &p->metrics);
	sb_json_get_string(&ctx, doc, "access_log", false, &p->access_log);
	sb_json_get_string(&ctx, doc, "$schema", false, &p->schema);

out:
	sb_json_ctx_clear(&ctx);
	return p;
}

/*
 * Adds the checks' findings, except those inside a value the parser has
 * already refused (its "must be an object" explains them), then puts all
 * of them in document order.
 */
static void
merge_errors(json_object *doc, struct sb_errors *errs, size_t before, struct sb_errors *found)
{
	size_t parsed = errs->count;

	for (size_t i = 0; i < found->count; i++) {
		const struct sb_error *e = &found->items[i];
		bool explained = false;

		for (size_t j = before; j < parsed && !explained; j++)
			explained = sb_json_path_within(e->path, errs->items[j].path);
		if (!explained)
			sb_errors_add(errs, e->path, "%s", e->message);
	}
	sb_json_sort_errors(doc, errs, before);
}

struct sb_policy *
sb_policy_from_json(json_object *doc, const char *base_dir, struct sb_errors *errs)
{
	size_t before = errs->count;
	struct sb_policy *p = sb_policy_parse(doc, base_dir, errs);

	/* the checks run on a partial model too, so that one pass reports everything */
	if (doc != NULL && json_object_is_type(doc, json_type_object)) {
		struct sb_errors found = SB_ERRORS_INIT;

		sb_policy_check(p, &found);
		merge_errors(doc, errs, before, &found);
		sb_errors_clear(&found);
	}
	if (errs->count > before) {
		sb_policy_free(p);
		return NULL;
	}
	return p;
}

struct sb_policy *
sb_policy_from_string(const char *text, size_t len, const char *base_dir,
    struct sb_errors *errs)
{
	size_t before = errs->count;
	json_object *doc = sb_json_parse(text, len, errs);
	struct sb_policy *p;

	if (errs->count > before)
		return NULL;
	p = sb_policy_from_json(doc, base_dir, errs);
	json_object_put(doc);
	return p;
}

/* The folder of file, absolute when it exists. free() it. */
static char *
folder_of(const char *file)
{
	char *dir = sb_path_dir(file);
	char *abs = realpath(dir, NULL);

	if (abs == NULL)
		return dir;
	free(dir);
	return abs;
}

/* Reads all of file; NULL with errno set on failure. */
static char *
read_file(const char *file, size_t *len)
{
	char *text = NULL;
	size_t cap = 0;
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	struct stat st;
	int saved;

	*len = 0;
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0)
		goto err;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		goto err;
	}
	for (;;) {
		if (*len == cap) {
			if (cap >= SB_POLICY_FILE_MAX) {
				errno = EFBIG;
				goto err;
			}
			cap = cap ? cap * 2 : 16384;
			text = sb_xrealloc(text, cap + 1);
		}
		ssize_t n = read(fd, text + *len, cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto err;
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	close(fd);
	text[*len] = '\0';
	return text;

err:
	saved = errno;
	free(text);
	close(fd);
	errno = saved;
	return NULL;
}

struct sb_policy *
sb_policy_load(const char *file, struct sb_errors *errs)
{
	size_t len;
	char *text = read_file(file, &len);
	char *dir = NULL;
	struct sb_policy *p = NULL;

	if (text == NULL) {
		sb_errors_add(errs, "", "cannot read: %s",
		    errno == EFBIG ? "larger than 16 MiB" : strerror(errno));
		return NULL;
	}
	dir = folder_of(file);
	p = sb_policy_from_string(text, len, dir, errs);
	free(dir);
	free(text);
	return p;
}
