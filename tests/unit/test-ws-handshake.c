/* test-ws-handshake.c - RFC 6455 opening handshake checks, accept key, subprotocol choice */
#include <glib.h>
#include <string.h>

#include "sbd-ws-handshake.h"

static void
test_accept(void)
{
	char out[SBD_WS_ACCEPT_LEN + 1];

	/* RFC 6455 §1.3 */
	g_assert_true(sbd_ws_accept("dGhlIHNhbXBsZSBub25jZQ==", out));
	g_assert_cmpstr(out, ==, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	/* spaces around the header value are not part of the key */
	g_assert_true(sbd_ws_accept(" \tdGhlIHNhbXBsZSBub25jZQ== ", out));
	g_assert_cmpstr(out, ==, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	/* RFC 6455 §4.2.2 and Wikipedia's example exchange */
	g_assert_true(sbd_ws_accept("x3JJHMbDL1EzLkh9GBhXDw==", out));
	g_assert_cmpstr(out, ==, "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
	g_assert_false(sbd_ws_accept(NULL, out));
	g_assert_cmpstr(out, ==, "");
}

static void
test_key(void)
{
	static const char *const valid[] = {
		"dGhlIHNhbXBsZSBub25jZQ==",
		"AAAAAAAAAAAAAAAAAAAAAA==",
		"/////////////////////w==",
		"  x3JJHMbDL1EzLkh9GBhXDw==\t",
		"AQIDBAUGBwgJCgsMDQ4PEA==",
	};
	static const char *const invalid[] = {
		"",
		"   ",
		"dGhlIHNhbXBsZSBub25jZQ",         /* no padding */
		"dGhlIHNhbXBsZSBub25jZQ=",        /* half the padding */
		"dGhlIHNhbXBsZSBub25jZQ===",
		"dGhlIHNhbXBsZSBub25j",           /* 15 bytes */
		"dGhlIHNhbXBsZSBub25jZSE=",       /* 17 bytes */
		"dGhlIHNhbXBsZSBub25jZSEh",       /* 18 bytes */
		"dGhlIHNhbXBsZSBub25jZQ==dGhl",
		"dGhlIHNhbXBsZSBub25j-Q==",       /* base64url */
		"dGhlIHNhbXBsZSBub25j_Q==",
		"dGhlIHNhbXBs ZSBub25jZQ==",
		"dGhlIHNhbXBsZSBub25jZ===",
		"=GhlIHNhbXBsZSBub25jZQ==",
		"the sample nonce",               /* 16 bytes, not encoded */
	};

	for (size_t i = 0; i < G_N_ELEMENTS(valid); i++)
		g_assert_true(sbd_ws_key_is_valid(valid[i]));
	for (size_t i = 0; i < G_N_ELEMENTS(invalid); i++) {
		if (sbd_ws_key_is_valid(invalid[i]))
			g_error("\"%s\" taken as a key", invalid[i]);
	}
	g_assert_false(sbd_ws_key_is_valid(NULL));
}

static void
test_key_encode(void)
{
	const uint8_t *sample = (const uint8_t *)"the sample nonce";
	char key[SBD_WS_KEY_LEN + 1], accept[SBD_WS_ACCEPT_LEN + 1];
	uint8_t nonce[SBD_WS_NONCE_LEN];

	/* RFC 6455 §1.3: the nonce behind the section's sample key */
	sbd_ws_key_encode(sample, key);
	g_assert_cmpstr(key, ==, "dGhlIHNhbXBsZSBub25jZQ==");
	g_assert_true(sbd_ws_accept(key, accept));
	g_assert_cmpstr(accept, ==, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	/* every nonce makes a key the server side takes: each byte value at each position */
	for (unsigned v = 0; v < 256; v++) {
		for (size_t i = 0; i < sizeof nonce; i++)
			nonce[i] = (uint8_t)(v + i * 17);
		sbd_ws_key_encode(nonce, key);
		g_assert_cmpuint(strlen(key), ==, SBD_WS_KEY_LEN);
		g_assert_true(sbd_ws_key_is_valid(key));
	}
}

static void
test_check_request(void)
{
	static const struct {
		const char *version, *key;
		enum sbd_ws_check expect;
		int status;
	} cases[] = {
		{ "13", "dGhlIHNhbXBsZSBub25jZQ==", SBD_WS_CHECK_OK, 101 },
		{ " 13 ", "dGhlIHNhbXBsZSBub25jZQ==", SBD_WS_CHECK_OK, 101 },
		{ NULL, "dGhlIHNhbXBsZSBub25jZQ==", SBD_WS_CHECK_MISSING_VERSION, 426 },
		{ "8", "dGhlIHNhbXBsZSBub25jZQ==", SBD_WS_CHECK_BAD_VERSION, 426 },
		{ "", "dGhlIHNhbXBsZSBub25jZQ==", SBD_WS_CHECK_BAD_VERSION, 426 },
		{ "130", "dGhlIHNhbXBsZSBub25jZQ==", SBD_WS_CHECK_BAD_VERSION, 426 },
		{ "13, 8", "dGhlIHNhbXBsZSBub25jZQ==", SBD_WS_CHECK_BAD_VERSION, 426 },
		/* the version is checked first: a client of another version gets 426 */
		{ "7", NULL, SBD_WS_CHECK_BAD_VERSION, 426 },
		{ "13", NULL, SBD_WS_CHECK_MISSING_KEY, 400 },
		{ "13", "", SBD_WS_CHECK_BAD_KEY, 400 },
		{ "13", "dGhlIHNhbXBsZSBub25j", SBD_WS_CHECK_BAD_KEY, 400 },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		enum sbd_ws_check c = sbd_ws_check_request(cases[i].version, cases[i].key);
		g_assert_cmpint(c, ==, cases[i].expect);
		g_assert_cmpint(sbd_ws_check_status(c), ==, cases[i].status);
	}
	g_assert_cmpstr(sbd_ws_check_reason(SBD_WS_CHECK_OK), ==, "ok");
	g_assert_cmpstr(sbd_ws_check_reason(SBD_WS_CHECK_MISSING_KEY), ==,
	    "missing Sec-WebSocket-Key");
	g_assert_cmpstr(sbd_ws_check_reason(SBD_WS_CHECK_BAD_KEY), ==,
	    "Sec-WebSocket-Key does not decode to 16 bytes");
	g_assert_nonnull(strstr(sbd_ws_check_reason(SBD_WS_CHECK_MISSING_VERSION), "13"));
	g_assert_nonnull(strstr(sbd_ws_check_reason(SBD_WS_CHECK_BAD_VERSION), "13"));
}

static void
test_subprotocol(void)
{
	char chat[] = "chat", superchat[] = "superchat", json[] = "v2.json";
	char *routes[] = { chat, superchat, json };
	bool refuse = true;
	const char *got;

	/* the route lists none: no answer, no refusal */
	g_assert_null(sbd_ws_choose_subprotocol("chat", routes, 0, &refuse));
	g_assert_false(refuse);
	g_assert_null(sbd_ws_choose_subprotocol(NULL, NULL, 0, &refuse));
	g_assert_false(refuse);

	/* the client's order wins; the answer is the route's own string */
	got = sbd_ws_choose_subprotocol("superchat, chat", routes, 3, &refuse);
	g_assert_true(got == routes[1]);
	g_assert_false(refuse);
	got = sbd_ws_choose_subprotocol("other,v2.json , chat", routes, 3, &refuse);
	g_assert_true(got == routes[2]);
	g_assert_false(refuse);
	got = sbd_ws_choose_subprotocol(" ,, chat\t,", routes, 3, &refuse);
	g_assert_true(got == routes[0]);

	/* exact names only */
	static const char *const misses[] = { "Chat", "chat2", "cha", "super chat", "", " , ,",
		"superchat;q=1" };
	for (size_t i = 0; i < G_N_ELEMENTS(misses); i++) {
		refuse = false;
		g_assert_null(sbd_ws_choose_subprotocol(misses[i], routes, 3, &refuse));
		g_assert_true(refuse);
	}
	/* the client offers none while the route requires one */
	refuse = false;
	g_assert_null(sbd_ws_choose_subprotocol(NULL, routes, 3, &refuse));
	g_assert_true(refuse);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ws-handshake/accept", test_accept);
	g_test_add_func("/ws-handshake/key", test_key);
	g_test_add_func("/ws-handshake/key-encode", test_key_encode);
	g_test_add_func("/ws-handshake/check-request", test_check_request);
	g_test_add_func("/ws-handshake/subprotocol", test_subprotocol);
	return g_test_run();
}
