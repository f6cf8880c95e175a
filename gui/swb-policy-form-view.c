/*
 * swb-policy-form-view.c - the form of one listener, route or the general
 * settings: a row per field of swb-policy-form's table, each showing its error
 */
#include "swb-policy-form-view.h"

#include <adwaita.h>
#include <string.h>

#include "swb-pool-editor.h"

#define DEFAULT_CHOICE "Default"

typedef struct {
	SwbPolicyFormView *view;
	const SwbField *field;
	GtkWidget *row;
	GtkStringList *choices; /* SWB_FIELD_CHOICE: "Default", the choices, maybe one unknown */
	GtkWidget *toggle;      /* SWB_FIELD_BOOL */
	GtkWidget *error_icon;
	GtkWidget *fold;        /* the AdwExpanderRow holding the row, or NULL */
} FieldRow;

struct _SwbPolicyFormView {
	GtkWidget parent_instance;

	SwbPolicyModel *model;
	SwbSection section;
	int index;
	gboolean built;
	gboolean syncing; /* writing the model's text into the rows: not an edit */
	GtkWidget *page;  /* AdwPreferencesPage */
	GtkWidget *item_group; /* shown only when the item itself has an error */
	GtkWidget *item_error;
	GtkWidget *pool_editor; /* routes: the backend's servers, after the Backend group */
	GArray *rows;     /* FieldRow */
};

G_DEFINE_FINAL_TYPE(SwbPolicyFormView, swb_policy_form_view, GTK_TYPE_WIDGET)

static void
commit(FieldRow *fr, const char *text)
{
	SwbPolicyFormView *self = fr->view;

	if (self->syncing || self->model == NULL)
		return;
	swb_policy_model_set_text(self->model, self->section, self->index, fr->field, text);
}

static void
on_entry_changed(GtkEditable *editable, FieldRow *fr)
{
	SwbPolicyFormView *self = fr->view;

	commit(fr, gtk_editable_get_text(editable));
	/* the backend typed as JSON: the servers below follow it */
	if (!self->syncing && self->pool_editor != NULL && g_str_equal(fr->field->key, "backend"))
		swb_pool_editor_refresh(SWB_POOL_EDITOR(self->pool_editor));
}

static void refresh_fields(SwbPolicyFormView *self);

/* The servers edited: the Backend row shows the JSON they make. */
static void
on_pool_edited(SwbPolicyFormView *self)
{
	refresh_fields(self);
}

static void
on_choice_selected(AdwComboRow *row, GParamSpec *pspec, FieldRow *fr)
{
	guint selected = adw_combo_row_get_selected(row);

	if (selected == GTK_INVALID_LIST_POSITION || selected == 0)
		commit(fr, "");
	else
		commit(fr, gtk_string_list_get_string(fr->choices, selected));
}

static void
on_toggled(GtkSwitch *toggle, GParamSpec *pspec, FieldRow *fr)
{
	commit(fr, gtk_switch_get_active(toggle) ? "true" : "");
}

static GtkWidget *
make_row(SwbPolicyFormView *self, FieldRow *fr)
{
	const SwbField *f = fr->field;
	g_autofree char *name = NULL;
	GtkWidget *row;

	switch (f->kind) {
	case SWB_FIELD_CHOICE:
		row = adw_combo_row_new();
		fr->choices = gtk_string_list_new(NULL);
		adw_combo_row_set_model(ADW_COMBO_ROW(row), G_LIST_MODEL(fr->choices));
		g_signal_connect(row, "notify::selected", G_CALLBACK(on_choice_selected), fr);
		break;
	case SWB_FIELD_BOOL:
		row = adw_action_row_new();
		fr->toggle = gtk_switch_new();
		gtk_widget_set_valign(fr->toggle, GTK_ALIGN_CENTER);
		adw_action_row_add_suffix(ADW_ACTION_ROW(row), fr->toggle);
		adw_action_row_set_activatable_widget(ADW_ACTION_ROW(row), fr->toggle);
		g_signal_connect(fr->toggle, "notify::active", G_CALLBACK(on_toggled), fr);
		break;
	case SWB_FIELD_TEXT:
	case SWB_FIELD_INT:
	case SWB_FIELD_LIST:
	case SWB_FIELD_INT_LIST:
	case SWB_FIELD_NAME_LIST:
	case SWB_FIELD_JSON:
	default:
		row = adw_entry_row_new();
		fr->error_icon = gtk_image_new_from_icon_name("dialog-error-symbolic");
		gtk_widget_set_visible(fr->error_icon, FALSE);
		adw_entry_row_add_suffix(ADW_ENTRY_ROW(row), fr->error_icon);
		if (f->kind == SWB_FIELD_INT)
			gtk_editable_set_alignment(GTK_EDITABLE(row), 0);
		g_signal_connect(row, "changed", G_CALLBACK(on_entry_changed), fr);
		break;
	}
	adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), f->label);
	adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(row), FALSE);
	if (f->hint != NULL)
		gtk_widget_set_tooltip_text(row, f->hint);
	name = g_strdup_printf("field-%s", f->key);
	gtk_widget_set_name(row, name);
	return row;
}

