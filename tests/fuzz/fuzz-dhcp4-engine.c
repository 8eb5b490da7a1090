/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for the DHCPv4 client state machine (dhcp4-engine). The input is a
 * script: a header (engine configuration, seed, optional remembered lease), then one
 * opcode byte per step followed by that step's operands. Steps are the engine's inputs:
 * a raw payload, a server reply built with the codec for the xid the engine last sent
 * (so a few bytes walk DISCOVER/OFFER/REQUEST/ACK into BOUND and beyond), timer expiry,
 * time passing, link changes, ACD results, the commands, a MAC change, stop and start
 * with the last persisted lease, a bind the daemon could not configure. The clock only
 * moves forward, and never past the engine's deadline without that timeout being
 * delivered, as in the daemon loop.
 *
 * After every step all actions are popped and checked (abort() on a violation):
 * - each input returns what its contract allows, never -ENOBUFS (the queue promise);
 * - at most DHCP4_ENGINE_INPUT_ACTIONS_MAX actions per input; STATE actions chain from
 *   the state before the input to the state after it;
 * - every packet sent parses, is a BOOTREQUEST with our chaddr, option 61 = 01:mac,
 *   the action's xid and message type, secs >= 1, and fits DHCP4_MAX_SEND_LEN;
 * - CONFIGURE/PERSIST/PROBE carry a usable lease; a PERSISTed lease formats as a lease
 *   file and parses back to the same lease (the daemon writes exactly that);
 * - after a timeout the next deadline lies in the future (no busy loop);
 * - STOPPED has no deadline, queues nothing, ignores packets and rejects commands;
 * - a failed configure of a bind forgets the lease (no DECONFIGURE), sends nothing and
 *   waits at least half the first retransmission interval before DISCOVER; outside
 *   BOUND it changes nothing.
 * The byte layout is documented next to each opcode; tests/fuzz/make-corpus-targets.py
 * writes seeds in it. Test code: not part of the daemon.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "dhcp4-engine.h"
#include "dhcp4-lease-file.h"
#include "dhcp4-message.h"
#include "fuzz-util.h"
#include "macro.h"
#include "time-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define T0 (UINT64_C(1000) * USEC_PER_SEC)

enum {
        OP_RECEIVE_RAW,     /* u16 len (mod 1501), bytes */
        OP_REPLY,           /* see build_reply() */
        OP_TIMEOUT,         /* now = next deadline; timeout() */
        OP_ADVANCE,         /* u16 ms (×1000 if bit 0 of the next byte); clamped to the deadline */
        OP_LINK,            /* u8: bit 0 = up */
        OP_PROBE_RESULT,    /* u8: bit 0 conflict, bit 1 with a MAC */
        OP_ADDRESS_LOST,
        OP_RELEASE,
        OP_RENEW,
        OP_REBIND,
        OP_RESTART,         /* policy (see read_policy()) */
        OP_SET_MAC,         /* u8 selector; 6 bytes if selector % 3 == 2 */
        OP_STOP,
        OP_START,           /* u8: 0 none, 1 last persisted lease, 2 made-up lease (read_lease()) */
        OP_SET_OFFER_POLICY,/* policy */
        OP_CONFIRM,         /* attachment in doubt (dhcp4-dna): confirm() */
        OP_CONFIGURE_FAILED,/* the daemon could not put the bound address on the link */
        _OP_MAX,
};

static const uint8_t mac_a[6] = { 0x02, 0x00, 0x5e, 0x10, 0x20, 0x30 };
static const uint8_t mac_b[6] = { 0x02, 0x00, 0x5e, 0x10, 0x20, 0x31 };

typedef struct Fuzz {
        FuzzInput in;
        Dhcp4Engine *e;
        uint64_t now;
        uint8_t mac[6];
        uint32_t last_xid;
        bool has_sent;
        bool has_persisted;
        Dhcp4Lease persisted;
        uint64_t backoff_min; /* the first retransmission interval less its jitter (at most half) */
        unsigned n_sent, n_forget, n_deconfigure, n_actions; /* what the last drain() popped */
        bool trace; /* $FUZZ_TRACE set: print state changes (triage of a crashing input) */
} Fuzz;

