/* test-errors.c - the error list and its "FILE: JSON.PATH: message" lines */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>

#include "sb-errors.h"

static char *
print(const struct sb_errors *errs, const char *file)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	g_assert_nonnull(f);
	sb_errors_print(errs, file, f);
	fclose(f);
	return text;
}

static void
test_add_print(void)
{
	struct sb_errors errs = SB_ERRORS_INIT;
	char *text;

	sb_errors_add(&errs, "routes[2].backend", "port must be %d..%d", 1, 65535);
	sb_errors_add(&errs, "", "invalid JSON at line %d, column %d: %s", 3, 7,
	    "unexpected character");
	sb_errors_add(&errs, NULL, "no path");
	g_assert_cmpuint(errs.count, ==, 3);
	g_assert_cmpstr(errs.items[0].path, ==, "routes[2].backend");
	g_assert_cmpstr(errs.items[0].message, ==, "port must be 1..65535");
	g_assert_cmpstr(errs.items[2].path, ==, "");

	text = print(&errs, "policy.json");
	g_assert_cmpstr(text, ==,
	    "policy.json: routes[2].backend: port must be 1..65535\n"
	    "policy.json: invalid JSON at line 3, column 7: unexpected character\n"
	    "policy.json: no path\n");
	free(text);

	text = print(&errs, NULL);
	g_assert_cmpstr(text, ==,
	    "routes[2].backend: port must be 1..65535\n"
	    "invalid JSON at line 3, column 7: unexpected character\n"
	    "no path\n");
	free(text);

	sb_errors_clear(&errs);
	g_assert_cmpuint(errs.count, ==, 0);
	g_assert_null(errs.items);
	text = print(&errs, "policy.json");
	g_assert_cmpstr(text, ==, "");
	free(text);
}

static void
test_many(void)
{
	struct sb_errors errs = SB_ERRORS_INIT;

	for (int i = 0; i < 1000; i++)
		sb_errors_add(&errs, "listeners", "error %d", i);
	g_assert_cmpuint(errs.count, ==, 1000);
	g_assert_cmpstr(errs.items[999].message, ==, "error 999");
	sb_errors_clear(&errs);
	/* usable again after clear */
	sb_errors_add(&errs, "version", "must be 1");
	g_assert_cmpuint(errs.count, ==, 1);
	sb_errors_clear(&errs);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/errors/add-print", test_add_print);
	g_test_add_func("/errors/many", test_many);
	return g_test_run();
}
