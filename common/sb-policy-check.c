/* sb-policy-check.c - semantic checks on a policy model: names, addresses, modes, files */
#include "sb-policy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "sb-alloc.h"
#include "sb-json.h"
#include "sb-policy-private.h"

#define NAME_MAX_LEN 64

static bool
name_is_valid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > NAME_MAX_LEN)
		return false;
	return strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") ==
	    len;
}

/* RFC 9110 token characters. */
static bool
is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool
token_is_valid(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (!is_tchar(*s))
			return false;
	}
	return true;
}

/* An Upgrade protocol: token ["/" token] (RFC 9110 section 7.8), or "*" for any. */
static bool
upgrade_is_valid(const char *s)
{
	const char *slash = strchr(s, '/');

	if (strcmp(s, "*") == 0)
		return true;
	if (slash == NULL)
		return token_is_valid(s);
	char *name = sb_xstrndup(s, (size_t)(slash - s));
	bool ok = token_is_valid(name) && token_is_valid(slash + 1);

	free(name);
	return ok;
}

/* "https://host[:port]" or "http://...": what browsers send in Origin. */
static bool
origin_is_valid(const char *origin)
{
	const char *rest, *close;
	struct sb_hostport hp;
	struct in6_addr a6;
	const char *why;
	char *inner;
	bool ok;

	if (strncmp(origin, "https://", 8) == 0)
		rest = origin + 8;
	else if (strncmp(origin, "http://", 7) == 0)
		rest = origin + 7;
	else
		return false;
	close = rest[0] == '[' ? strchr(rest, ']') : NULL;
	if (rest[0] == '[' && close == NULL)
		return false;
	if (close != NULL ? close[1] == ':' : strchr(rest, ':') != NULL) {
		if (strncmp(rest, "*:", 2) == 0 || sb_hostport_parse(rest, &hp, &why) < 0)
			return false;
		sb_hostport_clear(&hp);
		return true;
	}
	if (close == NULL)
		return sb_hostname_is_valid(rest);
	if (close[1] != '\0')
		return false;
	inner = sb_xstrndup(rest + 1, (size_t)(close - rest - 1));
	ok = inet_pton(AF_INET6, inner, &a6) == 1;
	free(inner);
	return ok;
}

static bool
path_is_valid_chars(const char *path)
{
	for (const unsigned char *p = (const unsigned char *)path; *p != '\0'; p++) {
		if (*p <= 0x20 || *p == 0x7f)
			return false;
	}
	return true;
}

