/*
 * swb-backend-model.c - the daemon's backend servers, route by route: fed by
 * backends.list, kept current by backend.state events
 */
#include "swb-backend-model.h"

#include "sb-control.h"

struct _SwbBackendModel {
	GObject parent_instance;

	GPtrArray *items; /* SwbBackend */
};

static void list_model_iface_init(GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(SwbBackendModel, swb_backend_model, G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE(G_TYPE_LIST_MODEL, list_model_iface_init))

static GType
get_item_type(GListModel *model)
{
	return SWB_TYPE_BACKEND;
}

static guint
get_n_items(GListModel *model)
{
	return SWB_BACKEND_MODEL(model)->items->len;
}

static gpointer
get_item(GListModel *model, guint position)
{
	SwbBackendModel *self = SWB_BACKEND_MODEL(model);

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

static gboolean
is_server(SwbBackend *b, const char *route, const char *address)
{
	return g_strcmp0(swb_backend_get_route(b), route) == 0 &&
	    (g_strcmp0(swb_backend_get_address(b), address) == 0 ||
	    g_strcmp0(swb_backend_get_server(b), address) == 0);
}

/* Exact address first: a name may stand for several addresses. */
static guint
find_index(GPtrArray *items, const char *route, const char *address)
{
	for (guint i = 0; i < items->len; i++) {
		SwbBackend *b = g_ptr_array_index(items, i);

		if (g_strcmp0(swb_backend_get_route(b), route) == 0 &&
		    g_strcmp0(swb_backend_get_address(b), address) == 0)
			return i;
	}
	for (guint i = 0; i < items->len; i++)
		if (is_server(g_ptr_array_index(items, i), route, address))
			return i;
	return G_MAXUINT;
}

SwbBackend *
swb_backend_model_find(SwbBackendModel *self, const char *route, const char *address)
{
	guint i;

	g_return_val_if_fail(SWB_IS_BACKEND_MODEL(self), NULL);
	i = find_index(self->items, route, address);
	return i != G_MAXUINT ? g_ptr_array_index(self->items, i) : NULL;
}

static const char *
member_string(json_object *obj, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

void
swb_backend_model_reset(SwbBackendModel *self, json_object *list)
{
	g_autoptr(GPtrArray) next = g_ptr_array_new_with_free_func(g_object_unref);
	size_t n = list != NULL && json_object_is_type(list, json_type_array) ?
	    json_object_array_length(list) : 0;
	gboolean same;
	guint old_len;

	g_return_if_fail(SWB_IS_BACKEND_MODEL(self));
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(list, i);
		const char *route = e != NULL ? member_string(e, SB_FIELD_ROUTE) : NULL;
		const char *address = e != NULL ? member_string(e, SB_FIELD_ADDRESS) : NULL;
		guint at;
		SwbBackend *b;

		if (route == NULL || address == NULL ||
		    find_index(next, route, address) != G_MAXUINT)
			continue;
		at = find_index(self->items, route, address);
		if (at != G_MAXUINT && g_strcmp0(swb_backend_get_address(
		    g_ptr_array_index(self->items, at)), address) == 0) {
			b = g_object_ref(g_ptr_array_index(self->items, at));
			swb_backend_update(b, e);
		} else {
			b = swb_backend_new_from_json(e);
		}
		g_ptr_array_add(next, b);
	}
	same = next->len == self->items->len;
	for (guint i = 0; same && i < next->len; i++)
		same = g_ptr_array_index(next, i) == g_ptr_array_index(self->items, i);
	if (same)
		return;
	old_len = self->items->len;
	g_ptr_array_unref(self->items);
	self->items = g_steal_pointer(&next);
	g_list_model_items_changed(G_LIST_MODEL(self), 0, old_len, self->items->len);
}

gboolean
swb_backend_model_handle_event(SwbBackendModel *self, const char *type, json_object *params)
{
	const char *route, *address;
	guint at;
	SwbBackend *b;

	g_return_val_if_fail(SWB_IS_BACKEND_MODEL(self), FALSE);
	if (g_strcmp0(type, sb_control_event_name(SB_EVENT_BACKEND_STATE)) != 0 ||
	    params == NULL || !json_object_is_type(params, json_type_object))
		return FALSE;
	route = member_string(params, SB_FIELD_ROUTE);
	address = member_string(params, SB_FIELD_ADDRESS);
	if (route == NULL || address == NULL)
		return FALSE;
	at = find_index(self->items, route, address);
	if (at != G_MAXUINT) {
		swb_backend_update(g_ptr_array_index(self->items, at), params);
		return TRUE;
	}
	b = swb_backend_new_from_json(params);
	g_ptr_array_add(self->items, b);
	g_list_model_items_changed(G_LIST_MODEL(self), self->items->len - 1, 0, 1);
	return TRUE;
}

void
swb_backend_model_clear(SwbBackendModel *self)
{
	guint removed;

	g_return_if_fail(SWB_IS_BACKEND_MODEL(self));
	removed = self->items->len;
	if (removed == 0)
		return;
	g_ptr_array_set_size(self->items, 0);
	g_list_model_items_changed(G_LIST_MODEL(self), 0, removed, 0);
}

SwbBackendModel *
swb_backend_model_new(void)
{
	return g_object_new(SWB_TYPE_BACKEND_MODEL, NULL);
}

static void
swb_backend_model_finalize(GObject *object)
{
	SwbBackendModel *self = SWB_BACKEND_MODEL(object);

	g_clear_pointer(&self->items, g_ptr_array_unref);
	G_OBJECT_CLASS(swb_backend_model_parent_class)->finalize(object);
}

static void
swb_backend_model_class_init(SwbBackendModelClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = swb_backend_model_finalize;
}

static void
swb_backend_model_init(SwbBackendModel *self)
{
	self->items = g_ptr_array_new_with_free_func(g_object_unref);
}
