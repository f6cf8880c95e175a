/* test-tls.c - sbd-tls: self-signed certificates, SNI, ALPN, versions, resumption, client auth */
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sbd-tls.h"

#define TLS12_ONLY "NORMAL:-VERS-ALL:+VERS-TLS1.2"

/* Certificates shared by every test, made once in a temporary folder. */
static char *tmp_dir;
static struct sbd_tls_tickets *tickets; /* the daemon's one ticket key */

static char *
tmp_path(const char *name)
{
	return g_build_filename(tmp_dir, name, NULL);
}

/* One client handshake, run in its own thread with a blocking GnuTLS session. */
struct client {
	int fd;
	const char *sni;                /* NULL: none sent */
	const char *priority;           /* NULL: "NORMAL" */
	const char *const *alpn;        /* NULL-terminated; NULL: h2, http/1.1 */
	const char *cert, *key;         /* client certificate, or NULL */
	const gnutls_datum_t *resume;   /* session data from an earlier handshake, or NULL */
	/* results */
	int handshake_rc;
	int read_rc;
	char cn[256];
	char alpn_selected[32];
	gboolean resumed;
	gnutls_datum_t session_data;    /* gnutls_free() it */
};

static void
peer_cn(gnutls_session_t session, char *out, size_t outlen)
{
	const gnutls_datum_t *certs;
	unsigned n = 0;
	gnutls_x509_crt_t crt;
	size_t size = outlen;

	out[0] = '\0';
	certs = gnutls_certificate_get_peers(session, &n);
	if (certs == NULL || n == 0)
		return;
	g_assert_cmpint(gnutls_x509_crt_init(&crt), ==, 0);
	g_assert_cmpint(gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER), ==, 0);
	g_assert_cmpint(gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, out,
	    &size), ==, 0);
	gnutls_x509_crt_deinit(crt);
}

static gpointer
client_run(gpointer user)
{
	static const char *const default_alpn[] = { "h2", "http/1.1", NULL };
	struct client *c = user;
	const char *const *alpn = c->alpn != NULL ? c->alpn : default_alpn;
	gnutls_certificate_credentials_t cred;
	gnutls_session_t session;
	gnutls_datum_t protos[4];
	gnutls_datum_t selected;
	unsigned n_protos = 0;
	char byte;
	int rc;

	g_assert_cmpint(gnutls_certificate_allocate_credentials(&cred), ==, 0);
	if (c->cert != NULL)
		g_assert_cmpint(gnutls_certificate_set_x509_key_file2(cred, c->cert, c->key,
		    GNUTLS_X509_FMT_PEM, NULL, 0), >=, 0);
	g_assert_cmpint(gnutls_init(&session, GNUTLS_CLIENT), ==, 0);
	g_assert_cmpint(gnutls_priority_set_direct(session,
	    c->priority != NULL ? c->priority : "NORMAL", NULL), ==, 0);
	g_assert_cmpint(gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE, cred), ==, 0);
	if (c->sni != NULL)
		g_assert_cmpint(gnutls_server_name_set(session, GNUTLS_NAME_DNS, c->sni,
		    strlen(c->sni)), ==, 0);
	for (; alpn[n_protos] != NULL; n_protos++) {
		protos[n_protos].data = (unsigned char *)alpn[n_protos];
		protos[n_protos].size = (unsigned)strlen(alpn[n_protos]);
	}
	g_assert_cmpint(gnutls_alpn_set_protocols(session, protos, n_protos, 0), ==, 0);
	if (c->resume != NULL)
		g_assert_cmpint(gnutls_session_set_data(session, c->resume->data, c->resume->size),
		    ==, 0);
	gnutls_transport_set_int(session, c->fd);
	do {
		rc = gnutls_handshake(session);
	} while (rc < 0 && !gnutls_error_is_fatal(rc));
	c->handshake_rc = rc;
	c->read_rc = -1;
	if (rc == 0) {
		peer_cn(session, c->cn, sizeof c->cn);
		if (gnutls_alpn_get_selected_protocol(session, &selected) == 0)
			g_snprintf(c->alpn_selected, sizeof c->alpn_selected, "%.*s",
			    (int)selected.size, (const char *)selected.data);
		c->resumed = gnutls_session_is_resumed(session) != 0;
		/* The server's one byte comes after any TLS 1.3 session ticket. */
		do {
			rc = (int)gnutls_record_recv(session, &byte, 1);
		} while (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED);
		c->read_rc = rc;
		if (rc == 1)
			g_assert_cmpint(gnutls_session_get_data2(session, &c->session_data), ==, 0);
	}
	gnutls_deinit(session);
	gnutls_certificate_free_credentials(cred);
	return NULL;
}

