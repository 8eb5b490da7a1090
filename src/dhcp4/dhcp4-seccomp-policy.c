/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * infradhcpd's seccomp allow-list as libseccomp rules (see dhcp4-seccomp-policy.h).
 * The list was taken from what the daemon does once it runs (strace over the whole
 * netns suite: leasing, renewal, NAK, release, carrier, ACD, varlink, D-Bus, sd_notify,
 * the journal), grouped by purpose, and is checked by that same suite running with the
 * filter on. Everything not listed kills the process: no exec, fork, clone (the daemon
 * has no threads), ptrace, mount/namespace calls, module/bpf/keyring calls, set*id or
 * capset, no sockets outside AF_UNIX/AF_INET/AF_NETLINK/AF_PACKET, no memory both
 * writable and executable. docs/security.md explains each group.
 *
 * Used at build time only: dhcp4-seccomp-gen compiles these rules into the BPF program
 * the daemon loads (dhcp4-seccomp.c), so the daemon neither links libseccomp nor
 * compiles a filter when it starts (docs/security.md, "The system call filter").
 */

#include <errno.h>
#include <fcntl.h>
#include <linux/prctl.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <seccomp.h>

#include "dhcp4-seccomp-policy.h"

/* Allowed with any arguments. Grouped as docs/security.md describes them. */
const char *const dhcp4_seccomp_allowed[] = {
        /* memory (mmap/mprotect are added below, without W+X) */
        "brk", "munmap", "mremap", "madvise",
        /* files: the lease, the policy and the configuration, /proc and /sys reads */
        "read", "write", "readv", "writev", "pread64", "pwrite64", "lseek", "_llseek",
        "open", "openat", "close", "close_range", "fstat", "fstat64", "stat", "stat64", "lstat",
        "lstat64", "newfstatat", "fstatat64", "statx", "fstatfs", "fstatfs64", "statfs",
        "access", "faccessat", "faccessat2", "readlink", "readlinkat", "getdents64",
        "mkdir", "mkdirat", "rename", "renameat", "renameat2", "unlink", "unlinkat",
        "fsync", "fdatasync", "ftruncate", "fchmod", "chmod", "fchmodat", "fcntl", "fcntl64",
        "dup", "dup2", "dup3", "umask", "getcwd", "memfd_create", "pipe2",
        /* sockets (socket() itself is limited to four families below) */
        "bind", "listen", "accept", "accept4", "connect", "getsockname", "getpeername",
        "getsockopt", "setsockopt", "sendto", "sendmsg", "sendmmsg", "recvfrom", "recvmsg",
        "recvmmsg", "shutdown", "socketpair",
        /* the event loop (sd-event) */
        "epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2",
        "poll", "ppoll", "select", "pselect6", "timerfd_create", "timerfd_settime", "timerfd_gettime",
        "signalfd", "signalfd4", "eventfd", "eventfd2",
        /* time */
        "clock_gettime", "clock_getres", "gettimeofday", "time", "nanosleep", "clock_nanosleep",
        /* who am I (sd-bus, sd-daemon, logging) */
        "getpid", "gettid", "getppid", "getuid", "geteuid", "getgid", "getegid", "getuid32",
        "geteuid32", "getgid32", "getegid32", "getgroups", "getresuid", "getresgid", "uname",
        "sysinfo", "prlimit64", "getrlimit", "ugetrlimit", "getrusage", "sched_getaffinity",
        "sched_yield", "capget", "getrandom",
        /* signals, futexes and leaving */
        "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigreturn", "sigaltstack",
        "rt_sigtimedwait", "futex", "set_robust_list", "get_robust_list", "rseq", "set_tid_address",
        "restart_syscall", "exit", "exit_group",
        NULL,
};

/* seccomp_rule_add() for a name that may not exist on this architecture: skipped. */
static int allow(scmp_filter_ctx ctx, const char *name, unsigned n, const struct scmp_arg_cmp *args) {
        int nr = seccomp_syscall_resolve_name(name);

        if (nr == __NR_SCMP_ERROR)
                return 0;
        return seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, n, args);
}

