/* sbd-tls.h - GnuTLS server contexts: pairs, SNI, ALPN, mTLS, tickets, OCSP; self-signed certs */
#pragma once

#include <gnutls/gnutls.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sb-errors.h"
#include "sb-policy.h"

/*
 * A TLS server context: credentials (the default pair and one per SNI entry),
 * priority, client auth and a session-ticket key. Reference counted
 * (atomically), because sessions outlive a policy reload.
 */
struct sbd_tls_ctx;

/*
 * The session-ticket master key (gnutls_session_ticket_key_generate): made
 * once per daemon and shared by every context of every policy revision, so a
 * reload leaves the tickets clients hold valid. GnuTLS never encrypts with it
 * directly: it derives the ticket key from it TOTP-style, a new one every
 * SBD_TLS_TICKET_ROTATE_S seconds (wall clock), and still decrypts tickets of
 * the period before. A restart makes a new master key. Reference counted
 * (atomically): contexts hold one.
 */
struct sbd_tls_tickets;

/* Ticket lifetime and the rotation period of the derived key (GnuTLS's default). */
#define SBD_TLS_TICKET_ROTATE_S 21600

/*
 * Once at start, before any other call: checks the GnuTLS version at run time
 * and sends GnuTLS's audit messages to the debug log. Returns 0, or -1 with
 * the reason added to errs.
 *
 * Like every fallible setup call of the daemon, the constructors below add
 * what went wrong to errs under path, the JSON path of the policy object
 * they set up ("listeners[0].tls"), and return NULL or -1.
 */
int sbd_tls_init(struct sb_errors *errs);

/* A new master key; NULL with the reason in errs. */
struct sbd_tls_tickets *sbd_tls_tickets_new(struct sb_errors *errs);
struct sbd_tls_tickets *sbd_tls_tickets_ref(struct sbd_tls_tickets *t);
/* Wipes the key with the last reference. NULL ok. */
void sbd_tls_tickets_unref(struct sbd_tls_tickets *t);

/*
 * For a TLS listener; its sessions issue and accept tickets under tickets.
 * Relative paths resolve with sb_policy_resolve_path().
 * min_version "1.3" drops TLS 1.2; a `priority` string is used as given, then
 * every version below min_version is removed from it (a string left with no
 * version is an error). On failure returns NULL with,
 * e.g., "listener public: cert /x/cert.pem, key /x/key.pem: Error while
 * reading file" in errs.
 */
struct sbd_tls_ctx *sbd_tls_ctx_new_listener(const struct sb_policy *policy,
    const struct sb_listener *listener, struct sbd_tls_tickets *tickets, const char *path,
    struct sb_errors *errs);

/*
 * For a `tls`-mode route (RFC 2817): one pair, defaults otherwise (TLS 1.2+,
 * no client auth). what names it in messages ("route cups").
 */
struct sbd_tls_ctx *sbd_tls_ctx_new_pair(const struct sb_policy *policy,
    const struct sb_cert_pair *pair, struct sbd_tls_tickets *tickets, const char *what,
    const char *path, struct sb_errors *errs);

/* What status and metrics show of one certificate of a context, read when it was loaded. */
struct sbd_tls_cert_info {
	char subject[256];   /* RFC 4514: "CN=vnc.example.org,O=Example" */
	int64_t not_after;   /* seconds since the epoch */
	bool ocsp;           /* a response is stapled */
	int64_t ocsp_next_update; /* the stapled response's nextUpdate; 0: none or not given */
};

/* Certificates of a context: [0] the default pair, [1 + i] the listener's sni[i]. */
size_t sbd_tls_ctx_n_certs(const struct sbd_tls_ctx *ctx);
const struct sbd_tls_cert_info *sbd_tls_ctx_cert(const struct sbd_tls_ctx *ctx, size_t i);

struct sbd_tls_ctx *sbd_tls_ctx_ref(struct sbd_tls_ctx *ctx);
/* NULL ok. */
void sbd_tls_ctx_unref(struct sbd_tls_ctx *ctx);

/*
 * A non-blocking server session on fd (the session does not own fd). The
 * client's SNI picks the pair (exact names first, then the longest matching
 * "*.suffix"; no match: the default pair). ALPN offers only "http/1.1".
 * Session tickets are on (resumption). Client certificates are requested or
 * required per policy and verified during the handshake. No handshake timeout
 * is set: the caller's loop owns it. Holds a reference on ctx until
 * sbd_tls_session_free(). The session's gnutls_session_set_ptr() slot belongs
 * to this module: use sbd_tls_session_set_user() instead. NULL on failure
 * (logged).
 */
gnutls_session_t sbd_tls_session_new(struct sbd_tls_ctx *ctx, int fd);
/* gnutls_deinit() and unref; never closes the fd. NULL ok. */
void sbd_tls_session_free(gnutls_session_t session);

/* A pointer for the caller, kept with the session. */
void sbd_tls_session_set_user(gnutls_session_t session, void *user);
void *sbd_tls_session_get_user(gnutls_session_t session);

/* One line for logs: "TLS1.3 AES-256-GCM sni=vnc.example.org alpn=http/1.1 resumed=no". */
void sbd_tls_describe(gnutls_session_t session, char *out, size_t outlen);

/*
 * The SNI name the client sent (letters, digits, '.', '-', '_' only; others
 * are ignored), or NULL. Valid until sbd_tls_session_free().
 */
const char *sbd_tls_server_name(gnutls_session_t session);

/* A session's facts for connections.get, once the handshake is done; "" for none. */
struct sbd_tls_facts {
	char version[16];  /* "TLS1.3" */
	char cipher[48];   /* "AES-256-GCM" */
	char sni[256];     /* as sbd_tls_server_name() */
	char alpn[64];     /* the protocol ALPN chose */
};
void sbd_tls_facts(gnutls_session_t session, struct sbd_tls_facts *out);

/*
 * Writes a new ECDSA P-256 self-signed certificate for cn (subjectAltName: the
 * name, or the address when cn is an IP literal), valid one year, to cert_path
 * and key_path, replacing them atomically (temp file, fsync, rename); the key
 * (PKCS#8 PEM) gets mode 0600. The folders must exist. Returns 0, or -1 with
 * the reason in errs.
 */
int sbd_tls_generate_self_signed(const char *cert_path, const char *key_path, const char *cn,
    struct sb_errors *errs);

/*
 * Keeps the pair at cert_path/key_path when both exist, load, match and the
 * certificate is valid for 30 more days; otherwise writes a new one as above
 * for CN=localhost with DNS:localhost, IP:127.0.0.1 and IP:::1. Returns 0, or
 * -1 with the reason in errs.
 */
int sbd_tls_ensure_self_signed(const char *cert_path, const char *key_path,
    struct sb_errors *errs);

/* Length of a GnuTLS message without its final period or newline, for "%.*s". */
int sbd_tls_msg_len(const char *msg);