/* Runs the server side of one handshake on session; 0 or a GnuTLS error. */
static int
server_run(gnutls_session_t session, int fd, char *desc, size_t desclen)
{
	int rc;

	desc[0] = '\0';
	for (;;) {
		struct pollfd pfd = { fd, 0, 0 };

		rc = gnutls_handshake(session);
		if (rc != GNUTLS_E_AGAIN && rc != GNUTLS_E_INTERRUPTED)
			break;
		pfd.events = gnutls_record_get_direction(session) ? POLLOUT : POLLIN;
		g_assert_cmpint(poll(&pfd, 1, 10000), ==, 1);
	}
	if (rc == 0) {
		sbd_tls_describe(session, desc, desclen);
		do {
			rc = (int)gnutls_record_send(session, "x", 1);
		} while (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED);
		g_assert_cmpint(rc, ==, 1);
		rc = 0;
	}
	return rc;
}

/* One handshake between server session and client c; returns the server's result. */
static int
handshake_on(gnutls_session_t session, int fd_server, int fd_client, struct client *c,
    char *desc, size_t desclen)
{
	GThread *thread;
	int rc;

	c->fd = fd_client;
	thread = g_thread_new("tls-client", client_run, c);
	rc = server_run(session, fd_server, desc, desclen);
	/* Unblocks a client still waiting after a failed server handshake. */
	shutdown(fd_server, SHUT_RDWR);
	g_thread_join(thread);
	return rc;
}

/* The same on a fresh socketpair and a new session of ctx. */
static int
handshake(struct sbd_tls_ctx *ctx, struct client *c, char *desc, size_t desclen)
{
	gnutls_session_t session;
	int sv[2], rc;

	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), ==, 0);
	g_assert_cmpint(fcntl(sv[0], F_SETFL, O_NONBLOCK), ==, 0);
	session = sbd_tls_session_new(ctx, sv[0]);
	g_assert_nonnull(session);
	rc = handshake_on(session, sv[0], sv[1], c, desc, desclen);
	sbd_tls_session_free(session);
	close(sv[0]);
	close(sv[1]);
	return rc;
}

static char *
read_file(const char *path)
{
	char *text = NULL;

	g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
	return text;
}

