/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The DHCPv4 client state machine (RFC 2131 §4.4): INIT, SELECTING, REQUESTING,
 * (ACD) PROBING, BOUND, RENEWING, REBINDING, INIT-REBOOT/REBOOTING, DECLINED, RELEASED.
 * Bytes, time, link events and commands in; queued actions out.
 * Not here: sockets, clocks, randomness sources, netlink, ARP (the daemon and
 * dhcp4-acd do those), nor the wire format (dhcp4-message). Time is always the
 * caller's `now` (usec); randomness is a splitmix64 PRNG seeded from the config, so a
 * test with a fixed seed replays exactly.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp4-engine.h"
#include "macro.h"
#include "parse-util.h"
#include "string-table.h"
#include "time-util.h"

/* What we ask for in option 55 (RFC 2132 §9.8). 51/54/58/59 are listed too: some
 * servers only send what is asked for. */
static const uint8_t request_params[] = {
        DHCP4_OPTION_SUBNET_MASK,
        DHCP4_OPTION_ROUTER,
        DHCP4_OPTION_DNS_SERVER,
        DHCP4_OPTION_HOST_NAME,
        DHCP4_OPTION_DOMAIN_NAME,
        DHCP4_OPTION_MTU,
        DHCP4_OPTION_BROADCAST,
        DHCP4_OPTION_LEASE_TIME,
        DHCP4_OPTION_SERVER_ID,
        DHCP4_OPTION_RENEWAL_TIME,
        DHCP4_OPTION_REBINDING_TIME,
        DHCP4_OPTION_CLASSLESS_ROUTE,
};

/* Option 57 (RFC 2132 §9.10) counts the whole IP datagram: our largest accepted DHCP
 * payload plus IP and UDP headers = 1500, one Ethernet frame. */
#define MAX_MESSAGE_SIZE (DHCP4_MAX_MESSAGE_LEN + 20 + 8)

#ifndef _fallthrough_
#define _fallthrough_ __attribute__((__fallthrough__))
#endif

typedef struct Quarantine {
        struct in_addr address;
        uint64_t until_usec;
} Quarantine;

struct Dhcp4Engine {
        Dhcp4EngineConfig config;
        uint8_t client_id[LEASE_CLIENT_ID_LEN];
        uint64_t prng;

        Dhcp4State state;
        bool link_up;

        /* The exchange in progress. */
        uint32_t xid;
        uint64_t exchange_start_usec; /* 'secs' counts from here */
        uint16_t discover_secs;       /* 'secs' of the last DISCOVER, reused by REQUESTING */
        uint64_t request_first_usec;  /* first REQUEST of this exchange: lease times count from it */
        unsigned attempts;            /* packets sent in this exchange */
        uint64_t timer_usec;          /* the state's timer; USEC_INFINITY: none */
        uint64_t reboot_deadline_usec;
        struct in_addr offer_address, offer_server_id; /* REQUESTING */

        /* The configured lease, and the one under the ACD probe. */
        bool has_lease;
        bool lease_reusable; /* false after restart()/set_mac(): kept until replaced, never renewed */
        Dhcp4Lease lease;
        bool has_pending;
        Dhcp4Lease pending;

        unsigned nak_count; /* consecutive NAKs since the last bind */
        unsigned configure_failures; /* binds in a row whose address could not be configured */
        unsigned conflicts; /* consecutive conflicts since the last bind */
        uint64_t decline_backoff_usec;

        Quarantine quarantine[DHCP4_ENGINE_QUARANTINE_MAX];
        size_t n_quarantine;
        Dhcp4Subnet refuse[DHCP4_ENGINE_REFUSE_MAX];
        size_t n_refuse;
        Dhcp4Subnet require; /* offers outside it are refused; prefixlen 0 = none */
        bool has_require;
        Dhcp4Subnet confirm_refuse; /* the network a confirmation was NAKed in ... */
        uint64_t confirm_refuse_until_usec; /* ... refused until then (0: none) */

        size_t queue_head, queue_len;
        bool overflowed;

        /* Last, and not zeroed by dhcp4_engine_new(): queue_push() clears each entry it
         * hands out, and the ring restarts at entry 0 whenever it is empty, so only the
         * entries one input needs are ever touched (about 1.7 KiB each, 54 KiB in all:
         * memory a daemon would otherwise dirty at start for nothing, issue 13). */
        Dhcp4Action overflow; /* sink if an input ever queued more than promised */
        Dhcp4Action queue[DHCP4_ENGINE_QUEUE_SIZE];
};

static const char *const dhcp4_state_table[_DHCP4_STATE_MAX] = {
        [DHCP4_STATE_STOPPED] = "STOPPED",
        [DHCP4_STATE_INIT] = "INIT",
        [DHCP4_STATE_SELECTING] = "SELECTING",
        [DHCP4_STATE_REQUESTING] = "REQUESTING",
        [DHCP4_STATE_PROBING] = "PROBING",
        [DHCP4_STATE_BOUND] = "BOUND",
        [DHCP4_STATE_RENEWING] = "RENEWING",
        [DHCP4_STATE_REBINDING] = "REBINDING",
        [DHCP4_STATE_INIT_REBOOT] = "INIT-REBOOT",
        [DHCP4_STATE_REBOOTING] = "REBOOTING",
        [DHCP4_STATE_RELEASED] = "RELEASED",
        [DHCP4_STATE_DECLINED] = "DECLINED",
        [DHCP4_STATE_CONFIRMING] = "CONFIRMING",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(dhcp4_state, Dhcp4State)

static const char *const dhcp4_event_table[_DHCP4_EVENT_MAX] = {
        [DHCP4_EVENT_OFFER_REFUSED] = "offer-refused",
        [DHCP4_EVENT_NAK] = "nak",
        [DHCP4_EVENT_EXPIRED] = "expired",
        [DHCP4_EVENT_REBOOT_TIMEOUT] = "reboot-timeout",
        [DHCP4_EVENT_REQUEST_TIMEOUT] = "request-timeout",
        [DHCP4_EVENT_CONFLICT] = "conflict",
        [DHCP4_EVENT_BAD_LEASE] = "bad-lease",
        [DHCP4_EVENT_ADDRESS_LOST] = "address-lost",
        [DHCP4_EVENT_CONFIRMED] = "confirmed",
        [DHCP4_EVENT_MOVED] = "moved",
        [DHCP4_EVENT_CONFIRM_TIMEOUT] = "confirm-timeout",
        [DHCP4_EVENT_CONFIGURE_FAILED] = "configure-failed",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(dhcp4_event, Dhcp4Event)

static const char *const rx_table[_DHCP4_RX_MAX - _DHCP4_PARSE_MAX] = {
        [DHCP4_RX_UNEXPECTED - _DHCP4_PARSE_MAX] = "unexpected",
        [DHCP4_RX_REFUSED - _DHCP4_PARSE_MAX] = "refused",
        [DHCP4_RX_BAD_LEASE - _DHCP4_PARSE_MAX] = "bad-lease",
        [DHCP4_RX_WRONG_SERVER - _DHCP4_PARSE_MAX] = "wrong-server",
        [DHCP4_RX_FORCERENEW - _DHCP4_PARSE_MAX] = "forcerenew-unauthenticated",
};

const char *dhcp4_engine_rx_to_string(int r) {
        if (r <= 0 || r >= _DHCP4_RX_MAX)
                return NULL;
        if (r < _DHCP4_PARSE_MAX)
                return dhcp4_parse_result_to_string(r);
        return rx_table[r - _DHCP4_PARSE_MAX];
}

void dhcp4_engine_config_init(Dhcp4EngineConfig *c) {
        if (!c)
                return;
        /* Data-centre defaults; the reasoning is in docs/engine.md. */
        *c = (Dhcp4EngineConfig) {
                .broadcast_flag = false,
                .initial_delay_usec = 0,
                .retransmit_initial_usec = 1 * USEC_PER_SEC,
                .retransmit_max_usec = 16 * USEC_PER_SEC,
                .retransmit_jitter_usec = 100 * USEC_PER_MSEC,
                .reboot_timeout_usec = 2 * USEC_PER_SEC,
                .request_max_attempts = 4,
                .renew_retransmit_min_usec = 10 * USEC_PER_SEC,
                .decline_backoff_initial_usec = 1 * USEC_PER_SEC,
                .decline_backoff_max_usec = 64 * USEC_PER_SEC,
                .decline_quarantine_usec = 600 * USEC_PER_SEC,
                .confirm_refuse_usec = 30 * USEC_PER_SEC,
        };
}

/* ---- small pure helpers ------------------------------------------------------- */

/* splitmix64 (Steele, Lea, Flood 2014): tiny, full-period, good enough for xids and
 * jitter; not cryptographic, and need not be (RFC 2131 §4.1 only asks for randomness
 * to desynchronise clients). */
static uint64_t prng_next(uint64_t *s) {
        uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));

        z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
        return z ^ (z >> 31);
}

