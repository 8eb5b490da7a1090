/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Socket edge of the DHCPv4 client: the AF_PACKET socket (with a classic BPF filter)
 * used while the client has no usable address (INIT .. REBINDING, DECLINE), and the
 * UDP socket bound to the leased address used for unicast RENEW and RELEASE.
 *
 * This module opens, reads and writes fds; it does not decide what to send or when
 * (that is dhcp4-engine) and does not parse DHCP options (dhcp4-message). Every fd
 * it returns is O_CLOEXEC|O_NONBLOCK and owned by the caller.
 */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dhcp4-packet.h"

/* Largest IP datagram we accept on the raw socket: IP + UDP headers + the largest DHCP
 * message we parse. Callers size their receive buffer with this. */
#define DHCP4_SOCKET_RAW_BUFFER_SIZE (DHCP4_IP_UDP_OVERHEAD + 60 /* IP options */ + DHCP4_MAX_MESSAGE_LEN)

/* IP_TOS for everything we send: CS6, "network control" (RFC 4594 §3.2). */
#define DHCP4_SOCKET_TOS 0xc0

/* Opens an AF_PACKET/SOCK_DGRAM socket on ifindex that only ever sees unfragmented
 * IPv4/UDP datagrams to port 68 carrying a BOOTREPLY with the DHCP magic cookie (the
 * filter runs in the kernel; see docs/netlink.md for the annotated program).
 * PACKET_AUXDATA is enabled so recv can tell whether the checksum can be verified.
 * The filter is attached before the socket is bound to a protocol, so no packet that
 * bypassed it can be queued. Returns 0 and *ret_fd, or -errno. */
int dhcp4_socket_open_raw(int ifindex, int *ret_fd);

/* Where a received datagram came from, for the log line of a rejection and for the
 * RELEASE (sent to the link-layer source of the last ACK). Filled in whenever the
 * datagram was read, accepted or not, as far as it could be decoded. */
typedef struct Dhcp4SocketPeer {
        bool has_address;
        struct in_addr address; /* IPv4 source */
        bool has_mac;
        uint8_t mac[6];         /* link-layer source (packet socket only) */
} Dhcp4SocketPeer;

/* Reads one datagram from a raw socket into buf (size should be
 * DHCP4_SOCKET_RAW_BUFFER_SIZE) and unwraps IP/UDP with dhcp4_packet_parse() for
 * destination port 68. On 0, *ret_payload points into buf at the DHCP message and
 * *ret_payload_len is its length. ret_peer (may be NULL) gets the source.
 * Returns:
 *   0                      a datagram was accepted;
 *   > 0 (Dhcp4PacketResult) the datagram was read and rejected (a truncated, i.e.
 *                          oversized, datagram is DHCP4_PACKET_BAD_LENGTH); call again;
 *   -EAGAIN                nothing (more) to read;
 *   other -errno           socket error. */
int dhcp4_socket_recv_raw(int fd, uint8_t *buf, size_t size, const uint8_t **ret_payload,
                          size_t *ret_payload_len, Dhcp4SocketPeer *ret_peer);

/* Wraps payload in IPv4/UDP (src:68 -> 255.255.255.255:67, checksums filled in) and
 * sends it on ifindex to the Ethernet broadcast address. src is 0.0.0.0 before an
 * address is configured (RFC 2131 §4.1). Returns 0, -EMSGSIZE if payload is longer
 * than DHCP4_MAX_MESSAGE_LEN, or -errno from sendto (-EAGAIN when the queue is full). */
int dhcp4_socket_send_raw(int fd, int ifindex, const uint8_t *payload, size_t len, struct in_addr src);
/* The same as a link-layer unicast: src:68 -> dst:67 in a frame to dst_mac. For the
 * RELEASE, which must reach the server even while the kernel has no neighbour entry
 * for it (the address goes right after; a datagram waiting for ARP would be lost). */
int dhcp4_socket_send_raw_to(int fd, int ifindex, const uint8_t dst_mac[6], const uint8_t *payload, size_t len,
                             struct in_addr src, struct in_addr dst);

/* Opens a UDP socket bound to address:68 and to the interface (SO_BINDTOIFINDEX, or
 * SO_BINDTODEVICE ifname on kernels without it), SO_REUSEADDR, IP_TOS CS6.
 * Returns -EADDRNOTAVAIL while address is not configured on the interface. */
int dhcp4_socket_open_udp(int ifindex, const char *ifname, struct in_addr address, int *ret_fd);

/* Sends payload to dst:67. Returns 0 or -errno (-EAGAIN when the queue is full). */
int dhcp4_socket_send_udp(int fd, struct in_addr dst, const uint8_t *payload, size_t len);

/* Reads one datagram. Returns 0 and *ret_len (the DHCP message is buf[0..len)),
 * DHCP4_PACKET_BAD_LENGTH if it was longer than size, DHCP4_PACKET_WRONG_PORT if it did
 * not come from port 67, -EAGAIN when nothing is queued, or -errno. */
int dhcp4_socket_recv_udp(int fd, uint8_t *buf, size_t size, size_t *ret_len, Dhcp4SocketPeer *ret_peer);
