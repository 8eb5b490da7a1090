/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target: every file format infradhcpctl doctor reads from someone else's
 * configuration (src/doctor): .network files, NetworkManager.conf and keyfiles, ifcfg,
 * netplan and cloud-init YAML, ifupdown interfaces(5), /proc/PID/cmdline (and, the same
 * bytes, /proc/net/packet and /proc/net/udp), dhclient and
 * systemd lease files. The first byte picks the parser. Invariants: a failure names a
 * line within the text and a reason; results stay within their documented bounds; the
 * ifupdown rewrite changes exactly "dhcp" to "manual" and the stanza is gone after it;
 * a dhclient lease pick is one of the blocks for that interface with the latest expire.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "doctor-ifupdown.h"
#include "doctor-lease.h"
#include "doctor-netplan.h"
#include "doctor-networkd.h"
#include "doctor-nm.h"
#include "doctor-proc.h"
#include "doctor-socket.h"
#include "fuzz-util.h"
#include "macro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const DoctorLink links[] = {
        { .name = "ens192.4093", .mac = { 0, 0x50, 0x56, 0x97, 0xda, 0x24 }, .has_mac = true, .kind = "vlan",
          .vlan_id = 4093, .parent = "ens192" },
        { .name = "eth0", .mac = { 2, 0, 0, 0, 0, 1 }, .has_mac = true, .kind = "veth" },
};

static unsigned count_lines(const char *t, size_t len) {
        unsigned n = 1;
        for (size_t i = 0; i < len; i++)
                n += t[i] == '\n';
        return n;
}

/* An upper bound of the lines libyaml counts: YAML 1.1 breaks a line at LF, CR, CR LF,
 * NEL (U+0085), LS and PS (U+2028, U+2029), so a lone CR starts a line there too. */
static unsigned count_yaml_lines(const char *t, size_t len) {
        unsigned n = 1;
        for (size_t i = 0; i < len; i++)
                n += t[i] == '\n' || t[i] == '\r' || (uint8_t)t[i] == 0x85 ||
                     ((uint8_t)t[i] == 0xe2 && i + 2 < len && (uint8_t)t[i + 1] == 0x80 &&
                      ((uint8_t)t[i + 2] == 0xa8 || (uint8_t)t[i + 2] == 0xa9));
        return n;
}

static void check_failure_lines(int r, unsigned line, const char *why, unsigned lines) {
        if (r == -EBADMSG) {
                CHECK(why && *why);
                CHECK(line <= lines + 1);
        } else
                CHECK(r == 0 || r == -ENOMEM);
}

static void check_failure(int r, unsigned line, const char *why, const char *t, size_t len) {
        check_failure_lines(r, line, why, count_lines(t, len));
}

static void check_yaml_failure(int r, unsigned line, const char *why, const char *t, size_t len) {
        check_failure_lines(r, line, why, count_yaml_lines(t, len));
}

static void fuzz_networkd(const char *t, size_t len) {
        NetworkdNetwork n;
        unsigned line = 0;
        const char *why = NULL;
        int r;

        networkd_network_init(&n);
        r = networkd_network_parse(&n, t, len, &line, &why);
        check_failure(r, line, why, t, len);
        CHECK(n.n_names <= NETWORKD_PATTERNS_MAX && n.n_macs <= NETWORKD_PATTERNS_MAX);
        CHECK(n.dhcp >= -1 && n.dhcp <= 3);
        for (size_t i = 0; i < ELEMENTSOF(links); i++) {
                (void)networkd_network_matches(&n, &links[i]);
                CHECK(networkd_verdict_to_string(networkd_network_verdict(&n)));
        }
        networkd_network_done(&n);
}

