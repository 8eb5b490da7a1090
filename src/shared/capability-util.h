/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Least privilege for the daemons (libcap): keep only the capabilities named, drop the
 * rest from the effective, permitted, inheritable and ambient sets and, where the
 * process may, from the bounding set; set PR_SET_NO_NEW_PRIVS. The uid stays (the
 * daemons own root's files in their state and runtime directories); without the
 * dropped capabilities root is no more than those files. Which capability is kept for
 * what: docs/security.md. Not here: the seccomp filter (dhcp4-seccomp).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <sys/capability.h>

/* Drops every capability not in keep[0..n_keep). Capabilities in `keep` that the process
 * does not have are not gained (a daemon started without CAP_NET_ADMIN stays without
 * it; capability_effective_names() tells what it has). The bounding set is reduced only
 * with CAP_SETPCAP (root started by hand); under a service manager that already
 * restricted it, EPERM there is not an error. Returns 0 or a negative errno. */
int capability_drop_except(const cap_value_t *keep, size_t n_keep);

/* True when `cap` is in the effective set. */
bool capability_have(cap_value_t cap);

/* The effective set as lower-case names ("cap_net_admin,cap_net_raw"), "" when empty,
 * written to buf (NUL-terminated, truncated at size). Returns buf. */
char *capability_effective_names(char *buf, size_t size);
