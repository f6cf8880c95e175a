/* sbd-fdlimit.h - the descriptor limit: as many as the connection limit needs, said in the log */
#pragma once

#include <sys/resource.h>

/*
 * Descriptors max_connections may take: two for a tunnel (client, backend),
 * four while a handshake is in flight (the socketpair into libmicrohttpd too),
 * and a reserve for listeners, loops, the control socket and logs.
 */
rlim_t sbd_fd_need(unsigned max_connections);

/*
 * Raises RLIMIT_NOFILE: the hard limit up to sbd_fd_need (at most fs.nr_open)
 * where it is lower and the process may (CAP_SYS_RESOURCE), then the soft limit
 * to the hard one. Never lowers either. Logs what it got, and warns when that
 * is less than the need. Returns the soft limit now in force.
 */
rlim_t sbd_fd_limit_raise(unsigned max_connections);
