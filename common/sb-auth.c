/* sb-auth.c - a route's auth and rate: parse, write, compare */
#include "sb-auth.h"

#include <stdlib.h>
#include <string.h>

#include "sb-alloc.h"
#include "sb-json.h"

static const char *const auth_keys[] = {
	"from", "tokens", "basic", "jwt", "client_cert", "request", "realm", NULL,
};
static const char *const request_keys[] = {
	"url", "timeout_ms", "cache_s", "identity_header", NULL,
};
static const char *const jwt_keys[] = {
	"keys", "issuer", "audience", "identity_claim", "leeway_s", NULL,
};
static const char *const client_cert_keys[] = { "subjects", "sans", NULL };
static const char *const rate_keys[] = { "per_address", "per_identity", NULL };
static const char *const bucket_keys[] = { "per_s", "burst", NULL };

/* A cookie or query name: visible ASCII without the separators either would split on. */
static bool
cred_name_is_valid(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= 0x20 || c >= 0x7f || strchr("=;,&#?\"\\%+", c) != NULL)
			return false;
	}
	return true;
}

int
sb_cred_source_parse(const char *text, struct sb_cred_source *out, const char **why)
{
	memset(out, 0, sizeof *out);
	if (strcmp(text, "header") == 0) {
		out->kind = SB_CRED_HEADER;
	} else if (strcmp(text, "subprotocol") == 0) {
		out->kind = SB_CRED_SUBPROTOCOL;
	} else if (strncmp(text, "cookie:", 7) == 0 || strncmp(text, "query:", 6) == 0) {
		const char *name = strchr(text, ':') + 1;

		if (!cred_name_is_valid(name)) {
			*why = "needs a name after the colon, without spaces or separators";
			return -1;
		}
		out->kind = text[0] == 'c' ? SB_CRED_COOKIE : SB_CRED_QUERY;
		out->name = sb_xstrdup(name);
	} else {
		*why = "must be \"header\", \"subprotocol\", \"cookie:NAME\" or \"query:NAME\"";
		return -1;
	}
	return 0;
}

char *
sb_cred_source_text(const struct sb_cred_source *s)
{
	switch (s->kind) {
	case SB_CRED_COOKIE:
		return sb_xasprintf("cookie:%s", s->name);
	case SB_CRED_QUERY:
		return sb_xasprintf("query:%s", s->name);
	case SB_CRED_SUBPROTOCOL:
		return sb_xstrdup("subprotocol");
	case SB_CRED_HEADER:
		break;
	}
	return sb_xstrdup("header");
}

static bool
same_source(const struct sb_cred_source *a, const struct sb_cred_source *b)
{
	return a->kind == b->kind && (a->name == b->name ||
	    (a->name != NULL && b->name != NULL && strcmp(a->name, b->name) == 0));
}

static void
parse_from(struct sb_json_ctx *ctx, json_object *o, struct sb_auth *a)
{
	json_object *arr = NULL;

	if (sb_json_get_array(ctx, o, "from", false, &arr) != SB_JSON_OK)
		return;
	size_t mark = sb_json_push_key(ctx, "from");
	size_t len = json_object_array_length(arr);

	if (len == 0)
		sb_json_error(ctx, "must not be empty (omit it for [\"header\"])");
	else if (len > SB_AUTH_FROM_MAX)
		sb_json_error(ctx, "may name at most %d sources", SB_AUTH_FROM_MAX);
	a->from = sb_xcalloc(len ? len : 1, sizeof *a->from);
	for (size_t i = 0; i < len && len <= SB_AUTH_FROM_MAX; i++) {
		size_t elem = sb_json_push_index(ctx, i);
		char *text = NULL;
		const char *why;

		if (json_object_array_get_idx(arr, i) == NULL)
			sb_json_error(ctx, "must be a string");
		if (sb_json_as_string(ctx, json_object_array_get_idx(arr, i), &text) ==
		    SB_JSON_OK) {
			struct sb_cred_source s;

			if (sb_cred_source_parse(text, &s, &why) < 0) {
				sb_json_error(ctx, "%s", why);
			} else {
				bool dup = false;

				for (size_t j = 0; j < a->n_from && !dup; j++)
					dup = same_source(&a->from[j], &s);
				if (dup) {
					sb_json_error(ctx, "\"%s\" is already listed", text);
					free(s.name);
				} else {
					a->from[a->n_from++] = s;
				}
			}
		}
		free(text);
		sb_json_pop(ctx, elem);
	}
	sb_json_pop(ctx, mark);
}

