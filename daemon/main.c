/* main.c - switchboardd: arguments, --check, exit codes (0 clean, 1 bad policy, 2 runtime) */
#include <getopt.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sb-alloc.h"
#include "sb-config.h"
#include "sb-log.h"
#include "sb-policy.h"
#include "sbd-daemon.h"

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: switchboardd [--policy FILE] [--control PATH] [--check]\n"
	    "                    [--log-level debug|info|warn|error] [--log-format text|json]\n"
	    "                    [--state-dir DIR] [--threads N] [--takeover SOCK]\n"
	    "                    [--version] [--help]\n"
	    "\n"
	    "A TLS-terminating upgrade switchboard: answers HTTP/1.1 Upgrade requests\n"
	    "with 101 and bridges each upgraded connection to the backend its policy names.\n"
	    "Without --policy it runs the embedded default policy (TLS on 127.0.0.1:8443,\n"
	    "plain on 127.0.0.1:8080, /echo to a built-in echo backend).\n"
	    "\n"
	    "  --policy FILE      the JSON policy; SIGHUP reloads it\n"
	    "  --control PATH     the control socket (default: the policy's, else\n"
	    "                     /run/switchboard/control.sock for root,\n"
	    "                     $XDG_RUNTIME_DIR/switchboard/control.sock otherwise)\n"
	    "  --check            validate the policy, print each error, exit 0 or 1\n"
	    "  --state-dir DIR    where the default policy keeps its certificate\n"
	    "  --threads N        worker threads (default: one per core)\n"
	    "  --takeover SOCK    replace the daemon running on control socket SOCK: take\n"
	    "                     its listening sockets, serve, then let it drain\n");
}

static char *
default_state_dir(void)
{
	const char *s = getenv("STATE_DIRECTORY"); /* systemd's StateDirectory= */

	if (s != NULL && *s != '\0')
		return sb_xstrndup(s, strcspn(s, ":"));
	if (geteuid() == 0)
		return sb_xstrdup("/var/lib/switchboard");
	if ((s = getenv("XDG_STATE_HOME")) != NULL && *s == '/')
		return sb_xasprintf("%s/switchboard", s);
	if ((s = getenv("HOME")) != NULL && *s == '/')
		return sb_xasprintf("%s/.local/state/switchboard", s);
	/* one per uid; the daemon refuses it when someone else made it first */
	return sb_xasprintf("/tmp/switchboard-state-%lu", (unsigned long)geteuid());
}

static int
check(const char *file, const char *state_dir)
{
	struct sb_errors errs = SB_ERRORS_INIT;
	struct sb_policy *p = sbd_daemon_load_policy(file, state_dir, &errs);
	const char *name = file ? file : "(default policy)";

	if (p == NULL) {
		sb_errors_print(&errs, name, stderr);
		sb_errors_clear(&errs);
		return 1;
	}
	/* valid but unwise: said, and still valid */
	sb_policy_warnings(p, &errs);
	for (size_t i = 0; i < errs.count; i++)
		fprintf(stderr, "%s: %s: warning: %s\n", name, errs.items[i].path,
		    errs.items[i].message);
	printf("%s: valid (%zu listeners, %zu routes)\n", name, p->n_listeners, p->n_routes);
	sb_policy_free(p);
	sb_errors_clear(&errs);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "control", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'C' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "log-format", required_argument, NULL, 'f' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "threads", required_argument, NULL, 't' },
		{ "takeover", required_argument, NULL, 'T' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sbd_options opts = { 0 };
	enum sb_log_level level = SB_LOG_INFO;
	enum sb_log_format format = SB_LOG_TEXT;
	bool only_check = false;
	char *state_dir = NULL;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			opts.policy_file = optarg;
			break;
		case 'c':
			opts.control_path = optarg;
			break;
		case 'C':
			only_check = true;
			break;
		case 'l':
			if (sb_log_level_from_name(optarg, &level) < 0) {
				fprintf(stderr, "switchboardd: unknown log level '%s'\n", optarg);
				return 1;
			}
			break;
		case 'f':
			if (sb_log_format_from_name(optarg, &format) < 0) {
				fprintf(stderr, "switchboardd: unknown log format '%s'\n", optarg);
				return 1;
			}
			break;
		case 's':
			free(state_dir);
			state_dir = sb_xstrdup(optarg);
			break;
		case 't': {
			char *end;
			long n = strtol(optarg, &end, 10);

			if (*end != '\0' || n < 1 || n > 256) {
				fprintf(stderr, "switchboardd: --threads must be 1..256\n");
				return 1;
			}
			opts.threads = (unsigned)n;
			break;
		}
		case 'T':
			opts.takeover = optarg;
			break;
		case 'V':
			printf("switchboardd %s\n", SB_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "switchboardd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 1;
	}
	sb_log_setup(level, format);
	opts.log_format = format;
	if (state_dir == NULL)
		state_dir = default_state_dir();
	opts.state_dir = state_dir;

	if (only_check) {
		rc = check(opts.policy_file, state_dir);
		free(state_dir);
		return rc;
	}

	/* Signals arrive through a signalfd on the main loop; threads inherit the mask. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct sbd_daemon *d = sbd_daemon_new(&opts, &rc);
	if (d != NULL) {
		rc = sbd_daemon_run(d);
		sbd_daemon_free(d);
		sb_info("switchboardd stopped");
	}
	free(state_dir);
	return rc;
}
