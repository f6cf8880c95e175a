/* sbd-token-map.c - a TokenFile (or a folder of them): read, watched for changes, looked up */
#include "sbd-token-map.h"

#include <dirent.h>
#include <gnutls/gnutls.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "sb-alloc.h"
#include "sb-backend.h"
#include "sb-log.h"
#include "sb-path.h"
#include "sbd-authfile.h"
#include "sbd-file.h"
#include "sbd-pool.h"
#include "sbd-workers.h"

#define MAP_FILES_MAX  1024 /* files in a folder */
#define CHECK_EVERY_MS 1000

/* A token is kept as its SHA-256, and looked up in constant time: it is the key to its target. */
struct map_entry {
	uint8_t digest[32];
	struct sbd_target *target; /* a reference */
};

struct map {
	struct map_entry *items;
	size_t n;
};

/* The stamp of files that could not be listed: warned about once, until they can be. */
#define STAMP_UNLISTED 0

/*
 * Held by its route and by a re-read on the workers, which may outlive the
 * route (a reload, a stop): the last reference frees it.
 */
struct sbd_token_map {
	atomic_int refs;
	char *route;
	char *source;           /* the file or folder, absolute */
	pthread_mutex_t lock;
	struct map map;         /* under lock */
	uint64_t stamp;         /* under lock: of the files the map was read from */
	uint64_t checked_ms;    /* under lock: the last look for a change */
	bool reading;           /* under lock: a re-read is on the workers */
};

static void
map_clear(struct map *m)
{
	for (size_t i = 0; i < m->n; i++)
		sbd_target_unref(m->items[i].target);
	free(m->items);
	m->items = NULL;
	m->n = 0;
}

static uint64_t
mix(uint64_t h, uint64_t v)
{
	return (h ^ v) * 0x100000001b3ull;
}

static uint64_t
stat_mix(uint64_t h, const struct stat *st)
{
	h = mix(h, (uint64_t)st->st_ino);
	h = mix(h, (uint64_t)st->st_size);
	h = mix(h, (uint64_t)st->st_mtim.tv_sec);
	return mix(h, (uint64_t)st->st_mtim.tv_nsec);
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The files of the map: source itself, or the regular files of the folder
 * (names not starting with '.', in name order); *stamp sums up their state.
 * Returns -1 with *why.
 */
static int
list_files(const char *source, char ***out, size_t *n, uint64_t *stamp, const char **why)
{
	struct stat st;
	DIR *dir;
	struct dirent *de;
	char **files = NULL;
	size_t count = 0;

	*out = NULL;
	*n = 0;
	if (stat(source, &st) < 0) {
		*why = strerror(errno);
		return -1;
	}
	*stamp = stat_mix(0xcbf29ce484222325ull, &st);
	if (!S_ISDIR(st.st_mode)) {
		*out = sb_xcalloc(1, sizeof **out);
		(*out)[0] = sb_xstrdup(source);
		*n = 1;
		return 0;
	}
	if ((dir = opendir(source)) == NULL) {
		*why = strerror(errno);
		return -1;
	}
	files = sb_xcalloc(MAP_FILES_MAX, sizeof *files);
	while ((de = readdir(dir)) != NULL && count < MAP_FILES_MAX) {
		char *file;

		if (de->d_name[0] == '.')
			continue;
		file = sb_xasprintf("%s/%s", source, de->d_name);
		if (stat(file, &st) == 0 && S_ISREG(st.st_mode))
			files[count++] = file;
		else
			free(file);
	}
	closedir(dir);
	qsort(files, count, sizeof *files, by_name);
	for (size_t i = 0; i < count; i++) {
		if (stat(files[i], &st) == 0)
			*stamp = stat_mix(*stamp, &st);
	}
	*out = files;
	*n = count;
	return 0;
}

static void
free_files(char **files, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(files[i]);
	free(files);
}

/* The address of one entry's target; -1 with why (at most cap bytes). */
static int
target_addr(const char *file, const struct sb_server *s, struct sockaddr_storage *ss,
    socklen_t *len, char *text, char *why, size_t cap)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG };
	struct addrinfo *res = NULL;
	char port[8];
	int rc;

	if (s->kind == SB_SERVER_UNIX) {
		struct sockaddr_un *sun = (struct sockaddr_un *)ss;
		char *dir = sb_path_dir(file);
		char *path = s->unix_path[0] == '/' ? sb_xstrdup(s->unix_path) :
		    sb_xasprintf("%s/%s", dir, s->unix_path);

		free(dir);
		rc = strlen(path) < sizeof sun->sun_path ? 0 : -1;
		if (rc == 0) {
			memset(sun, 0, sizeof *sun);
			sun->sun_family = AF_UNIX;
			memcpy(sun->sun_path, path, strlen(path));
			*len = sizeof *sun;
			snprintf(text, SBD_TARGET_TEXT_MAX, "unix:%s", path);
		} else {
			snprintf(why, cap, "UNIX socket path %s is too long", path);
		}
		free(path);
		return rc;
	}
	if (s->kind != SB_SERVER_INET) {
		snprintf(why, cap, "a token's target is host:port or unix:/path");
		return -1;
	}
	if (sb_hostport_to_sockaddr(&s->hp, ss, len) == 0) {
		sb_addr_format((struct sockaddr *)ss, text);
		return 0;
	}
	/* a name: its first address, as websockify connects */
	snprintf(port, sizeof port, "%u", s->hp.port);
	rc = getaddrinfo(s->hp.host, port, &hints, &res);
	if (rc != 0 || res == NULL) {
		snprintf(why, cap, "cannot resolve %s: %s", s->hp.host, gai_strerror(rc));
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	sb_addr_format(res->ai_addr, text);
	freeaddrinfo(res);
	return 0;
}

