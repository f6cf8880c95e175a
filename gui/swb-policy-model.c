/*
 * swb-policy-model.c - the policy being edited: the JSON document, the
 * daemon revision it started from, and the validators' errors by JSON path
 */
#include "swb-policy-model.h"

#include <stdlib.h>
#include <string.h>

#include "sb-json.h"
#include "sb-policy.h"

struct _SwbPolicyModel {
	GObject parent_instance;

	json_object *doc;
	json_object *baseline; /* as last loaded or applied */
	gint64 revision;
	char *file;
	char *base_dir; /* where relative paths resolve; NULL: the file's folder, else ours */
	SwbPolicyErrors *errors;
	GListStore *listeners; /* SwbPolicyItem */
	GListStore *routes;
	gboolean valid;
	gboolean modified;
};

G_DEFINE_FINAL_TYPE(SwbPolicyModel, swb_policy_model, G_TYPE_OBJECT)

enum {
	PROP_0,
	PROP_VALID,
	PROP_MODIFIED,
	PROP_REVISION,
	PROP_FILE,
	PROP_N_ERRORS,
	N_PROPS
};

enum {
	SIGNAL_CHANGED,
	SIGNAL_STRUCTURE_CHANGED,
	SIGNAL_ERRORS_CHANGED,
	N_SIGNALS
};

static GParamSpec *props[N_PROPS];
static guint signals[N_SIGNALS];

static const char *const section_arrays[] = {
	[SWB_SECTION_GENERAL] = NULL,
	[SWB_SECTION_LISTENER] = "listeners",
	[SWB_SECTION_ROUTE] = "routes",
};

/* The listeners or routes array; with create, a missing or mistyped one is replaced. */
static json_object *
section_array(SwbPolicyModel *self, SwbSection section, gboolean create)
{
	const char *key = section_arrays[section];
	json_object *arr = NULL;

	if (key == NULL)
		return NULL;
	if (json_object_object_get_ex(self->doc, key, &arr) &&
	    json_object_is_type(arr, json_type_array))
		return arr;
	if (!create)
		return NULL;
	arr = json_object_new_array();
	json_object_object_add(self->doc, key, arr);
	return arr;
}

/* The object a field of (section, index) lives in; NULL when there is none. */
static json_object *
item_object(SwbPolicyModel *self, SwbSection section, int index)
{
	json_object *arr;
	json_object *obj;

	if (section == SWB_SECTION_GENERAL)
		return self->doc;
	arr = section_array(self, section, FALSE);
	if (arr == NULL || index < 0 || (size_t)index >= json_object_array_length(arr))
		return NULL;
	obj = json_object_array_get_idx(arr, (size_t)index);
	return json_object_is_type(obj, json_type_object) ? obj : NULL;
}

static GListStore *
section_store(SwbPolicyModel *self, SwbSection section)
{
	return section == SWB_SECTION_LISTENER ? self->listeners : self->routes;
}

static char *
member_text(json_object *obj, const char *section_key, const char *key)
{
	const SwbField *field;

	field = swb_policy_field_find(g_str_equal(section_key, "listeners") ?
	    SWB_SECTION_LISTENER : SWB_SECTION_ROUTE, key);
	return obj != NULL && field != NULL ? swb_field_get_text(field, obj) : g_strdup("");
}

/* Titles from the item's own fields: "vnc", "/websockify → 127.0.0.1:5900". */
static void
describe_item(SwbPolicyModel *self, SwbPolicyItem *item)
{
	SwbSection section = swb_policy_item_get_section(item);
	const char *key = section_arrays[section];
	json_object *obj = item_object(self, section, swb_policy_item_get_index(item));
	g_autofree char *name = member_text(obj, key, "name");
	g_autofree char *subtitle = NULL;

	if (section == SWB_SECTION_LISTENER) {
		g_autofree char *bind = member_text(obj, key, "bind");
		g_autofree char *cert = member_text(obj, key, "tls.cert");

		subtitle = g_strdup_printf("%s%s", bind[0] ? bind : "no address",
		    cert[0] ? " · TLS" : "");
	} else {
		g_autofree char *host = member_text(obj, key, "match.host");
		g_autofree char *path = member_text(obj, key, "match.path");
		g_autofree char *backend = member_text(obj, key, "backend");

		const char *where = path[0] ? path : (host[0] ? "" : "any");

		subtitle = g_strdup_printf("%s%s → %s", host, where,
		    backend[0] ? backend : "no backend");
	}
	swb_policy_item_set_title(item, name[0] ? name : "(no name)");
	swb_policy_item_set_subtitle(item, subtitle);
}

