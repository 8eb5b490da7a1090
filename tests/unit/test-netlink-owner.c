/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for the owner of a netlink port (src/shared/netlink-owner.c): the
 * /proc/net/netlink table, the port-naming conventions (autobind: the pid; libnl:
 * pid + n * 2^22), and the lookup in a prepared /proc tree: matched by socket inode,
 * by the convention when the fds cannot be read, a closed socket of a live process, an
 * exited process, the kernel, names from argv[0] and comm.
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fileio.h"
#include "macro.h"
#include "netlink-owner.h"

#define HEADER "sk               Eth Pid        Groups   Rmem     Wmem     Dump  Locks    Drops    Inode\n"
static const char table[] = HEADER
        "ffff8f0a41e2c000 0   812        00000551 0        0        0     2        0        23411\n"
        "ffff8f0a41e2c800 0   4194816    00000000 0        0        0     2        0        23412\n"
        "ffff8f0a41e2d000 16  812        00000000 0        0        0     2        0        23413\n"
        "ffff8f0a41e2d800 0   3735928559 00000000 0        0        0     2        0        23414\n"
        "ffff8f0a41e2e000 0   4242       00000000 0        0        0     2        0        23415\n";

static char root[64];

static void put(const char *rel, const char *text, size_t len) {
        char path[256], dir[256];

        snprintf(path, sizeof(path), "%s%s", root, rel);
        snprintf(dir, sizeof(dir), "%s", path);
        *strrchr(dir, '/') = '\0';
        assert_int_equal(mkdir_p(dir, 0755), 0);
        assert_int_equal(write_file_atomic(path, text, len, 0644), 0);
}

static void fd_link(int pid, int fd, const char *target) {
        char path[300], dir[200];

        snprintf(dir, sizeof(dir), "%s/%d/fd", root, pid);
        assert_int_equal(mkdir_p(dir, 0755), 0);
        snprintf(path, sizeof(path), "%s/%d", dir, fd);
        assert_int_equal(symlink(target, path), 0);
}

static int setup(void **state) {
        snprintf(root, sizeof(root), "/tmp/test-netlink-owner.XXXXXX");
        assert_non_null(mkdtemp(root));
        put("/self/net/netlink", table, sizeof(table) - 1);
        /* NetworkManager, pid 812: its socket 23411 among other fds. */
        put("/812/cmdline", "/usr/sbin/NetworkManager\0--no-daemon\0", 37);
        put("/812/comm", "NetworkManager\n", 15);
        fd_link(812, 0, "/dev/null");
        fd_link(812, 7, "socket:[99]");
        fd_link(812, 9, "socket:[23411]");
        /* libnl-style port 4194816 = 512 + 1 << 22: pid 512, a title with spaces. */
        put("/512/cmdline", "sshd: root@pts/0\0", 17);
        put("/512/comm", "sshd\n", 5);
        /* pid 300: systemd-networkd, its fds not readable here (no fd directory). */
        put("/300/cmdline", "/lib/systemd/systemd-networkd\0", 30);
        put("/300/comm", "systemd-network\n", 16);
        /* pid 4242: the socket exists, no cmdline, a comm with a control byte. */
        put("/4242/comm", "ip\x01x\n", 5);
        return 0;
}

static int teardown(void **state) {
        char cmd[128];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        assert_int_equal(system(cmd), 0);
        return 0;
}

static void test_table(void **state) {
        uint64_t ino = 0;

        assert_int_equal(netlink_owner_parse_table(table, sizeof(table) - 1, 0, 812, &ino), 0);
        assert_true(ino == 23411);
        /* The same port in another protocol (16: generic netlink) is another socket. */
        assert_int_equal(netlink_owner_parse_table(table, sizeof(table) - 1, 16, 812, &ino), 0);
        assert_true(ino == 23413);
        assert_int_equal(netlink_owner_parse_table(table, sizeof(table) - 1, 0, 3735928559u, &ino), 0);
        assert_true(ino == 23414);
        assert_int_equal(netlink_owner_parse_table(table, sizeof(table) - 1, 0, 813, &ino), -ENOENT);
        assert_int_equal(netlink_owner_parse_table(table, sizeof(table) - 1, 9, 812, &ino), -ENOENT);
        /* Columns by the header: reordered columns read right, a header without them is bad. */
        {
                static const char other[] = "Inode Pid Eth\n77 812 0\n";

                assert_int_equal(netlink_owner_parse_table(other, sizeof(other) - 1, 0, 812, &ino), 0);
                assert_true(ino == 77);
        }
        assert_int_equal(netlink_owner_parse_table("sk Eth Pid\n1 0 812\n", 19, 0, 812, &ino), -EBADMSG);
        assert_int_equal(netlink_owner_parse_table("no newline", 10, 0, 812, &ino), -EBADMSG);
        /* Garbage lines are skipped. */
        {
                static const char junk[] = HEADER "x y z\n\n" "ffff 0 812x 0 0 0 0 0 0 5\n"
                                                  "ffff 0 812 0 0 0 0 0 0 6\n";

                assert_int_equal(netlink_owner_parse_table(junk, sizeof(junk) - 1, 0, 812, &ino), 0);
                assert_true(ino == 6);
        }
}

