/*
 * fuzz-proxy-in.c - libFuzzer target: reading a PROXY header as its bytes arrive.
 *
 * front/sbd-proxy-in.c reads a listener's PROXY header from the socket with
 * no more than the header still needs (hdr.need - what it has, else 1 byte),
 * parses after each read, and refuses past 4 KiB. This target runs that
 * discipline over the input: the first 8 bytes pick how short each read
 * comes back (1 .. the bytes asked for), the rest is what the client sent
 * (a header, then TLS or HTTP bytes).
 *
 * Invariants: no read goes past the header (on OK, everything read is the
 * header: *consumed equals the bytes read); every read asks for at least one
 * byte; the outcome and the header equal those of parsing the whole input at
 * once; the buffer never exceeds 4 KiB unless the reader refuses first.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sbd-proxy-proto.h"
#include "fuzz-check.h"

#define PROXY_IN_MAX 4096 /* as in front/sbd-proxy-in.c */
#define SHORT_BYTES  8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_same_header(const struct sbd_proxy_header *a, const struct sbd_proxy_header *b)
{
	check(a->version == b->version && a->is_local == b->is_local, "header kind");
	check(memcmp(&a->src, &b->src, sizeof a->src) == 0, "source address");
	check(memcmp(&a->dst, &b->dst, sizeof a->dst) == 0, "destination address");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbd_proxy_header hdr, whole;
	enum sbd_proxy_result r = SBD_PROXY_NEED_MORE, rw;
	size_t consumed = 0, consumed_whole = 0, have = 0, want = 8, reads = 0;
	const uint8_t *in;
	uint8_t *buf;
	size_t len;
	int refused_long = 0;

	if (size < SHORT_BYTES)
		return 0;
	in = data + SHORT_BYTES;
	len = size - SHORT_BYTES;
	buf = malloc(PROXY_IN_MAX + 1);
	memset(&hdr, 0, sizeof hdr);

	for (;;) {
		size_t n, got;

		if (have > 0) {
			/* each parse sees its own heap copy, exactly as long as what was read */
			uint8_t *copy = malloc(have);

			memcpy(copy, buf, have);
			r = sbd_proxy_parse(copy, have, &hdr, &consumed);
			free(copy);
			if (r != SBD_PROXY_NEED_MORE)
				break;
			want = hdr.need;
		}
		if (want > PROXY_IN_MAX) {
			refused_long = 1;
			break;
		}
		n = want > have ? want - have : 1;
		check(n >= 1, "a read of nothing");
		if (have == len)
			break; /* the client sent no more: the daemon waits, then times out */
		/* the socket hands over 1..n bytes, as the input says, never more than were sent */
		got = 1 + data[reads % SHORT_BYTES] % n;
		if (got > len - have)
			got = len - have;
		check(have + got <= PROXY_IN_MAX, "buffered past 4 KiB");
		memcpy(buf + have, in + have, got);
		have += got;
		reads++;
	}

	rw = sbd_proxy_parse(in, len, &whole, &consumed_whole);
	if (r == SBD_PROXY_OK) {
		check(consumed == have, "read past the header");
		check(rw == SBD_PROXY_OK && consumed_whole == consumed, "whole input disagrees on OK");
		check_same_header(&hdr, &whole);
	} else if (r == SBD_PROXY_INVALID) {
		check(hdr.error != NULL, "refused without a reason");
		check(rw == SBD_PROXY_INVALID, "whole input disagrees on INVALID");
	} else if (refused_long) {
		check(rw != SBD_PROXY_OK || consumed_whole > PROXY_IN_MAX,
		    "a header under 4 KiB refused as too long");
	} else {
		check(have == len, "stopped early");
		check(rw == SBD_PROXY_NEED_MORE, "whole input disagrees on NEED_MORE");
	}
	free(buf);
	return 0;
}
