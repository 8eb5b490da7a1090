/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for the DHCPv4 client state machine (dhcp4-engine): every transition
 * driven with a fake clock; server replies are built with the codec's Dhcp4Builder
 * and every message the engine sends is parsed back and checked (option 61 =
 * 01:mac, chaddr, secs >= 1). No sockets, no sleeps.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dhcp4-engine.h"
#include "dhcp4-message.h"
#include "macro.h"
#include "time-util.h"

#define SEC(x) ((uint64_t) (x) * USEC_PER_SEC)
#define MSEC(x) ((uint64_t) (x) * USEC_PER_MSEC)
#define T0 SEC(1000)
#define SERVER "10.0.0.1"
#define JITTER MSEC(100)

static const uint8_t mac_default[6] = { 0x02, 0x00, 0x5e, 0x10, 0x20, 0x30 };

static struct in_addr A(const char *s) {
        struct in_addr a = {};

        assert_int_equal(inet_pton(AF_INET, s, &a), 1);
        return a;
}

static void assert_addr(struct in_addr a, const char *s) {
        char buf[INET_ADDRSTRLEN];

        inet_ntop(AF_INET, &a, buf, sizeof(buf));
        assert_string_equal(buf, s);
}

/* ---- harness ---------------------------------------------------------------------- */

typedef struct Harness {
        Dhcp4Engine *e;
        Dhcp4EngineConfig config;
        uint8_t mac[6];
        uint64_t now;
        Dhcp4Action act[DHCP4_ENGINE_QUEUE_SIZE];
        size_t n;
} Harness;

static Harness H; /* one per test; cmocka runs tests sequentially */

/* Checks what every message we send must satisfy, whatever the state. */
static void check_sent(const Harness *h, const Dhcp4Action *a) {
        Dhcp4Message m;

        assert_true(a->len >= DHCP4_MIN_MESSAGE_LEN);
        assert_true(a->len <= DHCP4_MAX_SEND_LEN);
        assert_int_equal(dhcp4_message_parse(&m, a->packet, a->len), DHCP4_PARSE_OK);
        assert_int_equal(m.op, BOOTREQUEST);
        assert_int_equal(m.htype, 1);
        assert_int_equal(m.hlen, 6);
        assert_memory_equal(m.chaddr, h->mac, 6);
        assert_int_equal(m.xid, a->xid);
        assert_int_equal(m.message_type, a->message_type);
        assert_true(m.secs >= 1); /* never 0 */
        assert_int_equal(m.client_id_len, 7);
        assert_int_equal(m.client_id[0], 0x01);
        assert_memory_equal(m.client_id + 1, h->mac, 6);
        assert_int_equal(m.giaddr.s_addr, 0);
        assert_int_equal(m.yiaddr.s_addr, 0);
}

static void h_drain(Harness *h) {
        Dhcp4Action a;

        h->n = 0;
        while (dhcp4_engine_pop_action(h->e, &a) == 1) {
                assert_true(h->n < ELEMENTSOF(h->act));
                h->act[h->n++] = a;
                if (a.type == DHCP4_ACTION_SEND_BROADCAST || a.type == DHCP4_ACTION_SEND_UNICAST)
                        check_sent(h, &a);
        }
        /* The queue promise: one input never queues more than this. */
        assert_true(h->n <= DHCP4_ENGINE_INPUT_ACTIONS_MAX);
}

static void h_setup_config(Harness *h, const Dhcp4EngineConfig *c) {
        memset(h, 0, sizeof(*h));
        h->config = *c;
        memcpy(h->mac, c->mac, 6);
        h->now = T0;
        assert_int_equal(dhcp4_engine_new(&h->e, &h->config), 0);
}

static void default_config(Dhcp4EngineConfig *c) {
        dhcp4_engine_config_init(c);
        memcpy(c->mac, mac_default, 6);
        c->seed = 42;
}

static Harness *h_setup(void) {
        Dhcp4EngineConfig c;

        default_config(&c);
        h_setup_config(&H, &c);
        return &H;
}

static int teardown(void **state) {
        H.e = dhcp4_engine_free(H.e);
        return 0;
}

static size_t h_count(const Harness *h, Dhcp4ActionType t) {
        size_t k = 0;

        for (size_t i = 0; i < h->n; i++)
                k += h->act[i].type == t;
        return k;
}

/* The idx-th action of type t, or NULL. */
static const Dhcp4Action *h_get(const Harness *h, Dhcp4ActionType t, size_t idx) {
        for (size_t i = 0; i < h->n; i++)
                if (h->act[i].type == t && idx-- == 0)
                        return &h->act[i];
        return NULL;
}

/* Position of the first action of type t, or SIZE_MAX. */
static size_t h_pos(const Harness *h, Dhcp4ActionType t) {
        for (size_t i = 0; i < h->n; i++)
                if (h->act[i].type == t)
                        return i;
        return SIZE_MAX;
}

/* The single packet sent by the last input (of message type `type`), parsed. */
static const Dhcp4Action *h_sent(const Harness *h, uint8_t type, Dhcp4Message *m) {
        const Dhcp4Action *a = NULL;

        for (size_t i = 0; i < h->n; i++)
                if (h->act[i].type == DHCP4_ACTION_SEND_BROADCAST || h->act[i].type == DHCP4_ACTION_SEND_UNICAST) {
                        assert_null(a); /* exactly one */
                        a = &h->act[i];
                }
        assert_non_null(a);
        assert_int_equal(a->message_type, type);
        if (m)
                assert_int_equal(dhcp4_message_parse(m, a->packet, a->len), DHCP4_PARSE_OK);
        return a;
}

static size_t h_sends(const Harness *h) {
        return h_count(h, DHCP4_ACTION_SEND_BROADCAST) + h_count(h, DHCP4_ACTION_SEND_UNICAST);
}

/* Checks the STATE actions of the last input: s0 → s1 → ... → sn, in order, and
 * nothing else; the argument list ends with -1. */
static void h_states(const Harness *h, ...) {
        int seq[16];
        size_t n = 0;
        va_list ap;
        int s;

        va_start(ap, h);
        while ((s = va_arg(ap, int)) >= 0) {
                assert_true(n < ELEMENTSOF(seq));
                seq[n++] = s;
        }
        va_end(ap);
        assert_true(n >= 2);
        assert_int_equal(h_count(h, DHCP4_ACTION_STATE), n - 1);
        for (size_t k = 0; k + 1 < n; k++) {
                const Dhcp4Action *a = h_get(h, DHCP4_ACTION_STATE, k);

                assert_int_equal(a->old_state, seq[k]);
                assert_int_equal(a->new_state, seq[k + 1]);
        }
        assert_int_equal(dhcp4_engine_get_state(h->e), seq[n - 1]);
}
#define STATES(h, ...) h_states(h, __VA_ARGS__, -1)
#define NO_STATES(h) assert_int_equal(h_count(h, DHCP4_ACTION_STATE), 0)

static void h_start(Harness *h, const Dhcp4Lease *remembered) {
        assert_int_equal(dhcp4_engine_start(h->e, remembered, h->now), 0);
        h_drain(h);
}

static void h_timeout_at(Harness *h, uint64_t t) {
        h->now = t;
        assert_int_equal(dhcp4_engine_timeout(h->e, h->now), 0);
        h_drain(h);
}

/* Advances the clock to the engine's deadline and fires it. */
static uint64_t h_fire(Harness *h) {
        uint64_t d = dhcp4_engine_next_deadline(h->e);

        assert_true(d != UINT64_MAX);
        assert_true(d >= h->now);
        h_timeout_at(h, d);
        return d;
}

/* ---- server side -------------------------------------------------------------------- */

typedef struct Reply {
        uint8_t type;
        uint32_t xid;
        const uint8_t *chaddr; /* NULL: harness MAC */
        const char *yiaddr;    /* NULL: 0.0.0.0 */
        const char *server_id; /* NULL: option 54 left out */
        bool no_lease_time;
        uint32_t lease_time;
        bool has_t1, has_t2;
        uint32_t t1, t2;
        const char *mask; /* NULL: no option 1 */
        const char *router;
        const uint8_t *client_id; /* echoed option 61 */
        size_t client_id_len;
        const char *message;
} Reply;

static Reply reply(const Harness *h, uint8_t type, const char *yiaddr) {
        return (Reply) {
                .type = type,
                .xid = dhcp4_engine_get_xid(h->e),
                .yiaddr = yiaddr,
                .server_id = SERVER,
                .lease_time = 3600,
                .mask = "255.255.255.0",
        };
}

static size_t reply_build(const Harness *h, const Reply *r, uint8_t *buf, size_t size) {
        Dhcp4Header hd = {
                .op = BOOTREPLY,
                .xid = r->xid,
                .yiaddr = r->yiaddr ? A(r->yiaddr) : (struct in_addr) {},
        };
        Dhcp4Builder b;
        size_t len;

        memcpy(hd.chaddr, r->chaddr ? r->chaddr : h->mac, 6);
        assert_int_equal(dhcp4_builder_init(&b, buf, size, &hd), 0);
        assert_int_equal(dhcp4_builder_add_u8(&b, DHCP4_OPTION_MESSAGE_TYPE, r->type), 0);
        if (r->server_id)
                assert_int_equal(dhcp4_builder_add_addr(&b, DHCP4_OPTION_SERVER_ID, A(r->server_id)), 0);
        if (r->type != DHCP4_NAK) {
                if (!r->no_lease_time)
                        assert_int_equal(dhcp4_builder_add_u32(&b, DHCP4_OPTION_LEASE_TIME, r->lease_time), 0);
                if (r->has_t1)
                        assert_int_equal(dhcp4_builder_add_u32(&b, DHCP4_OPTION_RENEWAL_TIME, r->t1), 0);
                if (r->has_t2)
                        assert_int_equal(dhcp4_builder_add_u32(&b, DHCP4_OPTION_REBINDING_TIME, r->t2), 0);
                if (r->mask)
                        assert_int_equal(dhcp4_builder_add_addr(&b, DHCP4_OPTION_SUBNET_MASK, A(r->mask)), 0);
                if (r->router)
                        assert_int_equal(dhcp4_builder_add_addr(&b, DHCP4_OPTION_ROUTER, A(r->router)), 0);
        }
        if (r->client_id)
                assert_int_equal(dhcp4_builder_add(&b, DHCP4_OPTION_CLIENT_ID, r->client_id, r->client_id_len), 0);
        if (r->message)
                assert_int_equal(dhcp4_builder_add(&b, DHCP4_OPTION_MESSAGE, r->message, strlen(r->message)), 0);
        assert_true(dhcp4_builder_finish(&b, &len) > 0);
        return len;
}

/* Feeds a reply; returns the engine's verdict; drains the actions. */
static int h_rx(Harness *h, const Reply *r) {
        uint8_t buf[DHCP4_MAX_MESSAGE_LEN];
        size_t len = reply_build(h, r, buf, sizeof(buf));
        int k = dhcp4_engine_receive(h->e, buf, len, h->now);

        assert_true(k >= 0);
        h_drain(h);
        return k;
}

static int h_rx_simple(Harness *h, uint8_t type, const char *yiaddr) {
        Reply r = reply(h, type, yiaddr);

        return h_rx(h, &r);
}

/* INIT → SELECTING → REQUESTING → PROBING → BOUND on `address`; the REQUEST is sent
 * at T0 + 10 ms, the lease counts from then. */
static void h_bind_reply(Harness *h, const Reply *ack) {
        Reply offer;

        if (dhcp4_engine_get_state(h->e) == DHCP4_STATE_STOPPED)
                h_start(h, NULL);
        assert_int_equal(dhcp4_engine_get_state(h->e), DHCP4_STATE_SELECTING);
        h->now += MSEC(10);
        offer = reply(h, DHCP4_OFFER, ack->yiaddr);
        offer.server_id = ack->server_id;
        assert_int_equal(h_rx(h, &offer), DHCP4_PARSE_OK);
        assert_int_equal(dhcp4_engine_get_state(h->e), DHCP4_STATE_REQUESTING);
        h->now += MSEC(5);
        Reply a = *ack;
        a.xid = dhcp4_engine_get_xid(h->e);
        assert_int_equal(h_rx(h, &a), DHCP4_PARSE_OK);
        assert_int_equal(dhcp4_engine_get_state(h->e), DHCP4_STATE_PROBING);
        h->now += MSEC(5);
        assert_int_equal(dhcp4_engine_probe_result(h->e, false, NULL, h->now), 0);
        h_drain(h);
        assert_int_equal(dhcp4_engine_get_state(h->e), DHCP4_STATE_BOUND);
}

static void h_bind(Harness *h, const char *address) {
        Reply ack = reply(h, DHCP4_ACK, address);

        h_bind_reply(h, &ack);
}

static Dhcp4Lease remembered_lease(const Harness *h, const char *address, uint64_t acquired, uint32_t lifetime) {
        Dhcp4Lease l = {
                .address = A(address),
                .prefixlen = 24,
                .server_id = A(SERVER),
                .lifetime = lifetime,
                .t1 = lifetime / 2,
                .t2 = (uint32_t) ((uint64_t) lifetime * 7 / 8),
                .acquired_usec = acquired,
        };

        l.client_id[0] = 1;
        memcpy(l.client_id + 1, h->mac, 6);
        return l;
}

/* ---- tests --------------------------------------------------------------------------- */

static void test_config(void **state) {
        Dhcp4EngineConfig c, bad;
        Dhcp4Engine *e = NULL;

        dhcp4_engine_config_init(&c);
        assert_int_equal(c.initial_delay_usec, 0);
        assert_int_equal(c.retransmit_initial_usec, SEC(1));
        assert_int_equal(c.retransmit_max_usec, SEC(16));
        assert_int_equal(c.retransmit_jitter_usec, MSEC(100));
        assert_int_equal(c.reboot_timeout_usec, SEC(2));
        assert_int_equal(c.request_max_attempts, 4);
        assert_int_equal(c.renew_retransmit_min_usec, SEC(10));
        assert_int_equal(c.decline_backoff_initial_usec, SEC(1));
        assert_int_equal(c.decline_backoff_max_usec, SEC(64));
        assert_int_equal(c.decline_quarantine_usec, SEC(600));
        assert_int_equal(c.confirm_refuse_usec, SEC(30));
        assert_false(c.broadcast_flag);

        /* all-zero MAC is refused */
        assert_int_equal(dhcp4_engine_new(&e, &c), -EINVAL);
        assert_null(e);
        default_config(&c);

#define BAD(field, value)                                                                                            \
        do {                                                                                                         \
                bad = c;                                                                                             \
                bad.field = value;                                                                                   \
                assert_int_equal(dhcp4_engine_new(&e, &bad), -EINVAL);                                               \
                assert_null(e);                                                                                      \
        } while (0)
        BAD(retransmit_initial_usec, 0);
        BAD(retransmit_max_usec, MSEC(500));
        BAD(reboot_timeout_usec, 0);
        BAD(request_max_attempts, 0);
        BAD(renew_retransmit_min_usec, 0);
        BAD(decline_backoff_initial_usec, 0);
        BAD(decline_backoff_max_usec, MSEC(1));
#undef BAD
        bad = c;
        memset(bad.hostname, 'a', sizeof(bad.hostname)); /* not NUL-terminated */
        assert_int_equal(dhcp4_engine_new(&e, &bad), -EINVAL);
        assert_int_equal(dhcp4_engine_new(NULL, &c), -EINVAL);
        assert_int_equal(dhcp4_engine_new(&e, NULL), -EINVAL);

        assert_int_equal(dhcp4_engine_new(&e, &c), 0);
        assert_int_equal(dhcp4_engine_get_state(e), DHCP4_STATE_STOPPED);
        assert_int_equal(dhcp4_engine_next_deadline(e), UINT64_MAX);
        size_t len = 0;
        const uint8_t *cid = dhcp4_engine_get_client_id(e, &len);
        assert_int_equal(len, 7);
        assert_int_equal(cid[0], 1);
        assert_memory_equal(cid + 1, mac_default, 6);
        assert_int_equal(dhcp4_engine_start(e, NULL, T0), 0);
        assert_int_equal(dhcp4_engine_start(e, NULL, T0), -EBUSY);
        assert_null(dhcp4_engine_free(e));
        assert_null(dhcp4_engine_free(NULL));

        for (int s = 0; s < _DHCP4_STATE_MAX; s++)
                assert_non_null(dhcp4_state_to_string(s));
        assert_null(dhcp4_state_to_string(_DHCP4_STATE_MAX));
        assert_string_equal(dhcp4_state_to_string(DHCP4_STATE_INIT_REBOOT), "INIT-REBOOT");
        for (int v = 0; v < _DHCP4_EVENT_MAX; v++)
                assert_non_null(dhcp4_event_to_string(v));
        assert_null(dhcp4_event_to_string(_DHCP4_EVENT_MAX));
}

