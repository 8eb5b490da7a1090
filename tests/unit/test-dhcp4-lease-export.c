/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for the exported dhclient lease file (src/dhcp4/dhcp4-lease-export.c):
 * the update rule (append, keep the newest older blocks up to the bound, move their
 * times back to before now, keep other interfaces and non-lease text byte for byte,
 * replace a corrupt file), the host agent's reading of the result (the newest block
 * has the latest expire), and the location from os-release.
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dhcp4-lease-export.h"
#include "macro.h"

/* 2025-09-04 10:39:35 UTC, a Thursday. */
#define NOW UINT64_C(1756982375)

static const char *block(const char *ifname, const char *addr, const char *expire) {
        static char buf[8][512];
        static unsigned k;
        char *b = buf[k++ % ELEMENTSOF(buf)];

        snprintf(b, 512,
                 "lease {\n"
                 "  interface \"%s\";\n"
                 "  fixed-address %s;\n"
                 "  option subnet-mask 255.255.0.0;\n"
                 "  renew %s;\n"
                 "  rebind %s;\n"
                 "  expire %s;\n"
                 "}\n",
                 ifname, addr, expire, expire, expire);
        return b;
}

static char *update(const char *old, const char *ifname, const char *blk, uint64_t now, unsigned max,
                    Dhcp4LeaseExportStats *st) {
        char *out = NULL;
        size_t len = 0;

        assert_int_equal(dhcp4_lease_export_update(old, old ? strlen(old) : 0, ifname, blk, strlen(blk), now, max,
                                                   &out, &len, st),
                         0);
        assert_int_equal(len, strlen(out));
        return out;
}

static unsigned count(const char *hay, const char *needle) {
        unsigned n = 0;

        for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
                n++;
        return n;
}

static void test_first_and_append(void **state) {
        Dhcp4LeaseExportStats st;
        const char *a = block("ens192.4093", "10.1.128.64", "4 2025/09/11 10:39:35");
        const char *b = block("ens192.4093", "10.0.128.65", "4 2025/09/11 10:40:00");
        char *f1, *f2;

        /* No file yet: the block alone. */
        f1 = update(NULL, "ens192.4093", a, NOW, 10, &st);
        assert_string_equal(f1, a);
        assert_int_equal(st.kept + st.dropped + st.others + st.clamped, 0);
        assert_false(st.corrupt);

        /* A second lease: the first kept, its times moved to one second before now. */
        f2 = update(f1, "ens192.4093", b, NOW + 60, 10, &st);
        assert_int_equal(st.kept, 1);
        assert_int_equal(st.clamped, 1);
        assert_int_equal(count(f2, "lease {"), 2);
        assert_non_null(strstr(f2, "  fixed-address 10.1.128.64;\n"
                                   "  option subnet-mask 255.255.0.0;\n"
                                   "  renew 4 2025/09/04 10:40:34;\n"
                                   "  rebind 4 2025/09/04 10:40:34;\n"
                                   "  expire 4 2025/09/04 10:40:34;\n"
                                   "}\n"
                                   "lease {\n"));
        /* The new block last, as it was given. */
        assert_string_equal(f2 + strlen(f2) - strlen(b), b);
        free(f1);
        free(f2);
}

static void test_bound_and_order(void **state) {
        Dhcp4LeaseExportStats st;
        char *f = NULL, addr[32];

        /* 12 leases, at most 5 blocks: the newest 5, oldest first. */
        for (unsigned i = 0; i < 12; i++) {
                char *next;

                snprintf(addr, sizeof(addr), "10.0.0.%u", 10 + i);
                next = update(f, "eth0", block("eth0", addr, "never"), NOW + i, 5, &st);
                free(f);
                f = next;
        }
        assert_int_equal(count(f, "lease {"), 5);
        assert_int_equal(st.kept, 4);
        assert_int_equal(st.dropped, 1);
        assert_null(strstr(f, "10.0.0.16;"));
        for (unsigned i = 17; i <= 21; i++) {
                snprintf(addr, sizeof(addr), "10.0.0.%u;", i);
                assert_non_null(strstr(f, addr));
        }
        assert_true(strstr(f, "10.0.0.17;") < strstr(f, "10.0.0.21;"));
        /* "never" of the older blocks became a time; only the newest says never. */
        assert_int_equal(count(f, "never"), 3);
        assert_non_null(strstr(f, "10.0.0.21;\n  option subnet-mask 255.255.0.0;\n  renew never;"));

        /* max_blocks 1: only the new block. */
        {
                char *one = update(f, "eth0", block("eth0", "10.0.0.99", "never"), NOW + 20, 1, &st);

                assert_string_equal(one, block("eth0", "10.0.0.99", "never"));
                assert_int_equal(st.dropped, 5);
                free(one);
        }
        free(f);
}