/* Uniform in [0, n]; the modulo bias is below 2^-40 for the ranges used here. */
static uint64_t prng_upto(uint64_t *s, uint64_t n) {
        if (n == UINT64_MAX)
                return prng_next(s);
        return prng_next(s) % (n + 1);
}

static bool mac_is_null(const uint8_t mac[6]) {
        static const uint8_t zero[6] = {};

        return memcmp(mac, zero, 6) == 0;
}

/* A yiaddr we can put on an interface: not 0/8 ("this network", RFC 1122 §3.2.1.3),
 * loopback, multicast/reserved (224/3) or limited broadcast. */
static bool address_is_unicast(struct in_addr a) {
        uint32_t h = ntohl(a.s_addr);

        if ((h >> 24) == 0 || (h >> 24) == 127)
                return false;
        if ((h >> 28) >= 0xe)
                return false;
        return true;
}

/* RFC 950-era classful default when the server sends no option 1. */
static uint8_t classful_prefixlen(struct in_addr a) {
        uint32_t h = ntohl(a.s_addr);

        if ((h >> 31) == 0)
                return 8;  /* class A */
        if ((h >> 30) == 2)
                return 16; /* class B */
        return 24;         /* class C (D/E never get here: address_is_unicast) */
}

static bool addr_eq(struct in_addr a, struct in_addr b) {
        return a.s_addr == b.s_addr;
}

static const char *addr_str(struct in_addr a, char buf[static INET_ADDRSTRLEN]) {
        if (!inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN))
                snprintf(buf, INET_ADDRSTRLEN, "?");
        return buf;
}

/* RFC 2131 §4.4.5: T1 defaults to 0.5 and T2 to 0.875 of the lease. Server values are
 * used when sane (0 < t < lifetime, independently), and only if T1 < T2 still holds
 * ("T1 MUST be earlier than T2, which, in turn, MUST be earlier than the time at which
 * the client's lease will expire"); otherwise both defaults. */
static void lease_set_times(Dhcp4Lease *l, bool has_t1, uint32_t t1, bool has_t2, uint32_t t2) {
        uint32_t d1, d2, r1, r2;

        if (l->lifetime == UINT32_MAX) { /* infinite lease (RFC 2131 §3.3): never renew */
                l->t1 = l->t2 = UINT32_MAX;
                return;
        }
        d1 = l->lifetime / 2;
        d2 = (uint32_t) ((uint64_t) l->lifetime * 7 / 8);
        r1 = has_t1 && t1 > 0 && t1 < l->lifetime ? t1 : d1;
        r2 = has_t2 && t2 > 0 && t2 < l->lifetime ? t2 : d2;
        if (r1 >= r2) {
                r1 = d1;
                r2 = d2;
        }
        l->t1 = r1;
        l->t2 = r2;
}

static uint64_t lease_time_usec(const Dhcp4Lease *l, uint32_t secs) {
        if (l->lifetime == UINT32_MAX)
                return USEC_INFINITY;
        return usec_add(l->acquired_usec, (uint64_t) secs * USEC_PER_SEC);
}

static uint64_t lease_t1_usec(const Dhcp4Lease *l) {
        return lease_time_usec(l, l->t1);
}

static uint64_t lease_t2_usec(const Dhcp4Lease *l) {
        return lease_time_usec(l, l->t2);
}

static uint64_t lease_expiry_usec(const Dhcp4Lease *l) {
        return lease_time_usec(l, l->lifetime);
}

static uint16_t secs_since(uint64_t start, uint64_t now) {
        uint64_t s = usec_sub(now, start) / USEC_PER_SEC;

        /* The issue requires 'secs' never 0 (some relays/servers drop 0); RFC 2131
         * §4.4.1 lets it count from the start of the exchange, so 1 is honest. */
        if (s < 1)
                return 1;
        if (s > UINT16_MAX)
                return UINT16_MAX;
        return (uint16_t) s;
}

/* ---- action queue ------------------------------------------------------------- */

static Dhcp4Action *queue_push(Dhcp4Engine *e, Dhcp4ActionType type) {
        Dhcp4Action *a;

        if (e->queue_len >= DHCP4_ENGINE_QUEUE_SIZE) {
                /* Cannot happen while one input queues at most DHCP4_ENGINE_INPUT_ACTIONS_MAX
                 * (checked on entry); never overwrite what the caller has not popped. */
                e->overflowed = true;
                a = &e->overflow;
        } else {
                a = &e->queue[(e->queue_head + e->queue_len) % DHCP4_ENGINE_QUEUE_SIZE];
                e->queue_len++;
        }
        memset(a, 0, sizeof(*a));
        a->type = type;
        return a;
}

static void queue_drop_last(Dhcp4Engine *e) {
        if (e->queue_len > 0)
                e->queue_len--;
}

static int input_begin(Dhcp4Engine *e) {
        if (!e)
                return -EINVAL;
        if (DHCP4_ENGINE_QUEUE_SIZE - e->queue_len < DHCP4_ENGINE_INPUT_ACTIONS_MAX)
                return -ENOBUFS;
        e->overflowed = false;
        return 0;
}

/* A command (release, renew, rebind, confirm): an input that a stopped engine refuses. */
static int command_begin(Dhcp4Engine *e) {
        int r = input_begin(e);

        if (r < 0)
                return r;
        return e->state == DHCP4_STATE_STOPPED ? -ESTALE : 0;
}

static int input_end(Dhcp4Engine *e, int r) {
        if (r >= 0 && e->overflowed)
                return -ENOBUFS;
        return r;
}

static void engine_set_state(Dhcp4Engine *e, Dhcp4State s) {
        Dhcp4Action *a;

        if (e->state == s)
                return;
        a = queue_push(e, DHCP4_ACTION_STATE);
        a->old_state = e->state;
        a->new_state = s;
        e->state = s;
}

_printf_(4, 5) static Dhcp4Action *engine_event(Dhcp4Engine *e, Dhcp4Event ev, struct in_addr address,
                                                const char *fmt, ...) {
        Dhcp4Action *a = queue_push(e, DHCP4_ACTION_EVENT);
        va_list ap;

        a->event = ev;
        a->address = address;
        va_start(ap, fmt);
        vsnprintf(a->text, sizeof(a->text), fmt, ap);
        va_end(ap);
        return a;
}

static void engine_push_lease(Dhcp4Engine *e, Dhcp4ActionType type, const Dhcp4Lease *l) {
        Dhcp4Action *a = queue_push(e, type);

        a->lease = *l;
        a->address = l->address;
        a->prefixlen = l->prefixlen;
}

/* Removes the configured lease: DECONFIGURE + FORGET. */
static void engine_drop_lease(Dhcp4Engine *e) {
        if (!e->has_lease)
                return;
        engine_push_lease(e, DHCP4_ACTION_DECONFIGURE, &e->lease);
        queue_push(e, DHCP4_ACTION_FORGET);
        e->has_lease = false;
        e->lease_reusable = false;
}

/* ---- quarantine and refused subnets -------------------------------------------- */

static bool engine_is_quarantined(const Dhcp4Engine *e, struct in_addr a, uint64_t now) {
        for (size_t i = 0; i < e->n_quarantine; i++)
                if (addr_eq(e->quarantine[i].address, a) && now < e->quarantine[i].until_usec)
                        return true;
        return false;
}

static void engine_quarantine(Dhcp4Engine *e, struct in_addr a, uint64_t now) {
        uint64_t until = usec_add(now, e->config.decline_quarantine_usec);
        size_t slot = e->n_quarantine;

        if (e->config.decline_quarantine_usec == 0)
                return;
        for (size_t i = 0; i < e->n_quarantine; i++) {
                /* same address again, or an expired slot to reuse */
                if (addr_eq(e->quarantine[i].address, a) || e->quarantine[i].until_usec <= now) {
                        slot = i;
                        break;
                }
        }
        if (slot == DHCP4_ENGINE_QUARANTINE_MAX) {
                /* full: evict the entry that would leave quarantine first */
                slot = 0;
                for (size_t i = 1; i < e->n_quarantine; i++)
                        if (e->quarantine[i].until_usec < e->quarantine[slot].until_usec)
                                slot = i;
        }
        if (slot == e->n_quarantine)
                e->n_quarantine++;
        e->quarantine[slot] = (Quarantine) { .address = a, .until_usec = until };
}

static const Dhcp4Subnet *engine_refused_subnet(const Dhcp4Engine *e, struct in_addr a) {
        for (size_t i = 0; i < e->n_refuse; i++)
                if (dhcp4_subnet_contains(&e->refuse[i], a))
                        return &e->refuse[i];
        return NULL;
}

static bool engine_outside_required(const Dhcp4Engine *e, struct in_addr a) {
        return e->has_require && !dhcp4_subnet_contains(&e->require, a);
}

static bool engine_confirm_refused(const Dhcp4Engine *e, struct in_addr a, uint64_t now) {
        return now < e->confirm_refuse_until_usec && dhcp4_subnet_contains(&e->confirm_refuse, a);
}

static bool engine_address_acceptable(const Dhcp4Engine *e, struct in_addr a, uint64_t now) {
        return !engine_is_quarantined(e, a, now) && !engine_refused_subnet(e, a) && !engine_outside_required(e, a) &&
               !engine_confirm_refused(e, a, now);
}

