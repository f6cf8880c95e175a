/* swb-throughput.h - the last minutes of total throughput, one sample a second */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define SWB_TYPE_THROUGHPUT (swb_throughput_get_type())
G_DECLARE_FINAL_TYPE(SwbThroughput, swb_throughput, SWB, THROUGHPUT, GObject)

#define SWB_THROUGHPUT_DEFAULT_CAPACITY 300

/* A ring of capacity (>= 2) samples; the "changed" signal follows each push or clear. */
SwbThroughput *swb_throughput_new(guint capacity);
/* Bytes per second up (client to backend) and down. */
void swb_throughput_push(SwbThroughput *self, double up, double down);
void swb_throughput_clear(SwbThroughput *self);
guint swb_throughput_get_capacity(SwbThroughput *self);
guint swb_throughput_get_n_samples(SwbThroughput *self);
/* age 0 is the newest sample; age < n_samples. */
void swb_throughput_get_sample(SwbThroughput *self, guint age, double *up, double *down);
/* The largest up or down value held; 0 when empty. */
double swb_throughput_get_peak(SwbThroughput *self);

G_END_DECLS
