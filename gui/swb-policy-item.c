/* swb-policy-item.c - a listener or a route of the edited policy, as a sidebar row */
#include "swb-policy-item.h"

struct _SwbPolicyItem {
	GObject parent_instance;

	SwbSection section;
	int index;
	char *title;
	char *subtitle;
	guint n_errors;
};

G_DEFINE_FINAL_TYPE(SwbPolicyItem, swb_policy_item, G_TYPE_OBJECT)

enum {
	PROP_0,
	PROP_TITLE,
	PROP_SUBTITLE,
	PROP_N_ERRORS,
	PROP_HAS_ERRORS,
	N_PROPS
};

static GParamSpec *props[N_PROPS];

/* Replaces *slot with a copy of value; FALSE when they were equal. */
static gboolean
set_str(char **slot, const char *value)
{
	if (g_strcmp0(*slot, value) == 0)
		return FALSE;
	g_free(*slot);
	*slot = g_strdup(value);
	return TRUE;
}

SwbPolicyItem *
swb_policy_item_new(SwbSection section, int index)
{
	SwbPolicyItem *self = g_object_new(SWB_TYPE_POLICY_ITEM, NULL);

	self->section = section;
	self->index = index;
	return self;
}

SwbSection
swb_policy_item_get_section(SwbPolicyItem *self)
{
	return self->section;
}

int
swb_policy_item_get_index(SwbPolicyItem *self)
{
	return self->index;
}

const char *
swb_policy_item_get_title(SwbPolicyItem *self)
{
	return self->title;
}

const char *
swb_policy_item_get_subtitle(SwbPolicyItem *self)
{
	return self->subtitle;
}

guint
swb_policy_item_get_n_errors(SwbPolicyItem *self)
{
	return self->n_errors;
}

void
swb_policy_item_set_title(SwbPolicyItem *self, const char *title)
{
	if (set_str(&self->title, title))
		g_object_notify_by_pspec(G_OBJECT(self), props[PROP_TITLE]);
}

void
swb_policy_item_set_subtitle(SwbPolicyItem *self, const char *subtitle)
{
	if (set_str(&self->subtitle, subtitle))
		g_object_notify_by_pspec(G_OBJECT(self), props[PROP_SUBTITLE]);
}

void
swb_policy_item_set_n_errors(SwbPolicyItem *self, guint n_errors)
{
	gboolean had = self->n_errors > 0;

	if (self->n_errors == n_errors)
		return;
	self->n_errors = n_errors;
	g_object_notify_by_pspec(G_OBJECT(self), props[PROP_N_ERRORS]);
	if (had != (n_errors > 0))
		g_object_notify_by_pspec(G_OBJECT(self), props[PROP_HAS_ERRORS]);
}

static void
swb_policy_item_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
	SwbPolicyItem *self = SWB_POLICY_ITEM(object);

	switch (prop_id) {
	case PROP_TITLE:
		g_value_set_string(value, self->title);
		break;
	case PROP_SUBTITLE:
		g_value_set_string(value, self->subtitle);
		break;
	case PROP_N_ERRORS:
		g_value_set_uint(value, self->n_errors);
		break;
	case PROP_HAS_ERRORS:
		g_value_set_boolean(value, self->n_errors > 0);
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
	}
}

static void
swb_policy_item_finalize(GObject *object)
{
	SwbPolicyItem *self = SWB_POLICY_ITEM(object);

	g_clear_pointer(&self->title, g_free);
	g_clear_pointer(&self->subtitle, g_free);
	G_OBJECT_CLASS(swb_policy_item_parent_class)->finalize(object);
}

static void
swb_policy_item_class_init(SwbPolicyItemClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	const GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS |
	    G_PARAM_EXPLICIT_NOTIFY;

	object_class->get_property = swb_policy_item_get_property;
	object_class->finalize = swb_policy_item_finalize;
	props[PROP_TITLE] = g_param_spec_string("title", NULL, NULL, NULL, flags);
	props[PROP_SUBTITLE] = g_param_spec_string("subtitle", NULL, NULL, NULL, flags);
	props[PROP_N_ERRORS] = g_param_spec_uint("n-errors", NULL, NULL, 0, G_MAXUINT, 0, flags);
	props[PROP_HAS_ERRORS] = g_param_spec_boolean("has-errors", NULL, NULL, FALSE, flags);
	g_object_class_install_properties(object_class, N_PROPS, props);
}

static void
swb_policy_item_init(SwbPolicyItem *self)
{
}
