/* sb-path.h - file-system paths: the folder of a path, and folders trusted to hold our files */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* The folder a path is in: "." when it names none, "/" for a file at the root. free() it. */
char *sb_path_dir(const char *path);
/* The last component of a path (a pointer into path). */
const char *sb_path_base(const char *path);
/*
 * Opens dir, a folder for files only this process (and root) may change, such
 * as a state dir or the folder of a control socket, creating what is missing
 * (dir itself with mode, folders above it with 0755). Walks from "/" with
 * openat(), checking each folder by its descriptor:
 *   - dir must be owned by the effective uid or root, and writable by no one
 *     else (no group or other write bit), and must not be a symbolic link;
 *   - each folder above it must be owned by the effective uid or root, and
 *     writable by no one else unless it is sticky and owned by root (/tmp);
 *     a symbolic link above dir is followed only when root or the effective
 *     uid owns it (/var/run), and where it leads is checked the same way.
 * mode 0 creates nothing: a missing folder fails with errno ENOENT (a client
 * checking where a daemon's socket should be).
 * Returns an O_DIRECTORY descriptor, or -1 with why filled in, such as "owned
 * by uid 1001, not 1000" or "/tmp/a: writable by others (mode 0777)" (the
 * folder is named when it is not dir itself).
 */
int sb_dir_open_trusted(const char *dir, mode_t mode, char *why, size_t whylen);
