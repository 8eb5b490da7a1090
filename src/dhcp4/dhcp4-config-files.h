/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which files make up infradhcpd's configuration of one interface, and reading them
 * into one Dhcp4Config, with systemd's rules (docs/configuration.md, "Drop-ins"):
 *
 *   main file   IFNAME.conf, the first found in /etc/infradhcp, /run/infradhcp,
 *               /usr/lib/infradhcp (SYSCONFDIR, RUNTIME_DIR, PREFIX/lib);
 *   drop-ins    IFNAME.conf.d/ *.conf in the same three directories: a file name
 *               counts once (the copy in the earliest directory wins: /etc over /run
 *               over /usr/lib), applied after the main file in lexical order of their
 *               names, whatever directory each comes from.
 *
 * A file that is empty or a symlink to /dev/null masks the lower-priority files of
 * the same name and applies nothing. With --config FILE only FILE and FILE.d/ *.conf
 * are read. The parser (dhcp4_config_parse_texts) is pure; this is its file edge.
 * Not here: what any key means (dhcp4-config).
 */
#pragma once

#include <stddef.h>

#include "dhcp4-config.h"

#define DHCP4_CONFIG_FILE_MAX (64 * 1024)

typedef struct Dhcp4ConfigFiles {
        char **paths; /* main file first (when there is one), then the drop-ins in order */
        size_t n;
        bool has_main;
} Dhcp4ConfigFiles;

/* Lists the files for ifname under root (NULL or "" for /; for tests), or for the
 * explicit main file path (root is not applied to it). Returns 0 or -errno. */
int dhcp4_config_files_list(const char *root, const char *ifname, const char *explicit_path,
                            Dhcp4ConfigFiles *ret);
void dhcp4_config_files_done(Dhcp4ConfigFiles *f);

/* Reads and parses the listed files on top of *c (dhcp4_config_init() first). Returns
 * 0, or -errno with *ret_failed_path (may be NULL) pointing into f->paths (NULL when
 * the files together contradict themselves) and the reason in err: for -EINVAL the
 * parser's, with its line; for a file that cannot be read (-ENOENT, -EACCES, -EFBIG
 * above DHCP4_CONFIG_FILE_MAX ...) what went wrong. */
int dhcp4_config_files_load(const Dhcp4ConfigFiles *f, Dhcp4Config *c, const char **ret_failed_path, char *err,
                            size_t errlen);
