/* swb-throughput-graph.c - a live graph of a SwbThroughput: bytes per second, up and down */
#include "swb-throughput-graph.h"

#include <math.h>

#include "swb-format.h"

#define GRID_LINES 4
#define PAD 6.0

struct _SwbThroughputGraph {
	GtkWidget parent_instance;

	SwbThroughput *throughput;
};

G_DEFINE_FINAL_TYPE(SwbThroughputGraph, swb_throughput_graph, GTK_TYPE_WIDGET)

enum {
	PROP_0,
	PROP_THROUGHPUT,
	N_PROPS
};

static GParamSpec *props[N_PROPS];

/* The series' colours: GNOME palette blue 3 (up) and green 4 (down). */
static const GdkRGBA up_color = { 0.208, 0.518, 0.894, 1 };
static const GdkRGBA down_color = { 0.180, 0.761, 0.494, 1 };

/* A round scale above peak: 1, 2 or 5 times a power of ten, at least 1 kB/s. */
static double
nice_scale(double peak)
{
	double base;

	if (peak < 1000)
		return 1000;
	base = pow(10, floor(log10(peak)));
	if (peak <= base)
		return base;
	if (peak <= 2 * base)
		return 2 * base;
	if (peak <= 5 * base)
		return 5 * base;
	return 10 * base;
}

static void
plot(SwbThroughputGraph *self, cairo_t *cr, double w, double h, double scale, gboolean up,
    const GdkRGBA *color)
{
	guint n = swb_throughput_get_n_samples(self->throughput);
	double step = w / (swb_throughput_get_capacity(self->throughput) - 1);
	double x = w;

	if (n == 0)
		return;
	cairo_new_path(cr);
	for (guint age = 0; age < n; age++) {
		double u, d;

		swb_throughput_get_sample(self->throughput, age, &u, &d);
		x = w - age * step;
		cairo_line_to(cr, x, h - MIN((up ? u : d) / scale, 1.0) * h);
	}
	cairo_set_line_width(cr, 2);
	cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
	gdk_cairo_set_source_rgba(cr, color);
	cairo_stroke_preserve(cr);
	cairo_line_to(cr, x, h);
	cairo_line_to(cr, w, h);
	cairo_close_path(cr);
	cairo_set_source_rgba(cr, color->red, color->green, color->blue, 0.15);
	cairo_fill(cr);
}

static void
add_label(SwbThroughputGraph *self, GtkSnapshot *snapshot, const char *text, float x, float y,
    gboolean right, const GdkRGBA *fg)
{
	g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout(GTK_WIDGET(self), text);
	int lw, lh;

	pango_layout_get_pixel_size(layout, &lw, &lh);
	gtk_snapshot_save(snapshot);
	gtk_snapshot_translate(snapshot, &GRAPHENE_POINT_INIT(right ? x - lw : x, y));
	gtk_snapshot_append_layout(snapshot, layout, fg);
	gtk_snapshot_restore(snapshot);
}

static void
swb_throughput_graph_snapshot(GtkWidget *widget, GtkSnapshot *snapshot)
{
	SwbThroughputGraph *self = SWB_THROUGHPUT_GRAPH(widget);
	double w = gtk_widget_get_width(widget);
	double h = gtk_widget_get_height(widget);
	double peak = self->throughput != NULL ? swb_throughput_get_peak(self->throughput) : 0;
	double scale = nice_scale(peak);
	g_autofree char *top = swb_format_rate(scale);
	GdkRGBA fg;
	GdkRGBA dim;
	cairo_t *cr;
	guint minutes = self->throughput != NULL ?
	    swb_throughput_get_capacity(self->throughput) / 60 : 0;
	g_autofree char *span = g_strdup_printf("%u min ago", minutes);

	if (w < 2 * PAD || h < 2 * PAD)
		return;
	G_GNUC_BEGIN_IGNORE_DEPRECATIONS
	gtk_style_context_get_color(gtk_widget_get_style_context(widget), &fg);
	G_GNUC_END_IGNORE_DEPRECATIONS
	dim = fg;
	dim.alpha *= 0.55f;
	cr = gtk_snapshot_append_cairo(snapshot, &GRAPHENE_RECT_INIT(0, 0, w, h));
	cairo_translate(cr, PAD, PAD);
	w -= 2 * PAD;
	h -= 2 * PAD;
	cairo_set_line_width(cr, 1);
	cairo_set_source_rgba(cr, fg.red, fg.green, fg.blue, 0.12);
	for (int i = 0; i <= GRID_LINES; i++) {
		double y = floor(h * i / GRID_LINES) + 0.5;

		cairo_move_to(cr, 0, y);
		cairo_line_to(cr, w, y);
	}
	cairo_stroke(cr);
	if (self->throughput != NULL) {
		plot(self, cr, w, h, scale, FALSE, &down_color);
		plot(self, cr, w, h, scale, TRUE, &up_color);
	}
	cairo_destroy(cr);
	add_label(self, snapshot, top, PAD + 4, PAD + 2, FALSE, &dim);
	add_label(self, snapshot, span, PAD + 4, (float)(h + PAD) - 18, FALSE, &dim);
	add_label(self, snapshot, "now", (float)(w + PAD) - 4, (float)(h + PAD) - 18, TRUE, &dim);
}