static void test_acquire(void **state) {
        Harness *h = h_setup();
        Dhcp4Message m;
        const Dhcp4Action *a;
        uint32_t xid;
        static const uint8_t want_params[] = { 1, 3, 6, 12, 15, 26, 28, 51, 54, 58, 59, 121 };

        /* INIT → SELECTING at once: no initial delay by default */
        h_start(h, NULL);
        STATES(h, DHCP4_STATE_STOPPED, DHCP4_STATE_INIT, DHCP4_STATE_SELECTING);
        assert_int_equal(h->n, 3);
        a = h_sent(h, DHCP4_DISCOVER, &m);
        assert_int_equal(a->type, DHCP4_ACTION_SEND_BROADCAST);
        xid = a->xid;
        assert_int_equal(xid, dhcp4_engine_get_xid(h->e));
        assert_int_equal(m.ciaddr.s_addr, 0);
        assert_int_equal(m.flags, 0); /* broadcast flag off by default */
        assert_int_equal(m.secs, 1);
        assert_false(m.has_requested_address);
        assert_false(m.has_server_id);
        assert_int_equal(m.max_message_size, 1500);
        assert_int_equal(m.n_params, sizeof(want_params));
        assert_memory_equal(m.params, want_params, sizeof(want_params));
        assert_string_equal(m.hostname, "");
        uint64_t d = dhcp4_engine_next_deadline(h->e);
        assert_true(d >= T0 + SEC(1) - JITTER && d <= T0 + SEC(1) + JITTER);
        assert_null(dhcp4_engine_get_lease(h->e));

        /* OFFER → REQUEST (same xid, 50 + 54, ciaddr 0, same secs as DISCOVER) */
        h->now = T0 + MSEC(200);
        assert_int_equal(h_rx_simple(h, DHCP4_OFFER, "10.0.0.50"), DHCP4_PARSE_OK);
        STATES(h, DHCP4_STATE_SELECTING, DHCP4_STATE_REQUESTING);
        a = h_sent(h, DHCP4_REQUEST, &m);
        assert_int_equal(a->type, DHCP4_ACTION_SEND_BROADCAST);
        assert_int_equal(a->xid, xid);
        assert_true(m.has_requested_address);
        assert_addr(m.requested_address, "10.0.0.50");
        assert_true(m.has_server_id);
        assert_addr(m.server_id, SERVER);
        assert_int_equal(m.ciaddr.s_addr, 0);
        assert_int_equal(m.secs, 1);
        assert_int_equal(m.flags, 0);
        d = dhcp4_engine_next_deadline(h->e);
        assert_true(d >= h->now + SEC(1) - JITTER && d <= h->now + SEC(1) + JITTER);

        /* ACK → PROBING with the lease; nothing configured yet */
        h->now = T0 + MSEC(300);
        Reply ack = reply(h, DHCP4_ACK, "10.0.0.50");
        ack.router = "10.0.0.254";
        assert_int_equal(h_rx(h, &ack), DHCP4_PARSE_OK);
        STATES(h, DHCP4_STATE_REQUESTING, DHCP4_STATE_PROBING);
        assert_int_equal(h->n, 2);
        a = h_get(h, DHCP4_ACTION_PROBE, 0);
        assert_non_null(a);
        assert_addr(a->lease.address, "10.0.0.50");
        assert_int_equal(a->lease.prefixlen, 24);
        assert_addr(a->lease.server_id, SERVER);
        assert_int_equal(a->lease.lifetime, 3600);
        assert_int_equal(a->lease.t1, 1800);
        assert_int_equal(a->lease.t2, 3150);
        assert_int_equal(a->lease.n_routers, 1);
        assert_addr(a->lease.routers[0], "10.0.0.254");
        /* RFC 2131 §4.4.1: lease counts from when the REQUEST was sent */
        assert_int_equal(a->lease.acquired_usec, T0 + MSEC(200));
        assert_int_equal(a->lease.client_id[0], 1);
        assert_memory_equal(a->lease.client_id + 1, mac_default, 6);
        assert_int_equal(dhcp4_engine_next_deadline(h->e), UINT64_MAX);
        assert_null(dhcp4_engine_get_lease(h->e));
        assert_int_equal(h_count(h, DHCP4_ACTION_CONFIGURE), 0);

        /* probe clean → CONFIGURE, PERSIST, STATE BOUND, in that order */
        h->now = T0 + MSEC(400);
        assert_int_equal(dhcp4_engine_probe_result(h->e, false, NULL, h->now), 0);
        h_drain(h);
        assert_int_equal(h->n, 3);
        assert_int_equal(h->act[0].type, DHCP4_ACTION_CONFIGURE);
        assert_addr(h->act[0].lease.address, "10.0.0.50");
        assert_int_equal(h->act[1].type, DHCP4_ACTION_PERSIST);
        assert_addr(h->act[1].lease.address, "10.0.0.50");
        assert_int_equal(h->act[2].type, DHCP4_ACTION_STATE);
        STATES(h, DHCP4_STATE_PROBING, DHCP4_STATE_BOUND);
        assert_non_null(dhcp4_engine_get_lease(h->e));
        assert_addr(dhcp4_engine_get_lease(h->e)->address, "10.0.0.50");
        /* next: T1 */
        assert_int_equal(dhcp4_engine_next_deadline(h->e), T0 + MSEC(200) + SEC(1800));

        /* nothing happens before T1 */
        h_timeout_at(h, T0 + SEC(1799));
        assert_int_equal(h->n, 0);

        /* a stale probe answer is ignored */
        assert_int_equal(dhcp4_engine_probe_result(h->e, true, NULL, h->now), 0);
        h_drain(h);
        assert_int_equal(h->n, 0);
        assert_int_equal(dhcp4_engine_get_state(h->e), DHCP4_STATE_BOUND);
}

static void test_hostname_broadcast_flag(void **state) {
        Dhcp4EngineConfig c;
        Dhcp4Message m;

        default_config(&c);
        c.broadcast_flag = true;
        snprintf(c.hostname, sizeof(c.hostname), "node-7");
        h_setup_config(&H, &c);
        h_start(&H, NULL);
        h_sent(&H, DHCP4_DISCOVER, &m);
        assert_string_equal(m.hostname, "node-7");
        assert_int_equal(m.flags, DHCP4_FLAG_BROADCAST);
        assert_int_equal(h_rx_simple(&H, DHCP4_OFFER, "10.0.0.9"), 0);
        h_sent(&H, DHCP4_REQUEST, &m);
        assert_string_equal(m.hostname, "node-7");
        assert_int_equal(m.flags, DHCP4_FLAG_BROADCAST);
}

typedef struct TimesCase {
        uint32_t lifetime;
        bool has_t1, has_t2;
        uint32_t t1, t2;
        uint32_t want_t1, want_t2;
} TimesCase;

static void test_t1_t2(void **state) {
        static const TimesCase cases[] = {
                { 3600, false, false, 0, 0, 1800, 3150 },      /* RFC 2131 §4.4.5 defaults */
                { 3600, true, true, 1000, 2000, 1000, 2000 },  /* server values */
                { 3600, true, false, 1000, 0, 1000, 3150 },    /* only T1 */
                { 3600, false, true, 0, 2000, 1800, 2000 },    /* only T2 */
                { 3600, true, false, 3000, 0, 3000, 3150 },    /* T1 late but < default T2 */
                { 3600, true, false, 3200, 0, 1800, 3150 },    /* T1 past default T2 → defaults */
                { 3600, true, true, 2000, 1000, 1800, 3150 },  /* T1 > T2 → defaults */
                { 3600, true, true, 2000, 2000, 1800, 3150 },  /* T1 == T2 → defaults */
                { 3600, true, true, 0, 2000, 1800, 2000 },     /* T1 0 insane → default */
                { 3600, true, true, 1000, 4000, 1000, 3150 },  /* T2 past lifetime → default */
                { 3600, true, true, 1000, 3600, 1000, 3150 },  /* T2 == lifetime → default */
                { 3600, true, true, 5000, 6000, 1800, 3150 },  /* both past lifetime */
                { 3600, false, true, 0, 1000, 1800, 3150 },    /* T2 below default T1 → defaults */
                { 10, false, false, 0, 0, 5, 8 },              /* 8.75 rounds down */
                { 86400 * 7, false, false, 0, 0, 302400, 529200 },
                { UINT32_MAX, false, false, 0, 0, UINT32_MAX, UINT32_MAX }, /* infinite */
                { UINT32_MAX, true, true, 100, 200, UINT32_MAX, UINT32_MAX },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                const TimesCase *t = &cases[i];
                Harness *h = h_setup();
                Reply ack = reply(h, DHCP4_ACK, "10.0.0.50");
                const Dhcp4Lease *l;

                ack.lease_time = t->lifetime;
                ack.has_t1 = t->has_t1;
                ack.t1 = t->t1;
                ack.has_t2 = t->has_t2;
                ack.t2 = t->t2;
                h_bind_reply(h, &ack);
                l = dhcp4_engine_get_lease(h->e);
                assert_non_null(l);
                assert_int_equal(l->lifetime, t->lifetime);
                assert_int_equal(l->t1, t->want_t1);
                assert_int_equal(l->t2, t->want_t2);
                if (t->lifetime == UINT32_MAX)
                        assert_int_equal(dhcp4_engine_next_deadline(h->e), UINT64_MAX);
                else
                        assert_int_equal(dhcp4_engine_next_deadline(h->e), l->acquired_usec + SEC(t->want_t1));
                teardown(NULL);
        }
}

static void test_classful_prefix(void **state) {
        static const struct {
                const char *address;
                const char *mask;
                uint8_t want;
        } cases[] = {
                { "10.1.2.3", NULL, 8 },
                { "172.16.5.5", NULL, 16 },
                { "192.168.1.9", NULL, 24 },
                { "10.1.2.3", "255.255.255.192", 26 },
                { "10.1.2.3", "0.0.0.0", 8 }, /* /0 makes no interface sense: classful */
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                Harness *h = h_setup();
                Reply ack = reply(h, DHCP4_ACK, cases[i].address);

                ack.mask = cases[i].mask;
                h_bind_reply(h, &ack);
                assert_int_equal(dhcp4_engine_get_lease(h->e)->prefixlen, cases[i].want);
                teardown(NULL);
        }
}

static void test_selecting_backoff(void **state) {
        Harness *h = h_setup();
        Dhcp4Message m;
        uint64_t last = T0, base = SEC(1), intervals[20];
        uint32_t xid;
        size_t distinct = 0;

        h_start(h, NULL);
        xid = dhcp4_engine_get_xid(h->e);
        for (size_t k = 0; k < ELEMENTSOF(intervals); k++) {
                uint64_t d = dhcp4_engine_next_deadline(h->e);

                /* each interval is base·2^k ± jitter, base capped at 16 s */
                assert_true(d >= last + base - JITTER);
                assert_true(d <= last + base + JITTER);
                intervals[k] = d - last;

                /* calling early does nothing */
                h_timeout_at(h, d - 1);
                assert_int_equal(h->n, 0);

                h_timeout_at(h, d);
                NO_STATES(h);
                const Dhcp4Action *a = h_sent(h, DHCP4_DISCOVER, &m);
                assert_int_equal(a->type, DHCP4_ACTION_SEND_BROADCAST);
                assert_int_equal(a->xid, xid); /* retransmissions keep the xid */
                /* secs = seconds since the exchange began, at least 1 */
                uint64_t s = (d - T0) / USEC_PER_SEC;
                assert_int_equal(m.secs, s < 1 ? 1 : s);
                last = d;
                base = MIN(base * 2, SEC(16));
        }
        assert_int_equal(dhcp4_engine_get_state(h->e), DHCP4_STATE_SELECTING);
        /* jitter is real: the capped intervals are not all the same */
        for (size_t k = 5; k < ELEMENTSOF(intervals); k++)
                distinct += intervals[k] != intervals[4];
        assert_true(distinct > 0);
}

static void test_odd_caps(void **state) {
        static const uint64_t want_retransmit[] = { SEC(1), SEC(2), SEC(4), SEC(5), SEC(5), SEC(5) };
        static const uint64_t want_decline[] = { SEC(1), SEC(2), SEC(4), SEC(8), SEC(10), SEC(10) };
        Dhcp4EngineConfig c;
        char addr[32];

        /* caps that are not a power-of-two multiple of the start; no jitter: exact */
        default_config(&c);
        c.retransmit_jitter_usec = 0;
        c.retransmit_max_usec = SEC(5);
        c.decline_backoff_max_usec = SEC(10);
        h_setup_config(&H, &c);
        h_start(&H, NULL);
        for (size_t k = 0; k < ELEMENTSOF(want_retransmit); k++) {
                uint64_t before = H.now;

                assert_int_equal(h_fire(&H) - before, want_retransmit[k]);
                h_sent(&H, DHCP4_DISCOVER, NULL);
        }
        for (size_t k = 0; k < ELEMENTSOF(want_decline); k++) {
                snprintf(addr, sizeof(addr), "10.0.2.%zu", k + 1);
                assert_int_equal(h_rx_simple(&H, DHCP4_OFFER, addr), 0);
                assert_int_equal(h_rx_simple(&H, DHCP4_ACK, addr), 0);
                assert_int_equal(dhcp4_engine_probe_result(H.e, true, NULL, H.now), 0);
                h_drain(&H);
                assert_int_equal(dhcp4_engine_next_deadline(H.e) - H.now, want_decline[k]);
                h_fire(&H);
        }
}

static void test_determinism(void **state) {
        Dhcp4EngineConfig c;
        Dhcp4Engine *a, *b, *x;

        default_config(&c);
        assert_int_equal(dhcp4_engine_new(&a, &c), 0);
        assert_int_equal(dhcp4_engine_new(&b, &c), 0);
        c.seed = 43;
        assert_int_equal(dhcp4_engine_new(&x, &c), 0);
        assert_int_equal(dhcp4_engine_start(a, NULL, T0), 0);
        assert_int_equal(dhcp4_engine_start(b, NULL, T0), 0);
        assert_int_equal(dhcp4_engine_start(x, NULL, T0), 0);
        assert_int_equal(dhcp4_engine_get_xid(a), dhcp4_engine_get_xid(b));
        assert_int_not_equal(dhcp4_engine_get_xid(a), dhcp4_engine_get_xid(x));
        for (int i = 0; i < 5; i++) {
                uint64_t da = dhcp4_engine_next_deadline(a);
                assert_int_equal(da, dhcp4_engine_next_deadline(b));
                assert_int_equal(dhcp4_engine_timeout(a, da), 0);
                assert_int_equal(dhcp4_engine_timeout(b, da), 0);
        }
        dhcp4_engine_free(a);
        dhcp4_engine_free(b);
        dhcp4_engine_free(x);
}

static void test_requesting_timeout(void **state) {
        Harness *h = h_setup();
        Dhcp4Message m;
        uint32_t xid;
        uint64_t last, base = SEC(1);

        h_start(h, NULL);
        xid = dhcp4_engine_get_xid(h->e);
        h->now = T0 + SEC(3) / 2; /* DISCOVER at T0, one retransmit would have been at ~T0+1s */
        assert_int_equal(h_rx_simple(h, DHCP4_OFFER, "10.0.0.50"), 0);
        h_sent(h, DHCP4_REQUEST, &m);
        assert_int_equal(m.secs, 1); /* the DISCOVER's secs (RFC 2131 §4.4.1) */
        last = h->now;
        /* REQUESTs 2..4 */
        for (unsigned k = 1; k < 4; k++) {
                uint64_t d = h_fire(h);

                assert_true(d >= last + base - JITTER && d <= last + base + JITTER);
                NO_STATES(h);
                const Dhcp4Action *a = h_sent(h, DHCP4_REQUEST, &m);
                assert_int_equal(a->xid, xid);
                assert_int_equal(m.secs, 1);
                assert_addr(m.requested_address, "10.0.0.50");
                last = d;
                base *= 2;
        }
        /* after the 4th goes unanswered: REQUEST_TIMEOUT → INIT → DISCOVER with a new xid */
        uint64_t d = h_fire(h);
        assert_true(d >= last + base - JITTER && d <= last + base + JITTER);
        const Dhcp4Action *ev = h_get(h, DHCP4_ACTION_EVENT, 0);
        assert_non_null(ev);
        assert_int_equal(ev->event, DHCP4_EVENT_REQUEST_TIMEOUT);
        assert_addr(ev->address, "10.0.0.50");
        STATES(h, DHCP4_STATE_REQUESTING, DHCP4_STATE_INIT, DHCP4_STATE_SELECTING);
        const Dhcp4Action *a = h_sent(h, DHCP4_DISCOVER, &m);
        assert_int_not_equal(a->xid, xid);
        assert_int_equal(m.secs, 1); /* a new exchange */
}