static void
get_file(struct sb_json_ctx *ctx, json_object *o, const char *key, bool required, char **out)
{
	sb_json_get_string(ctx, o, key, required, out);
}

static void
parse_jwt(struct sb_json_ctx *ctx, json_object *obj, struct sb_auth *a)
{
	json_object *o = NULL;
	int64_t v;

	if (sb_json_get_object(ctx, obj, "jwt", false, &o) != SB_JSON_OK)
		return;
	size_t mark = sb_json_push_key(ctx, "jwt");

	a->jwt = sb_xcalloc(1, sizeof *a->jwt);
	a->jwt->leeway_s = SB_AUTH_DEFAULT_LEEWAY_S;
	sb_json_check_keys(ctx, o, jwt_keys, NULL);
	get_file(ctx, o, "keys", true, &a->jwt->keys);
	sb_json_get_string(ctx, o, "issuer", false, &a->jwt->issuer);
	sb_json_get_string(ctx, o, "audience", false, &a->jwt->audience);
	sb_json_get_string(ctx, o, "identity_claim", false, &a->jwt->identity_claim);
	if (sb_json_get_int(ctx, o, "leeway_s", false, 0, SB_AUTH_LEEWAY_MAX_S, &v) == SB_JSON_OK)
		a->jwt->leeway_s = (unsigned)v;
	sb_json_pop(ctx, mark);
}

static void
parse_client_cert(struct sb_json_ctx *ctx, json_object *obj, struct sb_auth *a)
{
	json_object *o = NULL;

	if (sb_json_get_object(ctx, obj, "client_cert", false, &o) != SB_JSON_OK)
		return;
	size_t mark = sb_json_push_key(ctx, "client_cert");

	a->client_cert = sb_xcalloc(1, sizeof *a->client_cert);
	sb_json_check_keys(ctx, o, client_cert_keys, NULL);
	sb_json_get_strings(ctx, o, "subjects", false, &a->client_cert->subjects,
	    &a->client_cert->n_subjects);
	sb_json_get_strings(ctx, o, "sans", false, &a->client_cert->sans, &a->client_cert->n_sans);
	sb_json_pop(ctx, mark);
}

int
sb_url_parse(const char *text, struct sb_url *out, const char **why)
{
	const char *auth, *end;
	char *hostport;
	int rc;

	memset(out, 0, sizeof *out);
	if (strncmp(text, "http://", 7) == 0) {
		auth = text + 7;
	} else if (strncmp(text, "https://", 8) == 0) {
		auth = text + 8;
		out->tls = true;
	} else {
		*why = "must start with http:// or https://";
		return -1;
	}
	for (const char *p = text; *p != '\0'; p++) {
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || *p == '#') {
			*why = "must be visible ASCII without spaces or a #fragment";
			return -1;
		}
	}
	end = auth + strcspn(auth, "/?");
	if (memchr(auth, '@', (size_t)(end - auth)) != NULL) {
		*why = "must not carry a user name or password";
		return -1;
	}
	/* no port after the host (or after a [v6] literal's bracket): the scheme's */
	const char *bracket = memchr(auth, ']', (size_t)(end - auth));
	const char *colon = memchr(bracket != NULL ? bracket : auth, ':',
	    (size_t)(end - (bracket != NULL ? bracket : auth)));
	hostport = colon != NULL ? sb_xstrndup(auth, (size_t)(end - auth)) :
	    sb_xasprintf("%.*s:%s", (int)(end - auth), auth, out->tls ? "443" : "80");
	rc = sb_hostport_parse(hostport, &out->hp, why);
	free(hostport);
	if (rc < 0)
		return -1;
	out->path = *end == '/' ? sb_xstrdup(end) : sb_xasprintf("/%s", end);
	return 0;
}

