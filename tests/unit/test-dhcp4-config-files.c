/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for the files of infradhcpd's configuration (src/dhcp4/dhcp4-config-
 * files.c), in a temporary root: which main file wins (/etc over /run over /usr/lib),
 * which drop-ins apply and in what order (one per name, the earliest directory's copy,
 * lexical order across directories), masking by empty files and /dev/null symlinks,
 * --config FILE with FILE.d/, and errors that name the file and line.
 */

#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "dhcp4-config-files.h"
#include "fileio.h"
#include "macro.h"

#define ETC SYSCONFDIR "/infradhcp"
#define RUN RUNTIME_DIR
#define LIB LIBCONFDIR

static char root[64];

static int setup(void **state) {
        snprintf(root, sizeof(root), "/tmp/test-dhcp4-config-files.XXXXXX");
        assert_non_null(mkdtemp(root));
        return 0;
}

static int teardown(void **state) {
        char cmd[PATH_MAX + 16];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        assert_int_equal(system(cmd), 0);
        return 0;
}

static void put(const char *rel, const char *text) {
        char path[PATH_MAX], dir[PATH_MAX];

        snprintf(path, sizeof(path), "%s%s", root, rel);
        snprintf(dir, sizeof(dir), "%s", path);
        *strrchr(dir, '/') = '\0';
        assert_int_equal(mkdir_p(dir, 0755), 0);
        assert_int_equal(write_file_atomic(path, text, strlen(text), 0644), 0);
}

static void link_null(const char *rel) {
        char path[PATH_MAX], dir[PATH_MAX];

        snprintf(path, sizeof(path), "%s%s", root, rel);
        snprintf(dir, sizeof(dir), "%s", path);
        *strrchr(dir, '/') = '\0';
        assert_int_equal(mkdir_p(dir, 0755), 0);
        assert_int_equal(symlink("/dev/null", path), 0);
}

static int unlink_rel(const char *rel) {
        char path[PATH_MAX];

        snprintf(path, sizeof(path), "%s%s", root, rel);
        return unlink(path);
}

/* The listed paths, root stripped, joined with spaces. */
static const char *listed(const Dhcp4ConfigFiles *f) {
        static char buf[4096];
        size_t n = 0, rl = strlen(root);

        buf[0] = '\0';
        for (size_t i = 0; i < f->n; i++) {
                const char *p = strncmp(f->paths[i], root, rl) == 0 ? f->paths[i] + rl : f->paths[i];
                n += (size_t) snprintf(buf + n, sizeof(buf) - n, "%s%s", i ? " " : "", p);
        }
        return buf;
}

static void test_main_file_precedence(void **state) {
        _cleanup_(dhcp4_config_files_done) Dhcp4ConfigFiles f = {};
        Dhcp4Config c;
        char err[256];

        /* Nothing at all: no file, the defaults. */
        assert_int_equal(dhcp4_config_files_list(root, "eth9", NULL, &f), 0);
        assert_int_equal(f.n, 0);
        assert_false(f.has_main);
        dhcp4_config_files_done(&f);

        put(LIB "/eth9.conf", "[Routes]\nRouteMetric=3\n");
        assert_int_equal(dhcp4_config_files_list(root, "eth9", NULL, &f), 0);
        assert_string_equal(listed(&f), LIB "/eth9.conf");
        dhcp4_config_files_done(&f);

        put(RUN "/eth9.conf", "[Routes]\nRouteMetric=2\n");
        assert_int_equal(dhcp4_config_files_list(root, "eth9", NULL, &f), 0);
        assert_string_equal(listed(&f), RUN "/eth9.conf");
        dhcp4_config_files_done(&f);

        put(ETC "/eth9.conf", "[Routes]\nRouteMetric=1\n");
        assert_int_equal(dhcp4_config_files_list(root, "eth9", NULL, &f), 0);
        assert_string_equal(listed(&f), ETC "/eth9.conf");
        assert_true(f.has_main);
        dhcp4_config_init(&c);
        assert_int_equal(dhcp4_config_files_load(&f, &c, NULL, err, sizeof(err)), 0);
        assert_int_equal(c.route_metric, 1);
        dhcp4_config_files_done(&f);

        /* An empty /etc file masks the others: the defaults. */
        put(ETC "/eth9.conf", "");
        assert_int_equal(dhcp4_config_files_list(root, "eth9", NULL, &f), 0);
        dhcp4_config_init(&c);
        assert_int_equal(dhcp4_config_files_load(&f, &c, NULL, err, sizeof(err)), 0);
        assert_int_equal(c.route_metric, 1024);
        dhcp4_config_files_done(&f);

        /* A symlink to /dev/null in /etc masks the main files below it. */
        assert_int_equal(unlink_rel(ETC "/eth9.conf"), 0);
        link_null(ETC "/eth9.conf");
        assert_int_equal(dhcp4_config_files_list(root, "eth9", NULL, &f), 0);
        assert_int_equal(f.n, 0);
        assert_false(f.has_main);
        dhcp4_config_files_done(&f);

        /* Another interface's files are not ours. */
        assert_int_equal(dhcp4_config_files_list(root, "eth99", NULL, &f), 0);
        assert_int_equal(f.n, 0);
}

