/* sbctl-http.c - what probe speaks, as pure functions: URLs, the upgrade request, the answer's
 * head (the WebSocket handshake and frames are proto/'s) */
#include "sbctl-http.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sb-alloc.h"
#include "sb-config.h"

static const struct {
	const char *scheme;
	bool tls;
	const char *port;
} schemes[] = {
	{ "ws", false, "80" },
	{ "wss", true, "443" },
	{ "http", false, "80" },
	{ "https", true, "443" },
};

/* Printable ASCII but space: what may sit in a URL or a request target unescaped. */
static bool
is_url_text(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	}
	return true;
}

static bool
parse_port(const char *s, size_t n)
{
	unsigned long v = 0;

	if (n == 0 || n > 5)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	return v >= 1 && v <= 65535;
}

int
sbctl_url_parse(const char *text, struct sbctl_url *out, char **err)
{
	const char *sep = strstr(text, "://"), *auth, *auth_end, *host, *host_end, *port = NULL;
	size_t scheme_len, port_len = 0, target_len;
	char addr[16];
	size_t i;

	memset(out, 0, sizeof *out);
	if (sep == NULL) {
		*err = sb_xasprintf("%s: not a URL (ws://, wss://, http:// or https://)", text);
		return -1;
	}
	scheme_len = (size_t)(sep - text);
	for (i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
		if (strlen(schemes[i].scheme) == scheme_len &&
		    strncasecmp(text, schemes[i].scheme, scheme_len) == 0)
			break;
	}
	if (i == sizeof schemes / sizeof schemes[0]) {
		*err = sb_xasprintf("%s: the scheme must be ws, wss, http or https", text);
		return -1;
	}
	auth = sep + 3;
	auth_end = auth + strcspn(auth, "/?#");
	target_len = strcspn(auth_end, "#"); /* a fragment is never sent */
	if (!is_url_text(auth, (size_t)(auth_end - auth)) || !is_url_text(auth_end, target_len)) {
		*err = sb_xasprintf("%s: spaces and control characters must be %%-escaped", text);
		return -1;
	}
	if (memchr(auth, '@', (size_t)(auth_end - auth)) != NULL) {
		*err = sb_xasprintf("%s: user names and passwords in URLs are not supported", text);
		return -1;
	}
	if (*auth == '[') {
		host = auth + 1;
		host_end = memchr(host, ']', (size_t)(auth_end - host));
		if (host_end == NULL || (host_end + 1 < auth_end && host_end[1] != ':')) {
			*err = sb_xasprintf("%s: a bracketed IPv6 address must end with ]", text);
			return -1;
		}
		if (host_end + 1 < auth_end)
			port = host_end + 2;
		out->host_is_ip = true;
	} else {
		host = auth;
		host_end = memchr(auth, ':', (size_t)(auth_end - auth));
		if (host_end != NULL)
			port = host_end + 1;
		else
			host_end = auth_end;
	}
	if (port != NULL)
		port_len = (size_t)(auth_end - port);
	if (host_end == host || (port != NULL && !parse_port(port, port_len))) {
		*err = sb_xasprintf("%s: %s", text, host_end == host ? "no host" :
		    "the port must be 1..65535");
		return -1;
	}
	out->host = sb_xstrndup(host, (size_t)(host_end - host));
	if (out->host_is_ip && inet_pton(AF_INET6, out->host, addr) != 1) {
		*err = sb_xasprintf("%s: not an IPv6 address: %s", text, out->host);
		sbctl_url_clear(out);
		return -1;
	}
	if (!out->host_is_ip)
		out->host_is_ip = inet_pton(AF_INET, out->host, addr) == 1;
	out->scheme = sb_xstrdup(schemes[i].scheme);
	out->tls = schemes[i].tls;
	out->default_port = port == NULL || strncmp(port, schemes[i].port, port_len) == 0;
	out->port = port != NULL ? sb_xstrndup(port, port_len) : sb_xstrdup(schemes[i].port);
	if (target_len == 0)
		out->target = sb_xstrdup("/");
	else if (*auth_end == '?')
		out->target = sb_xasprintf("/%.*s", (int)target_len, auth_end);
	else
		out->target = sb_xstrndup(auth_end, target_len);
	return 0;
}

void
sbctl_url_clear(struct sbctl_url *u)
{
	free(u->scheme);
	free(u->host);
	free(u->port);
	free(u->target);
	memset(u, 0, sizeof *u);
}

/* RFC 9110 tchar. */
static bool
is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* "Name: value" → the length of Name; 0 when malformed. */
static size_t
header_name_len(const char *h)
{
	size_t n = 0;

	while (is_tchar(h[n]))
		n++;
	if (n == 0 || h[n] != ':' || strpbrk(h, "\r\n") != NULL)
		return 0;
	return n;
}

static bool
overridden(const char *name, char *const *extra, size_t n_extra)
{
	for (size_t i = 0; i < n_extra; i++) {
		size_t n = header_name_len(extra[i]);

		if (n == strlen(name) && strncasecmp(extra[i], name, n) == 0)
			return true;
	}
	return false;
}

