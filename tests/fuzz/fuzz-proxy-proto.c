/*
 * fuzz-proxy-proto.c - libFuzzer target: the PROXY v1/v2 parser and encoders.
 *
 * The input is parsed as a connection's first bytes (libFuzzer's buffer is
 * exactly that long, so a read past it is caught). Invariants: OK consumes
 * between 1 and len bytes, no more than a header can hold, and the consumed
 * bytes alone parse to the same header while every shorter prefix asks for
 * more; NEED_MORE asks for more than len and no more than a header can hold;
 * INVALID names its problem; a detected NONE is always INVALID.
 *
 * The input also picks two addresses, which both encoders write and the parser
 * must read back.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sbd-proxy-proto.h"
#include "fuzz-check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enum sbd_proxy_result
parse_copy(const uint8_t *data, size_t len, struct sbd_proxy_header *h, size_t *consumed)
{
	uint8_t *copy = malloc(len > 0 ? len : 1);
	enum sbd_proxy_result r;

	memcpy(copy, data, len);
	r = sbd_proxy_parse(copy, len, h, consumed);
	free(copy);
	return r;
}

static void
check_parse(const uint8_t *data, size_t size)
{
	struct sbd_proxy_header h, again;
	size_t consumed = 0, consumed2 = 0, max;
	enum sbd_proxy_result r = sbd_proxy_parse(data, size, &h, &consumed);

	max = h.version == SBD_PROXY_V1 ? SBD_PROXY_V1_MAX : SBD_PROXY_V2_MAX;
	if (sbd_proxy_detect(data, size) == SBD_PROXY_DETECT_NONE)
		check(r == SBD_PROXY_INVALID, "not detected but accepted");
	switch (r) {
	case SBD_PROXY_OK:
		check(consumed > 0 && consumed <= size && consumed <= max, "consumed out of range");
		check(h.error == NULL, "OK with an error");
		check(h.is_local || h.src.ss_family == AF_INET || h.src.ss_family == AF_INET6,
		    "no source family");
		check(h.is_local || h.src.ss_family == h.dst.ss_family, "families differ");
		check(parse_copy(data, consumed, &again, &consumed2) == SBD_PROXY_OK &&
			  consumed2 == consumed && again.is_local == h.is_local &&
			  memcmp(&again.src, &h.src, sizeof h.src) == 0 &&
			  memcmp(&again.dst, &h.dst, sizeof h.dst) == 0,
		    "header alone parses differently");
		check(parse_copy(data, consumed - 1, &again, &consumed2) == SBD_PROXY_NEED_MORE &&
			  again.need > consumed - 1 && again.need <= consumed,
		    "a shorter prefix is not NEED_MORE up to the header");
		break;
	case SBD_PROXY_NEED_MORE:
		check(consumed == 0 && h.error == NULL, "NEED_MORE with output");
		check(h.need > size, "NEED_MORE without asking for more");
		check(h.need <= SBD_PROXY_V2_MAX && (h.version != SBD_PROXY_V1 || h.need <= max),
		    "NEED_MORE asks past a header's limit");
		break;
	case SBD_PROXY_INVALID:
		check(consumed == 0 && h.error != NULL, "INVALID without a reason");
		break;
	}
}

/* Address i of the input: family bit, 16 address bytes, 2 port bytes. */
static void
make_addr(struct sockaddr_storage *ss, int v6, const uint8_t *a, const uint8_t *port)
{
	memset(ss, 0, sizeof *ss);
	if (v6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, a, 16);
		memcpy(&sin6->sin6_port, port, 2);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, a, 4);
		memcpy(&sin->sin_port, port, 2);
	}
}

static void
check_encoders(const uint8_t *data, size_t size)
{
	struct sockaddr_storage src, dst;
	char v1[SBD_PROXY_V1_MAX + 1];
	uint8_t v2[SBD_PROXY_V2_ENCODE_MAX];
	struct sbd_proxy_header h1, h2;
	size_t n1, n2, c1 = 0, c2 = 0;

	if (size < 1 + 2 * 18)
		return;
	make_addr(&src, data[0] & 1, data + 1, data + 17);
	make_addr(&dst, data[0] & 2, data + 19, data + 35);
	n1 = sbd_proxy_encode_v1(v1, (struct sockaddr *)&src, (struct sockaddr *)&dst);
	n2 = sbd_proxy_encode_v2(v2, sizeof v2, (struct sockaddr *)&src, (struct sockaddr *)&dst);
	check(n1 == strlen(v1) && n1 <= SBD_PROXY_V1_MAX, "v1 length");
	check(n2 == 28 || n2 == 52, "v2 length");
	check(parse_copy((const uint8_t *)v1, n1, &h1, &c1) == SBD_PROXY_OK && c1 == n1,
	    "v1 encoding does not parse");
	check(parse_copy(v2, n2, &h2, &c2) == SBD_PROXY_OK && c2 == n2,
	    "v2 encoding does not parse");
	check(!h1.is_local && !h2.is_local, "encoded header is local");
	check(memcmp(&h1.src, &h2.src, sizeof h1.src) == 0 &&
		  memcmp(&h1.dst, &h2.dst, sizeof h1.dst) == 0,
	    "v1 and v2 carry different addresses");
	check(sbd_proxy_encode_v2(v2, n2 - 1, (struct sockaddr *)&src, (struct sockaddr *)&dst) ==
		  0,
	    "v2 wrote past cap");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_parse(data, size);
	check_encoders(data, size);
	return 0;
}
