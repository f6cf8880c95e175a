/* test-sbctl-http.c - probe's pure parts: URLs, requests, heads, WebSocket accept and frames */
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
test_base64_accept(void)
{
	static const char *const want[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=",
		"Zm9vYmFy" };

	for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
		char *b = sbctl_base64((const uint8_t *)"foobar", i);

		g_assert_cmpstr(b, ==, want[i]);
		free(b);
	}
	/* RFC 6455 section 1.3 */
	char *accept = sbctl_ws_accept("dGhlIHNhbXBsZSBub25jZQ==");
	g_assert_cmpstr(accept, ==, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	free(accept);
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

static void
test_token_list(void)
{
	g_assert_true(sbctl_token_list_has("websocket", "WebSocket"));
	g_assert_true(sbctl_token_list_has("TLS/1.2, TLS/1.0", "tls/1.0"));
	g_assert_true(sbctl_token_list_has(" a ,\tb\t", "b"));
	g_assert_false(sbctl_token_list_has("websockets", "websocket"));
	g_assert_false(sbctl_token_list_has("", "a"));
	g_assert_false(sbctl_token_list_has(NULL, "a"));
	g_assert_false(sbctl_token_list_has("a,,", "b"));
}

static void
test_frames(void)
{
	/* RFC 6455 section 5.7 */
	static const uint8_t hello_masked[] = { 0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f,
		0x4d, 0x51, 0x58 };
	static const uint8_t mask[4] = { 0x37, 0xfa, 0x21, 0x3d };
	uint8_t out[70000 + 14], buf[16];
	struct sbctl_frame fr;
	uint8_t *big = g_malloc0(70000);
	size_t n;

	n = sbctl_ws_encode(SBCTL_WS_TEXT, (const uint8_t *)"Hello", 5, mask, out);
	g_assert_cmpmem(out, n, hello_masked, sizeof hello_masked);

	for (size_t i = 0; i < n; i++)
		g_assert_cmpint(sbctl_ws_decode(out, i, &fr), ==, SBCTL_FRAME_INCOMPLETE);
	g_assert_cmpint(sbctl_ws_decode(out, n, &fr), ==, SBCTL_FRAME_OK);
	g_assert_true(fr.fin && fr.masked);
	g_assert_cmpuint(fr.opcode, ==, SBCTL_WS_TEXT);
	g_assert_cmpuint(fr.length, ==, 5);
	g_assert_cmpmem(out + fr.header_len, 5, "Hello", 5);

	/* the 16-bit and 64-bit lengths */
	n = sbctl_ws_encode(SBCTL_WS_BINARY, big, 300, mask, out);
	g_assert_cmpuint(n, ==, 4 + 4 + 300);
	g_assert_cmpint(sbctl_ws_decode(out, n, &fr), ==, SBCTL_FRAME_OK);
	g_assert_cmpuint(fr.length, ==, 300);
	n = sbctl_ws_encode(SBCTL_WS_BINARY, big, 70000, mask, out);
	g_assert_cmpuint(n, ==, 10 + 4 + 70000);
	g_assert_cmpint(sbctl_ws_decode(out, n - 1, &fr), ==, SBCTL_FRAME_INCOMPLETE);
	g_assert_cmpuint(fr.length, ==, 70000);
	g_assert_cmpint(sbctl_ws_decode(out, n, &fr), ==, SBCTL_FRAME_OK);
	g_assert_cmpmem(out + fr.header_len, 70000, big, 70000);

	/* a server's unmasked close frame, code 1000 */
	memcpy(buf, "\x88\x02\x03\xe8", 4);
	g_assert_cmpint(sbctl_ws_decode(buf, 4, &fr), ==, SBCTL_FRAME_OK);
	g_assert_cmpuint(fr.opcode, ==, SBCTL_WS_CLOSE);
	g_assert_false(fr.masked);
	g_assert_cmpstr(sbctl_ws_opcode_name(fr.opcode), ==, "close");

	memcpy(buf, "\xc1\x00", 2); /* RSV1 */
	g_assert_cmpint(sbctl_ws_decode(buf, 2, &fr), ==, SBCTL_FRAME_INVALID);
	memcpy(buf, "\x83\x00", 2); /* opcode 3 */
	g_assert_cmpint(sbctl_ws_decode(buf, 2, &fr), ==, SBCTL_FRAME_INVALID);
	memcpy(buf, "\x82\x7f\x80\x00\x00\x00\x00\x00\x00\x00", 10);
	g_assert_cmpint(sbctl_ws_decode(buf, 10, &fr), ==, SBCTL_FRAME_INVALID);
	g_assert_null(sbctl_ws_opcode_name(3));
	g_free(big);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sbctl-http/url", test_url);
	g_test_add_func("/sbctl-http/base64-accept", test_base64_accept);
	g_test_add_func("/sbctl-http/request", test_request);
	g_test_add_func("/sbctl-http/head", test_head);
	g_test_add_func("/sbctl-http/token-list", test_token_list);
	g_test_add_func("/sbctl-http/frames", test_frames);
	return g_test_run();
}