static void test_requesting_other_server(void **state) {
        Harness *h = h_setup();
        Reply r;

        h_start(h, NULL);
        assert_int_equal(h_rx_simple(h, DHCP4_OFFER, "10.0.0.50"), 0);

        r = reply(h, DHCP4_ACK, "10.0.0.50");
        r.server_id = "10.0.0.2";
        assert_int_equal(h_rx(h, &r), DHCP4_RX_WRONG_SERVER);
        assert_int_equal(h->n, 0);
        r.server_id = NULL;
        assert_int_equal(h_rx(h, &r), DHCP4_RX_WRONG_SERVER);
        r = reply(h, DHCP4_NAK, NULL);
        r.server_id = "10.0.0.2";
        assert_int_equal(h_rx(h, &r), DHCP4_RX_WRONG_SERVER);
        assert_int_equal(h->n, 0);
        assert_int_equal(dhcp4_engine_get_state(h->e), DHCP4_STATE_REQUESTING);
        /* a second OFFER is not wanted any more */
        assert_int_equal(h_rx_simple(h, DHCP4_OFFER, "10.0.0.51"), DHCP4_RX_UNEXPECTED);

        assert_int_equal(h_rx_simple(h, DHCP4_ACK, "10.0.0.50"), 0);
        assert_int_equal(dhcp4_engine_get_state(h->e), DHCP4_STATE_PROBING);
}

/* RFC 2131 §4.4.5 arithmetic: half the remaining time, at least `min`, never past `limit`. */
static uint64_t expect_next(uint64_t now, uint64_t limit, uint64_t min) {
        uint64_t wait = MAX((limit - now) / 2, min);

        return MIN(now + wait, limit);
}

static void test_renewing_rebinding(void **state) {
        Harness *h = h_setup();
        Dhcp4Message m;
        const Dhcp4Action *a;
        uint64_t acq, t1, t2, exp, d;
        uint32_t xid_bound, xid_renew;
        unsigned n_renew = 0, n_rebind = 0;

        h_bind(h, "10.0.0.50");
        acq = dhcp4_engine_get_lease(h->e)->acquired_usec;
        t1 = acq + SEC(1800);
        t2 = acq + SEC(3150);
        exp = acq + SEC(3600);
        xid_bound = dhcp4_engine_get_xid(h->e);

        /* T1 → RENEWING: unicast to the server, ciaddr set, no 50/54, new xid */
        assert_int_equal(h_fire(h), t1);
        STATES(h, DHCP4_STATE_BOUND, DHCP4_STATE_RENEWING);
        a = h_sent(h, DHCP4_REQUEST, &m);
        assert_int_equal(a->type, DHCP4_ACTION_SEND_UNICAST);
        assert_addr(a->address, SERVER);
        assert_addr(m.ciaddr, "10.0.0.50");
        assert_false(m.has_requested_address);
        assert_false(m.has_server_id);
        assert_int_equal(m.flags, 0);
        assert_int_equal(m.secs, 1);
        xid_renew = a->xid;
        assert_int_not_equal(xid_renew, xid_bound);

        /* first retransmit after half of T2 - T1 = 675 s, then 337.5 s, ... */
        assert_int_equal(dhcp4_engine_next_deadline(h->e), t1 + SEC(675));
        while ((d = dhcp4_engine_next_deadline(h->e)) < t2) {
                assert_int_equal(d, expect_next(h->now, t2, SEC(10)));
                assert_true(d - h->now >= SEC(10) || d == t2);
                h_timeout_at(h, d);
                NO_STATES(h);
                a = h_sent(h, DHCP4_REQUEST, &m);
                assert_int_equal(a->type, DHCP4_ACTION_SEND_UNICAST);
                assert_int_equal(a->xid, xid_renew);
                assert_int_equal(m.secs, (d - t1) / USEC_PER_SEC);
                n_renew++;
        }
        assert_int_equal(d, t2); /* clamped at T2, never past it */
        assert_true(n_renew >= 7 && n_renew <= 10);

        /* T2 → REBINDING: broadcast, ciaddr set, no 50/54, new xid */
        h_timeout_at(h, d);
        STATES(h, DHCP4_STATE_RENEWING, DHCP4_STATE_REBINDING);
        a = h_sent(h, DHCP4_REQUEST, &m);
        assert_int_equal(a->type, DHCP4_ACTION_SEND_BROADCAST);
        assert_addr(m.ciaddr, "10.0.0.50");
        assert_false(m.has_requested_address);
        assert_false(m.has_server_id);
        assert_int_not_equal(a->xid, xid_renew);
        assert_int_equal(m.secs, (t2 - t1) / USEC_PER_SEC); /* still the renewal process */
        assert_int_equal(dhcp4_engine_next_deadline(h->e), t2 + SEC(225));

        for (int i = 0; i < 3; i++) {
                d = dhcp4_engine_next_deadline(h->e);
                assert_int_equal(d, expect_next(h->now, exp, SEC(10)));
                h_timeout_at(h, d);
                a = h_sent(h, DHCP4_REQUEST, &m);
                assert_int_equal(a->type, DHCP4_ACTION_SEND_BROADCAST);
                n_rebind++;
        }
        uint64_t first_rebind = t2;

        /* ACK from another server while rebinding: accepted, same address → BOUND, no probe */
        h->now += SEC(1);
        Reply ack = reply(h, DHCP4_ACK, "10.0.0.50");
        ack.server_id = "10.0.0.2";
        assert_int_equal(h_rx(h, &ack), 0);
        assert_int_equal(h_count(h, DHCP4_ACTION_PROBE), 0);
        assert_int_equal(h_count(h, DHCP4_ACTION_DECONFIGURE), 0);
        assert_int_equal(h->act[0].type, DHCP4_ACTION_CONFIGURE);
        assert_int_equal(h->act[1].type, DHCP4_ACTION_PERSIST);
        STATES(h, DHCP4_STATE_REBINDING, DHCP4_STATE_BOUND);
        const Dhcp4Lease *l = dhcp4_engine_get_lease(h->e);
        assert_addr(l->server_id, "10.0.0.2");
        assert_int_equal(l->acquired_usec, first_rebind); /* first REQUEST of this exchange */
        assert_int_equal(dhcp4_engine_next_deadline(h->e), first_rebind + SEC(1800));
}

static void test_renew_ack(void **state) {
        Harness *h = h_setup();
        uint64_t t1;

        h_bind(h, "10.0.0.50");
        t1 = h_fire(h);
        assert_int_equal(dhcp4_engine_get_state(h->e), DHCP4_STATE_RENEWING);
        h_fire(h); /* one retransmit */
        h->now += SEC(2);
        assert_int_equal(h_rx_simple(h, DHCP4_ACK, "10.0.0.50"), 0);
        assert_int_equal(h->n, 3);
        assert_int_equal(h->act[0].type, DHCP4_ACTION_CONFIGURE);
        assert_int_equal(h->act[0].lease.acquired_usec, t1); /* the first REQUEST, not the retransmit */
        assert_int_equal(h->act[1].type, DHCP4_ACTION_PERSIST);
        STATES(h, DHCP4_STATE_RENEWING, DHCP4_STATE_BOUND);
        assert_int_equal(dhcp4_engine_next_deadline(h->e), t1 + SEC(1800));
        /* a duplicate ACK is not wanted any more */
        assert_int_equal(h_rx_simple(h, DHCP4_ACK, "10.0.0.50"), DHCP4_RX_UNEXPECTED);
}

static void test_renew_new_address(void **state) {
        Harness *h = h_setup();
        const Dhcp4Action *a;

        h_bind(h, "10.0.0.50");
        h_fire(h);
        assert_int_equal(h_rx_simple(h, DHCP4_ACK, "10.0.0.60"), 0);
        STATES(h, DHCP4_STATE_RENEWING, DHCP4_STATE_PROBING);
        a = h_get(h, DHCP4_ACTION_PROBE, 0);
        assert_non_null(a);
        assert_addr(a->lease.address, "10.0.0.60");
        assert_int_equal(h_count(h, DHCP4_ACTION_CONFIGURE), 0);
        /* the old one is still ours while probing */
        assert_addr(dhcp4_engine_get_lease(h->e)->address, "10.0.0.50");

        assert_int_equal(dhcp4_engine_probe_result(h->e, false, NULL, h->now), 0);
        h_drain(h);
        /* make before break */
        assert_int_equal(h->act[0].type, DHCP4_ACTION_CONFIGURE);
        assert_addr(h->act[0].lease.address, "10.0.0.60");
        assert_int_equal(h->act[1].type, DHCP4_ACTION_DECONFIGURE);
        assert_addr(h->act[1].address, "10.0.0.50");
        assert_int_equal(h->act[1].prefixlen, 24);
        assert_int_equal(h->act[2].type, DHCP4_ACTION_PERSIST);
        STATES(h, DHCP4_STATE_PROBING, DHCP4_STATE_BOUND);
        assert_addr(dhcp4_engine_get_lease(h->e)->address, "10.0.0.60");
}

static void test_expiry(void **state) {
        Harness *h = h_setup();
        Dhcp4Message m;
        uint64_t exp;

        h_bind(h, "10.0.0.50");
        exp = dhcp4_engine_get_lease(h->e)->acquired_usec + SEC(3600);
        while (dhcp4_engine_next_deadline(h->e) < exp) {
                h_fire(h);
                assert_int_equal(h_count(h, DHCP4_ACTION_DECONFIGURE), 0);
        }
        assert_int_equal(dhcp4_engine_get_state(h->e), DHCP4_STATE_REBINDING);
        assert_int_equal(h_fire(h), exp);
        const Dhcp4Action *ev = h_get(h, DHCP4_ACTION_EVENT, 0);
        assert_non_null(ev);
        assert_int_equal(ev->event, DHCP4_EVENT_EXPIRED);
        assert_addr(ev->address, "10.0.0.50");
        const Dhcp4Action *dc = h_get(h, DHCP4_ACTION_DECONFIGURE, 0);
        assert_non_null(dc);
        assert_addr(dc->address, "10.0.0.50");
        assert_int_equal(dc->prefixlen, 24);
        assert_int_equal(h_count(h, DHCP4_ACTION_FORGET), 1);
        assert_true(h_pos(h, DHCP4_ACTION_DECONFIGURE) < h_pos(h, DHCP4_ACTION_FORGET));
        STATES(h, DHCP4_STATE_REBINDING, DHCP4_STATE_INIT, DHCP4_STATE_SELECTING);
        h_sent(h, DHCP4_DISCOVER, &m);
        assert_false(m.has_requested_address);
        assert_null(dhcp4_engine_get_lease(h->e));
}

static void test_nak_requesting(void **state) {
        Harness *h = h_setup();
        Reply r;
        uint32_t xid;

        h_start(h, NULL);
        assert_int_equal(h_rx_simple(h, DHCP4_OFFER, "10.0.0.50"), 0);
        xid = dhcp4_engine_get_xid(h->e);
        r = reply(h, DHCP4_NAK, NULL);
        r.message = "address taken";
        assert_int_equal(h_rx(h, &r), 0);
        const Dhcp4Action *ev = h_get(h, DHCP4_ACTION_EVENT, 0);
        assert_non_null(ev);
        assert_int_equal(ev->event, DHCP4_EVENT_NAK);
        assert_string_equal(ev->text, "address taken");
        assert_int_equal(h_count(h, DHCP4_ACTION_DECONFIGURE), 0); /* nothing held */
        STATES(h, DHCP4_STATE_REQUESTING, DHCP4_STATE_INIT, DHCP4_STATE_SELECTING);
        assert_int_not_equal(h_sent(h, DHCP4_DISCOVER, NULL)->xid, xid);
}

static void check_nak_drops_lease(Harness *h, Dhcp4State from) {
        Dhcp4Message m;

        assert_int_equal(dhcp4_engine_get_state(h->e), from);
        assert_int_equal(h_rx_simple(h, DHCP4_NAK, NULL), 0);
        assert_int_equal(h->act[0].type, DHCP4_ACTION_EVENT);
        assert_int_equal(h->act[0].event, DHCP4_EVENT_NAK);
        assert_int_equal(h->act[1].type, DHCP4_ACTION_DECONFIGURE);
        assert_int_equal(h->act[2].type, DHCP4_ACTION_FORGET);
        STATES(h, from, DHCP4_STATE_INIT, DHCP4_STATE_SELECTING);
        h_sent(h, DHCP4_DISCOVER, &m);
        assert_false(m.has_requested_address);
        assert_null(dhcp4_engine_get_lease(h->e));
}

static void test_nak_renewing(void **state) {
        Harness *h = h_setup();

        h_bind(h, "10.0.0.50");
        h_fire(h);
        check_nak_drops_lease(h, DHCP4_STATE_RENEWING);
}

/* Issue 12: RENEWING is unicast to the lease's server, so only its NAK counts; anyone
 * else who saw the xid cannot take the address away. */
static void test_nak_renewing_wrong_server(void **state) {
        Harness *h = h_setup();
        Reply r;

        h_bind(h, "10.0.0.50");
        h_fire(h);
        assert_int_equal(dhcp4_engine_get_state(h->e), DHCP4_STATE_RENEWING);
        r = reply(h, DHCP4_NAK, NULL);
        r.server_id = "10.0.0.66";
        r.message = "spoofed";
        assert_int_equal(h_rx(h, &r), DHCP4_RX_WRONG_SERVER);
        assert_int_equal(h->n, 0);
        r.server_id = NULL; /* no option 54 at all */
        assert_int_equal(h_rx(h, &r), DHCP4_RX_WRONG_SERVER);
        assert_int_equal(h->n, 0);
        assert_int_equal(dhcp4_engine_get_state(h->e), DHCP4_STATE_RENEWING);
        assert_non_null(dhcp4_engine_get_lease(h->e));
        /* the renewal still completes with our server's ACK */
        assert_int_equal(h_rx_simple(h, DHCP4_ACK, "10.0.0.50"), 0);
        STATES(h, DHCP4_STATE_RENEWING, DHCP4_STATE_BOUND);
        /* and our server's NAK still drops the lease */
        h_fire(h);
        check_nak_drops_lease(h, DHCP4_STATE_RENEWING);
}

static void test_nak_rebooting_other_server(void **state) {
        Harness *h = h_setup();
        Dhcp4Lease l = remembered_lease(h, "10.0.0.77", T0 - SEC(100), 3600);
        Reply r;

        h_start(h, &l);
        /* REBOOTING broadcasts: any server on the segment may NAK (RFC 2131 §4.4.2) */
        r = reply(h, DHCP4_NAK, NULL);
        r.server_id = "10.9.9.9";
        assert_int_equal(h_rx(h, &r), 0);
        assert_int_equal(h_count(h, DHCP4_ACTION_DECONFIGURE), 1);
        STATES(h, DHCP4_STATE_REBOOTING, DHCP4_STATE_INIT, DHCP4_STATE_SELECTING);
}

static void test_rx_to_string(void **state) {
        assert_null(dhcp4_engine_rx_to_string(0));
        assert_null(dhcp4_engine_rx_to_string(-EINVAL));
        assert_null(dhcp4_engine_rx_to_string(_DHCP4_RX_MAX));
        for (int r = 1; r < _DHCP4_RX_MAX; r++)
                assert_non_null(dhcp4_engine_rx_to_string(r));
        assert_string_equal(dhcp4_engine_rx_to_string(DHCP4_PARSE_XID_MISMATCH), "xid-mismatch");
        assert_string_equal(dhcp4_engine_rx_to_string(DHCP4_RX_UNEXPECTED), "unexpected");
        assert_string_equal(dhcp4_engine_rx_to_string(DHCP4_RX_WRONG_SERVER), "wrong-server");
}

/* The daemon could not configure the bound address (no CAP_NET_ADMIN): FORGET, no
 * DECLINE, DISCOVER after a back-off that doubles per failure in a row; a lease that
 * lasts until T1 resets it. */
