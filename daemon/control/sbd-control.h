/* sbd-control.h - the control socket: JSON-RPC 2.0 lines on a UNIX socket, on the main loop */
#pragma once

#include "sb-errors.h"
#include "sb-policy.h"

struct sbd_daemon;
struct sbd_control;

/*
 * Creates the socket at path with the policy's mode and group, and starts
 * serving on the daemon's main loop. NULL with the reason in errs on failure.
 */
struct sbd_control *sbd_control_new(struct sbd_daemon *d, const char *path,
    const struct sb_control *settings, struct sb_errors *errs);
void sbd_control_free(struct sbd_control *ctl);
const char *sbd_control_path(const struct sbd_control *ctl);
