/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for the RFC 5227 conflict detection machine (dhcp4-acd). The input
 * is a script: a header (enabled, profile, probe/announce counts, seed), then one
 * opcode byte per step with its operands: start a probe or an announcement, stop,
 * receive raw ARP bytes or an ARP packet assembled from chosen fields (so senders,
 * targets and frame sources hit our address, our MAC, a peer or a probe), timer expiry,
 * time passing (never past the deadline, as in the daemon), our MAC changing, another
 * own MAC. Raw ARP bytes are also parsed and rebuilt, and must come back identical.
 *
 * After every step the actions are popped and checked (abort() on a violation):
 * - inputs return what their contract allows, never -ENOBUFS; at most one action each;
 * - every SEND is a 28-byte ARP request from our current MAC to the address under
 *   watch, sender IP 0 for a probe and the address itself otherwise, target MAC zero;
 * - RESULT and LOST leave the machine IDLE; IDLE has no deadline and no address;
 * - a disabled machine never sends and answers every probe FREE at once;
 * - the conflict counter moves by exactly one per DHCP4_ACD_RX_CONFLICT;
 * - after a timeout the next deadline lies in the future.
 * Test code: not part of the daemon.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "dhcp4-acd.h"
#include "dhcp4-config.h"
#include "fuzz-util.h"
#include "macro.h"
#include "time-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum {
        OP_START_PROBE,    /* addr */
        OP_START_ANNOUNCE, /* addr */
        OP_STOP,
        OP_RECEIVE_RAW,    /* src mac, u8 len (mod 64), bytes */
        OP_RECEIVE,        /* u8 op, mac sha, addr spa, addr tpa, src mac */
        OP_TIMEOUT,
        OP_ADVANCE,        /* u16 ms */
        OP_SET_MAC,        /* mac (never zero: zero is checked to be refused) */
        OP_ADD_OWN_MAC,    /* mac */
        _OP_MAX,
};

static const uint8_t mac_us[6] = { 0x02, 0x00, 0x5e, 0x10, 0x20, 0x30 };
static const uint8_t mac_peer[6] = { 0x02, 0x00, 0x5e, 0x99, 0x00, 0x01 };
static const uint8_t mac_other[6] = { 0x02, 0x00, 0x5e, 0x99, 0x00, 0x02 };
static const uint8_t mac_zero[6];

typedef struct Fuzz {
        FuzzInput in;
        Dhcp4Acd *acd;
        bool enabled;
        uint64_t now;
        uint8_t mac[6];
        struct in_addr watched; /* what the last start_* was given */
} Fuzz;

static bool address_is_host(struct in_addr a) {
        uint32_t h = ntohl(a.s_addr);

        return (h >> 24) != 0 && (h >> 24) != 127 && (h >> 29) != 7;
}

/* u8 selector (mod 6): the watched address, 10.0.128.64, 10.0.128.65, 0.0.0.0,
 * 127.0.0.1, or a u32. */
static struct in_addr addr_pick(Fuzz *f) {
        uint8_t sel = fuzz_u8(&f->in) % 6;
        struct in_addr a;

        switch (sel) {
        case 0:
                return f->watched;
        case 1:
                a.s_addr = htonl(0x0a008040);
                break;
        case 2:
                a.s_addr = htonl(0x0a008041);
                break;
        case 3:
                a.s_addr = 0;
                break;
        case 4:
                a.s_addr = htonl(0x7f000001);
                break;
        default:
                a.s_addr = htonl(fuzz_u32(&f->in));
        }
        return a;
}

/* u8 selector (mod 6): ours, the peer, another, zero, the packet's sha (if any), or 6
 * bytes. Returns NULL for "unknown" only when allow_null and the selector says so. */
static const uint8_t *mac_pick(Fuzz *f, uint8_t buf[6], const uint8_t *sha, bool allow_null) {
        uint8_t sel = fuzz_u8(&f->in) % 7;

        switch (sel) {
        case 0:
                return f->mac;
        case 1:
                return mac_peer;
        case 2:
                return mac_other;
        case 3:
                return mac_zero;
        case 4:
                if (sha)
                        return sha;
                return mac_peer;
        case 5:
                for (size_t i = 0; i < 6; i++)
                        buf[i] = fuzz_u8(&f->in);
                return buf;
        default:
                return allow_null ? NULL : mac_other;
        }
}

