/* swb-connection-model.c - the daemon's live connections as a GListModel, fed by events */
#include "swb-connection-model.h"

#include "sb-control.h"
#include "swb-route-stats.h"

/* Counters of one route; the live part is recounted at every tick. */
struct route_acc {
	SwbRouteStats *stats; /* owned by the routes store */
	guint64 opened;
	guint64 closed_up;
	guint64 closed_down;
	guint64 delta_up; /* bytes since the last tick */
	guint64 delta_down;
};

struct _SwbConnectionModel {
	GObject parent_instance;

	GPtrArray *items;    /* SwbConnection, in order of arrival */
	GPtrArray *pending;  /* opened, not yet in items: a burst of them is one change */
	GHashTable *closing; /* closed, still in items until the flush (same reason) */
	guint flush_source;
	GHashTable *by_id;   /* &connection id -> SwbConnection, borrowed from items or pending */
	GListStore *routes;  /* SwbRouteStats */
	GHashTable *by_route; /* route name -> struct route_acc */
	guint64 closed_delta_up; /* bytes of connections closed since the last tick */
	guint64 closed_delta_down;
	gint64 last_tick_us;
	double rate_up;
	double rate_down;
};

static void list_model_iface_init(GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(SwbConnectionModel, swb_connection_model, G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE(G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
	SIGNAL_TICKED,
	N_SIGNALS
};

static guint signals[N_SIGNALS];

static GType
get_item_type(GListModel *model)
{
	return SWB_TYPE_CONNECTION;
}

static guint
get_n_items(GListModel *model)
{
	return SWB_CONNECTION_MODEL(model)->items->len;
}

static gpointer
get_item(GListModel *model, guint position)
{
	SwbConnectionModel *self = SWB_CONNECTION_MODEL(model);

	if (position >= self->items->len)
		return NULL;
	return g_object_ref(g_ptr_array_index(self->items, position));
}

static void
list_model_iface_init(GListModelInterface *iface)
{
	iface->get_item_type = get_item_type;
	iface->get_n_items = get_n_items;
	iface->get_item = get_item;
}

static struct route_acc *
route_acc_for(SwbConnectionModel *self, SwbConnection *conn)
{
	const char *name = swb_connection_get_route(conn);
	struct route_acc *acc;

	if (name == NULL || name[0] == '\0')
		name = "(none)";
	acc = g_hash_table_lookup(self->by_route, name);
	if (acc != NULL)
		return acc;
	acc = g_new0(struct route_acc, 1);
	acc->stats = swb_route_stats_new(name);
	g_list_store_append(self->routes, acc->stats);
	g_object_unref(acc->stats);
	g_hash_table_insert(self->by_route, g_strdup(name), acc);
	return acc;
}

/* Takes the first reference of conn into rows; does not emit items-changed. */
static void
add_connection(SwbConnectionModel *self, GPtrArray *rows, SwbConnection *conn)
{
	struct route_acc *acc = route_acc_for(self, conn);
	guint64 *key = g_new(guint64, 1);

	*key = swb_connection_get_id(conn);
	g_ptr_array_add(rows, conn);
	g_hash_table_insert(self->by_id, key, conn);
	acc->opened++;
	swb_route_stats_set_opened(acc->stats, acc->opened);
	swb_route_stats_set_active(acc->stats, swb_route_stats_get_active(acc->stats) + 1);
}

/* Moves conn's bytes to the closed totals and drops it from the index, not from items. */
static void
retire_connection(SwbConnectionModel *self, SwbConnection *conn)
{
	struct route_acc *acc = route_acc_for(self, conn);
	guint active = swb_route_stats_get_active(acc->stats);
	guint64 id = swb_connection_get_id(conn);
	guint64 up, down;

	swb_connection_take_delta(conn, &up, &down);
	self->closed_delta_up += up;
	self->closed_delta_down += down;
	acc->delta_up += up;
	acc->delta_down += down;
	acc->closed_up += swb_connection_get_bytes_up(conn);
	acc->closed_down += swb_connection_get_bytes_down(conn);
	swb_route_stats_set_active(acc->stats, active > 0 ? active - 1 : 0);
	g_hash_table_remove(self->by_id, &id);
}

/* Drops the closing rows from items: one change from the first to the last of them. */
static void
flush_closing(SwbConnectionModel *self)
{
	g_autoptr(GPtrArray) kept = NULL;
	guint first = G_MAXUINT;
	guint last = 0;
	guint n_closing = g_hash_table_size(self->closing);

	if (n_closing == 0)
		return;
	kept = g_ptr_array_new_full(self->items->len - n_closing, g_object_unref);
	for (guint i = 0; i < self->items->len; i++) {
		SwbConnection *conn = g_ptr_array_index(self->items, i);

		if (g_hash_table_contains(self->closing, conn)) {
			first = MIN(first, i);
			last = i;
			continue;
		}
		g_ptr_array_add(kept, g_object_ref(conn));
	}
	g_hash_table_remove_all(self->closing);
	g_ptr_array_unref(self->items);
	self->items = g_steal_pointer(&kept);
	g_list_model_items_changed(G_LIST_MODEL(self), first, last - first + 1,
	    last - first + 1 - n_closing);
}

void
swb_connection_model_flush(SwbConnectionModel *self)
{
	guint position;
	guint added = self->pending->len;

	g_return_if_fail(SWB_IS_CONNECTION_MODEL(self));
	g_clear_handle_id(&self->flush_source, g_source_remove);
	flush_closing(self);
	position = self->items->len;
	if (added == 0)
		return;
	/* the references move from pending to items */
	g_ptr_array_extend_and_steal(self->items, g_steal_pointer(&self->pending));
	self->pending = g_ptr_array_new_with_free_func(g_object_unref);
	g_list_model_items_changed(G_LIST_MODEL(self), position, 0, added);
}

static gboolean
on_flush(gpointer data)
{
	SwbConnectionModel *self = data;

	self->flush_source = 0;
	swb_connection_model_flush(self);
	return G_SOURCE_REMOVE;
}

void
swb_connection_model_reset(SwbConnectionModel *self, json_object *list, gint64 now_us)
{
	g_autoptr(GHashTable) seen = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free,
	    NULL);
	g_autoptr(GPtrArray) old = NULL;
	guint removed;
	size_t n = 0;

	g_return_if_fail(SWB_IS_CONNECTION_MODEL(self));
	swb_connection_model_flush(self);
	removed = self->items->len;
	if (list != NULL && json_object_is_type(list, json_type_array))
		n = json_object_array_length(list);
	old = g_steal_pointer(&self->items);
	self->items = g_ptr_array_new_full((guint)n, g_object_unref);
	for (size_t i = 0; i < n; i++) {
		json_object *obj = json_object_array_get_idx(list, i);
		SwbConnection *conn = swb_connection_new_from_json(obj, now_us);
		SwbConnection *known;
		guint64 id;

		if (conn == NULL)
			continue;
		id = swb_connection_get_id(conn);
		if (g_hash_table_contains(seen, &id)) {
			g_object_unref(conn);
			continue;
		}
		g_hash_table_add(seen, g_memdup2(&id, sizeof id));
		known = g_hash_table_lookup(self->by_id, &id);
		if (known != NULL) {
			g_object_unref(conn);
			swb_connection_update(known, obj, now_us);
			g_ptr_array_add(self->items, g_object_ref(known));
		} else {
			add_connection(self, self->items, conn);
		}
	}
	/* rows the new list no longer has were closed while we were not listening */
	for (guint i = 0; i < old->len; i++) {
		SwbConnection *conn = g_ptr_array_index(old, i);
		guint64 id = swb_connection_get_id(conn);

		if (!g_hash_table_contains(seen, &id))
			retire_connection(self, conn);
	}
	g_list_model_items_changed(G_LIST_MODEL(self), 0, removed, self->items->len);
}

static void
schedule_flush(SwbConnectionModel *self)
{
	/* before the next frame is drawn (GDK_PRIORITY_REDRAW is lower) */
	if (self->flush_source == 0)
		self->flush_source = g_idle_add_full(G_PRIORITY_HIGH_IDLE, on_flush, self, NULL);
}

static void
on_opened(SwbConnectionModel *self, json_object *params, gint64 now_us)
{
	SwbConnection *conn = swb_connection_new_from_json(params, now_us);
	SwbConnection *known;
	guint64 id;

	if (conn == NULL)
		return;
	id = swb_connection_get_id(conn);
	known = g_hash_table_lookup(self->by_id, &id);
	if (known != NULL) {
		/* already seeded by connections.list */
		swb_connection_update(known, params, now_us);
		g_object_unref(conn);
		return;
	}
	add_connection(self, self->pending, conn);
	schedule_flush(self);
}

/* The row the params' "id" names; NULL when unknown. */
static SwbConnection *
find_by_params(SwbConnectionModel *self, json_object *params)
{
	json_object *v;
	guint64 id;

	if (!json_object_object_get_ex(params, SB_FIELD_ID, &v) ||
	    !json_object_is_type(v, json_type_int))
		return NULL;
	id = (guint64)json_object_get_int64(v);
	return g_hash_table_lookup(self->by_id, &id);
}

static void
on_updated(SwbConnectionModel *self, json_object *params, gint64 now_us)
{
	SwbConnection *conn = find_by_params(self, params);

	if (conn != NULL)
		swb_connection_update(conn, params, now_us);
	else
		/* an update for a row we missed (e.g. between reconnect and list): add it */
		on_opened(self, params, now_us);
}

static void
on_closed(SwbConnectionModel *self, json_object *params, gint64 now_us)
{
	SwbConnection *conn = find_by_params(self, params);
	guint position;

	if (conn == NULL)
		return;
	/* the final counters come with the event */
	swb_connection_update(conn, params, now_us);
	retire_connection(self, conn);
	if (g_ptr_array_find(self->pending, conn, &position)) {
		/* never shown: nothing to tell */
		g_ptr_array_remove_index(self->pending, position);
		return;
	}
	g_hash_table_add(self->closing, conn);
	schedule_flush(self);
}

static void (*const event_handlers[SB_EVENT_COUNT])(SwbConnectionModel *self,
    json_object *params, gint64 now_us) = {
	[SB_EVENT_CONNECTION_OPENED] = on_opened,
	[SB_EVENT_CONNECTION_UPDATED] = on_updated,
	[SB_EVENT_CONNECTION_CLOSED] = on_closed,
};

gboolean
swb_connection_model_handle_event(SwbConnectionModel *self, const char *type,
    json_object *params, gint64 now_us)
{
	enum sb_control_event event;
	json_object *v;

	g_return_val_if_fail(SWB_IS_CONNECTION_MODEL(self), FALSE);
	if (type == NULL || !sb_control_event_lookup(type, &event) ||
	    event_handlers[event] == NULL)
		return FALSE;
	if (params == NULL || !json_object_object_get_ex(params, SB_FIELD_ID, &v) ||
	    !json_object_is_type(v, json_type_int))
		return FALSE;
	event_handlers[event](self, params, now_us);
	return TRUE;
}

void
swb_connection_model_tick(SwbConnectionModel *self, gint64 now_us, gint64 wall_us)
{
	double dt = 1.0;
	guint64 total_up = self->closed_delta_up;
	guint64 total_down = self->closed_delta_down;
	g_autoptr(GHashTable) live = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
	    g_free);
	GHashTableIter iter;
	gpointer value;

	g_return_if_fail(SWB_IS_CONNECTION_MODEL(self));
	swb_connection_model_flush(self);
	if (self->last_tick_us > 0 && now_us > self->last_tick_us)
		dt = (double)(now_us - self->last_tick_us) / G_USEC_PER_SEC;
	self->last_tick_us = now_us;

	/* live totals per route: {active, bytes up, bytes down} */
	for (guint i = 0; i < self->items->len; i++) {
		SwbConnection *conn = g_ptr_array_index(self->items, i);
		struct route_acc *acc = route_acc_for(self, conn);
		guint64 *sums = g_hash_table_lookup(live, acc);
		guint64 up, down;

		if (sums == NULL) {
			sums = g_new0(guint64, 3);
			g_hash_table_insert(live, acc, sums);
		}
		swb_connection_tick(conn, now_us, wall_us);
		swb_connection_take_delta(conn, &up, &down);
		total_up += up;
		total_down += down;
		acc->delta_up += up;
		acc->delta_down += down;
		sums[0]++;
		sums[1] += swb_connection_get_bytes_up(conn);
		sums[2] += swb_connection_get_bytes_down(conn);
	}
	g_hash_table_iter_init(&iter, self->by_route);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		struct route_acc *acc = value;
		const guint64 none[3] = { 0, 0, 0 };
		const guint64 *sums = g_hash_table_lookup(live, acc);

		if (sums == NULL)
			sums = none;
		swb_route_stats_set_active(acc->stats, (guint)sums[0]);
		swb_route_stats_set_bytes(acc->stats, acc->closed_up + sums[1],
		    acc->closed_down + sums[2]);
		swb_route_stats_set_rates(acc->stats, (double)acc->delta_up / dt,
		    (double)acc->delta_down / dt);
		acc->delta_up = 0;
		acc->delta_down = 0;
	}
	self->closed_delta_up = 0;
	self->closed_delta_down = 0;
	self->rate_up = (double)total_up / dt;
	self->rate_down = (double)total_down / dt;
	g_signal_emit(self, signals[SIGNAL_TICKED], 0, self->rate_up, self->rate_down);
}

