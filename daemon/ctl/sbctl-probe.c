/* sbctl-probe.c - switchboardctl probe URL: resolve, connect, TLS, the upgrade request, the
 * answer, the first bytes; every step timed, as text or as one JSON report */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <gnutls/crypto.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sb-alloc.h"
#include "sbctl-probe-private.h"
#include "sbd-upgrade.h"
#include "sbd-ws-handshake.h"

#define DEFAULT_TIMEOUT_MS 5000
/* Bytes of a body or payload shown. */
#define SHOW_MAX 4096

enum {
	OPT_UPGRADE = 0x300,
	OPT_HEADER,
	OPT_INSECURE,
	OPT_SEND,
	OPT_TIMEOUT,
};

double
sbctl_probe_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

json_object *
sbctl_probe_step(struct sbctl_probe *p, const char *name)
{
	json_object *step = json_object_new_object();

	json_object_object_add(step, "step", json_object_new_string(name));
	json_object_array_add(p->steps, step);
	return step;
}

void
sbctl_probe_say(struct sbctl_probe *p, const char *fmt, ...)
{
	va_list ap;
	char *line = NULL, *safe;
	int n;

	if (p->ctx->json)
		return;
	va_start(ap, fmt);
	n = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	/* much of it comes from the peer: never hand it raw to a terminal */
	safe = sbctl_printable(line, (size_t)n);
	puts(safe);
	fflush(stdout);
	free(safe);
	free(line);
}

void
sbctl_probe_fail(struct sbctl_probe *p, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	if (json_object_object_get_ex(p->report, "error", NULL))
		json_object_object_del(p->report, "error");
	json_object_object_add(p->report, "error", json_object_new_string(msg));
	sbctl_probe_say(p, "error     %s", msg);
	free(msg);
}

json_object *
sbctl_probe_peer_text(const void *data, size_t len)
{
	char *s = sbctl_printable(data, len);
	json_object *v = json_object_new_string(s);

	free(s);
	return v;
}

json_object *
sbctl_probe_ms_json(double ms)
{
	char text[32];

	snprintf(text, sizeof text, "%.1f", ms);
	return json_object_new_double_s(strtod(text, NULL), text);
}

void
sbctl_probe_add_ms(json_object *step, double t0)
{
	json_object_object_add(step, "ms", sbctl_probe_ms_json(sbctl_probe_now() - t0));
}

