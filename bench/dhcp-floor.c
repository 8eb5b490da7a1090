/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dhcp-floor: the physical floor of "start to address" for bench/dhcp-start.py.
 *
 * What it is: the least a DHCPv4 client can do between exec and an address on the
 * interface: one packet socket, DISCOVER, the first OFFER, REQUEST, the ACK, one
 * RTM_NEWADDR, exit (or, with --reboot ADDRESS, the INIT-REBOOT REQUEST for ADDRESS,
 * the ACK, the address). No configuration, no files, no retransmission, no
 * validation beyond xid and message type, no event loop. Built three times by meson:
 * `dhcp-floor` (libc only), `dhcp-floor-linked` (linked exactly as infradhcpd: the
 * same shared objects, flags and hardening) and `dhcp-floor-hardened` (linked so, and
 * with infradhcpd's least privilege, issue 12: after its first packet and before it
 * reads the answer it drops every capability but the three infradhcpd keeps and
 * installs infradhcpd's own seccomp program, with infradhcpd's own functions). So the
 * benchmark shows what the protocol costs on this machine, what loading infradhcpd's
 * libraries adds, and what its least privilege adds.
 *
 * What it is not: a client. It trusts the wire (a benchmark tool on a veth inside
 * a namespace the benchmark made) and is never installed.
 *
 *   dhcp-floor IFNAME [--reboot ADDRESS]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#ifdef FLOOR_HARDENED
#include "capability-util.h"
#include "dhcp4-seccomp.h"

/* What infradhcpd does between its first packet and reading the answer (infradhcpd.c:
 * drop_privileges(), dhcp4_seccomp_install()). */
static int harden(void) {
        static const cap_value_t keep[] = { CAP_NET_ADMIN, CAP_NET_RAW, CAP_NET_BIND_SERVICE };
        static int done;
        int r;

        if (done++)
                return 0;
        r = capability_drop_except(keep, sizeof(keep) / sizeof(keep[0]));
        if (r >= 0)
                r = dhcp4_seccomp_install(DHCP4_SECCOMP_ENFORCE);
        if (r < 0)
                fprintf(stderr, "dhcp-floor: least privilege: %s\n", strerror(-r));
        return r;
}
#else
static int harden(void) {
        return 0;
}
#endif

struct frame {
        struct iphdr ip;
        struct udphdr udp;
        uint8_t bootp[300];
} __attribute__((packed));

static uint16_t csum(const void *data, size_t len, uint32_t sum) {
        const uint8_t *p = data;
        for (; len > 1; p += 2, len -= 2)
                sum += (uint32_t)p[0] << 8 | p[1];
        if (len)
                sum += (uint32_t)p[0] << 8;
        while (sum >> 16)
                sum = (sum & 0xffff) + (sum >> 16);
        return (uint16_t)~sum;
}

/* A BOOTREQUEST of `type` (1 DISCOVER, 3 REQUEST) with client id 01:<mac>; for a
 * REQUEST, option 50 and (after an OFFER) option 54. Returns the frame length. */
static size_t build(struct frame *f, uint8_t type, uint32_t xid, const uint8_t mac[6], struct in_addr req,
                    struct in_addr server) {
        uint8_t *b = f->bootp, *o = b + 240;
        uint32_t cookie = htonl(0x63825363), x = htonl(xid);
        size_t blen, len;

        memset(f, 0, sizeof(*f));
        b[0] = 1, b[1] = 1, b[2] = 6;
        memcpy(b + 4, &x, 4);
        memcpy(b + 28, mac, 6);
        memcpy(b + 236, &cookie, 4);
        *o++ = 53, *o++ = 1, *o++ = type;
        *o++ = 61, *o++ = 7, *o++ = 1;
        memcpy(o, mac, 6), o += 6;
        if (req.s_addr) {
                *o++ = 50, *o++ = 4;
                memcpy(o, &req, 4), o += 4;
        }
        if (server.s_addr) {
                *o++ = 54, *o++ = 4;
                memcpy(o, &server, 4), o += 4;
        }
        *o++ = 55, *o++ = 3, *o++ = 1, *o++ = 3, *o++ = 51;
        *o++ = 255;
        blen = 300; /* padded to the BOOTP minimum */
        len = sizeof(f->ip) + sizeof(f->udp) + blen;
        f->ip.version = 4, f->ip.ihl = 5, f->ip.ttl = 64, f->ip.protocol = IPPROTO_UDP;
        f->ip.tot_len = htons(len);
        f->ip.daddr = INADDR_BROADCAST;
        f->ip.check = htons(csum(&f->ip, sizeof(f->ip), 0));
        f->udp.source = htons(68), f->udp.dest = htons(67);
        f->udp.len = htons(sizeof(f->udp) + blen);
        /* A zero UDP checksum is allowed (RFC 768): the floor skips it. */
        return len;
}

/* Waits for a BOOTREPLY with our xid carrying DHCP message type `want`; returns
 * yiaddr and (option 54) the server, option 1 as the prefix length. */
