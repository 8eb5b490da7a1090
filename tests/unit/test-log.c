/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for src/shared/log.c, stderr target: the exact line format, level
 * prefixes and filtering, errno handling and return values, sticky and one-shot
 * fields, truncation of long messages. stderr is redirected to a memfd.
 * (The journal target needs a journal; its selection rule is checked where it can be.)
 */

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "macro.h"
#include "log.h"

static int saved_stderr = -1;
static int capture_fd = -1;
static char prefix[64];

static void capture_start(void) {
        capture_fd = memfd_create("log", MFD_CLOEXEC);
        assert_true(capture_fd >= 0);
        saved_stderr = dup(STDERR_FILENO);
        assert_true(saved_stderr >= 0);
        assert_int_equal(dup2(capture_fd, STDERR_FILENO), STDERR_FILENO);
}

/* Returns what was logged since capture_start(), malloc'd. */
static char *capture_end(void) {
        char *buf = calloc(1, 65536);
        ssize_t n;

        assert_non_null(buf);
        assert_int_equal(dup2(saved_stderr, STDERR_FILENO), STDERR_FILENO);
        close(saved_stderr);
        n = pread(capture_fd, buf, 65535, 0);
        assert_true(n >= 0);
        close(capture_fd);
        return buf;
}

static int setup(void **state) {
        log_set_target_stderr(1);
        log_set_identifier("infradhcpd");
        log_set_max_level(LOG_INFO);
        snprintf(prefix, sizeof(prefix), "infradhcpd[%d]: ", (int) getpid());
        return 0;
}

static void expect_lines(char *got, const char *const *want) {
        char *p = got;

        for (size_t i = 0; want[i]; i++) {
                char line[8192];

                snprintf(line, sizeof(line), "%s%s\n", prefix, want[i]);
                if (strncmp(p, line, strlen(line)) != 0)
                        fail_msg("line %zu: want \"%s\", got \"%s\"", i, line, p);
                p += strlen(line);
        }
        assert_string_equal(p, "");
        free(got);
}

static void test_format(void **state) {
        int r;

        capture_start();
        log_info("hello %d", 5);
        log_notice("notice");
        log_warning("careful");
        log_error("broken");
        log_full(LOG_CRIT, 0, NULL, "critical");
        r = log_warning_errno(ENETUNREACH, "renew failed");
        assert_int_equal(r, -ENETUNREACH);
        r = log_error_errno(-EAGAIN, "retry, %s", "later");
        assert_int_equal(r, -EAGAIN);
        r = log_info_errno(-ENOENT, "file %m");
        assert_int_equal(r, -ENOENT);
        log_info_errno(EACCES, "100%%m literal");
        log_info("two\nlines\rhere");
        log_info("%s", "");
        expect_lines(capture_end(), (const char *const[]) {
                "hello 5",
                "notice",
                "<warning> careful",
                "<err> broken",
                "<crit> critical",
                "<warning> renew failed: Network is unreachable",
                "<err> retry, later: Resource temporarily unavailable",
                "file No such file or directory",
                "100%m literal: Permission denied",
                "two lines here",
                "",
                NULL,
        });
}

static void test_levels_and_errno(void **state) {
        capture_start();
        assert_int_equal(log_get_max_level(), LOG_INFO);
        errno = 1234;
        assert_int_equal(log_debug("hidden"), 0);
        assert_int_equal(errno, 1234);
        /* Filtered messages still return the error. */
        assert_int_equal(log_debug_errno(EIO, "hidden"), -EIO);
        assert_int_equal(errno, 1234);
        log_info("shown");
        assert_int_equal(errno, 1234);

        log_set_max_level(LOG_DEBUG);
        log_debug("debug now");
        log_set_max_level(LOG_WARNING);
        log_info("hidden");
        log_notice("hidden");
        log_warning("warn");
        log_set_max_level(99);
        assert_int_equal(log_get_max_level(), LOG_DEBUG);
        log_set_max_level(-5);
        assert_int_equal(log_get_max_level(), LOG_EMERG);
        log_set_max_level(LOG_INFO);
        expect_lines(capture_end(), (const char *const[]) { "shown", "debug now", "<warning> warn", NULL });

        assert_int_equal(log_level_from_string("err"), LOG_ERR);
        assert_int_equal(log_level_from_string("error"), LOG_ERR);
        assert_int_equal(log_level_from_string("warning"), LOG_WARNING);
        assert_int_equal(log_level_from_string("warn"), LOG_WARNING);
        assert_int_equal(log_level_from_string("notice"), LOG_NOTICE);
        assert_int_equal(log_level_from_string("info"), LOG_INFO);
        assert_int_equal(log_level_from_string("debug"), LOG_DEBUG);
        assert_int_equal(log_level_from_string("emerg"), LOG_EMERG);
        assert_int_equal(log_level_from_string("0"), 0);
        assert_int_equal(log_level_from_string("7"), 7);
        assert_int_equal(log_level_from_string("8"), -EINVAL);
        assert_int_equal(log_level_from_string("07"), -EINVAL);
        assert_int_equal(log_level_from_string("INFO"), -EINVAL);
        assert_int_equal(log_level_from_string(""), -EINVAL);
        assert_int_equal(log_level_from_string(NULL), -EINVAL);
}