/* One file's entries into m; -1 with why. */
static int
read_file(const char *route, const char *file, struct map *m, char *why, size_t cap)
{
	size_t len = 0, n = 0;
	const char *err_text;
	char *text = sbd_file_read(file, &len, &err_text);
	struct sbd_tokenmap_entry *entries = NULL;
	struct sbd_authfile_error err;
	int rc = 0;

	if (text == NULL) {
		snprintf(why, cap, "cannot read %s: %s", file, err_text);
		return -1;
	}
	if (sbd_tokenmap_parse(text, len, &entries, &n, &err) < 0) {
		snprintf(why, cap, "%s line %zu: %s", file, err.line, err.why);
		rc = -1;
	}
	m->items = sb_xrealloc(m->items, (m->n + n + 1) * sizeof *m->items);
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct sb_server s;
		struct sockaddr_storage ss;
		socklen_t sslen = 0;
		char addr_text[SBD_TARGET_TEXT_MAX], what[256];
		const char *bad;

		uint8_t digest[32];

		if (sbd_token_digest(entries[i].token, strlen(entries[i].token), digest) < 0) {
			snprintf(why, cap, "%s: SHA-256 is not available", file);
			rc = -1;
			break;
		}
		for (size_t j = 0; j < m->n && rc == 0; j++) {
			if (memcmp(m->items[j].digest, digest, sizeof digest) == 0) {
				snprintf(why, cap, "%s: a token is listed in two files", file);
				rc = -1;
			}
		}
		if (rc < 0)
			break;
		if (sb_server_parse_address(entries[i].target, &s, &bad) < 0) {
			snprintf(why, cap, "%s: target %s: %s", file, entries[i].target, bad);
			rc = -1;
			break;
		}
		if (target_addr(file, &s, &ss, &sslen, addr_text, what, sizeof what) < 0) {
			snprintf(why, cap, "%s: %s", file, what);
			rc = -1;
		} else {
			memcpy(m->items[m->n].digest, digest, sizeof digest);
			m->items[m->n].target = sbd_target_new(route, &s, (struct sockaddr *)&ss,
			    sslen, addr_text);
			m->n++;
		}
		sb_server_clear(&s);
	}
	sbd_tokenmap_entries_free(entries, n);
	sbd_file_wipe(text, len);
	return rc;
}

/* The whole map from source; -1 with why (and m empty). */
static int
load(const char *route, const char *source, struct map *m, uint64_t *stamp, char *why,
    size_t cap)
{
	char **files;
	size_t n;
	const char *err;
	int rc = 0;

	memset(m, 0, sizeof *m);
	if (list_files(source, &files, &n, stamp, &err) < 0) {
		snprintf(why, cap, "cannot read %s: %s", source, err);
		return -1;
	}
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = read_file(route, files[i], m, why, cap);
	free_files(files, n);
	if (rc < 0)
		map_clear(m);
	return rc;
}

struct sbd_token_map *
sbd_token_map_new(const struct sb_policy *p, const struct sb_route *r, const char *path,
    struct sb_errors *errs)
{
	struct sbd_token_map *m = sb_xcalloc(1, sizeof *m);
	char why[512];

	atomic_init(&m->refs, 1);
	m->route = sb_xstrdup(r->name);
	m->source = sb_policy_resolve_path(p, r->backend.token_map);
	pthread_mutex_init(&m->lock, NULL);
	if (load(m->route, m->source, &m->map, &m->stamp, why, sizeof why) < 0) {
		sb_errors_add(errs, path, "%s", why);
		sbd_token_map_free(m);
		return NULL;
	}
	return m;
}

