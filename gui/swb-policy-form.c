/*
 * swb-policy-form.c - the policy editor's fields as a table: each field's JSON
 * key, its kind, and how its text maps to JSON and back; and where a validator
 * error's JSON path points in the form
 */
#include "swb-policy-form.h"

#include <string.h>

static const char *const mode_choices[] = { "websocket", "tunnel", "h2c", "tls", NULL };
static const char *const on_change_choices[] = { "keep", "close", NULL };
static const char *const proxy_choices[] = { "v1", "v2", NULL };
static const char *const client_auth_choices[] = { "none", "request", "require", NULL };
static const char *const min_version_choices[] = { "1.2", "1.3", NULL };

static const SwbField general_fields[] = {
	{ "on_policy_change", "On policy change", "what a new policy does to live tunnels it "
	  "no longer allows (routes may override)", SWB_FIELD_CHOICE, on_change_choices,
	  "General" },
	{ "metrics", "Metrics endpoint", "host:port serving GET /metrics", SWB_FIELD_TEXT, NULL,
	  "General" },
	{ "control.socket", "Control socket", "path of the UNIX socket", SWB_FIELD_TEXT, NULL,
	  "Control socket" },
	{ "control.mode", "Socket mode", "octal, like 0660", SWB_FIELD_TEXT, NULL,
	  "Control socket" },
	{ "control.group", "Socket group", "group owning the socket", SWB_FIELD_TEXT, NULL,
	  "Control socket" },
	{ "control.allow_uids", "Allowed user ids", "comma-separated uids; [] only root and "
	  "the daemon's own user", SWB_FIELD_INT_LIST, NULL, "Control socket" },
	{ "limits.max_connections", "Max connections", "all client connections",
	  SWB_FIELD_INT, NULL, "Limits" },
	{ "limits.max_per_ip", "Max per address", "connections from one client address "
	  "(default 256)", SWB_FIELD_INT, NULL, "Limits" },
	{ "limits.ipv6_prefix", "IPv6 prefix per client", "IPv6 clients count by this many "
	  "bits (default 64)", SWB_FIELD_INT, NULL, "Limits" },
	{ "limits.handshake_timeout_s", "Handshake timeout (s)", "accept to 101",
	  SWB_FIELD_INT, NULL, "Limits" },
	{ "limits.connect_timeout_ms", "Backend connect timeout (ms)", NULL, SWB_FIELD_INT,
	  NULL, "Limits" },
	{ "limits.drain_timeout_s", "Drain timeout (s)", "how long tunnels may finish on SIGTERM",
	  SWB_FIELD_INT, NULL, "Limits" },
};

static const SwbField listener_fields[] = {
	{ "name", "Name", NULL, SWB_FIELD_TEXT, NULL, "Listener" },
	{ "bind", "Bind", "address:port, like 0.0.0.0:8443 or [::1]:8080", SWB_FIELD_TEXT, NULL,
	  "Listener" },
	{ "proxy_protocol", "Expect PROXY header", "every connection starts with a PROXY "
	  "v1/v2 header. true: from any sender; {\"from\": [\"10.0.0.0/8\"]}: only from "
	  "those", SWB_FIELD_JSON, NULL, "Listener" },
	{ "max_connections", "Max connections", NULL, SWB_FIELD_INT, NULL, "Listener" },
	{ "tls.cert", "Certificate", "PEM file; relative to the policy file", SWB_FIELD_TEXT,
	  NULL, "TLS" },
	{ "tls.key", "Private key", "PEM file", SWB_FIELD_TEXT, NULL, "TLS" },
	{ "tls.ocsp", "OCSP response", "DER file to staple; read again on reload", SWB_FIELD_TEXT,
	  NULL, "TLS" },
	{ "tls.sni", "SNI certificates", "JSON: [{\"names\": [\"a.example\"], \"cert\": …, "
	  "\"key\": …}]", SWB_FIELD_JSON, NULL, "TLS" },
	{ "tls.client_auth", "Client certificates", NULL, SWB_FIELD_CHOICE, client_auth_choices,
	  "TLS" },
	{ "tls.client_ca", "Client CA", "PEM file", SWB_FIELD_TEXT, NULL, "TLS" },
	{ "tls.min_version", "Minimum version", NULL, SWB_FIELD_CHOICE, min_version_choices,
	  "TLS" },
	{ "tls.priority", "GnuTLS priority", NULL, SWB_FIELD_TEXT, NULL, "TLS" },
};

