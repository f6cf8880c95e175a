/* sbd-registry.c - a list of entries under one narrow lock */
#include "sbd-registry.h"

#include <pthread.h>
#include <stdlib.h>

#include "sb-alloc.h"
#include "sbd-loop.h"

struct sbd_registry {
	pthread_mutex_t lock;
	struct sbd_registry_entry *head;
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
sbd_registry_add(struct sbd_registry *reg, struct sbd_registry_entry *e)
{
	e->ops->ref(e);
	pthread_mutex_lock(&reg->lock);
	e->prev = NULL;
	e->next = reg->head;
	if (reg->head != NULL)
		reg->head->prev = e;
	reg->head = e;
	pthread_mutex_unlock(&reg->lock);
}

void
sbd_registry_remove(struct sbd_registry *reg, struct sbd_registry_entry *e)
{
	pthread_mutex_lock(&reg->lock);
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		reg->head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	e->prev = e->next = NULL;
	pthread_mutex_unlock(&reg->lock);
	e->ops->unref(e);
}

json_object *
sbd_registry_list(struct sbd_registry *reg)
{
	json_object *arr = json_object_new_array();

	pthread_mutex_lock(&reg->lock);
	for (struct sbd_registry_entry *e = reg->head; e != NULL; e = e->next)
		json_object_array_add(arr, e->ops->snapshot(e));
	pthread_mutex_unlock(&reg->lock);
	return arr;
}

json_object *
sbd_registry_get(struct sbd_registry *reg, uint64_t id)
{
	json_object *o = NULL;

	pthread_mutex_lock(&reg->lock);
	for (struct sbd_registry_entry *e = reg->head; e != NULL; e = e->next) {
		if (e->id == id) {
			o = e->ops->detail(e);
			break;
		}
	}
	pthread_mutex_unlock(&reg->lock);
	return o;
}

void
sbd_registry_preview(struct sbd_registry *reg, const struct sb_policy *p,
    json_object *would_close, json_object *would_keep)
{
	pthread_mutex_lock(&reg->lock);
	for (struct sbd_registry_entry *e = reg->head; e != NULL; e = e->next) {
		enum sbd_recheck r = e->ops->recheck(e, p);

		if (r != SBD_RECHECK_ADMITTED)
			json_object_array_add(r == SBD_RECHECK_CLOSE ? would_close : would_keep,
			    json_object_new_int64((int64_t)e->id));
	}
	pthread_mutex_unlock(&reg->lock);
}

struct close_request {
	struct sbd_registry_entry *entry;
	char *reason;
};

static void
close_on_loop(void *arg)
{
	struct close_request *cr = arg;

	cr->entry->ops->close(cr->entry, cr->reason);
	cr->entry->ops->unref(cr->entry);
	free(cr->reason);
	free(cr);
}

bool
sbd_registry_close(struct sbd_registry *reg, uint64_t id, const char *reason)
{
	struct close_request *cr = NULL;

	pthread_mutex_lock(&reg->lock);
	for (struct sbd_registry_entry *e = reg->head; e != NULL; e = e->next) {
		if (e->id == id) {
			e->ops->ref(e);
			cr = sb_xcalloc(1, sizeof *cr);
			cr->entry = e;
			cr->reason = sb_xstrdup(reason);
			break;
		}
	}
	pthread_mutex_unlock(&reg->lock);
	if (cr == NULL)
		return false;
	sbd_loop_post(cr->entry->loop, close_on_loop, cr);
	return true;
}
