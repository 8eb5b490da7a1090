/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The DHCPv4 client state machine (RFC 2131 §4.4). Pure: bytes, time and commands
 * in; queued actions out (send this, probe that, configure, persist, next deadline).
 * It never touches a socket, a clock, the event loop or a random source: `now` is
 * always passed in (CLOCK_BOOTTIME usec in the daemon), and randomness (xid, jitter)
 * comes from a seeded PRNG inside the engine.
 * Not here: packet codec (dhcp4-message), IP/UDP framing (dhcp4-packet), sockets and
 * netlink (daemon), ARP conflict detection (dhcp4-acd; the engine only asks for a
 * probe and is told the result).
 */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dhcp4-message.h"
#include "infradhcp/lease.h"

typedef enum Dhcp4State {
        DHCP4_STATE_STOPPED,     /* not started, or stopped (SIGTERM): no actions */
        DHCP4_STATE_INIT,        /* about to DISCOVER (after initial_delay, or waiting for the link) */
        DHCP4_STATE_SELECTING,   /* DISCOVER sent, waiting for OFFER */
        DHCP4_STATE_REQUESTING,  /* REQUEST for an OFFER sent, waiting for ACK */
        DHCP4_STATE_PROBING,     /* ACK received; waiting for the ACD probe result */
        DHCP4_STATE_BOUND,
        DHCP4_STATE_RENEWING,    /* T1 passed: unicast REQUEST to the server */
        DHCP4_STATE_REBINDING,   /* T2 passed: broadcast REQUEST */
        DHCP4_STATE_INIT_REBOOT, /* have a remembered lease, about to REQUEST it (or waiting for the link) */
        DHCP4_STATE_REBOOTING,   /* REQUEST for remembered lease sent */
        DHCP4_STATE_RELEASED,    /* address released on command; idle until renew/restart */
        DHCP4_STATE_DECLINED,    /* conflict: DECLINE sent, waiting the back-off before INIT */
        DHCP4_STATE_CONFIRMING,  /* bound, attachment in doubt (RFC 4436): INIT-REBOOT REQUEST for the
                                  * configured address sent, the address stays configured */
        _DHCP4_STATE_MAX,
} Dhcp4State;

const char *dhcp4_state_to_string(Dhcp4State s); /* "INIT", "BOUND", ... */

typedef struct Dhcp4EngineConfig {
        uint8_t mac[6];                     /* must not be all-zero */
        uint64_t seed;                      /* PRNG seed for xid and jitter */
        char hostname[LEASE_HOSTNAME_MAX];  /* option 12 sent if non-empty; NUL-terminated */
        bool broadcast_flag;                /* set BOOTP broadcast flag in DISCOVER/REQUEST (default false:
                                             * we receive on AF_PACKET, unicast replies are fine) */
        /* timings, usec; dhcp4_engine_config_init() sets the data-centre defaults
         * (reasoning in docs/engine.md). new() returns -EINVAL for zero retransmit_initial,
         * reboot_timeout, renew_retransmit_min, decline_backoff_initial, request_max_attempts,
         * or a cap below its initial value. */
        uint64_t initial_delay_usec;        /* start/link-up wait before the first packet: uniform in
                                             * [0, initial_delay] (RFC 2131 §4.4.1), default 0 */
        uint64_t retransmit_initial_usec;   /* first retransmit timeout (default 1 s) */
        uint64_t retransmit_max_usec;       /* back-off cap (default 16 s) */
        uint64_t retransmit_jitter_usec;    /* +- uniform jitter (default 100 ms) */
        uint64_t reboot_timeout_usec;       /* INIT-REBOOT silence → INIT (default 2 s) */
        unsigned request_max_attempts;      /* REQUESTs for one OFFER before INIT (default 4) */
        uint64_t renew_retransmit_min_usec; /* RFC 2131 §4.4.5 minimum, default 10 s (RFC: 60 s) */
        uint64_t decline_backoff_initial_usec; /* DECLINED wait, doubles each conflict (1 s) */
        uint64_t decline_backoff_max_usec;     /* cap (default 64 s) */
        uint64_t decline_quarantine_usec;      /* declined address not requested for (600 s); 0: off */
        uint64_t confirm_refuse_usec;          /* after a NAK to confirm(): offers in the old subnet refused
                                                * for this long (30 s); 0: not refused */
} Dhcp4EngineConfig;

void dhcp4_engine_config_init(Dhcp4EngineConfig *c);

