/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for the RFC 5227 ACD machine (src/dhcp4/dhcp4-acd.c) on a fake clock:
 * probe timings for both profiles, conflicts during probing (reply, simultaneous
 * probe, at every phase), what is ignored (own MACs, inconsistent probes, each
 * malformed field), announcements, the defence policy, stop, and the ARP codec.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "dhcp4-acd.h"
#include "dhcp4-config.h"
#include "macro.h"
#include "time-util.h"

#define MS USEC_PER_MSEC
#define SEC USEC_PER_SEC
#define T0 (1000 * SEC) /* the fake clock starts far from 0 */

static const uint8_t mac_us[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t mac_us2[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };
static const uint8_t mac_peer[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x99 };
static const uint8_t mac_other[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x77 };
static const uint8_t mac_zero[6] = {};

static struct in_addr ip(const char *s) {
        struct in_addr a;

        assert_int_equal(inet_pton(AF_INET, s, &a), 1);
        return a;
}

static Dhcp4AcdConfig cfg_profile(Dhcp4AcdProfile p) {
        Dhcp4AcdConfig c = {};

        dhcp4_acd_config_set_profile(&c, p);
        c.enabled = true;
        return c;
}

static Dhcp4Acd *acd_new_profile(Dhcp4AcdProfile p, uint64_t seed) {
        Dhcp4AcdConfig c = cfg_profile(p);
        Dhcp4Acd *acd = NULL;

        assert_int_equal(dhcp4_acd_new(&acd, &c, mac_us, seed), 0);
        assert_non_null(acd);
        return acd;
}

static size_t arp(uint8_t buf[DHCP4_ACD_ARP_LEN], uint16_t op, const uint8_t sha[6], const char *spa,
                  const char *tpa) {
        int r = dhcp4_acd_arp_build(buf, DHCP4_ACD_ARP_LEN, op, sha, ip(spa), NULL, ip(tpa));

        assert_int_equal(r, DHCP4_ACD_ARP_LEN);
        return (size_t) r;
}

/* Feeds an ARP packet whose frame source is its sender hardware address. */
static int rx(Dhcp4Acd *acd, uint16_t op, const uint8_t sha[6], const char *spa, const char *tpa, uint64_t now) {
        uint8_t b[DHCP4_ACD_ARP_LEN];
        size_t n = arp(b, op, sha, spa, tpa);

        return dhcp4_acd_receive(acd, sha, b, n, now);
}

static size_t drain(Dhcp4Acd *acd, Dhcp4AcdAction *out, size_t n) {
        Dhcp4AcdAction a;
        size_t k = 0;

        while (dhcp4_acd_pop_action(acd, &a) > 0) {
                assert_true(k < n);
                out[k++] = a;
        }
        return k;
}

static void assert_no_action(Dhcp4Acd *acd) {
        Dhcp4AcdAction a;

        assert_int_equal(dhcp4_acd_pop_action(acd, &a), 0);
}

static void assert_probe(const Dhcp4AcdAction *a, const uint8_t mac[6], const char *addr) {
        Dhcp4Arp p;

        assert_int_equal(a->type, DHCP4_ACD_ACTION_SEND);
        assert_int_equal(a->kind, DHCP4_ACD_SEND_PROBE);
        assert_int_equal(a->len, DHCP4_ACD_ARP_LEN);
        assert_int_equal(dhcp4_acd_arp_parse(a->arp, a->len, &p), 0);
        /* RFC 5227 §2.1.1: request, sender MAC ours, sender IP 0, target MAC 0, target IP. */
        assert_int_equal(p.op, DHCP4_ACD_ARP_REQUEST);
        assert_memory_equal(p.sha, mac, 6);
        assert_int_equal(p.spa.s_addr, 0);
        assert_memory_equal(p.tha, mac_zero, 6);
        assert_int_equal(p.tpa.s_addr, ip(addr).s_addr);
}

static void assert_announce(const Dhcp4AcdAction *a, Dhcp4AcdSendKind kind, const char *addr) {
        Dhcp4Arp p;

        assert_int_equal(a->type, DHCP4_ACD_ACTION_SEND);
        assert_int_equal(a->kind, kind);
        assert_int_equal(a->address.s_addr, ip(addr).s_addr);
        assert_int_equal(dhcp4_acd_arp_parse(a->arp, a->len, &p), 0);
        /* §2.3: request, sender = target IP = ours, target MAC zero. */
        assert_int_equal(p.op, DHCP4_ACD_ARP_REQUEST);
        assert_memory_equal(p.sha, mac_us, 6);
        assert_int_equal(p.spa.s_addr, ip(addr).s_addr);
        assert_int_equal(p.tpa.s_addr, ip(addr).s_addr);
        assert_memory_equal(p.tha, mac_zero, 6);
}

/* Runs a probe with no answers on the fake clock, firing every deadline exactly.
 * Records when each probe went out and when the result came (relative to start). */
typedef struct ProbeRun {
        uint64_t probe_at[8];
        size_t n_probes;
        uint64_t result_at;
        bool conflict;
} ProbeRun;

static ProbeRun run_probe_quiet(Dhcp4Acd *acd, const char *addr) {
        ProbeRun run = {};
        uint64_t now = T0;
        bool done = false;

        assert_int_equal(dhcp4_acd_start_probe(acd, ip(addr), now), 0);
        assert_int_equal(dhcp4_acd_get_state(acd), DHCP4_ACD_STATE_PROBING);
        assert_no_action(acd);

        for (int guard = 0; guard < 100 && !done; guard++) {
                Dhcp4AcdAction acts[4];
                uint64_t d = dhcp4_acd_next_deadline(acd);
                size_t n;

                assert_true(d != UINT64_MAX);
                assert_true(d >= now);
                /* Early calls change nothing. */
                if (d > now) {
                        assert_int_equal(dhcp4_acd_timeout(acd, d - 1), 0);
                        assert_no_action(acd);
                }
                now = d;
                assert_int_equal(dhcp4_acd_timeout(acd, now), 0);
                n = drain(acd, acts, ELEMENTSOF(acts));
                assert_int_equal(n, 1);
                if (acts[0].type == DHCP4_ACD_ACTION_SEND) {
                        assert_probe(&acts[0], mac_us, addr);
                        assert_true(run.n_probes < ELEMENTSOF(run.probe_at));
                        run.probe_at[run.n_probes++] = now - T0;
                } else {
                        assert_int_equal(acts[0].type, DHCP4_ACD_ACTION_RESULT);
                        assert_int_equal(acts[0].address.s_addr, ip(addr).s_addr);
                        run.conflict = acts[0].conflict;
                        run.result_at = now - T0;
                        done = true;
                }
        }
        assert_true(done);
        assert_int_equal(dhcp4_acd_get_state(acd), DHCP4_ACD_STATE_IDLE);
        assert_true(dhcp4_acd_next_deadline(acd) == UINT64_MAX);
        return run;
}

static void check_probe_timings(Dhcp4AcdProfile profile, uint64_t total_min, uint64_t total_max) {
        Dhcp4AcdConfig c = cfg_profile(profile);
        uint64_t seen_min = UINT64_MAX, seen_max = 0;
        uint64_t gap_min = UINT64_MAX, gap_max = 0, first_max = 0;

        for (uint64_t seed = 0; seed < 500; seed++) {
                Dhcp4Acd *acd = acd_new_profile(profile, seed);
                ProbeRun r = run_probe_quiet(acd, "10.77.0.5");

                assert_false(r.conflict);
                assert_int_equal(r.n_probes, c.probe_num);
                /* §2.1.1: first probe after [0, PROBE_WAIT]. */
                assert_true(r.probe_at[0] <= c.probe_wait_usec);
                first_max = MAX(first_max, r.probe_at[0]);
                /* ... spaced uniformly in [PROBE_MIN, PROBE_MAX] ... */
                for (size_t i = 1; i < r.n_probes; i++) {
                        uint64_t gap = r.probe_at[i] - r.probe_at[i - 1];

                        assert_true(gap >= c.probe_min_usec);
                        assert_true(gap <= c.probe_max_usec);
                        gap_min = MIN(gap_min, gap);
                        gap_max = MAX(gap_max, gap);
                }
                /* ... and free ANNOUNCE_WAIT after the last one. */
                assert_true(r.result_at == r.probe_at[r.n_probes - 1] + c.announce_wait_usec);
                assert_true(r.result_at >= total_min);
                assert_true(r.result_at <= total_max);
                seen_min = MIN(seen_min, r.result_at);
                seen_max = MAX(seen_max, r.result_at);
                dhcp4_acd_free(acd);
        }
        /* The jitter really is spread over its range (not stuck at one end). */
        assert_true(first_max > c.probe_wait_usec / 2);
        assert_true(gap_min < c.probe_min_usec + (c.probe_max_usec - c.probe_min_usec) / 4);
        assert_true(gap_max > c.probe_max_usec - (c.probe_max_usec - c.probe_min_usec) / 4);
        assert_true(seen_max - seen_min > (total_max - total_min) / 2);
}

static void test_probe_free_datacenter(void **state) {
        /* Worst case 10 + 2 × 50 + 80 = 190 ms, best 0 + 2 × 30 + 80 = 140 ms:
         * within the ≤ 200 ms budget of issue 3. */
        check_probe_timings(DHCP4_ACD_PROFILE_DATACENTER, 140 * MS, 190 * MS);
        assert_true(190 * MS <= 200 * MS);
}

static void test_probe_free_rfc5227(void **state) {
        /* RFC 5227 §2.1.1 constants: 0 + 2 × 1 + 2 = 4 s to 1 + 2 × 2 + 2 = 7 s. */
        check_probe_timings(DHCP4_ACD_PROFILE_RFC5227, 4 * SEC, 7 * SEC);
}

static void test_probe_deterministic(void **state) {
        Dhcp4Acd *a = acd_new_profile(DHCP4_ACD_PROFILE_DATACENTER, 42);
        Dhcp4Acd *b = acd_new_profile(DHCP4_ACD_PROFILE_DATACENTER, 42);
        Dhcp4Acd *c = acd_new_profile(DHCP4_ACD_PROFILE_DATACENTER, 43);
        ProbeRun ra = run_probe_quiet(a, "10.77.0.5");
        ProbeRun rb = run_probe_quiet(b, "10.77.0.5");
        ProbeRun rc = run_probe_quiet(c, "10.77.0.5");

        assert_memory_equal(ra.probe_at, rb.probe_at, sizeof(ra.probe_at));
        assert_true(ra.result_at == rb.result_at);
        assert_true(memcmp(ra.probe_at, rc.probe_at, sizeof(ra.probe_at)) != 0);
        dhcp4_acd_free(a);
        dhcp4_acd_free(b);
        dhcp4_acd_free(c);
}

static void test_probe_late_wakeup(void **state) {
        Dhcp4Acd *acd = acd_new_profile(DHCP4_ACD_PROFILE_DATACENTER, 7);
        Dhcp4AcdAction act;
        uint64_t now = T0, prev;

        assert_int_equal(dhcp4_acd_start_probe(acd, ip("10.77.0.5"), now), 0);
        /* The caller wakes 1 s late: one probe per call, and the next gap is counted
         * from the actual send, never collapsed. */
        now = dhcp4_acd_next_deadline(acd) + SEC;
        assert_int_equal(dhcp4_acd_timeout(acd, now), 0);
        assert_int_equal(dhcp4_acd_pop_action(acd, &act), 1);
        assert_probe(&act, mac_us, "10.77.0.5");
        assert_no_action(acd);
        prev = now;
        assert_true(dhcp4_acd_next_deadline(acd) >= prev + 30 * MS);
        assert_true(dhcp4_acd_next_deadline(acd) <= prev + 50 * MS);
        dhcp4_acd_free(acd);
}

/* Starts a probe and fires deadlines until `probes` probes are out. Returns now. */
static uint64_t probe_until(Dhcp4Acd *acd, const char *addr, unsigned probes) {
        uint64_t now = T0;
        Dhcp4AcdAction act;

        assert_int_equal(dhcp4_acd_start_probe(acd, ip(addr), now), 0);
        for (unsigned i = 0; i < probes; i++) {
                now = dhcp4_acd_next_deadline(acd);
                assert_int_equal(dhcp4_acd_timeout(acd, now), 0);
                assert_int_equal(dhcp4_acd_pop_action(acd, &act), 1);
                assert_probe(&act, mac_us, addr);
        }
        return now;
}

static void assert_conflict_result(Dhcp4Acd *acd, const uint8_t mac[6], const char *addr) {
        Dhcp4AcdAction act;
        uint8_t m[6];

        assert_int_equal(dhcp4_acd_pop_action(acd, &act), 1);
        assert_int_equal(act.type, DHCP4_ACD_ACTION_RESULT);
        assert_true(act.conflict);
        assert_memory_equal(act.mac, mac, 6);
        assert_int_equal(act.address.s_addr, ip(addr).s_addr);
        assert_no_action(acd);
        assert_int_equal(dhcp4_acd_get_state(acd), DHCP4_ACD_STATE_IDLE);
        assert_true(dhcp4_acd_next_deadline(acd) == UINT64_MAX);
        assert_true(dhcp4_acd_get_conflict_mac(acd, m));
        assert_memory_equal(m, mac, 6);
}

static void test_probe_conflict_reply(void **state) {
        /* A reply from the holder, at every phase: before the first probe, between
         * probes, and during ANNOUNCE_WAIT after the last one (§2.1.1). */
        for (unsigned probes = 0; probes <= 3; probes++) {
                Dhcp4Acd *acd = acd_new_profile(DHCP4_ACD_PROFILE_DATACENTER, probes);
                uint64_t now = probe_until(acd, "10.77.0.5", probes);

                assert_int_equal(rx(acd, DHCP4_ACD_ARP_REPLY, mac_peer, "10.77.0.5", "0.0.0.0", now + MS),
                                 DHCP4_ACD_RX_CONFLICT);
                assert_conflict_result(acd, mac_peer, "10.77.0.5");
                assert_int_equal(dhcp4_acd_get_conflicts(acd), 1);
                /* Nothing more: late timeouts and packets do nothing. */
                assert_int_equal(dhcp4_acd_timeout(acd, now + 10 * SEC), 0);
                assert_no_action(acd);
                assert_int_equal(rx(acd, DHCP4_ACD_ARP_REPLY, mac_peer, "10.77.0.5", "0.0.0.0", now + 2 * MS),
                                 DHCP4_ACD_RX_IDLE);
                assert_no_action(acd);
                dhcp4_acd_free(acd);
        }
}

static void test_probe_conflict_request_from_holder(void **state) {
        /* Any ARP (a request too) whose sender IP is the address is a conflict. */
        Dhcp4Acd *acd = acd_new_profile(DHCP4_ACD_PROFILE_DATACENTER, 1);
        uint64_t now = probe_until(acd, "10.77.0.5", 1);

        assert_int_equal(rx(acd, DHCP4_ACD_ARP_REQUEST, mac_peer, "10.77.0.5", "10.77.0.1", now),
                         DHCP4_ACD_RX_CONFLICT);
        assert_conflict_result(acd, mac_peer, "10.77.0.5");
        dhcp4_acd_free(acd);
}

static void test_probe_conflict_simultaneous(void **state) {
        /* §2.1.1: another host probing for the same address at the same time. */
        Dhcp4Acd *acd = acd_new_profile(DHCP4_ACD_PROFILE_DATACENTER, 2);
        uint64_t now = probe_until(acd, "10.77.0.5", 2);

        assert_int_equal(rx(acd, DHCP4_ACD_ARP_REQUEST, mac_peer, "0.0.0.0", "10.77.0.5", now),
                         DHCP4_ACD_RX_CONFLICT);
        assert_conflict_result(acd, mac_peer, "10.77.0.5");
        assert_int_equal(dhcp4_acd_get_conflicts(acd), 1);
        dhcp4_acd_free(acd);
}

static void test_probe_no_conflict(void **state) {
        Dhcp4Acd *acd = acd_new_profile(DHCP4_ACD_PROFILE_DATACENTER, 3);
        uint64_t now = probe_until(acd, "10.77.0.5", 1);
        uint8_t m[6];

        /* Somebody resolving our future address (a request, not a probe: its sender
         * IP is set) is no conflict — nor a probe or reply about another address. */
        assert_int_equal(rx(acd, DHCP4_ACD_ARP_REQUEST, mac_peer, "10.77.0.1", "10.77.0.5", now),
                         DHCP4_ACD_RX_NO_CONFLICT);
        assert_int_equal(rx(acd, DHCP4_ACD_ARP_REQUEST, mac_peer, "0.0.0.0", "10.77.0.6", now),
                         DHCP4_ACD_RX_NO_CONFLICT);
        assert_int_equal(rx(acd, DHCP4_ACD_ARP_REPLY, mac_peer, "10.77.0.6", "10.77.0.5", now),
                         DHCP4_ACD_RX_NO_CONFLICT);
        /* A reply with sender IP 0 is not a probe. */
        assert_int_equal(rx(acd, DHCP4_ACD_ARP_REPLY, mac_peer, "0.0.0.0", "10.77.0.5", now),
                         DHCP4_ACD_RX_NO_CONFLICT);
        assert_no_action(acd);
        assert_int_equal(dhcp4_acd_get_state(acd), DHCP4_ACD_STATE_PROBING);
        assert_int_equal(dhcp4_acd_get_conflicts(acd), 0);
        assert_false(dhcp4_acd_get_conflict_mac(acd, m));
        dhcp4_acd_free(acd);
}

static void test_own_mac_ignored(void **state) {
        Dhcp4Acd *acd = acd_new_profile(DHCP4_ACD_PROFILE_DATACENTER, 4);
        uint64_t now = probe_until(acd, "10.77.0.5", 1);
        uint8_t b[DHCP4_ACD_ARP_LEN];
        size_t n;

        /* Our own probe echoed back by a hub or access point. */
        assert_int_equal(rx(acd, DHCP4_ACD_ARP_REQUEST, mac_us, "0.0.0.0", "10.77.0.5", now),
                         DHCP4_ACD_RX_OWN_MAC);
        assert_int_equal(rx(acd, DHCP4_ACD_ARP_REPLY, mac_us, "10.77.0.5", "10.77.0.1", now),
                         DHCP4_ACD_RX_OWN_MAC);
        /* Another interface of this host: a conflict until registered. */
        assert_int_equal(dhcp4_acd_add_own_mac(acd, mac_us2), 0);
        assert_int_equal(dhcp4_acd_add_own_mac(acd, mac_us2), 0); /* idempotent */
        assert_int_equal(rx(acd, DHCP4_ACD_ARP_REPLY, mac_us2, "10.77.0.5", "10.77.0.1", now),
                         DHCP4_ACD_RX_OWN_MAC);
        /* A frame sent from one of our MACs, whatever its ARP sender says. */
        n = arp(b, DHCP4_ACD_ARP_REPLY, mac_peer, "10.77.0.5", "10.77.0.1");
        assert_int_equal(dhcp4_acd_receive(acd, mac_us2, b, n, now), DHCP4_ACD_RX_OWN_MAC);
        assert_no_action(acd);
        assert_int_equal(dhcp4_acd_get_state(acd), DHCP4_ACD_STATE_PROBING);
        assert_int_equal(dhcp4_acd_get_conflicts(acd), 0);

        /* The probe still completes. */
        while (dhcp4_acd_get_state(acd) == DHCP4_ACD_STATE_PROBING) {
                Dhcp4AcdAction act;

                assert_int_equal(dhcp4_acd_timeout(acd, dhcp4_acd_next_deadline(acd)), 0);
                assert_int_equal(dhcp4_acd_pop_action(acd, &act), 1);
                if (act.type == DHCP4_ACD_ACTION_RESULT)
                        assert_false(act.conflict);
        }
        dhcp4_acd_free(acd);
}

static void test_own_mac_limits(void **state) {
        Dhcp4Acd *acd = acd_new_profile(DHCP4_ACD_PROFILE_DATACENTER, 5);
        uint8_t m[6] = { 0x02, 0x10, 0, 0, 0, 0 };

        assert_int_equal(dhcp4_acd_add_own_mac(acd, mac_zero), -EINVAL);
        assert_int_equal(dhcp4_acd_add_own_mac(acd, mac_us), 0); /* already ours */
        for (unsigned i = 0; i < DHCP4_ACD_OWN_MAC_MAX; i++) {
                m[5] = (uint8_t) i;
                assert_int_equal(dhcp4_acd_add_own_mac(acd, m), 0);
        }
        m[5] = 0xff;
        assert_int_equal(dhcp4_acd_add_own_mac(acd, m), -ENOSPC);
        dhcp4_acd_free(acd);
}

static void test_set_mac(void **state) {
        Dhcp4Acd *acd = acd_new_profile(DHCP4_ACD_PROFILE_DATACENTER, 6);
        uint64_t now = probe_until(acd, "10.77.0.5", 1);
        Dhcp4AcdAction act;

        assert_int_equal(dhcp4_acd_set_mac(acd, mac_zero), -EINVAL);
        assert_int_equal(dhcp4_acd_set_mac(acd, mac_us2), 0);
        now = dhcp4_acd_next_deadline(acd);
        assert_int_equal(dhcp4_acd_timeout(acd, now), 0);
        assert_int_equal(dhcp4_acd_pop_action(acd, &act), 1);
        assert_probe(&act, mac_us2, "10.77.0.5");
        /* The new MAC is ours; the old one is not any more. */
        assert_int_equal(rx(acd, DHCP4_ACD_ARP_REQUEST, mac_us2, "0.0.0.0", "10.77.0.5", now),
                         DHCP4_ACD_RX_OWN_MAC);
        assert_int_equal(rx(acd, DHCP4_ACD_ARP_REQUEST, mac_us, "0.0.0.0", "10.77.0.5", now),
                         DHCP4_ACD_RX_CONFLICT);
        assert_conflict_result(acd, mac_us, "10.77.0.5");
        dhcp4_acd_free(acd);
}

static void test_frame_mismatch_ignored(void **state) {
        Dhcp4Acd *acd = acd_new_profile(DHCP4_ACD_PROFILE_DATACENTER, 8);
        uint64_t now = probe_until(acd, "10.77.0.5", 1);
        uint8_t b[DHCP4_ACD_ARP_LEN];
        size_t n;

        /* A probe whose frame came from another MAC than its ARP sender: malformed
         * (§2.1.1 requires the sender hardware address of the sending interface). */
        n = arp(b, DHCP4_ACD_ARP_REQUEST, mac_peer, "0.0.0.0", "10.77.0.5");
        assert_int_equal(dhcp4_acd_receive(acd, mac_other, b, n, now), DHCP4_ACD_RX_FRAME_MISMATCH);
        assert_no_action(acd);
        assert_int_equal(dhcp4_acd_get_state(acd), DHCP4_ACD_STATE_PROBING);
        assert_int_equal(dhcp4_acd_get_conflicts(acd), 0);

        /* Without a frame source the check cannot be made: the probe counts. */
        assert_int_equal(dhcp4_acd_receive(acd, NULL, b, n, now), DHCP4_ACD_RX_CONFLICT);
        assert_conflict_result(acd, mac_peer, "10.77.0.5");
        dhcp4_acd_free(acd);

        /* A reply from the holder relayed with another frame source is still a
         * conflict: only probes carry the consistency requirement. */
        acd = acd_new_profile(DHCP4_ACD_PROFILE_DATACENTER, 9);
        now = probe_until(acd, "10.77.0.5", 1);
        n = arp(b, DHCP4_ACD_ARP_REPLY, mac_peer, "10.77.0.5", "0.0.0.0");
        assert_int_equal(dhcp4_acd_receive(acd, mac_other, b, n, now), DHCP4_ACD_RX_CONFLICT);
        assert_conflict_result(acd, mac_peer, "10.77.0.5");
        dhcp4_acd_free(acd);
}

static void test_malformed_ignored(void **state) {
        static const struct {
                size_t offset;
                uint8_t value;
                int expect;
        } cases[] = {
                { 0, 0x01, DHCP4_ACD_RX_BAD_HTYPE }, /* htype 0x0001 → 0x0101 ... */
                { 1, 0x06, DHCP4_ACD_RX_BAD_HTYPE }, /* ... → 6 (IEEE 802) */
                { 2, 0x86, DHCP4_ACD_RX_BAD_PTYPE }, /* ptype 0x86dd */
                { 3, 0x06, DHCP4_ACD_RX_BAD_PTYPE }, /* ptype 0x0806 */
                { 4, 8, DHCP4_ACD_RX_BAD_HLEN },
                { 5, 16, DHCP4_ACD_RX_BAD_PLEN },
                { 7, 0, DHCP4_ACD_RX_BAD_OP },
                { 7, 3, DHCP4_ACD_RX_BAD_OP }, /* RARP request */
                { 6, 1, DHCP4_ACD_RX_BAD_OP }, /* 0x0102 */
        };
        Dhcp4Acd *acd = acd_new_profile(DHCP4_ACD_PROFILE_DATACENTER, 10);
        uint64_t now = probe_until(acd, "10.77.0.5", 1);
        uint8_t good[DHCP4_ACD_ARP_LEN + 18], b[sizeof(good)];
        Dhcp4Arp p = { .op = 0xabcd };

        memset(good, 0, sizeof(good));
        arp(good, DHCP4_ACD_ARP_REPLY, mac_peer, "10.77.0.5", "0.0.0.0");

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                memcpy(b, good, sizeof(b));
                b[cases[i].offset] = cases[i].value;
                assert_int_equal(dhcp4_acd_arp_parse(b, DHCP4_ACD_ARP_LEN, &p), cases[i].expect);
                assert_int_equal(p.op, 0xabcd); /* untouched */
                assert_int_equal(dhcp4_acd_receive(acd, mac_peer, b, DHCP4_ACD_ARP_LEN, now), cases[i].expect);
        }
        /* Every length short of 28 bytes, and no buffer at all. */
        for (size_t len = 0; len < DHCP4_ACD_ARP_LEN; len++)
                assert_int_equal(dhcp4_acd_receive(acd, mac_peer, good, len, now), DHCP4_ACD_RX_TOO_SHORT);
        assert_int_equal(dhcp4_acd_receive(acd, mac_peer, NULL, 28, now), DHCP4_ACD_RX_TOO_SHORT);
        assert_no_action(acd);
        assert_int_equal(dhcp4_acd_get_state(acd), DHCP4_ACD_STATE_PROBING);
        assert_int_equal(dhcp4_acd_get_conflicts(acd), 0);

        /* The same packet intact, with Ethernet padding (46 bytes), is a conflict:
         * the cases above failed for the field changed, nothing else. */
        assert_int_equal(dhcp4_acd_receive(acd, mac_peer, good, sizeof(good), now), DHCP4_ACD_RX_CONFLICT);
        assert_conflict_result(acd, mac_peer, "10.77.0.5");
        dhcp4_acd_free(acd);
}

