/*
 * sbtest-preload.c - LD_PRELOAD'ed into switchboardd by integration tests to make
 * calls fail that never fail on their own, one per variable of the environment:
 *   SBTEST_FAIL_PEERCRED=1   getsockopt(SO_PEERCRED) fails with EINVAL
 *   SBTEST_FAIL_SOCK_CHMOD=1 chmod() of a path ending in ".sock" fails with EPERM
 *   SBTEST_FAIL_HMAC_INIT=1  gnutls_hmac_init() fails (GNUTLS_E_MEMORY_ERROR)
 * and to answer getaddrinfo from a file the test rewrites while the daemon runs:
 *   SBTEST_HOSTS=FILE        lines "NAME ADDRESS..." (numeric, v4 or v6) or "NAME fail"
 *                            (EAI_NONAME), where a word "delay:MS" first makes the
 *                            answer slow; names not in FILE go to the real resolver
 */
#include <dlfcn.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* GnuTLS's own calls to it stay inside the library: only the daemon's are caught. */
int gnutls_hmac_init(void **handle, int algorithm, const void *key, size_t keylen);

int
gnutls_hmac_init(void **handle, int algorithm, const void *key, size_t keylen)
{
	static int (*real)(void **, int, const void *, size_t);

	if (wanted("SBTEST_FAIL_HMAC_INIT"))
		return -25; /* GNUTLS_E_MEMORY_ERROR */
	if (real == NULL)
		real = (int (*)(void **, int, const void *, size_t))dlsym(RTLD_NEXT,
		    "gnutls_hmac_init");
	return real(handle, algorithm, key, keylen);
}

typedef int getaddrinfo_fn(const char *, const char *, const struct addrinfo *,
    struct addrinfo **);

/*
 * The answer FILE gives for node: 1 with *res (each address as the real
 * resolver answers it, chained), 0 when FILE does not name node, -1 with *rc.
 */
static int
from_file(getaddrinfo_fn *real, const char *node, const char *service,
    const struct addrinfo *hints, struct addrinfo **res, int *rc)
{
	const char *path = getenv("SBTEST_HOSTS");
	char line[512];
	FILE *f;
	int found = 0;

	if (path == NULL || node == NULL || (f = fopen(path, "re")) == NULL)
		return 0;
	*res = NULL;
	*rc = EAI_NONAME;
	while (!found && fgets(line, sizeof line, f) != NULL) {
		struct addrinfo **tail = res;
		char *save = NULL, *word = strtok_r(line, " \t\r\n", &save);

		if (word == NULL || strcmp(word, node) != 0)
			continue;
		found = -1;
		while ((word = strtok_r(NULL, " \t\r\n", &save)) != NULL) {
			struct addrinfo h = hints ? *hints : (struct addrinfo){ 0 };
			struct addrinfo *one = NULL;

			if (strcmp(word, "fail") == 0)
				break;
			if (strncmp(word, "delay:", 6) == 0) {
				usleep((useconds_t)atoi(word + 6) * 1000);
				continue;
			}
			h.ai_flags = (h.ai_flags & ~AI_ADDRCONFIG) | AI_NUMERICHOST;
			if (real(word, service, &h, &one) != 0)
				continue;
			*tail = one;
			while (*tail != NULL)
				tail = &(*tail)->ai_next;
			found = 1;
		}
	}
	fclose(f);
	return found;
}

int
getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
    struct addrinfo **res)
{
	static getaddrinfo_fn *real;
	int rc = 0;

	if (real == NULL)
		real = (getaddrinfo_fn *)dlsym(RTLD_NEXT, "getaddrinfo");
	switch (from_file(real, node, service, hints, res, &rc)) {
	case 1:
		return 0;
	case -1:
		return rc;
	default:
		return real(node, service, hints, res);
	}
}
