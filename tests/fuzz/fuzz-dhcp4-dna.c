/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for the RFC 4436 attachment detection machine (dhcp4-dna). The
 * input is a script: a header (enabled, timings, extra peers, seed), then one opcode
 * byte per step with its operands: bind a lease (address, routers, server chosen
 * among a few networks), clear it, receive an ARP assembled from chosen fields (so
 * senders hit our MAC, a peer's learned MAC, another MAC, our address, a peer, the
 * other network's router), a RARP, raw bytes under either ethertype, a hint, timer
 * expiry, time passing (never past the deadline, as in the daemon), an aborted
 * confirmation, our MAC changing.
 *
 * After every step the actions are popped and checked (abort() on a violation):
 * - inputs return what their contract allows, never -ENOBUFS; at most
 *   DHCP4_DNA_INPUT_ACTIONS_MAX actions each;
 * - every SEND is a 28-byte ARP request from our MAC and current address to one of
 *   the lease's peers: TEST unicast to that peer's learned MAC, LEARN broadcast;
 * - CONFIRM only leaves the machine CONFIRMING, and the counter follows;
 * - non-command confirmations never exceed confirm_burst within any confirm_interval,
 *   not counting those that ended in another address (a real move gives its token back);
 * - IDLE has no deadline and no peers; a disabled machine never acts;
 * - after a timeout the next deadline lies in the future.
 * Test code: not part of the daemon.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "dhcp4-acd.h"
#include "dhcp4-dna.h"
#include "fuzz-util.h"
#include "macro.h"
#include "time-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum {
        OP_SET_LEASE,    /* u8 address sel, u8 routers (mod 4), u8 server sel */
        OP_CLEAR,
        OP_RECEIVE,      /* u8 op, mac sha, addr spa, addr tpa */
        OP_RECEIVE_RARP, /* u8 op, mac sha, mac tha */
        OP_RECEIVE_RAW,  /* u8 ethertype sel, u8 len (mod 64), bytes */
        OP_HINT,         /* u8 trigger */
        OP_TIMEOUT,
        OP_ADVANCE,      /* u16 ms */
        OP_ABORT,
        OP_SET_MAC,      /* mac */
        _OP_MAX,
};

#define CONFIRM_LOG 64

static const uint8_t mac_us[6] = { 0x02, 0x00, 0x5e, 0x10, 0x20, 0x30 };
static const uint8_t mac_gw[6] = { 0x02, 0x00, 0x5e, 0x99, 0x00, 0x01 };
static const uint8_t mac_other[6] = { 0x02, 0x00, 0x5e, 0x99, 0x00, 0x02 };
static const uint8_t mac_zero[6];
static const uint8_t mac_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

typedef struct Fuzz {
        FuzzInput in;
        Dhcp4Dna *dna;
        Dhcp4DnaConfig cfg;
        uint64_t now;
        uint8_t mac[6];
        bool has_lease;
        Dhcp4Lease lease;
        uint64_t confirms[CONFIRM_LOG]; /* times of non-command confirmations, ring */
        size_t n_confirms;
        bool confirm_pending;           /* the last one is still in flight */
        unsigned confirmations;
} Fuzz;

static struct in_addr a4(uint32_t h) {
        return (struct in_addr) { .s_addr = htonl(h) };
}

/* u8 selector (mod 8): our address, 10.0.0.1, 10.0.0.30, 10.1.0.1, 10.1.0.77,
 * 0.0.0.0, 255.255.255.255, or a u32. */
static struct in_addr addr_pick(Fuzz *f) {
        switch (fuzz_u8(&f->in) % 8) {
        case 0:
                return f->has_lease ? f->lease.address : a4(0x0a008040);
        case 1:
                return a4(0x0a000001);
        case 2:
                return a4(0x0a00001e);
        case 3:
                return a4(0x0a010001);
        case 4:
                return a4(0x0a01004d);
        case 5:
                return a4(0);
        case 6:
                return a4(0xffffffff);
        default:
                return a4(fuzz_u32(&f->in));
        }
}

static const uint8_t *mac_pick(Fuzz *f, uint8_t buf[6]) {
        switch (fuzz_u8(&f->in) % 6) {
        case 0:
                return f->mac;
        case 1:
                return mac_gw;
        case 2:
                return mac_other;
        case 3:
                return mac_zero;
        case 4:
                return mac_bcast;
        default:
                for (size_t i = 0; i < 6; i++)
                        buf[i] = fuzz_u8(&f->in);
                return buf;
        }
}

