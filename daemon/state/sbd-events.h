/* sbd-events.h - the event bus: what happened, as control-socket notifications
 *
 * Any thread emits; one sink (the control server) receives each event's
 * params ({type, time, ...}) and only queues them. Events are built only while
 * someone subscribed, so an idle control socket costs nothing.
 */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "sb-control.h"

struct sbd_events;

/* Receives each event's params on any thread; takes the reference of params. */
typedef void sbd_event_sink(void *ctx, json_object *params);

struct sbd_events *sbd_events_new(void);
/* NULL ok. */
void sbd_events_free(struct sbd_events *ev);
void sbd_events_set_sink(struct sbd_events *ev, sbd_event_sink *sink, void *ctx);
void sbd_events_set_listening(struct sbd_events *ev, bool listening);
bool sbd_events_wanted(struct sbd_events *ev);

/* A new event of that type with its time, or NULL when nobody listens. (transfer full) */
json_object *sbd_event_new(struct sbd_events *ev, enum sb_control_event type);
/* Sends an event made by sbd_event_new; NULL is ignored. */
void sbd_event_emit(struct sbd_events *ev, json_object *event);

/* upgrade.rejected; route may be NULL. */
void sbd_events_rejected(struct sbd_events *ev, int status, const char *reason,
    const char *client, const char *listener, const char *route);
/* policy.applied. */
void sbd_events_policy_applied(struct sbd_events *ev, uint64_t revision, const char *by);
