/* sbd-proxy-proto.c - PROXY protocol v1 and v2 parse and encode */
#include "sbd-proxy-proto.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char v1_sig[] = "PROXY ";
#define V1_SIG_LEN 6
/* "PROXY UNKNOWN\r\n": no v1 header is shorter */
#define V1_MIN 15

static const uint8_t v2_sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
};
#define V2_SIG_LEN 12
#define V2_CMD_LOCAL 0x0
#define V2_CMD_PROXY 0x1
#define V2_FAM_UNSPEC 0x0
#define V2_FAM_INET 0x1
#define V2_FAM_INET6 0x2
#define V2_FAM_UNIX 0x3
#define V2_PROTO_UNSPEC 0x0
#define V2_PROTO_STREAM 0x1
#define V2_PROTO_DGRAM 0x2
#define V2_ADDR4_LEN 12
#define V2_ADDR6_LEN 36

/* -- detection -- */

static bool
prefix_matches(const uint8_t *buf, size_t len, const void *sig, size_t sig_len)
{
	size_t n = len < sig_len ? len : sig_len;

	return n == 0 || memcmp(buf, sig, n) == 0;
}

enum sbd_proxy_detect
sbd_proxy_detect(const uint8_t *buf, size_t len)
{
	bool v1 = prefix_matches(buf, len, v1_sig, V1_SIG_LEN);
	bool v2 = prefix_matches(buf, len, v2_sig, V2_SIG_LEN);

	if (v1 && len >= V1_SIG_LEN)
		return SBD_PROXY_DETECT_V1;
	if (v2 && len >= V2_SIG_LEN)
		return SBD_PROXY_DETECT_V2;
	if (v1 || v2)
		return SBD_PROXY_DETECT_NEED_MORE;
	return SBD_PROXY_DETECT_NONE;
}

/* -- v1 -- */

enum v1_kind {
	V1_PROTO,
	V1_ADDR4,
	V1_ADDR6,
	V1_PORT,
};

struct v1_scan {
	const uint8_t *buf;
	size_t end; /* min(len, SBD_PROXY_V1_MAX): nothing past it is looked at */
	size_t pos;
	const char *error;
};

static const char *const v1_protos[] = { "TCP4", "TCP6", "UNKNOWN" };

static bool
v1_char_ok(enum v1_kind kind, uint8_t c)
{
	switch (kind) {
	case V1_PROTO:
		return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
	case V1_ADDR4:
		return (c >= '0' && c <= '9') || c == '.';
	case V1_ADDR6:
		return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
		    c == ':' || c == '.';
	case V1_PORT:
		return c >= '0' && c <= '9';
	}
	return false;
}

/* Checks what is known of a token, complete or not; sets s->error when it cannot be valid. */
static bool
v1_token_ok(struct v1_scan *s, enum v1_kind kind, const char *tok, size_t n, bool complete)
{
	unsigned long port = 0;
	uint8_t addr[16];

	switch (kind) {
	case V1_PROTO:
		for (size_t i = 0; i < sizeof v1_protos / sizeof v1_protos[0]; i++) {
			size_t plen = strlen(v1_protos[i]);

			if (complete ? n == plen && memcmp(tok, v1_protos[i], n) == 0 :
				       n <= plen && memcmp(tok, v1_protos[i], n) == 0)
				return true;
		}
		s->error = "v1 protocol is not TCP4, TCP6 or UNKNOWN";
		return false;
	case V1_ADDR4:
	case V1_ADDR6:
		if (complete && inet_pton(kind == V1_ADDR4 ? AF_INET : AF_INET6, tok, addr) != 1) {
			s->error = kind == V1_ADDR4 ?
			    "v1 TCP4 address is not a valid IPv4 address" :
			    "v1 TCP6 address is not a valid IPv6 address";
			return false;
		}
		return true;
	case V1_PORT:
		if (n > 1 && tok[0] == '0') {
			s->error = "v1 port has a leading zero";
			return false;
		}
		for (size_t i = 0; i < n; i++)
			port = port * 10 + (unsigned long)(tok[i] - '0');
		if (port > 65535) {
			s->error = "v1 port is above 65535";
			return false;
		}
		return true;
	}
	return false;
}

