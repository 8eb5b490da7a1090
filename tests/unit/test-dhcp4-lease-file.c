/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for the lease file formats (src/dhcp4/dhcp4-lease-file.c): exact text,
 * round trips, every mandatory key missing, malformed values, truncation, garbage,
 * and the dhclient-compatible block with hand-checked UTC times and weekdays.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dhcp4-lease-file.h"
#include "macro.h"
#include "time-util.h"

/* A stamp of the wall clock only (a file written before boot ids were stored). */
#define WALL(rt) (&(Dhcp4LeaseStamp) { .realtime_usec = (rt) })

static struct in_addr A(const char *s) {
        struct in_addr a;

        assert_int_equal(inet_pton(AF_INET, s, &a), 1);
        return a;
}

/* 2025-09-04 10:39:35 UTC, a Thursday. */
#define ACQ_REALTIME (UINT64_C(1756982375) * USEC_PER_SEC + 123456)

static Dhcp4Lease full_lease(void) {
        Dhcp4Lease l = {
                .address = A("10.0.128.64"),
                .prefixlen = 16,
                .server_id = A("10.0.0.1"),
                .broadcast = A("10.0.255.255"),
                .n_routers = 2,
                .n_dns = 1,
                .n_routes = 2,
                .mtu = 9000,
                .hostname = "node-1",
                .domain = "infra.example.com",
                .lifetime = 604800,
                .t1 = 302400,
                .t2 = 529200,
                .acquired_usec = 777, /* not persisted */
                .client_id = { 0x01, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 },
        };

        l.routers[0] = A("10.0.0.1");
        l.routers[1] = A("10.0.0.2");
        l.dns[0] = A("10.0.0.53");
        l.routes[0] = (LeaseRoute) { .destination = A("0.0.0.0"), .prefixlen = 0, .gateway = A("10.0.0.1") };
        l.routes[1] = (LeaseRoute) { .destination = A("10.1.0.0"), .prefixlen = 16, .gateway = A("0.0.0.0") };
        return l;
}

static Dhcp4Lease minimal_lease(void) {
        return (Dhcp4Lease) {
                .address = A("192.168.7.9"),
                .prefixlen = 24,
                .server_id = A("192.168.7.1"),
                .lifetime = 20,
                .t1 = 10,
                .t2 = 17,
                .client_id = { 0x01, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff },
        };
}

static void assert_lease_equal(const Dhcp4Lease *a, const Dhcp4Lease *b) {
        assert_int_equal(a->address.s_addr, b->address.s_addr);
        assert_int_equal(a->prefixlen, b->prefixlen);
        assert_int_equal(a->server_id.s_addr, b->server_id.s_addr);
        assert_int_equal(a->broadcast.s_addr, b->broadcast.s_addr);
        assert_int_equal(a->n_routers, b->n_routers);
        for (size_t i = 0; i < a->n_routers; i++)
                assert_int_equal(a->routers[i].s_addr, b->routers[i].s_addr);
        assert_int_equal(a->n_dns, b->n_dns);
        for (size_t i = 0; i < a->n_dns; i++)
                assert_int_equal(a->dns[i].s_addr, b->dns[i].s_addr);
        assert_int_equal(a->n_routes, b->n_routes);
        for (size_t i = 0; i < a->n_routes; i++) {
                assert_int_equal(a->routes[i].destination.s_addr, b->routes[i].destination.s_addr);
                assert_int_equal(a->routes[i].prefixlen, b->routes[i].prefixlen);
                assert_int_equal(a->routes[i].gateway.s_addr, b->routes[i].gateway.s_addr);
        }
        assert_int_equal(a->mtu, b->mtu);
        assert_string_equal(a->hostname, b->hostname);
        assert_string_equal(a->domain, b->domain);
        assert_int_equal(a->lifetime, b->lifetime);
        assert_int_equal(a->t1, b->t1);
        assert_int_equal(a->t2, b->t2);
        assert_memory_equal(a->client_id, b->client_id, LEASE_CLIENT_ID_LEN);
}

static const char full_text[] =
        "# infradhcp lease file (generated; do not edit)\n"
        "ADDRESS=10.0.128.64\n"
        "PREFIXLEN=16\n"
        "SERVER_ADDRESS=10.0.0.1\n"
        "BROADCAST=10.0.255.255\n"
        "ROUTER=10.0.0.1 10.0.0.2\n"
        "DNS=10.0.0.53\n"
        "ROUTES=0.0.0.0/0,10.0.0.1 10.1.0.0/16,0.0.0.0\n"
        "MTU=9000\n"
        "HOSTNAME=node-1\n"
        "DOMAINNAME=infra.example.com\n"
        "LIFETIME=604800\n"
        "T1=302400\n"
        "T2=529200\n"
        "CLIENTID=01:52:54:00:12:34:56\n"
        "ACQUIRED_REALTIME_USEC=1756982375123456\n";

