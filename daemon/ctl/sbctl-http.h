/* sbctl-http.h - what probe speaks, as pure functions: URLs, the upgrade request, the answer's
 * head (the WebSocket handshake and frames are proto/'s) */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct sbctl_url {
	char *scheme;    /* "ws", "wss", "http" or "https" (lowercase) */
	bool tls;        /* wss, https */
	char *host;      /* without brackets: "example.org", "::1" */
	bool host_is_ip; /* an IPv4 or IPv6 literal: no SNI */
	char *port;      /* "443"; the scheme's default when the URL has none */
	bool default_port;
	char *target;    /* "/path?query"; "/" when the URL has no path */
};

/*
 * Parses scheme://host[:port][/path][?query][#fragment]. User info is
 * refused; a fragment is dropped. Returns 0, or -1 with *err set (free() it).
 */
int sbctl_url_parse(const char *text, struct sbctl_url *out, char **err);
void sbctl_url_clear(struct sbctl_url *u);

/*
 * The upgrade request: GET target, Host, then Connection: Upgrade and
 * Upgrade: token; with ws_key (for websocket) Sec-WebSocket-Key and
 * Sec-WebSocket-Version: 13 too. Every header in extra ("Name: value")
 * follows, and replaces the default of the same name. NULL with *err set when
 * an extra header is malformed.
 */
char *sbctl_build_request(const struct sbctl_url *u, const char *token, const char *ws_key,
    char *const *extra, size_t n_extra, char **err);

struct sbctl_header {
	char *name;
	char *value;
};

struct sbctl_head {
	int status;
	char *status_line; /* "HTTP/1.1 101 Switching Protocols" */
	struct sbctl_header *headers;
	size_t n_headers;
	size_t len; /* bytes of the head, its blank line included */
};

enum sbctl_head_parse {
	SBCTL_HEAD_INCOMPLETE,
	SBCTL_HEAD_OK,
	SBCTL_HEAD_INVALID,
};

/* Parses an HTTP/1.x response head at the start of buf (LF or CRLF line ends). */
enum sbctl_head_parse sbctl_head_parse(const char *buf, size_t len, struct sbctl_head *out);
void sbctl_head_clear(struct sbctl_head *h);
/* The first header of that name (case-insensitive); NULL when absent. */
const char *sbctl_head_get(const struct sbctl_head *h, const char *name);
