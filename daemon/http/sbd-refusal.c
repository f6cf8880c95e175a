/* sbd-refusal.c - refusals are answers with a reason, never a dead socket */
#include "sbd-refusal.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "sb-escape.h"

static const struct {
	int status;
	const char *text;
} status_texts[] = {
	{ 400, "Bad Request" },
	{ 401, "Unauthorized" },
	{ 403, "Forbidden" },
	{ 404, "Not Found" },
	{ 413, "Content Too Large" },
	{ 426, "Upgrade Required" },
	{ 429, "Too Many Requests" },
	{ 502, "Bad Gateway" },
	{ 503, "Service Unavailable" },
	{ 504, "Gateway Timeout" },
};

const char *
sbd_refusal_status_text(int status)
{
	for (size_t i = 0; i < sizeof status_texts / sizeof status_texts[0]; i++)
		if (status_texts[i].status == status)
			return status_texts[i].text;
	return "Error";
}

void
sbd_refusal_send_raw(int fd, int status, const char *reason)
{
	char text[200], body[256], msg[512];
	int blen, n;

	sb_escape_text(text, sizeof text, reason);
	blen = snprintf(body, sizeof body, "%d %s: %s\n", status, sbd_refusal_status_text(status),
	    text);

	if (blen < 0 || (size_t)blen >= sizeof body)
		return;
	n = snprintf(msg, sizeof msg, "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
	    "Content-Length: %d\r\nConnection: close\r\n\r\n%s", status,
	    sbd_refusal_status_text(status), blen, body);
	if (n > 0 && (size_t)n < sizeof msg)
		(void)!send(fd, msg, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* The reason body, escaped; NULL when MHD has no memory. */
static struct MHD_Response *
reason_response(int status, const char *reason)
{
	char text[448], body[512];
	struct MHD_Response *resp;
	int n;

	sb_escape_text(text, sizeof text, reason);
	n = snprintf(body, sizeof body, "%d %s: %s\n", status, sbd_refusal_status_text(status),
	    text);
	if (n < 0)
		return NULL;
	if ((size_t)n >= sizeof body)
		n = sizeof body - 1;
	resp = MHD_create_response_from_buffer((size_t)n, body, MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return NULL;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	return resp;
}

enum MHD_Result
sbd_refusal_queue_auth(struct MHD_Connection *mc, int status, const char *reason,
    const char *challenge, unsigned retry_after_s)
{
	struct MHD_Response *resp = reason_response(status, reason);
	enum MHD_Result ret;
	char retry[16];

	if (resp == NULL)
		return MHD_NO;
	for (const char *c = status == 401 ? challenge : NULL; c != NULL && *c != '\0';) {
		size_t n = strcspn(c, "\n");
		char one[256];

		if (n > 0 && n < sizeof one) {
			memcpy(one, c, n);
			one[n] = '\0';
			MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, one);
		}
		c += n + (c[n] == '\n');
	}
	if (status == 429) {
		snprintf(retry, sizeof retry, "%u", retry_after_s > 0 ? retry_after_s : 1);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, retry);
	}
	ret = MHD_queue_response(mc, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return ret;
}

enum MHD_Result
sbd_refusal_queue(struct MHD_Connection *mc, int status, const char *reason,
    const char *upgrade_hint, bool websocket)
{
	struct MHD_Response *resp = reason_response(status, reason);
	enum MHD_Result ret;

	if (resp == NULL)
		return MHD_NO;
	if (status == 426) {
		if (upgrade_hint != NULL && upgrade_hint[0] != '\0')
			MHD_add_response_header(resp, MHD_HTTP_HEADER_UPGRADE, upgrade_hint);
		if (websocket)
			MHD_add_response_header(resp, "Sec-WebSocket-Version", "13");
	}
	ret = MHD_queue_response(mc, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return ret;
}