/* The rows' handlers point into self->rows: the widgets go first, quietly. */
static void
clear_rows(SwbPolicyFormView *self)
{
	self->syncing = TRUE;
	g_clear_pointer(&self->page, gtk_widget_unparent);
	self->item_group = NULL;
	self->item_error = NULL;
	self->pool_editor = NULL;
	for (guint i = 0; i < self->rows->len; i++)
		g_clear_object(&g_array_index(self->rows, FieldRow, i).choices);
	g_array_set_size(self->rows, 0);
	self->syncing = FALSE;
}

static void
add_pool_editor(SwbPolicyFormView *self)
{
	self->pool_editor = swb_pool_editor_new();
	g_signal_connect_swapped(self->pool_editor, "edited", G_CALLBACK(on_pool_edited), self);
	adw_preferences_page_add(ADW_PREFERENCES_PAGE(self->page),
	    ADW_PREFERENCES_GROUP(self->pool_editor));
}

/* A folded row for the sub-object of field: named "fold-auth.jwt" for "auth.jwt.keys". */
static GtkWidget *
make_fold(const SwbField *field, const char *title)
{
	GtkWidget *fold = adw_expander_row_new();
	g_autofree char *name = g_strdup_printf("fold-%.*s",
	    (int)(strrchr(field->key, '.') - field->key), field->key);

	adw_preferences_row_set_title(ADW_PREFERENCES_ROW(fold), title);
	gtk_widget_set_name(fold, name);
	return fold;
}

/* Adds the row to group, or into the fold of its sub-object (made when it is the first). */
static void
add_row(FieldRow *fr, AdwPreferencesGroup *group, GtkWidget **fold)
{
	const char *title = swb_policy_field_fold(fr->field);

	if (title == NULL) {
		*fold = NULL;
		adw_preferences_group_add(group, fr->row);
		return;
	}
	if (*fold == NULL || g_strcmp0(adw_preferences_row_get_title(ADW_PREFERENCES_ROW(*fold)),
	    title) != 0) {
		*fold = make_fold(fr->field, title);
		adw_preferences_group_add(group, *fold);
	}
	fr->fold = *fold;
	adw_expander_row_add_row(ADW_EXPANDER_ROW(*fold), fr->row);
}

/*
 * One AdwPreferencesGroup per group name of the section's fields, in table
 * order; the fields of a sub-object (a route's auth.jwt…) fold into one row.
 */
