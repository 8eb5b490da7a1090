/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ARP and RARP sockets for attachment detection, each with a classic BPF program
 * built for the current lease, so a busy infra VLAN (every node ARPing, the leaf
 * answering) wakes the daemon only for the peers' packets and announcements of this
 * VM. Does not interpret the packets beyond the filter (dhcp4-dna does).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include "dhcp4-dna-socket.h"
#include "macro.h"
#include "socket-util.h"

/* Offsets inside the ARP/RARP payload (SOCK_DGRAM: no Ethernet header). */
enum {
        OFF_HTYPE = 0,
        OFF_PTYPE = 2,
        OFF_HLEN_PLEN = 4,
        OFF_OP = 6,
        OFF_SHA = 8,
        OFF_SPA = 14,
        OFF_THA = 18,
        OFF_TPA = 24,
};

#define PROG_MAX 64

/* Jump targets before the program's length is known. */
enum {
        TO_NEXT = -1,
        TO_DROP = -2,
        TO_ACCEPT = -3,
};

typedef struct Prog {
        struct sock_filter insn[PROG_MAX];
        int jt[PROG_MAX], jf[PROG_MAX]; /* TO_* or an absolute instruction index */
        unsigned n;
} Prog;

static unsigned emit_ld(Prog *p, uint16_t size, uint32_t off) {
        p->jt[p->n] = p->jf[p->n] = TO_NEXT;
        p->insn[p->n] = (struct sock_filter) BPF_STMT(BPF_LD | size | BPF_ABS, off);
        return p->n++;
}

static unsigned emit_jeq(Prog *p, uint32_t k, int jt, int jf) {
        p->jt[p->n] = jt;
        p->jf[p->n] = jf;
        p->insn[p->n] = (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, k, 0, 0);
        return p->n++;
}

/* Resolves the jumps and appends DROP and ACCEPT. */
static void prog_finish(Prog *p) {
        unsigned drop = p->n, accept = p->n + 1;

        for (unsigned i = 0; i < p->n; i++) {
                if (BPF_CLASS(p->insn[i].code) != BPF_JMP)
                        continue;
                for (int w = 0; w < 2; w++) {
                        int t = w ? p->jf[i] : p->jt[i];
                        unsigned target = t == TO_NEXT ? i + 1 : t == TO_DROP ? drop : t == TO_ACCEPT ? accept : (unsigned) t;
                        uint8_t rel = (uint8_t) (target - i - 1);

                        if (w)
                                p->insn[i].jf = rel;
                        else
                                p->insn[i].jt = rel;
                }
        }
        p->insn[p->n++] = (struct sock_filter) BPF_STMT(BPF_RET | BPF_K, 0);
        p->insn[p->n++] = (struct sock_filter) BPF_STMT(BPF_RET | BPF_K, UINT32_MAX);
}

/* Common head: not our own transmission (packet sockets see those looped back),
 * Ethernet/IPv4 layout, op in {op_a, op_b}, and all 28 bytes present (a load past the
 * end makes the program return 0). */
static void prog_head(Prog *p, uint16_t op_a, uint16_t op_b) {
        emit_ld(p, BPF_B, SKF_AD_OFF + SKF_AD_PKTTYPE);
        emit_jeq(p, PACKET_OUTGOING, TO_DROP, TO_NEXT);
        emit_ld(p, BPF_H, OFF_HTYPE);
        emit_jeq(p, 1, TO_NEXT, TO_DROP);
        emit_ld(p, BPF_H, OFF_PTYPE);
        emit_jeq(p, ETH_P_IP, TO_NEXT, TO_DROP);
        emit_ld(p, BPF_H, OFF_HLEN_PLEN);
        emit_jeq(p, (ETH_ALEN << 8) | 4, TO_NEXT, TO_DROP);
        emit_ld(p, BPF_H, OFF_OP);
        emit_jeq(p, op_a, (int) p->n + 2, TO_NEXT);
        emit_jeq(p, op_b, TO_NEXT, TO_DROP);
        emit_ld(p, BPF_W, OFF_TPA);
}

static uint32_t mac_hi(const uint8_t m[6]) {
        return (uint32_t) m[0] << 24 | (uint32_t) m[1] << 16 | (uint32_t) m[2] << 8 | m[3];
}

static uint32_t mac_lo(const uint8_t m[6]) {
        return (uint32_t) m[4] << 8 | m[5];
}