static struct in_addr addr_pick(FuzzInput *in) {
        static const char *const fixed[] = { "\x0a\x00\x80\x40", "\x0a\x00\x80\x41", "\x0a\x01\x00\x05",
                                             "\x0a\x02\x00\x07", "\x00\x00\x00\x00", "\x7f\x00\x00\x01",
                                             "\xff\xff\xff\xff" };
        uint8_t sel = fuzz_u8(in) % 8;
        struct in_addr a;

        if (sel < ELEMENTSOF(fixed))
                memcpy(&a.s_addr, fixed[sel], 4);
        else
                a.s_addr = htonl(fuzz_u32(in));
        return a;
}

static struct in_addr server_pick(FuzzInput *in) {
        uint8_t sel = fuzz_u8(in) % 4;
        struct in_addr a;

        switch (sel) {
        case 0:
                a.s_addr = htonl(0x0a000001);
                break;
        case 1:
                a.s_addr = htonl(0x0a000002);
                break;
        case 2:
                a.s_addr = 0;
                break;
        default:
                a.s_addr = htonl(fuzz_u32(in));
        }
        return a;
}

static uint32_t lifetime_pick(FuzzInput *in) {
        static const uint32_t fixed[] = { 0, 1, 10, 20, 3600, 86400, UINT32_MAX };
        uint8_t sel = fuzz_u8(in) % 8;

        return sel < ELEMENTSOF(fixed) ? fixed[sel] : fuzz_u32(in);
}

/* u8 n_refuse (mod 5; 4 reads as "too many" only if > DHCP4_ENGINE_REFUSE_MAX: never),
 * n × (addr, u8 prefixlen mod 33), u8 has_require (bit 0), [addr, u8 prefixlen mod 33]. */
static void read_policy(FuzzInput *in, Dhcp4Subnet *refuse, size_t *ret_n, Dhcp4Subnet *require, bool *ret_has) {
        size_t n = fuzz_u8(in) % 5;

        for (size_t i = 0; i < n; i++) {
                refuse[i].address = addr_pick(in);
                refuse[i].prefixlen = fuzz_u8(in) % 33;
        }
        *ret_has = fuzz_u8(in) & 1;
        if (*ret_has) {
                require->address = addr_pick(in);
                require->prefixlen = fuzz_u8(in) % 33;
        }
        *ret_n = n;
}

/* addr, u8 prefixlen mod 33, server (0.0.0.0 read as 10.0.0.1: a remembered lease comes
 * from the lease file, whose parser refuses it), lifetime, u16 age in s (acquired =
 * now - age, clamped at 0), u8 bit 0: client id of the other MAC. */
static void read_lease(Fuzz *f, Dhcp4Lease *l) {
        uint16_t age;

        *l = (Dhcp4Lease) {};
        l->address = addr_pick(&f->in);
        l->prefixlen = fuzz_u8(&f->in) % 33;
        l->server_id = server_pick(&f->in);
        if (l->server_id.s_addr == 0) /* as the lease file parser guarantees */
                l->server_id.s_addr = htonl(0x0a000001);
        l->lifetime = lifetime_pick(&f->in);
        l->t1 = l->lifetime / 2;
        l->t2 = (uint32_t) ((uint64_t) l->lifetime * 7 / 8);
        age = fuzz_u16(&f->in);
        l->acquired_usec = usec_sub(f->now, (uint64_t) age * USEC_PER_SEC);
        l->client_id[0] = 0x01;
        memcpy(l->client_id + 1, (fuzz_u8(&f->in) & 1) ? mac_b : f->mac, 6);
}