static void
test_self_signed(void)
{
	g_autofree char *cert = tmp_path("ss.pem");
	g_autofree char *key = tmp_path("ss.key");
	g_autofree char *first = NULL, *second = NULL, *third = NULL;
	gnutls_x509_crt_t crt;
	gnutls_datum_t pem;
	char cn[64], san[64];
	size_t size = sizeof cn, san_size;
	unsigned san_type;
	struct stat st;
	struct sb_errors errs = SB_ERRORS_INIT;

	g_assert_cmpint(sbd_tls_ensure_self_signed(cert, key, &errs), ==, 0);
	g_assert_cmpuint(errs.count, ==, 0);
	g_assert_cmpint(stat(key, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, 0600);
	first = read_file(cert);
	g_assert_true(g_str_has_prefix(first, "-----BEGIN CERTIFICATE-----"));

	/* What it says: CN=localhost; DNS:localhost, IP:127.0.0.1, IP:::1. */
	g_assert_cmpint(gnutls_load_file(cert, &pem), ==, 0);
	g_assert_cmpint(gnutls_x509_crt_init(&crt), ==, 0);
	g_assert_cmpint(gnutls_x509_crt_import(crt, &pem, GNUTLS_X509_FMT_PEM), ==, 0);
	g_assert_cmpint(gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, cn,
	    &size), ==, 0);
	g_assert_cmpstr(cn, ==, "localhost");
	san_size = sizeof san;
	g_assert_cmpint(gnutls_x509_crt_get_subject_alt_name2(crt, 0, san, &san_size, &san_type,
	    NULL), ==, GNUTLS_SAN_DNSNAME);
	g_assert_cmpstr(san, ==, "localhost");
	san_size = sizeof san;
	g_assert_cmpint(gnutls_x509_crt_get_subject_alt_name2(crt, 1, san, &san_size, &san_type,
	    NULL), ==, GNUTLS_SAN_IPADDRESS);
	g_assert_cmpuint(san_size, ==, 4);
	g_assert_cmpmem(san, 4, "\x7f\x00\x00\x01", 4);
	san_size = sizeof san;
	g_assert_cmpint(gnutls_x509_crt_get_subject_alt_name2(crt, 2, san, &san_size, &san_type,
	    NULL), ==, GNUTLS_SAN_IPADDRESS);
	g_assert_cmpuint(san_size, ==, 16);
	g_assert_cmpint(gnutls_x509_crt_get_pk_algorithm(crt, NULL), ==, GNUTLS_PK_ECDSA);
	g_assert_cmpint(gnutls_x509_crt_get_expiration_time(crt), >, time(NULL) + 300 * 86400);
	g_assert_cmpint(gnutls_x509_crt_get_expiration_time(crt), <, time(NULL) + 825 * 86400);
	gnutls_x509_crt_deinit(crt);
	gnutls_free(pem.data);

	/* A second call keeps the pair. */
	g_assert_cmpint(sbd_tls_ensure_self_signed(cert, key, &errs), ==, 0);
	second = read_file(cert);
	g_assert_cmpstr(first, ==, second);

	/* A broken certificate is replaced. */
	g_assert_true(g_file_set_contents(cert, "not a certificate\n", -1, NULL));
	g_assert_cmpint(sbd_tls_ensure_self_signed(cert, key, &errs), ==, 0);
	third = read_file(cert);
	g_assert_true(g_str_has_prefix(third, "-----BEGIN CERTIFICATE-----"));
	g_assert_cmpstr(first, !=, third);
	g_assert_cmpint(stat(key, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, 0600);
}

static void
test_self_signed_error(void)
{
	struct sb_errors errs = SB_ERRORS_INIT;

	g_assert_cmpint(sbd_tls_generate_self_signed("/nonexistent-dir/c.pem",
	    "/nonexistent-dir/c.key", "x.test", &errs), ==, -1);
	g_assert_cmpuint(errs.count, ==, 1);
	g_assert_nonnull(strstr(errs.items[0].message,
	    "key /nonexistent-dir/c.key: create: No such file"));
	sb_errors_clear(&errs);
}

/* A listener with a default pair and two SNI pairs, files relative to tmp_dir. */
struct listener_fixture {
	char *names_a[2];
	char *names_b[1];
	struct sb_sni sni[2];
	struct sb_listener_tls tls;
	struct sb_listener listener;
	struct sb_policy policy;
};

static void
listener_fixture_init(struct listener_fixture *f)
{
	memset(f, 0, sizeof *f);
	f->names_a[0] = (char *)"a.test";
	f->names_a[1] = (char *)"*.wild.test";
	f->names_b[0] = (char *)"b.test";
	f->sni[0] = (struct sb_sni){ f->names_a, 2,
	    { .cert = (char *)"a.pem", .key = (char *)"a.key" } };
	f->sni[1] = (struct sb_sni){ f->names_b, 1,
	    { .cert = (char *)"b.pem", .key = (char *)"b.key" } };
	f->tls.pair.cert = (char *)"default.pem";
	f->tls.pair.key = (char *)"default.key";
	f->tls.sni = f->sni;
	f->tls.n_sni = 2;
	f->listener.name = (char *)"public";
	f->listener.tls = &f->tls;
	f->policy.version = 1;
	f->policy.listeners = &f->listener;
	f->policy.n_listeners = 1;
	f->policy.base_dir = tmp_dir;
}

static struct sbd_tls_ctx *
listener_ctx_keyed(struct listener_fixture *f, struct sbd_tls_tickets *keys)
{
	struct sb_errors errs = SB_ERRORS_INIT;
	struct sbd_tls_ctx *ctx = sbd_tls_ctx_new_listener(&f->policy, &f->listener, keys,
	    "listeners[0]", &errs);

	g_assert_cmpuint(errs.count, ==, 0);
	g_assert_nonnull(ctx);
	return ctx;
}

static struct sbd_tls_ctx *
listener_ctx(struct listener_fixture *f)
{
	return listener_ctx_keyed(f, tickets);
}

static void
check_sni(struct sbd_tls_ctx *ctx, const char *sni, const char *want_cn, const char *want_sni)
{
	struct client c = { .sni = sni };
	char desc[256];
	g_autofree char *want = g_strdup_printf("sni=%s ", want_sni);

	g_assert_cmpint(handshake(ctx, &c, desc, sizeof desc), ==, 0);
	g_assert_cmpint(c.handshake_rc, ==, 0);
	g_assert_cmpint(c.read_rc, ==, 1);
	g_assert_cmpstr(c.cn, ==, want_cn);
	g_assert_nonnull(strstr(desc, want));
	gnutls_free(c.session_data.data);
}

static void
test_sni(void)
{
	struct listener_fixture f;
	struct sbd_tls_ctx *ctx;

	listener_fixture_init(&f);
	ctx = listener_ctx(&f);
	check_sni(ctx, NULL, "localhost", "-");
	check_sni(ctx, "a.test", "a.test", "a.test");
	check_sni(ctx, "B.Test", "b.test", "B.Test");
	check_sni(ctx, "x.wild.test", "a.test", "x.wild.test");
	check_sni(ctx, "y.x.wild.test", "a.test", "y.x.wild.test");
	check_sni(ctx, "wild.test", "localhost", "wild.test");
	check_sni(ctx, "other.test", "localhost", "other.test");
	sbd_tls_ctx_unref(ctx);
}

static void
test_alpn(void)
{
	static const char *const h2_only[] = { "h2", NULL };
	struct listener_fixture f;
	struct sbd_tls_ctx *ctx;
	struct client c = { .sni = "a.test" };
	struct client h2 = { .alpn = h2_only };
	char desc[256];

	listener_fixture_init(&f);
	ctx = listener_ctx(&f);
	g_assert_cmpint(handshake(ctx, &c, desc, sizeof desc), ==, 0);
	g_assert_cmpstr(c.alpn_selected, ==, "http/1.1");
	g_assert_true(g_str_has_prefix(desc, "TLS1.3 "));
	g_assert_true(g_str_has_suffix(desc, " sni=a.test alpn=http/1.1 resumed=no"));
	gnutls_free(c.session_data.data);

	/* A client that wants h2 only gets no ALPN, not h2. */
	g_assert_cmpint(handshake(ctx, &h2, desc, sizeof desc), ==, 0);
	g_assert_cmpstr(h2.alpn_selected, ==, "");
	g_assert_nonnull(strstr(desc, " alpn=- "));
	gnutls_free(h2.session_data.data);
	sbd_tls_ctx_unref(ctx);
}

static void
test_min_version(void)
{
	static const char *const below_12[] = {
		"NORMAL:-VERS-ALL:+VERS-TLS1.0:%VERIFY_ALLOW_SIGN_WITH_SHA1",
		"NORMAL:-VERS-ALL:+VERS-TLS1.1:%VERIFY_ALLOW_SIGN_WITH_SHA1",
	};
	struct listener_fixture f;
	struct sbd_tls_ctx *ctx;
	struct client old = { .priority = TLS12_ONLY };
	struct client again = { .priority = TLS12_ONLY };
	char desc[256];

	listener_fixture_init(&f);
	ctx = listener_ctx(&f);
	g_assert_cmpint(handshake(ctx, &old, desc, sizeof desc), ==, 0);
	g_assert_true(g_str_has_prefix(desc, "TLS1.2 "));
	gnutls_free(old.session_data.data);
	sbd_tls_ctx_unref(ctx);

	f.tls.min_version = (char *)"1.3";
	ctx = listener_ctx(&f);
	g_assert_cmpint(handshake(ctx, &again, desc, sizeof desc), <, 0);
	g_assert_cmpint(again.handshake_rc, <, 0);
	sbd_tls_ctx_unref(ctx);

	/* min_version still applies on top of an own priority string. */
	f.tls.priority = (char *)"NORMAL";
	ctx = listener_ctx(&f);
	memset(&again, 0, sizeof again);
	again.priority = TLS12_ONLY;
	g_assert_cmpint(handshake(ctx, &again, desc, sizeof desc), <, 0);
	sbd_tls_ctx_unref(ctx);

	/* "NORMAL" enables TLS 1.0 and 1.1: the default min_version 1.2 takes them out again. */
	f.tls.min_version = NULL;
	ctx = listener_ctx(&f);
	for (size_t i = 0; i < G_N_ELEMENTS(below_12); i++) {
		struct client old_client = { .priority = below_12[i] };

		g_assert_cmpint(handshake(ctx, &old_client, desc, sizeof desc), <, 0);
		g_assert_cmpint(old_client.handshake_rc, <, 0);
	}
	memset(&again, 0, sizeof again);
	g_assert_cmpint(handshake(ctx, &again, desc, sizeof desc), ==, 0);
	gnutls_free(again.session_data.data);
	sbd_tls_ctx_unref(ctx);
}

static void
check_resumption(const char *priority, const char *version)
{
	struct listener_fixture f;
	struct sbd_tls_ctx *ctx, *reloaded, *other;
	struct sbd_tls_tickets *other_keys;
	struct sb_errors errs = SB_ERRORS_INIT;
	struct client first = { .sni = "b.test", .priority = priority };
	struct client second = { .sni = "b.test", .priority = priority };
	struct client after_reload = { .sni = "b.test", .priority = priority };
	struct client third = { .sni = "b.test", .priority = priority };
	char desc[256];

	listener_fixture_init(&f);
	ctx = listener_ctx(&f);
	g_assert_cmpint(handshake(ctx, &first, desc, sizeof desc), ==, 0);
	g_assert_true(g_str_has_prefix(desc, version));
	g_assert_true(g_str_has_suffix(desc, " resumed=no"));
	g_assert_false(first.resumed);
	g_assert_cmpuint(first.session_data.size, >, 0);

	second.resume = &first.session_data;
	g_assert_cmpint(handshake(ctx, &second, desc, sizeof desc), ==, 0);
	g_assert_true(second.resumed);
	g_assert_true(g_str_has_suffix(desc, " sni=b.test alpn=http/1.1 resumed=yes"));
	g_assert_cmpstr(second.cn, ==, "b.test");

	/* A reload builds a new context with the daemon's key: the ticket still resumes. */
	reloaded = listener_ctx(&f);
	after_reload.resume = &first.session_data;
	g_assert_cmpint(handshake(reloaded, &after_reload, desc, sizeof desc), ==, 0);
	g_assert_true(after_reload.resumed);
	g_assert_true(g_str_has_suffix(desc, " resumed=yes"));

	/* Another master key (a restart): a full handshake. */
	other_keys = sbd_tls_tickets_new(&errs);
	g_assert_nonnull(other_keys);
	other = listener_ctx_keyed(&f, other_keys);
	sbd_tls_tickets_unref(other_keys); /* the context holds its own reference */
	third.resume = &first.session_data;
	g_assert_cmpint(handshake(other, &third, desc, sizeof desc), ==, 0);
	g_assert_false(third.resumed);
	g_assert_true(g_str_has_suffix(desc, " resumed=no"));

	gnutls_free(first.session_data.data);
	gnutls_free(second.session_data.data);
	gnutls_free(third.session_data.data);
	gnutls_free(after_reload.session_data.data);
	sbd_tls_ctx_unref(other);
	sbd_tls_ctx_unref(reloaded);
	sbd_tls_ctx_unref(ctx);
}

static void
test_resumption_tls13(void)
{
	check_resumption(NULL, "TLS1.3 ");
}

static void
test_resumption_tls12(void)
{
	check_resumption(TLS12_ONLY, "TLS1.2 ");
}

static void
check_client_auth(enum sb_client_auth mode, const char *cert, int want_ok)
{
	struct listener_fixture f;
	struct sbd_tls_ctx *ctx;
	g_autofree char *cert_path = cert != NULL ? tmp_path(cert) : NULL;
	g_autofree char *key_name = cert != NULL ? g_strdup(cert) : NULL;
	g_autofree char *key_path = NULL;
	struct client c = { .sni = "a.test" };
	char desc[256];
	int rc;

	if (key_name != NULL) {
		memcpy(strrchr(key_name, '.'), ".key", 4);
		key_path = tmp_path(key_name);
	}
	c.cert = cert_path;
	c.key = key_path;
	listener_fixture_init(&f);
	f.tls.client_auth = mode;
	f.tls.client_ca = (char *)"ca.pem";
	ctx = listener_ctx(&f);
	g_test_message("client_auth %d, client certificate %s", (int)mode,
	    cert != NULL ? cert : "-");
	rc = handshake(ctx, &c, desc, sizeof desc);
	if (want_ok) {
		g_assert_cmpint(rc, ==, 0);
		g_assert_cmpint(c.read_rc, ==, 1);
	} else {
		g_assert_cmpint(rc, <, 0);
		g_assert_cmpint(c.read_rc, <, 0);
	}
	gnutls_free(c.session_data.data);
	sbd_tls_ctx_unref(ctx);
}

static void
test_client_auth(void)
{
	check_client_auth(SB_CLIENT_AUTH_REQUIRE, NULL, FALSE);
	check_client_auth(SB_CLIENT_AUTH_REQUIRE, "client.pem", TRUE);
	check_client_auth(SB_CLIENT_AUTH_REQUIRE, "stranger.pem", FALSE);
	check_client_auth(SB_CLIENT_AUTH_REQUEST, NULL, TRUE);
	check_client_auth(SB_CLIENT_AUTH_REQUEST, "client.pem", TRUE);
	check_client_auth(SB_CLIENT_AUTH_REQUEST, "stranger.pem", FALSE);
}

/* The session keeps its context alive after the caller's last unref. */
static void
test_session_holds_ref(void)
{
	struct listener_fixture f;
	struct sbd_tls_ctx *ctx;
	gnutls_session_t session;
	struct client c = { .sni = "b.test" };
	char desc[256];
	int sv[2], marker = 7;

	listener_fixture_init(&f);
	ctx = listener_ctx(&f);
	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), ==, 0);
	g_assert_cmpint(fcntl(sv[0], F_SETFL, O_NONBLOCK), ==, 0);
	session = sbd_tls_session_new(ctx, sv[0]);
	g_assert_nonnull(session);
	sbd_tls_ctx_unref(ctx);
	sbd_tls_session_set_user(session, &marker);
	g_assert_null(sbd_tls_server_name(session));
	g_assert_cmpint(handshake_on(session, sv[0], sv[1], &c, desc, sizeof desc), ==, 0);
	g_assert_cmpstr(c.cn, ==, "b.test");
	g_assert_cmpstr(sbd_tls_server_name(session), ==, "b.test");
	g_assert_true(sbd_tls_session_get_user(session) == &marker);
	sbd_tls_session_free(session);
	sbd_tls_session_free(NULL);
	sbd_tls_ctx_unref(NULL);
	gnutls_free(c.session_data.data);
	close(sv[0]);
	close(sv[1]);
}

