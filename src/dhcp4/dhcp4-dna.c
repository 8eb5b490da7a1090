/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * RFC 4436 detection of network attachment: IDLE → WATCHING ⇄ CHECKING → (suspect)
 * CONFIRMING → WATCHING (the lease that results). ARP/RARP payloads, hints and time
 * in; queued actions out (unicast test ARPs, broadcast learning ARPs, CONFIRM, log
 * events). Not here: sockets (dhcp4-arp), clocks (the caller's `now`), randomness
 * sources (splitmix64 seeded by the caller), nor the DHCP confirmation itself
 * (dhcp4_engine_confirm). docs/dna.md explains the rules.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp4-acd.h"
#include "dhcp4-dna.h"
#include "macro.h"
#include "string-table.h"
#include "time-util.h"

typedef struct Peer {
        Dhcp4DnaPeer pub;
        bool in_scope;      /* tested by the running (or last) check */
        bool answered;      /* ... and answered from its known MAC */
        bool changed;       /* seen from another MAC than the known one ... */
        uint8_t seen_mac[6]; /* ... this one */
} Peer;

struct Dhcp4Dna {
        Dhcp4DnaConfig config;
        uint8_t mac[6];
        uint64_t prng;

        Dhcp4DnaState state;
        struct in_addr address;
        uint8_t prefixlen;
        Peer peers[DHCP4_DNA_PEER_MAX];
        size_t n_peers;
        bool no_peer_reported; /* NO_PEER logged for this lease */

        /* The running (or last) check. */
        bool has_check;
        Dhcp4DnaCheck check;
        unsigned rounds;      /* rounds of ARPs sent in this check */
        bool scope_single;    /* periodic: one peer only, widened when it is silent */
        uint64_t round_usec;  /* CHECKING: when the current round times out */

        /* WATCHING timers (USEC_INFINITY: none). */
        uint64_t periodic_usec;
        uint64_t learn_usec;
        unsigned learn_rounds;
        uint64_t holdoff_until_usec;
        bool hint_pending;
        Dhcp4DnaTrigger pending_trigger;
        uint64_t retry_usec;  /* rate-limited confirmation: test again then */
        unsigned rotate;      /* periodic checks take the usable peers in turn */

        /* Token bucket for confirmations: `tokens` now, one more at refill_usec. */
        unsigned tokens;
        uint64_t refill_usec;
        bool confirm_took_token; /* the confirmation in flight used one */

        unsigned checks, confirmations;

        Dhcp4DnaAction queue[DHCP4_DNA_QUEUE_SIZE];
        size_t queue_head, queue_len;
};

static const char *const dhcp4_dna_trigger_table[_DHCP4_DNA_TRIGGER_MAX] = {
        [DHCP4_DNA_TRIGGER_PERIODIC] = "periodic",
        [DHCP4_DNA_TRIGGER_NOTIFY_PEERS] = "notify-peers",
        [DHCP4_DNA_TRIGGER_LINK_CHANGE] = "link-change",
        [DHCP4_DNA_TRIGGER_ANNOUNCE] = "announce",
        [DHCP4_DNA_TRIGGER_PEER_MAC] = "peer-mac",
        [DHCP4_DNA_TRIGGER_COMMAND] = "command",
        [DHCP4_DNA_TRIGGER_RETRY] = "retry",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(dhcp4_dna_trigger, Dhcp4DnaTrigger)

static const char *const dhcp4_dna_outcome_table[_DHCP4_DNA_OUTCOME_MAX] = {
        [DHCP4_DNA_OUTCOME_NONE] = "none",
        [DHCP4_DNA_OUTCOME_RUNNING] = "running",
        [DHCP4_DNA_OUTCOME_ATTACHED] = "attached",
        [DHCP4_DNA_OUTCOME_CONFIRMING] = "confirming",
        [DHCP4_DNA_OUTCOME_RATE_LIMITED] = "rate-limited",
        [DHCP4_DNA_OUTCOME_CONFIRMED] = "confirmed",
        [DHCP4_DNA_OUTCOME_MOVED] = "moved",
        [DHCP4_DNA_OUTCOME_ABORTED] = "aborted",
        [DHCP4_DNA_OUTCOME_NO_PEER] = "no-peer",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(dhcp4_dna_outcome, Dhcp4DnaOutcome)

static const char *const dhcp4_dna_state_table[_DHCP4_DNA_STATE_MAX] = {
        [DHCP4_DNA_STATE_IDLE] = "IDLE",
        [DHCP4_DNA_STATE_WATCHING] = "WATCHING",
        [DHCP4_DNA_STATE_CHECKING] = "CHECKING",
        [DHCP4_DNA_STATE_CONFIRMING] = "CONFIRMING",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(dhcp4_dna_state, Dhcp4DnaState)

static const char *const dhcp4_dna_peer_source_table[_DHCP4_DNA_PEER_SOURCE_MAX] = {
        [DHCP4_DNA_PEER_ROUTER] = "router",
        [DHCP4_DNA_PEER_SERVER] = "server",
        [DHCP4_DNA_PEER_EXTRA] = "extra",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(dhcp4_dna_peer_source, Dhcp4DnaPeerSource)

static const char *const dhcp4_dna_event_table[_DHCP4_DNA_EVENT_MAX] = {
        [DHCP4_DNA_EVENT_CHECK] = "check",
        [DHCP4_DNA_EVENT_RESULT] = "result",
        [DHCP4_DNA_EVENT_PEER_LEARNED] = "peer-learned",
        [DHCP4_DNA_EVENT_NO_PEER] = "no-peer",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(dhcp4_dna_event, Dhcp4DnaEvent)

static const char *const dhcp4_dna_rx_table[_DHCP4_DNA_RX_MAX] = {
        [DHCP4_DNA_RX_USED] = "used",
        [DHCP4_DNA_RX_IGNORED] = "ignored",
        [DHCP4_DNA_RX_IDLE] = "idle",
        [DHCP4_DNA_RX_MALFORMED] = "malformed",
        [DHCP4_DNA_RX_OWN] = "own",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(dhcp4_dna_rx, int)

void dhcp4_dna_config_init(Dhcp4DnaConfig *c) {
        if (!c)
                return;
        /* Fabric values; docs/dna.md gives the reasoning. */
        *c = (Dhcp4DnaConfig) {
                .enabled = true,
                .probe_timeout_usec = 50 * USEC_PER_MSEC,
                .probe_attempts = 2,
                .check_interval_usec = 1500 * USEC_PER_MSEC,
                .check_holdoff_usec = 250 * USEC_PER_MSEC,
                .confirm_burst = 3,
                .confirm_interval_usec = 30 * USEC_PER_SEC,
        };
}

/* ---- small pure helpers ------------------------------------------------------- */

/* splitmix64 (Steele, Lea, Flood 2014): only to spread periodic checks of many nodes. */
static uint64_t prng_next(uint64_t *s) {
        uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));

        z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
        return z ^ (z >> 31);
}

static bool mac_is_null(const uint8_t mac[6]) {
        static const uint8_t zero[6] = {};

        return memcmp(mac, zero, 6) == 0;
}

static bool mac_is_multicast(const uint8_t mac[6]) {
        return mac[0] & 1; /* group bit: broadcast or multicast, never a peer's own MAC */
}

static bool address_is_host(struct in_addr a) {
        uint32_t h = ntohl(a.s_addr);

        return (h >> 24) != 0 && (h >> 24) != 127 && (h >> 29) != 7;
}

static const char *addr_str(struct in_addr a, char buf[static INET_ADDRSTRLEN]) {
        if (!inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN))
                snprintf(buf, INET_ADDRSTRLEN, "?");
        return buf;
}

static const char *mac_str(const uint8_t m[6], char buf[static 18]) {
        snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
        return buf;
}

static Peer *peer_find(Dhcp4Dna *dna, struct in_addr a) {
        for (size_t i = 0; i < dna->n_peers; i++)
                if (dna->peers[i].pub.address.s_addr == a.s_addr)
                        return &dna->peers[i];
        return NULL;
}

static bool peer_usable(const Peer *p) {
        return p->pub.has_mac && !p->pub.unresponsive;
}

/* ---- action queue ------------------------------------------------------------- */

static Dhcp4DnaAction *queue_push(Dhcp4Dna *dna, Dhcp4DnaActionType type) {
        Dhcp4DnaAction *a;

        /* Callers reserved room on entry (input_begin); never overwrite unpopped actions. */
        if (dna->queue_len >= DHCP4_DNA_QUEUE_SIZE)
                dna->queue_len = DHCP4_DNA_QUEUE_SIZE - 1;
        a = &dna->queue[(dna->queue_head + dna->queue_len) % DHCP4_DNA_QUEUE_SIZE];
        dna->queue_len++;
        memset(a, 0, sizeof(*a));
        a->type = type;
        return a;
}

static int input_begin(Dhcp4Dna *dna) {
        if (!dna)
                return -EINVAL;
        if (DHCP4_DNA_QUEUE_SIZE - dna->queue_len < DHCP4_DNA_INPUT_ACTIONS_MAX)
                return -ENOBUFS;
        return 0;
}

_printf_(3, 4) static Dhcp4DnaAction *queue_event(Dhcp4Dna *dna, Dhcp4DnaEvent ev, const char *fmt, ...) {
        Dhcp4DnaAction *a = queue_push(dna, DHCP4_DNA_ACTION_EVENT);
        va_list ap;

        a->event = ev;
        a->trigger = dna->check.trigger;
        a->outcome = dna->check.outcome;
        va_start(ap, fmt);
        vsnprintf(a->text, sizeof(a->text), fmt, ap);
        va_end(ap);
        return a;
}

/* RFC 4436 §2.1.1: an ARP Request unicast to the test node's MAC, with our MAC as
 * sender and the test node's IP as target. The sender IP is our address: we hold
 * it, and a peer only answers a request it can reply to; the frame is unicast to the
 * MAC the peer had on our link, so on another link it reaches nobody (or the same
 * MAC, e.g. an anycast gateway MAC, which does not hold the old network's address)
 * and pollutes no cache. LEARN goes right after a bind, when the server has just
 * confirmed that we belong here: an ordinary broadcast request, as the kernel's. */
static void queue_arp(Dhcp4Dna *dna, Dhcp4DnaSendKind kind, const Peer *p) {
        static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
        Dhcp4DnaAction *a = queue_push(dna, DHCP4_DNA_ACTION_SEND);
        int r;

        a->kind = kind;
        a->peer = p->pub.address;
        a->trigger = dna->check.trigger;
        memcpy(a->dest_mac, kind == DHCP4_DNA_SEND_TEST ? p->pub.mac : bcast, 6);
        r = dhcp4_acd_arp_build(a->arp, sizeof(a->arp), DHCP4_ACD_ARP_REQUEST, dna->mac, dna->address,
                                kind == DHCP4_DNA_SEND_TEST ? p->pub.mac : NULL, p->pub.address);
        a->len = r > 0 ? (size_t) r : 0;
}

int dhcp4_dna_pop_action(Dhcp4Dna *dna, Dhcp4DnaAction *ret) {
        if (!dna || !ret)
                return -EINVAL;
        if (dna->queue_len == 0)
                return 0;
        *ret = dna->queue[dna->queue_head];
        dna->queue_head = (dna->queue_head + 1) % DHCP4_DNA_QUEUE_SIZE;
        dna->queue_len--;
        return 1;
}

/* ---- object ------------------------------------------------------------------- */

static int config_check(const Dhcp4DnaConfig *c) {
        if (c->probe_attempts == 0 || c->probe_attempts > 10 || c->probe_timeout_usec == 0)
                return -EINVAL;
        if (c->confirm_burst == 0 || c->confirm_burst > 100 || c->confirm_interval_usec == 0)
                return -EINVAL;
        if (c->n_extra > DHCP4_DNA_EXTRA_MAX)
                return -EINVAL;
        return 0;
}

int dhcp4_dna_new(Dhcp4Dna **ret, const Dhcp4DnaConfig *cfg, const uint8_t mac[6], uint64_t seed) {
        Dhcp4Dna *dna;

        if (!ret || !cfg || !mac || mac_is_null(mac) || config_check(cfg) < 0)
                return -EINVAL;
        dna = calloc(1, sizeof(*dna));
        if (!dna)
                return -ENOMEM;
        dna->config = *cfg;
        memcpy(dna->mac, mac, 6);
        dna->prng = seed;
        dna->state = DHCP4_DNA_STATE_IDLE;
        dna->tokens = cfg->confirm_burst;
        dna->refill_usec = USEC_INFINITY;
        dna->round_usec = dna->periodic_usec = dna->learn_usec = dna->retry_usec = USEC_INFINITY;
        *ret = dna;
        return 0;
}

Dhcp4Dna *dhcp4_dna_free(Dhcp4Dna *dna) {
        free(dna);
        return NULL;
}

int dhcp4_dna_set_mac(Dhcp4Dna *dna, const uint8_t mac[6]) {
        if (!dna || !mac || mac_is_null(mac))
                return -EINVAL;
        memcpy(dna->mac, mac, 6);
        return 0;
}

/* ---- timers and rate limits ----------------------------------------------------- */

static void bucket_update(Dhcp4Dna *dna, uint64_t now) {
        while (dna->tokens < dna->config.confirm_burst && now >= dna->refill_usec) {
                dna->tokens++;
                dna->refill_usec = dna->tokens < dna->config.confirm_burst ?
                                           usec_add(dna->refill_usec, dna->config.confirm_interval_usec) :
                                           USEC_INFINITY;
        }
}

static bool bucket_take(Dhcp4Dna *dna, uint64_t now) {
        bucket_update(dna, now);
        if (dna->tokens == 0)
                return false;
        if (dna->tokens == dna->config.confirm_burst)
                dna->refill_usec = usec_add(now, dna->config.confirm_interval_usec);
        dna->tokens--;
        return true;
}

/* Periodic checks, ± 10 % so that nodes started together do not ARP in step. */
static void schedule_periodic(Dhcp4Dna *dna, uint64_t now) {
        uint64_t iv = dna->config.check_interval_usec, j = iv / 10;

        if (iv == 0) {
                dna->periodic_usec = USEC_INFINITY;
                return;
        }
        dna->periodic_usec = usec_add(now, iv - j + prng_next(&dna->prng) % (2 * j + 1));
}

/* ---- checks ------------------------------------------------------------------ */

static unsigned usable_count(const Dhcp4Dna *dna) {
        unsigned n = 0;

        for (size_t i = 0; i < dna->n_peers; i++)
                n += peer_usable(&dna->peers[i]);
        return n;
}

static void enter_watching(Dhcp4Dna *dna, uint64_t now) {
        dna->state = DHCP4_DNA_STATE_WATCHING;
        dna->round_usec = USEC_INFINITY;
        dna->holdoff_until_usec = usec_add(now, dna->config.check_holdoff_usec);
        if (dna->retry_usec == USEC_INFINITY)
                schedule_periodic(dna, now);
        else
                dna->periodic_usec = USEC_INFINITY; /* the retry tests first */
}

static void send_round(Dhcp4Dna *dna, uint64_t now) {
        for (size_t i = 0; i < dna->n_peers; i++)
                if (dna->peers[i].in_scope && !dna->peers[i].answered)
                        queue_arp(dna, DHCP4_DNA_SEND_TEST, &dna->peers[i]);
        dna->rounds++;
        dna->round_usec = usec_add(now, dna->config.probe_timeout_usec);
}

/* A suspect check (or a hint with nothing to test): confirm with DHCP, unless the
 * bucket is empty. RFC 4436 §2.2: on failure of the reachability test the host falls
 * back to DHCP, here INIT-REBOOT while the address stays (RFC 2131 §3.2, §4.4.2). */
static void decide_confirm(Dhcp4Dna *dna, uint64_t now) {
        char when[32];

        dna->check.finished_usec = now;
        dna->round_usec = USEC_INFINITY;
        if (dna->check.trigger == DHCP4_DNA_TRIGGER_COMMAND || bucket_take(dna, now)) {
                Dhcp4DnaAction *a;

                dna->confirm_took_token = dna->check.trigger != DHCP4_DNA_TRIGGER_COMMAND;
                dna->check.outcome = DHCP4_DNA_OUTCOME_CONFIRMING;
                dna->state = DHCP4_DNA_STATE_CONFIRMING;
                dna->retry_usec = dna->periodic_usec = USEC_INFINITY;
                dna->hint_pending = false;
                dna->confirmations++;
                queue_event(dna, DHCP4_DNA_EVENT_RESULT, "%s: confirming the lease with DHCP", dna->check.reason);
                a = queue_push(dna, DHCP4_DNA_ACTION_CONFIRM);
                a->trigger = dna->check.trigger;
                snprintf(a->text, sizeof(a->text), "%s", dna->check.reason);
                return;
        }
        /* Flapping peers or hints must not cause a DHCP storm: confirmations come at
         * most confirm_burst back to back, then one per confirm_interval. When the next
         * one is allowed, the peers are tested again first. */
        dna->check.outcome = DHCP4_DNA_OUTCOME_RATE_LIMITED;
        dna->retry_usec = dna->refill_usec;
        snprintf(when, sizeof(when), "%" PRIu64 " ms", usec_sub(dna->refill_usec, now) / USEC_PER_MSEC);
        queue_event(dna, DHCP4_DNA_EVENT_RESULT, "%s: %u confirmations lately, testing again in %s",
                    dna->check.reason, dna->config.confirm_burst, when);
        enter_watching(dna, now);
}

static void finish_attached(Dhcp4Dna *dna, uint64_t now) {
        dna->check.outcome = DHCP4_DNA_OUTCOME_ATTACHED;
        dna->check.finished_usec = now;
        snprintf(dna->check.reason, sizeof(dna->check.reason), "%u of %u peers answered from their known MACs",
                 dna->check.answered, dna->check.probed);
        /* RFC 4436 §2.2: the reachability test succeeded, the configuration stays valid
         * without DHCP. A pending rate-limited retry is no longer needed. */
        dna->retry_usec = USEC_INFINITY;
        queue_event(dna, DHCP4_DNA_EVENT_RESULT, "%s", dna->check.reason);
        enter_watching(dna, now);
}

static void reason_silent(Dhcp4Dna *dna) {
        char a[INET_ADDRSTRLEN];
        size_t off = 0, n = 0;

        for (size_t i = 0; i < dna->n_peers; i++) {
                const Peer *p = &dna->peers[i];

                if (!p->in_scope || p->answered)
                        continue;
                off += (size_t) snprintf(dna->check.reason + off, sizeof(dna->check.reason) - MIN(off, sizeof(dna->check.reason)),
                                         "%s%s", n++ ? ", " : "", addr_str(p->pub.address, a));
                if (off >= sizeof(dna->check.reason))
                        break;
        }
        if (off < sizeof(dna->check.reason))
                snprintf(dna->check.reason + off, sizeof(dna->check.reason) - off, " silent for %" PRIu64 " ms",
                         dna->rounds * dna->config.probe_timeout_usec / USEC_PER_MSEC);
}

static void start_check(Dhcp4Dna *dna, Dhcp4DnaTrigger trigger, uint64_t now) {
        unsigned usable = usable_count(dna);
        size_t pick = SIZE_MAX;

        dna->hint_pending = false;
        dna->periodic_usec = USEC_INFINITY;
        if (trigger == DHCP4_DNA_TRIGGER_RETRY)
                dna->retry_usec = USEC_INFINITY;

        if (usable == 0) {
                if (trigger == DHCP4_DNA_TRIGGER_PERIODIC) {
                        /* Nothing to ARP: the periodic check cannot help; hints still can. */
                        dna->has_check = true;
                        dna->check = (Dhcp4DnaCheck) { .trigger = trigger, .outcome = DHCP4_DNA_OUTCOME_NO_PEER,
                                                       .started_usec = now, .finished_usec = now };
                        snprintf(dna->check.reason, sizeof(dna->check.reason), "no usable peer to test");
                        if (!dna->no_peer_reported) {
                                dna->no_peer_reported = true;
                                queue_event(dna, DHCP4_DNA_EVENT_NO_PEER,
                                            "no peer of the lease answers ARP: attachment is checked only on hints, "
                                            "by DHCP");
                        }
                        schedule_periodic(dna, now);
                        return;
                }
                dna->checks++;
                dna->has_check = true;
                dna->check = (Dhcp4DnaCheck) { .trigger = trigger, .outcome = DHCP4_DNA_OUTCOME_RUNNING,
                                               .started_usec = now };
                for (size_t i = 0; i < dna->n_peers; i++)
                        dna->peers[i].in_scope = dna->peers[i].answered = false;
                snprintf(dna->check.reason, sizeof(dna->check.reason), "%s hint and no usable peer to test",
                         dhcp4_dna_trigger_to_string(trigger));
                queue_event(dna, DHCP4_DNA_EVENT_CHECK, "%s", dna->check.reason);
                decide_confirm(dna, now);
                return;
        }

        if (trigger == DHCP4_DNA_TRIGGER_PERIODIC) {
                /* Cheap: one unicast ARP to one peer, taken in turn; widened if it is silent. */
                unsigned k = dna->rotate++ % usable;

                for (size_t i = 0; i < dna->n_peers && pick == SIZE_MAX; i++)
                        if (peer_usable(&dna->peers[i]) && k-- == 0)
                                pick = i;
        }
        dna->checks++;
        dna->has_check = true;
        dna->check = (Dhcp4DnaCheck) { .trigger = trigger, .outcome = DHCP4_DNA_OUTCOME_RUNNING, .started_usec = now };
        dna->scope_single = pick != SIZE_MAX && usable > 1;
        for (size_t i = 0; i < dna->n_peers; i++) {
                Peer *p = &dna->peers[i];

                p->in_scope = pick == SIZE_MAX ? peer_usable(p) : i == pick;
                p->answered = false;
                p->changed = false;
                dna->check.probed += p->in_scope;
        }
        dna->rounds = 0;
        dna->state = DHCP4_DNA_STATE_CHECKING;
        queue_event(dna, DHCP4_DNA_EVENT_CHECK, "%s: testing %u peer(s) by unicast ARP",
                    dhcp4_dna_trigger_to_string(trigger), dna->check.probed);
        send_round(dna, now);
}

static void check_round_timeout(Dhcp4Dna *dna, uint64_t now) {
        if (dna->rounds < dna->config.probe_attempts) {
                /* One lost frame must not look like a move: ask the silent ones again. */
                send_round(dna, now);
                return;
        }
        if (dna->scope_single) {
                /* The one peer of a periodic check is silent: test every usable peer
                 * before bothering DHCP (it may simply be down). */
                dna->scope_single = false;
                for (size_t i = 0; i < dna->n_peers; i++) {
                        Peer *p = &dna->peers[i];

                        if (!p->in_scope && peer_usable(p)) {
                                p->in_scope = true;
                                dna->check.probed++;
                        }
                }
                dna->rounds = 0;
                send_round(dna, now);
                return;
        }
        reason_silent(dna);
        decide_confirm(dna, now);
}

/* A hint: start now, or when the hold-off since the last check ends. */
static void hint(Dhcp4Dna *dna, Dhcp4DnaTrigger trigger, uint64_t now) {
        if (dna->state != DHCP4_DNA_STATE_WATCHING)
                return; /* IDLE: nothing to check; CHECKING/CONFIRMING: already on it */
        if (trigger != DHCP4_DNA_TRIGGER_COMMAND && now < dna->holdoff_until_usec) {
                if (!dna->hint_pending) {
                        dna->hint_pending = true;
                        dna->pending_trigger = trigger;
                }
                return;
        }
        start_check(dna, trigger, now);
}

int dhcp4_dna_hint(Dhcp4Dna *dna, Dhcp4DnaTrigger trigger, uint64_t now) {
        int r;

        if ((unsigned) trigger >= _DHCP4_DNA_TRIGGER_MAX || trigger == DHCP4_DNA_TRIGGER_PERIODIC ||
            trigger == DHCP4_DNA_TRIGGER_RETRY)
                return -EINVAL;
        r = input_begin(dna);
        if (r < 0)
                return r;
        bucket_update(dna, now);
        hint(dna, trigger, now);
        return 0;
}

static bool all_learned(const Dhcp4Dna *dna) {
        for (size_t i = 0; i < dna->n_peers; i++)
                if (!dna->peers[i].pub.has_mac)
                        return false;
        return true;
}

static void learn_round(Dhcp4Dna *dna, uint64_t now) {
        bool any = false;

        for (size_t i = 0; i < dna->n_peers; i++)
                if (!dna->peers[i].pub.has_mac) {
                        queue_arp(dna, DHCP4_DNA_SEND_LEARN, &dna->peers[i]);
                        any = true;
                }
        dna->learn_rounds++;
        dna->learn_usec = any && dna->learn_rounds < dna->config.probe_attempts ?
                                  usec_add(now, dna->config.probe_timeout_usec) :
                                  USEC_INFINITY;
}

int dhcp4_dna_timeout(Dhcp4Dna *dna, uint64_t now) {
        int r;

        r = input_begin(dna);
        if (r < 0)
                return r;
        bucket_update(dna, now);

        switch (dna->state) {
        case DHCP4_DNA_STATE_CHECKING:
                if (now >= dna->round_usec)
                        check_round_timeout(dna, now);
                break;
        case DHCP4_DNA_STATE_WATCHING:
                if (now >= dna->learn_usec)
                        learn_round(dna, now);
                if (dna->hint_pending && now >= dna->holdoff_until_usec)
                        start_check(dna, dna->pending_trigger, now);
                else if (now >= dna->retry_usec)
                        start_check(dna, DHCP4_DNA_TRIGGER_RETRY, now);
                else if (now >= dna->periodic_usec)
                        start_check(dna, DHCP4_DNA_TRIGGER_PERIODIC, now);
                break;
        default:
                break;
        }
        return 0;
}

uint64_t dhcp4_dna_next_deadline(const Dhcp4Dna *dna) {
        uint64_t t = USEC_INFINITY;

        if (!dna)
                return t;
        switch (dna->state) {
        case DHCP4_DNA_STATE_CHECKING:
                return dna->round_usec;
        case DHCP4_DNA_STATE_WATCHING:
                t = MIN(dna->periodic_usec, dna->learn_usec);
                t = MIN(t, dna->retry_usec);
                if (dna->hint_pending)
                        t = MIN(t, dna->holdoff_until_usec);
                return t;
        default:
                return t;
        }
}

int dhcp4_dna_confirm_abort(Dhcp4Dna *dna, uint64_t now) {
        int r;

        r = input_begin(dna);
        if (r < 0)
                return r;
        if (dna->state != DHCP4_DNA_STATE_CONFIRMING)
                return 0;
        dna->check.outcome = DHCP4_DNA_OUTCOME_ABORTED;
        queue_event(dna, DHCP4_DNA_EVENT_RESULT, "%s: the DHCP client could not confirm now", dna->check.reason);
        enter_watching(dna, now);
        return 0;
}

/* ---- the lease --------------------------------------------------------------- */

static void peer_add(Peer *peers, size_t *n, struct in_addr a, Dhcp4DnaPeerSource src, struct in_addr self) {
        if (*n >= DHCP4_DNA_PEER_MAX || !address_is_host(a) || a.s_addr == self.s_addr)
                return;
        for (size_t i = 0; i < *n; i++)
                if (peers[i].pub.address.s_addr == a.s_addr)
                        return;
        peers[*n] = (Peer) { .pub = { .address = a, .source = src } };
        (*n)++;
}

int dhcp4_dna_set_lease(Dhcp4Dna *dna, const Dhcp4Lease *lease, uint64_t now) {
        Peer fresh[DHCP4_DNA_PEER_MAX];
        Dhcp4Subnet net;
        size_t n = 0;
        bool same, confirming;
        char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
        int r;

        if (!lease)
                return -EINVAL;
        r = input_begin(dna);
        if (r < 0)
                return r;
        if (!dna->config.enabled)
                return 0;
        bucket_update(dna, now);

        same = dna->state != DHCP4_DNA_STATE_IDLE && dna->address.s_addr == lease->address.s_addr;
        confirming = dna->state == DHCP4_DNA_STATE_CONFIRMING;
        net = (Dhcp4Subnet) { .address = lease->address, .prefixlen = MIN(lease->prefixlen, 32) };

        /* The peers RFC 4436 §2.1 suggests testing are the routers; ACI's fabric adds
         * the opflex anycast address. The server identifier only when it lies inside
         * the leased subnet: behind a relay (an ACI leaf) it is off-link and ARP for it
         * goes nowhere. */
        for (size_t i = 0; i < MIN(lease->n_routers, (size_t) LEASE_MAX_ROUTERS); i++)
                peer_add(fresh, &n, lease->routers[i], DHCP4_DNA_PEER_ROUTER, lease->address);
        if (dhcp4_subnet_contains(&net, lease->server_id))
                peer_add(fresh, &n, lease->server_id, DHCP4_DNA_PEER_SERVER, lease->address);
        for (size_t i = 0; i < dna->config.n_extra; i++) {
                struct in_addr x = dna->config.extra[i].address;

                if (dna->config.extra[i].relative)
                        x.s_addr = (lease->address.s_addr & lease_prefix_mask(net.prefixlen) & htonl(0xffffff00)) |
                                   htonl(dna->config.extra[i].last_octet);
                peer_add(fresh, &n, x, DHCP4_DNA_PEER_EXTRA, lease->address);
        }

        for (size_t i = 0; i < n; i++) {
                Peer *old = same ? peer_find(dna, fresh[i].pub.address) : NULL;

                if (!old)
                        continue;
                fresh[i].pub.has_mac = old->pub.has_mac;
                memcpy(fresh[i].pub.mac, old->pub.mac, 6);
                fresh[i].pub.unresponsive = old->pub.unresponsive;
                fresh[i].pub.last_seen_usec = old->pub.last_seen_usec;
                if (confirming && old->in_scope && !old->answered && !old->changed) {
                        /* Silent, yet the server says we did not move: this peer is down,
                         * filters unicast ARP, or now has another MAC (another leaf of the
                         * same network). Forget the MAC and learn it again now that we
                         * know we are attached; until then it is no evidence, or every
                         * check would end in DHCP. */
                        fresh[i].pub.unresponsive = true;
                        fresh[i].pub.has_mac = false;
                }
                if (confirming && old->changed) {
                        /* Same network, new MAC (a router replaced, a VRRP failover). */
                        memcpy(fresh[i].pub.mac, old->seen_mac, 6);
                        fresh[i].pub.has_mac = true;
                        fresh[i].pub.unresponsive = false;
                }
        }

        if (confirming && !same && dna->confirm_took_token && dna->tokens < dna->config.confirm_burst) {
                /* The doubt was right: the node did move. The rate limit is against
                 * doubts the server then dispels (flapping peers, spurious hints); a
                 * real move costs no token, so a node migrated again soon after is
                 * still noticed at once. */
                dna->tokens++;
                if (dna->tokens == dna->config.confirm_burst)
                        dna->refill_usec = USEC_INFINITY;
        }
        dna->confirm_took_token = false;
        if (confirming) {
                dna->check.outcome = same ? DHCP4_DNA_OUTCOME_CONFIRMED : DHCP4_DNA_OUTCOME_MOVED;
                if (same)
                        snprintf(dna->check.reason, sizeof(dna->check.reason),
                                 "the server confirmed %s: still attached", addr_str(lease->address, a));
                else
                        snprintf(dna->check.reason, sizeof(dna->check.reason), "moved: %s replaced by %s",
                                 addr_str(dna->address, a), addr_str(lease->address, b));
                queue_event(dna, DHCP4_DNA_EVENT_RESULT, "%s", dna->check.reason);
        }
        if (!same)
                dna->no_peer_reported = false;

        memcpy(dna->peers, fresh, sizeof(fresh[0]) * n);
        dna->n_peers = n;
        dna->address = lease->address;
        dna->prefixlen = net.prefixlen;
        dna->hint_pending = false;
        dna->learn_rounds = 0;
        dna->learn_usec = USEC_INFINITY;
        if (!same)
                dna->retry_usec = USEC_INFINITY;
        enter_watching(dna, now);

        if (n == 0) {
                dna->no_peer_reported = true;
                queue_event(dna, DHCP4_DNA_EVENT_NO_PEER,
                            "the lease of %s names no on-link peer (router, on-link server or extra peer): "
                            "attachment is checked only on hints, by DHCP", addr_str(lease->address, a));
                return 0;
        }
        /* We are certainly attached to the network that has just ACKed us: learn the
         * MACs not known yet with an ordinary broadcast request. */
        learn_round(dna, now);
        return 0;
}

int dhcp4_dna_clear(Dhcp4Dna *dna) {
        if (!dna)
                return -EINVAL;
        dna->state = DHCP4_DNA_STATE_IDLE;
        dna->address = (struct in_addr) {};
        dna->n_peers = 0;
        dna->hint_pending = false;
        dna->round_usec = dna->periodic_usec = dna->learn_usec = dna->retry_usec = USEC_INFINITY;
        dna->queue_head = dna->queue_len = 0;
        if (dna->has_check && (dna->check.outcome == DHCP4_DNA_OUTCOME_RUNNING ||
                               dna->check.outcome == DHCP4_DNA_OUTCOME_CONFIRMING))
                dna->check.outcome = DHCP4_DNA_OUTCOME_ABORTED;
        return 0;
}

/* ---- receiving --------------------------------------------------------------- */

/* RARP (RFC 903) on Ethernet: the ARP layout with op 3 (request reverse) or 4
 * (reply reverse). Hypervisors announce a migrated VM with a RARP request whose
 * sender and target hardware addresses are the VM's MAC (QEMU, VMware vMotion). */
static int receive_rarp(Dhcp4Dna *dna, const uint8_t *p, size_t len, uint64_t now) {
        uint16_t op;

        if (!p || len < DHCP4_ACD_ARP_LEN)
                return DHCP4_DNA_RX_MALFORMED;
        if (p[0] != 0 || p[1] != 1 || p[2] != 0x08 || p[3] != 0x00 || p[4] != 6 || p[5] != 4)
                return DHCP4_DNA_RX_MALFORMED;
        op = (uint16_t) (p[6] << 8 | p[7]);
        if (op != 3 && op != 4)
                return DHCP4_DNA_RX_MALFORMED;
        if (dna->state == DHCP4_DNA_STATE_IDLE)
                return DHCP4_DNA_RX_IDLE;
        if (memcmp(p + 8, dna->mac, 6) != 0 && memcmp(p + 18, dna->mac, 6) != 0)
                return DHCP4_DNA_RX_IGNORED;
        hint(dna, DHCP4_DNA_TRIGGER_ANNOUNCE, now);
        return DHCP4_DNA_RX_USED;
}

static int receive_from_peer(Dhcp4Dna *dna, Peer *p, const Dhcp4Arp *arp, uint64_t now) {
        char a[INET_ADDRSTRLEN], m[18], k[18];

        if (mac_is_null(arp->sha) || mac_is_multicast(arp->sha))
                return DHCP4_DNA_RX_IGNORED;

        if (!p->pub.has_mac) {
                /* Learn only while we believe we are attached (not while in doubt). */
                if (dna->state != DHCP4_DNA_STATE_WATCHING)
                        return DHCP4_DNA_RX_IGNORED;
                p->pub.has_mac = true;
                p->pub.unresponsive = false;
                memcpy(p->pub.mac, arp->sha, 6);
                p->pub.last_seen_usec = now;
                if (all_learned(dna))
                        dna->learn_usec = USEC_INFINITY;
                {
                        Dhcp4DnaAction *e = queue_event(dna, DHCP4_DNA_EVENT_PEER_LEARNED, "%s %s is at %s",
                                                        dhcp4_dna_peer_source_to_string(p->pub.source),
                                                        addr_str(p->pub.address, a), mac_str(arp->sha, m));
                        e->peer = p->pub.address;
                        memcpy(e->mac, arp->sha, 6);
                }
                return DHCP4_DNA_RX_USED;
        }

        if (memcmp(arp->sha, p->pub.mac, 6) == 0) {
                p->pub.last_seen_usec = now;
                p->pub.unresponsive = false; /* heard again: evidence again */
                if (dna->state == DHCP4_DNA_STATE_CHECKING && p->in_scope && !p->answered) {
                        p->answered = true;
                        dna->check.answered++;
                        if (dna->check.answered >= dna->check.probed)
                                finish_attached(dna, now);
                }
                return DHCP4_DNA_RX_USED;
        }

        /* Another MAC for a known peer: another link's device with the same address,
         * or the peer replaced. */
        p->changed = true;
        memcpy(p->seen_mac, arp->sha, 6);
        if (dna->state == DHCP4_DNA_STATE_CHECKING && p->in_scope) {
                snprintf(dna->check.reason, sizeof(dna->check.reason), "%s answered from %s (known as %s)",
                         addr_str(p->pub.address, a), mac_str(arp->sha, m), mac_str(p->pub.mac, k));
                decide_confirm(dna, now);
        } else
                hint(dna, DHCP4_DNA_TRIGGER_PEER_MAC, now);
        return DHCP4_DNA_RX_USED;
}

int dhcp4_dna_receive(Dhcp4Dna *dna, uint16_t ethertype, const uint8_t *frame_src_mac, const uint8_t *payload,
                      size_t len, uint64_t now) {
        Dhcp4Arp arp;
        Peer *p;
        int r;

        r = input_begin(dna);
        if (r < 0)
                return r;
        bucket_update(dna, now);

        if (ethertype == DHCP4_DNA_ETHERTYPE_RARP)
                return receive_rarp(dna, payload, len, now);
        if (ethertype != DHCP4_DNA_ETHERTYPE_ARP || dhcp4_acd_arp_parse(payload, len, &arp) != 0)
                return DHCP4_DNA_RX_MALFORMED;
        if (dna->state == DHCP4_DNA_STATE_IDLE)
                return DHCP4_DNA_RX_IDLE;

        if (memcmp(arp.sha, dna->mac, 6) == 0) {
                /* Our MAC as sender, received (the daemon's filter drops what we send):
                 * the hypervisor's gratuitous ARP for the moved VM (sender IP = target IP =
                 * ours). Anything else with our MAC is an echo of our own requests. */
                if (arp.spa.s_addr == dna->address.s_addr && arp.tpa.s_addr == dna->address.s_addr) {
                        hint(dna, DHCP4_DNA_TRIGGER_ANNOUNCE, now);
                        return DHCP4_DNA_RX_USED;
                }
                return DHCP4_DNA_RX_OWN;
        }
        p = peer_find(dna, arp.spa);
        if (!p)
                return DHCP4_DNA_RX_IGNORED;
        return receive_from_peer(dna, p, &arp, now);
}

/* ---- observers ---------------------------------------------------------------- */

Dhcp4DnaState dhcp4_dna_get_state(const Dhcp4Dna *dna) {
        return dna ? dna->state : DHCP4_DNA_STATE_IDLE;
}

bool dhcp4_dna_get_enabled(const Dhcp4Dna *dna) {
        return dna && dna->config.enabled;
}

size_t dhcp4_dna_get_peers(const Dhcp4Dna *dna, Dhcp4DnaPeer *out, size_t n) {
        size_t k = 0;

        if (!dna || (!out && n > 0))
                return 0;
        for (size_t i = 0; i < dna->n_peers && k < n; i++)
                out[k++] = dna->peers[i].pub;
        return dna->n_peers;
}

unsigned dhcp4_dna_get_usable_peers(const Dhcp4Dna *dna) {
        return dna ? usable_count(dna) : 0;
}

bool dhcp4_dna_get_last_check(const Dhcp4Dna *dna, Dhcp4DnaCheck *ret) {
        if (!dna || !dna->has_check)
                return false;
        if (ret)
                *ret = dna->check;
        return true;
}

unsigned dhcp4_dna_get_checks(const Dhcp4Dna *dna) {
        return dna ? dna->checks : 0;
}

unsigned dhcp4_dna_get_confirmations(const Dhcp4Dna *dna) {
        return dna ? dna->confirmations : 0;
}

uint64_t dhcp4_dna_get_next_check(const Dhcp4Dna *dna) {
        if (!dna || dna->state != DHCP4_DNA_STATE_WATCHING)
                return USEC_INFINITY;
        return MIN(MIN(dna->periodic_usec, dna->retry_usec),
                   dna->hint_pending ? dna->holdoff_until_usec : USEC_INFINITY);
}
