/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for the strict value parsers (src/basic/parse-util.c): every accepted
 * form, and the rejections that strtoul/inet_aton would have let through.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "macro.h"
#include "parse-util.h"
#include "time-util.h"

static void test_u64(void **state) {
        uint64_t v = 42;

        assert_int_equal(parse_u64("0", &v), 0);
        assert_int_equal(v, 0);
        assert_int_equal(parse_u64("18446744073709551615", &v), 0);
        assert_true(v == UINT64_MAX);
        assert_int_equal(parse_u64("007", &v), 0);
        assert_int_equal(v, 7);

        v = 42;
        assert_int_equal(parse_u64("18446744073709551616", &v), -ERANGE);
        assert_int_equal(parse_u64("99999999999999999999999", &v), -ERANGE);
        assert_int_equal(parse_u64("", &v), -EINVAL);
        assert_int_equal(parse_u64(" 1", &v), -EINVAL);
        assert_int_equal(parse_u64("1 ", &v), -EINVAL);
        assert_int_equal(parse_u64("+1", &v), -EINVAL);
        assert_int_equal(parse_u64("-1", &v), -EINVAL);
        assert_int_equal(parse_u64("0x10", &v), -EINVAL);
        assert_int_equal(parse_u64("12a", &v), -EINVAL);
        assert_int_equal(parse_u64("1.0", &v), -EINVAL);
        /* Overflowing digits followed by junk: junk wins. */
        assert_int_equal(parse_u64("99999999999999999999999x", &v), -EINVAL);
        assert_int_equal(parse_u64(NULL, &v), -EINVAL);
        assert_int_equal(v, 42); /* untouched on failure */
}

static void test_u32(void **state) {
        uint32_t v = 42;

        assert_int_equal(parse_u32("4294967295", &v), 0);
        assert_true(v == UINT32_MAX);
        assert_int_equal(parse_u32("1024", &v), 0);
        assert_int_equal(v, 1024);
        v = 42;
        assert_int_equal(parse_u32("4294967296", &v), -ERANGE);
        assert_int_equal(parse_u32("\t5", &v), -EINVAL);
        assert_int_equal(parse_u32("5\n", &v), -EINVAL);
        assert_int_equal(parse_u32("", &v), -EINVAL);
        assert_int_equal(v, 42);
}

static void test_bool(void **state) {
        static const char *const yes[] = { "1", "yes", "YES", "true", "True", "on", "ON" };
        static const char *const no[] = { "0", "no", "No", "false", "FALSE", "off", "Off" };
        static const char *const bad[] = { "", " yes", "yes ", "y", "n", "2", "enable", "truee", "o" };
        bool b;

        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                b = false;
                assert_int_equal(parse_bool(yes[i], &b), 0);
                assert_true(b);
        }
        for (size_t i = 0; i < ELEMENTSOF(no); i++) {
                b = true;
                assert_int_equal(parse_bool(no[i], &b), 0);
                assert_false(b);
        }
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                b = true;
                assert_int_equal(parse_bool(bad[i], &b), -EINVAL);
                assert_true(b);
        }
}

static void test_duration(void **state) {
        static const struct {
                const char *s;
                uint64_t usec;
        } good[] = {
                { "250ms", 250 * USEC_PER_MSEC },
                { "2s", 2 * USEC_PER_SEC },
                { "1.5s", 1500 * USEC_PER_MSEC },
                { "5min", 300 * USEC_PER_SEC },
                { "1h", 3600 * USEC_PER_SEC },
                { "3d", 3 * 86400 * USEC_PER_SEC },
                { "7", 7 * USEC_PER_SEC },
                { "0", 0 },
                { "0.25", 250 * USEC_PER_MSEC },
                { "100us", 100 },
                { "100usec", 100 },
                { "20msec", 20 * USEC_PER_MSEC },
                { "10sec", 10 * USEC_PER_SEC },
                { "0.5ms", 500 },
                { "1.0000009s", 1000000 },  /* truncated below 1 usec */
                { "0.1us", 0 },
                { "1.000000000000000000001d", 86400 * USEC_PER_SEC },
                { "18446744073709551615us", UINT64_MAX },
                { "18446744073709.551615s", UINT64_MAX },
        };
        static const char *const bad[] = {
                "", " 1s", "1s ", "1 s", "-1s", "+1s", "s", "1x", "1m", "1.s", ".5s",
                "1..5s", "1.5.5s", "1S", "1sec2", "1s1ms", "1e3", "0x10s", "1,5s",
        };
        uint64_t v;

        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                v = 12345;
                assert_int_equal(parse_duration_usec(good[i].s, &v), 0);
                if (v != good[i].usec)
                        fail_msg("%s: got %" PRIu64 ", want %" PRIu64, good[i].s, v, good[i].usec);
        }
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                v = 12345;
                if (parse_duration_usec(bad[i], &v) != -EINVAL)
                        fail_msg("\"%s\" accepted", bad[i]);
                assert_int_equal(v, 12345);
        }

        v = 12345;
        assert_int_equal(parse_duration_usec("18446744073709551616us", &v), -ERANGE);
        assert_int_equal(parse_duration_usec("18446744073710s", &v), -ERANGE);
        assert_int_equal(parse_duration_usec("213503983d", &v), -ERANGE);
        assert_int_equal(parse_duration_usec("99999999999999999999999999s", &v), -ERANGE);
        assert_int_equal(parse_duration_usec("99999999999999999999999999x", &v), -EINVAL);
        assert_int_equal(v, 12345);
}

