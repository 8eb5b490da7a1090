/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for the DHCPv4 message codec (dhcp4-message): build/parse round trips of
 * every option, one test per malformed-input class, option overload, RFC 3396
 * concatenation, RFC 3442 routes, reply checks and the builder's bounds. Messages are
 * also assembled byte by byte here, so the parser is not only tested by its own
 * builder.
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "dhcp4-message.h"

static const uint8_t MAC[6] = { 0x02, 0x00, 0x5e, 0x10, 0x20, 0x30 };
static const uint8_t CLIENT_ID[7] = { 0x01, 0x02, 0x00, 0x5e, 0x10, 0x20, 0x30 };
#define XID UINT32_C(0x12345678)

static struct in_addr A(const char *s) {
        struct in_addr a;
        assert_int_equal(inet_pton(AF_INET, s, &a), 1);
        return a;
}

/* ---- raw message assembly (independent of the builder) ---- */

typedef struct Raw {
        uint8_t buf[2048];
        size_t len;
} Raw;

static void raw_init(Raw *r, uint8_t op) {
        memset(r, 0, sizeof(*r));
        r->buf[0] = op;
        r->buf[1] = 1;
        r->buf[2] = 6;
        r->buf[4] = 0x12;
        r->buf[5] = 0x34;
        r->buf[6] = 0x56;
        r->buf[7] = 0x78;
        memcpy(r->buf + 28, MAC, 6);
        r->buf[236] = 0x63;
        r->buf[237] = 0x82;
        r->buf[238] = 0x53;
        r->buf[239] = 0x63;
        r->len = 240;
}

static void raw_put(Raw *r, const uint8_t *d, size_t n) {
        assert_true(r->len + n <= sizeof(r->buf));
        memcpy(r->buf + r->len, d, n);
        r->len += n;
}

#define RAW_PUT(r, ...)                                                                            \
        do {                                                                                       \
                const uint8_t _d[] = { __VA_ARGS__ };                                              \
                raw_put((r), _d, sizeof(_d));                                                      \
        } while (0)

/* ACK skeleton: message type then caller options; the caller appends END. */
static void raw_ack(Raw *r) {
        raw_init(r, BOOTREPLY);
        RAW_PUT(r, 53, 1, DHCP4_ACK);
}

static void raw_end_pad(Raw *r) {
        RAW_PUT(r, 255);
        while (r->len < 300)
                r->buf[r->len++] = 0;
}

static Dhcp4ParseResult raw_parse(Raw *r, Dhcp4Message *m) {
        return dhcp4_message_parse(m, r->buf, r->len);
}

/* ---- builder helpers ---- */

/* finish() both returns the length and stores it. */
static void finish_ok(Dhcp4Builder *b, size_t *ret_len) {
        int n = dhcp4_builder_finish(b, ret_len);

        assert_true(n >= DHCP4_MIN_MESSAGE_LEN);
        assert_int_equal((size_t) n, *ret_len);
}

static Dhcp4Header reply_header(void) {
        Dhcp4Header h = {
                .op = BOOTREPLY,
                .xid = XID,
                .secs = 3,
                .flags = DHCP4_FLAG_BROADCAST,
                .ciaddr = A("0.0.0.0"),
                .yiaddr = A("10.0.0.42"),
                .siaddr = A("10.0.0.1"),
                .giaddr = A("10.0.9.1"),
        };
        memcpy(h.chaddr, MAC, 6);
        return h;
}

static void test_round_trip_all_options(void **state) {
        uint8_t buf[DHCP4_MAX_MESSAGE_LEN];
        Dhcp4Header h = reply_header();
        Dhcp4Builder b;
        Dhcp4Message m;
        size_t len;
        const struct in_addr routers[2] = { A("10.0.0.1"), A("10.0.0.2") };
        const struct in_addr dns[3] = { A("10.0.0.53"), A("10.0.1.53"), A("8.8.8.8") };
        const uint8_t params[] = { 1, 3, 6, 12, 15, 26, 28, 51, 54, 58, 59, 121 };
        const LeaseRoute routes[3] = {
                { .destination = A("0.0.0.0"), .prefixlen = 0, .gateway = A("10.0.0.1") },
                { .destination = A("192.168.0.0"), .prefixlen = 16, .gateway = A("10.0.0.2") },
                { .destination = A("172.16.5.1"), .prefixlen = 32, .gateway = A("0.0.0.0") },
        };
        uint8_t rbuf[64];
        size_t rlen;

        assert_int_equal(dhcp4_builder_init(&b, buf, sizeof(buf), &h), 0);
        assert_int_equal(dhcp4_builder_add_u8(&b, DHCP4_OPTION_MESSAGE_TYPE, DHCP4_ACK), 0);
        assert_int_equal(dhcp4_builder_add_addr(&b, DHCP4_OPTION_SUBNET_MASK, A("255.255.240.0")), 0);
        assert_int_equal(dhcp4_builder_add(&b, DHCP4_OPTION_ROUTER, routers, sizeof(routers)), 0);
        assert_int_equal(dhcp4_builder_add(&b, DHCP4_OPTION_DNS_SERVER, dns, sizeof(dns)), 0);
        assert_int_equal(dhcp4_builder_add(&b, DHCP4_OPTION_HOST_NAME, "node-1", 6), 0);
        assert_int_equal(dhcp4_builder_add(&b, DHCP4_OPTION_DOMAIN_NAME, "infra.example", 13), 0);
        assert_int_equal(dhcp4_builder_add_u16(&b, DHCP4_OPTION_MTU, 9000), 0);
        assert_int_equal(dhcp4_builder_add_addr(&b, DHCP4_OPTION_BROADCAST, A("10.0.15.255")), 0);
        assert_int_equal(dhcp4_builder_add_addr(&b, DHCP4_OPTION_REQUESTED_ADDRESS, A("10.0.0.42")), 0);
        assert_int_equal(dhcp4_builder_add_u32(&b, DHCP4_OPTION_LEASE_TIME, 3600), 0);
        assert_int_equal(dhcp4_builder_add_addr(&b, DHCP4_OPTION_SERVER_ID, A("10.0.0.1")), 0);
        assert_int_equal(dhcp4_builder_add(&b, DHCP4_OPTION_PARAMETER_LIST, params, sizeof(params)), 0);
        assert_int_equal(dhcp4_builder_add(&b, DHCP4_OPTION_MESSAGE, "all good", 8), 0);
        assert_int_equal(dhcp4_builder_add_u16(&b, DHCP4_OPTION_MAX_MESSAGE_SIZE, 1500), 0);
        assert_int_equal(dhcp4_builder_add_u32(&b, DHCP4_OPTION_RENEWAL_TIME, 1800), 0);
        assert_int_equal(dhcp4_builder_add_u32(&b, DHCP4_OPTION_REBINDING_TIME, 3150), 0);
        assert_int_equal(dhcp4_builder_add(&b, DHCP4_OPTION_CLIENT_ID, CLIENT_ID, sizeof(CLIENT_ID)), 0);
        assert_int_equal(dhcp4_routes_encode(routes, 3, rbuf, sizeof(rbuf), &rlen), 0);
        assert_int_equal(rlen, (1 + 0 + 4) + (1 + 2 + 4) + (1 + 4 + 4));
        assert_int_equal(dhcp4_builder_add(&b, DHCP4_OPTION_CLASSLESS_ROUTE, rbuf, rlen), 0);
        finish_ok(&b, &len);

        assert_int_equal(dhcp4_message_parse(&m, buf, len), DHCP4_PARSE_OK);
        assert_int_equal(m.op, BOOTREPLY);
        assert_int_equal(m.htype, 1);
        assert_int_equal(m.hlen, 6);
        assert_int_equal(m.hops, 0);
        assert_int_equal(m.xid, XID);
        assert_int_equal(m.secs, 3);
        assert_int_equal(m.flags, DHCP4_FLAG_BROADCAST);
        assert_int_equal(m.ciaddr.s_addr, 0);
        assert_int_equal(m.yiaddr.s_addr, A("10.0.0.42").s_addr);
        assert_int_equal(m.siaddr.s_addr, A("10.0.0.1").s_addr);
        assert_int_equal(m.giaddr.s_addr, A("10.0.9.1").s_addr);
        assert_memory_equal(m.chaddr, MAC, 6);
        assert_string_equal(m.sname, "");
        assert_string_equal(m.file, "");
        assert_int_equal(m.message_type, DHCP4_ACK);
        assert_true(m.has_subnet_mask);
        assert_int_equal(m.subnet_mask.s_addr, A("255.255.240.0").s_addr);
        assert_int_equal(m.prefixlen, 20);
        assert_int_equal(m.n_routers, 2);
        assert_memory_equal(m.routers, routers, sizeof(routers));
        assert_int_equal(m.n_dns, 3);
        assert_memory_equal(m.dns, dns, sizeof(dns));
        assert_string_equal(m.hostname, "node-1");
        assert_string_equal(m.domain, "infra.example");
        assert_int_equal(m.mtu, 9000);
        assert_true(m.has_broadcast);
        assert_int_equal(m.broadcast.s_addr, A("10.0.15.255").s_addr);
        assert_true(m.has_requested_address);
        assert_int_equal(m.requested_address.s_addr, A("10.0.0.42").s_addr);
        assert_true(m.has_lease_time);
        assert_int_equal(m.lease_time, 3600);
        assert_int_equal(m.overload, 0);
        assert_true(m.has_server_id);
        assert_int_equal(m.server_id.s_addr, A("10.0.0.1").s_addr);
        assert_int_equal(m.n_params, sizeof(params));
        assert_memory_equal(m.params, params, sizeof(params));
        assert_string_equal(m.message, "all good");
        assert_int_equal(m.max_message_size, 1500);
        assert_true(m.has_t1);
        assert_int_equal(m.t1, 1800);
        assert_true(m.has_t2);
        assert_int_equal(m.t2, 3150);
        assert_int_equal(m.client_id_len, sizeof(CLIENT_ID));
        assert_memory_equal(m.client_id, CLIENT_ID, sizeof(CLIENT_ID));
        assert_true(m.has_routes);
        assert_int_equal(m.n_routes, 3);
        for (size_t i = 0; i < 3; i++) {
                assert_int_equal(m.routes[i].destination.s_addr, routes[i].destination.s_addr);
                assert_int_equal(m.routes[i].prefixlen, routes[i].prefixlen);
                assert_int_equal(m.routes[i].gateway.s_addr, routes[i].gateway.s_addr);
        }
}

