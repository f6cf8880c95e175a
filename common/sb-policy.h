/* sb-policy.h - the policy model: listeners, routes, control; parse, check, write */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sb-addr.h"
#include "sb-auth.h"
#include "sb-backend.h"
#include "sb-errors.h"

enum sb_mode {
	SB_MODE_TUNNEL,
	SB_MODE_WEBSOCKET,
	SB_MODE_H2C,
	SB_MODE_TLS,
};

enum sb_on_change {
	SB_ON_CHANGE_UNSET, /* routes only: inherit the policy's */
	SB_ON_CHANGE_KEEP,
	SB_ON_CHANGE_CLOSE,
};

enum sb_client_auth {
	SB_CLIENT_AUTH_NONE,
	SB_CLIENT_AUTH_REQUEST, /* ask for a certificate, verify it when given */
	SB_CLIENT_AUTH_REQUIRE,
};

enum sb_proxy_version {
	SB_PROXY_NONE,
	SB_PROXY_V1,
	SB_PROXY_V2,
};


/* Defaults, used when a field is omitted. */
#define SB_DEFAULT_IDLE_TIMEOUT_S      3600
#define SB_DEFAULT_CONTROL_MODE        0660
#define SB_DEFAULT_MAX_CONNECTIONS     10000
#define SB_DEFAULT_HANDSHAKE_TIMEOUT_S 10
#define SB_DEFAULT_CONNECT_TIMEOUT_MS  5000
#define SB_DEFAULT_DRAIN_TIMEOUT_S     30
#define SB_DEFAULT_MAX_PER_IP          256
#define SB_DEFAULT_IPV6_PREFIX         64

/* Paths are kept as written; sb_policy_resolve_path() makes them absolute. */
struct sb_cert_pair {
	char *cert;
	char *key;
	char *ocsp; /* a DER OCSP response for cert, stapled; NULL: none */
};

struct sb_sni {
	char **names; /* exact names or "*.suffix" */
	size_t n_names;
	struct sb_cert_pair pair;
};

struct sb_listener_tls {
	struct sb_cert_pair pair;
	struct sb_sni *sni;
	size_t n_sni;
	enum sb_client_auth client_auth;
	char *client_ca;   /* NULL when unset */
	char *min_version; /* "1.2" (default when NULL) or "1.3" */
	char *priority;    /* GnuTLS priority string; NULL = our default */
};

struct sb_listener {
	char *name;
	char *bind;                 /* as written */
	struct sb_hostport bind_hp; /* parsed */
	struct sb_listener_tls *tls; /* NULL: plain */
	bool proxy_protocol;        /* every connection starts with a PROXY header */
	bool has_proxy_from;        /* false ("proxy_protocol": true): any sender may send it */
	struct sb_cidr *proxy_from; /* the senders (TCP peers) that may */
	size_t n_proxy_from;
	unsigned max_connections;   /* 0: only the global limit applies */
};

struct sb_match {
	char *host;     /* NULL: any; "*.example.org" matches sub-domains */
	char *path;     /* NULL: any; a prefix */
	char *upgrade;  /* a token, compared case-insensitively; "*" any token */
	char **subprotocols;
	size_t n_subprotocols;
};

struct sb_route {
	char *name;
	char **listeners; /* names; n_listeners == 0: every listener */
	size_t n_listeners;
	struct sb_match match;
	enum sb_mode mode;
	struct sb_backend backend;     /* one address, a list, or a pool (sb-backend.h) */
	bool has_allow;                /* false: every address */
	struct sb_cidr *allow;
	size_t n_allow;
	bool has_origins;              /* false: no Origin check */
	char **origins;
	size_t n_origins;
	unsigned max_connections;      /* 0: no limit */
	unsigned idle_timeout_s;       /* default SB_DEFAULT_IDLE_TIMEOUT_S */
	enum sb_proxy_version proxy_protocol;
	enum sb_on_change on_policy_change;
	unsigned ping_interval_s;      /* 0: no keepalive pings */
	uint64_t max_message_bytes;    /* 0: no cap */
	bool text_messages;            /* websocket: backend bytes go out as text, not binary */
	struct sb_cert_pair *tls;      /* tls mode only */
	struct sb_auth *auth;          /* NULL: anyone the checks above admit (sb-auth.h) */
	struct sb_rate *rate;          /* NULL: no rate limit on new upgrades */
};

struct sb_control {
	char *socket;       /* NULL: the daemon's --control or its default */
	unsigned mode;      /* default SB_DEFAULT_CONTROL_MODE */
	char *group;        /* NULL: unchanged */
	bool has_allow_uids;
	unsigned *allow_uids;
	size_t n_allow_uids;
};

