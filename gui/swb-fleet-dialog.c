/*
 * swb-fleet-dialog.c - "Apply this policy to…": the daemons the app knows, a
 * check each, and after Apply each one's outcome (applied, stale, invalid,
 * unreachable)
 */
#include "swb-fleet-dialog.h"

#include "swb-fleet.h"
#include "swb-session.h"

typedef struct {
	SwbSession *session;
	GtkWidget *check;
	GtkWidget *result;
	const char *outcome; /* static; NULL before an answer */
} Row;

struct _SwbFleetDialog {
	AdwWindow parent_instance;

	json_object *policy;
	GArray *rows; /* Row */
	guint pending;
	GCancellable *cancellable;

	AdwPreferencesGroup *group;
	GtkWidget *apply_button;
};

G_DEFINE_FINAL_TYPE(SwbFleetDialog, swb_fleet_dialog, ADW_TYPE_WINDOW)

typedef struct {
	SwbFleetDialog *self;
	guint i;
} Call;

static void
on_applied(GObject *source, GAsyncResult *result, gpointer data)
{
	Call *call = data;
	SwbFleetDialog *self = call->self;
	g_autofree char *detail = NULL;
	SwbFleetOutcome outcome = swb_fleet_apply_finish(result, &detail);
	Row *row = &g_array_index(self->rows, Row, call->i);
	g_autofree char *text = detail != NULL ? g_strdup_printf("%s: %s",
	    swb_fleet_outcome_name(outcome), detail) : g_strdup(swb_fleet_outcome_name(outcome));

	row->outcome = swb_fleet_outcome_name(outcome);
	gtk_label_set_label(GTK_LABEL(row->result), text);
	gtk_widget_set_tooltip_text(row->result, text);
	gtk_widget_add_css_class(row->result, outcome == SWB_FLEET_APPLIED ? "success" : "error");
	if (--self->pending == 0)
		gtk_widget_set_sensitive(self->apply_button, TRUE);
	g_object_unref(self);
	g_free(call);
}

static void
on_apply_clicked(SwbFleetDialog *self)
{
	for (guint i = 0; i < self->rows->len; i++) {
		Row *row = &g_array_index(self->rows, Row, i);
		Call *call;

		if (!gtk_check_button_get_active(GTK_CHECK_BUTTON(row->check)))
			continue;
		row->outcome = NULL;
		gtk_label_set_label(GTK_LABEL(row->result), "applying…");
		gtk_widget_remove_css_class(row->result, "success");
		gtk_widget_remove_css_class(row->result, "error");
		call = g_new0(Call, 1);
		call->self = g_object_ref(self);
		call->i = i;
		self->pending++;
		swb_fleet_apply_async(swb_session_get_client(row->session), self->policy,
		    self->cancellable, on_applied, call);
	}
	if (self->pending > 0)
		gtk_widget_set_sensitive(self->apply_button, FALSE);
}

const char *
swb_fleet_dialog_get_outcome(SwbFleetDialog *self, guint i)
{
	g_return_val_if_fail(SWB_IS_FLEET_DIALOG(self), NULL);
	return i < self->rows->len ? g_array_index(self->rows, Row, i).outcome : NULL;
}

static void
add_row(SwbFleetDialog *self, SwbSession *session, guint i)
{
	GtkWidget *action_row = adw_action_row_new();
	Row row = { g_object_ref(session), gtk_check_button_new(), gtk_label_new(NULL), NULL };
	g_autofree char *check_name = g_strdup_printf("fleet-check-%u", i);
	g_autofree char *result_name = g_strdup_printf("fleet-result-%u", i);
	SwbClient *client = swb_session_get_client(session);

	adw_preferences_row_set_title(ADW_PREFERENCES_ROW(action_row),
	    swb_session_get_socket_path(session));
	adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(action_row), FALSE);
	adw_action_row_set_subtitle(ADW_ACTION_ROW(action_row),
	    swb_client_get_connected(client) ? "connected" : "not connected");
	gtk_check_button_set_active(GTK_CHECK_BUTTON(row.check), TRUE);
	gtk_widget_set_name(row.check, check_name);
	adw_action_row_add_prefix(ADW_ACTION_ROW(action_row), row.check);
	adw_action_row_set_activatable_widget(ADW_ACTION_ROW(action_row), row.check);
	gtk_widget_set_name(row.result, result_name);
	gtk_label_set_ellipsize(GTK_LABEL(row.result), PANGO_ELLIPSIZE_END);
	gtk_label_set_max_width_chars(GTK_LABEL(row.result), 36);
	adw_action_row_add_suffix(ADW_ACTION_ROW(action_row), row.result);
	adw_preferences_group_add(self->group, action_row);
	g_array_append_val(self->rows, row);
}

SwbFleetDialog *
swb_fleet_dialog_new(GtkWindow *parent, GListModel *sessions, json_object *policy)
{
	SwbFleetDialog *self = g_object_new(SWB_TYPE_FLEET_DIALOG, "transient-for", parent,
	    NULL);

	json_object_deep_copy(policy, &self->policy, NULL);
	for (guint i = 0; i < g_list_model_get_n_items(sessions); i++) {
		g_autoptr(SwbSession) session = g_list_model_get_item(sessions, i);

		add_row(self, session, i);
	}
	return self;
}

static void
clear_row(Row *row)
{
	g_clear_object(&row->session);
}

static void
swb_fleet_dialog_dispose(GObject *object)
{
	SwbFleetDialog *self = SWB_FLEET_DIALOG(object);

	g_cancellable_cancel(self->cancellable);
	gtk_widget_dispose_template(GTK_WIDGET(self), SWB_TYPE_FLEET_DIALOG);
	G_OBJECT_CLASS(swb_fleet_dialog_parent_class)->dispose(object);
}

static void
swb_fleet_dialog_finalize(GObject *object)
{
	SwbFleetDialog *self = SWB_FLEET_DIALOG(object);

	g_clear_pointer(&self->rows, g_array_unref);
	g_clear_pointer(&self->policy, json_object_put);
	g_clear_object(&self->cancellable);
	G_OBJECT_CLASS(swb_fleet_dialog_parent_class)->finalize(object);
}

static void
swb_fleet_dialog_class_init(SwbFleetDialogClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

	object_class->dispose = swb_fleet_dialog_dispose;
	object_class->finalize = swb_fleet_dialog_finalize;
	gtk_widget_class_set_template_from_resource(widget_class,
	    "/org/switchboard/Switchboard/swb-fleet-dialog.ui");
	gtk_widget_class_bind_template_child(widget_class, SwbFleetDialog, group);
	gtk_widget_class_bind_template_child(widget_class, SwbFleetDialog, apply_button);
	gtk_widget_class_bind_template_callback(widget_class, on_apply_clicked);
}

static void
swb_fleet_dialog_init(SwbFleetDialog *self)
{
	gtk_widget_init_template(GTK_WIDGET(self));
	self->rows = g_array_new(FALSE, TRUE, sizeof(Row));
	g_array_set_clear_func(self->rows, (GDestroyNotify)clear_row);
	self->cancellable = g_cancellable_new();
}