static void test_round_trip_minimal(void **state) {
        uint8_t buf[600];
        Dhcp4Header h = reply_header();
        Dhcp4Builder b;
        Dhcp4Message m;
        size_t len;

        assert_int_equal(dhcp4_builder_init(&b, buf, sizeof(buf), &h), 0);
        assert_int_equal(dhcp4_builder_add_u8(&b, DHCP4_OPTION_MESSAGE_TYPE, DHCP4_NAK), 0);
        assert_int_equal(dhcp4_builder_finish(&b, &len), 300);
        assert_int_equal(dhcp4_message_parse(&m, buf, len), DHCP4_PARSE_OK);
        assert_int_equal(m.message_type, DHCP4_NAK);
        assert_false(m.has_subnet_mask);
        assert_int_equal(m.prefixlen, 0);
        assert_int_equal(m.n_routers, 0);
        assert_int_equal(m.n_dns, 0);
        assert_string_equal(m.hostname, "");
        assert_string_equal(m.domain, "");
        assert_int_equal(m.mtu, 0);
        assert_false(m.has_broadcast);
        assert_false(m.has_requested_address);
        assert_false(m.has_lease_time);
        assert_false(m.has_server_id);
        assert_int_equal(m.n_params, 0);
        assert_string_equal(m.message, "");
        assert_int_equal(m.max_message_size, 0);
        assert_false(m.has_t1);
        assert_false(m.has_t2);
        assert_int_equal(m.client_id_len, 0);
        assert_false(m.has_routes);
        assert_int_equal(m.n_routes, 0);
}

/* Each message type 1..8 round-trips; a BOOTREQUEST (what we send) parses too. */
static void test_round_trip_message_types(void **state) {
        for (int t = DHCP4_DISCOVER; t <= DHCP4_FORCERENEW; t++) {
                uint8_t buf[400];
                Dhcp4Header h = reply_header();
                Dhcp4Builder b;
                Dhcp4Message m;
                size_t len;

                h.op = t == DHCP4_OFFER || t == DHCP4_ACK || t == DHCP4_NAK || t == DHCP4_FORCERENEW ? BOOTREPLY
                                                                                                   : BOOTREQUEST;
                assert_int_equal(dhcp4_builder_init(&b, buf, sizeof(buf), &h), 0);
                assert_int_equal(dhcp4_builder_add_u8(&b, DHCP4_OPTION_MESSAGE_TYPE, (uint8_t) t), 0);
                assert_int_equal(dhcp4_builder_finish(&b, &len), 300);
                assert_int_equal(dhcp4_message_parse(&m, buf, len), DHCP4_PARSE_OK);
                assert_int_equal(m.message_type, t);
                assert_int_equal(m.op, h.op);
                assert_non_null(dhcp4_message_type_to_string(t));
        }
        assert_string_equal(dhcp4_message_type_to_string(DHCP4_OFFER), "OFFER");
        assert_string_equal(dhcp4_message_type_to_string(DHCP4_NAK), "NAK");
        assert_null(dhcp4_message_type_to_string(0));
        assert_string_equal(dhcp4_message_type_to_string(DHCP4_FORCERENEW), "FORCERENEW");
        assert_null(dhcp4_message_type_to_string(10));
        assert_null(dhcp4_message_type_to_string(-1));
}

/* Every subnet mask prefix 0..32 round-trips and derives its prefix length. */
static void test_subnet_mask_prefixes(void **state) {
        for (unsigned p = 0; p <= 32; p++) {
                Raw r;
                Dhcp4Message m;
                uint32_t mask = p == 0 ? 0 : UINT32_MAX << (32 - p);

                raw_ack(&r);
                RAW_PUT(&r, 1, 4, (uint8_t) (mask >> 24), (uint8_t) (mask >> 16), (uint8_t) (mask >> 8),
                        (uint8_t) mask);
                raw_end_pad(&r);
                assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_OK);
                assert_true(m.has_subnet_mask);
                assert_int_equal(m.prefixlen, p);
                assert_int_equal(ntohl(m.subnet_mask.s_addr), mask);
        }
}

/* A literal dnsmasq-style OFFER, byte for byte, with options in dnsmasq's order. */
static void test_parse_literal_offer(void **state) {
        Raw r;
        Dhcp4Message m;

        raw_init(&r, BOOTREPLY);
        memcpy(r.buf + 16, (uint8_t[]) { 10, 0, 0, 42 }, 4); /* yiaddr */
        memcpy(r.buf + 20, (uint8_t[]) { 10, 0, 0, 1 }, 4);  /* siaddr */
        RAW_PUT(&r, 53, 1, 2, 54, 4, 10, 0, 0, 1, 51, 4, 0, 0, 0x0e, 0x10, 58, 4, 0, 0, 0x07, 0x08, 59, 4, 0,
                0, 0x0c, 0x4e, 1, 4, 255, 255, 255, 0, 28, 4, 10, 0, 0, 255, 3, 4, 10, 0, 0, 1, 6, 4, 10, 0, 0,
                53, 61, 7, 0x01, 0x02, 0x00, 0x5e, 0x10, 0x20, 0x30);
        raw_end_pad(&r);

        assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_OK);
        assert_int_equal(m.message_type, DHCP4_OFFER);
        assert_int_equal(m.xid, XID);
        assert_int_equal(m.yiaddr.s_addr, A("10.0.0.42").s_addr);
        assert_int_equal(m.server_id.s_addr, A("10.0.0.1").s_addr);
        assert_int_equal(m.lease_time, 3600);
        assert_int_equal(m.t1, 1800);
        assert_int_equal(m.t2, 3150);
        assert_int_equal(m.prefixlen, 24);
        assert_int_equal(m.broadcast.s_addr, A("10.0.0.255").s_addr);
        assert_int_equal(m.n_routers, 1);
        assert_int_equal(m.n_dns, 1);
        assert_int_equal(m.dns[0].s_addr, A("10.0.0.53").s_addr);
        assert_int_equal(m.client_id_len, 7);
        assert_int_equal(dhcp4_message_check_reply(&m, XID, MAC, CLIENT_ID, 7), DHCP4_PARSE_OK);
}

/* ---- one test per malformed-input class ---- */