static void test_format_exact(void **state) {
        Dhcp4Lease l = full_lease();
        char buf[DHCP4_LEASE_FILE_MAX];
        size_t len = 0;

        assert_int_equal(dhcp4_lease_file_format(&l, WALL(ACQ_REALTIME), buf, sizeof(buf), &len), 0);
        assert_string_equal(buf, full_text);
        assert_int_equal(len, strlen(full_text));

        l = minimal_lease();
        assert_int_equal(dhcp4_lease_file_format(&l, WALL(5), buf, sizeof(buf), &len), 0);
        assert_string_equal(buf,
                            "# infradhcp lease file (generated; do not edit)\n"
                            "ADDRESS=192.168.7.9\n"
                            "PREFIXLEN=24\n"
                            "SERVER_ADDRESS=192.168.7.1\n"
                            "LIFETIME=20\n"
                            "T1=10\n"
                            "T2=17\n"
                            "CLIENTID=01:aa:bb:cc:dd:ee:ff\n"
                            "ACQUIRED_REALTIME_USEC=5\n");
}

static void round_trip(const Dhcp4Lease *l, uint64_t realtime) {
        char buf[DHCP4_LEASE_FILE_MAX];
        Dhcp4Lease out;
        Dhcp4LeaseStamp rt = {};
        const char *err = NULL;
        size_t len;

        assert_int_equal(dhcp4_lease_file_format(l, WALL(realtime), buf, sizeof(buf), &len), 0);
        assert_int_equal(dhcp4_lease_file_parse(buf, len, &out, &rt, &err), 0);
        assert_null(err);
        assert_lease_equal(l, &out);
        assert_true(rt.realtime_usec == realtime);
        assert_int_equal(rt.boot_id[0], 0);
        assert_true(out.acquired_usec == 0);
}

static void test_round_trip(void **state) {
        Dhcp4Lease l = full_lease();

        round_trip(&l, ACQ_REALTIME);
        l = minimal_lease();
        round_trip(&l, 0);
        round_trip(&l, UINT64_MAX);

        /* Infinite lease. */
        l.lifetime = l.t1 = l.t2 = UINT32_MAX;
        round_trip(&l, 1);

        /* Everything at its maximum: also proves DHCP4_LEASE_FILE_MAX is enough. */
        l = full_lease();
        l.n_routers = LEASE_MAX_ROUTERS;
        l.n_dns = LEASE_MAX_DNS;
        l.n_routes = LEASE_MAX_ROUTES;
        for (size_t i = 0; i < LEASE_MAX_ROUTERS; i++)
                l.routers[i] = A("255.255.255.255");
        for (size_t i = 0; i < LEASE_MAX_DNS; i++)
                l.dns[i] = A("255.255.255.254");
        for (size_t i = 0; i < LEASE_MAX_ROUTES; i++)
                l.routes[i] = (LeaseRoute) { A("255.255.255.255"), 32, A("255.255.255.255") };
        memset(l.hostname, '\n', sizeof(l.hostname) - 1);
        l.hostname[sizeof(l.hostname) - 1] = '\0';
        memset(l.domain, 0xff, sizeof(l.domain) - 1);
        l.domain[sizeof(l.domain) - 1] = '\0';
        l.mtu = UINT16_MAX;
        round_trip(&l, UINT64_MAX);
}

static void test_escaping(void **state) {
        Dhcp4Lease l = minimal_lease(), out;
        char buf[DHCP4_LEASE_FILE_MAX];
        Dhcp4LeaseStamp rt;
        size_t len;

        strcpy(l.hostname, "a b\\c\n\x01\x7f\xc3\xa9=#");
        strcpy(l.domain, " lead.trail ");
        assert_int_equal(dhcp4_lease_file_format(&l, WALL(1), buf, sizeof(buf), &len), 0);
        assert_non_null(strstr(buf, "\nHOSTNAME=a\\x20b\\x5cc\\x0a\\x01\\x7f\\xc3\\xa9=#\n"));
        assert_non_null(strstr(buf, "\nDOMAINNAME=\\x20lead.trail\\x20\n"));
        assert_int_equal(dhcp4_lease_file_parse(buf, len, &out, &rt, NULL), 0);
        assert_string_equal(out.hostname, l.hostname);
        assert_string_equal(out.domain, l.domain);
}

