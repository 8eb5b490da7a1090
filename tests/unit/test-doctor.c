/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for the doctor's pure modules (src/doctor/doctor-*.c, src/shared/ini.c,
 * conf_files_resolve()): networkd matching, order and verdicts; NetworkManager
 * configuration merging, device specs, keyfiles and ifcfg; netplan merging and
 * cloud-init rendering; ifupdown stanzas and the rewrite; process classification;
 * DHCP client sockets in the kernel's socket tables;
 * dhclient lease blocks and the host agent's pick rule.
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conf-files.h"
#include "doctor-ifupdown.h"
#include "doctor-lease.h"
#include "doctor-netplan.h"
#include "doctor-networkd.h"
#include "doctor-nm.h"
#include "doctor-proc.h"
#include "doctor-socket.h"
#include "macro.h"
#include "ini.h"

static DoctorLink vlan_link(void) {
        DoctorLink l = { .name = "ens192.4093", .mac = { 0x00, 0x50, 0x56, 0x97, 0xda, 0x24 }, .has_mac = true,
                         .kind = "vlan", .vlan_id = 4093, .parent = "ens192" };
        return l;
}

static DoctorLink veth_link(void) {
        DoctorLink l = { .name = "veth-infra", .mac = { 0x02, 0x1d, 0x4a, 0, 0, 1 }, .has_mac = true, .kind = "veth" };
        return l;
}

/* ---- ini ---- */

typedef struct Seen {
        char buf[512];
} Seen;

static int collect(const char *section, const char *key, const char *value, unsigned line, void *userdata) {
        Seen *s = userdata;
        size_t l = strlen(s->buf);
        snprintf(s->buf + l, sizeof(s->buf) - l, "[%s]%s=%s@%u;", section, key, value, line);
        return 0;
}

static void test_ini(void **state) {
        Seen s = {};
        unsigned line = 0;
        const char *why = NULL;
        const char *text = "# comment\n[Match]\n Name = eth0 eth1 \n\n; c\n[keyfile]\nunmanaged-devices += mac:aa\n";

        assert_int_equal(ini_parse(text, strlen(text), collect, &s, &line, &why), 0);
        assert_string_equal(s.buf, "[Match]Name=eth0 eth1@3;[keyfile]unmanaged-devices+=mac:aa@7;");

        assert_int_equal(ini_parse("[A]\nnoequals\n", 12, collect, &s, &line, &why), -EBADMSG);
        assert_int_equal(line, 2);
        assert_string_equal(why, "line without '='");
        assert_int_equal(ini_parse("k=v\n", 4, collect, &s, &line, &why), -EBADMSG);
        assert_string_equal(why, "assignment outside a section");
        assert_int_equal(ini_parse("[A]\nk=v\0x\n", 10, collect, &s, &line, &why), -EBADMSG);
        assert_string_equal(why, "NUL byte");
        assert_int_equal(ini_parse("[A\n", 3, collect, &s, &line, &why), -EBADMSG);
        assert_int_equal(ini_parse("", 0, collect, &s, &line, &why), 0);
}

/* ---- conf-files ---- */

static void test_conf_files_resolve(void **state) {
        ConfFile v[4] = {
                { .name = strdup("20-b.network"), .dir_index = 2 },
                { .name = strdup("10-a.network"), .dir_index = 1 },
                { .name = strdup("20-b.network"), .dir_index = 0 },
                { .name = strdup("10-a.network"), .dir_index = 2 },
        };
        size_t n = conf_files_resolve(v, 4);

        assert_int_equal(n, 2);
        assert_string_equal(v[0].name, "10-a.network");
        assert_int_equal(v[0].dir_index, 1); /* /run shadows /usr/lib */
        assert_string_equal(v[1].name, "20-b.network");
        assert_int_equal(v[1].dir_index, 0); /* /etc shadows both */
        for (size_t i = 0; i < n; i++)
                free(v[i].name);
}

/* ---- networkd ---- */

static NetworkdNetwork parse_network(const char *text) {
        NetworkdNetwork n;

        networkd_network_init(&n);
        assert_int_equal(networkd_network_parse(&n, text, strlen(text), NULL, NULL), 0);
        return n;
}

