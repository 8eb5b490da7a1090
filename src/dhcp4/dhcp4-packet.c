/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * IPv4 + UDP framing for DHCP over a raw (AF_PACKET, SOCK_DGRAM) socket: build a
 * datagram with correct IP header and UDP checksums, and validate a received one
 * down to its UDP payload. Pure: no sockets, no allocation; every header field is
 * checked against the buffer length before it is used. It is not the DHCP codec
 * (dhcp4-message) and not the socket or BPF filter (dhcp4-socket); the BPF filter
 * is only a fast path, so every check it makes is repeated here.
 *
 * Checks are ordered so that each one only reads fields the previous ones proved
 * present and trustworthy: version/IHL, header in the buffer, header checksum, total
 * length, fragmentation, protocol, UDP length, port, UDP checksum.
 */

#include <errno.h>
#include <string.h>

#include "dhcp4-packet.h"
#include "string-table.h"
#include "unaligned.h"

#define IPV4_MIN_HEADER_LEN 20
#define UDP_HEADER_LEN 8
#define IPPROTO_UDP_NUMBER 17
#define IPV4_TOS_CS6 0xc0 /* RFC 4594: network control, as other DHCP clients use */
#define IPV4_DEFAULT_TTL 64
#define IPV4_FLAG_MF 0x2000
#define IPV4_FRAG_OFFSET_MASK 0x1fff

