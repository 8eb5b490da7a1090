/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DHCPv4 client sockets: an AF_PACKET socket with a classic BPF filter for the
 * states without a usable address, and a UDP socket bound to the leased address
 * for unicast RENEW/RELEASE (RFC 2131 §4.4.5). Frames and unframes IP/UDP through
 * dhcp4-packet; does not look at DHCP options and does not decide what to send.
 * The BPF program is annotated in docs/netlink.md.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "dhcp4-protocol.h"
#include "dhcp4-socket.h"
#include "macro.h"
#include "socket-util.h"

/* Offsets are relative to the IP header: with SOCK_DGRAM the kernel has already
 * stripped the link-layer header before the filter runs. Loads past the end of the
 * packet make the program return 0 (drop), so short packets never pass. */
static const struct sock_filter dhcp4_bpf_program[] = {
        /* IPv4? (version nibble) */
        BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0),
        BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xf0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x40, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, 0),
        /* UDP? */
        BPF_STMT(BPF_LD | BPF_B | BPF_ABS, offsetof(struct iphdr, protocol)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, 0),
        /* Not a fragment: MF clear and offset 0. Fragments carry no (or a partial)
         * UDP header; DHCP replies are never fragmented by a sane server (≤ 576 B). */
        BPF_STMT(BPF_LD | BPF_H | BPF_ABS, offsetof(struct iphdr, frag_off)),
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, IP_MF | IP_OFFMASK, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, 0),
        /* X <- 4 * IHL: the UDP header follows the IP options. */
        BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),
        /* IHL >= 5, else X would point inside the IP header. */
        BPF_STMT(BPF_MISC | BPF_TXA, 0),
        BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, sizeof(struct iphdr), 1, 0),
        BPF_STMT(BPF_RET | BPF_K, 0),
        /* UDP destination port 68. */
        BPF_STMT(BPF_LD | BPF_H | BPF_IND, offsetof(struct udphdr, dest)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, DHCP4_CLIENT_PORT, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, 0),
        /* BOOTP op == BOOTREPLY (our own broadcast BOOTREQUESTs and other clients'
         * never wake us). */
        BPF_STMT(BPF_LD | BPF_B | BPF_IND, sizeof(struct udphdr) + 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, BOOTREPLY, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, 0),
        /* htype 1 (Ethernet), hlen 6. */
        BPF_STMT(BPF_LD | BPF_H | BPF_IND, sizeof(struct udphdr) + 1),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (ARPHRD_ETHER_HTYPE << 8) | ETH_ALEN_HLEN, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, 0),
        /* DHCP magic cookie after the 236-byte BOOTP header (RFC 2131 §3). Also
         * proves the datagram holds the whole fixed header. */
        BPF_STMT(BPF_LD | BPF_W | BPF_IND, sizeof(struct udphdr) + DHCP4_HEADER_LEN),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, DHCP4_MAGIC_COOKIE, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, 0),
        /* Accept the whole datagram. */
        BPF_STMT(BPF_RET | BPF_K, UINT32_MAX),
};

int dhcp4_socket_open_raw(int ifindex, int *ret_fd) {
        const struct sock_fprog prog = {
                .len = ELEMENTSOF(dhcp4_bpf_program),
                .filter = (struct sock_filter *) dhcp4_bpf_program,
        };

        /* tp_status tells whether the UDP checksum is still to be filled in by offload
         * (TP_STATUS_CSUMNOTREADY, see dhcp4_socket_recv_raw()): PACKET_AUXDATA on. */
        return socket_open_packet(ifindex, ETH_P_IP, &prog, true, ret_fd);
}

