/* sbd-listener.h - the listening sockets the daemon owns, accepted on every worker loop */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "sb-policy.h"
#include "sbd-listener-conf.h"

struct sbd_ctx;
struct sbd_tls_ctx;
struct sbd_route_stats;

struct sbd_listener;

/*
 * Binds (or adopts a socket passed by systemd or by the daemon taken over,
 * sbd-inherit.h) for the policy's listener at
 * path ("listeners[0]"). On failure returns NULL with the reason in errs.
 */
struct sbd_listener *sbd_listener_open(struct sbd_ctx *ctx, const struct sb_policy *policy,
    const struct sb_listener *l, const char *path, struct sb_errors *errs);
/* Whether this open socket serves the policy listener's address. */
bool sbd_listener_serves(const struct sbd_listener *lis, const struct sb_listener *l);
/* Swaps in new settings for connections accepted from now on. Takes conf's reference. */
void sbd_listener_set_conf(struct sbd_listener *lis, struct sbd_listener_conf *conf);
/* Starts accepting on every worker loop; once only, later calls do nothing. */
void sbd_listener_start(struct sbd_listener *lis);
/* Stops accepting; the socket is closed and lis freed once every loop let go. */
void sbd_listener_close(struct sbd_listener *lis);
const char *sbd_listener_name(const struct sbd_listener *lis);
/* The TLS context of the current settings, with a reference; NULL for a plain listener. */
struct sbd_tls_ctx *sbd_listener_tls(struct sbd_listener *lis);
/* The bound address as text. */
const char *sbd_listener_address(const struct sbd_listener *lis);
/* The listening socket, still owned by lis: to pass it on (daemon.takeover). */
int sbd_listener_fd(const struct sbd_listener *lis);
/* Whether systemd holds this socket too: it outlives the daemon, and so does its queue. */
bool sbd_listener_from_systemd(const struct sbd_listener *lis);

