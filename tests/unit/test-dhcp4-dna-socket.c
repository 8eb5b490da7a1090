/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for the kernel filters of attachment detection's sockets
 * (src/dhcp4/dhcp4-dna-socket.c): the generated classic BPF programs are run by a
 * small interpreter of the instructions they use (absolute loads, the packet-type
 * ancillary load, jeq, ret) over ARP and RARP payloads, so every accept and drop
 * rule is checked without root or sockets. The sockets themselves are exercised by
 * the netns tests (tests/integration/test_dna.py).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dhcp4-acd.h"
#include "dhcp4-dna-socket.h"
#include "macro.h"

static const uint8_t mac_us[6] = { 0x02, 0x00, 0x0f, 0xa0, 0x40, 0x93 };
static const uint8_t mac_gw[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a };

static struct in_addr ip(const char *s) {
        struct in_addr a;

        assert_int_equal(inet_pton(AF_INET, s, &a), 1);
        return a;
}

/* Returns what the program returns for pkt[0..len) received with `pkttype`. */
static uint32_t run(const struct sock_filter *prog, size_t n, const uint8_t *pkt, size_t len, uint8_t pkttype) {
        uint32_t A = 0;

        for (size_t pc = 0; pc < n; pc++) {
                const struct sock_filter *i = &prog[pc];

                switch (i->code) {
                case BPF_LD | BPF_B | BPF_ABS:
                        if (i->k == (uint32_t) (SKF_AD_OFF + SKF_AD_PKTTYPE)) {
                                A = pkttype;
                                break;
                        }
                        if (i->k + 1 > len)
                                return 0;
                        A = pkt[i->k];
                        break;
                case BPF_LD | BPF_H | BPF_ABS:
                        if (i->k + 2 > len)
                                return 0;
                        A = (uint32_t) pkt[i->k] << 8 | pkt[i->k + 1];
                        break;
                case BPF_LD | BPF_W | BPF_ABS:
                        if (i->k + 4 > len)
                                return 0;
                        A = (uint32_t) pkt[i->k] << 24 | (uint32_t) pkt[i->k + 1] << 16 |
                            (uint32_t) pkt[i->k + 2] << 8 | pkt[i->k + 3];
                        break;
                case BPF_JMP | BPF_JEQ | BPF_K:
                        pc += A == i->k ? i->jt : i->jf;
                        assert_true(pc < n);
                        break;
                case BPF_RET | BPF_K:
                        return i->k;
                default:
                        fail_msg("unexpected instruction 0x%x at %zu", i->code, pc);
                }
        }
        fail_msg("program fell off its end");
        return 0;
}

typedef struct Filter {
        struct sock_filter prog[DHCP4_DNA_SOCKET_PROGRAM_MAX];
        size_t n;
} Filter;

static Filter arp_filter(size_t n_peers) {
        struct in_addr peers[2] = { ip("10.0.0.1"), ip("10.0.0.30") };
        Filter f;

        f.n = dhcp4_dna_socket_arp_program(f.prog, ELEMENTSOF(f.prog), ip("10.0.128.64"), mac_us, peers, n_peers);
        assert_true(f.n > 0 && f.n <= DHCP4_DNA_SOCKET_PROGRAM_MAX);
        return f;
}

static bool pass(const Filter *f, uint16_t op, const uint8_t sha[6], const char *spa, const uint8_t *tha,
                 const char *tpa, size_t len, uint8_t pkttype) {
        uint8_t b[64] = {};

        assert_int_equal(dhcp4_acd_arp_build(b, sizeof(b), op <= 2 ? op : 1, sha, ip(spa), tha, ip(tpa)),
                         DHCP4_ACD_ARP_LEN);
        b[7] = (uint8_t) op;
        return run(f->prog, f->n, b, len, pkttype) != 0;
}

#define HOST PACKET_HOST
#define BCAST PACKET_BROADCAST

