/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * systemd-networkd's view of one interface, from .network files (pure).
 *
 * networkd reads *.network from /etc/systemd/network, /run/systemd/network,
 * /usr/local/lib/systemd/network and /usr/lib/systemd/network (a name in an earlier
 * directory shadows the same name later; an empty file or a /dev/null symlink masks
 * it), sorts them by file name, applies each file's drop-ins (the .conf files in NAME.network.d/,
 * lexical order) and uses the FIRST file whose [Match] section matches the link
 * (systemd.network(5)). That file decides: [Link] Unmanaged=yes leaves the link alone;
 * otherwise networkd configures it and, unless KeepConfiguration= keeps them, removes
 * addresses and routes it did not add (ManageForeignRoutes=yes by default), which is
 * what takes infradhcpd's address and 224.0.0.0/4 route away; DHCP=yes|ipv4 runs its
 * own DHCPv4 client.
 *
 * [Match] keys evaluated: Name= (globs, "!" negates an item), MACAddress=,
 * PermanentMACAddress= (compared with the current MAC), Type=, Kind=. Keys that need
 * facts this module does not have (Driver=, Path=, Property=, Host=,
 * Virtualization=, ...) are assumed to match and named in `assumed`, so a report never
 * hides a file that might apply. Not here: reading files (the caller does, through
 * conf_files_list()), networkd.conf.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "doctor-link.h"

#define NETWORKD_PATTERNS_MAX 64

typedef struct NetworkdNetwork {
        bool has_match;                         /* any [Match] key seen */
        char *names[NETWORKD_PATTERNS_MAX];     /* Name= items (malloc'd), '!' kept */
        size_t n_names;
        uint8_t macs[NETWORKD_PATTERNS_MAX][6]; /* MACAddress= / PermanentMACAddress= */
        size_t n_macs;
        bool macs_invert;
        char *types[NETWORKD_PATTERNS_MAX];     /* Type= */
        size_t n_types;
        char *kinds[NETWORKD_PATTERNS_MAX];     /* Kind= */
        size_t n_kinds;
        char assumed[64];                       /* first [Match] key assumed to match, "" if none */

        int dhcp;                               /* -1 unset; else bit 0 = IPv4, bit 1 = IPv6 */
        unsigned dhcp_line;
        unsigned n_parsed;                      /* texts applied so far */
        unsigned dhcp_text;                     /* which of them (1-based) set DHCP= last */
        int unmanaged;                          /* -1 unset, 0, 1 */
        unsigned unmanaged_line;
        int keep_configuration;                 /* -1 unset; NETWORKD_KEEP_* bits */
        unsigned n_static_ipv4;                 /* Address= entries with an IPv4 address */
} NetworkdNetwork;

enum {
        NETWORKD_DHCP_V4 = 1 << 0,
        NETWORKD_DHCP_V6 = 1 << 1,
        NETWORKD_KEEP_STATIC = 1 << 0,
        NETWORKD_KEEP_DHCP = 1 << 1,
};

void networkd_network_init(NetworkdNetwork *n);
void networkd_network_done(NetworkdNetwork *n);

/* Applies one file's text (the .network itself, then each drop-in, in order) to n.
 * Unknown sections and keys are ignored, as networkd does. Returns 0, -ENOMEM, or
 * -EBADMSG with *ret_line and *ret_error (line structure or a malformed DHCP=/Unmanaged=/
 * MACAddress= value; networkd would ignore such a line, the doctor reports it). */
int networkd_network_parse(NetworkdNetwork *n, const char *text, size_t len, unsigned *ret_line,
                           const char **ret_error);

/* Whether n's [Match] matches the link. A file without [Match] matches every link. */
bool networkd_network_matches(const NetworkdNetwork *n, const DoctorLink *link);

/* What networkd does with a link this network applies to. */
typedef enum NetworkdVerdict {
        NETWORKD_VERDICT_UNMANAGED,  /* Unmanaged=yes: leaves it alone */
        NETWORKD_VERDICT_KEEPS,      /* manages it but KeepConfiguration= keeps foreign dynamic addresses */
        NETWORKD_VERDICT_MANAGES,    /* manages it: removes foreign addresses and routes */
        NETWORKD_VERDICT_DHCP,       /* runs DHCPv4 on it */
} NetworkdVerdict;

NetworkdVerdict networkd_network_verdict(const NetworkdNetwork *n);
const char *networkd_verdict_to_string(NetworkdVerdict v);

/* The file name for doctor's Unmanaged=yes file for ifname that sorts before
 * `before` (the matching file's name), in buf: "00-infradhcp-IF.network", or with a
 * shorter prefix when `before` sorts first. Returns 0, -ERANGE when no candidate sorts
 * before it, -ENOBUFS. */
int networkd_unmanaged_file_name(const char *ifname, const char *before, char *buf, size_t size);
/* The text of that file. */
int networkd_unmanaged_file_format(const char *ifname, char *buf, size_t size);