static void test_candidates(void **state) {
        pid_t c[2];

        assert_int_equal(netlink_owner_candidates(0, c), 0);
        assert_int_equal(netlink_owner_candidates(812, c), 1);
        assert_int_equal(c[0], 812);
        /* libnl: pid + n << 22. */
        assert_int_equal(netlink_owner_candidates(512 + (3u << 22), c), 1);
        assert_int_equal(c[0], 512);
        assert_int_equal(netlink_owner_candidates(3u << 22, c), 0);
        /* The kernel's negative ports after a clash: no pid. */
        assert_int_equal(netlink_owner_candidates(0xfffff001u, c), 0);
}

static void test_find(void **state) {
        NetlinkOwner o;
        char buf[128];

        /* Matched by the socket's inode in its fds. */
        assert_int_equal(netlink_owner_find(root, 0, 812, &o), 0);
        assert_int_equal(o.pid, 812);
        assert_false(o.by_port);
        assert_false(o.socket_gone);
        assert_string_equal(o.name, "NetworkManager");
        assert_string_equal(netlink_owner_describe(&o, buf, sizeof(buf)), "NetworkManager (pid 812)");

        /* libnl's port of pid 512: by the convention (512 has no fd directory); a
         * process title with spaces falls back to comm. */
        assert_int_equal(netlink_owner_find(root, 0, 4194816, &o), 0);
        assert_int_equal(o.pid, 512);
        assert_true(o.by_port);
        assert_string_equal(netlink_owner_describe(&o, buf, sizeof(buf)), "sshd (pid 512)");

        /* pid 300's socket is gone (it closed it), the process still runs: named. */
        assert_int_equal(netlink_owner_find(root, 0, 300, &o), 0);
        assert_true(o.socket_gone);
        assert_false(o.exited);
        assert_int_equal(o.pid, 300);
        assert_string_equal(netlink_owner_describe(&o, buf, sizeof(buf)), "systemd-networkd (pid 300)");

        /* Control bytes never reach a log line. */
        assert_int_equal(netlink_owner_find(root, 0, 4242, &o), 0);
        assert_string_equal(netlink_owner_describe(&o, buf, sizeof(buf)), "ip?x (pid 4242)");

        /* Neither socket nor process: exited. */
        assert_int_equal(netlink_owner_find(root, 0, 7777, &o), 0);
        assert_true(o.socket_gone && o.exited);
        assert_string_equal(netlink_owner_describe(&o, buf, sizeof(buf)), "pid 7777 (exited)");

        /* A live socket whose owner is not visible (ProtectProc=invisible): the pid by
         * the convention, unnamed. */
        {
                static const char t2[] = HEADER "ffff 0 4343 0 0 0 0 0 0 8\n";
                char proc2[96];

                snprintf(proc2, sizeof(proc2), "%s/p2", root);
                {
                        char p[128];

                        snprintf(p, sizeof(p), "/p2/self/net/netlink");
                        put(p, t2, sizeof(t2) - 1);
                }
                assert_int_equal(netlink_owner_find(proc2, 0, 4343, &o), 0);
                assert_true(o.by_port && !o.exited && !o.socket_gone);
                assert_string_equal(netlink_owner_describe(&o, buf, sizeof(buf)), "pid 4343");
        }

        /* A kernel-numbered port whose socket is there but whose owner no convention
         * names. */
        assert_int_equal(netlink_owner_find(root, 0, 3735928559u, &o), 0);
        assert_int_equal(o.pid, 0);
        assert_string_equal(netlink_owner_describe(&o, buf, sizeof(buf)), "netlink port 3735928559 (owner unknown)");

        /* The kernel itself. */
        assert_int_equal(netlink_owner_find(root, 0, 0, &o), 0);
        assert_true(o.kernel);
        assert_string_equal(netlink_owner_describe(&o, buf, sizeof(buf)), "the kernel");

        /* No /proc at all: an error, and the port still described. */
        assert_int_equal(netlink_owner_find("/nonexistent-proc", 0, 812, &o), -ENOENT);
        assert_string_equal(netlink_owner_describe(&o, buf, sizeof(buf)), "netlink port 812 (owner unknown)");
        assert_int_equal(netlink_owner_find(root, 0, 812, NULL), -EINVAL);
}

/* The real /proc: our own first NETLINK_ROUTE socket is named after our pid. */
static void test_self(void **state) {
        /* Covered end to end by the removal-* netns tests; here only that the real
         * /proc/self/net/netlink parses. */
        _cleanup_(freep) char *text = NULL;
        uint64_t ino;
        size_t len;

        if (read_file_full("/proc/self/net/netlink", 1 << 20, &text, &len) < 0)
                skip();
        assert_int_not_equal(netlink_owner_parse_table(text, len, 0, 1, &ino), -EBADMSG);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_table),
                cmocka_unit_test(test_candidates),
                cmocka_unit_test_setup_teardown(test_find, setup, teardown),
                cmocka_unit_test(test_self),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
