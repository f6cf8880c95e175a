/* sbd-control-private.h - shared by the control server and its methods */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "sb-buf.h"
#include "sb-rpc.h"
#include "sbd-loop.h"

struct sbd_config;
struct sbd_daemon;

struct sbd_control_client {
	struct sbd_control *ctl;
	int fd;
	struct sbd_watch watch;
	struct sb_line_reader reader;
	struct sb_buf out;
	uid_t uid;
	pid_t pid;
	bool subscribed;
	uint64_t history_upto; /* kept events up to this seq went out as history: skip them live */
	bool closing; /* close once out is flushed */
	int *pass_fds; /* daemon.takeover: sent with the next bytes of out, then closed here */
	size_t n_pass_fds;
	struct sbd_control_client *prev, *next;
};

struct sbd_control {
	struct sbd_daemon *d;
	char *path;
	int fd;
	struct sbd_watch watch;
	struct sbd_control_client *clients;
	unsigned n_clients;
	unsigned n_subscribers;
	bool handed_over; /* another daemon serves the socket file now: leave it be */
};

/* backends.list and backends.set (sbd-control-backends.c): the answer line, free() it. */
char *sbd_control_backends_list(struct sbd_control_client *cl, json_object *id,
    json_object *params);
char *sbd_control_backends_set(struct sbd_control_client *cl, json_object *id,
    json_object *params);
/*
 * status: the certificates of c's listeners[listener] ([0] the default, then
 * each SNI entry) with expiry and OCSP state; NULL for a plain one.
 */
json_object *sbd_control_certificates(const struct sbd_config *c, size_t listener);
/* daemon.takeover and daemon.drain (sbd-control-takeover.c): the answer line, free() it. */
char *sbd_control_takeover(struct sbd_control_client *cl, json_object *id, json_object *params);
char *sbd_control_drain(struct sbd_control_client *cl, json_object *id, json_object *params);
/* Stops accepting on the control socket, which another daemon serves from now on. */
void sbd_control_hand_over(struct sbd_control *ctl);
/* Answers one request; returns the serialized response line (free() it) or NULL for none. */
char *sbd_control_dispatch(struct sbd_control_client *cl, struct sb_rpc_request *req);
/* events.subscribe: the client receives every event from now on. */
void sbd_control_subscribe(struct sbd_control_client *cl);