static void drain(Fuzz *f, size_t max_actions) {
        Dhcp4DnaPeer peers[DHCP4_DNA_PEER_MAX];
        size_t n_peers = dhcp4_dna_get_peers(f->dna, peers, ELEMENTSOF(peers));
        Dhcp4DnaState s = dhcp4_dna_get_state(f->dna);
        Dhcp4DnaAction a;
        size_t n = 0;
        int r;

        CHECK(n_peers <= DHCP4_DNA_PEER_MAX);
        while ((r = dhcp4_dna_pop_action(f->dna, &a)) == 1) {
                Dhcp4Arp p;
                bool known = false;

                n++;
                CHECK(n <= max_actions);
                CHECK(f->cfg.enabled);
                switch (a.type) {
                case DHCP4_DNA_ACTION_SEND:
                        CHECK(f->has_lease);
                        CHECK(a.len == DHCP4_ACD_ARP_LEN);
                        CHECK(dhcp4_acd_arp_parse(a.arp, a.len, &p) == 0);
                        CHECK(p.op == DHCP4_ACD_ARP_REQUEST);
                        CHECK(memcmp(p.sha, f->mac, 6) == 0);
                        CHECK(p.spa.s_addr == f->lease.address.s_addr);
                        CHECK(p.tpa.s_addr == a.peer.s_addr);
                        for (size_t i = 0; i < n_peers; i++)
                                if (peers[i].address.s_addr == a.peer.s_addr) {
                                        known = true;
                                        if (a.kind == DHCP4_DNA_SEND_TEST)
                                                CHECK(peers[i].has_mac &&
                                                      memcmp(a.dest_mac, peers[i].mac, 6) == 0);
                                }
                        CHECK(known);
                        if (a.kind == DHCP4_DNA_SEND_LEARN)
                                CHECK(memcmp(a.dest_mac, mac_bcast, 6) == 0);
                        else
                                CHECK(a.kind == DHCP4_DNA_SEND_TEST && !(a.dest_mac[0] & 1) &&
                                      memcmp(a.dest_mac, mac_zero, 6) != 0);
                        break;
                case DHCP4_DNA_ACTION_CONFIRM:
                        CHECK(s == DHCP4_DNA_STATE_CONFIRMING);
                        f->confirmations++;
                        if (a.trigger != DHCP4_DNA_TRIGGER_COMMAND) {
                                /* Token bucket: never more than burst in one interval. */
                                unsigned recent = 1;

                                for (size_t i = 0; i < MIN(f->n_confirms, (size_t) CONFIRM_LOG); i++)
                                        if (f->confirms[i] + f->cfg.confirm_interval_usec > f->now)
                                                recent++;
                                CHECK(recent <= f->cfg.confirm_burst);
                                f->confirms[f->n_confirms++ % CONFIRM_LOG] = f->now;
                                f->confirm_pending = true;
                        }
                        break;
                case DHCP4_DNA_ACTION_EVENT:
                        CHECK(dhcp4_dna_event_to_string(a.event));
                        CHECK(memchr(a.text, 0, sizeof(a.text)));
                        break;
                default:
                        CHECK(!"unknown action type");
                }
        }
        CHECK(r == 0);
        CHECK(dhcp4_dna_get_confirmations(f->dna) == f->confirmations);
        CHECK((unsigned) s < _DHCP4_DNA_STATE_MAX && dhcp4_dna_state_to_string(s));
        CHECK(dhcp4_dna_get_usable_peers(f->dna) <= n_peers);
        if (s == DHCP4_DNA_STATE_IDLE) {
                CHECK(dhcp4_dna_next_deadline(f->dna) == UINT64_MAX);
                CHECK(n_peers == 0);
        }
        if (s == DHCP4_DNA_STATE_CHECKING)
                CHECK(dhcp4_dna_next_deadline(f->dna) != UINT64_MAX);
        if (s == DHCP4_DNA_STATE_CONFIRMING)
                CHECK(dhcp4_dna_next_deadline(f->dna) == UINT64_MAX);
        if (!f->cfg.enabled)
                CHECK(s == DHCP4_DNA_STATE_IDLE);
}

