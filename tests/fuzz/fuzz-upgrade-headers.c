/*
 * fuzz-upgrade-headers.c - libFuzzer target: Connection, Upgrade and Host values
 * through the token parser, Host normalization and a route verdict.
 *
 * Input: one flags byte, then NUL-separated fields Connection, Upgrade, Host,
 * path, Origin. A field the input stops before is an absent header (the path
 * defaults to "/"); "\0" ends a field, so "x\0\0" has an empty Upgrade.
 * Flags: bit 0 HTTP/1.1, bit 1 a body, bit 2 the "alt" listener, bits 3-4 the
 * client address, bit 5 Connection absent even when given, bit 6 Origin absent.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sb-policy.h"
#include "sbd-route.h"
#include "sbd-upgrade.h"
#include "fuzz-check.h"

#define INPUT_MAX 4096
#define N_FIELDS  5

/* Every kind of place and check the router knows, in one policy. */
static const char policy_text[] =
    "{ \"version\": 1,"
    "  \"listeners\": [ { \"name\": \"plain\", \"bind\": \"127.0.0.1:8080\" },"
    "                   { \"name\": \"alt\", \"bind\": \"127.0.0.1:8081\" } ],"
    "  \"routes\": ["
    "    { \"name\": \"vnc\", \"match\": { \"host\": \"vnc.example.org\", \"path\": \"/ws\","
    "        \"upgrade\": \"websocket\" }, \"backend\": \"127.0.0.1:5900\","
    "      \"allow\": [\"10.0.0.0/8\", \"2001:db8::/32\"],"
    "      \"origins\": [\"https://vnc.example.org\"] },"
    "    { \"name\": \"wild\", \"match\": { \"host\": \"*.example.net\","
    "        \"upgrade\": \"websocket\" }, \"backend\": \"127.0.0.1:5901\" },"
    "    { \"name\": \"h2\", \"match\": { \"upgrade\": \"h2c\" },"
    "      \"backend\": \"127.0.0.1:8000\" },"
    "    { \"name\": \"ipp\", \"listeners\": [\"plain\"], \"match\": { \"upgrade\": \"TLS/1.0\" },"
    "      \"mode\": \"tunnel\", \"backend\": \"127.0.0.1:631\" },"
    "    { \"name\": \"again\", \"match\": { \"upgrade\": \"H2C\", \"path\": \"/h\" },"
    "      \"backend\": \"127.0.0.1:8001\" },"
    "    { \"name\": \"any\", \"listeners\": [\"alt\"], \"match\": { \"path\": \"/any\","
    "        \"upgrade\": \"*\" }, \"mode\": \"tunnel\", \"backend\": \"builtin:echo\" }"
    "  ] }";