static void test_dropins(void **state) {
        _cleanup_(dhcp4_config_files_done) Dhcp4ConfigFiles f = {};
        const char *failed = NULL;
        Dhcp4Config c;
        char err[256];

        put(LIB "/eth8.conf", "[Routes]\nRouteMetric=10\nMulticastRouteMetric=11\n");
        put(LIB "/eth8.conf.d/20-b.conf", "[Routes]\nRouteMetric=999\n"); /* shadowed by /etc */
        put(LIB "/eth8.conf.d/30-c.conf", "[Routes]\nMulticastRouteMetric=30\n");
        put(RUN "/eth8.conf.d/10-a.conf", "[Routes]\nRouteMetric=1\nMulticastRouteMetric=2\n");
        put(ETC "/eth8.conf.d/20-b.conf", "[Routes]\nRouteMetric=20\n");
        put(ETC "/eth8.conf.d/20-b.conf.disabled", "[Routes]\nRouteMetric=666\n");
        put(ETC "/eth8.conf.d/.hidden.conf", "[Routes]\nRouteMetric=667\n");
        put(ETC "/eth8.conf.d/README", "not a drop-in\n");

        assert_int_equal(dhcp4_config_files_list(root, "eth8", NULL, &f), 0);
        /* Main file first; then by name, each from the earliest directory that has it. */
        assert_string_equal(listed(&f), LIB "/eth8.conf " RUN "/eth8.conf.d/10-a.conf " ETC
                                            "/eth8.conf.d/20-b.conf " LIB "/eth8.conf.d/30-c.conf");
        dhcp4_config_init(&c);
        assert_int_equal(dhcp4_config_files_load(&f, &c, &failed, err, sizeof(err)), 0);
        assert_null(failed);
        assert_int_equal(c.route_metric, 20);           /* 10 → 1 → 20 (not /usr/lib's 999) */
        assert_int_equal(c.multicast_route_metric, 30); /* 11 → 2 → 30 */
        dhcp4_config_files_done(&f);

        /* /etc masks /usr/lib's 30-c.conf with a symlink to /dev/null: not read at all. */
        link_null(ETC "/eth8.conf.d/30-c.conf");
        assert_int_equal(dhcp4_config_files_list(root, "eth8", NULL, &f), 0);
        assert_string_equal(listed(&f), LIB "/eth8.conf " RUN "/eth8.conf.d/10-a.conf " ETC
                                            "/eth8.conf.d/20-b.conf");
        dhcp4_config_init(&c);
        assert_int_equal(dhcp4_config_files_load(&f, &c, NULL, err, sizeof(err)), 0);
        assert_int_equal(c.multicast_route_metric, 2);
        dhcp4_config_files_done(&f);

        /* Drop-ins without a main file. */
        put(RUN "/eth7.conf.d/50-x.conf", "[DHCPv4]\nHostname=node-7\n");
        assert_int_equal(dhcp4_config_files_list(root, "eth7", NULL, &f), 0);
        assert_false(f.has_main);
        assert_string_equal(listed(&f), RUN "/eth7.conf.d/50-x.conf");
        dhcp4_config_init(&c);
        assert_int_equal(dhcp4_config_files_load(&f, &c, NULL, err, sizeof(err)), 0);
        assert_string_equal(c.hostname, "node-7");
}

