/* sb-policy-private.h - what the policy parser, checker and writer share */
#pragma once

#include "sb-policy.h"

/* Inclusive ranges of the integer fields. */
#define SB_CONNECTIONS_MAX        1000000
#define SB_IDLE_TIMEOUT_MAX_S     (30 * 86400)
#define SB_PING_INTERVAL_MAX_S    86400
#define SB_MESSAGE_BYTES_MAX      (INT64_C(1) << 30)
#define SB_HANDSHAKE_TIMEOUT_MAX_S 3600
#define SB_CONNECT_TIMEOUT_MAX_MS 600000
#define SB_DRAIN_TIMEOUT_MAX_S    86400
#define SB_UID_MAX                INT64_C(4294967294)

/* Policy files larger than this are refused unread. */
#define SB_POLICY_FILE_MAX (16 * 1024 * 1024)

/* Enum names, NULL-terminated, indexed by the enum's value. */
extern const char *const sb_on_change_names[];   /* "", "keep", "close" */
extern const char *const sb_client_auth_names[]; /* "none", "request", "require" */
extern const char *const sb_proxy_names[];       /* "", "v1", "v2" */

/*
 * JSON -> model without the semantic checks: types, required keys, unknown
 * keys, integer ranges, enum names, CIDRs and the control mode are checked
 * here. Array slots are kept (zeroed) for invalid entries so that indices in
 * error paths match the document. Returns the model, even when it has errors.
 */
struct sb_policy *sb_policy_parse(json_object *doc, const char *base_dir, struct sb_errors *errs);
