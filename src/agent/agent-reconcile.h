/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The agent's reconcile step: THE decision of the multipod flow, as one pure function.
 * Inputs: the configuration, the annotations as last read (or UNKNOWN), the IPv4
 * addresses on the interface as dumped from netlink right before (the truth for
 * "exactly one IPv4, inside/outside the pool"), the intra-pod check, whether a
 * ReleaseAndRenew call is in flight and how the last one ended, and the time.
 * State: the journal (persisted) and the runtime (timers, per process), updated in
 * place. Output: a list of actions for the daemon to carry out in order, and the phase.
 *
 * Level-triggered: every decision is derived from the current annotation, the current
 * addresses and the journal, never from which event woke us, so a missed or repeated
 * event, a restart or a failure is simply reconciled again.
 * Never calls a clock, socket, file or sd-event; docs/agent.md lists the rules.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent-config.h"
#include "agent-journal.h"
#include "agent-pod.h"
#include "macro.h"
#include "time-util.h"

#define AGENT_ADDRESSES_MAX 16
#define AGENT_ACTIONS_MAX 24
#define AGENT_TEXT_MAX 512

/* Retry after a failed ReleaseAndRenew (infradhcpd already retried maxRetries times
 * with its own back-off): 5 s, 10 s, 20 s, ... capped at 60 s, forever. */
#define AGENT_RETRY_INITIAL_USEC (5 * USEC_PER_SEC)
#define AGENT_RETRY_MAX_USEC (60 * USEC_PER_SEC)
/* infradhcpd unreachable or busy with a ReleaseAndRenew from before a restart. */
#define AGENT_RETRY_SHORT_USEC (1 * USEC_PER_SEC)
/* Unreachable this many times in a row: report Degraded. */
#define AGENT_UNREACHABLE_DEGRADED 5
/* aci-pod pod-Y but no (single) address at all: give infradhcpd this long to get
 * its first lease before forcing a ReleaseAndRenew into Y. */
#define AGENT_NO_ADDRESS_GRACE_USEC (10 * USEC_PER_SEC)
/* infradhcpd moved the node out of pod-X by itself (attachment detection) while aci-pod
 * still names X: the controller follows after opflex-device-reconnect-wait-timeout
 * (25 s by default). If it still names X this long after, the annotation rules take
 * over again (a migration into X), as if detection had not happened. */
#define AGENT_DETECTED_GRACE_USEC (120 * USEC_PER_SEC)

typedef enum AgentPhase {
        AGENT_PHASE_IDLE,      /* nothing to do: the address matches the annotation */
        AGENT_PHASE_MIGRATING, /* a migration runs */
        AGENT_PHASE_DEGRADED,  /* a migration failed and is being retried */
        AGENT_PHASE_WAITING,   /* waiting for input: the Node, an address */
        AGENT_PHASE_DISABLED,  /* aci-multipod is false */
        _AGENT_PHASE_MAX,
} AgentPhase;

typedef enum AgentCallResult {
        AGENT_CALL_NONE,              /* no call completed since the last reconcile */
        AGENT_CALL_SUCCEEDED,         /* bound: address in the reply */
        AGENT_CALL_RETRIES_EXHAUSTED, /* io.infradhcp.Client.RetriesExhausted */
        AGENT_CALL_BUSY,              /* io.infradhcp.Client.Busy */
        AGENT_CALL_UNREACHABLE,       /* no socket / refused / connection lost */
        AGENT_CALL_FAILED,            /* any other error reply */
} AgentCallResult;

typedef struct AgentCallOutcome {
        AgentCallResult result;
        AgentAddress address; /* SUCCEEDED */
        unsigned attempts;    /* restarts infradhcpd made */
        char error[200];      /* error name and details */
} AgentCallOutcome;

typedef struct AgentFacts {
        AgentPod pod;                 /* aci-pod; UNKNOWN until the Node was read */
        AgentPod node_pod;            /* node-aci-pod; UNKNOWN until the Node was read */
        AgentAddress addresses[AGENT_ADDRESSES_MAX]; /* IPv4 on the interface */
        size_t n_addresses;           /* may exceed AGENT_ADDRESSES_MAX (then truncated) */
        int intra_pod;                /* AGENT_INTRA_POD_YES/NO, < 0: check failed (treated as NO) */
        bool call_in_flight;
        AgentCallOutcome outcome;     /* the call that ended since the last run */
        bool starting;                /* first run of this process */
        uint64_t now;                 /* CLOCK_REALTIME usec (journal, Events) */
        uint64_t now_mono;            /* CLOCK_BOOTTIME usec (timers) */
} AgentFacts;

/* Per-process state, not persisted (a restart retries at once). */
typedef struct AgentRuntime {
        uint64_t retry_at;            /* CLOCK_BOOTTIME; 0: call when needed */
        uint64_t mismatch_since;      /* pod-Y without a single address in Y since */
        unsigned unreachable;         /* consecutive unreachable/busy outcomes */
        bool reset_conf_written;      /* the once-at-start reset.conf */
        AgentPhase phase;
        char reason[AGENT_TEXT_MAX];  /* why the phase (for GetStatus) */
} AgentRuntime;

typedef enum AgentActionType {
        AGENT_ACTION_REWRITE_OPFLEX,         /* address */
        AGENT_ACTION_WRITE_RESET_CONF,       /* text: why */
        AGENT_ACTION_ENSURE_ROUTE,
        AGENT_ACTION_SAVE_JOURNAL,
        AGENT_ACTION_LOG,                    /* level, text, note_opflex */
        AGENT_ACTION_POST_EVENT,             /* event_type, reason, text */
        AGENT_ACTION_CALL_RELEASE_AND_RENEW, /* kind, pool, delay_ms, max_retries */
        AGENT_ACTION_SCHEDULE_RETRY,         /* at (CLOCK_BOOTTIME) */
        _AGENT_ACTION_TYPE_MAX,
} AgentActionType;

typedef struct AgentAction {
        AgentActionType type;
        int level;                 /* LOG: syslog level */
        bool note_opflex;          /* LOG: append what the opflex rewrite of this run did */
        char text[AGENT_TEXT_MAX];
        const char *event_type;    /* "Normal" / "Warning" */
        const char *reason;        /* "MigrationStarted", ... */
        AgentMigrationKind kind;
        AgentPod pool;
        unsigned delay_ms, max_retries;
        AgentAddress address;
        uint64_t at;
} AgentAction;

typedef struct AgentActions {
        AgentAction actions[AGENT_ACTIONS_MAX];
        size_t n;
        AgentPhase phase;
} AgentActions;

/* The step. Actions come in the order to carry them out: file rewrites, then the
 * journal save, then logs and Events, then the daemon call or the retry timer. */
void agent_reconcile(const AgentConfig *config, const AgentFacts *facts, AgentJournal *journal, AgentRuntime *rt,
                     AgentActions *ret);

/* For the daemon: after a REWRITE_OPFLEX was carried out, record it (the journal then
 * needs saving; the SAVE_JOURNAL of the same run comes after). */
void agent_journal_note_opflex(AgentJournal *j, const AgentAddress *a, uint64_t now);

const char *agent_phase_to_string(AgentPhase p);
const char *agent_action_type_to_string(AgentActionType t);