static void
count_item_errors(SwbPolicyModel *self)
{
	for (SwbSection s = SWB_SECTION_LISTENER; s <= SWB_SECTION_ROUTE; s++) {
		GListModel *items = G_LIST_MODEL(section_store(self, s));
		guint n = g_list_model_get_n_items(items);

		for (guint i = 0; i < n; i++) {
			g_autoptr(SwbPolicyItem) item = g_list_model_get_item(items, i);

			swb_policy_item_set_n_errors(item,
			    swb_policy_errors_count_item(self->errors, s, (int)i));
		}
	}
}

static void
rebuild_items(SwbPolicyModel *self)
{
	for (SwbSection s = SWB_SECTION_LISTENER; s <= SWB_SECTION_ROUTE; s++) {
		GListStore *store = section_store(self, s);
		json_object *arr = section_array(self, s, FALSE);
		size_t n = arr != NULL ? json_object_array_length(arr) : 0;
		g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func(g_object_unref);

		for (size_t i = 0; i < n; i++) {
			SwbPolicyItem *item = swb_policy_item_new(s, (int)i);

			describe_item(self, item);
			g_ptr_array_add(items, item);
		}
		g_list_store_splice(store, 0, g_list_model_get_n_items(G_LIST_MODEL(store)),
		    items->pdata, items->len);
	}
}

static void
set_flags(SwbPolicyModel *self, gboolean valid, gboolean modified)
{
	if (self->valid != valid) {
		self->valid = valid;
		g_object_notify_by_pspec(G_OBJECT(self), props[PROP_VALID]);
	}
	if (self->modified != modified) {
		self->modified = modified;
		g_object_notify_by_pspec(G_OBJECT(self), props[PROP_MODIFIED]);
	}
}

/* Runs common/'s validator; the daemon's errors are dropped (they judged older text). */
static void
revalidate(SwbPolicyModel *self)
{
	struct sb_errors errs = SB_ERRORS_INIT;
	g_autofree char *base_dir = self->base_dir != NULL ? g_strdup(self->base_dir) :
	    self->file != NULL ? g_path_get_dirname(self->file) : NULL;
	struct sb_policy *policy = sb_policy_from_json(self->doc, base_dir, &errs);

	sb_policy_free(policy);
	swb_policy_errors_drop(self->errors, SWB_ERROR_SOURCE_LOCAL);
	for (size_t i = 0; i < errs.count; i++)
		swb_policy_errors_add(self->errors, errs.items[i].path, errs.items[i].message,
		    SWB_ERROR_SOURCE_LOCAL);
	sb_errors_clear(&errs);
	count_item_errors(self);
	set_flags(self, swb_policy_errors_get_n_blocking(self->errors) == 0,
	    !json_object_equal(self->doc, self->baseline));
	g_object_notify_by_pspec(G_OBJECT(self), props[PROP_N_ERRORS]);
	g_signal_emit(self, signals[SIGNAL_ERRORS_CHANGED], 0);
}

static void
document_changed(SwbPolicyModel *self, gboolean structure)
{
	if (structure) {
		rebuild_items(self);
		g_signal_emit(self, signals[SIGNAL_STRUCTURE_CHANGED], 0);
	}
	revalidate(self);
	g_signal_emit(self, signals[SIGNAL_CHANGED], 0);
}

void
swb_policy_model_load(SwbPolicyModel *self, json_object *doc, gint64 revision,
    const char *file)
{
	json_object *copy = NULL;

	g_return_if_fail(SWB_IS_POLICY_MODEL(self));
	g_return_if_fail(json_object_is_type(doc, json_type_object));
	json_object_deep_copy(doc, &copy, NULL);
	json_object_put(self->doc);
	self->doc = copy;
	json_object_put(self->baseline);
	self->baseline = NULL;
	json_object_deep_copy(doc, &self->baseline, NULL);
	if (self->revision != revision) {
		self->revision = revision;
		g_object_notify_by_pspec(G_OBJECT(self), props[PROP_REVISION]);
	}
	g_clear_pointer(&self->base_dir, g_free);
	swb_policy_model_set_file(self, file);
	document_changed(self, TRUE);
}

