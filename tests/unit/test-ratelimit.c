/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The log rate limit (src/basic/ratelimit): burst per window, the suppressed count
 * reported once at the start of the next window or by the timer, quiet sources never
 * throttled, clocks going backwards start a new window. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ratelimit.h"
#include "time-util.h"

#define T0 (1000 * USEC_PER_SEC)

static void test_burst_and_report(void **state) {
        RateLimit rl = RATELIMIT_INIT(10 * USEC_PER_SEC, 3);
        uint64_t s = 99;

        for (int i = 0; i < 3; i++) {
                assert_true(ratelimit_below(&rl, T0 + i, &s));
                assert_int_equal(s, 0);
        }
        for (int i = 0; i < 1000; i++)
                assert_false(ratelimit_below(&rl, T0 + 10 + i, &s));
        assert_int_equal(s, 0);
        /* still inside the window: nothing to report yet */
        assert_int_equal(ratelimit_take_suppressed(&rl, T0 + 9 * USEC_PER_SEC), 0);
        /* the next window: allowed, and the 1000 are reported once */
        assert_true(ratelimit_below(&rl, T0 + 10 * USEC_PER_SEC, &s));
        assert_int_equal(s, 1000);
        assert_true(ratelimit_below(&rl, T0 + 10 * USEC_PER_SEC + 1, &s));
        assert_int_equal(s, 0);
}

static void test_timer_report(void **state) {
        RateLimit rl = RATELIMIT_INIT(USEC_PER_SEC, 1);
        uint64_t s;

        assert_true(ratelimit_below(&rl, T0, &s));
        assert_false(ratelimit_below(&rl, T0 + 1, &s));
        assert_false(ratelimit_below(&rl, T0 + 2, &s));
        assert_int_equal(ratelimit_take_suppressed(&rl, T0 + USEC_PER_SEC - 1), 0);
        assert_int_equal(ratelimit_take_suppressed(&rl, T0 + USEC_PER_SEC), 2);
        assert_int_equal(ratelimit_take_suppressed(&rl, T0 + USEC_PER_SEC), 0);
        /* reported by the timer: the next message reports nothing again */
        assert_true(ratelimit_below(&rl, T0 + 2 * USEC_PER_SEC, &s));
        assert_int_equal(s, 0);
}

static void test_quiet_and_backwards(void **state) {
        RateLimit rl = RATELIMIT_INIT(USEC_PER_SEC, 2);
        uint64_t s;

        /* one message every 2 s is never throttled */
        for (int i = 0; i < 100; i++)
                assert_true(ratelimit_below(&rl, T0 + (uint64_t) i * 2 * USEC_PER_SEC, &s));
        /* the clock going back starts a new window rather than throttling for ever */
        assert_true(ratelimit_below(&rl, T0, &s));
        assert_true(ratelimit_below(&rl, T0, &s));
        assert_false(ratelimit_below(&rl, T0, NULL));
        assert_true(ratelimit_below(&rl, 0, NULL)); /* now = 0 is a valid time */
        assert_true(ratelimit_below(&rl, 0, NULL));
        assert_false(ratelimit_below(&rl, 0, &s));
        assert_true(ratelimit_below(&rl, USEC_PER_SEC, &s));
        assert_int_equal(s, 2); /* the one without a report counted too */
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_burst_and_report),
                cmocka_unit_test(test_timer_report),
                cmocka_unit_test(test_quiet_and_backwards),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
