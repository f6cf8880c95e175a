/*
 * swb-backends-view.c - each route's servers: a state indicator, tunnels,
 * failures, the last error, and a ready/drain/maint switch per server
 */
#include "swb-backends-view.h"

#include "sb-control.h"
#include "swb-backend.h"

/* The switch's buttons: what backends.set is asked, and what the button says. */
static const struct {
	const char *state;
	const char *label;
	const char *tooltip;
} admin_states[] = {
	{ "ready", "Ready", "Use this server" },
	{ "drain", "Drain", "No new tunnels; live ones stay" },
	{ "maint", "Maint", "Down by hand: no new tunnels" },
};

struct _SwbBackendsView {
	GtkWidget parent_instance;

	SwbSession *session;
	guint refresh_source;
	gboolean syncing; /* setting the switches from the rows: not a click */
	GCancellable *cancellable;

	GtkStack *stack;
	GtkNoSelection *selection;
	GtkColumnViewColumn *control_column;
};

G_DEFINE_FINAL_TYPE(SwbBackendsView, swb_backends_view, GTK_TYPE_WIDGET)

enum {
	SIGNAL_TOAST,
	N_SIGNALS
};

static guint signals[N_SIGNALS];

typedef struct {
	SwbBackendsView *self;
	SwbBackend *backend;
	char *state;
} SetCall;

static void
set_call_free(SetCall *call)
{
	g_object_unref(call->self);
	g_object_unref(call->backend);
	g_free(call->state);
	g_free(call);
}

/* The switch of a cell shows its row's admin state, and is named after it. */
static void
sync_switch(GtkWidget *box, SwbBackend *backend)
{
	SwbBackendsView *self = g_object_get_data(G_OBJECT(box), "swb-view");
	const char *admin = swb_backend_get_admin(backend);
	guint i = 0;

	self->syncing = TRUE;
	for (GtkWidget *b = gtk_widget_get_first_child(box); b != NULL;
	    b = gtk_widget_get_next_sibling(b), i++) {
		g_autofree char *name = g_strdup_printf("backend-%s-%s-%s", admin_states[i].state,
		    swb_backend_get_route(backend), swb_backend_get_address(backend));

		gtk_widget_set_name(b, name);
		gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(b),
		    g_str_equal(admin, admin_states[i].state));
	}
	self->syncing = FALSE;
}

static void
on_admin_notify(SwbBackend *backend, GParamSpec *pspec, GtkWidget *box)
{
	sync_switch(box, backend);
}

static void
on_set(GObject *source, GAsyncResult *result, gpointer data)
{
	SetCall *call = data;
	g_autoptr(GError) error = NULL;
	json_object *answer = swb_client_call_finish(SWB_CLIENT(source), result, NULL, &error);

	json_object_put(answer);
	if (error != NULL && !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		g_autofree char *text = g_strdup_printf("Could not set %s to %s: %s",
		    swb_backend_get_address(call->backend), call->state, error->message);

		g_signal_emit(call->self, signals[SIGNAL_TOAST], 0, text);
		/* the switch goes back to what the row says */
		g_object_notify(G_OBJECT(call->backend), "admin");
	} else if (error == NULL && call->self->session != NULL) {
		swb_session_refresh_backends(call->self->session);
	}
	set_call_free(call);
}

static void
on_switch_toggled(GtkToggleButton *button, GtkListItem *item)
{
	GtkWidget *box = gtk_widget_get_parent(GTK_WIDGET(button));
	SwbBackendsView *self = g_object_get_data(G_OBJECT(box), "swb-view");
	SwbBackend *backend = gtk_list_item_get_item(item);
	const char *state = g_object_get_data(G_OBJECT(button), "swb-state");
	SwbClient *client;
	json_object *params;
	SetCall *call;

	if (self->syncing || !gtk_toggle_button_get_active(button) || backend == NULL ||
	    self->session == NULL || g_str_equal(state, swb_backend_get_admin(backend)))
		return;
	client = swb_session_get_client(self->session);
	params = json_object_new_object();
	json_object_object_add(params, SB_FIELD_ROUTE,
	    json_object_new_string(swb_backend_get_route(backend)));
	json_object_object_add(params, SB_FIELD_ADDRESS,
	    json_object_new_string(swb_backend_get_address(backend)));
	json_object_object_add(params, SB_FIELD_STATE, json_object_new_string(state));
	call = g_new0(SetCall, 1);
	call->self = g_object_ref(self);
	call->backend = g_object_ref(backend);
	call->state = g_strdup(state);
	swb_client_call_async(client, sb_control_method_name(SB_METHOD_BACKENDS_SET), params,
	    self->cancellable, on_set, call);
	json_object_put(params);
}

static void
setup_switch(GtkSignalListItemFactory *factory, GtkListItem *item, SwbBackendsView *self)
{
	GtkWidget *box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 0);
	GtkToggleButton *first = NULL;

	gtk_widget_add_css_class(box, "linked");
	g_object_set_data(G_OBJECT(box), "swb-view", self);
	for (size_t i = 0; i < G_N_ELEMENTS(admin_states); i++) {
		GtkWidget *b = gtk_toggle_button_new_with_label(admin_states[i].label);

		gtk_widget_set_tooltip_text(b, admin_states[i].tooltip);
		g_object_set_data(G_OBJECT(b), "swb-state", (gpointer)admin_states[i].state);
		if (first != NULL)
			gtk_toggle_button_set_group(GTK_TOGGLE_BUTTON(b), first);
		else
			first = GTK_TOGGLE_BUTTON(b);
		g_signal_connect(b, "toggled", G_CALLBACK(on_switch_toggled), item);
		gtk_box_append(GTK_BOX(box), b);
	}
	gtk_list_item_set_child(item, box);
}

