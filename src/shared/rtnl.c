/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rtnetlink edge on libmnl: synchronous requests (links, IPv4 addresses, IPv4 routes)
 * on one socket, notifications on another. Every message and attribute from the
 * kernel is length- and type-checked before use; a malformed message is skipped,
 * never trusted. This is not a cache of kernel state and holds no policy: callers
 * decide what must exist. Why libmnl and how the pieces fit: docs/netlink.md.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/ip.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>

#include <libmnl/libmnl.h>

#include "macro.h"
#include "rtnl-decode.h"
#include "rtnl.h"
#include "string-table.h"
#include "time-util.h"

/* Large enough for any single link message (stats are skipped, VF info not asked
 * for); the kernel sizes dump datagrams to the reader's buffer, so a dump needs no
 * more. A datagram that still does not fit is reported as -EMSGSIZE. */
#define RTNL_BUFFER_SIZE (32 * 1024)
#define RTNL_REQUEST_MAX 1024 /* every request we build fits, with room to spare */
/* Kernel-side queue for notifications: bursts of pod route/link churn on a node
 * should not overrun it; if they do we report RTNL_EVENT_OVERRUN. Kernel memory,
 * charged only while queued. */
#define RTNL_MONITOR_RCVBUF (1024 * 1024)
/* Datagrams read per rtnl_monitor_dispatch() call before yielding to the event loop
 * (the fd stays readable, so the loop calls again). */
#define RTNL_MONITOR_BUDGET 512
#define RTNL_DUMP_RETRIES 5

struct Rtnl {
        struct mnl_socket *req;
        struct mnl_socket *mon;
        uint32_t portid;
        uint32_t seq;
        uint8_t *req_buf; /* request + answer; separate from mon_buf so an event handler may issue requests */
        uint8_t *mon_buf;
        char error_message[128];
};

/* ---- request/answer ---- */

/* Reads one datagram. Returns its length, 0 for a datagram to drop (not sent by the
 * kernel: any local process may unicast to our port), -EMSGSIZE if it did not fit
 * (consumed), or -errno. */
static ssize_t rtnl_recv(struct mnl_socket *nl, uint8_t *buf, size_t size) {
        struct sockaddr_nl sa = {};
        struct iovec iov = { .iov_base = buf, .iov_len = size };
        struct msghdr msg = {
                .msg_name = &sa,
                .msg_namelen = sizeof(sa),
                .msg_iov = &iov,
                .msg_iovlen = 1,
        };
        ssize_t n;

        n = recvmsg(mnl_socket_get_fd(nl), &msg, 0);
        if (n < 0)
                return -errno;
        if (msg.msg_flags & MSG_TRUNC)
                return -EMSGSIZE;
        if (msg.msg_namelen != sizeof(sa) || sa.nl_family != AF_NETLINK || sa.nl_pid != 0)
                return 0;
        return n;
}

typedef int (*RtnlReplyHandler)(const struct nlmsghdr *nlh, void *userdata);

static void rtnl_store_ext_ack(Rtnl *rtnl, const struct nlmsghdr *nlh) {
        rtnl_ack_error_message(nlh, rtnl->error_message, sizeof(rtnl->error_message));
}

/* Sends nlh (a request built in rtnl->req_buf) and reads until its ACK (non-dump) or
 * NLMSG_DONE (dump), calling handler for every data message. Messages with another
 * sequence number (answers to an earlier request that timed out) are skipped.
 * Returns the kernel's -errno, the handler's first negative value, -EAGAIN if a dump
 * was interrupted by a concurrent change (NLM_F_DUMP_INTR; caller retries),
 * -ETIMEDOUT, or 0. */
