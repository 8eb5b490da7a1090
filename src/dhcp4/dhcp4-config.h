/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * infradhcpd's configuration: /etc/infradhcp/IFNAME.conf, an INI file in the style of
 * systemd-networkd. Pure: parses text handed in (the daemon reads the file with
 * read_file_full); no I/O. Not here: the engine itself, ACD (only its settings).
 * docs/configuration.md is the operator documentation of every key.
 *
 * Sections and keys (defaults in brackets; durations take "250ms", "2s", "5min",
 * a bare number is seconds):
 *   [DHCPv4]  Hostname= [none]  RequestBroadcast= [no]  RemoveForeignAddresses= [yes]
 *             ExitOnLinkRemoval= [no]  UseMTU= [no]
 *   [Timing]  InitialDelaySec= [0]  RetransmitInitialSec= [1s]  RetransmitMaxSec= [16s]
 *             RetransmitJitterSec= [100ms]  RebootTimeoutSec= [2s]
 *             RequestMaxAttempts= [4]  RenewRetransmitMinSec= [10s]
 *             DeclineBackoffInitialSec= [1s]  DeclineBackoffMaxSec= [64s]
 *             DeclineQuarantineSec= [600s]
 *   [Routes]  UseGateway= [no]  UseRoutes= [no]  RouteMetric= [1024]
 *             MulticastRoute= [yes]  MulticastRouteMetric= [401]
 *             MulticastRoutePrefix= [224.0.0.0/4]
 *   [ACD]     Enabled= [yes]  Profile= [datacenter]  ProbeWaitSec= ProbeNum=
 *             ProbeMinSec= ProbeMaxSec= AnnounceWaitSec= AnnounceNum=
 *             AnnounceIntervalSec= DefendIntervalSec=
 *   [LeaseExport]  Enabled= [yes]  Path= [from /etc/os-release]  MaxBlocks= [10]
 *   [Attachment] (RFC 4436, docs/dna.md) Detect= [yes]  ProbeTimeoutSec= [50ms]
 *             ProbeAttempts= [2]  CheckIntervalSec= [1.5s; 0: off]  CheckHoldoffSec= [250ms]
 *             ConfirmBurst= [3]  ConfirmIntervalSec= [30s]  RefuseOldSubnetSec= [30s]
 *             ExtraPeers= [none; ".30" = the leased network's .30, or a.b.c.d, space separated]
 *   [Metrics] TextfilePath= [none]
 *
 * ACD profiles (RFC 5227 §1.1 constants, and the data-centre variant):
 *                      datacenter   rfc5227
 *   ProbeWaitSec          10ms        1s
 *   ProbeNum              3           3
 *   ProbeMinSec           30ms        1s
 *   ProbeMaxSec           50ms        2s
 *   AnnounceWaitSec       80ms        2s
 *   AnnounceNum           2           2
 *   AnnounceIntervalSec   2s          2s
 *   DefendIntervalSec     10s         10s
 * The datacenter worst case from ACK to address use is ProbeWait + (ProbeNum - 1) ×
 * ProbeMax + AnnounceWait = 10 + 2 × 50 + 80 = 190 ms (≤ 200 ms); the fabric answers
 * ARP in well under a millisecond, so the shorter intervals lose no detection power.
 * Profile= sets every ACD value not given explicitly in the same text, whatever the
 * order of the lines.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dhcp4-acd.h"
#include "dhcp4-dna.h"
#include "dhcp4-engine.h"
#include "infradhcp/lease.h"

/* An absolute path in the configuration: at most this long, NUL included. */
#define DHCP4_CONFIG_PATH_MAX 256

typedef struct Dhcp4Config {
        /* [DHCPv4] */
        char hostname[LEASE_HOSTNAME_MAX]; /* option 12; "" = not sent */
        bool request_broadcast;            /* BOOTP broadcast flag in DISCOVER/REQUEST */
        bool remove_foreign_addresses;     /* drop IPv4 addresses on the link not from our lease */
        bool exit_on_link_removal;         /* interface deleted: exit (else wait for one of the name) */
        bool use_mtu;                      /* apply option 26 to the link (RFC 2132 §5.1) */

        /* [Timing]: the engine's timings (Dhcp4EngineConfig) */
        uint64_t initial_delay_usec;
        uint64_t retransmit_initial_usec;
        uint64_t retransmit_max_usec;
        uint64_t retransmit_jitter_usec;
        uint64_t reboot_timeout_usec;
        unsigned request_max_attempts;
        uint64_t renew_retransmit_min_usec;
        uint64_t decline_backoff_initial_usec;
        uint64_t decline_backoff_max_usec;
        uint64_t decline_quarantine_usec;

        /* [Routes] */
        bool use_gateway;                 /* default route via option 3 */
        bool use_routes;                  /* option 121 classless static routes */
        uint32_t route_metric;            /* metric of both of the above */
        bool multicast_route;             /* keep MulticastRoutePrefix dev IF scope link */
        uint32_t multicast_route_metric;
        Dhcp4Subnet multicast_route_prefix;

        /* [ACD]: the ACD machine's own configuration type (dhcp4-acd.h), filled from
         * the file; Profile= sets the timings of dhcp4_acd_config_set_profile(). */
        Dhcp4AcdConfig acd;

        /* [Attachment] */
        Dhcp4DnaConfig dna;
        uint64_t refuse_old_subnet_usec; /* the engine's confirm_refuse_usec */

        /* [Metrics]: the node-exporter textfile-collector file, "" = none */
        char metrics_textfile_path[512];

        /* [LeaseExport]: the lease in dhclient's format where dhclient keeps it */
        bool lease_export;
        char lease_export_path[DHCP4_CONFIG_PATH_MAX]; /* "": from /etc/os-release */
        unsigned lease_export_max_blocks;
} Dhcp4Config;

/* The defaults listed above. */
void dhcp4_config_init(Dhcp4Config *c);

/* Applies the settings in text (len bytes, need not be NUL-terminated) on top of *c
 * (call dhcp4_config_init() first). An empty value resets a key to its default.
 * Strict: an unknown section or key, a malformed line or value, or settings that
 * contradict each other fail with -EINVAL, *c untouched and a message in err (if
 * err != NULL && errlen > 0) such as "line 7: unknown key Foo in [DHCPv4]" or
 * "RetransmitInitialSec= (20s) is greater than RetransmitMaxSec= (16s)". */
int dhcp4_config_parse(Dhcp4Config *c, const char *text, size_t len, char *err, size_t errlen);

/* One text of a configuration made of several files: the main file and its drop-ins
 * (the caller lists and reads them, docs/configuration.md "Drop-ins"). */
typedef struct Dhcp4ConfigText {
        const char *text;
        size_t len;
} Dhcp4ConfigText;

/* Applies texts[0..n) in that order, as if they were one file in which each text
 * starts outside of any section: a later assignment wins, an empty value resets to
 * the default, Profile= fills the ACD values no text sets, and the cross-key checks
 * (dhcp4_config_verify) apply to the result only. On failure *c is untouched and
 * *ret_failed (may be NULL) is the index of the text the error (with its line) is
 * in, or n_texts when the result as a whole contradicts itself. */
int dhcp4_config_parse_texts(Dhcp4Config *c, const Dhcp4ConfigText *texts, size_t n_texts, size_t *ret_failed,
                             char *err, size_t errlen);

/* Checks cross-key constraints (also run by parse). 0 or -EINVAL with err. */
int dhcp4_config_verify(const Dhcp4Config *c, char *err, size_t errlen);

/* Fills the timings, hostname and broadcast flag of an engine configuration. mac and seed are set
 * to zero: the daemon fills them in. Returns 0, or -EINVAL if c fails verify. */
int dhcp4_config_to_engine(const Dhcp4Config *c, Dhcp4EngineConfig *ret);
/* The ACD machine's configuration: the [ACD] section. Returns 0, or -EINVAL if c
 * fails verify. */
int dhcp4_config_to_acd(const Dhcp4Config *c, Dhcp4AcdConfig *ret);
