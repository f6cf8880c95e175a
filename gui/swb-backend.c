/* swb-backend.c - one server of a route's pool (a backends.list element), as a list row */
#include "swb-backend.h"

#include "sb-control.h"

enum {
	PROP_0,
	PROP_ROUTE,
	PROP_ADDRESS,
	PROP_SERVER,
	PROP_STATE,
	PROP_LAST_CHECK,
	PROP_LAST_ERROR,
	PROP_REASON,
	PROP_WEIGHT,
	PROP_ACTIVE,
	PROP_TOTAL,
	PROP_FAILURES,
	PROP_BACKUP,
	PROP_ROLE,
	PROP_STATE_ICON,
	PROP_ADMIN,
	N_PROPS
};

/* The string members: slots of text[] below. */
enum { T_ROUTE, T_ADDRESS, T_SERVER, T_STATE, T_LAST_CHECK, T_LAST_ERROR, T_REASON, N_TEXT };
static const struct {
	const char *field;
	int prop;
} text_fields[N_TEXT] = {
	{ SB_FIELD_ROUTE, PROP_ROUTE },
	{ SB_FIELD_ADDRESS, PROP_ADDRESS },
	{ SB_FIELD_SERVER, PROP_SERVER },
	{ SB_FIELD_STATE, PROP_STATE },
	{ SB_FIELD_LAST_CHECK, PROP_LAST_CHECK },
	{ SB_FIELD_LAST_ERROR, PROP_LAST_ERROR },
	{ SB_FIELD_REASON, PROP_REASON },
};

/* The numbers: slots of number[] below. */
enum { N_WEIGHT, N_ACTIVE, N_TOTAL, N_FAILURES, N_NUMBER };
static const struct {
	const char *field;
	int prop;
} number_fields[N_NUMBER] = {
	{ SB_FIELD_WEIGHT, PROP_WEIGHT },
	{ SB_FIELD_ACTIVE, PROP_ACTIVE },
	{ SB_FIELD_TOTAL, PROP_TOTAL },
	{ SB_FIELD_FAILURES, PROP_FAILURES },
};

/* A state's icon; anything the table does not know shows as a question. */
static const struct {
	const char *state;
	const char *icon;
} state_icons[] = {
	{ "up", "emblem-ok-symbolic" },
	{ "down", "dialog-error-symbolic" },
	{ "drain", "media-playback-pause-symbolic" },
	{ "maint", "emblem-system-symbolic" },
};

struct _SwbBackend {
	GObject parent_instance;

	char *text[N_TEXT];
	guint64 number[N_NUMBER];
	gboolean backup;
};

G_DEFINE_FINAL_TYPE(SwbBackend, swb_backend, G_TYPE_OBJECT)

static GParamSpec *props[N_PROPS];

/* A member of obj that is present: TRUE and *v (NULL for a JSON null). */
static gboolean
member(json_object *obj, const char *key, json_object **v)
{
	return json_object_object_get_ex(obj, key, v);
}

static gboolean
update_text(SwbBackend *self, json_object *obj, guint i)
{
	json_object *v;
	const char *text;

	if (!member(obj, text_fields[i].field, &v))
		return FALSE;
	text = v != NULL && json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : NULL;
	if (g_strcmp0(self->text[i], text) == 0)
		return FALSE;
	g_free(self->text[i]);
	self->text[i] = g_strdup(text);
	g_object_notify_by_pspec(G_OBJECT(self), props[text_fields[i].prop]);
	return TRUE;
}

static gboolean
update_number(SwbBackend *self, json_object *obj, guint i)
{
	json_object *v;
	guint64 n;

	if (!member(obj, number_fields[i].field, &v) || v == NULL ||
	    !json_object_is_type(v, json_type_int))
		return FALSE;
	n = (guint64)MAX(json_object_get_int64(v), 0);
	if (self->number[i] == n)
		return FALSE;
	self->number[i] = n;
	g_object_notify_by_pspec(G_OBJECT(self), props[number_fields[i].prop]);
	return TRUE;
}

gboolean
swb_backend_update(SwbBackend *self, json_object *obj)
{
	gboolean changed = FALSE;
	gboolean state_changed;
	json_object *v;

	g_return_val_if_fail(SWB_IS_BACKEND(self), FALSE);
	if (obj == NULL || !json_object_is_type(obj, json_type_object))
		return FALSE;
	g_object_freeze_notify(G_OBJECT(self));
	for (guint i = 0; i < N_TEXT; i++)
		if (i != T_STATE && update_text(self, obj, i))
			changed = TRUE;
	state_changed = update_text(self, obj, T_STATE);
	for (guint i = 0; i < N_NUMBER; i++)
		if (update_number(self, obj, i)) {
			changed = TRUE;
			if (i == N_WEIGHT)
				g_object_notify_by_pspec(G_OBJECT(self), props[PROP_ROLE]);
		}
	if (member(obj, SB_FIELD_BACKUP, &v) && v != NULL &&
	    json_object_is_type(v, json_type_boolean) &&
	    json_object_get_boolean(v) != self->backup) {
		self->backup = json_object_get_boolean(v);
		g_object_notify_by_pspec(G_OBJECT(self), props[PROP_BACKUP]);
		g_object_notify_by_pspec(G_OBJECT(self), props[PROP_ROLE]);
		changed = TRUE;
	}
	if (state_changed) {
		g_object_notify_by_pspec(G_OBJECT(self), props[PROP_STATE_ICON]);
		g_object_notify_by_pspec(G_OBJECT(self), props[PROP_ADMIN]);
	}
	g_object_thaw_notify(G_OBJECT(self));
	return changed || state_changed;
}

