/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rtnetlink edge (libmnl): read links, add/replace/remove IPv4 addresses with
 * lifetimes, keep routes, and watch link/address/route changes.
 *
 * Two sockets: a request socket used synchronously (one request, wait for its ACK or
 * dump, bounded by a timeout so a lost answer never hangs the daemon), and a
 * non-blocking monitor socket the daemon polls from its event loop. No caches, no
 * policy: this module never decides which address or route should exist.
 * IPv4 only. See docs/netlink.md for why libmnl and not libnl-route-3.
 */
#pragma once

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* <net/if.h> lacks these; <linux/if.h> conflicts with it. Values from linux/if.h. */
#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000
#endif
#ifndef IFF_DORMANT
#define IFF_DORMANT 0x20000
#endif

typedef struct Rtnl Rtnl;

/* How long a request waits for the kernel's answer before failing with -ETIMEDOUT. */
#define RTNL_REQUEST_TIMEOUT_MSEC 2000

#define RTNL_LIFETIME_INFINITY UINT32_MAX

typedef struct RtnlLink {
        int ifindex;
        char name[IF_NAMESIZE];  /* IFLA_IFNAME, NUL-terminated */
        uint8_t mac[6];          /* IFLA_ADDRESS when it is 6 bytes long */
        bool has_mac;
        uint32_t flags;          /* ifi_flags: IFF_UP, IFF_RUNNING, IFF_LOWER_UP, ... */
        /* Administratively up and the lower layer has carrier (IFF_UP && IFF_LOWER_UP).
         * IFF_LOWER_UP is what the driver reports (netif_carrier_ok); the kernel only
         * sets it while the link is up. */
        bool carrier;
        uint8_t operstate;       /* IFLA_OPERSTATE (IF_OPER_*), 0 = unknown */
        uint32_t mtu;            /* IFLA_MTU, 0 if absent */
        uint32_t min_mtu;        /* IFLA_MIN_MTU, 0 if absent */
        uint32_t max_mtu;        /* IFLA_MAX_MTU: the largest MTU the driver accepts, 0 if absent */
        int parent_ifindex;      /* IFLA_LINK (lower device of a VLAN/veth peer), 0 if absent */
        char kind[16];           /* IFLA_LINKINFO/IFLA_INFO_KIND ("vlan", "veth", ...), "" if none */
        uint16_t vlan_id;        /* IFLA_INFO_DATA/IFLA_VLAN_ID when kind is "vlan", else 0 */
        /* IFLA_EVENT of a notification (IFLA_EVENT_*), 0 = none. IFLA_EVENT_NOTIFY_PEERS:
         * the driver asks to re-announce the host (virtio after a live migration, bonding
         * failover; the VLAN driver passes it on to its subinterfaces). */
        uint32_t event;
        /* IFLA_AF_SPEC/AF_INET/IFLA_INET_CONF[IPV4_DEVCONF_PROMOTE_SECONDARIES]: 0 or 1,
         * -1 when the link has no IPv4 configuration in the message. */
        int8_t promote_secondaries;
} RtnlLink;

typedef struct RtnlAddr {
        int ifindex;
        struct in_addr address;   /* IFA_LOCAL (IFA_ADDRESS if no IFA_LOCAL) */
        uint8_t prefixlen;
        struct in_addr broadcast; /* IFA_BROADCAST, 0.0.0.0 if absent */
        uint8_t scope;            /* RT_SCOPE_* */
        uint32_t flags;           /* IFA_F_* (IFA_FLAGS when present, else ifa_flags) */
        /* Remaining lifetimes in seconds as the kernel reports them (IFA_CACHEINFO);
         * RTNL_LIFETIME_INFINITY for permanent addresses. */
        uint32_t valid_sec;
        uint32_t preferred_sec;
} RtnlAddr;