static void test_errors_name_the_file(void **state) {
        _cleanup_(dhcp4_config_files_done) Dhcp4ConfigFiles f = {};
        char want[PATH_MAX], err[256];
        const char *failed = NULL;
        Dhcp4Config c;

        put(ETC "/eth6.conf", "[Routes]\nRouteMetric=10\n");
        put(ETC "/eth6.conf.d/10-ok.conf", "[Routes]\nUseGateway=yes\n");
        put(RUN "/eth6.conf.d/20-typo.conf", "# a typo on line 3\n[Routes]\nUseGatway=yes\n");
        assert_int_equal(dhcp4_config_files_list(root, "eth6", NULL, &f), 0);
        dhcp4_config_init(&c);
        assert_int_equal(dhcp4_config_files_load(&f, &c, &failed, err, sizeof(err)), -EINVAL);
        snprintf(want, sizeof(want), "%s%s", root, RUN "/eth6.conf.d/20-typo.conf");
        assert_non_null(failed);
        assert_string_equal(failed, want);
        assert_string_equal(err, "line 3: unknown key UseGatway in [Routes]");
        assert_int_equal(c.route_metric, 1024); /* untouched */
        dhcp4_config_files_done(&f);

        /* Contradiction between files: no file to blame. */
        put(RUN "/eth6.conf.d/20-typo.conf", "[Timing]\nRetransmitMaxSec=100ms\n");
        assert_int_equal(dhcp4_config_files_list(root, "eth6", NULL, &f), 0);
        assert_int_equal(dhcp4_config_files_load(&f, &c, &failed, err, sizeof(err)), -EINVAL);
        assert_null(failed);
        assert_string_equal(err, "RetransmitInitialSec= (1s) is greater than RetransmitMaxSec= (100ms)");
        dhcp4_config_files_done(&f);

        /* An unreadable file (a directory where a drop-in should be) is named. */
        put(RUN "/eth6.conf.d/20-typo.conf", "[Routes]\n");
        snprintf(want, sizeof(want), "%s%s", root, ETC "/eth6.conf.d/30-dir.conf/x");
        put(ETC "/eth6.conf.d/30-dir.conf/x", "");
        assert_int_equal(dhcp4_config_files_list(root, "eth6", NULL, &f), 0);
        /* Only regular files and symlinks are listed: the directory is not a drop-in. */
        assert_null(strstr(listed(&f), "30-dir"));
        dhcp4_config_files_done(&f);

        /* Too large. */
        {
                static char big[DHCP4_CONFIG_FILE_MAX + 2];

                memset(big, '#', sizeof(big) - 1);
                put(ETC "/eth6.conf.d/40-big.conf", big);
        }
        assert_int_equal(dhcp4_config_files_list(root, "eth6", NULL, &f), 0);
        assert_int_equal(dhcp4_config_files_load(&f, &c, &failed, err, sizeof(err)), -EFBIG);
        snprintf(want, sizeof(want), "%s%s", root, ETC "/eth6.conf.d/40-big.conf");
        assert_string_equal(failed, want);
        assert_string_equal(err, "File too large (larger than 64 KiB)");
}

static void test_explicit_config(void **state) {
        _cleanup_(dhcp4_config_files_done) Dhcp4ConfigFiles f = {};
        char main_path[PATH_MAX], want[3 * PATH_MAX];
        Dhcp4Config c;
        char err[256];

        /* --config FILE: FILE and FILE.d/ only, none of the standard directories. */
        put(ETC "/eth5.conf", "[Routes]\nRouteMetric=1\n");
        put("/x/my.conf", "[Routes]\nRouteMetric=5\n");
        put("/x/my.conf.d/b.conf", "[Routes]\nRouteMetric=7\n");
        put("/x/my.conf.d/a.conf", "[Routes]\nRouteMetric=6\nMulticastRouteMetric=6\n");
        snprintf(main_path, sizeof(main_path), "%s/x/my.conf", root);
        assert_int_equal(dhcp4_config_files_list(root, "eth5", main_path, &f), 0);
        snprintf(want, sizeof(want), "/x/my.conf /x/my.conf.d/a.conf /x/my.conf.d/b.conf");
        assert_string_equal(listed(&f), want);
        dhcp4_config_init(&c);
        assert_int_equal(dhcp4_config_files_load(&f, &c, NULL, err, sizeof(err)), 0);
        assert_int_equal(c.route_metric, 7);
        assert_int_equal(c.multicast_route_metric, 6);
        dhcp4_config_files_done(&f);

        /* A missing explicit file is an error at load time, named. */
        snprintf(main_path, sizeof(main_path), "%s/x/missing.conf", root);
        assert_int_equal(dhcp4_config_files_list(root, "eth5", main_path, &f), 0);
        {
                const char *failed = NULL;

                assert_int_equal(dhcp4_config_files_load(&f, &c, &failed, err, sizeof(err)), -ENOENT);
                assert_string_equal(failed, main_path);
        }
        dhcp4_config_files_done(&f);

        assert_int_equal(dhcp4_config_files_list(root, NULL, NULL, &f), -EINVAL);
        assert_int_equal(dhcp4_config_files_list(root, "eth5", "", &f), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_main_file_precedence, setup, teardown),
                cmocka_unit_test_setup_teardown(test_dropins, setup, teardown),
                cmocka_unit_test_setup_teardown(test_errors_name_the_file, setup, teardown),
                cmocka_unit_test_setup_teardown(test_explicit_config, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
