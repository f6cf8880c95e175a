/* sbctl-probe-conn.c - the probe's connection: the TLS client handshake and its findings,
 * and sending and receiving with deadlines over plain TCP or TLS */
#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/x509.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sb-alloc.h"
#include "sb-control.h"
#include "sbctl-probe-private.h"

/* Milliseconds left before deadline, for poll(). */
static int
wait_ms(double deadline)
{
	double left = deadline - sbctl_probe_now();

	return left <= 0 ? 0 : left > 1e9 ? 1000000000 : (int)left + 1;
}

/* Waits until the socket can be read (or written); false at the deadline. */
static bool
wait_io(struct sbctl_probe *p, bool want_write, double deadline)
{
	struct pollfd pfd = { .fd = p->fd, .events = want_write ? POLLOUT : POLLIN };
	int n;

	do {
		n = poll(&pfd, 1, wait_ms(deadline));
	} while (n < 0 && errno == EINTR);
	return n > 0;
}

static json_object *
prefixed(const char *prefix, const char *s)
{
	char *text = sb_xasprintf("%s%s", prefix, s);
	json_object *v = json_object_new_string(text);

	free(text);
	return v;
}

/* Subject alternative names as "DNS:name", "IP:addr", "URI:..." and "email:..." strings. */
static json_object *
subject_alt_names(gnutls_x509_crt_t crt)
{
	json_object *names = json_object_new_array();

	for (unsigned i = 0; i < 1024; i++) {
		char buf[1024], addr[INET6_ADDRSTRLEN];
		size_t size = sizeof buf - 1;
		int type = gnutls_x509_crt_get_subject_alt_name(crt, i, buf, &size, NULL);

		if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (type == GNUTLS_SAN_DNSNAME || type == GNUTLS_SAN_URI ||
		    type == GNUTLS_SAN_RFC822NAME) {
			buf[size] = '\0';
			json_object_array_add(names, prefixed(type == GNUTLS_SAN_DNSNAME ? "DNS:" :
			    type == GNUTLS_SAN_URI ? "URI:" : "email:", buf));
		} else if (type == GNUTLS_SAN_IPADDRESS && (size == 4 || size == 16) &&
		    inet_ntop(size == 4 ? AF_INET : AF_INET6, buf, addr, sizeof addr) != NULL) {
			json_object_array_add(names, prefixed("IP:", addr));
		}
	}
	return names;
}

static void
add_datum(json_object *o, const char *key, int rc, gnutls_datum_t *d)
{
	if (rc < 0)
		return;
	json_object_object_add(o, key, json_object_new_string_len((const char *)d->data,
	    (int)d->size));
	gnutls_free(d->data);
}

/* The server's certificate: subject, issuer, expiry, names. */
static json_object *
peer_certificate(struct sbctl_probe *p, unsigned *chain_len)
{
	const gnutls_datum_t *certs = gnutls_certificate_get_peers(p->tls, chain_len);
	json_object *o;
	gnutls_x509_crt_t crt;
	gnutls_datum_t d;
	char when[SB_TIME_RFC3339_MAX];
	time_t t;

	if (certs == NULL || *chain_len == 0 || gnutls_x509_crt_init(&crt) < 0)
		return NULL;
	if (gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) < 0) {
		gnutls_x509_crt_deinit(crt);
		return NULL;
	}
	o = json_object_new_object();
	add_datum(o, "subject", gnutls_x509_crt_get_dn3(crt, &d, 0), &d);
	add_datum(o, "issuer", gnutls_x509_crt_get_issuer_dn3(crt, &d, 0), &d);
	t = gnutls_x509_crt_get_expiration_time(crt);
	if (t != (time_t)-1) {
		sb_time_rfc3339((int64_t)t * 1000, when);
		json_object_object_add(o, "expires", json_object_new_string(when));
	}
	json_object_object_add(o, "names", subject_alt_names(crt));
	gnutls_x509_crt_deinit(crt);
	return o;
}

/* A string member, "-" when absent. */
static const char *
get_str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return "-";
	return json_object_get_string(v);
}

