/* swb-rejection-model.c - refused upgrades, newest first, at most a fixed number */
#include "swb-rejection-model.h"

#include "sb-control.h"

struct _SwbRejectionModel {
	GObject parent_instance;

	GPtrArray *items; /* SwbRejection, newest first */
	guint limit;
};

static void list_model_iface_init(GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(SwbRejectionModel, swb_rejection_model, G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE(G_TYPE_LIST_MODEL, list_model_iface_init))

static GType
get_item_type(GListModel *model)
{
	return SWB_TYPE_REJECTION;
}

static guint
get_n_items(GListModel *model)
{
	return SWB_REJECTION_MODEL(model)->items->len;
}

static gpointer
get_item(GListModel *model, guint position)
{
	SwbRejectionModel *self = SWB_REJECTION_MODEL(model);

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

gboolean
swb_rejection_model_handle_event(SwbRejectionModel *self, const char *type,
    json_object *params)
{
	SwbRejection *row;

	g_return_val_if_fail(SWB_IS_REJECTION_MODEL(self), FALSE);
	if (g_strcmp0(type, sb_control_event_name(SB_EVENT_UPGRADE_REJECTED)) != 0)
		return FALSE;
	row = swb_rejection_new_from_json(params);
	if (row == NULL)
		return FALSE;
	g_ptr_array_insert(self->items, 0, row);
	g_list_model_items_changed(G_LIST_MODEL(self), 0, 0, 1);
	if (self->items->len > self->limit) {
		g_ptr_array_remove_index(self->items, self->limit);
		g_list_model_items_changed(G_LIST_MODEL(self), self->limit, 1, 0);
	}
	return TRUE;
}

void
swb_rejection_model_clear(SwbRejectionModel *self)
{
	guint removed;

	g_return_if_fail(SWB_IS_REJECTION_MODEL(self));
	removed = self->items->len;
	if (removed == 0)
		return;
	g_ptr_array_set_size(self->items, 0);
	g_list_model_items_changed(G_LIST_MODEL(self), 0, removed, 0);
}

guint
swb_rejection_model_get_limit(SwbRejectionModel *self)
{
	return self->limit;
}

SwbRejectionModel *
swb_rejection_model_new(guint limit)
{
	SwbRejectionModel *self = g_object_new(SWB_TYPE_REJECTION_MODEL, NULL);

	self->limit = MAX(limit, 1);
	return self;
}

static void
swb_rejection_model_finalize(GObject *object)
{
	SwbRejectionModel *self = SWB_REJECTION_MODEL(object);

	g_clear_pointer(&self->items, g_ptr_array_unref);
	G_OBJECT_CLASS(swb_rejection_model_parent_class)->finalize(object);
}

static void
swb_rejection_model_class_init(SwbRejectionModelClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = swb_rejection_model_finalize;
}

static void
swb_rejection_model_init(SwbRejectionModel *self)
{
	self->items = g_ptr_array_new_with_free_func(g_object_unref);
	self->limit = SWB_REJECTION_MODEL_DEFAULT_LIMIT;
}
