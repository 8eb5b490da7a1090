/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The daemon side of one interface: the event-loop glue. Owns the sockets, the
 * netlink connection and the timers, feeds the pure engine (dhcp4-engine) and ACD
 * machine (dhcp4-acd) with packets, timeouts, link events and commands, and carries
 * out the actions they queue: sending, applying the lease to the link (dhcp4-link),
 * persisting it (dhcp4-persist). Produces the status snapshot (dhcp4-status.h).
 * Not the protocol: every protocol decision is the engine's.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "dhcp4-config.h"
#include "dhcp4-engine.h"
#include "dhcp4-status.h"
#include "infradhcp/lease.h"
#include "macro.h"

typedef struct Dhcp4Client Dhcp4Client;

/* Called after every state change (for status/monitor consumers). */
typedef void (*Dhcp4ClientStateHandler)(Dhcp4Client *c, Dhcp4State old_state, Dhcp4State new_state,
                                        void *userdata);

/* Called after every input the client handled (a packet, a timer, a command, a link
 * event): the status snapshot, its counters included, may have changed. Not called
 * from inside another handler. */
typedef void (*Dhcp4ClientChangeHandler)(Dhcp4Client *c, void *userdata);

int dhcp4_client_new(Dhcp4Client **ret, sd_event *event, const char *ifname, const Dhcp4Config *config,
                     const char *state_dir);
Dhcp4Client *dhcp4_client_free(Dhcp4Client *c);
DEFINE_FREEP(Dhcp4Client, dhcp4_client_free)

/* Start-up in three steps, first packet first (docs/design.md, "Start-up"):
 * dhcp4_client_start() does only what the first DISCOVER or INIT-REBOOT REQUEST needs
 * (the rtnetlink request socket, the link, the persisted offer policy and lease, the
 * engine, the packet socket and the lease timer) and sends it; then the interface's
 * housekeeping (promote_secondaries, foreign addresses). dhcp4_client_start_detection(),
 * called right after and before anything is read, adds conflict and attachment
 * detection (no socket yet: those open when a probe or a check starts), so that the ACK
 * is probed as configured however soon it comes. dhcp4_client_start_monitor() may
 * come later, between packets: it subscribes to rtnetlink and re-reads the link (and,
 * once bound, checks the address and route), so that a change made before is not
 * missed. All return 0 or -errno (e.g. -ENODEV: no such interface). */
int dhcp4_client_start(Dhcp4Client *c);
int dhcp4_client_start_detection(Dhcp4Client *c);
int dhcp4_client_start_monitor(Dhcp4Client *c);
/* SIGTERM path: stop without releasing; the kernel lifetime keeps the address. */
void dhcp4_client_stop(Dhcp4Client *c);

void dhcp4_client_set_state_handler(Dhcp4Client *c, Dhcp4ClientStateHandler h, void *userdata);
void dhcp4_client_set_change_handler(Dhcp4Client *c, Dhcp4ClientChangeHandler h, void *userdata);

/* Commands (operator/agent). Each returns 0 or -errno. */
int dhcp4_client_release(Dhcp4Client *c);
int dhcp4_client_renew(Dhcp4Client *c);
int dhcp4_client_rebind(Dhcp4Client *c);
/* Restart with an offer policy (see dhcp4_engine_restart); the policy is persisted
 * in <state-dir>/IFNAME.policy and survives a daemon restart until the next restart
 * replaces it (an empty policy removes the file). */
int dhcp4_client_restart(Dhcp4Client *c, const Dhcp4Subnet *refuse, size_t n_refuse, const Dhcp4Subnet *require);
/* Sets and persists the policy without restarting (ReleaseAndRenew sets it before
 * releasing, so a daemon killed during the delay keeps it). */
int dhcp4_client_set_offer_policy(Dhcp4Client *c, const Dhcp4Subnet *refuse, size_t n_refuse,
                                  const Dhcp4Subnet *require);

/* Also writes the lease in dhclient's format to path (absolute) from now on, for the
 * life of the daemon (infradhcp-dhclient -lf). Returns 1 when the current lease was
 * written there, 0 when there is none yet, -EINVAL, -E2BIG (dhcp4-export.h), or the
 * -errno of the write. */
int dhcp4_client_add_lease_export(Dhcp4Client *c, const char *path);

/* A multi-step sequence (varlink ReleaseAndRenew) owns the client while it runs:
 * other control paths (D-Bus) answer Busy instead of interleaving commands. */
void dhcp4_client_set_sequence_running(Dhcp4Client *c, bool running);
bool dhcp4_client_sequence_running(const Dhcp4Client *c);

/* The status snapshot every front end renders (dhcp4-status.h); also before start
 * (STOPPED, no lease). Reads the engine clock for the quarantine; lease times are
 * converted to CLOCK_REALTIME once per lease. */
void dhcp4_client_get_status(Dhcp4Client *c, Dhcp4ClientStatus *ret);
/* The engine's state (DHCP4_STATE_STOPPED before dhcp4_client_start()). */
Dhcp4State dhcp4_client_get_state(const Dhcp4Client *c);

/* Attachment detection (docs/dna.md): the operator's `infradhcpctl check`: test the
 * peers now. 0, -ENOTCONN without a lease, -EOPNOTSUPP when detection is off. */
int dhcp4_client_check(Dhcp4Client *c);