/* An empty version 1 policy. (transfer full) */
static json_object *
empty_document(void)
{
	json_object *doc = json_object_new_object();

	json_object_object_add(doc, "version", json_object_new_int(1));
	json_object_object_add(doc, "listeners", json_object_new_array());
	json_object_object_add(doc, "routes", json_object_new_array());
	return doc;
}

void
swb_policy_model_clear(SwbPolicyModel *self)
{
	json_object *doc = empty_document();

	swb_policy_model_load(self, doc, -1, NULL);
	json_object_put(doc);
}

gboolean
swb_policy_model_load_text(SwbPolicyModel *self, const char *text, const char *file,
    GError **error)
{
	struct sb_errors errs = SB_ERRORS_INIT;
	json_object *doc = sb_json_parse(text, strlen(text), &errs);

	if (doc == NULL || !json_object_is_type(doc, json_type_object)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s",
		    errs.count > 0 ? errs.items[0].message : "the policy must be a JSON object");
		sb_errors_clear(&errs);
		json_object_put(doc);
		return FALSE;
	}
	/* the baseline stays the daemon's: "modified" then means "differs from what runs" */
	json_object_put(self->doc);
	self->doc = doc;
	g_clear_pointer(&self->base_dir, g_free);
	swb_policy_model_set_file(self, file);
	document_changed(self, TRUE);
	return TRUE;
}

json_object *
swb_policy_model_get_document(SwbPolicyModel *self)
{
	return self->doc;
}

char *
swb_policy_model_dup_text(SwbPolicyModel *self)
{
	struct sb_errors errs = SB_ERRORS_INIT;
	struct sb_policy *policy = sb_policy_from_json(self->doc, NULL, &errs);
	char *raw = policy != NULL ? sb_policy_to_string(policy) : sb_json_to_pretty(self->doc);
	char *text = g_strdup(raw);

	free(raw);
	sb_policy_free(policy);
	sb_errors_clear(&errs);
	return text;
}

void
swb_policy_model_mark_applied(SwbPolicyModel *self, gint64 revision)
{
	json_object_put(self->baseline);
	self->baseline = NULL;
	json_object_deep_copy(self->doc, &self->baseline, NULL);
	if (self->revision != revision) {
		self->revision = revision;
		g_object_notify_by_pspec(G_OBJECT(self), props[PROP_REVISION]);
	}
	set_flags(self, self->valid, FALSE);
}

gint64
swb_policy_model_get_revision(SwbPolicyModel *self)
{
	return self->revision;
}

const char *
swb_policy_model_get_file(SwbPolicyModel *self)
{
	return self->file;
}

void
swb_policy_model_set_file(SwbPolicyModel *self, const char *file)
{
	if (g_strcmp0(self->file, file) == 0)
		return;
	g_free(self->file);
	self->file = g_strdup(file);
	g_object_notify_by_pspec(G_OBJECT(self), props[PROP_FILE]);
}

void
swb_policy_model_set_base_dir(SwbPolicyModel *self, const char *base_dir)
{
	if (g_strcmp0(self->base_dir, base_dir) == 0)
		return;
	g_free(self->base_dir);
	self->base_dir = g_strdup(base_dir);
	revalidate(self);
}

gboolean
swb_policy_model_get_modified(SwbPolicyModel *self)
{
	return self->modified;
}

gboolean
swb_policy_model_get_valid(SwbPolicyModel *self)
{
	return self->valid;
}

GListModel *
swb_policy_model_get_items(SwbPolicyModel *self, SwbSection section)
{
	g_return_val_if_fail(section != SWB_SECTION_GENERAL, NULL);
	return G_LIST_MODEL(section_store(self, section));
}

guint
swb_policy_model_get_n_items(SwbPolicyModel *self, SwbSection section)
{
	return g_list_model_get_n_items(swb_policy_model_get_items(self, section));
}

