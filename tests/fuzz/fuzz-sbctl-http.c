/*
 * fuzz-sbctl-http.c - libFuzzer target: what switchboardctl probe reads from outside.
 *
 * The input is parsed as a server's response head (libFuzzer's buffer is
 * exactly that long, so a read past it is caught), and, as a NUL-terminated
 * string, as the URL given to probe. (The frames after the head go through
 * proto's sbd_ws_frame_decode, fuzzed in fuzz-ws-frame.)
 *
 * Invariants, head: OK uses at most the input, ends at a blank line, and the
 * head alone parses the same while one byte less is not OK; its status is the
 * status line's, every header's first occurrence is what sbctl_head_get finds
 * under any case of its name. URL: an accepted URL has a known scheme that
 * says whether TLS is on, a host, a decimal port, a target starting with '/';
 * written back out it parses to the same parts; and the upgrade request built
 * for it is CRLF-terminated lines only, starting with "GET target HTTP/1.1".
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sbctl-http.h"
#include "fuzz-check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enum sbctl_head_parse
parse_copy(const uint8_t *data, size_t len, struct sbctl_head *h)
{
	char *copy = malloc(len > 0 ? len : 1);
	enum sbctl_head_parse r;

	memcpy(copy, data, len);
	r = sbctl_head_parse(copy, len, h);
	free(copy);
	return r;
}

static void
check_head(const uint8_t *data, size_t size)
{
	struct sbctl_head h = { 0 }, again = { 0 }, shorter = { 0 };

	if (sbctl_head_parse((const char *)data, size, &h) != SBCTL_HEAD_OK) {
		sbctl_head_clear(&h);
		return;
	}
	check(h.len > 0 && h.len <= size && data[h.len - 1] == '\n', "head length");
	check(h.status_line != NULL && strchr(h.status_line, '\n') == NULL, "status line");
	check(h.status >= 100 && h.status <= 999, "status");
	check(parse_copy(data, h.len, &again) == SBCTL_HEAD_OK && again.len == h.len &&
		  again.status == h.status && again.n_headers == h.n_headers,
	    "the head alone parses differently");
	check(parse_copy(data, h.len - 1, &shorter) != SBCTL_HEAD_OK, "a head without its end");
	for (size_t i = 0; i < h.n_headers; i++) {
		char *upper = strdup(h.headers[i].name);
		const char *first = NULL;

		check(h.headers[i].value != NULL, "a header without a value");
		for (size_t k = 0; k < h.n_headers && first == NULL; k++)
			if (strcasecmp(h.headers[k].name, upper) == 0)
				first = h.headers[k].value;
		for (char *c = upper; *c != '\0'; c++)
			*c = (char)toupper((unsigned char)*c);
		check(sbctl_head_get(&h, upper) == first, "sbctl_head_get");
		free(upper);
	}
	sbctl_head_clear(&shorter);
	sbctl_head_clear(&again);
	sbctl_head_clear(&h);
}

static void
check_request(const struct sbctl_url *u)
{
	char *err = NULL;
	char *req = sbctl_build_request(u, "websocket", "dGhlIHNhbXBsZSBub25jZQ==", NULL, 0, &err);
	char *first;
	size_t n;

	check(req != NULL, "no request for a parsed URL");
	n = strlen(req);
	check(n >= 4 && strcmp(req + n - 4, "\r\n\r\n") == 0, "the request's end");
	for (size_t i = 0; i < n; i++) {
		if (req[i] == '\r')
			check(req[i + 1] == '\n', "a CR alone");
		if (req[i] == '\n')
			check(i > 0 && req[i - 1] == '\r', "an LF alone");
	}
	first = malloc(strlen(u->target) + 32);
	snprintf(first, strlen(u->target) + 32, "GET %s HTTP/1.1\r\n", u->target);
	check(strncmp(req, first, strlen(first)) == 0, "the request line");
	free(first);
	free(req);
}

static void
check_url(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *err = NULL, *again_text;
	struct sbctl_url u = { 0 }, again = { 0 };
	size_t cap;

	memcpy(text, data, size);
	text[size] = '\0';
	if (sbctl_url_parse(text, &u, &err) != 0) {
		check(err != NULL, "refused without a reason");
		free(err);
		free(text);
		return;
	}
	check(u.scheme != NULL && u.host != NULL && u.port != NULL && u.target != NULL,
	    "a part missing");
	check(strcmp(u.scheme, "ws") == 0 || strcmp(u.scheme, "wss") == 0 ||
		  strcmp(u.scheme, "http") == 0 || strcmp(u.scheme, "https") == 0,
	    "scheme");
	check(u.tls == (strcmp(u.scheme, "wss") == 0 || strcmp(u.scheme, "https") == 0), "tls");
	check(u.host[0] != '\0', "empty host");
	check(u.port[0] != '\0' && strspn(u.port, "0123456789") == strlen(u.port), "port");
	check(u.target[0] == '/', "target");

	cap = strlen(u.scheme) + strlen(u.host) + strlen(u.port) + strlen(u.target) + 16;
	again_text = malloc(cap);
	snprintf(again_text, cap, strchr(u.host, ':') != NULL ? "%s://[%s]:%s%s" : "%s://%s:%s%s",
	    u.scheme, u.host, u.port, u.target);
	check(sbctl_url_parse(again_text, &again, &err) == 0, "written back, it is refused");
	check(strcmp(again.scheme, u.scheme) == 0 && strcmp(again.host, u.host) == 0 &&
		  strcmp(again.port, u.port) == 0 && strcmp(again.target, u.target) == 0 &&
		  again.tls == u.tls && again.host_is_ip == u.host_is_ip,
	    "written back, it parses differently");
	check_request(&u);
	sbctl_url_clear(&again);
	sbctl_url_clear(&u);
	free(again_text);
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_head(data, size);
	check_url(data, size);
	return 0;
}
