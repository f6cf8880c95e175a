/* sbd-tls.c - GnuTLS server contexts (credentials, SNI, ALPN, mTLS, tickets); self-signed certs */
#include "sbd-tls-private.h"
#include "sbd-tls-hello.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sb-alloc.h"
#include "sb-log.h"

#define TLS_MIN_GNUTLS      "3.7.0"
/*
 * X25519 first, and the client's order rather than ours: a client sends a key
 * share for its first group only, and a server that prefers another one
 * answers with a HelloRetryRequest, a round trip more on every handshake
 * (OpenSSL and Chrome share X25519; GnuTLS clients P-256).
 */
#define TLS_PRIO_BASE       "NORMAL:-VERS-ALL:+VERS-TLS1.3:-GROUP-ALL:+GROUP-X25519:" \
                            "+GROUP-SECP256R1:+GROUP-SECP384R1:+GROUP-SECP521R1:+GROUP-X448:" \
                            "+GROUP-FFDHE2048:+GROUP-FFDHE3072:+GROUP-FFDHE4096"
/* Appended to every priority string, ours or the policy's, so none re-enables them. */
#define TLS_PRIO_BELOW_12   ":-VERS-TLS1.1:-VERS-TLS1.0:-VERS-SSL3.0:-VERS-DTLS-ALL"
#define TLS_PRIO_BELOW_13   ":-VERS-TLS1.2" TLS_PRIO_BELOW_12
#define TLS_SERVER_NAME_MAX 256

struct sni_name {
	char *name;       /* exact name, or the suffix with its dot (".example.org") */
	bool wildcard;
	size_t cred;      /* index into creds */
};

struct sbd_tls_ctx {
	atomic_uint refs;
	char *what;                            /* "listener public", for logs */
	gnutls_certificate_credentials_t *creds; /* [0]: the default pair */
	struct sbd_tls_cert_info *infos;         /* one per creds */
	size_t n_creds;
	struct sni_name *names;
	size_t n_names;
	gnutls_priority_t priority;
	/*
	 * The same with X25519 its only group, for a client that sent an X25519
	 * key share: NULL when priority has no X25519 or no TLS 1.3.
	 */
	gnutls_priority_t priority_x25519;
	enum sb_client_auth client_auth;
	struct sbd_tls_tickets *tickets;
};

struct sbd_tls_tickets {
	atomic_uint refs;
	gnutls_datum_t key;
};

/* What a session carries in its gnutls_session_set_ptr() slot. */
struct session_data {
	struct sbd_tls_ctx *ctx;
	void *user;
	char *server_name; /* the client's SNI when it is a host name, at its length; or NULL */
};

static const gnutls_datum_t alpn_http11 = { (unsigned char *)"http/1.1", 8 };

/* A GnuTLS message without its final period, space or newline, for "%.*s". */
int
sbd_tls_msg_len(const char *msg)
{
	size_t n = strlen(msg);

	while (n > 0 && (msg[n - 1] == '.' || msg[n - 1] == ' ' || msg[n - 1] == '\n'))
		n--;
	return (int)n;
}

static void
on_audit_log(gnutls_session_t session, const char *msg)
{
	sb_debug("gnutls audit: %.*s", sbd_tls_msg_len(msg), msg);
}

int
sbd_tls_init(struct sb_errors *errs)
{
	if (gnutls_check_version(TLS_MIN_GNUTLS) == NULL) {
		sb_errors_add(errs, "", "gnutls %s is older than %s", gnutls_check_version(NULL),
		    TLS_MIN_GNUTLS);
		return -1;
	}
	gnutls_global_set_audit_log_function(on_audit_log);
	return 0;
}