static void test_too_short(void **state) {
        Raw r;
        Dhcp4Message m;

        raw_ack(&r);
        raw_end_pad(&r);
        assert_int_equal(dhcp4_message_parse(&m, r.buf, 239), DHCP4_PARSE_TOO_SHORT);
        assert_int_equal(dhcp4_message_parse(&m, r.buf, 0), DHCP4_PARSE_TOO_SHORT);
        assert_int_equal(dhcp4_message_parse(&m, NULL, 300), DHCP4_PARSE_TOO_SHORT);
        /* Exactly header + cookie: no room for END. */
        assert_int_equal(dhcp4_message_parse(&m, r.buf, 240), DHCP4_PARSE_NO_END);
}

static void test_too_long(void **state) {
        Raw r;
        Dhcp4Message m;

        raw_ack(&r);
        raw_end_pad(&r);
        assert_int_equal(dhcp4_message_parse(&m, r.buf, DHCP4_MAX_MESSAGE_LEN), DHCP4_PARSE_OK);
        assert_int_equal(dhcp4_message_parse(&m, r.buf, DHCP4_MAX_MESSAGE_LEN + 1), DHCP4_PARSE_TOO_LONG);
}

static void test_bad_op(void **state) {
        const uint8_t ops[] = { 0, 3, 255 };

        for (size_t i = 0; i < sizeof(ops); i++) {
                Raw r;
                Dhcp4Message m;

                raw_ack(&r);
                raw_end_pad(&r);
                r.buf[0] = ops[i];
                assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_BAD_OP);
        }
}

static void test_bad_htype(void **state) {
        Raw r;
        Dhcp4Message m;

        raw_ack(&r);
        raw_end_pad(&r);
        r.buf[1] = 6; /* IEEE 802 */
        assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_BAD_HTYPE);
        r.buf[1] = 1;
        r.buf[2] = 16;
        assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_BAD_HTYPE);
        r.buf[2] = 0;
        assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_BAD_HTYPE);
}

static void test_bad_cookie(void **state) {
        for (size_t i = 236; i < 240; i++) {
                Raw r;
                Dhcp4Message m;

                raw_ack(&r);
                raw_end_pad(&r);
                r.buf[i] ^= 0x01;
                assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_BAD_COOKIE);
        }
}

static void test_option_runs_past_area(void **state) {
        Raw r;
        Dhcp4Message m;

        /* Length byte claims more data than the message holds. */
        raw_ack(&r);
        RAW_PUT(&r, 12, 10, 'a', 'b');
        assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_BAD_OPTION_LENGTH);

        /* Code as the very last byte, no length byte. */
        raw_ack(&r);
        RAW_PUT(&r, 12);
        assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_BAD_OPTION_LENGTH);

        /* Unknown option with a bad length is still caught. */
        raw_ack(&r);
        RAW_PUT(&r, 224, 200, 1, 2, 3, 255);
        assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_BAD_OPTION_LENGTH);

        /* Exactly fitting option then END is fine. */
        raw_ack(&r);
        RAW_PUT(&r, 224, 2, 1, 2, 255);
        assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_OK);
}

typedef struct LengthCase {
        uint8_t code;
        uint8_t len;
        Dhcp4ParseResult expect;
} LengthCase;

/* Per-type exact/multiple-of length rules. The option data is filled with a byte
 * pattern that is a valid value where the length is right (0xff: mask /32, MTU and
 * max size 65535, and so on). */
static void test_option_type_lengths(void **state) {
        const LengthCase cases[] = {
                { 1, 4, DHCP4_PARSE_OK },           { 1, 3, DHCP4_PARSE_BAD_OPTION_LENGTH },
                { 1, 5, DHCP4_PARSE_BAD_OPTION_LENGTH }, { 1, 0, DHCP4_PARSE_BAD_OPTION_LENGTH },
                { 3, 4, DHCP4_PARSE_OK },           { 3, 8, DHCP4_PARSE_OK },
                { 3, 0, DHCP4_PARSE_BAD_OPTION_LENGTH }, { 3, 3, DHCP4_PARSE_BAD_OPTION_LENGTH },
                { 3, 6, DHCP4_PARSE_BAD_OPTION_LENGTH }, { 6, 4, DHCP4_PARSE_OK },
                { 6, 12, DHCP4_PARSE_OK },          { 6, 0, DHCP4_PARSE_BAD_OPTION_LENGTH },
                { 6, 5, DHCP4_PARSE_BAD_OPTION_LENGTH }, { 26, 2, DHCP4_PARSE_OK },
                { 26, 1, DHCP4_PARSE_BAD_OPTION_LENGTH }, { 26, 4, DHCP4_PARSE_BAD_OPTION_LENGTH },
                { 28, 4, DHCP4_PARSE_OK },          { 28, 2, DHCP4_PARSE_BAD_OPTION_LENGTH },
                { 50, 4, DHCP4_PARSE_OK },          { 50, 8, DHCP4_PARSE_BAD_OPTION_LENGTH },
                { 51, 4, DHCP4_PARSE_OK },          { 51, 3, DHCP4_PARSE_BAD_OPTION_LENGTH },
                { 51, 0, DHCP4_PARSE_BAD_OPTION_LENGTH }, { 54, 4, DHCP4_PARSE_OK },
                { 54, 5, DHCP4_PARSE_BAD_OPTION_LENGTH }, { 55, 1, DHCP4_PARSE_OK },
                { 55, 0, DHCP4_PARSE_BAD_OPTION_LENGTH }, { 57, 2, DHCP4_PARSE_OK },
                { 57, 3, DHCP4_PARSE_BAD_OPTION_LENGTH }, { 58, 4, DHCP4_PARSE_OK },
                { 58, 2, DHCP4_PARSE_BAD_OPTION_LENGTH }, { 59, 4, DHCP4_PARSE_OK },
                { 59, 1, DHCP4_PARSE_BAD_OPTION_LENGTH }, { 61, 2, DHCP4_PARSE_OK },
                { 61, 1, DHCP4_PARSE_BAD_OPTION_LENGTH }, { 61, 0, DHCP4_PARSE_BAD_OPTION_LENGTH },
                { 52, 2, DHCP4_PARSE_BAD_OPTION_LENGTH }, { 52, 0, DHCP4_PARSE_BAD_OPTION_LENGTH },
                { 121, 4, DHCP4_PARSE_BAD_OPTION_LENGTH }, { 121, 0, DHCP4_PARSE_BAD_OPTION_LENGTH },
                /* option 121 width byte 0xff > 32 */
                { 121, 5, DHCP4_PARSE_BAD_OPTION_VALUE },
                /* Unknown options accept any length. */
                { 200, 0, DHCP4_PARSE_OK },         { 200, 255, DHCP4_PARSE_OK },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                Raw r;
                Dhcp4Message m;
                uint8_t data[255];

                memset(data, 0xff, sizeof(data));
                raw_ack(&r);
                RAW_PUT(&r, cases[i].code, cases[i].len);
                raw_put(&r, data, cases[i].len);
                raw_end_pad(&r);
                if (raw_parse(&r, &m) != cases[i].expect)
                        fail_msg("option %u len %u: got %s, expected %s", cases[i].code, cases[i].len,
                                 dhcp4_parse_result_to_string(raw_parse(&r, &m)),
                                 dhcp4_parse_result_to_string(cases[i].expect));
        }
}

static void test_message_type_length_and_value(void **state) {
        Raw r;
        Dhcp4Message m;

        raw_init(&r, BOOTREPLY);
        RAW_PUT(&r, 53, 2, 5, 5);
        raw_end_pad(&r);
        assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_BAD_OPTION_LENGTH);

        raw_init(&r, BOOTREPLY);
        RAW_PUT(&r, 53, 0);
        raw_end_pad(&r);
        assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_BAD_OPTION_LENGTH);

        raw_init(&r, BOOTREPLY);
        RAW_PUT(&r, 53, 1, 0);
        raw_end_pad(&r);
        assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_BAD_OPTION_VALUE);

        raw_init(&r, BOOTREPLY);
        RAW_PUT(&r, 53, 1, 10);
        raw_end_pad(&r);
        assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_BAD_OPTION_VALUE);

        /* Twice: RFC 3396 concatenates to length 2. */
        raw_init(&r, BOOTREPLY);
        RAW_PUT(&r, 53, 1, 5, 53, 1, 5);
        raw_end_pad(&r);
        assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_BAD_OPTION_LENGTH);
}

