/* swb-throughput-graph.h - a live graph of a SwbThroughput: bytes per second, up and down */
#pragma once

#include <gtk/gtk.h>

#include "swb-throughput.h"

G_BEGIN_DECLS

#define SWB_TYPE_THROUGHPUT_GRAPH (swb_throughput_graph_get_type())
G_DECLARE_FINAL_TYPE(SwbThroughputGraph, swb_throughput_graph, SWB, THROUGHPUT_GRAPH,
    GtkWidget)

GtkWidget *swb_throughput_graph_new(void);
/* Draws throughput and redraws on each of its changes; NULL draws an empty graph. */
void swb_throughput_graph_set_throughput(SwbThroughputGraph *self, SwbThroughput *throughput);

G_END_DECLS