struct sbd_tls_tickets *
sbd_tls_tickets_new(struct sb_errors *errs)
{
	struct sbd_tls_tickets *t = sb_xcalloc(1, sizeof *t);
	int rc = gnutls_session_ticket_key_generate(&t->key);

	if (rc < 0) {
		sb_errors_add(errs, "", "session ticket key: %.*s", sbd_tls_msg_len(gnutls_strerror(rc)),
		    gnutls_strerror(rc));
		free(t);
		return NULL;
	}
	atomic_init(&t->refs, 1);
	return t;
}

struct sbd_tls_tickets *
sbd_tls_tickets_ref(struct sbd_tls_tickets *t)
{
	atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
	return t;
}

void
sbd_tls_tickets_unref(struct sbd_tls_tickets *t)
{
	if (t == NULL || atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) != 1)
		return;
	gnutls_memset(t->key.data, 0, t->key.size);
	gnutls_free(t->key.data);
	free(t);
}

static void
ctx_free(struct sbd_tls_ctx *ctx)
{
	for (size_t i = 0; i < ctx->n_creds; i++) {
		if (ctx->creds[i] != NULL)
			gnutls_certificate_free_credentials(ctx->creds[i]);
	}
	free(ctx->creds);
	free(ctx->infos);
	for (size_t i = 0; i < ctx->n_names; i++)
		free(ctx->names[i].name);
	free(ctx->names);
	if (ctx->priority != NULL)
		gnutls_priority_deinit(ctx->priority);
	if (ctx->priority_x25519 != NULL)
		gnutls_priority_deinit(ctx->priority_x25519);
	sbd_tls_tickets_unref(ctx->tickets);
	free(ctx->what);
	free(ctx);
}

/* Whether a priority leaves some protocol version to negotiate. */
static bool
has_protocol(gnutls_priority_t priority)
{
	const unsigned *list = NULL;

	return gnutls_priority_protocol_list(priority, &list) > 0 && list != NULL;
}

static bool
list_has(const unsigned *list, int n, unsigned what)
{
	for (int i = 0; i < n; i++) {
		if (list[i] == what)
			return true;
	}
	return false;
}

/*
 * The priority prio with X25519 as its only group, when prio (already
 * initialised as priority) enables X25519 and TLS 1.3; else NULL.
 */
static gnutls_priority_t
x25519_variant(gnutls_priority_t priority, const char *prio)
{
	const unsigned *groups = NULL, *versions = NULL;
	int n_groups = gnutls_priority_group_list(priority, &groups);
	int n_versions = gnutls_priority_protocol_list(priority, &versions);
	gnutls_priority_t only = NULL;
	char *s;

	if (!list_has(groups, n_groups, GNUTLS_GROUP_X25519) ||
	    !list_has(versions, n_versions, GNUTLS_TLS1_3))
		return NULL;
	s = sb_xasprintf("%s:-GROUP-ALL:+GROUP-X25519", prio);
	if (gnutls_priority_init(&only, s, NULL) < 0)
		only = NULL;
	free(s);
	return only;
}

/* Allocates ctx with room for n_creds credentials, the priority and a hold on tickets. */
static struct sbd_tls_ctx *
ctx_alloc(const char *what, size_t n_creds, const char *min_version, const char *priority,
    struct sbd_tls_tickets *tickets, const char *path, struct sb_errors *errs)
{
	struct sbd_tls_ctx *ctx = sb_xcalloc(1, sizeof *ctx);
	const char *errpos = NULL;
	char *prio = NULL;
	bool tls13_only = false;
	int rc;

