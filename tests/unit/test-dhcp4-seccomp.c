/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * infradhcpd's seccomp filter, installed exactly as the daemon installs it
 * (dhcp4_seccomp_install), in a child process per case: what the daemon does at run
 * time still works, and each forbidden call kills the child with SIGSYS. No privilege
 * needed (the filter sets no_new_privs itself). The program the daemon loads was
 * compiled when it was built: it must be the very program libseccomp builds from the
 * rules (dhcp4-seccomp-policy.c) now, for this process's pid.
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
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/filter.h>

#include <cmocka.h>
#include <seccomp.h>

#include "dhcp4-seccomp.h"
#include "dhcp4-seccomp-policy.h"

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
static int do_tgkill_other(void) {
        /* the parent's pid, as compiled into the program's placeholder it is not */
        return syscall(SYS_tgkill, getppid(), getppid(), 0) < 0 ? 1 : 0;
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
                { "bpf", do_bpf },               { "tgkill(parent)", do_tgkill_other },
        };
#ifdef UNDER_ASAN
        skip();
#endif
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                assert_killed(run_filtered(DHCP4_SECCOMP_ENFORCE, cases[i].fn), cases[i].name);
}

/* abort() signals the process itself (tgkill with its own pid, patched into the
 * program at install time): it dies of SIGABRT, not of SIGSYS. */
static int do_abort(void) {
        const struct rlimit none = {};
        (void) setrlimit(RLIMIT_CORE, &none); /* no core file from the test */
        abort();
}

static void test_abort_allowed(void **state) {
        int status;
#ifdef UNDER_ASAN
        skip();
#endif
        status = run_filtered(DHCP4_SECCOMP_ENFORCE, do_abort);
        if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT)
                fail_msg("abort(): want death by SIGABRT, got %s %d", WIFSIGNALED(status) ? "signal" : "exit",
                         WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
}

/* What libseccomp builds from the rules for `action` and `pid`, as the generator does. */
static size_t libseccomp_program(uint32_t action, unsigned pid, struct sock_filter *prog, size_t n) {
        scmp_filter_ctx ctx;
        FILE *f;
        long size;

        assert_int_equal(seccomp_api_set(3), 0);
        assert_int_equal(dhcp4_seccomp_policy_build(action, pid, &ctx), 0);
        f = tmpfile();
        assert_non_null(f);
        assert_int_equal(seccomp_export_bpf(ctx, fileno(f)), 0);
        seccomp_release(ctx);
        size = lseek(fileno(f), 0, SEEK_END);
        assert_true(size > 0 && size % sizeof(struct sock_filter) == 0);
        assert_true((size_t) size <= n * sizeof(struct sock_filter));
        assert_int_equal(pread(fileno(f), prog, size, 0), size);
        fclose(f);
        return size / sizeof(struct sock_filter);
}

static void test_program_is_libseccomps(void **state) {
        static const struct {
                Dhcp4SeccompMode mode;
                uint32_t action;
        } modes[] = { { DHCP4_SECCOMP_ENFORCE, SCMP_ACT_KILL_PROCESS }, { DHCP4_SECCOMP_LOG, SCMP_ACT_LOG } };
        struct sock_filter built[1024], want[1024], small[4];
        unsigned pid = (unsigned) getpid();

        for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
                size_t n = libseccomp_program(modes[i].action, pid, want, 1024);
                int len = dhcp4_seccomp_program(modes[i].mode, pid, built, 1024);

                assert_int_equal(len, (int) n);
                assert_int_equal(dhcp4_seccomp_program_len(modes[i].mode), n);
                assert_memory_equal(built, want, n * sizeof(struct sock_filter));
                /* another pid gives another program: the pid really is in it */
                assert_int_equal(dhcp4_seccomp_program(modes[i].mode, pid + 1, built, 1024), (int) n);
                assert_memory_not_equal(built, want, n * sizeof(struct sock_filter));
        }
        assert_int_equal(dhcp4_seccomp_program(DHCP4_SECCOMP_ENFORCE, pid, small, 4), -ENOBUFS);
        assert_int_equal(dhcp4_seccomp_program(DHCP4_SECCOMP_OFF, pid, built, 1024), -EINVAL);
        assert_int_equal(dhcp4_seccomp_program_len(DHCP4_SECCOMP_OFF), 0);
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
                cmocka_unit_test(test_abort_allowed),
                cmocka_unit_test(test_program_is_libseccomps),
                cmocka_unit_test(test_log_and_off),
                cmocka_unit_test(test_mode_strings),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
