/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for IPv4/UDP framing (dhcp4-packet): RFC 1071 checksum vectors, build/
 * parse round trips, IP options, and one test per Dhcp4PacketResult. Datagrams are
 * mutated byte by byte and, where a test targets a later check, the IP header
 * checksum is recomputed so only the intended check can fail.
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "dhcp4-packet.h"
#include "dhcp4-protocol.h"

static struct in_addr A(const char *s) {
        struct in_addr a;
        assert_int_equal(inet_pton(AF_INET, s, &a), 1);
        return a;
}

static void fix_ip_checksum(uint8_t *ip) {
        size_t ihl = (size_t) (ip[0] & 0x0f) * 4;
        uint16_t c;

        ip[10] = ip[11] = 0;
        c = dhcp4_packet_checksum_fold(dhcp4_packet_checksum_partial(0, ip, ihl));
        ip[10] = (uint8_t) (c >> 8);
        ip[11] = (uint8_t) c;
}

/* Builds a server → client datagram with a recognisable payload. */
static size_t build_reply(uint8_t *buf, size_t size, uint8_t *payload, size_t payload_len) {
        size_t len = 0;

        for (size_t i = 0; i < payload_len; i++)
                payload[i] = (uint8_t) (i * 7 + 1);
        assert_int_equal(dhcp4_packet_build(buf, size, &len, A("10.0.0.1"), A("255.255.255.255"),
                                            DHCP4_SERVER_PORT, DHCP4_CLIENT_PORT, payload, payload_len),
                         0);
        assert_int_equal(len, DHCP4_IP_UDP_OVERHEAD + payload_len);
        return len;
}

static Dhcp4PacketResult parse(const uint8_t *buf, size_t len, bool ready) {
        return dhcp4_packet_parse(buf, len, ready, DHCP4_CLIENT_PORT, NULL, NULL, NULL);
}

/* RFC 1071 §3 worked example: words 0001 f203 f4f5 f6f7 sum to ddf2 (folded). */
static void test_checksum_rfc1071_vector(void **state) {
        const uint8_t d[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

        assert_int_equal(dhcp4_packet_checksum_partial(0, d, sizeof(d)), 0xddf2);
        assert_int_equal(dhcp4_packet_checksum_fold(dhcp4_packet_checksum_partial(0, d, sizeof(d))), 0x220d);
        /* Chaining in even-sized pieces gives the same sum. */
        assert_int_equal(dhcp4_packet_checksum_partial(dhcp4_packet_checksum_partial(0, d, 2), d + 2, 6), 0xddf2);
        /* Odd length: the last byte is the high half of a zero-padded word. */
        assert_int_equal(dhcp4_packet_checksum_partial(0, (const uint8_t[]) { 0x12, 0x34, 0x56 }, 3),
                         0x1234 + 0x5600);
        assert_int_equal(dhcp4_packet_checksum_partial(0, d, 0), 0);
}

/* A well-known captured IPv4 header whose checksum field is b861. */
static void test_checksum_known_header(void **state) {
        uint8_t h[] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                        0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };

        assert_int_equal(dhcp4_packet_checksum_fold(dhcp4_packet_checksum_partial(0, h, sizeof(h))), 0);
        h[10] = h[11] = 0;
        assert_int_equal(dhcp4_packet_checksum_fold(dhcp4_packet_checksum_partial(0, h, sizeof(h))), 0xb861);
}

static void test_build_layout(void **state) {
        uint8_t buf[400], payload[300];
        size_t len = build_reply(buf, sizeof(buf), payload, sizeof(payload));

        assert_int_equal(len, 328);
        assert_int_equal(buf[0], 0x45);
        assert_int_equal(buf[1], 0xc0);                    /* TOS CS6 */
        assert_int_equal(buf[2] << 8 | buf[3], 328);       /* tot_len */
        assert_int_equal(buf[4] << 8 | buf[5], 0);         /* id */
        assert_int_equal(buf[6] << 8 | buf[7], 0);         /* flags/frag: DF clear */
        assert_int_equal(buf[8], 64);                      /* TTL */
        assert_int_equal(buf[9], 17);                      /* UDP */
        assert_memory_equal(buf + 12, ((uint8_t[]) { 10, 0, 0, 1 }), 4);
        assert_memory_equal(buf + 16, ((uint8_t[]) { 255, 255, 255, 255 }), 4);
        assert_int_equal(buf[20] << 8 | buf[21], 67);
        assert_int_equal(buf[22] << 8 | buf[23], 68);
        assert_int_equal(buf[24] << 8 | buf[25], 308);     /* udp len */
        assert_true((buf[26] << 8 | buf[27]) != 0);        /* checksum present */
        assert_memory_equal(buf + 28, payload, sizeof(payload));
        assert_int_equal(dhcp4_packet_checksum_fold(dhcp4_packet_checksum_partial(0, buf, 20)), 0);
}

