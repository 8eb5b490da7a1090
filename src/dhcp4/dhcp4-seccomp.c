/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Installs infradhcpd's seccomp program (see dhcp4-seccomp.h). The program was compiled
 * from dhcp4-seccomp-policy.c by libseccomp when the daemon was built
 * (dhcp4-seccomp-gen.c, the generated dhcp4-seccomp-program.h): here it is copied,
 * given the daemon's pid where tgkill() is checked, and loaded with seccomp(2). libc
 * only: nothing to compile, nothing to map, nothing left on the heap.
 */

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "dhcp4-seccomp.h"
#include "dhcp4-seccomp-program.h"

static const char *const mode_table[_DHCP4_SECCOMP_MODE_MAX] = {
        [DHCP4_SECCOMP_OFF] = "no",
        [DHCP4_SECCOMP_ENFORCE] = "yes",
        [DHCP4_SECCOMP_LOG] = "log",
};

const char *dhcp4_seccomp_mode_to_string(Dhcp4SeccompMode m) {
        if ((unsigned) m >= _DHCP4_SECCOMP_MODE_MAX)
                return NULL;
        return mode_table[m];
}

int dhcp4_seccomp_mode_from_string(const char *s) {
        if (!s)
                return -EINVAL;
        if (strcmp(s, "yes") == 0 || strcmp(s, "true") == 0 || strcmp(s, "on") == 0 || strcmp(s, "1") == 0)
                return DHCP4_SECCOMP_ENFORCE;
        if (strcmp(s, "no") == 0 || strcmp(s, "false") == 0 || strcmp(s, "off") == 0 || strcmp(s, "0") == 0)
                return DHCP4_SECCOMP_OFF;
        if (strcmp(s, "log") == 0)
                return DHCP4_SECCOMP_LOG;
        return -EINVAL;
}

#define ELEMS(a) (sizeof(a) / sizeof((a)[0]))

size_t dhcp4_seccomp_program_len(Dhcp4SeccompMode mode) {
        switch (mode) {
        case DHCP4_SECCOMP_ENFORCE:
                return ELEMS(dhcp4_seccomp_program_enforce);
        case DHCP4_SECCOMP_LOG:
                return ELEMS(dhcp4_seccomp_program_log);
        default:
                return 0;
        }
}

int dhcp4_seccomp_program(Dhcp4SeccompMode mode, unsigned pid, struct sock_filter *prog, size_t n) {
        const struct sock_filter *src;
        const uint16_t *at;
        size_t len, n_at;

        switch (mode) {
        case DHCP4_SECCOMP_ENFORCE:
                src = dhcp4_seccomp_program_enforce, len = ELEMS(dhcp4_seccomp_program_enforce);
                at = dhcp4_seccomp_program_enforce_pid, n_at = ELEMS(dhcp4_seccomp_program_enforce_pid);
                break;
        case DHCP4_SECCOMP_LOG:
                src = dhcp4_seccomp_program_log, len = ELEMS(dhcp4_seccomp_program_log);
                at = dhcp4_seccomp_program_log_pid, n_at = ELEMS(dhcp4_seccomp_program_log_pid);
                break;
        default:
                return -EINVAL;
        }
        if (!prog || n < len)
                return -ENOBUFS;
        memcpy(prog, src, len * sizeof(*prog));
        for (size_t i = 0; i < n_at; i++)
                prog[at[i]].k = pid;
        return (int) len;
}

int dhcp4_seccomp_install(Dhcp4SeccompMode mode) {
        struct sock_filter prog[ELEMS(dhcp4_seccomp_program_enforce) > ELEMS(dhcp4_seccomp_program_log)
                                        ? ELEMS(dhcp4_seccomp_program_enforce)
                                        : ELEMS(dhcp4_seccomp_program_log)];
        struct sock_fprog fprog = { .filter = prog };
        int n;

        if (mode == DHCP4_SECCOMP_OFF)
                return 0;
        n = dhcp4_seccomp_program(mode, (unsigned) getpid(), prog, ELEMS(prog));
        if (n < 0)
                return n;
        fprog.len = (unsigned short) n;
        if (mode == DHCP4_SECCOMP_LOG) {
                /* Before Linux 4.14 an unknown action kills: say so instead. */
                uint32_t action = SECCOMP_RET_LOG;
                if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) < 0)
                        return errno == EINVAL || errno == EOPNOTSUPP ? -EOPNOTSUPP : -errno;
        }
        /* No new privileges: what lets a process without CAP_SYS_ADMIN load a filter. */
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return -errno;
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) < 0)
                return -errno;
        return 0;
}
