/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Who sent a netlink request: the process behind the port id (nlmsg_pid) that an
 * rtnetlink notification carries, for "10.0.128.64/16 removed by NetworkManager
 * (pid 812)". Reads /proc; decides nothing.
 *
 * The kernel copies the requesting socket's port into every notification the request
 * causes (0: the kernel itself, e.g. an expired lifetime). A port is the owner's
 * only in convention: the kernel names a process's first socket of a netlink protocol
 * after its pid (netlink_autobind), libnl names its sockets pid + n * 2^22 (both
 * below 2^31; the kernel's own numbering after a clash is negative as s32). So:
 *   1. the port's socket must exist (/proc/self/net/netlink, this network namespace);
 *      its inode is matched against /proc/PID/fd of the candidate pids, which is exact
 *      when those are readable (same credentials, or CAP_SYS_PTRACE);
 *   2. else the candidate pid is taken (marked by_port), named when /proc/PID is
 *      visible;
 *   3. a socket that is gone means the process closed it or exited: the candidate is
 *      named if it still runs, else reported as exited.
 * The name is the basename of argv[0] (/proc/PID/cmdline), else /proc/PID/comm (which
 * the kernel cuts at 15 characters: "systemd-network").
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct NetlinkOwner {
        uint32_t portid;
        bool kernel;       /* portid 0 */
        pid_t pid;         /* 0: not found */
        char name[64];     /* "" when unknown */
        bool by_port;      /* pid from the port-naming convention, not matched by socket */
        bool socket_gone;  /* no socket with this port any more */
        bool exited;       /* ... and no process with the candidate pid */
} NetlinkOwner;

/* Pure: the inode of the socket of netlink protocol `protocol` bound to portid in the
 * text of /proc/net/netlink (columns by its header line). 0, -ENOENT, or -EBADMSG for
 * a text without the header's Eth, Pid and Inode columns. */
int netlink_owner_parse_table(const char *text, size_t len, int protocol, uint32_t portid, uint64_t *ret_inode);

/* Pure: the pid a port belongs to by those conventions (0 or 1 of them: pids are
 * below 2^22, so a port below it is the pid itself, one above it libnl's). */
size_t netlink_owner_candidates(uint32_t portid, pid_t ret[2]);

/* Looks portid of `protocol` up under proc_root (NULL: "/proc"; a test passes a
 * prepared tree). Always fills *ret; returns 0, or -errno when /proc could not be
 * read at all. */
int netlink_owner_find(const char *proc_root, int protocol, uint32_t portid, NetlinkOwner *ret);

/* "NetworkManager (pid 812)", "pid 812" (no name readable), "pid 4242 (exited)",
 * "netlink port 3735928559 (owner unknown)", "the kernel". */
const char *netlink_owner_describe(const NetlinkOwner *o, char *buf, size_t size);