static void test_arp_codec(void **state) {
        uint8_t b[DHCP4_ACD_ARP_LEN];
        static const uint8_t expect[DHCP4_ACD_ARP_LEN] = {
                0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02,       /* Ethernet, IPv4, 6, 4, reply */
                0x02, 0x00, 0x00, 0x00, 0x00, 0x99, 10, 77, 0, 5,     /* sha, spa */
                0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 10, 77, 0, 1,     /* tha, tpa */
        };
        Dhcp4Arp p;

        assert_int_equal(dhcp4_acd_arp_build(b, sizeof(b), DHCP4_ACD_ARP_REPLY, mac_peer, ip("10.77.0.5"), mac_us,
                                             ip("10.77.0.1")),
                         DHCP4_ACD_ARP_LEN);
        assert_memory_equal(b, expect, sizeof(expect));
        assert_int_equal(dhcp4_acd_arp_parse(b, sizeof(b), &p), 0);
        assert_int_equal(p.op, DHCP4_ACD_ARP_REPLY);
        assert_memory_equal(p.sha, mac_peer, 6);
        assert_memory_equal(p.tha, mac_us, 6);
        assert_int_equal(p.spa.s_addr, ip("10.77.0.5").s_addr);
        assert_int_equal(p.tpa.s_addr, ip("10.77.0.1").s_addr);

        assert_int_equal(dhcp4_acd_arp_build(b, sizeof(b) - 1, 1, mac_us, ip("1.2.3.4"), NULL, ip("1.2.3.4")),
                         -ENOBUFS);
        assert_int_equal(dhcp4_acd_arp_build(b, sizeof(b), 3, mac_us, ip("1.2.3.4"), NULL, ip("1.2.3.4")), -EINVAL);
        assert_int_equal(dhcp4_acd_arp_build(NULL, 28, 1, mac_us, ip("1.2.3.4"), NULL, ip("1.2.3.4")), -EINVAL);
        assert_int_equal(dhcp4_acd_arp_build(b, sizeof(b), 1, NULL, ip("1.2.3.4"), NULL, ip("1.2.3.4")), -EINVAL);
}

