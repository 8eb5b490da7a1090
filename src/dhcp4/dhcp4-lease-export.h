/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The dhclient lease file infradhcpd keeps for the tools that read dhclient's leases
 * (the ACI host agent, dhclient itself, doctor): where it is on this distribution,
 * and how the file changes when a lease is bound, renewed, rebound or ends. Pure:
 * text in, text out; the daemon (dhcp4-export.c) reads /etc/os-release and writes
 * the file atomically. The block format itself is dhcp4-lease-file's.
 *
 * Location, from /etc/os-release ID, then each word of ID_LIKE:
 *   debian, ubuntu        /var/lib/dhcp/dhclient.IFNAME.leases    (ifupdown's name)
 *   rhel, fedora, centos  /var/lib/dhclient/dhclient-IFNAME.leases (network-scripts')
 * (NetworkManager's dhclient plugin names its files after a connection UUID,
 * /var/lib/NetworkManager/dhclient-UUID-IFNAME.lease: not a default, [LeaseExport]
 * Path= can name one.)
 *
 * Update: the lease blocks of other interfaces and everything outside lease blocks
 * (comments, default-duid, lease6 blocks) stay as they are; the new block is
 * appended; of this interface's older blocks the newest max_blocks - 1 are kept and
 * every renew/rebind/expire in them that is later than one second before now is set
 * to that second. So only the newest block of the interface ends in the future, and
 * it has the latest expire whatever rule a reader applies to ties: dhclient makes it
 * its active lease (the last unexpired one), the host agent picks it (latest expire).
 * A file that does not parse (unbalanced braces, an unterminated string, a NUL byte)
 * is replaced by the new block alone.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DHCP4_LEASE_EXPORT_MAX_BLOCKS 100
/* The largest file the update reads (the daemon refuses to read more). */
#define DHCP4_LEASE_EXPORT_FILE_MAX (1024 * 1024)

typedef struct Dhcp4LeaseExportStats {
        unsigned kept;    /* older blocks of the interface kept */
        unsigned dropped; /* older blocks of the interface dropped (over max_blocks) */
        unsigned clamped; /* of the kept ones, those whose times were moved back */
        unsigned others;  /* lease blocks of other interfaces (or of none), kept */
        bool corrupt;     /* the old text did not parse and was replaced */
} Dhcp4LeaseExportStats;

/* Returns 0 with the new file text in *ret (malloc'd, NUL-terminated, *ret_len its
 * length); -EINVAL for bad arguments (ifname not valid, block empty, max_blocks 0 or
 * above DHCP4_LEASE_EXPORT_MAX_BLOCKS, old larger than DHCP4_LEASE_EXPORT_FILE_MAX),
 * -ENOMEM. old may be NULL (no file yet). ret_stats may be NULL. */
int dhcp4_lease_export_update(const char *old, size_t old_len, const char *ifname, const char *block,
                              size_t block_len, uint64_t now_sec, unsigned max_blocks, char **ret, size_t *ret_len,
                              Dhcp4LeaseExportStats *ret_stats);

typedef enum Dhcp4OsFamily {
        DHCP4_OS_UNKNOWN,
        DHCP4_OS_DEBIAN,
        DHCP4_OS_RHEL,
} Dhcp4OsFamily;

/* The family from os-release text (ID first, then ID_LIKE in order; values may be
 * quoted). *ret_id (may be NULL, 64 bytes) gets ID ("" when absent). Returns 0 (also
 * for DHCP4_OS_UNKNOWN) or -EINVAL for NULL arguments. */
int dhcp4_lease_export_os_family(const char *text, size_t len, Dhcp4OsFamily *ret, char *ret_id);

/* The path dhclient uses for ifname on that family. 0, -ENOENT for
 * DHCP4_OS_UNKNOWN, -EINVAL, -ENOBUFS. */
int dhcp4_lease_export_default_path(Dhcp4OsFamily family, const char *ifname, char *buf, size_t size);

const char *dhcp4_os_family_to_string(Dhcp4OsFamily f);
