/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Whole-file I/O with limits: atomic replace (temp file in the same directory,
 * fsync, rename, fsync of the directory), and bounded reads.
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Atomically replaces path with data. mode is applied to the new file; if mode is
 * (mode_t)-1 the mode of the existing file is kept (0644 when none). Returns 0 or -errno. */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);

/* Reads a whole file into a NUL-terminated malloc'd buffer. Fails with -EFBIG when the
 * file is larger than max_size. Returns 0 or -errno. */
int read_file_full(const char *path, size_t max_size, char **ret, size_t *ret_len);

/* mkdir -p with mode for created components. Returns 0 or -errno. */
int mkdir_p(const char *path, mode_t mode);
/* mkdir -p of the directory path lies in (nothing for "file" or "/file"). */
int mkdir_parents(const char *path, mode_t mode);