	atomic_init(&ctx->refs, 1);
	ctx->what = sb_xstrdup(what);
	ctx->creds = sb_xcalloc(n_creds, sizeof *ctx->creds);
	ctx->infos = sb_xcalloc(n_creds, sizeof *ctx->infos);
	ctx->n_creds = n_creds;
	ctx->tickets = sbd_tls_tickets_ref(tickets);
	if (min_version != NULL && strcmp(min_version, "1.3") == 0) {
		tls13_only = true;
	} else if (min_version != NULL && strcmp(min_version, "1.2") != 0) {
		sb_errors_add(errs, path, "%s: min_version \"%s\": must be \"1.2\" or \"1.3\"", what,
		    min_version);
		goto err;
	}
	/*
	 * A policy's own string may name versions of its own ("NORMAL" enables
	 * TLS 1.0 and 1.1): what min_version excludes is removed after it.
	 */
	prio = sb_xasprintf("%s%s", priority != NULL ? priority : TLS_PRIO_BASE ":+VERS-TLS1.2",
	    tls13_only ? TLS_PRIO_BELOW_13 : TLS_PRIO_BELOW_12);
	rc = gnutls_priority_init(&ctx->priority, prio, &errpos);
	if (rc < 0)
		ctx->priority = NULL;
	if (rc == GNUTLS_E_NO_PRIORITIES_WERE_SET || (rc == 0 && !has_protocol(ctx->priority))) {
		sb_errors_add(errs, path, "%s: priority \"%s\" enables no TLS version at or above "
		    "min_version %s", what, priority != NULL ? priority : prio,
		    tls13_only ? "1.3" : "1.2");
		goto err;
	}
	if (rc < 0) {
		if (rc == GNUTLS_E_INVALID_REQUEST && errpos != NULL)
			sb_errors_add(errs, path, "%s: priority \"%s\": syntax error at \"%s\"", what,
			    priority != NULL ? priority : prio, errpos);
		else
			sb_errors_add(errs, path, "%s: priority \"%s\": %.*s", what,
			    priority != NULL ? priority : prio, sbd_tls_msg_len(gnutls_strerror(rc)),
			    gnutls_strerror(rc));
		goto err;
	}
	ctx->priority_x25519 = x25519_variant(ctx->priority, prio);
	free(prio);
	return ctx;
err:
	free(prio);
	ctx_free(ctx);
	return NULL;
}

static int
add_sni_names(struct sbd_tls_ctx *ctx, const struct sb_sni *sni, size_t index, const char *path,
    struct sb_errors *errs)
{
	for (size_t i = 0; i < sni->n_names; i++) {
		const char *name = sni->names[i];
		bool wildcard = strncmp(name, "*.", 2) == 0;
		struct sni_name *n;

		if (name[wildcard ? 2 : 0] == '\0') {
			sb_errors_add(errs, path, "%s: sni[%zu].names[%zu]: empty name", ctx->what,
			    index - 1, i);
			return -1;
		}
		ctx->names = sb_xrealloc(ctx->names, (ctx->n_names + 1) * sizeof *ctx->names);
		n = &ctx->names[ctx->n_names++];
		n->name = sb_xstrdup(wildcard ? name + 1 : name);
		n->wildcard = wildcard;
		n->cred = index;
	}
	return 0;
}

struct sbd_tls_ctx *
sbd_tls_ctx_new_listener(const struct sb_policy *policy, const struct sb_listener *listener,
    struct sbd_tls_tickets *tickets, const char *path, struct sb_errors *errs)
{
	const struct sb_listener_tls *tls = listener->tls;
	struct sbd_tls_ctx *ctx = NULL;
	const char *client_ca = NULL;
	char *what = sb_xasprintf("listener %s", listener->name);

