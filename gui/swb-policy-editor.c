/*
 * swb-policy-editor.c - edits a daemon's policy: listeners and routes in a
 * form, validated as you type (common/'s validator, then the daemon's through
 * SwbPolicyState), applied with the revision it started from; opens and saves
 * policy files
 */
#include "swb-policy-editor.h"

#include <adwaita.h>
#include <errno.h>
#include <string.h>

#include "sb-control.h"
#include "sb-policy.h"
#include "swb-apply-preview.h"
#include "swb-policy-form-view.h"

struct _SwbPolicyEditor {
	GtkBox parent_instance;

	SwbPolicyModel *model;
	SwbPolicyState *state; /* the daemon's side: all the editor knows of it */
	SwbSection section;
	int index;
	gboolean selecting;
	GCancellable *cancellable; /* our applies' callbacks; cancelled at dispose */
	gboolean overwrite;        /* the apply waiting for its preview overwrites a conflict */

	GtkRevealer *conflict_revealer;
	GtkLabel *conflict_label;
	GtkLabel *origin_label;
	GtkLabel *check_label;
	GtkListBox *general_list;
	GtkListBox *listener_list;
	GtkListBox *route_list;
	SwbPolicyFormView *form_view;
	GtkRevealer *errors_revealer;
	GtkListBox *errors_list;
};

G_DEFINE_FINAL_TYPE(SwbPolicyEditor, swb_policy_editor, GTK_TYPE_BOX)