SwbBackend *
swb_backend_new_from_json(json_object *obj)
{
	SwbBackend *self;
	json_object *route, *address;

	if (obj == NULL || !json_object_is_type(obj, json_type_object) ||
	    !json_object_object_get_ex(obj, SB_FIELD_ROUTE, &route) ||
	    !json_object_is_type(route, json_type_string) ||
	    !json_object_object_get_ex(obj, SB_FIELD_ADDRESS, &address) ||
	    !json_object_is_type(address, json_type_string))
		return NULL;
	self = g_object_new(SWB_TYPE_BACKEND, NULL);
	swb_backend_update(self, obj);
	return self;
}

const char *
swb_backend_get_route(SwbBackend *self)
{
	return self->text[T_ROUTE];
}

const char *
swb_backend_get_address(SwbBackend *self)
{
	return self->text[T_ADDRESS];
}

/* The name the server was written as (a host name's address has one); else the address. */
const char *
swb_backend_get_server(SwbBackend *self)
{
	return self->text[T_SERVER] != NULL ? self->text[T_SERVER] :
	    self->text[T_ADDRESS];
}

const char *
swb_backend_get_state(SwbBackend *self)
{
	return self->text[T_STATE] != NULL ? self->text[T_STATE] : "up";
}

const char *
swb_backend_get_admin(SwbBackend *self)
{
	const char *state = swb_backend_get_state(self);

	return g_str_equal(state, "drain") || g_str_equal(state, "maint") ? state : "ready";
}

const char *
swb_backend_get_last_error(SwbBackend *self)
{
	return self->text[T_LAST_ERROR];
}

const char *
swb_backend_get_reason(SwbBackend *self)
{
	return self->text[T_REASON];
}

guint
swb_backend_get_weight(SwbBackend *self)
{
	return (guint)MIN(self->number[N_WEIGHT], G_MAXUINT);
}

guint64
swb_backend_get_active(SwbBackend *self)
{
	return self->number[N_ACTIVE];
}

guint64
swb_backend_get_total(SwbBackend *self)
{
	return self->number[N_TOTAL];
}

guint64
swb_backend_get_failures(SwbBackend *self)
{
	return self->number[N_FAILURES];
}

gboolean
swb_backend_get_backup(SwbBackend *self)
{
	return self->backup;
}

static const char *
state_icon(SwbBackend *self)
{
	const char *state = swb_backend_get_state(self);

	for (size_t i = 0; i < G_N_ELEMENTS(state_icons); i++)
		if (g_str_equal(state, state_icons[i].state))
			return state_icons[i].icon;
	return "dialog-question-symbolic";
}

static void
swb_backend_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
	SwbBackend *self = SWB_BACKEND(object);

	for (guint i = 0; i < N_TEXT; i++)
		if (text_fields[i].prop == (int)prop_id) {
			g_value_set_string(value, i == T_SERVER ? swb_backend_get_server(self) :
			    i == T_STATE ? swb_backend_get_state(self) : self->text[i]);
			return;
		}
	for (guint i = 0; i < N_NUMBER; i++)
		if (number_fields[i].prop == (int)prop_id) {
			g_value_set_uint64(value, self->number[i]);
			return;
		}
	switch (prop_id) {
	case PROP_BACKUP:
		g_value_set_boolean(value, self->backup);
		break;
	case PROP_ROLE:
		g_value_take_string(value, self->backup ? g_strdup("backup") :
		    g_strdup_printf("weight %u", swb_backend_get_weight(self)));
		break;
	case PROP_STATE_ICON:
		g_value_set_string(value, state_icon(self));
		break;
	case PROP_ADMIN:
		g_value_set_string(value, swb_backend_get_admin(self));
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
	}
}

static void
swb_backend_finalize(GObject *object)
{
	SwbBackend *self = SWB_BACKEND(object);

	for (guint i = 0; i < N_TEXT; i++)
		g_clear_pointer(&self->text[i], g_free);
	G_OBJECT_CLASS(swb_backend_parent_class)->finalize(object);
}

static void
swb_backend_class_init(SwbBackendClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	const GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS |
	    G_PARAM_EXPLICIT_NOTIFY;
	static const char *const text_names[N_TEXT] = { "route", "address", "server", "state",
		"last-check", "last-error", "reason" };
	static const char *const number_names[N_NUMBER] = { "weight", "active", "total",
		"failures" };

	object_class->get_property = swb_backend_get_property;
	object_class->finalize = swb_backend_finalize;
	for (guint i = 0; i < N_TEXT; i++)
		props[text_fields[i].prop] = g_param_spec_string(text_names[i], NULL, NULL, NULL,
		    flags);
	for (guint i = 0; i < N_NUMBER; i++)
		props[number_fields[i].prop] = g_param_spec_uint64(number_names[i], NULL, NULL,
		    0, G_MAXUINT64, 0, flags);
	props[PROP_BACKUP] = g_param_spec_boolean("backup", NULL, NULL, FALSE, flags);
	props[PROP_ROLE] = g_param_spec_string("role", NULL, NULL, NULL, flags);
	props[PROP_STATE_ICON] = g_param_spec_string("state-icon", NULL, NULL, NULL, flags);
	props[PROP_ADMIN] = g_param_spec_string("admin", NULL, NULL, NULL, flags);
	g_object_class_install_properties(object_class, N_PROPS, props);
}

static void
swb_backend_init(SwbBackend *self)
{
}
