/* sbd-request.h - what a mode may read of a request before its 101, without knowing MHD */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct sbd_request;

const char *sbd_request_method(const struct sbd_request *r);
/* The request target as sent, query included. */
const char *sbd_request_uri(const struct sbd_request *r);
/* The first value of a header, or NULL. */
const char *sbd_request_header(const struct sbd_request *r, const char *name);
/*
 * All values of a header joined with ", " (RFC 9110 §5.3), Cookie's with "; "
 * (RFC 6265 §5.4); free() it. NULL when absent.
 */
char *sbd_request_header_joined(const struct sbd_request *r, const char *name);
unsigned sbd_request_header_count(const struct sbd_request *r, const char *name);
/* Every header in order, names as received. */
void sbd_request_foreach_header(const struct sbd_request *r,
    void (*fn)(void *arg, const char *name, const char *value), void *arg);
/*
 * Every header in order as it may be replayed to a backend: without the
 * credential headers the route's auth reads (sbd_cred_replay), each of
 * Cookie and Sec-WebSocket-Protocol then once, at its first place.
 */
void sbd_request_foreach_replayed(const struct sbd_request *r,
    void (*fn)(void *arg, const char *name, const char *value), void *arg);
/* The body read before the 101 (modes whose ops ask for it), else empty. */
const uint8_t *sbd_request_body(const struct sbd_request *r, size_t *len);
