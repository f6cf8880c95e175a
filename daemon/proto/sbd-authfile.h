/* sbd-authfile.h - the files auth reads: tokens ("NAME SHA256-HEX"), htpasswd ("user:hash")
 * and websockify's TokenFile ("TOKEN: host:port")
 *
 * Pure parsers over a file's text. Blank lines and lines starting with '#'
 * are skipped; anything else that is not an entry is an error naming its
 * line, and the whole file is refused (a half-read list of who may enter is
 * worse than none).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SBD_IDENTITY_MAX 128 /* names, users, claims: longer ones are refused */

struct sbd_token_entry {
	char *name;
	uint8_t sha256[32];
};

struct sbd_htpasswd_entry {
	char *user;
	char *hash; /* "$2y$...", "$2b$...", "$5$...", "$6$..." */
};

/* A TokenFile line: the token and the target as written ("host:port", "unix:/path"). */
struct sbd_tokenmap_entry {
	char *token;
	char *target;
};

/* What went wrong: the 1-based line and a static text. */
struct sbd_authfile_error {
	size_t line;
	const char *why;
};

/* Returns 0 with *out and *n (free with sbd_token_entries_free), or -1 with *err. */
int sbd_tokens_file_parse(const char *text, size_t len, struct sbd_token_entry **out, size_t *n,
    struct sbd_authfile_error *err);
void sbd_token_entries_free(struct sbd_token_entry *e, size_t n);

/* SHA-256 of a token, as a tokens file holds it: 0, or -1 when GnuTLS fails. */
int sbd_token_digest(const char *token, size_t len, uint8_t out[32]);
/* a and b hold the same len bytes, in a time that does not depend on where they differ. */
bool sbd_equal_ct(const uint8_t *a, const uint8_t *b, size_t len);
/*
 * The tokens file's line for name and token, "NAME SHA256-HEX" without the
 * newline (free() it), or NULL with *why when name cannot be one (not an
 * identity, or a '#' that would make the line a comment).
 */
char *sbd_token_line(const char *name, const char *token, const char **why);

int sbd_htpasswd_parse(const char *text, size_t len, struct sbd_htpasswd_entry **out, size_t *n,
    struct sbd_authfile_error *err);
void sbd_htpasswd_entries_free(struct sbd_htpasswd_entry *e, size_t n);

/*
 * websockify's TokenFile: "TOKEN: TARGET" where TARGET is host:port, [v6]:port,
 * unix:/path or websockify's unix_socket:/path (given back as unix:/path). The
 * token ends at the first ": ", as websockify splits it; a token listed twice
 * is an error. Targets are checked by the caller (sb_server_parse_address).
 */
int sbd_tokenmap_parse(const char *text, size_t len, struct sbd_tokenmap_entry **out, size_t *n,
    struct sbd_authfile_error *err);
void sbd_tokenmap_entries_free(struct sbd_tokenmap_entry *e, size_t n);

/* An identity as we print it: 1..SBD_IDENTITY_MAX bytes, visible ASCII or UTF-8, no spaces. */
int sbd_identity_is_valid(const char *s, size_t len);