static void test_networkd_match(void **state) {
        DoctorLink l = vlan_link();
        NetworkdNetwork n;

        n = parse_network("[Match]\nName=ens192.*\n[Network]\nDHCP=ipv4\n");
        assert_true(networkd_network_matches(&n, &l));
        assert_int_equal(networkd_network_verdict(&n), NETWORKD_VERDICT_DHCP);
        assert_int_equal(n.dhcp_line, 4);
        networkd_network_done(&n);

        n = parse_network("[Match]\nName=!ens192.4093 ens*\n[Network]\nDHCP=yes\n");
        assert_false(networkd_network_matches(&n, &l));
        networkd_network_done(&n);

        n = parse_network("[Match]\nName=!eth0\n"); /* only negative: everything else */
        assert_true(networkd_network_matches(&n, &l));
        networkd_network_done(&n);

        n = parse_network("[Match]\nMACAddress=00:50:56:97:da:24\n[Network]\nDHCP=no\n");
        assert_true(networkd_network_matches(&n, &l));
        assert_int_equal(networkd_network_verdict(&n), NETWORKD_VERDICT_MANAGES);
        networkd_network_done(&n);

        n = parse_network("[Match]\nMACAddress=00:50:56:97:da:25\n");
        assert_false(networkd_network_matches(&n, &l));
        networkd_network_done(&n);

        /* Lists split on spaces and tabs, however many; '!' inverts the whole list. */
        n = parse_network("[Match]\nMACAddress= \t00:50:56:97:da:25\t \t00:50:56:97:DA:24  \n");
        assert_int_equal(n.n_macs, 2);
        assert_true(networkd_network_matches(&n, &l));
        networkd_network_done(&n);
        n = parse_network("[Match]\nMACAddress=!00:50:56:97:da:25 00:50:56:97:da:24\n");
        assert_true(n.macs_invert);
        assert_false(networkd_network_matches(&n, &l));
        networkd_network_done(&n);
        n = parse_network("[Match]\nName=eth0\t\tens192.4093  lo\n");
        assert_int_equal(n.n_names, 3);
        assert_string_equal(n.names[1], "ens192.4093");
        assert_true(networkd_network_matches(&n, &l));
        networkd_network_done(&n);

        n = parse_network("[Match]\nType=ether\n");
        assert_false(networkd_network_matches(&n, &l)); /* a VLAN's Type= is vlan */
        networkd_network_done(&n);

        n = parse_network("[Match]\nKind=vlan\nDriver=vmxnet3\n");
        assert_true(networkd_network_matches(&n, &l));
        assert_string_equal(n.assumed, "Driver=");
        networkd_network_done(&n);

        n = parse_network("[Network]\nDHCP=yes\n"); /* no [Match]: every link */
        assert_true(networkd_network_matches(&n, &l));
        networkd_network_done(&n);

        /* A drop-in applied after the file overrides it; an empty Name= resets. */
        n = parse_network("[Match]\nName=eth0\n[Network]\nDHCP=yes\n");
        assert_int_equal(networkd_network_parse(&n, "[Match]\nName=\nName=ens*\n[Link]\nUnmanaged=yes\n", 45, NULL,
                                                NULL),
                         0);
        assert_true(networkd_network_matches(&n, &l));
        assert_int_equal(networkd_network_verdict(&n), NETWORKD_VERDICT_UNMANAGED);
        networkd_network_done(&n);

        n = parse_network("[Match]\nName=*\n[Network]\nKeepConfiguration=dhcp\n");
        assert_int_equal(networkd_network_verdict(&n), NETWORKD_VERDICT_KEEPS);
        networkd_network_done(&n);
}

static void test_networkd_errors_and_names(void **state) {
        NetworkdNetwork n;
        unsigned line = 0;
        const char *why = NULL;
        char buf[256];

        networkd_network_init(&n);
        assert_int_equal(networkd_network_parse(&n, "[Match]\nName=a\n[Network]\nDHCP=sometimes\n", 38, &line, &why),
                         -EBADMSG);
        assert_int_equal(line, 4);
        assert_string_equal(why, "malformed value");
        networkd_network_done(&n);

        assert_int_equal(networkd_unmanaged_file_name("ens192.4093", "10-netplan-ens192.4093.network", buf,
                                                      sizeof(buf)),
                         0);
        assert_string_equal(buf, "00-infradhcp-ens192.4093.network");
        assert_true(strcmp(buf, "10-netplan-ens192.4093.network") < 0);
        /* A file that already sorts very early: a shorter prefix. */
        assert_int_equal(networkd_unmanaged_file_name("eth0", "00-all.network", buf, sizeof(buf)), 0);
        assert_true(strcmp(buf, "00-all.network") < 0);
        assert_int_equal(networkd_unmanaged_file_name("eth0", "!", buf, sizeof(buf)), -ERANGE);
        assert_int_equal(networkd_unmanaged_file_format("eth0", buf, sizeof(buf)), 0);
        networkd_network_init(&n);
        assert_int_equal(networkd_network_parse(&n, buf, strlen(buf), NULL, NULL), 0);
        assert_int_equal(networkd_network_verdict(&n), NETWORKD_VERDICT_UNMANAGED);
        networkd_network_done(&n);
}

/* ---- NetworkManager ---- */

static void test_nm_specs(void **state) {
        DoctorLink l = vlan_link(), v = veth_link();

        assert_true(nm_device_spec_match("interface-name:ens192.4093", &l));
        assert_true(nm_device_spec_match("interface-name:ens192.*", &l));
        assert_false(nm_device_spec_match("interface-name:=ens192.*", &l));
        assert_true(nm_device_spec_match("mac:00:50:56:97:DA:24", &l));
        assert_true(nm_device_spec_match("00:50:56:97:da:24", &l));
        assert_true(nm_device_spec_match("type:vlan", &l));
        assert_true(nm_device_spec_match("type:ethernet", &v));
        assert_true(nm_device_spec_match("*", &l));
        assert_true(nm_device_spec_match("except:interface-name:eth0", &l));
        assert_false(nm_device_spec_match("*,except:interface-name:ens192.4093", &l));
        assert_true(nm_device_spec_match("interface-name:eth0;interface-name:ens192.4093", &l));
        assert_false(nm_device_spec_match("interface-name:eth0", &l));
        assert_false(nm_device_spec_match("driver:vmxnet3", &l));
}

