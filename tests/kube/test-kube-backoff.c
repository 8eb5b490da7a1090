/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for the reconnect back-off (src/kube/kube-backoff.c): equal jitter
 * bounds, doubling, the cap, reset, and seeded determinism.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kube-backoff.h"
#include "macro.h"
#include "time-util.h"

static void test_bounds_and_cap(void **state) {
        const uint64_t initial = 500 * USEC_PER_MSEC, max = 30 * USEC_PER_SEC;

        for (uint64_t seed = 0; seed < 200; seed++) {
                KubeBackoff b;
                uint64_t base = initial;

                kube_backoff_init(&b, initial, max, seed);
                for (int i = 0; i < 20; i++) {
                        uint64_t d = kube_backoff_next(&b);

                        assert_true(d >= base / 2);
                        assert_true(d <= base);
                        assert_true(d <= max);
                        base = MIN(base * 2, max);
                }
                /* Capped: after many failures the delay stays within [max/2, max]. */
                assert_int_equal(b.base_usec, max);
        }
}

static void test_reset(void **state) {
        KubeBackoff b;

        kube_backoff_init(&b, 100, 10000, 42);
        for (int i = 0; i < 10; i++)
                (void) kube_backoff_next(&b);
        assert_true(b.base_usec > 100);
        kube_backoff_reset(&b);
        assert_true(kube_backoff_next(&b) <= 100);
}

static void test_jitter_spreads(void **state) {
        /* Different hosts (seeds) must not retry in step; the same seed repeats. */
        KubeBackoff a, b, a2;
        int same = 0;

        kube_backoff_init(&a, USEC_PER_SEC, 60 * USEC_PER_SEC, 1);
        kube_backoff_init(&a2, USEC_PER_SEC, 60 * USEC_PER_SEC, 1);
        kube_backoff_init(&b, USEC_PER_SEC, 60 * USEC_PER_SEC, 2);
        for (int i = 0; i < 10; i++) {
                uint64_t x = kube_backoff_next(&a), y = kube_backoff_next(&b);
                assert_int_equal(x, kube_backoff_next(&a2));
                same += x == y;
        }
        assert_true(same < 3);
}

static void test_degenerate(void **state) {
        KubeBackoff b;

        kube_backoff_init(&b, 0, 0, 0);
        assert_true(kube_backoff_next(&b) <= 1);
        kube_backoff_init(&b, UINT64_MAX / 2 + 7, UINT64_MAX, 9);
        for (int i = 0; i < 4; i++)
                assert_true(kube_backoff_next(&b) >= UINT64_MAX / 4);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_bounds_and_cap),
                cmocka_unit_test(test_reset),
                cmocka_unit_test(test_jitter_spreads),
                cmocka_unit_test(test_degenerate),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