static void test_tolerated(void **state) {
        static const char text[] =
                "# a comment\n"
                "\n"
                "FUTURE_KEY=whatever it is\n"
                "ADDRESS=192.168.7.9\n"
                "PREFIXLEN=24\n"
                "# another\n"
                "SERVER_ADDRESS=192.168.7.1\n"
                "BROADCAST=\n"
                "ROUTER=\n"
                "MTU=\n"
                "HOSTNAME=\n"
                "LIFETIME=1000\n"
                "CLIENTID=01:AA:BB:CC:DD:EE:FF\n"
                "ACQUIRED_REALTIME_USEC=99\n"
                "\n";
        Dhcp4Lease out;
        Dhcp4LeaseStamp rt;

        assert_int_equal(dhcp4_lease_file_parse(text, strlen(text), &out, &rt, NULL), 0);
        assert_int_equal(ntohl(out.address.s_addr), 0xc0a80709);
        assert_int_equal(out.n_routers, 0);
        assert_int_equal(out.mtu, 0);
        assert_int_equal(out.broadcast.s_addr, 0);
        assert_int_equal(out.lifetime, 1000);
        /* RFC 2131 §4.4.5 defaults for absent T1/T2. */
        assert_int_equal(out.t1, 500);
        assert_int_equal(out.t2, 875);
        assert_int_equal(out.client_id[1], 0xaa);
        assert_true(rt.realtime_usec == 99 && rt.boot_id[0] == 0);

        /* Absent T1/T2 with an infinite lease stay infinite. */
        static const char inf[] =
                "ADDRESS=192.168.7.9\nPREFIXLEN=24\nSERVER_ADDRESS=192.168.7.1\nLIFETIME=infinity\n"
                "CLIENTID=01:aa:bb:cc:dd:ee:ff\nACQUIRED_REALTIME_USEC=99\n";
        assert_int_equal(dhcp4_lease_file_parse(inf, strlen(inf), &out, &rt, NULL), 0);
        assert_true(out.lifetime == UINT32_MAX && out.t1 == UINT32_MAX && out.t2 == UINT32_MAX);

        /* Not NUL-terminated: only len bytes count. */
        char copy[sizeof(inf) + 8];
        memcpy(copy, inf, strlen(inf));
        memcpy(copy + strlen(inf), "ADDRESS", 7);
        assert_int_equal(dhcp4_lease_file_parse(copy, strlen(inf), &out, &rt, NULL), 0);
}

/* Removes the line starting with "KEY=" from text into out. */
static void drop_line(const char *text, const char *key, char *out) {
        char pat[64];
        const char *p, *nl;

        snprintf(pat, sizeof(pat), "\n%s=", key);
        p = strstr(text, pat);
        assert_non_null(p);
        nl = strchr(p + 1, '\n');
        assert_non_null(nl);
        memcpy(out, text, (size_t) (p - text));
        strcpy(out + (p - text), nl);
}

/* Replaces the value of KEY in text. */
static void set_value(const char *text, const char *key, const char *value, char *out, size_t size) {
        char pat[64];
        const char *p, *nl;
        int k;

        snprintf(pat, sizeof(pat), "\n%s=", key);
        p = strstr(text, pat);
        assert_non_null(p);
        nl = strchr(p + 1, '\n');
        k = snprintf(out, size, "%.*s%s%s", (int) (p - text + strlen(pat)), text, value, nl);
        assert_true(k > 0 && (size_t) k < size);
}

static void expect_bad(const char *text, size_t len, const char *reason) {
        Dhcp4Lease out = { .mtu = 4242 };
        Dhcp4LeaseStamp rt = { .realtime_usec = 4242 };
        const char *err = NULL;

        int r = dhcp4_lease_file_parse(text, len, &out, &rt, &err);
        if (r != -EBADMSG)
                fail_msg("accepted (r=%d) for expected \"%s\":\n%.*s", r, reason, (int) len, text);
        assert_non_null(err);
        if (reason)
                assert_string_equal(err, reason);
        /* Outputs untouched on failure. */
        assert_int_equal(out.mtu, 4242);
        assert_true(rt.realtime_usec == 4242);
}

#define BOOT "0f6c3a1e-8d2b-4c55-9b1a-2f0e7d6c5b4a"