static void test_configure_failed(void **state) {
        Harness *h = h_setup();
        uint64_t base = SEC(1);

        h_start(h, NULL);
        /* not bound: nothing */
        assert_int_equal(dhcp4_engine_configure_failed(h->e, h->now), 0);
        h_drain(h);
        assert_int_equal(h->n, 0);
        for (int k = 0; k < 6; k++) {
                uint64_t d;

                if (k > 0) {
                        h_timeout_at(h, dhcp4_engine_next_deadline(h->e));
                        h_sent(h, DHCP4_DISCOVER, NULL);
                }
                assert_int_equal(h_rx_simple(h, DHCP4_OFFER, "10.0.0.50"), 0);
                assert_int_equal(h_rx_simple(h, DHCP4_ACK, "10.0.0.50"), 0);
                assert_int_equal(dhcp4_engine_probe_result(h->e, false, NULL, h->now), 0);
                h_drain(h);
                assert_int_equal(dhcp4_engine_get_state(h->e), DHCP4_STATE_BOUND);
                assert_int_equal(dhcp4_engine_configure_failed(h->e, h->now), 0);
                h_drain(h);
                const Dhcp4Action *ev = h_get(h, DHCP4_ACTION_EVENT, 0);
                assert_non_null(ev);
                assert_int_equal(ev->event, DHCP4_EVENT_CONFIGURE_FAILED);
                assert_addr(ev->address, "10.0.0.50");
                assert_int_equal(h_count(h, DHCP4_ACTION_FORGET), 1);
                assert_int_equal(h_count(h, DHCP4_ACTION_DECONFIGURE), 0);
                assert_int_equal(h_sends(h), 0); /* no DECLINE, no DISCOVER yet */
                STATES(h, DHCP4_STATE_BOUND, DHCP4_STATE_INIT);
                assert_null(dhcp4_engine_get_lease(h->e));
                d = dhcp4_engine_next_deadline(h->e);
                assert_true(d >= h->now + base - JITTER && d <= h->now + base + JITTER);
                base = MIN(base * 2, SEC(16));
        }
        /* a bind that holds until T1 resets the back-off */
        h_timeout_at(h, dhcp4_engine_next_deadline(h->e));
        assert_int_equal(h_rx_simple(h, DHCP4_OFFER, "10.0.0.50"), 0);
        assert_int_equal(h_rx_simple(h, DHCP4_ACK, "10.0.0.50"), 0);
        assert_int_equal(dhcp4_engine_probe_result(h->e, false, NULL, h->now), 0);
        h_drain(h);
        h_fire(h); /* T1 */
        assert_int_equal(dhcp4_engine_get_state(h->e), DHCP4_STATE_RENEWING);
        assert_int_equal(h_rx_simple(h, DHCP4_ACK, "10.0.0.50"), 0);
        assert_int_equal(dhcp4_engine_configure_failed(h->e, h->now), 0);
        h_drain(h);
        uint64_t d = dhcp4_engine_next_deadline(h->e);
        assert_true(d >= h->now + SEC(1) - JITTER && d <= h->now + SEC(1) + JITTER);
}

/* FORCERENEW (RFC 3203) with the right xid while bound: named, never acted on. */
static void test_forcerenew_ignored(void **state) {
        Harness *h = h_setup();
        Reply r;

        h_bind(h, "10.0.0.50");
        r = reply(h, DHCP4_FORCERENEW, NULL);
        assert_int_equal(h_rx(h, &r), DHCP4_RX_FORCERENEW);
        assert_int_equal(h->n, 0);
        assert_int_equal(dhcp4_engine_get_state(h->e), DHCP4_STATE_BOUND);
}

static void test_nak_rebinding(void **state) {
        Harness *h = h_setup();

        h_bind(h, "10.0.0.50");
        assert_int_equal(dhcp4_engine_rebind(h->e, h->now), 0);
        h_drain(h);
        /* from any server while rebinding */
        Reply r = reply(h, DHCP4_NAK, NULL);
        r.server_id = "10.9.9.9";
        assert_int_equal(dhcp4_engine_get_state(h->e), DHCP4_STATE_REBINDING);
        assert_int_equal(h_rx(h, &r), 0);
        assert_int_equal(h_count(h, DHCP4_ACTION_DECONFIGURE), 1);
        STATES(h, DHCP4_STATE_REBINDING, DHCP4_STATE_INIT, DHCP4_STATE_SELECTING);
}

static void test_nak_rebooting(void **state) {
        Harness *h = h_setup();
        Dhcp4Lease l = remembered_lease(h, "10.0.0.77", T0 - SEC(100), 3600);

        h_start(h, &l);
        check_nak_drops_lease(h, DHCP4_STATE_REBOOTING);
}

static void test_nak_backoff(void **state) {
        Harness *h = h_setup();
        uint64_t base = SEC(1);

        h_start(h, NULL);
        assert_int_equal(h_rx_simple(h, DHCP4_OFFER, "10.0.0.50"), 0);
        /* first NAK: DISCOVER at once */
        assert_int_equal(h_rx_simple(h, DHCP4_NAK, NULL), 0);
        h_sent(h, DHCP4_DISCOVER, NULL);
        /* NAKs back to back: INIT waits the retransmit back-off before DISCOVER */
        for (int k = 0; k < 7; k++) {
                h->now += MSEC(3);
                assert_int_equal(h_rx_simple(h, DHCP4_OFFER, "10.0.0.50"), 0);
                assert_int_equal(h_rx_simple(h, DHCP4_NAK, NULL), 0);
                assert_int_equal(h_sends(h), 0);
                STATES(h, DHCP4_STATE_REQUESTING, DHCP4_STATE_INIT);
                uint64_t d = dhcp4_engine_next_deadline(h->e);
                assert_true(d >= h->now + base - JITTER && d <= h->now + base + JITTER);
                h_timeout_at(h, d);
                STATES(h, DHCP4_STATE_INIT, DHCP4_STATE_SELECTING);
                h_sent(h, DHCP4_DISCOVER, NULL);
                base = MIN(base * 2, SEC(16));
        }
        /* restart() resets it too */
        assert_int_equal(h_rx_simple(h, DHCP4_OFFER, "10.0.0.50"), 0);
        assert_int_equal(h_rx_simple(h, DHCP4_NAK, NULL), 0);
        assert_int_equal(h_sends(h), 0);
        assert_int_equal(dhcp4_engine_restart(h->e, NULL, 0, NULL, h->now), 0);
        h_drain(h);
        h_sent(h, DHCP4_DISCOVER, NULL);
        assert_int_equal(h_rx_simple(h, DHCP4_OFFER, "10.0.0.50"), 0);
        assert_int_equal(h_rx_simple(h, DHCP4_NAK, NULL), 0);
        h_sent(h, DHCP4_DISCOVER, NULL);
        /* a successful bind resets it */
        h_bind(h, "10.0.0.50");
        h_fire(h);
        assert_int_equal(h_rx_simple(h, DHCP4_NAK, NULL), 0);
        h_sent(h, DHCP4_DISCOVER, NULL);
}

static void test_init_reboot_ack(void **state) {
        Harness *h = h_setup();
        Dhcp4Lease l = remembered_lease(h, "10.0.0.77", T0 - SEC(100), 3600);
        Dhcp4Message m;
        const Dhcp4Action *a;

        h_start(h, &l);
        STATES(h, DHCP4_STATE_STOPPED, DHCP4_STATE_INIT_REBOOT, DHCP4_STATE_REBOOTING);
        a = h_sent(h, DHCP4_REQUEST, &m);
        assert_int_equal(a->type, DHCP4_ACTION_SEND_BROADCAST);
        assert_true(m.has_requested_address);
        assert_addr(m.requested_address, "10.0.0.77");
        assert_false(m.has_server_id); /* RFC 2131 §4.3.2: MUST NOT */
        assert_int_equal(m.ciaddr.s_addr, 0);
        assert_int_equal(m.secs, 1);
        assert_non_null(dhcp4_engine_get_lease(h->e)); /* remembered address counts as held */

        h->now += MSEC(2);
        Reply ack = reply(h, DHCP4_ACK, "10.0.0.77");
        ack.server_id = "10.0.0.3"; /* from any server */
        assert_int_equal(h_rx(h, &ack), 0);
        STATES(h, DHCP4_STATE_REBOOTING, DHCP4_STATE_PROBING);
        a = h_get(h, DHCP4_ACTION_PROBE, 0);
        assert_addr(a->lease.address, "10.0.0.77");
        assert_int_equal(a->lease.acquired_usec, T0);
        assert_int_equal(dhcp4_engine_probe_result(h->e, false, NULL, h->now), 0);
        h_drain(h);
        assert_int_equal(h_count(h, DHCP4_ACTION_CONFIGURE), 1);
        assert_int_equal(h_count(h, DHCP4_ACTION_DECONFIGURE), 0); /* same address */
        assert_int_equal(h_count(h, DHCP4_ACTION_PERSIST), 1);
        STATES(h, DHCP4_STATE_PROBING, DHCP4_STATE_BOUND);
        assert_addr(dhcp4_engine_get_lease(h->e)->address, "10.0.0.77");
        assert_addr(dhcp4_engine_get_lease(h->e)->server_id, "10.0.0.3");
}

static void test_init_reboot_silent(void **state) {
        Harness *h = h_setup();
        Dhcp4Lease l = remembered_lease(h, "10.0.0.77", T0 - SEC(100), 3600);
        Dhcp4Message m;
        uint32_t xid;
        uint64_t d;

        h_start(h, &l);
        xid = dhcp4_engine_get_xid(h->e);
        d = h_fire(h);
        assert_true(d >= T0 + SEC(1) - JITTER && d <= T0 + SEC(1) + JITTER);
        assert_int_equal(h_sent(h, DHCP4_REQUEST, NULL)->xid, xid);
        /* the next retransmit would be ~2 s later: clamped to the 2 s reboot timeout */
        assert_int_equal(dhcp4_engine_next_deadline(h->e), T0 + SEC(2));
        h_fire(h);
        const Dhcp4Action *ev = h_get(h, DHCP4_ACTION_EVENT, 0);
        assert_non_null(ev);
        assert_int_equal(ev->event, DHCP4_EVENT_REBOOT_TIMEOUT);
        STATES(h, DHCP4_STATE_REBOOTING, DHCP4_STATE_INIT, DHCP4_STATE_SELECTING);
        const Dhcp4Action *a = h_sent(h, DHCP4_DISCOVER, &m);
        assert_int_not_equal(a->xid, xid);
        /* the old address stays configured meanwhile (RFC 2131 §4.4.2) and is suggested */
        assert_int_equal(h_count(h, DHCP4_ACTION_DECONFIGURE), 0);
        assert_addr(dhcp4_engine_get_lease(h->e)->address, "10.0.0.77");
        assert_true(m.has_requested_address);
        assert_addr(m.requested_address, "10.0.0.77");

        /* a new, different lease replaces it: make before break */
        assert_int_equal(h_rx_simple(h, DHCP4_OFFER, "10.0.0.88"), 0);
        assert_int_equal(h_rx_simple(h, DHCP4_ACK, "10.0.0.88"), 0);
        assert_int_equal(dhcp4_engine_probe_result(h->e, false, NULL, h->now), 0);
        h_drain(h);
        assert_int_equal(h->act[0].type, DHCP4_ACTION_CONFIGURE);
        assert_int_equal(h->act[1].type, DHCP4_ACTION_DECONFIGURE);
        assert_addr(h->act[1].address, "10.0.0.77");
}

static void test_remembered_expires_while_selecting(void **state) {
        Harness *h = h_setup();
        /* 60 s lease acquired 55 s ago: 5 s left */
        Dhcp4Lease l = remembered_lease(h, "10.0.0.77", T0 - SEC(55), 60);

        h_start(h, &l);
        /* REBOOTING silent for 2 s → SELECTING, keeps retransmitting */
        while (dhcp4_engine_get_state(h->e) != DHCP4_STATE_SELECTING)
                h_fire(h);
        while (h->now < T0 + SEC(5)) {
                uint64_t d = dhcp4_engine_next_deadline(h->e);
                assert_true(d <= T0 + SEC(5));
                h_fire(h);
                if (d < T0 + SEC(5))
                        assert_int_equal(h_count(h, DHCP4_ACTION_DECONFIGURE), 0);
        }
        assert_int_equal(h->now, T0 + SEC(5));
        assert_int_equal(h_get(h, DHCP4_ACTION_EVENT, 0)->event, DHCP4_EVENT_EXPIRED);
        assert_int_equal(h_count(h, DHCP4_ACTION_DECONFIGURE), 1);
        assert_int_equal(h_count(h, DHCP4_ACTION_FORGET), 1);
        NO_STATES(h); /* still SELECTING */
        assert_int_equal(dhcp4_engine_get_state(h->e), DHCP4_STATE_SELECTING);
        assert_null(dhcp4_engine_get_lease(h->e));
}

static void test_remembered_unusable(void **state) {
        Harness *h = h_setup();
        Dhcp4Lease l = remembered_lease(h, "10.0.0.77", T0 - SEC(3600), 3600); /* expired */

        h_start(h, &l);
        assert_int_equal(h->act[0].type, DHCP4_ACTION_FORGET);
        STATES(h, DHCP4_STATE_STOPPED, DHCP4_STATE_INIT, DHCP4_STATE_SELECTING);
        assert_null(dhcp4_engine_get_lease(h->e));
        teardown(NULL);

        h = h_setup();
        l = remembered_lease(h, "10.0.0.77", T0 - SEC(10), 3600);
        l.client_id[6] ^= 1; /* another identity */
        h_start(h, &l);
        assert_int_equal(h_count(h, DHCP4_ACTION_FORGET), 1);
        assert_int_equal(dhcp4_engine_get_state(h->e), DHCP4_STATE_SELECTING);
        teardown(NULL);

        h = h_setup();
        l = remembered_lease(h, "0.0.0.0", T0 - SEC(10), 3600);
        h_start(h, &l);
        assert_int_equal(h_count(h, DHCP4_ACTION_FORGET), 1);
        teardown(NULL);

        h = h_setup();
        l = remembered_lease(h, "10.0.0.77", T0 + SEC(10), 3600); /* from the future */
        h_start(h, &l);
        assert_int_equal(h_count(h, DHCP4_ACTION_FORGET), 1);
        assert_int_equal(dhcp4_engine_get_state(h->e), DHCP4_STATE_SELECTING);
}

static void test_link(void **state) {
        Harness *h = h_setup();
        Dhcp4Message m;
        uint64_t exp;

        h_bind(h, "10.0.0.50");
        exp = dhcp4_engine_get_lease(h->e)->acquired_usec + SEC(3600);

        h->now += SEC(5);
        assert_int_equal(dhcp4_engine_link(h->e, false, h->now), 0);
        h_drain(h);
        STATES(h, DHCP4_STATE_BOUND, DHCP4_STATE_INIT_REBOOT);
        assert_int_equal(h_sends(h), 0);
        assert_int_equal(dhcp4_engine_next_deadline(h->e), exp); /* only the expiry */
        assert_int_equal(dhcp4_engine_link(h->e, false, h->now), 0);
        h_drain(h);
        assert_int_equal(h->n, 0);
        /* renew while the link is down: nothing to do */
        assert_int_equal(dhcp4_engine_renew(h->e, h->now), 0);
        h_drain(h);
        assert_int_equal(h->n, 0);

        h->now += SEC(5);
        assert_int_equal(dhcp4_engine_link(h->e, true, h->now), 0);
        h_drain(h);
        STATES(h, DHCP4_STATE_INIT_REBOOT, DHCP4_STATE_REBOOTING);
        h_sent(h, DHCP4_REQUEST, &m);
        assert_addr(m.requested_address, "10.0.0.50");
        assert_false(m.has_server_id);
        assert_int_equal(h_rx_simple(h, DHCP4_ACK, "10.0.0.50"), 0);
        assert_int_equal(dhcp4_engine_get_state(h->e), DHCP4_STATE_PROBING);

        /* link lost while probing: probe abandoned; the late answer is ignored */
        assert_int_equal(dhcp4_engine_link(h->e, false, h->now), 0);
        h_drain(h);
        STATES(h, DHCP4_STATE_PROBING, DHCP4_STATE_INIT_REBOOT);
        assert_int_equal(dhcp4_engine_probe_result(h->e, false, NULL, h->now), 0);
        h_drain(h);
        assert_int_equal(h->n, 0);

        /* link down across the expiry: address removed, waits in INIT */
        h_timeout_at(h, exp);
        assert_int_equal(h_get(h, DHCP4_ACTION_EVENT, 0)->event, DHCP4_EVENT_EXPIRED);
        assert_int_equal(h_count(h, DHCP4_ACTION_DECONFIGURE), 1);
        STATES(h, DHCP4_STATE_INIT_REBOOT, DHCP4_STATE_INIT);
        assert_int_equal(h_sends(h), 0);
        assert_int_equal(dhcp4_engine_next_deadline(h->e), UINT64_MAX);
        assert_int_equal(dhcp4_engine_link(h->e, true, h->now), 0);
        h_drain(h);
        STATES(h, DHCP4_STATE_INIT, DHCP4_STATE_SELECTING);
        h_sent(h, DHCP4_DISCOVER, NULL);
}