static const SwbField route_fields[] = {
	{ "name", "Name", NULL, SWB_FIELD_TEXT, NULL, "Match" },
	{ "listeners", "Listeners", "comma-separated names; empty: every listener",
	  SWB_FIELD_LIST, NULL, "Match" },
	{ "match.host", "Host", "exact, or *.example.org", SWB_FIELD_TEXT, NULL, "Match" },
	{ "match.path", "Path prefix", "like /websockify", SWB_FIELD_TEXT, NULL, "Match" },
	{ "match.upgrade", "Upgrade token", "websocket, h2c, TLS/1.0, a custom token, or *",
	  SWB_FIELD_TEXT, NULL, "Match" },
	{ "match.subprotocols", "Subprotocols", "comma-separated", SWB_FIELD_LIST, NULL,
	  "Match" },
	{ "mode", "Mode", "default: from the upgrade token", SWB_FIELD_CHOICE, mode_choices,
	  "Backend" },
	{ "backend", "Backend", "host:port, unix:/path or builtin:echo; a list [\"a:1\", \"b:2\"]; "
	  "or a pool {\"servers\": […], \"balance\": \"least_connections\"}", SWB_FIELD_JSON, NULL,
	  "Backend" },
	{ "proxy_protocol", "Send PROXY header", NULL, SWB_FIELD_CHOICE, proxy_choices,
	  "Backend" },
	{ "tls.cert", "TLS certificate", "tls mode only", SWB_FIELD_TEXT, NULL, "Backend" },
	{ "tls.key", "TLS private key", "tls mode only", SWB_FIELD_TEXT, NULL, "Backend" },
	{ "tls.ocsp", "TLS OCSP response", "tls mode only; DER file to staple", SWB_FIELD_TEXT,
	  NULL, "Backend" },
	{ "allow", "Allowed addresses", "comma-separated CIDRs; empty: every address; [] none",
	  SWB_FIELD_LIST, NULL, "Access" },
	{ "origins", "Allowed origins", "comma-separated; empty: no Origin check; [] none",
	  SWB_FIELD_LIST, NULL, "Access" },
	{ "max_connections", "Max connections", "concurrent tunnels (503 past it)",
	  SWB_FIELD_INT, NULL, "Access" },
	{ "idle_timeout_s", "Idle timeout (s)", "default 3600", SWB_FIELD_INT, NULL, "Tunnels" },
	{ "ping_interval_s", "WebSocket ping interval (s)", NULL, SWB_FIELD_INT, NULL,
	  "Tunnels" },
	{ "max_message_bytes", "Max WebSocket message (bytes)", NULL, SWB_FIELD_INT, NULL,
	  "Tunnels" },
	{ "text_messages", "WebSocket text frames", "send backend bytes to the client as text "
	  "messages", SWB_FIELD_BOOL, NULL, "Tunnels" },
	{ "on_policy_change", "On policy change", "default: the policy's", SWB_FIELD_CHOICE,
	  on_change_choices, "Tunnels" },
	/* identity: every method names a file, never a credential, so none is ever shown here */
	{ "auth.from", "Credentials from", "comma-separated: header (Authorization: Bearer or "
	  "Basic), cookie:NAME, subprotocol (bearer.TOKEN), query:NAME; empty: header",
	  SWB_FIELD_LIST, NULL, "Identity" },
	{ "auth.tokens", "Tokens file", "a file of NAME SHA256-HEX lines (switchboardctl token "
	  "NAME makes one); relative to the policy file", SWB_FIELD_TEXT, NULL, "Identity" },
	{ "auth.basic", "Passwords file", "an htpasswd file with bcrypt or SHA-crypt entries",
	  SWB_FIELD_TEXT, NULL, "Identity" },
	{ "auth.realm", "Realm", "named in WWW-Authenticate; default switchboard", SWB_FIELD_TEXT,
	  NULL, "Identity" },
	{ "auth.jwt.keys", "Keys file", "a JWKS (JSON) or PEM file; a token signed by one "
	  "of them is accepted", SWB_FIELD_TEXT, NULL, "Identity" },
	{ "auth.jwt.issuer", "Issuer", "iss must be this; empty: not checked", SWB_FIELD_TEXT,
	  NULL, "Identity" },
	{ "auth.jwt.audience", "Audience", "aud must hold this; empty: not checked",
	  SWB_FIELD_TEXT, NULL, "Identity" },
	{ "auth.jwt.identity_claim", "Identity claim", "the claim naming the identity; default "
	  "sub", SWB_FIELD_TEXT, NULL, "Identity" },
	{ "auth.jwt.leeway_s", "Clock leeway (s)", "for exp and nbf; default 30", SWB_FIELD_INT,
	  NULL, "Identity" },
	{ "auth.client_cert.subjects", "Subjects", "distinguished names separated by ;, like "
	  "CN=alice,O=Example; CN=bob,O=Example", SWB_FIELD_NAME_LIST, NULL, "Identity" },
	{ "auth.client_cert.sans", "Alternative names", "comma-separated DNS names, e-mail "
	  "addresses or URIs", SWB_FIELD_LIST, NULL, "Identity" },
	{ "auth.request.url", "Service URL", "http:// or https://; asked with the request's "
	  "credentials when no other method admits it", SWB_FIELD_TEXT, NULL, "Identity" },
	{ "auth.request.timeout_ms", "Timeout (ms)", "past it: 503; default 1000", SWB_FIELD_INT,
	  NULL, "Identity" },
	{ "auth.request.cache_s", "Cache (s)", "an answer is reused this long; 0: ask every "
	  "time", SWB_FIELD_INT, NULL, "Identity" },
	{ "auth.request.identity_header", "Identity header", "the answer's header naming the "
	  "identity, like X-User", SWB_FIELD_TEXT, NULL, "Identity" },
	{ "rate.per_address.per_s", "Upgrades per second", "new upgrades from one client "
	  "address (429 past the burst)", SWB_FIELD_INT, NULL, "Rate limits" },
	{ "rate.per_address.burst", "Burst", "default: the per-second rate", SWB_FIELD_INT, NULL,
	  "Rate limits" },
	{ "rate.per_identity.per_s", "Upgrades per second", "new upgrades by one identity "
	  "(needs Identity)", SWB_FIELD_INT, NULL, "Rate limits" },
	{ "rate.per_identity.burst", "Burst", "default: the per-second rate", SWB_FIELD_INT, NULL,
	  "Rate limits" },
};

