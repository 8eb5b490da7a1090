/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The lease exported in ISC dhclient's format (docs/configuration.md [LeaseExport]),
 * for the ACI host agent, dhclient and doctor, which read dhclient's lease files: on
 * every bind, renew and rebind the lease's block, and when it ends (release, expiry,
 * NAK, conflict, replaced by another address) its block with the end time, written
 * atomically to every target:
 *   - [LeaseExport] Path=, or where the distribution's dhclient keeps it (from
 *     /etc/os-release, dhcp4-lease-export.h), unless Enabled=no;
 *   - up to DHCP4_EXPORT_EXTRA_MAX extra paths named at run time (varlink
 *     AddLeaseExport: infradhcp-dhclient -lf FILE), for the life of the daemon.
 * The file's rule (older blocks kept up to MaxBlocks=, moved back to before now) is
 * dhcp4-lease-export.c's; this is the file edge. A target that cannot be written is
 * logged once and tried again at every later change until it works.
 * Not here: when (the client calls on the engine's PERSIST and DECONFIGURE actions).
 */
#pragma once

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dhcp4-config.h"
#include "infradhcp/lease.h"

#define DHCP4_EXPORT_EXTRA_MAX 4
#define DHCP4_EXPORT_TARGETS_MAX (1 + DHCP4_EXPORT_EXTRA_MAX)

typedef struct Dhcp4ExportTarget {
        char path[DHCP4_CONFIG_PATH_MAX];
        bool extra;   /* named at run time */
        bool pending; /* does not hold the current block yet */
        int error;    /* of the last attempt (negative errno), 0 when written */
} Dhcp4ExportTarget;

typedef struct Dhcp4Export {
        char ifname[IF_NAMESIZE];
        unsigned max_blocks;
        Dhcp4ExportTarget targets[DHCP4_EXPORT_TARGETS_MAX];
        size_t n_targets;

        bool have_lease;           /* the lease whose block the targets get */
        Dhcp4Lease lease;
        uint64_t acquired_realtime_usec;
        uint64_t ended_realtime_usec; /* 0 while the lease holds */
} Dhcp4Export;

/* Sets up the targets of ifname from config: Path=, or the distribution's location
 * read from os_release_path (NULL: /etc/os-release, then /usr/lib/os-release); logs
 * where the lease goes, or why nowhere. */
void dhcp4_export_init(Dhcp4Export *e, const char *ifname, const Dhcp4Config *config, const char *os_release_path);

/* The lease remembered at start, before it is confirmed: the files hold it from the
 * previous run, so nothing is written now, but its end (a NAK) is. */
void dhcp4_export_remembered(Dhcp4Export *e, const Dhcp4Lease *l, uint64_t acquired_realtime_usec);
/* A lease was bound, renewed or rebound at acquired_realtime_usec (PERSIST). */
void dhcp4_export_lease(Dhcp4Export *e, const Dhcp4Lease *l, uint64_t acquired_realtime_usec);
/* The address left the interface (DECONFIGURE) at now_realtime_usec: if it is the
 * exported lease's, its block is written as ended. */
void dhcp4_export_end(Dhcp4Export *e, struct in_addr address, uint64_t now_realtime_usec);
/* Writes the pending targets (once per batch of changes). */
void dhcp4_export_flush(Dhcp4Export *e, uint64_t now_realtime_usec);
bool dhcp4_export_pending(const Dhcp4Export *e);

/* "PATH: reason" of the first target whose last write failed, "" when none. */
void dhcp4_export_error(const Dhcp4Export *e, char *buf, size_t size);

/* Adds an extra target (an absolute path) and writes the current block there now.
 * Returns 1 when written, 0 when there is no lease yet (written at the next bind),
 * -EINVAL for a bad path (relative, "..", a trailing slash, too long),
 * -E2BIG when DHCP4_EXPORT_EXTRA_MAX are set, or the -errno of the write (the target
 * stays and is tried again at the next change). */
int dhcp4_export_add(Dhcp4Export *e, const char *path, uint64_t now_realtime_usec);