char *
swb_policy_model_get_text(SwbPolicyModel *self, SwbSection section, int index,
    const SwbField *field)
{
	json_object *obj = item_object(self, section, index);

	return obj != NULL ? swb_field_get_text(field, obj) : g_strdup("");
}

void
swb_policy_model_set_text(SwbPolicyModel *self, SwbSection section, int index,
    const SwbField *field, const char *text)
{
	json_object *obj = item_object(self, section, index);
	g_autofree char *before = NULL;
	g_autofree char *after = NULL;

	g_return_if_fail(SWB_IS_POLICY_MODEL(self));
	if (obj == NULL)
		return;
	before = swb_field_get_text(field, obj);
	swb_field_set_text(field, obj, text);
	after = swb_field_get_text(field, obj);
	/* a view writing back what it was shown is no edit */
	if (g_str_equal(before, after))
		return;
	if (section != SWB_SECTION_GENERAL) {
		g_autoptr(SwbPolicyItem) item = g_list_model_get_item(
		    G_LIST_MODEL(section_store(self, section)), (guint)index);

		if (item != NULL)
			describe_item(self, item);
	}
	document_changed(self, FALSE);
}

/* "route3": the first such name not in use. (transfer full) */
static char *
fresh_name(json_object *arr, const char *stem)
{
	size_t n = json_object_array_length(arr);

	for (size_t k = n + 1;; k++) {
		g_autofree char *name = g_strdup_printf("%s%zu", stem, k);
		gboolean used = FALSE;

		for (size_t i = 0; i < n && !used; i++) {
			json_object *v;

			json_object *item = json_object_array_get_idx(arr, i);

			used = json_object_object_get_ex(item, "name", &v) &&
			    g_strcmp0(json_object_get_string(v), name) == 0;
		}
		if (!used)
			return g_steal_pointer(&name);
	}
}

int
swb_policy_model_add(SwbPolicyModel *self, SwbSection section)
{
	json_object *arr;
	json_object *obj = json_object_new_object();
	g_autofree char *name = NULL;

	g_return_val_if_fail(section != SWB_SECTION_GENERAL, -1);
	arr = section_array(self, section, TRUE);
	name = fresh_name(arr, section == SWB_SECTION_LISTENER ? "listener" : "route");
	/* only a name: the validator then says what else a listener or route needs */
	json_object_object_add(obj, "name", json_object_new_string(name));
	json_object_array_add(arr, obj);
	document_changed(self, TRUE);
	return (int)json_object_array_length(arr) - 1;
}

void
swb_policy_model_remove(SwbPolicyModel *self, SwbSection section, int index)
{
	json_object *arr = section_array(self, section, FALSE);

	if (arr == NULL || index < 0 || (size_t)index >= json_object_array_length(arr))
		return;
	json_object_array_del_idx(arr, (size_t)index, 1);
	document_changed(self, TRUE);
}

gboolean
swb_policy_model_move(SwbPolicyModel *self, SwbSection section, int index, int delta)
{
	json_object *arr = section_array(self, section, FALSE);
	int to = index + delta;
	size_t n = arr != NULL ? json_object_array_length(arr) : 0;
	json_object *obj;

	if (index < 0 || (size_t)index >= n || to < 0 || (size_t)to >= n || delta == 0)
		return FALSE;
	/* neighbour swaps, each holding its own references (put_idx drops the old one) */
	for (int at = index; at != to; at += delta > 0 ? 1 : -1) {
		int next = at + (delta > 0 ? 1 : -1);

		obj = json_object_get(json_object_array_get_idx(arr, (size_t)at));
		json_object_array_put_idx(arr, (size_t)at,
		    json_object_get(json_object_array_get_idx(arr, (size_t)next)));
		json_object_array_put_idx(arr, (size_t)next, obj);
	}
	document_changed(self, TRUE);
	return TRUE;
}

void
swb_policy_model_set_daemon_errors(SwbPolicyModel *self, json_object *errors)
{
	size_t n = errors != NULL && json_object_is_type(errors, json_type_array) ?
	    json_object_array_length(errors) : 0;

	swb_policy_errors_drop(self->errors, SWB_ERROR_SOURCE_DAEMON);
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(errors, i);
		json_object *path = NULL;
		json_object *message = NULL;

		json_object_object_get_ex(e, "path", &path);
		json_object_object_get_ex(e, "message", &message);
		swb_policy_errors_add(self->errors, json_object_get_string(path),
		    json_object_get_string(message), SWB_ERROR_SOURCE_DAEMON);
	}
	count_item_errors(self);
	g_object_notify_by_pspec(G_OBJECT(self), props[PROP_N_ERRORS]);
	g_signal_emit(self, signals[SIGNAL_ERRORS_CHANGED], 0);
}

