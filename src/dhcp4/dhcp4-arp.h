/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Socket edge of address conflict detection: an AF_PACKET socket that sees only the
 * ARP packets that can matter to dhcp4-acd (filtered in the kernel with classic BPF),
 * receives them with the Ethernet source of the frame, and broadcasts ARP payloads.
 *
 * Not here: deciding what an ARP packet means or when to send one (dhcp4-acd), nor
 * building payloads (dhcp4_acd_arp_build). Every fd returned is O_CLOEXEC|O_NONBLOCK
 * and owned by the caller.
 */
#pragma once

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

/* An ARP frame on Ethernet carries 28 bytes plus padding up to the 46-byte minimum;
 * anything past 28 is ignored, so a buffer of this size loses nothing. */
#define DHCP4_ARP_BUFFER_SIZE 64

/* Opens an AF_PACKET/SOCK_DGRAM socket for ETH_P_ARP on ifindex, for the address
 * under test addr. The BPF filter lets through only Ethernet/IPv4 ARP (htype 1, ptype
 * 0x0800, hlen 6, plen 4) requests and replies not sent by this host (PACKET_OUTGOING
 * is dropped) whose sender IP is addr, or whose sender IP is 0.0.0.0 and target IP is
 * addr (probes) — exactly the packets that can conflict (RFC 5227 §2.1.1, §2.4), so
 * ARP chatter on a busy segment wakes nobody. Open a new socket when the address
 * changes. The filter is attached before the socket is bound to ETH_P_ARP, so no
 * unfiltered packet is queued. Returns 0 and *ret_fd, or -errno (-EINVAL for
 * ifindex <= 0 or addr 0.0.0.0). */
int dhcp4_arp_open(int ifindex, struct in_addr addr, int *ret_fd);

enum {
        DHCP4_ARP_RECV_NO_SOURCE = 1, /* the frame had no 6-byte link-layer source: skipped */
};

/* Reads one ARP payload into buf (at most size bytes; the rest of a longer payload is
 * dropped). On 0: *ret_len bytes in buf and the frame's Ethernet source in
 * ret_src_mac. Returns DHCP4_ARP_RECV_NO_SOURCE for a packet that was read and
 * skipped (call again), -EAGAIN when nothing is queued, or -errno. */
int dhcp4_arp_recv(int fd, uint8_t *buf, size_t size, size_t *ret_len, uint8_t ret_src_mac[6]);

/* Sends arp[0..len) as an ARP frame to ff:ff:ff:ff:ff:ff on ifindex (the kernel
 * fills in the Ethernet header with the interface's MAC). Returns 0, -EINVAL,
 * -EAGAIN when the queue is full, or -errno. */
int dhcp4_arp_send(int fd, int ifindex, const uint8_t *arp, size_t len);
