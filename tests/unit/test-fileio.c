/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for src/shared/fileio.c in a private temporary directory: atomic
 * replacement (content, modes, no temp files left behind on success or failure),
 * bounded reads, mkdir -p.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

static char tmpdir[] = "/tmp/test-fileio-XXXXXX";

static int setup(void **state) {
        if (!mkdtemp(tmpdir))
                return -1;
        return 0;
}

static int teardown(void **state) {
        char cmd[128];

        snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", tmpdir);
        return system(cmd) == 0 ? 0 : -1;
}

static const char *path_in(const char *name, char buf[static 256]) {
        snprintf(buf, 256, "%s/%s", tmpdir, name);
        return buf;
}

static size_t count_entries(const char *dir) {
        DIR *d = opendir(dir);
        struct dirent *de;
        size_t n = 0;

        assert_non_null(d);
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                        n++;
        closedir(d);
        return n;
}

static mode_t mode_of(const char *p) {
        struct stat st;

        assert_int_equal(stat(p, &st), 0);
        return st.st_mode & 07777;
}

static void assert_content(const char *p, const char *want) {
        char *buf = NULL;
        size_t len = 0;

        assert_int_equal(read_file_full(p, 1 << 20, &buf, &len), 0);
        assert_int_equal(len, strlen(want));
        assert_string_equal(buf, want);
        free(buf);
}

static void test_write_atomic(void **state) {
        char dir[256], p[256];
        mode_t old_umask = umask(077);

        path_in("atomic", dir);
        assert_int_equal(mkdir(dir, 0755), 0);
        path_in("atomic/lease", p);

        /* New file, mode -1: 0644 whatever the umask. */
        assert_int_equal(write_file_atomic(p, "one\n", 4, (mode_t) -1), 0);
        assert_content(p, "one\n");
        assert_int_equal(mode_of(p), 0644);
        assert_int_equal(count_entries(dir), 1);

        /* Replace, mode -1: the existing mode is kept. */
        assert_int_equal(chmod(p, 0640), 0);
        assert_int_equal(write_file_atomic(p, "two\n", 4, (mode_t) -1), 0);
        assert_content(p, "two\n");
        assert_int_equal(mode_of(p), 0640);

        /* Explicit mode wins. */
        assert_int_equal(write_file_atomic(p, "three\n", 6, 0600), 0);
        assert_content(p, "three\n");
        assert_int_equal(mode_of(p), 0600);

        /* Empty content. */
        assert_int_equal(write_file_atomic(p, NULL, 0, 0644), 0);
        assert_content(p, "");

        /* Larger than a pipe buffer's worth, binary. */
        size_t big = 300000;
        char *data = malloc(big), *back = NULL;
        size_t len;
        assert_non_null(data);
        for (size_t i = 0; i < big; i++)
                data[i] = (char) (i * 7);
        assert_int_equal(write_file_atomic(p, data, big, 0644), 0);
        assert_int_equal(read_file_full(p, big, &back, &len), 0);
        assert_int_equal(len, big);
        assert_memory_equal(back, data, big);
        free(back);
        free(data);

        assert_int_equal(count_entries(dir), 1); /* no temp files left */

        /* A relative path (temp file in "."). */
        char cwd[4096];
        assert_non_null(getcwd(cwd, sizeof(cwd)));
        assert_int_equal(chdir(dir), 0);
        assert_int_equal(write_file_atomic("rel", "r", 1, 0644), 0);
        assert_int_equal(chdir(cwd), 0);
        path_in("atomic/rel", p);
        assert_content(p, "r");
        assert_int_equal(count_entries(dir), 2);

        umask(old_umask);
}

static void test_write_atomic_failures(void **state) {
        char dir[256], p[256], sub[256];

        path_in("fail", dir);
        assert_int_equal(mkdir(dir, 0755), 0);

        /* Missing directory. */
        path_in("fail/nodir/lease", p);
        assert_int_equal(write_file_atomic(p, "x", 1, 0644), -ENOENT);

        /* Target is a directory: rename fails, the temp file is removed. */
        path_in("fail/isdir", sub);
        assert_int_equal(mkdir(sub, 0755), 0);
        path_in("fail/isdir/child", sub);
        assert_int_equal(mkdir(sub, 0755), 0);
        path_in("fail/isdir", p);
        assert_true(write_file_atomic(p, "x", 1, 0644) < 0);
        assert_int_equal(count_entries(dir), 1);

        /* Path ending in '/'. */
        path_in("fail/", p);
        assert_int_equal(write_file_atomic(p, "x", 1, 0644), -EISDIR);
        assert_int_equal(write_file_atomic("", "x", 1, 0644), -EINVAL);
        assert_int_equal(write_file_atomic(NULL, "x", 1, 0644), -EINVAL);
        path_in("fail/f", p);
        assert_int_equal(write_file_atomic(p, NULL, 1, 0644), -EINVAL);

        /* Read-only directory (not enforced for root, so only checked otherwise). */
        if (geteuid() != 0) {
                path_in("fail/ro", sub);
                assert_int_equal(mkdir(sub, 0555), 0);
                path_in("fail/ro/lease", p);
                assert_int_equal(write_file_atomic(p, "x", 1, 0644), -EACCES);
        }
}

