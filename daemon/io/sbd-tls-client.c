/* sbd-tls-client.c - TLS toward backend servers: trust, name check, client certificate, ALPN */
#include "sbd-tls-client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sb-alloc.h"
#include "sbd-tls.h"

/* TLS 1.2 and 1.3, as toward clients. */
#define CLIENT_PRIORITY "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

struct sbd_tls_client {
	atomic_uint refs;
	gnutls_certificate_credentials_t cred;
	gnutls_priority_t priority;
	bool verify;
	bool alpn_h2;
	char *sni;
};

static const gnutls_datum_t alpn_h2 = { (unsigned char *)"h2", 2 };

static void
client_free(struct sbd_tls_client *c)
{
	if (c->cred != NULL)
		gnutls_certificate_free_credentials(c->cred);
	if (c->priority != NULL)
		gnutls_priority_deinit(c->priority);
	free(c->sni);
	free(c);
}

/* A policy file, resolved and readable: "ca /x/ca.pem: No such file or directory". */
static char *
policy_file(const struct sb_policy *policy, const char *role, const char *file, const char *path,
    struct sb_errors *errs)
{
	char *full = sb_policy_resolve_path(policy, file);
	int fd = open(full, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		sb_errors_add(errs, path, "%s %s: %s", role, full, strerror(errno));
		free(full);
		return NULL;
	}
	close(fd);
	return full;
}

static int
gnutls_failed(const char *what, int rc, const char *path, struct sb_errors *errs)
{
	sb_errors_add(errs, path, "%s: %.*s", what, sbd_tls_msg_len(gnutls_strerror(rc)),
	    gnutls_strerror(rc));
	return -1;
}

static int
load_trust(struct sbd_tls_client *c, const struct sb_policy *policy,
    const struct sb_backend_tls *tls, const char *path, struct sb_errors *errs)
{
	char *ca;
	int rc;

	if (tls->ca == NULL) {
		rc = gnutls_certificate_set_x509_system_trust(c->cred);
		/* Nothing to trust is only an error when something is to be checked. */
		if (rc <= 0 && tls->verify) {
			sb_errors_add(errs, path, "the system's trusted certificates: %s",
			    rc == 0 ? "none found (name a \"ca\")" : gnutls_strerror(rc));
			return -1;
		}
		return 0;
	}
	if ((ca = policy_file(policy, "ca", tls->ca, path, errs)) == NULL)
		return -1;
	rc = gnutls_certificate_set_x509_trust_file(c->cred, ca, GNUTLS_X509_FMT_PEM);
	if (rc <= 0)
		sb_errors_add(errs, path, "ca %s: %s", ca, rc == 0 ? "no certificate in it" :
		    gnutls_strerror(rc));
	free(ca);
	return rc <= 0 ? -1 : 0;
}

static int
load_pair(struct sbd_tls_client *c, const struct sb_policy *policy,
    const struct sb_backend_tls *tls, const char *path, struct sb_errors *errs)
{
	char *cert = NULL, *key = NULL;
	int rc = -1;

	if (tls->cert == NULL)
		return 0;
	cert = policy_file(policy, "cert", tls->cert, path, errs);
	key = cert ? policy_file(policy, "key", tls->key, path, errs) : NULL;
	if (cert != NULL && key != NULL) {
		rc = gnutls_certificate_set_x509_key_file2(c->cred, cert, key, GNUTLS_X509_FMT_PEM,
		    NULL, 0);
		if (rc < 0)
			sb_errors_add(errs, path, "cert %s, key %s: %.*s", cert, key,
			    sbd_tls_msg_len(gnutls_strerror(rc)), gnutls_strerror(rc));
		rc = rc < 0 ? -1 : 0;
	}
	free(cert);
	free(key);
	return rc;
}

struct sbd_tls_client *
sbd_tls_client_new(const struct sb_policy *policy, const struct sb_backend_tls *tls,
    bool want_h2, const char *path, struct sb_errors *errs)
{
	struct sbd_tls_client *c = sb_xcalloc(1, sizeof *c);
	int rc;

	atomic_init(&c->refs, 1);
	c->verify = tls->verify;
	c->alpn_h2 = want_h2;
	c->sni = tls->sni ? sb_xstrdup(tls->sni) : NULL;
	if ((rc = gnutls_certificate_allocate_credentials(&c->cred)) < 0) {
		c->cred = NULL;
		gnutls_failed("credentials", rc, path, errs);
		goto err;
	}
	if ((rc = gnutls_priority_init(&c->priority, CLIENT_PRIORITY, NULL)) < 0) {
		c->priority = NULL;
		gnutls_failed("priority", rc, path, errs);
		goto err;
	}
	if (load_trust(c, policy, tls, path, errs) < 0 || load_pair(c, policy, tls, path, errs) < 0)
		goto err;
	return c;
err:
	client_free(c);
	return NULL;
}

struct sbd_tls_client *
sbd_tls_client_ref(struct sbd_tls_client *c)
{
	atomic_fetch_add(&c->refs, 1);
	return c;
}

void
sbd_tls_client_unref(struct sbd_tls_client *c)
{
	if (c != NULL && atomic_fetch_sub(&c->refs, 1) == 1)
		client_free(c);
}

static bool
is_ip_literal(const char *host)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

gnutls_session_t
sbd_tls_client_session(struct sbd_tls_client *c, int fd, const char *host, const char **why)
{
	gnutls_session_t session = NULL;
	const char *name = c->sni != NULL ? c->sni : host;

	*why = NULL;
	if (gnutls_init(&session, GNUTLS_CLIENT | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL) < 0) {
		*why = "TLS session: out of memory";
		return NULL;
	}
	if (gnutls_priority_set(session, c->priority) < 0 ||
	    gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE, c->cred) < 0) {
		*why = "TLS session: settings refused";
		goto err;
	}
	/* RFC 6066: SNI carries names only, never an address. */
	if (name != NULL && !is_ip_literal(name) &&
	    gnutls_server_name_set(session, GNUTLS_NAME_DNS, name, strlen(name)) < 0) {
		*why = "TLS session: server name refused";
		goto err;
	}
	if (c->verify) {
		if (name == NULL) {
			*why = "TLS: no name to check the certificate against (set tls.sni)";
			goto err;
		}
		gnutls_session_set_verify_cert(session, name, 0);
	}
	if (c->alpn_h2 && gnutls_alpn_set_protocols(session, &alpn_h2, 1, 0) < 0) {
		*why = "TLS session: ALPN refused";
		goto err;
	}
	gnutls_handshake_set_timeout(session, 0);
	gnutls_transport_set_int(session, fd);
	return session;
err:
	gnutls_deinit(session);
	return NULL;
}

void
sbd_tls_client_failure(gnutls_session_t session, int rc, char *out, size_t outlen)
{
	gnutls_datum_t text = { NULL, 0 };
	unsigned status;

	if (rc == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR &&
	    (status = gnutls_session_get_verify_cert_status(session)) != 0 &&
	    gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &text, 0) == 0) {
		snprintf(out, outlen, "TLS: certificate refused: %.*s",
		    sbd_tls_msg_len((const char *)text.data), (const char *)text.data);
		gnutls_free(text.data);
		return;
	}
	snprintf(out, outlen, "TLS handshake: %.*s", sbd_tls_msg_len(gnutls_strerror(rc)),
	    gnutls_strerror(rc));
}
