/* sb-ssh.h - ssh://[user@]host[:port][/path]: the ssh command that reaches a remote daemon */
#pragma once

#include <stdbool.h>

/* Whether a control socket "path" is an ssh:// URL. */
bool sb_ssh_is_url(const char *path);

/*
 * The argv that reaches the control socket of url's host: program -T -o
 * BatchMode=yes -o ServerAliveInterval=5 -o ServerAliveCountMax=3 [-p PORT]
 * -- [USER@]HOST 'switchboardctl relay [--socket PATH]' (keys or an agent
 * only: ssh fails rather than prompt; a host that stops answering ends it
 * within 15 s). program NULL:
 * $SWITCHBOARD_SSH when set, else "ssh". NULL-terminated; sb_ssh_argv_free()
 * it. NULL for a URL that is not one, with the reason in *err (free() it).
 */
char **sb_ssh_argv(const char *url, const char *program, char **err);
void sb_ssh_argv_free(char **argv);