static void test_nm_config(void **state) {
        DoctorLink l = vlan_link();
        NmConfig c;
        const char *src = NULL;
        const char *a = "[main]\nplugins=keyfile,ifcfg-rh\nno-auto-default=*\n[keyfile]\nunmanaged-devices=mac:11:22:33:44:55:66\n";
        const char *b = "[keyfile]\nunmanaged-devices+=interface-name:ens192.4093\n";
        const char *undo = "[keyfile]\nunmanaged-devices-=interface-name:ens192.4093\n";
        const char *reset = "[keyfile]\nunmanaged-devices=interface-name:eth9\n";
        const char *dev = "[device-infra]\nmatch-device=interface-name:ens192.*\nmanaged=0\n";

        nm_config_init(&c);
        assert_int_equal(nm_config_parse(&c, a, strlen(a), "/etc/NetworkManager/NetworkManager.conf", NULL, NULL), 0);
        assert_false(nm_config_unmanages(&c, &l, NULL));
        assert_true(nm_config_no_auto_default(&c, &l));
        assert_true(nm_config_has_plugin(&c, "ifcfg-rh", false));
        assert_int_equal(nm_config_parse(&c, b, strlen(b), "/etc/NetworkManager/conf.d/99-x.conf", NULL, NULL), 0);
        assert_true(nm_config_unmanages(&c, &l, &src));
        assert_string_equal(src, "/etc/NetworkManager/conf.d/99-x.conf:2");
        assert_int_equal(c.n_unmanaged, 2); /* += kept the first item */
        assert_int_equal(nm_config_parse(&c, undo, strlen(undo), "u", NULL, NULL), 0);
        assert_false(nm_config_unmanages(&c, &l, NULL));
        assert_int_equal(nm_config_parse(&c, b, strlen(b), "b", NULL, NULL), 0);
        assert_int_equal(nm_config_parse(&c, reset, strlen(reset), "r", NULL, NULL), 0);
        assert_false(nm_config_unmanages(&c, &l, NULL)); /* a later plain assignment replaces */
        assert_int_equal(nm_config_parse(&c, dev, strlen(dev), "d", NULL, NULL), 0);
        assert_true(nm_config_unmanages(&c, &l, &src));
        assert_string_equal(src, "d:2"); /* the section's first line: match-device= */
        nm_config_done(&c);

        /* doctor's own drop-in does what it says. */
        {
                char buf[512];
                assert_int_equal(nm_unmanaged_conf_format("ens192.4093", buf, sizeof(buf)), 0);
                nm_config_init(&c);
                assert_int_equal(nm_config_parse(&c, a, strlen(a), "m", NULL, NULL), 0);
                assert_int_equal(nm_config_parse(&c, buf, strlen(buf), "x", NULL, NULL), 0);
                assert_true(nm_config_unmanages(&c, &l, NULL));
                nm_config_done(&c);
        }
}

static void test_nm_profiles(void **state) {
        DoctorLink l = vlan_link(), v = veth_link();
        NmConnection c;
        unsigned line = 0;
        const char *why = NULL;
        const char *cloud = "[connection]\nid=cloud-init ens192.4093\nuuid=1\ntype=vlan\ninterface-name=ens192.4093\n"
                            "[vlan]\nid=4093\nparent=ens192\n[ipv4]\nmethod=auto\n";
        const char *byparent = "[connection]\nid=v\ntype=vlan\n[vlan]\nid=4093\nparent=ens192\n[ipv4]\nmethod=manual\n";
        const char *other = "[connection]\nid=v\ntype=vlan\n[vlan]\nid=4000\nparent=ens192\n";
        const char *wired = "[connection]\nid=Wired\ntype=ethernet\nautoconnect=false\n[ethernet]\nmac-address=02:1D:4A:00:00:01\n";
        const char *ifcfg = "DEVICE=ens192.4093\nVLAN=yes\nBOOTPROTO=\"dhcp\"\nONBOOT=yes\nNAME='Vlan ens192.4093'\n";
        const char *ifcfg_static = "VLAN=yes\nBOOTPROTO=none\nIPADDR=10.0.0.5\n";
        const char *ifcfg_off = "DEVICE=ens192.4093\nVLAN=yes\nBOOTPROTO=dhcp\nNM_CONTROLLED=no\n";

        assert_int_equal(nm_keyfile_parse(&c, cloud, strlen(cloud), &line, &why), 0);
        assert_true(nm_connection_matches(&c, &l));
        assert_true(nm_connection_dhcp(&c));
        assert_int_equal(c.method_line, 10);
        assert_false(nm_connection_matches(&c, &v));

        assert_int_equal(nm_keyfile_parse(&c, byparent, strlen(byparent), NULL, NULL), 0);
        assert_true(nm_connection_matches(&c, &l));
        assert_false(nm_connection_dhcp(&c));
        assert_int_equal(nm_keyfile_parse(&c, other, strlen(other), NULL, NULL), 0);
        assert_false(nm_connection_matches(&c, &l));
        assert_true(nm_connection_dhcp(&c)); /* no [ipv4]: auto */

        assert_int_equal(nm_keyfile_parse(&c, wired, strlen(wired), NULL, NULL), 0);
        assert_true(nm_connection_matches(&c, &v));
        assert_false(nm_connection_autoconnect(&c));

        assert_int_equal(nm_ifcfg_parse(&c, ifcfg, strlen(ifcfg), "ifcfg-x", NULL, NULL), 0);
        assert_true(nm_connection_matches(&c, &l));
        assert_true(nm_connection_dhcp(&c));
        assert_string_equal(c.id, "Vlan ens192.4093");
        assert_int_equal(c.method_line, 3);
        assert_int_equal(nm_ifcfg_parse(&c, ifcfg_static, strlen(ifcfg_static), "ifcfg-ens192.4093", NULL, NULL), 0);
        assert_string_equal(c.interface_name, "ens192.4093");
        assert_int_equal(c.vlan_id, 4093);
        assert_false(nm_connection_dhcp(&c));
        assert_int_equal(nm_ifcfg_parse(&c, ifcfg_off, strlen(ifcfg_off), "ifcfg-x", NULL, NULL), 0);
        assert_false(nm_connection_matches(&c, &l)); /* NM_CONTROLLED=no: NM ignores it */
        assert_int_equal(nm_ifcfg_parse(&c, "BOOTPROTO=\"dhcp\n", 15, "ifcfg-x", &line, &why), -EBADMSG);
        assert_int_equal(line, 1);

        assert_true(nm_keyfile_name_ignored("foo.nmconnection~"));
        assert_true(nm_keyfile_name_ignored(".hidden"));
        assert_false(nm_keyfile_name_ignored("cloud-init-ens192.4093.nmconnection"));
}

