/* swb-throughput.c - the last minutes of total throughput, one sample a second */
#include "swb-throughput.h"

struct _SwbThroughput {
	GObject parent_instance;

	double *up;
	double *down;
	guint capacity;
	guint n;    /* samples held */
	guint next; /* slot of the next push */
};

G_DEFINE_FINAL_TYPE(SwbThroughput, swb_throughput, G_TYPE_OBJECT)

enum {
	SIGNAL_CHANGED,
	N_SIGNALS
};

static guint signals[N_SIGNALS];

SwbThroughput *
swb_throughput_new(guint capacity)
{
	SwbThroughput *self = g_object_new(SWB_TYPE_THROUGHPUT, NULL);

	self->capacity = MAX(capacity, 2);
	self->up = g_new0(double, self->capacity);
	self->down = g_new0(double, self->capacity);
	return self;
}

void
swb_throughput_push(SwbThroughput *self, double up, double down)
{
	g_return_if_fail(SWB_IS_THROUGHPUT(self));
	self->up[self->next] = MAX(up, 0);
	self->down[self->next] = MAX(down, 0);
	self->next = (self->next + 1) % self->capacity;
	if (self->n < self->capacity)
		self->n++;
	g_signal_emit(self, signals[SIGNAL_CHANGED], 0);
}

void
swb_throughput_clear(SwbThroughput *self)
{
	g_return_if_fail(SWB_IS_THROUGHPUT(self));
	self->n = 0;
	self->next = 0;
	g_signal_emit(self, signals[SIGNAL_CHANGED], 0);
}

guint
swb_throughput_get_capacity(SwbThroughput *self)
{
	return self->capacity;
}

guint
swb_throughput_get_n_samples(SwbThroughput *self)
{
	return self->n;
}

void
swb_throughput_get_sample(SwbThroughput *self, guint age, double *up, double *down)
{
	guint slot;

	g_return_if_fail(age < self->n);
	slot = (self->next + self->capacity - 1 - age) % self->capacity;
	*up = self->up[slot];
	*down = self->down[slot];
}

double
swb_throughput_get_peak(SwbThroughput *self)
{
	double peak = 0;

	for (guint age = 0; age < self->n; age++) {
		double up, down;

		swb_throughput_get_sample(self, age, &up, &down);
		peak = MAX(peak, MAX(up, down));
	}
	return peak;
}

static void
swb_throughput_finalize(GObject *object)
{
	SwbThroughput *self = SWB_THROUGHPUT(object);

	g_clear_pointer(&self->up, g_free);
	g_clear_pointer(&self->down, g_free);
	G_OBJECT_CLASS(swb_throughput_parent_class)->finalize(object);
}

static void
swb_throughput_class_init(SwbThroughputClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = swb_throughput_finalize;
	signals[SIGNAL_CHANGED] = g_signal_new("changed", G_TYPE_FROM_CLASS(klass),
	    G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
swb_throughput_init(SwbThroughput *self)
{
}
