/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Detecting network attachment (RFC 4436, DNAv4) as a pure state machine: after a
 * hint that the node may have been moved to another link (a live migration moves
 * the VM's port to another leaf without any carrier change), unicast-ARP the known
 * on-link peers of the current lease from their learned MACs. If they all answer
 * from the MACs they had, nothing moved and nothing is sent to DHCP; if one stays
 * silent or answers from another MAC, ask for a DHCP confirmation (RFC 2131 §3.2
 * INIT-REBOOT while keeping the address: dhcp4_engine_confirm()).
 *
 * Inputs: the bound lease (peers: routers, the server identifier when on-link,
 * configured extra addresses), ARP and RARP payloads the daemon receives, hints
 * (kernel NOTIFY_PEERS, carrier-less link changes, an operator command), timer
 * expiry; each with the caller's `now` (usec, monotonic). Outputs: queued actions
 * (send this ARP payload to this MAC, confirm with DHCP, something to log) and one
 * deadline. Jitter of the periodic check comes from a PRNG seeded by the caller.
 *
 * Not here: sockets (dhcp4-arp), clocks, the DHCP exchange itself (dhcp4-engine),
 * conflict detection (dhcp4-acd; an ARP for our address from another MAC is its
 * business, here only a hint). The decision rules and timings are in docs/dna.md.
 *
 * Typical glue (the daemon owns the ARP/RARP sockets and one timer):
 *   engine CONFIGURE(lease)     → dhcp4_dna_set_lease(dna, &lease, now)
 *   engine DECONFIGURE(current) → dhcp4_dna_clear(dna)
 *   ARP/RARP socket readable    → dhcp4_dna_receive(dna, ethertype, src_mac, buf, len, now)
 *   netlink / command hint      → dhcp4_dna_hint(dna, DHCP4_DNA_TRIGGER_..., now)
 *   DNA SEND                    → send a.arp to a.dest_mac (ETH_P_ARP)
 *   DNA CONFIRM                 → dhcp4_engine_confirm(engine, now); if it cannot
 *                                 confirm: dhcp4_dna_confirm_abort(dna, now)
 *   timer                       → dhcp4_dna_timeout(dna, now)
 *   after each input            → pop every action, re-arm the timer at next_deadline
 */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "infradhcp/lease.h"

#define DHCP4_DNA_ETHERTYPE_ARP 0x0806
#define DHCP4_DNA_ETHERTYPE_RARP 0x8035

#define DHCP4_DNA_PEER_MAX 8   /* peers tested: routers first, then the server, then extras */
#define DHCP4_DNA_EXTRA_MAX 8  /* configured extra peers */

/* An extra peer from the configuration: an absolute address, or (relative) the leased
 * network with its last octet replaced, as ACI derives the opflex anycast addresses
 * (10.0.128.64/16 with last octet 30 → 10.0.0.30). */
typedef struct Dhcp4DnaExtraPeer {
        bool relative;
        struct in_addr address; /* absolute */
        uint8_t last_octet;     /* relative */
} Dhcp4DnaExtraPeer;

typedef struct Dhcp4DnaConfig {
        bool enabled;                   /* off: a pass-through that never sends nor confirms */
        uint64_t probe_timeout_usec;    /* wait for the answers to one round of ARPs (default 50 ms) */
        unsigned probe_attempts;        /* rounds per check (1..10, default 2) */
        uint64_t check_interval_usec;   /* periodic check of one peer (default 1.5 s; 0: none) */
        uint64_t check_holdoff_usec;    /* a hint this soon after a check waits (default 250 ms) */
        unsigned confirm_burst;         /* DHCP confirmations allowed back to back (1..100, default 3) */
        uint64_t confirm_interval_usec; /* ... then one more per this interval (default 30 s) */
        Dhcp4DnaExtraPeer extra[DHCP4_DNA_EXTRA_MAX];
        size_t n_extra;
} Dhcp4DnaConfig;

/* The defaults above (enabled). */
void dhcp4_dna_config_init(Dhcp4DnaConfig *c);

/* What started a check. */
typedef enum Dhcp4DnaTrigger {
        DHCP4_DNA_TRIGGER_PERIODIC,     /* the slow periodic check */
        DHCP4_DNA_TRIGGER_NOTIFY_PEERS, /* RTM_NEWLINK with IFLA_EVENT_NOTIFY_PEERS (virtio after a live
                                         * migration, bonding failover; passed on to VLANs) */
        DHCP4_DNA_TRIGGER_LINK_CHANGE,  /* a link change without carrier change */
        DHCP4_DNA_TRIGGER_ANNOUNCE,     /* gratuitous ARP or RARP for our address or MAC from elsewhere
                                         * (the hypervisor announcing the moved VM) */
        DHCP4_DNA_TRIGGER_PEER_MAC,     /* a peer's ARP from another MAC than the one learned */
        DHCP4_DNA_TRIGGER_COMMAND,      /* operator: infradhcpctl check */
        DHCP4_DNA_TRIGGER_RETRY,        /* a rate-limited confirmation became due: test again first */
        _DHCP4_DNA_TRIGGER_MAX,
} Dhcp4DnaTrigger;

const char *dhcp4_dna_trigger_to_string(Dhcp4DnaTrigger t); /* "periodic", ...; NULL if invalid */

/* How the last check ended (so far). */
typedef enum Dhcp4DnaOutcome {
        DHCP4_DNA_OUTCOME_NONE,         /* no check yet */
        DHCP4_DNA_OUTCOME_RUNNING,      /* ARPs out, waiting */
        DHCP4_DNA_OUTCOME_ATTACHED,     /* every peer answered from its known MAC: nothing sent to DHCP */
        DHCP4_DNA_OUTCOME_CONFIRMING,   /* a peer silent or changed: DHCP confirmation asked */
        DHCP4_DNA_OUTCOME_RATE_LIMITED, /* ... but too many lately: tested again when one is allowed */
        DHCP4_DNA_OUTCOME_CONFIRMED,    /* the server confirmed the address: still attached */
        DHCP4_DNA_OUTCOME_MOVED,        /* another address was bound after the confirmation */
        DHCP4_DNA_OUTCOME_ABORTED,      /* the DHCP client could not confirm (not bound) */
        DHCP4_DNA_OUTCOME_NO_PEER,      /* a periodic check with no usable peer: nothing tested */
        _DHCP4_DNA_OUTCOME_MAX,
} Dhcp4DnaOutcome;

const char *dhcp4_dna_outcome_to_string(Dhcp4DnaOutcome o); /* "attached", ...; NULL if invalid */

typedef enum Dhcp4DnaState {
        DHCP4_DNA_STATE_IDLE,       /* no lease (or disabled): no timer, nothing sent */
        DHCP4_DNA_STATE_WATCHING,   /* lease known: periodic timer, hints start a check */
        DHCP4_DNA_STATE_CHECKING,   /* unicast ARPs out, waiting for the answers */
        DHCP4_DNA_STATE_CONFIRMING, /* CONFIRM queued: waiting for the lease that results */
        _DHCP4_DNA_STATE_MAX,
} Dhcp4DnaState;

const char *dhcp4_dna_state_to_string(Dhcp4DnaState s); /* "IDLE", ...; NULL if invalid */

typedef enum Dhcp4DnaPeerSource {
        DHCP4_DNA_PEER_ROUTER, /* option 3 */
        DHCP4_DNA_PEER_SERVER, /* option 54, on-link only */
        DHCP4_DNA_PEER_EXTRA,  /* configured */
        _DHCP4_DNA_PEER_SOURCE_MAX,
} Dhcp4DnaPeerSource;

const char *dhcp4_dna_peer_source_to_string(Dhcp4DnaPeerSource s); /* "router", "server", "extra" */

typedef struct Dhcp4DnaPeer {
        struct in_addr address;
        Dhcp4DnaPeerSource source;
        bool has_mac;        /* learned from its ARP (reply to our learning request, or seen) */
        uint8_t mac[6];
        bool unresponsive;   /* silent in a check the server then confirmed: MAC forgotten, learned
                              * again (no evidence until then) */
        uint64_t last_seen_usec; /* its last ARP from the known MAC; 0: never */
} Dhcp4DnaPeer;

/* The last check, for status and logs. */
typedef struct Dhcp4DnaCheck {
        Dhcp4DnaTrigger trigger;
        Dhcp4DnaOutcome outcome;
        uint64_t started_usec;
        uint64_t finished_usec; /* ARP phase over (0 while running) */
        unsigned probed;        /* peers ARPed */
        unsigned answered;      /* of which answered from their known MAC */
        char reason[160];       /* why the outcome, e.g. "10.0.0.1 silent for 100 ms" */
} Dhcp4DnaCheck;

typedef enum Dhcp4DnaActionType {
        DHCP4_DNA_ACTION_SEND,    /* send arp[0..len) in a frame to dest_mac (ETH_P_ARP) */
        DHCP4_DNA_ACTION_CONFIRM, /* ask the DHCP engine to confirm the lease; `text` says why */
        DHCP4_DNA_ACTION_EVENT,   /* something to log: `event`, `text` */
} Dhcp4DnaActionType;

typedef enum Dhcp4DnaSendKind {
        DHCP4_DNA_SEND_TEST,  /* RFC 4436 §2.1.1: unicast request to the peer's learned MAC */
        DHCP4_DNA_SEND_LEARN, /* broadcast request for a peer's MAC, only right after a bind */
} Dhcp4DnaSendKind;

typedef enum Dhcp4DnaEvent {
        DHCP4_DNA_EVENT_CHECK,        /* a check started (trigger in `trigger`) */
        DHCP4_DNA_EVENT_RESULT,       /* a check's ARP phase ended: `outcome` */
        DHCP4_DNA_EVENT_PEER_LEARNED, /* `peer` is at `mac` */
        DHCP4_DNA_EVENT_NO_PEER,      /* the lease has no usable peer: only hints can help */
        _DHCP4_DNA_EVENT_MAX,
} Dhcp4DnaEvent;

const char *dhcp4_dna_event_to_string(Dhcp4DnaEvent e);

typedef struct Dhcp4DnaAction {
        Dhcp4DnaActionType type;
        Dhcp4DnaSendKind kind;   /* SEND */
        Dhcp4DnaEvent event;     /* EVENT */
        Dhcp4DnaTrigger trigger; /* CONFIRM, EVENT CHECK/RESULT */
        Dhcp4DnaOutcome outcome; /* EVENT RESULT */
        struct in_addr peer;     /* SEND, EVENT PEER_LEARNED */
        uint8_t mac[6];          /* EVENT PEER_LEARNED */
        uint8_t dest_mac[6];     /* SEND: Ethernet destination (ff:ff:ff:ff:ff:ff for LEARN) */
        char text[192];          /* CONFIRM, EVENT: human-readable */
        size_t len;              /* SEND: 28 */
        uint8_t arp[28];
} Dhcp4DnaAction;

/* Outcome of dhcp4_dna_receive(): 0 = acted on (see the actions), > 0 = why not. */
typedef enum Dhcp4DnaRx {
        DHCP4_DNA_RX_USED = 0,   /* an answer, a learned MAC, or a hint */
        DHCP4_DNA_RX_IGNORED,    /* valid, but nothing to do with our peers or us */
        DHCP4_DNA_RX_IDLE,       /* no lease under watch */
        DHCP4_DNA_RX_MALFORMED,  /* not an Ethernet/IPv4 ARP or RARP payload */
        DHCP4_DNA_RX_OWN,        /* sent by us (our MAC as sender, not an announcement) */
        _DHCP4_DNA_RX_MAX,
} Dhcp4DnaRx;

const char *dhcp4_dna_rx_to_string(int rx);

typedef struct Dhcp4Dna Dhcp4Dna;

/* One input never queues more than DHCP4_DNA_INPUT_ACTIONS_MAX actions; an input
 * finding less room returns -ENOBUFS before changing anything. */
#define DHCP4_DNA_QUEUE_SIZE 32
#define DHCP4_DNA_INPUT_ACTIONS_MAX (2 * DHCP4_DNA_PEER_MAX + 4)

/* -EINVAL for an all-zero MAC, probe_attempts 0 or > 10, probe_timeout 0, confirm_burst
 * 0 or > 100, confirm_interval 0, n_extra > DHCP4_DNA_EXTRA_MAX; -ENOMEM. */
int dhcp4_dna_new(Dhcp4Dna **ret, const Dhcp4DnaConfig *cfg, const uint8_t mac[6], uint64_t seed);
Dhcp4Dna *dhcp4_dna_free(Dhcp4Dna *dna);
static inline void dhcp4_dna_freep(Dhcp4Dna **p) {
        if (*p)
                *p = dhcp4_dna_free(*p);
}

/* Our MAC (sender of what we send; what RARP/GARP announcements name). -EINVAL for zero. */
int dhcp4_dna_set_mac(Dhcp4Dna *dna, const uint8_t mac[6]);

/* The lease now configured (a bind, a renewal, a confirmation). Same address as before:
 * peers that stay keep their MACs; after a confirmation the check's outcome becomes
 * CONFIRMED, peers silent in it are marked unresponsive, and a changed MAC becomes the
 * known one (a silent peer's MAC is forgotten and learned again). Another address: MOVED if a confirmation was pending; every peer is new
 * and a broadcast learning request goes to each (we are certainly attached to the
 * network that just ACKed us). Starts WATCHING. -EINVAL for NULL. */
int dhcp4_dna_set_lease(Dhcp4Dna *dna, const Dhcp4Lease *lease, uint64_t now);
/* The lease is gone (expired, released, lost): IDLE, peers forgotten, queue cleared. */
int dhcp4_dna_clear(Dhcp4Dna *dna);

/* Input: an ARP (ethertype 0x0806) or RARP (0x8035) payload received on the interface,
 * with the Ethernet source of its frame (NULL if unknown). Returns a Dhcp4DnaRx code
 * (>= 0) or -EINVAL/-ENOBUFS; never fails on content. */
int dhcp4_dna_receive(Dhcp4Dna *dna, uint16_t ethertype, const uint8_t *frame_src_mac, const uint8_t *payload,
                      size_t len, uint64_t now);
/* Input: a hint that the attachment may have changed. Starts a check (after the
 * hold-off since the last one; COMMAND never waits and is never rate limited). With
 * no usable peer there is nothing to ARP: the hint goes straight to a (rate-limited)
 * confirmation. Ignored while a check or confirmation runs, or when IDLE (returns 0).
 * -EINVAL for an unknown trigger or PERIODIC/RETRY (timer-only). */
int dhcp4_dna_hint(Dhcp4Dna *dna, Dhcp4DnaTrigger trigger, uint64_t now);
/* Input: next_deadline passed (calling early is harmless). */
int dhcp4_dna_timeout(Dhcp4Dna *dna, uint64_t now);
/* Input: the engine refused the CONFIRM (not bound): back to WATCHING, outcome ABORTED. */
int dhcp4_dna_confirm_abort(Dhcp4Dna *dna, uint64_t now);

/* Outputs. pop_action returns 1 and fills *ret, or 0 when the queue is empty. */
int dhcp4_dna_pop_action(Dhcp4Dna *dna, Dhcp4DnaAction *ret);
uint64_t dhcp4_dna_next_deadline(const Dhcp4Dna *dna); /* UINT64_MAX: none */

/* Observers. */
Dhcp4DnaState dhcp4_dna_get_state(const Dhcp4Dna *dna);
bool dhcp4_dna_get_enabled(const Dhcp4Dna *dna);
/* Peers of the current lease; returns how many (at most n written). */
size_t dhcp4_dna_get_peers(const Dhcp4Dna *dna, Dhcp4DnaPeer *out, size_t n);
/* Peers with a known MAC that are not unresponsive: what a check can test. */
unsigned dhcp4_dna_get_usable_peers(const Dhcp4Dna *dna);
/* The last check; false if none has run. */
bool dhcp4_dna_get_last_check(const Dhcp4Dna *dna, Dhcp4DnaCheck *ret);
unsigned dhcp4_dna_get_checks(const Dhcp4Dna *dna);        /* checks started since new() */
unsigned dhcp4_dna_get_confirmations(const Dhcp4Dna *dna); /* CONFIRMs queued since new() */
uint64_t dhcp4_dna_get_next_check(const Dhcp4Dna *dna);    /* periodic or deferred; UINT64_MAX: none */