static void check_lease(const Dhcp4Lease *l) {
        uint32_t a = ntohl(l->address.s_addr);

        CHECK(a != 0 && (a >> 24) != 127 && (a >> 28) < 0xe);
        CHECK(l->prefixlen <= 32);
        CHECK(l->lifetime > 0);
        CHECK(l->n_routers <= LEASE_MAX_ROUTERS && l->n_dns <= LEASE_MAX_DNS && l->n_routes <= LEASE_MAX_ROUTES);
        CHECK(memchr(l->hostname, 0, sizeof(l->hostname)) && memchr(l->domain, 0, sizeof(l->domain)));
        if (l->lifetime == UINT32_MAX)
                CHECK(l->t1 == UINT32_MAX && l->t2 == UINT32_MAX);
        else
                CHECK(l->t1 <= l->t2 && l->t2 <= l->lifetime);
        CHECK(l->client_id[0] == 0x01);
}

/* What the daemon does with PERSIST: format, and on the next start parse it back. */
static void check_persist(const Dhcp4Lease *l) {
        char buf[DHCP4_LEASE_FILE_MAX];
        Dhcp4Lease back;
        Dhcp4LeaseStamp st = { .realtime_usec = UINT64_C(1757230000000000), .boottime_usec = 42,
                               .boot_id = "0f6c3a1e-8d2b-4c55-9b1a-2f0e7d6c5b4a" }, st2;
        size_t len;
        const char *err = NULL;

        CHECK(dhcp4_lease_file_format(l, &st, buf, sizeof(buf), &len) == 0);
        CHECK(dhcp4_lease_file_parse(buf, len, &back, &st2, &err) == 0);
        CHECK(st2.realtime_usec == st.realtime_usec && st2.boottime_usec == st.boottime_usec &&
              strcmp(st2.boot_id, st.boot_id) == 0);
        CHECK(back.address.s_addr == l->address.s_addr && back.prefixlen == l->prefixlen);
        CHECK(back.server_id.s_addr == l->server_id.s_addr && back.lifetime == l->lifetime);
        CHECK(back.t1 == l->t1 && back.t2 == l->t2);
        CHECK(memcmp(back.client_id, l->client_id, LEASE_CLIENT_ID_LEN) == 0);
        CHECK(back.n_routers == l->n_routers && back.n_dns == l->n_dns && back.n_routes == l->n_routes);
        CHECK(memcmp(back.routers, l->routers, sizeof(struct in_addr) * l->n_routers) == 0);
        CHECK(memcmp(back.dns, l->dns, sizeof(struct in_addr) * l->n_dns) == 0);
        CHECK(back.broadcast.s_addr == l->broadcast.s_addr);
        for (size_t i = 0; i < l->n_routes; i++)
                CHECK(back.routes[i].destination.s_addr == l->routes[i].destination.s_addr &&
                      back.routes[i].prefixlen == l->routes[i].prefixlen &&
                      back.routes[i].gateway.s_addr == l->routes[i].gateway.s_addr);
        CHECK(strcmp(back.hostname, l->hostname) == 0 && strcmp(back.domain, l->domain) == 0);
        CHECK(back.mtu == l->mtu);
}

static void check_sent(const Fuzz *f, const Dhcp4Action *a) {
        Dhcp4Message m;

        CHECK(a->len >= DHCP4_MIN_MESSAGE_LEN && a->len <= DHCP4_MAX_SEND_LEN);
        CHECK(dhcp4_message_parse(&m, a->packet, a->len) == DHCP4_PARSE_OK);
        CHECK(m.op == BOOTREQUEST);
        CHECK(memcmp(m.chaddr, f->mac, 6) == 0);
        CHECK(m.xid == a->xid);
        CHECK(m.message_type == a->message_type);
        CHECK(m.message_type == DHCP4_DISCOVER || m.message_type == DHCP4_REQUEST ||
              m.message_type == DHCP4_DECLINE || m.message_type == DHCP4_RELEASE);
        CHECK(m.secs >= 1);
        CHECK(m.client_id_len == 7 && m.client_id[0] == 0x01 && memcmp(m.client_id + 1, f->mac, 6) == 0);
        CHECK(m.yiaddr.s_addr == 0 && m.giaddr.s_addr == 0);
        if (a->type == DHCP4_ACTION_SEND_UNICAST)
                CHECK(a->address.s_addr != 0);
}

