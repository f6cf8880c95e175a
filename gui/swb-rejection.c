/* swb-rejection.c - one refused upgrade (an upgrade.rejected event), as a list row */
#include "swb-rejection.h"

#include "swb-format.h"

struct _SwbRejection {
	GObject parent_instance;

	gint64 time_us;
	char *client;
	char *route;
	guint status;
	char *reason;
};

G_DEFINE_FINAL_TYPE(SwbRejection, swb_rejection, G_TYPE_OBJECT)

enum {
	PROP_0,
	PROP_TIME,
	PROP_TIME_TEXT,
	PROP_CLIENT,
	PROP_ROUTE,
	PROP_STATUS,
	PROP_REASON,
	N_PROPS
};

static GParamSpec *props[N_PROPS];

static char *
dup_member(json_object *obj, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return g_strdup(json_object_get_string(v));
}

SwbRejection *
swb_rejection_new_from_json(json_object *params)
{
	SwbRejection *self;
	json_object *v;
	g_autofree char *time = NULL;

	if (params == NULL || !json_object_object_get_ex(params, "status", &v) ||
	    !json_object_is_type(v, json_type_int))
		return NULL;
	self = g_object_new(SWB_TYPE_REJECTION, NULL);
	self->status = (guint)CLAMP(json_object_get_int64(v), 0, 999);
	time = dup_member(params, "time");
	self->time_us = swb_parse_rfc3339(time);
	self->client = dup_member(params, "client");
	self->route = dup_member(params, "route");
	self->reason = dup_member(params, "reason");
	return self;
}

gint64
swb_rejection_get_time(SwbRejection *self)
{
	return self->time_us;
}

const char *
swb_rejection_get_client(SwbRejection *self)
{
	return self->client;
}

const char *
swb_rejection_get_route(SwbRejection *self)
{
	return self->route;
}

guint
swb_rejection_get_status(SwbRejection *self)
{
	return self->status;
}

const char *
swb_rejection_get_reason(SwbRejection *self)
{
	return self->reason;
}

static void
swb_rejection_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
	SwbRejection *self = SWB_REJECTION(object);

	switch (prop_id) {
	case PROP_TIME:
		g_value_set_int64(value, self->time_us);
		break;
	case PROP_TIME_TEXT: {
		g_autoptr(GDateTime) time = self->time_us > 0 ?
		    g_date_time_new_from_unix_utc(self->time_us / G_USEC_PER_SEC) : NULL;

		g_value_take_string(value, swb_format_clock(time));
		break;
	}
	case PROP_CLIENT:
		g_value_set_string(value, self->client);
		break;
	case PROP_ROUTE:
		g_value_set_string(value, self->route != NULL ? self->route : "—");
		break;
	case PROP_STATUS:
		g_value_set_uint(value, self->status);
		break;
	case PROP_REASON:
		g_value_set_string(value, self->reason);
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
	}
}

static void
swb_rejection_finalize(GObject *object)
{
	SwbRejection *self = SWB_REJECTION(object);

	g_clear_pointer(&self->client, g_free);
	g_clear_pointer(&self->route, g_free);
	g_clear_pointer(&self->reason, g_free);
	G_OBJECT_CLASS(swb_rejection_parent_class)->finalize(object);
}

static void
swb_rejection_class_init(SwbRejectionClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	const GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

	object_class->get_property = swb_rejection_get_property;
	object_class->finalize = swb_rejection_finalize;
	props[PROP_TIME] = g_param_spec_int64("time", NULL, NULL, 0, G_MAXINT64, 0, flags);
	props[PROP_TIME_TEXT] = g_param_spec_string("time-text", NULL, NULL, NULL, flags);
	props[PROP_CLIENT] = g_param_spec_string("client", NULL, NULL, NULL, flags);
	props[PROP_ROUTE] = g_param_spec_string("route", NULL, NULL, NULL, flags);
	props[PROP_STATUS] = g_param_spec_uint("status", NULL, NULL, 0, 999, 0, flags);
	props[PROP_REASON] = g_param_spec_string("reason", NULL, NULL, NULL, flags);
	g_object_class_install_properties(object_class, N_PROPS, props);
}

static void
swb_rejection_init(SwbRejection *self)
{
}