typedef enum Dhcp4ActionType {
        DHCP4_ACTION_SEND_BROADCAST, /* raw socket, src 0.0.0.0 (or ciaddr if set), dst 255.255.255.255 */
        DHCP4_ACTION_SEND_UNICAST,   /* UDP socket bound to the leased address, to `address`:67 */
        DHCP4_ACTION_PROBE,          /* run ACD on lease.address, answer dhcp4_engine_probe_result() */
        DHCP4_ACTION_CONFIGURE,      /* add/replace lease.address with lifetimes from lease */
        DHCP4_ACTION_DECONFIGURE,    /* remove `address`/prefixlen from the interface; `lease` = the
                                      * lease being removed (for its routes). When a new address
                                      * replaces an old one, CONFIGURE(new) comes first. */
        DHCP4_ACTION_PERSIST,        /* store lease */
        DHCP4_ACTION_FORGET,         /* remove stored lease */
        DHCP4_ACTION_STATE,          /* state changed old_state → new_state */
        DHCP4_ACTION_EVENT,          /* something to log/report: `event` + `address` */
} Dhcp4ActionType;

/* Named happenings reported with DHCP4_ACTION_EVENT (for logs, status, last_error). */
typedef enum Dhcp4Event {
        DHCP4_EVENT_OFFER_REFUSED,   /* offer in a refused subnet or quarantined */
        DHCP4_EVENT_NAK,             /* server NAKed; message in `text` */
        DHCP4_EVENT_EXPIRED,         /* lease expired, address removed */
        DHCP4_EVENT_REBOOT_TIMEOUT,  /* INIT-REBOOT got no answer → DISCOVER */
        DHCP4_EVENT_REQUEST_TIMEOUT, /* REQUESTING exhausted → DISCOVER */
        DHCP4_EVENT_CONFLICT,        /* ACD conflict on `address` → DECLINE */
        DHCP4_EVENT_BAD_LEASE,       /* ACK unusable (no lease time, 0.0.0.0 yiaddr...) */
        DHCP4_EVENT_ADDRESS_LOST,    /* ACD gave up defending the bound `address` → removed */
        DHCP4_EVENT_CONFIRMED,       /* confirm(): the server ACKed `address`: still attached */
        DHCP4_EVENT_MOVED,           /* confirm(): NAK, `address` is wrong for this network → DISCOVER */
        DHCP4_EVENT_CONFIRM_TIMEOUT, /* confirm(): no answer → DISCOVER, `address` kept */
        DHCP4_EVENT_CONFIGURE_FAILED, /* the daemon could not put `address` on the interface → back-off, DISCOVER */
        _DHCP4_EVENT_MAX,
} Dhcp4Event;

const char *dhcp4_event_to_string(Dhcp4Event e);

typedef struct Dhcp4Action {
        Dhcp4ActionType type;
        Dhcp4State old_state, new_state; /* STATE */
        Dhcp4Event event;                /* EVENT */
        char text[128];                  /* EVENT: NAK message etc., "" if none */
        uint32_t xid;                    /* SEND_*: transaction id of the packet */
        uint8_t message_type;            /* SEND_*: DHCP4_DISCOVER, ... */
        struct in_addr address;          /* SEND_UNICAST: destination; DECONFIGURE: address; EVENT: the
                                          * address concerned (NAK: the server that sent it) */
        uint8_t prefixlen;               /* DECONFIGURE */
        bool has_mac;                    /* EVENT CONFLICT: the conflicting host's MAC is known */
        uint8_t mac[6];
        Dhcp4Lease lease;                /* PROBE, CONFIGURE, PERSIST, DECONFIGURE */
        size_t len;                      /* SEND_*: DHCP payload length */
        uint8_t packet[DHCP4_MAX_SEND_LEN];
} Dhcp4Action;

typedef struct Dhcp4Engine Dhcp4Engine;

/* The action queue holds this many actions. One input never queues more than
 * DHCP4_ENGINE_INPUT_ACTIONS_MAX; an input finding less room than that returns -ENOBUFS
 * before changing anything, so a caller that drains the queue after every input never
 * sees -ENOBUFS. */
#define DHCP4_ENGINE_QUEUE_SIZE 32
#define DHCP4_ENGINE_INPUT_ACTIONS_MAX 12
#define DHCP4_ENGINE_REFUSE_MAX 16     /* subnets restart() accepts */
#define DHCP4_ENGINE_QUARANTINE_MAX 16 /* declined addresses remembered (oldest expiry evicted) */

/* Returns 0 or -ENOMEM/-EINVAL. */
int dhcp4_engine_new(Dhcp4Engine **ret, const Dhcp4EngineConfig *config);
Dhcp4Engine *dhcp4_engine_free(Dhcp4Engine *e);