	if (tls == NULL) {
		sb_errors_add(errs, path, "%s: not a TLS listener", what);
		goto err;
	}
	if (tls->client_auth != SB_CLIENT_AUTH_NONE) {
		if (tls->client_ca == NULL) {
			sb_errors_add(errs, path, "%s: client_auth needs client_ca", what);
			goto err;
		}
		client_ca = tls->client_ca;
	}
	ctx = ctx_alloc(what, 1 + tls->n_sni, tls->min_version, tls->priority, tickets, path,
	    errs);
	if (ctx == NULL)
		goto err;
	ctx->client_auth = tls->client_auth;
	ctx->creds[0] = sbd_tls_pair_load(policy, &tls->pair, client_ca, what, path,
	    &ctx->infos[0], errs);
	if (ctx->creds[0] == NULL)
		goto err;
	for (size_t i = 0; i < tls->n_sni; i++) {
		char *sni_what = sb_xasprintf("%s: sni[%zu]", what, i);

		ctx->creds[i + 1] = sbd_tls_pair_load(policy, &tls->sni[i].pair, client_ca, sni_what,
		    path, &ctx->infos[i + 1], errs);
		free(sni_what);
		if (ctx->creds[i + 1] == NULL || add_sni_names(ctx, &tls->sni[i], i + 1, path, errs) < 0)
			goto err;
	}
	sb_debug("%s: tls ready: %zu certificate(s), %zu sni name(s), min_version %s%s", what,
	    ctx->n_creds, ctx->n_names, tls->min_version != NULL ? tls->min_version : "1.2",
	    tls->priority != NULL ? ", own priority" : "");
	free(what);
	return ctx;
err:
	if (ctx != NULL)
		ctx_free(ctx);
	free(what);
	return NULL;
}

struct sbd_tls_ctx *
sbd_tls_ctx_new_pair(const struct sb_policy *policy, const struct sb_cert_pair *pair,
    struct sbd_tls_tickets *tickets, const char *what, const char *path, struct sb_errors *errs)
{
	struct sbd_tls_ctx *ctx = ctx_alloc(what, 1, NULL, NULL, tickets, path, errs);

	if (ctx == NULL)
		return NULL;
	ctx->creds[0] = sbd_tls_pair_load(policy, pair, NULL, what, path, &ctx->infos[0], errs);
	if (ctx->creds[0] == NULL) {
		ctx_free(ctx);
		return NULL;
	}
	return ctx;
}

size_t
sbd_tls_ctx_n_certs(const struct sbd_tls_ctx *ctx)
{
	return ctx->n_creds;
}

const struct sbd_tls_cert_info *
sbd_tls_ctx_cert(const struct sbd_tls_ctx *ctx, size_t i)
{
	return i < ctx->n_creds ? &ctx->infos[i] : NULL;
}

struct sbd_tls_ctx *
sbd_tls_ctx_ref(struct sbd_tls_ctx *ctx)
{
	atomic_fetch_add_explicit(&ctx->refs, 1, memory_order_relaxed);
	return ctx;
}

void
sbd_tls_ctx_unref(struct sbd_tls_ctx *ctx)
{
	if (ctx != NULL && atomic_fetch_sub_explicit(&ctx->refs, 1, memory_order_acq_rel) == 1)
		ctx_free(ctx);
}

static bool
is_host_name(const char *name, size_t len)
{
	if (len == 0 || strlen(name) != len)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '-' || c == '_'))
			return false;
	}
	return true;
}

/* Index into ctx->creds: an exact name, else the longest matching wildcard, else 0. */
static size_t
pick_cred(const struct sbd_tls_ctx *ctx, const char *name)
{
	size_t len = strlen(name), best = 0, best_len = 0;

	for (size_t i = 0; i < ctx->n_names; i++) {
		const struct sni_name *n = &ctx->names[i];
		size_t n_len = strlen(n->name);

		if (!n->wildcard) {
			if (strcasecmp(n->name, name) == 0)
				return n->cred;
		} else if (len > n_len && n_len > best_len &&
		    strcasecmp(name + len - n_len, n->name) == 0) {
			best = n->cred;
			best_len = n_len;
		}
	}
	return best;
}

