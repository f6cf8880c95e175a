/* sbd-registry.h - the live tunnels by id: listed, snapshotted and closed from any thread
 *
 * An owner (the connection) embeds an entry and lends it a few operations;
 * the registry knows nothing else of it. Events are not its business: the
 * owner emits them (sbd-events.h).
 */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

struct sb_policy;
struct sbd_loop;
struct sbd_registry;
struct sbd_registry_entry;

/* What a new policy does to a live tunnel (front/sbd-recheck.h decides). */
enum sbd_recheck {
	SBD_RECHECK_ADMITTED, /* the new policy still admits it */
	SBD_RECHECK_KEEP,     /* no longer admitted, kept (on_policy_change "keep") */
	SBD_RECHECK_CLOSE,    /* no longer admitted, closed (on_policy_change "close") */
};

struct sbd_registry_ops {
	/* Any thread, under the registry's lock: the fields connections.list shows. */
	json_object *(*snapshot)(struct sbd_registry_entry *e);
	/* Any thread, under the registry's lock: what connections.get shows. */
	json_object *(*detail)(struct sbd_registry_entry *e);
	/* On the entry's loop: close it with that reason. */
	void (*close)(struct sbd_registry_entry *e, const char *reason);
	/* Keep the owner alive while a close is posted to its loop. */
	void (*ref)(struct sbd_registry_entry *e);
	void (*unref)(struct sbd_registry_entry *e);
	/* Any thread, under the registry's lock: what applying p would do to it. */
	enum sbd_recheck (*recheck)(struct sbd_registry_entry *e, const struct sb_policy *p);
};

struct sbd_registry_entry {
	uint64_t id;
	struct sbd_loop *loop; /* where the owner lives */
	const struct sbd_registry_ops *ops;
	struct sbd_registry_entry *prev, *next; /* the registry's */
};

struct sbd_registry *sbd_registry_new(void);
/* NULL ok. */
void sbd_registry_free(struct sbd_registry *reg);

/* The owner's loop thread. The registry holds a reference (ops->ref) while listed. */
void sbd_registry_add(struct sbd_registry *reg, struct sbd_registry_entry *e);
void sbd_registry_remove(struct sbd_registry *reg, struct sbd_registry_entry *e);

/* connections.list: an array of snapshots. (transfer full) */
json_object *sbd_registry_list(struct sbd_registry *reg);
/*
 * policy.validate's preview: appends to would_close and would_keep the ids
 * of the tunnels that applying p would close, and keep unadmitted.
 */
void sbd_registry_preview(struct sbd_registry *reg, const struct sb_policy *p,
    json_object *would_close, json_object *would_keep);
/* connections.get: the detail of the tunnel with that id, or NULL. (transfer full) */
json_object *sbd_registry_get(struct sbd_registry *reg, uint64_t id);
/* Closes the tunnel with that id on its loop; false when there is none. */
bool sbd_registry_close(struct sbd_registry *reg, uint64_t id, const char *reason);