static void test_round_trip(void **state) {
        uint8_t buf[2048], payload[548];
        const uint8_t *p = NULL;
        size_t plen = 0;
        struct in_addr src = {};

        for (size_t n = 0; n <= sizeof(payload); n += 137) {
                size_t len = build_reply(buf, sizeof(buf), payload, n);

                assert_int_equal(dhcp4_packet_parse(buf, len, true, DHCP4_CLIENT_PORT, &p, &plen, &src),
                                 DHCP4_PACKET_OK);
                assert_ptr_equal(p, buf + 28);
                assert_int_equal(plen, n);
                assert_memory_equal(p, payload, n);
                assert_int_equal(src.s_addr, A("10.0.0.1").s_addr);
        }

        /* Odd payload length exercises the checksum's padding byte. */
        {
                size_t len = build_reply(buf, sizeof(buf), payload, 301);
                assert_int_equal(parse(buf, len, true), DHCP4_PACKET_OK);
        }
}

static void test_build_in_place(void **state) {
        uint8_t buf[400], copy[300];
        const uint8_t *p;
        size_t len, plen;

        for (size_t i = 0; i < sizeof(copy); i++)
                copy[i] = buf[28 + i] = (uint8_t) (i ^ 0x5a);
        assert_int_equal(dhcp4_packet_build(buf, sizeof(buf), &len, A("0.0.0.0"), A("255.255.255.255"),
                                            DHCP4_CLIENT_PORT, DHCP4_SERVER_PORT, buf + 28, sizeof(copy)),
                         0);
        assert_int_equal(dhcp4_packet_parse(buf, len, true, DHCP4_SERVER_PORT, &p, &plen, NULL), DHCP4_PACKET_OK);
        assert_int_equal(plen, sizeof(copy));
        assert_memory_equal(p, copy, sizeof(copy));
}

static void test_build_errors(void **state) {
        uint8_t buf[100], payload[100] = {};
        size_t len = 4242;

        assert_int_equal(dhcp4_packet_build(buf, sizeof(buf), &len, A("1.2.3.4"), A("5.6.7.8"), 1, 2, payload,
                                            sizeof(buf) - 27),
                         -ENOBUFS);
        assert_int_equal(len, 4242);
        assert_int_equal(dhcp4_packet_build(buf, sizeof(buf), &len, A("1.2.3.4"), A("5.6.7.8"), 1, 2, payload,
                                            sizeof(buf) - 28),
                         0);
        assert_int_equal(len, sizeof(buf));
        assert_int_equal(dhcp4_packet_build(buf, 27, &len, A("1.2.3.4"), A("5.6.7.8"), 1, 2, NULL, 0), -ENOBUFS);
        assert_int_equal(dhcp4_packet_build(buf, 28, &len, A("1.2.3.4"), A("5.6.7.8"), 1, 2, NULL, 0), 0);
        assert_int_equal(len, 28);
        assert_int_equal(dhcp4_packet_build(buf, sizeof(buf), &len, A("1.2.3.4"), A("5.6.7.8"), 1, 2, NULL, 5),
                         -EINVAL);
        assert_int_equal(dhcp4_packet_build(buf, sizeof(buf), &len, A("1.2.3.4"), A("5.6.7.8"), 1, 2, payload,
                                            65536),
                         -ENOBUFS);
}

/* A computed checksum of zero is sent as 0xffff (RFC 768). The payload is tuned so
 * the one's complement sum comes out as exactly 0xffff. */
