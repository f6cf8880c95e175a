/* fuzz-policy.c - libFuzzer target: policy text -> model -> canonical text -> same model */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb-policy.h"

#ifndef SB_FUZZ_POLICY_DIR
#define SB_FUZZ_POLICY_DIR NULL
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* relative certificate paths resolve where the valid fixtures keep theirs */
	const char *base_dir = getenv("SB_FUZZ_POLICY_DIR");
	struct sb_errors errs = SB_ERRORS_INIT;
	struct sb_policy *a, *b;
	char *text;

	if (base_dir == NULL)
		base_dir = SB_FUZZ_POLICY_DIR;
	a = sb_policy_from_string((const char *)data, size, base_dir, &errs);
	if (a == NULL) {
		if (errs.count == 0)
			abort(); /* a refused policy always says why */
		sb_errors_clear(&errs);
		return 0;
	}
	if (errs.count != 0)
		abort();
	text = sb_policy_to_string(a);
	b = sb_policy_from_string(text, strlen(text), base_dir, &errs);
	if (b == NULL || !sb_policy_equal(a, b)) {
		fprintf(stderr, "canonical text does not parse back to the same policy:\n%s", text);
		sb_errors_print(&errs, "canonical", stderr);
		abort();
	}
	free(text);
	sb_policy_free(a);
	sb_policy_free(b);
	return 0;
}