/* MAC at `off` equals m: accept; else continue at `otherwise`. */
static void prog_mac_is(Prog *p, uint32_t off, const uint8_t m[6], int otherwise) {
        emit_ld(p, BPF_W, off);
        emit_jeq(p, mac_hi(m), TO_NEXT, otherwise);
        emit_ld(p, BPF_H, off + 4);
        emit_jeq(p, mac_lo(m), TO_ACCEPT, otherwise);
}

static int socket_open(int ifindex, uint16_t ethertype, const Prog *p, int *ret_fd) {
        const struct sock_fprog prog = {
                .len = (unsigned short) p->n,
                .filter = (struct sock_filter *) p->insn,
        };

        return socket_open_packet(ifindex, ethertype, &prog, false, ret_fd);
}

static void build_arp(Prog *out, struct in_addr self, const uint8_t mac[6], const struct in_addr *peers,
                      size_t n_peers) {
        Prog p = {};
        uint32_t s = ntohl(self.s_addr);
        unsigned j_tpa, j_spa;

        prog_head(&p, 1, 2); /* A = target IP */
        /* Target IP and sender IP both self: a gratuitous ARP for our address ... */
        j_tpa = emit_jeq(&p, s, TO_NEXT, TO_NEXT);
        emit_ld(&p, BPF_W, OFF_SPA);
        j_spa = emit_jeq(&p, s, TO_NEXT, TO_NEXT);
        /* ... otherwise: the sender IP is a peer. */
        p.jf[j_tpa] = (int) p.n;
        p.jf[j_spa] = (int) p.n;
        emit_ld(&p, BPF_W, OFF_SPA);
        for (size_t i = 0; i < n_peers; i++)
                emit_jeq(&p, ntohl(peers[i].s_addr), TO_ACCEPT, TO_NEXT);
        emit_jeq(&p, 0, TO_DROP, TO_DROP); /* end of the peer list */
        /* The gratuitous ARP counts only from our own MAC (the hypervisor's announcement);
         * from another MAC it is a conflict, dhcp4-acd's business. */
        p.jt[j_spa] = (int) p.n;
        prog_mac_is(&p, OFF_SHA, mac, TO_DROP);
        prog_finish(&p);
        *out = p;
}

static void build_rarp(Prog *out, const uint8_t mac[6]) {
        Prog p = {};
        unsigned tha;

        prog_head(&p, 3, 4);
        tha = p.n + 4; /* after the four instructions of the sender test */
        prog_mac_is(&p, OFF_SHA, mac, (int) tha);
        prog_mac_is(&p, OFF_THA, mac, TO_DROP);
        prog_finish(&p);
        *out = p;
}

static size_t prog_copy(const Prog *p, struct sock_filter *out, size_t max) {
        if (out && max >= p->n)
                memcpy(out, p->insn, p->n * sizeof(p->insn[0]));
        return p->n;
}

size_t dhcp4_dna_socket_arp_program(struct sock_filter *out, size_t max, struct in_addr self, const uint8_t mac[6],
                                    const struct in_addr *peers, size_t n_peers) {
        Prog p;

        if (!mac || n_peers > DHCP4_DNA_SOCKET_PEERS_MAX || (n_peers > 0 && !peers))
                return 0;
        build_arp(&p, self, mac, peers, n_peers);
        return prog_copy(&p, out, max);
}

size_t dhcp4_dna_socket_rarp_program(struct sock_filter *out, size_t max, const uint8_t mac[6]) {
        Prog p;

        if (!mac)
                return 0;
        build_rarp(&p, mac);
        return prog_copy(&p, out, max);
}

int dhcp4_dna_socket_open_arp(int ifindex, struct in_addr self, const uint8_t mac[6], const struct in_addr *peers,
                              size_t n_peers, int *ret_fd) {
        Prog p;

        if (ifindex <= 0 || self.s_addr == INADDR_ANY || !mac || !ret_fd || n_peers > DHCP4_DNA_SOCKET_PEERS_MAX ||
            (n_peers > 0 && !peers))
                return -EINVAL;
        build_arp(&p, self, mac, peers, n_peers);
        return socket_open(ifindex, ETH_P_ARP, &p, ret_fd);
}

int dhcp4_dna_socket_open_rarp(int ifindex, const uint8_t mac[6], int *ret_fd) {
        Prog p;

        if (ifindex <= 0 || !mac || !ret_fd)
                return -EINVAL;
        build_rarp(&p, mac);
        return socket_open(ifindex, ETH_P_RARP, &p, ret_fd);
}

int dhcp4_dna_socket_send(int fd, int ifindex, const uint8_t dest_mac[6], const uint8_t *arp, size_t len) {
        return socket_send_packet(fd, ifindex, ETH_P_ARP, dest_mac, arp, len);
}
