/* swb-closed-view.h - a table of recently closed connections (a SwbClosedModel) */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define SWB_TYPE_CLOSED_VIEW (swb_closed_view_get_type())
G_DECLARE_FINAL_TYPE(SwbClosedView, swb_closed_view, SWB, CLOSED_VIEW, GtkWidget)

/* Shows model (a GListModel of SwbConnection; NULL: nothing). */
void swb_closed_view_set_model(SwbClosedView *self, GListModel *model);

G_END_DECLS
