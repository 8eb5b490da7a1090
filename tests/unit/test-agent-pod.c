/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests for agent-pod: the exact aci-pod / node-aci-pod parsers. */

#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "agent-pod.h"

static struct in_addr ip(const char *s) {
        struct in_addr a;
        assert_int_equal(inet_pton(AF_INET, s, &a), 1);
        return a;
}

static void test_aci_pod_valid(void **state) {
        AgentPod p;
        char buf[AGENT_POD_STRING_MAX];

        assert_int_equal(agent_pod_parse("pod-1-10.0.0.0/16", &p), 0);
        assert_int_equal(p.kind, AGENT_POD_SET);
        assert_int_equal(p.id, 1);
        assert_int_equal(p.prefixlen, 16);
        assert_int_equal(p.network.s_addr, ip("10.0.0.0").s_addr);
        assert_string_equal(agent_pod_format(&p, buf, sizeof(buf)), "pod-1-10.0.0.0/16");
        assert_true(agent_pod_contains(&p, ip("10.0.128.64")));
        assert_false(agent_pod_contains(&p, ip("10.1.0.57")));

        /* Host bits are normalised away. */
        assert_int_equal(agent_pod_parse("pod-10-10.1.200.7/16", &p), 0);
        assert_int_equal(p.id, 10);
        assert_string_equal(agent_pod_format(&p, buf, sizeof(buf)), "pod-10-10.1.0.0/16");
        assert_string_equal(agent_pod_format_pool(&p, buf, sizeof(buf)), "10.1.0.0/16");

        assert_int_equal(agent_pod_parse("pod-4294967295-192.168.1.1/32", &p), 0);
        assert_int_equal(p.id, 4294967295U);
        assert_true(agent_pod_contains(&p, ip("192.168.1.1")));
        assert_false(agent_pod_contains(&p, ip("192.168.1.2")));

        assert_int_equal(agent_pod_parse("none", &p), 0);
        assert_int_equal(p.kind, AGENT_POD_NONE);
        assert_false(agent_pod_contains(&p, ip("10.0.0.1")));
        assert_int_equal(agent_pod_parse(NULL, &p), 0);
        assert_int_equal(p.kind, AGENT_POD_ABSENT);
}

static void test_aci_pod_invalid(void **state) {
        static const char *const bad[] = {
                "",          "None",           "NONE",          "none ",         " none",
                "pod-1",     "pod-1-",         "pod--10.0.0.0/16", "pod-x-10.0.0.0/16", "pod-01-10.0.0.0/16",
                "pod-1-10.0.0.0", "pod-1-10.0.0.0/33", "pod-1-10.0.0.0/0", "pod-1-10.0.0/16", "pod-1-10.0.0.0/16 ",
                "pod-1-10.0.0.0/16/1", "pod-1-010.0.0.0/16", "pod-4294967296-10.0.0.0/16",
                "pod-12345678901-10.0.0.0/16", "xpod-1-10.0.0.0/16", "pod-+1-10.0.0.0/16", "pod-1_10.0.0.0/16",
                "pod-1-10.0.0.0/-1", "pod-1-256.0.0.0/8",
        };
        AgentPod p;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                p.kind = AGENT_POD_SET;
                assert_int_equal(agent_pod_parse(bad[i], &p), -EINVAL);
                assert_int_equal(p.kind, AGENT_POD_INVALID);
        }
}

static void test_node_pod(void **state) {
        AgentPod p;
        char buf[AGENT_POD_STRING_MAX];

        assert_int_equal(agent_node_pod_parse("pod-2", &p), 0);
        assert_int_equal(p.kind, AGENT_POD_SET);
        assert_int_equal(p.id, 2);
        assert_string_equal(agent_pod_format(&p, buf, sizeof(buf)), "pod-2");
        assert_int_equal(agent_node_pod_parse("none", &p), 0);
        assert_int_equal(p.kind, AGENT_POD_NONE);
        assert_int_equal(agent_node_pod_parse("pod-2-10.0.0.0/16", &p), -EINVAL);
        assert_int_equal(p.kind, AGENT_POD_INVALID);
        assert_int_equal(agent_node_pod_parse("pod-", &p), -EINVAL);
        assert_int_equal(agent_node_pod_parse("pod-02", &p), -EINVAL);
        assert_int_equal(agent_node_pod_parse(NULL, &p), 0);
        assert_int_equal(p.kind, AGENT_POD_ABSENT);
}

static void test_equal_and_no_substring_match(void **state) {
        AgentPod a, b;

        /* The controller's substring comparison would take pod-1 for pod-10: never. */
        assert_int_equal(agent_pod_parse("pod-1-10.0.0.0/16", &a), 0);
        assert_int_equal(agent_pod_parse("pod-10-10.0.0.0/16", &b), 0);
        assert_false(agent_pod_equal(&a, &b));
        assert_int_equal(agent_pod_parse("pod-1-10.0.0.0/17", &b), 0);
        assert_false(agent_pod_equal(&a, &b));
        assert_int_equal(agent_pod_parse("pod-1-10.0.99.0/16", &b), 0);
        assert_true(agent_pod_equal(&a, &b));
        assert_int_equal(agent_pod_kind_from_string("unknown"), AGENT_POD_UNKNOWN);
        assert_int_equal(agent_pod_kind_from_string("pod-1"), -EINVAL);
        assert_int_equal(agent_prefix_mask(0), 0);
        assert_int_equal(agent_prefix_mask(24), htonl(0xffffff00U));
        assert_int_equal(agent_prefix_mask(32), 0xffffffffU);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_aci_pod_valid),
                cmocka_unit_test(test_aci_pod_invalid),
                cmocka_unit_test(test_node_pod),
                cmocka_unit_test(test_equal_and_no_substring_match),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
