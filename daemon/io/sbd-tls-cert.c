/* sbd-tls-cert.c - the self-signed certificate of the default policy: made once, kept, renewed */
#include "sbd-tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sb-alloc.h"
#include "sb-log.h"
#include "sb-path.h"

#define SELF_SIGNED_DAYS    365
#define SELF_SIGNED_RENEW_S (30 * 86400)

/* Writes data to path through a temp file beside it: fsync, rename, fsync of the folder. */
static int
write_atomic(const char *role, const char *path, const gnutls_datum_t *data, mode_t mode,
    struct sb_errors *errs)
{
	char *tmp = sb_xasprintf("%s.XXXXXX", path);
	char *dir = sb_path_dir(path);
	const char *step = "create";
	bool created = false;
	size_t done = 0;
	int fd, dir_fd, ret = -1;

	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		goto err;
	created = true;
	step = "chmod";
	if (fchmod(fd, mode) < 0)
		goto err;
	step = "write";
	while (done < data->size) {
		ssize_t n = write(fd, data->data + done, data->size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto err;
		done += (size_t)n;
	}
	step = "fsync";
	if (fsync(fd) < 0)
		goto err;
	step = "close";
	if (close(fd) < 0) {
		fd = -1;
		goto err;
	}
	fd = -1;
	step = "rename";
	if (rename(tmp, path) < 0)
		goto err;
	created = false;
	dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd >= 0) {
		(void)fsync(dir_fd);
		close(dir_fd);
	}
	ret = 0;
err:
	if (ret < 0)
		sb_errors_add(errs, "", "%s %s: %s: %s", role, path, step, strerror(errno));
	if (fd >= 0)
		close(fd);
	if (created)
		unlink(tmp);
	free(tmp);
	free(dir);
	return ret;
}

static int
add_san(gnutls_x509_crt_t crt, const char *name)
{
	unsigned char addr[16];

	if (inet_pton(AF_INET, name, addr) == 1)
		return gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, addr, 4,
		    GNUTLS_FSAN_APPEND);
	if (inet_pton(AF_INET6, name, addr) == 1)
		return gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, addr, 16,
		    GNUTLS_FSAN_APPEND);
	return gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, name,
	    (unsigned)strlen(name), GNUTLS_FSAN_APPEND);
}

/* sans: subjectAltName entries, NULL-terminated; names or IP literals. */
static int
write_self_signed(const char *cert_path, const char *key_path, const char *cn,
    const char *const *sans, struct sb_errors *errs)
{
	gnutls_x509_privkey_t key = NULL;
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t key_pem = { NULL, 0 }, crt_pem = { NULL, 0 };
	unsigned char serial[16], key_id[64];
	size_t key_id_len = sizeof key_id;
	time_t now = time(NULL);
	const char *step = "key";
	int rc = 0, ret = -1;

	if ((rc = gnutls_x509_privkey_init(&key)) < 0)
		goto err;
	rc = gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0);
	if (rc < 0)
		goto err;
	step = "certificate";
	if ((rc = gnutls_x509_crt_init(&crt)) < 0 || (rc = gnutls_x509_crt_set_version(crt, 3)) < 0)
		goto err;
	if ((rc = gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof serial)) < 0)
		goto err;
	serial[0] = (unsigned char)((serial[0] & 0x3f) | 0x40); /* positive, full length */
	if ((rc = gnutls_x509_crt_set_serial(crt, serial, sizeof serial)) < 0 ||
	    (rc = gnutls_x509_crt_set_activation_time(crt, now - 3600)) < 0 ||
	    (rc = gnutls_x509_crt_set_expiration_time(crt,
	    now + (time_t)SELF_SIGNED_DAYS * 86400)) < 0 ||
	    (rc = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn,
	    (unsigned)strlen(cn))) < 0 ||
	    (rc = gnutls_x509_crt_set_key(crt, key)) < 0 ||
	    (rc = gnutls_x509_crt_set_basic_constraints(crt, 0, -1)) < 0 ||
	    (rc = gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE)) < 0 ||
	    (rc = gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0)) < 0)
		goto err;
	for (size_t i = 0; sans[i] != NULL; i++) {
		if ((rc = add_san(crt, sans[i])) < 0)
			goto err;
	}
	rc = gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA1, key_id, &key_id_len);
	if (rc < 0 ||
	    (rc = gnutls_x509_crt_set_subject_key_id(crt, key_id, key_id_len)) < 0 ||
	    (rc = gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0)) < 0)
		goto err;
	step = "export";
	rc = gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN,
	    &key_pem);
	if (rc < 0 || (rc = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &crt_pem)) < 0)
		goto err;
	/* Key first: a crash in between leaves a mismatched pair, which the next start replaces. */
	if (write_atomic("key", key_path, &key_pem, 0600, errs) < 0 ||
	    write_atomic("cert", cert_path, &crt_pem, 0644, errs) < 0)
		goto err;
	ret = 0;
