/* test-sbctl-http.c - probe's pure parts: URLs, requests, heads */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "sb-config.h"
#include "sbctl-http.h"

static void
test_url(void)
{
	static const struct {
		const char *text;
		const char *scheme, *host, *port, *target;
		bool tls, ip, default_port;
	} ok[] = {
		{ "ws://example.org/echo", "ws", "example.org", "80", "/echo", false, false, true },
		{ "WSS://Example.org", "wss", "Example.org", "443", "/", true, false, true },
		{ "http://10.0.0.1:8080?x=1#frag", "http", "10.0.0.1", "8080", "/?x=1", false, true,
		  false },
		{ "https://[::1]:443/a/b?c#d", "https", "::1", "443", "/a/b?c", true, true, true },
		{ "wss://[2001:db8::1]/ws", "wss", "2001:db8::1", "443", "/ws", true, true, true },
		{ "ws://h:65535/%20x", "ws", "h", "65535", "/%20x", false, false, false },
	};
	static const char *const bad[] = {
		"example.org/echo", "ftp://x/", "ws://", "ws:///path", "ws://h:0/", "ws://h:65536/",
		"ws://h:x/", "ws://user@h/", "ws://[::1/", "ws://[::1]x/", "ws://[nope]/",
		"ws://h/a b", "ws://h/\x01", "ws://h:/",
	};

	for (size_t i = 0; i < G_N_ELEMENTS(ok); i++) {
		struct sbctl_url u;
		char *err = NULL;

		g_test_message("ok %zu: %s", i, ok[i].text);
		g_assert_cmpint(sbctl_url_parse(ok[i].text, &u, &err), ==, 0);
		g_assert_null(err);
		g_assert_cmpstr(u.scheme, ==, ok[i].scheme);
		g_assert_cmpstr(u.host, ==, ok[i].host);
		g_assert_cmpstr(u.port, ==, ok[i].port);
		g_assert_cmpstr(u.target, ==, ok[i].target);
		g_assert_cmpint(u.tls, ==, ok[i].tls);
		g_assert_cmpint(u.host_is_ip, ==, ok[i].ip);
		g_assert_cmpint(u.default_port, ==, ok[i].default_port);
		sbctl_url_clear(&u);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		struct sbctl_url u;
		char *err = NULL;

		g_test_message("bad %zu", i);
		g_assert_cmpint(sbctl_url_parse(bad[i], &u, &err), ==, -1);
		g_assert_nonnull(err);
		g_assert_null(u.host);
		free(err);
	}
}

static void
test_request(void)
{
	struct sbctl_url u, v6;
	char *err = NULL, *req;
	char *extra[] = { "Origin: https://a.example", "sec-websocket-version:   8",
		"X-Empty:" };
	char *bad[] = { "NoColon" };
	char *bad2[] = { "Bad Name: x" };

	g_assert_cmpint(sbctl_url_parse("wss://a.example/ws?t=1", &u, &err), ==, 0);
	req = sbctl_build_request(&u, "websocket", "a2V5", extra, G_N_ELEMENTS(extra), &err);
	g_assert_cmpstr(req, ==,
	    "GET /ws?t=1 HTTP/1.1\r\n"
	    "Host: a.example\r\n"
	    "User-Agent: switchboardctl/" SB_VERSION "\r\n"
	    "Connection: Upgrade\r\n"
	    "Upgrade: websocket\r\n"
	    "Sec-WebSocket-Key: a2V5\r\n"
	    "Origin: https://a.example\r\n"
	    "sec-websocket-version: 8\r\n"
	    "X-Empty: \r\n"
	    "\r\n");
	free(req);

	g_assert_cmpint(sbctl_url_parse("http://[::1]:8080/", &v6, &err), ==, 0);
	req = sbctl_build_request(&v6, "TLS/1.2, TLS/1.0", NULL, NULL, 0, &err);
	g_assert_cmpstr(req, ==,
	    "GET / HTTP/1.1\r\n"
	    "Host: [::1]:8080\r\n"
	    "User-Agent: switchboardctl/" SB_VERSION "\r\n"
	    "Connection: Upgrade\r\n"
	    "Upgrade: TLS/1.2, TLS/1.0\r\n"
	    "\r\n");
	free(req);

	g_assert_null(sbctl_build_request(&u, "websocket", NULL, bad, 1, &err));
	g_assert_nonnull(strstr(err, "NoColon"));
	g_clear_pointer(&err, free);
	g_assert_null(sbctl_build_request(&u, "websocket", NULL, bad2, 1, &err));
	g_clear_pointer(&err, free);
	g_assert_null(sbctl_build_request(&u, "a\r\nInjected: 1", NULL, NULL, 0, &err));
	g_clear_pointer(&err, free);
	sbctl_url_clear(&u);
	sbctl_url_clear(&v6);
}

static void
test_head(void)
{
	static const char answer[] = "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\n"
	    "connection:Upgrade  \r\n"
	    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
	    "\r\n"
	    "\x81\x02hi";
	struct sbctl_head h;

	/* every prefix short of the blank line is incomplete */
	for (size_t n = 0; n < strlen(answer) - 4; n++) {
		g_assert_cmpint(sbctl_head_parse(answer, n, &h), ==, SBCTL_HEAD_INCOMPLETE);
		sbctl_head_clear(&h);
	}
	g_assert_cmpint(sbctl_head_parse(answer, sizeof answer - 1, &h), ==, SBCTL_HEAD_OK);
	g_assert_cmpint(h.status, ==, 101);
	g_assert_cmpstr(h.status_line, ==, "HTTP/1.1 101 Switching Protocols");
	g_assert_cmpuint(h.n_headers, ==, 3);
	g_assert_cmpstr(sbctl_head_get(&h, "CONNECTION"), ==, "Upgrade");
	g_assert_cmpstr(sbctl_head_get(&h, "sec-websocket-accept"), ==,
	    "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	g_assert_null(sbctl_head_get(&h, "Content-Length"));
	g_assert_cmpuint(h.len, ==, sizeof answer - 1 - 4);
	sbctl_head_clear(&h);

	g_assert_cmpint(sbctl_head_parse("HTTP/1.0 404\n\n", 14, &h), ==, SBCTL_HEAD_OK);
	g_assert_cmpint(h.status, ==, 404);
	g_assert_cmpuint(h.len, ==, 14);
	sbctl_head_clear(&h);

	g_assert_cmpint(sbctl_head_parse("SSH-2.0-OpenSSH\r\n", 17, &h), ==, SBCTL_HEAD_INVALID);
	g_assert_cmpint(sbctl_head_parse("RFB 003.008\n", 12, &h), ==, SBCTL_HEAD_INVALID);
	g_assert_cmpint(sbctl_head_parse("HTTP/2 200\r\n\r\n", 14, &h), ==, SBCTL_HEAD_INVALID);
	g_assert_cmpint(sbctl_head_parse("HTTP/1.1 99 x\r\n\r\n", 17, &h), ==, SBCTL_HEAD_INVALID);
	g_assert_cmpint(sbctl_head_parse("HTTP/1.1 200x\r\n\r\n", 17, &h), ==, SBCTL_HEAD_INVALID);
	sbctl_head_clear(&h);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sbctl-http/url", test_url);
	g_test_add_func("/sbctl-http/request", test_request);
	g_test_add_func("/sbctl-http/head", test_head);
	return g_test_run();
}
