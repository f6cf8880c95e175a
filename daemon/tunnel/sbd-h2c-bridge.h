/* sbd-h2c-bridge.h - h2c mode after the 101: preamble first, preface and one ACK removed */
#pragma once

#include <stdbool.h>

#include "sb-buf.h"

struct sbd_conn;
struct sbd_h2c_filters;

/*
 * Sets up c's flows: the backend gets preamble (connection preface, the
 * client's HTTP2-Settings as SETTINGS, the request as stream 1), then the
 * client's frames without its own preface; the client gets the backend's
 * frames without the ACK of the replayed SETTINGS. early and to_client are
 * moved in. Returns -1 with *why when early already shows a bad preface.
 */
int sbd_h2c_bridge_setup(struct sbd_conn *c, struct sb_buf *preamble, struct sb_buf *early,
    struct sb_buf *to_client, const char **why);
void sbd_h2c_filters_free(struct sbd_h2c_filters *f);
