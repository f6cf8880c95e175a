/* sbd-http-head.h - what a strict server refuses in a request that libmicrohttpd takes */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The request head as it streams from the client, before libmicrohttpd parses
 * it: a bare CR (MHD keeps it inside a header value) and obs-fold line
 * continuations (MHD glues them onto the header's name) are found here, since
 * the parsed request no longer shows them (RFC 9112 §2.2, §5.2). Constant
 * memory: no byte is kept.
 */
struct sbd_head_scan {
	unsigned state;
	bool done;         /* the head ended (or a flaw ended the scan) */
	const char *flaw;  /* why the head must get a 400, or NULL */
};

void sbd_head_scan_init(struct sbd_head_scan *s);
/* Feeds the next bytes; returns how many belong to the head (the rest is body or tunnel). */
size_t sbd_head_scan_feed(struct sbd_head_scan *s, const uint8_t *in, size_t len);

/*
 * The path of a request target (origin-form, or "*"), percent-decoded, without
 * the query: what routes match against. NULL with *why for what a strict
 * server answers 400: a malformed %-escape, an encoded "/" or NUL, a
 * dot-segment ("/./", "/../", also encoded), or no path at all. free() it.
 */
char *sbd_target_path(const char *target, const char **why);

/* Whether path starts with prefix at a segment boundary: "/tun" takes /tun and /tun/x, not /tunnel. */
bool sbd_path_has_prefix(const char *path, const char *prefix);

/*
 * Whether a header field is valid (RFC 9110 §5.1, §5.5): the name a token, the
 * value without control characters other than HTAB.
 */
bool sbd_field_is_valid(const char *name, const char *value);
