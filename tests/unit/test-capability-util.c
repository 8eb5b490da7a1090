/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * capability_drop_except() in a child process: as root (CI) every capability but the
 * kept ones is gone from the effective, permitted, inheritable and bounding sets,
 * no_new_privs is set and the names report exactly the kept set; a capability asked to
 * be kept but not held is not gained. Without root only the second half runs.
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "capability-util.h"

/* Runs fn in a child; returns its exit code (fail_msg in a child shows as non-zero). */
static int in_child(int (*fn)(void)) {
        int status;
        pid_t pid;

        fflush(NULL);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
                _exit(fn());
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        return WEXITSTATUS(status);
}

static int drop_as_root(void) {
        static const cap_value_t keep[] = { CAP_NET_ADMIN, CAP_NET_RAW };
        char names[256];
        cap_t caps;
        cap_flag_value_t v;

        if (capability_drop_except(keep, 2) < 0)
                return 1;
        capability_effective_names(names, sizeof(names));
        if (strcmp(names, "cap_net_admin,cap_net_raw") != 0) {
                fprintf(stderr, "effective after the drop: %s\n", names);
                return 2;
        }
        if (!capability_have(CAP_NET_ADMIN) || capability_have(CAP_SYS_ADMIN) || capability_have(CAP_DAC_OVERRIDE))
                return 3;
        if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
                return 4;
        if (cap_get_bound(CAP_SYS_ADMIN) != 0 || cap_get_bound(CAP_NET_ADMIN) != 1 || cap_get_bound(CAP_SETPCAP) != 0)
                return 5;
        caps = cap_get_proc();
        if (!caps)
                return 6;
        for (cap_value_t c = 0; c < cap_max_bits(); c++) {
                if (cap_get_flag(caps, c, CAP_PERMITTED, &v) < 0)
                        continue;
                if ((v == CAP_SET) != (c == CAP_NET_ADMIN || c == CAP_NET_RAW))
                        return 7;
                if (cap_get_flag(caps, c, CAP_INHERITABLE, &v) == 0 && v == CAP_SET)
                        return 8;
        }
        cap_free(caps);
        /* a second drop to less works without CAP_SETPCAP (bounding set left alone) */
        if (capability_drop_except(keep, 1) < 0)
                return 9;
        capability_effective_names(names, sizeof(names));
        return strcmp(names, "cap_net_admin") == 0 ? 0 : 10;
}

static void test_drop_as_root(void **state) {
        if (!capability_have(CAP_SETPCAP) || !capability_have(CAP_NET_ADMIN))
                skip();
        assert_int_equal(in_child(drop_as_root), 0);
}

/* Keeping NET_ADMIN that we do not have does not gain it. */
static int drop_none_held(void) {
        static const cap_value_t keep[] = { CAP_NET_ADMIN };
        char names[64];

        if (capability_drop_except(NULL, 0) < 0) /* first to nothing at all */
                return 1;
        if (capability_drop_except(keep, 1) < 0)
                return 2;
        capability_effective_names(names, sizeof(names));
        if (names[0] != '\0')
                return 3;
        return capability_have(CAP_NET_ADMIN) ? 4 : 0;
}

static void test_not_gained(void **state) {
        assert_int_equal(in_child(drop_none_held), 0);
}

static void test_names_truncated(void **state) {
        char small[5];

        capability_effective_names(small, sizeof(small));
        /* "cap_" alone never appears: a whole name or nothing */
        assert_true(small[0] == '\0');
        assert_ptr_equal(capability_effective_names(NULL, 0), NULL);
        assert_int_equal(capability_drop_except(NULL, 1), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_drop_as_root),
                cmocka_unit_test(test_not_gained),
                cmocka_unit_test(test_names_truncated),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
