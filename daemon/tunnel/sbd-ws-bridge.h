/* sbd-ws-bridge.h - websocket mode: frames with the client, raw bytes with the backend */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "sb-buf.h"

struct sbd_conn;
struct sbd_ws;

/* early: client bytes that came with the request (frames), moved in; to_client: the 101. */
/* to_backend: what the backend gets first (a PROXY header), moved in. */
struct sbd_ws *sbd_ws_new(uint64_t max_message_bytes, unsigned ping_interval_s, bool text,
    struct sb_buf *early, struct sb_buf *to_client, struct sb_buf *to_backend);
void sbd_ws_free(struct sbd_ws *ws);

/* Loop thread: moves what can move now, both ways; may close the connection. */
void sbd_ws_pump(struct sbd_conn *c);
/* Loop thread, once a second: keepalive pings and the close handshake's deadline. */
void sbd_ws_tick(struct sbd_conn *c, uint64_t now);
