/* swb-settings.c - the app's GSettings keys as GObject properties */
#include "swb-settings.h"

#include "sb-config.h"

struct _SwbSettings {
	GObject parent_instance;

	GSettings *settings;
	char *last_socket;
	char **sockets;
	int window_width;
	int window_height;
	gboolean window_maximized;
	gboolean persist_policy;
};

G_DEFINE_FINAL_TYPE(SwbSettings, swb_settings, G_TYPE_OBJECT)

enum {
	PROP_0,
	PROP_LAST_SOCKET,
	PROP_SOCKETS,
	PROP_WINDOW_WIDTH,
	PROP_WINDOW_HEIGHT,
	PROP_WINDOW_MAXIMIZED,
	PROP_PERSIST_POLICY,
	N_PROPS
};

static GParamSpec *props[N_PROPS];

/* The app's schema: installed, else the one compiled in the build tree. */
static GSettingsSchema *
lookup_schema(void)
{
	GSettingsSchemaSource *installed = g_settings_schema_source_get_default();
	GSettingsSchema *schema = NULL;
	g_autoptr(GSettingsSchemaSource) built = NULL;

	if (installed != NULL)
		schema = g_settings_schema_source_lookup(installed, SB_APP_ID, TRUE);
	if (schema != NULL)
		return schema;
	built = g_settings_schema_source_new_from_directory(SWB_BUILD_SCHEMA_DIR, installed,
	    FALSE, NULL);
	if (built != NULL)
		schema = g_settings_schema_source_lookup(built, SB_APP_ID, FALSE);
	if (schema == NULL)
		g_error("the GSettings schema %s is not installed (nor built in %s)", SB_APP_ID,
		    SWB_BUILD_SCHEMA_DIR);
	return schema;
}

SwbSettings *
swb_settings_new(void)
{
	return g_object_new(SWB_TYPE_SETTINGS, NULL);
}

const char *
swb_settings_get_last_socket(SwbSettings *self)
{
	return self->last_socket;
}

const char *const *
swb_settings_get_sockets(SwbSettings *self)
{
	return (const char *const *)self->sockets;
}

gboolean
swb_settings_get_persist_policy(SwbSettings *self)
{
	return self->persist_policy;
}

GSettings *
swb_settings_get_gsettings(SwbSettings *self)
{
	return self->settings;
}

void
swb_settings_remember_socket(SwbSettings *self, const char *path)
{
	g_autoptr(GStrvBuilder) builder = g_strv_builder_new();
	g_auto(GStrv) sockets = NULL;
	guint n = 1;

	g_return_if_fail(SWB_IS_SETTINGS(self));
	g_return_if_fail(path != NULL && path[0] != '\0');
	g_strv_builder_add(builder, path);
	for (guint i = 0; self->sockets[i] != NULL && n < SWB_SETTINGS_MAX_SOCKETS; i++) {
		if (g_str_equal(self->sockets[i], path))
			continue;
		g_strv_builder_add(builder, self->sockets[i]);
		n++;
	}
	sockets = g_strv_builder_end(builder);
	g_object_set(self, "sockets", sockets, "last-socket", path, NULL);
}

void
swb_settings_forget_socket(SwbSettings *self, const char *path)
{
	g_autoptr(GStrvBuilder) builder = g_strv_builder_new();
	g_auto(GStrv) sockets = NULL;

	g_return_if_fail(SWB_IS_SETTINGS(self));
	for (guint i = 0; self->sockets[i] != NULL; i++)
		if (!g_str_equal(self->sockets[i], path))
			g_strv_builder_add(builder, self->sockets[i]);
	sockets = g_strv_builder_end(builder);
	g_object_set(self, "sockets", sockets, NULL);
	if (g_strcmp0(self->last_socket, path) == 0)
		g_object_set(self, "last-socket", sockets[0] != NULL ? sockets[0] : "", NULL);
}

