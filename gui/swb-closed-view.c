/* swb-closed-view.c - a table of recently closed connections (a SwbClosedModel) */
#include "swb-closed-view.h"

#include "swb-connection.h"

struct _SwbClosedView {
	GtkWidget parent_instance;

	GtkNoSelection *selection;
};

G_DEFINE_FINAL_TYPE(SwbClosedView, swb_closed_view, GTK_TYPE_WIDGET)

void
swb_closed_view_set_model(SwbClosedView *self, GListModel *model)
{
	g_return_if_fail(SWB_IS_CLOSED_VIEW(self));
	gtk_no_selection_set_model(self->selection, model);
}

static void
swb_closed_view_dispose(GObject *object)
{
	GtkWidget *child;

	gtk_widget_dispose_template(GTK_WIDGET(object), SWB_TYPE_CLOSED_VIEW);
	while ((child = gtk_widget_get_first_child(GTK_WIDGET(object))) != NULL)
		gtk_widget_unparent(child);
	G_OBJECT_CLASS(swb_closed_view_parent_class)->dispose(object);
}

static void
swb_closed_view_class_init(SwbClosedViewClass *klass)
{
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

	G_OBJECT_CLASS(klass)->dispose = swb_closed_view_dispose;
	g_type_ensure(SWB_TYPE_CONNECTION);
	gtk_widget_class_set_template_from_resource(widget_class,
	    "/org/switchboard/Switchboard/swb-closed-view.ui");
	gtk_widget_class_bind_template_child(widget_class, SwbClosedView, selection);
	gtk_widget_class_set_layout_manager_type(widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
swb_closed_view_init(SwbClosedView *self)
{
	gtk_widget_init_template(GTK_WIDGET(self));
}
