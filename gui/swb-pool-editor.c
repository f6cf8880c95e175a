/*
 * swb-pool-editor.c - a route's backend servers in the policy editor: address,
 * weight and backup per server, add and remove, and the balance; each edit
 * goes into the route's "backend" (the JSON row keeps the rest)
 */
#include "swb-pool-editor.h"

#include <string.h>

#include "swb-pool-form.h"

#define DEFAULT_BALANCE "Default (round_robin)"

struct _SwbPoolEditor {
	AdwPreferencesGroup parent_instance;

	SwbPolicyModel *model;
	int index;
	json_object *pool; /* NULL: the backend is nothing this editor shows */
	SwbPoolForm form;  /* the form the route had when shown: the pool shrinks back to it */
	SwbPoolForm paths; /* the form written last, which the validator's paths follow */
	gboolean syncing;  /* filling the rows from the model: not an edit */
	GPtrArray *rows;   /* the rows added to the group (borrowed) */
	GtkWidget *add_button;
};

G_DEFINE_FINAL_TYPE(SwbPoolEditor, swb_pool_editor, ADW_TYPE_PREFERENCES_GROUP)

enum {
	SIGNAL_EDITED,
	N_SIGNALS
};

static guint signals[N_SIGNALS];

static const SwbField *
backend_field(void)
{
	return swb_policy_field_find(SWB_SECTION_ROUTE, "backend");
}

static SwbPoolForm
form_of(json_object *backend)
{
	if (json_object_is_type(backend, json_type_array))
		return SWB_POOL_FORM_LIST;
	if (json_object_is_type(backend, json_type_object))
		return SWB_POOL_FORM_OBJECT;
	return SWB_POOL_FORM_STRING;
}

/* The pool back into the route, as the form's JSON row would write it. */
static void
commit(SwbPoolEditor *self)
{
	json_object *holder = json_object_new_object();
	json_object *back = swb_pool_to_backend(self->pool, self->form);
	g_autofree char *text = NULL;

	self->paths = form_of(back);
	if (back != NULL)
		json_object_object_add(holder, "backend", back);
	text = swb_field_get_text(backend_field(), holder);
	json_object_put(holder);
	swb_policy_model_set_text(self->model, SWB_SECTION_ROUTE, self->index, backend_field(),
	    text);
	g_signal_emit(self, signals[SIGNAL_EDITED], 0);
}

static guint
server_of(gpointer widget)
{
	return GPOINTER_TO_UINT(g_object_get_data(G_OBJECT(widget), "swb-server"));
}

static void
on_address_changed(GtkEditable *editable, SwbPoolEditor *self)
{
	if (self->syncing)
		return;
	swb_pool_set_server_text(self->pool, server_of(editable), "address",
	    gtk_editable_get_text(editable));
	commit(self);
}

static void
on_weight_changed(GtkEditable *editable, SwbPoolEditor *self)
{
	if (self->syncing)
		return;
	swb_pool_set_server_text(self->pool, server_of(editable), "weight",
	    gtk_editable_get_text(editable));
	commit(self);
}

static void
on_backup_toggled(GtkCheckButton *check, SwbPoolEditor *self)
{
	if (self->syncing)
		return;
	swb_pool_set_backup(self->pool, server_of(check), gtk_check_button_get_active(check));
	commit(self);
}

static void
on_remove_clicked(GtkButton *button, SwbPoolEditor *self)
{
	swb_pool_remove_server(self->pool, server_of(button));
	commit(self);
	swb_pool_editor_refresh(self);
}

static void
on_add_clicked(GtkButton *button, SwbPoolEditor *self)
{
	g_autofree char *name = NULL;
	GtkWidget *row;

	if (self->pool == NULL)
		return;
	swb_pool_add_server(self->pool);
	commit(self);
	swb_pool_editor_refresh(self);
	name = g_strdup_printf("pool-address-%u", swb_pool_get_n_servers(self->pool) - 1);
	for (guint i = 0; i < self->rows->len; i++) {
		row = g_ptr_array_index(self->rows, i);
		if (g_strcmp0(gtk_widget_get_name(row), name) == 0)
			gtk_widget_grab_focus(row);
	}
}

