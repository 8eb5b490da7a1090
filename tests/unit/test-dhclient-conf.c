/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for infradhcp-dhclient's reading of dhclient.conf (src/ctl/dhclient-conf.c):
 * what it honours silently (the seed's `send dhcp-client-identifier = hardware;`, a
 * written-out 01:<MAC>, timeout, option definitions, other interfaces' blocks), a
 * warning with the line for everything else (Debian's and RHEL's stock files), the
 * script statement, and parse errors with their lines.
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dhclient-conf.h"
#include "macro.h"

static const uint8_t MAC[6] = { 0x00, 0x50, 0x56, 0x97, 0xda, 0x24 };

static DhclientConf parse_ok(const char *text) {
        DhclientConf c;
        const char *why = NULL;
        unsigned line = 0;

        if (dhclient_conf_parse(text, strlen(text), "ens192.4093", MAC, &c, &line, &why) != 0)
                fail_msg("refused at line %u: %s\n%s", line, why, text);
        return c;
}

static void test_honoured(void **state) {
        DhclientConf c;

        /* The seed's line (seed 000 §6.1, §7, §9), the repro's file. */
        c = parse_ok("send dhcp-client-identifier = hardware;\ntimeout 30;\n");
        assert_true(c.client_id_hardware);
        assert_int_equal(c.timeout_sec, 30);
        assert_int_equal(c.n_warnings, 0);

        /* Written out, with or without '=' and leading zeros: ours. */
        c = parse_ok("send dhcp-client-identifier 1:0:50:56:97:da:24;\n");
        assert_true(c.client_id_hardware);
        assert_int_equal(c.n_warnings, 0);
        c = parse_ok("send dhcp-client-identifier = 01:00:50:56:97:DA:24;");
        assert_true(c.client_id_hardware);
        assert_int_equal(c.n_warnings, 0);

        /* Definitions, comments, empty statements, another interface's block. */
        c = parse_ok("# comment\noption rfc3442-classless-static-routes code 121 = array of unsigned integer 8;\n"
                     ";\ninterface \"eth0\" {\n  send host-name \"other\";\n  request subnet-mask;\n}\n");
        assert_int_equal(c.n_warnings, 0);
        assert_int_equal(c.timeout_sec, -1);
        assert_false(c.client_id_hardware);
}

static void test_warnings(void **state) {
        /* Debian's stock /etc/dhcp/dhclient.conf (comments shortened). */
        static const char debian[] =
                "# Configuration file for /sbin/dhclient.\n"
                "option rfc3442-classless-static-routes code 121 = array of unsigned integer 8;\n"
                "\n"
                "send host-name = gethostname();\n"
                "request subnet-mask, broadcast-address, time-offset, routers,\n"
                "\tdomain-name, domain-name-servers, domain-search, host-name,\n"
                "\tdhcp6.name-servers, dhcp6.domain-search, dhcp6.fqdn, dhcp6.sntp-servers,\n"
                "\tnetbios-name-servers, netbios-scope, interface-mtu,\n"
                "\trfc3442-classless-static-routes, ntp-servers;\n"
                "#send dhcp-client-identifier 1:0:a0:24:ab:fb:9c;\n"
                "send dhcp-client-identifier = hardware;\n"
                "retry 60;\n"
                "supersede domain-name \"fugue.com home.vix.com\";\n"
                "interface \"ens192.4093\" {\n"
                "  also request ntp-servers;\n"
                "  send dhcp-client-identifier 1:aa:bb:cc:dd:ee:ff;\n"
                "}\n"
                "lease {\n  interface \"ens192.4093\";\n  fixed-address 10.0.0.9;\n}\n"
                "script \"/sbin/dhclient-script\";\n"
                "media \"-link0 -link1 -link2\", \"link0 link1\";\n";
        DhclientConf c = parse_ok(debian);

        assert_true(c.client_id_hardware);
        assert_int_equal(c.n_warnings, 8);
        assert_int_equal(c.warnings[0].line, 4);
        assert_string_equal(c.warnings[0].statement, "send host-name = gethostname();");
        assert_non_null(strstr(c.warnings[0].reason, "Hostname="));
        assert_int_equal(c.warnings[1].line, 5);
        assert_string_equal(c.warnings[1].statement,
                            "request subnet-mask, broadcast-address, time-offset, routers, domain-name, ...;");
        assert_non_null(strstr(c.warnings[1].reason, "fixed set"));
        assert_int_equal(c.warnings[2].line, 12);
        assert_string_equal(c.warnings[2].statement, "retry 60;");
        assert_non_null(strstr(c.warnings[2].reason, "[Timing]"));
        assert_int_equal(c.warnings[3].line, 13);
        assert_string_equal(c.warnings[3].statement, "supersede domain-name \"fugue.com home.vix.com\";");
        /* Inside our interface's block: evaluated. */
        assert_int_equal(c.warnings[4].line, 15);
        assert_string_equal(c.warnings[4].statement, "also request ntp-servers;");
        assert_int_equal(c.warnings[5].line, 16);
        assert_non_null(strstr(c.warnings[5].reason, "01:<MAC>"));
        assert_int_equal(c.warnings[6].line, 18);
        assert_string_equal(c.warnings[6].statement, "lease { ... }");
        assert_non_null(strstr(c.warnings[6].reason, "its own"));
        assert_int_equal(c.warnings[7].line, 23);
        assert_string_equal(c.warnings[7].statement, "media \"-link0 -link1 -link2\", \"link0 link1\";");
        assert_string_equal(c.script, "/sbin/dhclient-script");
        assert_int_equal(c.script_line, 22);

        /* No MAC known: a written-out client id cannot be checked. */
        {
                DhclientConf d;

                assert_int_equal(dhclient_conf_parse("send dhcp-client-identifier 1:0:50:56:97:da:24;\n", 48, "x",
                                                     NULL, &d, NULL, NULL),
                                 0);
                assert_int_equal(d.n_warnings, 1);
        }
        /* A bad timeout is a warning, not honoured. */
        c = parse_ok("timeout soon;\n");
        assert_int_equal(c.timeout_sec, -1);
        assert_int_equal(c.n_warnings, 1);
        assert_string_equal(c.warnings[0].reason, "not a number of seconds");

        /* More warnings than the array holds are counted. */
        {
                char big[4096] = "";

                for (int i = 0; i < 40; i++)
                        strcat(big, "retry 1;\n");
                c = parse_ok(big);
                assert_int_equal(c.n_warnings, 40);
                assert_int_equal(c.warnings[DHCLIENT_CONF_WARNINGS_MAX - 1].line, DHCLIENT_CONF_WARNINGS_MAX);
        }
        /* Control bytes in a statement do not reach the terminal. */
        c = parse_ok("retry \"\x1b[31m\";\n");
        assert_string_equal(c.warnings[0].statement, "retry \"?[31m\";");
}

static void test_errors(void **state) {
        static const struct {
                const char *text;
                unsigned line;
                const char *error;
        } cases[] = {
                { "send dhcp-client-identifier = hardware\n", 1, "a statement without its ';'" },
                { "\n\ninterface \"x\" {\n  retry 1;\n", 5, "a block without its '}'" },
                { "retry 1;\n}\n", 2, "a '}' without its '{'" },
                { "\nsend host-name \"abc\n;\n", 2, "an unterminated string" },
                { "{ retry 1; }", 1, "a '{' without a statement before it" },
                { "timeout 5;\ninterface \"x\" { retry 1 }\n", 2, "a statement without its ';'" },
        };
        DhclientConf c;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                const char *why = NULL;
                unsigned line = 0;

                assert_int_equal(dhclient_conf_parse(cases[i].text, strlen(cases[i].text), "x", MAC, &c, &line, &why),
                                 -EBADMSG);
                assert_string_equal(why, cases[i].error);
                assert_int_equal(line, cases[i].line);
        }
        {
                const char nul[] = "retry 1;\0\n";
                const char *why = NULL;

                assert_int_equal(dhclient_conf_parse(nul, sizeof(nul) - 1, "x", MAC, &c, NULL, &why), -EBADMSG);
                assert_string_equal(why, "a NUL byte");
        }
        assert_int_equal(dhclient_conf_parse(NULL, 1, "x", MAC, &c, NULL, NULL), -EINVAL);
        assert_int_equal(dhclient_conf_parse("", 0, NULL, MAC, &c, NULL, NULL), -EINVAL);
        assert_int_equal(dhclient_conf_parse("", 0, "x", MAC, &c, NULL, NULL), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_honoured),
                cmocka_unit_test(test_warnings),
                cmocka_unit_test(test_errors),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
