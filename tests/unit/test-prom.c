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

static void test_merge(void **state) {
        static const char a[] = "# HELP infradhcp_a_total A.\n"
                                "# TYPE infradhcp_a_total counter\n"
                                "infradhcp_a_total{interface=\"eth0\"} 1\n"
                                "# HELP infradhcp_b B with \\n.\n"
                                "# TYPE infradhcp_b gauge\n"
                                "infradhcp_b{interface=\"eth0\",state=\"X\"} 0\n"
                                "infradhcp_b{interface=\"eth0\",state=\"Y\"} 1\n"
                                "# HELP infradhcp_t Absent without a lease.\n"
                                "# TYPE infradhcp_t gauge\n";
        /* another daemon: families in another order, one more, a comment, no final newline */
        static const char b[] = "# HELP infradhcp_c C.\n"
                                "# TYPE infradhcp_c gauge\n"
                                "infradhcp_c{interface=\"eth1\"} 3\n"
                                "# a comment\n"
                                "\n"
                                "# HELP infradhcp_b B (other help text).\n"
                                "# TYPE infradhcp_b gauge\n"
                                "infradhcp_b{interface=\"eth1\",state=\"X\"} 1\n"
                                "# HELP infradhcp_t Absent without a lease.\n"
                                "# TYPE infradhcp_t gauge\n"
                                "infradhcp_t{interface=\"eth1\"} 17\n"
                                "# HELP infradhcp_a_total A.\n"
                                "# TYPE infradhcp_a_total counter\n"
                                "infradhcp_a_total{interface=\"eth1\"} 2";
        const char *texts[] = { a, b };
        char *t = NULL;
        size_t len = 0;

        assert_int_equal(prom_merge(texts, 2, &t, &len), 0);
        assert_string_equal(t, "# HELP infradhcp_a_total A.\n"
                               "# TYPE infradhcp_a_total counter\n"
                               "infradhcp_a_total{interface=\"eth0\"} 1\n"
                               "infradhcp_a_total{interface=\"eth1\"} 2\n"
                               "# HELP infradhcp_b B with \\n.\n"
                               "# TYPE infradhcp_b gauge\n"
                               "infradhcp_b{interface=\"eth0\",state=\"X\"} 0\n"
                               "infradhcp_b{interface=\"eth0\",state=\"Y\"} 1\n"
                               "infradhcp_b{interface=\"eth1\",state=\"X\"} 1\n"
                               "# HELP infradhcp_t Absent without a lease.\n"
                               "# TYPE infradhcp_t gauge\n"
                               "infradhcp_t{interface=\"eth1\"} 17\n"
                               "# HELP infradhcp_c C.\n"
                               "# TYPE infradhcp_c gauge\n"
                               "infradhcp_c{interface=\"eth1\"} 3\n");
        assert_int_equal(len, strlen(t));
        free(t);

        /* one text is itself */
        assert_int_equal(prom_merge(texts, 1, &t, NULL), 0);
        assert_string_equal(t, a);
        free(t);
        assert_int_equal(prom_merge(texts, 0, &t, &len), 0);
        assert_string_equal(t, "");
        assert_int_equal(len, 0);
        free(t);
}

static void test_merge_invalid(void **state) {
        static const char *const bad[] = {
                "infradhcp_x 1\n",                                          /* sample before any family */
                "# HELP infradhcp_x X.\ninfradhcp_x 1\n",                  /* sample before TYPE */
                "# HELP infradhcp_x X.\n# TYPE infradhcp_y gauge\n",       /* TYPE of another family */
                "# HELP infradhcp_x X.\n# TYPE infradhcp_x\n",             /* TYPE without a type */
                "# HELP infradhcp_x X.\n# TYPE infradhcp_xy gauge\n",      /* a longer name */
                "# HELP infradhcp_x X.\n",                                   /* HELP without TYPE */
                "# HELP infradhcp_x X.\n# TYPE infradhcp_x gauge\n# TYPE infradhcp_x gauge\n",
        };
        const char *two[] = { "# HELP infradhcp_x X.\n# TYPE infradhcp_x gauge\ninfradhcp_x 1\n",
                              "# HELP infradhcp_x X.\n# TYPE infradhcp_x counter\ninfradhcp_x 2\n" };
        char *t = NULL;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                if (prom_merge(&bad[i], 1, &t, NULL) != -EBADMSG)
                        fail_msg("accepted: %s", bad[i]);
                assert_null(t);
        }
        /* the same family typed differently by two daemons */
        assert_int_equal(prom_merge(two, 2, &t, NULL), -EBADMSG);
        assert_null(t);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_escaping),
                cmocka_unit_test(test_invalid_names),
                cmocka_unit_test(test_histogram),
                cmocka_unit_test(test_merge),
                cmocka_unit_test(test_merge_invalid),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