/* MAC changed (re-read from the link): chaddr and Option 61 = 0x01 + mac follow.
 * If bound, the identity changed: the engine restarts from INIT. */
int dhcp4_engine_set_mac(Dhcp4Engine *e, const uint8_t mac[6], uint64_t now);

/* Starts the client. With `remembered` (a persisted lease, acquired_usec already in
 * the engine clock, not yet expired) it goes INIT-REBOOT, else INIT. The remembered
 * address is treated as configured (the kernel keeps it across a daemon restart by its
 * lifetimes): it is not re-added before an ACK confirms it, and DECONFIGURE follows on
 * expiry/NAK. A remembered lease that is unusable (expired, acquired in the future,
 * other client id, invalid address) queues FORGET and the engine goes INIT.
 * Call dhcp4_engine_link(false) before start() if the link is down at start.
 * Returns -EBUSY unless STOPPED. */
int dhcp4_engine_start(Dhcp4Engine *e, const Dhcp4Lease *remembered, uint64_t now);
/* Stops without releasing (SIGTERM): clears the queue, no further actions; the address
 * stays. start() may be called again. While stopped: release/renew/rebind/restart return
 * -ESTALE; set_mac and link are only remembered; receive returns DHCP4_RX_UNEXPECTED;
 * timeout, probe_result and address_lost return 0 and do nothing. */
int dhcp4_engine_stop(Dhcp4Engine *e);

/* Input: a DHCP payload received on the interface. Returns DHCP4_PARSE_OK (0) when
 * processed, or a positive Dhcp4ParseResult / DHCP4_RX_* code saying why it was
 * ignored. Never fails fatally on packet content. */
int dhcp4_engine_receive(Dhcp4Engine *e, const uint8_t *buf, size_t len, uint64_t now);
enum {
        DHCP4_RX_UNEXPECTED = _DHCP4_PARSE_MAX, /* valid, but not wanted in this state */
        DHCP4_RX_REFUSED,                        /* offer refused (subnet/quarantine) */
        DHCP4_RX_BAD_LEASE,                      /* ACK without usable lease */
        DHCP4_RX_WRONG_SERVER,                   /* ACK/NAK from a server other than the one asked:
                                                  * REQUESTING (the offer's), RENEWING NAK (the lease's) */
        DHCP4_RX_FORCERENEW,                     /* FORCERENEW (RFC 3203): never acted on, it cannot be
                                                  * authenticated here (RFC 3118/6704 not implemented) */
        _DHCP4_RX_MAX,
};
/* Names every positive result of dhcp4_engine_receive(), parse results included
 * ("xid-mismatch", "unexpected", "wrong-server", ...), so that every path that feeds the
 * engine logs a rejection the same way. NULL for 0, negative or unknown values. */
const char *dhcp4_engine_rx_to_string(int r);

/* Input: the deadline returned by next_deadline passed (call when now >= deadline;
 * calling early is harmless). */
int dhcp4_engine_timeout(Dhcp4Engine *e, uint64_t now);
/* Input: carrier state. Down: stop transmitting (keep the lease). Up after down:
 * INIT-REBOOT with the current lease if still valid (RFC 2131 §3.2), else INIT. */
int dhcp4_engine_link(Dhcp4Engine *e, bool up, uint64_t now);
/* Input: ACD result for the PROBE action (conflict_mac may be NULL). Ignored (returns 0)
 * when no probe is pending any more (link went down, restart...). */
int dhcp4_engine_probe_result(Dhcp4Engine *e, bool conflict, const uint8_t *conflict_mac, uint64_t now);
/* Input: ACD lost the address while bound (second conflict). DECLINE is not sent
 * (RFC 2131: DECLINE is only for a just-offered address); the address is removed
 * and the client restarts from INIT with the address quarantined, after the same
 * DECLINED back-off as a probe conflict. Returns 0 and does nothing without a lease. */
int dhcp4_engine_address_lost(Dhcp4Engine *e, uint64_t now);

/* Input: the CONFIGURE of the bind that just happened failed (the daemon lacks
 * CAP_NET_ADMIN, the kernel refused the address): the lease is useless. Only in BOUND
 * (else 0, nothing done): EVENT CONFIGURE_FAILED, FORGET, no DECLINE (nobody else
 * holds the address), and INIT after the retransmit back-off, doubling per failure in a
 * row (1 s, 2 s … retransmit_max), so a daemon that cannot configure never loops fast.
 * The count resets when a lease lasts until T1 and on restart/release. The caller
 * must not persist or report the bind whose CONFIGURE failed (docs/engine.md). */
int dhcp4_engine_configure_failed(Dhcp4Engine *e, uint64_t now);

