/* sbd-registry.c - the tunnels the control socket sees; events built only for a listener */
#include "sbd-registry.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sb-alloc.h"
#include "sb-control.h"
#include "sbd-conn.h"
#include "sbd-listener.h"
#include "sbd-loop.h"

struct sbd_registry {
	pthread_mutex_t lock;
	struct sbd_conn *head;
	size_t count;
	sbd_event_sink *sink;
	void *sink_ctx;
	atomic_bool listening;
};

struct sbd_registry *
sbd_registry_new(void)
{
	struct sbd_registry *reg = sb_xcalloc(1, sizeof *reg);

	pthread_mutex_init(&reg->lock, NULL);
	return reg;
}

void
sbd_registry_free(struct sbd_registry *reg)
{
	if (reg == NULL)
		return;
	pthread_mutex_destroy(&reg->lock);
	free(reg);
}

void
sbd_registry_set_sink(struct sbd_registry *reg, sbd_event_sink *sink, void *ctx)
{
	reg->sink = sink;
	reg->sink_ctx = ctx;
}

void
sbd_registry_set_listening(struct sbd_registry *reg, bool listening)
{
	atomic_store(&reg->listening, listening);
}

static void
add_time(json_object *o, const char *key, int64_t unix_ms)
{
	char t[SB_TIME_RFC3339_MAX];

	sb_time_rfc3339(unix_ms, t);
	json_object_object_add(o, key, json_object_new_string(t));
}

static json_object *
event_new(struct sbd_registry *reg, enum sb_control_event type)
{
	json_object *o;

	if (!atomic_load(&reg->listening) || reg->sink == NULL)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, SB_FIELD_TYPE,
	    json_object_new_string(sb_control_event_name(type)));
	add_time(o, SB_FIELD_TIME, sbd_unix_ms());
	return o;
}

static void
add_str(json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, value ? json_object_new_string(value) : NULL);
}

static void
add_conn_fields(json_object *o, struct sbd_conn *c)
{
	bool half = atomic_load(&c->half_closed);

	json_object_object_add(o, SB_FIELD_ID, json_object_new_int64((int64_t)c->id));
	add_str(o, SB_FIELD_LISTENER, c->lconf->name);
	add_str(o, SB_FIELD_ROUTE, c->route);
	add_str(o, SB_FIELD_MODE, sb_mode_name(c->mode));
	add_str(o, SB_FIELD_CLIENT, c->client_text);
	add_str(o, SB_FIELD_BACKEND, c->backend_text);
	add_time(o, SB_FIELD_STARTED, c->started_unix_ms);
	json_object_object_add(o, SB_FIELD_BYTES_UP,
	    json_object_new_int64((int64_t)atomic_load(&c->bytes_up)));
	json_object_object_add(o, SB_FIELD_BYTES_DOWN,
	    json_object_new_int64((int64_t)atomic_load(&c->bytes_down)));
	add_str(o, SB_FIELD_STATE, half ? "half-closed" : "open");
}

json_object *
sbd_conn_to_json(struct sbd_conn *c)
{
	json_object *o = json_object_new_object();

	add_conn_fields(o, c);
	return o;
}

static void
emit(struct sbd_registry *reg, json_object *event)
{
	if (event != NULL)
		reg->sink(reg->sink_ctx, event);
}

void
sbd_registry_add(struct sbd_registry *reg, struct sbd_conn *c)
{
	json_object *ev;

	pthread_mutex_lock(&reg->lock);
	c->reg_prev = NULL;
	c->reg_next = reg->head;
	if (reg->head != NULL)
		reg->head->reg_prev = c;
	reg->head = sbd_conn_ref(c);
	reg->count++;
	pthread_mutex_unlock(&reg->lock);

	ev = event_new(reg, SB_EVENT_CONNECTION_OPENED);
	if (ev != NULL)
		add_conn_fields(ev, c);
	emit(reg, ev);
}

