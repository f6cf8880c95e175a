/* swb-route-stats.h - counters of one route as the app has seen them, as a list row */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define SWB_TYPE_ROUTE_STATS (swb_route_stats_get_type())
G_DECLARE_FINAL_TYPE(SwbRouteStats, swb_route_stats, SWB, ROUTE_STATS, GObject)

SwbRouteStats *swb_route_stats_new(const char *name);

const char *swb_route_stats_get_name(SwbRouteStats *self);
guint swb_route_stats_get_active(SwbRouteStats *self);
guint64 swb_route_stats_get_opened(SwbRouteStats *self);
guint64 swb_route_stats_get_bytes_up(SwbRouteStats *self);
guint64 swb_route_stats_get_bytes_down(SwbRouteStats *self);
double swb_route_stats_get_rate_up(SwbRouteStats *self);
double swb_route_stats_get_rate_down(SwbRouteStats *self);

/* Each setter notifies only when the value changes. */
void swb_route_stats_set_active(SwbRouteStats *self, guint active);
void swb_route_stats_set_opened(SwbRouteStats *self, guint64 opened);
void swb_route_stats_set_bytes(SwbRouteStats *self, guint64 up, guint64 down);
void swb_route_stats_set_rates(SwbRouteStats *self, double up, double down);

G_END_DECLS