static void test_boot_stamp(void **state) {
        Dhcp4Lease l = minimal_lease(), out;
        Dhcp4LeaseStamp st = { .realtime_usec = 5, .boottime_usec = 123456789, .boot_id = BOOT }, back;
        char buf[DHCP4_LEASE_FILE_MAX], text[DHCP4_LEASE_FILE_MAX];
        size_t len;

        assert_int_equal(dhcp4_lease_file_format(&l, &st, buf, sizeof(buf), &len), 0);
        assert_non_null(strstr(buf, "\nACQUIRED_REALTIME_USEC=5\nBOOT_ID=" BOOT "\nACQUIRED_BOOTTIME_USEC=123456789\n"));
        assert_int_equal(dhcp4_lease_file_parse(buf, len, &out, &back, NULL), 0);
        assert_true(back.realtime_usec == st.realtime_usec && back.boottime_usec == st.boottime_usec);
        assert_string_equal(back.boot_id, st.boot_id);

        /* Both or neither. */
        drop_line(buf, "BOOT_ID", text);
        expect_bad(text, strlen(text), "ACQUIRED_BOOTTIME_USEC without BOOT_ID");
        drop_line(buf, "ACQUIRED_BOOTTIME_USEC", text);
        expect_bad(text, strlen(text), "BOOT_ID without ACQUIRED_BOOTTIME_USEC");
        /* Not a boot id: upper case, short, braces, a dash misplaced, empty. */
        static const char *const bad_ids[] = { "0F6C3A1E-8D2B-4C55-9B1A-2F0E7D6C5B4A", "0f6c3a1e-8d2b-4c55-9b1a-2f0e7d6c5b4",
                                               "{f6c3a1e-8d2b-4c55-9b1a-2f0e7d6c5b4}", "0f6c3a1e8-d2b-4c55-9b1a-2f0e7d6c5b4a",
                                               "" };
        for (size_t i = 0; i < ELEMENTSOF(bad_ids); i++) {
                set_value(buf, "BOOT_ID", bad_ids[i], text, sizeof(text));
                expect_bad(text, strlen(text), "BOOT_ID malformed");
                assert_false(dhcp4_boot_id_valid(bad_ids[i]));
        }
        set_value(buf, "ACQUIRED_BOOTTIME_USEC", "-1", text, sizeof(text));
        expect_bad(text, strlen(text), "ACQUIRED_BOOTTIME_USEC malformed");
        /* The formatter refuses what the parser would. */
        strcpy(st.boot_id, "not-a-boot-id");
        assert_int_equal(dhcp4_lease_file_format(&l, &st, buf, sizeof(buf), &len), -EINVAL);
        assert_int_equal(dhcp4_lease_file_format(&l, NULL, buf, sizeof(buf), &len), -EINVAL);
        assert_true(dhcp4_boot_id_valid(BOOT));
}

static void test_missing_mandatory(void **state) {
        static const char *const mandatory[] = { "ADDRESS", "PREFIXLEN", "SERVER_ADDRESS", "LIFETIME", "CLIENTID",
                                                 "ACQUIRED_REALTIME_USEC" };
        static const char *const optional[] = { "BROADCAST", "ROUTER", "DNS", "ROUTES", "MTU", "HOSTNAME",
                                                "DOMAINNAME", "T1", "T2" };
        char text[sizeof(full_text)], reason[64];
        Dhcp4Lease out;
        Dhcp4LeaseStamp rt;

        for (size_t i = 0; i < ELEMENTSOF(mandatory); i++) {
                drop_line(full_text, mandatory[i], text);
                snprintf(reason, sizeof(reason), "%s missing", mandatory[i]);
                expect_bad(text, strlen(text), reason);
        }
        for (size_t i = 0; i < ELEMENTSOF(optional); i++) {
                drop_line(full_text, optional[i], text);
                if (dhcp4_lease_file_parse(text, strlen(text), &out, &rt, NULL) != 0)
                        fail_msg("optional %s missing refused", optional[i]);
        }
}

static void test_malformed(void **state) {
        static const struct {
                const char *key, *value;
        } cases[] = {
                { "ADDRESS", "" },
                { "ADDRESS", "10.0.128" },
                { "ADDRESS", "0.0.0.0" },
                { "ADDRESS", "10.0.128.64 " },
                { "ADDRESS", " 10.0.128.64" },
                { "ADDRESS", "10.0.128.064" },
                { "PREFIXLEN", "33" },
                { "PREFIXLEN", "-1" },
                { "PREFIXLEN", "" },
                { "PREFIXLEN", "16\r" },
                { "SERVER_ADDRESS", "0.0.0.0" },
                { "SERVER_ADDRESS", "server" },
                { "BROADCAST", "10.0.255.255.255" },
                { "ROUTER", "10.0.0.1  10.0.0.2" },
                { "ROUTER", " 10.0.0.1" },
                { "ROUTER", "10.0.0.1 " },
                { "ROUTER", "10.0.0.1,10.0.0.2" },
                { "ROUTER", "1.1.1.1 1.1.1.2 1.1.1.3 1.1.1.4 1.1.1.5 1.1.1.6 1.1.1.7 1.1.1.8 1.1.1.9" },
                { "DNS", "x" },
                { "ROUTES", "10.0.0.0/8" },
                { "ROUTES", "10.0.0.0/33,1.2.3.4" },
                { "ROUTES", "10.0.0.0,1.2.3.4" },
                { "ROUTES", "10.0.0.0/8,1.2.3" },
                { "ROUTES", "10.0.0.0/8,1.2.3.4," },
                { "ROUTES", "255.255.255.255/322,1.2.3.4" },
                { "MTU", "65536" },
                { "MTU", "1500b" },
                { "HOSTNAME", "a b" },
                { "HOSTNAME", "a\\" },
                { "HOSTNAME", "a\\x2" },
                { "HOSTNAME", "a\\x00" },
                { "HOSTNAME", "a\\n" },
                { "HOSTNAME", "a\\xzz" },
                { "HOSTNAME", "\x80" },
                { "HOSTNAME", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" }, /* 64 */
                { "DOMAINNAME", "\t" },
                { "LIFETIME", "0" },
                { "LIFETIME", "" },
                { "LIFETIME", "4294967296" },
                { "LIFETIME", "Infinity" },
                { "LIFETIME", "1h" },
                { "T1", "-5" },
                { "T2", "" },
                { "CLIENTID", "" },
                { "CLIENTID", "52:54:00:12:34:56" },
                { "CLIENTID", "02:52:54:00:12:34:56" },
                { "CLIENTID", "01:52:54:00:12:34:56:78" },
                { "CLIENTID", "01-52-54-00-12-34-56" },
                { "CLIENTID", "01:52:54:00:12:34:5g" },
                { "ACQUIRED_REALTIME_USEC", "" },
                { "ACQUIRED_REALTIME_USEC", "18446744073709551616" },
                { "ACQUIRED_REALTIME_USEC", "1.5" },
        };
        char text[sizeof(full_text) + 256], reason[64];

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                set_value(full_text, cases[i].key, cases[i].value, text, sizeof(text));
                snprintf(reason, sizeof(reason), "%s malformed", cases[i].key);
                expect_bad(text, strlen(text), reason);
        }

        /* A value longer than any valid one. */
        char *big = malloc(8192);
        char *longv = malloc(4096);
        assert_non_null(big);
        assert_non_null(longv);
        memset(longv, '1', 4095);
        longv[4095] = '\0';
        set_value(full_text, "ROUTES", longv, big, 8192);
        expect_bad(big, strlen(big), "ROUTES malformed");
        free(big);
        free(longv);
}

