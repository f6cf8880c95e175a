/* sbd-tls-pair.c - one certificate pair as a server presents it: chain, key, OCSP staple, facts */
#include "sbd-tls-private.h"

#include <errno.h>
#include <fcntl.h>
#include <gnutls/ocsp.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sb-alloc.h"
#include "sb-log.h"

static char *
resolve(const struct sb_policy *policy, const char *path)
{
	return policy != NULL ? sb_policy_resolve_path(policy, path) : sb_xstrdup(path);
}

/* Fails with "cert PATH: No such file or directory" rather than GnuTLS's vaguer words. */
static int
check_readable(const char *what, const char *role, const char *file, const char *path,
    struct sb_errors *errs)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		sb_errors_add(errs, path, "%s: %s %s: %s", what, role, file, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

/* Subject and notAfter of the pair's certificate (the first of its chain). */
static void
read_facts(gnutls_certificate_credentials_t cred, const char *what, struct sbd_tls_cert_info *info)
{
	gnutls_datum_t der = { NULL, 0 }, dn = { NULL, 0 };
	gnutls_x509_crt_t crt = NULL;
	int rc;

	memset(info, 0, sizeof *info);
	if ((rc = gnutls_certificate_get_crt_raw(cred, 0, 0, &der)) < 0 ||
	    (rc = gnutls_x509_crt_init(&crt)) < 0 ||
	    (rc = gnutls_x509_crt_import(crt, &der, GNUTLS_X509_FMT_DER)) < 0) {
		sb_warn("%s: certificate facts: %.*s", what, sbd_tls_msg_len(gnutls_strerror(rc)),
		    gnutls_strerror(rc));
		goto out;
	}
	if (gnutls_x509_crt_get_dn3(crt, &dn, 0) == 0)
		snprintf(info->subject, sizeof info->subject, "%.*s", (int)dn.size,
		    (const char *)dn.data);
	info->not_after = (int64_t)gnutls_x509_crt_get_expiration_time(crt);
out:
	gnutls_free(dn.data);
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
}

/* Why GnuTLS would not take a response, in an operator's words. */
static const char *
ocsp_refusal(int rc)
{
	switch (rc) {
	case GNUTLS_E_EXPIRED:
		return "stale: its nextUpdate has passed";
	case GNUTLS_E_OCSP_MISMATCH_WITH_CERTS:
		return "it is not about this certificate";
	default:
		return gnutls_strerror(rc);
	}
}

/*
 * Staples the response in file when GnuTLS takes it: it refuses one whose
 * nextUpdate has passed or that names another certificate. A refusal is
 * logged and the pair is served without a staple (clients then ask the CA).
 * GnuTLS also stops stapling a response once its nextUpdate passes.
 */
static void
load_ocsp(gnutls_certificate_credentials_t cred, const char *file, const char *what,
    struct sbd_tls_cert_info *info)
{
	gnutls_datum_t der = { NULL, 0 };
	gnutls_ocsp_resp_t resp = NULL;
	unsigned status = 0;
	time_t next_update = -1;
	int rc = gnutls_load_file(file, &der);

	if (rc >= 0)
		rc = gnutls_certificate_set_ocsp_status_request_mem(cred, &der, 0, GNUTLS_X509_FMT_DER);
	if (rc < 0) {
		sb_warn("%s: ocsp %s: not stapled: %.*s", what, file,
		    sbd_tls_msg_len(ocsp_refusal(rc)), ocsp_refusal(rc));
		goto out;
	}
	info->ocsp = true;
	if (gnutls_ocsp_resp_init(&resp) == 0 && gnutls_ocsp_resp_import(resp, &der) == 0 &&
	    gnutls_ocsp_resp_get_single(resp, 0, NULL, NULL, NULL, NULL, &status, NULL,
	    &next_update, NULL, NULL) == 0 && next_update != (time_t)-1)
		info->ocsp_next_update = (int64_t)next_update;
	if (status == GNUTLS_OCSP_CERT_REVOKED)
		sb_warn("%s: ocsp %s: the response says the certificate is revoked", what, file);
	sb_debug("%s: ocsp %s: stapled", what, file);
out:
	if (resp != NULL)
		gnutls_ocsp_resp_deinit(resp);
	gnutls_free(der.data);
}

gnutls_certificate_credentials_t
sbd_tls_pair_load(const struct sb_policy *policy, const struct sb_cert_pair *pair,
    const char *client_ca, const char *what, const char *path, struct sbd_tls_cert_info *info,
    struct sb_errors *errs)
{
	gnutls_certificate_credentials_t cred = NULL, loaded = NULL;
	char *cert = NULL, *key = NULL, *ca = NULL, *ocsp = NULL;
	int rc;

	if (pair->cert == NULL || pair->key == NULL) {
		sb_errors_add(errs, path, "%s: a certificate needs both cert and key", what);
		goto err;
	}
	cert = resolve(policy, pair->cert);
	key = resolve(policy, pair->key);
	if (check_readable(what, "cert", cert, path, errs) < 0 ||
	    check_readable(what, "key", key, path, errs) < 0)
		goto err;
	rc = gnutls_certificate_allocate_credentials(&cred);
	if (rc < 0) {
		sb_errors_add(errs, path, "%s: credentials: %.*s", what, sbd_tls_msg_len(gnutls_strerror(rc)),
		    gnutls_strerror(rc));
		goto err;
	}
	rc = gnutls_certificate_set_x509_key_file2(cred, cert, key, GNUTLS_X509_FMT_PEM, NULL, 0);
	if (rc < 0) {
		sb_errors_add(errs, path, "%s: cert %s, key %s: %.*s", what, cert, key,
		    sbd_tls_msg_len(gnutls_strerror(rc)), gnutls_strerror(rc));
		goto err;
	}
	/* Only for TLS 1.2 DHE suites; RFC 7919 groups, nothing to generate. */
	rc = gnutls_certificate_set_known_dh_params(cred, GNUTLS_SEC_PARAM_MEDIUM);
	if (rc < 0) {
		sb_errors_add(errs, path, "%s: dh params: %.*s", what, sbd_tls_msg_len(gnutls_strerror(rc)),
		    gnutls_strerror(rc));
		goto err;
	}
	if (client_ca != NULL) {
		ca = resolve(policy, client_ca);
		if (check_readable(what, "client_ca", ca, path, errs) < 0)
			goto err;
		rc = gnutls_certificate_set_x509_trust_file(cred, ca, GNUTLS_X509_FMT_PEM);
		if (rc == 0) {
			sb_errors_add(errs, path, "%s: client_ca %s: no certificate in it", what, ca);
			goto err;
		}
		if (rc < 0) {
			sb_errors_add(errs, path, "%s: client_ca %s: %.*s", what, ca,
			    sbd_tls_msg_len(gnutls_strerror(rc)), gnutls_strerror(rc));
			goto err;
		}
	}
	read_facts(cred, what, info);
	if (pair->ocsp != NULL) {
		ocsp = resolve(policy, pair->ocsp);
		load_ocsp(cred, ocsp, what, info);
	}
	loaded = cred;
	cred = NULL;
err:
	if (cred != NULL)
		gnutls_certificate_free_credentials(cred);
	free(cert);
	free(key);
	free(ca);
	free(ocsp);
	return loaded;
}