/* Called when the scan needs a byte at s->end: more data, or too long already. */
static enum sbd_proxy_result
v1_ran_out(struct v1_scan *s)
{
	if (s->end == SBD_PROXY_V1_MAX) {
		s->error = "v1 header longer than 107 bytes";
		return SBD_PROXY_INVALID;
	}
	return SBD_PROXY_NEED_MORE;
}

/*
 * Reads one token of the given kind up to a space or CR; on OK the token is
 * NUL-terminated in tok, *delim is the delimiter and s->pos is past it.
 */
static enum sbd_proxy_result
v1_token(struct v1_scan *s, enum v1_kind kind, char *tok, size_t cap, uint8_t *delim)
{
	size_t n = 0;

	for (; s->pos < s->end; s->pos++) {
		uint8_t c = s->buf[s->pos];

		if (c == ' ' || c == '\r') {
			tok[n] = '\0';
			if (n == 0) {
				s->error = "v1 header has an empty field";
				return SBD_PROXY_INVALID;
			}
			if (!v1_token_ok(s, kind, tok, n, true))
				return SBD_PROXY_INVALID;
			*delim = c;
			s->pos++;
			return SBD_PROXY_OK;
		}
		if (!v1_char_ok(kind, c)) {
			s->error = "v1 header has an unexpected character";
			return SBD_PROXY_INVALID;
		}
		if (n + 1 >= cap) {
			s->error = "v1 header field is too long";
			return SBD_PROXY_INVALID;
		}
		tok[n++] = (char)c;
	}
	tok[n] = '\0';
	if (!v1_token_ok(s, kind, tok, n, false))
		return SBD_PROXY_INVALID;
	return v1_ran_out(s);
}

/* After a CR delimiter: the LF that ends the header. */
static enum sbd_proxy_result
v1_lf(struct v1_scan *s)
{
	if (s->pos >= s->end)
		return v1_ran_out(s);
	if (s->buf[s->pos] != '\n') {
		s->error = "v1 header has CR without LF";
		return SBD_PROXY_INVALID;
	}
	s->pos++;
	return SBD_PROXY_OK;
}

/* "PROXY UNKNOWN" then optional " anything printable" up to CRLF. */
static enum sbd_proxy_result
v1_unknown_rest(struct v1_scan *s, uint8_t delim)
{
	if (delim == ' ') {
		for (;; s->pos++) {
			if (s->pos >= s->end)
				return v1_ran_out(s);
			if (s->buf[s->pos] == '\r')
				break;
			if (s->buf[s->pos] < 0x20 || s->buf[s->pos] > 0x7e) {
				s->error = "v1 header has an unexpected character";
				return SBD_PROXY_INVALID;
			}
		}
		s->pos++;
	}
	return v1_lf(s);
}

static void
v1_set_addr(struct sockaddr_storage *ss, int family, const char *addr, const char *port)
{
	uint16_t p = (uint16_t)strtoul(port, NULL, 10);

	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(p);
		inet_pton(AF_INET, addr, &sin->sin_addr);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(p);
		inet_pton(AF_INET6, addr, &sin6->sin6_addr);
	}
}

/* The fields after "PROXY TCPx ": src dst sport dport CRLF. */
static enum sbd_proxy_result
v1_tcp_rest(struct v1_scan *s, int family, struct sbd_proxy_header *out)
{
	enum v1_kind akind = family == AF_INET ? V1_ADDR4 : V1_ADDR6;
	size_t acap = family == AF_INET ? INET_ADDRSTRLEN : INET6_ADDRSTRLEN;
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], sport[6], dport[6];
	struct {
		enum v1_kind kind;
		char *tok;
		size_t cap;
		uint8_t want;
	} fields[] = {
		{ akind, src, acap, ' ' },
		{ akind, dst, acap, ' ' },
		{ V1_PORT, sport, sizeof sport, ' ' },
		{ V1_PORT, dport, sizeof dport, '\r' },
	};
	enum sbd_proxy_result r;
	uint8_t delim;

	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		r = v1_token(s, fields[i].kind, fields[i].tok, fields[i].cap, &delim);
		if (r != SBD_PROXY_OK)
			return r;
		if (delim != fields[i].want) {
			s->error = delim == '\r' ? "v1 header ends before its last field" :
			    "v1 header has fields after the destination port";
			return SBD_PROXY_INVALID;
		}
	}
	r = v1_lf(s);
	if (r != SBD_PROXY_OK)
		return r;
	v1_set_addr(&out->src, family, src, sport);
	v1_set_addr(&out->dst, family, dst, dport);
	return SBD_PROXY_OK;
}

