/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * IPv4 + UDP framing for the raw (AF_PACKET, SOCK_DGRAM) socket: wrap a DHCP payload
 * in IP/UDP headers with checksums, and unwrap/verify a received IP datagram.
 * Pure: no sockets. The socket edge (dhcp4-socket) calls these.
 */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DHCP4_IP_UDP_OVERHEAD 28

typedef enum Dhcp4PacketResult {
        DHCP4_PACKET_OK = 0,
        DHCP4_PACKET_TOO_SHORT,
        DHCP4_PACKET_NOT_IPV4,      /* version != 4 or IHL < 5 */
        DHCP4_PACKET_BAD_LENGTH,    /* ip tot_len / udp len inconsistent with buffer */
        DHCP4_PACKET_FRAGMENT,      /* MF set or offset != 0 */
        DHCP4_PACKET_NOT_UDP,
        DHCP4_PACKET_WRONG_PORT,    /* dport != 68 */
        DHCP4_PACKET_BAD_IP_CHECKSUM,
        DHCP4_PACKET_BAD_UDP_CHECKSUM,
        _DHCP4_PACKET_MAX,
} Dhcp4PacketResult;

const char *dhcp4_packet_result_to_string(Dhcp4PacketResult r);

/* Internet checksum (RFC 1071) over buf, folded, not complemented, seeded with sum. */
uint32_t dhcp4_packet_checksum_partial(uint32_t sum, const void *buf, size_t len);
uint16_t dhcp4_packet_checksum_fold(uint32_t sum);

/* Writes IPv4 (TTL 64, TOS CS6, DF clear, id 0) + UDP header + payload into buf.
 * Returns 0 and the total length, or -ENOBUFS. */
int dhcp4_packet_build(uint8_t *buf, size_t size, size_t *ret_len, struct in_addr src, struct in_addr dst,
                       uint16_t sport, uint16_t dport, const uint8_t *payload, size_t payload_len);

/* Validates an IPv4/UDP datagram addressed to dport and returns its payload.
 * When checksum_ready is false (the kernel reported TP_STATUS_CSUMNOTREADY: checksum
 * offload, e.g. veth), the UDP checksum is not verified; the IP header checksum
 * always is. A zero UDP checksum means "none" (RFC 768). */
Dhcp4PacketResult dhcp4_packet_parse(const uint8_t *buf, size_t len, bool checksum_ready, uint16_t dport,
                                     const uint8_t **ret_payload, size_t *ret_payload_len,
                                     struct in_addr *ret_src);