static void test_structure(void **state) {
        char text[sizeof(full_text) + 64];

        expect_bad("", 0, "empty file");
        expect_bad("\n", 1, "ADDRESS missing");
        expect_bad("# only a comment\n", 17, "ADDRESS missing");

        snprintf(text, sizeof(text), "%sADDRESS=10.0.0.9\n", full_text);
        expect_bad(text, strlen(text), "ADDRESS duplicated");
        snprintf(text, sizeof(text), "%sgarbage line\n", full_text);
        expect_bad(text, strlen(text), "line without '='");
        snprintf(text, sizeof(text), "%s=value\n", full_text);
        expect_bad(text, strlen(text), "line without key");

        memcpy(text, full_text, sizeof(full_text));
        text[20] = '\0';
        expect_bad(text, sizeof(full_text) - 1, "NUL byte in file");

        /* Every truncation of a valid file is refused: it either loses the final
         * newline or a mandatory key (ACQUIRED_REALTIME_USEC is last). */
        for (size_t n = 0; n < sizeof(full_text) - 1; n++)
                expect_bad(full_text, n, NULL);
        expect_bad(full_text, sizeof(full_text) - 2, "truncated (last line incomplete)");
}

static void test_garbage(void **state) {
        uint64_t x = UINT64_C(0x9e3779b97f4a7c15);
        char buf[512];
        Dhcp4Lease out;
        Dhcp4LeaseStamp rt;

        for (unsigned iter = 0; iter < 2000; iter++) {
                size_t n = 1 + iter % sizeof(buf);
                const char *err = NULL;

                for (size_t i = 0; i < n; i++) {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        /* Half the runs stay printable with many '=' and '\n'. */
                        buf[i] = iter % 2 ? (char) x : "AD=\n.0123456789SRVE_LIFTMC:"[x % 27];
                }
                int r = dhcp4_lease_file_parse(buf, n, &out, &rt, &err);
                assert_int_equal(r, -EBADMSG);
                assert_non_null(err);
        }

        /* Garbage after a valid lease: a binary line without '=' breaks it. */
        char text[sizeof(full_text) + 4];
        memcpy(text, full_text, sizeof(full_text) - 1);
        memcpy(text + sizeof(full_text) - 1, "\x01\x02\n", 3);
        expect_bad(text, sizeof(full_text) + 2, "line without '='");

        assert_int_equal(dhcp4_lease_file_parse(NULL, 0, &out, &rt, NULL), -EINVAL);
}