static int
on_client_hello(gnutls_session_t session)
{
	struct session_data *data = gnutls_session_get_ptr(session);
	char name[TLS_SERVER_NAME_MAX];
	size_t len = sizeof name, cred = 0;
	unsigned type = 0;
	int rc;

	free(data->server_name);
	data->server_name = NULL;
	rc = gnutls_server_name_get(session, name, &len, &type, 0);
	if (rc == 0 && type == GNUTLS_NAME_DNS && len < sizeof name && is_host_name(name, len)) {
		data->server_name = sb_xstrndup(name, len);
		cred = pick_cred(data->ctx, data->server_name);
	}
	rc = gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE, data->ctx->creds[cred]);
	if (rc < 0) {
		sb_warn("%s: credentials: %.*s", data->ctx->what, sbd_tls_msg_len(gnutls_strerror(rc)),
		    gnutls_strerror(rc));
		return rc;
	}
	return 0;
}

/*
 * Before GnuTLS reads a ClientHello: a client that sent a key share for
 * X25519 gets X25519, whatever its order says. Both are safe; X25519 costs
 * nettle about 45 us less per handshake than P-256 (gnutls-cli
 * --benchmark-tls-kx), and only a group the client shared is picked, so
 * this never asks for a HelloRetryRequest. Browsers and OpenSSL list X25519
 * first anyway; GnuTLS clients list P-256 first and share both.
 */
static int
on_hello_arrives(gnutls_session_t session, unsigned htype, unsigned when, unsigned incoming,
    const gnutls_datum_t *msg)
{
	struct session_data *data = gnutls_session_get_ptr(session);
	gnutls_priority_t only = data->ctx->priority_x25519;

	(void)when;
	if (!incoming || htype != GNUTLS_HANDSHAKE_CLIENT_HELLO || only == NULL)
		return 0;
	if (sbd_tls_hello_shares(msg->data, msg->size, SBD_GROUP_X25519) == 1)
		return gnutls_priority_set(session, only);
	return 0;
}

/*
 * Client certificates, during the handshake. Not gnutls_session_set_verify_cert():
 * that one also fails a client that sends none, which "request" allows.
 */
static int
on_verify_peer(gnutls_session_t session)
{
	struct session_data *data = gnutls_session_get_ptr(session);
	gnutls_typed_vdata_st purpose = {
		GNUTLS_DT_KEY_PURPOSE_OID, (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT, 0
	};
	gnutls_datum_t why = { NULL, 0 };
	unsigned n_certs = 0, status = 0;
	int rc;

	if (gnutls_certificate_get_peers(session, &n_certs) == NULL || n_certs == 0)
		return data->ctx->client_auth == SB_CLIENT_AUTH_REQUIRE ?
		    GNUTLS_E_NO_CERTIFICATE_FOUND : 0;
	rc = gnutls_certificate_verify_peers(session, &purpose, 1, &status);
	if (rc < 0)
		return rc;
	if (status == 0)
		return 0;
	if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &why, 0) == 0)
		sb_info("%s: client certificate refused: %.*s", data->ctx->what,
		    sbd_tls_msg_len((const char *)why.data), (const char *)why.data);
	gnutls_free(why.data);
	return GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR;
}

gnutls_session_t
sbd_tls_session_new(struct sbd_tls_ctx *ctx, int fd)
{
	gnutls_session_t session = NULL;
	struct session_data *data;
	const char *step = "init";
	int rc;

	rc = gnutls_init(&session, GNUTLS_SERVER | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL);
	if (rc < 0) {
		session = NULL;
		goto err;
	}
	data = sb_xcalloc(1, sizeof *data);
	data->ctx = sbd_tls_ctx_ref(ctx);
	gnutls_session_set_ptr(session, data);
	step = "priority";
	if ((rc = gnutls_priority_set(session, ctx->priority)) < 0)
		goto err;
	step = "credentials";
	if ((rc = gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE, ctx->creds[0])) < 0)
		goto err;
	gnutls_handshake_set_post_client_hello_function(session, on_client_hello);
	gnutls_handshake_set_hook_function(session, GNUTLS_HANDSHAKE_CLIENT_HELLO, GNUTLS_HOOK_PRE,
	    on_hello_arrives);
	step = "alpn";
	rc = gnutls_alpn_set_protocols(session, &alpn_http11, 1, GNUTLS_ALPN_SERVER_PRECEDENCE);
	if (rc < 0)
		goto err;
	step = "session tickets";
	if ((rc = gnutls_session_ticket_enable_server(session, &ctx->tickets->key)) < 0)
		goto err;
	gnutls_db_set_cache_expiration(session, SBD_TLS_TICKET_ROTATE_S);
	if (ctx->client_auth != SB_CLIENT_AUTH_NONE) {
		gnutls_certificate_server_set_request(session,
		    ctx->client_auth == SB_CLIENT_AUTH_REQUIRE ? GNUTLS_CERT_REQUIRE :
		    GNUTLS_CERT_REQUEST);
		gnutls_session_set_verify_function(session, on_verify_peer);
	}
	gnutls_handshake_set_timeout(session, 0);
	gnutls_transport_set_int(session, fd);
	return session;