static const char *const client_addrs[4] = {
	"10.1.2.3", "192.0.2.9", "::ffff:10.1.2.3", "2001:db8::5",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct sb_policy *
fixed_policy(void)
{
	static struct sb_policy *policy;

	if (policy == NULL) {
		struct sb_errors errs = SB_ERRORS_INIT;

		policy = sb_policy_from_string(policy_text, strlen(policy_text), NULL, &errs);
		if (policy == NULL) {
			sb_errors_print(&errs, "fixed policy", stderr);
			abort();
		}
	}
	return policy;
}

static int
is_token_char(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* A parsed protocol: token ["/" token], at most SBD_TOKEN_LEN_MAX bytes. */
static void
check_protocol(const char *t)
{
	size_t len = strlen(t);
	const char *slash = strchr(t, '/');

	check(len > 0 && len <= SBD_TOKEN_LEN_MAX, "token length");
	check(slash == NULL || (slash != t && slash[1] != '\0' && strchr(slash + 1, '/') == NULL),
	    "token shape");
	for (const char *p = t; *p != '\0'; p++)
		check(*p == '/' || is_token_char((unsigned char)*p), "token characters");
}

static void
fuzz_tokens(const char *header)
{
	struct sbd_token_list list, again;
	enum sbd_tokens_result r = sbd_tokens_parse(header, &list);
	char *joined;
	size_t used = 0;

	check(strcmp(sbd_tokens_result_text(r), "?") != 0, "result has a text");
	check(list.count <= SBD_TOKENS_MAX, "count <= max");
	if (r == SBD_TOKENS_EMPTY)
		check(list.count == 0, "empty means no token");
	if (r != SBD_TOKENS_OK)
		return;
	check(list.count > 0, "ok means a token");
	joined = calloc(SBD_TOKENS_MAX, SBD_TOKEN_LEN_MAX + 2);
	check(joined != NULL, "memory");
	for (size_t i = 0; i < list.count; i++) {
		check_protocol(list.items[i].text);
		/* a parsed token is an element of the list it came from */
		check(sbd_header_has_token(header, list.items[i].text), "token is in its header");
		check(sbd_token_matches("*", list.items[i].text), "* matches every token");
		check(sbd_token_matches(list.items[i].text, list.items[i].text), "self match");
		used += (size_t)sprintf(joined + used, "%s%s", i ? "," : "", list.items[i].text);
	}
	/* the canonical list parses back to the same tokens */
	check(sbd_tokens_parse(joined, &again) == SBD_TOKENS_OK, "canonical list parses");
	check(again.count == list.count, "canonical list count");
	for (size_t i = 0; i < list.count; i++)
		check(strcmp(again.items[i].text, list.items[i].text) == 0, "canonical tokens");
	free(joined);
}

static void
fuzz_host(const char *header)
{
	char out[256], bracketed[260], again[256];
	/* exactly 8 bytes on the heap, so that ASan sees any write past them */
	char *tiny = malloc(8);

	check(tiny != NULL, "memory");
	(void)sbd_host_normalize(header, tiny, 8);
	free(tiny);
	if (!sbd_host_normalize(header, out, sizeof out))
		return;
	check(out[0] != '\0', "normalized host is not empty");
	for (const char *p = out; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		check(c > ' ' && c < 0x7f && !(c >= 'A' && c <= 'Z'), "host characters");
		check(c != '/' && c != '@' && c != '[' && c != ']', "host delimiters");
	}
	check(sbd_host_matches(out, out), "a host matches itself");
	/* normalizing is idempotent; an IPv6 address needs its brackets back */
	snprintf(bracketed, sizeof bracketed, strchr(out, ':') != NULL ? "[%s]" : "%s", out);
	check(sbd_host_normalize(bracketed, again, sizeof again), "normalized host stays valid");
	check(strcmp(again, out) == 0, "normalizing is idempotent");
}

static void
client_address(unsigned which, struct sockaddr_storage *ss)
{
	const char *text = client_addrs[which & 3];

	memset(ss, 0, sizeof *ss);
	if (strchr(text, ':') != NULL) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(40000);
		check(inet_pton(AF_INET6, text, &sin6->sin6_addr) == 1, "client address");
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(40000);
		check(inet_pton(AF_INET, text, &sin->sin_addr) == 1, "client address");
	}
}

/* The 426 hint: a ", " list of distinct protocols. */
static void
check_hint(const char *hint)
{
	struct sbd_token_list list;

	if (hint[0] == '\0')
		return;
	check(sbd_tokens_parse(hint, &list) != SBD_TOKENS_INVALID, "hint is a token list");
	for (size_t i = 0; i < list.count; i++)
		for (size_t j = 0; j < i; j++)
			check(strcasecmp(list.items[i].text, list.items[j].text) != 0,
			    "hint has no duplicate");
}

static void
fuzz_route(uint8_t flags, char *const fields[N_FIELDS])
{
	const struct sb_policy *p = fixed_policy();
	struct sockaddr_storage ss;
	struct sbd_verdict v;
	struct sbd_route_query q = {
		.listener = flags & 4 ? "alt" : "plain",
		.connection = flags & 32 ? NULL : fields[0],
		.upgrade = fields[1],
		.host = fields[2],
		.path = fields[3] != NULL ? fields[3] : "/",
		.method = "GET",
		.http11 = flags & 1,
		.origin = flags & 64 ? NULL : fields[4],
		.has_body = flags & 2,
		.client = (const struct sockaddr *)&ss,
	};

	client_address((unsigned)flags >> 3, &ss);
	memset(&v, 0x5a, sizeof v);
	sbd_route_decide(p, &q, &v);
	check(v.status == 101 || v.status == 400 || v.status == 403 || v.status == 404 ||
	    v.status == 426, "verdict status");
	check(memchr(v.reason, '\0', sizeof v.reason) != NULL, "reason is terminated");
	check(v.reason[0] != '\0', "reason is given");
	check(memchr(v.token, '\0', sizeof v.token) != NULL, "token is terminated");
	check(memchr(v.upgrade_hint, '\0', sizeof v.upgrade_hint) != NULL, "hint is terminated");
	if (v.has_route)
		check(v.route < p->n_routes, "route index");
	if (v.status == 426)
		check_hint(v.upgrade_hint);
	else
		check(v.upgrade_hint[0] == '\0', "a hint only with 426");
	if (v.status == 403)
		check(v.has_route, "403 names the route");
	if (v.status != 101)
		return;
	check(v.has_route, "101 has a route");
	check(q.http11 && sbd_header_has_token(q.connection, "upgrade"), "101 only on an upgrade");
	check_protocol(v.token);
	check(sbd_header_has_token(q.upgrade, v.token), "101 token was offered");
	check(sbd_token_matches(p->routes[v.route].match.upgrade, v.token), "route takes token");
	check(!q.has_body || p->routes[v.route].mode == SB_MODE_H2C, "a body only with h2c");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *fields[N_FIELDS] = { NULL };
	char *text, *p, *end;
	uint8_t flags;

	if (size == 0 || size > INPUT_MAX)
		return 0;
	flags = data[0];
	/* the fields become C strings: each NUL ends one, and one more ends the last */
	text = malloc(size);
	check(text != NULL, "memory");
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	end = text + size - 1;
	p = text;
	for (size_t i = 0; i < N_FIELDS && p < end; i++) {
		fields[i] = p;
		p += strlen(p) + 1;
	}

	fuzz_tokens(fields[1]);
	fuzz_tokens(fields[0]);
	if (fields[0] != NULL)
		check(sbd_header_has_token(fields[0], "upgrade") ==
		    sbd_header_has_token(fields[0], "UPGRADE"), "has_token ignores case");
	fuzz_host(fields[2]);
	fuzz_route(flags, fields);
	free(text);
	return 0;
}