static void
address_text(const struct sockaddr *sa, socklen_t len, char *out, size_t size)
{
	char host[NI_MAXHOST], port[NI_MAXSERV];

	if (getnameinfo(sa, len, host, sizeof host, port, sizeof port,
	    NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		snprintf(out, size, "?");
	else
		snprintf(out, size, sa->sa_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, port);
}

static struct addrinfo *
resolve(struct sbctl_probe *p)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai = NULL;
	json_object *step = sbctl_probe_step(p, "resolve"), *list = json_object_new_array();
	double t0 = sbctl_probe_now();
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	json_object_object_add(step, "host", json_object_new_string(p->url.host));
	json_object_object_add(step, "addresses", list);
	rc = getaddrinfo(p->url.host, p->url.port, &hints, &ai);
	sbctl_probe_add_ms(step, t0);
	if (rc != 0) {
		sbctl_probe_fail(p, "resolve: %s: %s", p->url.host, gai_strerror(rc));
		return NULL;
	}
	f = open_memstream(&text, &len);
	if (f == NULL)
		abort();
	for (struct addrinfo *a = ai; a != NULL; a = a->ai_next) {
		char addr[INET6_ADDRSTRLEN + 16];

		address_text(a->ai_addr, a->ai_addrlen, addr, sizeof addr);
		json_object_array_add(list, json_object_new_string(addr));
		fprintf(f, "%s%s", a == ai ? "" : ", ", addr);
	}
	fclose(f);
	sbctl_probe_say(p, "resolve   %s: %s (%.1f ms)", p->url.host, text, sbctl_probe_now() - t0);
	free(text);
	return ai;
}

/* One non-blocking connect, up to the timeout; -1 with *err set. */
static int
connect_one(struct sbctl_probe *p, const struct addrinfo *a, char **err)
{
	int fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	struct pollfd pfd = { .events = POLLOUT };
	int soerr = 0, n;
	socklen_t slen = sizeof soerr;

	if (fd < 0) {
		*err = sb_xasprintf("socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, a->ai_addr, a->ai_addrlen) < 0 && errno != EINPROGRESS) {
		*err = sb_xstrdup(strerror(errno));
		close(fd);
		return -1;
	}
	pfd.fd = fd;
	do {
		n = poll(&pfd, 1, p->timeout_ms);
	} while (n < 0 && errno == EINTR);
	if (n == 0) {
		*err = sb_xasprintf("no answer within %d ms", p->timeout_ms);
	} else if (n < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &slen) < 0) {
		*err = sb_xasprintf("poll: %s", strerror(errno));
	} else if (soerr != 0) {
		*err = sb_xstrdup(strerror(soerr));
	} else {
		return fd;
	}
	close(fd);
	return -1;
}

static bool
connect_any(struct sbctl_probe *p, const struct addrinfo *ai)
{
	for (const struct addrinfo *a = ai; a != NULL; a = a->ai_next) {
		json_object *step = sbctl_probe_step(p, "connect");
		double t0 = sbctl_probe_now();
		char addr[INET6_ADDRSTRLEN + 16], *err = NULL;

		address_text(a->ai_addr, a->ai_addrlen, addr, sizeof addr);
		json_object_object_add(step, "address", json_object_new_string(addr));
		p->fd = connect_one(p, a, &err);
		sbctl_probe_add_ms(step, t0);
		json_object_object_add(step, "ok", json_object_new_boolean(p->fd >= 0));
		if (p->fd >= 0) {
			sbctl_probe_say(p, "connect   %s (%.1f ms)", addr, sbctl_probe_now() - t0);
			return true;
		}
		json_object_object_add(step, "error", json_object_new_string(err));
		sbctl_probe_say(p, "connect   %s: %s (%.1f ms)", addr, err, sbctl_probe_now() - t0);
		free(err);
	}
	sbctl_probe_fail(p, "connect: no address of %s took the connection", p->url.host);
	return false;
}

void
sbctl_probe_say_block(struct sbctl_probe *p, const uint8_t *data, size_t len)
{
	size_t shown = len < SHOW_MAX ? len : SHOW_MAX;

	for (size_t i = 0; i < shown;) {
		const uint8_t *nl = memchr(data + i, '\n', shown - i);
		size_t n = nl != NULL ? (size_t)(nl - (data + i)) : shown - i;
		char *s = sbctl_printable((const char *)data + i, n);

		sbctl_probe_say(p, "          | %s", s);
		free(s);
		i += n + (nl != NULL);
	}
	if (shown < len)
		sbctl_probe_say(p, "          | ... (%zu more bytes)", len - shown);
}

void
sbctl_probe_consume(struct sbctl_probe *p, size_t n)
{
	memmove(p->in, p->in + n, p->in_len - n);
	p->in_len -= n;
}

/* A refusal's body: by Content-Length, else up to the close or the timeout. */
static void
read_body(struct sbctl_probe *p, const struct sbctl_head *h, json_object *step)
{
	const char *cl = sbctl_head_get(h, "Content-Length");
	double deadline = sbctl_probe_now() + p->timeout_ms;
	size_t want = cl != NULL ? strtoull(cl, NULL, 10) : SIZE_MAX;
	char *err = NULL;

	while (p->in_len < want) {
		enum sbctl_probe_recv r = sbctl_probe_recv(p, deadline, &err);

		if (r != SBCTL_PROBE_RECV_DATA)
			break;
	}
	free(err);
	if (p->in_len > want)
		p->in_len = want;
	json_object_object_add(step, "body", sbctl_probe_peer_text(p->in, p->in_len));
	if (p->in_len > 0) {
		sbctl_probe_say(p, "          body (%zu bytes):", p->in_len);
		sbctl_probe_say_block(p, p->in, p->in_len);
	}
}

/* Sends the request and reads the head of the answer into *h; false after a failure. */
static bool
request(struct sbctl_probe *p, struct sbctl_head *h)
{
	json_object *step = sbctl_probe_step(p, "request"), *headers;
	double t0 = sbctl_probe_now(), deadline = t0 + p->timeout_ms;
	uint8_t nonce[SBD_WS_NONCE_LEN];
	char key_text[SBD_WS_KEY_LEN + 1], *key = NULL, *req, *err = NULL;
	bool ok = false;

	if (p->websocket) {
		if (gnutls_rnd(GNUTLS_RND_NONCE, nonce, sizeof nonce) < 0)
			abort();
		sbd_ws_key_encode(nonce, key_text);
		key = key_text;
	}
	req = sbctl_build_request(&p->url, p->token, key, p->headers, p->n_headers, &err);
	if (req == NULL) {
		sbctl_probe_fail(p, "%s", err);
		goto out;
	}
	json_object_object_add(step, "request", json_object_new_string(req));
	if (!sbctl_probe_send(p, req, strlen(req), deadline, &err)) {
		sbctl_probe_fail(p, "request: %s", err);
		goto out;
	}
	sbctl_probe_add_ms(step, t0);
	for (char *line = req, *end; (end = strstr(line, "\r\n")) != NULL && end > line;
	    line = end + 2)
		sbctl_probe_say(p, "%s%.*s", line == req ? "request   " : "          > ",
		    (int)(end - line), line);

	step = sbctl_probe_step(p, "response");
	t0 = sbctl_probe_now();
	for (;;) {
		enum sbctl_head_parse hp = sbctl_head_parse((char *)p->in, p->in_len, h);
		enum sbctl_probe_recv r;

		if (hp == SBCTL_HEAD_OK)
			break;
		if (hp == SBCTL_HEAD_INVALID) {
			json_object_object_add(step, "data",
			    sbctl_probe_peer_text(p->in, p->in_len));
			sbctl_probe_fail(p, "response: not an HTTP/1.x answer:");
			sbctl_probe_say_block(p, p->in, p->in_len);
			goto out;
		}
		r = sbctl_probe_recv(p, deadline, &err);
		if (r == SBCTL_PROBE_RECV_DATA)
			continue;
		if (r == SBCTL_PROBE_RECV_ERROR)
			sbctl_probe_fail(p, "response: %s", err);
		else if (r == SBCTL_PROBE_RECV_TIMEOUT)
			sbctl_probe_fail(p, "response: no answer within %d ms", p->timeout_ms);
		else if (r == SBCTL_PROBE_RECV_EOF)
			sbctl_probe_fail(p, "response: the server closed the connection "
			    "without an answer");
		else
			sbctl_probe_fail(p, "response: a head over %zu bytes", SBCTL_PROBE_IN_MAX);
		if (p->in_len > 0)
			sbctl_probe_say_block(p, p->in, p->in_len);
		goto out;
	}
	sbctl_probe_add_ms(step, t0);
	json_object_object_add(step, "status", json_object_new_int(h->status));
	json_object_object_add(step, "status_line", sbctl_probe_peer_text(h->status_line,
	    strlen(h->status_line)));
	headers = json_object_new_array();
	for (size_t i = 0; i < h->n_headers; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", sbctl_probe_peer_text(h->headers[i].name,
		    strlen(h->headers[i].name)));
		json_object_object_add(o, "value", sbctl_probe_peer_text(h->headers[i].value,
		    strlen(h->headers[i].value)));
		json_object_array_add(headers, o);
	}
	json_object_object_add(step, "headers", headers);
	sbctl_probe_say(p, "response  %s (%.1f ms)", h->status_line, sbctl_probe_now() - t0);
	for (size_t i = 0; i < h->n_headers; i++)
		sbctl_probe_say(p, "          < %s: %s", h->headers[i].name, h->headers[i].value);
	sbctl_probe_consume(p, h->len);
	ok = true;
	if (h->status != 101) {
		read_body(p, h, step);
		sbctl_probe_fail(p, "not upgraded: %s", h->status_line);
		ok = false;
	} else if (p->websocket) {
		char want[SBD_WS_ACCEPT_LEN + 1];
		const char *got = sbctl_head_get(h, "Sec-WebSocket-Accept");
		const char *upgrade = sbctl_head_get(h, "Upgrade");

		if (!sbd_ws_accept(key, want))
			abort(); /* SHA-1 is always there; failing here is a broken library */
		json_object_object_add(step, "accept_ok", json_object_new_boolean(
		    got != NULL && strcmp(got, want) == 0));
		if (got == NULL || strcmp(got, want) != 0) {
			sbctl_probe_fail(p, "Sec-WebSocket-Accept: got %s, want %s",
			    got ? got : "nothing", want);
			ok = false;
		} else if (upgrade == NULL || !sbd_header_has_token(upgrade, "websocket")) {
			sbctl_probe_fail(p, "a 101 without Upgrade: websocket");
			ok = false;
		} else {
			sbctl_probe_say(p, "          Sec-WebSocket-Accept matches the key");
		}
	} else {
		const char *upgrade = sbctl_head_get(h, "Upgrade");

		if (upgrade == NULL || !sbd_header_has_token(upgrade, p->token))
			sbctl_probe_say(p, "          note: the 101's Upgrade header does not "
			    "name %s", p->token);
	}