/* ---- netplan / cloud-init ---- */

static void test_netplan(void **state) {
        DoctorLink l = vlan_link(), v = veth_link();
        NetplanState s;
        NetplanDef d;
        char buf[1024];
        unsigned line = 0;
        const char *why = NULL;
        const char *cloud = "network:\n  version: 2\n  ethernets:\n    ens192:\n      dhcp4: true\n"
                            "  vlans:\n    ens192.4093:\n      id: 4093\n      link: ens192\n      dhcp4: yes\n";
        const char *byname = "network:\n  ethernets:\n    nic:\n      match:\n        macaddress: 02:1d:4a:00:00:01\n"
                             "      set-name: veth-infra\n      dhcp4: true\n      renderer: NetworkManager\n";

        netplan_state_init(&s);
        assert_int_equal(netplan_state_add(&s, cloud, strlen(cloud), "/etc/netplan/50-cloud-init.yaml", NULL, NULL), 0);
        assert_int_equal(netplan_state_find(&s, &l, &d), 1);
        assert_string_equal(d.type, "vlans");
        assert_string_equal(d.id, "ens192.4093");
        assert_int_equal(d.dhcp4, 1);
        assert_string_equal(d.dhcp4_source, "/etc/netplan/50-cloud-init.yaml:10");
        assert_string_equal(d.renderer, "networkd");
        /* doctor's override, merged after it, wins and keeps id/link. */
        assert_int_equal(netplan_override_format(d.type, d.id, l.name, buf, sizeof(buf)), 0);
        assert_int_equal(netplan_state_add(&s, buf, strlen(buf), "/etc/netplan/99-infradhcp-ens192.4093.yaml", NULL,
                                           NULL),
                         0);
        assert_int_equal(netplan_state_find(&s, &l, &d), 1);
        assert_int_equal(d.dhcp4, 0);
        netplan_state_done(&s);

        netplan_state_init(&s);
        assert_int_equal(netplan_state_add(&s, byname, strlen(byname), "a.yaml", NULL, NULL), 0);
        assert_int_equal(netplan_state_find(&s, &v, &d), 1);
        assert_string_equal(d.id, "nic");
        assert_string_equal(d.renderer, "NetworkManager");
        assert_int_equal(netplan_state_find(&s, &l, &d), 0);
        netplan_state_done(&s);

        netplan_state_init(&s);
        assert_int_equal(netplan_state_add(&s, "network: [\n", 11, "bad.yaml", &line, &why), -EBADMSG);
        assert_string_equal(why, "not valid YAML");
        assert_int_equal(netplan_state_add(&s, "a: &x 1\nb: *x\n", 14, "alias.yaml", &line, &why), -EBADMSG);
        assert_string_equal(why, "YAML aliases are not supported");
        assert_int_equal(line, 2);
        assert_int_equal(netplan_state_add(&s, "- 1\n", 4, "seq.yaml", &line, &why), -EBADMSG);
        assert_int_equal(netplan_state_add(&s, "", 0, "empty.yaml", &line, &why), 0);
        /* Found by fuzz-doctor-parsers: containers still open at the error (nested ones,
         * and one beside a finished first document) leaked; LeakSanitizer checks it. */
        assert_int_equal(netplan_state_add(&s, "network: {ck: {config: led}\n", 28, "open.yaml", &line, &why),
                         -EBADMSG);
        assert_string_equal(why, "not valid YAML");
        assert_int_equal(netplan_state_add(&s, "a: 1\n---\nb: {c: [1, {d: e}\n", 27, "two.yaml", &line, &why),
                         -EBADMSG);
        assert_string_equal(why, "not valid YAML");
        /* Found by fuzz-doctor-parsers: with the same definition twice, the lookup took
         * the first and a merged override changed the last, so doctor's fix did not
         * win. Duplicate keys are refused, as YAML requires. */
        {
                static const char dup[] = "network:\n  vlans:\n    ens192.4093:\n      id: 4093\n"
                                          "    ens192.4093:\n      dhcp4: true\n";
                assert_int_equal(netplan_state_add(&s, dup, strlen(dup), "dup.yaml", &line, &why), -EBADMSG);
                assert_string_equal(why, "duplicate mapping key");
                assert_int_equal(line, 5);
                assert_int_equal(netplan_state_add(&s, "a: {b: 1, b: 1}\n", 16, "dup2.yaml", &line, &why),
                                 -EBADMSG);
                assert_string_equal(why, "duplicate mapping key");
                /* Found by fuzz-doctor-parsers: ids that doctor's override could not
                 * name (longer than the id buffer: truncated; with a quote: broken YAML)
                 * and a scalar match: that matched every link. */
                static const DoctorLink vl = { .name = "ens192.4093", .kind = "vlan", .vlan_id = 4093,
                                               .parent = "ens192" };
                NetplanState t;
                NetplanDef def, after;
                char ov[2048], long_id[300], doc[1024];
                /* Each id and how a YAML file writes it as a double-quoted key. */
                static const char *const odd_ids[][2] = {
                        { "we\"ird\\id", "we\\\"ird\\\\id" },
                        { "tab\there", "tab\\there" },
                        { "nel\xc2\x85ls\xe2\x80\xa8ps\xe2\x80\xa9", "nel\\Nls\\Lps\\P" },
                        { "x}}}:#{", "x}}}:#{" },
                };

                netplan_state_init(&t);
                assert_int_equal(netplan_state_add(&t, "network:\n  vlans:\n    v:\n      match: true\n      dhcp4: true\n",
                                                   61, "m.yaml", &line, &why), 0);
                assert_int_equal(netplan_state_find(&t, &vl, &def), 0);
                netplan_state_done(&t);
                for (size_t k = 0; k < ELEMENTSOF(odd_ids); k++) {
                        const char *quoted = odd_ids[k][1];

                        snprintf(doc, sizeof(doc), "network:\n  vlans:\n    \"%s\":\n      match: {name: ens192.4093}\n"
                                 "      dhcp4: true\n", quoted);
                        netplan_state_init(&t);
                        assert_int_equal(netplan_state_add(&t, doc, strlen(doc), "odd.yaml", &line, &why), 0);
                        assert_int_equal(netplan_state_find(&t, &vl, &def), 1);
                        assert_string_equal(def.id, odd_ids[k][0]);
                        assert_false(def.id_truncated);
                        assert_int_equal(netplan_override_format(def.type, def.id, vl.name, ov, sizeof(ov)), 0);
                        assert_int_equal(netplan_state_add(&t, ov, strlen(ov), "z.yaml", &line, &why), 0);
                        assert_int_equal(netplan_state_find(&t, &vl, &after), 1);
                        assert_string_equal(after.id, odd_ids[k][0]);
                        assert_int_equal(after.dhcp4, 0);
                        netplan_state_done(&t);
                }
                memset(long_id, 'n', sizeof(long_id) - 1);
                long_id[sizeof(long_id) - 1] = 0;
                snprintf(doc, sizeof(doc), "network:\n  vlans:\n    %s:\n      match: {name: ens192.4093}\n"
                         "      dhcp4: true\n", long_id);
                netplan_state_init(&t);
                assert_int_equal(netplan_state_add(&t, doc, strlen(doc), "long.yaml", &line, &why), 0);
                assert_int_equal(netplan_state_find(&t, &vl, &def), 1);
                assert_true(def.id_truncated);
                assert_int_equal(def.dhcp4, 1);
                netplan_state_done(&t);
                long_id[200] = 0; /* fits: named whole */
                snprintf(doc, sizeof(doc), "network:\n  vlans:\n    %s:\n      match: {name: ens192.4093}\n"
                         "      dhcp4: true\n", long_id);
                netplan_state_init(&t);
                assert_int_equal(netplan_state_add(&t, doc, strlen(doc), "long.yaml", &line, &why), 0);
                assert_int_equal(netplan_state_find(&t, &vl, &def), 1);
                assert_false(def.id_truncated);
                assert_int_equal(strlen(def.id), 200);
                assert_int_equal(netplan_override_format(def.type, def.id, vl.name, ov, sizeof(ov)), 0);
                assert_int_equal(netplan_state_add(&t, ov, strlen(ov), "z.yaml", &line, &why), 0);
                assert_int_equal(netplan_state_find(&t, &vl, &after), 1);
                assert_int_equal(after.dhcp4, 0);
                netplan_state_done(&t);

                /* The same key in different mappings, and in two files, is fine. */
                assert_int_equal(netplan_state_add(&s, "a: {b: 1}\nc: {b: 1}\n", 20, "ok.yaml", &line, &why), 0);
                assert_int_equal(netplan_state_add(&s, "a: {b: 2}\n", 10, "ok2.yaml", &line, &why), 0);
        }
        netplan_state_done(&s);
}

