/* sbd-tls-client.h - GnuTLS client contexts and sessions, for TLS to backend servers */
#pragma once

#include <gnutls/gnutls.h>
#include <stdbool.h>
#include <stddef.h>

#include "sb-backend.h"
#include "sb-errors.h"
#include "sb-policy.h"

/*
 * What a route's backend "tls" asks for: the trust (ca, else the system
 * store), whether to verify, the name to send and check (sni), a client
 * certificate, and ALPN "h2" for h2c routes. Reference counted (atomically):
 * a session never outlives the context it came from only because its holder
 * keeps the route's revision, which holds the context.
 */
struct sbd_tls_client;

/*
 * Files resolve against the policy's folder and are loaded now, so a missing
 * or bad one is an error at apply, at path ("routes[1].backend.tls"), e.g.
 * "ca /etc/x/ca.pem: No such file or directory". NULL on failure.
 */
struct sbd_tls_client *sbd_tls_client_new(const struct sb_policy *policy,
    const struct sb_backend_tls *tls, bool alpn_h2, const char *path, struct sb_errors *errs);
struct sbd_tls_client *sbd_tls_client_ref(struct sbd_tls_client *c);
/* NULL ok. */
void sbd_tls_client_unref(struct sbd_tls_client *c);

/*
 * A non-blocking client session on fd (not owned) for a server whose host is
 * host (NULL for a UNIX socket): SNI is `sni`, else host when it is a name;
 * with verify, the handshake fails unless the chain is trusted and the
 * certificate names `sni`, else host. Freed with sbd_tls_session_free(). NULL
 * with a static reason in *why.
 */
gnutls_session_t sbd_tls_client_session(struct sbd_tls_client *c, int fd, const char *host,
    const char **why);

/*
 * Why a client handshake failed, in words ("certificate refused: The
 * certificate is NOT trusted. The certificate issuer is unknown"), for
 * GnuTLS error rc.
 */
void sbd_tls_client_failure(gnutls_session_t session, int rc, char *out, size_t outlen);
