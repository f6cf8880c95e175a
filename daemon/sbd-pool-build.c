/* sbd-pool-build.c - from a route's "backend" to the targets its tunnels may connect to */
#include "sbd-pool-build.h"

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "sb-alloc.h"
#include "sbd-daemon.h"
#include "sbd-pool.h"
#include "sbd-resolve.h"

struct targets {
	struct sbd_target **items;
	size_t n, cap;
};

static void
add_target(struct sbd_daemon *d, struct targets *t, uint64_t gen, const char *route,
    const struct sb_server *s, const struct sockaddr *sa, socklen_t len, const char *text)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 4;
		t->items = sb_xrealloc(t->items, t->cap * sizeof *t->items);
	}
	t->items[t->n++] = sbd_pools_target(d->ctx.pools, gen, route, s, sa, len, text);
}

/* Every address a name resolves to, each once, in the resolver's order. */
static int
add_resolved(struct sbd_daemon *d, struct targets *t, uint64_t gen, const char *route,
    const struct sb_server *s, const char *path, struct sb_errors *errs)
{
	struct sbd_resolved_list list;
	int rc = sbd_resolve(s->hp.host, s->hp.port, &list);

	if (rc != 0) {
		sb_errors_add(errs, path, "cannot resolve %s: %s", s->hp.host, gai_strerror(rc));
		return -1;
	}
	for (size_t i = 0; i < list.n; i++)
		add_target(d, t, gen, route, s, (struct sockaddr *)&list.items[i].addr,
		    list.items[i].len, list.items[i].text);
	sbd_resolved_list_clear(&list);
	return 0;
}

static int
add_server(struct sbd_daemon *d, struct targets *t, uint64_t gen, const struct sb_policy *policy,
    const char *route, const struct sb_server *s, const char *path, struct sb_errors *errs)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char text[SBD_TARGET_TEXT_MAX];

	switch (s->kind) {
	case SB_SERVER_ECHO:
		sb_addr_format((struct sockaddr *)&d->echo_addr, text);
		add_target(d, t, gen, route, s, (struct sockaddr *)&d->echo_addr, d->echo_addr_len,
		    text);
		return 0;
	case SB_SERVER_UNIX: {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };
		char *file = sb_policy_resolve_path(policy, s->unix_path);
		int rc = 0;

		if (strlen(file) >= sizeof sun.sun_path) {
			sb_errors_add(errs, path, "UNIX socket path %s: longer than %zu bytes", file,
			    sizeof sun.sun_path - 1);
			rc = -1;
		} else {
			memcpy(sun.sun_path, file, strlen(file));
			snprintf(text, sizeof text, "unix:%s", file);
			add_target(d, t, gen, route, s, (struct sockaddr *)&sun, sizeof sun, text);
		}
		free(file);
		return rc;
	}
	case SB_SERVER_INET:
		break;
	}
	if (sb_hostport_to_sockaddr(&s->hp, &ss, &len) == 0) {
		sb_addr_format((struct sockaddr *)&ss, text);
		add_target(d, t, gen, route, s, (struct sockaddr *)&ss, len, text);
		return 0;
	}
	return add_resolved(d, t, gen, route, s, path, errs);
}

struct sbd_pool *
sbd_pool_build(struct sbd_daemon *d, const struct sb_policy *policy, size_t index, uint64_t gen,
    struct sb_errors *errs)
{
	const struct sb_route *r = &policy->routes[index];
	const struct sb_backend *b = &r->backend;
	struct targets t = { 0 };
	int rc = 0;

	for (size_t i = 0; i < b->n_servers; i++) {
		char path[96];

		if (b->form == SB_BACKEND_FORM_STRING)
			snprintf(path, sizeof path, "routes[%zu].backend", index);
		else if (b->form == SB_BACKEND_FORM_LIST)
			snprintf(path, sizeof path, "routes[%zu].backend[%zu]", index, i);
		else
			snprintf(path, sizeof path, "routes[%zu].backend.servers[%zu]", index, i);
		if (add_server(d, &t, gen, policy, r->name, &b->servers[i], path, errs) < 0)
			rc = -1;
	}
	if (rc < 0) {
		for (size_t i = 0; i < t.n; i++)
			sbd_target_unref(t.items[i]);
		free(t.items);
		return NULL;
	}
	return sbd_pool_new(b->balance, t.items, t.n);
}
