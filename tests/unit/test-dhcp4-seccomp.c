/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * infradhcpd's seccomp filter, installed exactly as the daemon installs it
 * (dhcp4_seccomp_install), in a child process per case: what the daemon does at run
 * time still works, and each forbidden call kills the child with SIGSYS. No privilege
 * needed (the filter sets no_new_privs itself).
 */

#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "dhcp4-seccomp.h"

/* The sanitizer runtimes make calls of their own at exit (LeakSanitizer ptraces): the
 * children leave with _exit() and the filtered cases are skipped under ASan. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#endif

typedef int (*ChildFn)(void);

/* Runs fn in a child after installing the filter in `mode`; returns the wait status. */
static int run_filtered(Dhcp4SeccompMode mode, ChildFn fn) {
        int status;
        pid_t pid;

        fflush(NULL);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                if (dhcp4_seccomp_install(mode) < 0)
                        _exit(100);
                _exit(fn());
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        return status;
}

static void assert_killed(int status, const char *what) {
        if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGSYS)
                fail_msg("%s: want death by SIGSYS, got %s %d", what, WIFSIGNALED(status) ? "signal" : "exit",
                         WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
}

static void assert_exit0(int status, const char *what) {
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                fail_msg("%s: want exit 0, got %s %d", what, WIFSIGNALED(status) ? "signal" : "exit",
                         WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
}

/* What the daemon does after start-up, each step checked (exit code = failing step). */
static char g_dir[] = "/tmp/test-seccomp-XXXXXX";

static int daemon_like(void) {
        char path[64], tmp[64], buf[16];
        struct timespec ts;
        void *p;
        int fd;

        if (clock_gettime(CLOCK_BOOTTIME, &ts) < 0)
                return 1;
        if (getrandom(buf, sizeof(buf), 0) != (ssize_t) sizeof(buf))
                return 2;
        /* sockets of the four allowed families, as the daemon opens them */
        fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return 3;
        close(fd);
        fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
        if (fd < 0)
                return 4;
        close(fd);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return 5;
        close(fd);
        /* AF_PACKET needs CAP_NET_RAW: the call must be allowed (EPERM is fine) */
        fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd >= 0)
                close(fd);
        else if (errno != EPERM)
                return 6;
        /* the atomic lease-file write: mkdir, open, write, fsync, fchmod, rename, unlink */
        snprintf(path, sizeof(path), "%s/state", g_dir);
        if (mkdir(path, 0755) < 0)
                return 7;
        snprintf(path, sizeof(path), "%s/state/eth0.lease", g_dir);
        snprintf(tmp, sizeof(tmp), "%s/state/.eth0.lease.tmp", g_dir);
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || write(fd, "ADDRESS=x\n", 10) != 10 || fsync(fd) < 0 || fchmod(fd, 0644) < 0)
                return 8;
        close(fd);
        if (rename(tmp, path) < 0 || unlink(path) < 0)
                return 9;
        /* memory: anonymous read/write mappings */
        p = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED || mprotect(p, 4096, PROT_READ) < 0 || munmap(p, 65536) < 0)
                return 10;
        /* read-only prctl that libsystemd makes */
        if (prctl(PR_CAPBSET_READ, 0, 0, 0, 0) < 0)
                return 11;
        return 0;
}

static void test_allowed(void **state) {
        char sub[64];
        int status;

#ifdef UNDER_ASAN
        skip();
#endif
        assert_non_null(mkdtemp(g_dir));
        status = run_filtered(DHCP4_SECCOMP_ENFORCE, daemon_like);
        snprintf(sub, sizeof(sub), "%s/state", g_dir);
        (void) rmdir(sub); /* rmdir is not in the list: the parent cleans up */
        assert_int_equal(rmdir(g_dir), 0);
        assert_exit0(status, "daemon-like calls");
}

