/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * infradhcp-agent metrics (docs/metrics.md lists each one). Counters start at 0 with
 * the process, as Prometheus expects (rate() handles restarts); durations are
 * observed once per migration, when it ends, from the journal's timeline.
 */
#include <errno.h>
#include <string.h>

#include "agent-metrics.h"
#include "macro.h"
#include "string-table.h"

static const char *const agent_call_result_table[] = {
        [AGENT_CALL_NONE] = "none",
        [AGENT_CALL_SUCCEEDED] = "succeeded",
        [AGENT_CALL_RETRIES_EXHAUSTED] = "retries-exhausted",
        [AGENT_CALL_BUSY] = "busy",
        [AGENT_CALL_UNREACHABLE] = "unreachable",
        [AGENT_CALL_FAILED] = "failed",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(agent_call_result, AgentCallResult)

static const char *const phase_name[_AGENT_MIGRATION_PHASE_MAX] = {
        [AGENT_MIGRATION_PHASE_RELEASE] = "release",
        [AGENT_MIGRATION_PHASE_LEASE] = "lease",
        [AGENT_MIGRATION_PHASE_FILES] = "files",
};

void agent_metrics_init(AgentMetrics *m) {
        *m = (AgentMetrics){};
        prom_histogram_init(&m->duration, prom_duration_bounds, prom_duration_n_bounds);
        for (size_t i = 0; i < _AGENT_MIGRATION_PHASE_MAX; i++)
                prom_histogram_init(&m->phase[i], prom_duration_bounds, prom_duration_n_bounds);
}

static void observe_span(PromHistogram *h, uint64_t from, uint64_t to) {
        if (from > 0 && to >= from)
                prom_histogram_observe(h, (double)(to - from) / 1e6);
}

void agent_metrics_note_ended(AgentMetrics *m, const AgentTimeline *t) {
        if (t->kind == AGENT_MIGRATION_NONE || t->finished == 0 || t->started == m->last_started ||
            (size_t)t->result >= _AGENT_RESULT_MAX)
                return;
        m->last_started = t->started;
        m->migrations[t->result]++;
        if (t->result != AGENT_RESULT_SUCCEEDED)
                return;
        observe_span(&m->duration, t->started, t->finished);
        observe_span(&m->phase[AGENT_MIGRATION_PHASE_RELEASE], t->started, t->released);
        observe_span(&m->phase[AGENT_MIGRATION_PHASE_LEASE], t->released, t->bound);
        observe_span(&m->phase[AGENT_MIGRATION_PHASE_FILES], t->bound, t->files_written);
}

void agent_metrics_note_call(AgentMetrics *m, AgentCallResult r) {
        if ((size_t)r < ELEMENTSOF(m->calls))
                m->calls[r]++;
}

void agent_metrics_note_event(AgentMetrics *m, bool posted) {
        if (posted)
                m->events_posted++;
        else
                m->events_dropped++;
}

int agent_metrics_render(const AgentMetrics *m, const AgentMetricsSnapshot *s, char **ret_text, size_t *ret_len) {
        static const AgentResult results[] = { AGENT_RESULT_SUCCEEDED, AGENT_RESULT_SUPERSEDED };
        PromWriter w;
        PromLabel l[2];
        int r;

        r = prom_writer_open(&w);
        if (r < 0)
                return r;

        prom_family(&w, "infradhcp_agent_phase", "gauge",
                    "The agent's phase: 1 for the current one (Idle, Migrating, Degraded, Waiting, Disabled).");
        for (AgentPhase p = 0; p < _AGENT_PHASE_MAX; p++) {
                l[0] = (PromLabel){ "phase", agent_phase_to_string(p) };
                prom_sample(&w, "infradhcp_agent_phase", l, 1, s->phase == p);
        }
        prom_family(&w, "infradhcp_agent_aci_pod_info", "gauge",
                    "The opflex.cisco.com/aci-pod annotation of this Node as last read (pod label).");
        l[0] = (PromLabel){ "pod", s->aci_pod ?: "" };
        l[1] = (PromLabel){ "interface", s->interface ?: "" };
        prom_sample(&w, "infradhcp_agent_aci_pod_info", l, 2, 1);
        prom_family(&w, "infradhcp_agent_interface_addresses", "gauge",
                    "IPv4 addresses on the infra interface (1 when healthy).");
        l[0] = (PromLabel){ "interface", s->interface ?: "" };
        prom_sample(&w, "infradhcp_agent_interface_addresses", l, 1, s->n_addresses);

        prom_family(&w, "infradhcp_agent_migrations_total", "counter",
                    "Migrations that ended, by result (a failing migration is retried until it succeeds or is "
                    "superseded; see infradhcp_agent_release_and_renew_calls_total).");
        for (size_t i = 0; i < ELEMENTSOF(results); i++) {
                l[0] = (PromLabel){ "result", agent_result_to_string(results[i]) };
                prom_sample_u64(&w, "infradhcp_agent_migrations_total", l, 1, m->migrations[results[i]]);
        }
        prom_family(&w, "infradhcp_agent_migration_in_progress", "gauge",
                    "1 while a migration runs (retrying included).");
        prom_sample(&w, "infradhcp_agent_migration_in_progress", NULL, 0, s->in_flight != NULL);
        prom_family(&w, "infradhcp_agent_migration_duration_seconds", "histogram",
                    "Duration of each succeeded migration, from the annotation change to the opflex files.");
        prom_sample_histogram(&w, "infradhcp_agent_migration_duration_seconds", NULL, 0, &m->duration);
        prom_family(&w, "infradhcp_agent_migration_phase_duration_seconds", "histogram",
                    "Duration of each phase of a succeeded migration: release (until the old address left), "
                    "lease (until the new address was verified), files (until the opflex files were rewritten).");
        for (size_t i = 0; i < _AGENT_MIGRATION_PHASE_MAX; i++) {
                l[0] = (PromLabel){ "phase", phase_name[i] };
                prom_sample_histogram(&w, "infradhcp_agent_migration_phase_duration_seconds", l, 1, &m->phase[i]);
        }
        prom_family(&w, "infradhcp_agent_release_and_renew_calls_total", "counter",
                    "ReleaseAndRenew calls to infradhcpd that completed, by result.");
        for (AgentCallResult c = AGENT_CALL_SUCCEEDED; c <= AGENT_CALL_FAILED; c++) {
                l[0] = (PromLabel){ "result", agent_call_result_to_string(c) };
                prom_sample_u64(&w, "infradhcp_agent_release_and_renew_calls_total", l, 1, m->calls[c]);
        }

        prom_family(&w, "infradhcp_agent_kube_watch_reconnects_total", "counter",
                    "Node watch requests after the first one (stream ends, errors, restarts of the API server).");
        prom_sample_u64(&w, "infradhcp_agent_kube_watch_reconnects_total", NULL, 0,
                        s->kube_watches > 0 ? s->kube_watches - 1 : 0);
        prom_family(&w, "infradhcp_agent_kube_relists_total", "counter",
                    "Node LIST requests after the first one (410 Gone, decode errors).");
        prom_sample_u64(&w, "infradhcp_agent_kube_relists_total", NULL, 0, s->kube_lists > 0 ? s->kube_lists - 1 : 0);
        prom_family(&w, "infradhcp_agent_kube_last_contact_timestamp_seconds", "gauge",
                    "When the API server last answered with a 2xx (Unix time; 0: never).");
        prom_sample(&w, "infradhcp_agent_kube_last_contact_timestamp_seconds", NULL, 0,
                    (double)s->kube_last_contact_usec / 1e6);
        prom_family(&w, "infradhcp_agent_kube_events_posted_total", "counter", "Kubernetes Events posted.");
        prom_sample_u64(&w, "infradhcp_agent_kube_events_posted_total", NULL, 0, m->events_posted);
        prom_family(&w, "infradhcp_agent_kube_events_dropped_total", "counter",
                    "Kubernetes Events given up on (refused by the API server or not postable).");
        prom_sample_u64(&w, "infradhcp_agent_kube_events_dropped_total", NULL, 0, m->events_dropped);
        prom_family(&w, "infradhcp_agent_kube_queue_length", "gauge", "Events waiting for the API server.");
        prom_sample(&w, "infradhcp_agent_kube_queue_length", NULL, 0, s->kube_queue);
        return prom_writer_close(&w, ret_text, ret_len);
}