static void
check_listener_error(struct listener_fixture *f, const char *want)
{
	struct sb_errors errs = SB_ERRORS_INIT;

	g_assert_null(sbd_tls_ctx_new_listener(&f->policy, &f->listener, tickets, "listeners[3]",
	    &errs));
	g_assert_cmpuint(errs.count, ==, 1);
	g_assert_cmpstr(errs.items[0].path, ==, "listeners[3]");
	if (strstr(errs.items[0].message, want) == NULL)
		g_error("error \"%s\" does not contain \"%s\"", errs.items[0].message, want);
	sb_errors_clear(&errs);
}

static void
test_errors(void)
{
	struct listener_fixture f;
	g_autofree char *missing = NULL;
	g_autofree char *want = NULL;

	listener_fixture_init(&f);
	f.tls.pair.cert = (char *)"missing.pem";
	missing = tmp_path("missing.pem");
	want = g_strdup_printf("listener public: cert %s: No such file or directory", missing);
	check_listener_error(&f, want);

	listener_fixture_init(&f);
	f.sni[1].pair.key = (char *)"missing.key";
	check_listener_error(&f, "listener public: sni[1]: key ");

	listener_fixture_init(&f);
	f.tls.pair.key = (char *)"a.key";
	check_listener_error(&f, "listener public: cert ");

	listener_fixture_init(&f);
	f.tls.priority = (char *)"NORMAL:+NO-SUCH-THING";
	check_listener_error(&f,
	    "listener public: priority \"NORMAL:+NO-SUCH-THING\": syntax error");

	/* Nothing left once the versions below min_version are gone. */
	listener_fixture_init(&f);
	f.tls.priority = (char *)"NORMAL:-VERS-ALL:+VERS-TLS1.1";
	check_listener_error(&f, "listener public: priority \"NORMAL:-VERS-ALL:+VERS-TLS1.1\" "
	    "enables no TLS version at or above min_version 1.2");

	listener_fixture_init(&f);
	f.tls.priority = (char *)"NORMAL:-VERS-TLS1.3";
	f.tls.min_version = (char *)"1.3";
	check_listener_error(&f, "enables no TLS version at or above min_version 1.3");

	listener_fixture_init(&f);
	f.tls.min_version = (char *)"1.1";
	check_listener_error(&f, "listener public: min_version \"1.1\"");

	listener_fixture_init(&f);
	f.tls.client_auth = SB_CLIENT_AUTH_REQUIRE;
	check_listener_error(&f, "listener public: client_auth needs client_ca");

	listener_fixture_init(&f);
	f.tls.client_auth = SB_CLIENT_AUTH_REQUEST;
	f.tls.client_ca = (char *)"empty.pem";
	check_listener_error(&f, "listener public: client_ca ");

	listener_fixture_init(&f);
	f.listener.tls = NULL;
	check_listener_error(&f, "listener public: not a TLS listener");
}