static void test_fields(void **state) {
        char key[16];

        capture_start();
        log_set_field("INTERFACE", "eth0");
        log_set_field("STATE", "BOUND");
        log_info("bound");
        log_set_field("STATE", "RENEWING"); /* replaced in place */
        log_fields(LOG_INFO, ((const char *[]) { "XID=0x1a2b", "ADDRESS=10.0.0.5", NULL }), "renewing");
        /* Invalid one-shot fields and keys are dropped. */
        log_fields(LOG_INFO, ((const char *[]) { "novalue", "lower=x", "_TRUSTED=x", "=x", "OK=", NULL }), "odd");
        log_set_field("lowercase", "x");
        log_set_field("_UNDERSCORE", "x");
        log_set_field("9DIGIT", "x");
        log_set_field(NULL, "x");
        log_set_field("STATE", NULL);
        log_set_field("NOT_SET", NULL);
        log_info("state cleared");
        /* At most 8 sticky fields: INTERFACE + F0..F6, the rest ignored. */
        for (int i = 0; i < 10; i++) {
                snprintf(key, sizeof(key), "F%d", i);
                log_set_field(key, "v");
        }
        log_info("full");
        for (int i = 0; i < 10; i++) {
                snprintf(key, sizeof(key), "F%d", i);
                log_set_field(key, NULL);
        }
        log_set_field("INTERFACE", NULL);
        log_info("none");
        expect_lines(capture_end(), (const char *const[]) {
                "bound (INTERFACE=eth0 STATE=BOUND)",
                "renewing (INTERFACE=eth0 STATE=RENEWING XID=0x1a2b ADDRESS=10.0.0.5)",
                "odd (INTERFACE=eth0 STATE=RENEWING OK=)",
                "state cleared (INTERFACE=eth0)",
                "full (INTERFACE=eth0 F0=v F1=v F2=v F3=v F4=v F5=v F6=v)",
                "none",
                NULL,
        });
}

static void test_truncation(void **state) {
        char *big = malloc(10001), *got;
        size_t n;

        assert_non_null(big);
        memset(big, 'x', 10000);
        big[10000] = '\0';

        capture_start();
        log_set_field("INTERFACE", "eth0");
        assert_int_equal(log_error_errno(EIO, "%s", big), -EIO);
        log_set_field("INTERFACE", NULL);
        log_info("after");
        got = capture_end();

        /* One line, bounded, newline-terminated, the next message intact. */
        char *nl = strchr(got, '\n');
        assert_non_null(nl);
        n = (size_t) (nl - got) + 1;
        assert_true(n <= 4096);
        assert_true(n > 2000);
        assert_int_equal(strncmp(got, prefix, strlen(prefix)), 0);
        char after[128];
        snprintf(after, sizeof(after), "%safter\n", prefix);
        assert_string_equal(nl + 1, after);
        free(got);
        free(big);
}

static void test_target_selection(void **state) {
        /* Without a journal socket, "auto" must still reach stderr. */
        if (access("/run/systemd/journal/socket", F_OK) == 0)
                skip();
        log_set_target_stderr(0);
        capture_start();
        log_info("auto target");
        log_set_target_stderr(1);
        expect_lines(capture_end(), (const char *const[]) { "auto target", NULL });
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_format),     cmocka_unit_test(test_levels_and_errno),
                cmocka_unit_test(test_fields),     cmocka_unit_test(test_truncation),
                cmocka_unit_test(test_target_selection),
        };

        return cmocka_run_group_tests(tests, setup, NULL);
}
