/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * IPv4 Address Conflict Detection (RFC 5227) as a pure state machine: probe an
 * address before it is configured (§2.1), announce it once configured (§2.3), and
 * defend it while it is in use (§2.4 (b)). ARP payloads and time in; queued actions
 * out (send this ARP payload, the probe result, the address is lost) plus the next
 * deadline. Also the pure ARP payload parser and builder.
 *
 * Not here: sockets and BPF (dhcp4-arp), clocks (`now` is always passed in, usec on
 * the caller's monotonic clock), randomness sources (probe jitter comes from a PRNG
 * seeded by the caller), what to do about a conflict (DECLINE, quarantine, back-off:
 * dhcp4-engine), configuring the address (the daemon). The reasoning behind the
 * timings and the defence policy is in docs/acd.md.
 *
 * Typical glue (the daemon owns the ARP socket and one timer):
 *   engine PROBE(addr)        → dhcp4_acd_start_probe(acd, addr, now), open ARP socket
 *   ACD SEND                  → dhcp4_arp_send(fd, ifindex, a.arp, a.len)
 *   ACD RESULT                → dhcp4_engine_probe_result(e, a.conflict, a.mac, now)
 *   engine CONFIGURE done     → dhcp4_acd_start_announce(acd, addr, now)
 *   ACD LOST                  → dhcp4_engine_address_lost(e, now)
 *   ARP socket readable       → dhcp4_acd_receive(acd, src_mac, buf, len, now)
 *   timer                     → dhcp4_acd_timeout(acd, now)
 *   after each input          → pop every action, re-arm the timer at next_deadline
 *   engine leaves BOUND       → dhcp4_acd_stop(acd), close the ARP socket
 */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum Dhcp4AcdProfile {
        DHCP4_ACD_PROFILE_DATACENTER,
        DHCP4_ACD_PROFILE_RFC5227,
        _DHCP4_ACD_PROFILE_MAX,
} Dhcp4AcdProfile;

const char *dhcp4_acd_profile_to_string(Dhcp4AcdProfile p); /* "datacenter", "rfc5227"; NULL if invalid */
int dhcp4_acd_profile_from_string(const char *s);            /* the profile, or -EINVAL */

/* The machine's configuration (the daemon fills it from [ACD] of its configuration
 * file, dhcp4_config_to_acd()). */
typedef struct Dhcp4AcdConfig {
        bool enabled;
        Dhcp4AcdProfile profile;
        uint64_t probe_wait_usec;        /* random delay before the first probe, 0..this */
        unsigned probe_num;              /* probes sent (1..255) */
        uint64_t probe_min_usec;         /* gap between probes, uniform in [min, max] */
        uint64_t probe_max_usec;
        uint64_t announce_wait_usec;     /* after the last probe, before claiming */
        unsigned announce_num;           /* announcements sent (0..255) */
        uint64_t announce_interval_usec; /* between announcements */
        uint64_t defend_interval_usec;   /* min time between defences (§2.4 (b)) */
} Dhcp4AcdConfig;

/* Sets the timing values (not `enabled`) of a profile: RFC 5227 §1.1's constants, or
 * the data-centre variant (docs/acd.md). */
void dhcp4_acd_config_set_profile(Dhcp4AcdConfig *a, Dhcp4AcdProfile p);

/* An Ethernet/IPv4 ARP payload (RFC 826): htype, ptype, hlen, plen, op, sha, spa,
 * tha, tpa. What is sent on the wire after the Ethernet header. */
#define DHCP4_ACD_ARP_LEN 28
#define DHCP4_ACD_ARP_REQUEST 1
#define DHCP4_ACD_ARP_REPLY 2

/* A parsed ARP payload. Addresses in network byte order. */
typedef struct Dhcp4Arp {
        uint16_t op;
        uint8_t sha[6];
        struct in_addr spa;
        uint8_t tha[6];
        struct in_addr tpa;
} Dhcp4Arp;

/* Outcome of dhcp4_acd_receive() (and of dhcp4_acd_arp_parse() for the malformed
 * codes). 0 means the packet was a conflict and the machine acted on it (see the
 * queued actions); a positive code names why the packet was ignored. */