/* What status shows: each certificate's subject and notAfter, in the policy's order. */
static void
test_cert_info(void)
{
	struct listener_fixture f;
	struct sbd_tls_ctx *ctx;
	const struct sbd_tls_cert_info *info;
	int64_t year = (int64_t)time(NULL) + 365 * 86400;
	static const char *const subjects[] = { "CN=localhost", "CN=a.test", "CN=b.test" };

	listener_fixture_init(&f);
	ctx = listener_ctx(&f);
	g_assert_cmpuint(sbd_tls_ctx_n_certs(ctx), ==, 3);
	for (size_t i = 0; i < 3; i++) {
		info = sbd_tls_ctx_cert(ctx, i);
		g_assert_nonnull(info);
		g_assert_cmpstr(info->subject, ==, subjects[i]);
		/* made a year ahead in main(), moments ago */
		g_assert_cmpint(info->not_after, <=, year);
		g_assert_cmpint(info->not_after, >, year - 3600);
		g_assert_false(info->ocsp);
		g_assert_cmpint(info->ocsp_next_update, ==, 0);
	}
	g_assert_null(sbd_tls_ctx_cert(ctx, 3));
	sbd_tls_ctx_unref(ctx);
}

static void
test_pair(void)
{
	struct listener_fixture f;
	struct sb_cert_pair pair = { .cert = (char *)"b.pem", .key = (char *)"b.key" };
	struct sb_cert_pair bad = { .cert = (char *)"b.pem", .key = (char *)"nope.key" };
	struct sbd_tls_ctx *ctx;
	struct client c = { .sni = "anything.test", .priority = "NORMAL:-VERS-ALL:+VERS-TLS1.2" };
	char desc[256];
	struct sb_errors errs = SB_ERRORS_INIT;

	listener_fixture_init(&f);
	ctx = sbd_tls_ctx_new_pair(&f.policy, &pair, tickets, "route cups", "routes[1].tls",
	    &errs);
	g_assert_cmpuint(errs.count, ==, 0);
	g_assert_nonnull(ctx);
	g_assert_true(sbd_tls_ctx_ref(ctx) == ctx);
	sbd_tls_ctx_unref(ctx);
	g_assert_cmpint(handshake(ctx, &c, desc, sizeof desc), ==, 0);
	g_assert_cmpstr(c.cn, ==, "b.test");
	g_assert_true(g_str_has_prefix(desc, "TLS1.2 "));
	gnutls_free(c.session_data.data);
	sbd_tls_ctx_unref(ctx);

	g_assert_null(sbd_tls_ctx_new_pair(&f.policy, &bad, tickets, "route cups",
	    "routes[1].tls", &errs));
	g_assert_cmpuint(errs.count, ==, 1);
	g_assert_cmpstr(errs.items[0].path, ==, "routes[1].tls");
	g_assert_true(g_str_has_prefix(errs.items[0].message, "route cups: key "));
	sb_errors_clear(&errs);
}

