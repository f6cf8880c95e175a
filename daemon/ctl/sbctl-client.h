/* sbctl-client.h - switchboardctl's control socket client: one call at a time, then events */
#pragma once

#include <json-c/json.h>

#include "sb-rpc.h"

/* How long a call waits for its answer. */
#define SBCTL_CALL_TIMEOUT_MS 30000

struct sbctl_client;

enum sbctl_io {
	SBCTL_IO_OK,      /* *out holds a message */
	SBCTL_IO_CLOSED,  /* the daemon closed the socket */
	SBCTL_IO_TIMEOUT, /* nothing within the time allowed */
	SBCTL_IO_ERROR,   /* a socket error or a message that is not JSON-RPC; *err says which */
};

/* Connects to the control socket at path; NULL with *err set (free() it). */
struct sbctl_client *sbctl_client_connect(const char *path, char **err);
void sbctl_client_free(struct sbctl_client *c);

/*
 * Sends method(params) (params borrowed; may be NULL) and waits up to
 * timeout_ms for its answer, a result or an error, in *out (clear it after).
 * Notifications that arrive meanwhile are kept for sbctl_client_next_event().
 */
enum sbctl_io sbctl_client_call(struct sbctl_client *c, const char *method,
    json_object *params, int timeout_ms, struct sb_rpc_response *out, char **err);
/* The next notification (timeout_ms < 0: wait as long as it takes). */
enum sbctl_io sbctl_client_next_event(struct sbctl_client *c, int timeout_ms,
    struct sb_rpc_response *out, char **err);