static enum sbd_proxy_result
v1_parse(const uint8_t *buf, size_t len, struct sbd_proxy_header *out, size_t *consumed)
{
	struct v1_scan s = {
		.buf = buf,
		.end = len < SBD_PROXY_V1_MAX ? len : SBD_PROXY_V1_MAX,
		.pos = V1_SIG_LEN,
	};
	enum sbd_proxy_result r;
	char proto[16]; /* room past "UNKNOWN" so a longer word is named a bad protocol */
	uint8_t delim;

	out->version = SBD_PROXY_V1;
	r = v1_token(&s, V1_PROTO, proto, sizeof proto, &delim);
	if (r == SBD_PROXY_OK) {
		if (strcmp(proto, "UNKNOWN") == 0) {
			out->is_local = true;
			r = v1_unknown_rest(&s, delim);
		} else if (delim != ' ') {
			s.error = "v1 header ends after the protocol";
			r = SBD_PROXY_INVALID;
		} else {
			r = v1_tcp_rest(&s, proto[3] == '4' ? AF_INET : AF_INET6, out);
		}
	}
	if (r == SBD_PROXY_NEED_MORE) {
		/* at least CRLF is still to come, or its LF when the buffer ends in CR */
		size_t need = len + (buf[len - 1] == '\r' ? 1 : 2);

		if (need > SBD_PROXY_V1_MAX) {
			s.error = "v1 header longer than 107 bytes";
			r = SBD_PROXY_INVALID;
		} else {
			out->need = need < V1_MIN ? V1_MIN : need;
		}
	}
	if (r == SBD_PROXY_OK) {
		*consumed = s.pos;
	} else if (r == SBD_PROXY_INVALID) {
		out->error = s.error;
		out->is_local = false;
		memset(&out->src, 0, sizeof out->src);
		memset(&out->dst, 0, sizeof out->dst);
	}
	return r;
}

/* -- v2 -- */

static enum sbd_proxy_result
v2_invalid(struct sbd_proxy_header *out, const char *error)
{
	out->error = error;
	return SBD_PROXY_INVALID;
}

/* Checks the family/transport byte of a PROXY command; sets *addr_len (0 for UNSPEC). */
static const char *
v2_check_family(uint8_t fam, size_t *addr_len)
{
	uint8_t family = fam >> 4, proto = fam & 0x0f;

	if (family == V2_FAM_UNSPEC && proto <= V2_PROTO_STREAM) {
		*addr_len = 0;
		return NULL;
	}
	if (family == V2_FAM_UNIX)
		return "v2 AF_UNIX addresses are not supported";
	if (family != V2_FAM_INET && family != V2_FAM_INET6)
		return "v2 address family is unknown";
	if (proto == V2_PROTO_DGRAM)
		return "v2 DGRAM transport is not supported";
	if (proto != V2_PROTO_STREAM)
		return "v2 transport is not STREAM";
	*addr_len = family == V2_FAM_INET ? V2_ADDR4_LEN : V2_ADDR6_LEN;
	return NULL;
}