static void drain(Fuzz *f, size_t max_actions) {
        Dhcp4AcdAction a;
        Dhcp4Arp p;
        size_t n = 0;
        int r;

        while ((r = dhcp4_acd_pop_action(f->acd, &a)) == 1) {
                n++;
                CHECK(n <= max_actions);
                switch (a.type) {
                case DHCP4_ACD_ACTION_SEND:
                        CHECK(f->enabled);
                        CHECK(a.len == DHCP4_ACD_ARP_LEN);
                        CHECK(dhcp4_acd_arp_parse(a.arp, a.len, &p) == 0);
                        CHECK(p.op == DHCP4_ACD_ARP_REQUEST);
                        CHECK(memcmp(p.sha, f->mac, 6) == 0);
                        CHECK(memcmp(p.tha, mac_zero, 6) == 0);
                        CHECK(address_is_host(a.address) && p.tpa.s_addr == a.address.s_addr);
                        CHECK(a.address.s_addr == f->watched.s_addr);
                        if (a.kind == DHCP4_ACD_SEND_PROBE)
                                CHECK(p.spa.s_addr == 0);
                        else
                                CHECK((a.kind == DHCP4_ACD_SEND_ANNOUNCE || a.kind == DHCP4_ACD_SEND_DEFEND) &&
                                      p.spa.s_addr == a.address.s_addr);
                        break;
                case DHCP4_ACD_ACTION_RESULT:
                case DHCP4_ACD_ACTION_LOST:
                        CHECK(a.address.s_addr == f->watched.s_addr);
                        CHECK(dhcp4_acd_get_state(f->acd) == DHCP4_ACD_STATE_IDLE);
                        if (a.type == DHCP4_ACD_ACTION_RESULT && !a.conflict)
                                CHECK(memcmp(a.mac, mac_zero, 6) == 0);
                        break;
                default:
                        CHECK(!"unknown action type");
                }
        }
        CHECK(r == 0);

        Dhcp4AcdState s = dhcp4_acd_get_state(f->acd);
        CHECK((unsigned) s < _DHCP4_ACD_STATE_MAX && dhcp4_acd_state_to_string(s));
        if (!f->enabled)
                CHECK(s == DHCP4_ACD_STATE_IDLE);
        if (s == DHCP4_ACD_STATE_IDLE) {
                CHECK(dhcp4_acd_next_deadline(f->acd) == UINT64_MAX);
                CHECK(dhcp4_acd_get_address(f->acd).s_addr == 0);
        } else
                CHECK(dhcp4_acd_get_address(f->acd).s_addr == f->watched.s_addr);
        if (s == DHCP4_ACD_STATE_DEFENDING)
                CHECK(dhcp4_acd_next_deadline(f->acd) == UINT64_MAX);
}

/* Raw bytes: parse, and a parsed payload rebuilt must equal its first 28 bytes. */
static void check_arp_roundtrip(const uint8_t *p, size_t n) {
        uint8_t buf[DHCP4_ACD_ARP_LEN];
        Dhcp4Arp a;
        int r;

        r = dhcp4_acd_arp_parse(p, n, &a);
        CHECK(r >= 0 && r < _DHCP4_ACD_RX_MAX && dhcp4_acd_rx_to_string(r));
        CHECK(r == 0 || (r >= DHCP4_ACD_RX_TOO_SHORT && r <= DHCP4_ACD_RX_BAD_OP));
        CHECK((r == DHCP4_ACD_RX_TOO_SHORT) == (n < DHCP4_ACD_ARP_LEN));
        if (r != 0)
                return;
        CHECK(dhcp4_acd_arp_build(buf, sizeof(buf), a.op, a.sha, a.spa, a.tha, a.tpa) == DHCP4_ACD_ARP_LEN);
        CHECK(memcmp(buf, p, DHCP4_ACD_ARP_LEN) == 0);
}

static void receive(Fuzz *f, const uint8_t *src, const uint8_t *arp, size_t len) {
        Dhcp4AcdState before = dhcp4_acd_get_state(f->acd);
        unsigned conflicts = dhcp4_acd_get_conflicts(f->acd);
        uint8_t *copy = malloc(len > 0 ? len : 1); /* exact size, for ASan */
        int r;

        CHECK(copy);
        if (len > 0)
                memcpy(copy, arp, len);
        r = dhcp4_acd_receive(f->acd, src, copy, len, f->now);
        CHECK(r >= 0 && r < _DHCP4_ACD_RX_MAX);
        if (r == DHCP4_ACD_RX_CONFLICT) {
                CHECK(before == DHCP4_ACD_STATE_PROBING || before == DHCP4_ACD_STATE_ANNOUNCING ||
                      before == DHCP4_ACD_STATE_DEFENDING);
                CHECK(dhcp4_acd_get_conflicts(f->acd) == conflicts + 1);
                CHECK(!src || memcmp(src, f->mac, 6) != 0);
                CHECK(len >= DHCP4_ACD_ARP_LEN && memcmp(copy + 8, f->mac, 6) != 0);
        } else {
                CHECK(dhcp4_acd_get_conflicts(f->acd) == conflicts);
                CHECK(dhcp4_acd_get_state(f->acd) == before);
        }
        if (r == DHCP4_ACD_RX_IDLE)
                CHECK(before == DHCP4_ACD_STATE_IDLE);
        free(copy);
        drain(f, 1);
}