static void test_cloud_init(void **state) {
        DoctorLink l = vlan_link();
        CloudInitState ci;
        NetplanState s;
        NetplanDef d;
        const char *v1 = "version: 1\nconfig:\n  - type: physical\n    name: ens192\n  - type: vlan\n    name: ens192.4093\n"
                         "    vlan_link: ens192\n    vlan_id: 4093\n    subnets:\n      - type: dhcp\n";
        const char *cfg = "network:\n  version: 2\n  vlans:\n    ens192.4093:\n      dhcp4: true\n";
        const char *off = "network: {config: disabled}\n";
        const char *why = NULL;

        cloud_init_state_init(&ci);
        netplan_state_init(&s);
        assert_int_equal(cloud_init_netplan_add(&s, &ci, v1, strlen(v1), "/var/lib/cloud/seed/nocloud/network-config",
                                                &why),
                         1);
        assert_int_equal(netplan_state_find(&s, &l, &d), 1);
        assert_int_equal(d.dhcp4, 1);
        assert_string_equal(d.type, "vlans");
        netplan_state_done(&s);

        assert_int_equal(cloud_init_state_add_cfg(&ci, cfg, strlen(cfg), "/etc/cloud/cloud.cfg.d/50.cfg", NULL, NULL), 0);
        netplan_state_init(&s);
        assert_int_equal(cloud_init_netplan_add(&s, &ci, NULL, 0, NULL, &why), 1);
        assert_int_equal(netplan_state_find(&s, &l, &d), 1);
        assert_int_equal(d.dhcp4, 1);
        netplan_state_done(&s);

        assert_int_equal(cloud_init_state_add_cfg(&ci, off, strlen(off), "/etc/cloud/cloud.cfg.d/99-off.cfg", NULL, NULL),
                         0);
        assert_true(ci.disabled);
        netplan_state_init(&s);
        assert_int_equal(cloud_init_netplan_add(&s, &ci, NULL, 0, NULL, &why), 0);
        netplan_state_done(&s);
        cloud_init_state_done(&ci);

        cloud_init_state_init(&ci);
        netplan_state_init(&s);
        assert_int_equal(cloud_init_netplan_add(&s, &ci, "foo: 1\n", 7, "seed", &why), -EBADMSG);
        netplan_state_done(&s);
        cloud_init_state_done(&ci);
}