static void
on_balance_selected(AdwComboRow *row, GParamSpec *pspec, SwbPoolEditor *self)
{
	guint selected = adw_combo_row_get_selected(row);
	GtkStringList *choices = GTK_STRING_LIST(adw_combo_row_get_model(row));

	if (self->syncing || self->pool == NULL)
		return;
	swb_pool_set_balance(self->pool, selected == 0 || selected == GTK_INVALID_LIST_POSITION ?
	    NULL : gtk_string_list_get_string(choices, selected));
	commit(self);
}

static void
add_row(SwbPoolEditor *self, GtkWidget *row)
{
	adw_preferences_group_add(ADW_PREFERENCES_GROUP(self), row);
	g_ptr_array_add(self->rows, row);
}

static void
name_widget(GtkWidget *w, const char *what, guint i)
{
	g_autofree char *name = g_strdup_printf("pool-%s-%u", what, i);

	gtk_widget_set_name(w, name);
	g_object_set_data(G_OBJECT(w), "swb-server", GUINT_TO_POINTER(i));
}

static void
add_server_row(SwbPoolEditor *self, guint i)
{
	GtkWidget *row = adw_entry_row_new();
	GtkWidget *weight = gtk_entry_new();
	GtkWidget *backup = gtk_check_button_new_with_label("Backup");
	GtkWidget *remove = gtk_button_new_from_icon_name("list-remove-symbolic");
	g_autofree char *title = g_strdup_printf("Server %u", i + 1);
	g_autofree char *address = swb_pool_get_server_text(self->pool, i, "address");
	g_autofree char *weight_text = swb_pool_get_server_text(self->pool, i, "weight");

	adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), title);
	adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(row), FALSE);
	gtk_widget_set_tooltip_text(row, "host:port, [v6]:port, unix:/path or builtin:echo");
	gtk_editable_set_text(GTK_EDITABLE(row), address);
	name_widget(row, "address", i);
	gtk_editable_set_width_chars(GTK_EDITABLE(weight), 4);
	gtk_editable_set_max_width_chars(GTK_EDITABLE(weight), 4);
	gtk_entry_set_placeholder_text(GTK_ENTRY(weight), "1");
	gtk_widget_set_tooltip_text(weight, "Weight (default 1): a share of new tunnels");
	gtk_widget_set_valign(weight, GTK_ALIGN_CENTER);
	gtk_editable_set_text(GTK_EDITABLE(weight), weight_text);
	name_widget(weight, "weight", i);
	gtk_check_button_set_active(GTK_CHECK_BUTTON(backup), swb_pool_get_backup(self->pool, i));
	gtk_widget_set_tooltip_text(backup, "Used only while no other server is up");
	name_widget(backup, "backup", i);
	gtk_widget_set_valign(remove, GTK_ALIGN_CENTER);
	gtk_widget_add_css_class(remove, "flat");
	gtk_widget_set_tooltip_text(remove, "Remove this server");
	name_widget(remove, "remove", i);
	adw_entry_row_add_suffix(ADW_ENTRY_ROW(row), weight);
	adw_entry_row_add_suffix(ADW_ENTRY_ROW(row), backup);
	adw_entry_row_add_suffix(ADW_ENTRY_ROW(row), remove);
	g_signal_connect(row, "changed", G_CALLBACK(on_address_changed), self);
	g_signal_connect(weight, "changed", G_CALLBACK(on_weight_changed), self);
	g_signal_connect(backup, "toggled", G_CALLBACK(on_backup_toggled), self);
	g_signal_connect(remove, "clicked", G_CALLBACK(on_remove_clicked), self);
	add_row(self, row);
}

