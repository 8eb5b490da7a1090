/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Socket helpers of the edges (socket-util.h).
 */

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <string.h>
#include <sys/socket.h>

#include "macro.h"
#include "socket-util.h"

int socket_open_packet(int ifindex, uint16_t ethertype, const struct sock_fprog *prog, bool auxdata, int *ret_fd) {
        struct sockaddr_ll sll = {
                .sll_family = AF_PACKET,
                .sll_protocol = htons(ethertype),
                .sll_ifindex = ifindex,
        };
        _cleanup_(closep) int fd = -1;
        int one = 1;

        if (ifindex <= 0 || !prog || !ret_fd)
                return -EINVAL;
        fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, prog, sizeof(*prog)) < 0)
                return -errno;
        if (auxdata && setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)) < 0)
                return -errno;
        if (bind(fd, (const struct sockaddr *) &sll, sizeof(sll)) < 0)
                return -errno;
        *ret_fd = fd;
        fd = -1; /* consumed */
        return 0;
}

int socket_send_packet(int fd, int ifindex, uint16_t ethertype, const uint8_t dest_mac[6], const void *buf,
                       size_t len) {
        struct sockaddr_ll sll = {
                .sll_family = AF_PACKET,
                .sll_protocol = htons(ethertype),
                .sll_ifindex = ifindex,
                .sll_halen = 6,
        };
        ssize_t k;

        if (fd < 0 || ifindex <= 0 || !dest_mac || !buf || len == 0)
                return -EINVAL;
        memcpy(sll.sll_addr, dest_mac, 6);
        k = sendto(fd, buf, len, MSG_DONTWAIT, (const struct sockaddr *) &sll, sizeof(sll));
        if (k < 0)
                return errno == EWOULDBLOCK ? -EAGAIN : -errno;
        if ((size_t) k != len)
                return -EIO;
        return 0;
}