static void test_arp_filter(void **state) {
        Filter f = arp_filter(2);

        /* The peers' answers and their own ARP. */
        assert_true(pass(&f, 2, mac_gw, "10.0.0.1", mac_us, "10.0.128.64", 28, HOST));
        assert_true(pass(&f, 1, mac_gw, "10.0.0.30", NULL, "10.0.0.5", 28, BCAST));
        assert_true(pass(&f, 1, mac_gw, "10.0.0.30", NULL, "10.0.128.64", 46, BCAST)); /* padded */
        /* Someone else's ARP, and ARP to us from a non-peer. */
        assert_false(pass(&f, 1, mac_gw, "10.0.0.9", NULL, "10.0.0.1", 28, BCAST));
        assert_false(pass(&f, 2, mac_gw, "10.0.0.9", mac_us, "10.0.128.64", 28, HOST));
        /* Gratuitous ARP for our address: from our MAC (the hypervisor) yes, never our
         * own transmission, and from another MAC it is ACD's conflict, not ours. */
        assert_true(pass(&f, 1, mac_us, "10.0.128.64", NULL, "10.0.128.64", 28, BCAST));
        assert_false(pass(&f, 1, mac_us, "10.0.128.64", NULL, "10.0.128.64", 28, PACKET_OUTGOING));
        assert_false(pass(&f, 1, mac_gw, "10.0.128.64", NULL, "10.0.128.64", 28, BCAST));
        /* Our own test request echoed back by a hairpinning bridge. */
        assert_false(pass(&f, 1, mac_us, "10.0.128.64", mac_gw, "10.0.0.1", 28, HOST));
        assert_false(pass(&f, 2, mac_gw, "10.0.0.1", mac_us, "10.0.128.64", 28, PACKET_OUTGOING));
        /* Malformed: short, RARP op, other layouts. */
        assert_false(pass(&f, 2, mac_gw, "10.0.0.1", mac_us, "10.0.128.64", 27, HOST));
        assert_false(pass(&f, 3, mac_gw, "10.0.0.1", mac_us, "10.0.128.64", 28, HOST));
        {
                uint8_t b[28];

                assert_int_equal(dhcp4_acd_arp_build(b, sizeof(b), 2, mac_gw, ip("10.0.0.1"), mac_us, ip("10.0.128.64")),
                                 28);
                assert_true(run(f.prog, f.n, b, sizeof(b), HOST) != 0);
                b[1] = 6; /* htype IEEE 802 */
                assert_false(run(f.prog, f.n, b, sizeof(b), HOST) != 0);
                b[1] = 1;
                b[3] = 0xdd; /* ptype */
                assert_false(run(f.prog, f.n, b, sizeof(b), HOST) != 0);
                b[3] = 0x00;
                b[4] = 8; /* hlen */
                assert_false(run(f.prog, f.n, b, sizeof(b), HOST) != 0);
        }

        /* No peers: only the announcement passes. */
        f = arp_filter(0);
        assert_false(pass(&f, 2, mac_gw, "10.0.0.1", mac_us, "10.0.128.64", 28, HOST));
        assert_true(pass(&f, 1, mac_us, "10.0.128.64", NULL, "10.0.128.64", 28, BCAST));
        assert_int_equal(dhcp4_dna_socket_arp_program(NULL, 0, ip("10.0.128.64"), mac_us, NULL, 9), 0);
        assert_int_equal(dhcp4_dna_socket_arp_program(NULL, 0, ip("10.0.128.64"), NULL, NULL, 0), 0);
        /* Eight peers still fit. */
        {
                struct in_addr peers[DHCP4_DNA_SOCKET_PEERS_MAX];

                for (int i = 0; i < DHCP4_DNA_SOCKET_PEERS_MAX; i++)
                        peers[i].s_addr = htonl(0x0a000001 + i);
                f.n = dhcp4_dna_socket_arp_program(f.prog, ELEMENTSOF(f.prog), ip("10.0.128.64"), mac_us, peers,
                                                   ELEMENTSOF(peers));
                assert_true(f.n > 0 && f.n <= DHCP4_DNA_SOCKET_PROGRAM_MAX);
                assert_true(pass(&f, 2, mac_gw, "10.0.0.8", mac_us, "10.0.128.64", 28, HOST));
                assert_false(pass(&f, 2, mac_gw, "10.0.0.9", mac_us, "10.0.128.64", 28, HOST));
        }
}

static void test_rarp_filter(void **state) {
        static const uint8_t zero[6];
        Filter f;

        f.n = dhcp4_dna_socket_rarp_program(f.prog, ELEMENTSOF(f.prog), mac_us);
        assert_true(f.n > 0 && f.n <= DHCP4_DNA_SOCKET_PROGRAM_MAX);
        /* QEMU's self-announce: request reverse, sender = target = the VM's MAC. */
        assert_true(pass(&f, 3, mac_us, "0.0.0.0", mac_us, "0.0.0.0", 28, BCAST));
        assert_true(pass(&f, 3, mac_gw, "0.0.0.0", mac_us, "0.0.0.0", 28, BCAST));
        assert_true(pass(&f, 4, mac_us, "0.0.0.0", zero, "0.0.0.0", 28, HOST));
        assert_false(pass(&f, 3, mac_gw, "0.0.0.0", mac_gw, "0.0.0.0", 28, BCAST));
        assert_false(pass(&f, 3, mac_us, "0.0.0.0", mac_us, "0.0.0.0", 28, PACKET_OUTGOING));
        assert_false(pass(&f, 1, mac_us, "0.0.0.0", mac_us, "0.0.0.0", 28, BCAST));
        assert_false(pass(&f, 3, mac_us, "0.0.0.0", mac_us, "0.0.0.0", 27, BCAST));
        assert_int_equal(dhcp4_dna_socket_rarp_program(NULL, 0, NULL), 0);
}

static void test_invalid(void **state) {
        int fd = -1;

        assert_int_equal(dhcp4_dna_socket_open_arp(0, ip("10.0.0.5"), mac_us, NULL, 0, &fd), -EINVAL);
        assert_int_equal(dhcp4_dna_socket_open_arp(1, ip("0.0.0.0"), mac_us, NULL, 0, &fd), -EINVAL);
        assert_int_equal(dhcp4_dna_socket_open_arp(1, ip("10.0.0.5"), mac_us, NULL, 1, &fd), -EINVAL);
        assert_int_equal(dhcp4_dna_socket_open_rarp(1, NULL, &fd), -EINVAL);
        assert_int_equal(dhcp4_dna_socket_send(-1, 1, mac_us, (const uint8_t *) "x", 1), -EINVAL);
        assert_int_equal(fd, -1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_arp_filter),
                cmocka_unit_test(test_rarp_filter),
                cmocka_unit_test(test_invalid),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