static void test_link_selecting_and_start(void **state) {
        Harness *h = h_setup();
        uint32_t xid;

        /* link down before start: start waits in INIT */
        assert_int_equal(dhcp4_engine_link(h->e, false, h->now), 0);
        h_drain(h);
        assert_int_equal(h->n, 0);
        h_start(h, NULL);
        STATES(h, DHCP4_STATE_STOPPED, DHCP4_STATE_INIT);
        assert_int_equal(h_sends(h), 0);
        assert_int_equal(dhcp4_engine_next_deadline(h->e), UINT64_MAX);
        assert_int_equal(dhcp4_engine_link(h->e, true, h->now), 0);
        h_drain(h);
        STATES(h, DHCP4_STATE_INIT, DHCP4_STATE_SELECTING);
        xid = h_sent(h, DHCP4_DISCOVER, NULL)->xid;

        /* link down in SELECTING cancels the retransmissions */
        assert_int_equal(dhcp4_engine_link(h->e, false, h->now), 0);
        h_drain(h);
        STATES(h, DHCP4_STATE_SELECTING, DHCP4_STATE_INIT);
        assert_int_equal(dhcp4_engine_next_deadline(h->e), UINT64_MAX);
        h_timeout_at(h, h->now + SEC(30));
        assert_int_equal(h->n, 0);
        assert_int_equal(dhcp4_engine_link(h->e, true, h->now), 0);
        h_drain(h);
        assert_int_not_equal(h_sent(h, DHCP4_DISCOVER, NULL)->xid, xid);
}

static void test_initial_delay(void **state) {
        Dhcp4EngineConfig c;

        default_config(&c);
        c.initial_delay_usec = SEC(5);
        h_setup_config(&H, &c);
        h_start(&H, NULL);
        STATES(&H, DHCP4_STATE_STOPPED, DHCP4_STATE_INIT);
        assert_int_equal(h_sends(&H), 0);
        uint64_t d = dhcp4_engine_next_deadline(H.e);
        assert_true(d >= T0 && d <= T0 + SEC(5));
        h_timeout_at(&H, d);
        STATES(&H, DHCP4_STATE_INIT, DHCP4_STATE_SELECTING);
        h_sent(&H, DHCP4_DISCOVER, NULL);
}

static void test_release(void **state) {
        Harness *h = h_setup();
        Dhcp4Message m;
        const Dhcp4Action *a;

        h_bind(h, "10.0.0.50");
        h->now += SEC(60);
        assert_int_equal(dhcp4_engine_release(h->e, h->now), 0);
        h_drain(h);
        a = h_sent(h, DHCP4_RELEASE, &m);
        assert_int_equal(a->type, DHCP4_ACTION_SEND_UNICAST);
        assert_addr(a->address, SERVER);
        assert_addr(m.ciaddr, "10.0.0.50");
        assert_true(m.has_server_id);
        assert_addr(m.server_id, SERVER);
        assert_false(m.has_requested_address);
        assert_int_equal(m.n_params, 0);
        assert_int_equal(m.max_message_size, 0);
        assert_int_equal(h->act[0].type, a->type); /* RELEASE goes out before the address goes */
        assert_int_equal(h->act[1].type, DHCP4_ACTION_DECONFIGURE);
        assert_int_equal(h->act[2].type, DHCP4_ACTION_FORGET);
        STATES(h, DHCP4_STATE_BOUND, DHCP4_STATE_RELEASED);
        assert_null(dhcp4_engine_get_lease(h->e));
        assert_int_equal(dhcp4_engine_next_deadline(h->e), UINT64_MAX);

        assert_int_equal(dhcp4_engine_release(h->e, h->now), 0);
        h_drain(h);
        assert_int_equal(h->n, 0);
        assert_int_equal(h_rx_simple(h, DHCP4_ACK, "10.0.0.50"), DHCP4_RX_UNEXPECTED);

        /* renew from RELEASED: a fresh DISCOVER */
        assert_int_equal(dhcp4_engine_renew(h->e, h->now), 0);
        h_drain(h);
        STATES(h, DHCP4_STATE_RELEASED, DHCP4_STATE_INIT, DHCP4_STATE_SELECTING);
        h_sent(h, DHCP4_DISCOVER, NULL);

        /* release while SELECTING: nothing to send, just stop */
        assert_int_equal(dhcp4_engine_release(h->e, h->now), 0);
        h_drain(h);
        assert_int_equal(h->n, 1);
        STATES(h, DHCP4_STATE_SELECTING, DHCP4_STATE_RELEASED);
        assert_int_equal(dhcp4_engine_next_deadline(h->e), UINT64_MAX);

        /* rebind from RELEASED: DISCOVER too */
        assert_int_equal(dhcp4_engine_rebind(h->e, h->now), 0);
        h_drain(h);
        h_sent(h, DHCP4_DISCOVER, NULL);
}

static void test_renew_rebind_commands(void **state) {
        Harness *h = h_setup();
        const Dhcp4Action *a;
        uint32_t xid;

        h_bind(h, "10.0.0.50");
        h->now += SEC(10);
        assert_int_equal(dhcp4_engine_renew(h->e, h->now), 0);
        h_drain(h);
        STATES(h, DHCP4_STATE_BOUND, DHCP4_STATE_RENEWING);
        a = h_sent(h, DHCP4_REQUEST, NULL);
        assert_int_equal(a->type, DHCP4_ACTION_SEND_UNICAST);
        xid = a->xid;
        /* renew again: retransmit now, same exchange */
        assert_int_equal(dhcp4_engine_renew(h->e, h->now + SEC(1)), 0);
        h_drain(h);
        NO_STATES(h);
        assert_int_equal(h_sent(h, DHCP4_REQUEST, NULL)->xid, xid);

        assert_int_equal(dhcp4_engine_rebind(h->e, h->now), 0);
        h_drain(h);
        STATES(h, DHCP4_STATE_RENEWING, DHCP4_STATE_REBINDING);
        a = h_sent(h, DHCP4_REQUEST, NULL);
        assert_int_equal(a->type, DHCP4_ACTION_SEND_BROADCAST);
        assert_int_not_equal(a->xid, xid);
        assert_int_equal(dhcp4_engine_rebind(h->e, h->now), 0);
        h_drain(h);
        NO_STATES(h);
        assert_int_equal(h_sent(h, DHCP4_REQUEST, NULL)->type, DHCP4_ACTION_SEND_BROADCAST);

        /* the ACK to the rebind binds again */
        assert_int_equal(h_rx_simple(h, DHCP4_ACK, "10.0.0.50"), 0);
        assert_int_equal(dhcp4_engine_get_state(h->e), DHCP4_STATE_BOUND);

        /* renew/rebind while acquiring: nothing */
        assert_int_equal(dhcp4_engine_restart(h->e, NULL, 0, NULL, h->now), 0);
        h_drain(h);
        assert_int_equal(dhcp4_engine_renew(h->e, h->now), 0);
        assert_int_equal(dhcp4_engine_rebind(h->e, h->now), 0);
        h_drain(h);
        assert_int_equal(h->n, 0);
}

/* Multipod "into a pool": only offers inside the required subnet are taken. */
static void test_restart_required(void **state) {
        Harness *h = h_setup();
        Dhcp4Subnet require = { A("10.0.0.0"), 16 }, bad = { A("10.0.0.0"), 33 };
        Dhcp4Message m;
        Reply ack;

        ack = reply(h, DHCP4_ACK, "10.1.0.5");
        ack.mask = "255.255.0.0";
        h_bind_reply(h, &ack);

        assert_int_equal(dhcp4_engine_restart(h->e, NULL, 0, &bad, h->now), -EINVAL);
        h_drain(h);
        assert_int_equal(dhcp4_engine_get_state(h->e), DHCP4_STATE_BOUND);

        assert_int_equal(dhcp4_engine_restart(h->e, NULL, 0, &require, h->now), 0);
        h_drain(h);
        h_sent(h, DHCP4_DISCOVER, &m);
        assert_false(m.has_requested_address); /* 10.1.0.5 is outside the required pool */
        assert_int_equal(h_rx_simple(h, DHCP4_OFFER, "10.1.0.9"), DHCP4_RX_REFUSED);
        assert_int_equal(h->act[0].type, DHCP4_ACTION_EVENT);
        assert_int_equal(h->act[0].event, DHCP4_EVENT_OFFER_REFUSED);
        assert_non_null(strstr(h->act[0].text, "outside the required subnet 10.0.0.0/16"));
        assert_int_equal(dhcp4_engine_get_state(h->e), DHCP4_STATE_SELECTING);
        assert_int_equal(h_rx_simple(h, DHCP4_OFFER, "10.0.3.4"), 0);
        h_sent(h, DHCP4_REQUEST, &m);
        assert_addr(m.requested_address, "10.0.3.4");

        /* the next restart without a requirement takes anything again */
        assert_int_equal(dhcp4_engine_restart(h->e, NULL, 0, NULL, h->now), 0);
        h_drain(h);
        assert_int_equal(h_rx_simple(h, DHCP4_OFFER, "10.1.0.9"), 0);
}

static void test_restart_refused(void **state) {
        Harness *h = h_setup();
        Dhcp4Subnet refuse[] = { { A("10.1.0.0"), 16 }, { A("192.168.7.0"), 24 } };
        Dhcp4Subnet many[DHCP4_ENGINE_REFUSE_MAX + 1] = {};
        Dhcp4Message m;
        Reply ack;

        ack = reply(h, DHCP4_ACK, "10.1.0.5");
        ack.mask = "255.255.0.0";
        h_bind_reply(h, &ack);

        assert_int_equal(dhcp4_engine_restart(h->e, many, ELEMENTSOF(many), NULL, h->now), -E2BIG);
        refuse[1].prefixlen = 33;
        assert_int_equal(dhcp4_engine_restart(h->e, refuse, 2, NULL, h->now), -EINVAL);
        refuse[1].prefixlen = 24;
        assert_int_equal(dhcp4_engine_restart(h->e, NULL, 1, NULL, h->now), -EINVAL);
        h_drain(h);
        assert_int_equal(h->n, 0);
        assert_int_equal(dhcp4_engine_get_state(h->e), DHCP4_STATE_BOUND);

        h->now += SEC(30);
        assert_int_equal(dhcp4_engine_restart(h->e, refuse, 2, NULL, h->now), 0);
        h_drain(h);
        STATES(h, DHCP4_STATE_BOUND, DHCP4_STATE_INIT, DHCP4_STATE_SELECTING);
        h_sent(h, DHCP4_DISCOVER, &m);
        assert_false(m.has_requested_address); /* the old address is in a refused subnet */
        assert_int_equal(h_count(h, DHCP4_ACTION_DECONFIGURE), 0);
        assert_addr(dhcp4_engine_get_lease(h->e)->address, "10.1.0.5"); /* kept until replaced */
        /* ... but never renewed nor rebooted: a link flap leads to DISCOVER */
        assert_int_equal(dhcp4_engine_link(h->e, false, h->now), 0);
        h_drain(h);
        STATES(h, DHCP4_STATE_SELECTING, DHCP4_STATE_INIT);
        assert_int_equal(dhcp4_engine_link(h->e, true, h->now), 0);
        h_drain(h);
        STATES(h, DHCP4_STATE_INIT, DHCP4_STATE_SELECTING);
        h_sent(h, DHCP4_DISCOVER, NULL);

        assert_int_equal(h_rx_simple(h, DHCP4_OFFER, "10.1.0.9"), DHCP4_RX_REFUSED);
        assert_int_equal(h->n, 1);
        assert_int_equal(h->act[0].type, DHCP4_ACTION_EVENT);
        assert_int_equal(h->act[0].event, DHCP4_EVENT_OFFER_REFUSED);
        assert_addr(h->act[0].address, "10.1.0.9");
        assert_non_null(strstr(h->act[0].text, "10.1.0.0/16"));
        assert_int_equal(dhcp4_engine_get_state(h->e), DHCP4_STATE_SELECTING);
        assert_int_equal(h_rx_simple(h, DHCP4_OFFER, "192.168.7.1"), DHCP4_RX_REFUSED);

        h->now += MSEC(20);
        assert_int_equal(h_rx_simple(h, DHCP4_OFFER, "10.2.0.7"), 0);
        h_sent(h, DHCP4_REQUEST, &m);
        assert_addr(m.requested_address, "10.2.0.7");
        assert_int_equal(h_rx_simple(h, DHCP4_ACK, "10.2.0.7"), 0);
        assert_int_equal(dhcp4_engine_probe_result(h->e, false, NULL, h->now), 0);
        h_drain(h);
        assert_int_equal(h->act[0].type, DHCP4_ACTION_CONFIGURE);
        assert_addr(h->act[0].lease.address, "10.2.0.7");
        assert_int_equal(h->act[1].type, DHCP4_ACTION_DECONFIGURE);
        assert_addr(h->act[1].address, "10.1.0.5");
        assert_int_equal(h->act[1].prefixlen, 16);
        assert_int_equal(h->act[2].type, DHCP4_ACTION_PERSIST);
        STATES(h, DHCP4_STATE_PROBING, DHCP4_STATE_BOUND);

        /* the refuse list lasts until the next restart */
        assert_int_equal(dhcp4_engine_restart(h->e, NULL, 0, NULL, h->now), 0);
        h_drain(h);
        assert_int_equal(h_rx_simple(h, DHCP4_OFFER, "10.1.0.9"), 0);
        assert_int_equal(dhcp4_engine_get_state(h->e), DHCP4_STATE_REQUESTING);
}

/* SELECTING → offer → ACK → PROBING on `address` */
static void h_to_probing(Harness *h, const char *address) {
        assert_int_equal(dhcp4_engine_get_state(h->e), DHCP4_STATE_SELECTING);
        assert_int_equal(h_rx_simple(h, DHCP4_OFFER, address), 0);
        assert_int_equal(h_rx_simple(h, DHCP4_ACK, address), 0);
        assert_int_equal(dhcp4_engine_get_state(h->e), DHCP4_STATE_PROBING);
}

static void test_decline(void **state) {
        Harness *h = h_setup();
        static const uint8_t squatter[6] = { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee };
        struct in_addr declined[4];
        Dhcp4Message m;
        const Dhcp4Action *a;
        uint32_t xid;

        h_start(h, NULL);
        h_to_probing(h, "10.0.0.50");
        xid = dhcp4_engine_get_xid(h->e);
        h->now += MSEC(150);
        assert_int_equal(dhcp4_engine_probe_result(h->e, true, squatter, h->now), 0);
        h_drain(h);
        a = h_get(h, DHCP4_ACTION_EVENT, 0);
        assert_int_equal(a->event, DHCP4_EVENT_CONFLICT);
        assert_addr(a->address, "10.0.0.50");
        assert_true(a->has_mac);
        assert_memory_equal(a->mac, squatter, 6);
        assert_non_null(strstr(a->text, "02:aa:bb:cc:dd:ee"));
        a = h_sent(h, DHCP4_DECLINE, &m);
        assert_int_equal(a->type, DHCP4_ACTION_SEND_BROADCAST);
        assert_int_not_equal(a->xid, xid);
        assert_int_equal(m.ciaddr.s_addr, 0);
        assert_true(m.has_requested_address);
        assert_addr(m.requested_address, "10.0.0.50");
        assert_true(m.has_server_id);
        assert_addr(m.server_id, SERVER);
        assert_int_equal(m.n_params, 0);        /* Table 5: MUST NOT */
        assert_int_equal(m.max_message_size, 0); /* Table 5: MUST NOT */
        assert_false(m.has_lease_time);
        assert_int_equal(h_count(h, DHCP4_ACTION_CONFIGURE), 0);
        assert_int_equal(h_count(h, DHCP4_ACTION_DECONFIGURE), 0); /* it never was configured */
        STATES(h, DHCP4_STATE_PROBING, DHCP4_STATE_DECLINED);
        assert_int_equal(dhcp4_engine_get_conflicts(h->e), 1);
        assert_int_equal(dhcp4_engine_get_decline_backoff(h->e), SEC(1));
        assert_int_equal(dhcp4_engine_get_declined(h->e, declined, ELEMENTSOF(declined), h->now), 1);
        assert_addr(declined[0], "10.0.0.50");
        assert_int_equal(dhcp4_engine_next_deadline(h->e), h->now + SEC(1));

        /* nothing before the back-off ends; offers are not wanted meanwhile */
        h_timeout_at(h, h->now + SEC(1) - 1);
        assert_int_equal(h->n, 0);
        h_fire(h);
        STATES(h, DHCP4_STATE_DECLINED, DHCP4_STATE_INIT, DHCP4_STATE_SELECTING);
        h_sent(h, DHCP4_DISCOVER, &m);
        assert_false(m.has_requested_address);

        /* the server offers it again: refused, no new probe, no new DECLINE */
        assert_int_equal(h_rx_simple(h, DHCP4_OFFER, "10.0.0.50"), DHCP4_RX_REFUSED);
        assert_int_equal(h->n, 1);
        assert_int_equal(h->act[0].event, DHCP4_EVENT_OFFER_REFUSED);
        assert_non_null(strstr(h->act[0].text, "quarantine"));
        /* another address is fine */
        h_to_probing(h, "10.0.0.51");
        assert_int_equal(dhcp4_engine_probe_result(h->e, false, NULL, h->now), 0);
        h_drain(h);
        assert_int_equal(dhcp4_engine_get_state(h->e), DHCP4_STATE_BOUND);
        assert_int_equal(dhcp4_engine_get_conflicts(h->e), 0);
        assert_int_equal(dhcp4_engine_get_decline_backoff(h->e), 0);
        /* still quarantined after the bind */
        assert_int_equal(dhcp4_engine_get_declined(h->e, declined, ELEMENTSOF(declined), h->now), 1);
}

