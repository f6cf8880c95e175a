/* sb-path.c - the folder of a path, and mkdir -p */
#include "sb-path.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

int
sb_mkdir_p(const char *dir, mode_t mode)
{
	char *p = sb_xstrdup(dir);
	int rc = 0;

	for (char *s = p + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		mkdir(p, 0755); /* an existing one is fine; the last mkdir says whether we got there */
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		rc = -1;
	free(p);
	return rc;
}
