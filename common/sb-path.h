/* sb-path.h - file-system paths: the folder of a path, and making folders */
#pragma once

#include <sys/types.h>

/* The folder a path is in: "." when it names none, "/" for a file at the root. free() it. */
char *sb_path_dir(const char *path);
/* The last component of a path (a pointer into path). */
const char *sb_path_base(const char *path);
/*
 * Creates dir and the folders above it that are missing (those with mode
 * 0755, dir itself with mode). Returns 0 when dir exists afterwards, else -1
 * with errno set.
 */
int sb_mkdir_p(const char *dir, mode_t mode);
