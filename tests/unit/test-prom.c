/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Prometheus text writer: escaping, families, histograms (src/shared/prom.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>

#include "prom.h"

static char *render_label(const char *value) {
        PromWriter w;
        PromLabel l = { "pod", value };
        char *t = NULL;

        assert_int_equal(prom_writer_open(&w), 0);
        prom_family(&w, "infradhcp_x", "gauge", "Help with \\ and\nnewline.");
        prom_sample(&w, "infradhcp_x", &l, 1, 1);
        assert_int_equal(prom_writer_close(&w, &t, NULL), 0);
        return t;
}

static void test_escaping(void **state) {
        char *t = render_label("a\"b\\c\nd");
        assert_string_equal(t, "# HELP infradhcp_x Help with \\\\ and\\nnewline.\n"
                               "# TYPE infradhcp_x gauge\n"
                               "infradhcp_x{pod=\"a\\\"b\\\\c\\nd\"} 1\n");
        free(t);
}

static void test_invalid_names(void **state) {
        PromWriter w;
        PromLabel l = { "bad-label", "x" };
        char *t = NULL;

        assert_int_equal(prom_writer_open(&w), 0);
        prom_family(&w, "infradhcp_x", "gauge", "h");
        prom_sample(&w, "infradhcp_x", &l, 1, 1);
        assert_int_equal(prom_writer_close(&w, &t, NULL), -EINVAL);
        assert_null(t);
        assert_int_equal(prom_writer_open(&w), 0);
        prom_family(&w, "9bad", "gauge", "h");
        assert_int_equal(prom_writer_close(&w, &t, NULL), -EINVAL);
        assert_false(prom_label_name_valid("__reserved"));
        assert_true(prom_metric_name_valid("infradhcp_a:b_total"));
}

static void test_histogram(void **state) {
        static const double b[] = { 0.05, 1, 60 };
        PromHistogram h;
        PromWriter w;
        PromLabel l = { "phase", "lease" };
        char *t = NULL;

        prom_histogram_init(&h, b, 3);
        prom_histogram_observe(&h, 0.05); /* le is inclusive */
        prom_histogram_observe(&h, 1.5);
        prom_histogram_observe(&h, 120);
        assert_int_equal(prom_writer_open(&w), 0);
        prom_family(&w, "infradhcp_d_seconds", "histogram", "d");
        prom_sample_histogram(&w, "infradhcp_d_seconds", &l, 1, &h);
        assert_int_equal(prom_writer_close(&w, &t, NULL), 0);
        assert_string_equal(t, "# HELP infradhcp_d_seconds d\n# TYPE infradhcp_d_seconds histogram\n"
                               "infradhcp_d_seconds_bucket{phase=\"lease\",le=\"0.05\"} 1\n"
                               "infradhcp_d_seconds_bucket{phase=\"lease\",le=\"1\"} 1\n"
                               "infradhcp_d_seconds_bucket{phase=\"lease\",le=\"60\"} 2\n"
                               "infradhcp_d_seconds_bucket{phase=\"lease\",le=\"+Inf\"} 3\n"
                               "infradhcp_d_seconds_sum{phase=\"lease\"} 121.55\n"
                               "infradhcp_d_seconds_count{phase=\"lease\"} 3\n");
        free(t);
        assert_true(prom_duration_bounds[0] <= 0.05 && prom_duration_bounds[prom_duration_n_bounds - 1] >= 60);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_escaping),
                cmocka_unit_test(test_invalid_names),
                cmocka_unit_test(test_histogram),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
