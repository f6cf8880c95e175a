/* swb-connection.c - one live connection of the daemon, as a list row */
#include "swb-connection.h"

#include <string.h>

#include "sb-control.h"
#include "swb-format.h"

/* With no byte sample for this long, a connection is idle: its rate is 0. */
#define IDLE_AFTER_US (G_USEC_PER_SEC * 5 / 2)

struct _SwbConnection {
	GObject parent_instance;

	guint64 id;
	char *listener;
	char *route;
	char *mode;
	char *client;
	char *identity; /* who route auth found; NULL without auth */
	char *backend;
	char *state;
	char *reason; /* connection.closed: why */
	char *time;   /* connection.closed: when (RFC 3339, as the event says) */
	char *haystack; /* casefolded text fields, for the search filter */
	gint64 started_us;
	gint64 age_s;

	guint64 bytes_up;
	guint64 bytes_down;
	/* the latest byte sample and the one before it (when has_prev) */
	gint64 sample_us;
	guint64 sample_up;
	guint64 sample_down;
	gboolean has_prev;
	gint64 prev_us;
	guint64 prev_up;
	guint64 prev_down;
	gboolean fresh; /* a sample came since the last tick */
	double rate_up;
	double rate_down;
	/* bytes already handed out by swb_connection_take_delta() */
	guint64 taken_up;
	guint64 taken_down;
};

G_DEFINE_FINAL_TYPE(SwbConnection, swb_connection, G_TYPE_OBJECT)

enum {
	PROP_0,
	PROP_ID,
	PROP_LISTENER,
	PROP_ROUTE,
	PROP_MODE,
	PROP_CLIENT,
	PROP_IDENTITY,
	PROP_BACKEND,
	PROP_STATE,
	PROP_REASON,
	PROP_TIME,
	PROP_STARTED,
	PROP_AGE,
	PROP_AGE_TEXT,
	PROP_BYTES_UP,
	PROP_BYTES_DOWN,
	PROP_BYTES_UP_TEXT,
	PROP_BYTES_DOWN_TEXT,
	PROP_RATE_UP,
	PROP_RATE_DOWN,
	PROP_RATE,
	PROP_RATE_TEXT,
	N_PROPS
};

static GParamSpec *props[N_PROPS];

/* The text members a connection object may carry, and where they go. */
static const struct {
	const char *key;
	size_t offset;
	int prop;
} text_fields[] = {
	{ "listener", G_STRUCT_OFFSET(SwbConnection, listener), PROP_LISTENER },
	{ "route", G_STRUCT_OFFSET(SwbConnection, route), PROP_ROUTE },
	{ "mode", G_STRUCT_OFFSET(SwbConnection, mode), PROP_MODE },
	{ "client", G_STRUCT_OFFSET(SwbConnection, client), PROP_CLIENT },
	{ SB_FIELD_IDENTITY, G_STRUCT_OFFSET(SwbConnection, identity), PROP_IDENTITY },
	{ "backend", G_STRUCT_OFFSET(SwbConnection, backend), PROP_BACKEND },
	{ "state", G_STRUCT_OFFSET(SwbConnection, state), PROP_STATE },
	{ "reason", G_STRUCT_OFFSET(SwbConnection, reason), PROP_REASON },
	{ "time", G_STRUCT_OFFSET(SwbConnection, time), PROP_TIME },
};

static char **
text_slot(SwbConnection *self, size_t i)
{
	return G_STRUCT_MEMBER_P(self, text_fields[i].offset);
}

static void
rebuild_haystack(SwbConnection *self)
{
	g_autoptr(GString) text = g_string_new(NULL);

	g_string_append_printf(text, "%" G_GUINT64_FORMAT, self->id);
	for (size_t i = 0; i < G_N_ELEMENTS(text_fields); i++) {
		const char *value = *text_slot(self, i);

		g_string_append_c(text, '\n');
		g_string_append(text, value != NULL ? value : "");
	}
	g_free(self->haystack);
	self->haystack = g_utf8_casefold(text->str, (gssize)text->len);
}

/* A non-negative integer member; FALSE when absent or of another type. */
static gboolean
get_count(json_object *obj, const char *key, guint64 *out)
{
	json_object *v;
	int64_t n;

	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_int))
		return FALSE;
	n = json_object_get_int64(v);
	if (n < 0)
		return FALSE;
	*out = (guint64)n;
	return TRUE;
}

static void
set_bytes(SwbConnection *self, guint64 up, guint64 down, gint64 now_us)
{
	if (up != self->bytes_up) {
		self->bytes_up = up;
		g_object_notify_by_pspec(G_OBJECT(self), props[PROP_BYTES_UP]);
		g_object_notify_by_pspec(G_OBJECT(self), props[PROP_BYTES_UP_TEXT]);
	}
	if (down != self->bytes_down) {
		self->bytes_down = down;
		g_object_notify_by_pspec(G_OBJECT(self), props[PROP_BYTES_DOWN]);
		g_object_notify_by_pspec(G_OBJECT(self), props[PROP_BYTES_DOWN_TEXT]);
	}
	self->has_prev = TRUE;
	self->prev_us = self->sample_us;
	self->prev_up = self->sample_up;
	self->prev_down = self->sample_down;
	self->sample_us = now_us;
	self->sample_up = up;
	self->sample_down = down;
	self->fresh = TRUE;
}