/* Queues OFFER_REFUSED saying why and returns true if `a` must not be taken. */
static bool engine_refuse_check(Dhcp4Engine *e, struct in_addr a, uint64_t now) {
        char s[INET_ADDRSTRLEN], n[INET_ADDRSTRLEN];
        const Dhcp4Subnet *sub;

        if (engine_is_quarantined(e, a, now)) {
                engine_event(e, DHCP4_EVENT_OFFER_REFUSED, a, "%s is quarantined after a conflict",
                             addr_str(a, s));
                return true;
        }
        sub = engine_refused_subnet(e, a);
        if (sub) {
                engine_event(e, DHCP4_EVENT_OFFER_REFUSED, a, "%s lies in refused subnet %s/%u", addr_str(a, s),
                             addr_str(sub->address, n), sub->prefixlen);
                return true;
        }
        if (engine_outside_required(e, a)) {
                engine_event(e, DHCP4_EVENT_OFFER_REFUSED, a, "%s lies outside the required subnet %s/%u",
                             addr_str(a, s), addr_str(e->require.address, n), e->require.prefixlen);
                return true;
        }
        if (engine_confirm_refused(e, a, now)) {
                engine_event(e, DHCP4_EVENT_OFFER_REFUSED, a,
                             "%s lies in %s/%u, the network a confirmation was NAKed in (for %" PRIu64 " ms more)",
                             addr_str(a, s), addr_str(e->confirm_refuse.address, n), e->confirm_refuse.prefixlen,
                             usec_sub(e->confirm_refuse_until_usec, now) / USEC_PER_MSEC);
                return true;
        }
        return false;
}

/* ---- timers -------------------------------------------------------------------- */

static uint64_t engine_jitter(Dhcp4Engine *e, uint64_t base) {
        /* Never more than half the interval, so a retransmission is never immediate. */
        uint64_t j = MIN(e->config.retransmit_jitter_usec, base / 2);

        if (j == 0)
                return base;
        return base - j + prng_upto(&e->prng, 2 * j);
}

/* RFC 2131 §4.1: "the delay before the first retransmission SHOULD be 4 seconds
 * randomized by ... -1 to +1 ... The delay before the next retransmission SHOULD be
 * 8 seconds ... up to a maximum of 64 seconds." Same shape, data-centre numbers:
 * retransmit_initial doubling per attempt up to retransmit_max, ± jitter.
 * k = 0 is the wait after the first packet. */
static uint64_t engine_backoff(Dhcp4Engine *e, unsigned k) {
        uint64_t base = e->config.retransmit_initial_usec;

        for (unsigned i = 0; i < k && base < e->config.retransmit_max_usec; i++)
                base = base > UINT64_MAX / 2 ? UINT64_MAX : base * 2;
        return engine_jitter(e, MIN(base, e->config.retransmit_max_usec));
}

static uint64_t engine_initial_delay(Dhcp4Engine *e) {
        if (e->config.initial_delay_usec == 0)
                return 0;
        return prng_upto(&e->prng, e->config.initial_delay_usec);
}

/* RFC 2131 §4.4.5: "the client SHOULD wait one-half of the remaining time until T2 (in
 * RENEWING state) and one-half of the remaining lease time (in REBINDING state), down to
 * a minimum of 60 seconds, before retransmitting the DHCPREQUEST message." Our minimum
 * is renew_retransmit_min (10 s); the wait never runs past `limit` (T2 or expiry),
 * where the next state takes over. */
static uint64_t engine_renew_next(const Dhcp4Engine *e, uint64_t now, uint64_t limit) {
        uint64_t wait;

        if (limit == USEC_INFINITY)
                return usec_add(now, e->config.renew_retransmit_min_usec);
        wait = MAX(usec_sub(limit, now) / 2, e->config.renew_retransmit_min_usec);
        return MIN(usec_add(now, wait), limit);
}

static void engine_new_xid(Dhcp4Engine *e) {
        e->xid = (uint32_t) prng_next(&e->prng);
}

/* ---- sending ------------------------------------------------------------------- */

typedef struct SendSpec {
        uint8_t type;
        Dhcp4ActionType how;
        struct in_addr dest; /* SEND_UNICAST */
        struct in_addr ciaddr;
        bool broadcast_flag;
        uint16_t secs;
        bool has_requested;
        struct in_addr requested;
        bool has_server_id;
        struct in_addr server_id;
        bool parameters; /* 57, 55, 12: DISCOVER/REQUEST only (RFC 2131 Table 5) */
        const char *message;
} SendSpec;

static int engine_send(Dhcp4Engine *e, const SendSpec *s) {
        Dhcp4Action *a = queue_push(e, s->how);
        Dhcp4Header h = {
                .op = BOOTREQUEST,
                .xid = e->xid,
                .secs = s->secs,
                .flags = s->broadcast_flag ? DHCP4_FLAG_BROADCAST : 0,
                .ciaddr = s->ciaddr,
        };
        Dhcp4Builder b;
        size_t hlen;
        int r;

        memcpy(h.chaddr, e->config.mac, sizeof(h.chaddr));
        a->xid = e->xid;
        a->message_type = s->type;
        a->address = s->dest;

        r = dhcp4_builder_init(&b, a->packet, sizeof(a->packet), &h);
        if (r < 0)
                goto fail;
        r = dhcp4_builder_add_u8(&b, DHCP4_OPTION_MESSAGE_TYPE, s->type);
        if (r < 0)
                goto fail;
        /* Option 61 = 0x01 + MAC in every message (issue requirement; RFC 2131 §4.2 and
         * §3.1 step 6: the same client identifier throughout, RELEASE included). */
        r = dhcp4_builder_add(&b, DHCP4_OPTION_CLIENT_ID, e->client_id, sizeof(e->client_id));
        if (r < 0)
                goto fail;
        if (s->has_requested) {
                r = dhcp4_builder_add_addr(&b, DHCP4_OPTION_REQUESTED_ADDRESS, s->requested);
                if (r < 0)
                        goto fail;
        }
        if (s->has_server_id) {
                r = dhcp4_builder_add_addr(&b, DHCP4_OPTION_SERVER_ID, s->server_id);
                if (r < 0)
                        goto fail;
        }
        if (s->parameters) {
                r = dhcp4_builder_add_u16(&b, DHCP4_OPTION_MAX_MESSAGE_SIZE, MAX_MESSAGE_SIZE);
                if (r < 0)
                        goto fail;
                r = dhcp4_builder_add(&b, DHCP4_OPTION_PARAMETER_LIST, request_params, sizeof(request_params));
                if (r < 0)
                        goto fail;
                hlen = strnlen(e->config.hostname, sizeof(e->config.hostname));
                if (hlen > 0) {
                        r = dhcp4_builder_add(&b, DHCP4_OPTION_HOST_NAME, e->config.hostname, hlen);
                        if (r < 0)
                                goto fail;
                }
        }
        if (s->message && s->message[0]) {
                r = dhcp4_builder_add(&b, DHCP4_OPTION_MESSAGE, s->message, strlen(s->message));
                if (r < 0)
                        goto fail;
        }
        r = dhcp4_builder_finish(&b, &a->len);
        if (r < 0)
                goto fail;
        return 0;

fail:
        if (a != &e->overflow)
                queue_drop_last(e);
        return r;
}

static int engine_send_discover(Dhcp4Engine *e, uint64_t now) {
        SendSpec s = {
                .type = DHCP4_DISCOVER,
                .how = DHCP4_ACTION_SEND_BROADCAST,
                .broadcast_flag = e->config.broadcast_flag,
                .secs = secs_since(e->exchange_start_usec, now),
                .parameters = true,
        };
        int r;

        /* RFC 2131 §4.4.1 / Table 5: the client MAY suggest its last address in option
         * 50; never a quarantined or refused one. */
        if (e->has_lease && engine_address_acceptable(e, e->lease.address, now)) {
                s.has_requested = true;
                s.requested = e->lease.address;
        }
        e->discover_secs = s.secs;
        r = engine_send(e, &s);
        if (r < 0)
                return r;
        e->attempts++;
        /* SELECTING retransmits forever; the interval stops growing at the cap. */
        e->timer_usec = usec_add(now, engine_backoff(e, e->attempts - 1));
        return 0;
}