/* Announces addr (announce_num/interval from the profile) and fires the deadlines
 * until DEFENDING. Returns the time of the last announcement. */
static uint64_t announce_all(Dhcp4Acd *acd, const char *addr, uint64_t now, unsigned num, uint64_t interval) {
        Dhcp4AcdAction act;

        assert_int_equal(dhcp4_acd_start_announce(acd, ip(addr), now), 0);
        for (unsigned i = 0; i < num; i++) {
                if (i > 0) {
                        assert_int_equal(dhcp4_acd_get_state(acd), DHCP4_ACD_STATE_ANNOUNCING);
                        assert_true(dhcp4_acd_next_deadline(acd) == now + interval);
                        now += interval;
                        assert_int_equal(dhcp4_acd_timeout(acd, now), 0);
                }
                assert_int_equal(dhcp4_acd_pop_action(acd, &act), 1);
                assert_announce(&act, DHCP4_ACD_SEND_ANNOUNCE, addr);
                assert_no_action(acd);
        }
        assert_int_equal(dhcp4_acd_get_state(acd), DHCP4_ACD_STATE_DEFENDING);
        assert_true(dhcp4_acd_next_deadline(acd) == UINT64_MAX);
        assert_true(dhcp4_acd_get_address(acd).s_addr == ip(addr).s_addr);
        return now;
}

