/* sbctl-format-connection.c - connections.get's answer, one "name: value" line each */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sb-control.h"
#include "sbctl-format.h"

/* "name:" padded, then the value made safe for a terminal ("-" when NULL). */
static void
line(FILE *out, const char *name, const char *value)
{
	char *safe = value != NULL ? sbctl_printable(value, strlen(value)) : NULL;

	fprintf(out, "%-13s%s\n", name, safe != NULL ? safe : "-");
	free(safe);
}

static void
line_tls(FILE *out, json_object *tls)
{
	const char *sni = sbctl_json_str(tls, SB_FIELD_SNI), *alpn = sbctl_json_str(tls, SB_FIELD_ALPN);
	char text[512];

	if (tls == NULL || !json_object_is_type(tls, json_type_object)) {
		line(out, "tls:", "none (plain)");
		return;
	}
	snprintf(text, sizeof text, "%s %s, sni %s, alpn %s",
	    sbctl_json_str(tls, SB_FIELD_VERSION) ? sbctl_json_str(tls, SB_FIELD_VERSION) : "?",
	    sbctl_json_str(tls, SB_FIELD_CIPHER) ? sbctl_json_str(tls, SB_FIELD_CIPHER) : "?",
	    sni ? sni : "-", alpn ? alpn : "-");
	line(out, "tls:", text);
}

static void
lines_websocket(FILE *out, json_object *ws)
{
	int64_t mu = 0, md = 0, pu = 0, pd = 0, rtt;
	char text[160];

	if (ws == NULL || !json_object_is_type(ws, json_type_object))
		return;
	sbctl_json_int(ws, SB_FIELD_MESSAGES_UP, &mu);
	sbctl_json_int(ws, SB_FIELD_MESSAGES_DOWN, &md);
	sbctl_json_int(ws, SB_FIELD_PINGS_UP, &pu);
	sbctl_json_int(ws, SB_FIELD_PINGS_DOWN, &pd);
	snprintf(text, sizeof text, "%" PRId64 " up, %" PRId64 " down", mu, md);
	line(out, "messages:", text);
	if (sbctl_json_int(ws, SB_FIELD_PING_RTT_MS, &rtt))
		snprintf(text, sizeof text, "%" PRId64 " from the client, %" PRId64
		    " to it (last round trip %" PRId64 " ms)", pu, pd, rtt);
	else
		snprintf(text, sizeof text, "%" PRId64 " from the client, %" PRId64 " to it",
		    pu, pd);
	line(out, "pings:", text);
}

void
sbctl_print_connection(FILE *out, json_object *c, const struct sbctl_view *view)
{
	char a[SBCTL_DURATION_MAX], b[SBCTL_DURATION_MAX], text[256];
	char up[SBCTL_BYTES_MAX], down[SBCTL_BYTES_MAX];
	int64_t n = 0, age = 0, idle = 0;
	json_object *v;

	(void)view;
	sbctl_json_int(c, SB_FIELD_ID, &n);
	fprintf(out, "connection %" PRId64 "\n", n);
	snprintf(text, sizeof text, "%s (%s)", sbctl_json_str(c, SB_FIELD_ROUTE) ?
	    sbctl_json_str(c, SB_FIELD_ROUTE) : "-", sbctl_json_str(c, SB_FIELD_MODE) ?
	    sbctl_json_str(c, SB_FIELD_MODE) : "-");
	line(out, "route:", text);
	if (sbctl_json_str(c, "identity") != NULL)
		line(out, "identity:", sbctl_json_str(c, "identity"));
	line(out, "client:", sbctl_json_str(c, SB_FIELD_CLIENT));
	line(out, "backend:", sbctl_json_str(c, SB_FIELD_BACKEND));
	line(out, "listener:", sbctl_json_str(c, SB_FIELD_LISTENER));
	line(out, "state:", sbctl_json_str(c, SB_FIELD_STATE));
	line(out, "started:", sbctl_json_str(c, SB_FIELD_STARTED));
	sbctl_json_int(c, SB_FIELD_AGE_S, &age);
	sbctl_json_int(c, SB_FIELD_IDLE_S, &idle);
	sbctl_format_duration(age, a);
	sbctl_format_duration(idle, b);
	snprintf(text, sizeof text, "%s (idle %s)", a, b);
	line(out, "age:", text);
	n = 0;
	sbctl_json_int(c, SB_FIELD_BYTES_UP, &n);
	sbctl_format_bytes((uint64_t)(n > 0 ? n : 0), up);
	n = 0;
	sbctl_json_int(c, SB_FIELD_BYTES_DOWN, &n);
	sbctl_format_bytes((uint64_t)(n > 0 ? n : 0), down);
	snprintf(text, sizeof text, "%s up, %s down", up, down);
	line(out, "bytes:", text);
	line_tls(out, json_object_object_get_ex(c, SB_FIELD_TLS, &v) ? v : NULL);
	if (sbctl_json_str(c, SB_FIELD_SUBPROTOCOL) != NULL)
		line(out, "subprotocol:", sbctl_json_str(c, SB_FIELD_SUBPROTOCOL));
	lines_websocket(out, json_object_object_get_ex(c, SB_FIELD_WEBSOCKET, &v) ? v : NULL);
}