guint
swb_policy_model_get_n_errors(SwbPolicyModel *self)
{
	return swb_policy_errors_get_n(self->errors);
}

void
swb_policy_model_get_error(SwbPolicyModel *self, guint i, const char **path,
    const char **message, SwbErrorSource *source, gboolean *advisory)
{
	swb_policy_errors_get(self->errors, i, path, message, source, advisory);
}

const char *
swb_policy_model_get_field_error(SwbPolicyModel *self, SwbSection section, int index,
    const SwbField *field, gboolean *advisory)
{
	return swb_policy_errors_find(self->errors, section, index, field, advisory);
}

SwbPolicyModel *
swb_policy_model_new(void)
{
	return g_object_new(SWB_TYPE_POLICY_MODEL, NULL);
}

static void
swb_policy_model_get_property(GObject *object, guint prop_id, GValue *value,
    GParamSpec *pspec)
{
	SwbPolicyModel *self = SWB_POLICY_MODEL(object);

	switch (prop_id) {
	case PROP_VALID:
		g_value_set_boolean(value, self->valid);
		break;
	case PROP_MODIFIED:
		g_value_set_boolean(value, self->modified);
		break;
	case PROP_REVISION:
		g_value_set_int64(value, self->revision);
		break;
	case PROP_FILE:
		g_value_set_string(value, self->file);
		break;
	case PROP_N_ERRORS:
		g_value_set_uint(value, swb_policy_errors_get_n(self->errors));
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
	}
}

static void
swb_policy_model_finalize(GObject *object)
{
	SwbPolicyModel *self = SWB_POLICY_MODEL(object);

	g_clear_pointer(&self->doc, json_object_put);
	g_clear_pointer(&self->baseline, json_object_put);
	g_clear_pointer(&self->file, g_free);
	g_clear_pointer(&self->base_dir, g_free);
	g_clear_pointer(&self->errors, swb_policy_errors_free);
	g_clear_object(&self->listeners);
	g_clear_object(&self->routes);
	G_OBJECT_CLASS(swb_policy_model_parent_class)->finalize(object);
}

static void
swb_policy_model_class_init(SwbPolicyModelClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	const GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS |
	    G_PARAM_EXPLICIT_NOTIFY;

	object_class->get_property = swb_policy_model_get_property;
	object_class->finalize = swb_policy_model_finalize;
	props[PROP_VALID] = g_param_spec_boolean("valid", NULL, NULL, FALSE, flags);
	props[PROP_MODIFIED] = g_param_spec_boolean("modified", NULL, NULL, FALSE, flags);
	props[PROP_REVISION] = g_param_spec_int64("revision", NULL, NULL, -1, G_MAXINT64, -1,
	    flags);
	props[PROP_FILE] = g_param_spec_string("file", NULL, NULL, NULL, flags);
	props[PROP_N_ERRORS] = g_param_spec_uint("n-errors", NULL, NULL, 0, G_MAXUINT, 0, flags);
	g_object_class_install_properties(object_class, N_PROPS, props);
	signals[SIGNAL_CHANGED] = g_signal_new("changed", G_TYPE_FROM_CLASS(klass),
	    G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
	signals[SIGNAL_STRUCTURE_CHANGED] = g_signal_new("structure-changed",
	    G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
	signals[SIGNAL_ERRORS_CHANGED] = g_signal_new("errors-changed", G_TYPE_FROM_CLASS(klass),
	    G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
swb_policy_model_init(SwbPolicyModel *self)
{
	self->doc = empty_document();
	json_object_deep_copy(self->doc, &self->baseline, NULL);
	self->revision = -1;
	self->errors = swb_policy_errors_new();
	self->listeners = g_list_store_new(SWB_TYPE_POLICY_ITEM);
	self->routes = g_list_store_new(SWB_TYPE_POLICY_ITEM);
}
