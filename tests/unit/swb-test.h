/*
 * swb-test.h - what the app's tests share: a scripted control socket in the
 * test's own process (it answers events.subscribe itself and every other
 * request as the test says), and waiting on the main loop
 */
#pragma once

#include <glib.h>
#include <json-c/json.h>

typedef struct _SwbTestDaemon SwbTestDaemon;

/*
 * The answer to one request: the members after "id", e.g. "\"result\": {}"
 * (transfer full), or NULL to never answer it.
 */
typedef char *(*SwbTestAnswer)(const char *method, json_object *params, gpointer data);

/* Listens on a fresh socket in a fresh folder. */
SwbTestDaemon *swb_test_daemon_new(SwbTestAnswer answer, gpointer data);
/* Stops, lets the calls that fail with it finish, and removes the socket and its folder. */
void swb_test_daemon_free(SwbTestDaemon *self);
const char *swb_test_daemon_get_path(SwbTestDaemon *self);
/* Listens again after swb_test_daemon_stop(). */
void swb_test_daemon_start(SwbTestDaemon *self);
/* Ends the connection and stops listening: the daemon is gone. */
void swb_test_daemon_stop(SwbTestDaemon *self);
/* Sends one line (a notification, or junk) on the current connection. */
void swb_test_daemon_send(SwbTestDaemon *self, const char *line);
/* An event notification: its type, and more members of its params (JSON text; may be NULL). */
void swb_test_daemon_send_event(SwbTestDaemon *self, const char *type,
    const char *members_json);
guint swb_test_daemon_get_subscribes(SwbTestDaemon *self);

/*
 * How much slower than usual the tests may run: SB_TIME_SCALE (a number >= 1,
 * set where meson's timeouts are stretched too, e.g. under a sanitizer), else 1.
 * Time bounds in tests are multiplied by it.
 */
double swb_test_time_scale(void);
/* Runs the main loop until check(data) holds; FALSE after ms (times the scale) without. */
gboolean swb_test_wait_for(gboolean (*check)(gpointer data), gpointer data, guint ms);
