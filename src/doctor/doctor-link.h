/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the doctor's pure matchers know about the interface being checked: the facts
 * networkd's [Match], NetworkManager's device specs and netplan's match: compare.
 * Plain data, filled by the edge (rtnetlink) or by a unit test.
 */
#pragma once

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct DoctorLink {
        char name[IF_NAMESIZE];
        uint8_t mac[6];
        bool has_mac;
        char kind[16];            /* rtnetlink IFLA_INFO_KIND: "vlan", "veth", "" for a NIC */
        uint16_t vlan_id;         /* kind "vlan" only */
        char parent[IF_NAMESIZE]; /* lower device of a VLAN, "" if none or unknown */
} DoctorLink;

/* networkd's Type= of the link: "vlan" for a VLAN, "ether" otherwise (veth, NICs). */
static inline const char *doctor_link_networkd_type(const DoctorLink *l) {
        return l->kind[0] && strcmp(l->kind, "vlan") == 0 ? "vlan" : "ether";
}

/* NetworkManager's device type name ("type:" device specs): vlan, veth, ethernet. */
static inline const char *doctor_link_nm_type(const DoctorLink *l) {
        if (strcmp(l->kind, "vlan") == 0)
                return "vlan";
        if (strcmp(l->kind, "veth") == 0)
                return "veth";
        return "ethernet";
}

/* Copies src into dst (size > 0), cut at size - 1 bytes, always NUL-terminated. */
static inline void doctor_strlcpy(char *dst, size_t size, const char *src) {
        size_t l = strlen(src);

        if (l >= size)
                l = size - 1;
        memcpy(dst, src, l);
        dst[l] = '\0';
}