/* Sub-objects whose fields fold into one row of their group, by key prefix. */
static const struct {
	const char *prefix;
	const char *title;
} folds[] = {
	{ "auth.jwt.", "JSON Web Tokens" },
	{ "auth.client_cert.", "Client certificates" },
	{ "auth.request.", "Auth service" },
	{ "rate.per_address.", "Per client address" },
	{ "rate.per_identity.", "Per identity" },
};

static const struct {
	const char *array; /* the document member holding the items; NULL: the document */
	const SwbField *fields;
	guint n_fields;
} sections[] = {
	[SWB_SECTION_GENERAL] = { NULL, general_fields, G_N_ELEMENTS(general_fields) },
	[SWB_SECTION_LISTENER] = { "listeners", listener_fields, G_N_ELEMENTS(listener_fields) },
	[SWB_SECTION_ROUTE] = { "routes", route_fields, G_N_ELEMENTS(route_fields) },
};

const SwbField *
swb_policy_fields(SwbSection section, guint *n_fields)
{
	g_return_val_if_fail(section <= SWB_SECTION_ROUTE, NULL);
	*n_fields = sections[section].n_fields;
	return sections[section].fields;
}

const SwbField *
swb_policy_field_find(SwbSection section, const char *key)
{
	guint n;
	const SwbField *fields = swb_policy_fields(section, &n);

	for (guint i = 0; i < n; i++)
		if (g_str_equal(fields[i].key, key))
			return &fields[i];
	return NULL;
}

const char *
swb_policy_field_fold(const SwbField *field)
{
	for (size_t i = 0; i < G_N_ELEMENTS(folds); i++)
		if (g_str_has_prefix(field->key, folds[i].prefix))
			return folds[i].title;
	return NULL;
}

/*
 * The object holding the field's last key, and that key. With create, the
 * intermediate objects are made; otherwise NULL when one is missing.
 */
static json_object *
walk(const SwbField *field, json_object *obj, gboolean create, const char **last)
{
	g_auto(GStrv) parts = g_strsplit(field->key, ".", -1);
	guint n = g_strv_length(parts);

	*last = strrchr(field->key, '.') != NULL ? strrchr(field->key, '.') + 1 : field->key;
	for (guint i = 0; i + 1 < n && obj != NULL; i++) {
		json_object *next = NULL;

		if (!json_object_object_get_ex(obj, parts[i], &next) ||
		    !json_object_is_type(next, json_type_object)) {
			if (!create)
				return NULL;
			next = json_object_new_object();
			json_object_object_add(obj, parts[i], next);
		}
		obj = next;
	}
	return obj;
}

