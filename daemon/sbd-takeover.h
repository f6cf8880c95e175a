/* sbd-takeover.h - switchboardd --takeover SOCK: the new daemon's side of a binary upgrade */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "sb-errors.h"

struct sbd_takeover;

/*
 * Connects to the running daemon's control socket at path (it must belong to
 * root or to this uid), asks daemon.takeover and puts the listening sockets it
 * passes in the inherited table (sbd-inherit.h), where the policy's listeners
 * find them by address. NULL with the reason in errs: nothing was changed in
 * the old daemon then.
 */
struct sbd_takeover *sbd_takeover_begin(const char *path, struct sb_errors *errs);
/* The old daemon's control socket when it is at path (the caller takes it), else -1. */
int sbd_takeover_control(struct sbd_takeover *t, const char *path);
pid_t sbd_takeover_pid(const struct sbd_takeover *t);
/*
 * Once this daemon accepts on every socket it took: daemon.drain to the old
 * one, which stops accepting and drains. -1 with the reason in errs.
 */
int sbd_takeover_finish(struct sbd_takeover *t, struct sb_errors *errs);
/* Closes the connection and whatever was passed and not taken. NULL ok. */
void sbd_takeover_free(struct sbd_takeover *t);