static void test_format_errors(void **state) {
        char buf[DHCP4_LEASE_FILE_MAX];
        Dhcp4Lease l;
        size_t len = 0, need;

#define BAD(mutation)                                                                                        \
        do {                                                                                                 \
                l = full_lease();                                                                            \
                mutation;                                                                                    \
                assert_int_equal(dhcp4_lease_file_format(&l, WALL(1), buf, sizeof(buf), NULL), -EINVAL);         \
                assert_int_equal(dhcp4_lease_file_format_dhclient(&l, "eth0", 1, buf, sizeof(buf), NULL), \
                                 -EINVAL);                                                                   \
        } while (0)

        BAD(l.address.s_addr = 0);
        BAD(l.server_id.s_addr = 0);
        BAD(l.lifetime = 0);
        BAD(l.prefixlen = 33);
        BAD(l.n_routers = LEASE_MAX_ROUTERS + 1);
        BAD(l.n_dns = LEASE_MAX_DNS + 1);
        BAD(l.n_routes = LEASE_MAX_ROUTES + 1);
        BAD(l.routes[1].prefixlen = 33);
        BAD(memset(l.hostname, 'a', sizeof(l.hostname)));
        BAD(memset(l.domain, 'a', sizeof(l.domain)));
        BAD(l.client_id[0] = 0x00);
#undef BAD

        /* Too small a buffer: -ENOBUFS at every size below the need, success at it. */
        l = full_lease();
        assert_int_equal(dhcp4_lease_file_format(&l, WALL(1), buf, sizeof(buf), &need), 0);
        for (size_t size = 1; size <= need; size++)
                assert_int_equal(dhcp4_lease_file_format(&l, WALL(1), buf, size, &len), -ENOBUFS);
        assert_int_equal(dhcp4_lease_file_format(&l, WALL(1), buf, need + 1, &len), 0);
        assert_int_equal(len, need);
        assert_int_equal(dhcp4_lease_file_format(&l, WALL(1), buf, 0, &len), -EINVAL);

        assert_int_equal(dhcp4_lease_file_format_dhclient(&l, "eth0", 1, buf, sizeof(buf), &need), 0);
        for (size_t size = 1; size <= need; size++)
                assert_int_equal(dhcp4_lease_file_format_dhclient(&l, "eth0", 1, buf, size, &len), -ENOBUFS);
        assert_int_equal(dhcp4_lease_file_format_dhclient(&l, "eth0", 1, buf, need + 1, &len), 0);
}

static void test_dhclient_exact(void **state) {
        Dhcp4Lease l = full_lease();
        char buf[DHCP4_LEASE_FILE_MAX];
        size_t len = 0;

        /* Acquired Thu 2025-09-04 10:39:35 UTC: renew +3.5 d (Sun), rebind +6 d 3 h
         * (Wed), expire +7 d (Thu). The sub-second part is dropped. */
        assert_int_equal(dhcp4_lease_file_format_dhclient(&l, "ens192.4093", ACQ_REALTIME, buf, sizeof(buf), &len),
                         0);
        assert_string_equal(buf,
                            "lease {\n"
                            "  interface \"ens192.4093\";\n"
                            "  fixed-address 10.0.128.64;\n"
                            "  option subnet-mask 255.255.0.0;\n"
                            "  option routers 10.0.0.1,10.0.0.2;\n"
                            "  option domain-name-servers 10.0.0.53;\n"
                            "  option host-name \"node-1\";\n"
                            "  option domain-name \"infra.example.com\";\n"
                            "  option interface-mtu 9000;\n"
                            "  option broadcast-address 10.0.255.255;\n"
                            "  option dhcp-lease-time 604800;\n"
                            "  option dhcp-message-type 5;\n"
                            "  option dhcp-server-identifier 10.0.0.1;\n"
                            "  option dhcp-renewal-time 302400;\n"
                            "  option dhcp-rebinding-time 529200;\n"
                            "  option dhcp-client-identifier 1:52:54:0:12:34:56;\n"
                            "  renew 0 2025/09/07 22:39:35;\n"
                            "  rebind 3 2025/09/10 13:39:35;\n"
                            "  expire 4 2025/09/11 10:39:35;\n"
                            "}\n");
        assert_int_equal(len, strlen(buf));

        /* No routers: no routers line. Year rollover at New Year 2025 (a Wednesday);
         * a 60-day lease crosses February into Saturday 2025-03-01. */
        l = minimal_lease();
        l.prefixlen = 32;
        l.t1 = 1;
        l.t2 = 3600;
        l.lifetime = 86400 * 60;
        assert_int_equal(dhcp4_lease_file_format_dhclient(&l, "eth0", UINT64_C(1735689599) * USEC_PER_SEC + 999999,
                                                          buf, sizeof(buf), &len),
                         0);
        assert_string_equal(buf,
                            "lease {\n"
                            "  interface \"eth0\";\n"
                            "  fixed-address 192.168.7.9;\n"
                            "  option subnet-mask 255.255.255.255;\n"
                            "  option dhcp-lease-time 5184000;\n"
                            "  option dhcp-message-type 5;\n"
                            "  option dhcp-server-identifier 192.168.7.1;\n"
                            "  option dhcp-renewal-time 1;\n"
                            "  option dhcp-rebinding-time 3600;\n"
                            "  option dhcp-client-identifier 1:aa:bb:cc:dd:ee:ff;\n"
                            "  renew 3 2025/01/01 00:00:00;\n"
                            "  rebind 3 2025/01/01 00:59:59;\n"
                            "  expire 6 2025/03/01 23:59:59;\n"
                            "}\n");

        /* Infinite lease: dhclient writes "never". */
        l.lifetime = l.t1 = l.t2 = UINT32_MAX;
        assert_int_equal(dhcp4_lease_file_format_dhclient(&l, "eth0", 0, buf, sizeof(buf), &len), 0);
        assert_non_null(strstr(buf, "  option dhcp-lease-time 4294967295;\n"
                                    "  option dhcp-message-type 5;\n"
                                    "  option dhcp-server-identifier 192.168.7.1;\n"
                                    "  option dhcp-client-identifier 1:aa:bb:cc:dd:ee:ff;\n"
                                    "  renew never;\n"
                                    "  rebind never;\n"
                                    "  expire never;\n"
                                    "}\n"));

        /* Epoch itself: Thursday 1970-01-01. */
        l.lifetime = 10;
        l.t1 = 5;
        l.t2 = 8;
        assert_int_equal(dhcp4_lease_file_format_dhclient(&l, "eth0", 0, buf, sizeof(buf), &len), 0);
        assert_non_null(strstr(buf, "  renew 4 1970/01/01 00:00:05;\n"
                                    "  rebind 4 1970/01/01 00:00:08;\n"
                                    "  expire 4 1970/01/01 00:00:10;\n"));

        /* The interface name is quoted into the file: only valid names. */
        assert_int_equal(dhcp4_lease_file_format_dhclient(&l, "eth\"0", 0, buf, sizeof(buf), &len), -EINVAL);
        assert_int_equal(dhcp4_lease_file_format_dhclient(&l, "", 0, buf, sizeof(buf), &len), -EINVAL);
        assert_int_equal(dhcp4_lease_file_format_dhclient(&l, NULL, 0, buf, sizeof(buf), &len), -EINVAL);
        /* Times past year 9999 do not fit dhclient's "YYYY". */
        assert_int_equal(dhcp4_lease_file_format_dhclient(&l, "eth0", UINT64_MAX, buf, sizeof(buf), &len), -EINVAL);

        /* Strings with dhclient's escapes: quote, backslash, shell characters behind a
         * backslash, control and 8-bit bytes in octal. */
        l = minimal_lease();
        strcpy(l.hostname, "a\"b\\c$d`e'f");
        strcpy(l.domain, "x\ty\xc3\xa9");
        assert_int_equal(dhcp4_lease_file_format_dhclient(&l, "eth0", 0, buf, sizeof(buf), &len), 0);
        assert_non_null(strstr(buf, "  option host-name \"a\\\"b\\\\c\\$d\\`e\\'f\";\n"
                                    "  option domain-name \"x\\011y\\303\\251\";\n"));
}