out:
	free(err);
	free(req);
	return ok;
}

static enum sbctl_exit
run(struct sbctl_probe *p)
{
	struct sbctl_head head = { 0 };
	struct addrinfo *ai;
	char *err = NULL;
	bool upgraded;

	if (sbctl_url_parse(p->url_text, &p->url, &err) < 0) {
		sbctl_probe_fail(p, "%s", err);
		free(err);
		return SBCTL_EXIT_REFUSED;
	}
	p->websocket = strcasecmp(p->token, "websocket") == 0;
	sbctl_probe_say(p, "probe     %s (upgrade %s, timeout %d ms)", p->url_text, p->token,
	    p->timeout_ms);
	ai = resolve(p);
	if (ai == NULL)
		return SBCTL_EXIT_UNREACHABLE;
	if (!connect_any(p, ai)) {
		freeaddrinfo(ai);
		return SBCTL_EXIT_UNREACHABLE;
	}
	freeaddrinfo(ai);
	if (p->url.tls && sbctl_probe_tls(p, sbctl_probe_now() + p->timeout_ms) != SBCTL_EXIT_OK) {
		sbctl_probe_finish(p, false);
		return SBCTL_EXIT_UNREACHABLE;
	}
	upgraded = request(p, &head);
	json_object_object_add(p->report, "upgraded", json_object_new_boolean(upgraded));
	if (upgraded) {
		sbctl_probe_exchange(p);
		sbctl_probe_say(p, "result    upgraded (%s)", p->token);
	}
	sbctl_probe_finish(p, upgraded);
	sbctl_head_clear(&head);
	return upgraded ? SBCTL_EXIT_OK : SBCTL_EXIT_REFUSED;
}

