/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The reconcile step of infradhcp-agent; see agent-reconcile.h for the contract and
 * docs/agent.md for the rules in prose. Pure: no clock, no I/O.
 *
 * Shape of one run:
 *   1. reconnect feature (reset.conf once at start, and on node-aci-pod → none);
 *   2. the aci-pod annotation may decide, start or supersede a migration;
 *   3. an active migration is verified against the addresses (success when exactly one
 *      IPv4 is on the interface, outside the refused / inside the required pool), or
 *      driven: the outcome of the last call is taken in, then a call is made, or a
 *      retry is scheduled;
 *   4. the opflex files follow the address whenever it changes.
 * Not here: carrying out the actions (infradhcp-agent.c).
 */

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "agent-opflex.h"
#include "agent-reconcile.h"
#include "string-table.h"
#include "time-util.h"

static const char *const agent_phase_table[_AGENT_PHASE_MAX] = {
        [AGENT_PHASE_IDLE] = "Idle",         [AGENT_PHASE_MIGRATING] = "Migrating", [AGENT_PHASE_DEGRADED] = "Degraded",
        [AGENT_PHASE_WAITING] = "Waiting",   [AGENT_PHASE_DISABLED] = "Disabled",
};

static const char *const agent_action_type_table[_AGENT_ACTION_TYPE_MAX] = {
        [AGENT_ACTION_REWRITE_OPFLEX] = "REWRITE_OPFLEX",
        [AGENT_ACTION_WRITE_RESET_CONF] = "WRITE_RESET_CONF",
        [AGENT_ACTION_ENSURE_ROUTE] = "ENSURE_ROUTE",
        [AGENT_ACTION_SAVE_JOURNAL] = "SAVE_JOURNAL",
        [AGENT_ACTION_LOG] = "LOG",
        [AGENT_ACTION_POST_EVENT] = "POST_EVENT",
        [AGENT_ACTION_CALL_RELEASE_AND_RENEW] = "CALL_RELEASE_AND_RENEW",
        [AGENT_ACTION_SCHEDULE_RETRY] = "SCHEDULE_RETRY",
};

/* Order in which the daemon carries actions out (stable within a rank): files first
 * (opflex-agent follows the address as early as possible), then the journal (so an
 * Event or a call is never made without the journal saying so), then what others see. */
