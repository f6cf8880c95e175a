/* sbd-accept.h - accept(2) on a listening watch that stays calm when descriptors run out */
#pragma once

#include <sys/socket.h>

#include "sbd-loop.h"

enum sbd_accept_result {
	SBD_ACCEPT_OK,     /* *fd is a new connection */
	SBD_ACCEPT_REFUSE, /* out of descriptors: *fd came in on the reserve; answer, then refused() */
	SBD_ACCEPT_NONE,   /* nothing more for now: leave the accept loop */
};

/*
 * Once at start: sets a descriptor aside (on /dev/null) so that a connection
 * can still be accepted to be told "no" when the process has none left.
 */
void sbd_accept_init(void);
void sbd_accept_fini(void);

/*
 * One accept4() on w's listening socket (non-blocking, close-on-exec). When
 * the process or the system is out of descriptors (EMFILE, ENFILE; ENOBUFS,
 * ENOMEM for memory), w is paused until its loop's next tick, because a
 * level-triggered listener would report the same waiting connection again at
 * once; what was missed is logged once per interval, with counts, naming what
 * ("listener 127.0.0.1:8080"). While the reserve is there, the waiting
 * connection is accepted on it and returned as SBD_ACCEPT_REFUSE: write it a
 * short refusal (never wait on it), then pass it to sbd_accept_refused().
 * addr and len may be NULL.
 */
enum sbd_accept_result sbd_accept(struct sbd_watch *w, const char *what, int *fd,
    struct sockaddr_storage *addr, socklen_t *len);
/* Closes a connection accepted as SBD_ACCEPT_REFUSE and sets the reserve aside again. */
void sbd_accept_refused(int fd);