/* Daemon-wide limits ("limits" at the top level; an extension of the contract). */
struct sb_limits {
	unsigned max_connections;     /* all client connections; default SB_DEFAULT_MAX_CONNECTIONS */
	unsigned max_per_ip;          /* per client address; default SB_DEFAULT_MAX_PER_IP */
	unsigned ipv6_prefix;         /* IPv6 clients count by this prefix; default 64 */
	unsigned handshake_timeout_s; /* accept to 101 (TLS, PROXY, request, backend connect) */
	unsigned connect_timeout_ms;  /* backend connect */
	unsigned drain_timeout_s;     /* SIGTERM: how long tunnels may finish */
};

struct sb_policy {
	int version;
	struct sb_listener *listeners;
	size_t n_listeners;
	struct sb_route *routes;
	size_t n_routes;
	struct sb_control control;
	struct sb_limits limits;
	enum sb_on_change on_policy_change; /* KEEP unless set */
	char *metrics;                      /* "host:port" or NULL */
	char *access_log;                   /* a file (relative: to base_dir), or NULL: stderr */
	char *schema;                       /* "$schema", for editors: kept, never used */
	char *base_dir;                     /* folder relative paths resolve against; not serialized */
};

const char *sb_mode_name(enum sb_mode mode);
int sb_mode_from_name(const char *name, enum sb_mode *out);
/*
 * The mode a route gets when it names only match.upgrade: "websocket" ->
 * websocket, "h2c" -> h2c, "TLS" or "TLS/x.y" -> tls, any other token -> tunnel
 * (case-insensitive).
 */
enum sb_mode sb_mode_for_upgrade(const char *token);

/* An empty policy with every default set (version 1, no listeners or routes). */
struct sb_policy *sb_policy_new(void);

/*
 * Parses and checks a policy. Every problem found is added to errs with its
 * JSON path; returns NULL when there was any. base_dir may be NULL (the
 * current directory).
 */
struct sb_policy *sb_policy_from_json(json_object *doc, const char *base_dir,
    struct sb_errors *errs);
struct sb_policy *sb_policy_from_string(const char *text, size_t len, const char *base_dir,
    struct sb_errors *errs);
/* Reads FILE; base_dir becomes FILE's folder. */
struct sb_policy *sb_policy_load(const char *file, struct sb_errors *errs);
void sb_policy_free(struct sb_policy *policy);

/*
 * Semantic checks on a parsed model (ports, unique names, listener references,
 * mode/upgrade fit, TLS files readable); sb_policy_from_json already runs them.
 * Returns the number of errors added.
 */
size_t sb_policy_check(const struct sb_policy *policy, struct sb_errors *errs);
/*
 * What is valid but probably unwise, as errors are (path and message): a
 * listener that takes a PROXY header from any sender on a non-loopback bind.
 * Returns the number added.
 */
size_t sb_policy_warnings(const struct sb_policy *policy, struct sb_errors *warnings);

/* The canonical JSON of a policy: defaults omitted, keys in a fixed order. (transfer full) */
json_object *sb_policy_to_json(const struct sb_policy *policy);
/* Same, as text with a final newline; free() it. */
char *sb_policy_to_string(const struct sb_policy *policy);
/* True when two models mean the same policy (base_dir is not compared). */
bool sb_policy_equal(const struct sb_policy *a, const struct sb_policy *b);

/*
 * Writes text to file atomically: a temp file in the same folder, fsync, the
 * previous file kept as FILE.bak (hard link), rename, fsync of the folder.
 * Returns -1 with errno set; file is then unchanged (except when only the
 * final fsync of the folder failed: the new text is in place, maybe not durably).
 */
int sb_policy_save_text(const char *file, const char *text);
/*
 * Removes temp files an interrupted sb_policy_save_text left beside file
 * (".FILE.XXXXXX", ".FILE.bak.XXXXXX"); returns how many.
 */
unsigned sb_policy_remove_stale_temps(const char *file);

/* path relative to policy->base_dir, or path itself when absolute. free() it. */
char *sb_policy_resolve_path(const struct sb_policy *policy, const char *path);

const struct sb_listener *sb_policy_find_listener(const struct sb_policy *policy,
    const char *name);
const struct sb_route *sb_policy_find_route(const struct sb_policy *policy, const char *name);
/* True when the route applies to connections accepted by that listener. */
bool sb_route_on_listener(const struct sb_route *route, const char *listener);
/* The route's on_policy_change with the policy's default applied. */
enum sb_on_change sb_route_on_change(const struct sb_policy *policy, const struct sb_route *route);