static const char *const dhcp4_packet_result_table[_DHCP4_PACKET_MAX] = {
        [DHCP4_PACKET_OK] = "ok",
        [DHCP4_PACKET_TOO_SHORT] = "too-short",
        [DHCP4_PACKET_NOT_IPV4] = "not-ipv4",
        [DHCP4_PACKET_BAD_LENGTH] = "bad-length",
        [DHCP4_PACKET_FRAGMENT] = "fragment",
        [DHCP4_PACKET_NOT_UDP] = "not-udp",
        [DHCP4_PACKET_WRONG_PORT] = "wrong-port",
        [DHCP4_PACKET_BAD_IP_CHECKSUM] = "bad-ip-checksum",
        [DHCP4_PACKET_BAD_UDP_CHECKSUM] = "bad-udp-checksum",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(dhcp4_packet_result, Dhcp4PacketResult)

/* RFC 1071: one's complement sum of big-endian 16-bit words. The result is folded
 * back to 16 bits so calls can be chained without overflow; only the last buffer of
 * a chain may have odd length (its final byte is padded with zero). */
uint32_t dhcp4_packet_checksum_partial(uint32_t sum, const void *buf, size_t len) {
        const uint8_t *p = buf;
        uint64_t s = sum;
        size_t i;

        for (i = 0; i + 1 < len; i += 2)
                s += unaligned_read_be16(p + i);
        if (i < len)
                s += (uint32_t) p[i] << 8;

        while (s >> 16)
                s = (s & 0xffff) + (s >> 16);
        return (uint32_t) s;
}

/* Folds and complements: the value to store in a checksum field (host order), or 0
 * when verifying a buffer that includes a correct checksum. */
uint16_t dhcp4_packet_checksum_fold(uint32_t sum) {
        uint64_t s = sum;

        while (s >> 16)
                s = (s & 0xffff) + (s >> 16);
        return (uint16_t) ~s;
}

/* RFC 768: the UDP checksum covers a pseudo header of source, destination, zero,
 * protocol and UDP length, then the UDP header and data. */
static uint32_t udp_pseudo_header_sum(const uint8_t src[4], const uint8_t dst[4], uint16_t udp_len) {
        uint8_t ph[12];

        memcpy(ph, src, 4);
        memcpy(ph + 4, dst, 4);
        ph[8] = 0;
        ph[9] = IPPROTO_UDP_NUMBER;
        unaligned_write_be16(ph + 10, udp_len);
        return dhcp4_packet_checksum_partial(0, ph, sizeof(ph));
}

int dhcp4_packet_build(uint8_t *buf, size_t size, size_t *ret_len, struct in_addr src, struct in_addr dst,
                       uint16_t sport, uint16_t dport, const uint8_t *payload, size_t payload_len) {
        uint8_t *ip = buf, *udp = buf + IPV4_MIN_HEADER_LEN;
        size_t total;
        uint16_t csum;

        if (!buf || !ret_len || (!payload && payload_len > 0))
                return -EINVAL;
        if (payload_len > UINT16_MAX - DHCP4_IP_UDP_OVERHEAD)
                return -ENOBUFS;
        total = DHCP4_IP_UDP_OVERHEAD + payload_len;
        if (total > size)
                return -ENOBUFS;

        /* The payload may already sit at buf + 28 (callers building in place), or
         * anywhere else: memmove handles both. */
        if (payload_len > 0)
                memmove(buf + DHCP4_IP_UDP_OVERHEAD, payload, payload_len);

        ip[0] = 0x45; /* version 4, IHL 5 */
        ip[1] = IPV4_TOS_CS6;
        unaligned_write_be16(ip + 2, (uint16_t) total);
        unaligned_write_be16(ip + 4, 0); /* id */
        unaligned_write_be16(ip + 6, 0); /* no DF, no fragment */
        ip[8] = IPV4_DEFAULT_TTL;
        ip[9] = IPPROTO_UDP_NUMBER;
        unaligned_write_be16(ip + 10, 0);
        memcpy(ip + 12, &src.s_addr, 4);
        memcpy(ip + 16, &dst.s_addr, 4);
        unaligned_write_be16(ip + 10, dhcp4_packet_checksum_fold(dhcp4_packet_checksum_partial(0, ip, IPV4_MIN_HEADER_LEN)));

        unaligned_write_be16(udp, sport);
        unaligned_write_be16(udp + 2, dport);
        unaligned_write_be16(udp + 4, (uint16_t) (UDP_HEADER_LEN + payload_len));
        unaligned_write_be16(udp + 6, 0);
        csum = dhcp4_packet_checksum_fold(dhcp4_packet_checksum_partial(
                udp_pseudo_header_sum(ip + 12, ip + 16, (uint16_t) (UDP_HEADER_LEN + payload_len)), udp,
                UDP_HEADER_LEN + payload_len));
        /* RFC 768: a computed zero is sent as all ones; zero means "no checksum". */
        unaligned_write_be16(udp + 6, csum == 0 ? 0xffff : csum);

        *ret_len = total;
        return 0;
}

Dhcp4PacketResult dhcp4_packet_parse(const uint8_t *buf, size_t len, bool checksum_ready, uint16_t dport,
                                     const uint8_t **ret_payload, size_t *ret_payload_len,
                                     struct in_addr *ret_src) {
        const uint8_t *udp;
        size_t ihl, tot_len, udp_avail, udp_len;
        uint16_t frag;

        if (!buf || len < IPV4_MIN_HEADER_LEN)
                return DHCP4_PACKET_TOO_SHORT;
        if ((buf[0] >> 4) != 4)
                return DHCP4_PACKET_NOT_IPV4;
        ihl = (size_t) (buf[0] & 0x0f) * 4;
        if (ihl < IPV4_MIN_HEADER_LEN)
                return DHCP4_PACKET_NOT_IPV4;
        if (ihl > len)
                return DHCP4_PACKET_TOO_SHORT;

        /* Verified over the whole header including options, before any other field
         * is believed. */
        if (dhcp4_packet_checksum_fold(dhcp4_packet_checksum_partial(0, buf, ihl)) != 0)
                return DHCP4_PACKET_BAD_IP_CHECKSUM;

        /* tot_len may be shorter than the buffer (link-layer padding), never longer. */
        tot_len = unaligned_read_be16(buf + 2);
        if (tot_len < ihl || tot_len > len)
                return DHCP4_PACKET_BAD_LENGTH;

        frag = unaligned_read_be16(buf + 6);
        if ((frag & IPV4_FLAG_MF) || (frag & IPV4_FRAG_OFFSET_MASK))
                return DHCP4_PACKET_FRAGMENT;

        if (buf[9] != IPPROTO_UDP_NUMBER)
                return DHCP4_PACKET_NOT_UDP;

        /* IP options (IHL > 5) are skipped: the UDP header starts after them. */
        udp = buf + ihl;
        udp_avail = tot_len - ihl;
        if (udp_avail < UDP_HEADER_LEN)
                return DHCP4_PACKET_TOO_SHORT;
        udp_len = unaligned_read_be16(udp + 4);
        if (udp_len < UDP_HEADER_LEN || udp_len > udp_avail)
                return DHCP4_PACKET_BAD_LENGTH;

        if (unaligned_read_be16(udp + 2) != dport)
                return DHCP4_PACKET_WRONG_PORT;

        /* With checksum offload (TP_STATUS_CSUMNOTREADY, e.g. veth) the field holds
         * only the pseudo-header sum, so it cannot be verified; zero means the sender
         * did not compute one (RFC 768). */
        if (checksum_ready && unaligned_read_be16(udp + 6) != 0) {
                uint32_t sum = udp_pseudo_header_sum(buf + 12, buf + 16, (uint16_t) udp_len);

                if (dhcp4_packet_checksum_fold(dhcp4_packet_checksum_partial(sum, udp, udp_len)) != 0)
                        return DHCP4_PACKET_BAD_UDP_CHECKSUM;
        }

        if (ret_payload)
                *ret_payload = udp + UDP_HEADER_LEN;
        if (ret_payload_len)
                *ret_payload_len = udp_len - UDP_HEADER_LEN;
        if (ret_src)
                memcpy(&ret_src->s_addr, buf + 12, 4);
        return DHCP4_PACKET_OK;
}