static void test_decline_backoff(void **state) {
        Harness *h = h_setup();
        uint64_t want = SEC(1);
        char addr[32];

        h_start(h, NULL);
        for (int k = 0; k < 10; k++) {
                snprintf(addr, sizeof(addr), "10.0.0.%d", 50 + k);
                h_to_probing(h, addr);
                assert_int_equal(dhcp4_engine_probe_result(h->e, true, NULL, h->now), 0);
                h_drain(h);
                assert_false(h_get(h, DHCP4_ACTION_EVENT, 0)->has_mac);
                h_sent(h, DHCP4_DECLINE, NULL);
                /* 1, 2, 4, ... 64 s, then capped */
                assert_int_equal(dhcp4_engine_get_conflicts(h->e), k + 1);
                assert_int_equal(dhcp4_engine_get_decline_backoff(h->e), want);
                assert_int_equal(dhcp4_engine_next_deadline(h->e), h->now + want);
                h_fire(h);
                assert_int_equal(dhcp4_engine_get_state(h->e), DHCP4_STATE_SELECTING);
                want = MIN(want * 2, SEC(64));
        }
        assert_int_equal(want, SEC(64));
        struct in_addr q[DHCP4_ENGINE_QUARANTINE_MAX];
        assert_int_equal(dhcp4_engine_get_declined(h->e, q, ELEMENTSOF(q), h->now), 10);
        /* only 2 fit in a small buffer */
        assert_int_equal(dhcp4_engine_get_declined(h->e, q, 2, h->now), 2);

        /* success resets the back-off */
        h_to_probing(h, "10.0.0.100");
        assert_int_equal(dhcp4_engine_probe_result(h->e, false, NULL, h->now), 0);
        h_drain(h);
        assert_int_equal(dhcp4_engine_restart(h->e, NULL, 0, NULL, h->now), 0);
        h_drain(h);
        h_to_probing(h, "10.0.0.101");
        assert_int_equal(dhcp4_engine_probe_result(h->e, true, NULL, h->now), 0);
        h_drain(h);
        assert_int_equal(dhcp4_engine_get_decline_backoff(h->e), SEC(1));
        assert_int_equal(dhcp4_engine_next_deadline(h->e), h->now + SEC(1));
}

static void test_quarantine_expiry(void **state) {
        Harness *h = h_setup();
        struct in_addr q[4];
        uint64_t declined_at;

        h_start(h, NULL);
        h_to_probing(h, "10.0.0.50");
        declined_at = h->now;
        assert_int_equal(dhcp4_engine_probe_result(h->e, true, NULL, h->now), 0);
        h_drain(h);
        h_fire(h);
        assert_int_equal(dhcp4_engine_get_declined(h->e, q, 4, declined_at + SEC(600) - 1), 1);
        assert_int_equal(dhcp4_engine_get_declined(h->e, q, 4, declined_at + SEC(600)), 0);
        /* server silent for 10 minutes, then offers it again: accepted now */
        while (h->now < declined_at + SEC(600))
                h_fire(h);
        assert_int_equal(h_rx_simple(h, DHCP4_OFFER, "10.0.0.50"), 0);
        assert_int_equal(dhcp4_engine_get_state(h->e), DHCP4_STATE_REQUESTING);
}

static void test_quarantine_off(void **state) {
        Dhcp4EngineConfig c;
        struct in_addr q[2];

        default_config(&c);
        c.decline_quarantine_usec = 0;
        h_setup_config(&H, &c);
        h_start(&H, NULL);
        h_to_probing(&H, "10.0.0.50");
        assert_int_equal(dhcp4_engine_probe_result(H.e, true, NULL, H.now), 0);
        h_drain(&H);
        h_sent(&H, DHCP4_DECLINE, NULL);
        assert_int_equal(dhcp4_engine_get_declined(H.e, q, 2, H.now), 0);
        h_fire(&H);
        assert_int_equal(h_rx_simple(&H, DHCP4_OFFER, "10.0.0.50"), 0);
}

static void test_quarantine_overflow(void **state) {
        Dhcp4EngineConfig c;
        struct in_addr q[DHCP4_ENGINE_QUARANTINE_MAX + 4];
        char addr[32];

        default_config(&c);
        c.decline_backoff_max_usec = SEC(1);
        h_setup_config(&H, &c);
        h_start(&H, NULL);
        for (int k = 0; k < DHCP4_ENGINE_QUARANTINE_MAX + 3; k++) {
                snprintf(addr, sizeof(addr), "10.0.1.%d", k + 1);
                h_to_probing(&H, addr);
                assert_int_equal(dhcp4_engine_probe_result(H.e, true, NULL, H.now), 0);
                h_drain(&H);
                h_fire(&H);
        }
        /* full: the oldest made room; the newest are quarantined */
        assert_int_equal(dhcp4_engine_get_declined(H.e, q, ELEMENTSOF(q), H.now), DHCP4_ENGINE_QUARANTINE_MAX);
        assert_int_equal(h_rx_simple(&H, DHCP4_OFFER, "10.0.1.1"), 0);
        assert_int_equal(dhcp4_engine_get_state(H.e), DHCP4_STATE_REQUESTING);
        assert_int_equal(dhcp4_engine_restart(H.e, NULL, 0, NULL, H.now), 0);
        h_drain(&H);
        snprintf(addr, sizeof(addr), "10.0.1.%d", DHCP4_ENGINE_QUARANTINE_MAX + 3);
        assert_int_equal(h_rx_simple(&H, DHCP4_OFFER, addr), DHCP4_RX_REFUSED);
}

static void test_decline_remembered(void **state) {
        Harness *h = h_setup();
        Dhcp4Lease l = remembered_lease(h, "10.0.0.77", T0 - SEC(100), 3600);

        h_start(h, &l);
        assert_int_equal(h_rx_simple(h, DHCP4_ACK, "10.0.0.77"), 0);
        assert_int_equal(dhcp4_engine_probe_result(h->e, true, NULL, h->now), 0);
        h_drain(h);
        h_sent(h, DHCP4_DECLINE, NULL);
        /* the remembered address itself is in use elsewhere: it goes */
        assert_int_equal(h_count(h, DHCP4_ACTION_DECONFIGURE), 1);
        assert_int_equal(h_count(h, DHCP4_ACTION_FORGET), 1);
        assert_null(dhcp4_engine_get_lease(h->e));
        assert_int_equal(dhcp4_engine_get_state(h->e), DHCP4_STATE_DECLINED);
        /* link flap during the back-off does not shorten it */
        uint64_t d = dhcp4_engine_next_deadline(h->e);
        assert_int_equal(dhcp4_engine_link(h->e, false, h->now), 0);
        assert_int_equal(dhcp4_engine_link(h->e, true, h->now), 0);
        h_drain(h);
        assert_int_equal(h->n, 0);
        assert_int_equal(dhcp4_engine_next_deadline(h->e), d);
}

/* Found by fuzz-dhcp4-engine: a server identifier that names no server (0.0.0.0,
 * broadcast) would be renewed by unicast and could not be persisted. */
static void test_unusable_server_id(void **state) {
        Harness *h = h_setup();
        Dhcp4Lease l = remembered_lease(h, "10.0.0.77", T0 - SEC(100), 3600);
        Dhcp4Message m;

        /* a remembered lease with server 0.0.0.0 is not confirmed */
        l.server_id.s_addr = 0;
        h_start(h, &l);
        h_sent(h, DHCP4_DISCOVER, &m);
        assert_false(m.has_requested_address);
        h->e = dhcp4_engine_free(h->e);

        h = h_setup();
        h_start(h, NULL);
        h_drain(h);
        /* an OFFER whose option 54 is 0.0.0.0 or 255.255.255.255 is a bad lease */
        Reply offer = reply(h, DHCP4_OFFER, "10.0.0.9");
        offer.server_id = "0.0.0.0";
        assert_int_equal(h_rx(h, &offer), DHCP4_RX_BAD_LEASE);
        offer.server_id = "255.255.255.255";
        assert_int_equal(h_rx(h, &offer), DHCP4_RX_BAD_LEASE);
        assert_int_equal(dhcp4_engine_get_state(h->e), DHCP4_STATE_SELECTING);
}

/* A policy persisted across a daemon restart (set before start): a remembered lease
 * inside the refused pool is not confirmed, offers from it are refused. */
static void test_offer_policy_before_start(void **state) {
        Harness *h = h_setup();
        Dhcp4Lease l = remembered_lease(h, "10.1.0.77", T0 - SEC(100), 3600);
        Dhcp4Subnet refuse = { A("10.1.0.0"), 16 }, bad = { A("10.1.0.0"), 40 };
        Dhcp4Message m;

        assert_int_equal(dhcp4_engine_set_offer_policy(h->e, &bad, 1, NULL), -EINVAL);
        assert_int_equal(dhcp4_engine_set_offer_policy(h->e, NULL, 1, NULL), -EINVAL);
        assert_int_equal(dhcp4_engine_set_offer_policy(h->e, &refuse, 1, NULL), 0);
        h_start(h, &l);
        /* no INIT-REBOOT for 10.1.0.77: a DISCOVER without option 50 */
        h_sent(h, DHCP4_DISCOVER, &m);
        assert_false(m.has_requested_address);
        assert_int_equal(h_rx_simple(h, DHCP4_OFFER, "10.1.0.9"), DHCP4_RX_REFUSED);
        assert_int_equal(h_rx_simple(h, DHCP4_OFFER, "10.0.0.9"), 0);
        h_sent(h, DHCP4_REQUEST, &m);
        assert_addr(m.requested_address, "10.0.0.9");

        /* a policy-free start confirms the same remembered lease */
        h->e = dhcp4_engine_free(h->e);
        h = h_setup();
        l = remembered_lease(h, "10.1.0.77", T0 - SEC(100), 3600);
        h_start(h, &l);
        h_sent(h, DHCP4_REQUEST, &m);
        assert_addr(m.requested_address, "10.1.0.77");
}

static void test_address_lost(void **state) {
        Harness *h = h_setup();
        struct in_addr q[2];
        Dhcp4Message m;

        /* without a lease: nothing */
        assert_int_equal(dhcp4_engine_address_lost(h->e, h->now), 0);
        h_drain(h);
        assert_int_equal(h->n, 0);

        h_bind(h, "10.0.0.50");
        h->now += SEC(100);
        assert_int_equal(dhcp4_engine_address_lost(h->e, h->now), 0);
        h_drain(h);
        assert_int_equal(h->act[0].type, DHCP4_ACTION_EVENT);
        assert_int_equal(h->act[0].event, DHCP4_EVENT_ADDRESS_LOST);
        assert_addr(h->act[0].address, "10.0.0.50");
        /* RFC 5227 §2.4 → §2.1.1: the server is told with a DECLINE (broadcast, ciaddr 0,
         * options 50 + 54), else a server keyed on the client re-offers the lost address. */
        assert_int_equal(h->act[1].type, DHCP4_ACTION_SEND_BROADCAST);
        h_sent(h, DHCP4_DECLINE, &m);
        assert_addr(m.requested_address, "10.0.0.50");
        assert_true(m.has_server_id);
        assert_int_equal(m.ciaddr.s_addr, 0);
        assert_int_equal(h->act[2].type, DHCP4_ACTION_DECONFIGURE);
        assert_int_equal(h->act[3].type, DHCP4_ACTION_FORGET);
        STATES(h, DHCP4_STATE_BOUND, DHCP4_STATE_DECLINED);
        assert_int_equal(dhcp4_engine_get_declined(h->e, q, 2, h->now), 1);
        assert_int_equal(dhcp4_engine_next_deadline(h->e), h->now + SEC(1));
        h_fire(h);
        h_sent(h, DHCP4_DISCOVER, &m);
        assert_false(m.has_requested_address);
        assert_int_equal(h_rx_simple(h, DHCP4_OFFER, "10.0.0.50"), DHCP4_RX_REFUSED);

        /* renew overrides the DECLINED wait (operator command) */
        h_to_probing(h, "10.0.0.52");
        assert_int_equal(dhcp4_engine_probe_result(h->e, true, NULL, h->now), 0);
        h_drain(h);
        assert_int_equal(dhcp4_engine_get_decline_backoff(h->e), SEC(2));
        assert_int_equal(dhcp4_engine_renew(h->e, h->now), 0);
        h_drain(h);
        STATES(h, DHCP4_STATE_DECLINED, DHCP4_STATE_INIT, DHCP4_STATE_SELECTING);
}

static void test_reject_foreign(void **state) {
        Harness *h = h_setup();
        static const uint8_t other_mac[6] = { 0x02, 0, 0, 0, 0, 0x99 };
        uint8_t other_cid[7] = { 1, 0x02, 0, 0, 0, 0, 0x99 };
        uint8_t our_cid[7] = { 1 };
        uint8_t buf[DHCP4_MAX_MESSAGE_LEN];
        Reply r;

        memcpy(our_cid + 1, mac_default, 6);
        h_start(h, NULL);

        r = reply(h, DHCP4_OFFER, "10.0.0.50");
        r.xid ^= 1;
        assert_int_equal(h_rx(h, &r), DHCP4_PARSE_XID_MISMATCH);
        r = reply(h, DHCP4_OFFER, "10.0.0.50");
        r.chaddr = other_mac;
        assert_int_equal(h_rx(h, &r), DHCP4_PARSE_CHADDR_MISMATCH);
        r = reply(h, DHCP4_OFFER, "10.0.0.50");
        r.client_id = other_cid;
        r.client_id_len = sizeof(other_cid);
        assert_int_equal(h_rx(h, &r), DHCP4_PARSE_CLIENT_ID_MISMATCH);
        assert_int_equal(h->n, 0);

        /* malformed input: the parser's verdict comes back, nothing changes */
        assert_int_equal(dhcp4_engine_receive(h->e, buf, 10, h->now), DHCP4_PARSE_TOO_SHORT);
        assert_int_equal(dhcp4_engine_receive(h->e, NULL, 0, h->now), DHCP4_PARSE_TOO_SHORT);
        assert_int_equal(dhcp4_engine_receive(h->e, NULL, 5, h->now), -EINVAL);
        r = reply(h, DHCP4_OFFER, "10.0.0.50");
        size_t len = reply_build(h, &r, buf, sizeof(buf));
        buf[236] ^= 0xff; /* magic cookie */
        assert_int_equal(dhcp4_engine_receive(h->e, buf, len, h->now), DHCP4_PARSE_BAD_COOKIE);

        /* our own DISCOVER looped back is not a reply */
        assert_int_equal(dhcp4_engine_timeout(h->e, dhcp4_engine_next_deadline(h->e)), 0);
        Dhcp4Action a;
        Dhcp4Action disc = {};
        while (dhcp4_engine_pop_action(h->e, &a) == 1)
                if (a.type == DHCP4_ACTION_SEND_BROADCAST)
                        disc = a;
        assert_int_equal(disc.message_type, DHCP4_DISCOVER);
        assert_int_equal(dhcp4_engine_receive(h->e, disc.packet, disc.len, h->now), DHCP4_PARSE_NOT_REPLY);
        h_drain(h);
        assert_int_equal(h->n, 0);
        assert_int_equal(dhcp4_engine_get_state(h->e), DHCP4_STATE_SELECTING);

        /* echoed client id equal to ours is fine (RFC 6842) */
        r = reply(h, DHCP4_OFFER, "10.0.0.50");
        r.client_id = our_cid;
        r.client_id_len = sizeof(our_cid);
        assert_int_equal(h_rx(h, &r), 0);
        assert_int_equal(dhcp4_engine_get_state(h->e), DHCP4_STATE_REQUESTING);
}

