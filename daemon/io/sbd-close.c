/* sbd-close.c - the texts of close reasons, as logs and events show them */
#include "sbd-close.h"

#include <stdio.h>

static const char *const texts[] = {
	[SBD_CLOSE_NONE] = "open",
	[SBD_CLOSE_ANSWERED] = "answered",
	[SBD_CLOSE_PER_ADDRESS] = "per-address limit",
	[SBD_CLOSE_NO_DESCRIPTORS] = "out of file descriptors",
	[SBD_CLOSE_HTTP_REFUSED] = "the HTTP parser refused the connection",
	[SBD_CLOSE_PROXY_TIMEOUT] = "no PROXY header in time",
	[SBD_CLOSE_PROXY_LEFT] = "client left before its PROXY header",
	[SBD_CLOSE_PROXY_ERROR] = "client error before its PROXY header",
	[SBD_CLOSE_PROXY_INVALID] = "PROXY header",
	[SBD_CLOSE_LEFT_BEFORE_TLS] = "client left before TLS",
	[SBD_CLOSE_PLAIN_ON_TLS] = "plain HTTP on a TLS listener",
	[SBD_CLOSE_NOT_TLS] = "not TLS",
	[SBD_CLOSE_TLS_SESSION] = "cannot start a TLS session",
	[SBD_CLOSE_TLS_HANDSHAKE] = "tls handshake",
	[SBD_CLOSE_TLS_TIMEOUT] = "tls handshake timeout",
	[SBD_CLOSE_REQUEST_TIMEOUT] = "request timeout",
	[SBD_CLOSE_CLIENT_ERROR] = "client error",
	[SBD_CLOSE_CLIENT_CLOSED] = "client closed",
	[SBD_CLOSE_BACKEND_CLOSED] = "backend closed",
	[SBD_CLOSE_BACKEND_ERROR] = "backend error",
	[SBD_CLOSE_IDLE] = "idle timeout",
	[SBD_CLOSE_PROTOCOL] = NULL, /* the detail says it all */
	[SBD_CLOSE_WEBSOCKET] = "websocket closed",
	[SBD_CLOSE_UPGRADE_TIMEOUT] = "tls upgrade handshake timeout",
	[SBD_CLOSE_UPGRADE_FAILED] = "tls upgrade handshake",
	[SBD_CLOSE_ROUTE_REMOVED] = "route removed by a policy change",
	[SBD_CLOSE_NOT_ALLOWED] = "no longer allowed by the policy",
	[SBD_CLOSE_REQUESTED] = "closed on request",
	[SBD_CLOSE_SHUTDOWN] = "daemon shutdown",
};

const char *
sbd_close_text(enum sbd_close code)
{
	if ((size_t)code >= sizeof texts / sizeof texts[0] || texts[code] == NULL)
		return "closed";
	return texts[code];
}

void
sbd_why_format(struct sbd_why why, char *out, size_t outlen)
{
	bool own = (size_t)why.code < sizeof texts / sizeof texts[0] && texts[why.code] != NULL;
	bool detail = why.detail != NULL && why.detail[0] != '\0';

	/* A WebSocket's or a control client's own account replaces the generic words. */
	if (detail && (!own || why.code == SBD_CLOSE_WEBSOCKET || why.code == SBD_CLOSE_REQUESTED))
		snprintf(out, outlen, "%s", why.detail);
	else if (detail)
		snprintf(out, outlen, "%s: %s", texts[why.code], why.detail);
	else if (why.code == SBD_CLOSE_CLIENT_ERROR || why.code == SBD_CLOSE_BACKEND_ERROR)
		snprintf(out, outlen, "%s: error", sbd_close_text(why.code));
	else
		snprintf(out, outlen, "%s", sbd_close_text(why.code));
}
