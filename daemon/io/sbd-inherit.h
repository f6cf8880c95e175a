/* sbd-inherit.h - listening sockets handed to this process: by systemd, or by the daemon it takes over from */
#pragma once

#include <stdbool.h>
#include <sys/socket.h>

/* Where a socket came from: what the logs say. */
enum sbd_inherit_from {
	SBD_INHERIT_SYSTEMD,  /* LISTEN_FDS */
	SBD_INHERIT_TAKEOVER, /* daemon.takeover, over the old daemon's control socket */
};

/*
 * Main thread only. The table owns each socket until a listener takes it.
 * Adds fd (a listening stream socket, made non-blocking and close-on-exec)
 * under the address it is bound to; -1 (fd closed) when it is not a bound
 * stream socket.
 */
int sbd_inherit_add(int fd, enum sbd_inherit_from from);
/*
 * systemd's socket activation: with LISTEN_PID naming this process, the
 * LISTEN_FDS sockets from fd 3 on are added, and both variables are removed
 * from the environment. Returns how many were added.
 */
unsigned sbd_inherit_systemd(void);
/* The socket bound to addr (the table lets go of it), or -1; from says whose it was. */
int sbd_inherit_take(const struct sockaddr *addr, socklen_t len, enum sbd_inherit_from *from);
/*
 * fd, taken from the table, is let go of by its user (a listener or the
 * metrics the policy no longer has): a copy of it goes back into the table
 * when systemd passed it, since systemd keeps it bound and the next user at
 * its address could bind no socket of its own. One the daemon taken over
 * passed is only ours: it is not kept, so that closing fd frees its address.
 * The caller still closes fd.
 */
void sbd_inherit_give_back(int fd, enum sbd_inherit_from from);
/* Closes what came from `from` and no listener took; returns how many. */
unsigned sbd_inherit_drop(enum sbd_inherit_from from);
/* Closes everything left. */
void sbd_inherit_fini(void);
/* "systemd", "the daemon taken over" */
const char *sbd_inherit_from_name(enum sbd_inherit_from from);
