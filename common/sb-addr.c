/* sb-addr.c - host:port and [v6]:port parsing and formatting; CIDR parse and match */
#include "sb-addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb-alloc.h"

static const uint8_t v4_mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

/* Digits only, 1..65535; no sign, no spaces. */
static int
parse_port(const char *text, uint16_t *out)
{
	unsigned long v = 0;

	if (*text == '\0')
		return -1;
	for (const char *p = text; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > 65535)
			return -1;
	}
	if (v == 0)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

bool
sb_hostname_is_valid(const char *name)
{
	size_t total = strlen(name), label = 0;

	if (total == 0 || total > 253)
		return false;
	for (size_t i = 0; i <= total; i++) {
		char c = name[i];

		if (c == '.' || c == '\0') {
			if (label == 0 || label > 63 || name[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (label == 0 && c == '-')
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_'))
			return false;
		label++;
	}
	return true;
}

bool
sb_host_pattern_is_valid(const char *pattern)
{
	if (strncmp(pattern, "*.", 2) == 0)
		pattern += 2;
	return sb_hostname_is_valid(pattern);
}

int
sb_hostport_parse(const char *text, struct sb_hostport *out, const char **why)
{
	const char *colon, *host_start, *host_end;
	struct in6_addr a6;
	char *host = NULL;
	uint16_t port;

	out->host = NULL;
	out->port = 0;
	if (text[0] == '[') {
		host_start = text + 1;
		host_end = strchr(host_start, ']');
		if (host_end == NULL) {
			*why = "missing \"]\" after the IPv6 address";
			goto err;
		}
		if (host_end[1] != ':') {
			*why = host_end[1] == '\0' ? "missing port" : "expected \":\" after \"]\"";
			goto err;
		}
		colon = host_end + 1;
		host = sb_xstrndup(host_start, (size_t)(host_end - host_start));
		if (inet_pton(AF_INET6, host, &a6) != 1) {
			*why = "invalid IPv6 address";
			goto err;
		}
	} else {
		colon = strrchr(text, ':');
		if (colon == NULL) {
			*why = "missing port";
			goto err;
		}
		if (memchr(text, ':', (size_t)(colon - text)) != NULL) {
			*why = "an IPv6 address must be in brackets: [v6]:port";
			goto err;
		}
		if (colon == text) {
			*why = "missing host";
			goto err;
		}
		host = sb_xstrndup(text, (size_t)(colon - text));
		if (strcmp(host, "*") == 0) {
			free(host);
			host = sb_xstrdup("0.0.0.0");
		} else if (!sb_hostname_is_valid(host)) {
			*why = "invalid host name";
			goto err;
		}
	}
	if (parse_port(colon + 1, &port) < 0) {
		*why = colon[1] == '\0' ? "missing port" : "port must be 1..65535";
		goto err;
	}
	out->host = host;
	out->port = port;
	return 0;

err:
	free(host);
	return -1;
}

void
sb_hostport_clear(struct sb_hostport *hp)
{
	free(hp->host);
	hp->host = NULL;
	hp->port = 0;
}

int
sb_hostport_to_sockaddr(const struct sb_hostport *hp, struct sockaddr_storage *ss,
    socklen_t *len)
{
	memset(ss, 0, sizeof *ss);
	if (hp->host == NULL)
		return -1;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	if (inet_pton(AF_INET, hp->host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(hp->port);
		*len = sizeof *sin;
		return 0;
	}
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET6, hp->host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(hp->port);
		*len = sizeof *sin6;
		return 0;
	}
	return -1;
}

/* Writes the address alone; returns its port through *port (0 when it has none). */
static void
format_host(const struct sockaddr *sa, char *out, size_t size, bool brackets, uint16_t *port)
{
	*port = 0;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &sin->sin_addr, out, (socklen_t)size);
		*port = ntohs(sin->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
		const uint8_t *b = sin6->sin6_addr.s6_addr;
		char text[INET6_ADDRSTRLEN];

		*port = ntohs(sin6->sin6_port);
		if (memcmp(b, v4_mapped_prefix, sizeof v4_mapped_prefix) == 0) {
			inet_ntop(AF_INET, b + 12, out, (socklen_t)size);
			return;
		}
		inet_ntop(AF_INET6, b, text, sizeof text);
		snprintf(out, size, brackets ? "[%s]" : "%s", text);
	} else if (sa->sa_family == AF_UNIX) {
		snprintf(out, size, "unix");
	} else {
		snprintf(out, size, "?");
	}
}

void
sb_addr_format(const struct sockaddr *sa, char out[SB_ADDR_TEXT_MAX])
{
	char host[INET6_ADDRSTRLEN + 2];
	uint16_t port;

	format_host(sa, host, sizeof host, true, &port);
	if (sa->sa_family == AF_INET || sa->sa_family == AF_INET6)
		snprintf(out, SB_ADDR_TEXT_MAX, "%s:%u", host, port);
	else
		snprintf(out, SB_ADDR_TEXT_MAX, "%s", host);
}

void
sb_addr_format_host(const struct sockaddr *sa, char out[SB_ADDR_TEXT_MAX])
{
	uint16_t port;

	format_host(sa, out, SB_ADDR_TEXT_MAX, false, &port);
}

int
sb_cidr_parse(const char *text, struct sb_cidr *out, const char **why)
{
	const char *slash = strchr(text, '/');
	size_t addr_len = slash ? (size_t)(slash - text) : strlen(text);
	char addr[INET6_ADDRSTRLEN];
	unsigned max, prefix;

	memset(out, 0, sizeof *out);
	if (addr_len == 0) {
		*why = "missing address";
		return -1;
	}
	if (addr_len >= sizeof addr) {
		*why = "not an IP address";
		return -1;
	}
	memcpy(addr, text, addr_len);
	addr[addr_len] = '\0';
	if (inet_pton(AF_INET, addr, out->addr) == 1) {
		out->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, addr, out->addr) == 1) {
		out->family = AF_INET6;
		max = 128;
	} else {
		*why = "not an IP address";
		return -1;
	}
	prefix = max;
	if (slash != NULL) {
		const char *p = slash + 1;

		prefix = 0;
		if (*p == '\0' || (p[0] == '0' && p[1] != '\0'))
			goto bad_prefix;
		for (; *p != '\0'; p++) {
			if (*p < '0' || *p > '9')
				goto bad_prefix;
			prefix = prefix * 10 + (unsigned)(*p - '0');
			if (prefix > max)
				goto bad_prefix;
		}
	}
	out->prefix = prefix;
	for (unsigned bit = prefix; bit < max; bit++) {
		if (out->addr[bit / 8] & (0x80u >> (bit % 8))) {
			*why = "host bits must be zero";
			return -1;
		}
	}
	return 0;

bad_prefix:
	*why = max == 32 ? "prefix must be 0..32" : "prefix must be 0..128";
	return -1;
}

void
sb_cidr_format(const struct sb_cidr *cidr, char out[SB_ADDR_TEXT_MAX])
{
	char text[INET6_ADDRSTRLEN];

	inet_ntop(cidr->family, cidr->addr, text, sizeof text);
	snprintf(out, SB_ADDR_TEXT_MAX, "%s/%u", text, cidr->prefix);
}

static bool
prefix_equal(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;

	if (memcmp(a, b, whole) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xffu << (8 - rest));
	return (a[whole] & mask) == (b[whole] & mask);
}

bool
sb_cidr_match(const struct sb_cidr *cidr, const struct sockaddr *sa)
{
	uint8_t addr[16];
	int family;

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		family = AF_INET;
		memcpy(addr, &sin->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

		family = AF_INET6;
		memcpy(addr, sin6->sin6_addr.s6_addr, 16);
	} else {
		return false;
	}

	if (cidr->family == AF_INET && family == AF_INET6) {
		/* ::ffff:a.b.c.d is the v4 client a.b.c.d on a dual-stack socket */
		if (memcmp(addr, v4_mapped_prefix, sizeof v4_mapped_prefix) != 0)
			return false;
		memmove(addr, addr + 12, 4);
	} else if (cidr->family == AF_INET6 && family == AF_INET) {
		memmove(addr + 12, addr, 4);
		memcpy(addr, v4_mapped_prefix, sizeof v4_mapped_prefix);
	} else if (cidr->family != family) {
		return false;
	}
	return prefix_equal(addr, cidr->addr, cidr->prefix);
}
