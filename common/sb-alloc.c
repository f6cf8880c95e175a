/* sb-alloc.c - allocation wrappers that abort on out-of-memory */
#include "sb-alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static _Noreturn void
out_of_memory(size_t size)
{
	char msg[96];
	int n = snprintf(msg, sizeof msg, "fatal: out of memory allocating %zu bytes\n", size);

	if (n > 0)
		(void)!write(STDERR_FILENO, msg, (size_t)n);
	abort();
}

void *
sb_xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (p == NULL)
		out_of_memory(size);
	return p;
}

void *
sb_xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL)
		out_of_memory(nmemb * size);
	return p;
}

void *
sb_xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);

	if (p == NULL)
		out_of_memory(size);
	return p;
}

char *
sb_xstrdup(const char *s)
{
	return s == NULL ? NULL : sb_xmemdup(s, strlen(s) + 1);
}

char *
sb_xstrndup(const char *s, size_t n)
{
	char *p = sb_xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void *
sb_xmemdup(const void *src, size_t n)
{
	void *p = sb_xmalloc(n);

	if (n > 0)
		memcpy(p, src, n);
	return p;
}

char *
sb_xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		out_of_memory(0);
	return s;
}

void
sb_free_secret(void *p, size_t n)
{
	if (p == NULL)
		return;
	explicit_bzero(p, n);
	free(p);
}
