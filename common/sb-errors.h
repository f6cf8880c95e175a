/* sb-errors.h - a list of {JSON path, message} errors, as policy checks report them */
#pragma once

#include <stdio.h>
#include <stddef.h>

struct sb_error {
	char *path;    /* "routes[2].backend"; "" for the document itself */
	char *message; /* "port must be 1..65535" */
};

struct sb_errors {
	struct sb_error *items;
	size_t count;
	size_t cap;
};

#define SB_ERRORS_INIT { NULL, 0, 0 }

void sb_errors_add(struct sb_errors *errs, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void sb_errors_clear(struct sb_errors *errs);
/* Prints each error as "FILE: JSON.PATH: message\n" ("FILE: message" for an empty path). */
void sb_errors_print(const struct sb_errors *errs, const char *file, FILE *out);
