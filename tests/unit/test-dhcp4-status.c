/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for the journal front end of the status snapshot (dhcp4-status.c):
 * STATE first, ADDRESS second (what operators and the netns tests match), then what
 * is set, and nothing for what is not.
 */

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dhcp4-status.h"
#include "macro.h"

static size_t count(const Dhcp4StatusJournal *j) {
        size_t n = 0;

        while (j->fields[n])
                n++;
        return n;
}

static void test_no_lease(void **state) {
        Dhcp4ClientStatus s = { .state = DHCP4_STATE_SELECTING, .acd_state = "disabled" };
        Dhcp4StatusJournal j;

        dhcp4_status_journal_fields(&s, &j);
        assert_int_equal(count(&j), 2);
        assert_string_equal(j.fields[0], "STATE=SELECTING");
        assert_string_equal(j.fields[1], "ACD_STATE=disabled");
}

static void test_bound(void **state) {
        Dhcp4ClientStatus s = {
                .state = DHCP4_STATE_BOUND,
                .has_lease = true,
                .acd_state = "DEFENDING",
                .conflicts = 2,
                .conflict_mac = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef },
                .decline_backoff_usec = 2000000,
        };
        Dhcp4StatusJournal j;

        inet_pton(AF_INET, "10.77.0.120", &s.lease.address);
        inet_pton(AF_INET, "10.77.0.1", &s.lease.server_id);
        s.lease.prefixlen = 24;
        dhcp4_status_journal_fields(&s, &j);
        assert_int_equal(count(&j), 8);
        assert_string_equal(j.fields[0], "STATE=BOUND");
        assert_string_equal(j.fields[1], "ADDRESS=10.77.0.120");
        assert_string_equal(j.fields[2], "PREFIXLEN=24");
        assert_string_equal(j.fields[3], "SERVER_ADDRESS=10.77.0.1");
        assert_string_equal(j.fields[4], "ACD_STATE=DEFENDING");
        assert_string_equal(j.fields[5], "CONFLICTS=2");
        assert_string_equal(j.fields[6], "CONFLICT_MAC=52:54:00:ab:cd:ef");
        assert_string_equal(j.fields[7], "DECLINE_BACKOFF_USEC=2000000");
        assert_true(dhcp4_status_has_conflict_mac(&s));
        memset(s.conflict_mac, 0, sizeof(s.conflict_mac));
        assert_false(dhcp4_status_has_conflict_mac(&s));
}

/* The wall clock stepped by ±1 day (faked): the lease itself runs on the engine clock
 * and is not touched; the status labels follow the new clock, and stay put otherwise. */
static void test_wallclock_jump(void **state) {
        const uint64_t S = 1000000, DAY = 86400 * S;
        const uint64_t boot = (UINT64_C(1) << 50) + 5000 * S; /* engine clock now */
        const uint64_t wall = UINT64_C(1795305835) * S;       /* real wall clock now */
        const uint64_t start = boot - 100 * S;                /* lease acquired 100 s ago */
        Dhcp4WallClock w = {};

        assert_true(dhcp4_wallclock_convert(&w, start, boot, wall) == wall - 100 * S);
        /* 10 s later, with 300 ms of drift: the same label (no jitter between snapshots) */
        assert_true(dhcp4_wallclock_convert(&w, start, boot + 10 * S, wall + 10 * S + 300000) == wall - 100 * S);
        /* the wall clock jumps +1 day: start = now - elapsed on the new clock */
        assert_true(dhcp4_wallclock_convert(&w, start, boot + 20 * S, wall + 20 * S + DAY) == wall - 100 * S + DAY);
        assert_true(dhcp4_wallclock_convert(&w, start, boot + 30 * S, wall + 30 * S + DAY) == wall - 100 * S + DAY);
        /* and back -1 day from the true time */
        assert_true(dhcp4_wallclock_convert(&w, start, boot + 40 * S, wall + 40 * S - DAY) == wall - 100 * S - DAY);
        /* a new lease is converted again */
        assert_true(dhcp4_wallclock_convert(&w, boot + 40 * S, boot + 40 * S, wall + 40 * S) == wall + 40 * S);
        /* a wall clock before the engine's start (1970 on a box without RTC): saturates at 0 */
        w = (Dhcp4WallClock) {};
        assert_true(dhcp4_wallclock_convert(&w, start, boot, 10 * S) == 0);
}

static void test_invalid_state(void **state) {
        Dhcp4ClientStatus s = { .state = _DHCP4_STATE_MAX, .acd_state = "IDLE" };
        Dhcp4StatusJournal j;

        dhcp4_status_journal_fields(&s, &j);
        assert_string_equal(j.fields[0], "STATE=?");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_no_lease),
                cmocka_unit_test(test_bound),
                cmocka_unit_test(test_invalid_state),
                cmocka_unit_test(test_wallclock_jump),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