static void test_announce(void **state) {
        Dhcp4Acd *acd = acd_new_profile(DHCP4_ACD_PROFILE_DATACENTER, 11);

        /* Default: 2 announcements 2 s apart, the first one at once (§2.3). */
        announce_all(acd, "10.77.0.5", T0, 2, 2 * SEC);
        dhcp4_acd_free(acd);

        for (unsigned num = 0; num <= 4; num++) {
                Dhcp4AcdConfig c = cfg_profile(DHCP4_ACD_PROFILE_DATACENTER);

                c.announce_num = num;
                c.announce_interval_usec = 300 * MS;
                assert_int_equal(dhcp4_acd_new(&acd, &c, mac_us, num), 0);
                announce_all(acd, "10.77.0.6", T0, num, 300 * MS);
                dhcp4_acd_free(acd);
        }
}

static void test_announce_after_probe(void **state) {
        Dhcp4Acd *acd = acd_new_profile(DHCP4_ACD_PROFILE_DATACENTER, 12);
        ProbeRun r = run_probe_quiet(acd, "10.77.0.5");

        assert_false(r.conflict);
        announce_all(acd, "10.77.0.5", T0 + r.result_at, 2, 2 * SEC);
        dhcp4_acd_free(acd);
}

static void assert_defence(Dhcp4Acd *acd, const uint8_t mac[6], uint64_t at) {
        Dhcp4AcdAction act;
        uint64_t t;

        assert_int_equal(dhcp4_acd_pop_action(acd, &act), 1);
        assert_announce(&act, DHCP4_ACD_SEND_DEFEND, "10.77.0.5");
        assert_memory_equal(act.mac, mac, 6);
        assert_no_action(acd);
        assert_true(dhcp4_acd_get_last_defence(acd, &t));
        assert_true(t == at);
}