static void test_unexpected(void **state) {
        Harness *h = h_setup();

        h_start(h, NULL);
        assert_int_equal(h_rx_simple(h, DHCP4_ACK, "10.0.0.50"), DHCP4_RX_UNEXPECTED);
        assert_int_equal(h_rx_simple(h, DHCP4_NAK, NULL), DHCP4_RX_UNEXPECTED);
        assert_int_equal(h->n, 0);
        h_bind(h, "10.0.0.50");
        assert_int_equal(h_rx_simple(h, DHCP4_OFFER, "10.0.0.50"), DHCP4_RX_UNEXPECTED);
        assert_int_equal(h_rx_simple(h, DHCP4_ACK, "10.0.0.50"), DHCP4_RX_UNEXPECTED);
        assert_int_equal(h_rx_simple(h, DHCP4_NAK, NULL), DHCP4_RX_UNEXPECTED);
        assert_int_equal(h->n, 0);
        assert_int_equal(dhcp4_engine_get_state(h->e), DHCP4_STATE_BOUND);
}

static void test_bad_lease(void **state) {
        static const char *const bad_addrs[] = { "0.0.0.0", "0.1.2.3", "127.0.0.1", "224.0.0.5", "240.0.0.1",
                                                 "255.255.255.255" };
        Harness *h = h_setup();
        Reply r;

        h_start(h, NULL);
        /* OFFERs */
        for (size_t i = 0; i < ELEMENTSOF(bad_addrs); i++) {
                assert_int_equal(h_rx_simple(h, DHCP4_OFFER, bad_addrs[i]), DHCP4_RX_BAD_LEASE);
                assert_int_equal(h->n, 1);
                assert_int_equal(h->act[0].event, DHCP4_EVENT_BAD_LEASE);
        }
        r = reply(h, DHCP4_OFFER, "10.0.0.50");
        r.server_id = NULL;
        assert_int_equal(h_rx(h, &r), DHCP4_RX_BAD_LEASE);
        assert_int_equal(dhcp4_engine_get_state(h->e), DHCP4_STATE_SELECTING);

        /* ACKs */
        assert_int_equal(h_rx_simple(h, DHCP4_OFFER, "10.0.0.50"), 0);
        r = reply(h, DHCP4_ACK, "10.0.0.50");
        r.no_lease_time = true;
        assert_int_equal(h_rx(h, &r), DHCP4_RX_BAD_LEASE);
        assert_int_equal(h->n, 1);
        assert_int_equal(h->act[0].type, DHCP4_ACTION_EVENT);
        assert_int_equal(h->act[0].event, DHCP4_EVENT_BAD_LEASE);
        assert_non_null(strstr(h->act[0].text, "51"));
        r.no_lease_time = false;
        r.lease_time = 0;
        assert_int_equal(h_rx(h, &r), DHCP4_RX_BAD_LEASE);
        for (size_t i = 0; i < ELEMENTSOF(bad_addrs); i++) {
                r = reply(h, DHCP4_ACK, bad_addrs[i]);
                assert_int_equal(h_rx(h, &r), DHCP4_RX_BAD_LEASE);
        }
        /* still waiting, retransmissions continue */
        assert_int_equal(dhcp4_engine_get_state(h->e), DHCP4_STATE_REQUESTING);
        assert_true(dhcp4_engine_next_deadline(h->e) != UINT64_MAX);
        assert_int_equal(h_rx_simple(h, DHCP4_ACK, "10.0.0.50"), 0);
        assert_int_equal(dhcp4_engine_get_state(h->e), DHCP4_STATE_PROBING);
}

static void test_stop(void **state) {
        Harness *h = h_setup();
        Dhcp4Action a;

        h_bind(h, "10.0.0.50");
        /* leave actions in the queue: stop clears them */
        assert_int_equal(dhcp4_engine_renew(h->e, h->now), 0);
        assert_int_equal(dhcp4_engine_stop(h->e), 0);
        assert_int_equal(dhcp4_engine_pop_action(h->e, &a), 0);
        assert_int_equal(dhcp4_engine_get_state(h->e), DHCP4_STATE_STOPPED);
        assert_int_equal(dhcp4_engine_next_deadline(h->e), UINT64_MAX);
        assert_non_null(dhcp4_engine_get_lease(h->e)); /* the address stays */

        assert_int_equal(dhcp4_engine_timeout(h->e, h->now + SEC(100000)), 0); /* past expiry too */
        assert_int_equal(dhcp4_engine_pop_action(h->e, &a), 0);
        assert_int_equal(h_rx_simple(h, DHCP4_ACK, "10.0.0.50"), DHCP4_RX_UNEXPECTED);
        assert_int_equal(h->n, 0);
        assert_int_equal(dhcp4_engine_renew(h->e, h->now), -ESTALE);
        assert_int_equal(dhcp4_engine_rebind(h->e, h->now), -ESTALE);
        assert_int_equal(dhcp4_engine_release(h->e, h->now), -ESTALE);
        assert_int_equal(dhcp4_engine_restart(h->e, NULL, 0, NULL, h->now), -ESTALE);
        assert_int_equal(dhcp4_engine_probe_result(h->e, false, NULL, h->now), 0);
        assert_int_equal(dhcp4_engine_address_lost(h->e, h->now), 0);
        assert_int_equal(dhcp4_engine_link(h->e, false, h->now), 0);
        assert_int_equal(dhcp4_engine_link(h->e, true, h->now), 0);
        static const uint8_t mac2[6] = { 0x02, 1, 2, 3, 4, 5 };
        assert_int_equal(dhcp4_engine_set_mac(h->e, mac2, h->now), 0);
        assert_int_equal(dhcp4_engine_pop_action(h->e, &a), 0); /* none of the above queued anything */
        assert_int_equal(dhcp4_engine_next_deadline(h->e), UINT64_MAX);
        assert_int_equal(dhcp4_engine_stop(h->e), 0);
        assert_int_equal(dhcp4_engine_pop_action(h->e, &a), 0);

        /* and it can start again */
        memcpy(h->mac, mac2, 6);
        h_start(h, NULL);
        STATES(h, DHCP4_STATE_STOPPED, DHCP4_STATE_INIT, DHCP4_STATE_SELECTING);
        h_sent(h, DHCP4_DISCOVER, NULL);
}