/* The same settings through the policy parser: the model it builds is what the context reads. */
static void
test_policy_json(void)
{
	static const char text[] =
	    "{ \"version\": 1,\n"
	    "  \"listeners\": [ { \"name\": \"public\", \"bind\": \"127.0.0.1:8443\",\n"
	    "    \"tls\": { \"cert\": \"default.pem\", \"key\": \"default.key\",\n"
	    "      \"sni\": [\n"
	    "        { \"names\": [\"a.test\"], \"cert\": \"a.pem\", \"key\": \"a.key\" },\n"
	    "        { \"names\": [\"*.b.test\"], \"cert\": \"b.pem\", \"key\": \"b.key\" } ],\n"
	    "      \"client_auth\": \"require\", \"client_ca\": \"ca.pem\",\n"
	    "      \"min_version\": \"1.3\" } } ],\n"
	    "  \"routes\": [ { \"name\": \"echo\", \"match\": { \"upgrade\": \"websocket\" },\n"
	    "    \"mode\": \"websocket\", \"backend\": \"builtin:echo\" } ] }\n";
	struct sb_errors errs = SB_ERRORS_INIT;
	struct sb_policy *policy;
	struct sbd_tls_ctx *ctx;
	g_autofree char *client_cert = tmp_path("client.pem");
	g_autofree char *client_key = tmp_path("client.key");
	struct client good = { .sni = "x.b.test", .cert = client_cert, .key = client_key };
	struct client anonymous = { .sni = "a.test" };
	struct client old = { .sni = "a.test", .cert = client_cert, .key = client_key,
	    .priority = TLS12_ONLY };
	char desc[256];
	policy = sb_policy_from_string(text, sizeof text - 1, tmp_dir, &errs);
	if (policy == NULL) {
		sb_errors_print(&errs, "policy", stderr);
		g_error("policy refused");
	}
	ctx = sbd_tls_ctx_new_listener(policy, &policy->listeners[0], tickets, "listeners[0]",
	    &errs);
	g_assert_cmpuint(errs.count, ==, 0);
	g_assert_nonnull(ctx);
	g_assert_cmpint(handshake(ctx, &good, desc, sizeof desc), ==, 0);
	g_assert_cmpstr(good.cn, ==, "b.test");
	g_assert_true(g_str_has_prefix(desc, "TLS1.3 "));
	g_assert_cmpint(handshake(ctx, &anonymous, desc, sizeof desc), <, 0);
	g_assert_cmpint(handshake(ctx, &old, desc, sizeof desc), <, 0);
	gnutls_free(good.session_data.data);
	gnutls_free(anonymous.session_data.data);
	gnutls_free(old.session_data.data);
	sbd_tls_ctx_unref(ctx);
	sb_policy_free(policy);
	sb_errors_clear(&errs);
}