static void assert_lost(Dhcp4Acd *acd, const uint8_t mac[6]) {
        Dhcp4AcdAction act;

        assert_int_equal(dhcp4_acd_pop_action(acd, &act), 1);
        assert_int_equal(act.type, DHCP4_ACD_ACTION_LOST);
        assert_int_equal(act.address.s_addr, ip("10.77.0.5").s_addr);
        assert_memory_equal(act.mac, mac, 6);
        assert_no_action(acd);
        assert_int_equal(dhcp4_acd_get_state(acd), DHCP4_ACD_STATE_IDLE);
        assert_true(dhcp4_acd_next_deadline(acd) == UINT64_MAX);
        assert_false(dhcp4_acd_get_last_defence(acd, NULL));
}

static void test_defend_then_lost(void **state) {
        Dhcp4Acd *acd = acd_new_profile(DHCP4_ACD_PROFILE_DATACENTER, 13);
        uint64_t now = announce_all(acd, "10.77.0.5", T0, 2, 2 * SEC);
        uint64_t t1 = now + 30 * SEC;

        assert_false(dhcp4_acd_get_last_defence(acd, NULL));
        /* §2.4 (b): first conflict → one defending announcement. */
        assert_int_equal(rx(acd, DHCP4_ACD_ARP_REPLY, mac_peer, "10.77.0.5", "10.77.0.1", t1), DHCP4_ACD_RX_CONFLICT);
        assert_defence(acd, mac_peer, t1);
        assert_int_equal(dhcp4_acd_get_state(acd), DHCP4_ACD_STATE_DEFENDING);
        assert_int_equal(dhcp4_acd_get_conflicts(acd), 1);

        /* Second conflict within DEFEND_INTERVAL (10 s; just under) → LOST. */
        assert_int_equal(rx(acd, DHCP4_ACD_ARP_REQUEST, mac_other, "10.77.0.5", "10.77.0.1", t1 + 10 * SEC - 1),
                         DHCP4_ACD_RX_CONFLICT);
        assert_lost(acd, mac_other);
        assert_int_equal(dhcp4_acd_get_conflicts(acd), 2);
        dhcp4_acd_free(acd);
}