static void step(Fuzz *f, uint8_t op) {
        uint64_t deadline = dhcp4_acd_next_deadline(f->acd);
        struct in_addr a;
        uint8_t buf[6];
        const uint8_t *m;
        int r;

        switch (op) {
        case OP_START_PROBE:
        case OP_START_ANNOUNCE:
                a = addr_pick(f);
                r = op == OP_START_PROBE ? dhcp4_acd_start_probe(f->acd, a, f->now) :
                                           dhcp4_acd_start_announce(f->acd, a, f->now);
                if (!address_is_host(a)) {
                        CHECK(r == -EINVAL);
                        drain(f, 0); /* refused: nothing changed */
                        return;
                }
                CHECK(r == 0);
                f->watched = a;
                drain(f, 1);
                if (f->enabled)
                        CHECK(dhcp4_acd_get_state(f->acd) != DHCP4_ACD_STATE_IDLE ||
                              op == OP_START_ANNOUNCE);
                return;
        case OP_STOP:
                CHECK(dhcp4_acd_stop(f->acd) == 0);
                CHECK(dhcp4_acd_pop_action(f->acd, &(Dhcp4AcdAction) {}) == 0);
                CHECK(dhcp4_acd_get_state(f->acd) == DHCP4_ACD_STATE_IDLE);
                drain(f, 0);
                return;
        case OP_RECEIVE_RAW: {
                size_t n;
                const uint8_t *p;

                m = mac_pick(f, buf, NULL, true);
                p = fuzz_slice(&f->in, fuzz_u8(&f->in) % 64, &n);
                check_arp_roundtrip(p, n);
                receive(f, m, p, n);
                return;
        }
        case OP_RECEIVE: {
                uint8_t arp[DHCP4_ACD_ARP_LEN], shabuf[6];
                uint16_t arp_op = (fuzz_u8(&f->in) & 1) ? DHCP4_ACD_ARP_REPLY : DHCP4_ACD_ARP_REQUEST;
                const uint8_t *sha = mac_pick(f, shabuf, NULL, false);
                struct in_addr spa = addr_pick(f), tpa = addr_pick(f);

                CHECK(dhcp4_acd_arp_build(arp, sizeof(arp), arp_op, sha, spa, NULL, tpa) == DHCP4_ACD_ARP_LEN);
                m = mac_pick(f, buf, sha, true);
                receive(f, m, arp, sizeof(arp));
                return;
        }
        case OP_TIMEOUT:
                if (deadline != UINT64_MAX && deadline > f->now)
                        f->now = deadline;
                CHECK(dhcp4_acd_timeout(f->acd, f->now) == 0);
                drain(f, 1);
                CHECK(dhcp4_acd_next_deadline(f->acd) > f->now);
                return;
        case OP_ADVANCE: {
                uint64_t t = usec_add(f->now, (uint64_t) fuzz_u16(&f->in) * USEC_PER_MSEC);
                f->now = MAX(f->now, MIN(t, deadline));
                return;
        }
        case OP_SET_MAC:
        case OP_ADD_OWN_MAC: {
                bool zero;

                m = mac_pick(f, buf, NULL, false);
                zero = memcmp(m, mac_zero, 6) == 0;
                if (op == OP_SET_MAC) {
                        uint8_t copy[6];

                        memcpy(copy, m, 6); /* m may point at f->mac */
                        r = dhcp4_acd_set_mac(f->acd, copy);
                        CHECK(r == (zero ? -EINVAL : 0));
                        if (!zero)
                                memcpy(f->mac, copy, 6);
                } else {
                        r = dhcp4_acd_add_own_mac(f->acd, m);
                        CHECK(zero ? r == -EINVAL : (r == 0 || r == -ENOSPC));
                }
                drain(f, 0);
                return;
        }
        default:
                CHECK(!"unreachable");
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        Fuzz f = { .in = { .data = data, .size = size }, .now = UINT64_C(5000) * USEC_PER_SEC };
        Dhcp4AcdConfig cfg = {};
        uint8_t flags;

        if (size > 8192)
                return 0;

        /* Header: u8 flags (bit 0 enabled, bit 1 rfc5227 profile, bit 2 counts follow:
         * u8 probe_num (mod 8, + 1), u8 announce_num (mod 4)), u32 seed. */
        flags = fuzz_u8(&f.in);
        dhcp4_acd_config_set_profile(&cfg, (flags & 2) ? DHCP4_ACD_PROFILE_RFC5227 : DHCP4_ACD_PROFILE_DATACENTER);
        cfg.enabled = f.enabled = flags & 1;
        if (flags & 4) {
                cfg.probe_num = fuzz_u8(&f.in) % 8 + 1;
                cfg.announce_num = fuzz_u8(&f.in) % 4;
        }
        memcpy(f.mac, mac_us, 6);
        CHECK(dhcp4_acd_new(&f.acd, &cfg, f.mac, fuzz_u32(&f.in)) == 0);
        drain(&f, 0);

        for (unsigned steps = 0; fuzz_left(&f.in) && steps < 2000; steps++)
                step(&f, fuzz_u8(&f.in) % _OP_MAX);

        dhcp4_acd_free(f.acd);
        return 0;
}
