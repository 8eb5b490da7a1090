/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for the retry timing policy (src/kube/kube-backoff.c): equal jitter
 * bounds, doubling, the cap, reset, and seeded determinism; Retry-After in both forms
 * and its bounds; failure episodes; the bookmark rhythm and the idle deadline.
 */
#include <errno.h>
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

static void test_retry_after(void **state) {
        /* 1994-11-06T08:49:37Z = 784111777 */
        const uint64_t now = UINT64_C(784111777) * USEC_PER_SEC;
        uint64_t d = 1;

        assert_int_equal(kube_retry_after_parse("3", now, &d), 0);
        assert_int_equal(d, 3 * USEC_PER_SEC);
        assert_int_equal(kube_retry_after_parse(" 0 ", now, &d), 0);
        assert_int_equal(d, 0);
        assert_int_equal(kube_retry_after_parse("120", now, &d), 0);
        assert_int_equal(d, 120 * USEC_PER_SEC);
        /* Capped: a server cannot park the agent for a day. */
        assert_int_equal(kube_retry_after_parse("86400", now, &d), 0);
        assert_int_equal(d, KUBE_RETRY_AFTER_MAX_USEC);
        assert_int_equal(kube_retry_after_parse("99999999999999999999999", now, &d), 0);
        assert_int_equal(d, KUBE_RETRY_AFTER_MAX_USEC);
        /* HTTP-date: 10 s ahead, in the past, far ahead. */
        assert_int_equal(kube_retry_after_parse("Sun, 06 Nov 1994 08:49:47 GMT", now, &d), 0);
        assert_int_equal(d, 10 * USEC_PER_SEC);
        assert_int_equal(kube_retry_after_parse("Sun, 06 Nov 1994 08:49:00 GMT", now, &d), 0);
        assert_int_equal(d, 0);
        assert_int_equal(kube_retry_after_parse("Mon, 07 Nov 1994 08:49:37 GMT", now, &d), 0);
        assert_int_equal(d, KUBE_RETRY_AFTER_MAX_USEC);
        /* Neither form: refused, the back-off applies. */
        d = 7;
        assert_int_equal(kube_retry_after_parse("", now, &d), -EINVAL);
        assert_int_equal(kube_retry_after_parse("3s", now, &d), -EINVAL);
        assert_int_equal(kube_retry_after_parse("-1", now, &d), -EINVAL);
        assert_int_equal(kube_retry_after_parse("1.5", now, &d), -EINVAL);
        assert_int_equal(kube_retry_after_parse("Sun, 06 Nov 1994 08:49:47 PST", now, &d), -EINVAL);
        assert_int_equal(kube_retry_after_parse("soon", now, &d), -EINVAL);
        assert_int_equal(kube_retry_after_parse(NULL, now, &d), -EINVAL);
        assert_int_equal(d, 7);
}

static void test_episode(void **state) {
        KubeEpisode e = {};
        unsigned n = 0;
        uint64_t dur = 0;

        /* A success without trouble ends nothing. */
        assert_false(kube_episode_end(&e, 5, &n, &dur));
        assert_true(kube_episode_fail(&e, 100));
        assert_false(kube_episode_fail(&e, 200));
        assert_false(kube_episode_fail(&e, 350));
        assert_true(kube_episode_end(&e, 1100, &n, &dur));
        assert_int_equal(n, 3);
        assert_int_equal(dur, 1000);
        assert_false(kube_episode_end(&e, 1200, &n, &dur));
        /* The next failure is a new episode. */
        assert_true(kube_episode_fail(&e, 2000));
        assert_true(kube_episode_end(&e, 2000, NULL, &dur));
        assert_int_equal(dur, 0);
}

static void test_bookmark_rhythm(void **state) {
        KubeBookmarkRhythm r = {};
        const uint64_t s = USEC_PER_SEC;

        /* Unknown: timeoutSeconds + 30 s. */
        assert_int_equal(kube_bookmark_rhythm_idle_timeout(&r, 300), 330 * s);
        kube_bookmark_rhythm_bookmark(&r, 100 * s);
        assert_int_equal(kube_bookmark_rhythm_idle_timeout(&r, 300), 330 * s);
        kube_bookmark_rhythm_bookmark(&r, 160 * s);
        /* kube-apiserver's minute: three missed bookmarks. */
        assert_int_equal(kube_bookmark_rhythm_idle_timeout(&r, 300), 180 * s);
        /* Never above the old ceiling. */
        assert_int_equal(kube_bookmark_rhythm_idle_timeout(&r, 20), 50 * s);
        /* A fast rhythm: at least 10 s. */
        kube_bookmark_rhythm_bookmark(&r, 161 * s);
        assert_int_equal(kube_bookmark_rhythm_idle_timeout(&r, 300), 10 * s);
        kube_bookmark_rhythm_bookmark(&r, 166 * s);
        assert_int_equal(kube_bookmark_rhythm_idle_timeout(&r, 300), 15 * s);
        /* Intervals are measured within a stream: the gap across a reconnect is not one,
         * and what was learned stays. */
        kube_bookmark_rhythm_stream(&r);
        kube_bookmark_rhythm_bookmark(&r, 500 * s);
        assert_int_equal(kube_bookmark_rhythm_idle_timeout(&r, 300), 15 * s);
        kube_bookmark_rhythm_bookmark(&r, 505 * s);
        assert_int_equal(kube_bookmark_rhythm_idle_timeout(&r, 300), 15 * s);
        /* Two bookmarks at the same time teach nothing. */
        kube_bookmark_rhythm_bookmark(&r, 505 * s);
        assert_int_equal(kube_bookmark_rhythm_idle_timeout(&r, 300), 15 * s);
        /* timeoutSeconds 0 keeps a 30 s ceiling. */
        assert_int_equal(kube_bookmark_rhythm_idle_timeout(&r, 0), 15 * s);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_bounds_and_cap),
                cmocka_unit_test(test_reset),
                cmocka_unit_test(test_jitter_spreads),
                cmocka_unit_test(test_degenerate),
                cmocka_unit_test(test_retry_after),
                cmocka_unit_test(test_episode),
                cmocka_unit_test(test_bookmark_rhythm),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
