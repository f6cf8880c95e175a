/* sbd-conn-private.h - shared by sbd-conn.c (before the 101) and sbd-bridge.c (after it) */
#pragma once

#include "sbd-conn.h"

void sbd_conn_pump(struct sbd_conn *c);
void sbd_conn_update_interest(struct sbd_conn *c);
void sbd_conn_post_rerun(struct sbd_conn *c);
void sbd_bridge_pump(struct sbd_conn *c);