static void receive(Fuzz *f, uint16_t ethertype, const uint8_t *p, size_t len) {
        uint8_t *copy = malloc(len > 0 ? len : 1); /* exact size, for ASan */
        int r;

        CHECK(copy);
        if (len > 0)
                memcpy(copy, p, len);
        r = dhcp4_dna_receive(f->dna, ethertype, mac_other, copy, len, f->now);
        CHECK(r >= 0 && r < _DHCP4_DNA_RX_MAX && dhcp4_dna_rx_to_string(r));
        free(copy);
        drain(f, DHCP4_DNA_INPUT_ACTIONS_MAX);
}

static void step(Fuzz *f, uint8_t op) {
        uint64_t deadline = dhcp4_dna_next_deadline(f->dna);
        uint8_t b1[6], b2[6], arp[DHCP4_ACD_ARP_LEN];
        int r;

        switch (op) {
        case OP_SET_LEASE: {
                Dhcp4Lease l = { .prefixlen = 16, .lifetime = 3600 };
                uint8_t sel = fuzz_u8(&f->in), nr = fuzz_u8(&f->in) % 4, srv = fuzz_u8(&f->in) % 3;
                bool pod2 = sel & 1;

                l.address = pod2 ? a4(0x0a01004d) : a4(0x0a008040);
                if (sel & 2)
                        l.prefixlen = (uint8_t) (sel >> 2) % 33;
                for (uint8_t i = 0; i < nr; i++)
                        l.routers[l.n_routers++] = i == 2 ? addr_pick(f) : a4((pod2 ? 0x0a010001 : 0x0a000001) + i);
                l.server_id = srv == 0 ? a4(0x0a630001) : srv == 1 ? a4(pod2 ? 0x0a010002 : 0x0a000002) : addr_pick(f);
                if (f->confirm_pending && dhcp4_dna_get_state(f->dna) == DHCP4_DNA_STATE_CONFIRMING &&
                    f->has_lease && l.address.s_addr != f->lease.address.s_addr && f->n_confirms > 0)
                        /* moved: the token came back; the slot is emptied too (the ring
                         * is scanned whole once it wrapped) */
                        f->confirms[--f->n_confirms % CONFIRM_LOG] = 0;
                if (dhcp4_dna_get_state(f->dna) == DHCP4_DNA_STATE_CONFIRMING || !f->has_lease)
                        f->confirm_pending = false;
                CHECK(dhcp4_dna_set_lease(f->dna, &l, f->now) == 0);
                if (f->cfg.enabled) {
                        f->lease = l;
                        f->has_lease = true;
                        CHECK(dhcp4_dna_get_state(f->dna) == DHCP4_DNA_STATE_WATCHING);
                }
                drain(f, DHCP4_DNA_INPUT_ACTIONS_MAX);
                return;
        }
        case OP_CLEAR:
                CHECK(dhcp4_dna_clear(f->dna) == 0);
                f->has_lease = false;
                CHECK(dhcp4_dna_pop_action(f->dna, &(Dhcp4DnaAction) {}) == 0);
                drain(f, 0);
                return;
        case OP_RECEIVE: {
                uint16_t arp_op = (fuzz_u8(&f->in) & 1) ? DHCP4_ACD_ARP_REPLY : DHCP4_ACD_ARP_REQUEST;
                const uint8_t *sha = mac_pick(f, b1);
                struct in_addr spa = addr_pick(f), tpa = addr_pick(f);

                CHECK(dhcp4_acd_arp_build(arp, sizeof(arp), arp_op, sha, spa, NULL, tpa) == DHCP4_ACD_ARP_LEN);
                receive(f, DHCP4_DNA_ETHERTYPE_ARP, arp, sizeof(arp));
                return;
        }
        case OP_RECEIVE_RARP: {
                uint8_t rop = fuzz_u8(&f->in) % 5;
                const uint8_t *sha = mac_pick(f, b1), *tha = mac_pick(f, b2);

                CHECK(dhcp4_acd_arp_build(arp, sizeof(arp), 1, sha, a4(0), tha, a4(0)) == DHCP4_ACD_ARP_LEN);
                arp[7] = rop;
                receive(f, DHCP4_DNA_ETHERTYPE_RARP, arp, sizeof(arp));
                return;
        }
        case OP_RECEIVE_RAW: {
                static const uint16_t types[] = { DHCP4_DNA_ETHERTYPE_ARP, DHCP4_DNA_ETHERTYPE_RARP, 0x0800 };
                uint16_t t = types[fuzz_u8(&f->in) % 3];
                size_t n;
                const uint8_t *p = fuzz_slice(&f->in, fuzz_u8(&f->in) % 64, &n);

                receive(f, t, p, n);
                return;
        }
        case OP_HINT: {
                uint8_t t = fuzz_u8(&f->in) % (_DHCP4_DNA_TRIGGER_MAX + 1);

                r = dhcp4_dna_hint(f->dna, t, f->now);
                if (t == DHCP4_DNA_TRIGGER_PERIODIC || t == DHCP4_DNA_TRIGGER_RETRY || t >= _DHCP4_DNA_TRIGGER_MAX)
                        CHECK(r == -EINVAL);
                else
                        CHECK(r == 0);
                drain(f, DHCP4_DNA_INPUT_ACTIONS_MAX);
                return;
        }
        case OP_TIMEOUT:
                if (deadline != UINT64_MAX && deadline > f->now)
                        f->now = deadline;
                CHECK(dhcp4_dna_timeout(f->dna, f->now) == 0);
                drain(f, DHCP4_DNA_INPUT_ACTIONS_MAX);
                CHECK(dhcp4_dna_next_deadline(f->dna) > f->now);
                return;
        case OP_ADVANCE: {
                uint64_t t = usec_add(f->now, (uint64_t) fuzz_u16(&f->in) * USEC_PER_MSEC);

                f->now = MAX(f->now, MIN(t, deadline));
                return;
        }
        case OP_ABORT:
                CHECK(dhcp4_dna_confirm_abort(f->dna, f->now) == 0);
                CHECK(dhcp4_dna_get_state(f->dna) != DHCP4_DNA_STATE_CONFIRMING);
                drain(f, DHCP4_DNA_INPUT_ACTIONS_MAX);
                return;
        case OP_SET_MAC: {
                const uint8_t *m = mac_pick(f, b1);
                bool zero = memcmp(m, mac_zero, 6) == 0;

                memcpy(b2, m, 6);
                r = dhcp4_dna_set_mac(f->dna, b2);
                CHECK(r == (zero ? -EINVAL : 0));
                if (!zero)
                        memcpy(f->mac, b2, 6);
                drain(f, 0);
                return;
        }
        default:
                CHECK(!"unreachable");
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        Fuzz f = { .in = { .data = data, .size = size }, .now = UINT64_C(5000) * USEC_PER_SEC };
        uint8_t flags;

        if (size > 8192)
                return 0;

        /* Header: u8 flags (bit 0 enabled, bit 1 timings follow: u8 attempts (mod 4, + 1),
         * u8 burst (mod 4, + 1), u8 interval s (mod 8: 0 = no periodic check), bit 2 extra
         * peers follow: u8 n (mod 4), each u8 (0: absolute u32, else relative octet)),
         * u32 seed. */
        dhcp4_dna_config_init(&f.cfg);
        flags = fuzz_u8(&f.in);
        f.cfg.enabled = flags & 1;
        if (flags & 2) {
                f.cfg.probe_attempts = fuzz_u8(&f.in) % 4 + 1;
                f.cfg.confirm_burst = fuzz_u8(&f.in) % 4 + 1;
                f.cfg.check_interval_usec = (uint64_t) (fuzz_u8(&f.in) % 8) * USEC_PER_SEC;
        }
        if (flags & 4) {
                f.cfg.n_extra = fuzz_u8(&f.in) % 4;
                for (size_t i = 0; i < f.cfg.n_extra; i++) {
                        uint8_t o = fuzz_u8(&f.in);

                        f.cfg.extra[i] = o == 0 ? (Dhcp4DnaExtraPeer) { .address = a4(fuzz_u32(&f.in)) } :
                                                  (Dhcp4DnaExtraPeer) { .relative = true, .last_octet = o };
                }
        }
        memcpy(f.mac, mac_us, 6);
        CHECK(dhcp4_dna_new(&f.dna, &f.cfg, f.mac, fuzz_u32(&f.in)) == 0);
        drain(&f, 0);

        for (unsigned steps = 0; fuzz_left(&f.in) && steps < 2000; steps++)
                step(&f, fuzz_u8(&f.in) % _OP_MAX);

        dhcp4_dna_free(f.dna);
        return 0;
}