/* ---- ifupdown ---- */

typedef struct Includes {
        unsigned n;
        char last[64];
} Includes;

static int on_include(IfupdownInclude kind, const char *arg, unsigned line, void *userdata) {
        Includes *i = userdata;
        i->n++;
        snprintf(i->last, sizeof(i->last), "%d:%s", kind, arg);
        return 0;
}

static void test_ifupdown(void **state) {
        const char *text = "source /etc/network/interfaces.d/*\n\nauto lo\niface lo inet loopback\n\n"
                           "allow-hotplug ens192.4093\niface ens192.4093 inet dhcp\n    vlan-raw-device ens192\n"
                           "source-directory extra.d\n# iface ens192.4093 inet dhcp\n";
        IfupdownResult r;
        Includes inc = {};
        char *out = NULL;
        size_t olen;
        unsigned line;

        assert_int_equal(ifupdown_scan(text, strlen(text), "ens192.4093", &r, on_include, &inc, &line), 0);
        assert_int_equal(r.dhcp_line, 7);
        assert_true(r.autostart);
        assert_int_equal(r.autostart_line, 6);
        assert_int_equal(inc.n, 2);
        assert_string_equal(inc.last, "1:extra.d");

        assert_int_equal(ifupdown_disable_dhcp(text, strlen(text), "ens192.4093", 7, &out, &olen), 0);
        assert_int_equal(olen, strlen(text) + 2);
        assert_non_null(strstr(out, "iface ens192.4093 inet manual\n    vlan-raw-device"));
        assert_int_equal(ifupdown_scan(out, olen, "ens192.4093", &r, NULL, NULL, &line), 0);
        assert_int_equal(r.dhcp_line, 0);
        free(out);
        assert_int_equal(ifupdown_disable_dhcp(text, strlen(text), "ens192.4093", 6, &out, &olen), -ENOENT);
        assert_int_equal(ifupdown_disable_dhcp(text, strlen(text), "ens192.4093", 99, &out, &olen), -ENOENT);

        /* A continued line counts from its first physical line. */
        assert_int_equal(ifupdown_scan("iface \\\n ens192.4093 inet dhcp\n", 31, "ens192.4093", &r, NULL, NULL, &line),
                         0);
        assert_int_equal(r.dhcp_line, 1);
        assert_int_equal(ifupdown_scan("iface x\0", 8, "x", &r, NULL, NULL, &line), -EBADMSG);

        assert_true(ifupdown_run_parts_name("50-cloud_init"));
        assert_false(ifupdown_run_parts_name("x.cfg"));
        assert_false(ifupdown_run_parts_name("x~"));
}

/* ---- processes ---- */

#define CMD(s) s, sizeof(s)

static void test_proc(void **state) {
        DoctorProc p;

        assert_int_equal(doctor_proc_classify("dhclient", CMD("dhclient\0-v\0-pf\0/run/dhclient.pid\0ens192.4093"),
                                              "ens192.4093", &p),
                         1);
        assert_int_equal(p.kind, DOCTOR_PROC_DHCLIENT);
        assert_false(p.all_interfaces);
        /* -lf's value is not an interface. */
        assert_int_equal(doctor_proc_classify("dhclient", CMD("dhclient\0-lf\0ens192.4093\0eth0"), "ens192.4093", &p), 0);
        assert_int_equal(doctor_proc_classify("dhclient", CMD("/sbin/dhclient\0-q"), "ens192.4093", &p), 1);
        assert_true(p.all_interfaces);
        assert_int_equal(doctor_proc_classify("dhclient",
                                              CMD("/usr/sbin/dhclient\0-d\0-q\0-sf\0/usr/libexec/nm-dhcp-helper\0-pf\0"
                                                  "/run/NetworkManager/dhclient-ens192.4093.pid\0ens192.4093"),
                                              "ens192.4093", &p),
                         1);
        assert_true(p.owned_by_nm);

        assert_int_equal(doctor_proc_classify("dhcpcd", CMD("dhcpcd\0-b\0-f\0/etc/dhcpcd.conf\0eth0"), "ens192.4093", &p), 0);
        assert_int_equal(doctor_proc_classify("dhcpcd", CMD("dhcpcd: [manager] [ip4] [ip6]"), "ens192.4093", &p), 1);
        assert_true(p.all_interfaces);
        assert_int_equal(doctor_proc_classify("dhcpcd", CMD("dhcpcd: ens192.4093 [ip4]"), "ens192.4093", &p), 1);
        assert_false(p.all_interfaces);
        assert_int_equal(doctor_proc_classify("dhcpcd", CMD("dhcpcd:  eth0  ens192.40 [ip4]"), "ens192.4093", &p), 0);
        assert_false(p.all_interfaces);
        assert_int_equal(doctor_proc_classify("dhcpcd", CMD("dhcpcd:   eth1 ens192.4093"), "ens192.4093", &p), 1);
        assert_int_equal(doctor_proc_classify("dhcpcd", CMD("dhcpcd\0-k\0ens192.4093"), "ens192.4093", &p), 0);

        assert_int_equal(doctor_proc_classify("udhcpc", CMD("udhcpc\0-i\0ens192.4093\0-f"), "ens192.4093", &p), 1);
        assert_int_equal(doctor_proc_classify("udhcpc", CMD("udhcpc\0-f"), "eth0", &p), 1);
        assert_int_equal(doctor_proc_classify("busybox", CMD("busybox\0udhcpc\0--interface=ens192.4093"), "ens192.4093",
                                              &p),
                         1);
        assert_int_equal(p.kind, DOCTOR_PROC_UDHCPC);

        assert_int_equal(doctor_proc_classify("infradhcpd", CMD("infradhcpd\0--config\0x\0ens192.4093"), "ens192.4093",
                                              &p),
                         1);
        assert_int_equal(doctor_proc_classify("infradhcpd", CMD("infradhcpd\0--state-dir\0ens192.4093\0eth0"),
                                              "ens192.4093", &p),
                         0);
        assert_int_equal(doctor_proc_classify("NetworkManager", CMD("/usr/sbin/NetworkManager\0--no-daemon"), "x", &p), 0);
        assert_int_equal(p.kind, DOCTOR_PROC_NETWORKMANAGER);
        assert_int_equal(doctor_proc_classify("systemd-network", CMD("/lib/systemd/systemd-networkd"), "x", &p), 0);
        assert_int_equal(p.kind, DOCTOR_PROC_NETWORKD);
        assert_int_equal(doctor_proc_classify("bash", CMD("bash\0ens192.4093"), "ens192.4093", &p), 0);
        /* An unterminated tail is ignored, not read past. */
        assert_int_equal(doctor_proc_classify("dhclient", "dhclient\0ens192", 15, "ens192", &p), 1);
        assert_true(p.all_interfaces);
}