static void
build(SwbPolicyFormView *self)
{
	guint n;
	const SwbField *fields = swb_policy_fields(self->section, &n);
	AdwPreferencesGroup *group = NULL;
	const char *group_name = NULL;
	GtkWidget *fold = NULL;

	clear_rows(self);
	self->syncing = TRUE;
	self->page = adw_preferences_page_new();
	gtk_widget_set_parent(self->page, GTK_WIDGET(self));
	self->item_group = adw_preferences_group_new();
	self->item_error = gtk_label_new(NULL);
	gtk_label_set_wrap(GTK_LABEL(self->item_error), TRUE);
	gtk_label_set_xalign(GTK_LABEL(self->item_error), 0);
	gtk_widget_add_css_class(self->item_error, "error");
	gtk_widget_set_name(self->item_error, "item-error");
	adw_preferences_group_add(ADW_PREFERENCES_GROUP(self->item_group), self->item_error);
	adw_preferences_page_add(ADW_PREFERENCES_PAGE(self->page),
	    ADW_PREFERENCES_GROUP(self->item_group));
	/* rows point into the array: size it once so that it never moves */
	g_array_set_size(self->rows, n);
	for (guint i = 0; i < n; i++) {
		FieldRow *fr = &g_array_index(self->rows, FieldRow, i);

		fr->view = self;
		fr->field = &fields[i];
		if (group == NULL || g_strcmp0(group_name, fields[i].group) != 0) {
			/* a route's servers come right after its Backend group */
			if (self->section == SWB_SECTION_ROUTE && g_strcmp0(group_name, "Backend") == 0)
				add_pool_editor(self);
			group = ADW_PREFERENCES_GROUP(adw_preferences_group_new());
			adw_preferences_group_set_title(group, fields[i].group);
			adw_preferences_page_add(ADW_PREFERENCES_PAGE(self->page), group);
			group_name = fields[i].group;
			fold = NULL;
		}
		fr->row = make_row(self, fr);
		add_row(fr, group, &fold);
	}
	self->syncing = FALSE;
	self->built = TRUE;
}

static void
show_choice(FieldRow *fr, const char *text)
{
	guint n = g_list_model_get_n_items(G_LIST_MODEL(fr->choices));
	guint selected = 0;
	guint count = 1;

	gtk_string_list_splice(fr->choices, 0, n, NULL);
	gtk_string_list_append(fr->choices, DEFAULT_CHOICE);
	for (guint i = 0; fr->field->choices[i] != NULL; i++, count++) {
		gtk_string_list_append(fr->choices, fr->field->choices[i]);
		if (g_str_equal(text, fr->field->choices[i]))
			selected = count;
	}
	/* a value the table does not know stays visible, for the validator to name */
	if (text[0] != '\0' && selected == 0) {
		gtk_string_list_append(fr->choices, text);
		selected = count;
	}
	adw_combo_row_set_selected(ADW_COMBO_ROW(fr->row), selected);
}

static void
refresh_fields(SwbPolicyFormView *self)
{
	if (self->model == NULL || !self->built)
		return;
	self->syncing = TRUE;
	for (guint i = 0; i < self->rows->len; i++) {
		FieldRow *fr = &g_array_index(self->rows, FieldRow, i);
		g_autofree char *text = swb_policy_model_get_text(self->model, self->section,
		    self->index, fr->field);

		if (fr->field->kind == SWB_FIELD_CHOICE)
			show_choice(fr, text);
		else if (fr->field->kind == SWB_FIELD_BOOL)
			gtk_switch_set_active(GTK_SWITCH(fr->toggle), g_str_equal(text, "true"));
		else if (!g_str_equal(gtk_editable_get_text(GTK_EDITABLE(fr->row)), text))
			gtk_editable_set_text(GTK_EDITABLE(fr->row), text);
		/* what is set stays in sight; folding is the user's to do */
		if (fr->fold != NULL && text[0] != '\0')
			adw_expander_row_set_expanded(ADW_EXPANDER_ROW(fr->fold), TRUE);
	}
	self->syncing = FALSE;
}

/* Another item shown: its folds start closed (refresh_fields opens those that hold values). */
static void
close_folds(SwbPolicyFormView *self)
{
	for (guint i = 0; i < self->rows->len; i++) {
		FieldRow *fr = &g_array_index(self->rows, FieldRow, i);

		if (fr->fold != NULL)
			adw_expander_row_set_expanded(ADW_EXPANDER_ROW(fr->fold), FALSE);
	}
}

/* The servers of the route shown, from the model (after a load, a move or another route). */
static void
refresh_pool(SwbPolicyFormView *self)
{
	if (self->pool_editor != NULL)
		swb_pool_editor_show(SWB_POOL_EDITOR(self->pool_editor), self->model, self->index);
}

void
swb_policy_form_view_refresh(SwbPolicyFormView *self)
{
	g_return_if_fail(SWB_IS_POLICY_FORM_VIEW(self));
	refresh_fields(self);
	refresh_pool(self);
}

