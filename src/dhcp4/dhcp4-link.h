/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Applying a lease to the link and removing it again, over rtnetlink (as systemd's
 * networkd-dhcp4.c does beside sd-dhcp-client.c): the address with lifetimes equal to
 * the remaining lease (make before break when it changes), the routes a lease asks for
 * (option 121, else option 3, when configured), the multicast route, the MTU of
 * option 26 (UseMTU=: at least 68, at most the link's IFLA_MAX_MTU, the previous MTU
 * back when the lease goes), and sole ownership of IPv4 on the interface (every other
 * address goes). It remembers what it
 * put on the interface, which may lag behind the engine's view.
 *
 * Not here: when to do any of it (the engine's CONFIGURE/DECONFIGURE actions, the
 * netlink monitor in dhcp4-client), conflict detection, sockets.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dhcp4-config.h"
#include "infradhcp/lease.h"
#include "rtnl.h"

typedef struct Dhcp4Link {
        Rtnl *rtnl;                /* borrowed */
        int ifindex;
        const char *ifname;        /* borrowed */
        const Dhcp4Config *config; /* borrowed */

        bool configured;           /* `lease` is on the interface */
        Dhcp4Lease lease;
        /* UseMTU=: the MTU the link had before option 26 changed it, 0 while we have
         * not changed it. Restored when the lease goes (as networkd does, it is what the
         * link had when this daemon first changed it). */
        uint32_t saved_mtu;
} Dhcp4Link;

void dhcp4_link_init(Dhcp4Link *l, Rtnl *rtnl, int ifindex, const char *ifname, const Dhcp4Config *config);

/* Puts lease on the interface (now on the lease's clock): the address is added or
 * replaced with the remaining lifetime, then a previous address of ours goes, every
 * foreign IPv4 address goes (RemoveForeignAddresses=), the multicast route and the
 * lease's routes are installed (failures of those are logged, not returned), and the
 * result is logged. Returns 0, or -errno when the address could not be added, with
 * the reason in err (for the status' last error). */
int dhcp4_link_configure(Dhcp4Link *l, const Dhcp4Lease *lease, uint64_t now, char *err, size_t errlen);
/* Removes address/prefixlen (logged); forgets the lease if it was ours. */
void dhcp4_link_deconfigure(Dhcp4Link *l, struct in_addr address, uint8_t prefixlen);
/* Sole owner of IPv4: removes every address but keep/keep_len (NULL: all), when
 * RemoveForeignAddresses= is on. */
void dhcp4_link_remove_foreign_addresses(Dhcp4Link *l, const struct in_addr *keep, uint8_t keep_len);
/* Installs the multicast route (MulticastRoute=) when it is missing: 1 installed, 0
 * present or not configured, -errno (logged). */
int dhcp4_link_ensure_multicast_route(Dhcp4Link *l);
/* True when rt is the multicast route this link keeps. */
bool dhcp4_link_is_multicast_route(const Dhcp4Link *l, const RtnlRoute *rt);
/* Whether our address is still on the interface: 1 yes, 0 no, -errno. */
int dhcp4_link_address_present(Dhcp4Link *l);