int dhcp4_socket_recv_raw(int fd, uint8_t *buf, size_t size, const uint8_t **ret_payload,
                          size_t *ret_payload_len, Dhcp4SocketPeer *ret_peer) {
        union {
                struct cmsghdr align;
                uint8_t data[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
        } control = {};
        struct sockaddr_ll sll = {};
        struct iovec iov = { .iov_base = buf, .iov_len = size };
        struct msghdr msg = {
                .msg_name = &sll,
                .msg_namelen = sizeof(sll),
                .msg_iov = &iov,
                .msg_iovlen = 1,
                .msg_control = &control,
                .msg_controllen = sizeof(control),
        };
        const uint8_t *payload;
        size_t payload_len;
        bool checksum_ready = true;
        Dhcp4PacketResult res;
        ssize_t n;

        if (fd < 0 || !buf || size == 0)
                return -EINVAL;

        n = recvmsg(fd, &msg, MSG_DONTWAIT);
        if (n < 0)
                return errno == EWOULDBLOCK ? -EAGAIN : -errno;
        if (ret_peer) {
                *ret_peer = (Dhcp4SocketPeer) {};
                if (msg.msg_namelen >= offsetof(struct sockaddr_ll, sll_addr) + ETH_ALEN &&
                    sll.sll_halen == ETH_ALEN) {
                        ret_peer->has_mac = true;
                        memcpy(ret_peer->mac, sll.sll_addr, ETH_ALEN);
                }
                /* The IPv4 source, as far as the header is there (checked below). */
                if (n >= 20 && (buf[0] >> 4) == 4) {
                        ret_peer->has_address = true;
                        memcpy(&ret_peer->address, buf + 12, sizeof(ret_peer->address));
                }
        }
        /* Larger than any DHCP message we accept: the tail is lost, reject. */
        if (msg.msg_flags & MSG_TRUNC)
                return DHCP4_PACKET_BAD_LENGTH;

        for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
                struct tpacket_auxdata aux;

                if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA ||
                    c->cmsg_len < CMSG_LEN(sizeof(aux)))
                        continue;
                memcpy(&aux, CMSG_DATA(c), sizeof(aux));
                /* The packet was handed over before the (offloaded) checksum was
                 * computed, as on veth between namespaces: the UDP checksum field
                 * holds only the pseudo-header sum and cannot be verified. The
                 * frame never left the host, so there is nothing to verify. */
                if (aux.tp_status & TP_STATUS_CSUMNOTREADY)
                        checksum_ready = false;
        }

        res = dhcp4_packet_parse(buf, (size_t) n, checksum_ready, DHCP4_CLIENT_PORT, &payload, &payload_len,
                                 NULL);
        if (res != DHCP4_PACKET_OK)
                return (int) res;

        if (ret_payload)
                *ret_payload = payload;
        if (ret_payload_len)
                *ret_payload_len = payload_len;
        return 0;
}

int dhcp4_socket_send_raw(int fd, int ifindex, const uint8_t *payload, size_t len, struct in_addr src) {
        static const uint8_t broadcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

        return dhcp4_socket_send_raw_to(fd, ifindex, broadcast, payload, len, src,
                                        (struct in_addr) { .s_addr = htonl(INADDR_BROADCAST) });
}

int dhcp4_socket_send_raw_to(int fd, int ifindex, const uint8_t dst_mac[6], const uint8_t *payload, size_t len,
                             struct in_addr src, struct in_addr dst) {
        struct sockaddr_ll sll = {
                .sll_family = AF_PACKET,
                .sll_protocol = htons(ETH_P_IP),
                .sll_ifindex = ifindex,
                .sll_halen = ETH_ALEN,
        };
        uint8_t packet[DHCP4_IP_UDP_OVERHEAD + DHCP4_MAX_MESSAGE_LEN];
        size_t n;
        ssize_t k;
        int r;

        if (fd < 0 || ifindex <= 0 || !dst_mac || (!payload && len > 0))
                return -EINVAL;
        if (len > DHCP4_MAX_MESSAGE_LEN)
                return -EMSGSIZE;
        memcpy(sll.sll_addr, dst_mac, ETH_ALEN);

        r = dhcp4_packet_build(packet, sizeof(packet), &n, src, dst, DHCP4_CLIENT_PORT, DHCP4_SERVER_PORT,
                               payload, len);
        if (r < 0)
                return r;

        k = sendto(fd, packet, n, MSG_DONTWAIT, (const struct sockaddr *) &sll, sizeof(sll));
        if (k < 0)
                return errno == EWOULDBLOCK ? -EAGAIN : -errno;
        if ((size_t) k != n)
                return -EIO;
        return 0;
}