static void
make_pair(const char *base, const char *cn)
{
	g_autofree char *cert_name = g_strdup_printf("%s.pem", base);
	g_autofree char *key_name = g_strdup_printf("%s.key", base);
	g_autofree char *cert = tmp_path(cert_name);
	g_autofree char *key = tmp_path(key_name);
	struct sb_errors errs = SB_ERRORS_INIT;

	if (sbd_tls_generate_self_signed(cert, key, cn, &errs) < 0)
		g_error("%s", errs.items[0].message);
}

/*
 * Client certificates and their CAs. When issuer is NULL the certificate
 * signs itself; *crt_out and *key_out, when given, receive it.
 */
static void
make_client_cert(const char *base, const char *cn, gnutls_x509_crt_t issuer,
    gnutls_x509_privkey_t issuer_key, gboolean ca, gnutls_x509_crt_t *crt_out,
    gnutls_x509_privkey_t *key_out)
{
	g_autofree char *cert_name = g_strdup_printf("%s.pem", base);
	g_autofree char *key_name = g_strdup_printf("%s.key", base);
	g_autofree char *cert_path = tmp_path(cert_name);
	g_autofree char *key_path = tmp_path(key_name);
	gnutls_x509_privkey_t key;
	gnutls_x509_crt_t crt;
	gnutls_datum_t pem;
	time_t now = time(NULL);
	unsigned char serial[8] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0 };

	serial[7] = (unsigned char)cn[0];
	g_assert_cmpint(gnutls_x509_privkey_init(&key), ==, 0);
	g_assert_cmpint(gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0), ==, 0);
	g_assert_cmpint(gnutls_x509_crt_init(&crt), ==, 0);
	g_assert_cmpint(gnutls_x509_crt_set_version(crt, 3), ==, 0);
	g_assert_cmpint(gnutls_x509_crt_set_serial(crt, serial, sizeof serial), ==, 0);
	g_assert_cmpint(gnutls_x509_crt_set_activation_time(crt, now - 3600), ==, 0);
	g_assert_cmpint(gnutls_x509_crt_set_expiration_time(crt, now + 86400), ==, 0);
	g_assert_cmpint(gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn,
	    (unsigned)strlen(cn)), ==, 0);
	g_assert_cmpint(gnutls_x509_crt_set_key(crt, key), ==, 0);
	g_assert_cmpint(gnutls_x509_crt_set_basic_constraints(crt, ca ? 1 : 0, -1), ==, 0);
	if (ca) {
		g_assert_cmpint(gnutls_x509_crt_set_key_usage(crt,
		    GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN), ==, 0);
	} else {
		g_assert_cmpint(gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE),
		    ==, 0);
		g_assert_cmpint(gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_CLIENT,
		    0), ==, 0);
	}
	g_assert_cmpint(gnutls_x509_crt_sign2(crt, issuer != NULL ? issuer : crt,
	    issuer_key != NULL ? issuer_key : key, GNUTLS_DIG_SHA256, 0), ==, 0);
	g_assert_cmpint(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &pem), ==, 0);
	g_assert_true(g_file_set_contents(cert_path, (const char *)pem.data, pem.size, NULL));
	gnutls_free(pem.data);
	g_assert_cmpint(gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &pem), ==, 0);
	g_assert_true(g_file_set_contents(key_path, (const char *)pem.data, pem.size, NULL));
	gnutls_free(pem.data);
	if (crt_out != NULL)
		*crt_out = crt;
	else
		gnutls_x509_crt_deinit(crt);
	if (key_out != NULL)
		*key_out = key;
	else
		gnutls_x509_privkey_deinit(key);
}