/* Commands. "idle" = RELEASED or DECLINED (the command overrides the back-off); while
 * acquiring (INIT..REQUESTING, PROBING, INIT-REBOOT, REBOOTING) renew/rebind do nothing.
 * In RENEWING (renew) or REBINDING (renew, rebind) the REQUEST is retransmitted now. */
int dhcp4_engine_release(Dhcp4Engine *e, uint64_t now); /* RELEASE, deconfigure, forget → RELEASED */
int dhcp4_engine_renew(Dhcp4Engine *e, uint64_t now);   /* bound: RENEWING now; idle: INIT */
int dhcp4_engine_rebind(Dhcp4Engine *e, uint64_t now);  /* bound/renewing: REBINDING now; idle: INIT */
/* Fresh DISCOVER. Offers whose yiaddr lies in any of `refuse`, or outside `require`
 * when it is not NULL (multipod: lease from the new pod's TEP pool only), are ignored
 * until the next restart. The current address, if any, stays configured until a new lease
 * replaces it (or it expires), but is no longer renewed. -E2BIG above
 * DHCP4_ENGINE_REFUSE_MAX subnets, -EINVAL for a prefixlen > 32. */
int dhcp4_engine_restart(Dhcp4Engine *e, const Dhcp4Subnet *refuse, size_t n_refuse, const Dhcp4Subnet *require,
                         uint64_t now);

/* Attachment in doubt (RFC 4436 §2.2; docs/dna.md): confirm the lease as RFC 2131 §3.2
 * does after a reboot, without giving the address up. BOUND/RENEWING/REBINDING →
 * CONFIRMING: broadcast REQUEST with option 50 = the configured address, no option 54,
 * ciaddr 0 (§4.3.2 INIT-REBOOT), retransmitted until reboot_timeout.
 *   ACK for the address → BOUND with the new lifetimes (CONFIGURE, PERSIST), EVENT CONFIRMED;
 *   ACK for another    → PROBING, then make-before-break;
 *   NAK                → EVENT NAK + MOVED, DISCOVER at once; offers inside the old subnet are
 *                        refused for confirm_refuse; the old address stays configured (never
 *                        renewed) until a new lease replaces it or it expires;
 *   silence            → EVENT CONFIRM_TIMEOUT, DISCOVER (suggesting the address), which stays
 *                        configured likewise (§4.4.2: the client may keep using it).
 * Returns 0, DHCP4_CONFIRM_NOT_BOUND (> 0) in any other state (nothing done; also while
 * CONFIRMING), -ESTALE when stopped. */
int dhcp4_engine_confirm(Dhcp4Engine *e, uint64_t now);
enum {
        DHCP4_CONFIRM_NOT_BOUND = 1,
};

/* Sets the offer policy of restart() without restarting: used before start() to
 * carry a persisted policy over a daemon restart, so a restart in the middle of a
 * multipod move cannot lease from the old pod again. A remembered lease outside the
 * policy is not reused (INIT instead of INIT-REBOOT). 0, -EINVAL or -E2BIG. */
int dhcp4_engine_set_offer_policy(Dhcp4Engine *e, const Dhcp4Subnet *refuse, size_t n_refuse,
                                  const Dhcp4Subnet *require);

/* Outputs. pop_action returns 1 and fills *ret, or 0 when the queue is empty. */
int dhcp4_engine_pop_action(Dhcp4Engine *e, Dhcp4Action *ret);
uint64_t dhcp4_engine_next_deadline(const Dhcp4Engine *e); /* UINT64_MAX: none */

/* Observers. */
Dhcp4State dhcp4_engine_get_state(const Dhcp4Engine *e);
/* The lease whose address is configured (NULL when none). lifetime UINT32_MAX means
 * infinite; then t1 = t2 = UINT32_MAX too and no renewal timer runs. */
const Dhcp4Lease *dhcp4_engine_get_lease(const Dhcp4Engine *e);
const uint8_t *dhcp4_engine_get_client_id(const Dhcp4Engine *e, size_t *ret_len);
uint32_t dhcp4_engine_get_xid(const Dhcp4Engine *e);
/* Declined/quarantined addresses still in quarantine at `now`; returns count written. */
size_t dhcp4_engine_get_declined(const Dhcp4Engine *e, struct in_addr *out, size_t n, uint64_t now);
/* Consecutive conflicts (probe conflicts + lost addresses) since the last successful
 * bind, and the DECLINED wait that the last one started (0 when none). */
unsigned dhcp4_engine_get_conflicts(const Dhcp4Engine *e);
uint64_t dhcp4_engine_get_decline_backoff(const Dhcp4Engine *e);