/* ---- lease files ---- */

static void test_leases(void **state) {
        const char *text =
                "default-duid \"\\000\\001\";\n"
                "lease {\n  interface \"ens192.4093\";\n  fixed-address 10.1.176.71;\n  option subnet-mask 255.255.0.0;\n"
                "  option dhcp-client-identifier 1:0:50:56:97:da:24;\n  renew 0 2025/09/07 10:03:50;\n"
                "  expire 4 2025/09/11 10:39:35;\n}\n"
                "lease {\n  interface \"ens192.4093\";\n  fixed-address 10.0.128.64;\n  option subnet-mask 255.255.0.0;\n"
                "  option dhcp-client-identifier \"text-id\";\n  expire epoch 1757587175; # Thu Sep 11 10:39:35 2025\n}\n"
                "lease {\n  interface \"eth0\";\n  fixed-address 192.0.2.1;\n  expire never;\n}\n"
                "lease6 {\n  interface \"ens192.4093\";\n  ia-na 1a:2b { iaaddr 2001:db8::1 { max-life 100; } }\n}\n";
        DhclientLease v[8];
        size_t n = 0;
        unsigned line = 0;
        const char *why = NULL;
        int64_t t;
        int i;

        assert_int_equal(dhclient_time_parse("4 2025/09/11 10:39:35", &t), 0);
        assert_int_equal(t, 1757587175);
        assert_int_equal(dhclient_time_parse("4 2025/02/30 10:39:35", &t), -EINVAL);
        assert_int_equal(dhclient_time_parse("4 2025/09/11 10:39:35x", &t), -EINVAL);

        assert_int_equal(dhclient_leases_parse(text, strlen(text), v, ELEMENTSOF(v), &n, &line, &why), 0);
        assert_int_equal(n, 3);
        assert_int_equal(v[0].line, 2);
        assert_int_equal(v[0].prefixlen, 16);
        assert_int_equal(v[0].client_id_len, 7);
        assert_memory_equal(v[0].client_id, ((uint8_t[]){ 1, 0, 0x50, 0x56, 0x97, 0xda, 0x24 }), 7);
        assert_int_equal(v[1].client_id_len, 7);
        assert_memory_equal(v[1].client_id, "text-id", 7);
        assert_true(v[2].expire == DHCLIENT_EXPIRE_NEVER);
        /* Same expire: the later block wins (dhclient appends the newest). */
        i = dhclient_leases_pick(v, n, "ens192.4093");
        assert_int_equal(i, 1);
        v[0].expire += 1;
        assert_int_equal(dhclient_leases_pick(v, n, "ens192.4093"), 0);
        assert_int_equal(dhclient_leases_pick(v, n, "eth1"), -ENOENT);

        assert_int_equal(dhclient_leases_parse("lease {\n  fixed-address 10.0.0;\n}\n", 35, v, 8, &n, &line, &why),
                         -EBADMSG);
        assert_int_equal(line, 2);
        assert_int_equal(dhclient_leases_parse("lease {\n interface \"x\";\n", 24, v, 8, &n, &line, &why), -EBADMSG);
        assert_string_equal(why, "unterminated block");
        assert_int_equal(dhclient_leases_parse("lease { interface \"x;\n}", 23, v, 8, &n, &line, &why), -EBADMSG);
        assert_int_equal(dhclient_leases_parse("}", 1, v, 8, &n, &line, &why), -EBADMSG);
        assert_int_equal(dhclient_leases_parse("lease { option dhcp-client-identifier 1:2:; }", 45, v, 8, &n, &line,
                                               &why),
                         -EBADMSG);

        {
                DhclientLease l;
                const char *sd = "ADDRESS=10.0.128.64\nCLIENTID=0100505697da24\n";
                const char *ours = "ADDRESS=10.0.128.64\nCLIENTID=01:00:50:56:97:da:24\n";
                char buf[64];

                assert_int_equal(sd_lease_parse(sd, strlen(sd), &l), 0);
                assert_true(l.has_address);
                assert_int_equal(l.client_id_len, 7);
                assert_string_equal(dhclient_client_id_format(l.client_id, l.client_id_len, buf, sizeof(buf)),
                                    "01:00:50:56:97:da:24");
                assert_int_equal(sd_lease_parse(ours, strlen(ours), &l), 0);
                assert_int_equal(l.client_id_len, 7);
                assert_int_equal(sd_lease_parse("CLIENTID=0g\n", 12, &l), -EBADMSG);
                assert_int_equal(sd_lease_parse("ADDRESS=1.2.3\n", 14, &l), -EBADMSG);
        }
}

