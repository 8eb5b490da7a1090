/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * infradhcpd's system call allow-list, installed by the daemon itself so it holds
 * without systemd too. The BPF program is built from the rules in dhcp4-seccomp-policy.c
 * by libseccomp when infradhcpd is built (dhcp4-seccomp-gen.c); installing it is one
 * seccomp(2) call, with no libseccomp at run time. What it allows and why, and when it
 * is installed: docs/security.md. Not here: capabilities (capability-util), the decision
 * when to install it (infradhcpd.c).
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
 * forks). Returns 0 (also for OFF, doing nothing), or a negative errno: -EOPNOTSUPP for
 * LOG on a kernel without SECCOMP_RET_LOG (before 4.14); on failure no filter is loaded. */
int dhcp4_seccomp_install(Dhcp4SeccompMode mode);

/* The program install() loads for `mode` (ENFORCE or LOG) into prog (at least
 * dhcp4_seccomp_program_len() instructions), with tgkill limited to `pid`. Returns the
 * number of instructions, -EINVAL for OFF or an unknown mode. For the unit test, which
 * compares it with what libseccomp builds from the rules at test time. */
struct sock_filter;
int dhcp4_seccomp_program(Dhcp4SeccompMode mode, unsigned pid, struct sock_filter *prog, size_t n);
size_t dhcp4_seccomp_program_len(Dhcp4SeccompMode mode);