/* Pops everything the last input queued and checks it. */
static void drain(Fuzz *f, Dhcp4State before) {
        Dhcp4State s = before;
        Dhcp4Action a;
        size_t n = 0;
        int r;

        f->n_sent = f->n_forget = f->n_deconfigure = f->n_actions = 0;
        while ((r = dhcp4_engine_pop_action(f->e, &a)) == 1) {
                n++;
                f->n_actions++;
                CHECK(n <= DHCP4_ENGINE_INPUT_ACTIONS_MAX);
                switch (a.type) {
                case DHCP4_ACTION_SEND_BROADCAST:
                case DHCP4_ACTION_SEND_UNICAST:
                        if (f->trace)
                                fprintf(stderr, "send %s type %u to %08x\n",
                                        a.type == DHCP4_ACTION_SEND_UNICAST ? "unicast" : "broadcast",
                                        a.message_type, ntohl(a.address.s_addr));
                        check_sent(f, &a);
                        f->n_sent++;
                        f->last_xid = a.xid;
                        f->has_sent = true;
                        break;
                case DHCP4_ACTION_PROBE:
                case DHCP4_ACTION_CONFIGURE:
                        check_lease(&a.lease);
                        break;
                case DHCP4_ACTION_PERSIST:
                        check_lease(&a.lease);
                        CHECK(memcmp(a.lease.client_id + 1, f->mac, 6) == 0);
                        check_persist(&a.lease);
                        f->persisted = a.lease;
                        f->has_persisted = true;
                        break;
                case DHCP4_ACTION_DECONFIGURE:
                        CHECK(a.address.s_addr != 0 && a.prefixlen <= 32);
                        f->n_deconfigure++;
                        break;
                case DHCP4_ACTION_FORGET:
                        f->n_forget++;
                        break;
                case DHCP4_ACTION_STATE:
                        CHECK((unsigned) a.new_state < _DHCP4_STATE_MAX);
                        CHECK(a.old_state == s && a.new_state != a.old_state);
                        CHECK(a.new_state != DHCP4_STATE_STOPPED);
                        if (f->trace)
                                fprintf(stderr, "%s -> %s\n", dhcp4_state_to_string(a.old_state),
                                        dhcp4_state_to_string(a.new_state));
                        s = a.new_state;
                        break;
                case DHCP4_ACTION_EVENT:
                        CHECK((unsigned) a.event < _DHCP4_EVENT_MAX && dhcp4_event_to_string(a.event));
                        CHECK(memchr(a.text, 0, sizeof(a.text)));
                        break;
                default:
                        CHECK(!"unknown action type");
                }
        }
        CHECK(r == 0);
        CHECK(s == dhcp4_engine_get_state(f->e));
        CHECK((unsigned) s < _DHCP4_STATE_MAX && dhcp4_state_to_string(s));
        if (s == DHCP4_STATE_STOPPED)
                CHECK(dhcp4_engine_next_deadline(f->e) == UINT64_MAX);
        if (dhcp4_engine_get_lease(f->e))
                check_lease(dhcp4_engine_get_lease(f->e));
}

/* A server reply for the last xid the engine sent:
 *   u8 type selector (mod 4: OFFER, ACK, NAK, then a raw u8 type), u16 option flags,
 *   addr yiaddr, then for each flag bit set, in bit order, its operands:
 *   0 server id (54): server       1 lease time (51): lifetime  2 subnet mask (1): u8
 *   3 client id echo (61), right   4 client id echo, wrong       5 routers (3): u8 n, n × addr
 *   6 T1/T2 (58/59): u32, u32      7 routes (121): u8 n, n × (addr, u8 len, addr)
 *   8 host/domain (12/15): u8 len, bytes (both)                  9 message (56): u8 len, bytes
 *   10 MTU (26): u16               11 xid + 1                    12 other chaddr
 *   13 broadcast (28): addr        14 DNS (6): addr              15 op BOOTREQUEST */
