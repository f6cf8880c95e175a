/* sbd-route.c - route choice: a well-formed request, then listener, host, path prefix, upgrade
 * token; then allow and origin */
#include "sbd-route.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sbd-http-head.h"

/* Where the request goes: its listener, its normalized host and its decoded path. */
struct place {
	const char *listener;
	const char *host;
	const char *path;
};

static bool
route_matches_place(const struct sb_route *r, const struct place *at)
{
	if (!sb_route_on_listener(r, at->listener))
		return false;
	if (r->match.host != NULL && (at->host == NULL || !sbd_host_matches(r->match.host, at->host)))
		return false;
	if (r->match.path != NULL && !sbd_path_has_prefix(at->path, r->match.path))
		return false;
	return true;
}

static bool
address_allowed(const struct sb_route *r, const struct sockaddr *sa)
{
	if (!r->has_allow)
		return true;
	for (size_t i = 0; i < r->n_allow; i++)
		if (sb_cidr_match(&r->allow[i], sa))
			return true;
	return false;
}

static bool
origin_allowed(const struct sb_route *r, const char *origin)
{
	if (!r->has_origins)
		return true;
	if (origin == NULL)
		return false;
	for (size_t i = 0; i < r->n_origins; i++)
		if (strcasecmp(r->origins[i], origin) == 0)
			return true;
	return false;
}

bool
sbd_route_admits(const struct sb_route *r, const char *listener, const struct sockaddr *client)
{
	return sb_route_on_listener(r, listener) && address_allowed(r, client);
}

/* Lists the protocols routed at this place, for the Upgrade header of a 426. */
static void
hint_tokens(const struct sb_policy *p, const struct place *at, struct sbd_verdict *v)
{
	size_t used = 0;

	v->upgrade_hint[0] = '\0';
	for (size_t i = 0; i < p->n_routes; i++) {
		const struct sb_route *r = &p->routes[i];
		const char *tok = r->match.upgrade;

		if (!route_matches_place(r, at) || tok == NULL || strcmp(tok, "*") == 0)
			continue;
		if (sbd_header_has_token(v->upgrade_hint, tok))
			continue; /* listed already: compare whole tokens, not substrings */
		int n = snprintf(v->upgrade_hint + used, sizeof v->upgrade_hint - used, "%s%s",
		    used ? ", " : "", tok);
		if (n < 0 || (size_t)n >= sizeof v->upgrade_hint - used) {
			v->upgrade_hint[used] = '\0';
			break;
		}
		used += (size_t)n;
	}
}

static void __attribute__((format(printf, 3, 4)))
refuse(struct sbd_verdict *v, int status, const char *fmt, ...)
{
	va_list ap;

	v->status = status;
	va_start(ap, fmt);
	vsnprintf(v->reason, sizeof v->reason, fmt, ap);
	va_end(ap);
}

/*
 * RFC 9112 and RFC 9110 as a strict server reads them: one Host (in HTTP/1.1
 * at least one), a clean head and clean fields, a path without dot-segments or
 * an encoded "/", which would let a client reach a path that no route's prefix
 * was meant to admit. Fills the place on success.
 */
static bool
well_formed(const struct sbd_route_query *q, char *host, size_t hostlen, struct place *at,
    char **path, struct sbd_verdict *v)
{
	const char *why = NULL;

	if (q->head_flaw != NULL) {
		refuse(v, 400, "%s", q->head_flaw);
		return false;
	}
	if (q->bad_field != NULL) {
		refuse(v, 400, "malformed header field %s", q->bad_field);
		return false;
	}
	if (q->host_count > 1) {
		refuse(v, 400, "more than one Host header");
		return false;
	}
	if (q->host == NULL && q->http11) {
		refuse(v, 400, "an HTTP/1.1 request needs a Host header");
		return false;
	}
	if (q->host != NULL && !sbd_host_normalize(q->host, host, hostlen)) {
		refuse(v, 400, "malformed Host header");
		return false;
	}
	*path = sbd_target_path(q->path, &why);
	if (*path == NULL) {
		refuse(v, 400, "%s", why);
		return false;
	}
	*at = (struct place){ q->listener, q->host != NULL ? host : NULL, *path };
	return true;
}

static void
decide_at(const struct sb_policy *p, const struct sbd_route_query *q, const struct place *at,
    struct sbd_verdict *v)
{
	struct sbd_token_list offered;
	bool any_place = false;

	for (size_t i = 0; i < p->n_routes && !any_place; i++)
		any_place = route_matches_place(&p->routes[i], at);
	if (!any_place) {
		refuse(v, 404, "no route for host %s path %s", at->host ? at->host : "(none)",
		    at->path);
		return;
	}

	bool wants_upgrade = q->upgrade != NULL && q->http11 &&
	    sbd_header_has_token(q->connection, "upgrade");
	if (!wants_upgrade) {
		hint_tokens(p, at, v);
		if (q->upgrade != NULL && !q->http11)
			refuse(v, 426, "upgrade requires HTTP/1.1");
		else if (q->upgrade != NULL)
			refuse(v, 426, "Connection header lacks the upgrade token");
		else
			refuse(v, 426, "upgrade required: %s", v->upgrade_hint[0] ? v->upgrade_hint :
			    "any protocol");
		return;
	}

	enum sbd_tokens_result tr = sbd_tokens_parse(q->upgrade, &offered);
	if (tr != SBD_TOKENS_OK) {
		refuse(v, 400, "%s", sbd_tokens_result_text(tr));
		return;
	}

	/* The client's order of preference first, then the policy's order. */
	for (size_t t = 0; t < offered.count; t++) {
		for (size_t i = 0; i < p->n_routes; i++) {
			const struct sb_route *r = &p->routes[i];

			if (!route_matches_place(r, at) || r->match.upgrade == NULL ||
			    !sbd_token_matches(r->match.upgrade, offered.items[t].text))
				continue;
			v->has_route = true;
			v->route = i;
			snprintf(v->token, sizeof v->token, "%s", offered.items[t].text);
			if (q->has_body && r->mode != SB_MODE_H2C) {
				refuse(v, 400, "an upgrade request must not carry a body");
				return;
			}
			if (!address_allowed(r, q->client)) {
				refuse(v, 403, "client address not allowed by route %s", r->name);
				return;
			}
			if (!origin_allowed(r, q->origin)) {
				if (q->origin != NULL)
					refuse(v, 403, "origin %s not allowed by route %s", q->origin,
					    r->name);
				else
					refuse(v, 403, "origin missing, required by route %s", r->name);
				return;
			}
			v->status = 101;
			snprintf(v->reason, sizeof v->reason, "route %s", r->name);
			return;
		}
	}
	hint_tokens(p, at, v);
	refuse(v, 426, "protocol %s is not routed here", q->upgrade);
}

void
sbd_route_decide(const struct sb_policy *p, const struct sbd_route_query *q,
    struct sbd_verdict *v)
{
	char host[256];
	char *path = NULL;
	struct place at;

	memset(v, 0, sizeof *v);
	if (well_formed(q, host, sizeof host, &at, &path, v))
		decide_at(p, q, &at, v);
	free(path);
}
