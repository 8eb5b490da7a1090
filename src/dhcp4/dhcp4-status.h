/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The status of one infradhcpd: one snapshot, produced in one place
 * (dhcp4_client_get_status()) and rendered by every front end: varlink GetStatus and
 * Monitor (dhcp4-varlink.c), the D-Bus Link1 properties (dhcp4-dbus.c) and the
 * journal fields of a state change (dhcp4_status_journal_fields() below). Plain data,
 * copyable by assignment, comparable with memcmp (the producer zeroes what is unset,
 * array entries past their count included).
 *
 * A new status field: add it here and fill it in dhcp4_client_get_status(), then one
 * line per front end (docs/CODING_STYLE.md, "A status field").
 */
#pragma once

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dhcp4-dna.h"
#include "dhcp4-engine.h"
#include "infradhcp/lease.h"

/* Attachment detection (RFC 4436, docs/dna.md). Times are CLOCK_REALTIME usec. */
typedef struct Dhcp4ClientAttachment {
        bool enabled;
        char state[16];                        /* "IDLE", "WATCHING", "CHECKING", "CONFIRMING" */
        Dhcp4DnaPeer peers[DHCP4_DNA_PEER_MAX]; /* last_seen_usec on CLOCK_REALTIME; zero past n_peers */
        size_t n_peers;
        unsigned usable_peers;
        bool has_check;
        Dhcp4DnaCheck check;                   /* the last one; started/finished on CLOCK_REALTIME */
        char outcome[16];                      /* its outcome, "" before the first check */
        unsigned checks, confirmations;
        uint64_t next_check_usec;              /* USEC_INFINITY: none */
} Dhcp4ClientAttachment;

typedef struct Dhcp4ClientStatus {
        Dhcp4State state;
        char interface[IF_NAMESIZE];

        bool has_lease;
        Dhcp4Lease lease; /* all zero without a lease */
        /* Lease times on CLOCK_REALTIME (RFC 2131 §4.4.1: from when the REQUEST that
         * obtained the lease was sent), converted once per lease so they do not move
         * between snapshots. 0 without a lease; t1/t2/expiry and lifetime are
         * USEC_INFINITY for an infinite lease. */
        uint64_t lease_start_usec;
        uint64_t lifetime_usec;
        uint64_t t1_usec;
        uint64_t t2_usec;
        uint64_t expiry_usec;

        /* Option 61 as sent: the lease's, else the engine's (0x01 + MAC). */
        uint8_t client_id[LEASE_CLIENT_ID_LEN];
        size_t client_id_len;

        char last_error[256];  /* "" when none */
        char persist_error[192]; /* a lease/policy file that cannot be written (retried); "" when none */
        char capabilities[128];  /* the effective capability set, "cap_net_admin,cap_net_raw,..." */

        /* Conflict detection (RFC 5227): "disabled", or "IDLE", "PROBING", ... */
        char acd_state[16];
        uint8_t conflict_mac[6]; /* the last host that conflicted with us; zero when none */
        unsigned conflicts;      /* in a row since the last bind */
        uint64_t decline_backoff_usec; /* the DECLINED wait the last conflict started; 0: none */
        struct in_addr declined[DHCP4_ENGINE_QUARANTINE_MAX]; /* still quarantined */
        size_t n_declined;

        Dhcp4ClientAttachment attachment;
} Dhcp4ClientStatus;

static inline bool dhcp4_status_has_conflict_mac(const Dhcp4ClientStatus *s) {
        static const uint8_t zero[6] = {};
        return memcmp(s->conflict_mac, zero, sizeof(zero)) != 0;
}

/* The lease start on CLOCK_REALTIME for the status. The engine's clock (CLOCK_BOOTTIME)
 * is what times the lease; the wall clock only labels it. The conversion is kept per
 * lease, so the same lease shows the same times in every snapshot (T1 - start is T1
 * exactly), and redone when the wall clock was stepped (the offset between the two
 * clocks moved by more than DHCP4_WALLCLOCK_STEP_USEC: settimeofday, an NTP step), so
 * that after a jump of a day the times shown are those of the clock the reader has:
 * start = now - elapsed, expiry = now + remaining. Pure: both "now"s are passed in. */
#define DHCP4_WALLCLOCK_STEP_USEC (1000 * 1000)
typedef struct Dhcp4WallClock {
        bool valid;
        uint64_t engine_usec;   /* the lease start converted (engine clock) */
        int64_t offset_usec;    /* realtime - engine clock when it was converted */
        uint64_t realtime_usec; /* the result */
} Dhcp4WallClock;

uint64_t dhcp4_wallclock_convert(Dhcp4WallClock *w, uint64_t engine_usec, uint64_t now_engine_usec,
                                 uint64_t now_realtime_usec);

/* The journal front end: s as "KEY=value" strings for the fields of a log line, STATE
 * first and ADDRESS second, then what is set. fields is NULL-terminated and points
 * into ret. */
#define DHCP4_STATUS_JOURNAL_MAX 12
typedef struct Dhcp4StatusJournal {
        char buf[DHCP4_STATUS_JOURNAL_MAX][64];
        const char *fields[DHCP4_STATUS_JOURNAL_MAX + 1];
} Dhcp4StatusJournal;

void dhcp4_status_journal_fields(const Dhcp4ClientStatus *s, Dhcp4StatusJournal *ret);