static bool
on_option(void *data, int opt, const char *arg)
{
	struct sbctl_probe *p = data;
	char *end;
	double s;

	switch (opt) {
	case OPT_UPGRADE:
		if (arg[0] == '\0') {
			sbctl_warn("probe: --upgrade: the token must not be empty");
			return false;
		}
		p->token = arg;
		return true;
	case OPT_HEADER:
		p->headers = sb_xrealloc(p->headers, (p->n_headers + 1) * sizeof *p->headers);
		p->headers[p->n_headers++] = (char *)arg;
		return true;
	case OPT_INSECURE:
		p->insecure = true;
		return true;
	case OPT_SEND:
		p->send = arg;
		return true;
	case OPT_TIMEOUT:
		errno = 0;
		s = strtod(arg, &end);
		if (errno != 0 || end == arg || *end != '\0' || !(s > 0) || s > 3600) {
			sbctl_warn("probe: --timeout: seconds, more than 0 and at most 3600: %s",
			    arg);
			return false;
		}
		p->timeout_ms = (int)ceil(s * 1000);
		return true;
	}
	return false;
}

enum sbctl_exit
sbctl_cmd_probe(struct sbctl_ctx *ctx, int argc, char **argv)
{
	static const struct option options[] = {
		{ "upgrade", required_argument, NULL, OPT_UPGRADE },
		{ "header", required_argument, NULL, OPT_HEADER },
		{ "insecure", no_argument, NULL, OPT_INSECURE },
		{ "send", required_argument, NULL, OPT_SEND },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ NULL, 0, NULL, 0 },
	};
	struct sbctl_probe p = {
		.ctx = ctx, .token = "websocket", .timeout_ms = DEFAULT_TIMEOUT_MS, .fd = -1,
	};
	enum sbctl_exit rc = SBCTL_EXIT_REFUSED;

	if (!sbctl_parse_options(ctx, argc, argv, options, on_option, &p)) {
		rc = sbctl_options_exit(ctx);
		goto out;
	}
	if (argc - optind != 1) {
		sbctl_warn("usage: switchboardctl probe URL [--upgrade TOKEN] [--header 'K: V']... "
		    "[--insecure] [--send TEXT] [--timeout S]");
		goto out;
	}
	p.url_text = argv[optind];
	p.report = json_object_new_object();
	p.steps = json_object_new_array();
	json_object_object_add(p.report, "url", json_object_new_string(p.url_text));
	json_object_object_add(p.report, "upgrade", json_object_new_string(p.token));
	json_object_object_add(p.report, "steps", p.steps);
	rc = run(&p);
	if (!json_object_object_get_ex(p.report, "upgraded", NULL))
		json_object_object_add(p.report, "upgraded", json_object_new_boolean(false));
	json_object_object_add(p.report, "exit", json_object_new_int(rc));
	if (ctx->json)
		sbctl_print_json(p.report);
out:
	sbctl_probe_finish(&p, false);
	sbctl_probe_tls_close(&p);
	sbctl_url_clear(&p.url);
	json_object_put(p.report);
	free(p.headers);
	free(p.in);
	return rc;
}