static void test_bad_option_value_netmask(void **state) {
        const uint8_t masks[][4] = { { 255, 0, 255, 0 }, { 255, 255, 255, 1 }, { 0, 255, 255, 255 },
                                     { 255, 254, 255, 0 } };

        for (size_t i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
                Raw r;
                Dhcp4Message m;

                raw_ack(&r);
                RAW_PUT(&r, 1, 4);
                raw_put(&r, masks[i], 4);
                raw_end_pad(&r);
                assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_BAD_OPTION_VALUE);
        }
}

static void test_bad_option_value_mtu_and_max_size(void **state) {
        Raw r;
        Dhcp4Message m;

        raw_ack(&r);
        RAW_PUT(&r, 26, 2, 0, 67);
        raw_end_pad(&r);
        assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_BAD_OPTION_VALUE);

        raw_ack(&r);
        RAW_PUT(&r, 26, 2, 0, 68);
        raw_end_pad(&r);
        assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_OK);
        assert_int_equal(m.mtu, 68);

        raw_ack(&r);
        RAW_PUT(&r, 57, 2, 0x02, 0x3f); /* 575 */
        raw_end_pad(&r);
        assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_BAD_OPTION_VALUE);

        raw_ack(&r);
        RAW_PUT(&r, 57, 2, 0x02, 0x40); /* 576 */
        raw_end_pad(&r);
        assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_OK);
        assert_int_equal(m.max_message_size, 576);
}

static void test_bad_overload_value(void **state) {
        const uint8_t values[] = { 0, 4, 255 };

        for (size_t i = 0; i < sizeof(values); i++) {
                Raw r;
                Dhcp4Message m;

                raw_ack(&r);
                RAW_PUT(&r, 52, 1, values[i]);
                raw_end_pad(&r);
                assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_BAD_OVERLOAD);
        }
}

static void test_no_end(void **state) {
        Raw r;
        Dhcp4Message m;

        /* Options, then the message just stops. */
        raw_ack(&r);
        RAW_PUT(&r, 51, 4, 0, 0, 1, 0);
        assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_NO_END);

        /* Pads all the way: still no END. */
        raw_ack(&r);
        while (r.len < 300)
                r.buf[r.len++] = 0;
        assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_NO_END);

        /* Pads then END: fine. */
        raw_ack(&r);
        RAW_PUT(&r, 0, 0, 0, 255);
        assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_OK);

        /* Garbage after END is ignored. */
        raw_ack(&r);
        RAW_PUT(&r, 255, 12, 200, 1, 2, 3);
        assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_OK);
        assert_string_equal(m.hostname, "");
}

static void test_no_message_type(void **state) {
        Raw r;
        Dhcp4Message m;

        raw_init(&r, BOOTREPLY);
        RAW_PUT(&r, 51, 4, 0, 0, 1, 0);
        raw_end_pad(&r);
        assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_NO_MESSAGE_TYPE);

        /* Message type only after END does not count. */
        raw_init(&r, BOOTREPLY);
        RAW_PUT(&r, 255, 53, 1, 5);
        assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_NO_MESSAGE_TYPE);
}

static void test_parse_result_strings(void **state) {
        for (int i = 0; i < _DHCP4_PARSE_MAX; i++)
                assert_non_null(dhcp4_parse_result_to_string(i));
        assert_null(dhcp4_parse_result_to_string(_DHCP4_PARSE_MAX));
        assert_null(dhcp4_parse_result_to_string((Dhcp4ParseResult) -1));
        assert_string_equal(dhcp4_parse_result_to_string(DHCP4_PARSE_OK), "ok");
}

/* ---- names and text ---- */

static void test_hostname_domain(void **state) {
        struct {
                const uint8_t *data;
                size_t len;
                const char *expect;
        } cases[] = {
                { (const uint8_t *) "node-1", 6, "node-1" },
                { (const uint8_t *) "node-1\0\0", 8, "node-1" },  /* trailing NULs stripped */
                { (const uint8_t *) "no\0de", 5, "" },            /* embedded NUL: dropped */
                { (const uint8_t *) "no\x01" "de", 5, "" },       /* control char: dropped */
                { (const uint8_t *) "no de", 5, "" },             /* space: dropped */
                { (const uint8_t *) "n\xc3\xa9", 3, "" },         /* non-ASCII: dropped */
                { (const uint8_t *) "\0", 1, "" },
                { (const uint8_t *) "", 0, "" },                  /* RFC 2132 min length 1 */
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                for (uint8_t code = 12; code <= 15; code += 3) {
                        Raw r;
                        Dhcp4Message m;

                        raw_ack(&r);
                        RAW_PUT(&r, 51, 4, 0, 0, 1, 0, code, (uint8_t) cases[i].len);
                        raw_put(&r, cases[i].data, cases[i].len);
                        raw_end_pad(&r);
                        /* A bad name never rejects the message. */
                        assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_OK);
                        assert_string_equal(code == 12 ? m.hostname : m.domain, cases[i].expect);
                        assert_true(m.has_lease_time);
                }
}

static void test_hostname_too_long(void **state) {
        Raw r;
        Dhcp4Message m;
        uint8_t name[LEASE_HOSTNAME_MAX];

        memset(name, 'a', sizeof(name));

        raw_ack(&r);
        RAW_PUT(&r, 12, LEASE_HOSTNAME_MAX - 1);
        raw_put(&r, name, LEASE_HOSTNAME_MAX - 1);
        raw_end_pad(&r);
        assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_OK);
        assert_int_equal(strlen(m.hostname), LEASE_HOSTNAME_MAX - 1);

        raw_ack(&r);
        RAW_PUT(&r, 12, LEASE_HOSTNAME_MAX);
        raw_put(&r, name, LEASE_HOSTNAME_MAX);
        raw_end_pad(&r);
        assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_OK);
        assert_string_equal(m.hostname, "");
}

static void test_domain_long_concatenated(void **state) {
        /* 255 characters of domain split in two instances fit exactly (LEASE_DOMAIN_MAX). */
        uint8_t buf[1024], name[300];
        Dhcp4Header h = reply_header();
        Dhcp4Builder b;
        Dhcp4Message m;
        size_t len;

        memset(name, 'd', sizeof(name));
        assert_int_equal(dhcp4_builder_init(&b, buf, sizeof(buf), &h), 0);
        assert_int_equal(dhcp4_builder_add_u8(&b, DHCP4_OPTION_MESSAGE_TYPE, DHCP4_ACK), 0);
        assert_int_equal(dhcp4_builder_add(&b, DHCP4_OPTION_DOMAIN_NAME, name, 255), 0);
        finish_ok(&b, &len);
        assert_int_equal(dhcp4_message_parse(&m, buf, len), DHCP4_PARSE_OK);
        assert_int_equal(strlen(m.domain), 255);

        assert_int_equal(dhcp4_builder_init(&b, buf, sizeof(buf), &h), 0);
        assert_int_equal(dhcp4_builder_add_u8(&b, DHCP4_OPTION_MESSAGE_TYPE, DHCP4_ACK), 0);
        assert_int_equal(dhcp4_builder_add(&b, DHCP4_OPTION_DOMAIN_NAME, name, 256), 0);
        finish_ok(&b, &len);
        assert_int_equal(dhcp4_message_parse(&m, buf, len), DHCP4_PARSE_OK);
        assert_string_equal(m.domain, "");
}

static void test_message_sanitized(void **state) {
        Raw r;
        Dhcp4Message m;

        raw_init(&r, BOOTREPLY);
        RAW_PUT(&r, 53, 1, DHCP4_NAK, 56, 9, 'b', 'a', 'd', '\n', 0x1b, '[', 'm', 0xff, '!');
        raw_end_pad(&r);
        assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_OK);
        assert_string_equal(m.message, "bad??[m?!");

        /* Stops at a NUL. */
        raw_init(&r, BOOTREPLY);
        RAW_PUT(&r, 53, 1, DHCP4_NAK, 56, 5, 'a', 'b', 0, 'c', 'd');
        raw_end_pad(&r);
        assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_OK);
        assert_string_equal(m.message, "ab");
}

