/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The daemon side of attachment detection for one interface: owns the dhcp4-dna
 * machine, its ARP and RARP sockets (dhcp4-dna-socket) and its CLOCK_BOOTTIME timer,
 * carries out its actions (unicast test ARPs, log lines with fields, the DHCP
 * confirmation through a callback into the client) and turns netlink link events
 * into hints. docs/dna.md describes the behaviour.
 *
 * Not here: the decision rules (dhcp4-dna), the DHCP exchange (dhcp4-engine through
 * the client's callback), configuration parsing (dhcp4-config).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "dhcp4-dna.h"
#include "infradhcp/lease.h"

typedef struct Dhcp4ClientDna Dhcp4ClientDna;

/* Called for a CONFIRM action: start the engine's confirmation and carry out what it
 * queued. Returns 0 when the confirmation started, > 0 when the client cannot confirm
 * now (not bound), < 0 on error. */
typedef int (*Dhcp4ClientDnaConfirm)(void *userdata, const char *why);

/* cfg->enabled false: a machine that never acts (status says disabled); no socket is
 * ever opened. Returns 0, -EINVAL, -ENOMEM or what sd-event returns. */
int dhcp4_client_dna_new(Dhcp4ClientDna **ret, sd_event *event, int ifindex, const char *ifname,
                         const uint8_t mac[6], const Dhcp4DnaConfig *cfg, uint64_t seed,
                         Dhcp4ClientDnaConfirm confirm, void *userdata);
Dhcp4ClientDna *dhcp4_client_dna_free(Dhcp4ClientDna *d);
static inline void dhcp4_client_dna_freep(Dhcp4ClientDna **p) {
        if (*p)
                *p = dhcp4_client_dna_free(*p);
}

/* The lease just configured (bind, renewal, confirmation); opens the sockets for its
 * peers. */
void dhcp4_client_dna_set_lease(Dhcp4ClientDna *d, const Dhcp4Lease *lease);
/* `address` was removed (expired, released, lost, replaced): if it is the lease under
 * watch, IDLE and sockets closed (a replaced address was followed by set_lease
 * already: nothing happens). */
void dhcp4_client_dna_clear(Dhcp4ClientDna *d, struct in_addr address);
void dhcp4_client_dna_set_mac(Dhcp4ClientDna *d, const uint8_t mac[6]);
/* An RTM_NEWLINK for the interface that did not change the carrier, with its
 * IFLA_EVENT (0: none), ifi_flags and operstate. IFLA_EVENT_NOTIFY_PEERS is a
 * notify-peers hint; another event (bonding failover), or a change of the flags
 * (other than IFF_PROMISC/IFF_ALLMULTI, which tcpdump toggles) or of the operstate
 * since the last notification, a link-change hint. */
void dhcp4_client_dna_link_event(Dhcp4ClientDna *d, uint32_t event, uint32_t flags, uint8_t operstate);
/* The link as read (not notified): the state the first notification is compared with,
 * when there is none yet. Never a hint. */
void dhcp4_client_dna_link_baseline(Dhcp4ClientDna *d, uint32_t flags, uint8_t operstate);
/* Operator: check now (never waits for the hold-off nor the rate limit). Returns 0,
 * or -ENOTCONN when there is no lease to check, -EOPNOTSUPP when detection is off. */
int dhcp4_client_dna_check(Dhcp4ClientDna *d);
/* Stop: sockets closed, timer off (the daemon is exiting, or the interface is gone). */
void dhcp4_client_dna_stop(Dhcp4ClientDna *d);
/* The interface was re-created under the same name (a new ifindex): stopped, and the
 * sockets opened later are bound to the new one. */
void dhcp4_client_dna_set_ifindex(Dhcp4ClientDna *d, int ifindex);

/* The attachment part of the status snapshot (dhcp4-status.h); d NULL: disabled. */
typedef struct Dhcp4ClientAttachment Dhcp4ClientAttachment;
void dhcp4_client_dna_get_status(const Dhcp4ClientDna *d, Dhcp4ClientAttachment *ret);

/* The machine, for status (read only). */
const Dhcp4Dna *dhcp4_client_dna_machine(const Dhcp4ClientDna *d);
/* A time of the machine (CLOCK_BOOTTIME usec) in CLOCK_REALTIME usec; 0 stays 0. */
uint64_t dhcp4_client_dna_to_realtime(const Dhcp4ClientDna *d, uint64_t usec);
