/* sbd-close.h - why a connection ended: named reasons and their one text table
 *
 * Whatever ends a connection (a mode, a timeout, the control socket, a policy
 * change) says why with a code and, where one helps, a detail (an end's error,
 * a WebSocket close reason). Only the connection's owner turns that into the
 * text of logs and events, once, at close.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

enum sbd_close {
	SBD_CLOSE_NONE,             /* still open */
	/* before the 101 */
	SBD_CLOSE_ANSWERED,         /* a refusal or another answer was sent */
	SBD_CLOSE_PER_ADDRESS,
	SBD_CLOSE_NO_DESCRIPTORS,
	SBD_CLOSE_HTTP_REFUSED,
	SBD_CLOSE_PROXY_TIMEOUT,
	SBD_CLOSE_PROXY_LEFT,
	SBD_CLOSE_PROXY_ERROR,
	SBD_CLOSE_PROXY_INVALID,    /* detail: what is wrong with the header */
	SBD_CLOSE_LEFT_BEFORE_TLS,
	SBD_CLOSE_PLAIN_ON_TLS,
	SBD_CLOSE_NOT_TLS,
	SBD_CLOSE_TLS_SESSION,
	SBD_CLOSE_TLS_HANDSHAKE,    /* detail: GnuTLS's words */
	SBD_CLOSE_TLS_TIMEOUT,
	SBD_CLOSE_REQUEST_TIMEOUT,
	/* either phase */
	SBD_CLOSE_CLIENT_ERROR,     /* detail: the end's error */
	/* after the 101 */
	SBD_CLOSE_CLIENT_CLOSED,
	SBD_CLOSE_BACKEND_CLOSED,
	SBD_CLOSE_BACKEND_ERROR,    /* detail: the end's error */
	SBD_CLOSE_IDLE,
	SBD_CLOSE_PROTOCOL,         /* detail: what the mode saw (h2c preface, SETTINGS ACK) */
	SBD_CLOSE_WEBSOCKET,        /* detail: the close handshake's story */
	SBD_CLOSE_UPGRADE_TIMEOUT,  /* RFC 2817: no TLS handshake in time */
	SBD_CLOSE_UPGRADE_FAILED,   /* RFC 2817: detail: GnuTLS's words */
	SBD_CLOSE_ROUTE_REMOVED,
	SBD_CLOSE_NOT_ALLOWED,
	SBD_CLOSE_REQUESTED,        /* detail: who asked (the control socket) */
	SBD_CLOSE_SHUTDOWN,
};

/* A reason; detail (may be NULL) must live until the owner has formatted it. */
struct sbd_why {
	enum sbd_close code;
	const char *detail;
};

#define SBD_WHY_OPEN ((struct sbd_why){ SBD_CLOSE_NONE, NULL })
#define SBD_WHY(c) ((struct sbd_why){ (c), NULL })
#define SBD_WHY_DETAIL(c, d) ((struct sbd_why){ (c), (d) })

static inline bool
sbd_why_is_open(struct sbd_why w)
{
	return w.code == SBD_CLOSE_NONE;
}

/* The code's own text: "idle timeout". */
const char *sbd_close_text(enum sbd_close code);
/* "client error: Connection reset by peer", or the text alone, or the detail alone. */
void sbd_why_format(struct sbd_why why, char *out, size_t outlen);