static void
v2_set_addrs(const uint8_t *p, size_t addr_len, struct sbd_proxy_header *out)
{
	if (addr_len == V2_ADDR4_LEN) {
		struct sockaddr_in *src = (struct sockaddr_in *)&out->src;
		struct sockaddr_in *dst = (struct sockaddr_in *)&out->dst;

		src->sin_family = dst->sin_family = AF_INET;
		memcpy(&src->sin_addr, p, 4);
		memcpy(&dst->sin_addr, p + 4, 4);
		memcpy(&src->sin_port, p + 8, 2);
		memcpy(&dst->sin_port, p + 10, 2);
	} else {
		struct sockaddr_in6 *src = (struct sockaddr_in6 *)&out->src;
		struct sockaddr_in6 *dst = (struct sockaddr_in6 *)&out->dst;

		src->sin6_family = dst->sin6_family = AF_INET6;
		memcpy(&src->sin6_addr, p, 16);
		memcpy(&dst->sin6_addr, p + 16, 16);
		memcpy(&src->sin6_port, p + 32, 2);
		memcpy(&dst->sin6_port, p + 34, 2);
	}
}

static enum sbd_proxy_result
v2_parse(const uint8_t *buf, size_t len, struct sbd_proxy_header *out, size_t *consumed)
{
	size_t addr_len = 0, block_len, total;
	const char *error;
	uint8_t cmd = 0;

	out->version = SBD_PROXY_V2;
	/* judge each fixed byte as soon as it is there */
	if (len > 12) {
		if (buf[12] >> 4 != 2)
			return v2_invalid(out, "v2 version is not 2");
		cmd = buf[12] & 0x0f;
		if (cmd != V2_CMD_LOCAL && cmd != V2_CMD_PROXY)
			return v2_invalid(out, "v2 command is neither LOCAL nor PROXY");
	}
	if (len > 13 && cmd == V2_CMD_PROXY) {
		error = v2_check_family(buf[13], &addr_len);
		if (error != NULL)
			return v2_invalid(out, error);
	}
	if (len < SBD_PROXY_V2_FIXED) {
		out->need = SBD_PROXY_V2_FIXED;
		return SBD_PROXY_NEED_MORE;
	}
	block_len = (size_t)buf[14] << 8 | buf[15];
	if (block_len < addr_len)
		return v2_invalid(out, "v2 address block is shorter than its addresses");
	total = SBD_PROXY_V2_FIXED + block_len;
	if (len < total) {
		out->need = total;
		return SBD_PROXY_NEED_MORE;
	}
	/* LOCAL, and PROXY over UNSPEC: the block is skipped unread (spec 2.2) */
	if (cmd == V2_CMD_LOCAL || addr_len == 0) {
		out->is_local = true;
		*consumed = total;
		return SBD_PROXY_OK;
	}
	for (size_t pos = SBD_PROXY_V2_FIXED + addr_len; pos < total;) {
		size_t tlv_len;

		if (total - pos < 3)
			return v2_invalid(out, "v2 TLV header is cut short by the block length");
		tlv_len = (size_t)buf[pos + 1] << 8 | buf[pos + 2];
		if (tlv_len > total - pos - 3)
			return v2_invalid(out, "v2 TLV runs past the address block");
		pos += 3 + tlv_len;
	}
	v2_set_addrs(buf + SBD_PROXY_V2_FIXED, addr_len, out);
	*consumed = total;
	return SBD_PROXY_OK;
}

enum sbd_proxy_result
sbd_proxy_parse(const uint8_t *buf, size_t len, struct sbd_proxy_header *out, size_t *consumed)
{
	memset(out, 0, sizeof *out);
	*consumed = 0;
	switch (sbd_proxy_detect(buf, len)) {
	case SBD_PROXY_DETECT_V1:
		return v1_parse(buf, len, out, consumed);
	case SBD_PROXY_DETECT_V2:
		return v2_parse(buf, len, out, consumed);
	case SBD_PROXY_DETECT_NEED_MORE:
		/* the first byte tells v1 ('P') from v2 ('\r') */
		out->need = len > 0 && buf[0] == v2_sig[0] ? SBD_PROXY_V2_FIXED : V1_MIN;
		return SBD_PROXY_NEED_MORE;
	case SBD_PROXY_DETECT_NONE:
		break;
	}
	out->error = "not a PROXY protocol header";
	return SBD_PROXY_INVALID;
}

/* -- encoding -- */

struct endpoint {
	int family;      /* AF_INET or AF_INET6 */
	uint8_t addr[16]; /* network order; the first 4 for AF_INET */
	uint8_t port[2];  /* network order */
};

