/* sb-policy.c - the policy model: defaults, free, lookups, comparison */
#include "sb-policy.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sb-alloc.h"
#include "sb-policy-private.h"

static const char *const mode_names[] = {
	[SB_MODE_TUNNEL] = "tunnel",
	[SB_MODE_WEBSOCKET] = "websocket",
	[SB_MODE_H2C] = "h2c",
	[SB_MODE_TLS] = "tls",
};

const char *const sb_on_change_names[] = { "", "keep", "close", NULL };
const char *const sb_client_auth_names[] = { "none", "request", "require", NULL };
const char *const sb_proxy_names[] = { "", "v1", "v2", NULL };

const char *
sb_mode_name(enum sb_mode mode)
{
	if ((size_t)mode >= sizeof mode_names / sizeof mode_names[0])
		return "unknown";
	return mode_names[mode];
}

int
sb_mode_from_name(const char *name, enum sb_mode *out)
{
	for (size_t i = 0; i < sizeof mode_names / sizeof mode_names[0]; i++) {
		if (strcmp(name, mode_names[i]) == 0) {
			*out = (enum sb_mode)i;
			return 0;
		}
	}
	return -1;
}

enum sb_mode
sb_mode_for_upgrade(const char *token)
{
	if (token == NULL)
		return SB_MODE_TUNNEL;
	if (strcasecmp(token, "websocket") == 0)
		return SB_MODE_WEBSOCKET;
	if (strcasecmp(token, "h2c") == 0)
		return SB_MODE_H2C;
	if (strcasecmp(token, "TLS") == 0 || strncasecmp(token, "TLS/", 4) == 0)
		return SB_MODE_TLS;
	return SB_MODE_TUNNEL;
}

struct sb_policy *
sb_policy_new(void)
{
	struct sb_policy *p = sb_xcalloc(1, sizeof *p);

	p->version = 1;
	p->control.mode = SB_DEFAULT_CONTROL_MODE;
	p->limits.max_connections = SB_DEFAULT_MAX_CONNECTIONS;
	p->limits.max_per_ip = SB_DEFAULT_MAX_PER_IP;
	p->limits.ipv6_prefix = SB_DEFAULT_IPV6_PREFIX;
	p->limits.handshake_timeout_s = SB_DEFAULT_HANDSHAKE_TIMEOUT_S;
	p->limits.connect_timeout_ms = SB_DEFAULT_CONNECT_TIMEOUT_MS;
	p->limits.drain_timeout_s = SB_DEFAULT_DRAIN_TIMEOUT_S;
	p->on_policy_change = SB_ON_CHANGE_KEEP;
	return p;
}

static void
free_strings(char **items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(items[i]);
	free(items);
}

static void
free_pair(struct sb_cert_pair *pair)
{
	free(pair->cert);
	free(pair->key);
	free(pair->ocsp);
}

static void
free_listener(struct sb_listener *l)
{
	free(l->name);
	free(l->bind);
	sb_hostport_clear(&l->bind_hp);
	free(l->proxy_from);
	if (l->tls != NULL) {
		free_pair(&l->tls->pair);
		for (size_t i = 0; i < l->tls->n_sni; i++) {
			free_strings(l->tls->sni[i].names, l->tls->sni[i].n_names);
			free_pair(&l->tls->sni[i].pair);
		}
		free(l->tls->sni);
		free(l->tls->client_ca);
		free(l->tls->min_version);
		free(l->tls->priority);
		free(l->tls);
	}
}

static void
free_route(struct sb_route *r)
{
	free(r->name);
	free_strings(r->listeners, r->n_listeners);
	free(r->match.host);
	free(r->match.path);
	free(r->match.upgrade);
	free_strings(r->match.subprotocols, r->match.n_subprotocols);
	sb_backend_clear(&r->backend);
	free(r->allow);
	free_strings(r->origins, r->n_origins);
	if (r->tls != NULL) {
		free_pair(r->tls);
		free(r->tls);
	}
	sb_auth_free(r->auth);
	sb_rate_free(r->rate);
}