typedef struct RtnlRoute {
        int ifindex;              /* RTA_OIF; 0 if absent (e.g. multipath) */
        struct in_addr dst;       /* RTA_DST, 0.0.0.0 for the default route */
        uint8_t dst_len;
        struct in_addr gateway;   /* RTA_GATEWAY, 0.0.0.0 = on-link */
        struct in_addr prefsrc;   /* RTA_PREFSRC, 0.0.0.0 = none */
        uint8_t scope;            /* RT_SCOPE_UNIVERSE (0) or RT_SCOPE_LINK ... */
        uint8_t protocol;         /* RTPROT_STATIC, RTPROT_BOOT, RTPROT_DHCP, or any number */
        uint8_t type;             /* RTN_*; 0 in a request means RTN_UNICAST */
        uint32_t metric;          /* RTA_PRIORITY */
        uint32_t table;           /* RTA_TABLE; 0 in a request means RT_TABLE_MAIN */
} RtnlRoute;

/* Both sockets: requests and the monitor (subscribed to link, IPv4 address and IPv4
 * route changes). */
int rtnl_new(Rtnl **ret);
/* The request socket only; rtnl_monitor_open() adds the monitor later (infradhcpd
 * subscribes once its first DHCP packet is out, then re-reads its link so that nothing
 * that changed in between is missed). rtnl_monitor_open() on an open monitor is a no-op. */
int rtnl_new_request(Rtnl **ret);
int rtnl_monitor_open(Rtnl *rtnl);
Rtnl *rtnl_free(Rtnl *rtnl);
static inline void rtnl_freep(Rtnl **p) {
        if (*p)
                *p = rtnl_free(*p);
}

/* The netlink port of the request socket: the portid of the notifications our own
 * requests cause (so the monitor can tell them from someone else's). */
uint32_t rtnl_request_portid(const Rtnl *rtnl);

/* The kernel's extended-ACK message for the last failed request ("" if none), for logs. */
const char *rtnl_last_error_message(const Rtnl *rtnl);

/* Links. Return 0, -ENODEV if there is no such link, or -errno. */
int rtnl_link_get_by_name(Rtnl *rtnl, const char *ifname, RtnlLink *ret);
int rtnl_link_get_by_index(Rtnl *rtnl, int ifindex, RtnlLink *ret);
/* Dumps all links and returns the one of kind "vlan" with this VLAN id: 0, -ENODEV if
 * none, -ENOTUNIQ if several links carry that VLAN id (e.g. on two parents). */
int rtnl_link_find_vlan(Rtnl *rtnl, uint16_t vlan_id, RtnlLink *ret);

/* Sets net.ipv4.conf.IF.promote_secondaries. With it off (the kernel default when no
 * sysctl.d sets it), removing the primary address of a subnet also removes every
 * secondary address of that subnet: make-before-break (add the new lease, then remove
 * the old one in the same subnet) and foreign-address cleanup would take our own
 * address down with it. The daemon turns it on before it configures anything. */
int rtnl_link_set_promote_secondaries(Rtnl *rtnl, int ifindex, bool enable);
/* Sets the link administratively up or down (RTM_SETLINK, IFF_UP). 0 or -errno. */
int rtnl_link_set_up(Rtnl *rtnl, int ifindex, bool up);
/* Sets the link's MTU (RTM_SETLINK, IFLA_MTU). 0 or -errno (-EINVAL from the kernel
 * outside the driver's IFLA_MIN_MTU..IFLA_MAX_MTU). */
int rtnl_link_set_mtu(Rtnl *rtnl, int ifindex, uint32_t mtu);

/* Adds or replaces an IPv4 address (RTM_NEWADDR, NLM_F_CREATE|NLM_F_REPLACE).
 * broadcast 0.0.0.0: computed from the prefix, none for /31 and /32 (RFC 3021).
 * valid_sec/preferred_sec: lifetimes (RTNL_LIFETIME_INFINITY = forever); replacing an
 * existing address updates its lifetimes, so the kernel removes it if the daemon dies.
 * valid_sec 0 is -EINVAL; preferred_sec is clamped to valid_sec. */
