/* sbd-events.h - the event bus: what happened, as control-socket notifications
 *
 * Any thread emits; one sink (the control server) receives each event's
 * params ({type, time, ...}) and only queues them. Events are built only while
 * someone subscribed, so an idle control socket costs nothing; except the
 * kinds kept for history (upgrade.rejected, connection.closed), which are
 * always built and kept, as text, in a ring of the last SBD_EVENTS_KEPT.
 */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "sb-control.h"

/* How many of the kept kinds the ring holds. */
#define SBD_EVENTS_KEPT 1000

struct sbd_events;

/*
 * Receives each event's params on any thread; takes the reference of params.
 * seq: the event's place in the history (1, 2, ...), 0 for a kind not kept.
 */
typedef void sbd_event_sink(void *ctx, json_object *params, uint64_t seq);
/*
 * A second consumer of the kept kinds only (the access log): sees each one on
 * the thread that emits it, borrowed, before the sink; must not block.
 */
typedef void sbd_event_tap(void *ctx, json_object *params);

struct sbd_events *sbd_events_new(void);
/* NULL ok. */
void sbd_events_free(struct sbd_events *ev);
void sbd_events_set_sink(struct sbd_events *ev, sbd_event_sink *sink, void *ctx);
void sbd_events_set_listening(struct sbd_events *ev, bool listening);
/* Set before any thread emits. */
void sbd_events_set_tap(struct sbd_events *ev, sbd_event_tap *tap, void *ctx);
bool sbd_events_wanted(struct sbd_events *ev);
/* upgrade.rejected and connection.closed: kept in the history. */
bool sbd_events_is_kept(enum sb_control_event type);

/*
 * A new event of that type with its time, or NULL when nobody listens and
 * the type is not kept. (transfer full)
 */
json_object *sbd_event_new(struct sbd_events *ev, enum sb_control_event type);
/* Keeps an event made by sbd_event_new when its kind is kept, and sends it; NULL is ignored. */
void sbd_event_emit(struct sbd_events *ev, json_object *event);

/*
 * The kept events, oldest first, each params object with "history": true
 * (transfer full), and in *last_seq the seq of the newest (0: none yet).
 * An event emitted after this call has a greater seq: set listening first,
 * then a subscriber that skips live events up to *last_seq misses none and
 * sees none twice.
 */
json_object *sbd_events_history(struct sbd_events *ev, uint64_t *last_seq);

/* upgrade.rejected; route may be NULL. */
void sbd_events_rejected(struct sbd_events *ev, int status, const char *reason,
    const char *client, const char *listener, const char *route);

/* What a refusal adds for the access log: the request, when one was read. */
struct sbd_event_request {
	const char *method;   /* NULL: refused before a request was read */
	const char *path;     /* escaped (sb_escape_text), without the query */
	const char *identity; /* NULL until an identity is known */
	uint64_t duration_ms; /* since the accept */
};

/* upgrade.rejected with the request's method, path, identity and duration (req may be NULL). */
void sbd_events_rejected_request(struct sbd_events *ev, int status, const char *reason,
    const char *client, const char *listener, const char *route,
    const struct sbd_event_request *req);
/* policy.applied. */
void sbd_events_policy_applied(struct sbd_events *ev, uint64_t revision, const char *by);