static void test_dhclient_ended(void **state) {
        Dhcp4Lease l = full_lease();
        char buf[DHCP4_LEASE_FILE_MAX], want[DHCP4_LEASE_FILE_MAX];
        size_t len = 0;

        /* Released two hours after the bind: every time says the release, the rest as
         * the lease had it. */
        assert_int_equal(dhcp4_lease_file_format_dhclient_ended(&l, "ens192.4093", ACQ_REALTIME,
                                                                ACQ_REALTIME + 7200 * USEC_PER_SEC + 5, buf,
                                                                sizeof(buf), &len),
                         0);
        assert_int_equal(dhcp4_lease_file_format_dhclient(&l, "ens192.4093", ACQ_REALTIME, want, sizeof(want), NULL),
                         0);
        assert_non_null(strstr(buf, "  renew 4 2025/09/04 12:39:35;\n"
                                    "  rebind 4 2025/09/04 12:39:35;\n"
                                    "  expire 4 2025/09/04 12:39:35;\n"
                                    "}\n"));
        /* Everything before the times is the same as the bound lease's block. */
        assert_int_equal(memcmp(buf, want, (size_t) (strstr(want, "  renew") - want)), 0);

        /* An infinite lease ends too. */
        l.lifetime = l.t1 = l.t2 = UINT32_MAX;
        assert_int_equal(dhcp4_lease_file_format_dhclient_ended(&l, "eth0", 0, 86400 * USEC_PER_SEC, buf, sizeof(buf),
                                                                &len),
                         0);
        assert_non_null(strstr(buf, "  expire 5 1970/01/02 00:00:00;\n"));
        assert_null(strstr(buf, "never"));
        assert_null(strstr(buf, "dhcp-renewal-time"));
        assert_int_equal(dhcp4_lease_file_format_dhclient_ended(&l, "eth0", 0, 999999, buf, sizeof(buf), &len),
                         -EINVAL);
}


static Dhcp4Subnet subnet(const char *a, uint8_t len) {
        Dhcp4Subnet s = { .prefixlen = len };
        assert_int_equal(inet_pton(AF_INET, a, &s.address), 1);
        return s;
}