static void test_sname_file_strings(void **state) {
        Raw r;
        Dhcp4Message m;

        raw_ack(&r);
        raw_end_pad(&r);
        memcpy(r.buf + DHCP4_SNAME_OFFSET, "tftp.example", 12);
        memcpy(r.buf + DHCP4_FILE_OFFSET, "pxelinux.0\x07x", 12);
        assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_OK);
        assert_string_equal(m.sname, "tftp.example");
        assert_string_equal(m.file, "pxelinux.0?x");

        /* Completely filled, unterminated fields stay bounded. */
        memset(r.buf + DHCP4_SNAME_OFFSET, 's', DHCP4_SNAME_LEN);
        memset(r.buf + DHCP4_FILE_OFFSET, 'f', DHCP4_FILE_LEN);
        assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_OK);
        assert_int_equal(strlen(m.sname), DHCP4_SNAME_LEN);
        assert_int_equal(strlen(m.file), DHCP4_FILE_LEN);
}

static void test_list_extras_dropped(void **state) {
        Raw r;
        Dhcp4Message m;
        uint8_t addrs[4 * 10];

        for (size_t i = 0; i < 10; i++)
                memcpy(addrs + 4 * i, (uint8_t[]) { 10, 0, 0, (uint8_t) (i + 1) }, 4);

        raw_ack(&r);
        RAW_PUT(&r, 3, sizeof(addrs));
        raw_put(&r, addrs, sizeof(addrs));
        RAW_PUT(&r, 6, sizeof(addrs));
        raw_put(&r, addrs, sizeof(addrs));
        raw_end_pad(&r);
        assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_OK);
        assert_int_equal(m.n_routers, LEASE_MAX_ROUTERS);
        assert_int_equal(m.n_dns, LEASE_MAX_DNS);
        assert_int_equal(m.routers[LEASE_MAX_ROUTERS - 1].s_addr, A("10.0.0.8").s_addr);
        assert_int_equal(m.dns[0].s_addr, A("10.0.0.1").s_addr);
}

static void test_params_extras_dropped(void **state) {
        Raw r;
        Dhcp4Message m;
        uint8_t params[100];

        for (size_t i = 0; i < sizeof(params); i++)
                params[i] = (uint8_t) (i + 1);
        raw_ack(&r);
        RAW_PUT(&r, 55, sizeof(params));
        raw_put(&r, params, sizeof(params));
        raw_end_pad(&r);
        assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_OK);
        assert_int_equal(m.n_params, DHCP4_MAX_PARAMS);
        assert_memory_equal(m.params, params, DHCP4_MAX_PARAMS);
}

/* ---- overload (option 52) ---- */

static void test_overload_file(void **state) {
        Raw r;
        Dhcp4Message m;

        raw_ack(&r);
        RAW_PUT(&r, 52, 1, DHCP4_OVERLOAD_FILE);
        raw_end_pad(&r);
        memcpy(r.buf + DHCP4_FILE_OFFSET, (uint8_t[]) { 51, 4, 0, 0, 0x0e, 0x10, 12, 3, 'f', 'o', 'o', 255 }, 12);
        memcpy(r.buf + DHCP4_SNAME_OFFSET, "server", 6);
        assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_OK);
        assert_int_equal(m.overload, DHCP4_OVERLOAD_FILE);
        assert_true(m.has_lease_time);
        assert_int_equal(m.lease_time, 3600);
        assert_string_equal(m.hostname, "foo");
        assert_string_equal(m.file, "");
        assert_string_equal(m.sname, "server");
}

static void test_overload_sname(void **state) {
        Raw r;
        Dhcp4Message m;

        raw_ack(&r);
        RAW_PUT(&r, 52, 1, DHCP4_OVERLOAD_SNAME);
        raw_end_pad(&r);
        memcpy(r.buf + DHCP4_SNAME_OFFSET, (uint8_t[]) { 54, 4, 10, 0, 0, 1 }, 6); /* no END: allowed */
        memcpy(r.buf + DHCP4_FILE_OFFSET, "boot.img", 8);
        assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_OK);
        assert_int_equal(m.overload, DHCP4_OVERLOAD_SNAME);
        assert_true(m.has_server_id);
        assert_int_equal(m.server_id.s_addr, A("10.0.0.1").s_addr);
        assert_string_equal(m.sname, "");
        assert_string_equal(m.file, "boot.img");
}

static void test_overload_both(void **state) {
        Raw r;
        Dhcp4Message m;

        /* Message type itself lives in the sname field. */
        raw_init(&r, BOOTREPLY);
        RAW_PUT(&r, 52, 1, DHCP4_OVERLOAD_BOTH);
        raw_end_pad(&r);
        memcpy(r.buf + DHCP4_FILE_OFFSET, (uint8_t[]) { 1, 4, 255, 255, 255, 0, 255 }, 7);
        memcpy(r.buf + DHCP4_SNAME_OFFSET, (uint8_t[]) { 0, 0, 53, 1, DHCP4_OFFER, 255 }, 6);
        assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_OK);
        assert_int_equal(m.overload, DHCP4_OVERLOAD_BOTH);
        assert_int_equal(m.message_type, DHCP4_OFFER);
        assert_int_equal(m.prefixlen, 24);
        assert_string_equal(m.sname, "");
        assert_string_equal(m.file, "");
}

static void test_overload_without_52_ignores_fields(void **state) {
        Raw r;
        Dhcp4Message m;

        /* Option-like bytes in file are just a file name without option 52. */
        raw_ack(&r);
        raw_end_pad(&r);
        memcpy(r.buf + DHCP4_FILE_OFFSET, (uint8_t[]) { 'A', 4, 0, 0, 0x0e, 0x10, 255 }, 7);
        assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_OK);
        assert_false(m.has_lease_time);
        assert_int_equal(m.overload, 0);
}

static void test_overload_52_inside_field(void **state) {
        Raw r;
        Dhcp4Message m;

        raw_ack(&r);
        RAW_PUT(&r, 52, 1, DHCP4_OVERLOAD_FILE);
        raw_end_pad(&r);
        memcpy(r.buf + DHCP4_FILE_OFFSET, (uint8_t[]) { 52, 1, DHCP4_OVERLOAD_SNAME, 255 }, 4);
        assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_BAD_OVERLOAD);

        raw_ack(&r);
        RAW_PUT(&r, 52, 1, DHCP4_OVERLOAD_BOTH);
        raw_end_pad(&r);
        memcpy(r.buf + DHCP4_SNAME_OFFSET, (uint8_t[]) { 52, 1, DHCP4_OVERLOAD_BOTH, 255 }, 4);
        assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_BAD_OVERLOAD);

        /* 52 only in file, none in options: file is not an option area, so 52 there is
         * ignored; and the file field is reported as text. */
        raw_ack(&r);
        raw_end_pad(&r);
        memcpy(r.buf + DHCP4_FILE_OFFSET, (uint8_t[]) { 52, 1, DHCP4_OVERLOAD_FILE, 255 }, 4);
        assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_OK);
        assert_int_equal(m.overload, 0);
}

static void test_overload_field_bad_length(void **state) {
        Raw r;
        Dhcp4Message m;

        /* An option in file that would run into sname is rejected, not read on. */
        raw_ack(&r);
        RAW_PUT(&r, 52, 1, DHCP4_OVERLOAD_BOTH);
        raw_end_pad(&r);
        memset(r.buf + DHCP4_FILE_OFFSET, 0, DHCP4_FILE_LEN);
        r.buf[DHCP4_FILE_OFFSET + DHCP4_FILE_LEN - 3] = 12;
        r.buf[DHCP4_FILE_OFFSET + DHCP4_FILE_LEN - 2] = 5;
        assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_BAD_OPTION_LENGTH);

        /* Code as last byte of sname. */
        raw_ack(&r);
        RAW_PUT(&r, 52, 1, DHCP4_OVERLOAD_SNAME);
        raw_end_pad(&r);
        r.buf[DHCP4_SNAME_OFFSET + DHCP4_SNAME_LEN - 1] = 12;
        assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_BAD_OPTION_LENGTH);
}

/* ---- RFC 3396 concatenation ---- */