static int rtnl_request(Rtnl *rtnl, struct nlmsghdr *nlh, RtnlReplyHandler handler, void *userdata) {
        bool dump = (nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
        bool interrupted = false;
        int fd = mnl_socket_get_fd(rtnl->req);
        uint64_t deadline;
        uint32_t seq;
        int r = 0;

        rtnl->error_message[0] = '\0';

        seq = ++rtnl->seq;
        if (seq == 0) /* 0 is what unsolicited messages carry */
                seq = ++rtnl->seq;
        nlh->nlmsg_seq = seq;
        nlh->nlmsg_flags |= NLM_F_REQUEST;
        if (!dump)
                nlh->nlmsg_flags |= NLM_F_ACK;

        if (mnl_socket_sendto(rtnl->req, nlh, nlh->nlmsg_len) < 0)
                return -errno;

        deadline = (clock_now(CLOCK_MONOTONIC) / USEC_PER_MSEC) + RTNL_REQUEST_TIMEOUT_MSEC;
        for (;;) {
                struct pollfd pfd = { .fd = fd, .events = POLLIN };
                uint64_t now = (clock_now(CLOCK_MONOTONIC) / USEC_PER_MSEC);
                ssize_t n;
                int len;

                if (now >= deadline)
                        return -ETIMEDOUT;
                n = poll(&pfd, 1, (int) (deadline - now));
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        return -ETIMEDOUT;

                n = rtnl_recv(rtnl->req, rtnl->req_buf, RTNL_BUFFER_SIZE);
                if (n == -EAGAIN || n == -EINTR || n == 0)
                        continue;
                if (n < 0)
                        return (int) n;

                len = (int) n;
                for (const struct nlmsghdr *m = (const struct nlmsghdr *) rtnl->req_buf; mnl_nlmsg_ok(m, len);
                     m = mnl_nlmsg_next(m, &len)) {
                        if (m->nlmsg_seq != seq || m->nlmsg_pid != rtnl->portid)
                                continue;

                        if (m->nlmsg_type == NLMSG_ERROR) {
                                const struct nlmsgerr *e;

                                if (mnl_nlmsg_get_payload_len(m) < sizeof(struct nlmsgerr))
                                        return -EBADMSG;
                                e = mnl_nlmsg_get_payload(m);
                                if (e->error > 0 || e->error < -4095)
                                        return -EBADMSG;
                                if (e->error < 0) {
                                        rtnl_store_ext_ack(rtnl, m);
                                        return e->error;
                                }
                                /* ACK. A dump never ends with one, but a kernel that
                                 * ends it so has still finished. */
                                return r;
                        }
                        if (m->nlmsg_type == NLMSG_DONE) {
                                if (!dump)
                                        continue;
                                /* The dump's own error, if it failed midway. */
                                if (mnl_nlmsg_get_payload_len(m) >= sizeof(int)) {
                                        int e;

                                        memcpy(&e, mnl_nlmsg_get_payload(m), sizeof(e));
                                        if (e < 0 && e >= -4095)
                                                return e;
                                }
                                if (r < 0)
                                        return r;
                                return interrupted ? -EAGAIN : 0;
                        }
                        if (m->nlmsg_type < NLMSG_MIN_TYPE) /* NOOP, OVERRUN */
                                continue;

                        if (m->nlmsg_flags & NLM_F_DUMP_INTR)
                                interrupted = true;
                        /* Keep reading after a handler error so the answer is consumed. */
                        if (handler && r >= 0) {
                                int k = handler(m, userdata);
                                if (k < 0)
                                        r = k;
                        }
                }
        }
}

static struct nlmsghdr *rtnl_msg_start(Rtnl *rtnl, uint16_t type, uint16_t flags, void **ret_hdr, size_t hdrlen) {
        struct nlmsghdr *nlh;

        /* Requests are small; zeroing the whole area also zeroes attribute padding
         * (valgrind: uninitialised bytes sent to the kernel otherwise). */
        memset(rtnl->req_buf, 0, RTNL_REQUEST_MAX);
        nlh = mnl_nlmsg_put_header(rtnl->req_buf);
        nlh->nlmsg_type = type;
        nlh->nlmsg_flags = flags;
        *ret_hdr = mnl_nlmsg_put_extra_header(nlh, hdrlen);
        return nlh;
}

/* ---- lifecycle ---- */

static int rtnl_socket_open(struct mnl_socket **ret) {
        struct mnl_socket *nl;
        int one = 1;

        nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (!nl)
                return -errno;
        /* Kernel error strings for logs; ACKs without a copy of our request. */
        (void) mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
        (void) mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
        if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
                int r = -errno;
                mnl_socket_close(nl);
                return r;
        }
        *ret = nl;
        return 0;
}

