/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The agent's Prometheus metrics: counters the agent keeps (migrations by result,
 * ReleaseAndRenew calls by result, Events posted and dropped, duration histograms)
 * plus a snapshot of its status, rendered as text format 0.0.4 (src/shared/prom.h).
 * Pure: no I/O, no clock. Served over HTTP by agent-http.c.
 */
#pragma once

#include <stdint.h>

#include "agent-journal.h"
#include "agent-reconcile.h"
#include "prom.h"

typedef enum AgentMigrationPhase {
        AGENT_MIGRATION_PHASE_RELEASE, /* started -> old address gone */
        AGENT_MIGRATION_PHASE_LEASE,   /* released -> new address verified */
        AGENT_MIGRATION_PHASE_FILES,   /* bound -> opflex files rewritten */
        _AGENT_MIGRATION_PHASE_MAX,
} AgentMigrationPhase;

typedef struct AgentMetrics {
        uint64_t migrations[_AGENT_RESULT_MAX]; /* ended, by result */
        PromHistogram duration;                 /* seconds, succeeded migrations */
        PromHistogram phase[_AGENT_MIGRATION_PHASE_MAX];
        uint64_t calls[AGENT_CALL_FAILED + 1];  /* ReleaseAndRenew completions by result */
        uint64_t events_posted, events_dropped;
        uint64_t last_started;                  /* `started` of the last migration counted (its identity:
                                                 * `finished` moves when the opflex files follow) */
} AgentMetrics;

/* What the agent knows at scrape time. */
typedef struct AgentMetricsSnapshot {
        AgentPhase phase;
        const char *interface; /* NULL: not found */
        const char *aci_pod;   /* raw annotation value, NULL: absent/unknown */
        unsigned n_addresses;
        uint64_t kube_lists, kube_watches, kube_last_contact_usec;
        unsigned kube_queue;
        const AgentTimeline *in_flight; /* NULL: none */
} AgentMetricsSnapshot;

void agent_metrics_init(AgentMetrics *m);
/* Counts `last` once: when it has ended and is not the migration counted before. Call it
 * after the actions of the run that ended it (the opflex rewrite sets files_written). */
void agent_metrics_note_ended(AgentMetrics *m, const AgentTimeline *last);
void agent_metrics_note_call(AgentMetrics *m, AgentCallResult r);
void agent_metrics_note_event(AgentMetrics *m, bool posted);
int agent_metrics_render(const AgentMetrics *m, const AgentMetricsSnapshot *s, char **ret_text, size_t *ret_len);
const char *agent_call_result_to_string(AgentCallResult r);
