/* sb-control.h - the control protocol's names: methods, events, error codes, fields */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Methods a client may call on the control socket. */
enum sb_control_method {
	SB_METHOD_STATUS,            /* "status" */
	SB_METHOD_CONNECTIONS_LIST,  /* "connections.list" */
	SB_METHOD_CONNECTIONS_CLOSE, /* "connections.close" */
	SB_METHOD_CONNECTIONS_GET,   /* "connections.get": one connection in detail */
	SB_METHOD_POLICY_GET,        /* "policy.get" */
	SB_METHOD_POLICY_VALIDATE,   /* "policy.validate" */
	SB_METHOD_POLICY_APPLY,      /* "policy.apply" */
	SB_METHOD_EVENTS_SUBSCRIBE,  /* "events.subscribe" */
	SB_METHOD_BACKENDS_LIST,     /* "backends.list": every route's servers and their state */
	SB_METHOD_BACKENDS_SET,      /* "backends.set" {route, address, state}: ready, drain, maint */
	/*
	 * "daemon.takeover": the listening sockets, passed with SCM_RIGHTS on the
	 * answer's bytes, "sockets" naming each in the order passed; for the socket's
	 * owner (root or the daemon's own uid) only
	 */
	SB_METHOD_DAEMON_TAKEOVER,
	/*
	 * "daemon.drain" {takeover?, control?}: stop accepting and drain as SIGTERM
	 * does; takeover: another daemon serves the sockets now, so what was already
	 * accepted is served, not refused; control: it serves the control socket too
	 */
	SB_METHOD_DAEMON_DRAIN,
	SB_METHOD_COUNT
};

/* The method of every notification the daemon sends; its params carry "type". */
#define SB_CONTROL_NOTIFY_EVENT "event"

/* Event types, the "type" of an event notification. */
enum sb_control_event {
	SB_EVENT_CONNECTION_OPENED,    /* "connection.opened" */
	SB_EVENT_CONNECTION_UPDATED,   /* "connection.updated" */
	SB_EVENT_CONNECTION_CLOSED,    /* "connection.closed" */
	SB_EVENT_UPGRADE_REJECTED,     /* "upgrade.rejected" */
	SB_EVENT_POLICY_APPLIED,       /* "policy.applied" */
	SB_EVENT_BACKEND_STATE,        /* "backend.state" {route, address, server, state, reason} */
	/* the last notification to a subscriber that could not keep up */
	SB_EVENT_SUBSCRIPTION_DROPPED, /* "subscription.dropped" */
	SB_EVENT_COUNT
};

/* JSON-RPC error codes: the standard ones, then ours (-32000 and down). */
enum sb_control_error {
	SB_ERR_PARSE = -32700,
	SB_ERR_INVALID_REQUEST = -32600,
	SB_ERR_METHOD_NOT_FOUND = -32601,
	SB_ERR_INVALID_PARAMS = -32602,
	SB_ERR_INTERNAL = -32603,
	SB_ERR_POLICY_INVALID = -32000,     /* data.errors: [{path, message}] */
	SB_ERR_STALE_REVISION = -32001,     /* data.revision: the current one */
	SB_ERR_NO_SUCH_CONNECTION = -32002,
	SB_ERR_POLICY_WRITE = -32003,       /* cannot write the policy file */
	SB_ERR_NO_SUCH_BACKEND = -32004,    /* backends.set: no such route and server */
	SB_ERR_NOT_OWNER = -32005,          /* daemon.*: only root or the daemon's uid */
	SB_ERR_DRAINING = -32006,           /* daemon.takeover: the daemon already drains */
};

/* Field names, in params, results and events. */
#define SB_FIELD_ID "id"
#define SB_FIELD_TYPE "type"
#define SB_FIELD_TIME "time"
#define SB_FIELD_ROUTE "route"
#define SB_FIELD_MODE "mode"
#define SB_FIELD_CLIENT "client"
#define SB_FIELD_IDENTITY "identity" /* who route auth found; absent without auth */
#define SB_FIELD_BACKEND "backend"
#define SB_FIELD_STARTED "started"
#define SB_FIELD_BYTES_UP "bytes_up"
#define SB_FIELD_BYTES_DOWN "bytes_down"
#define SB_FIELD_STATE "state"
#define SB_FIELD_REASON "reason"
#define SB_FIELD_STATUS "status"
#define SB_FIELD_LISTENER "listener"
/* upgrade.rejected and connection.closed: the request line, and milliseconds since the accept */
#define SB_FIELD_METHOD "method"
#define SB_FIELD_DURATION_MS "duration_ms"
#define SB_FIELD_VERSION "version"
#define SB_FIELD_UPTIME_S "uptime_s"
#define SB_FIELD_LISTENERS "listeners"
#define SB_FIELD_COUNTERS "counters"
#define SB_FIELD_ACCEPTED "accepted"
#define SB_FIELD_UPGRADED "upgraded"
#define SB_FIELD_REJECTED "rejected"
#define SB_FIELD_ACTIVE "active"
/* a count of live connections: status counters and workers[] (each worker loop), identity sums */
#define SB_FIELD_CONNECTIONS "connections"
#define SB_FIELD_WORKERS "workers"
#define SB_FIELD_POLICY "policy"
#define SB_FIELD_REVISION "revision"
#define SB_FIELD_PERSIST "persist"
#define SB_FIELD_VALID "valid"
#define SB_FIELD_ERRORS "errors"
#define SB_FIELD_PATH "path"
#define SB_FIELD_MESSAGE "message"
#define SB_FIELD_NAME "name"
#define SB_FIELD_BIND "bind"
#define SB_FIELD_TLS "tls"
#define SB_FIELD_FILE "file"
/* events.subscribe {"history": true}; each kept event it replays carries "history": true */
#define SB_FIELD_HISTORY "history"
/* policy.validate: the live tunnels applying would close, and those it would keep unadmitted */
#define SB_FIELD_WOULD_CLOSE "would_close"
#define SB_FIELD_WOULD_KEEP "would_keep"
/*
 * connections.get: a connection's list fields, then its age and idle time,
 * "tls" ({version, cipher, sni, alpn}; null on plain), "subprotocol" and
 * "websocket" ({messages_up, messages_down, pings_up, pings_down, ping_rtt_ms};
 * null in other modes). "up" is from the client, "down" towards it.
 */