static int engine_send_request(Dhcp4Engine *e, uint64_t now) {
        SendSpec s = {
                .type = DHCP4_REQUEST,
                .how = DHCP4_ACTION_SEND_BROADCAST,
                .secs = secs_since(e->exchange_start_usec, now),
                .parameters = true,
        };
        int r;

        switch (e->state) {
        case DHCP4_STATE_REQUESTING:
                /* RFC 2131 §4.4.1 and Table 5 (SELECTING): ciaddr 0, 'requested IP address'
                 * and 'server identifier' MUST be filled in, broadcast, and "MUST use the
                 * same value in the DHCP message header's 'secs' field ... as the original
                 * DHCPDISCOVER message". */
                s.broadcast_flag = e->config.broadcast_flag;
                s.secs = e->discover_secs;
                s.has_requested = true;
                s.requested = e->offer_address;
                s.has_server_id = true;
                s.server_id = e->offer_server_id;
                break;
        case DHCP4_STATE_REBOOTING:
        case DHCP4_STATE_CONFIRMING:
                /* RFC 2131 §4.3.2/§4.4.2 (INIT-REBOOT): 'requested IP address' MUST be the
                 * remembered address, 'server identifier' MUST NOT be filled in, ciaddr 0,
                 * broadcast. A server on another network answers it with a NAK (§4.3.2:
                 * "If the DHCP server detects that the client is on the wrong net ... the
                 * server SHOULD send a DHCPNAK"), which is why confirm() uses it. */
                s.broadcast_flag = e->config.broadcast_flag;
                s.has_requested = true;
                s.requested = e->lease.address;
                break;
        case DHCP4_STATE_RENEWING:
                /* RFC 2131 §4.4.5: unicast to the server that granted the lease, ciaddr =
                 * our address, no 'server identifier', no 'requested IP address'. */
                s.how = DHCP4_ACTION_SEND_UNICAST;
                s.dest = e->lease.server_id;
                s.ciaddr = e->lease.address;
                break;
        case DHCP4_STATE_REBINDING:
                /* RFC 2131 §4.4.5: as RENEWING, but broadcast to any server. */
                s.ciaddr = e->lease.address;
                break;
        default:
                return -EINVAL;
        }

        r = engine_send(e, &s);
        if (r < 0)
                return r;
        /* RFC 2131 §4.4.5: "The client records the local time at which the DHCPREQUEST
         * message is sent for computation of the lease expiration time." The first one
         * of the exchange is the conservative choice. */
        if (e->attempts == 0)
                e->request_first_usec = now;
        e->attempts++;

        switch (e->state) {
        case DHCP4_STATE_REQUESTING:
                e->timer_usec = usec_add(now, engine_backoff(e, e->attempts - 1));
                break;
        case DHCP4_STATE_REBOOTING:
        case DHCP4_STATE_CONFIRMING:
                e->timer_usec = MIN(usec_add(now, engine_backoff(e, e->attempts - 1)), e->reboot_deadline_usec);
                break;
        case DHCP4_STATE_RENEWING:
                e->timer_usec = engine_renew_next(e, now, lease_t2_usec(&e->lease));
                break;
        default: /* REBINDING */
                e->timer_usec = engine_renew_next(e, now, lease_expiry_usec(&e->lease));
                break;
        }
        return 0;
}

/* ---- transitions --------------------------------------------------------------- */

static int engine_enter_selecting(Dhcp4Engine *e, uint64_t now) {
        /* RFC 2131 §4.4.1: a new exchange, a new xid. */
        engine_new_xid(e);
        e->exchange_start_usec = now;
        e->attempts = 0;
        engine_set_state(e, DHCP4_STATE_SELECTING);
        return engine_send_discover(e, now);
}

/* The two waiting states, INIT and INIT-REBOOT: forget any pending offer, then start
 * the exchange (`begin`) after `delay`, or when the link comes back. */
static int engine_enter_waiting(Dhcp4Engine *e, Dhcp4State state, uint64_t delay, uint64_t now,
                                int (*begin)(Dhcp4Engine *e, uint64_t now)) {
        e->has_pending = false;
        e->timer_usec = USEC_INFINITY;
        engine_set_state(e, state);
        if (!e->link_up)
                return 0;
        if (delay == 0)
                return begin(e, now);
        e->timer_usec = usec_add(now, delay);
        return 0;
}

/* INIT: DISCOVER after `delay`, or when the link comes back. */
static int engine_enter_init(Dhcp4Engine *e, uint64_t delay, uint64_t now) {
        return engine_enter_waiting(e, DHCP4_STATE_INIT, delay, now, engine_enter_selecting);
}

static int engine_enter_rebooting(Dhcp4Engine *e, uint64_t now) {
        /* A quarantined address is never requested again (issue 3), nor one the offer
         * policy refuses (a persisted multipod policy after a daemon restart). */
        if (!e->has_lease || !e->lease_reusable || !engine_address_acceptable(e, e->lease.address, now))
                return engine_enter_init(e, 0, now);
        engine_new_xid(e);
        e->exchange_start_usec = now;
        e->attempts = 0;
        e->reboot_deadline_usec = usec_add(now, e->config.reboot_timeout_usec);
        engine_set_state(e, DHCP4_STATE_REBOOTING);
        return engine_send_request(e, now);
}

/* INIT-REBOOT: REQUEST the remembered address after `delay` (RFC 2131 §3.2). */
static int engine_enter_init_reboot(Dhcp4Engine *e, uint64_t delay, uint64_t now) {
        return engine_enter_waiting(e, DHCP4_STATE_INIT_REBOOT, delay, now, engine_enter_rebooting);
}

/* Link up, start: reuse a still-valid lease through INIT-REBOOT (RFC 2131 §3.2), else INIT. */
static int engine_enter_acquire(Dhcp4Engine *e, uint64_t now) {
        uint64_t delay = engine_initial_delay(e);

        if (e->has_lease && e->lease_reusable && now < lease_expiry_usec(&e->lease) &&
            !engine_is_quarantined(e, e->lease.address, now))
                return engine_enter_init_reboot(e, delay, now);
        return engine_enter_init(e, delay, now);
}

static int engine_enter_rebinding(Dhcp4Engine *e, uint64_t now) {
        /* 'secs' keeps counting from T1: rebinding continues the renewal process
         * (RFC 2131 Table 5 "seconds since DHCP process started"). */
        if (e->state != DHCP4_STATE_RENEWING)
                e->exchange_start_usec = now;
        engine_new_xid(e);
        e->attempts = 0;
        engine_set_state(e, DHCP4_STATE_REBINDING);
        return engine_send_request(e, now);
}

static int engine_enter_renewing(Dhcp4Engine *e, uint64_t now) {
        e->configure_failures = 0; /* the address held until T1 */
        /* Woken late (suspend): past T2 already, go straight to REBINDING. */
        if (now >= lease_t2_usec(&e->lease))
                return engine_enter_rebinding(e, now);
        engine_new_xid(e);
        e->exchange_start_usec = now;
        e->attempts = 0;
        engine_set_state(e, DHCP4_STATE_RENEWING);
        return engine_send_request(e, now);
}

static void engine_bind(Dhcp4Engine *e, const Dhcp4Lease *lease) {
        bool replace = e->has_lease && !addr_eq(e->lease.address, lease->address);

        /* Make before break (issue 3): the new address goes on before the old one comes
         * off, so the interface is never without an address. */
        engine_push_lease(e, DHCP4_ACTION_CONFIGURE, lease);
        if (replace)
                engine_push_lease(e, DHCP4_ACTION_DECONFIGURE, &e->lease);
        engine_push_lease(e, DHCP4_ACTION_PERSIST, lease);

        e->lease = *lease;
        e->has_lease = true;
        e->lease_reusable = true;
        e->has_pending = false;
        e->nak_count = 0;
        e->conflicts = 0;
        e->decline_backoff_usec = 0;
        e->attempts = 0;
        engine_set_state(e, DHCP4_STATE_BOUND);
        /* RFC 2131 §4.4.5: at T1 the client moves to RENEWING. */
        e->timer_usec = lease_t1_usec(&e->lease);
}

static void engine_enter_probing(Dhcp4Engine *e, const Dhcp4Lease *lease) {
        /* RFC 2131 §4.4.1: "The client SHOULD perform a check on the suggested address
         * to ensure that the address is not already in use", here RFC 5227 ACD by the
         * daemon; the answer comes through dhcp4_engine_probe_result(). */
        e->pending = *lease;
        e->has_pending = true;
        e->timer_usec = USEC_INFINITY;
        engine_set_state(e, DHCP4_STATE_PROBING);
        engine_push_lease(e, DHCP4_ACTION_PROBE, lease);
}

static void engine_enter_declined(Dhcp4Engine *e, uint64_t now) {
        uint64_t backoff = e->config.decline_backoff_initial_usec;

        /* RFC 2131 §4.4.1: "The client SHOULD wait a minimum of ten seconds before
         * restarting the configuration process to avoid excessive network traffic in
         * case of looping." We start lower (1 s, data centre) but double per consecutive
         * conflict up to the cap, reset on a successful bind, so a server that insists
         * on the same address cannot cause a DECLINE storm. */
        e->conflicts++;
        for (unsigned i = 1; i < e->conflicts && backoff < e->config.decline_backoff_max_usec; i++)
                backoff = backoff > UINT64_MAX / 2 ? UINT64_MAX : backoff * 2;
        backoff = MIN(backoff, e->config.decline_backoff_max_usec);
        e->decline_backoff_usec = backoff;
        e->has_pending = false;
        engine_set_state(e, DHCP4_STATE_DECLINED);
        e->timer_usec = usec_add(now, backoff);
}

