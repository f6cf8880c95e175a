/*
 * fuzz-http-head.c - libFuzzer target: the strict request-head scan and the target path.
 *
 * Input: a flag byte, then bytes. Bit 0 set: the bytes are a request target
 * (NUL-cut) for sbd_target_path and sbd_path_has_prefix; else they are a
 * request head streamed into sbd_head_scan in pieces whose sizes come from the
 * following bytes.
 *
 * Invariants: the scan gives the same answer (where the head ends, its flaw)
 * however the bytes are split; it never claims more bytes than it was fed; a
 * head with a flaw is done. A decoded path starts with "/" (or is "*"), holds
 * no NUL and no "/./" or "/../" segment; every path has itself as a
 * prefix, and "/" too when it starts with one; a prefix match ends at a
 * segment boundary.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sbd-http-head.h"
#include "fuzz-check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The whole head at once: where it ends and its flaw. */
static size_t
scan_whole(const uint8_t *p, size_t n, const char **flaw, bool *done)
{
	struct sbd_head_scan s;
	size_t used;

	sbd_head_scan_init(&s);
	used = sbd_head_scan_feed(&s, p, n);
	check(used <= n, "claims more than it was fed");
	*flaw = s.flaw;
	*done = s.done;
	return used;
}

static void
fuzz_scan(const uint8_t *p, size_t n, uint8_t seed)
{
	const char *flaw_whole;
	bool done_whole;
	size_t used_whole = scan_whole(p, n, &flaw_whole, &done_whole);
	struct sbd_head_scan s;
	size_t off = 0, used = 0, step = (size_t)(seed % 7) + 1;

	check(flaw_whole == NULL || done_whole, "a flaw ends the scan");
	sbd_head_scan_init(&s);
	while (off < n && !s.done) {
		size_t k = n - off < step ? n - off : step;
		size_t u = sbd_head_scan_feed(&s, p + off, k);

		check(u <= k, "a piece claims more than it was fed");
		used += u;
		if (u < k)
			break;
		off += k;
		step = step % 5 + 1;
	}
	check(s.done == done_whole, "done differs when split");
	check((s.flaw == NULL) == (flaw_whole == NULL), "flaw differs when split");
	if (done_whole)
		check(used == used_whole, "the head ends elsewhere when split");
}

static void
fuzz_target(const uint8_t *p, size_t n)
{
	char *target = malloc(n + 1);
	const char *why = NULL;
	char *path;

	memcpy(target, p, n);
	target[n] = '\0';
	path = sbd_target_path(target, &why);
	if (path == NULL) {
		check(why != NULL, "a refusal names its reason");
		free(target);
		return;
	}
	check(path[0] == '/' || strcmp(path, "*") == 0, "a path starts with /");
	check(strstr(path, "/./") == NULL && strstr(path, "/../") == NULL, "no dot-segment");
	check(sbd_path_has_prefix(path, path), "a path has itself as a prefix");
	if (path[0] == '/')
		check(sbd_path_has_prefix(path, "/"), "every path is under /");
	/* A prefix of the first segment only, cut inside it, is no match. */
	size_t seg = strcspn(path + 1, "/") + 1;
	if (path[0] == '/' && seg > 2) {
		char *cut = strndup(path, seg - 1);

		check(!sbd_path_has_prefix(path, cut), "a match ends at a segment boundary");
		free(cut);
	}
	free(path);
	free(target);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		fuzz_target(data + 1, size - 1);
	else
		fuzz_scan(data + 1, size - 1, data[0]);
	return 0;
}
