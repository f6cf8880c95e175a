/* sbd-registry.h - live tunnels by id, their snapshots, and the event stream */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

struct sbd_conn;
struct sbd_registry;

/*
 * Receives each event's params ({type, time, ...}); called on any thread, so
 * it must only queue the event. Takes the reference of params.
 */
typedef void sbd_event_sink(void *ctx, json_object *params);

struct sbd_registry *sbd_registry_new(void);
void sbd_registry_free(struct sbd_registry *reg);

/* One sink (the control server); events are built only while it wants them. */
void sbd_registry_set_sink(struct sbd_registry *reg, sbd_event_sink *sink, void *ctx);
void sbd_registry_set_listening(struct sbd_registry *reg, bool listening);

/* Loop thread of c: a tunnel opened (connection.opened) or closed (connection.closed). */
void sbd_registry_add(struct sbd_registry *reg, struct sbd_conn *c);
void sbd_registry_remove(struct sbd_registry *reg, struct sbd_conn *c, const char *reason);
/* Loop thread of c, once a second: connection.updated when its counters moved. */
void sbd_registry_touch(struct sbd_registry *reg, struct sbd_conn *c);

/* A refusal: upgrade.rejected. route may be NULL. */
void sbd_registry_rejected(struct sbd_registry *reg, int status, const char *reason,
    const char *client, const char *listener, const char *route);
/* policy.applied. */
void sbd_registry_policy_applied(struct sbd_registry *reg, uint64_t revision, const char *by);

/* connections.list: an array of connection objects. (transfer full) */
json_object *sbd_registry_list(struct sbd_registry *reg);
/* Closes the tunnel with that id on its loop; false when there is none. */
bool sbd_registry_close(struct sbd_registry *reg, uint64_t id, const char *reason);
/* Calls fn on every tunnel (with the registry locked: fn must only post). */
void sbd_registry_foreach(struct sbd_registry *reg, void (*fn)(struct sbd_conn *, void *),
    void *arg);

/* The fields connections.list shows, for one tunnel. (transfer full) */
json_object *sbd_conn_to_json(struct sbd_conn *c);