static void test_udp_checksum_zero_sent_as_ffff(void **state) {
        uint8_t buf[400], payload[300];
        size_t len = build_reply(buf, sizeof(buf), payload, sizeof(payload));
        uint16_t c = (uint16_t) (buf[26] << 8 | buf[27]);
        uint32_t w = (uint32_t) (payload[0] << 8 | payload[1]) + c;

        w = (w & 0xffff) + (w >> 16);
        payload[0] = (uint8_t) (w >> 8);
        payload[1] = (uint8_t) w;
        assert_int_equal(dhcp4_packet_build(buf, sizeof(buf), &len, A("10.0.0.1"), A("255.255.255.255"),
                                            DHCP4_SERVER_PORT, DHCP4_CLIENT_PORT, payload, sizeof(payload)),
                         0);
        assert_int_equal(buf[26], 0xff);
        assert_int_equal(buf[27], 0xff);
        assert_int_equal(parse(buf, len, true), DHCP4_PACKET_OK);
}

static void test_ip_options_skipped(void **state) {
        uint8_t buf[400], tmp[400], payload[50];
        const uint8_t *p;
        size_t len = build_reply(tmp, sizeof(tmp), payload, sizeof(payload)), plen;

        /* Insert 8 bytes of IP options (NOPs + EOL): IHL 7. */
        memcpy(buf, tmp, 20);
        memset(buf + 20, 0x01, 7);
        buf[27] = 0x00;
        memcpy(buf + 28, tmp + 20, len - 20);
        buf[0] = 0x47;
        buf[2] = (uint8_t) ((len + 8) >> 8);
        buf[3] = (uint8_t) (len + 8);
        fix_ip_checksum(buf);

        assert_int_equal(dhcp4_packet_parse(buf, len + 8, true, DHCP4_CLIENT_PORT, &p, &plen, NULL),
                         DHCP4_PACKET_OK);
        assert_ptr_equal(p, buf + 36);
        assert_int_equal(plen, sizeof(payload));
        assert_memory_equal(p, payload, sizeof(payload));

        /* The options are covered by the header checksum. */
        buf[21] ^= 0xff;
        assert_int_equal(parse(buf, len + 8, true), DHCP4_PACKET_BAD_IP_CHECKSUM);
}

static void test_trailing_link_padding(void **state) {
        uint8_t buf[400], payload[10];
        const uint8_t *p;
        size_t len = build_reply(buf, sizeof(buf), payload, sizeof(payload)), plen;

        /* Ethernet pads short frames; bytes beyond tot_len are not payload. */
        memset(buf + len, 0xaa, 20);
        assert_int_equal(dhcp4_packet_parse(buf, len + 20, true, DHCP4_CLIENT_PORT, &p, &plen, NULL),
                         DHCP4_PACKET_OK);
        assert_int_equal(plen, sizeof(payload));
}

static void test_too_short(void **state) {
        uint8_t buf[400], payload[10];
        size_t len = build_reply(buf, sizeof(buf), payload, sizeof(payload));

        assert_int_equal(parse(buf, 0, true), DHCP4_PACKET_TOO_SHORT);
        assert_int_equal(parse(buf, 19, true), DHCP4_PACKET_TOO_SHORT);
        assert_int_equal(parse(NULL, 100, true), DHCP4_PACKET_TOO_SHORT);

        /* IHL 15 (60 bytes) in a 40-byte buffer. */
        buf[0] = 0x4f;
        assert_int_equal(parse(buf, 40, true), DHCP4_PACKET_TOO_SHORT);

        /* Valid IP header, tot_len leaves no room for a UDP header. */
        len = build_reply(buf, sizeof(buf), payload, sizeof(payload));
        buf[2] = 0;
        buf[3] = 24;
        fix_ip_checksum(buf);
        assert_int_equal(parse(buf, len, true), DHCP4_PACKET_TOO_SHORT);
}

static void test_not_ipv4(void **state) {
        uint8_t buf[400], payload[10];
        size_t len = build_reply(buf, sizeof(buf), payload, sizeof(payload));

        buf[0] = 0x65; /* version 6 */
        assert_int_equal(parse(buf, len, true), DHCP4_PACKET_NOT_IPV4);
        buf[0] = 0x44; /* IHL 4 */
        assert_int_equal(parse(buf, len, true), DHCP4_PACKET_NOT_IPV4);
        buf[0] = 0x40; /* IHL 0 */
        assert_int_equal(parse(buf, len, true), DHCP4_PACKET_NOT_IPV4);
}