static int build_reply(Fuzz *f, uint8_t *buf, size_t size, size_t *ret_len) {
        FuzzInput *in = &f->in;
        uint8_t sel = fuzz_u8(in) % 4, type;
        uint16_t flags = fuzz_u16(in);
        Dhcp4Header h = {};
        Dhcp4Builder b;
        uint8_t cid[7];
        size_t n;
        const uint8_t *p;

        type = sel == 0 ? DHCP4_OFFER : sel == 1 ? DHCP4_ACK : sel == 2 ? DHCP4_NAK : fuzz_u8(in);
        h.op = (flags & (1u << 15)) ? BOOTREQUEST : BOOTREPLY;
        h.xid = f->last_xid + ((flags & (1u << 11)) ? 1 : 0);
        h.yiaddr = addr_pick(in);
        memcpy(h.chaddr, (flags & (1u << 12)) ? mac_b : f->mac, 6);
        if (flags & (1u << 12) && memcmp(f->mac, mac_b, 6) == 0)
                h.chaddr[5] ^= 1;

        CHECK(dhcp4_builder_init(&b, buf, size, &h) == 0);
        CHECK(dhcp4_builder_add_u8(&b, DHCP4_OPTION_MESSAGE_TYPE, type) == 0);
        if (flags & (1u << 0))
                CHECK(dhcp4_builder_add_addr(&b, DHCP4_OPTION_SERVER_ID, server_pick(in)) == 0);
        if (flags & (1u << 1))
                CHECK(dhcp4_builder_add_u32(&b, DHCP4_OPTION_LEASE_TIME, lifetime_pick(in)) == 0);
        if (flags & (1u << 2)) {
                struct in_addr mask = { .s_addr = lease_prefix_mask(fuzz_u8(in) % 33) };
                CHECK(dhcp4_builder_add_addr(&b, DHCP4_OPTION_SUBNET_MASK, mask) == 0);
        }
        if (flags & (1u << 3)) {
                cid[0] = 0x01;
                memcpy(cid + 1, f->mac, 6);
                CHECK(dhcp4_builder_add(&b, DHCP4_OPTION_CLIENT_ID, cid, sizeof(cid)) == 0);
        }
        if (flags & (1u << 4)) {
                cid[0] = 0x01;
                memcpy(cid + 1, f->mac, 6);
                cid[6] ^= 0x80;
                CHECK(dhcp4_builder_add(&b, DHCP4_OPTION_CLIENT_ID, cid, sizeof(cid)) == 0);
        }
        if (flags & (1u << 5)) {
                struct in_addr r[4];
                n = fuzz_u8(in) % 4 + 1;
                for (size_t i = 0; i < n; i++)
                        r[i] = addr_pick(in);
                CHECK(dhcp4_builder_add(&b, DHCP4_OPTION_ROUTER, r, 4 * n) == 0);
        }
        if (flags & (1u << 6)) {
                CHECK(dhcp4_builder_add_u32(&b, DHCP4_OPTION_RENEWAL_TIME, fuzz_u32(in)) == 0);
                CHECK(dhcp4_builder_add_u32(&b, DHCP4_OPTION_REBINDING_TIME, fuzz_u32(in)) == 0);
        }
        if (flags & (1u << 7)) {
                LeaseRoute r[4];
                uint8_t rbuf[4 * 9];
                size_t rlen;

                n = fuzz_u8(in) % 4 + 1;
                for (size_t i = 0; i < n; i++) {
                        r[i].prefixlen = fuzz_u8(in) % 33;
                        r[i].destination = addr_pick(in);
                        r[i].destination.s_addr &= lease_prefix_mask(r[i].prefixlen);
                        r[i].gateway = addr_pick(in);
                }
                CHECK(dhcp4_routes_encode(r, n, rbuf, sizeof(rbuf), &rlen) == 0);
                CHECK(dhcp4_builder_add(&b, DHCP4_OPTION_CLASSLESS_ROUTE, rbuf, rlen) == 0);
        }
        if (flags & (1u << 8)) {
                p = fuzz_slice(in, fuzz_u8(in) % 64, &n);
                if (n > 0) {
                        CHECK(dhcp4_builder_add(&b, DHCP4_OPTION_HOST_NAME, p, n) == 0);
                        CHECK(dhcp4_builder_add(&b, DHCP4_OPTION_DOMAIN_NAME, p, n) == 0);
                }
        }
        if (flags & (1u << 9)) {
                p = fuzz_slice(in, fuzz_u8(in) % 128, &n);
                if (n > 0)
                        CHECK(dhcp4_builder_add(&b, DHCP4_OPTION_MESSAGE, p, n) == 0);
        }
        if (flags & (1u << 10))
                CHECK(dhcp4_builder_add_u16(&b, DHCP4_OPTION_MTU, fuzz_u16(in)) == 0);
        if (flags & (1u << 13))
                CHECK(dhcp4_builder_add_addr(&b, DHCP4_OPTION_BROADCAST, addr_pick(in)) == 0);
        if (flags & (1u << 14))
                CHECK(dhcp4_builder_add_addr(&b, DHCP4_OPTION_DNS_SERVER, addr_pick(in)) == 0);

        return dhcp4_builder_finish(&b, ret_len);
}

