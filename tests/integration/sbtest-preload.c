/*
 * sbtest-preload.c - LD_PRELOAD'ed into switchboardd by integration tests to make
 * calls fail that never fail on their own, one per variable of the environment:
 *   SBTEST_FAIL_PEERCRED=1   getsockopt(SO_PEERCRED) fails with EINVAL
 *   SBTEST_FAIL_SOCK_CHMOD=1 chmod() of a path ending in ".sock" fails with EPERM
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

static int
wanted(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && strcmp(v, "1") == 0;
}

int
getsockopt(int fd, int level, int name, void *value, socklen_t *len)
{
	static int (*real)(int, int, int, void *, socklen_t *);

	if (level == SOL_SOCKET && name == SO_PEERCRED && wanted("SBTEST_FAIL_PEERCRED")) {
		errno = EINVAL;
		return -1;
	}
	if (real == NULL)
		real = (int (*)(int, int, int, void *, socklen_t *))dlsym(RTLD_NEXT, "getsockopt");
	return real(fd, level, name, value, len);
}

int
chmod(const char *path, mode_t mode)
{
	static int (*real)(const char *, mode_t);
	size_t n = strlen(path);

	if (n >= 5 && strcmp(path + n - 5, ".sock") == 0 && wanted("SBTEST_FAIL_SOCK_CHMOD")) {
		errno = EPERM;
		return -1;
	}
	if (real == NULL)
		real = (int (*)(const char *, mode_t))dlsym(RTLD_NEXT, "chmod");
	return real(path, mode);
}