enum {
	SIGNAL_TOAST,
	N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
toast(SwbPolicyEditor *self, const char *text)
{
	g_signal_emit(self, signals[SIGNAL_TOAST], 0, text);
}

static GtkListBox *
list_of(SwbPolicyEditor *self, SwbSection section)
{
	switch (section) {
	case SWB_SECTION_LISTENER:
		return self->listener_list;
	case SWB_SECTION_ROUTE:
		return self->route_list;
	case SWB_SECTION_GENERAL:
	default:
		return self->general_list;
	}
}

static void
update_labels(SwbPolicyEditor *self)
{
	const char *file = swb_policy_model_get_file(self->model);
	gint64 revision = swb_policy_model_get_revision(self->model);
	gboolean modified = swb_policy_model_get_modified(self->model);
	guint n_errors = swb_policy_model_get_n_errors(self->model);
	SwbPolicyCheck daemon_check = swb_policy_state_get_check(self->state);
	g_autofree char *base = file != NULL ? g_path_get_basename(file) : NULL;
	g_autofree char *origin = NULL;
	g_autofree char *check = NULL;
	const char *css = NULL;

	if (base != NULL)
		origin = g_strdup_printf("%s%s", base, modified ? " · not applied" : "");
	else if (revision >= 0)
		origin = g_strdup_printf("Revision %" G_GINT64_FORMAT "%s", revision,
		    modified ? " · edited" : "");
	else
		origin = g_strdup(modified ? "Edited" : "");
	gtk_label_set_label(self->origin_label, origin);

	if (!swb_policy_model_get_valid(self->model)) {
		check = g_strdup_printf(g_dngettext(NULL, "%u problem", "%u problems", n_errors),
		    n_errors);
		css = "error";
	} else if (daemon_check == SWB_POLICY_CHECK_PENDING) {
		check = g_strdup("Checking with the daemon…");
	} else if (daemon_check == SWB_POLICY_CHECK_INVALID) {
		check = g_strdup("The daemon refuses this policy");
		css = "error";
	} else if (daemon_check == SWB_POLICY_CHECK_FAILED) {
		check = g_strdup_printf("Could not check: %s",
		    swb_policy_state_get_check_error(self->state));
		css = "warning";
	} else if (daemon_check == SWB_POLICY_CHECK_VALID) {
		check = g_strdup("Valid");
		css = "success";
	} else {
		check = g_strdup("Valid here");
	}
	gtk_label_set_label(self->check_label, check);
	gtk_widget_remove_css_class(GTK_WIDGET(self->check_label), "error");
	gtk_widget_remove_css_class(GTK_WIDGET(self->check_label), "warning");
	gtk_widget_remove_css_class(GTK_WIDGET(self->check_label), "success");
	if (css != NULL)
		gtk_widget_add_css_class(GTK_WIDGET(self->check_label), css);
}

static void
update_actions(SwbPolicyEditor *self)
{
	GtkWidget *w = GTK_WIDGET(self);
	gboolean item = self->section != SWB_SECTION_GENERAL && self->index >= 0;
	int n = item ? (int)swb_policy_model_get_n_items(self->model, self->section) : 0;

	gtk_widget_action_set_enabled(w, "editor.apply", swb_policy_state_can_apply(self->state));
	gtk_widget_action_set_enabled(w, "editor.overwrite",
	    swb_policy_state_can_overwrite(self->state));
	gtk_widget_action_set_enabled(w, "editor.reload", swb_policy_state_can_reload(self->state));
	gtk_widget_action_set_enabled(w, "editor.remove", item);
	gtk_widget_action_set_enabled(w, "editor.move-up", item && self->index > 0);
	gtk_widget_action_set_enabled(w, "editor.move-down", item && self->index + 1 < n);
	update_labels(self);
}

void
swb_policy_editor_select(SwbPolicyEditor *self, SwbSection section, int index)
{
	g_return_if_fail(SWB_IS_POLICY_EDITOR(self));
	if (section != SWB_SECTION_GENERAL) {
		int n = (int)swb_policy_model_get_n_items(self->model, section);

		if (n == 0) {
			section = SWB_SECTION_GENERAL;
			index = -1;
		} else {
			index = CLAMP(index, 0, n - 1);
		}
	} else {
		index = -1;
	}
	self->section = section;
	self->index = index;
	self->selecting = TRUE;
	for (SwbSection s = SWB_SECTION_GENERAL; s <= SWB_SECTION_ROUTE; s++) {
		GtkListBox *list = list_of(self, s);

		if (s == section)
			gtk_list_box_select_row(list, gtk_list_box_get_row_at_index(list,
			    MAX(index, 0)));
		else
			gtk_list_box_unselect_all(list);
	}
	self->selecting = FALSE;
	swb_policy_form_view_show(self->form_view, section, index);
	update_actions(self);
}

static void
on_row_selected(GtkListBox *list, GtkListBoxRow *row, SwbPolicyEditor *self)
{
	SwbSection section = list == self->listener_list ? SWB_SECTION_LISTENER :
	    list == self->route_list ? SWB_SECTION_ROUTE : SWB_SECTION_GENERAL;

	if (self->selecting || row == NULL)
		return;
	swb_policy_editor_select(self, section, gtk_list_box_row_get_index(row));
}

static GtkWidget *
create_item_row(gpointer item, gpointer data)
{
	SwbPolicyItem *pi = SWB_POLICY_ITEM(item);
	GtkWidget *row = adw_action_row_new();
	GtkWidget *icon = gtk_image_new_from_icon_name("dialog-error-symbolic");
	g_autofree char *name = g_strdup_printf("%s-%d",
	    swb_policy_item_get_section(pi) == SWB_SECTION_LISTENER ? "listener" : "route",
	    swb_policy_item_get_index(pi));

	gtk_widget_set_name(row, name);
	adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(row), FALSE);
	gtk_widget_add_css_class(icon, "error");
	adw_action_row_add_suffix(ADW_ACTION_ROW(row), icon);
	g_object_bind_property(pi, "title", row, "title", G_BINDING_SYNC_CREATE);
	g_object_bind_property(pi, "subtitle", row, "subtitle", G_BINDING_SYNC_CREATE);
	g_object_bind_property(pi, "has-errors", icon, "visible", G_BINDING_SYNC_CREATE);
	return row;
}

static void
rebuild_errors(SwbPolicyEditor *self)
{
	guint n = swb_policy_model_get_n_errors(self->model);
	GtkWidget *child;

	while ((child = gtk_widget_get_first_child(GTK_WIDGET(self->errors_list))) != NULL)
		gtk_list_box_remove(self->errors_list, child);
	for (guint i = 0; i < n; i++) {
		const char *path;
		const char *message;
		gboolean advisory;
		g_autofree char *text = NULL;
		GtkWidget *label;

		swb_policy_model_get_error(self->model, i, &path, &message, NULL, &advisory);
		text = g_strdup_printf("%s%s%s%s", path, path[0] != '\0' ? ": " : "", message,
		    advisory ? " (the daemon checks this itself)" : "");
		label = gtk_label_new(text);
		gtk_label_set_xalign(GTK_LABEL(label), 0);
		gtk_label_set_wrap(GTK_LABEL(label), TRUE);
		gtk_widget_add_css_class(label, advisory ? "warning" : "error");
		gtk_list_box_append(self->errors_list, label);
		g_object_set_data_full(G_OBJECT(gtk_widget_get_parent(label)), "path",
		    g_strdup(path), g_free);
	}
	gtk_revealer_set_reveal_child(self->errors_revealer, n > 0);
}