static void test_defend_again_after_interval(void **state) {
        Dhcp4Acd *acd = acd_new_profile(DHCP4_ACD_PROFILE_DATACENTER, 14);
        uint64_t now = announce_all(acd, "10.77.0.5", T0, 2, 2 * SEC);
        uint64_t t1 = now + SEC, t2 = t1 + 10 * SEC, t3 = t2 + 25 * SEC;

        assert_int_equal(rx(acd, DHCP4_ACD_ARP_REPLY, mac_peer, "10.77.0.5", "10.77.0.1", t1), DHCP4_ACD_RX_CONFLICT);
        assert_defence(acd, mac_peer, t1);
        /* Exactly DEFEND_INTERVAL later is no longer "within": defend again. */
        assert_int_equal(rx(acd, DHCP4_ACD_ARP_REPLY, mac_peer, "10.77.0.5", "10.77.0.1", t2), DHCP4_ACD_RX_CONFLICT);
        assert_defence(acd, mac_peer, t2);
        assert_int_equal(rx(acd, DHCP4_ACD_ARP_REPLY, mac_peer, "10.77.0.5", "10.77.0.1", t3), DHCP4_ACD_RX_CONFLICT);
        assert_defence(acd, mac_peer, t3);
        assert_int_equal(dhcp4_acd_get_state(acd), DHCP4_ACD_STATE_DEFENDING);
        /* And the interval counts from the last defence. */
        assert_int_equal(rx(acd, DHCP4_ACD_ARP_REPLY, mac_peer, "10.77.0.5", "10.77.0.1", t3 + 9 * SEC),
                         DHCP4_ACD_RX_CONFLICT);
        assert_lost(acd, mac_peer);
        assert_int_equal(dhcp4_acd_get_conflicts(acd), 4);
        dhcp4_acd_free(acd);
}

static void test_defend_ignores(void **state) {
        Dhcp4Acd *acd = acd_new_profile(DHCP4_ACD_PROFILE_DATACENTER, 15);
        uint64_t now = announce_all(acd, "10.77.0.5", T0, 2, 2 * SEC);
        uint8_t b[DHCP4_ACD_ARP_LEN];
        size_t n;

        /* A probe for our address once in use: the kernel answers it (§2.4); no
         * defence needed, and not counted against us. */
        assert_int_equal(rx(acd, DHCP4_ACD_ARP_REQUEST, mac_peer, "0.0.0.0", "10.77.0.5", now),
                         DHCP4_ACD_RX_NO_CONFLICT);
        /* Peers resolving us, and ARP about others. */
        assert_int_equal(rx(acd, DHCP4_ACD_ARP_REQUEST, mac_peer, "10.77.0.1", "10.77.0.5", now),
                         DHCP4_ACD_RX_NO_CONFLICT);
        assert_int_equal(rx(acd, DHCP4_ACD_ARP_REPLY, mac_peer, "10.77.0.1", "10.77.0.9", now),
                         DHCP4_ACD_RX_NO_CONFLICT);
        /* Our own announcements echoed, and a registered own MAC holding it too. */
        assert_int_equal(rx(acd, DHCP4_ACD_ARP_REQUEST, mac_us, "10.77.0.5", "10.77.0.5", now), DHCP4_ACD_RX_OWN_MAC);
        assert_int_equal(dhcp4_acd_add_own_mac(acd, mac_us2), 0);
        assert_int_equal(rx(acd, DHCP4_ACD_ARP_REPLY, mac_us2, "10.77.0.5", "10.77.0.1", now), DHCP4_ACD_RX_OWN_MAC);
        /* A malformed probe. */
        n = arp(b, DHCP4_ACD_ARP_REQUEST, mac_peer, "0.0.0.0", "10.77.0.5");
        assert_int_equal(dhcp4_acd_receive(acd, mac_other, b, n, now), DHCP4_ACD_RX_FRAME_MISMATCH);
        assert_no_action(acd);
        assert_false(dhcp4_acd_get_last_defence(acd, NULL));
        assert_int_equal(dhcp4_acd_get_conflicts(acd), 0);
        assert_int_equal(dhcp4_acd_get_state(acd), DHCP4_ACD_STATE_DEFENDING);
        dhcp4_acd_free(acd);
}

