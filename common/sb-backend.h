/* sb-backend.h - a route's backend: one address, a list, or a pool with balancing and checks
 *
 * "backend" is a string ("10.0.0.5:5900"), a list of such strings, or an
 * object { servers, balance, health, tls, resolve_s }, or { token_map } (a
 * websockify TokenFile: the request's token picks the server). Addresses are
 * "host:port", "[v6]:port", "unix:/path" (a UNIX stream socket; relative paths
 * resolve against the policy's folder) or "builtin:echo". The model keeps the
 * form it was written in, so the canonical writer gives it back the same way.
 */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "sb-addr.h"
#include "sb-json.h"

#define SB_BACKEND_BUILTIN_ECHO "builtin:echo"
#define SB_BACKEND_UNIX_PREFIX  "unix:"
#define SB_SERVERS_MAX          256
#define SB_WEIGHT_MAX           256
#define SB_DEFAULT_WEIGHT       1
#define SB_DEFAULT_RESOLVE_S    60
#define SB_RESOLVE_MAX_S        86400
#define SB_HEALTH_DEFAULT_INTERVAL_S 5
#define SB_HEALTH_DEFAULT_TIMEOUT_MS 2000
#define SB_HEALTH_DEFAULT_RISE  2
#define SB_HEALTH_DEFAULT_FALL  3
#define SB_HEALTH_INTERVAL_MAX_S 3600
#define SB_HEALTH_TIMEOUT_MAX_MS 60000
#define SB_HEALTH_COUNT_MAX     100
#define SB_HEALTH_BYTES_MAX     1024

enum sb_server_kind {
	SB_SERVER_INET, /* host:port; host may be a name that resolves to several addresses */
	SB_SERVER_UNIX, /* unix:/path */
	SB_SERVER_ECHO, /* builtin:echo */
};

struct sb_server {
	char *address;           /* as written */
	enum sb_server_kind kind;
	struct sb_hostport hp;   /* SB_SERVER_INET */
	char *unix_path;         /* SB_SERVER_UNIX: the path as written (after "unix:") */
	unsigned weight;         /* 1..256, default 1 */
	bool backup;             /* used only while no other server is up */
};

enum sb_balance {
	SB_BALANCE_ROUND_ROBIN,      /* by weight (default) */
	SB_BALANCE_LEAST_CONNECTIONS,
	SB_BALANCE_SOURCE_HASH,      /* one client address sticks to one server */
	SB_BALANCE_FIRST,            /* the first server that is up */
};

struct sb_health {
	unsigned interval_s;
	unsigned timeout_ms;
	unsigned rise;           /* successes that mark a server up */
	unsigned fall;           /* failures that mark it down */
	char *send;              /* bytes sent after connecting, or NULL */
	char *expect;            /* bytes the answer must start with, or NULL */
};

struct sb_backend_tls {
	bool verify;             /* chain and name (default true) */
	char *ca;                /* NULL: the system store */
	char *sni;               /* NULL: the server's host */
	char *cert;              /* a client certificate, with key */
	char *key;
};

enum sb_backend_form {
	SB_BACKEND_FORM_STRING,  /* "host:port" */
	SB_BACKEND_FORM_LIST,    /* ["a:1", "b:2"] */
	SB_BACKEND_FORM_OBJECT,  /* { "servers": [...] ... } */
};

struct sb_backend {
	enum sb_backend_form form;
	struct sb_server *servers;
	size_t n_servers;
	enum sb_balance balance;
	struct sb_health *health;   /* NULL: no active checks (failed connects still count) */
	struct sb_backend_tls *tls; /* NULL: plain TCP to the backend */
	unsigned resolve_s;         /* names are resolved again this often */
	char *token_map;            /* a TokenFile (or a folder of them), as written; no servers */
};

/*
 * Parses an address: "host:port", "[v6]:port", "unix:PATH", "builtin:echo".
 * Returns -1 with *why a static explanation.
 */
int sb_server_parse_address(const char *text, struct sb_server *out, const char **why);
void sb_server_clear(struct sb_server *s);

/*
 * Parses the value of a route's "backend" member at the current path of ctx
 * (which names the route), reporting every problem at its JSON path
 * ("routes[2].backend.servers[1].weight"). An absent member is "is required".
 */
void sb_backend_parse(struct sb_json_ctx *ctx, json_object *route, struct sb_backend *out);
/* The canonical JSON of a backend, in the form it was written, defaults omitted. */
json_object *sb_backend_to_json(const struct sb_backend *b);
bool sb_backend_equal(const struct sb_backend *a, const struct sb_backend *b);
void sb_backend_clear(struct sb_backend *b);
/* Whether a server is the built-in echo (such a backend has exactly that one server). */
bool sb_backend_is_echo(const struct sb_backend *b);
const char *sb_balance_name(enum sb_balance balance);