static void
on_error_activated(SwbPolicyEditor *self, GtkListBoxRow *row)
{
	SwbErrorTarget target;

	swb_policy_error_target(g_object_get_data(G_OBJECT(row), "path"), &target);
	swb_policy_editor_select(self, target.section, target.index);
}

/* A conflict or the daemon's errors show in the bar and the error list; the rest in a toast. */
static void
on_applied(GObject *source, GAsyncResult *result, gpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *text = NULL;
	gint64 revision = -1;

	if (swb_policy_state_apply_finish(SWB_POLICY_STATE(source), result, &revision, &error))
		text = g_strdup_printf("Applied: revision %" G_GINT64_FORMAT, revision);
	else if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
	    !g_error_matches(error, SWB_CLIENT_ERROR, SB_ERR_STALE_REVISION) &&
	    !g_error_matches(error, SWB_CLIENT_ERROR, SB_ERR_POLICY_INVALID))
		text = g_strdup_printf("Not applied: %s", error->message);
	/* cancelled: the editor is gone */
	if (text != NULL)
		toast(SWB_POLICY_EDITOR(data), text);
}

static void
apply_now(SwbPolicyEditor *self)
{
	swb_policy_state_apply_async(self->state, self->overwrite, self->cancellable, on_applied,
	    self);
}

static void
on_preview_response(AdwMessageDialog *dialog, const char *response, SwbPolicyEditor *self)
{
	if (g_str_equal(response, "apply"))
		apply_now(self);
}

/* Applying closes connections: say which, and apply only when asked to. */
static void
on_previewed(GObject *source, GAsyncResult *result, gpointer data)
{
	g_autoptr(GError) error = NULL;
	json_object *close = swb_apply_preview_finish(SWB_POLICY_STATE(source), result,
	    &error);
	SwbPolicyEditor *self;
	SwbSession *session;
	g_autofree char *text = NULL;
	AdwMessageDialog *dialog;

	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return; /* the editor is gone */
	self = SWB_POLICY_EDITOR(data);
	session = swb_policy_state_get_session(self->state);
	text = swb_apply_preview_text(close, session != NULL ?
	    swb_session_get_connections(session) : NULL);
	json_object_put(close);
	if (text == NULL) {
		/* nothing closes, or no preview (the apply says why it cannot be done) */
		apply_now(self);
		return;
	}
	dialog = ADW_MESSAGE_DIALOG(adw_message_dialog_new(
	    GTK_WINDOW(gtk_widget_get_root(GTK_WIDGET(self))), "Apply the Policy?", text));
	gtk_widget_set_name(GTK_WIDGET(dialog), "apply-preview-dialog");
	adw_message_dialog_add_responses(dialog, "cancel", "_Cancel", "apply", "_Apply", NULL);
	adw_message_dialog_set_response_appearance(dialog, "apply", ADW_RESPONSE_DESTRUCTIVE);
	adw_message_dialog_set_default_response(dialog, "cancel");
	adw_message_dialog_set_close_response(dialog, "cancel");
	g_signal_connect_object(dialog, "response", G_CALLBACK(on_preview_response), self, 0);
	gtk_window_present(GTK_WINDOW(dialog));
}

static void
apply_activated(GtkWidget *widget, const char *action, GVariant *param)
{
	SwbPolicyEditor *self = SWB_POLICY_EDITOR(widget);

	self->overwrite = g_str_equal(action, "editor.overwrite");
	swb_apply_preview_async(self->state, self->cancellable, on_previewed, self);
}

static void
reload_activated(GtkWidget *widget, const char *action, GVariant *param)
{
	swb_policy_state_reload(SWB_POLICY_EDITOR(widget)->state);
}

static void
update_conflict(SwbPolicyEditor *self)
{
	SwbPolicyConflict conflict = swb_policy_state_get_conflict(self->state);
	gint64 revision = swb_policy_state_get_conflict_revision(self->state);
	g_autofree char *text = NULL;

	if (conflict == SWB_POLICY_CONFLICT_STALE)
		text = g_strdup_printf("Someone else applied revision %" G_GINT64_FORMAT " since "
		    "this policy was loaded. Reload it (your edits are lost) or overwrite it with "
		    "yours?", revision);
	else if (conflict == SWB_POLICY_CONFLICT_ELSEWHERE)
		text = g_strdup_printf("The daemon now runs revision %" G_GINT64_FORMAT ", applied "
		    "elsewhere while you were editing. Reload it or overwrite it with yours?",
		    revision);
	gtk_label_set_label(self->conflict_label, text != NULL ? text : "");
	gtk_revealer_set_reveal_child(self->conflict_revealer, text != NULL);
}

