/* fuzz-check.h - what the fuzz targets share: an invariant that must hold, else abort */
#pragma once

#include <stdio.h>
#include <stdlib.h>

static inline void
check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "invariant broken: %s\n", what);
		abort();
	}
}
