/* sb-ssh.c - ssh://[user@]host[:port][/path]: the ssh command that reaches a remote daemon */
#include "sb-ssh.h"

#include <stdlib.h>
#include <string.h>

#include "sb-alloc.h"
#include "sb-buf.h"

#define SSH_SCHEME "ssh://"
/*
 * A host that goes away without closing the connection (a network that
 * drops, a machine that hangs) is noticed within 15 s: ssh asks every 5 s
 * of silence and gives up after 3 questions with no answer.
 */
#define SSH_ALIVE_INTERVAL "ServerAliveInterval=5"
#define SSH_ALIVE_COUNT "ServerAliveCountMax=3"

bool
sb_ssh_is_url(const char *path)
{
	return path != NULL && strncmp(path, SSH_SCHEME, strlen(SSH_SCHEME)) == 0;
}

/* The far side's shell reads the command: the path goes in single quotes. */
static char *
relay_command(const char *path)
{
	struct sb_buf q = SB_BUF_INIT;
	static const char cmd[] = "switchboardctl relay --socket '";

	if (path == NULL)
		return sb_xstrdup("switchboardctl relay");
	sb_buf_append(&q, cmd, strlen(cmd));
	for (const char *s = path; *s != '\0'; s++) {
		if (*s == '\'')
			sb_buf_append(&q, "'\\''", 4);
		else
			sb_buf_append(&q, s, 1);
	}
	sb_buf_append(&q, "'", 2);
	return q.data;
}

char **
sb_ssh_argv(const char *url, const char *program, char **err)
{
	const char *rest, *slash, *env = getenv("SWITCHBOARD_SSH");
	char *target, *port = NULL, *colon, **argv;
	size_t n = 0;

	if (!sb_ssh_is_url(url)) {
		*err = sb_xasprintf("not an ssh:// address: %s", url);
		return NULL;
	}
	rest = url + strlen(SSH_SCHEME);
	slash = strchr(rest, '/');
	target = slash ? sb_xmemdup(rest, (size_t)(slash - rest) + 1) : sb_xstrdup(rest);
	if (slash)
		target[slash - rest] = '\0';
	/* the port: after the last ':' of the host, unless it is a bracketed IPv6 address */
	colon = strrchr(target, ':');
	if (colon != NULL && strchr(colon, ']') == NULL) {
		*colon = '\0';
		port = colon + 1;
	}
	if (target[0] == '\0' || target[0] == '-' || (port != NULL && (port[0] == '\0' ||
	    strspn(port, "0123456789") != strlen(port)))) {
		*err = sb_xasprintf("not an ssh://[user@]host[:port][/path] address: %s", url);
		free(target);
		return NULL;
	}
	if (program == NULL)
		program = env != NULL && env[0] != '\0' ? env : "ssh";
	argv = sb_xcalloc(14, sizeof *argv);
	argv[n++] = sb_xstrdup(program);
	argv[n++] = sb_xstrdup("-T");
	argv[n++] = sb_xstrdup("-o");
	argv[n++] = sb_xstrdup("BatchMode=yes");
	argv[n++] = sb_xstrdup("-o");
	argv[n++] = sb_xstrdup(SSH_ALIVE_INTERVAL);
	argv[n++] = sb_xstrdup("-o");
	argv[n++] = sb_xstrdup(SSH_ALIVE_COUNT);
	if (port != NULL) {
		argv[n++] = sb_xstrdup("-p");
		argv[n++] = sb_xstrdup(port);
	}
	argv[n++] = sb_xstrdup("--");
	argv[n++] = sb_xstrdup(target);
	argv[n++] = relay_command(slash);
	free(target);
	return argv;
}

void
sb_ssh_argv_free(char **argv)
{
	if (argv == NULL)
		return;
	for (size_t i = 0; argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}