#define SB_FIELD_AGE_S "age_s"
#define SB_FIELD_IDLE_S "idle_s"
#define SB_FIELD_CIPHER "cipher"
#define SB_FIELD_SNI "sni"
#define SB_FIELD_ALPN "alpn"
#define SB_FIELD_SUBPROTOCOL "subprotocol"
#define SB_FIELD_WEBSOCKET "websocket"
#define SB_FIELD_MESSAGES_UP "messages_up"
#define SB_FIELD_MESSAGES_DOWN "messages_down"
#define SB_FIELD_PINGS_UP "pings_up"
#define SB_FIELD_PINGS_DOWN "pings_down"
#define SB_FIELD_PING_RTT_MS "ping_rtt_ms"
/*
 * backends.list: [{route, address, server, weight, backup, state: "up" | "down" |
 * "drain" | "maint", active, total, failures, last_check, last_error}]; the
 * address is what is connected to ("10.0.0.5:5900", "unix:/run/x.sock"), the
 * server as the policy wrote it (a name stands for each address it resolves to).
 */
#define SB_FIELD_ADDRESS "address"
#define SB_FIELD_SERVER "server"
#define SB_FIELD_WEIGHT "weight"
#define SB_FIELD_BACKUP "backup"
#define SB_FIELD_TOTAL "total"
#define SB_FIELD_FAILURES "failures"
#define SB_FIELD_LAST_CHECK "last_check"
#define SB_FIELD_LAST_ERROR "last_error"
/*
 * status: each TLS listener's "certificates": [{sni: [names] | null (the
 * default one), subject, not_after (RFC 3339), expires_in_s (negative once
 * expired), ocsp: "none" | "stapled" | "stale", ocsp_next_update (RFC 3339 or
 * null)}]. Clients warn SB_CERT_WARN_S ahead of not_after.
 */
#define SB_FIELD_CERTIFICATES "certificates"
#define SB_FIELD_SUBJECT "subject"
#define SB_FIELD_NOT_AFTER "not_after"
#define SB_FIELD_EXPIRES_IN_S "expires_in_s"
#define SB_FIELD_OCSP "ocsp"
#define SB_FIELD_OCSP_NEXT_UPDATE "ocsp_next_update"
#define SB_CERT_WARN_S (14 * 86400)
/*
 * daemon.takeover: {pid, version, sockets: [{kind: "listener", name, address} |
 * {kind: "metrics", address} | {kind: "control", path}]}, the i-th entry naming
 * the i-th descriptor passed.
 * daemon.drain: {takeover: true, control: true}.
 */
#define SB_FIELD_PID "pid"
#define SB_FIELD_SOCKETS "sockets"
#define SB_FIELD_KIND "kind"
#define SB_FIELD_TAKEOVER "takeover"
#define SB_FIELD_CONTROL "control"
#define SB_KIND_LISTENER "listener"
#define SB_KIND_CONTROL "control"
#define SB_KIND_METRICS "metrics"

/* "status" ... "events.subscribe"; NULL for a value out of range. */
const char *sb_control_method_name(enum sb_control_method method);
/* Looks a method up by its exact name. */
bool sb_control_method_lookup(const char *name, enum sb_control_method *out);

/* "connection.opened" ... "subscription.dropped"; NULL for a value out of range. */
const char *sb_control_event_name(enum sb_control_event event);
bool sb_control_event_lookup(const char *name, enum sb_control_event *out);

/* A readable message for a code ("Method not found"); a generic one for unknown codes. */
const char *sb_control_error_message(int code);

/*
 * Where the daemon listens and clients connect by default: $SWITCHBOARD_CONTROL
 * if set, else /run/switchboard/control.sock for uid 0, else
 * $XDG_RUNTIME_DIR/switchboard/control.sock, else /tmp/switchboard-UID/control.sock.
 * free() it.
 */
char *sb_control_default_socket(void);

/* Big enough for "-292275055-05-16T16:47:04.192Z" and every smaller year. */
#define SB_TIME_RFC3339_MAX 32

/* Writes unix_ms as RFC 3339 UTC with milliseconds: "2024-05-01T12:34:56.789Z". */
void sb_time_rfc3339(int64_t unix_ms, char out[SB_TIME_RFC3339_MAX]);
/*
 * Parses "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)" (a lowercase t or z,
 * or a space for the T, is accepted too) into unix milliseconds; the fraction is
 * truncated to milliseconds. Returns 0, or -1 for anything else.
 */
int sb_time_parse_rfc3339(const char *text, int64_t *unix_ms);