static void
add_balance_row(SwbPoolEditor *self)
{
	GtkWidget *row = adw_combo_row_new();
	g_autoptr(GtkStringList) choices = gtk_string_list_new(NULL);
	const char *balance = swb_pool_get_balance(self->pool);
	guint selected = 0;

	gtk_string_list_append(choices, DEFAULT_BALANCE);
	for (guint i = 0; swb_pool_balances[i] != NULL; i++) {
		gtk_string_list_append(choices, swb_pool_balances[i]);
		if (g_strcmp0(balance, swb_pool_balances[i]) == 0)
			selected = i + 1;
	}
	/* a value the list does not know stays visible, for the validator to name */
	if (balance != NULL && selected == 0) {
		gtk_string_list_append(choices, balance);
		selected = g_list_model_get_n_items(G_LIST_MODEL(choices)) - 1;
	}
	adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), "Balance");
	gtk_widget_set_tooltip_text(row, "round_robin: by weight; least_connections: the "
	    "emptiest; source_hash: one client, one server; first: the first that is up");
	gtk_widget_set_name(row, "pool-balance");
	adw_combo_row_set_model(ADW_COMBO_ROW(row), G_LIST_MODEL(choices));
	adw_combo_row_set_selected(ADW_COMBO_ROW(row), selected);
	g_signal_connect(row, "notify::selected", G_CALLBACK(on_balance_selected), self);
	add_row(self, row);
}

/* The first error at prefix or inside it; NULL: none. */
static const char *
error_at(SwbPoolEditor *self, const char *prefix)
{
	size_t len = strlen(prefix);

	for (guint i = 0; i < swb_policy_model_get_n_errors(self->model); i++) {
		const char *path, *message;

		swb_policy_model_get_error(self->model, i, &path, &message, NULL, NULL);
		if (strncmp(path, prefix, len) == 0 &&
		    (path[len] == '\0' || path[len] == '.' || path[len] == '['))
			return message;
	}
	return NULL;
}

/* Where the validator puts server i, in the form the route has. (transfer full) */
static char *
server_path(SwbPoolEditor *self, guint i)
{
	switch (self->paths) {
	case SWB_POOL_FORM_STRING:
		return g_strdup_printf("routes[%d].backend", self->index);
	case SWB_POOL_FORM_LIST:
		return g_strdup_printf("routes[%d].backend[%u]", self->index, i);
	case SWB_POOL_FORM_OBJECT:
	default:
		return g_strdup_printf("routes[%d].backend.servers[%u]", self->index, i);
	}
}

static void
show_error(GtkWidget *row, const char *title, const char *message)
{
	g_autofree char *text = message != NULL ? g_strdup_printf("%s — %s", title, message) :
	    g_strdup(title);

	adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), text);
	if (message != NULL)
		gtk_widget_add_css_class(row, "error");
	else
		gtk_widget_remove_css_class(row, "error");
}

static void
refresh_errors(SwbPoolEditor *self)
{
	guint server = 0;

	if (self->model == NULL || self->pool == NULL)
		return;
	for (guint i = 0; i < self->rows->len; i++) {
		GtkWidget *row = g_ptr_array_index(self->rows, i);
		g_autofree char *path = NULL;
		g_autofree char *title = NULL;

		if (g_str_equal(gtk_widget_get_name(row), "pool-balance")) {
			path = g_strdup_printf("routes[%d].backend.balance", self->index);
			show_error(row, "Balance", error_at(self, path));
			continue;
		}
		/* a pool of one written as a string: the whole backend's error is the server's */
		path = server_path(self, server);
		title = g_strdup_printf("Server %u", server + 1);
		show_error(row, title, error_at(self, path));
		server++;
	}
}

static void
clear_rows(SwbPoolEditor *self)
{
	for (guint i = 0; i < self->rows->len; i++)
		adw_preferences_group_remove(ADW_PREFERENCES_GROUP(self),
		    g_ptr_array_index(self->rows, i));
	g_ptr_array_set_size(self->rows, 0);
}

