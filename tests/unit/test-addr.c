/* test-addr.c - host:port parsing and formatting, CIDR parse and match */
#include <arpa/inet.h>
#include <glib.h>
#include <netinet/in.h>
#include <string.h>

#include "sb-addr.h"

static void
test_hostport_ok(void)
{
	static const struct {
		const char *text;
		const char *host;
		uint16_t port;
	} cases[] = {
		{ "127.0.0.1:8080", "127.0.0.1", 8080 },
		{ "[::1]:443", "::1", 443 },
		{ "[::ffff:10.1.2.3]:1", "::ffff:10.1.2.3", 1 },
		{ "*:65535", "0.0.0.0", 65535 },
		{ "example.org:22", "example.org", 22 },
		{ "back_end-1.internal:5900", "back_end-1.internal", 5900 },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct sb_hostport hp;
		const char *why = NULL;

		g_assert_cmpint(sb_hostport_parse(cases[i].text, &hp, &why), ==, 0);
		g_assert_cmpstr(hp.host, ==, cases[i].host);
		g_assert_cmpuint(hp.port, ==, cases[i].port);
		sb_hostport_clear(&hp);
		g_assert_null(hp.host);
	}
}

static void
test_hostport_bad(void)
{
	static const struct {
		const char *text;
		const char *why;
	} cases[] = {
		{ "127.0.0.1", "missing port" },
		{ "127.0.0.1:", "missing port" },
		{ "127.0.0.1:0", "port must be 1..65535" },
		{ "127.0.0.1:65536", "port must be 1..65535" },
		{ "127.0.0.1:99999999999999999999", "port must be 1..65535" },
		{ "127.0.0.1:+80", "port must be 1..65535" },
		{ "127.0.0.1:8o", "port must be 1..65535" },
		{ ":80", "missing host" },
		{ "::1:80", "an IPv6 address must be in brackets: [v6]:port" },
		{ "[::1", "missing \"]\" after the IPv6 address" },
		{ "[::1]", "missing port" },
		{ "[::1]80", "expected \":\" after \"]\"" },
		{ "[example.org]:80", "invalid IPv6 address" },
		{ "exa mple.org:80", "invalid host name" },
		{ "-bad.org:80", "invalid host name" },
		{ "bad-.org:80", "invalid host name" },
		{ "a..b:80", "invalid host name" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct sb_hostport hp = { (char *)"untouched", 7 };
		const char *why = NULL;

		g_test_message("%s", cases[i].text);
		g_assert_cmpint(sb_hostport_parse(cases[i].text, &hp, &why), ==, -1);
		g_assert_cmpstr(why, ==, cases[i].why);
		g_assert_null(hp.host);
	}
}

static void
test_sockaddr_roundtrip(void)
{
	static const struct {
		const char *in;
		const char *out;
		const char *host;
	} cases[] = {
		{ "127.0.0.1:8080", "127.0.0.1:8080", "127.0.0.1" },
		{ "[::1]:443", "[::1]:443", "::1" },
		{ "[2001:db8::5]:1", "[2001:db8::5]:1", "2001:db8::5" },
		{ "[::ffff:10.1.2.3]:99", "10.1.2.3:99", "10.1.2.3" },
		{ "*:80", "0.0.0.0:80", "0.0.0.0" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct sockaddr_storage ss;
		struct sb_hostport hp;
		char text[SB_ADDR_TEXT_MAX];
		const char *why;
		socklen_t len = 0;

		g_assert_cmpint(sb_hostport_parse(cases[i].in, &hp, &why), ==, 0);
		g_assert_cmpint(sb_hostport_to_sockaddr(&hp, &ss, &len), ==, 0);
		g_assert_cmpuint(len, ==, ss.ss_family == AF_INET ? sizeof(struct sockaddr_in) :
		    sizeof(struct sockaddr_in6));
		sb_addr_format((struct sockaddr *)&ss, text);
		g_assert_cmpstr(text, ==, cases[i].out);
		sb_addr_format_host((struct sockaddr *)&ss, text);
		g_assert_cmpstr(text, ==, cases[i].host);
		sb_hostport_clear(&hp);
	}
}

static void
test_sockaddr_not_numeric(void)
{
	struct sb_hostport hp = { (char *)"example.org", 80 };
	struct sb_hostport none = { NULL, 80 };
	struct sockaddr_storage ss;
	socklen_t len;

	g_assert_cmpint(sb_hostport_to_sockaddr(&hp, &ss, &len), ==, -1);
	g_assert_cmpint(sb_hostport_to_sockaddr(&none, &ss, &len), ==, -1);
}

static void
test_format_longest(void)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(65535) };
	char text[SB_ADDR_TEXT_MAX];

	memset(&sin6.sin6_addr, 0xff, sizeof sin6.sin6_addr);
	sb_addr_format((struct sockaddr *)&sin6, text);
	g_assert_cmpstr(text, ==, "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
}

static void
test_cidr_parse(void)
{
	static const struct {
		const char *in;
		const char *out;
	} ok[] = {
		{ "10.0.0.0/8", "10.0.0.0/8" },
		{ "0.0.0.0/0", "0.0.0.0/0" },
		{ "192.168.1.7", "192.168.1.7/32" },
		{ "::1/128", "::1/128" },
		{ "::1", "::1/128" },
		{ "fd00::/8", "fd00::/8" },
		{ "::/0", "::/0" },
	};
	static const struct {
		const char *in;
		const char *why;
	} bad[] = {
		{ "10.0.0.1/8", "host bits must be zero" },
		{ "fd00::1/8", "host bits must be zero" },
		{ "10.0.0.0/33", "prefix must be 0..32" },
		{ "10.0.0.0/", "prefix must be 0..32" },
		{ "10.0.0.0/08", "prefix must be 0..32" },
		{ "10.0.0.0/-1", "prefix must be 0..32" },
		{ "::/129", "prefix must be 0..128" },
		{ "/8", "missing address" },
		{ "10.0.0/8", "not an IP address" },
		{ "example.org/8", "not an IP address" },
		{ "1111:2222:3333:4444:5555:6666:7777:8888:9999/8", "not an IP address" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(ok); i++) {
		struct sb_cidr c;
		char text[SB_ADDR_TEXT_MAX];
		const char *why = NULL;

		g_assert_cmpint(sb_cidr_parse(ok[i].in, &c, &why), ==, 0);
		sb_cidr_format(&c, text);
		g_assert_cmpstr(text, ==, ok[i].out);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		struct sb_cidr c;
		const char *why = NULL;

		g_test_message("%s", bad[i].in);
		g_assert_cmpint(sb_cidr_parse(bad[i].in, &c, &why), ==, -1);
		g_assert_cmpstr(why, ==, bad[i].why);
	}
}

static bool
matches(const char *cidr_text, const char *addr)
{
	struct sockaddr_storage ss = { 0 };
	struct sb_cidr cidr;
	const char *why;

	g_assert_cmpint(sb_cidr_parse(cidr_text, &cidr, &why), ==, 0);
	if (strchr(addr, ':') != NULL) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		g_assert_cmpint(inet_pton(AF_INET6, addr, &sin6->sin6_addr), ==, 1);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		g_assert_cmpint(inet_pton(AF_INET, addr, &sin->sin_addr), ==, 1);
	}
	return sb_cidr_match(&cidr, (struct sockaddr *)&ss);
}

static void
test_cidr_match(void)
{
	g_assert_true(matches("10.0.0.0/8", "10.200.3.4"));
	g_assert_false(matches("10.0.0.0/8", "11.0.0.1"));
	g_assert_true(matches("192.168.1.128/25", "192.168.1.200"));
	g_assert_false(matches("192.168.1.128/25", "192.168.1.127"));
	g_assert_true(matches("0.0.0.0/0", "8.8.8.8"));
	g_assert_true(matches("192.168.1.7", "192.168.1.7"));
	g_assert_false(matches("192.168.1.7", "192.168.1.8"));
	g_assert_true(matches("::1/128", "::1"));
	g_assert_false(matches("::1/128", "::2"));
	g_assert_true(matches("fd00::/8", "fdab::1"));
	g_assert_false(matches("fd00::/8", "fe80::1"));
	/* a v4 client on a dual-stack socket */
	g_assert_true(matches("10.0.0.0/8", "::ffff:10.1.2.3"));
	g_assert_false(matches("10.0.0.0/8", "::ffff:11.1.2.3"));
	g_assert_false(matches("10.0.0.0/8", "::a01:203"));
	/* a v6 network written in v4-mapped form admits v4 clients */
	g_assert_true(matches("::ffff:10.0.0.0/104", "10.9.9.9"));
	g_assert_false(matches("::ffff:10.0.0.0/104", "11.9.9.9"));
	g_assert_true(matches("::/0", "1.2.3.4"));
	g_assert_false(matches("fd00::/8", "10.0.0.1"));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/addr/hostport/ok", test_hostport_ok);
	g_test_add_func("/addr/hostport/bad", test_hostport_bad);
	g_test_add_func("/addr/sockaddr/roundtrip", test_sockaddr_roundtrip);
	g_test_add_func("/addr/sockaddr/not-numeric", test_sockaddr_not_numeric);
	g_test_add_func("/addr/format/longest", test_format_longest);
	g_test_add_func("/addr/cidr/parse", test_cidr_parse);
	g_test_add_func("/addr/cidr/match", test_cidr_match);
	return g_test_run();
}