static void test_bad_length(void **state) {
        uint8_t buf[400], payload[10];
        size_t len = build_reply(buf, sizeof(buf), payload, sizeof(payload));

        /* Truncated capture: tot_len claims more than we have. */
        assert_int_equal(parse(buf, len - 1, true), DHCP4_PACKET_BAD_LENGTH);

        /* tot_len below the header length. */
        buf[2] = 0;
        buf[3] = 19;
        fix_ip_checksum(buf);
        assert_int_equal(parse(buf, len, true), DHCP4_PACKET_BAD_LENGTH);

        /* UDP length larger than the IP payload. */
        len = build_reply(buf, sizeof(buf), payload, sizeof(payload));
        buf[25] = (uint8_t) (len - 20 + 1);
        assert_int_equal(parse(buf, len, false), DHCP4_PACKET_BAD_LENGTH);

        /* UDP length below its own header. */
        buf[24] = 0;
        buf[25] = 7;
        assert_int_equal(parse(buf, len, false), DHCP4_PACKET_BAD_LENGTH);
}

static void test_udp_len_shorter_than_ip(void **state) {
        uint8_t buf[400], payload[10];
        const uint8_t *p;
        size_t len = build_reply(buf, sizeof(buf), payload, sizeof(payload)), plen;

        /* UDP says 4 payload bytes, IP carries 10: the payload is what UDP says. With
         * the checksum field zeroed there is nothing to recompute. */
        buf[24] = 0;
        buf[25] = 12;
        buf[26] = buf[27] = 0;
        assert_int_equal(dhcp4_packet_parse(buf, len, true, DHCP4_CLIENT_PORT, &p, &plen, NULL), DHCP4_PACKET_OK);
        assert_int_equal(plen, 4);
}

static void test_fragment(void **state) {
        uint8_t buf[400], payload[10];
        size_t len = build_reply(buf, sizeof(buf), payload, sizeof(payload));

        buf[6] = 0x20; /* MF */
        fix_ip_checksum(buf);
        assert_int_equal(parse(buf, len, true), DHCP4_PACKET_FRAGMENT);

        buf[6] = 0x00;
        buf[7] = 0x01; /* offset 8 */
        fix_ip_checksum(buf);
        assert_int_equal(parse(buf, len, true), DHCP4_PACKET_FRAGMENT);

        buf[6] = 0x10; /* offset high bits */
        buf[7] = 0x00;
        fix_ip_checksum(buf);
        assert_int_equal(parse(buf, len, true), DHCP4_PACKET_FRAGMENT);

        /* DF alone is fine. */
        buf[6] = 0x40;
        fix_ip_checksum(buf);
        assert_int_equal(parse(buf, len, true), DHCP4_PACKET_OK);
}

static void test_not_udp(void **state) {
        uint8_t buf[400], payload[10];
        size_t len = build_reply(buf, sizeof(buf), payload, sizeof(payload));

        buf[9] = 6; /* TCP */
        fix_ip_checksum(buf);
        assert_int_equal(parse(buf, len, true), DHCP4_PACKET_NOT_UDP);
}

static void test_wrong_port(void **state) {
        uint8_t buf[400], payload[10];
        size_t len = build_reply(buf, sizeof(buf), payload, sizeof(payload));

        assert_int_equal(dhcp4_packet_parse(buf, len, true, DHCP4_SERVER_PORT, NULL, NULL, NULL),
                         DHCP4_PACKET_WRONG_PORT);
        /* Source port is not checked; only the destination. */
        buf[20] = 0x12;
        assert_int_equal(parse(buf, len, false), DHCP4_PACKET_OK);
        buf[23] = 69;
        assert_int_equal(parse(buf, len, false), DHCP4_PACKET_WRONG_PORT);
}

