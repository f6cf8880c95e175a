/* sb-policy-write.c - model -> canonical JSON; atomic save of a policy file */
#include "sb-policy.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sb-alloc.h"
#include "sb-path.h"
#include "sb-json.h"
#include "sb-policy-private.h"

static json_object *
pair_to_json(const struct sb_cert_pair *pair)
{
	json_object *o = json_object_new_object();

	sb_json_add_string(o, "cert", pair->cert);
	sb_json_add_string(o, "key", pair->key);
	sb_json_add_string(o, "ocsp", pair->ocsp);
	return o;
}

static json_object *
listener_tls_to_json(const struct sb_listener_tls *tls)
{
	json_object *o = pair_to_json(&tls->pair);

	if (tls->n_sni > 0) {
		json_object *arr = json_object_new_array_ext((int)tls->n_sni);

		for (size_t i = 0; i < tls->n_sni; i++) {
			json_object *sni = json_object_new_object();

			json_object_object_add(sni, "names",
			    sb_json_strings(tls->sni[i].names, tls->sni[i].n_names));
			sb_json_add_string(sni, "cert", tls->sni[i].pair.cert);
			sb_json_add_string(sni, "key", tls->sni[i].pair.key);
			sb_json_add_string(sni, "ocsp", tls->sni[i].pair.ocsp);
			json_object_array_add(arr, sni);
		}
		json_object_object_add(o, "sni", arr);
	}
	if (tls->client_auth != SB_CLIENT_AUTH_NONE)
		sb_json_add_string(o, "client_auth", sb_client_auth_names[tls->client_auth]);
	sb_json_add_string(o, "client_ca", tls->client_ca);
	if (tls->min_version != NULL && strcmp(tls->min_version, "1.2") != 0)
		sb_json_add_string(o, "min_version", tls->min_version);
	sb_json_add_string(o, "priority", tls->priority);
	return o;
}

static json_object *
cidrs_to_json(const struct sb_cidr *cidrs, size_t n)
{
	json_object *arr = json_object_new_array_ext((int)n);

	for (size_t i = 0; i < n; i++) {
		char text[SB_ADDR_TEXT_MAX];

		sb_cidr_format(&cidrs[i], text);
		json_object_array_add(arr, json_object_new_string(text));
	}
	return arr;
}

static json_object *
listener_to_json(const struct sb_listener *l)
{
	json_object *o = json_object_new_object();

	sb_json_add_string(o, "name", l->name);
	sb_json_add_string(o, "bind", l->bind);
	if (l->tls != NULL)
		json_object_object_add(o, "tls", listener_tls_to_json(l->tls));
	if (l->has_proxy_from) {
		json_object *proxy = json_object_new_object();

		json_object_object_add(proxy, "from", cidrs_to_json(l->proxy_from,
		    l->n_proxy_from));
		json_object_object_add(o, "proxy_protocol", proxy);
	} else if (l->proxy_protocol) {
		json_object_object_add(o, "proxy_protocol", json_object_new_boolean(true));
	}
	sb_json_add_int(o, "max_connections", l->max_connections, 0);
	return o;
}

static json_object *
match_to_json(const struct sb_match *m, enum sb_mode mode)
{
	json_object *o = json_object_new_object();
	bool implied = m->upgrade != NULL && (mode == SB_MODE_WEBSOCKET || mode == SB_MODE_H2C) &&
	    strcmp(m->upgrade, sb_mode_name(mode)) == 0;

	sb_json_add_string(o, "host", m->host);
	sb_json_add_string(o, "path", m->path);
	/* "websocket" and "h2c" are implied by the mode of the same name */
	if (!implied)
		sb_json_add_string(o, "upgrade", m->upgrade);
	if (m->n_subprotocols > 0)
		json_object_object_add(o, "subprotocols",
		    sb_json_strings(m->subprotocols, m->n_subprotocols));
	return o;
}