static void fuzz_nm(const char *t, size_t len, unsigned which) {
        unsigned line = 0;
        const char *why = NULL;
        int r;

        if (which == 0) {
                NmConfig c;
                nm_config_init(&c);
                r = nm_config_parse(&c, t, len, "f", &line, &why);
                check_failure(r, line, why, t, len);
                CHECK(c.n_unmanaged <= NM_LIST_MAX && c.n_devices <= NM_LIST_MAX);
                for (size_t i = 0; i < ELEMENTSOF(links); i++) {
                        const char *src = NULL;
                        if (nm_config_unmanages(&c, &links[i], &src))
                                CHECK(src == NULL || *src);
                        (void)nm_config_no_auto_default(&c, &links[i]);
                }
                nm_config_done(&c);
        } else {
                NmConnection c;
                r = which == 1 ? nm_keyfile_parse(&c, t, len, &line, &why)
                               : nm_ifcfg_parse(&c, t, len, "ifcfg-ens192.4093", &line, &why);
                check_failure(r, line, why, t, len);
                if (r == 0) {
                        CHECK(memchr(c.id, '\0', sizeof(c.id)) && memchr(c.method, '\0', sizeof(c.method)));
                        CHECK(c.vlan_id >= -1 && c.vlan_id <= 4095);
                        for (size_t i = 0; i < ELEMENTSOF(links); i++)
                                (void)nm_connection_matches(&c, &links[i]);
                }
        }
        /* A spec list straight from the input. */
        {
                char *s = strndup(t, MIN(len, (size_t)4096));
                CHECK(s);
                for (size_t i = 0; i < ELEMENTSOF(links); i++)
                        (void)nm_device_spec_match(s, &links[i]);
                free(s);
        }
}

static void fuzz_yaml(const char *t, size_t len, bool cloud) {
        NetplanState s;
        NetplanDef d;
        unsigned line = 0;
        const char *why = NULL;
        int r;

        netplan_state_init(&s);
        if (cloud) {
                CloudInitState ci;
                cloud_init_state_init(&ci);
                r = cloud_init_state_add_cfg(&ci, t, len, "cfg", &line, &why);
                check_yaml_failure(r, line, why, t, len);
                r = cloud_init_netplan_add(&s, &ci, NULL, 0, NULL, &why);
                CHECK(r >= -EBADMSG);
                r = cloud_init_netplan_add(&s, &ci, t, len, "seed", &why);
                CHECK(r == 0 || r == 1 || r == -EBADMSG || r == -ENOMEM);
                cloud_init_state_done(&ci);
        } else {
                r = netplan_state_add(&s, t, len, "a.yaml", &line, &why);
                check_yaml_failure(r, line, why, t, len);
                /* Merging the same text twice is the same as once. */
                if (r == 0) {
                        NetplanDef d1, d2;
                        int f1 = netplan_state_find(&s, &links[0], &d1);
                        CHECK(netplan_state_add(&s, t, len, "a.yaml", &line, &why) == 0);
                        CHECK(netplan_state_find(&s, &links[0], &d2) == f1);
                        if (f1 > 0)
                                CHECK(d1.dhcp4 == d2.dhcp4 && strcmp(d1.id, d2.id) == 0);
                }
        }
        for (size_t i = 0; i < ELEMENTSOF(links); i++)
                if (netplan_state_find(&s, &links[i], &d) > 0) {
                        char buf[2048];
                        CHECK(d.dhcp4 >= -1 && d.dhcp4 <= 1);
                        /* doctor's override always wins over what was there (for an id
                         * it could keep whole). */
                        if (!d.id_truncated && netplan_override_format(d.type, d.id, links[i].name, buf, sizeof(buf)) == 0) {
                                NetplanDef after;
                                CHECK(netplan_state_add(&s, buf, strlen(buf), "z.yaml", &line, &why) == 0);
                                CHECK(netplan_state_find(&s, &links[i], &after) > 0);
                                CHECK(after.dhcp4 == 0);
                        }
                }
        netplan_state_done(&s);
}