char *
sbctl_build_request(const struct sbctl_url *u, const char *token, const char *ws_key,
    char *const *extra, size_t n_extra, char **err)
{
	const char *defaults[6][2] = {
		{ "Host", NULL },
		{ "User-Agent", "switchboardctl/" SB_VERSION },
		{ "Connection", "Upgrade" },
		{ "Upgrade", token },
		{ "Sec-WebSocket-Key", ws_key },
		{ "Sec-WebSocket-Version", ws_key != NULL ? "13" : NULL },
	};
	char *host, *req = NULL;
	size_t len = 0;
	FILE *f;

	for (size_t i = 0; i < n_extra; i++) {
		if (header_name_len(extra[i]) == 0) {
			*err = sb_xasprintf("--header %s: expected 'Name: value' on one line",
			    extra[i]);
			return NULL;
		}
	}
	if (strpbrk(token, "\r\n") != NULL) {
		*err = sb_xstrdup("--upgrade: the token must be on one line");
		return NULL;
	}
	host = sb_xasprintf(strchr(u->host, ':') != NULL ? "[%s]%s%s" : "%s%s%s", u->host,
	    u->default_port ? "" : ":", u->default_port ? "" : u->port);
	defaults[0][1] = host;
	f = open_memstream(&req, &len);
	if (f == NULL)
		abort();
	fprintf(f, "GET %s HTTP/1.1\r\n", u->target);
	for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++) {
		if (defaults[i][1] != NULL && !overridden(defaults[i][0], extra, n_extra))
			fprintf(f, "%s: %s\r\n", defaults[i][0], defaults[i][1]);
	}
	for (size_t i = 0; i < n_extra; i++) {
		size_t n = header_name_len(extra[i]);
		const char *v = extra[i] + n + 1;

		v += strspn(v, " \t");
		fprintf(f, "%.*s: %s\r\n", (int)n, extra[i], v);
	}
	fputs("\r\n", f);
	fclose(f);
	free(host);
	return req;
}

/* The line at *p (before len), without its CR LF; false when no LF ends it yet. */
static bool
next_line(const char *buf, size_t len, size_t *p, const char **line, size_t *line_len)
{
	const char *nl = memchr(buf + *p, '\n', len - *p);

	if (nl == NULL)
		return false;
	*line = buf + *p;
	*line_len = (size_t)(nl - *line);
	if (*line_len > 0 && (*line)[*line_len - 1] == '\r')
		(*line_len)--;
	*p = (size_t)(nl - buf) + 1;
	return true;
}

static void
add_header(struct sbctl_head *h, const char *line, size_t len)
{
	const char *colon = memchr(line, ':', len);
	size_t name_len = colon != NULL ? (size_t)(colon - line) : len;
	const char *v = colon != NULL ? colon + 1 : line + len;
	const char *end = line + len;

	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	h->headers = sb_xrealloc(h->headers, (h->n_headers + 1) * sizeof *h->headers);
	h->headers[h->n_headers].name = sb_xstrndup(line, name_len);
	h->headers[h->n_headers].value = sb_xstrndup(v, (size_t)(end - v));
	h->n_headers++;
}

enum sbctl_head_parse
sbctl_head_parse(const char *buf, size_t len, struct sbctl_head *out)
{
	const char *line;
	size_t p = 0, n;

	memset(out, 0, sizeof *out);
	if (len == 0)
		return SBCTL_HEAD_INCOMPLETE;
	if (!next_line(buf, len, &p, &line, &n))
		return len >= 5 && strncmp(buf, "HTTP/", 5) != 0 ? SBCTL_HEAD_INVALID :
		    SBCTL_HEAD_INCOMPLETE;
	/* HTTP/1.x SSS[ reason] */
	if (n < 12 || strncmp(line, "HTTP/1.", 7) != 0 || line[7] < '0' || line[7] > '9' ||
	    line[8] != ' ' || line[9] < '1' || line[9] > '5' || line[10] < '0' || line[10] > '9' ||
	    line[11] < '0' || line[11] > '9' || (n > 12 && line[12] != ' '))
		return SBCTL_HEAD_INVALID;
	out->status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
	out->status_line = sb_xstrndup(line, n);
	for (;;) {
		if (!next_line(buf, len, &p, &line, &n)) {
			sbctl_head_clear(out);
			return SBCTL_HEAD_INCOMPLETE;
		}
		if (n == 0)
			break;
		add_header(out, line, n);
	}
	out->len = p;
	return SBCTL_HEAD_OK;
}

void
sbctl_head_clear(struct sbctl_head *h)
{
	for (size_t i = 0; i < h->n_headers; i++) {
		free(h->headers[i].name);
		free(h->headers[i].value);
	}
	free(h->headers);
	free(h->status_line);
	memset(h, 0, sizeof *h);
}

const char *
sbctl_head_get(const struct sbctl_head *h, const char *name)
{
	for (size_t i = 0; i < h->n_headers; i++) {
		if (strcasecmp(h->headers[i].name, name) == 0)
			return h->headers[i].value;
	}
	return NULL;
}
