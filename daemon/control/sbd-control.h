/* sbd-control.h - the control socket: JSON-RPC 2.0 lines on a UNIX socket, on the main loop */
#pragma once

#include "sb-errors.h"
#include "sb-policy.h"

struct sbd_daemon;
struct sbd_control;

/*
 * Creates the socket at path with the policy's mode and group, and starts
 * serving on the daemon's main loop; with adopt_fd >= 0 (taken), serves that
 * listening socket, already at path, instead. NULL with the reason in errs.
 */
struct sbd_control *sbd_control_new(struct sbd_daemon *d, const char *path,
    const struct sb_control *settings, int adopt_fd, struct sb_errors *errs);
/* The listening socket (still the server's): to pass it on (daemon.takeover); -1 once handed over. */
int sbd_control_fd(const struct sbd_control *ctl);
void sbd_control_free(struct sbd_control *ctl);
const char *sbd_control_path(const struct sbd_control *ctl);