static void test_read_full(void **state) {
        char p[256];
        char *buf = (char *) 0x1;
        size_t len = 77;
        int fd;

        path_in("read", p);
        fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "hello", 5), 5);
        close(fd);

        assert_int_equal(read_file_full(p, 5, &buf, &len), 0);
        assert_int_equal(len, 5);
        assert_string_equal(buf, "hello");
        free(buf);
        assert_int_equal(read_file_full(p, 5, &buf, NULL), 0);
        free(buf);

        buf = (char *) 0x1;
        len = 77;
        assert_int_equal(read_file_full(p, 4, &buf, &len), -EFBIG);
        assert_int_equal(read_file_full(p, 0, &buf, &len), -EFBIG);
        assert_ptr_equal(buf, (char *) 0x1);
        assert_int_equal(len, 77);

        /* Empty file. */
        path_in("empty", p);
        fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        close(fd);
        assert_int_equal(read_file_full(p, 0, &buf, &len), 0);
        assert_int_equal(len, 0);
        assert_string_equal(buf, "");
        free(buf);

        /* Not regular files. */
        assert_int_equal(read_file_full(tmpdir, 100, &buf, &len), -EISDIR);
        path_in("fifo", p);
        assert_int_equal(mkfifo(p, 0600), 0);
        assert_int_equal(read_file_full(p, 100, &buf, &len), -EBADFD); /* and does not block */
        path_in("missing", p);
        assert_int_equal(read_file_full(p, 100, &buf, &len), -ENOENT);

        /* st_size 0 but content: /proc. */
        assert_int_equal(read_file_full("/proc/self/status", 1 << 20, &buf, &len), 0);
        assert_true(len > 0);
        assert_non_null(strstr(buf, "Name:"));
        assert_int_equal(strlen(buf), len);
        free(buf);
        assert_int_equal(read_file_full("/proc/self/status", 10, &buf, &len), -EFBIG);
}

static void test_mkdir_p(void **state) {
        char p[256], q[256];
        struct stat st;

        path_in("a/b//c/", p);
        assert_int_equal(mkdir_p(p, 0755), 0);
        path_in("a/b/c", p);
        assert_int_equal(stat(p, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        /* Existing: fine. */
        assert_int_equal(mkdir_p(p, 0755), 0);
        assert_int_equal(mkdir_p("/", 0755), 0);

        /* A file in the way. */
        path_in("a/file", p);
        assert_int_equal(write_file_atomic(p, "x", 1, 0644), 0);
        path_in("a/file/sub", q);
        assert_int_equal(mkdir_p(q, 0755), -ENOTDIR);
        assert_int_equal(mkdir_p(p, 0755), -ENOTDIR);

        assert_int_equal(mkdir_p("", 0755), -EINVAL);
        assert_int_equal(mkdir_p(NULL, 0755), -EINVAL);
}

static void test_mkdir_parents(void **state) {
        char p[256];
        struct stat st;

        path_in("x/y/z/socket", p);
        assert_int_equal(mkdir_parents(p, 0755), 0);
        path_in("x/y/z", p);
        assert_int_equal(stat(p, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        path_in("x/y/z/socket", p);
        assert_int_equal(stat(p, &st), -1); /* the last component is not made */
        /* Nothing to make: a bare name, a file in /. */
        assert_int_equal(mkdir_parents("socket", 0755), 0);
        assert_int_equal(mkdir_parents("/socket", 0755), 0);
        assert_int_equal(mkdir_parents(NULL, 0755), -EINVAL);
        /* A file where a directory must be. */
        path_in("x/file", p);
        assert_int_equal(write_file_atomic(p, "x", 1, 0644), 0);
        path_in("x/file/socket", p);
        assert_int_equal(mkdir_parents(p, 0755), -ENOTDIR);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_write_atomic),
                cmocka_unit_test(test_write_atomic_failures),
                cmocka_unit_test(test_read_full),
                cmocka_unit_test(test_mkdir_p),
                cmocka_unit_test(test_mkdir_parents),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