static void test_other_text_kept(void **state) {
        Dhcp4LeaseExportStats st;
        /* What else a dhclient file can hold: another interface's lease (with a nested
         * statement and an escaped string), a DUID, a lease6 block, comments; a block
         * of ours in dhclient's own layout (tabs, epoch time, an option with a string). */
        const char *old = "# written by dhclient\n"
                          "default-duid \"\\000\\001\\000\\001\";\n"
                          "lease {\n"
                          "  interface \"eth1\";\n"
                          "  fixed-address 192.168.1.5;\n"
                          "  option domain-name \"a \\\"b\\\" {c};\";\n"
                          "  renew 5 2099/01/02 03:04:05;\n"
                          "  expire never;\n"
                          "}\n"
                          "lease6 {\n"
                          "  interface \"eth0\";\n"
                          "  ia-na 1a:2b:3c:4d {\n"
                          "    iaaddr 2001:db8::1 { max-life 100; }\n"
                          "  }\n"
                          "}\n"
                          "lease {\n"
                          "\tinterface \"eth0\";\n"
                          "\tfixed-address 10.9.9.9;\n"
                          "\toption host-name \"x;y\";\n"
                          "\trenew epoch 4102444800;\n"
                          "\trebind 2 2001/01/02 03:04:05;\n"
                          "\texpire epoch 4102444800;\n"
                          "}\n";
        char *f = update(old, "eth0", block("eth0", "10.0.0.1", "never"), NOW, 10, &st);

        assert_int_equal(st.others, 1);
        assert_int_equal(st.kept, 1);
        assert_int_equal(st.clamped, 1);
        /* Everything but our old block's two future times is as it was. */
        assert_non_null(strstr(f, "# written by dhclient\n"
                                  "default-duid \"\\000\\001\\000\\001\";\n"
                                  "lease {\n"
                                  "  interface \"eth1\";\n"
                                  "  fixed-address 192.168.1.5;\n"
                                  "  option domain-name \"a \\\"b\\\" {c};\";\n"
                                  "  renew 5 2099/01/02 03:04:05;\n"
                                  "  expire never;\n"
                                  "}\n"
                                  "lease6 {\n"));
        assert_non_null(strstr(f, "    iaaddr 2001:db8::1 { max-life 100; }\n"));
        assert_non_null(strstr(f, "\tinterface \"eth0\";\n"
                                  "\tfixed-address 10.9.9.9;\n"
                                  "\toption host-name \"x;y\";\n"
                                  "\trenew 4 2025/09/04 10:39:34;\n"
                                  "\trebind 2 2001/01/02 03:04:05;\n" /* already past: kept */
                                  "\texpire 4 2025/09/04 10:39:34;\n"
                                  "}\n"
                                  "lease {\n"
                                  "  interface \"eth0\";\n"
                                  "  fixed-address 10.0.0.1;\n"));
        /* The update is stable: applying it again to its own output changes only what a
         * second new block changes. */
        {
                char *g = update(f, "eth1", block("eth1", "192.168.1.6", "never"), NOW + 1, 10, &st);

                assert_int_equal(st.others, 2); /* both eth0 blocks */
                assert_int_equal(st.kept, 1);
                assert_non_null(strstr(g, "  fixed-address 192.168.1.5;\n"
                                          "  option domain-name \"a \\\"b\\\" {c};\";\n"
                                          "  renew 4 2025/09/04 10:39:35;\n"
                                          "  expire 4 2025/09/04 10:39:35;\n"));
                free(g);
        }
        free(f);
}