static void test_ipv4(void **state) {
        static const char *const bad[] = {
                "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4 ", " 1.2.3.4", "01.2.3.4",
                "1.2.3.04", "0x1.2.3.4", "1.2.3.-4", "1..2.3", "10", "1.2.3.4/8", "a.b.c.d",
        };
        struct in_addr a = { .s_addr = htonl(0x01020304) };

        assert_int_equal(parse_ipv4("10.0.128.64", &a), 0);
        assert_int_equal(ntohl(a.s_addr), 0x0a008040);
        assert_int_equal(parse_ipv4("0.0.0.0", &a), 0);
        assert_int_equal(a.s_addr, 0);
        assert_int_equal(parse_ipv4("255.255.255.255", &a), 0);
        assert_int_equal(a.s_addr, 0xffffffff);

        a.s_addr = htonl(0x01020304);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (parse_ipv4(bad[i], &a) != -EINVAL)
                        fail_msg("\"%s\" accepted", bad[i]);
        assert_int_equal(ntohl(a.s_addr), 0x01020304);
}

static void test_ipv4_prefix(void **state) {
        static const char *const bad[] = {
                "", "10.0.0.0", "10.0.0.0/", "/8", "10.0.0/8", "10.0.0.0/8 ", "10.0.0.0/+8",
                "10.0.0.0/-1", "10.0.0.0/8/8", "10.0.0.0 /8", "10.0.0.0/ 8", "10.0.0.0/0x8",
                "100.100.100.100100/8",
        };
        struct in_addr a = {};
        uint8_t len = 99;

        assert_int_equal(parse_ipv4_prefix("224.0.0.0/4", &a, &len), 0);
        assert_int_equal(ntohl(a.s_addr), 0xe0000000);
        assert_int_equal(len, 4);
        /* Host bits are kept as given. */
        assert_int_equal(parse_ipv4_prefix("10.0.128.64/16", &a, &len), 0);
        assert_int_equal(ntohl(a.s_addr), 0x0a008040);
        assert_int_equal(len, 16);
        assert_int_equal(parse_ipv4_prefix("0.0.0.0/0", &a, &len), 0);
        assert_int_equal(len, 0);
        assert_int_equal(parse_ipv4_prefix("1.2.3.4/32", &a, &len), 0);
        assert_int_equal(len, 32);

        a.s_addr = 7;
        len = 99;
        assert_int_equal(parse_ipv4_prefix("1.2.3.4/33", &a, &len), -ERANGE);
        assert_int_equal(parse_ipv4_prefix("1.2.3.4/4294967296", &a, &len), -ERANGE);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (parse_ipv4_prefix(bad[i], &a, &len) != -EINVAL)
                        fail_msg("\"%s\" accepted", bad[i]);
        assert_int_equal(a.s_addr, 7);
        assert_int_equal(len, 99);
}