/* Removes objects on the field's way that the removal left empty, deepest first. */
static void
prune(const SwbField *field, json_object *obj)
{
	g_auto(GStrv) parts = g_strsplit(field->key, ".", -1);
	guint n = g_strv_length(parts);

	for (guint depth = n - 1; depth > 0; depth--) {
		json_object *parent = obj;
		json_object *child = NULL;

		for (guint i = 0; i + 1 < depth && parent != NULL; i++)
			if (!json_object_object_get_ex(parent, parts[i], &parent))
				parent = NULL;
		if (parent == NULL || !json_object_object_get_ex(parent, parts[depth - 1], &child))
			continue;
		if (json_object_is_type(child, json_type_object) &&
		    json_object_object_length(child) == 0)
			json_object_object_del(parent, parts[depth - 1]);
	}
}

/* What separates a list's items in its text: ", " or, for names that hold commas, "; ". */
static char
list_separator(SwbFieldKind kind)
{
	return kind == SWB_FIELD_NAME_LIST ? ';' : ',';
}

/* True when "a, b" text would not give back this element. */
static gboolean
needs_json(json_object *e, SwbFieldKind kind)
{
	const char stops[] = { list_separator(kind), '\n', '\0' };
	const char *text;

	if (kind == SWB_FIELD_INT_LIST)
		return !json_object_is_type(e, json_type_int);
	if (!json_object_is_type(e, json_type_string))
		return TRUE;
	text = json_object_get_string(e);
	return text[0] == '\0' || text[0] == '[' || strpbrk(text, stops) != NULL ||
	    g_ascii_isspace(text[0]) || g_ascii_isspace(text[strlen(text) - 1]);
}

static char *
join_array(json_object *arr, SwbFieldKind kind)
{
	g_autoptr(GString) text = g_string_new(NULL);
	size_t n = json_object_array_length(arr);

	/* an empty list is a value of its own ("allow": [] admits nobody), not "no value" */
	for (size_t i = 0; i < n; i++)
		if (needs_json(json_object_array_get_idx(arr, i), kind))
			n = 0;
	if (n == 0)
		return g_strdup(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN |
		    JSON_C_TO_STRING_NOSLASHESCAPE));
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);

		if (i > 0)
			g_string_append_printf(text, "%c ", list_separator(kind));
		g_string_append(text, json_object_get_string(e));
	}
	return g_string_free(g_steal_pointer(&text), FALSE);
}