static int wait_reply(int fd, uint32_t xid, uint8_t want, struct in_addr *yiaddr, struct in_addr *server,
                      int *prefixlen) {
        uint8_t buf[1600];
        for (;;) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                if (poll(&p, 1, 5000) <= 0)
                        return -ETIMEDOUT;
                ssize_t n = recv(fd, buf, sizeof(buf), 0);
                if (n < 20 + 8 + 240)
                        continue;
                const uint8_t *b = buf + (buf[0] & 0x0f) * 4 + 8, *end = buf + n;
                uint32_t x;
                if (b + 240 > end || b[0] != 2)
                        continue;
                memcpy(&x, b + 4, 4);
                if (ntohl(x) != xid)
                        continue;
                memcpy(yiaddr, b + 16, 4);
                uint8_t type = 0;
                for (const uint8_t *o = b + 240; o < end && *o != 255;) {
                        if (*o == 0) {
                                o++;
                                continue;
                        }
                        if (o + 2 > end || o + 2 + o[1] > end)
                                break;
                        if (o[0] == 53 && o[1] == 1)
                                type = o[2];
                        if (o[0] == 54 && o[1] == 4)
                                memcpy(server, o + 2, 4);
                        if (o[0] == 1 && o[1] == 4) {
                                uint32_t m;
                                memcpy(&m, o + 2, 4);
                                *prefixlen = __builtin_popcount(m);
                        }
                        o += 2 + o[1];
                }
                if (type == want)
                        return 0;
                if (type == 6)
                        return -ECONNREFUSED; /* NAK */
        }
}

static int add_address(int ifindex, struct in_addr a, int prefixlen) {
        struct {
                struct nlmsghdr nh;
                struct ifaddrmsg ifa;
                uint8_t attrs[64];
        } req = {};
        struct rtattr *rta;
        char ack[256];
        int fd, r;

        fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
        if (fd < 0)
                return -errno;
        req.nh.nlmsg_type = RTM_NEWADDR;
        req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE;
        req.nh.nlmsg_seq = 1;
        req.ifa.ifa_family = AF_INET;
        req.ifa.ifa_prefixlen = prefixlen;
        req.ifa.ifa_index = ifindex;
        req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.ifa));
        rta = (struct rtattr *)((char *)&req + NLMSG_ALIGN(req.nh.nlmsg_len));
        rta->rta_type = IFA_LOCAL;
        rta->rta_len = RTA_LENGTH(4);
        memcpy(RTA_DATA(rta), &a, 4);
        req.nh.nlmsg_len = NLMSG_ALIGN(req.nh.nlmsg_len) + RTA_ALIGN(rta->rta_len);
        r = send(fd, &req, req.nh.nlmsg_len, 0) < 0 ? -errno : 0;
        if (r == 0 && recv(fd, ack, sizeof(ack), 0) < 0)
                r = -errno;
        close(fd);
        return r;
}

int main(int argc, char *argv[]) {
        struct in_addr yiaddr = {}, server = {}, none = {};
        struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP), .sll_halen = 6 };
        struct ifreq ifr = {};
        struct frame f;
        uint8_t mac[6];
        uint32_t xid;
        int fd, prefixlen = 24, r;
        size_t len;

        if (argc != 2 && !(argc == 4 && strcmp(argv[2], "--reboot") == 0)) {
                fprintf(stderr, "usage: dhcp-floor IFNAME [--reboot ADDRESS]\n");
                return 2;
        }
        if (argc == 4 && inet_pton(AF_INET, argv[3], &yiaddr) != 1) {
                fprintf(stderr, "dhcp-floor: bad address %s\n", argv[3]);
                return 2;
        }
        fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_IP));
        snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", argv[1]);
        if (fd < 0 || ioctl(fd, SIOCGIFINDEX, &ifr) < 0) {
                perror("dhcp-floor: packet socket");
                return 1;
        }
        to.sll_ifindex = ifr.ifr_ifindex;
        if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
                perror("dhcp-floor: SIOCGIFHWADDR");
                return 1;
        }
        memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
        memset(to.sll_addr, 0xff, 6);
        if (bind(fd, (struct sockaddr *)&to, sizeof(to)) < 0 || getrandom(&xid, sizeof(xid), 0) != sizeof(xid)) {
                perror("dhcp-floor: bind");
                return 1;
        }

        if (!yiaddr.s_addr) {
                len = build(&f, 1, xid, mac, none, none);
                if (sendto(fd, &f, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0 || harden() < 0 ||
                    wait_reply(fd, xid, 2, &yiaddr, &server, &prefixlen) < 0) {
                        fprintf(stderr, "dhcp-floor: no OFFER\n");
                        return 1;
                }
        }
        len = build(&f, 3, xid, mac, yiaddr, server); /* server 0: INIT-REBOOT (RFC 2131 §4.3.2) */
        if (sendto(fd, &f, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0 || harden() < 0 ||
            wait_reply(fd, xid, 5, &yiaddr, &server, &prefixlen) < 0) {
                fprintf(stderr, "dhcp-floor: no ACK\n");
                return 1;
        }
        r = add_address(to.sll_ifindex, yiaddr, prefixlen);
        if (r < 0) {
                fprintf(stderr, "dhcp-floor: cannot add the address: %s\n", strerror(-r));
                return 1;
        }
        /* Stays until stopped, bound and idle, like the clients it is measured against
         * (poll(), not pause(): the seccomp allow-list has no pause). */
        for (;;)
                (void)poll(NULL, 0, -1);
        return 0;
}