static json_object *
route_to_json(const struct sb_route *r)
{
	json_object *o = json_object_new_object();
	json_object *match = match_to_json(&r->match, r->mode);

	sb_json_add_string(o, "name", r->name);
	if (r->n_listeners > 0)
		json_object_object_add(o, "listeners",
		    sb_json_strings(r->listeners, r->n_listeners));
	if (json_object_object_length(match) > 0)
		json_object_object_add(o, "match", match);
	else
		json_object_put(match);
	sb_json_add_string(o, "mode", sb_mode_name(r->mode));
	json_object_object_add(o, "backend", sb_backend_to_json(&r->backend));
	if (r->tls != NULL)
		json_object_object_add(o, "tls", pair_to_json(r->tls));
	if (r->has_allow)
		json_object_object_add(o, "allow", cidrs_to_json(r->allow, r->n_allow));
	if (r->has_origins)
		json_object_object_add(o, "origins", sb_json_strings(r->origins, r->n_origins));
	sb_json_add_int(o, "max_connections", r->max_connections, 0);
	sb_json_add_int(o, "idle_timeout_s", r->idle_timeout_s, SB_DEFAULT_IDLE_TIMEOUT_S);
	if (r->proxy_protocol != SB_PROXY_NONE)
		sb_json_add_string(o, "proxy_protocol", sb_proxy_names[r->proxy_protocol]);
	if (r->on_policy_change != SB_ON_CHANGE_UNSET)
		sb_json_add_string(o, "on_policy_change", sb_on_change_names[r->on_policy_change]);
	sb_json_add_int(o, "ping_interval_s", r->ping_interval_s, 0);
	sb_json_add_int(o, "max_message_bytes", (int64_t)r->max_message_bytes, 0);
	if (r->text_messages)
		json_object_object_add(o, "text_messages", json_object_new_boolean(true));
	if (r->auth != NULL)
		json_object_object_add(o, "auth", sb_auth_to_json(r->auth));
	if (r->rate != NULL)
		json_object_object_add(o, "rate", sb_rate_to_json(r->rate));
	return o;
}

static json_object *
control_to_json(const struct sb_control *c)
{
	json_object *o = json_object_new_object();

	sb_json_add_string(o, "socket", c->socket);
	if (c->mode != SB_DEFAULT_CONTROL_MODE) {
		char mode[16];

		snprintf(mode, sizeof mode, "%04o", c->mode & 07777);
		sb_json_add_string(o, "mode", mode);
	}
	sb_json_add_string(o, "group", c->group);
	if (c->has_allow_uids) {
		json_object *arr = json_object_new_array_ext((int)c->n_allow_uids);

		for (size_t i = 0; i < c->n_allow_uids; i++)
			json_object_array_add(arr, json_object_new_int64(c->allow_uids[i]));
		json_object_object_add(o, "allow_uids", arr);
	}
	return o;
}

static json_object *
limits_to_json(const struct sb_limits *l)
{
	json_object *o = json_object_new_object();

	sb_json_add_int(o, "max_connections", l->max_connections, SB_DEFAULT_MAX_CONNECTIONS);
	sb_json_add_int(o, "max_per_ip", l->max_per_ip, SB_DEFAULT_MAX_PER_IP);
	sb_json_add_int(o, "ipv6_prefix", l->ipv6_prefix, SB_DEFAULT_IPV6_PREFIX);
	sb_json_add_int(o, "handshake_timeout_s", l->handshake_timeout_s, SB_DEFAULT_HANDSHAKE_TIMEOUT_S);
	sb_json_add_int(o, "connect_timeout_ms", l->connect_timeout_ms, SB_DEFAULT_CONNECT_TIMEOUT_MS);
	sb_json_add_int(o, "drain_timeout_s", l->drain_timeout_s, SB_DEFAULT_DRAIN_TIMEOUT_S);
	return o;
}

/* Adds child to obj under key, or drops it when it is an empty object. */
static void
add_unless_empty(json_object *obj, const char *key, json_object *child)
{
	if (json_object_object_length(child) > 0)
		json_object_object_add(obj, key, child);
	else
		json_object_put(child);
}