static void test_rfc3396_split_in_options(void **state) {
        Raw r;
        Dhcp4Message m;

        /* Hostname and DNS list split into two instances each, interleaved. */
        raw_ack(&r);
        RAW_PUT(&r, 12, 3, 'n', 'o', 'd', 6, 4, 10, 0, 0, 53, 12, 3, 'e', '-', '7', 6, 4, 10, 0, 1, 53);
        raw_end_pad(&r);
        assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_OK);
        assert_string_equal(m.hostname, "node-7");
        assert_int_equal(m.n_dns, 2);
        assert_int_equal(m.dns[1].s_addr, A("10.0.1.53").s_addr);

        /* An address split mid-value only makes sense concatenated. */
        raw_ack(&r);
        RAW_PUT(&r, 54, 2, 10, 0, 54, 2, 0, 1);
        raw_end_pad(&r);
        assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_OK);
        assert_int_equal(m.server_id.s_addr, A("10.0.0.1").s_addr);

        /* Option 121 split inside a route entry. */
        raw_ack(&r);
        RAW_PUT(&r, 121, 3, 24, 192, 168, 121, 5, 7, 10, 0, 0, 1);
        raw_end_pad(&r);
        assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_OK);
        assert_int_equal(m.n_routes, 1);
        assert_int_equal(m.routes[0].destination.s_addr, A("192.168.7.0").s_addr);
        assert_int_equal(m.routes[0].prefixlen, 24);
        assert_int_equal(m.routes[0].gateway.s_addr, A("10.0.0.1").s_addr);

        /* Lease time split into 4 + 0... duplicates make it 8 bytes: rejected. */
        raw_ack(&r);
        RAW_PUT(&r, 51, 4, 0, 0, 1, 0, 51, 4, 0, 0, 1, 0);
        raw_end_pad(&r);
        assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_BAD_OPTION_LENGTH);
}

/* Order is options, then file, then sname (RFC 2131 §4.1, RFC 3396 §7). */
static void test_rfc3396_across_areas(void **state) {
        Raw r;
        Dhcp4Message m;

        raw_ack(&r);
        RAW_PUT(&r, 52, 1, DHCP4_OVERLOAD_BOTH, 12, 2, 'a', 'b');
        raw_end_pad(&r);
        memcpy(r.buf + DHCP4_FILE_OFFSET, (uint8_t[]) { 12, 2, 'c', 'd', 255 }, 5);
        memcpy(r.buf + DHCP4_SNAME_OFFSET, (uint8_t[]) { 12, 2, 'e', 'f', 255 }, 5);
        assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_OK);
        assert_string_equal(m.hostname, "abcdef");

        /* Router list: 2 bytes in options, 2 in file, 4 in sname: two routers. */
        raw_ack(&r);
        RAW_PUT(&r, 52, 1, DHCP4_OVERLOAD_BOTH, 3, 2, 10, 0);
        raw_end_pad(&r);
        memcpy(r.buf + DHCP4_FILE_OFFSET, (uint8_t[]) { 3, 2, 0, 1, 255 }, 5);
        memcpy(r.buf + DHCP4_SNAME_OFFSET, (uint8_t[]) { 3, 4, 10, 0, 0, 2, 255 }, 7);
        assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_OK);
        assert_int_equal(m.n_routers, 2);
        assert_int_equal(m.routers[0].s_addr, A("10.0.0.1").s_addr);
        assert_int_equal(m.routers[1].s_addr, A("10.0.0.2").s_addr);
}

/* The builder splits > 255 bytes into consecutive instances; the parser joins them. */
static void test_rfc3396_builder_split(void **state) {
        uint8_t buf[DHCP4_MAX_MESSAGE_LEN], rbuf[512];
        Dhcp4Header h = reply_header();
        Dhcp4Builder b;
        Dhcp4Message m;
        LeaseRoute routes[LEASE_MAX_ROUTES];
        size_t len, rlen;

        memset(rbuf, 0x5a, sizeof(rbuf));
        for (size_t i = 0; i < LEASE_MAX_ROUTES; i++)
                routes[i] = (LeaseRoute) { .destination = { htonl(0x0a000000u | (uint32_t) i << 8) },
                                           .prefixlen = 24,
                                           .gateway = A("10.255.0.1") };
        assert_int_equal(dhcp4_routes_encode(routes, LEASE_MAX_ROUTES, rbuf, sizeof(rbuf), &rlen), 0);
        assert_int_equal(rlen, LEASE_MAX_ROUTES * 8);
        assert_true(rlen > 255);

        assert_int_equal(dhcp4_builder_init(&b, buf, sizeof(buf), &h), 0);
        assert_int_equal(dhcp4_builder_add_u8(&b, DHCP4_OPTION_MESSAGE_TYPE, DHCP4_ACK), 0);
        assert_int_equal(dhcp4_builder_add(&b, DHCP4_OPTION_CLASSLESS_ROUTE, rbuf, rlen), 0);
        /* 240 + 3 + (2 + 255) + (2 + 1) */
        assert_int_equal(b.len, 240 + 3 + 257 + 2 + (rlen - 255));
        assert_int_equal(buf[243], 121);
        assert_int_equal(buf[244], 255);
        assert_int_equal(buf[243 + 257], 121);
        assert_int_equal(buf[243 + 258], rlen - 255);
        finish_ok(&b, &len);

        assert_int_equal(dhcp4_message_parse(&m, buf, len), DHCP4_PARSE_OK);
        assert_int_equal(m.n_routes, LEASE_MAX_ROUTES);
        for (size_t i = 0; i < LEASE_MAX_ROUTES; i++) {
                assert_int_equal(m.routes[i].destination.s_addr, routes[i].destination.s_addr);
                assert_int_equal(m.routes[i].prefixlen, 24);
        }

        /* Exactly 255 bytes: a single instance. 510 bytes: exactly two. */
        assert_int_equal(dhcp4_builder_init(&b, buf, sizeof(buf), &h), 0);
        assert_int_equal(dhcp4_builder_add(&b, 224, rbuf, 255), 0);
        assert_int_equal(b.len, 240 + 257);
        assert_int_equal(dhcp4_builder_init(&b, buf, sizeof(buf), &h), 0);
        assert_int_equal(dhcp4_builder_add(&b, 224, rbuf, 510), 0);
        assert_int_equal(b.len, 240 + 2 * 257);
}

/* ---- option 121 (RFC 3442) ---- */

static Dhcp4ParseResult parse_121(const uint8_t *data, size_t len, Dhcp4Message *m) {
        Raw r;

        raw_ack(&r);
        RAW_PUT(&r, 121, (uint8_t) len);
        raw_put(&r, data, len);
        raw_end_pad(&r);
        return raw_parse(&r, m);
}

static void test_routes_default(void **state) {
        Dhcp4Message m;

        assert_int_equal(parse_121((uint8_t[]) { 0, 10, 0, 0, 1 }, 5, &m), DHCP4_PARSE_OK);
        assert_true(m.has_routes);
        assert_int_equal(m.n_routes, 1);
        assert_int_equal(m.routes[0].destination.s_addr, 0);
        assert_int_equal(m.routes[0].prefixlen, 0);
        assert_int_equal(m.routes[0].gateway.s_addr, A("10.0.0.1").s_addr);
}

static void test_routes_host(void **state) {
        Dhcp4Message m;

        assert_int_equal(parse_121((uint8_t[]) { 32, 192, 0, 2, 7, 0, 0, 0, 0 }, 9, &m), DHCP4_PARSE_OK);
        assert_int_equal(m.n_routes, 1);
        assert_int_equal(m.routes[0].destination.s_addr, A("192.0.2.7").s_addr);
        assert_int_equal(m.routes[0].prefixlen, 32);
        assert_int_equal(m.routes[0].gateway.s_addr, 0);
}

static void test_routes_prefix1_and_masking(void **state) {
        Dhcp4Message m;

        /* /1 carries one significant octet; bits beyond the prefix are cleared. */
        assert_int_equal(parse_121((uint8_t[]) { 1, 0xff, 10, 0, 0, 1 }, 6, &m), DHCP4_PARSE_OK);
        assert_int_equal(m.n_routes, 1);
        assert_int_equal(m.routes[0].destination.s_addr, A("128.0.0.0").s_addr);
        assert_int_equal(m.routes[0].prefixlen, 1);

        /* /9 needs two octets; /17 three; several entries back to back. */
        assert_int_equal(parse_121((uint8_t[]) { 9, 10, 255, 10, 0, 0, 1, 17, 172, 16, 255, 10, 0, 0, 2 }, 15,
                                   &m),
                         DHCP4_PARSE_OK);
        assert_int_equal(m.n_routes, 2);
        assert_int_equal(m.routes[0].destination.s_addr, A("10.128.0.0").s_addr);
        assert_int_equal(m.routes[1].destination.s_addr, A("172.16.128.0").s_addr);
        assert_int_equal(m.routes[1].gateway.s_addr, A("10.0.0.2").s_addr);
}

