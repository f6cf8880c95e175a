/* sb-errors.c - a list of {JSON path, message} errors */
#include "sb-errors.h"

#include <stdarg.h>
#include <stdlib.h>

#include "sb-alloc.h"

void
sb_errors_add(struct sb_errors *errs, const char *path, const char *fmt, ...)
{
	va_list ap;
	char *message = NULL;

	va_start(ap, fmt);
	if (vasprintf(&message, fmt, ap) < 0)
		message = NULL;
	va_end(ap);
	if (message == NULL)
		message = sb_xstrdup("out of memory formatting an error");

	if (errs->count == errs->cap) {
		errs->cap = errs->cap ? errs->cap * 2 : 8;
		errs->items = sb_xrealloc(errs->items, errs->cap * sizeof *errs->items);
	}
	errs->items[errs->count].path = sb_xstrdup(path ? path : "");
	errs->items[errs->count].message = message;
	errs->count++;
}

void
sb_errors_clear(struct sb_errors *errs)
{
	for (size_t i = 0; i < errs->count; i++) {
		free(errs->items[i].path);
		free(errs->items[i].message);
	}
	free(errs->items);
	errs->items = NULL;
	errs->count = 0;
	errs->cap = 0;
}

void
sb_errors_print(const struct sb_errors *errs, const char *file, FILE *out)
{
	for (size_t i = 0; i < errs->count; i++) {
		const struct sb_error *e = &errs->items[i];

		if (file != NULL)
			fprintf(out, "%s: ", file);
		if (e->path[0] != '\0')
			fprintf(out, "%s: ", e->path);
		fprintf(out, "%s\n", e->message);
	}
}
