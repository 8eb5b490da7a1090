/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The DHCPv4 lease as the modules of src/dhcp4 share it: the codec and engine
 * produce it, the daemon applies (dhcp4-link), persists (dhcp4-persist, in the
 * dhcp4-lease-file formats) and reports it (dhcp4-status). infradhcpctl and the agent
 * never see this struct: they read the lease as JSON over varlink (GetStatus).
 * Plain data: no pointers, copyable by assignment.
 */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LEASE_MAX_ROUTERS 8
#define LEASE_MAX_DNS 8
#define LEASE_MAX_ROUTES 32
#define LEASE_HOSTNAME_MAX 64   /* incl. NUL */
#define LEASE_DOMAIN_MAX 256    /* incl. NUL */
#define LEASE_CLIENT_ID_LEN 7   /* 0x01 + 6-byte MAC, always (Option 61) */

typedef struct LeaseRoute {
        struct in_addr destination;
        uint8_t prefixlen;
        struct in_addr gateway; /* 0.0.0.0: on-link */
} LeaseRoute;

typedef struct Dhcp4Lease {
        struct in_addr address;   /* yiaddr */
        uint8_t prefixlen;        /* from option 1, else classful */
        struct in_addr server_id; /* option 54 */
        struct in_addr broadcast; /* option 28, 0.0.0.0 if absent */
        struct in_addr routers[LEASE_MAX_ROUTERS]; /* option 3 */
        size_t n_routers;
        struct in_addr dns[LEASE_MAX_DNS]; /* option 6 */
        size_t n_dns;
        LeaseRoute routes[LEASE_MAX_ROUTES]; /* option 121 (RFC 3442) */
        size_t n_routes;
        uint16_t mtu;                         /* option 26, 0 if absent */
        char hostname[LEASE_HOSTNAME_MAX];    /* option 12, "" if absent */
        char domain[LEASE_DOMAIN_MAX];        /* option 15, "" if absent */
        uint32_t lifetime;                    /* option 51, seconds; UINT32_MAX = infinite */
        uint32_t t1;                          /* option 58 or 0.5 * lifetime */
        uint32_t t2;                          /* option 59 or 0.875 * lifetime */
        /* When the REQUEST that obtained the ACK was sent, in the engine's clock
         * (CLOCK_BOOTTIME usec). RFC 2131 §4.4.1: lease times count from then. */
        uint64_t acquired_usec;
        uint8_t client_id[LEASE_CLIENT_ID_LEN];
} Dhcp4Lease;

/* A subnet to refuse offers from (multipod: the old pod's TEP pool). */
typedef struct Dhcp4Subnet {
        struct in_addr address;
        uint8_t prefixlen;
} Dhcp4Subnet;

static inline uint32_t lease_prefix_mask(uint8_t prefixlen) {
        return prefixlen == 0 ? 0 : htonl(UINT32_MAX << (32 - prefixlen));
}

static inline bool dhcp4_subnet_contains(const Dhcp4Subnet *s, struct in_addr a) {
        uint32_t m = lease_prefix_mask(s->prefixlen);
        return (a.s_addr & m) == (s->address.s_addr & m);
}