static void
say_certificate(struct sbctl_probe *p, json_object *cert, unsigned chain_len)
{
	json_object *names;

	if (cert == NULL) {
		sbctl_probe_say(p, "          no certificate from the server");
		return;
	}
	sbctl_probe_say(p, "          subject  %s", get_str(cert, "subject"));
	sbctl_probe_say(p, "          issuer   %s", get_str(cert, "issuer"));
	sbctl_probe_say(p, "          expires  %s", get_str(cert, "expires"));
	if (json_object_object_get_ex(cert, "names", &names) &&
	    json_object_array_length(names) > 0) {
		char *list = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&list, &len);

		if (f == NULL)
			abort();
		for (size_t i = 0; i < json_object_array_length(names); i++)
			fprintf(f, "%s%s", i ? ", " : "",
			    json_object_get_string(json_object_array_get_idx(names, i)));
		fclose(f);
		sbctl_probe_say(p, "          names    %s", list);
		free(list);
	}
	sbctl_probe_say(p, "          chain    %u certificate%s", chain_len,
	    chain_len == 1 ? "" : "s");
}

/* Verifies the chain against the system's trust and the URL's host; false when it fails. */
static bool
verify(struct sbctl_probe *p, json_object *step)
{
	unsigned status = 0;
	gnutls_datum_t text = { NULL, 0 };
	int rc = gnutls_certificate_verify_peers3(p->tls, p->url.host, &status);
	bool ok = rc >= 0 && status == 0;

	if (rc < 0) {
		json_object_object_add(step, "verification",
		    json_object_new_string(gnutls_strerror(rc)));
	} else if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &text,
	    0) >= 0) {
		while (text.size > 0 && text.data[text.size - 1] == ' ')
			text.size--;
		add_datum(step, "verification", 0, &text);
	}
	json_object_object_add(step, "verified", json_object_new_boolean(ok));
	sbctl_probe_say(p, "          verify   %s%s%s", ok ? "ok, " : "FAILED: ",
	    get_str(step, "verification"), ok || !p->insecure ? "" : " (going on: --insecure)");
	return ok;
}

enum sbctl_exit
sbctl_probe_tls(struct sbctl_probe *p, double deadline)
{
	static const gnutls_datum_t alpn = { (unsigned char *)"http/1.1", 8 };
	json_object *step = sbctl_probe_step(p, "tls"), *cert;
	gnutls_datum_t proto;
	double t0;
	unsigned chain_len = 0;
	char *desc;
	int rc;

	if (gnutls_certificate_allocate_credentials(&p->cred) < 0 ||
	    gnutls_init(&p->tls, GNUTLS_CLIENT) < 0)
		abort(); /* out of memory */
	rc = gnutls_certificate_set_x509_system_trust(p->cred);
	json_object_object_add(step, "trust_anchors", json_object_new_int(rc < 0 ? 0 : rc));
	if (gnutls_set_default_priority(p->tls) < 0 ||
	    gnutls_credentials_set(p->tls, GNUTLS_CRD_CERTIFICATE, p->cred) < 0 ||
	    gnutls_alpn_set_protocols(p->tls, &alpn, 1, 0) < 0)
		abort();
	/* RFC 6066: no SNI for an address */
	if (!p->url.host_is_ip)
		gnutls_server_name_set(p->tls, GNUTLS_NAME_DNS, p->url.host, strlen(p->url.host));
	gnutls_transport_set_int(p->tls, p->fd);
	t0 = sbctl_probe_now(); /* the handshake's time, not the trust store's loading */

	while ((rc = gnutls_handshake(p->tls)) < 0) {
		if (gnutls_error_is_fatal(rc)) {
			sbctl_probe_fail(p, "tls: handshake failed: %s (%.1f ms)",
			    gnutls_strerror(rc), sbctl_probe_now() - t0);
			return SBCTL_EXIT_UNREACHABLE;
		}
		if (!wait_io(p, gnutls_record_get_direction(p->tls) == 1, deadline)) {
			sbctl_probe_fail(p, "tls: no handshake within %d ms", p->timeout_ms);
			return SBCTL_EXIT_UNREACHABLE;
		}
	}
	json_object_object_add(step, "ms", sbctl_probe_ms_json(sbctl_probe_now() - t0));
	json_object_object_add(step, "version", json_object_new_string(
	    gnutls_protocol_get_name(gnutls_protocol_get_version(p->tls))));
	desc = gnutls_session_get_desc(p->tls);
	json_object_object_add(step, "cipher", json_object_new_string(desc ? desc : ""));
	gnutls_free(desc);
	if (gnutls_alpn_get_selected_protocol(p->tls, &proto) < 0)
		json_object_object_add(step, "alpn", NULL);
	else
		json_object_object_add(step, "alpn", json_object_new_string_len(
		    (const char *)proto.data, (int)proto.size));
	sbctl_probe_say(p, "tls       %s, %s, ALPN %s (%.1f ms)", get_str(step, "version"),
	    get_str(step, "cipher"), get_str(step, "alpn"), sbctl_probe_now() - t0);
	if (!p->url.host_is_ip)
		sbctl_probe_say(p, "          sni      %s", p->url.host);
	cert = peer_certificate(p, &chain_len);
	say_certificate(p, cert, chain_len);
	if (cert != NULL)
		json_object_object_add(step, "certificate", cert);
	if (!verify(p, step) && !p->insecure) {
		sbctl_probe_fail(p, "tls: the certificate does not verify (--insecure to go on)");
		return SBCTL_EXIT_UNREACHABLE;
	}
	return SBCTL_EXIT_OK;
}