static void
map_unref(struct sbd_token_map *m)
{
	if (atomic_fetch_sub(&m->refs, 1) != 1)
		return;
	map_clear(&m->map);
	pthread_mutex_destroy(&m->lock);
	free(m->route);
	free(m->source);
	free(m);
}

void
sbd_token_map_free(struct sbd_token_map *m)
{
	if (m != NULL)
		map_unref(m);
}

/* Under the lock: the re-read is over, with the files' stamp and a fresh map, or NULL. */
static void
reread_over(struct sbd_token_map *m, uint64_t stamp, struct map *fresh)
{
	struct map old = { 0 };

	pthread_mutex_lock(&m->lock);
	if (fresh != NULL) {
		old = m->map;
		m->map = *fresh;
	}
	m->stamp = stamp;
	m->reading = false;
	pthread_mutex_unlock(&m->lock);
	map_clear(&old); /* lookups in flight hold references to the targets they took */
}

/*
 * A worker: reads the files again when they changed, without the lock (files,
 * names to resolve), and puts the fresh map in place under it. Lookups go on
 * with the map before meanwhile.
 */
static void
reread_work(void *arg)
{
	struct sbd_token_map *m = arg;
	char **files;
	size_t n;
	uint64_t stamp, before;
	const char *err;
	struct map fresh;
	char why[512];

	pthread_mutex_lock(&m->lock);
	before = m->stamp;
	pthread_mutex_unlock(&m->lock);
	if (list_files(m->source, &files, &n, &stamp, &err) < 0) {
		if (before != STAMP_UNLISTED)
			sb_warn("route %s: token map %s: %s; the last one read stays", m->route,
			    m->source, err);
		reread_over(m, STAMP_UNLISTED, NULL);
		return;
	}
	free_files(files, n);
	if (stamp == before) {
		reread_over(m, stamp, NULL);
		return;
	}
	if (load(m->route, m->source, &fresh, &stamp, why, sizeof why) < 0) {
		sb_warn("route %s: token map: %s; the last one read stays", m->route, why);
		reread_over(m, stamp, NULL); /* not again until it changes again */
		return;
	}
	n = fresh.n;
	reread_over(m, stamp, &fresh);
	sb_info("route %s: token map %s read again: %zu tokens", m->route, m->source, n);
}

/* The loop that looked up: the job's reference goes. */
static void
reread_done(void *arg)
{
	map_unref(arg);
}

/* The pool stopped first: nothing was read. */
static void
reread_drop(void *arg)
{
	struct sbd_token_map *m = arg;

	pthread_mutex_lock(&m->lock);
	m->reading = false;
	pthread_mutex_unlock(&m->lock);
	map_unref(m);
}

/* A re-read on the workers, its done on loop; a full queue waits for the next check. */
static void
reread_submit(struct sbd_token_map *m, struct sbd_workers *workers, struct sbd_loop *loop)
{
	struct sbd_job job = { .work = reread_work, .done = reread_done, .drop = reread_drop,
	    .loop = loop, .arg = m };

	atomic_fetch_add(&m->refs, 1);
	if (sbd_workers_submit(workers, &job))
		return;
	sb_debug("route %s: token map: the workers are busy; looking again later", m->route);
	reread_drop(m);
}

struct sbd_target *
sbd_token_map_lookup(struct sbd_token_map *m, const char *token, uint64_t now_ms,
    struct sbd_workers *workers, struct sbd_loop *loop)
{
	struct sbd_target *found = NULL, *tg = NULL;
	uint8_t digest[32];
	bool due = false;

	if (sbd_token_digest(token, strlen(token), digest) < 0)
		return NULL;
	pthread_mutex_lock(&m->lock);
	if (workers != NULL && !m->reading && now_ms >= m->checked_ms + CHECK_EVERY_MS) {
		m->checked_ms = now_ms;
		m->reading = due = true;
	}
	/* every entry is compared: the time taken says nothing about the token */
	for (size_t i = 0; i < m->map.n; i++) {
		if (sbd_equal_ct(m->map.items[i].digest, digest, sizeof digest) && found == NULL)
			found = m->map.items[i].target;
	}
	if (found != NULL)
		tg = sbd_target_ref(found);
	pthread_mutex_unlock(&m->lock);
	gnutls_memset(digest, 0, sizeof digest);
	if (due)
		reread_submit(m, workers, loop);
	return tg;
}