void
sb_policy_free(struct sb_policy *policy)
{
	if (policy == NULL)
		return;
	for (size_t i = 0; i < policy->n_listeners; i++)
		free_listener(&policy->listeners[i]);
	free(policy->listeners);
	for (size_t i = 0; i < policy->n_routes; i++)
		free_route(&policy->routes[i]);
	free(policy->routes);
	free(policy->control.socket);
	free(policy->control.group);
	free(policy->control.allow_uids);
	free(policy->metrics);
	free(policy->access_log);
	free(policy->schema);
	free(policy->base_dir);
	free(policy);
}

char *
sb_policy_resolve_path(const struct sb_policy *policy, const char *path)
{
	if (path[0] == '/' || policy->base_dir == NULL || policy->base_dir[0] == '\0')
		return sb_xstrdup(path);
	return sb_xasprintf("%s/%s", policy->base_dir, path);
}

const struct sb_listener *
sb_policy_find_listener(const struct sb_policy *policy, const char *name)
{
	for (size_t i = 0; i < policy->n_listeners; i++) {
		const struct sb_listener *l = &policy->listeners[i];

		if (l->name != NULL && strcmp(l->name, name) == 0)
			return l;
	}
	return NULL;
}

const struct sb_route *
sb_policy_find_route(const struct sb_policy *policy, const char *name)
{
	for (size_t i = 0; i < policy->n_routes; i++) {
		if (policy->routes[i].name != NULL && strcmp(policy->routes[i].name, name) == 0)
			return &policy->routes[i];
	}
	return NULL;
}

bool
sb_route_on_listener(const struct sb_route *route, const char *listener)
{
	if (route->n_listeners == 0)
		return true;
	for (size_t i = 0; i < route->n_listeners; i++) {
		if (strcmp(route->listeners[i], listener) == 0)
			return true;
	}
	return false;
}

enum sb_on_change
sb_route_on_change(const struct sb_policy *policy, const struct sb_route *route)
{
	if (route->on_policy_change != SB_ON_CHANGE_UNSET)
		return route->on_policy_change;
	if (policy->on_policy_change != SB_ON_CHANGE_UNSET)
		return policy->on_policy_change;
	return SB_ON_CHANGE_KEEP;
}

/* Comparison: NULL equals only NULL. */
static bool
str_eq(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Host names and upgrade tokens compare case-insensitively. */
static bool
str_case_eq(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcasecmp(a, b) == 0);
}

static bool
strings_eq(char *const *a, size_t na, char *const *b, size_t nb, bool nocase)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++) {
		if (!(nocase ? str_case_eq(a[i], b[i]) : str_eq(a[i], b[i])))
			return false;
	}
	return true;
}

static bool
pair_eq(const struct sb_cert_pair *a, const struct sb_cert_pair *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return str_eq(a->cert, b->cert) && str_eq(a->key, b->key) && str_eq(a->ocsp, b->ocsp);
}

static bool
hostport_eq(const struct sb_hostport *a, const struct sb_hostport *b)
{
	return str_eq(a->host, b->host) && a->port == b->port;
}

static bool
tls_eq(const struct sb_listener_tls *a, const struct sb_listener_tls *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	if (!pair_eq(&a->pair, &b->pair) || a->n_sni != b->n_sni ||
	    a->client_auth != b->client_auth || !str_eq(a->client_ca, b->client_ca) ||
	    !str_eq(a->min_version, b->min_version) || !str_eq(a->priority, b->priority))
		return false;
	for (size_t i = 0; i < a->n_sni; i++) {
		if (!strings_eq(a->sni[i].names, a->sni[i].n_names, b->sni[i].names,
		    b->sni[i].n_names, true) || !pair_eq(&a->sni[i].pair, &b->sni[i].pair))
			return false;
	}
	return true;
}