static const uint8_t v4_mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

/* IPv4-mapped IPv6 becomes IPv4; false for NULL and non-IP families. */
static bool
endpoint_from(const struct sockaddr *sa, struct endpoint *e)
{
	memset(e, 0, sizeof *e);
	if (sa == NULL)
		return false;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		e->family = AF_INET;
		memcpy(e->addr, &sin->sin_addr, 4);
		memcpy(e->port, &sin->sin_port, 2);
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
		const uint8_t *a = sin6->sin6_addr.s6_addr;

		memcpy(e->port, &sin6->sin6_port, 2);
		if (memcmp(a, v4_mapped_prefix, sizeof v4_mapped_prefix) == 0) {
			e->family = AF_INET;
			memcpy(e->addr, a + 12, 4);
		} else {
			e->family = AF_INET6;
			memcpy(e->addr, a, 16);
		}
		return true;
	}
	return false;
}

static void
endpoint_map_v6(struct endpoint *e)
{
	if (e->family != AF_INET)
		return;
	memmove(e->addr + 12, e->addr, 4);
	memcpy(e->addr, v4_mapped_prefix, sizeof v4_mapped_prefix);
	e->family = AF_INET6;
}

/* Both ends in one family: IPv4 if both are, else IPv6 (mapping an IPv4 end). */
static bool
endpoints_from(const struct sockaddr *src, const struct sockaddr *dst, struct endpoint *s,
    struct endpoint *d)
{
	if (!endpoint_from(src, s) || !endpoint_from(dst, d))
		return false;
	if (s->family != d->family) {
		endpoint_map_v6(s);
		endpoint_map_v6(d);
	}
	return true;
}

size_t
sbd_proxy_encode_v1(char out[SBD_PROXY_V1_MAX + 1], const struct sockaddr *src,
    const struct sockaddr *dst)
{
	char stext[INET6_ADDRSTRLEN], dtext[INET6_ADDRSTRLEN];
	struct endpoint s, d;
	int n;

	if (!endpoints_from(src, dst, &s, &d)) {
		n = snprintf(out, SBD_PROXY_V1_MAX + 1, "PROXY UNKNOWN\r\n");
		return (size_t)n;
	}
	inet_ntop(s.family, s.addr, stext, sizeof stext);
	inet_ntop(d.family, d.addr, dtext, sizeof dtext);
	n = snprintf(out, SBD_PROXY_V1_MAX + 1, "PROXY %s %s %s %u %u\r\n",
	    s.family == AF_INET ? "TCP4" : "TCP6", stext, dtext,
	    (unsigned)s.port[0] << 8 | s.port[1], (unsigned)d.port[0] << 8 | d.port[1]);
	return (size_t)n;
}

size_t
sbd_proxy_encode_v2(uint8_t *out, size_t cap, const struct sockaddr *src,
    const struct sockaddr *dst)
{
	struct endpoint s, d;
	size_t alen = 0;
	uint8_t fam = V2_FAM_UNSPEC << 4 | V2_PROTO_UNSPEC;

	if (endpoints_from(src, dst, &s, &d)) {
		bool v4 = s.family == AF_INET;

		alen = v4 ? V2_ADDR4_LEN : V2_ADDR6_LEN;
		fam = (uint8_t)((v4 ? V2_FAM_INET : V2_FAM_INET6) << 4 | V2_PROTO_STREAM);
	}
	if (cap < SBD_PROXY_V2_FIXED + alen)
		return 0;
	memcpy(out, v2_sig, V2_SIG_LEN);
	out[12] = 2 << 4 | V2_CMD_PROXY;
	out[13] = fam;
	out[14] = 0;
	out[15] = (uint8_t)alen;
	if (alen > 0) {
		size_t a = alen == V2_ADDR4_LEN ? 4 : 16;
		uint8_t *p = out + SBD_PROXY_V2_FIXED;

		memcpy(p, s.addr, a);
		memcpy(p + a, d.addr, a);
		memcpy(p + 2 * a, s.port, 2);
		memcpy(p + 2 * a + 2, d.port, 2);
	}
	return SBD_PROXY_V2_FIXED + alen;
}
