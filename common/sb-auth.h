/* sb-auth.h - a route's "auth" (who may open a tunnel) and "rate" (how often): parse, write, compare
 *
 * "auth" names where the credential comes from ("from") and the methods that
 * may accept it: "tokens" (a file of NAME SHA256-HEX lines), "basic" (an
 * htpasswd file), "jwt" (keys from a JWKS or PEM file) and "client_cert"
 * (subject and SAN allow lists on the listener's mTLS), and "request" (an
 * HTTP GET to an auth service, as nginx's auth_request). Files are kept as
 * written, resolved against the policy's folder and read when the policy is
 * applied. "rate" holds token buckets on new upgrades per client address and
 * per identity.
 */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "sb-addr.h"
#include "sb-json.h"

#define SB_AUTH_DEFAULT_REALM    "switchboard"
#define SB_AUTH_DEFAULT_CLAIM    "sub"
#define SB_AUTH_DEFAULT_LEEWAY_S 30
#define SB_AUTH_LEEWAY_MAX_S     3600
#define SB_AUTH_FROM_MAX         8
#define SB_RATE_MAX              1000000
#define SB_AUTH_REQUEST_TIMEOUT_MS 1000
#define SB_AUTH_REQUEST_TIMEOUT_MAX_MS 60000
#define SB_AUTH_REQUEST_CACHE_S  10
#define SB_AUTH_REQUEST_CACHE_MAX_S 3600

enum sb_cred_kind {
	SB_CRED_HEADER,      /* Authorization: Bearer TOKEN | Basic base64(user:pass) */
	SB_CRED_COOKIE,      /* cookie:NAME */
	SB_CRED_SUBPROTOCOL, /* a Sec-WebSocket-Protocol entry bearer.TOKEN */
	SB_CRED_QUERY,       /* query:NAME, removed from what is replayed to a backend */
};

struct sb_cred_source {
	enum sb_cred_kind kind;
	char *name;          /* cookie and query: the name after the colon */
};

struct sb_auth_jwt {
	char *keys;          /* a JWKS (JSON) or PEM file */
	char *issuer;        /* NULL: iss not checked */
	char *audience;      /* NULL: aud not checked */
	char *identity_claim; /* NULL: "sub" */
	unsigned leeway_s;   /* for exp and nbf */
};

struct sb_auth_client_cert {
	char **subjects;     /* distinguished names as GnuTLS writes them ("CN=alice,O=Example") */
	size_t n_subjects;
	char **sans;         /* DNS names, e-mail addresses or URIs of subjectAltName */
	size_t n_sans;
};

/* An http:// or https:// URL, as the auth service's is written. */
struct sb_url {
	bool tls;                /* https */
	struct sb_hostport hp;   /* the port defaults to 80 or 443 */
	char *path;              /* the request target: path and query, "/" at least */
};

struct sb_auth_request {
	char *url;
	struct sb_url parsed;
	unsigned timeout_ms;     /* connect, send and answer, all of it */
	unsigned cache_s;        /* how long an answer stands; 0: never kept */
	char *identity_header;   /* the answer's header that names the identity, or NULL */
};

struct sb_auth {
	struct sb_cred_source *from; /* n_from == 0: ["header"] */
	size_t n_from;
	char *tokens;        /* file; NULL: no such method */
	char *basic;         /* htpasswd file */
	struct sb_auth_jwt *jwt;
	struct sb_auth_client_cert *client_cert;
	struct sb_auth_request *request;
	char *realm;         /* NULL: SB_AUTH_DEFAULT_REALM */
};

struct sb_rate_bucket {
	unsigned per_s;      /* tokens added each second */
	unsigned burst;      /* the bucket's size */
};

struct sb_rate {
	struct sb_rate_bucket *per_address; /* NULL: no such bucket */
	struct sb_rate_bucket *per_identity;
};

/*
 * A credential source as written in "from": "header", "subprotocol",
 * "cookie:NAME", "query:NAME". Returns -1 with *why a static explanation.
 */
int sb_cred_source_parse(const char *text, struct sb_cred_source *out, const char **why);
/* The text of a source, as "from" writes it. free() it. */
char *sb_cred_source_text(const struct sb_cred_source *s);

/*
 * "http://host[:port][/path]" or "https://...": no user info, no fragment.
 * Returns -1 with *why a static explanation. sb_url_clear frees it.
 */
int sb_url_parse(const char *text, struct sb_url *out, const char **why);
void sb_url_clear(struct sb_url *u);

/*
 * The route's members "auth" and "rate" at the current path of ctx (which
 * names the route); *auth and *rate stay NULL when absent.
 */
void sb_auth_parse(struct sb_json_ctx *ctx, json_object *route, struct sb_auth **auth);
void sb_rate_parse(struct sb_json_ctx *ctx, json_object *route, struct sb_rate **rate);
/* Canonical JSON, defaults omitted. (transfer full) */
json_object *sb_auth_to_json(const struct sb_auth *a);
json_object *sb_rate_to_json(const struct sb_rate *r);
bool sb_auth_equal(const struct sb_auth *a, const struct sb_auth *b);
bool sb_rate_equal(const struct sb_rate *a, const struct sb_rate *b);
/* NULL ok. */
void sb_auth_free(struct sb_auth *a);
void sb_rate_free(struct sb_rate *r);
/* The claim that names a JWT's identity. */
const char *sb_auth_jwt_claim(const struct sb_auth_jwt *j);
const char *sb_auth_realm(const struct sb_auth *a);