SwbConnection *
swb_connection_model_lookup(SwbConnectionModel *self, guint64 id)
{
	g_return_val_if_fail(SWB_IS_CONNECTION_MODEL(self), NULL);
	return g_hash_table_lookup(self->by_id, &id);
}

GListModel *
swb_connection_model_get_routes(SwbConnectionModel *self)
{
	g_return_val_if_fail(SWB_IS_CONNECTION_MODEL(self), NULL);
	return G_LIST_MODEL(self->routes);
}

double
swb_connection_model_get_rate_up(SwbConnectionModel *self)
{
	return self->rate_up;
}

double
swb_connection_model_get_rate_down(SwbConnectionModel *self)
{
	return self->rate_down;
}

SwbConnectionModel *
swb_connection_model_new(void)
{
	return g_object_new(SWB_TYPE_CONNECTION_MODEL, NULL);
}

static void
swb_connection_model_finalize(GObject *object)
{
	SwbConnectionModel *self = SWB_CONNECTION_MODEL(object);

	g_clear_handle_id(&self->flush_source, g_source_remove);
	g_clear_pointer(&self->by_id, g_hash_table_unref);
	g_clear_pointer(&self->items, g_ptr_array_unref);
	g_clear_pointer(&self->pending, g_ptr_array_unref);
	g_clear_pointer(&self->closing, g_hash_table_unref);
	g_clear_pointer(&self->by_route, g_hash_table_unref);
	g_clear_object(&self->routes);
	G_OBJECT_CLASS(swb_connection_model_parent_class)->finalize(object);
}

static void
swb_connection_model_class_init(SwbConnectionModelClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->finalize = swb_connection_model_finalize;
	signals[SIGNAL_TICKED] = g_signal_new("ticked", G_TYPE_FROM_CLASS(klass),
	    G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_DOUBLE, G_TYPE_DOUBLE);
}

static void
swb_connection_model_init(SwbConnectionModel *self)
{
	self->items = g_ptr_array_new_with_free_func(g_object_unref);
	self->pending = g_ptr_array_new_with_free_func(g_object_unref);
	self->closing = g_hash_table_new(g_direct_hash, g_direct_equal);
	self->by_id = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	self->routes = g_list_store_new(SWB_TYPE_ROUTE_STATS);
	self->by_route = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}