json_object *
sb_policy_to_json(const struct sb_policy *policy)
{
	json_object *o = json_object_new_object();
	json_object *arr = json_object_new_array_ext((int)policy->n_listeners);

	sb_json_add_string(o, "$schema", policy->schema); /* first, where editors look */
	json_object_object_add(o, "version", json_object_new_int(policy->version));
	for (size_t i = 0; i < policy->n_listeners; i++)
		json_object_array_add(arr, listener_to_json(&policy->listeners[i]));
	json_object_object_add(o, "listeners", arr);
	if (policy->n_routes > 0) {
		arr = json_object_new_array_ext((int)policy->n_routes);
		for (size_t i = 0; i < policy->n_routes; i++)
			json_object_array_add(arr, route_to_json(&policy->routes[i]));
		json_object_object_add(o, "routes", arr);
	}
	add_unless_empty(o, "control", control_to_json(&policy->control));
	add_unless_empty(o, "limits", limits_to_json(&policy->limits));
	if (policy->on_policy_change == SB_ON_CHANGE_CLOSE)
		sb_json_add_string(o, "on_policy_change", "close");
	sb_json_add_string(o, "metrics", policy->metrics);
	sb_json_add_string(o, "access_log", policy->access_log);
	return o;
}

char *
sb_policy_to_string(const struct sb_policy *policy)
{
	json_object *doc = sb_policy_to_json(policy);
	char *text = sb_json_to_pretty(doc);

	json_object_put(doc);
	return text;
}

static int
write_all(int fd, const char *text, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, text, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		text += n;
		len -= (size_t)n;
	}
	return 0;
}

/* "XXXXXX" as mkstemp fills it in: six characters from [A-Za-z0-9]. */
static bool
is_mkstemp_suffix(const char *s)
{
	if (strlen(s) != 6)
		return false;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s))
			return false;
	return true;
}

unsigned
sb_policy_remove_stale_temps(const char *file)
{
	const char *base = sb_path_base(file);
	char *dir = sb_path_dir(file);
	char *prefix = sb_xasprintf(".%s.", base);
	char *bak_prefix = sb_xasprintf(".%s.bak.", base);
	size_t plen = strlen(prefix), blen = strlen(bak_prefix);
	unsigned removed = 0;
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d != NULL && (de = readdir(d)) != NULL) {
		const char *name = de->d_name;
		bool stale = (strncmp(name, bak_prefix, blen) == 0 &&
		    is_mkstemp_suffix(name + blen)) ||
		    (strncmp(name, prefix, plen) == 0 && is_mkstemp_suffix(name + plen));

		if (stale && unlinkat(dirfd(d), name, 0) == 0)
			removed++;
	}
	if (d != NULL)
		closedir(d);
	free(bak_prefix);
	free(prefix);
	free(dir);
	return removed;
}

int
sb_policy_save_text(const char *file, const char *text)
{
	const char *base = sb_path_base(file);
	char *dir = sb_path_dir(file);
	char *tmp = sb_xasprintf("%s/.%s.XXXXXX", dir, base);
	char *bak = sb_xasprintf("%s.bak", file);
	char *bak_tmp = sb_xasprintf("%s/.%s.bak.XXXXXX", dir, base);
	int fd = -1, dfd = -1, saved, rc = -1;
	bool have_old = true;
	struct stat st;

	fd = mkstemp(tmp);
	if (fd < 0) {
		free(tmp);
		tmp = NULL;
		goto err;
	}
	if (stat(file, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			errno = EISDIR;
			goto err;
		}
		if (fchmod(fd, st.st_mode & 07777) < 0)
			goto err;
	} else if (errno == ENOENT) {
		have_old = false;
		if (fchmod(fd, 0644) < 0)
			goto err;
	} else {
		goto err;
	}
	if (write_all(fd, text, strlen(text)) < 0 || fsync(fd) < 0)
		goto err;
	if (close(fd) < 0) {
		fd = -1;
		goto err;
	}
	fd = -1;
	if (have_old) {
		/* FILE.bak is replaced in one step too: a fresh link, renamed over it */
		int bfd = mkstemp(bak_tmp);

		if (bfd < 0)
			goto err;
		close(bfd);
		if (unlink(bak_tmp) < 0 || link(file, bak_tmp) < 0 || rename(bak_tmp, bak) < 0) {
			saved = errno;
			unlink(bak_tmp);
			errno = saved;
			goto err;
		}
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || rename(tmp, file) < 0)
		goto err;
	free(tmp);
	tmp = NULL;
	if (fsync(dfd) < 0)
		goto err;
	rc = 0;

err:
	saved = errno;
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	if (tmp != NULL)
		unlink(tmp);
	free(dir);
	free(tmp);
	free(bak);
	free(bak_tmp);
	errno = saved;
	return rc;
}
