/* sbd-events.c - events built only for a listener, handed to one sink */
#include "sbd-events.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "sb-alloc.h"
#include "sbd-loop.h"

struct sbd_events {
	sbd_event_sink *sink;
	void *sink_ctx;
	atomic_bool listening;
};

struct sbd_events *
sbd_events_new(void)
{
	return sb_xcalloc(1, sizeof(struct sbd_events));
}

void
sbd_events_free(struct sbd_events *ev)
{
	free(ev);
}

void
sbd_events_set_sink(struct sbd_events *ev, sbd_event_sink *sink, void *ctx)
{
	ev->sink = sink;
	ev->sink_ctx = ctx;
}

void
sbd_events_set_listening(struct sbd_events *ev, bool listening)
{
	atomic_store(&ev->listening, listening);
}

bool
sbd_events_wanted(struct sbd_events *ev)
{
	return atomic_load(&ev->listening) && ev->sink != NULL;
}

json_object *
sbd_event_new(struct sbd_events *ev, enum sb_control_event type)
{
	char t[SB_TIME_RFC3339_MAX];
	json_object *o;

	if (!sbd_events_wanted(ev))
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, SB_FIELD_TYPE,
	    json_object_new_string(sb_control_event_name(type)));
	sb_time_rfc3339(sbd_unix_ms(), t);
	json_object_object_add(o, SB_FIELD_TIME, json_object_new_string(t));
	return o;
}

void
sbd_event_emit(struct sbd_events *ev, json_object *event)
{
	if (event != NULL)
		ev->sink(ev->sink_ctx, event);
}

static void
add_str(json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, value ? json_object_new_string(value) : NULL);
}

void
sbd_events_rejected(struct sbd_events *ev, int status, const char *reason,
    const char *client, const char *listener, const char *route)
{
	json_object *o = sbd_event_new(ev, SB_EVENT_UPGRADE_REJECTED);

	if (o == NULL)
		return;
	json_object_object_add(o, SB_FIELD_STATUS, json_object_new_int(status));
	add_str(o, SB_FIELD_REASON, reason);
	add_str(o, SB_FIELD_CLIENT, client);
	add_str(o, SB_FIELD_LISTENER, listener);
	if (route != NULL)
		add_str(o, SB_FIELD_ROUTE, route);
	sbd_event_emit(ev, o);
}

void
sbd_events_policy_applied(struct sbd_events *ev, uint64_t revision, const char *by)
{
	json_object *o = sbd_event_new(ev, SB_EVENT_POLICY_APPLIED);

	if (o == NULL)
		return;
	json_object_object_add(o, SB_FIELD_REVISION, json_object_new_int64((int64_t)revision));
	add_str(o, "by", by);
	sbd_event_emit(ev, o);
}
