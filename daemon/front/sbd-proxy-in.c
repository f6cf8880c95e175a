/* sbd-proxy-in.c - PROXY v1/v2 on listeners behind a load balancer: the real client first */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "sb-log.h"
#include "sb-policy.h"
#include "sbd-conn-private.h"
#include "sbd-proxy-proto.h"

/* Headers with TLVs beyond this are refused rather than buffered. */
#define PROXY_IN_MAX 4096

/* Counted as a refusal with status (400: a bad header; 403: an untrusted sender), then closed. */
static void
refuse(struct sbd_conn *c, int status, const char *why)
{
	struct sbd_why w = SBD_WHY_DETAIL(SBD_CLOSE_PROXY_INVALID, why);
	char reason[160];

	sbd_why_format(w, reason, sizeof reason);
	sb_info("conn %llu %s: %s", (unsigned long long)c->info.id, c->info.text, reason);
	sbd_conn_refused(c, status, reason);
	sbd_conn_close(c, w);
}

bool
sbd_proxy_in_sender_ok(struct sbd_conn *c, const struct sb_listener *l)
{
	/* a listener the running policy no longer has: trust nobody */
	if (l != NULL && !l->has_proxy_from)
		return true;
	for (size_t i = 0; l != NULL && i < l->n_proxy_from; i++) {
		if (sb_cidr_match(&l->proxy_from[i], (const struct sockaddr *)&c->info.addr))
			return true;
	}
	refuse(c, 403, "sender not in proxy_protocol.from");
	return false;
}

void
sbd_proxy_in_read(struct sbd_conn *c)
{
	struct sbd_proxy_header hdr;
	size_t consumed = 0;
	size_t want = 8; /* the shortest v1 header, "PROXY UNKNOWN\r\n", is longer */

	for (;;) {
		enum sbd_proxy_result pr = SBD_PROXY_NEED_MORE;

		if (c->proxy_in.len > 0) {
			pr = sbd_proxy_parse((const uint8_t *)sb_buf_head(&c->proxy_in),
			    c->proxy_in.len, &hdr, &consumed);
			if (pr == SBD_PROXY_INVALID) {
				refuse(c, 400, hdr.error);
				return;
			}
			if (pr == SBD_PROXY_OK)
				break;
			want = hdr.need;
		}
		if (want > PROXY_IN_MAX) {
			refuse(c, 400, "longer than 4 KiB");
			return;
		}
		/* Read only what the header still needs: the bytes after it are TLS or HTTP. */
		size_t n = want > c->proxy_in.len ? want - c->proxy_in.len : 1;
		ssize_t r = recv(c->client.fd, sb_buf_reserve(&c->proxy_in, n), n, 0);

		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (r <= 0) {
			sbd_conn_close(c, SBD_WHY(r == 0 ? SBD_CLOSE_PROXY_LEFT :
			    SBD_CLOSE_PROXY_ERROR));
			return;
		}
		sb_buf_commit(&c->proxy_in, (size_t)r);
	}
	if (consumed != c->proxy_in.len) {
		refuse(c, 400, "read past the header");
		return;
	}
	sb_buf_free(&c->proxy_in);
	if (!hdr.is_local) {
		char was[SB_ADDR_TEXT_MAX];

		snprintf(was, sizeof was, "%s", c->info.text);
		c->info.addr_len = hdr.src.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
		    sizeof(struct sockaddr_in);
		memcpy(&c->info.addr, &hdr.src, c->info.addr_len);
		sb_addr_format((struct sockaddr *)&c->info.addr, c->info.text);
		sb_debug("conn %llu: PROXY v%d: client %s via %s", (unsigned long long)c->info.id,
		    (int)hdr.version, c->info.text, was);
	}
	sbd_conn_admit_client(c);
}
