/* sb-addr.h - host:port and [v6]:port parsing and formatting; CIDR match for `allow` */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Longest text sb_addr_format writes: "[v6 literal]:65535" plus NUL. */
#define SB_ADDR_TEXT_MAX 64

struct sb_hostport {
	char *host;    /* as written, without brackets: "127.0.0.1", "::1", "example.org" */
	uint16_t port;
};

struct sb_cidr {
	int family;          /* AF_INET or AF_INET6 */
	uint8_t addr[16];    /* network bytes; the first 4 for AF_INET */
	unsigned prefix;     /* 0..32 or 0..128 */
};

/*
 * Parses "host:port", "[v6]:port" or "*:port" ("*" becomes "0.0.0.0").
 * On failure returns -1 and points *why at a static explanation
 * ("port must be 1..65535", "missing port", ...).
 */
int sb_hostport_parse(const char *text, struct sb_hostport *out, const char **why);
void sb_hostport_clear(struct sb_hostport *hp);

/* Numeric only; fills a sockaddr_in/sockaddr_in6. Returns -1 when host is not a literal. */
int sb_hostport_to_sockaddr(const struct sb_hostport *hp, struct sockaddr_storage *ss,
    socklen_t *len);

/* "1.2.3.4:port" or "[::1]:port"; v4-mapped v6 is written as v4. */
void sb_addr_format(const struct sockaddr *sa, char out[SB_ADDR_TEXT_MAX]);
/* The address alone, without port. */
void sb_addr_format_host(const struct sockaddr *sa, char out[SB_ADDR_TEXT_MAX]);

/* "10.0.0.0/8", "::1/128", or a bare address (full-length prefix). Host bits must be zero. */
int sb_cidr_parse(const char *text, struct sb_cidr *out, const char **why);
/* v4-mapped v6 addresses match v4 networks. */
bool sb_cidr_match(const struct sb_cidr *cidr, const struct sockaddr *sa);

/* "10.0.0.0/8", "::1/128": always with the prefix. */
void sb_cidr_format(const struct sb_cidr *cidr, char out[SB_ADDR_TEXT_MAX]);

/* A DNS name: dot-separated labels of letters, digits, '-' and '_', at most 253 bytes. */
bool sb_hostname_is_valid(const char *name);
/* A host name, or "*." followed by one (matches sub-domains). */
bool sb_host_pattern_is_valid(const char *pattern);