err:
	if (rc < 0)
		sb_errors_add(errs, "", "self-signed %s for %s: %.*s", step, cn,
		    sbd_tls_msg_len(gnutls_strerror(rc)), gnutls_strerror(rc));
	if (key_pem.data != NULL) {
		gnutls_memset(key_pem.data, 0, key_pem.size);
		gnutls_free(key_pem.data);
	}
	gnutls_free(crt_pem.data);
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	if (key != NULL)
		gnutls_x509_privkey_deinit(key);
	return ret;
}

int
sbd_tls_generate_self_signed(const char *cert_path, const char *key_path, const char *cn,
    struct sb_errors *errs)
{
	const char *sans[] = { cn, NULL };

	return write_self_signed(cert_path, key_path, cn, sans, errs);
}

/*
 * A plain file that this uid or root owns, not a symbolic link: the state dir
 * is checked before (sb_dir_open_trusted), and a link in it is never followed.
 */
static bool
own_file(const char *path, struct stat *st, char *why, size_t whylen)
{
	if (lstat(path, st) < 0)
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
	else if (S_ISLNK(st->st_mode))
		snprintf(why, whylen, "%s: is a symbolic link", path);
	else if (!S_ISREG(st->st_mode))
		snprintf(why, whylen, "%s: not a plain file", path);
	else if (st->st_uid != geteuid() && st->st_uid != 0)
		snprintf(why, whylen, "%s: owned by uid %lu, not %lu", path,
		    (unsigned long)st->st_uid, (unsigned long)geteuid());
	else
		return true;
	return false;
}

/* True when the pair loads and the certificate is valid long enough; else why says not. */
static bool
pair_usable(const char *cert_path, const char *key_path, char *why, size_t whylen)
{
	gnutls_certificate_credentials_t cred = NULL;
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t pem = { NULL, 0 };
	const char *missing;
	struct stat st;
	time_t expires;
	bool ok = false;
	int rc;

	missing = !own_file(cert_path, &st, why, whylen) ? cert_path :
	    !own_file(key_path, &st, why, whylen) ? key_path : NULL;
	if (missing != NULL)
		return false;
	if ((st.st_mode & 077) != 0)
		sb_warn("tls: key %s is readable by others (mode %03o)", key_path,
		    (unsigned)(st.st_mode & 0777));
	if ((rc = gnutls_certificate_allocate_credentials(&cred)) < 0 ||
	    (rc = gnutls_certificate_set_x509_key_file2(cred, cert_path, key_path,
	    GNUTLS_X509_FMT_PEM, NULL, 0)) < 0 ||
	    (rc = gnutls_load_file(cert_path, &pem)) < 0 ||
	    (rc = gnutls_x509_crt_init(&crt)) < 0 ||
	    (rc = gnutls_x509_crt_import(crt, &pem, GNUTLS_X509_FMT_PEM)) < 0) {
		snprintf(why, whylen, "does not load: %.*s", sbd_tls_msg_len(gnutls_strerror(rc)),
		    gnutls_strerror(rc));
		goto out;
	}
	expires = gnutls_x509_crt_get_expiration_time(crt);
	if (expires == (time_t)-1 || expires < time(NULL) + SELF_SIGNED_RENEW_S) {
		snprintf(why, whylen, "expires within 30 days");
		goto out;
	}
	ok = true;
out:
	gnutls_free(pem.data);
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	if (cred != NULL)
		gnutls_certificate_free_credentials(cred);
	return ok;
}

int
sbd_tls_ensure_self_signed(const char *cert_path, const char *key_path, struct sb_errors *errs)
{
	static const char *const sans[] = { "localhost", "127.0.0.1", "::1", NULL };
	char why[256];
	int ret;

	if (pair_usable(cert_path, key_path, why, sizeof why))
		return 0;
	sb_info("tls: writing a new self-signed certificate to %s (%s)", cert_path, why);
	ret = write_self_signed(cert_path, key_path, "localhost", sans, errs);
	if (ret == 0)
		sb_info("tls: self-signed certificate for localhost written to %s", cert_path);
	return ret;
}