static void
on_state_notify(SwbPolicyEditor *self, GParamSpec *pspec)
{
	if (g_str_has_prefix(pspec->name, "conflict"))
		update_conflict(self);
	update_actions(self);
}

static void
on_loaded(SwbPolicyEditor *self)
{
	swb_policy_editor_select(self, self->section, self->index);
}

static void
on_load_failed(SwbPolicyEditor *self, const char *reason)
{
	g_autofree char *text = g_strdup_printf("Could not load the daemon's policy: %s",
	    reason);

	toast(self, text);
}

static void
add_activated(GtkWidget *widget, const char *action, GVariant *param)
{
	SwbPolicyEditor *self = SWB_POLICY_EDITOR(widget);
	SwbSection section = g_str_equal(action, "editor.add-listener") ? SWB_SECTION_LISTENER :
	    SWB_SECTION_ROUTE;

	swb_policy_editor_select(self, section, swb_policy_model_add(self->model, section));
}

static void
remove_activated(GtkWidget *widget, const char *action, GVariant *param)
{
	SwbPolicyEditor *self = SWB_POLICY_EDITOR(widget);
	SwbSection section = self->section;
	int index = self->index;

	swb_policy_model_remove(self->model, section, index);
	swb_policy_editor_select(self, section, index > 0 ? index - 1 : 0);
}

static void
move_activated(GtkWidget *widget, const char *action, GVariant *param)
{
	SwbPolicyEditor *self = SWB_POLICY_EDITOR(widget);
	int delta = g_str_equal(action, "editor.move-up") ? -1 : 1;

	if (swb_policy_model_move(self->model, self->section, self->index, delta))
		swb_policy_editor_select(self, self->section, self->index + delta);
}

gboolean
swb_policy_editor_save_file(SwbPolicyEditor *self, const char *path, GError **error)
{
	g_autofree char *text = NULL;
	int saved;

	g_return_val_if_fail(SWB_IS_POLICY_EDITOR(self), FALSE);
	text = swb_policy_model_dup_text(self->model);
	if (sb_policy_save_text(path, text) < 0) {
		saved = errno;
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved), "%s",
		    g_strerror(saved));
		return FALSE;
	}
	swb_policy_model_set_file(self->model, path);
	update_labels(self);
	return TRUE;
}

gboolean
swb_policy_editor_open_file(SwbPolicyEditor *self, const char *path, GError **error)
{
	g_autofree char *text = NULL;

	g_return_val_if_fail(SWB_IS_POLICY_EDITOR(self), FALSE);
	if (!g_file_get_contents(path, &text, NULL, error) ||
	    !swb_policy_model_load_text(self->model, text, path, error))
		return FALSE;
	swb_policy_editor_select(self, SWB_SECTION_ROUTE, 0);
	return TRUE;
}

static void
on_file_chosen(GtkNativeDialog *dialog, int response, gpointer data)
{
	SwbPolicyEditor *self = data;
	g_autoptr(GFile) file = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(dialog));
	g_autofree char *path = file != NULL ? g_file_get_path(file) : NULL;
	g_autofree char *base = path != NULL ? g_path_get_basename(path) : NULL;
	g_autofree char *message = NULL;
	g_autoptr(GError) error = NULL;
	gboolean save = gtk_file_chooser_get_action(GTK_FILE_CHOOSER(dialog)) ==
	    GTK_FILE_CHOOSER_ACTION_SAVE;

	if (response == GTK_RESPONSE_ACCEPT && path != NULL) {
		if (save && swb_policy_editor_save_file(self, path, &error))
			message = g_strdup_printf("Saved %s", base);
		else if (!save && !swb_policy_editor_open_file(self, path, &error))
			message = g_strdup_printf("Could not open %s: %s", base, error->message);
		else if (save)
			message = g_strdup_printf("Could not save %s: %s", base, error->message);
	}
	if (message != NULL)
		toast(self, message);
	g_object_unref(dialog);
	g_object_unref(self);
}

