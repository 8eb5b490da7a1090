/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DHCPv4 client sockets on an interface, read from the kernel's socket tables of the
 * network namespace (/proc/net/packet, /proc/net/udp). This is how the doctor sees a
 * DHCP client that runs inside another program, with no process of its own:
 * NetworkManager's internal client (n-dhcp4) and systemd-networkd's (sd-dhcp-client).
 * Both wait for a lease on an AF_PACKET socket bound to the interface for IPv4
 * (ETH_P_IP), and once bound renew on a UDP socket bound to the leased address, port
 * 68. Pure: parses the tables' text; the edge reads them and matches the inodes
 * against /proc/PID/fd.
 *
 * What does not count: packet sockets for every protocol (ETH_P_ALL: tcpdump, tshark,
 * also dhclient's, which the doctor finds by name), ARP sockets (ETH_P_ARP: ACD), and
 * UDP port 68 sockets on an address that is not the interface's (0.0.0.0: a client of
 * every interface, found by name).
 */
#pragma once

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

typedef enum DoctorSocketKind {
        DOCTOR_SOCKET_PACKET, /* AF_PACKET, ETH_P_IP, bound to the interface */
        DOCTOR_SOCKET_UDP,    /* AF_INET UDP, local port 68 on one of its addresses */
} DoctorSocketKind;

typedef struct DoctorSocket {
        uint64_t inode;
        DoctorSocketKind kind;
        struct in_addr local; /* DOCTOR_SOCKET_UDP */
} DoctorSocket;

/* Appends to out[*n] (up to max) the packet sockets of /proc/net/packet's text that are
 * bound to ifindex for ETH_P_IP. Returns 0, or -EBADMSG when the header lacks the
 * Proto, Iface and Inode columns; lines that do not parse are skipped. */
int doctor_socket_parse_packet(const char *text, size_t len, int ifindex, DoctorSocket *out, size_t max,
                               size_t *n);

/* Appends the UDP sockets of /proc/net/udp's text whose local port is 68 and whose
 * local address is one of addrs[0..n_addrs) (the table prints the address as the
 * 32-bit value in host order, as hex). Returns 0, or -EBADMSG without the header. */
int doctor_socket_parse_udp(const char *text, size_t len, const struct in_addr *addrs, size_t n_addrs,
                            DoctorSocket *out, size_t max, size_t *n);

/* The socket with that inode among s[0..n), or NULL. */
const DoctorSocket *doctor_socket_find(const DoctorSocket *s, size_t n, uint64_t inode);