static void test_routes_bad_prefix(void **state) {
        Dhcp4Message m;

        assert_int_equal(parse_121((uint8_t[]) { 33, 1, 2, 3, 4, 10, 0, 0, 1 }, 9, &m),
                         DHCP4_PARSE_BAD_OPTION_VALUE);
        /* Bad width in the second entry. */
        assert_int_equal(parse_121((uint8_t[]) { 0, 10, 0, 0, 1, 40, 1, 2, 3, 4, 10, 0, 0, 1 }, 14, &m),
                         DHCP4_PARSE_BAD_OPTION_VALUE);
}

static void test_routes_truncated(void **state) {
        Dhcp4Message m;

        /* Too short for any entry. */
        assert_int_equal(parse_121((uint8_t[]) { 0, 10, 0, 0 }, 4, &m), DHCP4_PARSE_BAD_OPTION_LENGTH);
        /* /24 needs 3 + 4 bytes after the width; only 6 present. */
        assert_int_equal(parse_121((uint8_t[]) { 24, 192, 168, 1, 10, 0, 0 }, 7, &m),
                         DHCP4_PARSE_BAD_OPTION_LENGTH);
        /* Good entry followed by a dangling width byte. */
        assert_int_equal(parse_121((uint8_t[]) { 0, 10, 0, 0, 1, 8 }, 6, &m), DHCP4_PARSE_BAD_OPTION_LENGTH);
        /* Significant octets too many for the width (/8 given as if /16). */
        assert_int_equal(parse_121((uint8_t[]) { 8, 10, 1, 10, 0, 0, 1 }, 7, &m), DHCP4_PARSE_BAD_OPTION_LENGTH);
}

static void test_routes_extras_dropped(void **state) {
        Raw r;
        Dhcp4Message m;

        /* 40 default routes (200 bytes): all validated, 32 kept. */
        raw_ack(&r);
        RAW_PUT(&r, 121, 200);
        for (size_t i = 0; i < 40; i++)
                RAW_PUT(&r, 0, 10, 0, 0, (uint8_t) (i + 1));
        raw_end_pad(&r);
        assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_OK);
        assert_int_equal(m.n_routes, LEASE_MAX_ROUTES);
        assert_int_equal(m.routes[31].gateway.s_addr, A("10.0.0.32").s_addr);
}

static void test_routes_encode(void **state) {
        const LeaseRoute routes[2] = {
                { .destination = A("10.1.2.3"), .prefixlen = 16, .gateway = A("10.0.0.1") },
                { .destination = A("0.0.0.0"), .prefixlen = 0, .gateway = A("10.0.0.2") },
        };
        const uint8_t expect[] = { 16, 10, 1, 10, 0, 0, 1, 0, 10, 0, 0, 2 };
        LeaseRoute bad = { .prefixlen = 33 };
        uint8_t buf[32];
        size_t len = 999;

        assert_int_equal(dhcp4_routes_encode(routes, 2, buf, sizeof(buf), &len), 0);
        assert_int_equal(len, sizeof(expect));
        assert_memory_equal(buf, expect, sizeof(expect));

        len = 999;
        assert_int_equal(dhcp4_routes_encode(routes, 2, buf, sizeof(expect) - 1, &len), -ENOBUFS);
        assert_int_equal(len, 999); /* untouched on failure */
        assert_int_equal(dhcp4_routes_encode(&bad, 1, buf, sizeof(buf), &len), -EINVAL);
        assert_int_equal(dhcp4_routes_encode(routes, 0, buf, 0, &len), 0);
        assert_int_equal(len, 0);
}

/* ---- dhcp4_message_check_reply ---- */

static void parse_reply_with(Dhcp4Message *m, uint8_t op, const uint8_t *cid, size_t cid_len) {
        Raw r;

        raw_init(&r, op);
        RAW_PUT(&r, 53, 1, DHCP4_ACK);
        if (cid_len > 0) {
                RAW_PUT(&r, 61, (uint8_t) cid_len);
                raw_put(&r, cid, cid_len);
        }
        raw_end_pad(&r);
        assert_int_equal(raw_parse(&r, m), DHCP4_PARSE_OK);
}

static void test_check_reply(void **state) {
        Dhcp4Message m;
        uint8_t other_mac[6], other_cid[7];

        memcpy(other_mac, MAC, 6);
        other_mac[5] ^= 1;
        memcpy(other_cid, CLIENT_ID, 7);
        other_cid[6] ^= 1;

        parse_reply_with(&m, BOOTREPLY, CLIENT_ID, sizeof(CLIENT_ID));
        assert_int_equal(dhcp4_message_check_reply(&m, XID, MAC, CLIENT_ID, 7), DHCP4_PARSE_OK);
        assert_int_equal(dhcp4_message_check_reply(&m, XID + 1, MAC, CLIENT_ID, 7), DHCP4_PARSE_XID_MISMATCH);
        assert_int_equal(dhcp4_message_check_reply(&m, XID, other_mac, CLIENT_ID, 7),
                         DHCP4_PARSE_CHADDR_MISMATCH);
        assert_int_equal(dhcp4_message_check_reply(&m, XID, MAC, other_cid, 7), DHCP4_PARSE_CLIENT_ID_MISMATCH);
        assert_int_equal(dhcp4_message_check_reply(&m, XID, MAC, CLIENT_ID, 6), DHCP4_PARSE_CLIENT_ID_MISMATCH);
        assert_int_equal(dhcp4_message_check_reply(&m, XID, MAC, NULL, 0), DHCP4_PARSE_CLIENT_ID_MISMATCH);

        /* Echoed id longer than ours (a prefix of it matches). */
        {
                uint8_t longer[8];
                memcpy(longer, CLIENT_ID, 7);
                longer[7] = 0;
                parse_reply_with(&m, BOOTREPLY, longer, sizeof(longer));
                assert_int_equal(dhcp4_message_check_reply(&m, XID, MAC, CLIENT_ID, 7),
                                 DHCP4_PARSE_CLIENT_ID_MISMATCH);
        }

        /* No option 61 echoed (RFC 6842 is optional for servers): fine. */
        parse_reply_with(&m, BOOTREPLY, NULL, 0);
        assert_int_equal(dhcp4_message_check_reply(&m, XID, MAC, CLIENT_ID, 7), DHCP4_PARSE_OK);

        /* A BOOTREQUEST is never a reply, even with everything else matching. */
        parse_reply_with(&m, BOOTREQUEST, CLIENT_ID, sizeof(CLIENT_ID));
        assert_int_equal(dhcp4_message_check_reply(&m, XID, MAC, CLIENT_ID, 7), DHCP4_PARSE_NOT_REPLY);
}

/* chaddr bytes beyond hlen do not matter. */
static void test_check_reply_chaddr_padding(void **state) {
        Raw r;
        Dhcp4Message m;

        raw_ack(&r);
        raw_end_pad(&r);
        r.buf[28 + 6] = 0xaa;
        assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_OK);
        assert_int_equal(dhcp4_message_check_reply(&m, XID, MAC, NULL, 0), DHCP4_PARSE_OK);
        r.buf[28] ^= 0x80;
        assert_int_equal(raw_parse(&r, &m), DHCP4_PARSE_OK);
        assert_int_equal(dhcp4_message_check_reply(&m, XID, MAC, NULL, 0), DHCP4_PARSE_CHADDR_MISMATCH);
}

/* ---- builder bounds ---- */