static void
swb_throughput_graph_measure(GtkWidget *widget, GtkOrientation orientation, int for_size,
    int *minimum, int *natural, int *minimum_baseline, int *natural_baseline)
{
	*minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? 160 : 100;
	*natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 600 : 240;
}

void
swb_throughput_graph_set_throughput(SwbThroughputGraph *self, SwbThroughput *throughput)
{
	g_return_if_fail(SWB_IS_THROUGHPUT_GRAPH(self));
	if (self->throughput == throughput)
		return;
	if (self->throughput != NULL)
		g_signal_handlers_disconnect_by_data(self->throughput, self);
	g_set_object(&self->throughput, throughput);
	if (throughput != NULL)
		g_signal_connect_object(throughput, "changed", G_CALLBACK(gtk_widget_queue_draw),
		    self, G_CONNECT_SWAPPED);
	gtk_widget_queue_draw(GTK_WIDGET(self));
	g_object_notify_by_pspec(G_OBJECT(self), props[PROP_THROUGHPUT]);
}

GtkWidget *
swb_throughput_graph_new(void)
{
	return g_object_new(SWB_TYPE_THROUGHPUT_GRAPH, NULL);
}

static void
swb_throughput_graph_get_property(GObject *object, guint prop_id, GValue *value,
    GParamSpec *pspec)
{
	SwbThroughputGraph *self = SWB_THROUGHPUT_GRAPH(object);

	switch (prop_id) {
	case PROP_THROUGHPUT:
		g_value_set_object(value, self->throughput);
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
	}
}

static void
swb_throughput_graph_set_property(GObject *object, guint prop_id, const GValue *value,
    GParamSpec *pspec)
{
	SwbThroughputGraph *self = SWB_THROUGHPUT_GRAPH(object);

	switch (prop_id) {
	case PROP_THROUGHPUT:
		swb_throughput_graph_set_throughput(self, g_value_get_object(value));
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
	}
}

static void
swb_throughput_graph_dispose(GObject *object)
{
	SwbThroughputGraph *self = SWB_THROUGHPUT_GRAPH(object);

	if (self->throughput != NULL)
		g_signal_handlers_disconnect_by_data(self->throughput, self);
	g_clear_object(&self->throughput);
	G_OBJECT_CLASS(swb_throughput_graph_parent_class)->dispose(object);
}

static void
swb_throughput_graph_class_init(SwbThroughputGraphClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

	object_class->get_property = swb_throughput_graph_get_property;
	object_class->set_property = swb_throughput_graph_set_property;
	object_class->dispose = swb_throughput_graph_dispose;
	widget_class->snapshot = swb_throughput_graph_snapshot;
	widget_class->measure = swb_throughput_graph_measure;
	props[PROP_THROUGHPUT] = g_param_spec_object("throughput", NULL, NULL, SWB_TYPE_THROUGHPUT,
	    G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
	g_object_class_install_properties(object_class, N_PROPS, props);
	gtk_widget_class_set_css_name(widget_class, "throughput-graph");
	gtk_widget_class_set_accessible_role(widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
swb_throughput_graph_init(SwbThroughputGraph *self)
{
}