/* /proc/net/packet and /proc/net/udp as Linux 6.1 prints them. */
static void test_sockets(void **state) {
        static const char packet[] =
                "sk               RefCnt Type Proto  Iface R Rmem   User   Inode\n"
                "0000000000000000 3      2    0800   7     1 0      0      41001\n" /* n-dhcp4: DGRAM, IP, IF */
                "0000000000000000 3      3    0003   7     1 0      0      41002\n" /* tcpdump: ETH_P_ALL */
                "0000000000000000 3      2    0806   7     1 0      0      41003\n" /* ACD: ARP */
                "0000000000000000 3      2    0800   9     1 0      0      41004\n" /* another interface */
                "0000000000000000 3      3    0800   7     1 0      0      41005\n" /* RAW, IP, IF */
                "0000000000000000 3      2    08zz   7     1 0      0      41006\n" /* junk */
                "short line\n"
                "0000000000000000 3      2    0800   7     1 0      0      0\n";
        char udp[2048];
        struct in_addr ours = { .s_addr = htonl(0x0a008040) }, theirs = { .s_addr = htonl(0x0a008046) },
                       other = { .s_addr = htonl(0xc0a80a05) }, any = { .s_addr = 0 };
        struct in_addr addrs[2] = { ours, theirs };
        DoctorSocket out[8];
        size_t n = 0;

        (void)state;
        assert_int_equal(doctor_socket_parse_packet(packet, strlen(packet), 7, out, ELEMENTSOF(out), &n), 0);
        assert_int_equal(n, 2);
        assert_int_equal(out[0].inode, 41001);
        assert_int_equal(out[0].kind, DOCTOR_SOCKET_PACKET);
        assert_int_equal(out[1].inode, 41005);
        assert_non_null(doctor_socket_find(out, n, 41005));
        assert_null(doctor_socket_find(out, n, 41002));
        /* Bounded by max; a table without the columns is refused. */
        n = 0;
        assert_int_equal(doctor_socket_parse_packet(packet, strlen(packet), 7, out, 1, &n), 0);
        assert_int_equal(n, 1);
        n = 0;
        assert_int_equal(doctor_socket_parse_packet("sk RefCnt Type\n0 1 2\n", 21, 7, out, 8, &n), -EBADMSG);
        assert_int_equal(doctor_socket_parse_packet("", 0, 7, out, 8, &n), -EBADMSG);

        /* The kernel prints the address as the raw 32-bit value, %08X. */
        snprintf(udp, sizeof(udp),
                 "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout "
                 "inode ref pointer drops\n"
                 "  1: %08X:0044 0A000001:0043 01 00000000:00000000 00:00000000 00000000     0        0 52001 2 "
                 "0000000000000000 0\n"
                 "  2: %08X:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 52002 2 "
                 "0000000000000000 0\n"
                 "  3: %08X:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 52003 2 "
                 "0000000000000000 0\n"
                 "  4: %08X:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 52004 2 "
                 "0000000000000000 0\n"
                 "  5: %08X:0043 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 52005 2 "
                 "0000000000000000 0\n"
                 "  6: %08X:44 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 52006 2 "
                 "0000000000000000 0\n",
                 (unsigned)theirs.s_addr, (unsigned)any.s_addr, (unsigned)other.s_addr, (unsigned)ours.s_addr,
                 (unsigned)theirs.s_addr, (unsigned)theirs.s_addr);
        n = 0;
        assert_int_equal(doctor_socket_parse_udp(udp, strlen(udp), addrs, 2, out, ELEMENTSOF(out), &n), 0);
        assert_int_equal(n, 2);
        assert_int_equal(out[0].inode, 52001);
        assert_int_equal(out[0].kind, DOCTOR_SOCKET_UDP);
        assert_int_equal(out[0].local.s_addr, theirs.s_addr);
        assert_int_equal(out[1].inode, 52004);
        n = 0;
        assert_int_equal(doctor_socket_parse_udp(udp, strlen(udp), NULL, 0, out, ELEMENTSOF(out), &n), 0);
        assert_int_equal(n, 0);
        assert_int_equal(doctor_socket_parse_udp("sl local\n", 9, addrs, 2, out, 8, &n), -EBADMSG);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ini),
                cmocka_unit_test(test_conf_files_resolve),
                cmocka_unit_test(test_networkd_match),
                cmocka_unit_test(test_networkd_errors_and_names),
                cmocka_unit_test(test_nm_specs),
                cmocka_unit_test(test_nm_config),
                cmocka_unit_test(test_nm_profiles),
                cmocka_unit_test(test_netplan),
                cmocka_unit_test(test_cloud_init),
                cmocka_unit_test(test_ifupdown),
                cmocka_unit_test(test_proc),
                cmocka_unit_test(test_sockets),
                cmocka_unit_test(test_leases),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