static void test_builder_header_bytes(void **state) {
        uint8_t buf[400];
        Dhcp4Header h = reply_header();
        Dhcp4Builder b;
        size_t len;
        const uint8_t expect[] = {
                2, 1, 6, 0, 0x12, 0x34, 0x56, 0x78, 0, 3, 0x80, 0, /* op..flags */
                0, 0, 0, 0, 10, 0, 0, 42, 10, 0, 0, 1, 10, 0, 9, 1, /* ciaddr..giaddr */
                0x02, 0x00, 0x5e, 0x10, 0x20, 0x30,                 /* chaddr */
        };

        memset(buf, 0xee, sizeof(buf));
        assert_int_equal(dhcp4_builder_init(&b, buf, sizeof(buf), &h), 0);
        assert_int_equal(b.len, 240);
        assert_memory_equal(buf, expect, sizeof(expect));
        for (size_t i = sizeof(expect); i < 236; i++)
                assert_int_equal(buf[i], 0);
        assert_memory_equal(buf + 236, ((uint8_t[]) { 0x63, 0x82, 0x53, 0x63 }), 4);

        assert_int_equal(dhcp4_builder_add_u8(&b, DHCP4_OPTION_MESSAGE_TYPE, DHCP4_REQUEST), 0);
        assert_int_equal(dhcp4_builder_add_u16(&b, DHCP4_OPTION_MAX_MESSAGE_SIZE, 0x0240), 0);
        assert_int_equal(dhcp4_builder_add_u32(&b, DHCP4_OPTION_LEASE_TIME, 0x01020304), 0);
        assert_int_equal(dhcp4_builder_add_addr(&b, DHCP4_OPTION_SERVER_ID, A("192.0.2.1")), 0);
        assert_int_equal(dhcp4_builder_add(&b, 80, NULL, 0), 0); /* zero-length option */
        assert_memory_equal(buf + 240,
                            ((uint8_t[]) { 53, 1, 3, 57, 2, 0x02, 0x40, 51, 4, 1, 2, 3, 4, 54, 4, 192, 0, 2, 1, 80,
                                           0 }),
                            21);
        assert_int_equal(dhcp4_builder_finish(&b, &len), 300);
        assert_int_equal(len, 300);
        assert_int_equal(buf[261], 255);
        for (size_t i = 262; i < 300; i++)
                assert_int_equal(buf[i], 0);
        assert_int_equal(buf[300], 0xee); /* nothing written past the padded length */
}

static void test_builder_padding(void **state) {
        uint8_t buf[DHCP4_MAX_SEND_LEN], big[200];
        Dhcp4Header h = reply_header();
        Dhcp4Builder b;
        size_t len;

        /* Options already beyond 300: no padding, END is last. */
        memset(big, 'x', sizeof(big));
        assert_int_equal(dhcp4_builder_init(&b, buf, sizeof(buf), &h), 0);
        assert_int_equal(dhcp4_builder_add(&b, 224, big, sizeof(big)), 0);
        assert_int_equal(dhcp4_builder_finish(&b, &len), 240 + 202 + 1);
        assert_int_equal(buf[len - 1], 255);

        /* Finishing at exactly 299 + END = 300. */
        assert_int_equal(dhcp4_builder_init(&b, buf, sizeof(buf), &h), 0);
        assert_int_equal(dhcp4_builder_add(&b, 224, big, 57), 0);
        assert_int_equal(b.len, 299);
        assert_int_equal(dhcp4_builder_finish(&b, &len), 300);
        assert_int_equal(buf[299], 255);
}

static void test_builder_enobufs(void **state) {
        uint8_t buf[320], snapshot[320], data[100];
        Dhcp4Header h = reply_header();
        Dhcp4Builder b;
        size_t len = 12345, before;

        memset(data, 'y', sizeof(data));

        /* Header does not fit. */
        assert_int_equal(dhcp4_builder_init(&b, buf, 240, &h), -ENOBUFS);
        assert_int_equal(dhcp4_builder_init(&b, buf, 100, &h), -ENOBUFS);

        /* Fill to the brim: 320 - 240 = 80 bytes; one is reserved for END. */
        memset(buf, 0xee, sizeof(buf));
        assert_int_equal(dhcp4_builder_init(&b, buf, sizeof(buf), &h), 0);
        assert_int_equal(dhcp4_builder_add(&b, 224, data, 60), 0); /* 62 bytes, 302 */
        before = b.len;
        memcpy(snapshot, buf, sizeof(buf));
        assert_int_equal(dhcp4_builder_add(&b, 225, data, 17), -ENOBUFS); /* needs 19 + END > 18 left */
        assert_int_equal(b.len, before);
        assert_memory_equal(buf, snapshot, sizeof(buf)); /* nothing half-written */
        assert_int_equal(dhcp4_builder_add(&b, 225, data, 16), -ENOBUFS); /* 18 + END > 18 */
        assert_int_equal(dhcp4_builder_add(&b, 225, data, 15), 0);        /* 17 bytes: 320 - 1 */
        assert_int_equal(b.len, 319);
        assert_int_equal(dhcp4_builder_add(&b, 226, NULL, 0), -ENOBUFS);
        assert_int_equal(dhcp4_builder_finish(&b, &len), 320);
        assert_int_equal(len, 320);
        assert_int_equal(buf[319], 255);

        /* Split option: the second instance's header must be accounted for. */
        {
                uint8_t big[300], small[600];
                memset(big, 'z', sizeof(big));
                assert_int_equal(dhcp4_builder_init(&b, small, 240 + 300 + 4, &h), 0);
                assert_int_equal(dhcp4_builder_add(&b, 224, big, 300), -ENOBUFS); /* needs 304 + END */
                assert_int_equal(b.len, 240);
                assert_int_equal(dhcp4_builder_init(&b, small, 240 + 300 + 5, &h), 0);
                assert_int_equal(dhcp4_builder_add(&b, 224, big, 300), 0);
                assert_int_equal(b.len, 544);
        }

        /* A buffer too small for the 300-byte minimum cannot finish. */
        len = 12345;
        assert_int_equal(dhcp4_builder_init(&b, buf, 299, &h), 0);
        assert_int_equal(dhcp4_builder_finish(&b, &len), -ENOBUFS);
        assert_int_equal(len, 12345);

        /* Argument errors. */
        assert_int_equal(dhcp4_builder_init(&b, buf, sizeof(buf), &h), 0);
        assert_int_equal(dhcp4_builder_add(&b, DHCP4_OPTION_PAD, data, 1), -EINVAL);
        assert_int_equal(dhcp4_builder_add(&b, DHCP4_OPTION_END, data, 1), -EINVAL);
        assert_int_equal(dhcp4_builder_add(&b, 12, NULL, 3), -EINVAL);
        assert_int_equal(dhcp4_builder_add(&b, 12, data, SIZE_MAX), -ENOBUFS);
        assert_int_equal(dhcp4_builder_init(NULL, buf, sizeof(buf), &h), -EINVAL);
        assert_int_equal(dhcp4_builder_init(&b, buf, sizeof(buf), NULL), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip_all_options),
                cmocka_unit_test(test_round_trip_minimal),
                cmocka_unit_test(test_round_trip_message_types),
                cmocka_unit_test(test_subnet_mask_prefixes),
                cmocka_unit_test(test_parse_literal_offer),
                cmocka_unit_test(test_too_short),
                cmocka_unit_test(test_too_long),
                cmocka_unit_test(test_bad_op),
                cmocka_unit_test(test_bad_htype),
                cmocka_unit_test(test_bad_cookie),
                cmocka_unit_test(test_option_runs_past_area),
                cmocka_unit_test(test_option_type_lengths),
                cmocka_unit_test(test_message_type_length_and_value),
                cmocka_unit_test(test_bad_option_value_netmask),
                cmocka_unit_test(test_bad_option_value_mtu_and_max_size),
                cmocka_unit_test(test_bad_overload_value),
                cmocka_unit_test(test_no_end),
                cmocka_unit_test(test_no_message_type),
                cmocka_unit_test(test_parse_result_strings),
                cmocka_unit_test(test_hostname_domain),
                cmocka_unit_test(test_hostname_too_long),
                cmocka_unit_test(test_domain_long_concatenated),
                cmocka_unit_test(test_message_sanitized),
                cmocka_unit_test(test_sname_file_strings),
                cmocka_unit_test(test_list_extras_dropped),
                cmocka_unit_test(test_params_extras_dropped),
                cmocka_unit_test(test_overload_file),
                cmocka_unit_test(test_overload_sname),
                cmocka_unit_test(test_overload_both),
                cmocka_unit_test(test_overload_without_52_ignores_fields),
                cmocka_unit_test(test_overload_52_inside_field),
                cmocka_unit_test(test_overload_field_bad_length),
                cmocka_unit_test(test_rfc3396_split_in_options),
                cmocka_unit_test(test_rfc3396_across_areas),
                cmocka_unit_test(test_rfc3396_builder_split),
                cmocka_unit_test(test_routes_default),
                cmocka_unit_test(test_routes_host),
                cmocka_unit_test(test_routes_prefix1_and_masking),
                cmocka_unit_test(test_routes_bad_prefix),
                cmocka_unit_test(test_routes_truncated),
                cmocka_unit_test(test_routes_extras_dropped),
                cmocka_unit_test(test_routes_encode),
                cmocka_unit_test(test_check_reply),
                cmocka_unit_test(test_check_reply_chaddr_padding),
                cmocka_unit_test(test_builder_header_bytes),
                cmocka_unit_test(test_builder_padding),
                cmocka_unit_test(test_builder_enobufs),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