static void test_set_mac(void **state) {
        Harness *h = h_setup();
        static const uint8_t mac2[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
        static const uint8_t zero[6] = {};
        const uint8_t *cid;
        size_t len;
        Reply r;

        h_bind(h, "10.0.0.50");
        assert_int_equal(dhcp4_engine_set_mac(h->e, zero, h->now), -EINVAL);
        assert_int_equal(dhcp4_engine_set_mac(h->e, mac_default, h->now), 0); /* same: nothing */
        h_drain(h);
        assert_int_equal(h->n, 0);

        memcpy(h->mac, mac2, 6); /* the harness checks chaddr and option 61 against this */
        assert_int_equal(dhcp4_engine_set_mac(h->e, mac2, h->now), 0);
        h_drain(h);
        assert_int_equal(h->act[0].type, DHCP4_ACTION_FORGET);
        STATES(h, DHCP4_STATE_BOUND, DHCP4_STATE_INIT, DHCP4_STATE_SELECTING);
        h_sent(h, DHCP4_DISCOVER, NULL);
        cid = dhcp4_engine_get_client_id(h->e, &len);
        assert_int_equal(len, 7);
        assert_int_equal(cid[0], 1);
        assert_memory_equal(cid + 1, mac2, 6);
        assert_addr(dhcp4_engine_get_lease(h->e)->address, "10.0.0.50"); /* kept until replaced */

        /* the old lease is not rebooted under the new identity after a link flap */
        assert_int_equal(dhcp4_engine_link(h->e, false, h->now), 0);
        assert_int_equal(dhcp4_engine_link(h->e, true, h->now), 0);
        h_drain(h);
        STATES(h, DHCP4_STATE_SELECTING, DHCP4_STATE_INIT, DHCP4_STATE_SELECTING);
        h_sent(h, DHCP4_DISCOVER, NULL);

        /* a reply to the old identity is not ours */
        r = reply(h, DHCP4_OFFER, "10.0.0.60");
        r.chaddr = mac_default;
        assert_int_equal(h_rx(h, &r), DHCP4_PARSE_CHADDR_MISMATCH);

        h_to_probing(h, "10.0.0.60");
        assert_int_equal(dhcp4_engine_get_lease(h->e)->client_id[6], mac_default[5]);
        assert_int_equal(dhcp4_engine_probe_result(h->e, false, NULL, h->now), 0);
        h_drain(h);
        assert_int_equal(h->act[0].type, DHCP4_ACTION_CONFIGURE);
        assert_memory_equal(h->act[0].lease.client_id + 1, mac2, 6);
        assert_int_equal(h->act[1].type, DHCP4_ACTION_DECONFIGURE);
        assert_addr(h->act[1].address, "10.0.0.50");
}

static void test_set_mac_declined(void **state) {
        Harness *h = h_setup();
        static const uint8_t mac2[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
        uint64_t d;

        /* a new identity does not cut a DECLINED back-off short */
        h_start(h, NULL);
        h_to_probing(h, "10.0.0.50");
        assert_int_equal(dhcp4_engine_probe_result(h->e, true, NULL, h->now), 0);
        h_drain(h);
        d = dhcp4_engine_next_deadline(h->e);
        memcpy(h->mac, mac2, 6);
        assert_int_equal(dhcp4_engine_set_mac(h->e, mac2, h->now), 0);
        h_drain(h);
        assert_int_equal(h->n, 0);
        assert_int_equal(dhcp4_engine_get_state(h->e), DHCP4_STATE_DECLINED);
        assert_int_equal(dhcp4_engine_next_deadline(h->e), d);
        h_fire(h);
        h_sent(h, DHCP4_DISCOVER, NULL); /* checked against mac2 by the harness */
}

static void test_release_link_down(void **state) {
        Harness *h = h_setup();

        /* no carrier: RELEASE cannot reach the server; the address still goes */
        h_bind(h, "10.0.0.50");
        assert_int_equal(dhcp4_engine_link(h->e, false, h->now), 0);
        h_drain(h);
        assert_int_equal(dhcp4_engine_release(h->e, h->now), 0);
        h_drain(h);
        assert_int_equal(h_sends(h), 0);
        assert_int_equal(h->act[0].type, DHCP4_ACTION_DECONFIGURE);
        assert_int_equal(h->act[1].type, DHCP4_ACTION_FORGET);
        STATES(h, DHCP4_STATE_INIT_REBOOT, DHCP4_STATE_RELEASED);
        /* carrier back: still released */
        assert_int_equal(dhcp4_engine_link(h->e, true, h->now), 0);
        h_drain(h);
        assert_int_equal(h->n, 0);
        assert_int_equal(dhcp4_engine_get_state(h->e), DHCP4_STATE_RELEASED);
}

static void test_infinite_lease(void **state) {
        Harness *h = h_setup();
        Reply ack = reply(h, DHCP4_ACK, "10.0.0.50");

        ack.lease_time = UINT32_MAX;
        h_bind_reply(h, &ack);
        assert_int_equal(dhcp4_engine_next_deadline(h->e), UINT64_MAX);
        h_timeout_at(h, h->now + SEC(86400 * 365));
        assert_int_equal(h->n, 0);

        /* renew on command: retransmits every renew_retransmit_min, gives up after 4 */
        assert_int_equal(dhcp4_engine_renew(h->e, h->now), 0);
        h_drain(h);
        for (int k = 1; k < 4; k++) {
                uint64_t before = h->now;
                assert_int_equal(h_fire(h), before + SEC(10));
                h_sent(h, DHCP4_REQUEST, NULL);
        }
        h_fire(h);
        assert_int_equal(h_get(h, DHCP4_ACTION_EVENT, 0)->event, DHCP4_EVENT_REQUEST_TIMEOUT);
        assert_int_equal(h_count(h, DHCP4_ACTION_DECONFIGURE), 0);
        STATES(h, DHCP4_STATE_RENEWING, DHCP4_STATE_BOUND);
        assert_int_equal(dhcp4_engine_next_deadline(h->e), UINT64_MAX);
}

static void test_late_timeout(void **state) {
        Harness *h = h_setup();
        uint64_t acq;

        h_bind(h, "10.0.0.50");
        acq = dhcp4_engine_get_lease(h->e)->acquired_usec;
        /* woken after T2 (suspend): straight to REBINDING, no RENEWING REQUEST */
        h_timeout_at(h, acq + SEC(3200));
        STATES(h, DHCP4_STATE_BOUND, DHCP4_STATE_REBINDING);
        assert_int_equal(h_sent(h, DHCP4_REQUEST, NULL)->type, DHCP4_ACTION_SEND_BROADCAST);
        /* woken after expiry: EXPIRED first */
        h_timeout_at(h, acq + SEC(7200));
        assert_int_equal(h_get(h, DHCP4_ACTION_EVENT, 0)->event, DHCP4_EVENT_EXPIRED);
        STATES(h, DHCP4_STATE_REBINDING, DHCP4_STATE_INIT, DHCP4_STATE_SELECTING);
        h_sent(h, DHCP4_DISCOVER, NULL);
}

static void test_queue_overflow(void **state) {
        Harness *h = h_setup();
        Dhcp4Action a;
        size_t queued = 0;
        int r = 0;

        h_start(h, NULL);
        /* a caller that never pops: inputs refuse with -ENOBUFS before changing anything */
        for (int i = 0; i < 100 && r >= 0; i++) {
                r = dhcp4_engine_link(h->e, i % 2 == 0 ? false : true, h->now);
                h->now += MSEC(1);
        }
        assert_int_equal(r, -ENOBUFS);
        Dhcp4State s = dhcp4_engine_get_state(h->e);
        assert_int_equal(dhcp4_engine_renew(h->e, h->now), -ENOBUFS);
        assert_int_equal(dhcp4_engine_timeout(h->e, h->now + SEC(100)), -ENOBUFS);
        /* a reply that would be accepted needs room too; a foreign one is still rejected */
        Reply r2 = reply(h, DHCP4_OFFER, "10.0.0.50");
        uint8_t buf[DHCP4_MAX_MESSAGE_LEN];
        size_t len = reply_build(h, &r2, buf, sizeof(buf));
        assert_int_equal(dhcp4_engine_receive(h->e, buf, len, h->now), -ENOBUFS);
        r2.xid ^= 1;
        len = reply_build(h, &r2, buf, sizeof(buf));
        assert_int_equal(dhcp4_engine_receive(h->e, buf, len, h->now), DHCP4_PARSE_XID_MISMATCH);
        assert_int_equal(dhcp4_engine_get_state(h->e), s);
        while (dhcp4_engine_pop_action(h->e, &a) == 1)
                queued++;
        assert_true(queued <= DHCP4_ENGINE_QUEUE_SIZE);
        assert_true(queued > DHCP4_ENGINE_QUEUE_SIZE - DHCP4_ENGINE_INPUT_ACTIONS_MAX);
        /* drained: works again */
        assert_int_equal(dhcp4_engine_link(h->e, true, h->now), 0);
        h_drain(h);
        assert_int_equal(dhcp4_engine_restart(h->e, NULL, 0, NULL, h->now), 0);
        h_drain(h);
        assert_true(h->n > 0);
        assert_int_equal(dhcp4_engine_pop_action(h->e, NULL), -EINVAL);
}


/* ---- confirm(): attachment in doubt (RFC 4436 → RFC 2131 §3.2) ------------------------ */

/* Bound on 10.1.0.77/16 (pod-2 of the multipod fabric), then confirm(): the REQUEST is
 * the INIT-REBOOT form and nothing is deconfigured. */
static void h_bound_confirming(Harness *h) {
        Dhcp4Message m;
        Reply ack = reply(h, DHCP4_ACK, "10.1.0.77");

        ack.mask = "255.255.0.0";
        h_bind_reply(h, &ack);
        h->now += SEC(100);
        assert_int_equal(dhcp4_engine_confirm(h->e, h->now), 0);
        h_drain(h);
        STATES(h, DHCP4_STATE_BOUND, DHCP4_STATE_CONFIRMING);
        assert_int_equal(h_sent(h, DHCP4_REQUEST, &m)->type, DHCP4_ACTION_SEND_BROADCAST);
        assert_true(m.has_requested_address);
        assert_addr(m.requested_address, "10.1.0.77");
        assert_false(m.has_server_id);
        assert_int_equal(m.ciaddr.s_addr, 0);
        assert_int_equal(h_count(h, DHCP4_ACTION_DECONFIGURE), 0);
        assert_int_equal(h_count(h, DHCP4_ACTION_FORGET), 0);
        assert_addr(dhcp4_engine_get_lease(h->e)->address, "10.1.0.77");
        assert_string_equal(dhcp4_state_to_string(DHCP4_STATE_CONFIRMING), "CONFIRMING");
}

static void test_confirm_ack(void **state) {
        Harness *h = h_setup();
        uint64_t sent;
        Reply ack;

        h_bound_confirming(h);
        sent = h->now;
        /* Already confirming: a second confirm() does nothing. */
        assert_int_equal(dhcp4_engine_confirm(h->e, h->now), DHCP4_CONFIRM_NOT_BOUND);
        h_drain(h);
        assert_int_equal(h->n, 0);
        /* One retransmission, then the ACK (from any server, as in INIT-REBOOT). */
        h_fire(h);
        h_sent(h, DHCP4_REQUEST, NULL);
        h->now += MSEC(3);
        ack = reply(h, DHCP4_ACK, "10.1.0.77");
        ack.mask = "255.255.0.0";
        ack.server_id = "10.1.0.2";
        assert_int_equal(h_rx(h, &ack), 0);
        /* Refreshed, not probed: CONFIRMED, CONFIGURE with lifetimes from the first
         * REQUEST, PERSIST, BOUND. */
        assert_int_equal(h_count(h, DHCP4_ACTION_PROBE), 0);
        assert_int_equal(h_count(h, DHCP4_ACTION_DECONFIGURE), 0);
        assert_int_equal(h_get(h, DHCP4_ACTION_EVENT, 0)->event, DHCP4_EVENT_CONFIRMED);
        assert_addr(h_get(h, DHCP4_ACTION_CONFIGURE, 0)->lease.address, "10.1.0.77");
        assert_int_equal(h_get(h, DHCP4_ACTION_CONFIGURE, 0)->lease.acquired_usec, sent);
        assert_int_equal(h_count(h, DHCP4_ACTION_PERSIST), 1);
        STATES(h, DHCP4_STATE_CONFIRMING, DHCP4_STATE_BOUND);
        assert_int_equal(dhcp4_engine_next_deadline(h->e), sent + SEC(1800));
        assert_int_equal(h_rx_simple(h, DHCP4_ACK, "10.1.0.77"), DHCP4_RX_UNEXPECTED);

        /* From RENEWING too. */
        h_fire(h);
        assert_int_equal(dhcp4_engine_get_state(h->e), DHCP4_STATE_RENEWING);
        assert_int_equal(dhcp4_engine_confirm(h->e, h->now), 0);
        h_drain(h);
        STATES(h, DHCP4_STATE_RENEWING, DHCP4_STATE_CONFIRMING);
}

/* The migration: the new network's server NAKs; DISCOVER at once, the old subnet
 * refused, the new address probed and added before the old one goes. */
static void test_confirm_nak_moves(void **state) {
        Harness *h = h_setup();
        Dhcp4Message m;
        Reply r;
        uint64_t nak_at;

        h_bound_confirming(h);
        h->now += MSEC(2);
        r = reply(h, DHCP4_NAK, NULL);
        r.server_id = "10.0.0.1";
        r.message = "wrong network";
        nak_at = h->now;
        assert_int_equal(h_rx(h, &r), 0);
        assert_int_equal(h_get(h, DHCP4_ACTION_EVENT, 0)->event, DHCP4_EVENT_NAK);
        assert_int_equal(h_get(h, DHCP4_ACTION_EVENT, 1)->event, DHCP4_EVENT_MOVED);
        assert_non_null(strstr(h_get(h, DHCP4_ACTION_EVENT, 1)->text, "10.1.0.0/16 refused for 30 s"));
        /* Make before break: nothing removed, nothing forgotten yet. */
        assert_int_equal(h_count(h, DHCP4_ACTION_DECONFIGURE), 0);
        assert_int_equal(h_count(h, DHCP4_ACTION_FORGET), 0);
        STATES(h, DHCP4_STATE_CONFIRMING, DHCP4_STATE_INIT, DHCP4_STATE_SELECTING);
        h_sent(h, DHCP4_DISCOVER, &m);
        assert_false(m.has_requested_address); /* the old address is in the refused subnet */
        assert_addr(dhcp4_engine_get_lease(h->e)->address, "10.1.0.77");

        /* The old pod's server, still reachable, cannot pull us back. */
        assert_int_equal(h_rx_simple(h, DHCP4_OFFER, "10.1.0.80"), DHCP4_RX_REFUSED);
        assert_non_null(strstr(h->act[0].text, "confirmation was NAKed"));
        h->now += MSEC(5);
        r = reply(h, DHCP4_OFFER, "10.0.0.102");
        r.mask = "255.255.0.0";
        assert_int_equal(h_rx(h, &r), 0);
        h_sent(h, DHCP4_REQUEST, NULL);
        r = reply(h, DHCP4_ACK, "10.0.0.102");
        r.mask = "255.255.0.0";
        assert_int_equal(h_rx(h, &r), 0);
        STATES(h, DHCP4_STATE_REQUESTING, DHCP4_STATE_PROBING);
        assert_int_equal(h_count(h, DHCP4_ACTION_PROBE), 1);
        assert_int_equal(dhcp4_engine_probe_result(h->e, false, NULL, h->now), 0);
        h_drain(h);
        assert_int_equal(h->act[0].type, DHCP4_ACTION_CONFIGURE);
        assert_addr(h->act[0].lease.address, "10.0.0.102");
        assert_int_equal(h->act[1].type, DHCP4_ACTION_DECONFIGURE);
        assert_addr(h->act[1].address, "10.1.0.77");
        assert_int_equal(h->act[1].prefixlen, 16);
        STATES(h, DHCP4_STATE_PROBING, DHCP4_STATE_BOUND);

        /* The refusal is bounded: 30 s after the NAK the old subnet is acceptable again. */
        h->now = nak_at + SEC(29);
        assert_int_equal(dhcp4_engine_restart(h->e, NULL, 0, NULL, h->now), 0);
        h_drain(h);
        assert_int_equal(h_rx_simple(h, DHCP4_OFFER, "10.1.0.80"), DHCP4_RX_REFUSED);
        h->now = nak_at + SEC(30);
        assert_int_equal(h_rx_simple(h, DHCP4_OFFER, "10.1.0.80"), 0);
        assert_int_equal(dhcp4_engine_get_state(h->e), DHCP4_STATE_REQUESTING);
}

static void test_confirm_nak_no_refusal(void **state) {
        Harness *h;
        Dhcp4EngineConfig c;

        default_config(&c);
        c.confirm_refuse_usec = 0;
        h_setup_config(&H, &c);
        h = &H;
        h_bound_confirming(h);
        assert_int_equal(h_rx_simple(h, DHCP4_NAK, NULL), 0);
        assert_non_null(strstr(h_get(h, DHCP4_ACTION_EVENT, 1)->text, "refused for 0 s"));
        assert_int_equal(h_rx_simple(h, DHCP4_OFFER, "10.1.0.80"), 0);
        assert_int_equal(dhcp4_engine_get_state(h->e), DHCP4_STATE_REQUESTING);
}

/* A server that never NAKs (non-authoritative): silence for reboot_timeout → DISCOVER,
 * suggesting the address, which stays until replaced — and here the same network
 * hands it back. */
static void test_confirm_silent(void **state) {
        Harness *h = h_setup();
        Dhcp4Message m;
        uint64_t start;
        Reply r;

        h_bound_confirming(h);
        start = h->now;
        h_fire(h);
        assert_true(h->now >= start + SEC(1) - JITTER && h->now <= start + SEC(1) + JITTER);
        h_sent(h, DHCP4_REQUEST, NULL);
        assert_int_equal(h_fire(h), start + SEC(2));
        assert_int_equal(h_get(h, DHCP4_ACTION_EVENT, 0)->event, DHCP4_EVENT_CONFIRM_TIMEOUT);
        assert_int_equal(h_count(h, DHCP4_ACTION_DECONFIGURE), 0);
        STATES(h, DHCP4_STATE_CONFIRMING, DHCP4_STATE_INIT, DHCP4_STATE_SELECTING);
        h_sent(h, DHCP4_DISCOVER, &m);
        assert_true(m.has_requested_address);
        assert_addr(m.requested_address, "10.1.0.77");
        /* Nothing refused without a NAK; the same address comes back through PROBING,
         * and nothing is removed. */
        h->now += MSEC(3);
        r = reply(h, DHCP4_OFFER, "10.1.0.77");
        r.mask = "255.255.0.0";
        assert_int_equal(h_rx(h, &r), 0);
        r = reply(h, DHCP4_ACK, "10.1.0.77");
        r.mask = "255.255.0.0";
        assert_int_equal(h_rx(h, &r), 0);
        assert_int_equal(dhcp4_engine_probe_result(h->e, false, NULL, h->now), 0);
        h_drain(h);
        assert_int_equal(h_count(h, DHCP4_ACTION_DECONFIGURE), 0);
        assert_addr(h_get(h, DHCP4_ACTION_CONFIGURE, 0)->lease.address, "10.1.0.77");
        STATES(h, DHCP4_STATE_PROBING, DHCP4_STATE_BOUND);
}

/* Silence and nobody answers the DISCOVER either: the address stays until it expires,
 * never dropped earlier. */
static void test_confirm_silent_until_expiry(void **state) {
        Harness *h = h_setup();
        uint64_t exp;

        h_bound_confirming(h);
        exp = dhcp4_engine_get_lease(h->e)->acquired_usec + SEC(3600);
        while (dhcp4_engine_next_deadline(h->e) < exp) {
                h_fire(h);
                assert_int_equal(h_count(h, DHCP4_ACTION_DECONFIGURE), 0);
        }
        assert_int_equal(dhcp4_engine_get_state(h->e), DHCP4_STATE_SELECTING);
        assert_int_equal(h_fire(h), exp);
        assert_int_equal(h_count(h, DHCP4_ACTION_DECONFIGURE), 1);
        assert_null(dhcp4_engine_get_lease(h->e));
}

static void test_confirm_not_bound(void **state) {
        Harness *h = h_setup();
        Dhcp4Lease l = remembered_lease(h, "10.0.0.77", T0 - SEC(100), 3600);

        assert_int_equal(dhcp4_engine_confirm(h->e, h->now), -ESTALE);
        h_start(h, NULL);
        assert_int_equal(dhcp4_engine_confirm(h->e, h->now), DHCP4_CONFIRM_NOT_BOUND); /* SELECTING */
        h_drain(h);
        assert_int_equal(h->n, 0);
        h_bind(h, "10.0.0.50");
        /* No carrier: nothing can be confirmed (the link-up INIT-REBOOT will). */
        assert_int_equal(dhcp4_engine_link(h->e, false, h->now), 0);
        h_drain(h);
        assert_int_equal(dhcp4_engine_confirm(h->e, h->now), DHCP4_CONFIRM_NOT_BOUND);
        dhcp4_engine_stop(h->e);
        h_start(h, &l);
        assert_int_equal(dhcp4_engine_confirm(h->e, h->now), DHCP4_CONFIRM_NOT_BOUND); /* INIT-REBOOT */
        for (int e = 0; e < _DHCP4_EVENT_MAX; e++)
                assert_non_null(dhcp4_event_to_string(e));
        assert_string_equal(dhcp4_event_to_string(DHCP4_EVENT_CONFIRM_TIMEOUT), "confirm-timeout");
}

/* Link lost while confirming: INIT-REBOOT on link-up, as for any bound client. */
static void test_confirm_link_down(void **state) {
        Harness *h = h_setup();

        h_bound_confirming(h);
        assert_int_equal(dhcp4_engine_link(h->e, false, h->now), 0);
        h_drain(h);
        STATES(h, DHCP4_STATE_CONFIRMING, DHCP4_STATE_INIT_REBOOT);
        assert_int_equal(dhcp4_engine_link(h->e, true, h->now + SEC(1)), 0);
        h_drain(h);
        STATES(h, DHCP4_STATE_INIT_REBOOT, DHCP4_STATE_REBOOTING);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_teardown(test_config, teardown),
                cmocka_unit_test_teardown(test_acquire, teardown),
                cmocka_unit_test_teardown(test_hostname_broadcast_flag, teardown),
                cmocka_unit_test_teardown(test_t1_t2, teardown),
                cmocka_unit_test_teardown(test_classful_prefix, teardown),
                cmocka_unit_test_teardown(test_selecting_backoff, teardown),
                cmocka_unit_test_teardown(test_odd_caps, teardown),
                cmocka_unit_test_teardown(test_determinism, teardown),
                cmocka_unit_test_teardown(test_requesting_timeout, teardown),
                cmocka_unit_test_teardown(test_requesting_other_server, teardown),
                cmocka_unit_test_teardown(test_renewing_rebinding, teardown),
                cmocka_unit_test_teardown(test_renew_ack, teardown),
                cmocka_unit_test_teardown(test_renew_new_address, teardown),
                cmocka_unit_test_teardown(test_expiry, teardown),
                cmocka_unit_test_teardown(test_nak_requesting, teardown),
                cmocka_unit_test_teardown(test_nak_renewing, teardown),
                cmocka_unit_test_teardown(test_nak_renewing_wrong_server, teardown),
                cmocka_unit_test_teardown(test_nak_rebooting_other_server, teardown),
                cmocka_unit_test(test_rx_to_string),
                cmocka_unit_test_teardown(test_forcerenew_ignored, teardown),
                cmocka_unit_test_teardown(test_configure_failed, teardown),
                cmocka_unit_test_teardown(test_nak_rebinding, teardown),
                cmocka_unit_test_teardown(test_nak_rebooting, teardown),
                cmocka_unit_test_teardown(test_nak_backoff, teardown),
                cmocka_unit_test_teardown(test_init_reboot_ack, teardown),
                cmocka_unit_test_teardown(test_init_reboot_silent, teardown),
                cmocka_unit_test_teardown(test_remembered_expires_while_selecting, teardown),
                cmocka_unit_test_teardown(test_remembered_unusable, teardown),
                cmocka_unit_test_teardown(test_link, teardown),
                cmocka_unit_test_teardown(test_link_selecting_and_start, teardown),
                cmocka_unit_test_teardown(test_initial_delay, teardown),
                cmocka_unit_test_teardown(test_release, teardown),
                cmocka_unit_test_teardown(test_renew_rebind_commands, teardown),
                cmocka_unit_test_teardown(test_restart_refused, teardown),
                cmocka_unit_test_teardown(test_restart_required, teardown),
                cmocka_unit_test_teardown(test_decline, teardown),
                cmocka_unit_test_teardown(test_decline_backoff, teardown),
                cmocka_unit_test_teardown(test_quarantine_expiry, teardown),
                cmocka_unit_test_teardown(test_quarantine_off, teardown),
                cmocka_unit_test_teardown(test_quarantine_overflow, teardown),
                cmocka_unit_test_teardown(test_decline_remembered, teardown),
                cmocka_unit_test_teardown(test_offer_policy_before_start, teardown),
                cmocka_unit_test_teardown(test_unusable_server_id, teardown),
                cmocka_unit_test_teardown(test_address_lost, teardown),
                cmocka_unit_test_teardown(test_reject_foreign, teardown),
                cmocka_unit_test_teardown(test_unexpected, teardown),
                cmocka_unit_test_teardown(test_bad_lease, teardown),
                cmocka_unit_test_teardown(test_stop, teardown),
                cmocka_unit_test_teardown(test_set_mac, teardown),
                cmocka_unit_test_teardown(test_set_mac_declined, teardown),
                cmocka_unit_test_teardown(test_release_link_down, teardown),
                cmocka_unit_test_teardown(test_infinite_lease, teardown),
                cmocka_unit_test_teardown(test_late_timeout, teardown),
                cmocka_unit_test_teardown(test_confirm_ack, teardown),
                cmocka_unit_test_teardown(test_confirm_nak_moves, teardown),
                cmocka_unit_test_teardown(test_confirm_nak_no_refusal, teardown),
                cmocka_unit_test_teardown(test_confirm_silent, teardown),
                cmocka_unit_test_teardown(test_confirm_silent_until_expiry, teardown),
                cmocka_unit_test_teardown(test_confirm_not_bound, teardown),
                cmocka_unit_test_teardown(test_confirm_link_down, teardown),
                cmocka_unit_test_teardown(test_queue_overflow, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