static void test_bad_ip_checksum(void **state) {
        uint8_t buf[400], payload[10];
        size_t len = build_reply(buf, sizeof(buf), payload, sizeof(payload));

        for (size_t i = 0; i < 20; i++) {
                uint8_t save = buf[i];

                if (i == 0)
                        continue; /* version/IHL are checked before the checksum */
                buf[i] ^= 0x04;
                assert_int_equal(parse(buf, len, false), DHCP4_PACKET_BAD_IP_CHECKSUM);
                buf[i] = save;
        }
        assert_int_equal(parse(buf, len, true), DHCP4_PACKET_OK);
}

static void test_bad_udp_checksum(void **state) {
        uint8_t buf[400], payload[10];
        const uint8_t *p = (const uint8_t *) 1;
        size_t len = build_reply(buf, sizeof(buf), payload, sizeof(payload)), plen = 99;
        struct in_addr src = { 7 };

        buf[len - 1] ^= 0x01; /* payload byte */
        assert_int_equal(dhcp4_packet_parse(buf, len, true, DHCP4_CLIENT_PORT, &p, &plen, &src),
                         DHCP4_PACKET_BAD_UDP_CHECKSUM);
        /* Outputs untouched on failure. */
        assert_ptr_equal(p, (const uint8_t *) 1);
        assert_int_equal(plen, 99);
        assert_int_equal(src.s_addr, 7);

        /* Pseudo-header fields are covered: change the source address (and fix the IP
         * header checksum so only the UDP checksum can fail). */
        len = build_reply(buf, sizeof(buf), payload, sizeof(payload));
        buf[15] ^= 0x01;
        fix_ip_checksum(buf);
        assert_int_equal(parse(buf, len, true), DHCP4_PACKET_BAD_UDP_CHECKSUM);
}

/* TP_STATUS_CSUMNOTREADY (veth offload): UDP checksum not verified, IP still is. */
static void test_checksum_not_ready(void **state) {
        uint8_t buf[400], payload[10];
        size_t len = build_reply(buf, sizeof(buf), payload, sizeof(payload));

        buf[26] ^= 0x5a;
        assert_int_equal(parse(buf, len, true), DHCP4_PACKET_BAD_UDP_CHECKSUM);
        assert_int_equal(parse(buf, len, false), DHCP4_PACKET_OK);
        buf[10] ^= 0x01;
        assert_int_equal(parse(buf, len, false), DHCP4_PACKET_BAD_IP_CHECKSUM);
}

static void test_udp_checksum_zero_accepted(void **state) {
        uint8_t buf[400], payload[10];
        size_t len = build_reply(buf, sizeof(buf), payload, sizeof(payload));

        buf[26] = buf[27] = 0;
        buf[len - 1] ^= 0xff; /* would fail a real checksum */
        assert_int_equal(parse(buf, len, true), DHCP4_PACKET_OK);
}

static void test_result_strings(void **state) {
        for (int i = 0; i < _DHCP4_PACKET_MAX; i++)
                assert_non_null(dhcp4_packet_result_to_string(i));
        assert_null(dhcp4_packet_result_to_string(_DHCP4_PACKET_MAX));
        assert_string_equal(dhcp4_packet_result_to_string(DHCP4_PACKET_WRONG_PORT), "wrong-port");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_checksum_rfc1071_vector),
                cmocka_unit_test(test_checksum_known_header),
                cmocka_unit_test(test_build_layout),
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_build_in_place),
                cmocka_unit_test(test_build_errors),
                cmocka_unit_test(test_udp_checksum_zero_sent_as_ffff),
                cmocka_unit_test(test_ip_options_skipped),
                cmocka_unit_test(test_trailing_link_padding),
                cmocka_unit_test(test_too_short),
                cmocka_unit_test(test_not_ipv4),
                cmocka_unit_test(test_bad_length),
                cmocka_unit_test(test_udp_len_shorter_than_ip),
                cmocka_unit_test(test_fragment),
                cmocka_unit_test(test_not_udp),
                cmocka_unit_test(test_wrong_port),
                cmocka_unit_test(test_bad_ip_checksum),
                cmocka_unit_test(test_bad_udp_checksum),
                cmocka_unit_test(test_checksum_not_ready),
                cmocka_unit_test(test_udp_checksum_zero_accepted),
                cmocka_unit_test(test_result_strings),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
