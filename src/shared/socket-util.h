/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Socket helpers of the edges. Not a socket abstraction: the edges keep their own
 * fds and filters.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <linux/filter.h>

/* An AF_PACKET/SOCK_DGRAM socket on ifindex that sees only the frames of `ethertype`
 * that pass prog. It is opened with protocol 0, so it receives nothing until bind()
 * names ethertype, and by then the filter is attached (and PACKET_AUXDATA enabled
 * when asked): no unfiltered packet is ever queued and there is nothing to drain.
 * O_CLOEXEC|O_NONBLOCK. Returns 0 and *ret_fd (owned by the caller), or -errno. */
int socket_open_packet(int ifindex, uint16_t ethertype, const struct sock_fprog *prog, bool auxdata, int *ret_fd);
/* Sends buf[0..len) as one frame of `ethertype` to dest_mac on ifindex through an
 * AF_PACKET/SOCK_DGRAM socket (the kernel writes the Ethernet header with the
 * interface's MAC). Returns 0, -EINVAL, -EAGAIN when the queue is full, -EIO for a
 * short send, or -errno. */
int socket_send_packet(int fd, int ifindex, uint16_t ethertype, const uint8_t dest_mac[6], const void *buf, size_t len);
