/* sbd-upgrade.h - HTTP token lists (Connection, Upgrade): pure parsing, no I/O */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define SBD_TOKENS_MAX    16
#define SBD_TOKEN_LEN_MAX 64

/* One Upgrade protocol: "websocket", "TLS/1.2", "h2c". */
struct sbd_token {
	char text[SBD_TOKEN_LEN_MAX + 1];
};

struct sbd_token_list {
	struct sbd_token items[SBD_TOKENS_MAX];
	size_t count;
};

enum sbd_tokens_result {
	SBD_TOKENS_OK,
	SBD_TOKENS_EMPTY,     /* no token at all */
	SBD_TOKENS_INVALID,   /* a character outside token / "/" */
	SBD_TOKENS_TOO_MANY,  /* more than SBD_TOKENS_MAX */
	SBD_TOKENS_TOO_LONG,  /* a token over SBD_TOKEN_LEN_MAX */
};

/*
 * Parses a comma-separated list of protocols (RFC 9110 §7.8): tokens, each
 * with an optional "/version", with optional whitespace; empty elements are
 * skipped.
 */
enum sbd_tokens_result sbd_tokens_parse(const char *header, struct sbd_token_list *out);
const char *sbd_tokens_result_text(enum sbd_tokens_result r);

/* Whether a comma list (Connection:) holds token, case-insensitively. NULL header: false. */
bool sbd_header_has_token(const char *header, const char *token);

/* Token equality, case-insensitive; pattern "*" matches every token. */
bool sbd_token_matches(const char *pattern, const char *token);

/* Lower-cased host of a Host header, without port and brackets; false when malformed. */
bool sbd_host_normalize(const char *host_header, char *out, size_t outlen);

/* "example.org" against "example.org" or "*.org"-style suffix patterns, case-insensitive. */
bool sbd_host_matches(const char *pattern, const char *host);