/* Lease expiry, checked before any state timer. */
static int engine_check_expiry(Dhcp4Engine *e, uint64_t now) {
        char s[INET_ADDRSTRLEN];

        if (!e->has_lease || now < lease_expiry_usec(&e->lease))
                return 0;

        engine_event(e, DHCP4_EVENT_EXPIRED, e->lease.address, "lease on %s expired",
                     addr_str(e->lease.address, s));
        engine_drop_lease(e);

        switch (e->state) {
        case DHCP4_STATE_BOUND:
        case DHCP4_STATE_RENEWING:
        case DHCP4_STATE_REBINDING:
        case DHCP4_STATE_INIT_REBOOT:
        case DHCP4_STATE_REBOOTING:
        case DHCP4_STATE_CONFIRMING:
                /* RFC 2131 §4.4.5: "If the lease expires before the client receives a
                 * DHCPACK, the client moves to INIT state, MUST immediately stop any other
                 * network processing and requests network initialization parameters as if
                 * the client were uninitialized." */
                return engine_enter_init(e, 0, now);
        default:
                /* INIT/SELECTING/REQUESTING/PROBING (a new lease is on its way) and
                 * DECLINED keep going; only the old address goes. */
                return 0;
        }
}

/* ---- confirming the attachment (RFC 4436 §2.2 → RFC 2131 §3.2) ---------------------- */

static int transition_bound_to_confirming(Dhcp4Engine *e, uint64_t now) {
        engine_new_xid(e);
        e->exchange_start_usec = now;
        e->attempts = 0;
        e->reboot_deadline_usec = usec_add(now, e->config.reboot_timeout_usec);
        engine_set_state(e, DHCP4_STATE_CONFIRMING);
        return engine_send_request(e, now);
}

/* The server confirmed the address: refreshed lifetimes, no probe (ACD defends the
 * address we never stopped using). */
static int transition_confirming_to_bound(Dhcp4Engine *e, const Dhcp4Lease *lease) {
        char s[INET_ADDRSTRLEN];

        engine_event(e, DHCP4_EVENT_CONFIRMED, lease->address, "the server confirmed %s: still attached",
                     addr_str(lease->address, s));
        engine_bind(e, lease);
        return 0;
}

/* NAK: the address is wrong for the network we are on now, we moved. Unlike a NAK
 * in REBOOTING the address stays until a lease from the new network replaces it
 * (make before break): dropping it first would leave the node without any address
 * for the DISCOVER's duration, and opflex without a source address. Offers inside the
 * old subnet are refused for confirm_refuse: after a move they can only come from
 * the old network's server still reachable somehow (as after a multipod move with
 * both pods on the segment), and taking one would undo the move. The refusal is
 * bounded so that a NAK for another reason (a server that lost its database) cannot
 * strand the node outside its own subnet for good. */
static int transition_confirming_to_init_nak(Dhcp4Engine *e, uint64_t now) {
        char s[INET_ADDRSTRLEN], n[INET_ADDRSTRLEN];
        Dhcp4Subnet net = { .address = e->lease.address, .prefixlen = e->lease.prefixlen };

        net.address.s_addr &= lease_prefix_mask(net.prefixlen);
        e->lease_reusable = false;
        if (e->config.confirm_refuse_usec > 0) {
                e->confirm_refuse = net;
                e->confirm_refuse_until_usec = usec_add(now, e->config.confirm_refuse_usec);
        }
        engine_event(e, DHCP4_EVENT_MOVED, e->lease.address,
                     "%s is wrong for this network: moved; DISCOVER, %s/%u refused for %" PRIu64
                     " s, %s kept until replaced",
                     addr_str(e->lease.address, s), addr_str(net.address, n), net.prefixlen,
                     e->config.confirm_refuse_usec / USEC_PER_SEC, s);
        return engine_enter_init(e, 0, now);
}

/* Silence: a server that does not know us (a non-authoritative ISC dhcpd, dnsmasq
 * without --dhcp-authoritative, or the new network's server) stays quiet. DISCOVER;
 * the address stays, as §4.4.2 allows, until another lease replaces it or it expires.
 * Nothing is refused: without a NAK we do not know that we moved, and the DISCOVER
 * suggests the address (option 50) so that the same network hands it back. */
static int engine_confirm_timeout(Dhcp4Engine *e, uint64_t now) {
        char s[INET_ADDRSTRLEN];

        engine_event(e, DHCP4_EVENT_CONFIRM_TIMEOUT, e->lease.address,
                     "no answer to the confirmation of %s: DISCOVER, the address kept until replaced or expired",
                     addr_str(e->lease.address, s));
        e->lease_reusable = false;
        return engine_enter_init(e, 0, now);
}

int dhcp4_engine_confirm(Dhcp4Engine *e, uint64_t now) {
        int r;

        r = command_begin(e);
        if (r < 0)
                return r;
        switch (e->state) {
        case DHCP4_STATE_BOUND:
        case DHCP4_STATE_RENEWING:
        case DHCP4_STATE_REBINDING:
                if (e->has_lease && e->link_up)
                        return input_end(e, transition_bound_to_confirming(e, now));
                return DHCP4_CONFIRM_NOT_BOUND;
        default:
                return DHCP4_CONFIRM_NOT_BOUND;
        }
}

static int engine_timer_fired(Dhcp4Engine *e, uint64_t now) {
        char s[INET_ADDRSTRLEN];

        switch (e->state) {
        case DHCP4_STATE_INIT:
                return engine_enter_selecting(e, now);

        case DHCP4_STATE_SELECTING:
                return engine_send_discover(e, now);

        case DHCP4_STATE_REQUESTING:
                if (e->attempts >= e->config.request_max_attempts) {
                        /* RFC 2131 §3.1 step 5 / §4.4.1: "If the client receives neither a
                         * DHCPACK or a DHCPNAK message after employing the retransmission
                         * algorithm, the client reverts to INIT state". */
                        engine_event(e, DHCP4_EVENT_REQUEST_TIMEOUT, e->offer_address,
                                     "no answer to %u REQUESTs for %s", e->attempts,
                                     addr_str(e->offer_address, s));
                        return engine_enter_init(e, 0, now);
                }
                return engine_send_request(e, now);

        case DHCP4_STATE_INIT_REBOOT:
                return engine_enter_rebooting(e, now);

        case DHCP4_STATE_REBOOTING:
                if (now >= e->reboot_deadline_usec) {
                        /* RFC 2131 §4.4.2 lets the client keep using the unexpired address;
                         * it stays configured while we DISCOVER (issue: within 2 s). */
                        engine_event(e, DHCP4_EVENT_REBOOT_TIMEOUT, e->lease.address,
                                     "no answer to INIT-REBOOT for %s", addr_str(e->lease.address, s));
                        return engine_enter_init(e, 0, now);
                }
                return engine_send_request(e, now);

        case DHCP4_STATE_CONFIRMING:
                if (now >= e->reboot_deadline_usec)
                        return engine_confirm_timeout(e, now);
                return engine_send_request(e, now);

        case DHCP4_STATE_BOUND:
                return engine_enter_renewing(e, now);

        case DHCP4_STATE_RENEWING:
                if (now >= lease_t2_usec(&e->lease))
                        /* RFC 2131 §4.4.5: "If no DHCPACK arrives before time T2, the client
                         * moves to REBINDING state". */
                        return engine_enter_rebinding(e, now);
                _fallthrough_;
        case DHCP4_STATE_REBINDING:
                if (e->lease.lifetime == UINT32_MAX && e->attempts >= e->config.request_max_attempts) {
                        /* Infinite lease, renewed on command: nothing expires, give up. */
                        engine_event(e, DHCP4_EVENT_REQUEST_TIMEOUT, e->lease.address,
                                     "no answer to %u REQUESTs; infinite lease kept", e->attempts);
                        engine_set_state(e, DHCP4_STATE_BOUND);
                        e->timer_usec = USEC_INFINITY;
                        return 0;
                }
                return engine_send_request(e, now);

        case DHCP4_STATE_DECLINED:
                return engine_enter_init(e, 0, now);

        default:
                return 0;
        }
}

/* ---- receiving ----------------------------------------------------------------- */