static void fuzz_ifupdown(const char *t, size_t len) {
        IfupdownResult res;
        unsigned line = 0;
        int r = ifupdown_scan(t, len, "ens192.4093", &res, NULL, NULL, &line);

        CHECK(r == 0 || r == -EBADMSG || r == -ENOMEM);
        if (r == 0 && res.dhcp_line > 0) {
                char *out = NULL;
                size_t olen;
                r = ifupdown_disable_dhcp(t, len, "ens192.4093", res.dhcp_line, &out, &olen);
                /* A stanza found on a continued line cannot be rewritten in place. */
                CHECK(r == 0 || r == -ENOENT || r == -ENOMEM);
                if (r == 0) {
                        IfupdownResult again;
                        CHECK(olen == len + 2);
                        CHECK(ifupdown_scan(out, olen, "ens192.4093", &again, NULL, NULL, &line) == 0);
                        CHECK(again.dhcp_line == 0 || again.dhcp_line > res.dhcp_line);
                        free(out);
                }
        }
}

static void fuzz_proc(const char *t, size_t len) {
        DoctorProc p;
        static const char *const comms[] = { "dhclient", "dhcpcd", "udhcpc", "busybox", "infradhcpd" };

        static const struct in_addr addrs[2] = { { .s_addr = 0 }, { .s_addr = 0x4080000a } };
        DoctorSocket socks[4];
        size_t n = 0;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(comms); i++) {
                r = doctor_proc_classify(comms[i], t, len, "ens192.4093", &p);
                CHECK(r == 0 || r == 1);
                CHECK(doctor_proc_kind_to_string(p.kind));
        }
        /* The same bytes as the kernel's socket tables. */
        r = doctor_socket_parse_packet(t, len, 7, socks, ELEMENTSOF(socks), &n);
        CHECK((r == 0 || r == -EBADMSG) && n <= ELEMENTSOF(socks));
        r = doctor_socket_parse_udp(t, len, addrs, ELEMENTSOF(addrs), socks, ELEMENTSOF(socks), &n);
        CHECK((r == 0 || r == -EBADMSG) && n <= ELEMENTSOF(socks));
        for (size_t i = 0; i < n; i++)
                CHECK(socks[i].inode != 0 && doctor_socket_find(socks, n, socks[i].inode));
}

static void fuzz_leases(const char *t, size_t len) {
        DhclientLease v[16], sd;
        size_t n = 0;
        unsigned line = 0;
        const char *why = NULL;
        int r = dhclient_leases_parse(t, len, v, ELEMENTSOF(v), &n, &line, &why);

        check_failure(r, line, why, t, len);
        if (r == 0) {
                size_t m = MIN(n, ELEMENTSOF(v));
                int i = dhclient_leases_pick(v, m, "ens192.4093");
                for (size_t k = 0; k < m; k++)
                        CHECK(v[k].client_id_len <= DHCLIENT_CLIENT_ID_MAX);
                if (i >= 0) {
                        CHECK((size_t)i < m && strcmp(v[i].interface, "ens192.4093") == 0);
                        for (size_t k = 0; k < m; k++)
                                if (strcmp(v[k].interface, "ens192.4093") == 0 && v[k].has_expire)
                                        CHECK(v[i].has_expire && v[i].expire >= v[k].expire);
                }
        }
        r = sd_lease_parse(t, len, &sd);
        CHECK(r == 0 || r == -EBADMSG);
        CHECK(sd.client_id_len <= DHCLIENT_CLIENT_ID_MAX);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *text;
        size_t len;

        if (size < 1 || size > 65536)
                return 0;
        len = size - 1;
        text = malloc(len > 0 ? len : 1); /* exact size, no NUL: ASan catches overreads */
        CHECK(text);
        if (len > 0)
                memcpy(text, data + 1, len);
        switch (data[0] % 9) {
        case 0:
                fuzz_networkd(text, len);
                break;
        case 1:
        case 2:
        case 3:
                fuzz_nm(text, len, data[0] % 9 - 1);
                break;
        case 4:
                fuzz_yaml(text, len, false);
                break;
        case 5:
                fuzz_yaml(text, len, true);
                break;
        case 6:
                fuzz_ifupdown(text, len);
                break;
        case 7:
                fuzz_proc(text, len);
                break;
        default:
                fuzz_leases(text, len);
        }
        free(text);
        return 0;
}
