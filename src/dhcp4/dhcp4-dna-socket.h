/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Socket edge of attachment detection (dhcp4-dna): AF_PACKET/SOCK_DGRAM sockets that
 * see only the ARP and RARP packets that can matter to the machine, filtered in the
 * kernel with classic BPF, and a unicast ARP sender.
 *
 * Not here: deciding what a packet means or when to send one (dhcp4-dna), building
 * payloads (dhcp4_acd_arp_build). Reads use dhcp4_arp_recv() (dhcp4-arp.h), which
 * works on any of these sockets. Every fd returned is O_CLOEXEC|O_NONBLOCK and owned
 * by the caller.
 */
#pragma once

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#define DHCP4_DNA_SOCKET_PEERS_MAX 8
#define DHCP4_DNA_SOCKET_PROGRAM_MAX 64

struct sock_filter;

/* The classic BPF programs the sockets below attach, for tests: written to out when
 * max is large enough; returns the program's length (0 for invalid arguments). */
size_t dhcp4_dna_socket_arp_program(struct sock_filter *out, size_t max, struct in_addr self, const uint8_t mac[6],
                                    const struct in_addr *peers, size_t n_peers);
size_t dhcp4_dna_socket_rarp_program(struct sock_filter *out, size_t max, const uint8_t mac[6]);

/* ETH_P_ARP socket for the lease `self` with the given peers. The filter passes
 * Ethernet/IPv4 requests and replies not sent by this host whose sender IP is one of
 * the peers (answers, their own ARP, a peer's MAC changing), and gratuitous ARPs for
 * `self` from our own MAC (sender IP = target IP = self; the hypervisor announcing a
 * moved VM). Reopen it when the lease or its peers change. -EINVAL for ifindex <= 0,
 * self 0.0.0.0, NULL mac, n_peers > DHCP4_DNA_SOCKET_PEERS_MAX; or -errno. */
int dhcp4_dna_socket_open_arp(int ifindex, struct in_addr self, const uint8_t mac[6], const struct in_addr *peers,
                              size_t n_peers, int *ret_fd);

/* ETH_P_RARP socket: passes RARP (op 3 or 4, Ethernet/IPv4 layout) not sent by this
 * host whose sender or target hardware address is `mac`: a hypervisor's announcement
 * of this VM after a live migration (QEMU's self-announce, vMotion). */
int dhcp4_dna_socket_open_rarp(int ifindex, const uint8_t mac[6], int *ret_fd);

/* Sends arp[0..len) as an ARP frame to dest_mac on ifindex (unicast; the kernel
 * writes the Ethernet header with the interface's MAC as source). Returns 0, -EINVAL,
 * -EAGAIN when the queue is full, or -errno. */
int dhcp4_dna_socket_send(int fd, int ifindex, const uint8_t dest_mac[6], const uint8_t *arp, size_t len);