static void test_policy_round_trip(void **state) {
        Dhcp4Subnet refuse[2] = { subnet("10.1.0.0", 16), subnet("192.168.7.0", 24) }, req = subnet("10.0.0.0", 16);
        Dhcp4Subnet got[4], got_req;
        char buf[DHCP4_POLICY_FILE_MAX];
        size_t len, n;
        bool has_req;

        assert_int_equal(dhcp4_policy_file_format(refuse, 2, &req, buf, sizeof(buf), &len), 0);
        assert_string_equal(buf, "# infradhcp offer policy (generated; do not edit)\n"
                                 "REFUSE=10.1.0.0/16 192.168.7.0/24\n"
                                 "REQUIRE=10.0.0.0/16\n");
        assert_int_equal(len, strlen(buf));
        assert_int_equal(dhcp4_policy_file_parse(buf, len, got, 4, &n, &got_req, &has_req, NULL), 0);
        assert_int_equal(n, 2);
        for (size_t i = 0; i < 2; i++) {
                assert_int_equal(got[i].address.s_addr, refuse[i].address.s_addr);
                assert_int_equal(got[i].prefixlen, refuse[i].prefixlen);
        }
        assert_true(has_req);
        assert_int_equal(got_req.address.s_addr, req.address.s_addr);
        assert_int_equal(got_req.prefixlen, req.prefixlen);

        /* only a requirement; only refusals */
        assert_int_equal(dhcp4_policy_file_format(NULL, 0, &req, buf, sizeof(buf), &len), 0);
        assert_int_equal(dhcp4_policy_file_parse(buf, len, got, 4, &n, &got_req, &has_req, NULL), 0);
        assert_int_equal(n, 0);
        assert_true(has_req);
        assert_int_equal(dhcp4_policy_file_format(refuse, 1, NULL, buf, sizeof(buf), &len), 0);
        assert_int_equal(dhcp4_policy_file_parse(buf, len, got, 4, &n, &got_req, &has_req, NULL), 0);
        assert_int_equal(n, 1);
        assert_false(has_req);

        /* too small a buffer, bad prefix */
        assert_int_equal(dhcp4_policy_file_format(refuse, 2, &req, buf, 40, &len), -ENOBUFS);
        refuse[1].prefixlen = 33;
        assert_int_equal(dhcp4_policy_file_format(refuse, 2, NULL, buf, sizeof(buf), &len), -EINVAL);
}

static void test_policy_corrupt(void **state) {
        static const struct {
                const char *text;
                const char *why;
        } cases[] = {
                { "REFUSE=10.1.0.0/16", "truncated (no final newline)" },
                { "REFUSE=10.1.0.0/33\n", "REFUSE malformed" },
                { "REFUSE=10.1.0/16\n", "REFUSE malformed" },
                { "REQUIRE=junk\n", "REQUIRE malformed" },
                { "REQUIRE=10.0.0.0/16\nREQUIRE=10.0.0.0/16\n", "REQUIRE twice" },
                { "REFUSE=10.1.0.0/16\nREFUSE=10.2.0.0/16\n", "REFUSE twice" },
                { "REFUSE=1.0.0.0/8 2.0.0.0/8 3.0.0.0/8\n", "too many REFUSE subnets" },
                { "garbage\n", "a line without '='" },
        };
        Dhcp4Subnet got[2], req;
        size_t n = 99;
        bool has_req;
        const char *why;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                why = NULL;
                assert_int_equal(dhcp4_policy_file_parse(cases[i].text, strlen(cases[i].text), got, 2, &n, &req,
                                                         &has_req, &why),
                                 -EBADMSG);
                assert_non_null(why);
                assert_string_equal(why, cases[i].why);
                assert_int_equal(n, 99); /* untouched */
        }
        assert_int_equal(dhcp4_policy_file_parse("REF\0USE=1\n", 10, got, 2, &n, &req, &has_req, &why), -EBADMSG);
        /* empty file, comments, unknown keys: an empty policy */
        assert_int_equal(dhcp4_policy_file_parse("# x\nFUTURE=1\n", 13, got, 2, &n, &req, &has_req, &why), 0);
        assert_int_equal(n, 0);
        assert_false(has_req);
        assert_int_equal(dhcp4_policy_file_parse("", 0, got, 2, &n, &req, &has_req, &why), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_format_exact),      cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_escaping),          cmocka_unit_test(test_tolerated),
                cmocka_unit_test(test_missing_mandatory), cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_structure),         cmocka_unit_test(test_garbage),
                cmocka_unit_test(test_format_errors),     cmocka_unit_test(test_dhclient_exact),
                cmocka_unit_test(test_dhclient_ended),
                cmocka_unit_test(test_policy_round_trip), cmocka_unit_test(test_policy_corrupt),
                cmocka_unit_test(test_boot_stamp),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
