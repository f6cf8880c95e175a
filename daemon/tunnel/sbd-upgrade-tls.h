/* sbd-upgrade-tls.h - tls mode (RFC 2817): TLS starts on the upgraded plain connection */
#pragma once

#include "sb-buf.h"

struct sbd_conn;
struct sbd_tls_ctx;
struct sbd_tls_upgrade;

/*
 * After the 101: to_client (the rest of the 101, sent in plain) and early (the
 * client's first TLS bytes) are moved in; replay is what the backend gets
 * first once the handshake is done. Takes a reference on ctx.
 */
struct sbd_tls_upgrade *sbd_tls_upgrade_new(struct sbd_tls_ctx *ctx, struct sb_buf *to_client,
    struct sb_buf *early, struct sb_buf *replay);
void sbd_tls_upgrade_free(struct sbd_tls_upgrade *u);
/* Loop thread: advances the plain flush and the handshake; then the tunnel starts. */
void sbd_tls_upgrade_pump(struct sbd_conn *c);