void
sbd_registry_remove(struct sbd_registry *reg, struct sbd_conn *c, const char *reason)
{
	json_object *ev = event_new(reg, SB_EVENT_CONNECTION_CLOSED);

	if (ev != NULL) {
		add_conn_fields(ev, c);
		add_str(ev, SB_FIELD_STATE, "closed");
		add_str(ev, SB_FIELD_REASON, reason);
	}
	pthread_mutex_lock(&reg->lock);
	if (c->reg_prev != NULL)
		c->reg_prev->reg_next = c->reg_next;
	else
		reg->head = c->reg_next;
	if (c->reg_next != NULL)
		c->reg_next->reg_prev = c->reg_prev;
	c->reg_prev = c->reg_next = NULL;
	reg->count--;
	pthread_mutex_unlock(&reg->lock);
	sbd_conn_unref(c);
	emit(reg, ev);
}

void
sbd_registry_touch(struct sbd_registry *reg, struct sbd_conn *c)
{
	uint64_t up = atomic_load(&c->bytes_up), down = atomic_load(&c->bytes_down);
	json_object *ev;

	if (up == c->reported_up && down == c->reported_down)
		return;
	c->reported_up = up;
	c->reported_down = down;
	ev = event_new(reg, SB_EVENT_CONNECTION_UPDATED);
	if (ev != NULL)
		add_conn_fields(ev, c);
	emit(reg, ev);
}

void
sbd_registry_rejected(struct sbd_registry *reg, int status, const char *reason,
    const char *client, const char *listener, const char *route)
{
	json_object *ev = event_new(reg, SB_EVENT_UPGRADE_REJECTED);

	if (ev == NULL)
		return;
	json_object_object_add(ev, SB_FIELD_STATUS, json_object_new_int(status));
	add_str(ev, SB_FIELD_REASON, reason);
	add_str(ev, SB_FIELD_CLIENT, client);
	add_str(ev, SB_FIELD_LISTENER, listener);
	if (route != NULL)
		add_str(ev, SB_FIELD_ROUTE, route);
	emit(reg, ev);
}

void
sbd_registry_policy_applied(struct sbd_registry *reg, uint64_t revision, const char *by)
{
	json_object *ev = event_new(reg, SB_EVENT_POLICY_APPLIED);

	if (ev == NULL)
		return;
	json_object_object_add(ev, SB_FIELD_REVISION, json_object_new_int64((int64_t)revision));
	add_str(ev, "by", by);
	emit(reg, ev);
}

json_object *
sbd_registry_list(struct sbd_registry *reg)
{
	json_object *arr = json_object_new_array();

	pthread_mutex_lock(&reg->lock);
	for (struct sbd_conn *c = reg->head; c != NULL; c = c->reg_next)
		json_object_array_add(arr, sbd_conn_to_json(c));
	pthread_mutex_unlock(&reg->lock);
	return arr;
}

struct close_request {
	struct sbd_conn *conn;
	char *reason;
};

static void
close_on_loop(void *arg)
{
	struct close_request *cr = arg;

	sbd_conn_close(cr->conn, cr->reason);
	sbd_conn_unref(cr->conn);
	free(cr->reason);
	free(cr);
}

bool
sbd_registry_close(struct sbd_registry *reg, uint64_t id, const char *reason)
{
	struct close_request *cr = NULL;

	pthread_mutex_lock(&reg->lock);
	for (struct sbd_conn *c = reg->head; c != NULL; c = c->reg_next) {
		if (c->id == id) {
			cr = sb_xcalloc(1, sizeof *cr);
			cr->conn = sbd_conn_ref(c);
			cr->reason = sb_xstrdup(reason);
			break;
		}
	}
	pthread_mutex_unlock(&reg->lock);
	if (cr == NULL)
		return false;
	sbd_loop_post(cr->conn->loop, close_on_loop, cr);
	return true;
}

void
sbd_registry_foreach(struct sbd_registry *reg, void (*fn)(struct sbd_conn *, void *), void *arg)
{
	pthread_mutex_lock(&reg->lock);
	for (struct sbd_conn *c = reg->head; c != NULL; c = c->reg_next)
		fn(c, arg);
	pthread_mutex_unlock(&reg->lock);
}
