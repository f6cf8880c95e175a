/* sbd-credential.h - a credential out of a request: Authorization, a cookie, a subprotocol, the query
 *
 * Pure functions over header values and the request target; nothing here
 * logs, and every secret they return is the caller's to wipe (sbd_cred_clear).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sb-auth.h"

#define SBD_CRED_MAX 4096 /* longer credentials are refused unread */
#define SBD_SUBPROTOCOL_BEARER "bearer."

enum sbd_cred_type {
	SBD_CRED_NONE,   /* nothing presented */
	SBD_CRED_BEARER, /* a token: Bearer, a cookie, a subprotocol or the query */
	SBD_CRED_BASIC,  /* user and password */
	SBD_CRED_BAD,    /* something was presented but cannot be one (a broken Basic, too long) */
};

struct sbd_credential {
	enum sbd_cred_type type;
	enum sb_cred_kind source; /* where it came from */
	char *secret;             /* BEARER: the token; BASIC: the password */
	char *user;               /* BASIC */
	char *map_token;          /* the token a backend token_map looks up, or NULL */
	/*
	 * Route auth "request": the header lines sent to the auth service, all of
	 * which its answer is cached by. NULL when not asked.
	 */
	char *forward;
};

/* Wipes and frees the secret, the user, the map token and the forward lines; the type becomes NONE. */
void sbd_cred_clear(struct sbd_credential *c);

/* "Bearer TOKEN" or "Basic BASE64(user:password)"; another scheme is NONE. */
void sbd_cred_from_authorization(const char *value, struct sbd_credential *out);
/* The value of cookie name in a Cookie header ("a=1; b=2"), or NULL. free() it. */
char *sbd_cred_cookie(const char *cookies, const char *name);
/*
 * The token of the first Sec-WebSocket-Protocol entry "bearer.TOKEN" in
 * offered (values joined with ", "), or NULL. free() it.
 */
char *sbd_cred_subprotocol(const char *offered);
/* The percent-decoded value of query parameter name in a request target, or NULL. free() it. */
char *sbd_cred_query(const char *target, const char *name);
/* The target without any query parameter name ("/p?a=1&token=x" -> "/p?a=1"). free() it. */
char *sbd_cred_strip_query(const char *target, const char *name);

/*
 * The credential headers as they may be replayed to a backend (tls and h2c
 * modes), once route auth has read them: every source the route reads
 * goes, whether it held the credential used or not. Authorization goes
 * when "header" is a source; from Cookie, each cookie a "cookie:NAME"
 * source names (the others stay); from Sec-WebSocket-Protocol, every
 * bearer.* entry.
 */
struct sbd_cred_replay {
	bool drop_authorization;
	bool rewrite_cookie;    /* Cookie headers become the one value cookie (NULL: none) */
	char *cookie;
	bool rewrite_protocols; /* Sec-WebSocket-Protocol headers become protocols (NULL: none) */
	char *protocols;
};

/* From the route's auth and the request's joined Cookie and Sec-WebSocket-Protocol (NULL ok). */
void sbd_cred_replay_init(struct sbd_cred_replay *rp, const struct sb_auth *a,
    const char *cookies, const char *protocols);
void sbd_cred_replay_clear(struct sbd_cred_replay *rp);
/* A Cookie header without the cookies the sources of a name; NULL when none is left. free() it. */
char *sbd_cred_strip_cookies(const char *cookies, const struct sb_auth *a);
/* An offered subprotocol list without its bearer.* entries; NULL when none is left. free() it. */
char *sbd_cred_strip_bearer(const char *offered);

/*
 * Base64 (standard, padding optional) or base64url into out (at most cap
 * bytes). Returns the length, or -1 when the text is not that encoding or
 * does not fit.
 */
long sbd_base64_decode(const char *text, size_t len, bool url, uint8_t *out, size_t cap);
