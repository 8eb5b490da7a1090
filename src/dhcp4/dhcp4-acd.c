/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * RFC 5227 address conflict detection: IDLE → PROBING → (RESULT) IDLE, and
 * IDLE → ANNOUNCING → DEFENDING → (LOST) IDLE. ARP payloads and time in; queued
 * actions out. Also parses and builds Ethernet/IPv4 ARP payloads.
 * Not here: sockets (dhcp4-arp), clocks (the caller's `now`), randomness sources
 * (splitmix64 seeded by the caller, so a test with a fixed seed replays exactly),
 * nor what a conflict means for the lease (dhcp4-engine).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp4-acd.h"
#include "macro.h"
#include "string-table.h"
#include "time-util.h"
#include "unaligned.h"

struct Dhcp4Acd {
        Dhcp4AcdConfig config;
        uint8_t mac[6];
        uint8_t own[DHCP4_ACD_OWN_MAC_MAX][6];
        size_t n_own;
        uint64_t prng;

        Dhcp4AcdState state;
        struct in_addr address;
        unsigned sent;        /* probes (PROBING) or announcements (ANNOUNCING) sent so far */
        uint64_t timer_usec;  /* next step of PROBING/ANNOUNCING; USEC_INFINITY: none */
        bool defended;        /* a defence was sent for the current address ... */
        uint64_t defence_usec; /* ... at this time (the conflict's arrival, §2.4 (b)) */

        unsigned conflicts;
        bool has_conflict_mac;
        uint8_t conflict_mac[6];

        Dhcp4AcdAction queue[DHCP4_ACD_QUEUE_SIZE];
        size_t queue_head, queue_len;
};

static const char *const dhcp4_acd_rx_table[_DHCP4_ACD_RX_MAX] = {
        [DHCP4_ACD_RX_CONFLICT] = "conflict",
        [DHCP4_ACD_RX_NO_CONFLICT] = "no-conflict",
        [DHCP4_ACD_RX_IDLE] = "idle",
        [DHCP4_ACD_RX_TOO_SHORT] = "too-short",
        [DHCP4_ACD_RX_BAD_HTYPE] = "bad-htype",
        [DHCP4_ACD_RX_BAD_PTYPE] = "bad-ptype",
        [DHCP4_ACD_RX_BAD_HLEN] = "bad-hlen",
        [DHCP4_ACD_RX_BAD_PLEN] = "bad-plen",
        [DHCP4_ACD_RX_BAD_OP] = "bad-op",
        [DHCP4_ACD_RX_OWN_MAC] = "own-mac",
        [DHCP4_ACD_RX_FRAME_MISMATCH] = "frame-mismatch",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(dhcp4_acd_rx, int)

static const char *const dhcp4_acd_state_table[_DHCP4_ACD_STATE_MAX] = {
        [DHCP4_ACD_STATE_IDLE] = "IDLE",
        [DHCP4_ACD_STATE_PROBING] = "PROBING",
        [DHCP4_ACD_STATE_ANNOUNCING] = "ANNOUNCING",
        [DHCP4_ACD_STATE_DEFENDING] = "DEFENDING",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(dhcp4_acd_state, Dhcp4AcdState)

static const char *const dhcp4_acd_profile_table[_DHCP4_ACD_PROFILE_MAX] = {
        [DHCP4_ACD_PROFILE_DATACENTER] = "datacenter",
        [DHCP4_ACD_PROFILE_RFC5227] = "rfc5227",
};

DEFINE_STRING_TABLE_LOOKUP(dhcp4_acd_profile, Dhcp4AcdProfile)

void dhcp4_acd_config_set_profile(Dhcp4AcdConfig *a, Dhcp4AcdProfile p) {
        a->profile = p;
        switch (p) {
        case DHCP4_ACD_PROFILE_RFC5227:
                /* RFC 5227 §1.1 constants. */
                a->probe_wait_usec = 1 * USEC_PER_SEC;
                a->probe_num = 3;
                a->probe_min_usec = 1 * USEC_PER_SEC;
                a->probe_max_usec = 2 * USEC_PER_SEC;
                a->announce_wait_usec = 2 * USEC_PER_SEC;
                a->announce_num = 2;
                a->announce_interval_usec = 2 * USEC_PER_SEC;
                a->defend_interval_usec = 10 * USEC_PER_SEC;
                break;
        case DHCP4_ACD_PROFILE_DATACENTER:
        default:
                /* Same structure, scaled so ACK → address in use is ≤ 200 ms
                 * (10 + 2 × 50 + 80 = 190 ms worst case). Announce/defend keep the RFC
                 * values: they run after the address is in use and delay nothing. */
                a->profile = DHCP4_ACD_PROFILE_DATACENTER;
                a->probe_wait_usec = 10 * USEC_PER_MSEC;
                a->probe_num = 3;
                a->probe_min_usec = 30 * USEC_PER_MSEC;
                a->probe_max_usec = 50 * USEC_PER_MSEC;
                a->announce_wait_usec = 80 * USEC_PER_MSEC;
                a->announce_num = 2;
                a->announce_interval_usec = 2 * USEC_PER_SEC;
                a->defend_interval_usec = 10 * USEC_PER_SEC;
                break;
        }
}

/* ---- small pure helpers ------------------------------------------------------- */

/* splitmix64 (Steele, Lea, Flood 2014). RFC 5227 asks for random delays only so that
 * hosts powered on together do not probe in lock-step (§2.1.1); no secrecy needed. */
static uint64_t prng_next(uint64_t *s) {
        uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));

        z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
        return z ^ (z >> 31);
}

/* Uniform in [lo, hi]; the modulo bias is below 2^-40 for usec ranges of seconds. */
static uint64_t prng_between(uint64_t *s, uint64_t lo, uint64_t hi) {
        uint64_t span = hi - lo;

        if (span == UINT64_MAX)
                return prng_next(s);
        return lo + prng_next(s) % (span + 1);
}

static bool mac_is_null(const uint8_t mac[6]) {
        static const uint8_t zero[6] = {};

        return memcmp(mac, zero, 6) == 0;
}

/* An address a host can hold and ARP for: not 0/8 (RFC 1122 §3.2.1.3), loopback,
 * multicast/reserved (224/3) or limited broadcast. */
static bool address_is_host(struct in_addr a) {
        uint32_t h = ntohl(a.s_addr);

        if ((h >> 24) == 0 || (h >> 24) == 127)
                return false;
        if ((h >> 29) == 7)
                return false;
        return true;
}

static bool mac_is_own(const Dhcp4Acd *acd, const uint8_t mac[6]) {
        if (memcmp(mac, acd->mac, 6) == 0)
                return true;
        for (size_t i = 0; i < acd->n_own; i++)
                if (memcmp(mac, acd->own[i], 6) == 0)
                        return true;
        return false;
}

/* ---- ARP payload -------------------------------------------------------------- */

/* RFC 826 layout for Ethernet (htype 1) and IPv4 (ptype 0x0800). */
enum {
        ARP_OFF_HTYPE = 0,
        ARP_OFF_PTYPE = 2,
        ARP_OFF_HLEN = 4,
        ARP_OFF_PLEN = 5,
        ARP_OFF_OP = 6,
        ARP_OFF_SHA = 8,
        ARP_OFF_SPA = 14,
        ARP_OFF_THA = 18,
        ARP_OFF_TPA = 24,
};

int dhcp4_acd_arp_parse(const uint8_t *arp, size_t len, Dhcp4Arp *ret) {
        Dhcp4Arp a = {};

        if (!arp || len < DHCP4_ACD_ARP_LEN)
                return DHCP4_ACD_RX_TOO_SHORT;
        if (unaligned_read_be16(arp + ARP_OFF_HTYPE) != 1)
                return DHCP4_ACD_RX_BAD_HTYPE;
        if (unaligned_read_be16(arp + ARP_OFF_PTYPE) != 0x0800)
                return DHCP4_ACD_RX_BAD_PTYPE;
        if (arp[ARP_OFF_HLEN] != 6)
                return DHCP4_ACD_RX_BAD_HLEN;
        if (arp[ARP_OFF_PLEN] != 4)
                return DHCP4_ACD_RX_BAD_PLEN;
        a.op = unaligned_read_be16(arp + ARP_OFF_OP);
        if (a.op != DHCP4_ACD_ARP_REQUEST && a.op != DHCP4_ACD_ARP_REPLY)
                return DHCP4_ACD_RX_BAD_OP;
        memcpy(a.sha, arp + ARP_OFF_SHA, 6);
        memcpy(&a.spa, arp + ARP_OFF_SPA, 4);
        memcpy(a.tha, arp + ARP_OFF_THA, 6);
        memcpy(&a.tpa, arp + ARP_OFF_TPA, 4);

        if (ret)
                *ret = a;
        return 0;
}

int dhcp4_acd_arp_build(uint8_t *buf, size_t size, uint16_t op, const uint8_t sha[6], struct in_addr spa,
                        const uint8_t *tha, struct in_addr tpa) {
        if (!buf || !sha || (op != DHCP4_ACD_ARP_REQUEST && op != DHCP4_ACD_ARP_REPLY))
                return -EINVAL;
        if (size < DHCP4_ACD_ARP_LEN)
                return -ENOBUFS;

        memset(buf, 0, DHCP4_ACD_ARP_LEN);
        unaligned_write_be16(buf + ARP_OFF_HTYPE, 1);
        unaligned_write_be16(buf + ARP_OFF_PTYPE, 0x0800);
        buf[ARP_OFF_HLEN] = 6;
        buf[ARP_OFF_PLEN] = 4;
        unaligned_write_be16(buf + ARP_OFF_OP, op);
        memcpy(buf + ARP_OFF_SHA, sha, 6);
        memcpy(buf + ARP_OFF_SPA, &spa, 4);
        if (tha)
                memcpy(buf + ARP_OFF_THA, tha, 6);
        memcpy(buf + ARP_OFF_TPA, &tpa, 4);
        return DHCP4_ACD_ARP_LEN;
}

/* ---- object ------------------------------------------------------------------- */

static int config_check(const Dhcp4AcdConfig *cfg) {
        if (cfg->probe_num == 0 || cfg->probe_num > 255 || cfg->announce_num > 255)
                return -EINVAL;
        if (cfg->probe_min_usec > cfg->probe_max_usec)
                return -EINVAL;
        return 0;
}

int dhcp4_acd_new(Dhcp4Acd **ret, const Dhcp4AcdConfig *cfg, const uint8_t mac[6], uint64_t seed) {
        Dhcp4Acd *acd;

        if (!ret || !cfg || !mac || mac_is_null(mac))
                return -EINVAL;
        if (config_check(cfg) < 0)
                return -EINVAL;

        acd = calloc(1, sizeof(*acd));
        if (!acd)
                return -ENOMEM;
        acd->config = *cfg;
        memcpy(acd->mac, mac, 6);
        acd->prng = seed;
        acd->state = DHCP4_ACD_STATE_IDLE;
        acd->timer_usec = USEC_INFINITY;

        *ret = acd;
        return 0;
}

Dhcp4Acd *dhcp4_acd_free(Dhcp4Acd *acd) {
        free(acd);
        return NULL;
}

int dhcp4_acd_set_mac(Dhcp4Acd *acd, const uint8_t mac[6]) {
        if (!acd || !mac || mac_is_null(mac))
                return -EINVAL;
        memcpy(acd->mac, mac, 6);
        return 0;
}

int dhcp4_acd_add_own_mac(Dhcp4Acd *acd, const uint8_t mac[6]) {
        if (!acd || !mac || mac_is_null(mac))
                return -EINVAL;
        if (mac_is_own(acd, mac))
                return 0;
        if (acd->n_own >= DHCP4_ACD_OWN_MAC_MAX)
                return -ENOSPC;
        memcpy(acd->own[acd->n_own++], mac, 6);
        return 0;
}

/* ---- action queue ------------------------------------------------------------- */

static bool queue_full(const Dhcp4Acd *acd) {
        return acd->queue_len >= DHCP4_ACD_QUEUE_SIZE;
}

/* Callers check queue_full() on entry; every input queues at most one action. */
static Dhcp4AcdAction *queue_push(Dhcp4Acd *acd, Dhcp4AcdActionType type) {
        Dhcp4AcdAction *a = &acd->queue[(acd->queue_head + acd->queue_len) % DHCP4_ACD_QUEUE_SIZE];

        acd->queue_len++;
        memset(a, 0, sizeof(*a));
        a->type = type;
        a->address = acd->address;
        return a;
}

/* Requests are broadcast; per RFC 5227 §2.1.1 and §2.3 the 'target hardware
 * address' is ignored and SHOULD be all zeroes. */
static void queue_send(Dhcp4Acd *acd, Dhcp4AcdSendKind kind, const uint8_t *other_mac) {
        Dhcp4AcdAction *a = queue_push(acd, DHCP4_ACD_ACTION_SEND);
        struct in_addr spa = {};

        /* §2.1.1: a probe's 'sender IP address' MUST be all zeroes, so that it does
         * not pollute the ARP caches of other hosts should the address be in use.
         * §2.3: an announcement carries the address as sender and target IP. */
        if (kind != DHCP4_ACD_SEND_PROBE)
                spa = acd->address;
        a->kind = kind;
        if (other_mac)
                memcpy(a->mac, other_mac, 6);
        a->len = (size_t) dhcp4_acd_arp_build(a->arp, sizeof(a->arp), DHCP4_ACD_ARP_REQUEST, acd->mac, spa,
                                              NULL, acd->address);
}

static void queue_result(Dhcp4Acd *acd, bool conflict, const uint8_t *other_mac) {
        Dhcp4AcdAction *a = queue_push(acd, DHCP4_ACD_ACTION_RESULT);

        a->conflict = conflict;
        if (other_mac)
                memcpy(a->mac, other_mac, 6);
}

int dhcp4_acd_pop_action(Dhcp4Acd *acd, Dhcp4AcdAction *ret) {
        if (!acd || !ret)
                return -EINVAL;
        if (acd->queue_len == 0)
                return 0;
        *ret = acd->queue[acd->queue_head];
        acd->queue_head = (acd->queue_head + 1) % DHCP4_ACD_QUEUE_SIZE;
        acd->queue_len--;
        return 1;
}

uint64_t dhcp4_acd_next_deadline(const Dhcp4Acd *acd) {
        if (!acd)
                return USEC_INFINITY;
        return acd->timer_usec;
}

/* ---- transitions -------------------------------------------------------------- */

/* IDLE, keeping queued actions (the RESULT/LOST just pushed). */
static void acd_go_idle(Dhcp4Acd *acd) {
        acd->state = DHCP4_ACD_STATE_IDLE;
        acd->address = (struct in_addr) {};
        acd->sent = 0;
        acd->timer_usec = USEC_INFINITY;
        acd->defended = false;
        acd->defence_usec = 0;
}

static void acd_reset(Dhcp4Acd *acd) {
        acd_go_idle(acd);
        acd->queue_head = acd->queue_len = 0;
}

int dhcp4_acd_stop(Dhcp4Acd *acd) {
        if (!acd)
                return -EINVAL;
        acd_reset(acd);
        return 0;
}

int dhcp4_acd_start_probe(Dhcp4Acd *acd, struct in_addr addr, uint64_t now) {
        if (!acd || !address_is_host(addr))
                return -EINVAL;

        acd_reset(acd);
        acd->address = addr;

        if (!acd->config.enabled) {
                /* ACD switched off: every address is taken as free, nothing is sent. */
                queue_result(acd, false, NULL);
                acd_go_idle(acd);
                return 0;
        }

        /* §2.1.1: "When ready to begin probing, the host should then wait for a random
         * time interval selected uniformly in the range zero to PROBE_WAIT seconds" —
         * so that hosts powered on (or handed leases) together do not probe in step. */
        acd->state = DHCP4_ACD_STATE_PROBING;
        acd->timer_usec = usec_add(now, prng_between(&acd->prng, 0, acd->config.probe_wait_usec));
        return 0;
}

static void announce_next(Dhcp4Acd *acd, uint64_t now) {
        if (acd->sent >= acd->config.announce_num) {
                /* §2.4: from here on only conflicting packets matter. */
                acd->state = DHCP4_ACD_STATE_DEFENDING;
                acd->timer_usec = USEC_INFINITY;
                return;
        }
        queue_send(acd, DHCP4_ACD_SEND_ANNOUNCE, NULL);
        acd->sent++;
        if (acd->sent >= acd->config.announce_num) {
                acd->state = DHCP4_ACD_STATE_DEFENDING;
                acd->timer_usec = USEC_INFINITY;
        } else {
                /* §2.3: ANNOUNCE_NUM announcements "spaced ANNOUNCE_INTERVAL seconds apart". */
                acd->state = DHCP4_ACD_STATE_ANNOUNCING;
                acd->timer_usec = usec_add(now, acd->config.announce_interval_usec);
        }
}

int dhcp4_acd_start_announce(Dhcp4Acd *acd, struct in_addr addr, uint64_t now) {
        if (!acd || !address_is_host(addr))
                return -EINVAL;

        acd_reset(acd);
        if (!acd->config.enabled)
                return 0;

        /* §2.3: having determined that the address may be used, the host MUST announce
         * that it is commencing to use it by broadcasting ANNOUNCE_NUM ARP
         * Announcements; it may use the address right after the first one. The
         * announcement (sender IP = target IP = ours) also updates stale entries in
         * peers' ARP caches, e.g. after this node moved. */
        acd->address = addr;
        announce_next(acd, now);
        return 0;
}

int dhcp4_acd_timeout(Dhcp4Acd *acd, uint64_t now) {
        if (!acd)
                return -EINVAL;
        if (acd->timer_usec == USEC_INFINITY || now < acd->timer_usec)
                return 0;
        if (queue_full(acd))
                return -ENOBUFS;

        switch (acd->state) {
        case DHCP4_ACD_STATE_PROBING:
                if (acd->sent < acd->config.probe_num) {
                        queue_send(acd, DHCP4_ACD_SEND_PROBE, NULL);
                        acd->sent++;
                        if (acd->sent < acd->config.probe_num)
                                /* §2.1.1: PROBE_NUM probes "spaced randomly and uniformly,
                                 * PROBE_MIN to PROBE_MAX seconds apart". Counted from the
                                 * actual send, so a late wake-up never shortens the gap a
                                 * peer has to answer in. */
                                acd->timer_usec = usec_add(now, prng_between(&acd->prng, acd->config.probe_min_usec,
                                                                             acd->config.probe_max_usec));
                        else
                                /* §2.1.1: the address is usable if no conflicting ARP
                                 * arrived "by ANNOUNCE_WAIT seconds after the transmission
                                 * of the last probe". */
                                acd->timer_usec = usec_add(now, acd->config.announce_wait_usec);
                } else {
                        queue_result(acd, false, NULL);
                        acd_go_idle(acd);
                }
                break;
        case DHCP4_ACD_STATE_ANNOUNCING:
                announce_next(acd, now);
                break;
        case DHCP4_ACD_STATE_IDLE:
        case DHCP4_ACD_STATE_DEFENDING:
        default:
                acd->timer_usec = USEC_INFINITY;
                break;
        }
        return 0;
}

static void conflict_record(Dhcp4Acd *acd, const uint8_t mac[6]) {
        acd->conflicts++;
        acd->has_conflict_mac = true;
        memcpy(acd->conflict_mac, mac, 6);
}

int dhcp4_acd_receive(Dhcp4Acd *acd, const uint8_t *frame_src_mac, const uint8_t *arp, size_t len,
                      uint64_t now) {
        Dhcp4Arp p;
        bool probe;
        int r;

        if (!acd)
                return -EINVAL;

        r = dhcp4_acd_arp_parse(arp, len, &p);
        if (r != 0)
                return r;
        if (acd->state == DHCP4_ACD_STATE_IDLE)
                return DHCP4_ACD_RX_IDLE;

        /* §2.1.1 NOTE: hubs and many access points rebroadcast broadcasts to their
         * sender too; our own probes and announcements coming back are no conflict.
         * The same holds for every other interface of this host (bond/bridge members). */
        if (mac_is_own(acd, p.sha) || (frame_src_mac && mac_is_own(acd, frame_src_mac)))
                return DHCP4_ACD_RX_OWN_MAC;

        /* An ARP Probe is a request with an all-zero 'sender IP address' (§1.1). Its
         * 'sender hardware address' MUST be that of the interface sending it (§2.1.1),
         * so a probe whose Ethernet source differs is malformed (seen from switches
         * with broken device tracking): taking it as a simultaneous probe would make
         * us give up a perfectly good address. */
        probe = p.op == DHCP4_ACD_ARP_REQUEST && p.spa.s_addr == INADDR_ANY;
        if (probe && frame_src_mac && memcmp(frame_src_mac, p.sha, 6) != 0)
                return DHCP4_ACD_RX_FRAME_MISMATCH;

        if (queue_full(acd))
                return -ENOBUFS;

        switch (acd->state) {
        case DHCP4_ACD_STATE_PROBING:
                /* §2.1.1: "If during this period, from the beginning of the probing
                 * process until ANNOUNCE_WAIT seconds after the last probe packet is
                 * sent, the host receives any ARP packet (Request *or* Reply) on the
                 * interface where the packet's 'sender IP address' is the address being
                 * probed for, then the host MUST treat this address as being in use by
                 * some other host". And: any ARP Probe for the same address from
                 * another hardware address SHOULD likewise be taken as a conflict (two
                 * hosts probing at once: both back off, neither takes it). */
                if (p.spa.s_addr == acd->address.s_addr ||
                    (probe && p.tpa.s_addr == acd->address.s_addr)) {
                        conflict_record(acd, p.sha);
                        queue_result(acd, true, p.sha);
                        acd_go_idle(acd);
                        return DHCP4_ACD_RX_CONFLICT;
                }
                return DHCP4_ACD_RX_NO_CONFLICT;

        case DHCP4_ACD_STATE_ANNOUNCING:
        case DHCP4_ACD_STATE_DEFENDING:
                /* §2.4: "a conflicting ARP packet" is one whose 'sender IP address' is
                 * our address but whose 'sender hardware address' is not ours. A probe
                 * for our address (sender IP 0) is not a conflict once the address is in
                 * use: the kernel answers it, which makes the prober back off. */
                if (p.spa.s_addr != acd->address.s_addr)
                        return DHCP4_ACD_RX_NO_CONFLICT;
                conflict_record(acd, p.sha);

                /* §2.4 (b): "if this is not the first conflicting ARP packet the host has
                 * seen, and the time recorded for the previous conflicting ARP packet is
                 * recent, within DEFEND_INTERVAL seconds, then the host MUST immediately
                 * cease using this address" — so that two hosts never loop defending
                 * the same address against each other. */
                if (acd->defended && usec_sub(now, acd->defence_usec) < acd->config.defend_interval_usec) {
                        Dhcp4AcdAction *a = queue_push(acd, DHCP4_ACD_ACTION_LOST);

                        memcpy(a->mac, p.sha, 6);
                        acd_go_idle(acd);
                        return DHCP4_ACD_RX_CONFLICT;
                }

                /* §2.4 (b): otherwise the host MAY defend "by recording the time that the
                 * conflicting ARP packet was received, and then broadcasting one single
                 * ARP Announcement". We do: a node's infra address carries its opflex
                 * session, worth one attempt before a new lease is sought. */
                acd->defended = true;
                acd->defence_usec = now;
                queue_send(acd, DHCP4_ACD_SEND_DEFEND, p.sha);
                return DHCP4_ACD_RX_CONFLICT;

        case DHCP4_ACD_STATE_IDLE:
        default:
                return DHCP4_ACD_RX_IDLE;
        }
}

/* ---- observers ---------------------------------------------------------------- */

Dhcp4AcdState dhcp4_acd_get_state(const Dhcp4Acd *acd) {
        return acd ? acd->state : DHCP4_ACD_STATE_IDLE;
}

struct in_addr dhcp4_acd_get_address(const Dhcp4Acd *acd) {
        return acd ? acd->address : (struct in_addr) {};
}

unsigned dhcp4_acd_get_conflicts(const Dhcp4Acd *acd) {
        return acd ? acd->conflicts : 0;
}

bool dhcp4_acd_get_conflict_mac(const Dhcp4Acd *acd, uint8_t ret_mac[6]) {
        if (!acd || !acd->has_conflict_mac)
                return false;
        if (ret_mac)
                memcpy(ret_mac, acd->conflict_mac, 6);
        return true;
}

bool dhcp4_acd_get_last_defence(const Dhcp4Acd *acd, uint64_t *ret_usec) {
        if (!acd || !acd->defended)
                return false;
        if (ret_usec)
                *ret_usec = acd->defence_usec;
        return true;
}
