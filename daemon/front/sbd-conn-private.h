/* sbd-conn-private.h - shared by sbd-conn.c (before the 101) and sbd-bridge.c (after it) */
#pragma once

#include "sbd-conn.h"

void sbd_conn_pump(struct sbd_conn *c);
/* After the PROXY header (or at once): per-address limit, then TLS or the request. */
void sbd_conn_admit(struct sbd_conn *c);
/* SBD_CONN_PROXY: reads the header without reading past it. */
void sbd_proxy_in_read(struct sbd_conn *c);
void sbd_conn_update_interest(struct sbd_conn *c);
void sbd_conn_post_rerun(struct sbd_conn *c);
void sbd_bridge_pump(struct sbd_conn *c);
/* Adds the payload bytes moved to the connection's and the daemon's counters. */
void sbd_bridge_count(struct sbd_conn *c, uint64_t up, uint64_t down);
/* Sets what the loop watches an end for (nothing once the end hung up). */
void sbd_conn_watch(struct sbd_conn *c, struct sbd_end *e, unsigned events);
