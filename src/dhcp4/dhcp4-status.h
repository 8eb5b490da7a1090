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
#include "dhcp4-packet.h"
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
        /* Counters since the start (metrics): checks by what started them, and the
         * outcomes reported (a check's ARP phase, then its confirmation's result). */
        uint64_t checks_by_trigger[_DHCP4_DNA_TRIGGER_MAX];
        uint64_t outcomes[_DHCP4_DNA_OUTCOME_MAX];
} Dhcp4ClientAttachment;
/* Conflicts of RFC 5227 conflict detection, by what they did to the address. */
typedef enum Dhcp4AcdConflict {
        DHCP4_ACD_CONFLICT_PROBE,    /* §2.1.1: an offered address in use: DECLINE */
        DHCP4_ACD_CONFLICT_DEFENDED, /* §2.4 (b): our address claimed, defended once */
        DHCP4_ACD_CONFLICT_LOST,     /* §2.4 (b): claimed again within DEFEND_INTERVAL: given up */
        _DHCP4_ACD_CONFLICT_MAX,
} Dhcp4AcdConflict;

const char *dhcp4_acd_conflict_to_string(Dhcp4AcdConflict c); /* "probe", "defended", "lost" */

/* DHCP message types (option 53) counted: DISCOVER (1) .. FORCERENEW (9). */
#define DHCP4_STATUS_MESSAGE_TYPES (DHCP4_FORCERENEW + 1)

/* What the daemon did and saw since it started, kept by the client beside the rest
 * of the status and only ever incremented. Rendered by the metrics front end
 * (dhcp4-metrics.c, docs/metrics.md). "On the wire": a message counts as sent when the
 * socket took it, as received when the engine processed it. */
typedef struct Dhcp4ClientCounters {
        uint64_t sent[DHCP4_STATUS_MESSAGE_TYPES];     /* by message type */
        uint64_t send_failures;                        /* sends the socket refused (retransmitted later) */
        uint64_t received[DHCP4_STATUS_MESSAGE_TYPES]; /* processed by the engine, by message type */
        uint64_t rejected[_DHCP4_RX_MAX];              /* ignored by the engine, by dhcp4_engine_rx_to_string() */
        uint64_t dropped[_DHCP4_PACKET_MAX];           /* datagrams refused by the IP/UDP framing, by
                                                        * dhcp4_packet_result_to_string() */
        uint64_t address_changes;                      /* another address configured than the one before */
        uint64_t acd_probes;                           /* ARP probes sent (RFC 5227 §2.1.1) */
        uint64_t acd_announcements;                    /* ARP announcements sent (§2.3; defences included) */
        uint64_t acd_conflicts[_DHCP4_ACD_CONFLICT_MAX];
        uint64_t address_removals; /* the leased address removed by someone else (and put back) */
        uint64_t route_removals;   /* the multicast route removed by someone else (and put back) */
} Dhcp4ClientCounters;

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
        /* The dhclient-format export that cannot be written ("PATH: reason"; retried at
         * every change); "" when every target holds the lease. */
        char export_error[192];
        /* "10.0.128.64/16 removed by NetworkManager (pid 812); put back. Run ..." for
         * the last time someone else removed our address or multicast route; "" never. */
        char last_removal[256];
        uint64_t last_removal_usec; /* CLOCK_REALTIME; 0 never */
        char capabilities[128];  /* the effective capability set, "cap_net_admin,cap_net_raw,..." */

        /* Conflict detection (RFC 5227): "disabled", or "IDLE", "PROBING", ... */
        char acd_state[16];
        uint8_t conflict_mac[6]; /* the last host that conflicted with us; zero when none */
        unsigned conflicts;      /* in a row since the last bind */
        uint64_t decline_backoff_usec; /* the DECLINED wait the last conflict started; 0: none */
        struct in_addr declined[DHCP4_ENGINE_QUARANTINE_MAX]; /* still quarantined */
        size_t n_declined;

        Dhcp4ClientAttachment attachment;
        Dhcp4ClientCounters counters;
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
