/* test-ssh.c - ssh:// URLs into the ssh command line that reaches a remote daemon */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "sb-ssh.h"

/* argv joined with "|" (g_free it), or NULL with the error checked to be set. */
static char *
joined(const char *url, const char *program)
{
	char *err = NULL;
	char **argv = sb_ssh_argv(url, program, &err);
	char *text;

	if (argv == NULL) {
		g_assert_nonnull(err);
		free(err);
		return NULL;
	}
	g_assert_null(err);
	text = g_strjoinv("|", argv);
	sb_ssh_argv_free(argv);
	return text;
}

static void
test_argv(void)
{
#define ALIVE "-o|ServerAliveInterval=5|-o|ServerAliveCountMax=3"
	static const struct {
		const char *url, *argv;
	} cases[] = {
		{ "ssh://host", "ssh|-T|-o|BatchMode=yes|" ALIVE "|--|host|switchboardctl relay" },
		{ "ssh://me@host:2222/run/sb/control.sock", "ssh|-T|-o|BatchMode=yes|" ALIVE
		  "|-p|2222|--|me@host|switchboardctl relay --socket '/run/sb/control.sock'" },
		{ "ssh://[::1]/a'b", "ssh|-T|-o|BatchMode=yes|" ALIVE "|--|[::1]|"
		  "switchboardctl relay --socket '/a'\\''b'" },
		{ "ssh://[::1]:22", "ssh|-T|-o|BatchMode=yes|" ALIVE "|-p|22|--|[::1]|"
		  "switchboardctl relay" },
		{ "ssh://", NULL },
		{ "ssh://-oProxyCommand=x", NULL },
		{ "ssh://host:", NULL },
		{ "ssh://host:22x", NULL },
		{ "/run/control.sock", NULL },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *got = joined(cases[i].url, "ssh");

		g_assert_cmpstr(got, ==, cases[i].argv);
	}
}

static void
test_program(void)
{
	g_autofree char *given = NULL, *env = NULL, *plain = NULL;

	given = joined("ssh://h", "/opt/my-ssh");
	g_assert_true(g_str_has_prefix(given, "/opt/my-ssh|-T|"));
	g_setenv("SWITCHBOARD_SSH", "/usr/local/bin/other-ssh", TRUE);
	env = joined("ssh://h", NULL);
	g_assert_true(g_str_has_prefix(env, "/usr/local/bin/other-ssh|-T|"));
	g_setenv("SWITCHBOARD_SSH", "", TRUE);
	plain = joined("ssh://h", NULL);
	g_assert_true(g_str_has_prefix(plain, "ssh|-T|"));
	g_assert_true(sb_ssh_is_url("ssh://h"));
	g_assert_false(sb_ssh_is_url("/tmp/ssh://h"));
	g_assert_false(sb_ssh_is_url(NULL));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ssh/argv", test_argv);
	g_test_add_func("/ssh/program", test_program);
	return g_test_run();
}
