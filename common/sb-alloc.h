/* sb-alloc.h - the one allocation policy: running out of memory is fatal, here */
#pragma once

#include <stddef.h>

void *sb_xmalloc(size_t size);
void *sb_xcalloc(size_t nmemb, size_t size);
void *sb_xrealloc(void *ptr, size_t size);
char *sb_xstrdup(const char *s);
char *sb_xstrndup(const char *s, size_t n);
void *sb_xmemdup(const void *p, size_t n);
char *sb_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Wipes then frees a secret (key material, tokens). */
void sb_free_secret(void *p, size_t n);
