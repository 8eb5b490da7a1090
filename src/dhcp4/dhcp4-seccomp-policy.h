/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * infradhcpd's system call allow-list as libseccomp rules. Build time only: the
 * generator (dhcp4-seccomp-gen.c) turns them into the BPF program the daemon installs
 * (dhcp4-seccomp.h); the seccomp unit test builds them again to check that program.
 */
#pragma once

#include <stdint.h>

#include <seccomp.h>

/* A libseccomp filter with every rule: `action` for calls outside the list
 * (SCMP_ACT_KILL_PROCESS or SCMP_ACT_LOG); self_pid is the only process tgkill() may
 * signal (abort()). Calls unknown on this architecture are skipped. Returns 0 and the
 * filter in *ret (seccomp_release() it), or libseccomp's negative errno. */
int dhcp4_seccomp_policy_build(uint32_t action, uint32_t self_pid, scmp_filter_ctx *ret);

/* The calls allowed with any arguments, NULL-terminated (for docs and tests); socket,
 * mmap, mprotect, ioctl, prctl and tgkill are allowed with argument checks on top. */
extern const char *const dhcp4_seccomp_allowed[];