static void test_defend_while_announcing(void **state) {
        Dhcp4Acd *acd = acd_new_profile(DHCP4_ACD_PROFILE_DATACENTER, 16);
        Dhcp4AcdAction act;
        uint64_t now = T0;

        assert_int_equal(dhcp4_acd_start_announce(acd, ip("10.77.0.5"), now), 0);
        assert_int_equal(dhcp4_acd_pop_action(acd, &act), 1);
        assert_announce(&act, DHCP4_ACD_SEND_ANNOUNCE, "10.77.0.5");
        /* The address is in use from the first announcement: conflicts are defended. */
        assert_int_equal(rx(acd, DHCP4_ACD_ARP_REPLY, mac_peer, "10.77.0.5", "10.77.0.1", now + SEC),
                         DHCP4_ACD_RX_CONFLICT);
        assert_defence(acd, mac_peer, now + SEC);
        assert_int_equal(dhcp4_acd_get_state(acd), DHCP4_ACD_STATE_ANNOUNCING);
        /* The announcement schedule goes on. */
        assert_true(dhcp4_acd_next_deadline(acd) == now + 2 * SEC);
        assert_int_equal(dhcp4_acd_timeout(acd, now + 2 * SEC), 0);
        assert_int_equal(dhcp4_acd_pop_action(acd, &act), 1);
        assert_announce(&act, DHCP4_ACD_SEND_ANNOUNCE, "10.77.0.5");
        assert_int_equal(dhcp4_acd_get_state(acd), DHCP4_ACD_STATE_DEFENDING);
        /* The defence made while announcing counts. */
        assert_int_equal(rx(acd, DHCP4_ACD_ARP_REPLY, mac_peer, "10.77.0.5", "10.77.0.1", now + 3 * SEC),
                         DHCP4_ACD_RX_CONFLICT);
        assert_lost(acd, mac_peer);
        dhcp4_acd_free(acd);
}

static void test_stop(void **state) {
        Dhcp4Acd *acd = acd_new_profile(DHCP4_ACD_PROFILE_DATACENTER, 17);
        uint64_t now = probe_until(acd, "10.77.0.5", 1);

        /* Actions not yet popped are dropped too. */
        assert_int_equal(dhcp4_acd_timeout(acd, dhcp4_acd_next_deadline(acd)), 0);
        assert_int_equal(dhcp4_acd_stop(acd), 0);
        assert_no_action(acd);
        assert_int_equal(dhcp4_acd_get_state(acd), DHCP4_ACD_STATE_IDLE);
        assert_true(dhcp4_acd_next_deadline(acd) == UINT64_MAX);
        assert_int_equal(dhcp4_acd_get_address(acd).s_addr, 0);
        assert_int_equal(dhcp4_acd_timeout(acd, now + 60 * SEC), 0);
        assert_int_equal(rx(acd, DHCP4_ACD_ARP_REPLY, mac_peer, "10.77.0.5", "0.0.0.0", now), DHCP4_ACD_RX_IDLE);
        assert_no_action(acd);

        /* Stopping a defence forgets its history: a new one starts fresh. */
        now = announce_all(acd, "10.77.0.5", now, 2, 2 * SEC);
        assert_int_equal(rx(acd, DHCP4_ACD_ARP_REPLY, mac_peer, "10.77.0.5", "0.0.0.0", now), DHCP4_ACD_RX_CONFLICT);
        assert_defence(acd, mac_peer, now);
        assert_int_equal(dhcp4_acd_stop(acd), 0);
        assert_no_action(acd);
        assert_int_equal(rx(acd, DHCP4_ACD_ARP_REPLY, mac_peer, "10.77.0.5", "0.0.0.0", now + 1), DHCP4_ACD_RX_IDLE);
        now = announce_all(acd, "10.77.0.5", now + 2, 2, 2 * SEC);
        assert_int_equal(rx(acd, DHCP4_ACD_ARP_REPLY, mac_peer, "10.77.0.5", "0.0.0.0", now), DHCP4_ACD_RX_CONFLICT);
        assert_defence(acd, mac_peer, now);
        dhcp4_acd_free(acd);
}

static void test_restart_probe(void **state) {
        Dhcp4Acd *acd = acd_new_profile(DHCP4_ACD_PROFILE_DATACENTER, 18);
        uint64_t now = probe_until(acd, "10.77.0.5", 2);
        ProbeRun r;

        /* A new probe replaces the old one: the old address no longer matters. */
        assert_int_equal(dhcp4_acd_timeout(acd, dhcp4_acd_next_deadline(acd)), 0); /* unpopped */
        r = run_probe_quiet(acd, "10.77.0.6");
        assert_int_equal(r.n_probes, 3);
        assert_false(r.conflict);
        (void) now;
        dhcp4_acd_free(acd);
}

static void test_disabled(void **state) {
        Dhcp4AcdConfig c = cfg_profile(DHCP4_ACD_PROFILE_DATACENTER);
        Dhcp4AcdAction act;
        Dhcp4Acd *acd = NULL;

        c.enabled = false;
        assert_int_equal(dhcp4_acd_new(&acd, &c, mac_us, 1), 0);
        assert_int_equal(dhcp4_acd_start_probe(acd, ip("10.77.0.5"), T0), 0);
        assert_int_equal(dhcp4_acd_pop_action(acd, &act), 1);
        assert_int_equal(act.type, DHCP4_ACD_ACTION_RESULT);
        assert_false(act.conflict);
        assert_int_equal(act.address.s_addr, ip("10.77.0.5").s_addr);
        assert_no_action(acd);
        assert_int_equal(dhcp4_acd_get_state(acd), DHCP4_ACD_STATE_IDLE);
        assert_true(dhcp4_acd_next_deadline(acd) == UINT64_MAX);

        assert_int_equal(dhcp4_acd_start_announce(acd, ip("10.77.0.5"), T0), 0);
        assert_no_action(acd);
        assert_int_equal(dhcp4_acd_get_state(acd), DHCP4_ACD_STATE_IDLE);
        assert_int_equal(rx(acd, DHCP4_ACD_ARP_REPLY, mac_peer, "10.77.0.5", "0.0.0.0", T0), DHCP4_ACD_RX_IDLE);
        dhcp4_acd_free(acd);
}