static void
choose_file(SwbPolicyEditor *self, GtkFileChooserAction action)
{
	GtkWidget *root = GTK_WIDGET(gtk_widget_get_root(GTK_WIDGET(self)));
	gboolean save = action == GTK_FILE_CHOOSER_ACTION_SAVE;
	GtkFileChooserNative *dialog = gtk_file_chooser_native_new(save ? "Save Policy" :
	    "Open Policy", GTK_IS_WINDOW(root) ? GTK_WINDOW(root) : NULL, action,
	    save ? "_Save" : "_Open", "_Cancel");
	GtkFileFilter *filter = gtk_file_filter_new();

	gtk_file_filter_set_name(filter, "Policy files (JSON)");
	gtk_file_filter_add_suffix(filter, "json");
	gtk_file_chooser_add_filter(GTK_FILE_CHOOSER(dialog), filter);
	g_object_unref(filter);
	if (save)
		gtk_file_chooser_set_current_name(GTK_FILE_CHOOSER(dialog), "policy.json");
	g_signal_connect(dialog, "response", G_CALLBACK(on_file_chosen), g_object_ref(self));
	gtk_native_dialog_show(GTK_NATIVE_DIALOG(dialog));
}

static void
open_activated(GtkWidget *widget, const char *action, GVariant *param)
{
	choose_file(SWB_POLICY_EDITOR(widget), GTK_FILE_CHOOSER_ACTION_OPEN);
}

static void
save_activated(GtkWidget *widget, const char *action, GVariant *param)
{
	SwbPolicyEditor *self = SWB_POLICY_EDITOR(widget);
	const char *file = swb_policy_model_get_file(self->model);
	g_autofree char *base = NULL;
	g_autofree char *message = NULL;
	g_autoptr(GError) error = NULL;

	if (file == NULL || g_str_equal(action, "editor.save-as")) {
		choose_file(self, GTK_FILE_CHOOSER_ACTION_SAVE);
		return;
	}
	base = g_path_get_basename(file);
	if (swb_policy_editor_save_file(self, file, &error))
		message = g_strdup_printf("Saved %s", base);
	else
		message = g_strdup_printf("Could not save %s: %s", base, error->message);
	toast(self, message);
}

void
swb_policy_editor_set_session(SwbPolicyEditor *self, SwbSession *session)
{
	g_return_if_fail(SWB_IS_POLICY_EDITOR(self));
	swb_policy_state_set_session(self->state, session);
}

SwbPolicyState *
swb_policy_editor_get_state(SwbPolicyEditor *self)
{
	return self->state;
}

SwbPolicyModel *
swb_policy_editor_get_model(SwbPolicyEditor *self)
{
	return self->model;
}

GtkWidget *
swb_policy_editor_new(void)
{
	return g_object_new(SWB_TYPE_POLICY_EDITOR, NULL);
}

static void
swb_policy_editor_dispose(GObject *object)
{
	SwbPolicyEditor *self = SWB_POLICY_EDITOR(object);

	g_cancellable_cancel(self->cancellable);
	g_signal_handlers_disconnect_by_data(self->model, self);
	if (self->state != NULL)
		g_signal_handlers_disconnect_by_data(self->state, self);
	/* an apply in flight keeps the state until the daemon answers */
	g_clear_object(&self->state);
	gtk_widget_dispose_template(GTK_WIDGET(self), SWB_TYPE_POLICY_EDITOR);
	G_OBJECT_CLASS(swb_policy_editor_parent_class)->dispose(object);
}

static void
swb_policy_editor_finalize(GObject *object)
{
	SwbPolicyEditor *self = SWB_POLICY_EDITOR(object);

	g_clear_object(&self->cancellable);
	g_clear_object(&self->model);
	G_OBJECT_CLASS(swb_policy_editor_parent_class)->finalize(object);
}

