/* swb-closed-model.c - recently closed connections, newest first, at most a fixed number */
#include "swb-closed-model.h"

#include "sb-control.h"

struct _SwbClosedModel {
	GObject parent_instance;

	GListStore *rows; /* SwbConnection, newest first */
	guint limit;
};

static void list_model_iface_init(GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(SwbClosedModel, swb_closed_model, G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE(G_TYPE_LIST_MODEL, list_model_iface_init))

static GType
get_item_type(GListModel *model)
{
	return SWB_TYPE_CONNECTION;
}

static guint
get_n_items(GListModel *model)
{
	return g_list_model_get_n_items(G_LIST_MODEL(SWB_CLOSED_MODEL(model)->rows));
}

static gpointer
get_item(GListModel *model, guint position)
{
	return g_list_model_get_item(G_LIST_MODEL(SWB_CLOSED_MODEL(model)->rows), position);
}

static void
list_model_iface_init(GListModelInterface *iface)
{
	iface->get_item_type = get_item_type;
	iface->get_n_items = get_n_items;
	iface->get_item = get_item;
}

/* The store's changes are ours. */
static void
on_rows_changed(GListModel *rows, guint position, guint removed, guint added,
    SwbClosedModel *self)
{
	g_list_model_items_changed(G_LIST_MODEL(self), position, removed, added);
}

gboolean
swb_closed_model_handle_event(SwbClosedModel *self, const char *type, json_object *params,
    gint64 now_us)
{
	g_autoptr(SwbConnection) row = NULL;
	guint n;

	g_return_val_if_fail(SWB_IS_CLOSED_MODEL(self), FALSE);
	if (g_strcmp0(type, sb_control_event_name(SB_EVENT_CONNECTION_CLOSED)) != 0)
		return FALSE;
	row = swb_connection_new_from_json(params, now_us);
	if (row == NULL)
		return FALSE;
	g_list_store_insert(self->rows, 0, row);
	n = g_list_model_get_n_items(G_LIST_MODEL(self->rows));
	if (n > self->limit)
		g_list_store_splice(self->rows, self->limit, n - self->limit, NULL, 0);
	return TRUE;
}

void
swb_closed_model_clear(SwbClosedModel *self)
{
	g_return_if_fail(SWB_IS_CLOSED_MODEL(self));
	g_list_store_remove_all(self->rows);
}

SwbClosedModel *
swb_closed_model_new(guint limit)
{
	SwbClosedModel *self = g_object_new(SWB_TYPE_CLOSED_MODEL, NULL);

	self->limit = MAX(limit, 1);
	return self;
}

static void
swb_closed_model_finalize(GObject *object)
{
	SwbClosedModel *self = SWB_CLOSED_MODEL(object);

	g_signal_handlers_disconnect_by_data(self->rows, self);
	g_clear_object(&self->rows);
	G_OBJECT_CLASS(swb_closed_model_parent_class)->finalize(object);
}

static void
swb_closed_model_class_init(SwbClosedModelClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = swb_closed_model_finalize;
}

static void
swb_closed_model_init(SwbClosedModel *self)
{
	self->rows = g_list_store_new(SWB_TYPE_CONNECTION);
	self->limit = SWB_CLOSED_MODEL_DEFAULT_LIMIT;
	g_signal_connect(self->rows, "items-changed", G_CALLBACK(on_rows_changed), self);
}