int rtnl_new_request(Rtnl **ret) {
        Rtnl *rtnl;
        int one = 1;
        int r;

        if (!ret)
                return -EINVAL;

        rtnl = calloc(1, sizeof(*rtnl));
        if (!rtnl)
                return -ENOMEM;
        rtnl->req_buf = malloc(RTNL_BUFFER_SIZE);
        if (!rtnl->req_buf) {
                r = -ENOMEM;
                goto fail;
        }

        r = rtnl_socket_open(&rtnl->req);
        if (r < 0)
                goto fail;
        rtnl->portid = mnl_socket_get_portid(rtnl->req);
        /* Let the kernel filter dumps by link/table (4.20+); older kernels refuse the
         * option and we filter in user space, which we always do anyway. */
        (void) mnl_socket_setsockopt(rtnl->req, NETLINK_GET_STRICT_CHK, &one, sizeof(one));

        *ret = rtnl;
        return 0;

fail:
        rtnl_free(rtnl);
        return r;
}

int rtnl_monitor_open(Rtnl *rtnl) {
        static const unsigned groups[] = { RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV4_ROUTE };
        int rcvbuf = RTNL_MONITOR_RCVBUF;
        struct mnl_socket *mon = NULL;
        int r;

        if (!rtnl)
                return -EINVAL;
        if (rtnl->mon)
                return 0;
        if (!rtnl->mon_buf) {
                rtnl->mon_buf = malloc(RTNL_BUFFER_SIZE);
                if (!rtnl->mon_buf)
                        return -ENOMEM;
        }
        r = rtnl_socket_open(&mon);
        if (r < 0)
                return r;
        /* SO_RCVBUFFORCE needs CAP_NET_ADMIN, which the daemon has; fall back if not. */
        if (setsockopt(mnl_socket_get_fd(mon), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
                (void) setsockopt(mnl_socket_get_fd(mon), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
        for (size_t i = 0; i < ELEMENTSOF(groups); i++) {
                unsigned g = groups[i];

                if (mnl_socket_setsockopt(mon, NETLINK_ADD_MEMBERSHIP, &g, sizeof(g)) < 0) {
                        r = -errno;
                        mnl_socket_close(mon);
                        return r;
                }
        }
        rtnl->mon = mon;
        return 0;
}

int rtnl_new(Rtnl **ret) {
        Rtnl *rtnl;
        int r;

        r = rtnl_new_request(&rtnl);
        if (r < 0)
                return r;
        r = rtnl_monitor_open(rtnl);
        if (r < 0) {
                rtnl_free(rtnl);
                return r;
        }
        *ret = rtnl;
        return 0;
}

Rtnl *rtnl_free(Rtnl *rtnl) {
        if (!rtnl)
                return NULL;
        if (rtnl->req)
                mnl_socket_close(rtnl->req);
        if (rtnl->mon)
                mnl_socket_close(rtnl->mon);
        free(rtnl->req_buf);
        free(rtnl->mon_buf);
        free(rtnl);
        return NULL;
}

const char *rtnl_last_error_message(const Rtnl *rtnl) {
        return rtnl ? rtnl->error_message : "";
}

/* ---- links ---- */

typedef struct LinkGetState {
        RtnlLink link;
        bool found;
} LinkGetState;

static int link_get_handler(const struct nlmsghdr *nlh, void *userdata) {
        LinkGetState *s = userdata;

        if (nlh->nlmsg_type != RTM_NEWLINK)
                return 0;
        if (!rtnl_link_decode(nlh, &s->link))
                return -EBADMSG;
        s->found = true;
        return 0;
}

static int rtnl_link_get(Rtnl *rtnl, int ifindex, const char *ifname, RtnlLink *ret) {
        LinkGetState s = {};
        struct ifinfomsg *ifi;
        struct nlmsghdr *nlh;
        int r;

        nlh = rtnl_msg_start(rtnl, RTM_GETLINK, 0, (void **) &ifi, sizeof(*ifi));
        ifi->ifi_family = AF_UNSPEC;
        ifi->ifi_index = ifindex;
        if (ifname)
                mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
        mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);

        r = rtnl_request(rtnl, nlh, link_get_handler, &s);
        if (r < 0)
                return r;
        if (!s.found)
                return -ENODEV;
        if (ret)
                *ret = s.link;
        return 0;
}

int rtnl_link_get_by_name(Rtnl *rtnl, const char *ifname, RtnlLink *ret) {
        if (!rtnl || !ifname || ifname[0] == '\0' || strlen(ifname) >= IF_NAMESIZE)
                return -EINVAL;
        return rtnl_link_get(rtnl, 0, ifname, ret);
}

int rtnl_link_get_by_index(Rtnl *rtnl, int ifindex, RtnlLink *ret) {
        if (!rtnl || ifindex <= 0)
                return -EINVAL;
        return rtnl_link_get(rtnl, ifindex, NULL, ret);
}

typedef struct VlanFindState {
        uint16_t vlan_id;
        RtnlLink link;
        unsigned n_found;
} VlanFindState;

static int vlan_find_handler(const struct nlmsghdr *nlh, void *userdata) {
        VlanFindState *s = userdata;
        RtnlLink l;

        if (nlh->nlmsg_type != RTM_NEWLINK)
                return 0;
        if (!rtnl_link_decode(nlh, &l))
                return 0; /* one odd link must not hide the one we look for */
        if (strcmp(l.kind, "vlan") != 0 || l.vlan_id != s->vlan_id)
                return 0;
        if (s->n_found++ == 0)
                s->link = l;
        return 0;
}

int rtnl_link_find_vlan(Rtnl *rtnl, uint16_t vlan_id, RtnlLink *ret) {
        int r = -EAGAIN;

        if (!rtnl || vlan_id == 0 || vlan_id > 4094)
                return -EINVAL;

        for (unsigned attempt = 0; attempt < RTNL_DUMP_RETRIES && r == -EAGAIN; attempt++) {
                VlanFindState s = { .vlan_id = vlan_id };
                struct ifinfomsg *ifi;
                struct nlmsghdr *nlh;
                struct nlattr *linkinfo;

                nlh = rtnl_msg_start(rtnl, RTM_GETLINK, NLM_F_DUMP, (void **) &ifi, sizeof(*ifi));
                ifi->ifi_family = AF_UNSPEC;
                mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
                /* With strict checking the kernel returns only links of this kind. */
                linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
                mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "vlan");
                mnl_attr_nest_end(nlh, linkinfo);

                r = rtnl_request(rtnl, nlh, vlan_find_handler, &s);
                if (r < 0)
                        continue;
                if (s.n_found == 0)
                        return -ENODEV;
                if (s.n_found > 1)
                        return -ENOTUNIQ;
                if (ret)
                        *ret = s.link;
                return 0;
        }
        return r;
}

int rtnl_link_set_promote_secondaries(Rtnl *rtnl, int ifindex, bool enable) {
        struct nlattr *af_spec, *inet, *conf;
        struct ifinfomsg *ifi;
        struct nlmsghdr *nlh;

        if (!rtnl || ifindex <= 0)
                return -EINVAL;

        /* RTM_SETLINK, IFLA_AF_SPEC/AF_INET/IFLA_INET_CONF/[IPV4_DEVCONF_*]: the same
         * knob as net.ipv4.conf.IF.promote_secondaries, without needing /proc/sys. */
        nlh = rtnl_msg_start(rtnl, RTM_SETLINK, 0, (void **) &ifi, sizeof(*ifi));
        ifi->ifi_family = AF_UNSPEC;
        ifi->ifi_index = ifindex;
        af_spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
        inet = mnl_attr_nest_start(nlh, AF_INET);
        conf = mnl_attr_nest_start(nlh, IFLA_INET_CONF);
        mnl_attr_put_u32(nlh, IPV4_DEVCONF_PROMOTE_SECONDARIES, enable ? 1 : 0);
        mnl_attr_nest_end(nlh, conf);
        mnl_attr_nest_end(nlh, inet);
        mnl_attr_nest_end(nlh, af_spec);

        return rtnl_request(rtnl, nlh, NULL, NULL);
}

int rtnl_link_set_up(Rtnl *rtnl, int ifindex, bool up) {
        struct ifinfomsg *ifi;
        struct nlmsghdr *nlh;

        if (!rtnl || ifindex <= 0)
                return -EINVAL;
        nlh = rtnl_msg_start(rtnl, RTM_SETLINK, 0, (void **) &ifi, sizeof(*ifi));
        ifi->ifi_family = AF_UNSPEC;
        ifi->ifi_index = ifindex;
        ifi->ifi_change = IFF_UP;
        ifi->ifi_flags = up ? IFF_UP : 0;
        return rtnl_request(rtnl, nlh, NULL, NULL);
}

int rtnl_link_set_mtu(Rtnl *rtnl, int ifindex, uint32_t mtu) {
        struct ifinfomsg *ifi;
        struct nlmsghdr *nlh;

        if (!rtnl || ifindex <= 0 || mtu == 0)
                return -EINVAL;
        nlh = rtnl_msg_start(rtnl, RTM_SETLINK, 0, (void **) &ifi, sizeof(*ifi));
        ifi->ifi_family = AF_UNSPEC;
        ifi->ifi_index = ifindex;
        mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
        return rtnl_request(rtnl, nlh, NULL, NULL);
}

/* ---- addresses ---- */

int rtnl_addr_replace(Rtnl *rtnl, int ifindex, struct in_addr address, uint8_t prefixlen,
                      struct in_addr broadcast, uint32_t valid_sec, uint32_t preferred_sec) {
        struct ifa_cacheinfo ci = {};
        struct ifaddrmsg *ifa;
        struct nlmsghdr *nlh;

        if (!rtnl || ifindex <= 0 || prefixlen > 32 || valid_sec == 0 || address.s_addr == INADDR_ANY)
                return -EINVAL;

        if (broadcast.s_addr == INADDR_ANY && prefixlen <= 30) {
                /* RFC 3021: /31 has no broadcast address; /32 has no other hosts. */
                uint32_t mask = prefixlen == 0 ? 0 : UINT32_MAX << (32 - prefixlen);
                broadcast.s_addr = address.s_addr | htonl(~mask);
        }

        nlh = rtnl_msg_start(rtnl, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, (void **) &ifa, sizeof(*ifa));
        ifa->ifa_family = AF_INET;
        ifa->ifa_prefixlen = prefixlen;
        ifa->ifa_scope = RT_SCOPE_UNIVERSE;
        ifa->ifa_index = (uint32_t) ifindex;
        mnl_attr_put(nlh, IFA_LOCAL, sizeof(address), &address);
        mnl_attr_put(nlh, IFA_ADDRESS, sizeof(address), &address);
        if (broadcast.s_addr != INADDR_ANY)
                mnl_attr_put(nlh, IFA_BROADCAST, sizeof(broadcast), &broadcast);
        /* The kernel refuses preferred > valid. */
        ci.ifa_valid = valid_sec;
        ci.ifa_prefered = MIN(preferred_sec, valid_sec);
        mnl_attr_put(nlh, IFA_CACHEINFO, sizeof(ci), &ci);

        return rtnl_request(rtnl, nlh, NULL, NULL);
}

int rtnl_addr_del(Rtnl *rtnl, int ifindex, struct in_addr address, uint8_t prefixlen) {
        struct ifaddrmsg *ifa;
        struct nlmsghdr *nlh;
        int r;

        if (!rtnl || ifindex <= 0 || prefixlen > 32)
                return -EINVAL;

        nlh = rtnl_msg_start(rtnl, RTM_DELADDR, 0, (void **) &ifa, sizeof(*ifa));
        ifa->ifa_family = AF_INET;
        ifa->ifa_prefixlen = prefixlen;
        ifa->ifa_index = (uint32_t) ifindex;
        mnl_attr_put(nlh, IFA_LOCAL, sizeof(address), &address);
        /* With IFA_ADDRESS the kernel also matches the prefix length. */
        mnl_attr_put(nlh, IFA_ADDRESS, sizeof(address), &address);

        r = rtnl_request(rtnl, nlh, NULL, NULL);
        if (r == -EADDRNOTAVAIL || r == -ENOENT || r == -ESRCH)
                return 0;
        if (r < 0)
                return r;
        return 1;
}

typedef struct AddrListState {
        int ifindex;
        RtnlAddr *out;
        size_t max;
        size_t n;
} AddrListState;

static int addr_list_handler(const struct nlmsghdr *nlh, void *userdata) {
        AddrListState *s = userdata;
        RtnlAddr a;

        if (nlh->nlmsg_type != RTM_NEWADDR)
                return 0;
        if (!rtnl_addr_decode(nlh, &a))
                return 0; /* not IPv4, or malformed: not one of ours to report */
        if (s->ifindex > 0 && a.ifindex != s->ifindex)
                return 0;
        if (s->n < s->max)
                s->out[s->n] = a;
        s->n++;
        return 0;
}

int rtnl_addr_list(Rtnl *rtnl, int ifindex, RtnlAddr *out, size_t max, size_t *ret_n) {
        int r = -EAGAIN;

        if (!rtnl || ifindex < 0 || (!out && max > 0))
                return -EINVAL;

        for (unsigned attempt = 0; attempt < RTNL_DUMP_RETRIES && r == -EAGAIN; attempt++) {
                AddrListState s = { .ifindex = ifindex, .out = out, .max = max };
                struct ifaddrmsg *ifa;
                struct nlmsghdr *nlh;

                nlh = rtnl_msg_start(rtnl, RTM_GETADDR, NLM_F_DUMP, (void **) &ifa, sizeof(*ifa));
                ifa->ifa_family = AF_INET;
                ifa->ifa_index = (uint32_t) ifindex; /* kernel-side filter with strict checking */

                r = rtnl_request(rtnl, nlh, addr_list_handler, &s);
                if (r < 0)
                        continue;
                if (ret_n)
                        *ret_n = s.n;
                return 0;
        }
        return r;
}

/* ---- routes ---- */

static uint32_t route_table(const RtnlRoute *r) {
        return r->table == 0 ? RT_TABLE_MAIN : r->table;
}

static void route_put_key(struct nlmsghdr *nlh, struct rtmsg *rtm, const RtnlRoute *r) {
        uint32_t table = route_table(r);

        rtm->rtm_family = AF_INET;
        rtm->rtm_dst_len = r->dst_len;
        rtm->rtm_table = table < 256 ? (uint8_t) table : RT_TABLE_UNSPEC;
        mnl_attr_put_u32(nlh, RTA_TABLE, table);
        if (r->dst_len > 0)
                mnl_attr_put(nlh, RTA_DST, sizeof(r->dst), &r->dst);
        if (r->metric > 0)
                mnl_attr_put_u32(nlh, RTA_PRIORITY, r->metric);
        if (r->ifindex > 0)
                mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t) r->ifindex);
        if (r->gateway.s_addr != INADDR_ANY)
                mnl_attr_put(nlh, RTA_GATEWAY, sizeof(r->gateway), &r->gateway);
}

