/* swb-route-stats.c - counters of one route as the app has seen them, as a list row */
#include "swb-route-stats.h"

#include "swb-format.h"

struct _SwbRouteStats {
	GObject parent_instance;

	char *name;
	guint active;
	guint64 opened;
	guint64 bytes_up;
	guint64 bytes_down;
	double rate_up;
	double rate_down;
};

G_DEFINE_FINAL_TYPE(SwbRouteStats, swb_route_stats, G_TYPE_OBJECT)

enum {
	PROP_0,
	PROP_NAME,
	PROP_ACTIVE,
	PROP_OPENED,
	PROP_BYTES_UP,
	PROP_BYTES_DOWN,
	PROP_BYTES_UP_TEXT,
	PROP_BYTES_DOWN_TEXT,
	PROP_RATE_UP,
	PROP_RATE_DOWN,
	PROP_RATE_TEXT,
	N_PROPS
};

static GParamSpec *props[N_PROPS];

SwbRouteStats *
swb_route_stats_new(const char *name)
{
	SwbRouteStats *self = g_object_new(SWB_TYPE_ROUTE_STATS, NULL);

	self->name = g_strdup(name);
	return self;
}

const char *
swb_route_stats_get_name(SwbRouteStats *self)
{
	return self->name;
}

guint
swb_route_stats_get_active(SwbRouteStats *self)
{
	return self->active;
}

guint64
swb_route_stats_get_opened(SwbRouteStats *self)
{
	return self->opened;
}

guint64
swb_route_stats_get_bytes_up(SwbRouteStats *self)
{
	return self->bytes_up;
}

guint64
swb_route_stats_get_bytes_down(SwbRouteStats *self)
{
	return self->bytes_down;
}

double
swb_route_stats_get_rate_up(SwbRouteStats *self)
{
	return self->rate_up;
}

double
swb_route_stats_get_rate_down(SwbRouteStats *self)
{
	return self->rate_down;
}

void
swb_route_stats_set_active(SwbRouteStats *self, guint active)
{
	if (self->active == active)
		return;
	self->active = active;
	g_object_notify_by_pspec(G_OBJECT(self), props[PROP_ACTIVE]);
}

void
swb_route_stats_set_opened(SwbRouteStats *self, guint64 opened)
{
	if (self->opened == opened)
		return;
	self->opened = opened;
	g_object_notify_by_pspec(G_OBJECT(self), props[PROP_OPENED]);
}

void
swb_route_stats_set_bytes(SwbRouteStats *self, guint64 up, guint64 down)
{
	if (self->bytes_up != up) {
		self->bytes_up = up;
		g_object_notify_by_pspec(G_OBJECT(self), props[PROP_BYTES_UP]);
		g_object_notify_by_pspec(G_OBJECT(self), props[PROP_BYTES_UP_TEXT]);
	}
	if (self->bytes_down != down) {
		self->bytes_down = down;
		g_object_notify_by_pspec(G_OBJECT(self), props[PROP_BYTES_DOWN]);
		g_object_notify_by_pspec(G_OBJECT(self), props[PROP_BYTES_DOWN_TEXT]);
	}
}

void
swb_route_stats_set_rates(SwbRouteStats *self, double up, double down)
{
	if (self->rate_up == up && self->rate_down == down)
		return;
	self->rate_up = up;
	self->rate_down = down;
	g_object_notify_by_pspec(G_OBJECT(self), props[PROP_RATE_UP]);
	g_object_notify_by_pspec(G_OBJECT(self), props[PROP_RATE_DOWN]);
	g_object_notify_by_pspec(G_OBJECT(self), props[PROP_RATE_TEXT]);
}

static void
swb_route_stats_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
	SwbRouteStats *self = SWB_ROUTE_STATS(object);

	switch (prop_id) {
	case PROP_NAME:
		g_value_set_string(value, self->name);
		break;
	case PROP_ACTIVE:
		g_value_set_uint(value, self->active);
		break;
	case PROP_OPENED:
		g_value_set_uint64(value, self->opened);
		break;
	case PROP_BYTES_UP:
		g_value_set_uint64(value, self->bytes_up);
		break;
	case PROP_BYTES_DOWN:
		g_value_set_uint64(value, self->bytes_down);
		break;
	case PROP_BYTES_UP_TEXT:
		g_value_take_string(value, swb_format_bytes(self->bytes_up));
		break;
	case PROP_BYTES_DOWN_TEXT:
		g_value_take_string(value, swb_format_bytes(self->bytes_down));
		break;
	case PROP_RATE_UP:
		g_value_set_double(value, self->rate_up);
		break;
	case PROP_RATE_DOWN:
		g_value_set_double(value, self->rate_down);
		break;
	case PROP_RATE_TEXT: {
		g_autofree char *up = swb_format_rate(self->rate_up);
		g_autofree char *down = swb_format_rate(self->rate_down);

		g_value_take_string(value, g_strdup_printf("↑ %s  ↓ %s", up, down));
		break;
	}
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
	}
}

static void
swb_route_stats_finalize(GObject *object)
{
	SwbRouteStats *self = SWB_ROUTE_STATS(object);

	g_clear_pointer(&self->name, g_free);
	G_OBJECT_CLASS(swb_route_stats_parent_class)->finalize(object);
}

static void
swb_route_stats_class_init(SwbRouteStatsClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	const GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS |
	    G_PARAM_EXPLICIT_NOTIFY;

	object_class->get_property = swb_route_stats_get_property;
	object_class->finalize = swb_route_stats_finalize;

	props[PROP_NAME] = g_param_spec_string("name", NULL, NULL, NULL, flags);
	props[PROP_ACTIVE] = g_param_spec_uint("active", NULL, NULL, 0, G_MAXUINT, 0, flags);
	props[PROP_OPENED] = g_param_spec_uint64("opened", NULL, NULL, 0, G_MAXUINT64, 0, flags);
	props[PROP_BYTES_UP] = g_param_spec_uint64("bytes-up", NULL, NULL, 0, G_MAXUINT64, 0,
	    flags);
	props[PROP_BYTES_DOWN] = g_param_spec_uint64("bytes-down", NULL, NULL, 0, G_MAXUINT64, 0,
	    flags);
	props[PROP_BYTES_UP_TEXT] = g_param_spec_string("bytes-up-text", NULL, NULL, NULL, flags);
	props[PROP_BYTES_DOWN_TEXT] = g_param_spec_string("bytes-down-text", NULL, NULL, NULL,
	    flags);
	props[PROP_RATE_UP] = g_param_spec_double("rate-up", NULL, NULL, 0, G_MAXDOUBLE, 0, flags);
	props[PROP_RATE_DOWN] = g_param_spec_double("rate-down", NULL, NULL, 0, G_MAXDOUBLE, 0,
	    flags);
	props[PROP_RATE_TEXT] = g_param_spec_string("rate-text", NULL, NULL, NULL, flags);
	g_object_class_install_properties(object_class, N_PROPS, props);
}

static void
swb_route_stats_init(SwbRouteStats *self)
{
}