/* Builds the lease an ACK grants; returns NULL, or why the ACK is unusable. */
static const char *lease_from_ack(const Dhcp4Engine *e, const Dhcp4Message *m, struct in_addr server_id,
                                  Dhcp4Lease *ret) {
        Dhcp4Lease l = {};

        if (!address_is_unicast(m->yiaddr))
                return "unusable yiaddr";
        /* RFC 2131 Table 3: option 51 MUST be in a DHCPACK to a DHCPREQUEST. */
        if (!m->has_lease_time)
                return "no lease time (option 51)";
        if (m->lease_time == 0)
                return "lease time 0";

        l.address = m->yiaddr;
        /* A /0 mask on an interface address is nonsense: fall back as if absent. */
        l.prefixlen = m->has_subnet_mask && m->prefixlen > 0 ? m->prefixlen : classful_prefixlen(m->yiaddr);
        l.server_id = server_id;
        if (m->has_broadcast)
                l.broadcast = m->broadcast;
        l.n_routers = MIN(m->n_routers, (size_t) LEASE_MAX_ROUTERS);
        memcpy(l.routers, m->routers, l.n_routers * sizeof(l.routers[0]));
        l.n_dns = MIN(m->n_dns, (size_t) LEASE_MAX_DNS);
        memcpy(l.dns, m->dns, l.n_dns * sizeof(l.dns[0]));
        l.n_routes = MIN(m->n_routes, (size_t) LEASE_MAX_ROUTES);
        memcpy(l.routes, m->routes, l.n_routes * sizeof(l.routes[0]));
        l.mtu = m->mtu;
        snprintf(l.hostname, sizeof(l.hostname), "%s", m->hostname);
        snprintf(l.domain, sizeof(l.domain), "%s", m->domain);
        l.lifetime = m->lease_time;
        lease_set_times(&l, m->has_t1, m->t1, m->has_t2, m->t2);
        l.acquired_usec = e->request_first_usec;
        memcpy(l.client_id, e->client_id, sizeof(l.client_id));
        *ret = l;
        return NULL;
}

static int engine_handle_offer(Dhcp4Engine *e, const Dhcp4Message *m, uint64_t now) {
        char s[INET_ADDRSTRLEN];

        if (!address_is_unicast(m->yiaddr)) {
                engine_event(e, DHCP4_EVENT_BAD_LEASE, m->yiaddr, "offer of unusable address %s",
                             addr_str(m->yiaddr, s));
                return DHCP4_RX_BAD_LEASE;
        }
        /* RFC 2131 Table 3: an OFFER MUST carry option 54; without it we cannot REQUEST.
         * 0.0.0.0 or a broadcast/multicast identifier names no server we could renew
         * with (§4.4.5: unicast to it), nor one a lease file can record. */
        if (!m->has_server_id || !address_is_unicast(m->server_id)) {
                engine_event(e, DHCP4_EVENT_BAD_LEASE, m->yiaddr, "offer of %s without usable server identifier",
                             addr_str(m->yiaddr, s));
                return DHCP4_RX_BAD_LEASE;
        }
        if (engine_refuse_check(e, m->yiaddr, now))
                return DHCP4_RX_REFUSED;

        /* RFC 2131 §4.4.1 lets the client choose among offers; in a data centre the
         * first acceptable one is taken at once, a collection window only adds latency.
         * The xid stays: Table 5, REQUEST in SELECTING uses the OFFER's xid. */
        e->offer_address = m->yiaddr;
        e->offer_server_id = m->server_id;
        e->attempts = 0;
        engine_set_state(e, DHCP4_STATE_REQUESTING);
        return engine_send_request(e, now);
}

static int engine_handle_ack(Dhcp4Engine *e, const Dhcp4Message *m, uint64_t now) {
        struct in_addr server_id = m->server_id;
        Dhcp4Lease lease;
        const char *why;
        char s[INET_ADDRSTRLEN];

        if (e->state == DHCP4_STATE_REQUESTING) {
                /* Our REQUEST named one server (RFC 2131 §4.4.1); another's answer is not
                 * for this exchange. */
                if (!m->has_server_id || !addr_eq(m->server_id, e->offer_server_id))
                        return DHCP4_RX_WRONG_SERVER;
        } else if (!m->has_server_id || !address_is_unicast(m->server_id))
                /* Table 3 says MUST; tolerate its absence (or an unusable one, as for an
                 * OFFER) with the server we know. */
                server_id = e->lease.server_id;

        why = lease_from_ack(e, m, server_id, &lease);
        if (why) {
                engine_event(e, DHCP4_EVENT_BAD_LEASE, m->yiaddr, "ACK for %s ignored: %s", addr_str(m->yiaddr, s),
                             why);
                return DHCP4_RX_BAD_LEASE;
        }
        if (engine_refuse_check(e, lease.address, now))
                return DHCP4_RX_REFUSED;

        if (e->state == DHCP4_STATE_CONFIRMING && e->has_lease && addr_eq(lease.address, e->lease.address))
                return transition_confirming_to_bound(e, &lease);
        if ((e->state == DHCP4_STATE_RENEWING || e->state == DHCP4_STATE_REBINDING) && e->has_lease && addr_eq(lease.address, e->lease.address)) {
                /* RFC 2131 §4.4.5: "The client has successfully reacquired its network
                 * address, returns to BOUND state"; address replaced with new lifetimes. */
                engine_bind(e, &lease);
                return DHCP4_PARSE_OK;
        }
        /* A new address (REQUESTING), the remembered one after a reboot (RFC 2131 §4.4.2
         * "SHOULD perform a final check"), or a different address at renewal: probe it
         * before it is configured. */
        engine_enter_probing(e, &lease);
        return DHCP4_PARSE_OK;
}

static int engine_handle_nak(Dhcp4Engine *e, const Dhcp4Message *m, uint64_t now) {
        uint64_t delay = 0;
        bool ours;

        if (e->state == DHCP4_STATE_REQUESTING &&
            (!m->has_server_id || !addr_eq(m->server_id, e->offer_server_id)))
                return DHCP4_RX_WRONG_SERVER;
        /* RFC 2131 §4.4.5 lets a client in RENEWING take a NAK from anyone, but our
         * REQUEST went unicast to the lease's server (§4.3.2, option 54 of the lease):
         * only that server can have refused it. Accepting any NAK with the right xid
         * would let every host that sees the REQUEST (it crosses the segment) take the
         * address away. A NAK without option 54 names no server (Table 3: MUST) and is
         * ignored too. REBINDING and REBOOTING broadcast to every server, so any of
         * them may answer NAK there (§4.4.2, §4.4.5), and CONFIRMING likewise. */
        if (e->state == DHCP4_STATE_RENEWING && e->has_lease &&
            (!m->has_server_id || !addr_eq(m->server_id, e->lease.server_id)))
                return DHCP4_RX_WRONG_SERVER;

        engine_event(e, DHCP4_EVENT_NAK, m->has_server_id ? m->server_id : (struct in_addr) {}, "%s",
                     m->message[0] ? m->message : "(no message)");
        if (e->state == DHCP4_STATE_CONFIRMING && e->has_lease) {
                e->nak_count++;
                return transition_confirming_to_init_nak(e, now);
        }

        /* In REBOOTING/RENEWING/REBINDING the NAK is about our lease: it must go. In
         * REQUESTING it is about the offered address; an older address still held (after
         * restart()) stays unless it is the same one. */
        ours = e->state != DHCP4_STATE_REQUESTING || (e->has_lease && addr_eq(e->lease.address, e->offer_address));
        if (ours)
                engine_drop_lease(e);

        /* RFC 2131 §3.1 step 5, §4.4.1, §4.4.2: "If the client receives a DHCPNAK
         * message, the client restarts the configuration process." At once for the first
         * NAK; NAKs back to back (no bind in between) wait the retransmit back-off, so a
         * confused server cannot drive a tight DISCOVER/REQUEST/NAK loop. */
        e->nak_count++;
        if (e->nak_count > 1)
                delay = engine_backoff(e, e->nak_count - 2);
        return engine_enter_init(e, delay, now);
}

int dhcp4_engine_receive(Dhcp4Engine *e, const uint8_t *buf, size_t len, uint64_t now) {
        Dhcp4Message m;
        int r;

        if (!e || (!buf && len > 0))
                return -EINVAL;

        /* Rejects change nothing and queue nothing: they never need queue room. */
        r = dhcp4_message_parse(&m, buf, len);
        if (r != DHCP4_PARSE_OK)
                return r;
        r = dhcp4_message_check_reply(&m, e->xid, e->config.mac, e->client_id, sizeof(e->client_id));
        if (r != DHCP4_PARSE_OK)
                return r;
        r = input_begin(e);
        if (r < 0)
                return r;

        switch (m.message_type) {
        case DHCP4_OFFER:
                if (e->state != DHCP4_STATE_SELECTING)
                        return DHCP4_RX_UNEXPECTED;
                r = engine_handle_offer(e, &m, now);
                break;
        case DHCP4_ACK:
        case DHCP4_NAK:
                if (e->state != DHCP4_STATE_REQUESTING && e->state != DHCP4_STATE_REBOOTING &&
                    e->state != DHCP4_STATE_RENEWING && e->state != DHCP4_STATE_REBINDING &&
                    e->state != DHCP4_STATE_CONFIRMING)
                        return DHCP4_RX_UNEXPECTED;
                r = m.message_type == DHCP4_ACK ? engine_handle_ack(e, &m, now) : engine_handle_nak(e, &m, now);
                break;
        case DHCP4_FORCERENEW:
                /* RFC 3203 §6: a FORCERENEW without authentication lets anyone on the
                 * segment trigger renewals (and with them a NAK race); it MUST be
                 * authenticated (RFC 3118), which this client does not implement, so it
                 * is never acted on. The lease renews at T1 as usual. */
                return DHCP4_RX_FORCERENEW;
        default:
                return DHCP4_RX_UNEXPECTED;
        }
        return input_end(e, r);
}