int rtnl_route_replace(Rtnl *rtnl, const RtnlRoute *route) {
        struct nlmsghdr *nlh;
        struct rtmsg *rtm;

        if (!rtnl || !route || route->dst_len > 32 || route->ifindex < 0)
                return -EINVAL;
        if (route->ifindex == 0 && route->gateway.s_addr == INADDR_ANY)
                return -EINVAL;

        nlh = rtnl_msg_start(rtnl, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, (void **) &rtm, sizeof(*rtm));
        route_put_key(nlh, rtm, route);
        rtm->rtm_scope = route->scope;
        rtm->rtm_protocol = route->protocol == RTPROT_UNSPEC ? RTPROT_STATIC : route->protocol;
        rtm->rtm_type = route->type == RTN_UNSPEC ? RTN_UNICAST : route->type;
        if (route->prefsrc.s_addr != INADDR_ANY)
                mnl_attr_put(nlh, RTA_PREFSRC, sizeof(route->prefsrc), &route->prefsrc);

        return rtnl_request(rtnl, nlh, NULL, NULL);
}

int rtnl_route_del(Rtnl *rtnl, const RtnlRoute *route) {
        struct nlmsghdr *nlh;
        struct rtmsg *rtm;
        int r;

        if (!rtnl || !route || route->dst_len > 32 || route->ifindex < 0)
                return -EINVAL;

        nlh = rtnl_msg_start(rtnl, RTM_DELROUTE, 0, (void **) &rtm, sizeof(*rtm));
        route_put_key(nlh, rtm, route);
        /* Match any scope, protocol and type: we delete by key and device. */
        rtm->rtm_scope = RT_SCOPE_NOWHERE;
        rtm->rtm_protocol = RTPROT_UNSPEC;
        rtm->rtm_type = RTN_UNSPEC;

        r = rtnl_request(rtnl, nlh, NULL, NULL);
        if (r == -ESRCH || r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        return 1;
}

typedef struct RouteFindState {
        const RtnlRoute *key;
        bool found;
} RouteFindState;

static bool route_matches(const RtnlRoute *key, const RtnlRoute *r) {
        uint32_t mask = key->dst_len == 0 ? 0 : htonl(UINT32_MAX << (32 - key->dst_len));

        return route_table(key) == r->table &&
               key->dst_len == r->dst_len &&
               (key->dst.s_addr & mask) == (r->dst.s_addr & mask) &&
               key->metric == r->metric &&
               (key->ifindex == 0 || key->ifindex == r->ifindex) &&
               (key->gateway.s_addr == INADDR_ANY || key->gateway.s_addr == r->gateway.s_addr);
}

static int route_find_handler(const struct nlmsghdr *nlh, void *userdata) {
        RouteFindState *s = userdata;
        const struct rtmsg *rtm;
        RtnlRoute r;

        if (nlh->nlmsg_type != RTM_NEWROUTE)
                return 0;
        if (!rtnl_route_decode(nlh, &r))
                return 0;
        rtm = mnl_nlmsg_get_payload(nlh);
        if (rtm->rtm_tos != 0 || (rtm->rtm_flags & RTM_F_CLONED))
                return 0;
        if (route_matches(s->key, &r))
                s->found = true;
        return 0;
}

int rtnl_route_exists(Rtnl *rtnl, const RtnlRoute *route) {
        int r = -EAGAIN;

        if (!rtnl || !route || route->dst_len > 32 || route->ifindex < 0)
                return -EINVAL;

        for (unsigned attempt = 0; attempt < RTNL_DUMP_RETRIES && r == -EAGAIN; attempt++) {
                RouteFindState s = { .key = route };
                uint32_t table = route_table(route);
                struct nlmsghdr *nlh;
                struct rtmsg *rtm;

                /* Dump filters (strict checking) accept only table and device; the
                 * header's dst_len/scope/type must stay 0 in a dump request. */
                nlh = rtnl_msg_start(rtnl, RTM_GETROUTE, NLM_F_DUMP, (void **) &rtm, sizeof(*rtm));
                rtm->rtm_family = AF_INET;
                rtm->rtm_table = table < 256 ? (uint8_t) table : RT_TABLE_UNSPEC;
                mnl_attr_put_u32(nlh, RTA_TABLE, table);
                if (route->ifindex > 0)
                        mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t) route->ifindex);

                r = rtnl_request(rtnl, nlh, route_find_handler, &s);
                /* No such link or table: then no such route either. */
                if (r == -ENODEV || r == -ENOENT)
                        return 0;
                if (r < 0)
                        continue;
                return s.found;
        }
        return r;
}

