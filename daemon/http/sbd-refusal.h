/* sbd-refusal.h - the HTTP answers of a refused upgrade: status, reason body, hint headers */
#pragma once

#include <microhttpd.h>
#include <stdbool.h>

/*
 * Before MHD has the connection (limits, plain HTTP on a TLS port): writes a
 * complete "Connection: close" answer straight to the socket, best effort; the
 * reason escaped as below.
 */
void sbd_refusal_send_raw(int fd, int status, const char *reason);

/* "Not Found" for 404, and so on; "Error" for anything unknown. */
const char *sbd_refusal_status_text(int status);

/*
 * Queues "<status> <text>: <reason>\n" as text/plain, control characters of
 * the reason escaped (sb_escape_text), and closes the connection
 * after it. A 426 carries Upgrade: upgrade_hint (when not empty) and, for a
 * WebSocket route, Sec-WebSocket-Version: 13.
 */
enum MHD_Result sbd_refusal_queue(struct MHD_Connection *mc, int status, const char *reason,
    const char *upgrade_hint, bool websocket);
/*
 * The same for route auth and rate: a 401 carries a WWW-Authenticate header
 * for each line of challenge, a 429 Retry-After: retry_after_s (at least 1).
 */
enum MHD_Result sbd_refusal_queue_auth(struct MHD_Connection *mc, int status, const char *reason,
    const char *challenge, unsigned retry_after_s);