static void
show_field_error(FieldRow *fr, const char *message, gboolean advisory)
{
	g_autofree char *title = message != NULL ?
	    g_strdup_printf("%s — %s%s", fr->field->label, message,
	    advisory ? " (the daemon checks this itself)" : "") : g_strdup(fr->field->label);

	adw_preferences_row_set_title(ADW_PREFERENCES_ROW(fr->row), title);
	if (message != NULL && !advisory)
		gtk_widget_add_css_class(fr->row, "error");
	else
		gtk_widget_remove_css_class(fr->row, "error");
	if (message != NULL && advisory)
		gtk_widget_add_css_class(fr->row, "warning");
	else
		gtk_widget_remove_css_class(fr->row, "warning");
	gtk_widget_set_tooltip_text(fr->row, message != NULL ? message : fr->field->hint);
	if (fr->error_icon != NULL)
		gtk_widget_set_visible(fr->error_icon, message != NULL);
}

static void
refresh_errors(SwbPolicyFormView *self)
{
	const char *item;

	if (self->model == NULL || !self->built)
		return;
	for (guint i = 0; i < self->rows->len; i++) {
		FieldRow *fr = &g_array_index(self->rows, FieldRow, i);
		gboolean advisory = FALSE;
		const char *message = swb_policy_model_get_field_error(self->model, self->section,
		    self->index, fr->field, &advisory);

		show_field_error(fr, message, advisory);
		/* an error inside a fold opens it */
		if (fr->fold != NULL && message != NULL)
			adw_expander_row_set_expanded(ADW_EXPANDER_ROW(fr->fold), TRUE);
	}
	item = self->section == SWB_SECTION_GENERAL ? NULL :
	    swb_policy_model_get_field_error(self->model, self->section, self->index, NULL, NULL);
	gtk_label_set_label(GTK_LABEL(self->item_error), item != NULL ? item : "");
	gtk_widget_set_visible(self->item_group, item != NULL);
}

void
swb_policy_form_view_show(SwbPolicyFormView *self, SwbSection section, int index)
{
	g_return_if_fail(SWB_IS_POLICY_FORM_VIEW(self));
	if (!self->built || self->section != section) {
		self->section = section;
		self->index = index;
		build(self);
	} else if (self->index != index) {
		close_folds(self);
	}
	self->index = index;
	swb_policy_form_view_refresh(self);
	refresh_errors(self);
}

void
swb_policy_form_view_set_model(SwbPolicyFormView *self, SwbPolicyModel *model)
{
	g_return_if_fail(SWB_IS_POLICY_FORM_VIEW(self));
	if (self->model != NULL)
		g_signal_handlers_disconnect_by_data(self->model, self);
	g_set_object(&self->model, model);
	if (model != NULL)
		g_signal_connect_object(model, "errors-changed", G_CALLBACK(refresh_errors), self,
		    G_CONNECT_SWAPPED);
}

GtkWidget *
swb_policy_form_view_new(void)
{
	return g_object_new(SWB_TYPE_POLICY_FORM_VIEW, NULL);
}

static void
swb_policy_form_view_dispose(GObject *object)
{
	SwbPolicyFormView *self = SWB_POLICY_FORM_VIEW(object);

	clear_rows(self);
	swb_policy_form_view_set_model(self, NULL);
	G_OBJECT_CLASS(swb_policy_form_view_parent_class)->dispose(object);
}

static void
swb_policy_form_view_finalize(GObject *object)
{
	SwbPolicyFormView *self = SWB_POLICY_FORM_VIEW(object);

	g_clear_pointer(&self->rows, g_array_unref);
	G_OBJECT_CLASS(swb_policy_form_view_parent_class)->finalize(object);
}

static void
swb_policy_form_view_class_init(SwbPolicyFormViewClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

	object_class->dispose = swb_policy_form_view_dispose;
	object_class->finalize = swb_policy_form_view_finalize;
	gtk_widget_class_set_layout_manager_type(widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
swb_policy_form_view_init(SwbPolicyFormView *self)
{
	self->rows = g_array_new(FALSE, TRUE, sizeof(FieldRow));
	self->index = -1;
}