/* ---- monitor ---- */

static const char *const rtnl_event_type_table[_RTNL_EVENT_MAX] = {
        [RTNL_EVENT_NEWLINK] = "newlink",   [RTNL_EVENT_DELLINK] = "dellink",
        [RTNL_EVENT_NEWADDR] = "newaddr",   [RTNL_EVENT_DELADDR] = "deladdr",
        [RTNL_EVENT_NEWROUTE] = "newroute", [RTNL_EVENT_DELROUTE] = "delroute",
        [RTNL_EVENT_OVERRUN] = "overrun",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(rtnl_event_type, RtnlEventType)

uint32_t rtnl_request_portid(const Rtnl *rtnl) {
        return rtnl ? rtnl->portid : 0;
}

int rtnl_monitor_fd(const Rtnl *rtnl) {
        if (!rtnl)
                return -EINVAL;
        return rtnl->mon ? mnl_socket_get_fd(rtnl->mon) : -EBADF;
}

int rtnl_monitor_dispatch(Rtnl *rtnl, RtnlEventHandler cb, void *userdata) {
        int n_events = 0;

        if (!rtnl || !cb)
                return -EINVAL;
        if (!rtnl->mon)
                return -EBADF;

        for (unsigned i = 0; i < RTNL_MONITOR_BUDGET; i++) {
                ssize_t n;
                int len, r;

                n = rtnl_recv(rtnl->mon, rtnl->mon_buf, RTNL_BUFFER_SIZE);
                if (n == -EAGAIN)
                        break;
                if (n == 0 || n == -EINTR || n == -EMSGSIZE) /* EMSGSIZE: one oversized message, dropped */
                        continue;
                if (n < 0) {
                        if (n == -ENOBUFS) {
                                /* The kernel dropped notifications for us; the socket
                                 * is usable again. Tell the caller to resync. */
                                RtnlEvent ev = { .type = RTNL_EVENT_OVERRUN };

                                r = cb(rtnl, &ev, userdata);
                                if (r < 0)
                                        return r;
                                n_events++;
                                continue;
                        }
                        return (int) n;
                }

                len = (int) n;
                for (const struct nlmsghdr *m = (const struct nlmsghdr *) rtnl->mon_buf; mnl_nlmsg_ok(m, len);
                     m = mnl_nlmsg_next(m, &len)) {
                        RtnlEvent ev = {};

                        if (!rtnl_event_decode(m, &ev))
                                continue;
                        r = cb(rtnl, &ev, userdata);
                        if (r < 0)
                                return r;
                        n_events++;
                }
        }

        return n_events;
}