char *
swb_field_get_text(const SwbField *field, json_object *obj)
{
	const char *key;
	json_object *holder = walk(field, obj, FALSE, &key);
	json_object *v = NULL;

	if (holder == NULL || !json_object_object_get_ex(holder, key, &v) || v == NULL)
		return g_strdup("");
	switch (field->kind) {
	case SWB_FIELD_BOOL:
		if (json_object_is_type(v, json_type_boolean))
			return g_strdup(json_object_get_boolean(v) ? "true" : "");
		break;
	case SWB_FIELD_LIST:
	case SWB_FIELD_INT_LIST:
	case SWB_FIELD_NAME_LIST:
		if (json_object_is_type(v, json_type_array))
			return join_array(v, field->kind);
		break;
	case SWB_FIELD_TEXT:
	case SWB_FIELD_INT:
	case SWB_FIELD_CHOICE:
	case SWB_FIELD_JSON:
		break;
	}
	/* strings as they are (for an INT, what the user typed); anything else as JSON */
	if (json_object_is_type(v, json_type_string))
		return g_strdup(json_object_get_string(v));
	if (field->kind == SWB_FIELD_JSON)
		return g_strdup(json_object_to_json_string_ext(v, JSON_C_TO_STRING_SPACED |
		    JSON_C_TO_STRING_NOSLASHESCAPE));
	return g_strdup(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
}

/* text as one whole JSON value, or NULL (json_tokener_parse would stop early: "10.0.0.5:80"). */
static json_object *
json_parse_whole(const char *text)
{
	struct json_tokener *tok = json_tokener_new();
	size_t len = strlen(text);
	json_object *v = json_tokener_parse_ex(tok, text, -1); /* -1: the NUL ends it */

	if (v != NULL && (json_tokener_get_error(tok) != json_tokener_success ||
	    (size_t)json_tokener_get_parse_end(tok) != len)) {
		json_object_put(v);
		v = NULL;
	}
	json_tokener_free(tok);
	return v;
}

/* Text that is a decimal integer becomes one; other text stays a string. */
static json_object *
int_or_string(const char *text)
{
	gint64 n;

	if (g_ascii_string_to_signed(text, 10, G_MININT64, G_MAXINT64, &n, NULL))
		return json_object_new_int64(n);
	return json_object_new_string(text);
}

/* "a, b" or JSON ("[]", "[\"a,b\"]"); JSON that does not parse stays text for the validator. */
static json_object *
split_list(const char *text, SwbFieldKind kind)
{
	const char stops[] = { list_separator(kind), '\n', '\0' };
	g_auto(GStrv) parts = NULL;
	json_object *arr;

	if (text[0] == '[') {
		arr = json_tokener_parse(text);
		return arr != NULL ? arr : json_object_new_string(text);
	}
	parts = g_strsplit_set(text, stops, -1);
	arr = json_object_new_array();

	for (guint i = 0; parts[i] != NULL; i++) {
		char *item = g_strstrip(parts[i]);

		if (item[0] == '\0')
			continue;
		json_object_array_add(arr, kind == SWB_FIELD_INT_LIST ? int_or_string(item) :
		    json_object_new_string(item));
	}
	return arr;
}

static json_object *
value_from_text(const SwbField *field, const char *text)
{
	json_object *v;

	switch (field->kind) {
	case SWB_FIELD_TEXT:
	case SWB_FIELD_CHOICE:
		return json_object_new_string(text);
	case SWB_FIELD_INT:
		return int_or_string(text);
	case SWB_FIELD_BOOL:
		return g_str_equal(text, "true") ? json_object_new_boolean(TRUE) : NULL;
	case SWB_FIELD_LIST:
	case SWB_FIELD_INT_LIST:
	case SWB_FIELD_NAME_LIST:
		return split_list(text, field->kind);
	case SWB_FIELD_JSON:
		v = json_parse_whole(text);
		/* anything else stays as typed ("10.0.0.5:80", "[::1]:22"); the validator judges it */
		return v != NULL ? v : json_object_new_string(text);
	}
	return NULL;
}

void
swb_field_set_text(const SwbField *field, json_object *obj, const char *text)
{
	g_autofree char *trimmed = g_strstrip(g_strdup(text != NULL ? text : ""));
	json_object *v = trimmed[0] != '\0' ? value_from_text(field, trimmed) : NULL;
	const char *key;
	json_object *holder = walk(field, obj, v != NULL, &key);

	if (holder == NULL)
		return;
	if (v != NULL) {
		json_object_object_add(holder, key, v);
		return;
	}
	json_object_object_del(holder, key);
	prune(field, obj);
}

/* The deepest field of section whose key starts rest at a boundary. */
static const SwbField *
field_for(SwbSection section, const char *rest)
{
	guint n;
	const SwbField *fields = swb_policy_fields(section, &n);
	const SwbField *best = NULL;

	for (guint i = 0; i < n; i++) {
		size_t len = strlen(fields[i].key);

		if (strncmp(rest, fields[i].key, len) != 0)
			continue;
		if (rest[len] != '\0' && rest[len] != '.' && rest[len] != '[')
			continue;
		if (best == NULL || len > strlen(best->key))
			best = &fields[i];
	}
	return best;
}

void
swb_policy_error_target(const char *path, SwbErrorTarget *out)
{
	out->section = SWB_SECTION_GENERAL;
	out->index = -1;
	out->field = NULL;
	if (path == NULL)
		return;
	for (SwbSection s = SWB_SECTION_LISTENER; s <= SWB_SECTION_ROUTE; s++) {
		size_t len = strlen(sections[s].array);
		const char *p = path + len;
		char *end;
		guint64 index;

		if (strncmp(path, sections[s].array, len) != 0 ||
		    (*p != '\0' && *p != '[' && *p != '.'))
			continue;
		out->section = s;
		if (*p != '[')
			return;
		index = g_ascii_strtoull(p + 1, &end, 10);
		if (end == p + 1 || *end != ']' || index > G_MAXINT)
			return;
		out->index = (int)index;
		if (end[1] == '.')
			out->field = field_for(s, end + 2);
		return;
	}
	out->field = field_for(SWB_SECTION_GENERAL, path);
}

char *
swb_policy_field_path(SwbSection section, int index, const SwbField *field)
{
	const char *array = sections[section].array;

	if (array == NULL)
		return g_strdup(field != NULL ? field->key : "");
	if (index < 0)
		return g_strdup(array);
	if (field == NULL)
		return g_strdup_printf("%s[%d]", array, index);
	return g_strdup_printf("%s[%d].%s", array, index, field->key);
}
