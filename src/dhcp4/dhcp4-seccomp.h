/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * infradhcpd's system call allow-list (seccomp-bpf through libseccomp), installed by
 * the daemon itself once start-up is over, so it holds without systemd too. What it
 * allows and why: docs/security.md. Not here: capabilities (capability-util), the
 * decision when to install it (infradhcpd.c).
 */
#pragma once

#include <stddef.h>

typedef enum Dhcp4SeccompMode {
        DHCP4_SECCOMP_OFF,     /* no filter */
        DHCP4_SECCOMP_ENFORCE, /* a call outside the list kills the process (SIGSYS) */
        DHCP4_SECCOMP_LOG,     /* a call outside the list is allowed and logged by the kernel
                                * (audit type 1326, `dmesg`/`journalctl -k`): to find a missing entry */
        _DHCP4_SECCOMP_MODE_MAX,
} Dhcp4SeccompMode;

const char *dhcp4_seccomp_mode_to_string(Dhcp4SeccompMode m); /* "no", "yes", "log" */
/* "yes"/"no"/"log" (and the usual boolean spellings); -EINVAL otherwise. */
int dhcp4_seccomp_mode_from_string(const char *s);

/* Sets PR_SET_NO_NEW_PRIVS and loads the filter into the kernel for this process
 * (the daemon is single-threaded; the filter is inherited by nothing, since it never
 * forks). Returns 0 (also for OFF, doing nothing), or a negative errno; on failure no
 * filter is loaded. */
int dhcp4_seccomp_install(Dhcp4SeccompMode mode);

/* The allowed system call names, NULL-terminated (for docs and tests). Calls unknown
 * on this architecture are skipped when the filter is built. */
extern const char *const dhcp4_seccomp_allowed[];
