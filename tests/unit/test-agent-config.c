/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests for agent-config: host-agent-config JSON parsing, defaults and errors. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "agent-config.h"

static int parse(AgentConfig *c, const char *text, char *err, size_t errlen) {
        return agent_config_parse_host_agent(c, text, strlen(text), "/etc/host-agent.conf", err, errlen);
}

static void test_defaults(void **state) {
        AgentConfig c;
        char err[256] = "";

        assert_int_equal(agent_config_init(&c, "/var/lib/x", "/run/x"), 0);
        assert_int_equal(parse(&c, "{}", err, sizeof(err)), 0);
        assert_false(c.multipod);
        assert_false(c.reconnect);
        assert_int_equal(c.max_retries, 5);
        assert_int_equal(c.delay_sec, 5);
        assert_int_equal(c.infra_vlan, 4093);
        assert_int_equal(c.encap, AGENT_ENCAP_VXLAN);
        assert_string_equal(c.opflex_config_path, "/usr/local/etc/opflex-agent-ovs/base-conf.d");
        assert_string_equal(c.reset_conf, "/usr/local/var/lib/opflex-agent-ovs/reboot-conf.d/reset.conf");
        assert_string_equal(c.events_dir, "/usr/local/var/lib/opflex-agent-ovs/events");
        assert_string_equal(c.state_dir, "/var/lib/x");
        assert_string_equal(c.runtime_dir, "/run/x");
        assert_int_equal(c.intra_pod_max_age_sec, 120);
        agent_config_done(&c);
}

static void test_full(void **state) {
        /* Shaped like the configmap's host-agent-config: dozens of unknown keys. */
        static const char text[] =
                "{\n"
                "  \"log-level\": \"info\",\n"
                "  \"aci-vmm-domain\": \"kube\",\n"
                "  \"service-vlan\": 4003,\n"
                "  \"aci-multipod\": true,\n"
                "  \"enable-opflex-agent-reconnect\": true,\n"
                "  \"dhcp-renew-max-retry-count\": 7,\n"
                "  \"dhcp-delay\": 0,\n"
                "  \"aci-infra-vlan\": 3901,\n"
                "  \"encap-type\": \"vlan\",\n"
                "  \"opflex-config-path\": \"/tmp/opflex\",\n"
                "  \"nested\": {\"dhcp-delay\": \"x\"},\n"
                "  \"cni-netconfig\": [{\"gateway\": \"10.2.0.1\"}]\n"
                "}\n";
        AgentConfig c;
        char err[256] = "";

        assert_int_equal(agent_config_init(&c, "/s", "/r"), 0);
        assert_int_equal(parse(&c, text, err, sizeof(err)), 0);
        assert_true(c.multipod);
        assert_true(c.reconnect);
        assert_int_equal(c.max_retries, 7);
        assert_int_equal(c.delay_sec, 0);
        assert_int_equal(c.infra_vlan, 3901);
        assert_int_equal(c.encap, AGENT_ENCAP_VLAN);
        assert_string_equal(c.opflex_config_path, "/tmp/opflex");
        /* null keeps the value. */
        assert_int_equal(parse(&c, "{\"dhcp-delay\": null}", err, sizeof(err)), 0);
        assert_int_equal(c.delay_sec, 0);
        agent_config_done(&c);
}

static void expect_error(const char *text, const char *needle) {
        AgentConfig c;
        char err[256] = "";

        assert_int_equal(agent_config_init(&c, "/s", "/r"), 0);
        assert_int_equal(parse(&c, text, err, sizeof(err)), -EINVAL);
        if (!strstr(err, needle) || !strstr(err, "/etc/host-agent.conf")) {
                print_error("error '%s' does not name '%s'\n", err, needle);
                fail();
        }
        assert_null(strchr(err, '\n'));
        agent_config_done(&c);
}

static void test_errors(void **state) {
        expect_error("", "empty");
        expect_error("[]", "object");
        expect_error("{", "invalid JSON");
        expect_error("{} x", "invalid JSON");
        expect_error("{\"aci-multipod\": \"true\"}", "aci-multipod");
        expect_error("{\"aci-multipod\": 1}", "aci-multipod");
        expect_error("{\"enable-opflex-agent-reconnect\": 0}", "enable-opflex-agent-reconnect");
        expect_error("{\"dhcp-delay\": -1}", "dhcp-delay");
        expect_error("{\"dhcp-delay\": 3601}", "dhcp-delay");
        expect_error("{\"dhcp-delay\": 1.5}", "dhcp-delay");
        expect_error("{\"dhcp-delay\": \"5\"}", "dhcp-delay");
        expect_error("{\"dhcp-renew-max-retry-count\": 101}", "dhcp-renew-max-retry-count");
        expect_error("{\"dhcp-renew-max-retry-count\": 99999999999999999999}", "dhcp-renew-max-retry-count");
        expect_error("{\"aci-infra-vlan\": 0}", "aci-infra-vlan");
        expect_error("{\"aci-infra-vlan\": 4095}", "aci-infra-vlan");
        expect_error("{\"encap-type\": \"geneve\"}", "encap-type");
        expect_error("{\"encap-type\": 1}", "encap-type");
        expect_error("{\"opflex-config-path\": \"relative/dir\"}", "opflex-config-path");
        expect_error("{\"opflex-config-path\": 5}", "opflex-config-path");
}

static void test_set_string(void **state) {
        char *s = NULL;

        assert_int_equal(agent_config_set_string(&s, "a"), 0);
        assert_string_equal(s, "a");
        assert_int_equal(agent_config_set_string(&s, NULL), 0);
        assert_null(s);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_full),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_set_string),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