/* ---- lifecycle and other inputs -------------------------------------------------- */

static int config_validate(const Dhcp4EngineConfig *c) {
        if (mac_is_null(c->mac))
                return -EINVAL;
        if (strnlen(c->hostname, sizeof(c->hostname)) >= sizeof(c->hostname))
                return -EINVAL;
        if (c->retransmit_initial_usec == 0 || c->retransmit_max_usec < c->retransmit_initial_usec)
                return -EINVAL;
        if (c->reboot_timeout_usec == 0 || c->request_max_attempts == 0 || c->renew_retransmit_min_usec == 0)
                return -EINVAL;
        if (c->decline_backoff_initial_usec == 0 || c->decline_backoff_max_usec < c->decline_backoff_initial_usec)
                return -EINVAL;
        return 0;
}

static void engine_set_client_id(Dhcp4Engine *e) {
        /* RFC 2132 §9.14: type 1 (Ethernet) + hardware address. */
        e->client_id[0] = ARPHRD_ETHER_HTYPE;
        memcpy(e->client_id + 1, e->config.mac, 6);
}

int dhcp4_engine_new(Dhcp4Engine **ret, const Dhcp4EngineConfig *config) {
        Dhcp4Engine *e;
        int r;

        if (!ret || !config)
                return -EINVAL;
        r = config_validate(config);
        if (r < 0)
                return r;

        e = malloc(sizeof(*e));
        if (!e)
                return -ENOMEM;
        memset(e, 0, offsetof(Dhcp4Engine, overflow)); /* the queue is cleared entry by entry */
        e->config = *config;
        e->prng = config->seed;
        e->state = DHCP4_STATE_STOPPED;
        e->link_up = true;
        e->timer_usec = USEC_INFINITY;
        engine_set_client_id(e);
        engine_new_xid(e);
        *ret = e;
        return 0;
}

Dhcp4Engine *dhcp4_engine_free(Dhcp4Engine *e) {
        free(e);
        return NULL;
}

int dhcp4_engine_set_mac(Dhcp4Engine *e, const uint8_t mac[6], uint64_t now) {
        int r;

        if (!e || !mac || mac_is_null(mac))
                return -EINVAL;
        if (memcmp(e->config.mac, mac, 6) == 0)
                return 0;
        r = input_begin(e);
        if (r < 0)
                return r;

        memcpy(e->config.mac, mac, 6);
        engine_set_client_id(e);
        if (e->state == DHCP4_STATE_STOPPED || e->state == DHCP4_STATE_RELEASED)
                return 0;

        /* The lease belongs to the old identity (RFC 2131 §4.2: client id or chaddr name
         * the client): not renewed nor persisted any more; the address stays until a
         * lease for the new identity replaces it or it expires. */
        if (e->has_lease) {
                queue_push(e, DHCP4_ACTION_FORGET);
                e->lease_reusable = false;
        }
        if (e->state == DHCP4_STATE_DECLINED) {
                e->has_pending = false;
                return input_end(e, 0);
        }
        return input_end(e, engine_enter_init(e, 0, now));
}

static bool lease_usable(const Dhcp4Engine *e, const Dhcp4Lease *l, uint64_t now) {
        /* The server too: RENEW and RELEASE go unicast to it (RFC 2131 §4.4.5, §4.4.6). */
        if (!address_is_unicast(l->address) || !address_is_unicast(l->server_id) || l->lifetime == 0 ||
            l->prefixlen > 32)
                return false;
        if (memcmp(l->client_id, e->client_id, sizeof(e->client_id)) != 0)
                return false;
        if (l->acquired_usec > now)
                return false;
        return now < lease_expiry_usec(l);
}

int dhcp4_engine_start(Dhcp4Engine *e, const Dhcp4Lease *remembered, uint64_t now) {
        int r;

        if (!e)
                return -EINVAL;
        if (e->state != DHCP4_STATE_STOPPED)
                return -EBUSY;
        r = input_begin(e);
        if (r < 0)
                return r;

        e->has_pending = false;
        e->has_lease = false;
        e->lease_reusable = false;
        e->nak_count = 0;
        if (remembered && lease_usable(e, remembered, now)) {
                e->lease = *remembered;
                /* The file may come from another version: enforce the T1/T2 rules again. */
                lease_set_times(&e->lease, true, remembered->t1, true, remembered->t2);
                e->has_lease = true;
                e->lease_reusable = true;
        } else if (remembered)
                queue_push(e, DHCP4_ACTION_FORGET);

        return input_end(e, engine_enter_acquire(e, now));
}

int dhcp4_engine_stop(Dhcp4Engine *e) {
        if (!e)
                return -EINVAL;
        /* No STATE action: nothing is to be done after a stop, not even logging it. */
        e->state = DHCP4_STATE_STOPPED;
        e->timer_usec = USEC_INFINITY;
        e->has_pending = false;
        e->queue_head = e->queue_len = 0;
        return 0;
}

int dhcp4_engine_timeout(Dhcp4Engine *e, uint64_t now) {
        int r;

        r = input_begin(e);
        if (r < 0)
                return r;
        if (e->state == DHCP4_STATE_STOPPED)
                return 0;

        r = engine_check_expiry(e, now);
        if (r < 0)
                return input_end(e, r);
        /* Every handler re-arms its timer after `now`, so one pass is enough. */
        if (e->timer_usec <= now) {
                e->timer_usec = USEC_INFINITY;
                r = engine_timer_fired(e, now);
        }
        return input_end(e, r);
}

int dhcp4_engine_link(Dhcp4Engine *e, bool up, uint64_t now) {
        int r;

        r = input_begin(e);
        if (r < 0)
                return r;
        if (e->link_up == up)
                return 0;
        e->link_up = up;

        switch (e->state) {
        case DHCP4_STATE_STOPPED:
        case DHCP4_STATE_RELEASED:
                return 0;
        case DHCP4_STATE_DECLINED:
                /* The back-off runs on; INIT then waits for the link. A link flap must not
                 * shorten it (DECLINE storm). */
                return 0;
        default:
                break;
        }

        if (!up) {
                /* Carrier lost: stop transmitting, drop a pending probe, keep the lease
                 * (its expiry still runs) and wait for the link in INIT-REBOOT or INIT. */
                e->has_pending = false;
                e->timer_usec = USEC_INFINITY;
                engine_set_state(e, e->has_lease && e->lease_reusable ? DHCP4_STATE_INIT_REBOOT : DHCP4_STATE_INIT);
                return input_end(e, 0);
        }

        /* RFC 2131 §3.2: a client with a valid lease that regains its link verifies it
         * with INIT-REBOOT rather than starting over. */
        return input_end(e, engine_enter_acquire(e, now));
}

/* Table 5 (DHCPDECLINE): ciaddr 0, option 50 and 54 MUST, 55/57/51 MUST NOT, 56
 * SHOULD; a fresh xid; broadcast from 0.0.0.0 (§4.4.1), it never needs the address. */
static int engine_send_decline(Dhcp4Engine *e, struct in_addr address, struct in_addr server_id, const char *text) {
        engine_new_xid(e);
        return engine_send(e, &(SendSpec) {
                .type = DHCP4_DECLINE,
                .how = DHCP4_ACTION_SEND_BROADCAST,
                .secs = 1,
                .has_requested = true,
                .requested = address,
                .has_server_id = true,
                .server_id = server_id,
                .message = text,
        });
}

int dhcp4_engine_probe_result(Dhcp4Engine *e, bool conflict, const uint8_t *conflict_mac, uint64_t now) {
        char s[INET_ADDRSTRLEN], text[64];
        Dhcp4Lease lease;
        Dhcp4Action *a;
        int r;

        r = input_begin(e);
        if (r < 0)
                return r;
        if (e->state != DHCP4_STATE_PROBING || !e->has_pending)
                return 0; /* stale answer: nothing waits for it */

        lease = e->pending;
        if (!conflict) {
                engine_bind(e, &lease);
                return input_end(e, 0);
        }

        /* RFC 2131 §4.4.1: "If the client detects that the address is already in use
         * (e.g., through the use of ARP), the client MUST send a DHCPDECLINE message to
         * the server and restarts the configuration process." */
        if (conflict_mac) {
                char m[18];

                snprintf(text, sizeof(text), "address in use by %s", format_mac(conflict_mac, m));
        } else
                snprintf(text, sizeof(text), "address in use");
        a = engine_event(e, DHCP4_EVENT_CONFLICT, lease.address, "%s %s, declined", addr_str(lease.address, s),
                         text);
        if (conflict_mac) {
                a->has_mac = true;
                memcpy(a->mac, conflict_mac, 6);
        }

        r = engine_send_decline(e, lease.address, lease.server_id, text);
        if (r < 0)
                return input_end(e, r);

        /* The remembered address itself failed the probe after INIT-REBOOT: it goes. */
        if (e->has_lease && addr_eq(e->lease.address, lease.address))
                engine_drop_lease(e);
        /* Issue 3: the declined address is not requested (no option 50) nor accepted
         * again for decline_quarantine. */
        engine_quarantine(e, lease.address, now);
        engine_enter_declined(e, now);
        return input_end(e, 0);
}