static void
bind_switch(GtkSignalListItemFactory *factory, GtkListItem *item, SwbBackendsView *self)
{
	GtkWidget *box = gtk_list_item_get_child(item);
	SwbBackend *backend = gtk_list_item_get_item(item);

	sync_switch(box, backend);
	g_signal_connect_object(backend, "notify::admin", G_CALLBACK(on_admin_notify), box, 0);
}

static void
unbind_switch(GtkSignalListItemFactory *factory, GtkListItem *item, SwbBackendsView *self)
{
	SwbBackend *backend = gtk_list_item_get_item(item);

	if (backend != NULL)
		g_signal_handlers_disconnect_by_func(backend, on_admin_notify,
		    gtk_list_item_get_child(item));
}

static void
update_page(SwbBackendsView *self)
{
	GListModel *model = gtk_no_selection_get_model(self->selection);
	gboolean any = model != NULL && g_list_model_get_n_items(model) > 0;

	gtk_stack_set_visible_child_name(self->stack, any ? "servers" : "empty");
}

static gboolean
on_refresh(gpointer data)
{
	SwbBackendsView *self = data;

	if (self->session != NULL)
		swb_session_refresh_backends(self->session);
	return G_SOURCE_CONTINUE;
}

void
swb_backends_view_set_session(SwbBackendsView *self, SwbSession *session)
{
	GListModel *old = gtk_no_selection_get_model(self->selection);

	g_return_if_fail(SWB_IS_BACKENDS_VIEW(self));
	if (old != NULL)
		g_signal_handlers_disconnect_by_data(old, self);
	g_set_object(&self->session, session);
	gtk_no_selection_set_model(self->selection, session != NULL ?
	    G_LIST_MODEL(swb_session_get_backends(session)) : NULL);
	if (session != NULL)
		g_signal_connect_object(swb_session_get_backends(session), "items-changed",
		    G_CALLBACK(update_page), self, G_CONNECT_SWAPPED);
	update_page(self);
	if (session != NULL && gtk_widget_get_mapped(GTK_WIDGET(self)))
		swb_session_refresh_backends(session);
}

/* On screen: counters every few seconds; off screen, events alone. */
static void
swb_backends_view_map(GtkWidget *widget)
{
	SwbBackendsView *self = SWB_BACKENDS_VIEW(widget);

	GTK_WIDGET_CLASS(swb_backends_view_parent_class)->map(widget);
	on_refresh(self);
	if (self->refresh_source == 0)
		self->refresh_source = g_timeout_add(SWB_BACKENDS_VIEW_REFRESH_MS, on_refresh,
		    self);
}

static void
swb_backends_view_unmap(GtkWidget *widget)
{
	SwbBackendsView *self = SWB_BACKENDS_VIEW(widget);

	g_clear_handle_id(&self->refresh_source, g_source_remove);
	GTK_WIDGET_CLASS(swb_backends_view_parent_class)->unmap(widget);
}

static void
swb_backends_view_dispose(GObject *object)
{
	SwbBackendsView *self = SWB_BACKENDS_VIEW(object);
	GtkWidget *child;

	g_cancellable_cancel(self->cancellable);
	g_clear_handle_id(&self->refresh_source, g_source_remove);
	if (self->selection != NULL)
		swb_backends_view_set_session(self, NULL);
	gtk_widget_dispose_template(GTK_WIDGET(object), SWB_TYPE_BACKENDS_VIEW);
	while ((child = gtk_widget_get_first_child(GTK_WIDGET(object))) != NULL)
		gtk_widget_unparent(child);
	G_OBJECT_CLASS(swb_backends_view_parent_class)->dispose(object);
}

static void
swb_backends_view_finalize(GObject *object)
{
	g_clear_object(&SWB_BACKENDS_VIEW(object)->cancellable);
	G_OBJECT_CLASS(swb_backends_view_parent_class)->finalize(object);
}

static void
swb_backends_view_class_init(SwbBackendsViewClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

	object_class->dispose = swb_backends_view_dispose;
	object_class->finalize = swb_backends_view_finalize;
	widget_class->map = swb_backends_view_map;
	widget_class->unmap = swb_backends_view_unmap;
	signals[SIGNAL_TOAST] = g_signal_new("toast", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST,
	    0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
	g_type_ensure(SWB_TYPE_BACKEND);
	gtk_widget_class_set_template_from_resource(widget_class,
	    "/org/switchboard/Switchboard/swb-backends-view.ui");
	gtk_widget_class_bind_template_child(widget_class, SwbBackendsView, stack);
	gtk_widget_class_bind_template_child(widget_class, SwbBackendsView, selection);
	gtk_widget_class_bind_template_child(widget_class, SwbBackendsView, control_column);
	gtk_widget_class_set_layout_manager_type(widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
swb_backends_view_init(SwbBackendsView *self)
{
	GtkListItemFactory *factory = gtk_signal_list_item_factory_new();

	gtk_widget_init_template(GTK_WIDGET(self));
	self->cancellable = g_cancellable_new();
	g_signal_connect(factory, "setup", G_CALLBACK(setup_switch), self);
	g_signal_connect(factory, "bind", G_CALLBACK(bind_switch), self);
	g_signal_connect(factory, "unbind", G_CALLBACK(unbind_switch), self);
	gtk_column_view_column_set_factory(self->control_column, factory);
	g_object_unref(factory);
	update_page(self);
}
