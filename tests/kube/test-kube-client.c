/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for the parts of the kube client that need no API server: argument
 * validation, Node name rules, the bounded mutation queue. Runs no event loop, so no
 * request leaves the process. The protocol itself is tested against the stand-in
 * (tests/kube/test_*.py).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kube.h"

static KubeClient *make_client(sd_event **ret_event) {
        KubeConfig *cfg = calloc(1, sizeof(*cfg));
        KubeClient *c = NULL;

        assert_non_null(cfg);
        cfg->server = strdup("https://127.0.0.1:1");
        cfg->token = strdup("t");
        assert_int_equal(sd_event_new(ret_event), 0);
        assert_int_equal(kube_client_new(&c, *ret_event, cfg), 0);
        return c;
}

static void test_node_names(void **state) {
        char long_label[70], long_name[260];

        assert_true(kube_node_name_valid("node-a"));
        assert_true(kube_node_name_valid("worker-1.example.com"));
        assert_true(kube_node_name_valid("a"));
        assert_true(kube_node_name_valid("0"));
        assert_false(kube_node_name_valid(""));
        assert_false(kube_node_name_valid(NULL));
        assert_false(kube_node_name_valid("Node-A"));
        assert_false(kube_node_name_valid("-a"));
        assert_false(kube_node_name_valid("a-"));
        assert_false(kube_node_name_valid("a..b"));
        assert_false(kube_node_name_valid("a.-b"));
        assert_false(kube_node_name_valid(".a"));
        assert_false(kube_node_name_valid("a/b"));
        assert_false(kube_node_name_valid("a&watch=true"));
        assert_false(kube_node_name_valid("a b"));

        memset(long_label, 'a', 64);
        long_label[64] = 0;
        assert_false(kube_node_name_valid(long_label));
        long_label[63] = 0;
        assert_true(kube_node_name_valid(long_label));

        for (size_t i = 0; i < 254; i++)
                long_name[i] = (i % 50 == 49) ? '.' : 'a';
        long_name[254] = 0;
        assert_false(kube_node_name_valid(long_name));
        long_name[253] = 0;
        assert_true(kube_node_name_valid(long_name));
}

static void test_arguments(void **state) {
        sd_event *e = NULL;
        KubeClient *c = make_client(&e);
        json_object *ann = json_object_new_object(), *bad = json_object_new_object();

        json_object_object_add(ann, "a", json_object_new_string("b"));
        json_object_object_add(ann, "gone", NULL);
        json_object_object_add(bad, "n", json_object_new_int(1));

        assert_int_equal(kube_client_new(NULL, e, NULL), -EINVAL);
        assert_int_equal(kube_event_create(c, "node-a", "Info", "Reason", "m", NULL, NULL), -EINVAL);
        assert_int_equal(kube_event_create(c, "node-a", "Normal", "Bad Reason", "m", NULL, NULL), -EINVAL);
        assert_int_equal(kube_event_create(c, "node-a", "Normal", "", "m", NULL, NULL), -EINVAL);
        assert_int_equal(kube_event_create(c, "Node_A", "Normal", "R", "m", NULL, NULL), -EINVAL);
        assert_int_equal(kube_node_patch_annotations(c, "node-a", bad, NULL, NULL), -EINVAL);
        assert_int_equal(kube_node_patch_annotations(c, "node-a", NULL, NULL, NULL), -EINVAL);
        assert_int_equal(kube_node_patch_annotations(c, "node-a", ann, NULL, NULL), 0);
        assert_int_equal(kube_client_get_queue_length(c), 1);

        assert_int_equal(kube_client_set_backoff(c, 0, 1), -EINVAL);
        assert_int_equal(kube_client_set_backoff(c, 10, 5), -EINVAL);
        assert_int_equal(kube_client_set_watch_timeout(c, 0), -EINVAL);

        assert_int_equal(kube_node_watch_stop(c, "node-a"), -ENOENT);
        assert_int_equal(kube_node_watch_start(c, "node-a", NULL, NULL), -EINVAL);

        json_object_put(ann);
        json_object_put(bad);
        kube_client_free(c);
        sd_event_unref(e);
}

static void on_node(KubeClient *c, KubeNodeEventType type, json_object *node, void *userdata) {
        fail_msg("no loop runs, no event can arrive");
}

static void test_watch_registry(void **state) {
        sd_event *e = NULL;
        KubeClient *c = make_client(&e);

        assert_int_equal(kube_node_watch_start(c, "node-a", on_node, NULL), 0);
        assert_int_equal(kube_node_watch_start(c, "node-a", on_node, NULL), -EEXIST);
        assert_int_equal(kube_node_watch_start(c, "node-b", on_node, NULL), 0);
        /* The object limit is fixed once watches exist. */
        assert_int_equal(kube_client_set_max_object_size(c, 1 << 20), -EINVAL);
        assert_int_equal(kube_node_watch_stop(c, "node-a"), 0);
        assert_int_equal(kube_node_watch_stop(c, "node-a"), -ENOENT);
        assert_int_equal(kube_node_watch_start(c, "node-a", on_node, NULL), 0);
        kube_client_free(c);
        sd_event_unref(e);
}

static void test_queue_bound(void **state) {
        sd_event *e = NULL;
        KubeClient *c = make_client(&e);
        char long_msg[4000];

        memset(long_msg, 'm', sizeof(long_msg) - 1);
        long_msg[sizeof(long_msg) - 1] = 0;

        for (unsigned i = 0; i < KUBE_CLIENT_QUEUE_MAX; i++)
                assert_int_equal(kube_event_create(c, "node-a", i % 2 ? "Normal" : "Warning", "Lease", long_msg,
                                                   NULL, NULL),
                                 0);
        assert_int_equal(kube_client_get_queue_length(c), KUBE_CLIENT_QUEUE_MAX);
        assert_int_equal(kube_event_create(c, "node-a", "Normal", "Lease", "one more", NULL, NULL), -ENOBUFS);
        assert_int_equal(kube_client_get_bytes_received(c), 0);
        kube_client_free(c);
        sd_event_unref(e);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_node_names),
                cmocka_unit_test(test_arguments),
                cmocka_unit_test(test_watch_registry),
                cmocka_unit_test(test_queue_bound),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
