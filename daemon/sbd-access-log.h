/* sbd-access-log.h - one line per refusal and per closed connection, written off the loops
 *
 * A tap on the event bus: upgrade.rejected and connection.closed become lines
 * on the thread that emits them and wait in a bounded queue; one writer thread
 * writes them to stderr or to the policy's "access_log" file. A line that does
 * not fit in the queue, or that the file refuses (a full disk), is dropped and
 * counted, so a slow or full log disk costs lines, never a loop's time.
 */
#pragma once

#include <json-c/json.h>
#include <stdatomic.h>
#include <stdint.h>

#include "sb-log.h"

/* What the queue holds at most; lines past it are dropped. */
#define SBD_ACCESS_LOG_QUEUE_BYTES (1024 * 1024)

struct sbd_access_log;

/*
 * Starts the writer thread, writing to stderr; dropped counts the lines lost.
 * NULL when the thread cannot start.
 */
struct sbd_access_log *sbd_access_log_new(enum sb_log_format format,
    atomic_uint_fast64_t *dropped);
/* Writes what is queued (waiting at most a few seconds for a stuck file), then stops. NULL ok. */
void sbd_access_log_free(struct sbd_access_log *a);

/*
 * Main thread, in two steps so that a policy that fails elsewhere changes
 * nothing: open opens path (appending) unless it is the file in use already
 * (*fd = -1 then, and for NULL: stderr); -1 with errno when it cannot. use
 * then sends lines to path (NULL: stderr) from now on, taking fd; lines
 * queued before still go where they were meant to.
 */
int sbd_access_log_open(struct sbd_access_log *a, const char *path, int *fd);
void sbd_access_log_use(struct sbd_access_log *a, const char *path, int fd);
/* SIGUSR1: the writer opens the file's name again, after logrotate renamed it. */
void sbd_access_log_reopen(struct sbd_access_log *a);

/* The event bus's tap (sbd_event_tap): any thread; queues a line or drops it. */
void sbd_access_log_event(void *a, json_object *event);

/*
 * The line for an upgrade.rejected or connection.closed event, "\n"
 * included; NULL for another kind. free() it. Text fields, in this order:
 *   TIME CLIENT IDENTITY LISTENER ROUTE "METHOD PATH" STATUS BACKEND
 *   BYTES_UP BYTES_DOWN DURATION_MS "REASON"
 * "-" (or "-" in quotes) for what is unknown.
 */
char *sbd_access_log_line(enum sb_log_format format, json_object *event);
