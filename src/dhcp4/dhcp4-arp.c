/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ARP socket for address conflict detection: AF_PACKET/SOCK_DGRAM on ETH_P_ARP with a
 * classic BPF program that drops everything dhcp4-acd would ignore anyway (other
 * protocols, our own transmissions, and, with an address, ARP about other addresses).
 * Reads return the Ethernet source from sockaddr_ll so the caller can check probes
 * for consistency. Does not interpret ARP beyond the filter (dhcp4-acd does).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

#include "dhcp4-arp.h"
#include "macro.h"
#include "socket-util.h"

/* Offsets inside the ARP payload (SOCK_DGRAM: the Ethernet header is already gone
 * when the filter runs). */
#define ARP_OFF_HTYPE 0
#define ARP_OFF_PTYPE 2
#define ARP_OFF_HLEN_PLEN 4
#define ARP_OFF_OP 6
#define ARP_OFF_SPA 14
#define ARP_OFF_TPA 24

/* Relative jump from instruction `pc` to instruction `target` (classic BPF jumps
 * count the instructions skipped after the jump). */
#define J(pc, target) ((target) - (pc) - 1)

enum {
        L_DROP = 17,
        L_ACCEPT = 18,
        PROGRAM_LEN = 19,
};

/* Fills prog[PROGRAM_LEN]. A load past the end of the packet makes the program return
 * 0 (drop), so the load at offset 24 also proves that all 28 bytes are there. BPF_W
 * loads are in host order: compare against ntohl(address). */
static void arp_bpf_program(struct sock_filter prog[static PROGRAM_LEN], struct in_addr addr) {
        uint32_t a = ntohl(addr.s_addr);
        const struct sock_filter p[PROGRAM_LEN] = {
                /* 0: our own transmissions are looped back to packet sockets: drop. */
                [0] = BPF_STMT(BPF_LD | BPF_B | BPF_ABS, SKF_AD_OFF + SKF_AD_PKTTYPE),
                [1] = BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_OUTGOING, J(1, L_DROP), 0),
                /* 2: htype Ethernet, ptype IPv4, hlen 6 and plen 4. */
                [2] = BPF_STMT(BPF_LD | BPF_H | BPF_ABS, ARP_OFF_HTYPE),
                [3] = BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, J(3, L_DROP)),
                [4] = BPF_STMT(BPF_LD | BPF_H | BPF_ABS, ARP_OFF_PTYPE),
                [5] = BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, J(5, L_DROP)),
                [6] = BPF_STMT(BPF_LD | BPF_H | BPF_ABS, ARP_OFF_HLEN_PLEN),
                [7] = BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (ETH_ALEN << 8) | 4, 0, J(7, L_DROP)),
                /* 8: op request or reply. */
                [8] = BPF_STMT(BPF_LD | BPF_H | BPF_ABS, ARP_OFF_OP),
                [9] = BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, J(9, 11), 0),
                [10] = BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 2, 0, J(10, L_DROP)),
                /* 11: target IP (and the whole payload is there). */
                [11] = BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARP_OFF_TPA),
                /* 12: target is the address: accept a probe (sender 0.0.0.0) ... */
                [12] = BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, a, 0, J(12, 15)),
                [13] = BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARP_OFF_SPA),
                [14] = BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, J(14, L_ACCEPT), J(14, 16)),
                /* 15: ... and anything whose sender is the address. */
                [15] = BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARP_OFF_SPA),
                [16] = BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, a, J(16, L_ACCEPT), J(16, L_DROP)),
                [L_DROP] = BPF_STMT(BPF_RET | BPF_K, 0),
                [L_ACCEPT] = BPF_STMT(BPF_RET | BPF_K, UINT32_MAX),
        };

        memcpy(prog, p, sizeof(p));
}

int dhcp4_arp_open(int ifindex, struct in_addr addr, int *ret_fd) {
        struct sock_filter filter[PROGRAM_LEN];
        const struct sock_fprog prog = {
                .len = PROGRAM_LEN,
                .filter = filter,
        };

        if (ifindex <= 0 || addr.s_addr == INADDR_ANY || !ret_fd)
                return -EINVAL;
        arp_bpf_program(filter, addr);
        return socket_open_packet(ifindex, ETH_P_ARP, &prog, false, ret_fd);
}

int dhcp4_arp_recv(int fd, uint8_t *buf, size_t size, size_t *ret_len, uint8_t ret_src_mac[6]) {
        struct sockaddr_ll sll = {};
        socklen_t sll_len = sizeof(sll);
        ssize_t n;

        if (fd < 0 || !buf || size == 0)
                return -EINVAL;

        n = recvfrom(fd, buf, size, MSG_DONTWAIT, (struct sockaddr *) &sll, &sll_len);
        if (n < 0)
                return errno == EWOULDBLOCK ? -EAGAIN : -errno;
        /* Without the frame's source the probe consistency check (dhcp4-acd) could
         * not be made; on Ethernet this does not happen. */
        if (sll_len < offsetof(struct sockaddr_ll, sll_addr) + ETH_ALEN || sll.sll_halen != ETH_ALEN)
                return DHCP4_ARP_RECV_NO_SOURCE;

        if (ret_len)
                *ret_len = (size_t) n;
        if (ret_src_mac)
                memcpy(ret_src_mac, sll.sll_addr, ETH_ALEN);
        return 0;
}

int dhcp4_arp_send(int fd, int ifindex, const uint8_t *arp, size_t len) {
        static const uint8_t broadcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

        return socket_send_packet(fd, ifindex, ETH_P_ARP, broadcast, arp, len);
}