static void test_queue_full(void **state) {
        Dhcp4AcdConfig c = cfg_profile(DHCP4_ACD_PROFILE_DATACENTER);
        Dhcp4AcdAction act;
        Dhcp4Acd *acd = NULL;
        uint64_t now = T0, deadline;

        c.announce_num = 255;
        c.announce_interval_usec = MS;
        assert_int_equal(dhcp4_acd_new(&acd, &c, mac_us, 1), 0);
        assert_int_equal(dhcp4_acd_start_announce(acd, ip("10.77.0.5"), now), 0);
        for (unsigned i = 1; i < DHCP4_ACD_QUEUE_SIZE; i++) {
                now = dhcp4_acd_next_deadline(acd);
                assert_int_equal(dhcp4_acd_timeout(acd, now), 0);
        }
        /* Full: inputs refuse before changing anything. */
        deadline = dhcp4_acd_next_deadline(acd);
        assert_int_equal(dhcp4_acd_timeout(acd, deadline), -ENOBUFS);
        assert_int_equal(rx(acd, DHCP4_ACD_ARP_REPLY, mac_peer, "10.77.0.5", "0.0.0.0", deadline), -ENOBUFS);
        assert_true(dhcp4_acd_next_deadline(acd) == deadline);
        assert_false(dhcp4_acd_get_last_defence(acd, NULL));
        for (unsigned i = 0; i < DHCP4_ACD_QUEUE_SIZE; i++) {
                assert_int_equal(dhcp4_acd_pop_action(acd, &act), 1);
                assert_announce(&act, DHCP4_ACD_SEND_ANNOUNCE, "10.77.0.5");
        }
        assert_no_action(acd);
        assert_int_equal(dhcp4_acd_timeout(acd, deadline), 0);
        assert_int_equal(dhcp4_acd_pop_action(acd, &act), 1);
        dhcp4_acd_free(acd);
}

static void test_invalid_arguments(void **state) {
        Dhcp4AcdConfig c = cfg_profile(DHCP4_ACD_PROFILE_DATACENTER);
        Dhcp4Acd *acd = NULL;

        assert_int_equal(dhcp4_acd_new(&acd, &c, mac_zero, 1), -EINVAL);
        assert_int_equal(dhcp4_acd_new(&acd, NULL, mac_us, 1), -EINVAL);
        assert_int_equal(dhcp4_acd_new(NULL, &c, mac_us, 1), -EINVAL);
        c.probe_num = 0;
        assert_int_equal(dhcp4_acd_new(&acd, &c, mac_us, 1), -EINVAL);
        c.probe_num = 256;
        assert_int_equal(dhcp4_acd_new(&acd, &c, mac_us, 1), -EINVAL);
        c = cfg_profile(DHCP4_ACD_PROFILE_DATACENTER);
        c.probe_min_usec = c.probe_max_usec + 1;
        assert_int_equal(dhcp4_acd_new(&acd, &c, mac_us, 1), -EINVAL);
        c = cfg_profile(DHCP4_ACD_PROFILE_DATACENTER);
        c.announce_num = 256;
        assert_int_equal(dhcp4_acd_new(&acd, &c, mac_us, 1), -EINVAL);
        assert_null(acd); /* ret_ written only on success */

        acd = acd_new_profile(DHCP4_ACD_PROFILE_DATACENTER, 1);
        static const char *const bad[] = { "0.0.0.0", "0.1.2.3", "127.0.0.1", "224.0.0.1", "240.0.0.1",
                                           "255.255.255.255" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                assert_int_equal(dhcp4_acd_start_probe(acd, ip(bad[i]), T0), -EINVAL);
                assert_int_equal(dhcp4_acd_start_announce(acd, ip(bad[i]), T0), -EINVAL);
        }
        assert_int_equal(dhcp4_acd_get_state(acd), DHCP4_ACD_STATE_IDLE);
        assert_int_equal(dhcp4_acd_receive(NULL, NULL, NULL, 0, T0), -EINVAL);
        assert_int_equal(dhcp4_acd_timeout(NULL, T0), -EINVAL);
        assert_int_equal(dhcp4_acd_stop(NULL), -EINVAL);
        assert_null(dhcp4_acd_free(acd));
        assert_null(dhcp4_acd_free(NULL));
}

static void test_strings(void **state) {
        assert_string_equal(dhcp4_acd_state_to_string(DHCP4_ACD_STATE_IDLE), "IDLE");
        assert_string_equal(dhcp4_acd_state_to_string(DHCP4_ACD_STATE_PROBING), "PROBING");
        assert_string_equal(dhcp4_acd_state_to_string(DHCP4_ACD_STATE_ANNOUNCING), "ANNOUNCING");
        assert_string_equal(dhcp4_acd_state_to_string(DHCP4_ACD_STATE_DEFENDING), "DEFENDING");
        assert_null(dhcp4_acd_state_to_string(_DHCP4_ACD_STATE_MAX));
        for (int i = 0; i < _DHCP4_ACD_RX_MAX; i++)
                assert_non_null(dhcp4_acd_rx_to_string(i));
        assert_string_equal(dhcp4_acd_rx_to_string(DHCP4_ACD_RX_FRAME_MISMATCH), "frame-mismatch");
        assert_null(dhcp4_acd_rx_to_string(-1));
        assert_null(dhcp4_acd_rx_to_string(_DHCP4_ACD_RX_MAX));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_probe_free_datacenter),
                cmocka_unit_test(test_probe_free_rfc5227),
                cmocka_unit_test(test_probe_deterministic),
                cmocka_unit_test(test_probe_late_wakeup),
                cmocka_unit_test(test_probe_conflict_reply),
                cmocka_unit_test(test_probe_conflict_request_from_holder),
                cmocka_unit_test(test_probe_conflict_simultaneous),
                cmocka_unit_test(test_probe_no_conflict),
                cmocka_unit_test(test_own_mac_ignored),
                cmocka_unit_test(test_own_mac_limits),
                cmocka_unit_test(test_set_mac),
                cmocka_unit_test(test_frame_mismatch_ignored),
                cmocka_unit_test(test_malformed_ignored),
                cmocka_unit_test(test_arp_codec),
                cmocka_unit_test(test_announce),
                cmocka_unit_test(test_announce_after_probe),
                cmocka_unit_test(test_defend_then_lost),
                cmocka_unit_test(test_defend_again_after_interval),
                cmocka_unit_test(test_defend_ignores),
                cmocka_unit_test(test_defend_while_announcing),
                cmocka_unit_test(test_stop),
                cmocka_unit_test(test_restart_probe),
                cmocka_unit_test(test_disabled),
                cmocka_unit_test(test_queue_full),
                cmocka_unit_test(test_invalid_arguments),
                cmocka_unit_test(test_strings),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
