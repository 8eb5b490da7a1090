/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Configuration file lists with systemd's precedence rules, for the directories
 * tools read in order of preference (/etc, /run, /usr/lib, ...): every file name
 * counts once, the copy in the earliest directory wins, and the result is sorted by
 * file name (lexically, the order systemd, networkd, NetworkManager and netplan
 * apply them). A file that is a symlink to /dev/null or empty is marked masked
 * (systemd's convention; callers decide whether their tool honours it).
 *
 * conf_files_resolve() is the pure rule; conf_files_list() reads the directories
 * (optionally under a root directory, for checking a prepared file tree).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef struct ConfFile {
        char *name;      /* file name, e.g. "10-netplan-eth0.network" */
        char *path;      /* path as read, root prefix included */
        char *dir;       /* the directory as given (without root), e.g. "/run/systemd/network" */
        unsigned dir_index;
        bool masked;
} ConfFile;

/* Sorts v by name and drops every entry whose name also appears with a lower
 * dir_index (freeing it). Returns the new count. */
size_t conf_files_resolve(ConfFile *v, size_t n);

/* Lists regular files (or symlinks) ending in suffix (NULL or "": any name not starting
 * with '.') in root + dirs[i] (root may be NULL or ""), resolved as above. Missing
 * directories are skipped. Returns 0 with a malloc'd array (free with
 * conf_files_free()), or -errno (-ENOMEM, -EACCES ... from opendir other than ENOENT/
 * ENOTDIR). */
int conf_files_list(const char *root, const char *const *dirs, size_t n_dirs, const char *suffix, ConfFile **ret,
                    size_t *ret_n);

/* Drop-ins "<dir>/<name>.d/<anything><suffix>" for the unit/file name, same rules. */
int conf_files_list_dropins(const char *root, const char *const *dirs, size_t n_dirs, const char *name,
                            const char *suffix, ConfFile **ret, size_t *ret_n);

void conf_files_free(ConfFile *v, size_t n);