void
sb_url_clear(struct sb_url *u)
{
	sb_hostport_clear(&u->hp);
	free(u->path);
	memset(u, 0, sizeof *u);
}

/* A header name: an RFC 9110 token. */
static bool
header_name_is_valid(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= 0x20 || c >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}", c) != NULL)
			return false;
	}
	return true;
}

/* The realm goes out quoted in WWW-Authenticate: no control byte, quote or backslash. */
static bool
realm_ok(const char *realm)
{
	for (const unsigned char *c = (const unsigned char *)realm; *c != '\0'; c++) {
		if (*c < 0x20 || *c == 0x7f || *c == '"' || *c == '\\')
			return false;
	}
	return true;
}

static void
parse_request(struct sb_json_ctx *ctx, json_object *obj, struct sb_auth *a)
{
	json_object *o = NULL;
	struct sb_auth_request *r;
	const char *why;
	int64_t v;

	if (sb_json_get_object(ctx, obj, "request", false, &o) != SB_JSON_OK)
		return;
	size_t mark = sb_json_push_key(ctx, "request");

	r = a->request = sb_xcalloc(1, sizeof *r);
	r->timeout_ms = SB_AUTH_REQUEST_TIMEOUT_MS;
	r->cache_s = SB_AUTH_REQUEST_CACHE_S;
	sb_json_check_keys(ctx, o, request_keys, NULL);
	if (sb_json_get_string(ctx, o, "url", true, &r->url) == SB_JSON_OK &&
	    sb_url_parse(r->url, &r->parsed, &why) < 0)
		sb_json_error_at(ctx, "url", "%s", why);
	if (sb_json_get_int(ctx, o, "timeout_ms", false, 1, SB_AUTH_REQUEST_TIMEOUT_MAX_MS, &v) ==
	    SB_JSON_OK)
		r->timeout_ms = (unsigned)v;
	if (sb_json_get_int(ctx, o, "cache_s", false, 0, SB_AUTH_REQUEST_CACHE_MAX_S, &v) ==
	    SB_JSON_OK)
		r->cache_s = (unsigned)v;
	if (sb_json_get_string(ctx, o, "identity_header", false, &r->identity_header) ==
	    SB_JSON_OK && !header_name_is_valid(r->identity_header))
		sb_json_error_at(ctx, "identity_header", "must be a header name");
	sb_json_pop(ctx, mark);
}

void
sb_auth_parse(struct sb_json_ctx *ctx, json_object *route, struct sb_auth **auth)
{
	json_object *o = NULL;
	struct sb_auth *a;

	*auth = NULL;
	if (sb_json_get_object(ctx, route, "auth", false, &o) != SB_JSON_OK)
		return;
	size_t mark = sb_json_push_key(ctx, "auth");

	a = sb_xcalloc(1, sizeof *a);
	sb_json_check_keys(ctx, o, auth_keys, NULL);
	parse_from(ctx, o, a);
	get_file(ctx, o, "tokens", false, &a->tokens);
	get_file(ctx, o, "basic", false, &a->basic);
	parse_jwt(ctx, o, a);
	parse_client_cert(ctx, o, a);
	parse_request(ctx, o, a);
	sb_json_get_string(ctx, o, "realm", false, &a->realm);
	if (a->realm != NULL && !realm_ok(a->realm))
		sb_json_error_at(ctx, "realm",
		    "must be printable text without quotes or backslashes");
	if (a->tokens == NULL && a->basic == NULL && a->jwt == NULL && a->client_cert == NULL &&
	    sb_json_member(o, "request") == NULL)
		sb_json_error(ctx,
		    "needs at least one method: tokens, basic, jwt, client_cert or request");
	sb_json_pop(ctx, mark);
	*auth = a;
}

