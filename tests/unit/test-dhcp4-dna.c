/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for the RFC 4436 attachment detection machine (src/dhcp4/dhcp4-dna.c)
 * on a fake clock: peers taken from the lease, learning their MACs, the periodic
 * one-peer check and its widening, every decision (all answer; a peer answers
 * slowly; silence; a peer answers from another MAC), what the confirmation's lease
 * means (confirmed, moved after a NAK), unresponsive peers, hints (notify-peers,
 * RARP and gratuitous ARP announcements, peer MAC change, link change, command),
 * hold-off, the rate limit against flapping, abort, clear, disabled, a full queue.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dhcp4-acd.h"
#include "dhcp4-dna.h"
#include "macro.h"
#include "time-util.h"

#define MS USEC_PER_MSEC
#define SEC USEC_PER_SEC
#define T0 (1000 * SEC)

static const uint8_t mac_us[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t mac_gw[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a };
static const uint8_t mac_gw2[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0b };
static const uint8_t mac_any[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x30 };
static const uint8_t mac_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static struct in_addr ip(const char *s) {
        struct in_addr a;

        assert_int_equal(inet_pton(AF_INET, s, &a), 1);
        return a;
}

static Dhcp4Lease lease(const char *addr, uint8_t prefixlen, const char *server, const char *router) {
        Dhcp4Lease l = { .prefixlen = prefixlen, .lifetime = 3600, .t1 = 1800, .t2 = 3150 };

        l.address = ip(addr);
        l.server_id = ip(server);
        if (router) {
                l.routers[0] = ip(router);
                l.n_routers = 1;
        }
        return l;
}

static Dhcp4DnaConfig cfg_default(void) {
        Dhcp4DnaConfig c;

        dhcp4_dna_config_init(&c);
        return c;
}

static Dhcp4Dna *dna_new(const Dhcp4DnaConfig *c) {
        Dhcp4Dna *dna = NULL;

        assert_int_equal(dhcp4_dna_new(&dna, c, mac_us, 42), 0);
        assert_non_null(dna);
        return dna;
}

static size_t drain(Dhcp4Dna *dna, Dhcp4DnaAction *out, size_t n) {
        Dhcp4DnaAction a;
        size_t k = 0;

        while (dhcp4_dna_pop_action(dna, &a) > 0) {
                assert_true(k < n);
                out[k++] = a;
        }
        return k;
}

/* Counts actions of one type in what drain() returned. */
static size_t count(const Dhcp4DnaAction *a, size_t n, Dhcp4DnaActionType type) {
        size_t k = 0;

        for (size_t i = 0; i < n; i++)
                k += a[i].type == type;
        return k;
}

static const Dhcp4DnaAction *find(const Dhcp4DnaAction *a, size_t n, Dhcp4DnaActionType type) {
        for (size_t i = 0; i < n; i++)
                if (a[i].type == type)
                        return &a[i];
        return NULL;
}

/* An ARP from `sha`/`spa` to us (a reply by default). */
static int rx_arp(Dhcp4Dna *dna, uint16_t op, const uint8_t sha[6], const char *spa, const char *tpa, uint64_t now) {
        uint8_t b[DHCP4_ACD_ARP_LEN];

        assert_int_equal(dhcp4_acd_arp_build(b, sizeof(b), op, sha, ip(spa), op == 2 ? mac_us : NULL, ip(tpa)),
                         DHCP4_ACD_ARP_LEN);
        return dhcp4_dna_receive(dna, DHCP4_DNA_ETHERTYPE_ARP, sha, b, sizeof(b), now);
}

static int rx_reply(Dhcp4Dna *dna, const uint8_t sha[6], const char *spa, uint64_t now) {
        return rx_arp(dna, DHCP4_ACD_ARP_REPLY, sha, spa, "10.0.128.64", now);
}

static void assert_test_arp(const Dhcp4DnaAction *a, const char *peer, const uint8_t dest[6]) {
        Dhcp4Arp p;

        assert_int_equal(a->type, DHCP4_DNA_ACTION_SEND);
        assert_int_equal(a->kind, DHCP4_DNA_SEND_TEST);
        assert_int_equal(a->peer.s_addr, ip(peer).s_addr);
        assert_memory_equal(a->dest_mac, dest, 6);
        assert_int_equal(a->len, DHCP4_ACD_ARP_LEN);
        assert_int_equal(dhcp4_acd_arp_parse(a->arp, a->len, &p), 0);
        /* RFC 4436 §2.1.1: request, our MAC and address as sender, the peer's learned
         * MAC and address as target; unicast to that MAC. */
        assert_int_equal(p.op, DHCP4_ACD_ARP_REQUEST);
        assert_memory_equal(p.sha, mac_us, 6);
        assert_int_equal(p.spa.s_addr, ip("10.0.128.64").s_addr);
        assert_memory_equal(p.tha, dest, 6);
        assert_int_equal(p.tpa.s_addr, ip(peer).s_addr);
}

/* Lease 10.0.128.64/16 with router 10.0.0.1 whose MAC is learned: WATCHING, queue empty. */
static Dhcp4Dna *dna_watching(const Dhcp4DnaConfig *c, uint64_t *now) {
        Dhcp4Dna *dna = dna_new(c);
        Dhcp4Lease l = lease("10.0.128.64", 16, "10.99.0.1", "10.0.0.1");
        Dhcp4DnaAction a[40];
        size_t n;

        *now = T0;
        assert_int_equal(dhcp4_dna_set_lease(dna, &l, *now), 0);
        n = drain(dna, a, ELEMENTSOF(a));
        assert_int_equal(n, 1); /* one learning broadcast for the router */
        assert_int_equal(a[0].kind, DHCP4_DNA_SEND_LEARN);
        assert_memory_equal(a[0].dest_mac, mac_bcast, 6);
        *now += 1 * MS;
        assert_int_equal(rx_reply(dna, mac_gw, "10.0.0.1", *now), DHCP4_DNA_RX_USED);
        n = drain(dna, a, ELEMENTSOF(a));
        assert_int_equal(n, 1);
        assert_int_equal(a[0].event, DHCP4_DNA_EVENT_PEER_LEARNED);
        assert_memory_equal(a[0].mac, mac_gw, 6);
        assert_int_equal(dhcp4_dna_get_usable_peers(dna), 1);
        assert_int_equal(dhcp4_dna_get_state(dna), DHCP4_DNA_STATE_WATCHING);
        return dna;
}

/* Fires deadlines until the state is CHECKING (a periodic check), returns when. */
static uint64_t run_to_check(Dhcp4Dna *dna, uint64_t now, Dhcp4DnaAction *a, size_t cap, size_t *n) {
        for (int i = 0; i < 10 && dhcp4_dna_get_state(dna) != DHCP4_DNA_STATE_CHECKING; i++) {
                uint64_t d = dhcp4_dna_next_deadline(dna);

                assert_true(d != USEC_INFINITY);
                now = MAX(now, d);
                assert_int_equal(dhcp4_dna_timeout(dna, now), 0);
                *n = drain(dna, a, cap);
        }
        assert_int_equal(dhcp4_dna_get_state(dna), DHCP4_DNA_STATE_CHECKING);
        return now;
}

static void test_peers_from_lease(void **state) {
        Dhcp4DnaConfig c = cfg_default();
        Dhcp4Lease l = lease("10.0.128.64", 16, "10.0.0.2", "10.0.0.1");
        Dhcp4DnaPeer peers[DHCP4_DNA_PEER_MAX];
        Dhcp4DnaAction a[40];
        Dhcp4Dna *dna;
        size_t n;

        c.extra[0] = (Dhcp4DnaExtraPeer) { .relative = true, .last_octet = 30 };
        c.extra[1] = (Dhcp4DnaExtraPeer) { .address = ip("10.0.0.1") };     /* duplicate of the router */
        c.extra[2] = (Dhcp4DnaExtraPeer) { .address = ip("10.0.128.64") };  /* ourselves */
        c.extra[3] = (Dhcp4DnaExtraPeer) { .address = ip("127.0.0.1") };    /* never a peer */
        c.n_extra = 4;
        dna = dna_new(&c);
        l.routers[1] = ip("0.0.0.0");
        l.n_routers = 2;

        assert_int_equal(dhcp4_dna_set_lease(dna, &l, T0), 0);
        assert_int_equal(dhcp4_dna_get_peers(dna, peers, ELEMENTSOF(peers)), 3);
        assert_int_equal(peers[0].address.s_addr, ip("10.0.0.1").s_addr);
        assert_int_equal(peers[0].source, DHCP4_DNA_PEER_ROUTER);
        /* The server lies inside 10.0.0.0/16: on-link, a peer. */
        assert_int_equal(peers[1].address.s_addr, ip("10.0.0.2").s_addr);
        assert_int_equal(peers[1].source, DHCP4_DNA_PEER_SERVER);
        /* .30 of the leased network, as ACI derives the opflex anycast peer. */
        assert_int_equal(peers[2].address.s_addr, ip("10.0.0.30").s_addr);
        assert_int_equal(peers[2].source, DHCP4_DNA_PEER_EXTRA);
        assert_false(peers[0].has_mac);
        assert_int_equal(dhcp4_dna_get_usable_peers(dna), 0);

        /* One broadcast learning request each, then one more round, then none. */
        n = drain(dna, a, ELEMENTSOF(a));
        assert_int_equal(n, 3);
        for (size_t i = 0; i < n; i++) {
                Dhcp4Arp p;

                assert_int_equal(a[i].kind, DHCP4_DNA_SEND_LEARN);
                assert_memory_equal(a[i].dest_mac, mac_bcast, 6);
                assert_int_equal(dhcp4_acd_arp_parse(a[i].arp, a[i].len, &p), 0);
                assert_int_equal(p.spa.s_addr, l.address.s_addr);
                assert_int_equal(p.tpa.s_addr, peers[i].address.s_addr);
        }
        assert_int_equal(dhcp4_dna_next_deadline(dna), T0 + 50 * MS);
        assert_int_equal(dhcp4_dna_timeout(dna, T0 + 50 * MS), 0);
        assert_int_equal(drain(dna, a, ELEMENTSOF(a)), 3);
        assert_true(dhcp4_dna_next_deadline(dna) > T0 + 1 * SEC); /* only the periodic check now */

        /* A relayed server (off-link, as on an ACI fabric) is no peer. */
        l = lease("10.0.128.64", 16, "10.99.0.1", "10.0.0.1");
        assert_int_equal(dhcp4_dna_set_lease(dna, &l, T0 + SEC), 0);
        assert_int_equal(dhcp4_dna_get_peers(dna, peers, ELEMENTSOF(peers)), 2);
        assert_int_equal(peers[1].address.s_addr, ip("10.0.0.30").s_addr);
        dhcp4_dna_free(dna);
}

static void test_periodic_attached(void **state) {
        Dhcp4DnaConfig c = cfg_default();
        Dhcp4DnaAction a[40];
        Dhcp4DnaCheck chk;
        uint64_t now, t;
        size_t n = 0;
        Dhcp4Dna *dna = dna_watching(&c, &now);

        /* The periodic check: 1.5 s ± 10 % after the bind, one unicast ARP. */
        t = run_to_check(dna, now, a, ELEMENTSOF(a), &n);
        assert_true(t >= T0 + 1350 * MS && t <= T0 + 1650 * MS);
        assert_int_equal(count(a, n, DHCP4_DNA_ACTION_SEND), 1);
        assert_test_arp(find(a, n, DHCP4_DNA_ACTION_SEND), "10.0.0.1", mac_gw);

        assert_int_equal(rx_reply(dna, mac_gw, "10.0.0.1", t + 1 * MS), DHCP4_DNA_RX_USED);
        n = drain(dna, a, ELEMENTSOF(a));
        assert_int_equal(count(a, n, DHCP4_DNA_ACTION_CONFIRM), 0);
        assert_int_equal(count(a, n, DHCP4_DNA_ACTION_SEND), 0);
        assert_int_equal(dhcp4_dna_get_state(dna), DHCP4_DNA_STATE_WATCHING);
        assert_true(dhcp4_dna_get_last_check(dna, &chk));
        assert_int_equal(chk.outcome, DHCP4_DNA_OUTCOME_ATTACHED);
        assert_int_equal(chk.trigger, DHCP4_DNA_TRIGGER_PERIODIC);
        assert_int_equal(chk.probed, 1);
        assert_int_equal(chk.answered, 1);
        assert_int_equal(chk.finished_usec, t + 1 * MS);
        assert_int_equal(dhcp4_dna_get_confirmations(dna), 0);
        /* The next one is scheduled from the end of this one. */
        assert_true(dhcp4_dna_get_next_check(dna) >= t + 1350 * MS);
        dhcp4_dna_free(dna);
}

static void test_slow_answer(void **state) {
        Dhcp4DnaConfig c = cfg_default();
        Dhcp4DnaAction a[40];
        Dhcp4DnaCheck chk;
        uint64_t now, t;
        size_t n = 0;
        Dhcp4Dna *dna = dna_watching(&c, &now);

        assert_int_equal(dhcp4_dna_hint(dna, DHCP4_DNA_TRIGGER_NOTIFY_PEERS, now + 1 * SEC), 0);
        t = now + 1 * SEC;
        n = drain(dna, a, ELEMENTSOF(a));
        assert_int_equal(count(a, n, DHCP4_DNA_ACTION_SEND), 1);
        /* First round unanswered: asked again after the probe timeout ... */
        assert_int_equal(dhcp4_dna_next_deadline(dna), t + 50 * MS);
        assert_int_equal(dhcp4_dna_timeout(dna, t + 50 * MS), 0);
        n = drain(dna, a, ELEMENTSOF(a));
        assert_int_equal(count(a, n, DHCP4_DNA_ACTION_SEND), 1);
        assert_test_arp(find(a, n, DHCP4_DNA_ACTION_SEND), "10.0.0.1", mac_gw);
        /* ... and a slow answer inside the second window still counts. */
        assert_int_equal(rx_reply(dna, mac_gw, "10.0.0.1", t + 95 * MS), DHCP4_DNA_RX_USED);
        n = drain(dna, a, ELEMENTSOF(a));
        assert_int_equal(count(a, n, DHCP4_DNA_ACTION_CONFIRM), 0);
        assert_true(dhcp4_dna_get_last_check(dna, &chk));
        assert_int_equal(chk.outcome, DHCP4_DNA_OUTCOME_ATTACHED);
        assert_int_equal(chk.trigger, DHCP4_DNA_TRIGGER_NOTIFY_PEERS);

        /* Too slow: after both windows the decision is made; the late answer changes
         * nothing (it arrives while the confirmation runs). */
        t += 5 * SEC;
        assert_int_equal(dhcp4_dna_hint(dna, DHCP4_DNA_TRIGGER_NOTIFY_PEERS, t), 0);
        drain(dna, a, ELEMENTSOF(a));
        assert_int_equal(dhcp4_dna_timeout(dna, t + 50 * MS), 0);
        drain(dna, a, ELEMENTSOF(a));
        assert_int_equal(dhcp4_dna_timeout(dna, t + 100 * MS), 0);
        n = drain(dna, a, ELEMENTSOF(a));
        assert_int_equal(count(a, n, DHCP4_DNA_ACTION_CONFIRM), 1);
        assert_non_null(strstr(find(a, n, DHCP4_DNA_ACTION_CONFIRM)->text, "10.0.0.1 silent for 100 ms"));
        assert_int_equal(dhcp4_dna_get_state(dna), DHCP4_DNA_STATE_CONFIRMING);
        assert_int_equal(rx_reply(dna, mac_gw, "10.0.0.1", t + 130 * MS), DHCP4_DNA_RX_USED);
        assert_int_equal(drain(dna, a, ELEMENTSOF(a)), 0);
        assert_int_equal(dhcp4_dna_get_state(dna), DHCP4_DNA_STATE_CONFIRMING);
        assert_int_equal(dhcp4_dna_next_deadline(dna), USEC_INFINITY);
        dhcp4_dna_free(dna);
}

/* Silence, then the NAK path: the lease that results has another address → MOVED,
 * every peer is new and learned again. */
static void test_silence_then_moved(void **state) {
        Dhcp4DnaConfig c = cfg_default();
        Dhcp4Lease l2 = lease("10.1.0.77", 16, "10.99.0.1", "10.1.0.1");
        Dhcp4DnaPeer peers[DHCP4_DNA_PEER_MAX];
        Dhcp4DnaAction a[40];
        Dhcp4DnaCheck chk;
        uint64_t now, t;
        size_t n = 0;
        Dhcp4Dna *dna = dna_watching(&c, &now);

        t = run_to_check(dna, now, a, ELEMENTSOF(a), &n);
        assert_int_equal(dhcp4_dna_timeout(dna, t + 50 * MS), 0);
        drain(dna, a, ELEMENTSOF(a));
        assert_int_equal(dhcp4_dna_timeout(dna, t + 100 * MS), 0);
        n = drain(dna, a, ELEMENTSOF(a));
        assert_int_equal(count(a, n, DHCP4_DNA_ACTION_CONFIRM), 1);
        assert_int_equal(find(a, n, DHCP4_DNA_ACTION_CONFIRM)->trigger, DHCP4_DNA_TRIGGER_PERIODIC);
        assert_int_equal(dhcp4_dna_get_confirmations(dna), 1);
        assert_true(dhcp4_dna_get_last_check(dna, &chk));
        assert_int_equal(chk.outcome, DHCP4_DNA_OUTCOME_CONFIRMING);
        assert_int_equal(chk.answered, 0);

        /* Hints while the confirmation runs are ignored (no new check). */
        assert_int_equal(dhcp4_dna_hint(dna, DHCP4_DNA_TRIGGER_ANNOUNCE, t + 200 * MS), 0);
        assert_int_equal(drain(dna, a, ELEMENTSOF(a)), 0);

        /* NAK, DISCOVER, another network's lease bound. */
        assert_int_equal(dhcp4_dna_set_lease(dna, &l2, t + 900 * MS), 0);
        n = drain(dna, a, ELEMENTSOF(a));
        assert_true(dhcp4_dna_get_last_check(dna, &chk));
        assert_int_equal(chk.outcome, DHCP4_DNA_OUTCOME_MOVED);
        assert_non_null(strstr(chk.reason, "10.0.128.64 replaced by 10.1.0.77"));
        assert_int_equal(count(a, n, DHCP4_DNA_ACTION_SEND), 1);
        assert_int_equal(find(a, n, DHCP4_DNA_ACTION_SEND)->kind, DHCP4_DNA_SEND_LEARN);
        assert_int_equal(find(a, n, DHCP4_DNA_ACTION_SEND)->peer.s_addr, ip("10.1.0.1").s_addr);
        assert_int_equal(dhcp4_dna_get_peers(dna, peers, ELEMENTSOF(peers)), 1);
        assert_false(peers[0].has_mac);
        assert_int_equal(dhcp4_dna_get_state(dna), DHCP4_DNA_STATE_WATCHING);
        /* The old router's ARP means nothing now. */
        assert_int_equal(rx_reply(dna, mac_gw, "10.0.0.1", t + SEC), DHCP4_DNA_RX_IGNORED);
        dhcp4_dna_free(dna);
}

/* Two peers, periodic: one is tested; silent → every usable peer is; the other
 * answers but one is still silent → confirm. The server then confirms: the silent
 * peer becomes unresponsive and the next checks test only the other. */
static void test_widen_and_unresponsive(void **state) {
        Dhcp4DnaConfig c = cfg_default();
        Dhcp4Lease l = lease("10.0.128.64", 16, "10.99.0.1", "10.0.0.1");
        Dhcp4DnaPeer peers[DHCP4_DNA_PEER_MAX];
        Dhcp4DnaAction a[40];
        Dhcp4DnaCheck chk;
        Dhcp4Dna *dna;
        uint64_t t;
        size_t n = 0;
        const char *silent;
        const uint8_t *alive_mac;
        const char *alive;

        c.extra[0] = (Dhcp4DnaExtraPeer) { .relative = true, .last_octet = 30 };
        c.n_extra = 1;
        dna = dna_new(&c);
        assert_int_equal(dhcp4_dna_set_lease(dna, &l, T0), 0);
        drain(dna, a, ELEMENTSOF(a));
        assert_int_equal(rx_reply(dna, mac_gw, "10.0.0.1", T0 + MS), 0);
        assert_int_equal(rx_arp(dna, DHCP4_ACD_ARP_REQUEST, mac_any, "10.0.0.30", "10.0.128.64", T0 + MS), 0);
        drain(dna, a, ELEMENTSOF(a));
        assert_int_equal(dhcp4_dna_get_usable_peers(dna), 2);

        t = run_to_check(dna, T0 + MS, a, ELEMENTSOF(a), &n);
        assert_int_equal(count(a, n, DHCP4_DNA_ACTION_SEND), 1);
        silent = find(a, n, DHCP4_DNA_ACTION_SEND)->peer.s_addr == ip("10.0.0.1").s_addr ? "10.0.0.1" : "10.0.0.30";
        alive = strcmp(silent, "10.0.0.1") == 0 ? "10.0.0.30" : "10.0.0.1";
        alive_mac = strcmp(alive, "10.0.0.1") == 0 ? mac_gw : mac_any;
        assert_int_equal(dhcp4_dna_timeout(dna, t + 50 * MS), 0);
        drain(dna, a, ELEMENTSOF(a));
        assert_int_equal(dhcp4_dna_timeout(dna, t + 100 * MS), 0);
        n = drain(dna, a, ELEMENTSOF(a));
        /* Widened: both peers asked (the silent one again too). */
        assert_int_equal(count(a, n, DHCP4_DNA_ACTION_SEND), 2);
        assert_int_equal(dhcp4_dna_get_state(dna), DHCP4_DNA_STATE_CHECKING);
        assert_int_equal(rx_reply(dna, alive_mac, alive, t + 101 * MS), 0);
        drain(dna, a, ELEMENTSOF(a));
        assert_int_equal(dhcp4_dna_timeout(dna, t + 150 * MS), 0);
        n = drain(dna, a, ELEMENTSOF(a));
        assert_int_equal(count(a, n, DHCP4_DNA_ACTION_SEND), 1); /* only the silent one again */
        assert_int_equal(dhcp4_dna_timeout(dna, t + 200 * MS), 0);
        n = drain(dna, a, ELEMENTSOF(a));
        assert_int_equal(count(a, n, DHCP4_DNA_ACTION_CONFIRM), 1);
        assert_true(dhcp4_dna_get_last_check(dna, &chk));
        assert_int_equal(chk.probed, 2);
        assert_int_equal(chk.answered, 1);
        assert_non_null(strstr(chk.reason, silent));

        /* ACK for the same address: still attached; the silent peer is unresponsive, its
         * MAC forgotten and asked for again by broadcast (it may be another leaf now). */
        assert_int_equal(dhcp4_dna_set_lease(dna, &l, t + 210 * MS), 0);
        n = drain(dna, a, ELEMENTSOF(a));
        assert_int_equal(count(a, n, DHCP4_DNA_ACTION_SEND), 1);
        assert_int_equal(find(a, n, DHCP4_DNA_ACTION_SEND)->kind, DHCP4_DNA_SEND_LEARN);
        assert_int_equal(find(a, n, DHCP4_DNA_ACTION_SEND)->peer.s_addr, ip(silent).s_addr);
        assert_true(dhcp4_dna_get_last_check(dna, &chk));
        assert_int_equal(chk.outcome, DHCP4_DNA_OUTCOME_CONFIRMED);
        assert_int_equal(dhcp4_dna_get_usable_peers(dna), 1);
        dhcp4_dna_get_peers(dna, peers, ELEMENTSOF(peers));
        for (size_t i = 0; i < 2; i++) {
                assert_int_equal(peers[i].unresponsive, peers[i].address.s_addr == ip(silent).s_addr);
                assert_int_equal(peers[i].has_mac, peers[i].address.s_addr != ip(silent).s_addr);
        }

        /* Next periodic check tests the responsive one only; its answer is enough. */
        t = run_to_check(dna, t + 210 * MS, a, ELEMENTSOF(a), &n);
        assert_int_equal(count(a, n, DHCP4_DNA_ACTION_SEND), 1);
        assert_int_equal(find(a, n, DHCP4_DNA_ACTION_SEND)->peer.s_addr, ip(alive).s_addr);
        assert_int_equal(rx_reply(dna, alive_mac, alive, t + MS), 0);
        drain(dna, a, ELEMENTSOF(a));
        assert_int_equal(dhcp4_dna_get_state(dna), DHCP4_DNA_STATE_WATCHING);

        /* The unresponsive peer heard again, from a new MAC (another leaf): learned, usable. */
        assert_int_equal(rx_arp(dna, DHCP4_ACD_ARP_REQUEST, mac_gw2, silent, "10.0.0.99", t + 2 * MS), 0);
        n = drain(dna, a, ELEMENTSOF(a));
        assert_int_equal(find(a, n, DHCP4_DNA_ACTION_EVENT)->event, DHCP4_DNA_EVENT_PEER_LEARNED);
        assert_int_equal(dhcp4_dna_get_usable_peers(dna), 2);
        dhcp4_dna_get_peers(dna, peers, ELEMENTSOF(peers));
        for (size_t i = 0; i < 2; i++)
                assert_false(peers[i].unresponsive);
        dhcp4_dna_free(dna);
}

static void test_peer_changed_mac(void **state) {
        Dhcp4DnaConfig c = cfg_default();
        Dhcp4Lease l = lease("10.0.128.64", 16, "10.99.0.1", "10.0.0.1");
        Dhcp4DnaPeer peers[DHCP4_DNA_PEER_MAX];
        Dhcp4DnaAction a[40];
        Dhcp4DnaCheck chk;
        uint64_t now, t;
        size_t n;
        Dhcp4Dna *dna = dna_watching(&c, &now);

        /* During a check: the answer from another MAC decides at once. */
        t = now + SEC;
        assert_int_equal(dhcp4_dna_hint(dna, DHCP4_DNA_TRIGGER_LINK_CHANGE, t), 0);
        drain(dna, a, ELEMENTSOF(a));
        assert_int_equal(rx_reply(dna, mac_gw2, "10.0.0.1", t + 2 * MS), DHCP4_DNA_RX_USED);
        n = drain(dna, a, ELEMENTSOF(a));
        assert_int_equal(count(a, n, DHCP4_DNA_ACTION_CONFIRM), 1);
        assert_non_null(strstr(find(a, n, DHCP4_DNA_ACTION_CONFIRM)->text,
                               "10.0.0.1 answered from 02:00:00:00:00:0b (known as 02:00:00:00:00:0a)"));
        assert_true(dhcp4_dna_get_last_check(dna, &chk));
        assert_int_equal(chk.finished_usec, t + 2 * MS);

        /* Confirmed on the same network (a router replaced): the new MAC is adopted. */
        assert_int_equal(dhcp4_dna_set_lease(dna, &l, t + 10 * MS), 0);
        drain(dna, a, ELEMENTSOF(a));
        dhcp4_dna_get_peers(dna, peers, ELEMENTSOF(peers));
        assert_memory_equal(peers[0].mac, mac_gw2, 6);
        assert_false(peers[0].unresponsive);

        /* Outside a check: a peer's ARP from another MAC is a hint (after the hold-off). */
        t += 20 * MS;
        assert_int_equal(rx_arp(dna, DHCP4_ACD_ARP_REQUEST, mac_gw, "10.0.0.1", "10.0.0.5", t), DHCP4_DNA_RX_USED);
        assert_int_equal(drain(dna, a, ELEMENTSOF(a)), 0);
        assert_int_equal(dhcp4_dna_next_deadline(dna), t - 10 * MS + 250 * MS);
        assert_int_equal(dhcp4_dna_timeout(dna, t + 240 * MS), 0);
        n = drain(dna, a, ELEMENTSOF(a));
        assert_int_equal(count(a, n, DHCP4_DNA_ACTION_SEND), 1);
        assert_test_arp(find(a, n, DHCP4_DNA_ACTION_SEND), "10.0.0.1", mac_gw2);
        assert_true(dhcp4_dna_get_last_check(dna, &chk));
        assert_int_equal(chk.trigger, DHCP4_DNA_TRIGGER_PEER_MAC);
        dhcp4_dna_free(dna);
}

static void test_hints_and_holdoff(void **state) {
        Dhcp4DnaConfig c = cfg_default();
        Dhcp4DnaAction a[40];
        Dhcp4DnaCheck chk;
        uint64_t now, t;
        size_t n;
        Dhcp4Dna *dna = dna_watching(&c, &now);

        assert_int_equal(dhcp4_dna_hint(dna, DHCP4_DNA_TRIGGER_PERIODIC, now), -EINVAL);
        assert_int_equal(dhcp4_dna_hint(dna, DHCP4_DNA_TRIGGER_RETRY, now), -EINVAL);
        assert_int_equal(dhcp4_dna_hint(dna, _DHCP4_DNA_TRIGGER_MAX, now), -EINVAL);

        /* Within the hold-off after the bind: deferred to its end. */
        assert_int_equal(dhcp4_dna_hint(dna, DHCP4_DNA_TRIGGER_NOTIFY_PEERS, T0 + 100 * MS), 0);
        assert_int_equal(drain(dna, a, ELEMENTSOF(a)), 0);
        assert_int_equal(dhcp4_dna_next_deadline(dna), T0 + 250 * MS);
        assert_int_equal(dhcp4_dna_get_next_check(dna), T0 + 250 * MS);
        /* A second hint meanwhile does not add a check. */
        assert_int_equal(dhcp4_dna_hint(dna, DHCP4_DNA_TRIGGER_LINK_CHANGE, T0 + 150 * MS), 0);
        assert_int_equal(dhcp4_dna_timeout(dna, T0 + 250 * MS), 0);
        n = drain(dna, a, ELEMENTSOF(a));
        assert_int_equal(count(a, n, DHCP4_DNA_ACTION_SEND), 1);
        assert_true(dhcp4_dna_get_last_check(dna, &chk));
        assert_int_equal(chk.trigger, DHCP4_DNA_TRIGGER_NOTIFY_PEERS);
        assert_int_equal(dhcp4_dna_get_checks(dna), 1);
        /* While checking, hints are absorbed. */
        assert_int_equal(dhcp4_dna_hint(dna, DHCP4_DNA_TRIGGER_ANNOUNCE, T0 + 260 * MS), 0);
        assert_int_equal(drain(dna, a, ELEMENTSOF(a)), 0);
        assert_int_equal(rx_reply(dna, mac_gw, "10.0.0.1", T0 + 261 * MS), 0);
        drain(dna, a, ELEMENTSOF(a));
        assert_int_equal(dhcp4_dna_get_checks(dna), 1);

        /* A command never waits for the hold-off. */
        t = T0 + 300 * MS;
        assert_int_equal(dhcp4_dna_hint(dna, DHCP4_DNA_TRIGGER_COMMAND, t), 0);
        n = drain(dna, a, ELEMENTSOF(a));
        assert_int_equal(count(a, n, DHCP4_DNA_ACTION_SEND), 1);
        assert_int_equal(find(a, n, DHCP4_DNA_ACTION_EVENT)->event, DHCP4_DNA_EVENT_CHECK);
        assert_int_equal(find(a, n, DHCP4_DNA_ACTION_EVENT)->trigger, DHCP4_DNA_TRIGGER_COMMAND);
        assert_int_equal(dhcp4_dna_get_checks(dna), 2);
        dhcp4_dna_free(dna);
}

static void test_announcements(void **state) {
        Dhcp4DnaConfig c = cfg_default();
        uint8_t rarp[DHCP4_ACD_ARP_LEN];
        Dhcp4DnaAction a[40];
        Dhcp4DnaCheck chk;
        uint64_t now, t;
        size_t n;
        Dhcp4Dna *dna = dna_watching(&c, &now);

        t = now + SEC;
        /* RARP request announcing our MAC (QEMU/VMware after a live migration). */
        assert_int_equal(dhcp4_acd_arp_build(rarp, sizeof(rarp), 1, mac_us, ip("0.0.0.0"), mac_us, ip("0.0.0.0")),
                         DHCP4_ACD_ARP_LEN);
        rarp[7] = 3;
        assert_int_equal(dhcp4_dna_receive(dna, DHCP4_DNA_ETHERTYPE_RARP, mac_us, rarp, sizeof(rarp), t),
                         DHCP4_DNA_RX_USED);
        n = drain(dna, a, ELEMENTSOF(a));
        assert_int_equal(count(a, n, DHCP4_DNA_ACTION_SEND), 1);
        assert_true(dhcp4_dna_get_last_check(dna, &chk));
        assert_int_equal(chk.trigger, DHCP4_DNA_TRIGGER_ANNOUNCE);
        assert_int_equal(rx_reply(dna, mac_gw, "10.0.0.1", t + MS), 0);
        drain(dna, a, ELEMENTSOF(a));

        /* RARP for another MAC, RARP op 1, a truncated one: nothing. */
        memcpy(rarp + 8, mac_gw, 6);
        memcpy(rarp + 18, mac_gw, 6);
        assert_int_equal(dhcp4_dna_receive(dna, DHCP4_DNA_ETHERTYPE_RARP, mac_gw, rarp, sizeof(rarp), t + SEC),
                         DHCP4_DNA_RX_IGNORED);
        rarp[7] = 1;
        assert_int_equal(dhcp4_dna_receive(dna, DHCP4_DNA_ETHERTYPE_RARP, mac_gw, rarp, sizeof(rarp), t + SEC),
                         DHCP4_DNA_RX_MALFORMED);
        assert_int_equal(dhcp4_dna_receive(dna, DHCP4_DNA_ETHERTYPE_RARP, mac_gw, rarp, 27, t + SEC),
                         DHCP4_DNA_RX_MALFORMED);
        assert_int_equal(dhcp4_dna_receive(dna, 0x0800, mac_gw, rarp, sizeof(rarp), t + SEC), DHCP4_DNA_RX_MALFORMED);
        assert_int_equal(drain(dna, a, ELEMENTSOF(a)), 0);

        /* Gratuitous ARP for our address with our MAC, received: the hypervisor's. */
        t += 2 * SEC;
        assert_int_equal(rx_arp(dna, DHCP4_ACD_ARP_REQUEST, mac_us, "10.0.128.64", "10.0.128.64", t),
                         DHCP4_DNA_RX_USED);
        n = drain(dna, a, ELEMENTSOF(a));
        assert_int_equal(count(a, n, DHCP4_DNA_ACTION_SEND), 1);
        assert_int_equal(rx_reply(dna, mac_gw, "10.0.0.1", t + MS), 0);
        drain(dna, a, ELEMENTSOF(a));
        /* Our own test request echoed: not a hint. */
        assert_int_equal(rx_arp(dna, DHCP4_ACD_ARP_REQUEST, mac_us, "10.0.128.64", "10.0.0.1", t + SEC), DHCP4_DNA_RX_OWN);
        /* Someone else's traffic, a bad payload. */
        assert_int_equal(rx_arp(dna, DHCP4_ACD_ARP_REQUEST, mac_any, "10.0.9.9", "10.0.0.1", t + SEC),
                         DHCP4_DNA_RX_IGNORED);
        assert_int_equal(dhcp4_dna_receive(dna, DHCP4_DNA_ETHERTYPE_ARP, mac_any, rarp, 10, t + SEC),
                         DHCP4_DNA_RX_MALFORMED);
        assert_int_equal(drain(dna, a, ELEMENTSOF(a)), 0);
        dhcp4_dna_free(dna);
}

/* A flapping peer (silent, then answering, then silent ...) with the server confirming
 * each time: at most confirm_burst confirmations back to back, then one per interval;
 * a rate-limited doubt is tested again when the next is allowed. */
static void test_flapping_rate_limit(void **state) {
        Dhcp4DnaConfig c = cfg_default();
        Dhcp4Lease l = lease("10.0.128.64", 16, "10.99.0.1", "10.0.0.1");
        Dhcp4DnaAction a[40];
        Dhcp4DnaCheck chk;
        uint64_t now, t;
        size_t n;
        unsigned confirms = 0;
        Dhcp4Dna *dna = dna_watching(&c, &now);

        t = now + SEC;
        for (int i = 0; i < 5; i++) {
                assert_int_equal(dhcp4_dna_hint(dna, DHCP4_DNA_TRIGGER_NOTIFY_PEERS, t), 0);
                drain(dna, a, ELEMENTSOF(a));
                assert_int_equal(dhcp4_dna_timeout(dna, t + 50 * MS), 0);
                drain(dna, a, ELEMENTSOF(a));
                assert_int_equal(dhcp4_dna_timeout(dna, t + 100 * MS), 0);
                n = drain(dna, a, ELEMENTSOF(a));
                confirms += count(a, n, DHCP4_DNA_ACTION_CONFIRM);
                assert_true(dhcp4_dna_get_last_check(dna, &chk));
                if (i < 3) {
                        assert_int_equal(chk.outcome, DHCP4_DNA_OUTCOME_CONFIRMING);
                        assert_int_equal(dhcp4_dna_set_lease(dna, &l, t + 110 * MS), 0);
                        drain(dna, a, ELEMENTSOF(a));
                        /* The peer answers again (flaps back): usable again. */
                        assert_int_equal(rx_arp(dna, 1, mac_gw, "10.0.0.1", "10.0.0.9", t + 120 * MS), 0);
                } else {
                        assert_int_equal(chk.outcome, DHCP4_DNA_OUTCOME_RATE_LIMITED);
                        assert_int_equal(dhcp4_dna_get_state(dna), DHCP4_DNA_STATE_WATCHING);
                }
                t += 1 * SEC;
        }
        assert_int_equal(confirms, 3);
        assert_int_equal(dhcp4_dna_get_confirmations(dna), 3);

        /* The retry comes when a token is back: 30 s after the first confirmation. */
        assert_int_equal(dhcp4_dna_next_deadline(dna), now + SEC + 100 * MS + 30 * SEC);
        t = dhcp4_dna_next_deadline(dna);
        assert_int_equal(dhcp4_dna_timeout(dna, t), 0);
        n = drain(dna, a, ELEMENTSOF(a));
        assert_int_equal(count(a, n, DHCP4_DNA_ACTION_SEND), 1);
        assert_true(dhcp4_dna_get_last_check(dna, &chk));
        assert_int_equal(chk.trigger, DHCP4_DNA_TRIGGER_RETRY);
        /* Answered now: no confirmation needed after all. */
        assert_int_equal(rx_reply(dna, mac_gw, "10.0.0.1", t + MS), 0);
        n = drain(dna, a, ELEMENTSOF(a));
        assert_int_equal(count(a, n, DHCP4_DNA_ACTION_CONFIRM), 0);
        assert_int_equal(dhcp4_dna_get_confirmations(dna), 3);

        /* A command is never rate limited. */
        assert_int_equal(rx_arp(dna, 1, mac_gw2, "10.0.0.1", "10.0.0.9", t + 2 * MS), 0); /* hint deferred */
        assert_int_equal(dhcp4_dna_hint(dna, DHCP4_DNA_TRIGGER_COMMAND, t + 3 * MS), 0);
        drain(dna, a, ELEMENTSOF(a));
        assert_true(dhcp4_dna_get_last_check(dna, &chk));
        assert_int_equal(chk.trigger, DHCP4_DNA_TRIGGER_COMMAND);
        dhcp4_dna_free(dna);
}

/* Real moves back and forth cost no token: only confirmations the server dispels do. */
static void test_moves_not_rate_limited(void **state) {
        Dhcp4DnaConfig c = cfg_default();
        Dhcp4Lease l1 = lease("10.0.128.64", 16, "10.99.0.1", NULL), l2 = lease("10.1.0.77", 16, "10.99.0.1", NULL);
        Dhcp4DnaAction a[40];
        Dhcp4Dna *dna = dna_new(&c);
        uint64_t t = T0;
        size_t n;

        assert_int_equal(dhcp4_dna_set_lease(dna, &l1, t), 0);
        drain(dna, a, ELEMENTSOF(a));
        for (int i = 0; i < 6; i++) {
                t += SEC;
                assert_int_equal(dhcp4_dna_hint(dna, DHCP4_DNA_TRIGGER_ANNOUNCE, t), 0);
                n = drain(dna, a, ELEMENTSOF(a));
                assert_int_equal(count(a, n, DHCP4_DNA_ACTION_CONFIRM), 1);
                assert_int_equal(dhcp4_dna_set_lease(dna, i % 2 ? &l1 : &l2, t + 10 * MS), 0);
                drain(dna, a, ELEMENTSOF(a));
        }
        assert_int_equal(dhcp4_dna_get_confirmations(dna), 6);
        /* ... while dispelled doubts do: 3, then rate limited. */
        for (int i = 0; i < 4; i++) {
                t += SEC;
                assert_int_equal(dhcp4_dna_hint(dna, DHCP4_DNA_TRIGGER_ANNOUNCE, t), 0);
                n = drain(dna, a, ELEMENTSOF(a));
                assert_int_equal(count(a, n, DHCP4_DNA_ACTION_CONFIRM), i < 3);
                if (i < 3) {
                        assert_int_equal(dhcp4_dna_set_lease(dna, &l1, t + 10 * MS), 0);
                        drain(dna, a, ELEMENTSOF(a));
                }
        }
        dhcp4_dna_free(dna);
}

static void test_token_refill(void **state) {
        Dhcp4DnaConfig c = cfg_default();
        Dhcp4Lease l = lease("10.0.128.64", 16, "10.99.0.1", NULL); /* no peer: hints confirm directly */
        Dhcp4DnaAction a[40];
        Dhcp4Dna *dna;
        uint64_t t = T0;
        size_t n;

        c.confirm_burst = 2;
        c.confirm_interval_usec = 10 * SEC;
        dna = dna_new(&c);
        assert_int_equal(dhcp4_dna_set_lease(dna, &l, t), 0);
        n = drain(dna, a, ELEMENTSOF(a));
        assert_int_equal(n, 1);
        assert_int_equal(a[0].event, DHCP4_DNA_EVENT_NO_PEER);

        for (int i = 0; i < 3; i++) {
                t += SEC;
                assert_int_equal(dhcp4_dna_hint(dna, DHCP4_DNA_TRIGGER_ANNOUNCE, t), 0);
                n = drain(dna, a, ELEMENTSOF(a));
                assert_int_equal(count(a, n, DHCP4_DNA_ACTION_CONFIRM), i < 2);
                if (i < 2) {
                        assert_non_null(strstr(find(a, n, DHCP4_DNA_ACTION_CONFIRM)->text, "no usable peer"));
                        assert_int_equal(dhcp4_dna_set_lease(dna, &l, t + 10 * MS), 0);
                        drain(dna, a, ELEMENTSOF(a));
                }
        }
        /* First token back 10 s after the first confirmation (T0 + 1 s), the second 10 s later. */
        assert_int_equal(dhcp4_dna_next_deadline(dna), T0 + 11 * SEC);
        assert_int_equal(dhcp4_dna_timeout(dna, T0 + 11 * SEC), 0);
        n = drain(dna, a, ELEMENTSOF(a));
        assert_int_equal(count(a, n, DHCP4_DNA_ACTION_CONFIRM), 1);
        assert_int_equal(dhcp4_dna_set_lease(dna, &l, T0 + 11 * SEC), 0);
        drain(dna, a, ELEMENTSOF(a));
        /* Burst refills to 2 after a quiet period. */
        t = T0 + 60 * SEC;
        for (int i = 0; i < 2; i++) {
                assert_int_equal(dhcp4_dna_hint(dna, DHCP4_DNA_TRIGGER_LINK_CHANGE, t), 0);
                n = drain(dna, a, ELEMENTSOF(a));
                assert_int_equal(count(a, n, DHCP4_DNA_ACTION_CONFIRM), 1);
                assert_int_equal(dhcp4_dna_set_lease(dna, &l, t), 0);
                drain(dna, a, ELEMENTSOF(a));
                t += SEC;
        }
        /* The periodic check has nothing to test: no-peer, no DHCP. */
        t = dhcp4_dna_next_deadline(dna);
        assert_int_equal(dhcp4_dna_timeout(dna, t), 0);
        n = drain(dna, a, ELEMENTSOF(a));
        assert_int_equal(count(a, n, DHCP4_DNA_ACTION_CONFIRM), 0);
        dhcp4_dna_free(dna);
}

static void test_no_usable_peer(void **state) {
        Dhcp4DnaConfig c = cfg_default();
        Dhcp4Lease l = lease("10.0.128.64", 16, "10.99.0.1", "10.0.0.1");
        Dhcp4DnaAction a[40];
        Dhcp4DnaCheck chk;
        Dhcp4Dna *dna = dna_new(&c);
        uint64_t t;
        size_t n;

        /* The router never answers the learning requests (down): periodic checks have
         * nothing to test and say so once; a hint goes straight to DHCP. */
        assert_int_equal(dhcp4_dna_set_lease(dna, &l, T0), 0);
        drain(dna, a, ELEMENTSOF(a));
        assert_int_equal(dhcp4_dna_timeout(dna, T0 + 50 * MS), 0);
        drain(dna, a, ELEMENTSOF(a));
        t = dhcp4_dna_next_deadline(dna);
        assert_int_equal(dhcp4_dna_timeout(dna, t), 0);
        n = drain(dna, a, ELEMENTSOF(a));
        assert_int_equal(n, 1);
        assert_int_equal(a[0].event, DHCP4_DNA_EVENT_NO_PEER);
        assert_true(dhcp4_dna_get_last_check(dna, &chk));
        assert_int_equal(chk.outcome, DHCP4_DNA_OUTCOME_NO_PEER);
        t = dhcp4_dna_next_deadline(dna);
        assert_int_equal(dhcp4_dna_timeout(dna, t), 0);
        assert_int_equal(drain(dna, a, ELEMENTSOF(a)), 0); /* said once */
        assert_int_equal(dhcp4_dna_get_checks(dna), 0);

        assert_int_equal(dhcp4_dna_hint(dna, DHCP4_DNA_TRIGGER_NOTIFY_PEERS, t + SEC), 0);
        n = drain(dna, a, ELEMENTSOF(a));
        assert_int_equal(count(a, n, DHCP4_DNA_ACTION_SEND), 0);
        assert_int_equal(count(a, n, DHCP4_DNA_ACTION_CONFIRM), 1);
        assert_int_equal(dhcp4_dna_get_state(dna), DHCP4_DNA_STATE_CONFIRMING);

        /* The engine cannot confirm (not bound): back to watching. */
        assert_int_equal(dhcp4_dna_confirm_abort(dna, t + SEC), 0);
        n = drain(dna, a, ELEMENTSOF(a));
        assert_int_equal(n, 1);
        assert_true(dhcp4_dna_get_last_check(dna, &chk));
        assert_int_equal(chk.outcome, DHCP4_DNA_OUTCOME_ABORTED);
        assert_int_equal(dhcp4_dna_get_state(dna), DHCP4_DNA_STATE_WATCHING);
        assert_int_equal(dhcp4_dna_confirm_abort(dna, t + SEC), 0); /* nothing pending: no-op */
        assert_int_equal(drain(dna, a, ELEMENTSOF(a)), 0);
        dhcp4_dna_free(dna);
}

static void test_clear_disabled_full(void **state) {
        Dhcp4DnaConfig c = cfg_default();
        Dhcp4Lease l = lease("10.0.128.64", 16, "10.99.0.1", "10.0.0.1");
        Dhcp4DnaAction a[40];
        Dhcp4DnaCheck chk;
        uint64_t now;
        Dhcp4Dna *dna = dna_watching(&c, &now);

        /* Clear during a check: IDLE, nothing queued, no deadline, outcome aborted. */
        assert_int_equal(dhcp4_dna_hint(dna, DHCP4_DNA_TRIGGER_COMMAND, now + SEC), 0);
        assert_int_equal(dhcp4_dna_clear(dna), 0);
        assert_int_equal(dhcp4_dna_pop_action(dna, &a[0]), 0);
        assert_int_equal(dhcp4_dna_get_state(dna), DHCP4_DNA_STATE_IDLE);
        assert_int_equal(dhcp4_dna_next_deadline(dna), USEC_INFINITY);
        assert_int_equal(dhcp4_dna_get_next_check(dna), USEC_INFINITY);
        assert_true(dhcp4_dna_get_last_check(dna, &chk));
        assert_int_equal(chk.outcome, DHCP4_DNA_OUTCOME_ABORTED);
        assert_int_equal(dhcp4_dna_hint(dna, DHCP4_DNA_TRIGGER_COMMAND, now + SEC), 0);
        assert_int_equal(rx_reply(dna, mac_gw, "10.0.0.1", now + SEC), DHCP4_DNA_RX_IDLE);
        assert_int_equal(dhcp4_dna_get_peers(dna, NULL, 0), 0);

        /* Full queue: refused before anything changes. */
        assert_int_equal(dhcp4_dna_set_lease(dna, &l, now + 2 * SEC), 0);
        for (int i = 0; i < 20; i++)
                (void) dhcp4_dna_set_lease(dna, &l, now + 2 * SEC);
        assert_int_equal(dhcp4_dna_hint(dna, DHCP4_DNA_TRIGGER_COMMAND, now + 3 * SEC), -ENOBUFS);
        assert_int_equal(dhcp4_dna_timeout(dna, now + 3 * SEC), -ENOBUFS);
        assert_int_equal(rx_reply(dna, mac_gw, "10.0.0.1", now + 3 * SEC), -ENOBUFS);
        dhcp4_dna_free(dna);

        /* Disabled: a pass-through. */
        c.enabled = false;
        dna = dna_new(&c);
        assert_false(dhcp4_dna_get_enabled(dna));
        assert_int_equal(dhcp4_dna_set_lease(dna, &l, T0), 0);
        assert_int_equal(dhcp4_dna_pop_action(dna, &a[0]), 0);
        assert_int_equal(dhcp4_dna_get_state(dna), DHCP4_DNA_STATE_IDLE);
        assert_int_equal(dhcp4_dna_hint(dna, DHCP4_DNA_TRIGGER_COMMAND, T0), 0);
        assert_int_equal(dhcp4_dna_pop_action(dna, &a[0]), 0);
        assert_int_equal(dhcp4_dna_next_deadline(dna), USEC_INFINITY);
        dhcp4_dna_free(dna);

        /* No periodic check configured: only hints. */
        dhcp4_dna_config_init(&c);
        c.check_interval_usec = 0;
        dna = dna_new(&c);
        assert_int_equal(dhcp4_dna_set_lease(dna, &l, T0), 0);
        drain(dna, a, ELEMENTSOF(a));
        assert_int_equal(dhcp4_dna_timeout(dna, T0 + 50 * MS), 0);
        drain(dna, a, ELEMENTSOF(a));
        assert_int_equal(dhcp4_dna_next_deadline(dna), USEC_INFINITY);
        dhcp4_dna_free(dna);
}

static void test_invalid_and_strings(void **state) {
        Dhcp4DnaConfig c = cfg_default();
        static const uint8_t zero[6];
        Dhcp4Dna *dna = NULL;

        assert_int_equal(dhcp4_dna_new(&dna, &c, zero, 1), -EINVAL);
        c.probe_attempts = 0;
        assert_int_equal(dhcp4_dna_new(&dna, &c, mac_us, 1), -EINVAL);
        c = cfg_default();
        c.probe_timeout_usec = 0;
        assert_int_equal(dhcp4_dna_new(&dna, &c, mac_us, 1), -EINVAL);
        c = cfg_default();
        c.confirm_burst = 101;
        assert_int_equal(dhcp4_dna_new(&dna, &c, mac_us, 1), -EINVAL);
        c = cfg_default();
        c.n_extra = DHCP4_DNA_EXTRA_MAX + 1;
        assert_int_equal(dhcp4_dna_new(&dna, &c, mac_us, 1), -EINVAL);
        assert_null(dna);
        c = cfg_default();
        dna = dna_new(&c);
        assert_int_equal(dhcp4_dna_set_mac(dna, zero), -EINVAL);
        assert_int_equal(dhcp4_dna_set_mac(dna, mac_gw2), 0);
        assert_int_equal(dhcp4_dna_set_lease(dna, NULL, T0), -EINVAL);
        assert_int_equal(dhcp4_dna_pop_action(dna, NULL), -EINVAL);
        assert_false(dhcp4_dna_get_last_check(dna, NULL));
        dhcp4_dna_free(dna);
        assert_null(dhcp4_dna_free(NULL));
        assert_int_equal(dhcp4_dna_timeout(NULL, T0), -EINVAL);

        for (int i = 0; i < _DHCP4_DNA_TRIGGER_MAX; i++)
                assert_non_null(dhcp4_dna_trigger_to_string(i));
        for (int i = 0; i < _DHCP4_DNA_OUTCOME_MAX; i++)
                assert_non_null(dhcp4_dna_outcome_to_string(i));
        for (int i = 0; i < _DHCP4_DNA_STATE_MAX; i++)
                assert_non_null(dhcp4_dna_state_to_string(i));
        for (int i = 0; i < _DHCP4_DNA_EVENT_MAX; i++)
                assert_non_null(dhcp4_dna_event_to_string(i));
        for (int i = 0; i < _DHCP4_DNA_RX_MAX; i++)
                assert_non_null(dhcp4_dna_rx_to_string(i));
        assert_null(dhcp4_dna_trigger_to_string(_DHCP4_DNA_TRIGGER_MAX));
        assert_null(dhcp4_dna_rx_to_string(-1));
        assert_string_equal(dhcp4_dna_outcome_to_string(DHCP4_DNA_OUTCOME_RATE_LIMITED), "rate-limited");
        assert_string_equal(dhcp4_dna_trigger_to_string(DHCP4_DNA_TRIGGER_NOTIFY_PEERS), "notify-peers");
        assert_string_equal(dhcp4_dna_peer_source_to_string(DHCP4_DNA_PEER_EXTRA), "extra");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_peers_from_lease),
                cmocka_unit_test(test_periodic_attached),
                cmocka_unit_test(test_slow_answer),
                cmocka_unit_test(test_silence_then_moved),
                cmocka_unit_test(test_widen_and_unresponsive),
                cmocka_unit_test(test_peer_changed_mac),
                cmocka_unit_test(test_hints_and_holdoff),
                cmocka_unit_test(test_announcements),
                cmocka_unit_test(test_flapping_rate_limit),
                cmocka_unit_test(test_token_refill),
                cmocka_unit_test(test_moves_not_rate_limited),
                cmocka_unit_test(test_no_usable_peer),
                cmocka_unit_test(test_clear_disabled_full),
                cmocka_unit_test(test_invalid_and_strings),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