int dhcp4_engine_address_lost(Dhcp4Engine *e, uint64_t now) {
        char s[INET_ADDRSTRLEN];
        struct in_addr a;
        int r;

        r = input_begin(e);
        if (r < 0)
                return r;
        if (e->state == DHCP4_STATE_STOPPED || e->state == DHCP4_STATE_RELEASED || !e->has_lease)
                return 0;

        a = e->lease.address;
        engine_event(e, DHCP4_EVENT_ADDRESS_LOST, a, "%s lost to a conflicting host, removed", addr_str(a, s));
        /* RFC 5227 §2.4: having lost the defence, the host "MUST immediately cease using
         * this address and signal an error to the configuring agent as described above"
         * (§2.1.1: for DHCP, a DHCPDECLINE). Without it a server that keys addresses on
         * the client (dnsmasq hashes the MAC) offers the lost address forever. */
        if (e->link_up) {
                r = engine_send_decline(e, a, e->lease.server_id, "address lost to a conflicting host");
                if (r < 0)
                        return input_end(e, r);
        }
        engine_drop_lease(e);
        engine_quarantine(e, a, now);
        engine_enter_declined(e, now);
        return input_end(e, 0);
}

int dhcp4_engine_configure_failed(Dhcp4Engine *e, uint64_t now) {
        char s[INET_ADDRSTRLEN];
        uint64_t delay;
        int r;

        r = input_begin(e);
        if (r < 0)
                return r;
        if (e->state != DHCP4_STATE_BOUND || !e->has_lease)
                return 0;
        e->configure_failures++;
        delay = engine_backoff(e, e->configure_failures - 1);
        engine_event(e, DHCP4_EVENT_CONFIGURE_FAILED, e->lease.address,
                     "%s could not be configured; DISCOVER again in %" PRIu64 " ms", addr_str(e->lease.address, s),
                     delay / 1000);
        /* Not DECONFIGURE: the address never made it onto the interface. */
        queue_push(e, DHCP4_ACTION_FORGET);
        e->has_lease = false;
        e->lease_reusable = false;
        return input_end(e, engine_enter_init(e, delay, now));
}

int dhcp4_engine_release(Dhcp4Engine *e, uint64_t now) {
        int r;

        r = command_begin(e);
        if (r < 0)
                return r;
        e->configure_failures = 0;
        if (e->state == DHCP4_STATE_RELEASED)
                return 0;

        if (e->has_lease) {
                if (e->link_up) {
                        /* RFC 2131 §4.4.6 and Table 5 (DHCPRELEASE): unicast to the server,
                         * ciaddr = the address, option 54 MUST, 50/55/57 MUST NOT, same
                         * client identifier as when the lease was obtained (§3.1 step 6). */
                        engine_new_xid(e);
                        r = engine_send(e, &(SendSpec) {
                                .type = DHCP4_RELEASE,
                                .how = DHCP4_ACTION_SEND_UNICAST,
                                .dest = e->lease.server_id,
                                .ciaddr = e->lease.address,
                                .secs = 1,
                                .has_server_id = true,
                                .server_id = e->lease.server_id,
                        });
                        if (r < 0)
                                return input_end(e, r);
                }
                engine_drop_lease(e);
        }
        e->has_pending = false;
        e->timer_usec = USEC_INFINITY;
        engine_set_state(e, DHCP4_STATE_RELEASED);
        return input_end(e, 0);
}

int dhcp4_engine_renew(Dhcp4Engine *e, uint64_t now) {
        int r;

        r = command_begin(e);
        if (r < 0)
                return r;

        switch (e->state) {
        case DHCP4_STATE_BOUND:
                return input_end(e, engine_enter_renewing(e, now));
        case DHCP4_STATE_RENEWING:
        case DHCP4_STATE_REBINDING:
                return input_end(e, engine_send_request(e, now));
        case DHCP4_STATE_RELEASED:
        case DHCP4_STATE_DECLINED:
                return input_end(e, engine_enter_init(e, 0, now));
        default:
                return 0; /* already acquiring */
        }
}

int dhcp4_engine_rebind(Dhcp4Engine *e, uint64_t now) {
        int r;

        r = command_begin(e);
        if (r < 0)
                return r;

        switch (e->state) {
        case DHCP4_STATE_BOUND:
        case DHCP4_STATE_RENEWING:
                return input_end(e, engine_enter_rebinding(e, now));
        case DHCP4_STATE_REBINDING:
                return input_end(e, engine_send_request(e, now));
        case DHCP4_STATE_RELEASED:
        case DHCP4_STATE_DECLINED:
                return input_end(e, engine_enter_init(e, 0, now));
        default:
                return 0;
        }
}

static int policy_check(const Dhcp4Subnet *refuse, size_t n_refuse, const Dhcp4Subnet *require) {
        if (n_refuse > 0 && !refuse)
                return -EINVAL;
        if (require && require->prefixlen > 32)
                return -EINVAL;
        if (n_refuse > DHCP4_ENGINE_REFUSE_MAX)
                return -E2BIG;
        for (size_t i = 0; i < n_refuse; i++)
                if (refuse[i].prefixlen > 32)
                        return -EINVAL;
        return 0;
}

static void policy_store(Dhcp4Engine *e, const Dhcp4Subnet *refuse, size_t n_refuse, const Dhcp4Subnet *require) {
        if (n_refuse > 0)
                memcpy(e->refuse, refuse, n_refuse * sizeof(refuse[0]));
        e->n_refuse = n_refuse;
        e->has_require = require != NULL;
        if (require)
                e->require = *require;
}

int dhcp4_engine_set_offer_policy(Dhcp4Engine *e, const Dhcp4Subnet *refuse, size_t n_refuse,
                                  const Dhcp4Subnet *require) {
        int r;

        if (!e)
                return -EINVAL;
        r = policy_check(refuse, n_refuse, require);
        if (r < 0)
                return r;
        policy_store(e, refuse, n_refuse, require);
        return 0;
}

int dhcp4_engine_restart(Dhcp4Engine *e, const Dhcp4Subnet *refuse, size_t n_refuse, const Dhcp4Subnet *require,
                         uint64_t now) {
        int r;

        r = input_begin(e);
        if (r < 0)
                return r;
        r = policy_check(refuse, n_refuse, require);
        if (r < 0)
                return r;
        if (e->state == DHCP4_STATE_STOPPED)
                return -ESTALE;
        e->configure_failures = 0;

        policy_store(e, refuse, n_refuse, require);
        e->nak_count = 0;
        /* Kept configured until replaced, but never renewed: the agent restarts to move
         * the node elsewhere (multipod), the old lease is not what it wants. */
        e->lease_reusable = false;
        return input_end(e, engine_enter_init(e, 0, now));
}

int dhcp4_engine_pop_action(Dhcp4Engine *e, Dhcp4Action *ret) {
        if (!e || !ret)
                return -EINVAL;
        if (e->queue_len == 0)
                return 0;
        *ret = e->queue[e->queue_head];
        e->queue_head = (e->queue_head + 1) % DHCP4_ENGINE_QUEUE_SIZE;
        e->queue_len--;
        if (e->queue_len == 0)
                e->queue_head = 0; /* the same few entries again: no other page is touched */
        return 1;
}

uint64_t dhcp4_engine_next_deadline(const Dhcp4Engine *e) {
        uint64_t t;

        if (!e || e->state == DHCP4_STATE_STOPPED)
                return USEC_INFINITY;
        t = e->timer_usec;
        if (e->has_lease)
                t = MIN(t, lease_expiry_usec(&e->lease));
        return t;
}

Dhcp4State dhcp4_engine_get_state(const Dhcp4Engine *e) {
        return e ? e->state : DHCP4_STATE_STOPPED;
}

const Dhcp4Lease *dhcp4_engine_get_lease(const Dhcp4Engine *e) {
        return e && e->has_lease ? &e->lease : NULL;
}

const uint8_t *dhcp4_engine_get_client_id(const Dhcp4Engine *e, size_t *ret_len) {
        if (!e)
                return NULL;
        if (ret_len)
                *ret_len = sizeof(e->client_id);
        return e->client_id;
}

uint32_t dhcp4_engine_get_xid(const Dhcp4Engine *e) {
        return e ? e->xid : 0;
}

size_t dhcp4_engine_get_declined(const Dhcp4Engine *e, struct in_addr *out, size_t n, uint64_t now) {
        size_t k = 0;

        if (!e || (!out && n > 0))
                return 0;
        for (size_t i = 0; i < e->n_quarantine && k < n; i++)
                if (now < e->quarantine[i].until_usec)
                        out[k++] = e->quarantine[i].address;
        return k;
}

unsigned dhcp4_engine_get_conflicts(const Dhcp4Engine *e) {
        return e ? e->conflicts : 0;
}

uint64_t dhcp4_engine_get_decline_backoff(const Dhcp4Engine *e) {
        return e ? e->decline_backoff_usec : 0;
}