static void
set_rates(SwbConnection *self, double up, double down)
{
	if (up == self->rate_up && down == self->rate_down)
		return;
	self->rate_up = up;
	self->rate_down = down;
	g_object_notify_by_pspec(G_OBJECT(self), props[PROP_RATE_UP]);
	g_object_notify_by_pspec(G_OBJECT(self), props[PROP_RATE_DOWN]);
	g_object_notify_by_pspec(G_OBJECT(self), props[PROP_RATE]);
	g_object_notify_by_pspec(G_OBJECT(self), props[PROP_RATE_TEXT]);
}

void
swb_connection_update(SwbConnection *self, json_object *obj, gint64 now_us)
{
	gboolean changed_text = FALSE;
	guint64 up = self->bytes_up;
	guint64 down = self->bytes_down;
	json_object *v;

	g_return_if_fail(SWB_IS_CONNECTION(self));
	g_object_freeze_notify(G_OBJECT(self));
	for (size_t i = 0; i < G_N_ELEMENTS(text_fields); i++) {
		char **slot = text_slot(self, i);

		if (!json_object_object_get_ex(obj, text_fields[i].key, &v) ||
		    !json_object_is_type(v, json_type_string))
			continue;
		if (g_strcmp0(*slot, json_object_get_string(v)) == 0)
			continue;
		g_free(*slot);
		*slot = g_strdup(json_object_get_string(v));
		g_object_notify_by_pspec(G_OBJECT(self), props[text_fields[i].prop]);
		changed_text = TRUE;
	}
	if (json_object_object_get_ex(obj, SB_FIELD_STARTED, &v) &&
	    json_object_is_type(v, json_type_string)) {
		gint64 started = swb_parse_rfc3339(json_object_get_string(v));

		if (started != self->started_us) {
			self->started_us = started;
			g_object_notify_by_pspec(G_OBJECT(self), props[PROP_STARTED]);
		}
	}
	if (changed_text)
		rebuild_haystack(self);
	if (get_count(obj, "bytes_up", &up) | get_count(obj, "bytes_down", &down))
		set_bytes(self, up, down, now_us);
	g_object_thaw_notify(G_OBJECT(self));
}

void
swb_connection_tick(SwbConnection *self, gint64 now_us, gint64 wall_us)
{
	gint64 age = self->started_us > 0 ? (wall_us - self->started_us) / G_USEC_PER_SEC : 0;

	g_return_if_fail(SWB_IS_CONNECTION(self));
	if (age != self->age_s) {
		self->age_s = age;
		g_object_notify_by_pspec(G_OBJECT(self), props[PROP_AGE]);
		g_object_notify_by_pspec(G_OBJECT(self), props[PROP_AGE_TEXT]);
	}
	if (self->fresh && self->has_prev && self->sample_us > self->prev_us) {
		double dt = (double)(self->sample_us - self->prev_us) / G_USEC_PER_SEC;
		/* counters only grow; a smaller one means a restarted daemon reused the id */
		double up = self->sample_up >= self->prev_up ?
		    (double)(self->sample_up - self->prev_up) / dt : 0;
		double down = self->sample_down >= self->prev_down ?
		    (double)(self->sample_down - self->prev_down) / dt : 0;

		set_rates(self, up, down);
	} else if (now_us - self->sample_us > IDLE_AFTER_US) {
		set_rates(self, 0, 0);
	}
	self->fresh = FALSE;
}

void
swb_connection_take_delta(SwbConnection *self, guint64 *up, guint64 *down)
{
	*up = self->bytes_up > self->taken_up ? self->bytes_up - self->taken_up : 0;
	*down = self->bytes_down > self->taken_down ? self->bytes_down - self->taken_down : 0;
	self->taken_up = self->bytes_up;
	self->taken_down = self->bytes_down;
}

SwbConnection *
swb_connection_new_from_json(json_object *obj, gint64 now_us)
{
	SwbConnection *self;
	guint64 id;

	if (obj == NULL || !get_count(obj, "id", &id))
		return NULL;
	self = g_object_new(SWB_TYPE_CONNECTION, NULL);
	self->id = id;
	swb_connection_update(self, obj, now_us);
	rebuild_haystack(self);
	/* what it carried before we saw it is history, not throughput */
	self->sample_us = now_us;
	self->sample_up = self->bytes_up;
	self->sample_down = self->bytes_down;
	self->has_prev = FALSE;
	self->fresh = FALSE;
	self->taken_up = self->bytes_up;
	self->taken_down = self->bytes_down;
	return self;
}

guint64
swb_connection_get_id(SwbConnection *self)
{
	return self->id;
}

const char *
swb_connection_get_listener(SwbConnection *self)
{
	return self->listener;
}

const char *
swb_connection_get_route(SwbConnection *self)
{
	return self->route;
}