typedef enum Dhcp4AcdRx {
        DHCP4_ACD_RX_CONFLICT = 0,     /* conflicting ARP: RESULT, defence SEND or LOST queued */
        DHCP4_ACD_RX_NO_CONFLICT,      /* valid ARP that does not conflict with our address */
        DHCP4_ACD_RX_IDLE,             /* no address under watch (IDLE) */
        DHCP4_ACD_RX_TOO_SHORT,        /* fewer than DHCP4_ACD_ARP_LEN bytes */
        DHCP4_ACD_RX_BAD_HTYPE,        /* hardware type is not Ethernet (1) */
        DHCP4_ACD_RX_BAD_PTYPE,        /* protocol type is not IPv4 (0x0800) */
        DHCP4_ACD_RX_BAD_HLEN,         /* hardware address length is not 6 */
        DHCP4_ACD_RX_BAD_PLEN,         /* protocol address length is not 4 */
        DHCP4_ACD_RX_BAD_OP,           /* neither request (1) nor reply (2) */
        DHCP4_ACD_RX_OWN_MAC,          /* sent by one of our own interfaces (an echo) */
        DHCP4_ACD_RX_FRAME_MISMATCH,   /* a probe whose Ethernet source is not its ARP sender */
        _DHCP4_ACD_RX_MAX,
} Dhcp4AcdRx;

const char *dhcp4_acd_rx_to_string(int rx); /* "conflict", "too-short", ...; NULL if unknown */

typedef enum Dhcp4AcdState {
        DHCP4_ACD_STATE_IDLE,       /* nothing under watch; no timer, no actions */
        DHCP4_ACD_STATE_PROBING,    /* §2.1: probes out, waiting for a conflict or ANNOUNCE_WAIT */
        DHCP4_ACD_STATE_ANNOUNCING, /* §2.3: address in use, announcements being sent (and defended) */
        DHCP4_ACD_STATE_DEFENDING,  /* §2.4: address in use, watching for conflicts */
        _DHCP4_ACD_STATE_MAX,
} Dhcp4AcdState;

const char *dhcp4_acd_state_to_string(Dhcp4AcdState s); /* "IDLE", "PROBING", ...; NULL if invalid */

typedef enum Dhcp4AcdActionType {
        DHCP4_ACD_ACTION_SEND,   /* broadcast arp[0..len) (to ff:ff:ff:ff:ff:ff); `kind` says why */
        DHCP4_ACD_ACTION_RESULT, /* probe of `address` finished: conflict, with `mac` if so. State is IDLE. */
        DHCP4_ACD_ACTION_LOST,   /* a second conflict within DEFEND_INTERVAL: stop using `address`
                                  * (§2.4 (b)); `mac` = the other host. State is IDLE. */
} Dhcp4AcdActionType;

typedef enum Dhcp4AcdSendKind {
        DHCP4_ACD_SEND_PROBE,    /* §2.1.1: request, sender IP 0.0.0.0, target IP address */
        DHCP4_ACD_SEND_ANNOUNCE, /* §2.3: request, sender IP = target IP = address */
        DHCP4_ACD_SEND_DEFEND,   /* §2.4 (b): one announcement answering `mac` */
} Dhcp4AcdSendKind;

typedef struct Dhcp4AcdAction {
        Dhcp4AcdActionType type;
        Dhcp4AcdSendKind kind;  /* SEND */
        struct in_addr address; /* the address under watch */
        bool conflict;          /* RESULT: true = in use by `mac`, false = free */
        uint8_t mac[6];         /* RESULT with conflict, LOST, SEND DEFEND: the other host; else zero */
        size_t len;             /* SEND: DHCP4_ACD_ARP_LEN */
        uint8_t arp[DHCP4_ACD_ARP_LEN];
} Dhcp4AcdAction;

typedef struct Dhcp4Acd Dhcp4Acd;

/* One input never queues more than one action; an input finding the queue full
 * returns -ENOBUFS before changing anything. A caller that pops every action after
 * each input never sees -ENOBUFS. */
#define DHCP4_ACD_QUEUE_SIZE 8
/* Extra own MACs (bond or bridge members, macvlans on the same segment). */
#define DHCP4_ACD_OWN_MAC_MAX 8

/* cfg timings as in Dhcp4AcdConfig above. Returns -EINVAL for an all-zero
 * MAC, probe_num 0 or > 255, announce_num > 255, or probe_min > probe_max; -ENOMEM.
 * With cfg->enabled false the machine is a pass-through: start_probe() answers FREE at
 * once without sending, start_announce() does nothing and the state stays IDLE. */