static struct sb_rate_bucket *
parse_bucket(struct sb_json_ctx *ctx, json_object *obj, const char *key)
{
	json_object *o = NULL;
	struct sb_rate_bucket *b;
	int64_t v;

	if (sb_json_get_object(ctx, obj, key, false, &o) != SB_JSON_OK)
		return NULL;
	size_t mark = sb_json_push_key(ctx, key);

	b = sb_xcalloc(1, sizeof *b);
	sb_json_check_keys(ctx, o, bucket_keys, NULL);
	if (sb_json_get_int(ctx, o, "per_s", true, 1, SB_RATE_MAX, &v) == SB_JSON_OK)
		b->per_s = (unsigned)v;
	if (sb_json_get_int(ctx, o, "burst", false, 1, SB_RATE_MAX, &v) == SB_JSON_OK)
		b->burst = (unsigned)v;
	else
		b->burst = b->per_s;
	sb_json_pop(ctx, mark);
	return b;
}

void
sb_rate_parse(struct sb_json_ctx *ctx, json_object *route, struct sb_rate **rate)
{
	json_object *o = NULL;
	struct sb_rate *r;

	*rate = NULL;
	if (sb_json_get_object(ctx, route, "rate", false, &o) != SB_JSON_OK)
		return;
	size_t mark = sb_json_push_key(ctx, "rate");

	r = sb_xcalloc(1, sizeof *r);
	sb_json_check_keys(ctx, o, rate_keys, NULL);
	r->per_address = parse_bucket(ctx, o, "per_address");
	r->per_identity = parse_bucket(ctx, o, "per_identity");
	if (r->per_address == NULL && r->per_identity == NULL &&
	    sb_json_member(o, "per_address") == NULL && sb_json_member(o, "per_identity") == NULL)
		sb_json_error(ctx, "needs per_address or per_identity");
	sb_json_pop(ctx, mark);
	*rate = r;
}

const char *
sb_auth_jwt_claim(const struct sb_auth_jwt *j)
{
	return j->identity_claim != NULL ? j->identity_claim : SB_AUTH_DEFAULT_CLAIM;
}

const char *
sb_auth_realm(const struct sb_auth *a)
{
	return a->realm != NULL ? a->realm : SB_AUTH_DEFAULT_REALM;
}

json_object *
sb_auth_to_json(const struct sb_auth *a)
{
	json_object *o = json_object_new_object();

	if (a->n_from > 0) {
		json_object *arr = json_object_new_array_ext((int)a->n_from);

		for (size_t i = 0; i < a->n_from; i++) {
			char *text = sb_cred_source_text(&a->from[i]);

			json_object_array_add(arr, json_object_new_string(text));
			free(text);
		}
		json_object_object_add(o, "from", arr);
	}
	sb_json_add_string(o, "tokens", a->tokens);
	sb_json_add_string(o, "basic", a->basic);
	if (a->jwt != NULL) {
		json_object *j = json_object_new_object();

		sb_json_add_string(j, "keys", a->jwt->keys);
		sb_json_add_string(j, "issuer", a->jwt->issuer);
		sb_json_add_string(j, "audience", a->jwt->audience);
		sb_json_add_string(j, "identity_claim", a->jwt->identity_claim);
		if (a->jwt->leeway_s != SB_AUTH_DEFAULT_LEEWAY_S)
			json_object_object_add(j, "leeway_s",
			    json_object_new_int64(a->jwt->leeway_s));
		json_object_object_add(o, "jwt", j);
	}
	if (a->client_cert != NULL) {
		json_object *c = json_object_new_object();

		if (a->client_cert->subjects != NULL)
			json_object_object_add(c, "subjects", sb_json_strings(
			    a->client_cert->subjects, a->client_cert->n_subjects));
		if (a->client_cert->sans != NULL)
			json_object_object_add(c, "sans", sb_json_strings(a->client_cert->sans,
			    a->client_cert->n_sans));
		json_object_object_add(o, "client_cert", c);
	}
	if (a->request != NULL) {
		json_object *r = json_object_new_object();

		sb_json_add_string(r, "url", a->request->url);
		if (a->request->timeout_ms != SB_AUTH_REQUEST_TIMEOUT_MS)
			json_object_object_add(r, "timeout_ms",
			    json_object_new_int64(a->request->timeout_ms));
		if (a->request->cache_s != SB_AUTH_REQUEST_CACHE_S)
			json_object_object_add(r, "cache_s",
			    json_object_new_int64(a->request->cache_s));
		sb_json_add_string(r, "identity_header", a->request->identity_header);
		json_object_object_add(o, "request", r);
	}
	sb_json_add_string(o, "realm", a->realm);
	return o;
}