static void test_corrupt_replaced(void **state) {
        static const char *const bad[] = {
                "lease {\n  interface \"eth0\";\n  fixed-address 10.0.0.1;\n", /* unterminated */
                "lease {\n  interface \"eth0;\n}\n",                           /* string runs to the line end */
                "}\nlease {\n}\n",                                              /* a brace too many */
                "lease interface;\n",                                           /* no block */
        };
        Dhcp4LeaseExportStats st;
        const char *b = block("eth0", "10.0.0.2", "never");

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                char *f = update(bad[i], "eth0", b, NOW, 10, &st);

                assert_true(st.corrupt);
                assert_string_equal(f, b);
                free(f);
        }
        {
                const char nul[] = "lease {\n  interface \"eth0\";\0\n}\n";
                char *f = NULL;
                size_t len;

                assert_int_equal(dhcp4_lease_export_update(nul, sizeof(nul) - 1, "eth0", b, strlen(b), NOW, 10, &f,
                                                           &len, &st),
                                 0);
                assert_true(st.corrupt);
                assert_string_equal(f, b);
                free(f);
        }
}

static void test_arguments(void **state) {
        const char *b = block("eth0", "10.0.0.2", "never");
        char *f = NULL;
        size_t len;

        assert_int_equal(dhcp4_lease_export_update(NULL, 0, "eth\"0", b, strlen(b), NOW, 10, &f, &len, NULL), -EINVAL);
        assert_int_equal(dhcp4_lease_export_update(NULL, 0, "eth0", b, 0, NOW, 10, &f, &len, NULL), -EINVAL);
        assert_int_equal(dhcp4_lease_export_update(NULL, 0, "eth0", b, strlen(b), NOW, 0, &f, &len, NULL), -EINVAL);
        assert_int_equal(dhcp4_lease_export_update(NULL, 0, "eth0", b, strlen(b), NOW,
                                                   DHCP4_LEASE_EXPORT_MAX_BLOCKS + 1, &f, &len, NULL),
                         -EINVAL);
        assert_int_equal(dhcp4_lease_export_update(NULL, 5, "eth0", b, strlen(b), NOW, 10, &f, &len, NULL), -EINVAL);
        assert_int_equal(dhcp4_lease_export_update(NULL, 0, "eth0", b, strlen(b), 0, 10, &f, &len, NULL), -EINVAL);
        assert_null(f);
        /* A block without its final newline gets one. */
        assert_int_equal(dhcp4_lease_export_update(NULL, 0, "eth0", "lease {\n}", 9, NOW, 10, &f, &len, NULL), 0);
        assert_string_equal(f, "lease {\n}\n");
        free(f);
}

/* The ACI host agent's rule (reference aci-hostagent.md): the block with the latest
 * expire for the interface; on a tie the first one (Go's After) — here the newest
 * block wins under either tie rule, also when it is a release ending now. */
static void test_release_is_newest(void **state) {
        Dhcp4LeaseExportStats st;
        char *f1, *f2, *f3;

        /* Bound in pod 2, then released at NOW: the release block says NOW, the bound
         * block is moved to NOW - 1. */
        f1 = update(NULL, "ens192.4093", block("ens192.4093", "10.1.0.5", "4 2025/09/11 10:39:35"), NOW - 100, 10,
                    &st);
        f2 = update(f1, "ens192.4093", block("ens192.4093", "10.1.0.5", "4 2025/09/04 10:39:35"), NOW, 10, &st);
        assert_non_null(strstr(f2, "  expire 4 2025/09/04 10:39:34;\n}\nlease {"));
        assert_int_equal(count(f2, "expire 4 2025/09/04 10:39:35;"), 1);
        /* Bound in pod 1 in the same second: its block is the only one ending later. */
        f3 = update(f2, "ens192.4093", block("ens192.4093", "10.0.0.7", "4 2025/09/11 10:39:35"), NOW, 10, &st);
        assert_int_equal(count(f3, "expire 4 2025/09/04 10:39:34;"), 2);
        assert_int_equal(count(f3, "expire 4 2025/09/11 10:39:35;"), 1);
        assert_non_null(strstr(f3, "10.0.0.7;\n  option subnet-mask 255.255.0.0;\n  renew 4 2025/09/11 10:39:35;"));
        free(f1);
        free(f2);
        free(f3);
}