int dhcp4_socket_open_udp(int ifindex, const char *ifname, struct in_addr address, int *ret_fd) {
        struct sockaddr_in sin = {
                .sin_family = AF_INET,
                .sin_port = htons(DHCP4_CLIENT_PORT),
                .sin_addr = address,
        };
        _cleanup_(closep) int fd = -1;
        int one = 1, tos = DHCP4_SOCKET_TOS;

        if (ifindex <= 0 || !ret_fd)
                return -EINVAL;

        fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_UDP);
        if (fd < 0)
                return -errno;
        /* Another instance's or a previous socket's port 68 must not block us. */
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
                return -errno;
        /* Bind to the link so renewals never leave through another interface, even if
         * the routing table points the server elsewhere. By index first (no race with
         * renames, Linux 5.0+), by name on older kernels. */
        if (setsockopt(fd, SOL_SOCKET, SO_BINDTOIFINDEX, &ifindex, sizeof(ifindex)) < 0) {
                if (errno != ENOPROTOOPT || !ifname)
                        return -errno;
                if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t) strlen(ifname) + 1) < 0)
                        return -errno;
        }
        if (setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos)) < 0)
                return -errno;
        /* EADDRNOTAVAIL until the address is configured on the interface. */
        if (bind(fd, (const struct sockaddr *) &sin, sizeof(sin)) < 0)
                return -errno;

        *ret_fd = fd;
        fd = -1; /* consumed */
        return 0;
}

int dhcp4_socket_send_udp(int fd, struct in_addr dst, const uint8_t *payload, size_t len) {
        const struct sockaddr_in sin = {
                .sin_family = AF_INET,
                .sin_port = htons(DHCP4_SERVER_PORT),
                .sin_addr = dst,
        };
        ssize_t k;

        if (fd < 0 || (!payload && len > 0))
                return -EINVAL;
        if (len > DHCP4_MAX_MESSAGE_LEN)
                return -EMSGSIZE;

        k = sendto(fd, payload, len, MSG_DONTWAIT, (const struct sockaddr *) &sin, sizeof(sin));
        if (k < 0)
                return errno == EWOULDBLOCK ? -EAGAIN : -errno;
        if ((size_t) k != len)
                return -EIO;
        return 0;
}

int dhcp4_socket_recv_udp(int fd, uint8_t *buf, size_t size, size_t *ret_len, Dhcp4SocketPeer *ret_peer) {
        struct sockaddr_in sin = {};
        struct iovec iov = { .iov_base = buf, .iov_len = size };
        struct msghdr msg = {
                .msg_name = &sin,
                .msg_namelen = sizeof(sin),
                .msg_iov = &iov,
                .msg_iovlen = 1,
        };
        ssize_t n;

        if (fd < 0 || !buf || size == 0)
                return -EINVAL;

        n = recvmsg(fd, &msg, MSG_DONTWAIT);
        if (n < 0)
                return errno == EWOULDBLOCK ? -EAGAIN : -errno;
        if (ret_peer) {
                *ret_peer = (Dhcp4SocketPeer) {};
                if (msg.msg_namelen >= sizeof(sin) && sin.sin_family == AF_INET) {
                        ret_peer->has_address = true;
                        ret_peer->address = sin.sin_addr;
                }
        }
        if (msg.msg_flags & MSG_TRUNC)
                return DHCP4_PACKET_BAD_LENGTH;
        /* RFC 2131 §4.1: servers (and relays) send from port 67. */
        if (msg.msg_namelen < sizeof(sin) || sin.sin_family != AF_INET ||
            sin.sin_port != htons(DHCP4_SERVER_PORT))
                return DHCP4_PACKET_WRONG_PORT;

        if (ret_len)
                *ret_len = (size_t) n;
        return 0;
}