static void
remove_tmp_dir(void)
{
	GDir *dir = g_dir_open(tmp_dir, 0, NULL);
	const char *name;

	g_assert_nonnull(dir);
	while ((name = g_dir_read_name(dir)) != NULL) {
		g_autofree char *path = tmp_path(name);

		g_assert_cmpint(g_unlink(path), ==, 0);
	}
	g_dir_close(dir);
	g_assert_cmpint(g_rmdir(tmp_dir), ==, 0);
}

int
main(int argc, char **argv)
{
	g_autofree char *default_cert = NULL, *default_key = NULL, *empty = NULL;
	gnutls_x509_crt_t ca_crt;
	gnutls_x509_privkey_t ca_key;
	struct sb_errors errs = SB_ERRORS_INIT;
	int rc;

	g_test_init(&argc, &argv, NULL);
	if (sbd_tls_init(&errs) < 0 || (tickets = sbd_tls_tickets_new(&errs)) == NULL)
		g_error("%s", errs.items[0].message);
	tmp_dir = g_dir_make_tmp("sbd-tls-XXXXXX", NULL);
	g_assert_nonnull(tmp_dir);
	default_cert = tmp_path("default.pem");
	default_key = tmp_path("default.key");
	if (sbd_tls_ensure_self_signed(default_cert, default_key, &errs) < 0)
		g_error("%s", errs.items[0].message);
	make_pair("a", "a.test");
	make_pair("b", "b.test");
	make_client_cert("ca", "Test CA", NULL, NULL, TRUE, &ca_crt, &ca_key);
	make_client_cert("client", "client", ca_crt, ca_key, FALSE, NULL, NULL);
	gnutls_x509_crt_deinit(ca_crt);
	gnutls_x509_privkey_deinit(ca_key);
	/* Same issuer name as the real CA, so that the client does send it. */
	make_client_cert("fake-ca", "Test CA", NULL, NULL, TRUE, &ca_crt, &ca_key);
	make_client_cert("stranger", "stranger", ca_crt, ca_key, FALSE, NULL, NULL);
	gnutls_x509_crt_deinit(ca_crt);
	gnutls_x509_privkey_deinit(ca_key);
	empty = tmp_path("empty.pem");
	g_assert_true(g_file_set_contents(empty, "", 0, NULL));

	g_test_add_func("/tls/self-signed", test_self_signed);
	g_test_add_func("/tls/self-signed-error", test_self_signed_error);
	g_test_add_func("/tls/sni", test_sni);
	g_test_add_func("/tls/alpn", test_alpn);
	g_test_add_func("/tls/min-version", test_min_version);
	g_test_add_func("/tls/resumption-tls13", test_resumption_tls13);
	g_test_add_func("/tls/resumption-tls12", test_resumption_tls12);
	g_test_add_func("/tls/client-auth", test_client_auth);
	g_test_add_func("/tls/session-holds-ref", test_session_holds_ref);
	g_test_add_func("/tls/errors", test_errors);
	g_test_add_func("/tls/pair", test_pair);
	g_test_add_func("/tls/cert-info", test_cert_info);
	g_test_add_func("/tls/policy-json", test_policy_json);
	rc = g_test_run();
	sbd_tls_tickets_unref(tickets);
	remove_tmp_dir();
	g_free(tmp_dir);
	return rc;
}