static int do_execve(void) {
        char *argv[] = { (char *) "/bin/true", NULL };
        execve("/bin/true", argv, NULL);
        return 1;
}
static int do_fork(void) {
        return syscall(SYS_fork) < 0 ? 1 : 0;
}
static int do_clone(void) {
        return syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0) < 0 ? 1 : 0;
}
static int do_inet6(void) {
        return socket(AF_INET6, SOCK_DGRAM, 0) < 0 ? 1 : 0;
}
static int do_ptrace(void) {
        return ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0 ? 1 : 0;
}
static int do_unshare(void) {
        return unshare(CLONE_NEWNET) < 0 ? 1 : 0;
}
static int do_setuid(void) {
        return syscall(SYS_setuid, 0) < 0 ? 1 : 0;
}
static int do_mount(void) {
        return syscall(SYS_mount, "none", "/mnt", "tmpfs", 0, NULL) < 0 ? 1 : 0;
}
static int do_wx_mmap(void) {
        return mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED;
}
static int do_mprotect_exec(void) {
        void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        return p == MAP_FAILED ? 2 : mprotect(p, 4096, PROT_READ | PROT_EXEC) < 0;
}
static int do_kill_other(void) {
        return kill(1, 0) < 0 ? 1 : 0;
}
static int do_prctl_set(void) {
        return prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0 ? 1 : 0;
}
static int do_bpf(void) {
        return syscall(SYS_bpf, 0, NULL, 0) < 0 ? 1 : 0;
}

static void test_forbidden(void **state) {
        static const struct {
                const char *name;
                ChildFn fn;
        } cases[] = {
                { "execve", do_execve },         { "fork", do_fork },
                { "clone", do_clone },           { "socket(AF_INET6)", do_inet6 },
                { "ptrace", do_ptrace },         { "unshare", do_unshare },
                { "setuid", do_setuid },         { "mount", do_mount },
                { "mmap(W+X)", do_wx_mmap },     { "mprotect(+X)", do_mprotect_exec },
                { "kill(1)", do_kill_other },    { "prctl(PR_SET_DUMPABLE)", do_prctl_set },
                { "bpf", do_bpf },
        };
#ifdef UNDER_ASAN
        skip();
#endif
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                assert_killed(run_filtered(DHCP4_SECCOMP_ENFORCE, cases[i].fn), cases[i].name);
}

/* LOG mode allows what ENFORCE kills (the kernel only logs it); OFF installs nothing. */
static void test_log_and_off(void **state) {
#ifdef UNDER_ASAN
        skip();
#endif
        assert_exit0(run_filtered(DHCP4_SECCOMP_LOG, do_prctl_set), "prctl in log mode");
        assert_exit0(run_filtered(DHCP4_SECCOMP_OFF, do_prctl_set), "prctl with the filter off");
}

static void test_mode_strings(void **state) {
        assert_int_equal(dhcp4_seccomp_mode_from_string("yes"), DHCP4_SECCOMP_ENFORCE);
        assert_int_equal(dhcp4_seccomp_mode_from_string("no"), DHCP4_SECCOMP_OFF);
        assert_int_equal(dhcp4_seccomp_mode_from_string("log"), DHCP4_SECCOMP_LOG);
        assert_int_equal(dhcp4_seccomp_mode_from_string("maybe"), -EINVAL);
        assert_int_equal(dhcp4_seccomp_mode_from_string(NULL), -EINVAL);
        for (int m = 0; m < _DHCP4_SECCOMP_MODE_MAX; m++)
                assert_int_equal(dhcp4_seccomp_mode_from_string(dhcp4_seccomp_mode_to_string(m)), m);
        assert_null(dhcp4_seccomp_mode_to_string(_DHCP4_SECCOMP_MODE_MAX));
        assert_int_equal(dhcp4_seccomp_install(_DHCP4_SECCOMP_MODE_MAX), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_allowed),
                cmocka_unit_test(test_forbidden),
                cmocka_unit_test(test_log_and_off),
                cmocka_unit_test(test_mode_strings),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
