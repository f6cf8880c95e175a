/* switchboardctl.c - command-line client of switchboardd's control socket */
#include <getopt.h>
#include <langinfo.h>
#include <locale.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "sb-config.h"
#include "sb-control.h"
#include "sb-path.h"
#include "sbctl-cmd.h"

#define DEFAULT_WIDTH 100

static const struct {
	const char *name;
	sbctl_cmd_fn *fn;
	bool local; /* works without a daemon: no control socket is looked for */
} commands[] = {
	{ "status", sbctl_cmd_status, false },
	{ "connections", sbctl_cmd_connections, false },
	{ "connection", sbctl_cmd_connection, false },
	{ "kill", sbctl_cmd_kill, false },
	{ "drain", sbctl_cmd_drain, false },
	{ "backends", sbctl_cmd_backends, false },
	{ "backend", sbctl_cmd_backend, false },
	{ "policy", sbctl_cmd_policy, false },
	{ "watch", sbctl_cmd_watch, false },
	{ "refused", sbctl_cmd_refused, false },
	{ "relay", sbctl_cmd_relay, false },
	{ "probe", sbctl_cmd_probe, false },
	{ "token", sbctl_cmd_token, true },
};

static struct sbctl_view
make_view(void)
{
	struct sbctl_view v = { DEFAULT_WIDTH, false, 0 };
	struct winsize ws;
	struct timespec ts;

	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		v.width = ws.ws_col;
	if (setlocale(LC_CTYPE, "") != NULL)
		v.utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	v.now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	return v;
}

/*
 * The default socket may sit in a shared folder (/tmp/switchboard-UID): a
 * folder someone else made or can change could hold a socket that pretends
 * to be the daemon, so it is refused, as the daemon refuses it.
 */
static bool
default_folder_trusted(const char *socket)
{
	char *dir = sb_path_dir(socket);
	char why[256];
	int fd = sb_dir_open_trusted(dir, 0, why, sizeof why);
	bool ok = fd >= 0 || errno == ENOENT;

	if (fd >= 0)
		close(fd);
	else if (!ok)
		fprintf(stderr, "switchboardctl: control socket folder %s: %s; not connecting "
		    "(another user may be pretending to be the daemon)\n", dir, why);
	free(dir);
	return ok;
}

int
main(int argc, char **argv)
{
	enum { OPT_JSON = 0x100, OPT_SOCKET, OPT_VERSION };
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, OPT_SOCKET },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	struct sbctl_ctx ctx = { .view = make_view() };
	char *default_socket = NULL;
	int opt, rc;

	/* "+": stop at the command; its own options are parsed after it */
	while ((opt = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_SOCKET:
			ctx.socket = optarg;
			break;
		case OPT_JSON:
			ctx.json = true;
			break;
		case 'h':
			sbctl_usage(stdout);
			return SBCTL_EXIT_OK;
		case OPT_VERSION:
			printf("switchboardctl %s\n", SB_VERSION);
			return SBCTL_EXIT_OK;
		default:
			sbctl_usage(stderr);
			return SBCTL_EXIT_REFUSED;
		}
	}
	if (optind >= argc) {
		sbctl_usage(stderr);
		return SBCTL_EXIT_REFUSED;
	}
	if (strcmp(argv[optind], "help") == 0) {
		sbctl_usage(stdout);
		return SBCTL_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		if (strcmp(argv[optind], commands[i].name) != 0)
			continue;
		if (ctx.socket == NULL && !commands[i].local) {
			ctx.socket = default_socket = sb_control_default_socket();
			if (!default_folder_trusted(default_socket)) {
				free(default_socket);
				return SBCTL_EXIT_UNREACHABLE;
			}
		}
		rc = commands[i].fn(&ctx, argc - optind, argv + optind);
		sbctl_disconnect(&ctx);
		free(default_socket);
		return rc;
	}
	fprintf(stderr, "switchboardctl: unknown command: %s (see --help)\n", argv[optind]);
	return SBCTL_EXIT_REFUSED;
}