void
sbctl_probe_tls_close(struct sbctl_probe *p)
{
	if (p->tls != NULL) {
		gnutls_deinit(p->tls);
		p->tls = NULL;
	}
	if (p->cred != NULL) {
		gnutls_certificate_free_credentials(p->cred);
		p->cred = NULL;
	}
}

enum sbctl_probe_recv
sbctl_probe_recv(struct sbctl_probe *p, double deadline, char **err)
{
	size_t room = SBCTL_PROBE_IN_MAX - p->in_len;
	ssize_t n;

	if (room == 0)
		return SBCTL_PROBE_RECV_FULL;
	if (room > 65536)
		room = 65536;
	if (p->in == NULL)
		p->in = sb_xmalloc(SBCTL_PROBE_IN_MAX);
	for (;;) {
		if (p->tls != NULL) {
			n = gnutls_record_recv(p->tls, p->in + p->in_len, room);
			if (n == GNUTLS_E_PREMATURE_TERMINATION)
				n = 0; /* closed without close_notify: still the end */
			if (n < 0 && n != GNUTLS_E_AGAIN && n != GNUTLS_E_INTERRUPTED) {
				*err = sb_xasprintf("tls: %s", gnutls_strerror((int)n));
				return SBCTL_PROBE_RECV_ERROR;
			}
		} else {
			n = recv(p->fd, p->in + p->in_len, room, 0);
			if (n < 0 && errno != EAGAIN && errno != EINTR) {
				if (errno == ECONNRESET)
					return SBCTL_PROBE_RECV_EOF;
				*err = sb_xasprintf("recv: %s", strerror(errno));
				return SBCTL_PROBE_RECV_ERROR;
			}
		}
		if (n > 0) {
			p->in_len += (size_t)n;
			return SBCTL_PROBE_RECV_DATA;
		}
		if (n == 0)
			return SBCTL_PROBE_RECV_EOF;
		if (!wait_io(p, false, deadline))
			return SBCTL_PROBE_RECV_TIMEOUT;
	}
}

bool
sbctl_probe_send(struct sbctl_probe *p, const void *data, size_t len, double deadline,
    char **err)
{
	const char *d = data;

	while (len > 0) {
		ssize_t n;

		if (p->tls != NULL) {
			n = gnutls_record_send(p->tls, d, len);
			if (n < 0 && n != GNUTLS_E_AGAIN && n != GNUTLS_E_INTERRUPTED) {
				*err = sb_xasprintf("tls: %s", gnutls_strerror((int)n));
				return false;
			}
		} else {
			n = send(p->fd, d, len, MSG_NOSIGNAL);
			if (n < 0 && errno != EAGAIN && errno != EINTR) {
				*err = sb_xasprintf("send: %s", strerror(errno));
				return false;
			}
		}
		if (n > 0) {
			d += n;
			len -= (size_t)n;
		} else if (!wait_io(p, true, deadline)) {
			*err = sb_xasprintf("send: nothing could be sent for %d ms", p->timeout_ms);
			return false;
		}
	}
	return true;
}
