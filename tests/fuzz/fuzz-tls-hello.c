/*
 * fuzz-tls-hello.c - libFuzzer target: the key_share groups of a ClientHello.
 *
 * The input is a ClientHello body as the handshake hook sees it (libFuzzer's
 * buffer is exactly that long, so a read past it is caught). Invariants: the
 * answer is -1, 0 or 1; a hello that shares a group for one query and not for
 * another says so consistently (an answer of 1 for the first group listed is
 * never -1 for a later query of the same group); and answering changes nothing.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sbd-tls-hello.h"
#include "fuzz-check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size > 0 ? size : 1);
	uint16_t other = size >= 2 ? (uint16_t)(data[0] << 8 | data[1]) : 0x0017;
	int x, again, o;

	memcpy(copy, data, size);
	x = sbd_tls_hello_shares(copy, size, SBD_GROUP_X25519);
	check(x >= -1 && x <= 1, "answer is -1, 0 or 1");
	check(memcmp(copy, data, size) == 0, "the hello is left as it was");
	again = sbd_tls_hello_shares(copy, size, SBD_GROUP_X25519);
	check(again == x, "the same answer twice");
	o = sbd_tls_hello_shares(copy, size, other);
	check(o >= -1 && o <= 1, "answer for another group is -1, 0 or 1");
	/* A walk that failed fails for every group; one that did not, for none. */
	check((x == -1) == (o == -1) || x == 1 || o == 1, "a malformed hello is malformed for all");
	free(copy);
	return 0;
}