err:
	sb_warn("%s: tls session %s: %.*s", ctx->what, step, sbd_tls_msg_len(gnutls_strerror(rc)),
	    gnutls_strerror(rc));
	sbd_tls_session_free(session);
	return NULL;
}

void
sbd_tls_session_free(gnutls_session_t session)
{
	struct session_data *data;

	if (session == NULL)
		return;
	data = gnutls_session_get_ptr(session);
	gnutls_deinit(session);
	if (data != NULL) {
		sbd_tls_ctx_unref(data->ctx);
		free(data->server_name);
		free(data);
	}
}

void
sbd_tls_session_set_user(gnutls_session_t session, void *user)
{
	struct session_data *data = gnutls_session_get_ptr(session);

	data->user = user;
}

void *
sbd_tls_session_get_user(gnutls_session_t session)
{
	struct session_data *data = gnutls_session_get_ptr(session);

	return data->user;
}

const char *
sbd_tls_server_name(gnutls_session_t session)
{
	struct session_data *data = gnutls_session_get_ptr(session);

	return data != NULL ? data->server_name : NULL;
}

void
sbd_tls_facts(gnutls_session_t session, struct sbd_tls_facts *out)
{
	const char *version = gnutls_protocol_get_name(gnutls_protocol_get_version(session));
	const char *cipher = gnutls_cipher_get_name(gnutls_cipher_get(session));
	const char *sni = sbd_tls_server_name(session);
	gnutls_datum_t alpn = { NULL, 0 };

	snprintf(out->version, sizeof out->version, "%s", version != NULL ? version : "");
	snprintf(out->cipher, sizeof out->cipher, "%s", cipher != NULL ? cipher : "");
	snprintf(out->sni, sizeof out->sni, "%s", sni != NULL ? sni : "");
	if (gnutls_alpn_get_selected_protocol(session, &alpn) == 0 && alpn.size > 0 &&
	    alpn.size < sizeof out->alpn)
		snprintf(out->alpn, sizeof out->alpn, "%.*s", (int)alpn.size, (const char *)alpn.data);
	else
		out->alpn[0] = '\0';
}

void
sbd_tls_describe(gnutls_session_t session, char *out, size_t outlen)
{
	const char *version = gnutls_protocol_get_name(gnutls_protocol_get_version(session));
	const char *cipher = gnutls_cipher_get_name(gnutls_cipher_get(session));
	const char *sni = sbd_tls_server_name(session);
	gnutls_datum_t alpn = { NULL, 0 };
	bool has_alpn = gnutls_alpn_get_selected_protocol(session, &alpn) == 0 && alpn.size > 0;

	if (outlen == 0)
		return;
	snprintf(out, outlen, "%s %s sni=%s alpn=%.*s resumed=%s",
	    version != NULL ? version : "unknown", cipher != NULL ? cipher : "unknown",
	    sni != NULL ? sni : "-", has_alpn ? (int)alpn.size : 1,
	    has_alpn ? (const char *)alpn.data : "-",
	    gnutls_session_is_resumed(session) ? "yes" : "no");
}