static void
swb_settings_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
	SwbSettings *self = SWB_SETTINGS(object);

	switch (prop_id) {
	case PROP_LAST_SOCKET:
		g_value_set_string(value, self->last_socket);
		break;
	case PROP_SOCKETS:
		g_value_set_boxed(value, self->sockets);
		break;
	case PROP_WINDOW_WIDTH:
		g_value_set_int(value, self->window_width);
		break;
	case PROP_WINDOW_HEIGHT:
		g_value_set_int(value, self->window_height);
		break;
	case PROP_WINDOW_MAXIMIZED:
		g_value_set_boolean(value, self->window_maximized);
		break;
	case PROP_PERSIST_POLICY:
		g_value_set_boolean(value, self->persist_policy);
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
	}
}

static void
swb_settings_set_property(GObject *object, guint prop_id, const GValue *value,
    GParamSpec *pspec)
{
	SwbSettings *self = SWB_SETTINGS(object);

	switch (prop_id) {
	case PROP_LAST_SOCKET:
		g_free(self->last_socket);
		self->last_socket = g_value_dup_string(value);
		break;
	case PROP_SOCKETS:
		g_strfreev(self->sockets);
		self->sockets = g_value_dup_boxed(value);
		if (self->sockets == NULL)
			self->sockets = g_new0(char *, 1);
		break;
	case PROP_WINDOW_WIDTH:
		self->window_width = g_value_get_int(value);
		break;
	case PROP_WINDOW_HEIGHT:
		self->window_height = g_value_get_int(value);
		break;
	case PROP_WINDOW_MAXIMIZED:
		self->window_maximized = g_value_get_boolean(value);
		break;
	case PROP_PERSIST_POLICY:
		self->persist_policy = g_value_get_boolean(value);
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
		return;
	}
	g_object_notify_by_pspec(object, pspec);
}

static void
swb_settings_constructed(GObject *object)
{
	SwbSettings *self = SWB_SETTINGS(object);
	g_autoptr(GSettingsSchema) schema = lookup_schema();
	static const char *const keys[] = {
		"last-socket", "sockets", "window-width", "window-height", "window-maximized",
		"persist-policy",
	};

	G_OBJECT_CLASS(swb_settings_parent_class)->constructed(object);
	self->settings = g_settings_new_full(schema, NULL, NULL);
	for (size_t i = 0; i < G_N_ELEMENTS(keys); i++)
		g_settings_bind(self->settings, keys[i], self, keys[i], G_SETTINGS_BIND_DEFAULT);
}

static void
swb_settings_finalize(GObject *object)
{
	SwbSettings *self = SWB_SETTINGS(object);

	g_clear_object(&self->settings);
	g_clear_pointer(&self->last_socket, g_free);
	g_clear_pointer(&self->sockets, g_strfreev);
	G_OBJECT_CLASS(swb_settings_parent_class)->finalize(object);
}

static void
swb_settings_class_init(SwbSettingsClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
	    G_PARAM_EXPLICIT_NOTIFY;

	object_class->get_property = swb_settings_get_property;
	object_class->set_property = swb_settings_set_property;
	object_class->constructed = swb_settings_constructed;
	object_class->finalize = swb_settings_finalize;
	props[PROP_LAST_SOCKET] = g_param_spec_string("last-socket", NULL, NULL, NULL, flags);
	props[PROP_SOCKETS] = g_param_spec_boxed("sockets", NULL, NULL, G_TYPE_STRV, flags);
	props[PROP_WINDOW_WIDTH] = g_param_spec_int("window-width", NULL, NULL, 0, G_MAXINT, 0,
	    flags);
	props[PROP_WINDOW_HEIGHT] = g_param_spec_int("window-height", NULL, NULL, 0, G_MAXINT, 0,
	    flags);
	props[PROP_WINDOW_MAXIMIZED] = g_param_spec_boolean("window-maximized", NULL, NULL, FALSE,
	    flags);
	props[PROP_PERSIST_POLICY] = g_param_spec_boolean("persist-policy", NULL, NULL, TRUE,
	    flags);
	g_object_class_install_properties(object_class, N_PROPS, props);
}

static void
swb_settings_init(SwbSettings *self)
{
	self->sockets = g_new0(char *, 1);
	self->persist_policy = TRUE;
}