static bool stopped(const Fuzz *f) {
        return dhcp4_engine_get_state(f->e) == DHCP4_STATE_STOPPED;
}

static void step(Fuzz *f, uint8_t op) {
        Dhcp4State before = dhcp4_engine_get_state(f->e);
        bool was_stopped = before == DHCP4_STATE_STOPPED;
        uint64_t deadline = dhcp4_engine_next_deadline(f->e);
        Dhcp4Subnet refuse[4], require;
        bool has_require;
        size_t n_refuse;
        int r;

        switch (op) {
        case OP_RECEIVE_RAW: {
                size_t want = fuzz_u16(&f->in) % (DHCP4_MAX_MESSAGE_LEN + 30), n;
                const uint8_t *p = fuzz_slice(&f->in, want, &n);
                uint8_t *copy = malloc(n > 0 ? n : 1); /* exact size, for ASan */

                CHECK(copy);
                if (n > 0)
                        memcpy(copy, p, n);
                r = dhcp4_engine_receive(f->e, copy, n, f->now);
                free(copy);
                CHECK(r >= 0 && r < _DHCP4_RX_MAX && (r == 0 || dhcp4_engine_rx_to_string(r)));
                if (was_stopped)
                        CHECK(r != DHCP4_PARSE_OK); /* ignored, for whatever reason */
                break;
        }
        case OP_REPLY: {
                uint8_t buf[DHCP4_MAX_MESSAGE_LEN];
                size_t len = 0;

                r = build_reply(f, buf, sizeof(buf), &len);
                CHECK(r >= 0);
                r = dhcp4_engine_receive(f->e, buf, len, f->now);
                CHECK(r >= 0 && r < _DHCP4_RX_MAX && (r == 0 || dhcp4_engine_rx_to_string(r)));
                if (was_stopped)
                        CHECK(r != DHCP4_PARSE_OK); /* ignored, for whatever reason */
                break;
        }
        case OP_TIMEOUT:
                if (deadline != UINT64_MAX && deadline > f->now)
                        f->now = deadline;
                r = dhcp4_engine_timeout(f->e, f->now);
                CHECK(r == 0);
                drain(f, before);
                /* Every handler re-arms after now: the daemon would otherwise spin. */
                CHECK(dhcp4_engine_next_deadline(f->e) > f->now);
                return;
        case OP_ADVANCE: {
                uint64_t delta = (uint64_t) fuzz_u16(&f->in) * USEC_PER_MSEC;

                if (fuzz_u8(&f->in) & 1)
                        delta *= 1000;
                f->now = usec_add(f->now, delta);
                /* The daemon's timer fires at the deadline: time never runs past it
                 * without the timeout being delivered. */
                if (deadline > 0 && f->now > deadline)
                        f->now = MAX(deadline, f->now - delta);
                return;
        }
        case OP_LINK:
                r = dhcp4_engine_link(f->e, fuzz_u8(&f->in) & 1, f->now);
                CHECK(r == 0);
                break;
        case OP_PROBE_RESULT: {
                uint8_t b = fuzz_u8(&f->in);
                r = dhcp4_engine_probe_result(f->e, b & 1, (b & 2) ? mac_b : NULL, f->now);
                CHECK(r == 0);
                break;
        }
        case OP_ADDRESS_LOST:
                r = dhcp4_engine_address_lost(f->e, f->now);
                CHECK(r == 0);
                break;
        case OP_RELEASE:
        case OP_RENEW:
        case OP_REBIND:
                r = op == OP_RELEASE ? dhcp4_engine_release(f->e, f->now) :
                    op == OP_RENEW   ? dhcp4_engine_renew(f->e, f->now) :
                                       dhcp4_engine_rebind(f->e, f->now);
                CHECK(r == (was_stopped ? -ESTALE : 0));
                break;
        case OP_RESTART:
                read_policy(&f->in, refuse, &n_refuse, &require, &has_require);
                r = dhcp4_engine_restart(f->e, refuse, n_refuse, has_require ? &require : NULL, f->now);
                CHECK(r == (was_stopped ? -ESTALE : 0));
                break;
        case OP_CONFIRM:
                r = dhcp4_engine_confirm(f->e, f->now);
                if (was_stopped)
                        CHECK(r == -ESTALE);
                else if (r == 0)
                        /* Only a bound client confirms, and it keeps its address. */
                        CHECK((before == DHCP4_STATE_BOUND || before == DHCP4_STATE_RENEWING ||
                               before == DHCP4_STATE_REBINDING) &&
                              dhcp4_engine_get_state(f->e) == DHCP4_STATE_CONFIRMING &&
                              dhcp4_engine_get_lease(f->e));
                else
                        CHECK(r == DHCP4_CONFIRM_NOT_BOUND && dhcp4_engine_get_state(f->e) == before);
                break;
        case OP_SET_OFFER_POLICY:
                read_policy(&f->in, refuse, &n_refuse, &require, &has_require);
                r = dhcp4_engine_set_offer_policy(f->e, refuse, n_refuse, has_require ? &require : NULL);
                CHECK(r == 0);
                break;
        case OP_SET_MAC: {
                uint8_t sel = fuzz_u8(&f->in) % 3, mac[6];
                bool zero;

                if (sel == 0)
                        memcpy(mac, mac_a, 6);
                else if (sel == 1)
                        memcpy(mac, mac_b, 6);
                else
                        for (size_t i = 0; i < 6; i++)
                                mac[i] = fuzz_u8(&f->in);
                zero = memcmp(mac, (uint8_t[6]) {}, 6) == 0;
                r = dhcp4_engine_set_mac(f->e, mac, f->now);
                CHECK(r == (zero ? -EINVAL : 0));
                if (!zero)
                        memcpy(f->mac, mac, 6);
                break;
        }
        case OP_STOP:
                CHECK(dhcp4_engine_stop(f->e) == 0);
                CHECK(dhcp4_engine_pop_action(f->e, &(Dhcp4Action) {}) == 0);
                CHECK(stopped(f) && dhcp4_engine_next_deadline(f->e) == UINT64_MAX);
                return;
        case OP_START: {
                uint8_t sel = fuzz_u8(&f->in) % 3;
                Dhcp4Lease l;
                const Dhcp4Lease *lp = NULL;

                if (sel == 1 && f->has_persisted)
                        lp = &f->persisted;
                else if (sel == 2) {
                        read_lease(f, &l);
                        lp = &l;
                }
                r = dhcp4_engine_start(f->e, lp, f->now);
                CHECK(r == (was_stopped ? 0 : -EBUSY));
                break;
        }
        case OP_CONFIGURE_FAILED: {
                bool bound = before == DHCP4_STATE_BOUND && dhcp4_engine_get_lease(f->e);
                uint64_t next;

                r = dhcp4_engine_configure_failed(f->e, f->now);
                CHECK(r == 0);
                drain(f, before);
                next = dhcp4_engine_next_deadline(f->e);
                if (!bound) {
                        /* Only a bind can fail to configure: anything else is left alone. */
                        CHECK(f->n_actions == 0 && dhcp4_engine_get_state(f->e) == before);
                        return;
                }
                /* The lease is forgotten, not deconfigured (it never reached the link),
                 * nothing is sent now, and DISCOVER waits for the back-off: a daemon that
                 * cannot configure never loops fast. */
                CHECK(dhcp4_engine_get_state(f->e) == DHCP4_STATE_INIT && !dhcp4_engine_get_lease(f->e));
                CHECK(f->n_forget == 1 && f->n_deconfigure == 0 && f->n_sent == 0);
                CHECK(next == UINT64_MAX || next >= usec_add(f->now, f->backoff_min));
                return;
        }
        default:
                CHECK(!"unreachable");
        }
        drain(f, before);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        Fuzz f = { .in = { .data = data, .size = size }, .now = T0, .trace = getenv("FUZZ_TRACE") };
        Dhcp4EngineConfig c;
        uint8_t flags;
        int r;

        if (size > 16384)
                return 0; /* scripts beyond this add nothing but time */

        dhcp4_engine_config_init(&c);
        f.backoff_min = c.retransmit_initial_usec / 2;
        memcpy(c.mac, mac_a, 6);
        memcpy(f.mac, mac_a, 6);

        /* Header: u8 flags, u32 seed, then per flag its operands:
         *   0 initial delay 2 s       1 broadcast flag     2 quarantine off
         *   3 hostname: u8 len, bytes 4 request_max_attempts 1
         *   5 link down at start      6 remembered lease (read_lease())
         *   7 offer policy before start (read_policy()) */
        flags = fuzz_u8(&f.in);
        c.seed = fuzz_u32(&f.in);
        if (flags & 1)
                c.initial_delay_usec = 2 * USEC_PER_SEC;
        c.broadcast_flag = flags & 2;
        if (flags & 4)
                c.decline_quarantine_usec = 0;
        if (flags & 8) {
                size_t n;
                const uint8_t *p = fuzz_slice(&f.in, fuzz_u8(&f.in) % LEASE_HOSTNAME_MAX, &n);
                if (n > 0)
                        memcpy(c.hostname, p, n);
        }
        if (flags & 16)
                c.request_max_attempts = 1;

        CHECK(dhcp4_engine_new(&f.e, &c) == 0);
        CHECK(stopped(&f) && dhcp4_engine_next_deadline(f.e) == UINT64_MAX);

        if (flags & 32)
                CHECK(dhcp4_engine_link(f.e, false, f.now) == 0);
        {
                Dhcp4Lease l;
                Dhcp4Subnet refuse[4], require;
                bool has_require;
                size_t n_refuse;

                if (flags & 64)
                        read_lease(&f, &l);
                if (flags & 128) {
                        read_policy(&f.in, refuse, &n_refuse, &require, &has_require);
                        CHECK(dhcp4_engine_set_offer_policy(f.e, refuse, n_refuse,
                                                            has_require ? &require : NULL) == 0);
                }
                r = dhcp4_engine_start(f.e, (flags & 64) ? &l : NULL, f.now);
                CHECK(r == 0);
                drain(&f, DHCP4_STATE_STOPPED);
        }

        for (unsigned steps = 0; fuzz_left(&f.in) && steps < 2000; steps++)
                step(&f, fuzz_u8(&f.in) % _OP_MAX);

        dhcp4_engine_free(f.e);
        return 0;
}
