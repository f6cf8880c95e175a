/*
 * swb-connection-detail.h - one live connection in detail (connections.get),
 * refreshed once a second while the window is open
 */
#pragma once

#include <adwaita.h>
#include <json-c/json.h>

#include "swb-session.h"

G_BEGIN_DECLS

/* The rows the window shows, in order. */
typedef enum {
	SWB_DETAIL_ROUTE,
	SWB_DETAIL_IDENTITY,
	SWB_DETAIL_CLIENT,
	SWB_DETAIL_BACKEND,
	SWB_DETAIL_LISTENER,
	SWB_DETAIL_STATE,
	SWB_DETAIL_AGE,
	SWB_DETAIL_IDLE,
	SWB_DETAIL_BYTES,
	SWB_DETAIL_TLS,
	SWB_DETAIL_SNI,
	SWB_DETAIL_ALPN,
	SWB_DETAIL_SUBPROTOCOL,
	SWB_DETAIL_MESSAGES,
	SWB_DETAIL_PINGS,
	SWB_DETAIL_COUNT
} SwbDetailRow;

/* "Route", "Identity", …, "Pings". */
const char *swb_connection_detail_title(SwbDetailRow row);
/*
 * The text of one row of a connections.get result: "vnc (websocket)",
 * "1.5 kB up, 12 B down", "TLS1.3, AES-256-GCM", "4 up, 5 down", "1 from the
 * client, 2 to it, last round trip 12 ms"; "—" for what the connection does
 * not have. (transfer full)
 */
char *swb_connection_detail_text(json_object *detail, SwbDetailRow row);

#define SWB_TYPE_CONNECTION_DETAIL (swb_connection_detail_get_type())
G_DECLARE_FINAL_TYPE(SwbConnectionDetail, swb_connection_detail, SWB, CONNECTION_DETAIL,
    AdwWindow)

/*
 * A window on connection id of session's daemon: connections.get now and once
 * a second while it is shown; once the daemon no longer knows the id, it says
 * the connection closed and stops asking.
 */
SwbConnectionDetail *swb_connection_detail_new(SwbSession *session, guint64 id);
/* The text shown for a row now (for tests). */
const char *swb_connection_detail_get_text(SwbConnectionDetail *self, SwbDetailRow row);

G_END_DECLS
