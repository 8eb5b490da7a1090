/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A lease on the link: address, routes, the multicast route, foreign addresses
 * (see dhcp4-link.h).
 */

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>

#include "dhcp4-link.h"
#include "errmsg.h"
#include "log.h"
#include "macro.h"
#include "time-util.h"

#define MAX_FOREIGN_ADDRESSES 64

static const char *addr_str(struct in_addr a, char buf[static INET_ADDRSTRLEN]) {
        return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

void dhcp4_link_init(Dhcp4Link *l, Rtnl *rtnl, int ifindex, const char *ifname, const Dhcp4Config *config) {
        *l = (Dhcp4Link) { .rtnl = rtnl, .ifindex = ifindex, .ifname = ifname, .config = config };
}

static uint32_t lease_remaining_sec(const Dhcp4Lease *l, uint64_t now) {
        uint64_t end, left;

        if (l->lifetime == UINT32_MAX)
                return RTNL_LIFETIME_INFINITY;
        end = usec_add(l->acquired_usec, (uint64_t) l->lifetime * USEC_PER_SEC);
        left = usec_sub(end, now) / USEC_PER_SEC;
        if (left == 0)
                left = 1; /* the engine expires it; the kernel must not race it */
        return left >= RTNL_LIFETIME_INFINITY ? RTNL_LIFETIME_INFINITY - 1 : (uint32_t) left;
}

bool dhcp4_link_is_multicast_route(const Dhcp4Link *l, const RtnlRoute *rt) {
        const Dhcp4Config *c = l->config;

        return c->multicast_route && rt->ifindex == l->ifindex &&
               rt->dst.s_addr == c->multicast_route_prefix.address.s_addr &&
               rt->dst_len == c->multicast_route_prefix.prefixlen && rt->metric == c->multicast_route_metric;
}

int dhcp4_link_ensure_multicast_route(Dhcp4Link *l) {
        const Dhcp4Config *c = l->config;
        RtnlRoute rt = {
                .ifindex = l->ifindex,
                .dst = c->multicast_route_prefix.address,
                .dst_len = c->multicast_route_prefix.prefixlen,
                .scope = RT_SCOPE_LINK,
                .protocol = RTPROT_STATIC,
                .metric = c->multicast_route_metric,
                .table = RT_TABLE_MAIN,
        };
        char a[INET_ADDRSTRLEN];
        int r;

        if (!c->multicast_route)
                return 0;
        r = rtnl_route_exists(l->rtnl, &rt);
        if (r > 0)
                return 0;
        r = rtnl_route_replace(l->rtnl, &rt);
        if (r < 0) {
                const char *ext = rtnl_last_error_message(l->rtnl);
                return log_warning_errno(r, "Failed to add multicast route on %s: %m%s%s%s", l->ifname,
                                         ext[0] ? " (" : "", ext, ext[0] ? ")" : "");
        }
        log_info("Multicast route %s/%u dev %s metric %" PRIu32 " installed", addr_str(rt.dst, a), rt.dst_len,
                 l->ifname, rt.metric);
        return 1;
}

static void link_install_lease_routes(Dhcp4Link *l, const Dhcp4Lease *lease) {
        const Dhcp4Config *c = l->config;
        char a[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN];
        int r;

        /* RFC 3442 §3: when option 121 is present, option 3 must be ignored. */
        if (c->use_routes && lease->n_routes > 0) {
                for (size_t i = 0; i < lease->n_routes; i++) {
                        RtnlRoute rt = {
                                .ifindex = l->ifindex,
                                .dst = lease->routes[i].destination,
                                .dst_len = lease->routes[i].prefixlen,
                                .gateway = lease->routes[i].gateway,
                                .prefsrc = lease->address,
                                .scope = lease->routes[i].gateway.s_addr ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK,
                                .protocol = RTPROT_DHCP,
                                .metric = c->route_metric,
                        };
                        r = rtnl_route_replace(l->rtnl, &rt);
                        if (r < 0)
                                log_warning_errno(r, "Failed to add route %s/%u via %s: %m", addr_str(rt.dst, a),
                                                  rt.dst_len, addr_str(rt.gateway, g));
                }
        } else if (c->use_gateway && lease->n_routers > 0) {
                struct in_addr gw = {};

                /* The first router that can be one: 0.0.0.0 (or a broadcast, multicast or
                 * loopback address) as a gateway would become an on-link default route
                 * ("default dev IF"), hijacking the node's traffic onto the infra VLAN.
                 * systemd-networkd refuses a null router the same way. */
                for (size_t i = 0; i < MIN(lease->n_routers, (size_t) LEASE_MAX_ROUTERS); i++) {
                        uint32_t h = ntohl(lease->routers[i].s_addr);
                        if (h == 0 || h == UINT32_MAX || (h >> 24) == 127 || (h >> 28) >= 14) {
                                log_warning("Router option %s refused: not a usable gateway (no on-link default "
                                            "route is installed for it)", addr_str(lease->routers[i], g));
                                continue;
                        }
                        gw = lease->routers[i];
                        break;
                }
                if (gw.s_addr == 0)
                        return;
                RtnlRoute rt = {
                        .ifindex = l->ifindex,
                        .gateway = gw,
                        .prefsrc = lease->address,
                        .scope = RT_SCOPE_UNIVERSE,
                        .protocol = RTPROT_DHCP,
                        .metric = c->route_metric,
                };
                r = rtnl_route_replace(l->rtnl, &rt);
                if (r < 0)
                        log_warning_errno(r, "Failed to add default route via %s: %m", addr_str(rt.gateway, g));
        }
}

void dhcp4_link_remove_foreign_addresses(Dhcp4Link *l, const struct in_addr *keep, uint8_t keep_len) {
        RtnlAddr addrs[MAX_FOREIGN_ADDRESSES];
        char a[INET_ADDRSTRLEN];
        size_t n;
        int r;

        if (!l->config->remove_foreign_addresses)
                return;
        r = rtnl_addr_list(l->rtnl, l->ifindex, addrs, ELEMENTSOF(addrs), &n);
        if (r < 0) {
                log_warning_errno(r, "Failed to list addresses on %s: %m", l->ifname);
                return;
        }
        for (size_t i = 0; i < MIN(n, ELEMENTSOF(addrs)); i++) {
                if (keep && addrs[i].address.s_addr == keep->s_addr && addrs[i].prefixlen == keep_len)
                        continue;
                r = rtnl_addr_del(l->rtnl, l->ifindex, addrs[i].address, addrs[i].prefixlen);
                if (r < 0)
                        log_warning_errno(r, "Failed to remove foreign address %s/%u: %m",
                                          addr_str(addrs[i].address, a), addrs[i].prefixlen);
                else if (r > 0)
                        log_fields(LOG_NOTICE, ((const char *[]) { "REASON=foreign-address", NULL }),
                                   "Removed foreign address %s/%u from %s (this daemon owns IPv4 here)",
                                   addr_str(addrs[i].address, a), addrs[i].prefixlen, l->ifname);
        }
}

/* RFC 2132 §5.1: "The minimum legal value for the MTU is 68." */
#define MTU_MIN 68

/* Puts the MTU the link had before we changed it back (the lease went, or the new one
 * carries no option 26). */
static void link_restore_mtu(Dhcp4Link *l) {
        int r;

        if (l->saved_mtu == 0)
                return;
        r = rtnl_link_set_mtu(l->rtnl, l->ifindex, l->saved_mtu);
        if (r < 0)
                log_warning_errno(r, "Failed to restore the MTU of %s to %" PRIu32 ": %m", l->ifname, l->saved_mtu);
        else
                log_info("MTU of %s restored to %" PRIu32, l->ifname, l->saved_mtu);
        l->saved_mtu = 0;
}

/* UseMTU=: option 26 on the link, within what the link accepts. */
static void link_apply_mtu(Dhcp4Link *l, const Dhcp4Lease *lease) {
        uint32_t want = lease->mtu;
        RtnlLink k;
        int r;

        if (!l->config->use_mtu)
                return;
        if (want == 0) {
                link_restore_mtu(l);
                return;
        }
        if (want < MTU_MIN) {
                log_warning("The lease's MTU %" PRIu32 " (option 26) is below the minimum of %d (RFC 2132 §5.1); "
                            "the MTU of %s is left as it is", want, MTU_MIN, l->ifname);
                return;
        }
        r = rtnl_link_get_by_index(l->rtnl, l->ifindex, &k);
        if (r < 0) {
                log_warning_errno(r, "Cannot read the MTU of %s; option 26 not applied: %m", l->ifname);
                return;
        }
        if (k.max_mtu > 0 && want > k.max_mtu) {
                log_notice("The lease's MTU %" PRIu32 " is above the largest %s accepts (%" PRIu32 "); using %" PRIu32,
                           want, l->ifname, k.max_mtu, k.max_mtu);
                want = k.max_mtu;
        }
        if (k.min_mtu > 0 && want < k.min_mtu) {
                log_warning("The lease's MTU %" PRIu32 " is below the smallest %s accepts (%" PRIu32 "); the MTU "
                            "is left as it is", want, l->ifname, k.min_mtu);
                return;
        }
        if (k.mtu == want)
                return;
        r = rtnl_link_set_mtu(l->rtnl, l->ifindex, want);
        if (r < 0) {
                log_warning_errno(r, "Failed to set the MTU of %s to %" PRIu32 " (option 26): %m%s%s%s", l->ifname,
                                  want, rtnl_last_error_message(l->rtnl)[0] ? " (" : "",
                                  rtnl_last_error_message(l->rtnl), rtnl_last_error_message(l->rtnl)[0] ? ")" : "");
                return;
        }
        /* The MTU before the first change is what comes back when the lease goes. */
        if (l->saved_mtu == 0)
                l->saved_mtu = k.mtu;
        log_info("MTU of %s set to %" PRIu32 " from the lease (option 26; %" PRIu32 " before, restored when the "
                 "lease goes)", l->ifname, want, l->saved_mtu);
}

int dhcp4_link_configure(Dhcp4Link *l, const Dhcp4Lease *lease, uint64_t now, char *err, size_t errlen) {
        char a[INET_ADDRSTRLEN], field[64];
        uint32_t left = lease_remaining_sec(lease, now);
        bool replacing = l->configured && l->lease.address.s_addr != lease->address.s_addr;
        Dhcp4Lease old = l->lease;
        int r;

        /* Make before break: the new address is added before the old one goes. */
        r = rtnl_addr_replace(l->rtnl, l->ifindex, lease->address, lease->prefixlen, lease->broadcast, left, left);
        if (r < 0) {
                const char *ext = rtnl_last_error_message(l->rtnl);

                (void) errmsg(err, errlen, r, NULL, "adding %s/%u failed: %s%s%s%s", addr_str(lease->address, a),
                              lease->prefixlen, strerror(-r), ext[0] ? " (" : "", ext, ext[0] ? ")" : "");
                /* The kernel's extended ack, when it gave one; never an empty "()". */
                return log_error_errno(r, "Failed to configure %s/%u on %s: %m%s%s%s%s", a, lease->prefixlen,
                                       l->ifname, ext[0] ? " (" : "", ext, ext[0] ? ")" : "",
                                       r == -EPERM ? "; CAP_NET_ADMIN is needed" : "");
        }
        l->configured = true;
        l->lease = *lease;
        if (replacing) {
                r = rtnl_addr_del(l->rtnl, l->ifindex, old.address, old.prefixlen);
                if (r < 0)
                        log_warning_errno(r, "Failed to remove previous address %s: %m", addr_str(old.address, a));
        }
        dhcp4_link_remove_foreign_addresses(l, &lease->address, lease->prefixlen);
        (void) dhcp4_link_ensure_multicast_route(l);
        link_install_lease_routes(l, lease);
        link_apply_mtu(l, lease);

        snprintf(field, sizeof(field), "ADDRESS=%s/%u", addr_str(lease->address, a), lease->prefixlen);
        if (lease->lifetime == UINT32_MAX)
                log_fields(LOG_INFO, ((const char *[]) { field, NULL }),
                           "Configured %s/%u on %s, valid for ever (infinite lease: no renewal)", a,
                           lease->prefixlen, l->ifname);
        else
                log_fields(LOG_INFO, ((const char *[]) { field, NULL }),
                           "Configured %s/%u on %s, valid for %" PRIu32 " s (T1 %" PRIu32 " s, T2 %" PRIu32 " s)",
                           a, lease->prefixlen, l->ifname, left, lease->t1, lease->t2);
        return 0;
}

void dhcp4_link_deconfigure(Dhcp4Link *l, struct in_addr address, uint8_t prefixlen) {
        char a[INET_ADDRSTRLEN];
        int r;

        r = rtnl_addr_del(l->rtnl, l->ifindex, address, prefixlen);
        if (r < 0)
                log_warning_errno(r, "Failed to remove %s/%u from %s: %m", addr_str(address, a), prefixlen,
                                  l->ifname);
        else
                log_info("Removed %s/%u from %s", addr_str(address, a), prefixlen, l->ifname);
        if (l->configured && l->lease.address.s_addr == address.s_addr)
                l->configured = false;
        /* The lease went (not replaced by another, which would be configured by now). */
        if (!l->configured)
                link_restore_mtu(l);
}

int dhcp4_link_address_present(Dhcp4Link *l) {
        RtnlAddr addrs[MAX_FOREIGN_ADDRESSES];
        size_t n;
        int r;

        r = rtnl_addr_list(l->rtnl, l->ifindex, addrs, ELEMENTSOF(addrs), &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < MIN(n, ELEMENTSOF(addrs)); i++)
                if (addrs[i].address.s_addr == l->lease.address.s_addr)
                        return 1;
        return 0;
}