/* A file the daemon must read: cert, key or CA bundle. Only regular files are opened. */
static void
check_file(struct sb_json_ctx *ctx, const struct sb_policy *p, const char *key,
    const char *path)
{
	char *full;
	struct stat st;
	int fd = -1;

	if (path == NULL)
		return;
	full = sb_policy_resolve_path(p, path);
	if (stat(full, &st) < 0)
		sb_json_error_at(ctx, key, "cannot read \"%s\": %s", path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		sb_json_error_at(ctx, key, "cannot read \"%s\": not a regular file", path);
	else if ((fd = open(full, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0)
		sb_json_error_at(ctx, key, "cannot read \"%s\": %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	free(full);
}

static void
check_pair(struct sb_json_ctx *ctx, const struct sb_policy *p, const struct sb_cert_pair *pair)
{
	check_file(ctx, p, "cert", pair->cert);
	check_file(ctx, p, "key", pair->key);
	check_file(ctx, p, "ocsp", pair->ocsp);
}

/*
 * A bind or metrics address: numeric host or "*", port 1..65535. Returns 0
 * with *ss filled when valid; otherwise reports at key.
 */
static int
check_bind(struct sb_json_ctx *ctx, const char *key, const char *text,
    struct sockaddr_storage *ss)
{
	struct sb_hostport hp;
	const char *why;
	socklen_t len;
	int rc;

	if (sb_hostport_parse(text, &hp, &why) < 0) {
		sb_json_error_at(ctx, key, "%s", why);
		return -1;
	}
	rc = sb_hostport_to_sockaddr(&hp, ss, &len);
	if (rc < 0)
		sb_json_error_at(ctx, key, "host must be a numeric address or \"*\"");
	sb_hostport_clear(&hp);
	return rc;
}

static bool
is_wildcard(const struct sockaddr_storage *ss)
{
	static const struct in6_addr any6 = IN6ADDR_ANY_INIT;

	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_addr.s_addr == htonl(INADDR_ANY);
	return memcmp(&((const struct sockaddr_in6 *)ss)->sin6_addr, &any6, sizeof any6) == 0;
}

/* 0: apart; 1: the same address; 2: one is the other's family wildcard on the same port. */
static int
binds_overlap(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	size_t len = a->ss_family == AF_INET ? sizeof(struct sockaddr_in) :
	    sizeof(struct sockaddr_in6);

	if (a->ss_family != b->ss_family)
		return 0;
	if (memcmp(a, b, len) == 0)
		return 1;
	if (((const struct sockaddr_in *)a)->sin_port != ((const struct sockaddr_in *)b)->sin_port)
		return 0;
	return is_wildcard(a) || is_wildcard(b) ? 2 : 0;
}

static void
check_listener_tls(struct sb_json_ctx *ctx, const struct sb_policy *p,
    const struct sb_listener_tls *tls)
{
	size_t mark = sb_json_push_key(ctx, "tls");

	check_pair(ctx, p, &tls->pair);
	for (size_t i = 0; i < tls->n_sni; i++) {
		const struct sb_sni *sni = &tls->sni[i];
		size_t sni_mark = sb_json_push_key(ctx, "sni");

		sb_json_push_index(ctx, i);
		if (sni->names != NULL && sni->n_names == 0)
			sb_json_error_at(ctx, "names", "must not be empty");
		for (size_t j = 0; j < sni->n_names; j++) {
			size_t names_mark = sb_json_push_key(ctx, "names");

			sb_json_push_index(ctx, j);
			if (!sb_host_pattern_is_valid(sni->names[j]))
				sb_json_error(ctx, "must be a host name or \"*.suffix\"");
			sb_json_pop(ctx, names_mark);
		}
		check_pair(ctx, p, &sni->pair);
		sb_json_pop(ctx, sni_mark);
	}
	if (tls->client_auth != SB_CLIENT_AUTH_NONE && tls->client_ca == NULL)
		sb_json_error_at(ctx, "client_ca", "is required when client_auth is \"%s\"",
		    sb_client_auth_names[tls->client_auth]);
	if (tls->client_auth == SB_CLIENT_AUTH_NONE && tls->client_ca != NULL)
		sb_json_error_at(ctx, "client_auth",
		    "must be \"request\" or \"require\" when client_ca is set");
	check_file(ctx, p, "client_ca", tls->client_ca);
	if (tls->min_version != NULL && strcmp(tls->min_version, "1.2") != 0 &&
	    strcmp(tls->min_version, "1.3") != 0)
		sb_json_error_at(ctx, "min_version", "must be \"1.2\" or \"1.3\"");
	sb_json_pop(ctx, mark);
}

#define NAME_RULE "must be 1..64 characters from A-Z a-z 0-9 . _ -"

/* Reports a bind that another listener (before index) already covers. */
static void
check_bind_unique(struct sb_json_ctx *ctx, const struct sb_policy *p,
    const struct sockaddr_storage *addrs, size_t index)
{
	for (size_t j = 0; j < index; j++) {
		int overlap = binds_overlap(&addrs[index], &addrs[j]);

		if (overlap == 1)
			sb_json_error_at(ctx, "bind", "already used by listeners[%zu]", j);
		else if (overlap == 2)
			sb_json_error_at(ctx, "bind", "overlaps listeners[%zu] (\"%s\")", j,
			    p->listeners[j].bind);
		if (overlap != 0)
			return;
	}
}

static void
check_listeners(struct sb_json_ctx *ctx, const struct sb_policy *p)
{
	struct sockaddr_storage *addrs = sb_xcalloc(p->n_listeners, sizeof *addrs);
	size_t mark = sb_json_push_key(ctx, "listeners");

	for (size_t i = 0; i < p->n_listeners; i++) {
		const struct sb_listener *l = &p->listeners[i];
		const struct sb_listener *first = l->name ? sb_policy_find_listener(p, l->name) : l;
		size_t elem = sb_json_push_index(ctx, i);

		if (l->name != NULL && !name_is_valid(l->name))
			sb_json_error_at(ctx, "name", NAME_RULE);
		if (first != l)
			sb_json_error_at(ctx, "name", "\"%s\" is already used by listeners[%zu]",
			    l->name, (size_t)(first - p->listeners));
		if (l->bind != NULL && check_bind(ctx, "bind", l->bind, &addrs[i]) == 0)
			check_bind_unique(ctx, p, addrs, i);
		else
			addrs[i].ss_family = AF_UNSPEC;
		if (l->tls != NULL)
			check_listener_tls(ctx, p, l->tls);
		sb_json_pop(ctx, elem);
	}
	sb_json_pop(ctx, mark);
	free(addrs);
}

/*
 * What the parser cannot see alone: the echo serves two modes only; a PROXY
 * header would have to precede the TLS handshake, which the connect does
 * before the tunnel could write it.
 */
static void
check_backend(struct sb_json_ctx *ctx, const struct sb_route *r)
{
	if (sb_backend_is_echo(&r->backend) && r->mode != SB_MODE_WEBSOCKET &&
	    r->mode != SB_MODE_TUNNEL)
		sb_json_error_at(ctx, "backend",
		    "\"builtin:echo\" serves only modes \"websocket\" and \"tunnel\"");
	if (r->backend.tls != NULL && r->proxy_protocol != SB_PROXY_NONE)
		sb_json_error_at(ctx, "proxy_protocol", "not supported with a TLS backend yet");
}

#define WEBSOCKET_ONLY "only allowed in mode \"websocket\""

/* match.upgrade against the mode; the parser has filled an omitted upgrade where it could. */
static void
check_mode(struct sb_json_ctx *ctx, const struct sb_route *r)
{
	const char *up = r->match.upgrade;
	size_t mark = sb_json_push_key(ctx, "match");

	if (up == NULL) {
		sb_json_error_at(ctx, "upgrade",
		    "is required unless mode is \"websocket\" or \"h2c\"");
	} else if (!upgrade_is_valid(up)) {
		sb_json_error_at(ctx, "upgrade",
		    "must be an upgrade token like \"websocket\" or \"TLS/1.0\", or \"*\"");
	} else if (r->mode != SB_MODE_TUNNEL && sb_mode_for_upgrade(up) != r->mode) {
		sb_json_error_at(ctx, "upgrade", "must be %s in mode \"%s\"",
		    r->mode == SB_MODE_TLS ? "\"TLS\" or \"TLS/x.y\"" :
		    r->mode == SB_MODE_H2C ? "\"h2c\"" : "\"websocket\"", sb_mode_name(r->mode));
	}
	if (r->match.n_subprotocols > 0 && (up == NULL || strcasecmp(up, "websocket") != 0))
		sb_json_error_at(ctx, "subprotocols",
		    "only allowed when match.upgrade is \"websocket\"");
	for (size_t i = 0; i < r->match.n_subprotocols; i++) {
		size_t sub = sb_json_push_key(ctx, "subprotocols");

		sb_json_push_index(ctx, i);
		if (!token_is_valid(r->match.subprotocols[i]))
			sb_json_error(ctx,
			    "must be a token (letters, digits and !#$%%&'*+-.^_`|~)");
		sb_json_pop(ctx, sub);
	}
	sb_json_pop(ctx, mark);
	if (r->mode != SB_MODE_WEBSOCKET && r->ping_interval_s != 0)
		sb_json_error_at(ctx, "ping_interval_s", WEBSOCKET_ONLY);
	if (r->mode != SB_MODE_WEBSOCKET && r->max_message_bytes != 0)
		sb_json_error_at(ctx, "max_message_bytes", WEBSOCKET_ONLY);
	if (r->mode != SB_MODE_WEBSOCKET && r->text_messages)
		sb_json_error_at(ctx, "text_messages", WEBSOCKET_ONLY);
}

/* A tls-mode route brings its own certificate and runs on plain listeners only. */
static void
check_route_tls(struct sb_json_ctx *ctx, const struct sb_policy *p, const struct sb_route *r)
{
	if (r->mode != SB_MODE_TLS) {
		if (r->tls != NULL)
			sb_json_error_at(ctx, "tls", "only allowed in mode \"tls\"");
		return;
	}
	if (r->tls == NULL) {
		sb_json_error_at(ctx, "tls", "is required in mode \"tls\"");
	} else {
		size_t mark = sb_json_push_key(ctx, "tls");

		check_pair(ctx, p, r->tls);
		sb_json_pop(ctx, mark);
	}
	if (r->n_listeners == 0) {
		for (size_t i = 0; i < p->n_listeners; i++) {
			if (p->listeners[i].tls != NULL && p->listeners[i].name != NULL) {
				sb_json_error_at(ctx, "listeners", "is required in mode \"tls\" "
				    "(listener \"%s\" has TLS; list plain ones)",
				    p->listeners[i].name);
				break;
			}
		}
		return;
	}
	for (size_t i = 0; i < r->n_listeners; i++) {
		const struct sb_listener *l = sb_policy_find_listener(p, r->listeners[i]);
		size_t mark = sb_json_push_key(ctx, "listeners");

		sb_json_push_index(ctx, i);
		if (l != NULL && l->tls != NULL)
			sb_json_error(ctx, "listener \"%s\" has TLS; mode \"tls\" needs a "
			    "plain listener", l->name);
		sb_json_pop(ctx, mark);
	}
}

/*
 * auth: its files readable (they are read when the policy is applied), the
 * subprotocol source on WebSocket routes only, client_cert on listeners that
 * ask for certificates; rate per identity only where there is one.
 */
static void
check_auth(struct sb_json_ctx *ctx, const struct sb_policy *p, const struct sb_route *r)
{
	const struct sb_auth *a = r->auth;
	size_t mark;

	if (a == NULL) {
		if (r->rate != NULL && r->rate->per_identity != NULL)
			sb_json_error_at(ctx, "rate", "per_identity needs auth");
		return;
	}
	mark = sb_json_push_key(ctx, "auth");
	check_file(ctx, p, "tokens", a->tokens);
	check_file(ctx, p, "basic", a->basic);
	if (a->jwt != NULL) {
		size_t jwt = sb_json_push_key(ctx, "jwt");

		check_file(ctx, p, "keys", a->jwt->keys);
		sb_json_pop(ctx, jwt);
	}
	for (size_t i = 0; i < a->n_from; i++) {
		if (a->from[i].kind == SB_CRED_SUBPROTOCOL && r->mode != SB_MODE_WEBSOCKET)
			sb_json_error_at(ctx, "from", "\"subprotocol\" is only allowed in mode "
			    "\"websocket\"");
	}
	for (size_t i = 0; a->client_cert != NULL && i < p->n_listeners; i++) {
		const struct sb_listener *l = &p->listeners[i];

		if (l->name == NULL || !sb_route_on_listener(r, l->name))
			continue;
		if (l->tls == NULL || l->tls->client_auth == SB_CLIENT_AUTH_NONE)
			sb_json_error_at(ctx, "client_cert", "listener \"%s\" asks for no client "
			    "certificate (tls.client_auth)", l->name);
	}
	sb_json_pop(ctx, mark);
}

static void
check_route(struct sb_json_ctx *ctx, const struct sb_policy *p, size_t index)
{
	const struct sb_route *r = &p->routes[index];

	const struct sb_route *first = r->name ? sb_policy_find_route(p, r->name) : r;

	if (r->name != NULL && !name_is_valid(r->name))
		sb_json_error_at(ctx, "name", NAME_RULE);
	if (first != r)
		sb_json_error_at(ctx, "name", "\"%s\" is already used by routes[%zu]", r->name,
		    (size_t)(first - p->routes));
	for (size_t i = 0; i < r->n_listeners; i++) {
		size_t mark = sb_json_push_key(ctx, "listeners");

		sb_json_push_index(ctx, i);
		if (sb_policy_find_listener(p, r->listeners[i]) == NULL)
			sb_json_error(ctx, "unknown listener \"%s\"", r->listeners[i]);
		for (size_t j = 0; j < i; j++) {
			if (strcmp(r->listeners[j], r->listeners[i]) == 0) {
				sb_json_error(ctx, "\"%s\" is already listed", r->listeners[i]);
				break;
			}
		}
		sb_json_pop(ctx, mark);
	}
	size_t mark = sb_json_push_key(ctx, "match");
	if (r->match.host != NULL && !sb_host_pattern_is_valid(r->match.host))
		sb_json_error_at(ctx, "host", "must be a host name or \"*.suffix\"");
	if (r->match.path != NULL && r->match.path[0] != '/')
		sb_json_error_at(ctx, "path", "must start with \"/\"");
	else if (r->match.path != NULL && !path_is_valid_chars(r->match.path))
		sb_json_error_at(ctx, "path", "must not contain spaces or control characters");
	sb_json_pop(ctx, mark);
	check_mode(ctx, r);
	check_backend(ctx, r);
	check_route_tls(ctx, p, r);
	check_auth(ctx, p, r);
	for (size_t i = 0; i < r->n_origins; i++) {
		size_t origins = sb_json_push_key(ctx, "origins");

		sb_json_push_index(ctx, i);
		if (!origin_is_valid(r->origins[i]))
			sb_json_error(ctx, "must be an origin like \"https://host[:port]\"");
		sb_json_pop(ctx, origins);
	}
}

static void
check_control(struct sb_json_ctx *ctx, const struct sb_control *c)
{
	struct sockaddr_un sun;
	size_t mark = sb_json_push_key(ctx, "control");

	if (c->socket != NULL && strlen(c->socket) >= sizeof sun.sun_path)
		sb_json_error_at(ctx, "socket",
		    "must be shorter than %zu bytes (a UNIX socket path)", sizeof sun.sun_path);
	if (c->mode > 07777)
		sb_json_error_at(ctx, "mode", "must be an octal string like \"0660\"");
	sb_json_pop(ctx, mark);
}

/* A listening address of its own, apart from every listener's. */
static void
check_metrics(struct sb_json_ctx *ctx, const struct sb_policy *p)
{
	struct sockaddr_storage ss, other;
	socklen_t len;

	if (check_bind(ctx, "metrics", p->metrics, &ss) < 0)
		return;
	for (size_t i = 0; i < p->n_listeners; i++) {
		const struct sb_hostport *hp = &p->listeners[i].bind_hp;

		if (hp->host == NULL || sb_hostport_to_sockaddr(hp, &other, &len) < 0)
			continue;
		if (binds_overlap(&ss, &other) != 0) {
			sb_json_error_at(ctx, "metrics", "overlaps listeners[%zu] (\"%s\")", i,
			    p->listeners[i].bind);
			return;
		}
	}
}

size_t
sb_policy_check(const struct sb_policy *policy, struct sb_errors *errs)
{
	size_t before = errs->count;
	struct sb_json_ctx ctx;

	sb_json_ctx_init(&ctx, errs);
	if (policy->version != 1)
		sb_json_error_at(&ctx, "version", "must be 1");
	check_listeners(&ctx, policy);
	for (size_t i = 0; i < policy->n_routes; i++) {
		size_t mark = sb_json_push_key(&ctx, "routes");

		sb_json_push_index(&ctx, i);
		check_route(&ctx, policy, i);
		sb_json_pop(&ctx, mark);
	}
	check_control(&ctx, &policy->control);
	if (policy->metrics != NULL)
		check_metrics(&ctx, policy);
	if (policy->access_log != NULL && policy->access_log[0] == '\0')
		sb_json_error_at(&ctx, "access_log", "must name a file");
	sb_json_ctx_clear(&ctx);
	return errs->count - before;
}

/* A bind on 127.0.0.0/8 or ::1 (also v4-mapped): only this machine can send to it. */
static bool
bind_is_loopback(const struct sb_hostport *hp)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (hp->host == NULL)
		return false;
	if (inet_pton(AF_INET, hp->host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, hp->host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6) ||
		    (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
	return false;
}

size_t
sb_policy_warnings(const struct sb_policy *policy, struct sb_errors *warnings)
{
	size_t before = warnings->count;
	struct sb_json_ctx ctx;

	sb_json_ctx_init(&ctx, warnings);
	for (size_t i = 0; i < policy->n_listeners; i++) {
		const struct sb_listener *l = &policy->listeners[i];
		size_t mark;

		if (!l->proxy_protocol || l->has_proxy_from || bind_is_loopback(&l->bind_hp))
			continue;
		mark = sb_json_push_key(&ctx, "listeners");
		sb_json_push_index(&ctx, i);
		sb_json_error_at(&ctx, "proxy_protocol", "true takes a PROXY header from any "
		    "sender on %s, so any client can claim any address; name the load balancers "
		    "with {\"from\": [\"10.0.0.0/8\"]}", l->bind);
		sb_json_pop(&ctx, mark);
	}
	sb_json_ctx_clear(&ctx);
	return warnings->count - before;
}
