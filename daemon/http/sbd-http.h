/* sbd-http.h - libmicrohttpd as the HTTP/1.1 parser: no TLS, no listen socket, upgrades */
#pragma once

#include <stdint.h>

#include "sb-policy.h"

struct sbd_daemon;
struct sbd_conn;
struct sbd_http;
struct sbd_request;

struct sbd_http *sbd_http_new(struct sbd_daemon *d, const struct sb_limits *limits);
/* After every upgraded connection was closed. */
void sbd_http_free(struct sbd_http *h);

/*
 * Gives MHD its end of conn's socketpair. Returns -1 when MHD refused it
 * (MHD closed fd then).
 */
int sbd_http_add(struct sbd_http *h, struct sbd_conn *conn, int fd);

/* Loop thread: conn closes while its request waits for the backend connect. */
void sbd_http_connect_abort(struct sbd_request *r);
/* Loop thread: fails the connect when its deadline passed. */
void sbd_http_connect_sweep(struct sbd_request *r, uint64_t now);