int rtnl_addr_replace(Rtnl *rtnl, int ifindex, struct in_addr address, uint8_t prefixlen,
                      struct in_addr broadcast, uint32_t valid_sec, uint32_t preferred_sec);
/* Removes an IPv4 address. Returns 1 if it was removed, 0 if it was not there
 * (EADDRNOTAVAIL/ENOENT from the kernel), -errno otherwise (-ENODEV: link gone).
 * Note: without net.ipv4.conf.IF.promote_secondaries=1 removing a primary address also
 * removes the secondaries of the same subnet (docs/netlink.md). */
int rtnl_addr_del(Rtnl *rtnl, int ifindex, struct in_addr address, uint8_t prefixlen);
/* Lists the IPv4 addresses of ifindex (0: all links). Stores MIN(found, max) entries in
 * out and sets *ret_n to the number found; *ret_n > max means out was too small. */
int rtnl_addr_list(Rtnl *rtnl, int ifindex, RtnlAddr *out, size_t max, size_t *ret_n);

/* Adds or replaces a route (RTM_NEWROUTE, NLM_F_CREATE|NLM_F_REPLACE). The kernel's key
 * is (table, dst/dst_len, tos 0, metric): a route with that key is replaced. */
int rtnl_route_replace(Rtnl *rtnl, const RtnlRoute *route);
/* Removes the route with r's key (table, dst/dst_len, metric) on r->ifindex (if not 0).
 * Returns 1 if removed, 0 if there was none (ESRCH), -errno otherwise. */
int rtnl_route_del(Rtnl *rtnl, const RtnlRoute *route);
/* Returns 1 if a route with r's key exists on r->ifindex (any if 0), via r->gateway
 * (any if 0.0.0.0), 0 if not, -errno on failure. Scope and protocol are not compared. */
int rtnl_route_exists(Rtnl *rtnl, const RtnlRoute *route);

/* Monitor (RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV4_ROUTE). */
typedef enum RtnlEventType {
        RTNL_EVENT_NEWLINK,
        RTNL_EVENT_DELLINK,
        RTNL_EVENT_NEWADDR,
        RTNL_EVENT_DELADDR,
        RTNL_EVENT_NEWROUTE,
        RTNL_EVENT_DELROUTE,
        /* The kernel dropped notifications (ENOBUFS): state may have changed without an
         * event. Re-read links, addresses and routes. */
        RTNL_EVENT_OVERRUN,
        _RTNL_EVENT_MAX,
} RtnlEventType;

typedef struct RtnlEvent {
        RtnlEventType type;
        /* nlmsg_pid: the netlink port of the socket whose request made this change,
         * 0 when the kernel made it on its own (lifetime expiry, link down) or for
         * OVERRUN. For who did it (netlink-owner.h). */
        uint32_t portid;
        union {
                RtnlLink link;   /* NEWLINK, DELLINK */
                RtnlAddr addr;   /* NEWADDR, DELADDR (addr.ifindex says which link) */
                RtnlRoute route; /* NEWROUTE, DELROUTE (IPv4 only) */
        };
} RtnlEvent;

/* Return < 0 to stop dispatching; that value is returned by rtnl_monitor_dispatch().
 * The handler may call any other rtnl_* request function (e.g. put a deleted route
 * back); requests use their own socket and buffer. */
typedef int (*RtnlEventHandler)(Rtnl *rtnl, const RtnlEvent *event, void *userdata);

const char *rtnl_event_type_to_string(RtnlEventType t);

/* The monitor fd (O_CLOEXEC|O_NONBLOCK), owned by rtnl; poll it for EPOLLIN. -EBADF
 * before rtnl_monitor_open(). */
int rtnl_monitor_fd(const Rtnl *rtnl);
/* Reads every queued notification without blocking and calls cb for each one (and
 * once with RTNL_EVENT_OVERRUN if the kernel reported ENOBUFS). Malformed messages are
 * skipped. Returns the number of events delivered, or the handler's negative value,
 * or -errno. */
int rtnl_monitor_dispatch(Rtnl *rtnl, RtnlEventHandler cb, void *userdata);