static void test_os_release(void **state) {
        static const struct {
                const char *text;
                Dhcp4OsFamily family;
                const char *id, *path;
        } cases[] = {
                { "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\n"
                  "ID=debian\n",
                  DHCP4_OS_DEBIAN, "debian", "/var/lib/dhcp/dhclient.ens192.4093.leases" },
                { "NAME=\"Ubuntu\"\nVERSION=\"22.04.4 LTS (Jammy Jellyfish)\"\nID=ubuntu\nID_LIKE=debian\n",
                  DHCP4_OS_DEBIAN, "ubuntu", "/var/lib/dhcp/dhclient.ens192.4093.leases" },
                { "NAME=\"Red Hat Enterprise Linux\"\nVERSION=\"9.4 (Plow)\"\nID=\"rhel\"\nID_LIKE=\"fedora\"\n",
                  DHCP4_OS_RHEL, "rhel", "/var/lib/dhclient/dhclient-ens192.4093.leases" },
                { "NAME=\"Rocky Linux\"\nID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\n", DHCP4_OS_RHEL, "rocky",
                  "/var/lib/dhclient/dhclient-ens192.4093.leases" },
                { "NAME=\"Amazon Linux\"\nID='amzn'\nID_LIKE=\"centos rhel fedora\"\n", DHCP4_OS_RHEL, "amzn",
                  "/var/lib/dhclient/dhclient-ens192.4093.leases" },
                { "NAME=\"Linux Mint\"\nID=linuxmint\nID_LIKE=\"ubuntu debian\"", DHCP4_OS_DEBIAN, "linuxmint",
                  "/var/lib/dhcp/dhclient.ens192.4093.leases" },
                { "NAME=\"openSUSE Leap\"\nID=\"opensuse-leap\"\nID_LIKE=\"suse opensuse\"\n", DHCP4_OS_UNKNOWN,
                  "opensuse-leap", NULL },
                /* Only whole words, only ID and ID_LIKE. */
                { "ID=debianish\nVARIANT_ID=debian\nMY_ID=rhel\n", DHCP4_OS_UNKNOWN, "debianish", NULL },
                { "", DHCP4_OS_UNKNOWN, "", NULL },
        };
        char id[64], path[256];

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                Dhcp4OsFamily f;
                int r;

                assert_int_equal(dhcp4_lease_export_os_family(cases[i].text, strlen(cases[i].text), &f, id), 0);
                assert_int_equal(f, cases[i].family);
                assert_string_equal(id, cases[i].id);
                r = dhcp4_lease_export_default_path(f, "ens192.4093", path, sizeof(path));
                if (cases[i].path) {
                        assert_int_equal(r, 0);
                        assert_string_equal(path, cases[i].path);
                } else
                        assert_int_equal(r, -ENOENT);
        }
        assert_int_equal(dhcp4_lease_export_default_path(DHCP4_OS_DEBIAN, "ens192.4093", path, 20), -ENOBUFS);
        assert_int_equal(dhcp4_lease_export_default_path(DHCP4_OS_DEBIAN, "a/b", path, sizeof(path)), -EINVAL);
        assert_string_equal(dhcp4_os_family_to_string(DHCP4_OS_RHEL), "rhel");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_first_and_append), cmocka_unit_test(test_bound_and_order),
                cmocka_unit_test(test_other_text_kept),  cmocka_unit_test(test_corrupt_replaced),
                cmocka_unit_test(test_arguments),        cmocka_unit_test(test_release_is_newest),
                cmocka_unit_test(test_os_release),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