static void
swb_policy_editor_class_init(SwbPolicyEditorClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
	static const char *const add_actions[] = { "editor.add-listener", "editor.add-route" };
	static const char *const move_actions[] = { "editor.move-up", "editor.move-down" };
	static const char *const save_actions[] = { "editor.save", "editor.save-as" };

	object_class->dispose = swb_policy_editor_dispose;
	object_class->finalize = swb_policy_editor_finalize;

	signals[SIGNAL_TOAST] = g_signal_new("toast", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST,
	    0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

	g_type_ensure(SWB_TYPE_POLICY_FORM_VIEW);
	gtk_widget_class_set_template_from_resource(widget_class,
	    "/org/switchboard/Switchboard/swb-policy-editor.ui");
	gtk_widget_class_bind_template_child(widget_class, SwbPolicyEditor, conflict_revealer);
	gtk_widget_class_bind_template_child(widget_class, SwbPolicyEditor, conflict_label);
	gtk_widget_class_bind_template_child(widget_class, SwbPolicyEditor, origin_label);
	gtk_widget_class_bind_template_child(widget_class, SwbPolicyEditor, check_label);
	gtk_widget_class_bind_template_child(widget_class, SwbPolicyEditor, general_list);
	gtk_widget_class_bind_template_child(widget_class, SwbPolicyEditor, listener_list);
	gtk_widget_class_bind_template_child(widget_class, SwbPolicyEditor, route_list);
	gtk_widget_class_bind_template_child(widget_class, SwbPolicyEditor, form_view);
	gtk_widget_class_bind_template_child(widget_class, SwbPolicyEditor, errors_revealer);
	gtk_widget_class_bind_template_child(widget_class, SwbPolicyEditor, errors_list);
	gtk_widget_class_bind_template_callback(widget_class, on_error_activated);

	gtk_widget_class_install_action(widget_class, "editor.apply", NULL, apply_activated);
	gtk_widget_class_install_action(widget_class, "editor.overwrite", NULL, apply_activated);
	gtk_widget_class_install_action(widget_class, "editor.reload", NULL, reload_activated);
	gtk_widget_class_install_action(widget_class, "editor.open", NULL, open_activated);
	for (size_t i = 0; i < G_N_ELEMENTS(save_actions); i++)
		gtk_widget_class_install_action(widget_class, save_actions[i], NULL,
		    save_activated);
	for (size_t i = 0; i < G_N_ELEMENTS(add_actions); i++)
		gtk_widget_class_install_action(widget_class, add_actions[i], NULL, add_activated);
	for (size_t i = 0; i < G_N_ELEMENTS(move_actions); i++)
		gtk_widget_class_install_action(widget_class, move_actions[i], NULL,
		    move_activated);
	gtk_widget_class_install_action(widget_class, "editor.remove", NULL, remove_activated);
	gtk_widget_class_add_binding_action(widget_class, GDK_KEY_o, GDK_CONTROL_MASK,
	    "editor.open", NULL);
	gtk_widget_class_add_binding_action(widget_class, GDK_KEY_s, GDK_CONTROL_MASK,
	    "editor.save", NULL);
	gtk_widget_class_add_binding_action(widget_class, GDK_KEY_Return, GDK_CONTROL_MASK,
	    "editor.apply", NULL);
}

static void
swb_policy_editor_init(SwbPolicyEditor *self)
{
	gtk_widget_init_template(GTK_WIDGET(self));
	self->model = swb_policy_model_new();
	self->state = swb_policy_state_new(self->model);
	self->cancellable = g_cancellable_new();
	self->section = SWB_SECTION_GENERAL;
	self->index = -1;
	swb_policy_form_view_set_model(self->form_view, self->model);
	gtk_list_box_bind_model(self->listener_list,
	    swb_policy_model_get_items(self->model, SWB_SECTION_LISTENER), create_item_row, self,
	    NULL);
	gtk_list_box_bind_model(self->route_list,
	    swb_policy_model_get_items(self->model, SWB_SECTION_ROUTE), create_item_row, self,
	    NULL);
	for (SwbSection s = SWB_SECTION_GENERAL; s <= SWB_SECTION_ROUTE; s++)
		g_signal_connect(list_of(self, s), "row-selected", G_CALLBACK(on_row_selected),
		    self);
	/* after the state's own handler: the check it schedules shows at once */
	g_signal_connect_object(self->model, "changed", G_CALLBACK(update_actions), self,
	    G_CONNECT_SWAPPED);
	g_signal_connect_object(self->state, "notify", G_CALLBACK(on_state_notify), self,
	    G_CONNECT_SWAPPED);
	g_signal_connect_object(self->state, "loaded", G_CALLBACK(on_loaded), self,
	    G_CONNECT_SWAPPED);
	g_signal_connect_object(self->state, "load-failed", G_CALLBACK(on_load_failed), self,
	    G_CONNECT_SWAPPED);
	g_signal_connect_object(self->model, "errors-changed", G_CALLBACK(rebuild_errors), self,
	    G_CONNECT_SWAPPED);
	g_signal_connect_object(self->model, "notify::modified",
	    G_CALLBACK(update_actions), self, G_CONNECT_SWAPPED);
	swb_policy_editor_select(self, SWB_SECTION_GENERAL, -1);
}