static bool
cidr_eq(const struct sb_cidr *a, const struct sb_cidr *b)
{
	size_t len = a->family == AF_INET ? 4 : 16;

	return a->family == b->family && a->prefix == b->prefix &&
	    memcmp(a->addr, b->addr, len) == 0;
}

static bool
cidrs_eq(const struct sb_cidr *a, size_t na, const struct sb_cidr *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++) {
		if (!cidr_eq(&a[i], &b[i]))
			return false;
	}
	return true;
}

static bool
listener_eq(const struct sb_listener *a, const struct sb_listener *b)
{
	return str_eq(a->name, b->name) && str_eq(a->bind, b->bind) &&
	    hostport_eq(&a->bind_hp, &b->bind_hp) && tls_eq(a->tls, b->tls) &&
	    a->proxy_protocol == b->proxy_protocol && a->has_proxy_from == b->has_proxy_from &&
	    cidrs_eq(a->proxy_from, a->n_proxy_from, b->proxy_from, b->n_proxy_from) &&
	    a->max_connections == b->max_connections;
}

static bool
route_eq(const struct sb_route *a, const struct sb_route *b)
{
	if (!str_eq(a->name, b->name) ||
	    !strings_eq(a->listeners, a->n_listeners, b->listeners, b->n_listeners, false) ||
	    !str_case_eq(a->match.host, b->match.host) || !str_eq(a->match.path, b->match.path) ||
	    !str_case_eq(a->match.upgrade, b->match.upgrade) ||
	    !strings_eq(a->match.subprotocols, a->match.n_subprotocols, b->match.subprotocols,
	    b->match.n_subprotocols, false) ||
	    a->mode != b->mode || !sb_backend_equal(&a->backend, &b->backend) ||
	    a->has_allow != b->has_allow ||
	    a->n_allow != b->n_allow || a->has_origins != b->has_origins ||
	    !strings_eq(a->origins, a->n_origins, b->origins, b->n_origins, false) ||
	    a->max_connections != b->max_connections || a->idle_timeout_s != b->idle_timeout_s ||
	    a->proxy_protocol != b->proxy_protocol || a->on_policy_change != b->on_policy_change ||
	    a->ping_interval_s != b->ping_interval_s ||
	    a->max_message_bytes != b->max_message_bytes || a->text_messages != b->text_messages ||
	    !pair_eq(a->tls, b->tls) || !sb_auth_equal(a->auth, b->auth) ||
	    !sb_rate_equal(a->rate, b->rate))
		return false;
	return cidrs_eq(a->allow, a->n_allow, b->allow, b->n_allow);
}

static bool
control_eq(const struct sb_control *a, const struct sb_control *b)
{
	return str_eq(a->socket, b->socket) && a->mode == b->mode && str_eq(a->group, b->group) &&
	    a->has_allow_uids == b->has_allow_uids && a->n_allow_uids == b->n_allow_uids &&
	    (a->n_allow_uids == 0 ||
	    memcmp(a->allow_uids, b->allow_uids, a->n_allow_uids * sizeof *a->allow_uids) == 0);
}

bool
sb_policy_equal(const struct sb_policy *a, const struct sb_policy *b)
{
	if (a->version != b->version || a->n_listeners != b->n_listeners ||
	    a->n_routes != b->n_routes || !control_eq(&a->control, &b->control) ||
	    memcmp(&a->limits, &b->limits, sizeof a->limits) != 0 ||
	    a->on_policy_change != b->on_policy_change || !str_eq(a->metrics, b->metrics) ||
	    !str_eq(a->access_log, b->access_log) || !str_eq(a->schema, b->schema))
		return false;
	for (size_t i = 0; i < a->n_listeners; i++) {
		if (!listener_eq(&a->listeners[i], &b->listeners[i]))
			return false;
	}
	for (size_t i = 0; i < a->n_routes; i++) {
		if (!route_eq(&a->routes[i], &b->routes[i]))
			return false;
	}
	return true;
}