int dhcp4_acd_new(Dhcp4Acd **ret, const Dhcp4AcdConfig *cfg, const uint8_t mac[6], uint64_t seed);
Dhcp4Acd *dhcp4_acd_free(Dhcp4Acd *acd);
static inline void dhcp4_acd_freep(Dhcp4Acd **p) {
        if (*p)
                *p = dhcp4_acd_free(*p);
}

/* Our MAC: sender hardware address of what we send, and ignored as an echo. Takes
 * effect for the next packet; a probe or defence in progress goes on (the caller
 * restarts the probe if the identity change matters). -EINVAL for all-zero. */
int dhcp4_acd_set_mac(Dhcp4Acd *acd, const uint8_t mac[6]);
/* Another MAC of this host whose ARP must never count as a conflict. Returns 0 (also
 * when already known), -EINVAL for all-zero, -ENOSPC above DHCP4_ACD_OWN_MAC_MAX. */
int dhcp4_acd_add_own_mac(Dhcp4Acd *acd, const uint8_t mac[6]);

/* Start probing addr (not yet configured): PROBING. The first probe is due after a
 * random wait in [0, probe_wait]; the result comes as a RESULT action. Starting
 * (probe or announce) cancels whatever ran before, including actions not yet popped.
 * -EINVAL for an address that cannot be a host's (0/8, 127/8, 224/3, broadcast). */
int dhcp4_acd_start_probe(Dhcp4Acd *acd, struct in_addr addr, uint64_t now);
/* addr has just been configured: queue the first announcement now, the rest
 * announce_interval apart, then DEFENDING (ANNOUNCING is skipped with announce_num 0).
 * Conflicts are defended from this call on. Same -EINVAL as start_probe. */
int dhcp4_acd_start_announce(Dhcp4Acd *acd, struct in_addr addr, uint64_t now);
/* Back to IDLE: no timer, queue cleared. The defence history is forgotten. */
int dhcp4_acd_stop(Dhcp4Acd *acd);

/* Input: an ARP payload received on the interface. frame_src_mac is the Ethernet
 * source of the frame (NULL if unknown: the probe consistency check is skipped).
 * Returns a Dhcp4AcdRx code (>= 0), or -EINVAL/-ENOBUFS. Never fails on content. */
int dhcp4_acd_receive(Dhcp4Acd *acd, const uint8_t *frame_src_mac, const uint8_t *arp, size_t len,
                      uint64_t now);
/* Input: next_deadline passed (calling early is harmless). */
int dhcp4_acd_timeout(Dhcp4Acd *acd, uint64_t now);

/* Outputs. pop_action returns 1 and fills *ret, or 0 when the queue is empty. */
int dhcp4_acd_pop_action(Dhcp4Acd *acd, Dhcp4AcdAction *ret);
uint64_t dhcp4_acd_next_deadline(const Dhcp4Acd *acd); /* UINT64_MAX: none */

/* Observers. */
Dhcp4AcdState dhcp4_acd_get_state(const Dhcp4Acd *acd);
struct in_addr dhcp4_acd_get_address(const Dhcp4Acd *acd); /* 0.0.0.0 when IDLE */
/* Conflicting ARP packets acted on since new() (probe conflicts, defended and lost). */
unsigned dhcp4_acd_get_conflicts(const Dhcp4Acd *acd);
/* The sender of the last conflict: returns true and fills ret_mac, false if none yet. */
bool dhcp4_acd_get_conflict_mac(const Dhcp4Acd *acd, uint8_t ret_mac[6]);
/* Time of the last defence announcement (while ANNOUNCING/DEFENDING); false if none. */
bool dhcp4_acd_get_last_defence(const Dhcp4Acd *acd, uint64_t *ret_usec);

/* Pure ARP helpers. parse: 0 and *ret, or DHCP4_ACD_RX_TOO_SHORT .. DHCP4_ACD_RX_BAD_OP
 * (*ret untouched). Bytes past DHCP4_ACD_ARP_LEN (Ethernet padding) are ignored. */
int dhcp4_acd_arp_parse(const uint8_t *arp, size_t len, Dhcp4Arp *ret);
/* Writes an Ethernet/IPv4 ARP payload; tha NULL means all-zero. Returns DHCP4_ACD_ARP_LEN,
 * or -EINVAL (NULL buf/sha, op not 1 or 2), -ENOBUFS (size < DHCP4_ACD_ARP_LEN). */
int dhcp4_acd_arp_build(uint8_t *buf, size_t size, uint16_t op, const uint8_t sha[6], struct in_addr spa,
                        const uint8_t *tha, struct in_addr tpa);