void
swb_pool_editor_refresh(SwbPoolEditor *self)
{
	g_autofree char *text = NULL;
	json_object *holder, *backend = NULL;

	g_return_if_fail(SWB_IS_POOL_EDITOR(self));
	self->syncing = TRUE;
	clear_rows(self);
	g_clear_pointer(&self->pool, json_object_put);
	if (self->model == NULL || self->index < 0) {
		self->syncing = FALSE;
		return;
	}
	/* the JSON row's text, read the way the form reads it */
	text = swb_policy_model_get_text(self->model, SWB_SECTION_ROUTE, self->index,
	    backend_field());
	holder = json_object_new_object();
	swb_field_set_text(backend_field(), holder, text);
	json_object_object_get_ex(holder, "backend", &backend);
	self->pool = swb_pool_from_backend(backend, &self->form);
	self->paths = self->form;
	json_object_put(holder);
	gtk_widget_set_sensitive(self->add_button, self->pool != NULL);
	adw_preferences_group_set_description(ADW_PREFERENCES_GROUP(self), self->pool != NULL ?
	    "Each server gets new tunnels by its weight; backups only while no other is up" :
	    "The Backend above is not a list of servers: edit it as JSON");
	if (self->pool != NULL) {
		for (guint i = 0; i < swb_pool_get_n_servers(self->pool); i++)
			add_server_row(self, i);
		add_balance_row(self);
	}
	self->syncing = FALSE;
	refresh_errors(self);
}

void
swb_pool_editor_show(SwbPoolEditor *self, SwbPolicyModel *model, int index)
{
	g_return_if_fail(SWB_IS_POOL_EDITOR(self));
	if (self->model != model) {
		if (self->model != NULL)
			g_signal_handlers_disconnect_by_data(self->model, self);
		g_set_object(&self->model, model);
		if (model != NULL)
			g_signal_connect_object(model, "errors-changed",
			    G_CALLBACK(refresh_errors), self, G_CONNECT_SWAPPED);
	}
	self->index = index;
	swb_pool_editor_refresh(self);
}

GtkWidget *
swb_pool_editor_new(void)
{
	return g_object_new(SWB_TYPE_POOL_EDITOR, NULL);
}

static void
swb_pool_editor_dispose(GObject *object)
{
	SwbPoolEditor *self = SWB_POOL_EDITOR(object);

	if (self->model != NULL)
		g_signal_handlers_disconnect_by_data(self->model, self);
	g_clear_object(&self->model);
	G_OBJECT_CLASS(swb_pool_editor_parent_class)->dispose(object);
}

static void
swb_pool_editor_finalize(GObject *object)
{
	SwbPoolEditor *self = SWB_POOL_EDITOR(object);

	g_clear_pointer(&self->pool, json_object_put);
	g_clear_pointer(&self->rows, g_ptr_array_unref);
	G_OBJECT_CLASS(swb_pool_editor_parent_class)->finalize(object);
}

static void
swb_pool_editor_class_init(SwbPoolEditorClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->dispose = swb_pool_editor_dispose;
	object_class->finalize = swb_pool_editor_finalize;
	signals[SIGNAL_EDITED] = g_signal_new("edited", G_TYPE_FROM_CLASS(klass),
	    G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
swb_pool_editor_init(SwbPoolEditor *self)
{
	self->rows = g_ptr_array_new();
	self->index = -1;
	adw_preferences_group_set_title(ADW_PREFERENCES_GROUP(self), "Servers");
	self->add_button = gtk_button_new_from_icon_name("list-add-symbolic");
	gtk_widget_set_name(self->add_button, "pool-add");
	gtk_widget_set_tooltip_text(self->add_button, "Add a server");
	gtk_widget_add_css_class(self->add_button, "flat");
	g_signal_connect(self->add_button, "clicked", G_CALLBACK(on_add_clicked), self);
	adw_preferences_group_set_header_suffix(ADW_PREFERENCES_GROUP(self), self->add_button);
}