static json_object *
bucket_to_json(const struct sb_rate_bucket *b)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "per_s", json_object_new_int64(b->per_s));
	if (b->burst != b->per_s)
		json_object_object_add(o, "burst", json_object_new_int64(b->burst));
	return o;
}

json_object *
sb_rate_to_json(const struct sb_rate *r)
{
	json_object *o = json_object_new_object();

	if (r->per_address != NULL)
		json_object_object_add(o, "per_address", bucket_to_json(r->per_address));
	if (r->per_identity != NULL)
		json_object_object_add(o, "per_identity", bucket_to_json(r->per_identity));
	return o;
}

static bool
str_eq(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static bool
strings_eq(char *const *a, size_t na, char *const *b, size_t nb)
{
	if ((a == NULL) != (b == NULL) || na != nb)
		return false;
	for (size_t i = 0; i < na; i++) {
		if (!str_eq(a[i], b[i]))
			return false;
	}
	return true;
}

static bool
jwt_eq(const struct sb_auth_jwt *a, const struct sb_auth_jwt *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return str_eq(a->keys, b->keys) && str_eq(a->issuer, b->issuer) &&
	    str_eq(a->audience, b->audience) && str_eq(a->identity_claim, b->identity_claim) &&
	    a->leeway_s == b->leeway_s;
}

static bool
client_cert_eq(const struct sb_auth_client_cert *a, const struct sb_auth_client_cert *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strings_eq(a->subjects, a->n_subjects, b->subjects, b->n_subjects) &&
	    strings_eq(a->sans, a->n_sans, b->sans, b->n_sans);
}

static bool
request_eq(const struct sb_auth_request *a, const struct sb_auth_request *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return str_eq(a->url, b->url) && a->timeout_ms == b->timeout_ms &&
	    a->cache_s == b->cache_s && str_eq(a->identity_header, b->identity_header);
}

bool
sb_auth_equal(const struct sb_auth *a, const struct sb_auth *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	if (a->n_from != b->n_from)
		return false;
	for (size_t i = 0; i < a->n_from; i++) {
		if (!same_source(&a->from[i], &b->from[i]))
			return false;
	}
	return str_eq(a->tokens, b->tokens) && str_eq(a->basic, b->basic) &&
	    jwt_eq(a->jwt, b->jwt) && client_cert_eq(a->client_cert, b->client_cert) &&
	    request_eq(a->request, b->request) && str_eq(a->realm, b->realm);
}

static bool
bucket_eq(const struct sb_rate_bucket *a, const struct sb_rate_bucket *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return a->per_s == b->per_s && a->burst == b->burst;
}

bool
sb_rate_equal(const struct sb_rate *a, const struct sb_rate *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return bucket_eq(a->per_address, b->per_address) &&
	    bucket_eq(a->per_identity, b->per_identity);
}

static void
free_strings(char **items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(items[i]);
	free(items);
}

void
sb_auth_free(struct sb_auth *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < a->n_from; i++)
		free(a->from[i].name);
	free(a->from);
	free(a->tokens);
	free(a->basic);
	if (a->jwt != NULL) {
		free(a->jwt->keys);
		free(a->jwt->issuer);
		free(a->jwt->audience);
		free(a->jwt->identity_claim);
		free(a->jwt);
	}
	if (a->client_cert != NULL) {
		free_strings(a->client_cert->subjects, a->client_cert->n_subjects);
		free_strings(a->client_cert->sans, a->client_cert->n_sans);
		free(a->client_cert);
	}
	if (a->request != NULL) {
		free(a->request->url);
		sb_url_clear(&a->request->parsed);
		free(a->request->identity_header);
		free(a->request);
	}
	free(a->realm);
	free(a);
}

void
sb_rate_free(struct sb_rate *r)
{
	if (r == NULL)
		return;
	free(r->per_address);
	free(r->per_identity);
	free(r);
}