static const int action_rank[_AGENT_ACTION_TYPE_MAX] = {
        [AGENT_ACTION_REWRITE_OPFLEX] = 0,      [AGENT_ACTION_WRITE_RESET_CONF] = 0,
        [AGENT_ACTION_ENSURE_ROUTE] = 0,        [AGENT_ACTION_SAVE_JOURNAL] = 1,
        [AGENT_ACTION_LOG] = 2,                 [AGENT_ACTION_POST_EVENT] = 2,
        [AGENT_ACTION_CALL_RELEASE_AND_RENEW] = 3, [AGENT_ACTION_SCHEDULE_RETRY] = 3,
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(agent_phase, AgentPhase)

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(agent_action_type, AgentActionType)

void agent_journal_note_opflex(AgentJournal *j, const AgentAddress *a, uint64_t now) {
        j->opflex = *a;
        /* The migration that just ended is what made this rewrite happen. */
        if (j->last.result == AGENT_RESULT_SUCCEEDED && j->last.files_written == 0 &&
            agent_address_equal(&j->last.new_address, a)) {
                /* Finished includes the files: the flow ends when opflex-agent can follow. */
                j->last.files_written = now;
                j->last.finished = MAX(j->last.finished, now);
        }
}

typedef struct Run {
        const AgentConfig *config;
        const AgentFacts *facts;
        AgentJournal *j;
        AgentRuntime *rt;
        AgentActions *out;
        AgentAddress cur;   /* the single IPv4 address, if exactly one */
        bool dirty;
        bool opflex_queued;
        AgentPhase phase;
        char reason[AGENT_TEXT_MAX];
} Run;

static AgentAction *push(Run *r, AgentActionType type) {
        AgentAction *a;

        if (r->out->n >= AGENT_ACTIONS_MAX)
                return NULL; /* cannot happen with the rules below; never overflow */
        a = &r->out->actions[r->out->n++];
        *a = (AgentAction){ .type = type };
        return a;
}

_printf_(3, 4) static void log_action(Run *r, int level, const char *fmt, ...) {
        AgentAction *a = push(r, AGENT_ACTION_LOG);
        va_list ap;

        if (!a)
                return;
        a->level = level;
        va_start(ap, fmt);
        vsnprintf(a->text, sizeof(a->text), fmt, ap);
        va_end(ap);
}

_printf_(4, 5) static void post_event(Run *r, const char *type, const char *reason, const char *fmt, ...) {
        AgentAction *a = push(r, AGENT_ACTION_POST_EVENT);
        va_list ap;

        if (!a)
                return;
        a->event_type = type;
        a->reason = reason;
        va_start(ap, fmt);
        vsnprintf(a->text, sizeof(a->text), fmt, ap);
        va_end(ap);
}

_printf_(3, 4) static void set_phase(Run *r, AgentPhase p, const char *fmt, ...) {
        va_list ap;

        r->phase = p;
        va_start(ap, fmt);
        vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
        va_end(ap);
}

static void rewrite_opflex(Run *r, const AgentAddress *a) {
        AgentAction *x;

        if (r->opflex_queued)
                return;
        x = push(r, AGENT_ACTION_REWRITE_OPFLEX);
        if (!x)
                return;
        x->address = *a;
        r->opflex_queued = true;
}

static bool has_address(const AgentFacts *f, struct in_addr a) {
        for (size_t i = 0; i < MIN(f->n_addresses, (size_t)AGENT_ADDRESSES_MAX); i++)
                if (f->addresses[i].set && f->addresses[i].address.s_addr == a.s_addr)
                        return true;
        return false;
}

static const char *pod_str(const AgentPod *p, char *buf) {
        return agent_pod_format(p, buf, AGENT_POD_STRING_MAX);
}

static const char *pool_str(const AgentPod *p, char *buf) {
        return agent_pod_format_pool(p, buf, 32);
}

static const char *ip_str(const AgentAddress *a, char *buf) {
        return agent_address_format_ip(a, buf, 32);
}

static uint64_t retry_backoff(unsigned failures) {
        uint64_t d = AGENT_RETRY_INITIAL_USEC;

        for (unsigned i = 1; i < failures && d < AGENT_RETRY_MAX_USEC; i++)
                d *= 2;
        return MIN(d, AGENT_RETRY_MAX_USEC);
}

/* ------------------------------------------------------------------------- */
/* Migrations */

static void migration_start(Run *r, AgentMigrationKind kind, const AgentPod *from, const AgentPod *to,
                            const AgentPod *pool) {
        AgentTimeline *m = &r->j->migration;

        *m = (AgentTimeline){
                .kind = kind,
                .from = *from,
                .to = *to,
                .pool = *pool,
                .old_address = r->cur,
                .started = r->facts->now,
                .result = AGENT_RESULT_IN_PROGRESS,
        };
        /* A single address is what is released; with several or none, say none. */
        r->rt->retry_at = 0;
        r->rt->unreachable = 0;
        r->dirty = true;
}

/* Ends the migration in flight (it becomes the last one). */
static void migration_end(Run *r, AgentResult result) {
        r->j->migration.result = result;
        r->j->migration.finished = r->facts->now;
        r->j->last = r->j->migration;
        r->j->migration = (AgentTimeline){};
        r->rt->retry_at = 0;
        r->rt->unreachable = 0;
        r->dirty = true;
}

static void migration_supersede(Run *r, const char *why) {
        char a[AGENT_POD_STRING_MAX], b[AGENT_POD_STRING_MAX];
        AgentTimeline *m = &r->j->migration;

        log_action(r, LOG_NOTICE, "Migration %s -> %s superseded: %s", pod_str(&m->from, a), pod_str(&m->to, b), why);
        migration_end(r, AGENT_RESULT_SUPERSEDED);
}

static bool migration_satisfied(const AgentTimeline *m, const AgentAddress *cur) {
        if (!cur->set)
                return false;
        if (m->kind == AGENT_MIGRATION_AWAY)
                return !agent_pod_contains(&m->pool, cur->address);
        return agent_pod_contains(&m->pool, cur->address);
}

static void migration_succeed(Run *r) {
        AgentTimeline *m = &r->j->migration;
        char a[32], b[32];
        uint64_t ms;

        m->new_address = r->cur;
        m->error[0] = '\0'; /* what went wrong on the way is in the log and the Events */
        if (m->bound == 0)
                m->bound = r->facts->now;
        if (m->released == 0 && m->old_address.set && !agent_address_equal(&m->old_address, &r->cur))
                m->released = m->bound;
        ms = (r->facts->now >= m->started ? r->facts->now - m->started : 0) / USEC_PER_MSEC;
        if (r->facts->pod.kind == AGENT_POD_SET) {
                /* The controller already names the pod: the none period is over. */
                r->j->decision = AGENT_DECISION_NONE;
                if (agent_pod_contains(&r->facts->pod, r->cur.address))
                        r->j->last_pod = r->facts->pod;
        } else if (m->kind == AGENT_MIGRATION_AWAY)
                r->j->decision = AGENT_DECISION_DONE;
        else
                r->j->last_pod = m->pool;
        rewrite_opflex(r, &r->cur);
        {
                AgentAction *l = push(r, AGENT_ACTION_LOG);
                if (l) {
                        l->level = LOG_INFO;
                        l->note_opflex = true;
                        snprintf(l->text, sizeof(l->text), "Migration succeeded: %s -> %s in %" PRIu64 " ms",
                                 ip_str(&m->old_address, a), ip_str(&r->cur, b), ms);
                }
        }
        if (!m->posted_succeeded) {
                m->posted_succeeded = true;
                post_event(r, "Normal", "MigrationSucceeded",
                           "Infra address moved %s -> %s in %" PRIu64 " ms (%u ReleaseAndRenew call%s)",
                           ip_str(&m->old_address, a), ip_str(&r->cur, b), ms, m->calls, m->calls == 1 ? "" : "s");
        }
        migration_end(r, AGENT_RESULT_SUCCEEDED);
        set_phase(r, AGENT_PHASE_IDLE, "migration succeeded");
}

/* Takes in the outcome of the call that just ended. */
static void migration_outcome(Run *r) {
        const AgentCallOutcome *o = &r->facts->outcome;
        AgentTimeline *m = &r->j->migration;
        char a[32], pool[32];
        uint64_t backoff;

        switch (o->result) {
        case AGENT_CALL_NONE:
                return;
        case AGENT_CALL_SUCCEEDED:
                r->rt->unreachable = 0;
                /* The addresses were read after the reply, so they show the new lease:
                 * when they do not satisfy the migration, something removed it again. */
                if (m->bound == 0)
                        m->bound = r->facts->now;
                m->new_address = o->address;
                r->dirty = true;
                if (migration_satisfied(m, &r->cur))
                        return;
                snprintf(m->error, sizeof(m->error),
                         "infradhcpd reported %s but the interface has %zu IPv4 address(es)", ip_str(&o->address, a),
                         r->facts->n_addresses);
                break;
        case AGENT_CALL_BUSY:
        case AGENT_CALL_UNREACHABLE:
                /* infradhcpd restarting, or finishing a sequence a previous agent process
                 * started (it completes even when its caller is gone): ask again soon;
                 * its address change wakes us earlier anyway. */
                r->rt->unreachable++;
                r->rt->retry_at = r->facts->now_mono + AGENT_RETRY_SHORT_USEC;
                if (strcmp(m->error, o->error) != 0) {
                        snprintf(m->error, sizeof(m->error), "%s", o->error);
                        r->dirty = true;
                        log_action(r, o->result == AGENT_CALL_BUSY ? LOG_INFO : LOG_WARNING,
                                   "ReleaseAndRenew not possible now: %s; asking again in 1 s", o->error);
                }
                return;
        case AGENT_CALL_RETRIES_EXHAUSTED:
        case AGENT_CALL_FAILED:
                r->rt->unreachable = 0;
                snprintf(m->error, sizeof(m->error), "%s", o->error);
                break;
        }
        /* A failed call: Degraded, retried at a capped interval, never given up. */
        m->failures++;
        m->result = AGENT_RESULT_RETRYING;
        r->dirty = true;
        backoff = retry_backoff(m->failures);
        r->rt->retry_at = r->facts->now_mono + backoff;
        log_action(r, LOG_WARNING, "Migration failed (%s %s): %s; retrying in %" PRIu64 " s",
                   m->kind == AGENT_MIGRATION_AWAY ? "away from" : "into", pool_str(&m->pool, pool), m->error,
                   backoff / USEC_PER_SEC);
        if (!m->posted_failed) {
                m->posted_failed = true;
                post_event(r, "Warning", "MigrationFailed",
                           "No infra address %s %s after %u attempt(s): %s; retrying every %" PRIu64 " s at most",
                           m->kind == AGENT_MIGRATION_AWAY ? "outside" : "inside", pool_str(&m->pool, pool),
                           o->attempts, m->error, AGENT_RETRY_MAX_USEC / USEC_PER_SEC);
        }
}

static void migration_drive(Run *r) {
        AgentTimeline *m = &r->j->migration;
        const AgentFacts *f = r->facts;
        char from[AGENT_POD_STRING_MAX], to[AGENT_POD_STRING_MAX], pool[32], a[32];
        AgentAction *call;
        AgentPhase busy_phase;

        /* Released: the old address left the interface after our first call. */
        if (m->released == 0 && m->calls > 0 &&
            (m->old_address.set ? !has_address(f, m->old_address.address) : f->n_addresses == 0)) {
                m->released = f->now;
                r->dirty = true;
        }
        if (migration_satisfied(m, &r->cur))
                return migration_succeed(r);

        migration_outcome(r);

        busy_phase = m->failures > 0 || r->rt->unreachable >= AGENT_UNREACHABLE_DEGRADED ? AGENT_PHASE_DEGRADED
                                                                                         : AGENT_PHASE_MIGRATING;
        if (f->call_in_flight) {
                set_phase(r, busy_phase, "ReleaseAndRenew %s %s in progress",
                          m->kind == AGENT_MIGRATION_AWAY ? "refusing" : "requiring", pool_str(&m->pool, pool));
                return;
        }
        if (r->rt->retry_at > f->now_mono) {
                AgentAction *s = push(r, AGENT_ACTION_SCHEDULE_RETRY);
                if (s)
                        s->at = r->rt->retry_at;
                set_phase(r, busy_phase, "%s; next attempt in %" PRIu64 " ms", m->error[0] ? m->error : "waiting",
                          (r->rt->retry_at - f->now_mono) / USEC_PER_MSEC);
                return;
        }

        call = push(r, AGENT_ACTION_CALL_RELEASE_AND_RENEW);
        if (!call)
                return;
        call->kind = m->kind;
        call->pool = m->pool;
        call->delay_ms = r->config->delay_sec * 1000U;
        call->max_retries = r->config->max_retries;
        m->calls++;
        r->dirty = true;
        if (m->calls == 1 && !m->posted_started) {
                if (m->kind == AGENT_MIGRATION_AWAY)
                        log_action(r, LOG_INFO, "Migration started: aci-pod %s -> %s, releasing %s",
                                   pod_str(&m->from, from), pod_str(&m->to, to), ip_str(&m->old_address, a));
                else
                        log_action(r, LOG_INFO, "Migration started: aci-pod %s -> %s, releasing %s (outside %s)",
                                   pod_str(&m->from, from), pod_str(&m->to, to), ip_str(&m->old_address, a),
                                   pool_str(&m->pool, pool));
                m->posted_started = true;
                post_event(r, "Normal", "MigrationStarted",
                           "aci-pod %s -> %s: releasing %s and renewing %s %s (dhcp-delay %u s)",
                           pod_str(&m->from, from), pod_str(&m->to, to), ip_str(&m->old_address, a),
                           m->kind == AGENT_MIGRATION_AWAY ? "outside" : "inside", pool_str(&m->pool, pool),
                           r->config->delay_sec);
        } else
                log_action(r, LOG_INFO, "Migration %s %s: ReleaseAndRenew call %u",
                           m->kind == AGENT_MIGRATION_AWAY ? "away from" : "into", pool_str(&m->pool, pool), m->calls);
        set_phase(r, busy_phase, "ReleaseAndRenew %s %s (call %u)",
                  m->kind == AGENT_MIGRATION_AWAY ? "refusing" : "requiring", pool_str(&m->pool, pool), m->calls);
}

/* ------------------------------------------------------------------------- */
/* Annotation rules */

static const AgentPod pod_none = { .kind = AGENT_POD_NONE };

static void detected_clear(Run *r) {
        if (r->j->detected_from.kind == AGENT_POD_SET) {
                r->j->detected_from = (AgentPod){ .kind = AGENT_POD_UNKNOWN };
                r->j->detected_at = 0;
                r->dirty = true;
        }
}

/* infradhcpd changed the address on its own: the single address lies outside pod X,
 * which aci-pod still names and which held the address the opflex files were written
 * for. That is its attachment detection (docs/dna.md) noticing a live migration before
 * the controller does: verified (outside X's pool), recorded as a finished migration,
 * the opflex files rewritten at once (rule 7 below) and the Events posted. Returns
 * true when the rule applies (nothing else to decide while the controller catches up). */
static bool on_detected(Run *r, const AgentPod *x) {
        AgentTimeline *t = &r->j->last;
        char xs[AGENT_POD_STRING_MAX], pool[32], a[32], b[32];

        if (r->j->detected_from.kind == AGENT_POD_SET && agent_pod_equal(&r->j->detected_from, x)) {
                if (r->cur.set && agent_pod_contains(x, r->cur.address)) {
                        /* Back in X (moved back, or the detection was undone). */
                        detected_clear(r);
                        return false;
                }
                if (r->facts->now >= r->j->detected_at + AGENT_DETECTED_GRACE_USEC) {
                        log_action(r, LOG_WARNING,
                                   "aci-pod still %s %" PRIu64 " s after infradhcpd detected the move out of it: "
                                   "following the controller",
                                   pod_str(x, xs), AGENT_DETECTED_GRACE_USEC / USEC_PER_SEC);
                        detected_clear(r);
                        return false;
                }
                set_phase(r, AGENT_PHASE_IDLE, "infradhcpd detected the move out of %s; waiting for the controller",
                          pool_str(x, pool));
                return true;
        }
        if (!r->cur.set || agent_pod_contains(x, r->cur.address) || !r->j->opflex.set ||
            !agent_pod_contains(x, r->j->opflex.address) || r->facts->call_in_flight)
                return false;

        *t = (AgentTimeline){
                .kind = AGENT_MIGRATION_DETECTED,
                .from = *x,
                .to = *x,
                .pool = *x,
                .old_address = r->j->opflex,
                .new_address = r->cur,
                .started = r->facts->now,
                .released = r->facts->now,
                .bound = r->facts->now,
                .finished = r->facts->now,
                .result = AGENT_RESULT_SUCCEEDED,
                .posted_started = true,
                .posted_succeeded = true,
        };
        r->j->detected_from = *x;
        r->j->detected_at = r->facts->now;
        r->dirty = true;
        rewrite_opflex(r, &r->cur);
        {
                AgentAction *l = push(r, AGENT_ACTION_LOG);
                if (l) {
                        l->level = LOG_INFO;
                        l->note_opflex = true;
                        snprintf(l->text, sizeof(l->text),
                                 "Migration detected by infradhcpd: %s -> %s, outside %s (aci-pod still %s)",
                                 ip_str(&t->old_address, a), ip_str(&r->cur, b), pool_str(x, pool), pod_str(x, xs));
                }
        }
        post_event(r, "Normal", "MigrationStarted",
                   "infradhcpd detected that the node left %s (attachment check, RFC 4436): %s no longer valid",
                   pod_str(x, xs), ip_str(&t->old_address, a));
        post_event(r, "Normal", "MigrationSucceeded",
                   "Infra address moved %s -> %s, detected by infradhcpd before the controller; outside %s",
                   ip_str(&t->old_address, a), ip_str(&r->cur, b), pool_str(x, pool));
        set_phase(r, AGENT_PHASE_IDLE, "infradhcpd detected the move out of %s; waiting for the controller",
                  pool_str(x, pool));
        return true;
}

/* aci-pod is pod-Y. */
static void on_pod_set(Run *r) {
        const AgentPod *y = &r->facts->pod;
        AgentTimeline *m = &r->j->migration;
        char ys[AGENT_POD_STRING_MAX], pool[32], a[32];
        bool in_y = r->cur.set && agent_pod_contains(y, r->cur.address);
        AgentDecision prev_decision = r->j->decision;

        /* The none period (if any) is over: the next pod → none is a new transition. */
        if (r->j->decision != AGENT_DECISION_NONE) {
                r->j->decision = AGENT_DECISION_NONE;
                r->dirty = true;
        }
        if (m->kind == AGENT_MIGRATION_INTO && agent_pod_equal(&m->pool, y))
                return; /* driven below */
        if (m->kind == AGENT_MIGRATION_AWAY && !migration_satisfied(m, &r->cur)) {
                /* Still in (or without) the old pool and the controller names a pod: go
                 * into that pod instead; back in the old pod with its address means
                 * the node never left it. */
                migration_supersede(r, in_y ? "the node is back in its pod" : "the controller named the new pod");
        } else if (m->kind == AGENT_MIGRATION_INTO) {
                migration_supersede(r, "the controller named another pod");
        }
        if (m->kind != AGENT_MIGRATION_NONE)
                return; /* an AWAY migration that is satisfied: succeeds below */

        if (agent_pod_equal(&r->j->last_pod, y)) {
                if (on_detected(r, y))
                        return;
        } else
                detected_clear(r); /* the controller has moved on */

        if (in_y) {
                if (!agent_pod_equal(&r->j->last_pod, y)) {
                        r->j->last_pod = *y;
                        r->dirty = true;
                        log_action(r, LOG_INFO, "aci-pod %s: address %s is inside %s", pod_str(y, ys),
                                   ip_str(&r->cur, a), pool_str(y, pool));
                }
                r->rt->mismatch_since = 0;
                set_phase(r, AGENT_PHASE_IDLE, "address %s inside %s", ip_str(&r->cur, a), pool_str(y, pool));
                return;
        }
        if (!r->cur.set) {
                /* No address (or several): infradhcpd may be getting its first lease or
                 * cleaning up; give it a grace period before forcing one into Y. */
                if (r->rt->mismatch_since == 0)
                        r->rt->mismatch_since = r->facts->now_mono;
                if (r->facts->now_mono < r->rt->mismatch_since + AGENT_NO_ADDRESS_GRACE_USEC) {
                        AgentAction *s = push(r, AGENT_ACTION_SCHEDULE_RETRY);
                        if (s)
                                s->at = r->rt->mismatch_since + AGENT_NO_ADDRESS_GRACE_USEC;
                        set_phase(r, AGENT_PHASE_WAITING, "aci-pod %s: %zu IPv4 address(es) on the interface; waiting",
                                  pod_str(y, ys), r->facts->n_addresses);
                        return;
                }
        }
        r->rt->mismatch_since = 0;
        /* Coming from a none period: none -> pod-Y; else straight from the last pod. */
        migration_start(r, AGENT_MIGRATION_INTO, prev_decision != AGENT_DECISION_NONE ? &pod_none : &r->j->last_pod, y,
                        y);
}

/* aci-pod is none. */
static void on_pod_none(Run *r) {
        const AgentPod *x = &r->j->last_pod;
        AgentTimeline *m = &r->j->migration;
        char xs[AGENT_POD_STRING_MAX], pool[32], a[32];

        r->rt->mismatch_since = 0;
        detected_clear(r); /* the controller caught up: the rules below see the address outside */
        if (m->kind == AGENT_MIGRATION_INTO)
                migration_supersede(r, "aci-pod is none again");
        if (x->kind != AGENT_POD_SET) {
                if (m->kind == AGENT_MIGRATION_NONE)
                        set_phase(r, AGENT_PHASE_WAITING,
                                  "aci-pod is none and no previous pod is known; waiting for the controller");
                return;
        }
        switch (r->j->decision) {
        case AGENT_DECISION_NONE:
                if (r->cur.set && !agent_pod_contains(x, r->cur.address)) {
                        r->j->decision = AGENT_DECISION_DONE;
                        log_action(r, LOG_INFO, "aci-pod %s -> none: address %s is already outside %s; nothing to do",
                                   pod_str(x, xs), ip_str(&r->cur, a), pool_str(x, pool));
                } else if (r->facts->intra_pod == AGENT_INTRA_POD_YES) {
                        /* Decided once per transition: the event ages out after 120 s,
                         * and must not turn this into a migration later. */
                        r->j->decision = AGENT_DECISION_SKIPPED_INTRA_POD;
                        log_action(r, LOG_INFO,
                                   "aci-pod %s -> none: PlatformConfig was deleted recently, the move stayed "
                                   "inside the pod; keeping %s",
                                   pod_str(x, xs), ip_str(&r->cur, a));
                        post_event(r, "Normal", "MigrationSkipped",
                                   "aci-pod %s -> none within the pod (PlatformConfig event); address %s kept",
                                   pod_str(x, xs), ip_str(&r->cur, a));
                } else {
                        r->j->decision = AGENT_DECISION_MIGRATING;
                        migration_start(r, AGENT_MIGRATION_AWAY, x, &pod_none, x);
                }
                r->dirty = true;
                return;
        case AGENT_DECISION_MIGRATING:
                /* Migrating and no migration: it was superseded or lost (corrupt journal
                 * entry); the address decides whether there is still work. */
                if (m->kind == AGENT_MIGRATION_NONE) {
                        if (r->cur.set && !agent_pod_contains(x, r->cur.address))
                                r->j->decision = AGENT_DECISION_DONE;
                        else
                                migration_start(r, AGENT_MIGRATION_AWAY, x, &pod_none, x);
                        r->dirty = true;
                }
                return;
        case AGENT_DECISION_SKIPPED_INTRA_POD:
        case AGENT_DECISION_DONE:
        default:
                if (m->kind == AGENT_MIGRATION_NONE)
                        set_phase(r, AGENT_PHASE_IDLE, "aci-pod none (%s)", agent_decision_to_string(r->j->decision));
                return;
        }
}

/* ------------------------------------------------------------------------- */

static void reconnect(Run *r) {
        const AgentPod *np = &r->facts->node_pod;
        AgentAction *a;
        char s[AGENT_POD_STRING_MAX];

        if (r->config->reconnect && r->facts->starting && !r->rt->reset_conf_written) {
                a = push(r, AGENT_ACTION_WRITE_RESET_CONF);
                if (a)
                        snprintf(a->text, sizeof(a->text), "agent start");
                r->rt->reset_conf_written = true;
        }
        if (np->kind != AGENT_POD_SET && np->kind != AGENT_POD_NONE && np->kind != AGENT_POD_ABSENT)
                return; /* unknown or invalid: keep the last value */
        if (r->config->reconnect && np->kind == AGENT_POD_NONE && r->j->last_node_pod.kind == AGENT_POD_SET) {
                a = push(r, AGENT_ACTION_WRITE_RESET_CONF);
                if (a)
                        snprintf(a->text, sizeof(a->text), "node-aci-pod %s -> none",
                                 pod_str(&r->j->last_node_pod, s));
                log_action(r, LOG_INFO, "node-aci-pod %s -> none: telling opflex-agent to reconnect (reset.conf)",
                           pod_str(&r->j->last_node_pod, s));
        }
        if (!agent_pod_equal(&r->j->last_node_pod, np)) {
                r->j->last_node_pod = *np;
                r->dirty = true;
        }
}

void agent_reconcile(const AgentConfig *config, const AgentFacts *facts, AgentJournal *journal, AgentRuntime *rt,
                     AgentActions *ret) {
        Run r = { .config = config, .facts = facts, .j = journal, .rt = rt, .out = ret };
        AgentAction sorted[AGENT_ACTIONS_MAX];
        size_t n = 0;

        ret->n = 0;
        if (facts->n_addresses == 1)
                r.cur = facts->addresses[0];
        set_phase(&r, AGENT_PHASE_IDLE, "nothing to do");

        reconnect(&r);

        if (!config->multipod) {
                set_phase(&r, AGENT_PHASE_DISABLED, "aci-multipod is false");
                goto finish;
        }

        switch (facts->pod.kind) {
        case AGENT_POD_SET:
                on_pod_set(&r);
                break;
        case AGENT_POD_NONE:
                on_pod_none(&r);
                break;
        default:
                /* Unknown (API not read yet or unreachable), absent or invalid: nothing new
                 * is decided, but a migration already decided runs on: the API is only
                 * needed to learn the annotation. */
                rt->mismatch_since = 0;
                if (journal->migration.kind == AGENT_MIGRATION_NONE)
                        set_phase(&r, facts->pod.kind == AGENT_POD_UNKNOWN ? AGENT_PHASE_WAITING : AGENT_PHASE_IDLE,
                                  "aci-pod is %s", agent_pod_kind_to_string(facts->pod.kind));
                break;
        }
        if (journal->migration.kind != AGENT_MIGRATION_NONE)
                migration_drive(&r);

        /* The opflex files follow the address: right when it changes, and at start
         * (the files may have been edited or restored meanwhile; unchanged ones are not
         * rewritten). */
        if (r.cur.set && (facts->starting || !agent_address_equal(&journal->opflex, &r.cur)))
                rewrite_opflex(&r, &r.cur);
        if (r.cur.set && !facts->call_in_flight)
                push(&r, AGENT_ACTION_ENSURE_ROUTE);

finish:
        if (r.dirty)
                push(&r, AGENT_ACTION_SAVE_JOURNAL);
        /* Stable order by rank. */
        for (int rank = 0; rank <= 3; rank++)
                for (size_t i = 0; i < ret->n; i++)
                        if (action_rank[ret->actions[i].type] == rank)
                                sorted[n++] = ret->actions[i];
        memcpy(ret->actions, sorted, n * sizeof(sorted[0]));
        ret->n = n;
        ret->phase = r.phase;
        rt->phase = r.phase;
        snprintf(rt->reason, sizeof(rt->reason), "%s", r.reason);
}