const char *
swb_connection_get_mode(SwbConnection *self)
{
	return self->mode;
}

const char *
swb_connection_get_client(SwbConnection *self)
{
	return self->client;
}

const char *
swb_connection_get_identity(SwbConnection *self)
{
	return self->identity;
}

const char *
swb_connection_get_backend(SwbConnection *self)
{
	return self->backend;
}

const char *
swb_connection_get_state(SwbConnection *self)
{
	return self->state;
}

const char *
swb_connection_get_reason(SwbConnection *self)
{
	return self->reason;
}

gint64
swb_connection_get_started(SwbConnection *self)
{
	return self->started_us;
}

guint64
swb_connection_get_bytes_up(SwbConnection *self)
{
	return self->bytes_up;
}

guint64
swb_connection_get_bytes_down(SwbConnection *self)
{
	return self->bytes_down;
}

double
swb_connection_get_rate_up(SwbConnection *self)
{
	return self->rate_up;
}

double
swb_connection_get_rate_down(SwbConnection *self)
{
	return self->rate_down;
}

gboolean
swb_connection_matches(SwbConnection *self, const char *needle)
{
	return needle == NULL || needle[0] == '\0' || strstr(self->haystack, needle) != NULL;
}

static void
swb_connection_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
	SwbConnection *self = SWB_CONNECTION(object);

	switch (prop_id) {
	case PROP_ID:
		g_value_set_uint64(value, self->id);
		break;
	case PROP_LISTENER:
	case PROP_ROUTE:
	case PROP_MODE:
	case PROP_CLIENT:
	case PROP_IDENTITY:
	case PROP_BACKEND:
	case PROP_STATE:
	case PROP_REASON:
	case PROP_TIME:
		for (size_t i = 0; i < G_N_ELEMENTS(text_fields); i++)
			if (text_fields[i].prop == (int)prop_id)
				g_value_set_string(value, *text_slot(self, i));
		break;
	case PROP_STARTED:
		g_value_set_int64(value, self->started_us);
		break;
	case PROP_AGE:
		g_value_set_int64(value, self->age_s);
		break;
	case PROP_AGE_TEXT:
		g_value_take_string(value, self->started_us > 0 ?
		    swb_format_duration(self->age_s) : g_strdup(""));
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
	case PROP_RATE:
		g_value_set_double(value, self->rate_up + self->rate_down);
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
swb_connection_finalize(GObject *object)
{
	SwbConnection *self = SWB_CONNECTION(object);

	for (size_t i = 0; i < G_N_ELEMENTS(text_fields); i++)
		g_clear_pointer(text_slot(self, i), g_free);
	g_clear_pointer(&self->haystack, g_free);
	G_OBJECT_CLASS(swb_connection_parent_class)->finalize(object);
}

static GParamSpec *
text_prop(const char *name)
{
	return g_param_spec_string(name, NULL, NULL, NULL, G_PARAM_READABLE |
	    G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
}

static GParamSpec *
count_prop(const char *name)
{
	return g_param_spec_uint64(name, NULL, NULL, 0, G_MAXUINT64, 0, G_PARAM_READABLE |
	    G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
}

static GParamSpec *
rate_prop(const char *name)
{
	return g_param_spec_double(name, NULL, NULL, 0, G_MAXDOUBLE, 0, G_PARAM_READABLE |
	    G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
}

static void
swb_connection_class_init(SwbConnectionClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->get_property = swb_connection_get_property;
	object_class->finalize = swb_connection_finalize;

	props[PROP_ID] = count_prop("id");
	props[PROP_LISTENER] = text_prop("listener");
	props[PROP_ROUTE] = text_prop("route");
	props[PROP_MODE] = text_prop("mode");
	props[PROP_CLIENT] = text_prop("client");
	props[PROP_IDENTITY] = text_prop("identity");
	props[PROP_BACKEND] = text_prop("backend");
	props[PROP_STATE] = text_prop("state");
	props[PROP_REASON] = text_prop("reason");
	props[PROP_TIME] = text_prop("time");
	props[PROP_STARTED] = g_param_spec_int64("started", NULL, NULL, 0, G_MAXINT64, 0,
	    G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
	props[PROP_AGE] = g_param_spec_int64("age", NULL, NULL, 0, G_MAXINT64, 0,
	    G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
	props[PROP_AGE_TEXT] = text_prop("age-text");
	props[PROP_BYTES_UP] = count_prop("bytes-up");
	props[PROP_BYTES_DOWN] = count_prop("bytes-down");
	props[PROP_BYTES_UP_TEXT] = text_prop("bytes-up-text");
	props[PROP_BYTES_DOWN_TEXT] = text_prop("bytes-down-text");
	props[PROP_RATE_UP] = rate_prop("rate-up");
	props[PROP_RATE_DOWN] = rate_prop("rate-down");
	props[PROP_RATE] = rate_prop("rate");
	props[PROP_RATE_TEXT] = text_prop("rate-text");
	g_object_class_install_properties(object_class, N_PROPS, props);
}

static void
swb_connection_init(SwbConnection *self)
{
}
