/* sb-path.c - the folder of a path; folders checked from / down before we trust them */
#include "sb-path.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sb-alloc.h"

char *
sb_path_dir(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return sb_xstrdup(".");
	return sb_xstrndup(path, slash == path ? 1 : (size_t)(slash - path));
}

const char *
sb_path_base(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

/*
 * Whether a folder (or, with is_link, a symbolic link) is safe where it
 * stands; else why says what is wrong. last: the folder asked for itself.
 */
static bool
is_trusted(const struct stat *st, bool last, bool is_link, char *why, size_t whylen)
{
	uid_t me = geteuid();

	if (st->st_uid != me && st->st_uid != 0) {
		snprintf(why, whylen, "%sowned by uid %lu, not %lu", is_link ? "a symbolic link " : "",
		    (unsigned long)st->st_uid, (unsigned long)me);
		return false;
	}
	if (is_link || (st->st_mode & (S_IWGRP | S_IWOTH)) == 0)
		return true;
	if (!last && (st->st_mode & S_ISVTX) && st->st_uid == 0)
		return true; /* like /tmp: others may add entries, not replace ours */
	snprintf(why, whylen, "writable by %s (mode %04o)",
	    (st->st_mode & S_IWOTH) ? "others" : "its group", (unsigned)(st->st_mode & 07777));
	return false;
}

/* The next folder, name, below the trusted folder fd; -1 with why on failure. */
static int
open_below(int fd, const char *name, bool last, mode_t mode, char *why, size_t whylen)
{
	const int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
	struct stat st;
	int next = openat(fd, name, flags | O_NOFOLLOW);

	if (next < 0 && errno == ENOENT && mode != 0) {
		if (mkdirat(fd, name, last ? mode : 0755) < 0 && errno != EEXIST) {
			snprintf(why, whylen, "cannot create it: %s", strerror(errno));
			return -1;
		}
		next = openat(fd, name, flags | O_NOFOLLOW);
	}
	int err = errno;

	if (next < 0 && (err == ELOOP || err == ENOTDIR) &&
	    fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
		if (last) {
			snprintf(why, whylen, "is a symbolic link");
			errno = ELOOP;
			return -1;
		}
		if (!is_trusted(&st, false, true, why, whylen)) {
			errno = EPERM;
			return -1;
		}
		next = openat(fd, name, flags);
		err = errno;
	}
	if (next < 0) {
		snprintf(why, whylen, "%s", err == ENOTDIR ? "not a folder" : strerror(err));
		errno = err;
		return -1;
	}
	if (fstat(next, &st) < 0 || !is_trusted(&st, last, false, why, whylen)) {
		close(next);
		errno = EPERM;
		return -1;
	}
	return next;
}

int
sb_dir_open_trusted(const char *dir, mode_t mode, char *why, size_t whylen)
{
	char *path = NULL, *save = NULL, *name;
	char cwd[4096];
	struct stat st;
	int fd = -1;

	if (dir[0] == '/') {
		path = sb_xstrdup(dir);
	} else if (getcwd(cwd, sizeof cwd) != NULL) {
		path = sb_xasprintf("%s/%s", cwd, dir);
	} else {
		snprintf(why, whylen, "current folder: %s", strerror(errno));
		return -1;
	}
	fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || !is_trusted(&st, false, false, why, whylen)) {
		if (fd >= 0)
			close(fd);
		free(path);
		return -1;
	}
	/* What was walked so far, to name a folder above dir that fails. */
	size_t walked = 0;
	char *copy = sb_xstrdup(path);

	for (name = strtok_r(copy, "/", &save); name != NULL; name = strtok_r(NULL, "/", &save)) {
		const char *rest = save != NULL ? save + strspn(save, "/") : "";
		bool last = *rest == '\0';
		char inner[256];
		int next;

		walked = (size_t)(name - copy) + strlen(name);
		if (strcmp(name, ".") == 0 && !last)
			continue;
		next = open_below(fd, name, last, mode, inner, sizeof inner);
		close(fd);
		fd = next;
		if (fd < 0) {
			if (last)
				snprintf(why, whylen, "%s", inner);
			else
				snprintf(why, whylen, "%.*s: %s", (int)walked, path, inner);
			break;
		}
	}
	free(copy);
	free(path);
	return fd;
}
