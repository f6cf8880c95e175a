/* sbd-file.h - the small files a policy names (auth lists, token maps): read whole, wiped after */
#pragma once

#include <stddef.h>

/*
 * All of a regular file of at most 4 MiB; NULL with *why (static). Free it
 * with sbd_file_wipe, which clears it first: such files hold secrets.
 */
char *sbd_file_read(const char *file, size_t *len, const char **why);
/* NULL ok. */
void sbd_file_wipe(char *text, size_t len);