/* Allowed when argument `arg` compares as `op` with `a` (MASKED_EQ: (x & a) == b). */
static int allow_if(scmp_filter_ctx ctx, const char *name, unsigned arg, enum scmp_compare op, scmp_datum_t a,
                    scmp_datum_t b) {
        const struct scmp_arg_cmp cmp = { .arg = arg, .op = op, .datum_a = a, .datum_b = b };
        return allow(ctx, name, 1, &cmp);
}

static int policy_add(scmp_filter_ctx ctx, uint32_t self_pid) {
        static const int families[] = { AF_UNIX, AF_INET, AF_NETLINK, AF_PACKET };
        /* Read-only prctl()s libsystemd makes (PR_CAPBSET_READ for sd-bus credentials). */
        static const int prctl_ok[] = { PR_CAPBSET_READ, PR_GET_NAME, PR_SET_NAME, PR_GET_DUMPABLE,
                                        PR_GET_NO_NEW_PRIVS, PR_GET_KEEPCAPS, PR_GET_SECUREBITS,
                                        PR_GET_SECCOMP };
        int r;

        for (size_t i = 0; dhcp4_seccomp_allowed[i]; i++) {
                r = allow(ctx, dhcp4_seccomp_allowed[i], 0, NULL);
                if (r < 0)
                        return r;
        }

        /* Sockets: UNIX (varlink, D-Bus, journal, sd_notify), INET (the UDP socket on the
         * leased address), NETLINK (rtnetlink), PACKET (DHCP before an address, ARP). */
        for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
                r = allow_if(ctx, "socket", 0, SCMP_CMP_EQ, (scmp_datum_t) families[i], 0);
                if (r < 0)
                        return r;
        }

        /* Memory never writable and executable at once (as MemoryDenyWriteExecute=):
         * mmap without PROT_EXEC, or with it but without PROT_WRITE; mprotect never
         * adds PROT_EXEC. */
        r = allow_if(ctx, "mmap", 2, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0);
        if (r >= 0)
                r = allow_if(ctx, "mmap", 2, SCMP_CMP_MASKED_EQ, PROT_WRITE, 0);
        if (r >= 0)
                r = allow_if(ctx, "mmap2", 2, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0);
        if (r >= 0)
                r = allow_if(ctx, "mmap2", 2, SCMP_CMP_MASKED_EQ, PROT_WRITE, 0);
        if (r >= 0)
                r = allow_if(ctx, "mprotect", 2, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0);
        if (r < 0)
                return r;

        /* ioctl: anything but pushing input into a terminal. The daemon itself only asks
         * isatty() (TCGETS) of stderr. */
        r = allow_if(ctx, "ioctl", 1, SCMP_CMP_NE, TIOCSTI, 0);
        if (r < 0)
                return r;

        for (size_t i = 0; i < sizeof(prctl_ok) / sizeof(prctl_ok[0]); i++) {
                r = allow_if(ctx, "prctl", 0, SCMP_CMP_EQ, (scmp_datum_t) prctl_ok[i], 0);
                if (r < 0)
                        return r;
        }

        /* abort() signals itself (tgkill to our own pid); nothing else may be signalled. */
        r = allow_if(ctx, "tgkill", 0, SCMP_CMP_EQ, (scmp_datum_t) self_pid, 0);
        if (r < 0)
                return r;
        return 0;
}

int dhcp4_seccomp_policy_build(uint32_t action, uint32_t self_pid, scmp_filter_ctx *ret) {
        scmp_filter_ctx ctx;
        int r;

        if (!ret)
                return -EINVAL;
        ctx = seccomp_init(action);
        if (!ctx)
                return -EINVAL;
        /* A binary tree over the syscall numbers instead of libseccomp's default linear
         * list: the kernel emulates the program for every syscall number of every
         * architecture when it is loaded (its allow-cache), and runs it on every call the
         * cache cannot answer; both take about log2(n) instead of n comparisons. */
        r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
        if (r >= 0)
                r = policy_add(ctx, self_pid);
        if (r < 0) {
                seccomp_release(ctx);
                return r;
        }
        *ret = ctx;
        return 0;
}