static void test_mac(void **state) {
        static const char *const bad[] = {
                "", "aa:bb:cc:dd:ee", "aa:bb:cc:dd:ee:ff:00", "aa-bb-cc-dd-ee-ff", "aabb.ccdd.eeff",
                "aa:bb:cc:dd:ee:fg", "a:bb:cc:dd:ee:ff0", " aa:bb:cc:dd:ee:f", "aa:bb:cc:dd:ee:ff ",
                "aa:bb:cc:dd:ee:f",
        };
        const uint8_t want[6] = { 0xaa, 0xbb, 0x0c, 0xdd, 0xee, 0x0f };
        uint8_t mac[6] = {}, orig[6];
        char buf[18];

        assert_int_equal(parse_mac("aa:bb:0c:dd:ee:0f", mac), 0);
        assert_memory_equal(mac, want, 6);
        assert_int_equal(parse_mac("AA:BB:0C:DD:EE:0F", mac), 0);
        assert_memory_equal(mac, want, 6);
        assert_string_equal(format_mac(mac, buf), "aa:bb:0c:dd:ee:0f");
        assert_ptr_equal(format_mac(mac, buf), buf);

        memcpy(orig, mac, 6);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (parse_mac(bad[i], mac) != -EINVAL)
                        fail_msg("\"%s\" accepted", bad[i]);
        assert_memory_equal(mac, orig, 6);
}

static void test_ifname(void **state) {
        static const char *const good[] = { "eth0", "ens192.4093", "a", "veth-dhcp-12345", "123456789012345", "br_0", "..." };
        static const char *const bad[] = {
                "", ".", "..", "1234567890123456", "eth/0", "eth 0", "eth0:1", "eth\t0", "eth\n",
                "eth\"0", "eth\\0", "eth\x7f", "eth\xc3\xa9",
        };

        for (size_t i = 0; i < ELEMENTSOF(good); i++)
                if (!ifname_valid(good[i]))
                        fail_msg("\"%s\" rejected", good[i]);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (ifname_valid(bad[i]))
                        fail_msg("\"%s\" accepted", bad[i]);
        assert_false(ifname_valid(NULL));
}

static void test_next_word(void **state) {
        const char *p = " \t a bb\t\tccc  ", *w;
        size_t l = 99;

        w = next_word(&p, " \t", &l);
        assert_non_null(w);
        assert_int_equal(l, 1);
        assert_memory_equal(w, "a", 1);
        w = next_word(&p, " \t", &l);
        assert_int_equal(l, 2);
        assert_memory_equal(w, "bb", 2);
        w = next_word(&p, " \t", &l);
        assert_int_equal(l, 3);
        assert_memory_equal(w, "ccc", 3);
        l = 99;
        assert_null(next_word(&p, " \t", &l));
        assert_int_equal(*p, 0);
        assert_int_equal(l, 99); /* untouched at the end */
        assert_null(next_word(&p, " \t", &l));

        p = "";
        assert_null(next_word(&p, " ", &l));
        p = "   ";
        assert_null(next_word(&p, " ", &l));
        assert_int_equal(*p, 0);
        p = "one";
        w = next_word(&p, " ", &l);
        assert_int_equal(l, 3);
        assert_ptr_equal(w + 3, p);
        /* A tab is no separator unless named. */
        p = "x\ty z";
        w = next_word(&p, " ", &l);
        assert_int_equal(l, 3);
}

static void test_bus_address_unix_path(void **state) {
        static const char *const not_one_path[] = {
                NULL, "", "unix:path=", "unix:abstract=/x", "unix:path=/run/a;unix:path=/run/b",
                "unix:path=/run/a,guid=0123", "unix:path=/run/%2da", "tcp:host=localhost,port=1",
                "UNIX:path=/run/a", "unix:path", "x-machine-unix:pid=1", "kernel:path=/dev/kdbus",
        };

        assert_string_equal(bus_address_unix_path("unix:path=/run/dbus/system_bus_socket"),
                            "/run/dbus/system_bus_socket");
        assert_string_equal(bus_address_unix_path("unix:path=relative"), "relative");
        for (size_t i = 0; i < ELEMENTSOF(not_one_path); i++)
                if (bus_address_unix_path(not_one_path[i]))
                        fail_msg("\"%s\" taken for one socket path", not_one_path[i] ? not_one_path[i] : "(null)");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_u64),      cmocka_unit_test(test_u32),
                cmocka_unit_test(test_bool),     cmocka_unit_test(test_duration),
                cmocka_unit_test(test_ipv4),     cmocka_unit_test(test_ipv4_prefix),
                cmocka_unit_test(test_mac),      cmocka_unit_test(test_ifname),
                cmocka_unit_test(test_next_word), cmocka_unit_test(test_bus_address_unix_path),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
