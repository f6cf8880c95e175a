/*
 * fuzz-tokenmap.c - libFuzzer target: websockify's TokenFile, and the auth service's answer head.
 *
 * Input: a flag byte, then bytes. Bit 0 clear: the bytes are a TokenFile for
 * sbd_tokenmap_parse; set: they are an answer head for sbd_http_reply_head
 * and sbd_http_reply_header.
 *
 * Invariants: a parsed map has tokens of 1..128 visible bytes, each listed
 * once, and targets without spaces; a refusal names a line within the file and
 * leaves nothing allocated. An answer head is found at the same length
 * whatever follows it, never past what was given, and has a status of
 * 100..599; read in pieces (the sizes taken from the bytes) the answer is the
 * one of a single call; a header value found fits its buffer and holds no
 * control byte.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sbd-authfile.h"
#include "sbd-http-reply.h"
#include "fuzz-check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_map(const char *text, size_t len)
{
	struct sbd_tokenmap_entry *e = NULL;
	struct sbd_authfile_error err = { 0 };
	size_t n = 0, lines = 1;

	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	if (sbd_tokenmap_parse(text, len, &e, &n, &err) < 0) {
		check(e == NULL && n == 0, "a refusal keeps nothing");
		check(err.why != NULL && err.line <= lines, "a refusal names a line of the file");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		check(sbd_identity_is_valid(e[i].token, strlen(e[i].token)), "a token is valid");
		check(e[i].target[0] != '\0' && strpbrk(e[i].target, " \t\r\n") == NULL,
		    "a target has no spaces");
		for (size_t j = 0; j < i; j++)
			check(strcmp(e[i].token, e[j].token) != 0, "a token is listed once");
	}
	sbd_tokenmap_entries_free(e, n);
}

/*
 * buf read in pieces of 1..8 bytes, as a service may send it: the last call
 * answers as a single one over the same bytes, and as the one over all of
 * them but for a refusal's reason (a start that is not HTTP may be refused
 * before a NUL further on is read).
 */
static void
fuzz_reply_pieces(const char *buf, size_t len, long head, int status)
{
	const char *why = NULL, *why_once = NULL;
	int got_status = 0, once_status = 0;
	size_t scanned = 0, once_scanned = 0, got = 0;
	long r = 0, once;

	while (r == 0 && got < len) {
		got += 1 + (size_t)((unsigned char)buf[got] % 8);
		if (got > len)
			got = len;
		r = sbd_http_reply_head(buf, got, &scanned, &got_status, &why);
		check(scanned <= got, "the search stops within what was read");
	}
	once = sbd_http_reply_head(buf, got, &once_scanned, &once_status, &why_once);
	check(r == once && got_status == once_status && (r >= 0 || strcmp(why, why_once) == 0),
	    "read in pieces, the answer of a single call over the same bytes");
	check(r < 0 ? head < 0 : r == head && got_status == status,
	    "read in pieces, the answer over all of the bytes");
}

static void
fuzz_reply(const char *buf, size_t len)
{
	const char *why = NULL;
	int status = 0, again = 0;
	size_t scanned = 0, scanned_again = 0;
	long head = sbd_http_reply_head(buf, len, &scanned, &status, &why);
	char out[64];

	check(head <= (long)len, "the head ends within the bytes");
	fuzz_reply_pieces(buf, len, head, status);
	if (head < 0) {
		check(why != NULL, "a refusal says why");
		return;
	}
	if (head == 0)
		return;
	check(status >= 100 && status <= 599, "a status of 100..599");
	check(sbd_http_reply_head(buf, (size_t)head, &scanned_again, &again, &why) == head &&
	    again == status,
	    "the same head without what follows it");
	if (sbd_http_reply_header(buf, (size_t)head, "X-User", out, sizeof out)) {
		check(strlen(out) < sizeof out, "the value fits");
		for (const char *c = out; *c != '\0'; c++)
			check((unsigned char)*c >= 0x20 || *c == '\t', "no control byte in a value");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy;

	if (size < 1)
		return 0;
	/* a copy of exactly the bytes, so that a read past them is caught */
	copy = malloc(size - 1 ? size - 1 : 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data + 1, size - 1);
	if (data[0] & 1)
		fuzz_reply(copy, size - 1);
	else
		fuzz_map(copy, size - 1);
	free(copy);
	return 0;
}
