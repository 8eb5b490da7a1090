/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The persisted state of one interface's client, under the state directory:
 *   IFNAME.lease   the lease (dhcp4-lease-file format 1), so a restarted daemon
 *                  confirms it with INIT-REBOOT instead of starting over;
 *   IFNAME.policy  the offer policy of the last restart (multipod: the subnets refused
 *                  and the one required), so a daemon restarted in the middle of a
 *                  move keeps refusing the old pod's pool.
 * Reads and writes the files (atomically, src/shared/fileio) and logs what it finds;
 * the formats are dhcp4-lease-file's. Not here: when to persist (the engine's
 * PERSIST/FORGET actions, the client's commands) nor the engine clock (the caller
 * passes both clocks' "now").
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dhcp4-engine.h"
#include "dhcp4-lease-file.h"
#include "infradhcp/lease.h"
#include "time-util.h"

typedef struct Dhcp4Persist {
        char *state_dir;
        char *lease_path;
        char *policy_path;

        /* The offer policy in force (the last restart's, or the one read at start). */
        Dhcp4Subnet refuse[DHCP4_ENGINE_REFUSE_MAX];
        size_t n_refuse;
        Dhcp4Subnet require;
        bool has_require;

        /* Writes that failed (state directory full or read-only): kept in memory and
         * retried by dhcp4_persist_retry() until they succeed; the failure is logged
         * once per episode and shown in the status (error). */
        bool lease_dirty, policy_dirty;
        Dhcp4Lease pending_lease;
        Dhcp4LeaseStamp pending_stamp;

        /* This boot's id (DHCP4_PERSIST_BOOT_ID_PATH), "" when unreadable: a lease file
         * of this boot is aged on CLOCK_BOOTTIME, which no one can set. */
        char boot_id[DHCP4_BOOT_ID_LEN + 1];
        unsigned failures;   /* failed attempts in a row */
        char error[192];     /* what cannot be written and why; "" when all is on disk */
} Dhcp4Persist;

/* How often the daemon retries a failed write. */
#define DHCP4_PERSIST_RETRY_USEC (10 * USEC_PER_SEC)

#define DHCP4_PERSIST_BOOT_ID_PATH "/proc/sys/kernel/random/boot_id"

/* Paths <state_dir>/<ifname>.lease and .policy; an empty policy; the boot id read.
 * 0 or -ENOMEM. */
int dhcp4_persist_init(Dhcp4Persist *p, const char *state_dir, const char *ifname);
void dhcp4_persist_done(Dhcp4Persist *p);

/* Writes the lease, acquired at acquired_realtime_usec (CLOCK_REALTIME) =
 * acquired_boottime_usec (CLOCK_BOOTTIME of this boot). A failure is returned
 * (-errno), logged at the first of an episode only, and the lease is kept to be
 * written by dhcp4_persist_retry(); it stays in use either way. */
int dhcp4_persist_save_lease(Dhcp4Persist *p, const Dhcp4Lease *l, uint64_t acquired_realtime_usec,
                             uint64_t acquired_boottime_usec);
/* Removes the lease file (a missing one is fine; other failures are logged); a lease
 * still waiting to be written is dropped. */
void dhcp4_persist_forget_lease(Dhcp4Persist *p);
/* Whether a write is waiting to be retried. */
static inline bool dhcp4_persist_dirty(const Dhcp4Persist *p) {
        return p->lease_dirty || p->policy_dirty;
}
/* Retries the writes that failed. Returns 0 when everything is on disk, 1 when
 * something still could not be written (retry later). */
int dhcp4_persist_retry(Dhcp4Persist *p);
/* Reads the lease file. Returns 1 with the lease in *ret, its acquired_usec converted
 * to the caller's clock (now_usec on that clock; now_realtime_usec and
 * now_boottime_usec the same instant on CLOCK_REALTIME and CLOCK_BOOTTIME), when it is
 * usable: it parses, belongs to mac (option 61 = 01:mac) and has not expired. Its age
 * comes from CLOCK_BOOTTIME when the file was written in this boot (a wall clock set
 * since, by NTP or by hand, changes nothing), else from the wall clock. Returns 0
 * otherwise, after logging why (a missing file silently). */
int dhcp4_persist_load_lease(Dhcp4Persist *p, const char *ifname, const uint8_t mac[6], uint64_t now_usec,
                             uint64_t now_realtime_usec, uint64_t now_boottime_usec, Dhcp4Lease *ret);

/* The policy in force: require is NULL when none is required. */
static inline const Dhcp4Subnet *dhcp4_persist_require(const Dhcp4Persist *p) {
        return p->has_require ? &p->require : NULL;
}
/* Sets the policy and persists it (an empty policy removes the file). -E2BIG above
 * DHCP4_ENGINE_REFUSE_MAX subnets; a failed write is logged, the policy still set. */
int dhcp4_persist_set_policy(Dhcp4Persist *p, const Dhcp4Subnet *refuse, size_t n_refuse, const Dhcp4Subnet *require);
/* Reads the policy file into p. Returns 1 when a policy was read, 0 when there is
 * none or it is unusable (logged, file removed, policy empty). */
int dhcp4_persist_load_policy(Dhcp4Persist *p);
/* The policy read by load_policy cannot be used (the engine refused it with error):
 * logs, removes the file, empties the policy. */
void dhcp4_persist_reject_policy(Dhcp4Persist *p, int error, const char *why);
