/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Tests for agent-reconcile, the pure step: each scenario of the multipod flow is a
 * sequence of facts (annotation, addresses, call outcome, fake clock) and the actions
 * expected back, including restarts (a fresh runtime with the saved journal) and
 * repeated events (the same facts twice must not act twice).
 */

#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <cmocka.h>

#include "agent-opflex.h"
#include "agent-reconcile.h"
#include "time-util.h"

#define T0 UINT64_C(1757239430000000) /* realtime */
#define M0 UINT64_C(1000000000)       /* boottime */

typedef struct World {
        AgentConfig config;
        AgentJournal journal;
        AgentRuntime rt;
        AgentFacts f;
        AgentActions out;
} World;

static AgentAddress addr(const char *s, uint8_t len) {
        AgentAddress a = { .set = true, .prefixlen = len };
        assert_int_equal(inet_pton(AF_INET, s, &a.address), 1);
        return a;
}

static void set_pod(World *w, const char *v) {
        (void)agent_pod_parse(v, &w->f.pod);
}

static void set_addrs(World *w, const char *a1, const char *a2) {
        w->f.n_addresses = 0;
        if (a1)
                w->f.addresses[w->f.n_addresses++] = addr(a1, 16);
        if (a2)
                w->f.addresses[w->f.n_addresses++] = addr(a2, 16);
}

static void advance(World *w, uint64_t usec) {
        w->f.now += usec;
        w->f.now_mono += usec;
}

/* The world of the running test, released by world_teardown() even when the test
 * fails half-way. */
static World *current_world;

static int world_teardown(void **state) {
        if (current_world)
                agent_config_done(&current_world->config);
        current_world = NULL;
        return 0;
}

static void world_init(World *w, bool multipod) {
        (void)world_teardown(NULL); /* a test may start a second world */
        memset(w, 0, sizeof(*w));
        current_world = w;
        assert_int_equal(agent_config_init(&w->config, "/s", "/r"), 0);
        w->config.multipod = multipod;
        agent_journal_init(&w->journal);
        w->f.pod.kind = AGENT_POD_UNKNOWN;
        w->f.node_pod.kind = AGENT_POD_UNKNOWN;
        w->f.now = T0;
        w->f.now_mono = M0;
        w->f.starting = true;
}

static void run(World *w) {
        agent_reconcile(&w->config, &w->f, &w->journal, &w->rt, &w->out);
        w->f.starting = false;
        w->f.outcome = (AgentCallOutcome){};
}

/* Simulates a restart: what survives is the journal, as saved and parsed back. */
static void restart(World *w) {
        char *text = NULL, err[256];

        assert_int_equal(agent_journal_format(&w->journal, &text), 0);
        agent_journal_init(&w->journal);
        assert_int_equal(agent_journal_parse(text, strlen(text), &w->journal, err, sizeof(err)), 0);
        free(text);
        memset(&w->rt, 0, sizeof(w->rt));
        w->f.starting = true;
        w->f.call_in_flight = false;
        w->f.pod.kind = AGENT_POD_UNKNOWN;
        w->f.node_pod.kind = AGENT_POD_UNKNOWN;
}

static size_t count(const World *w, AgentActionType t) {
        size_t n = 0;
        for (size_t i = 0; i < w->out.n; i++)
                n += w->out.actions[i].type == t;
        return n;
}

static const AgentAction *find(const World *w, AgentActionType t) {
        for (size_t i = 0; i < w->out.n; i++)
                if (w->out.actions[i].type == t)
                        return &w->out.actions[i];
        return NULL;
}

static ssize_t index_of(const World *w, AgentActionType t) {
        for (size_t i = 0; i < w->out.n; i++)
                if (w->out.actions[i].type == t)
                        return (ssize_t)i;
        return -1;
}

static const AgentAction *find_event(const World *w, const char *reason) {
        for (size_t i = 0; i < w->out.n; i++)
                if (w->out.actions[i].type == AGENT_ACTION_POST_EVENT && strcmp(w->out.actions[i].reason, reason) == 0)
                        return &w->out.actions[i];
        return NULL;
}

static bool logged(const World *w, const char *needle) {
        for (size_t i = 0; i < w->out.n; i++)
                if (w->out.actions[i].type == AGENT_ACTION_LOG && strstr(w->out.actions[i].text, needle))
                        return true;
        return false;
}

static void assert_pool(const AgentPod *p, const char *pool) {
        char buf[32];
        assert_string_equal(agent_pod_format_pool(p, buf, sizeof(buf)), pool);
}

/* Node in pod-2 with 10.1.0.57, then steady. */
static void start_in_pod2(World *w) {
        world_init(w, true);
        set_addrs(w, "10.1.0.57", NULL);
        run(w); /* API not read yet */
        assert_int_equal(w->out.phase, AGENT_PHASE_WAITING);
        /* The files follow the address even before the Node is known. */
        assert_int_equal(count(w, AGENT_ACTION_REWRITE_OPFLEX), 1);
        agent_journal_note_opflex(&w->journal, &find(w, AGENT_ACTION_REWRITE_OPFLEX)->address, w->f.now);
        set_pod(w, "pod-2-10.1.0.0/16");
        run(w);
        assert_int_equal(w->out.phase, AGENT_PHASE_IDLE);
        assert_int_equal(count(w, AGENT_ACTION_CALL_RELEASE_AND_RENEW), 0);
        assert_int_equal(count(w, AGENT_ACTION_SAVE_JOURNAL), 1);
        assert_int_equal(count(w, AGENT_ACTION_REWRITE_OPFLEX), 0);
        assert_int_equal(w->journal.last_pod.kind, AGENT_POD_SET);
        assert_int_equal(w->journal.last_pod.id, 2);
        run(w); /* repeated: nothing */
        assert_int_equal(count(w, AGENT_ACTION_SAVE_JOURNAL), 0);
        assert_int_equal(count(w, AGENT_ACTION_LOG), 0);
}

static void test_disabled(void **state) {
        World w;

        world_init(&w, false);
        w.config.reconnect = true;
        set_addrs(&w, "10.1.0.57", NULL);
        set_pod(&w, "pod-2-10.1.0.0/16");
        run(&w);
        assert_int_equal(w.out.phase, AGENT_PHASE_DISABLED);
        assert_int_equal(count(&w, AGENT_ACTION_WRITE_RESET_CONF), 1);
        set_pod(&w, "none");
        run(&w);
        assert_int_equal(count(&w, AGENT_ACTION_CALL_RELEASE_AND_RENEW), 0);
        assert_int_equal(count(&w, AGENT_ACTION_REWRITE_OPFLEX), 0);
        assert_int_equal(count(&w, AGENT_ACTION_WRITE_RESET_CONF), 0);
}

static void test_happy_path(void **state) {
        World w;
        const AgentAction *a;

        start_in_pod2(&w);
        set_pod(&w, "none");
        run(&w);
        a = find(&w, AGENT_ACTION_CALL_RELEASE_AND_RENEW);
        assert_non_null(a);
        assert_int_equal(a->kind, AGENT_MIGRATION_AWAY);
        assert_pool(&a->pool, "10.1.0.0/16");
        assert_int_equal(a->delay_ms, 5000);
        assert_int_equal(a->max_retries, 5);
        assert_true(logged(&w, "Migration started: aci-pod pod-2-10.1.0.0/16 -> none, releasing 10.1.0.57"));
        assert_non_null(find_event(&w, "MigrationStarted"));
        assert_string_equal(find_event(&w, "MigrationStarted")->event_type, "Normal");
        /* Journal saved before the Event and the call. */
        assert_true(index_of(&w, AGENT_ACTION_SAVE_JOURNAL) < index_of(&w, AGENT_ACTION_POST_EVENT));
        assert_true(index_of(&w, AGENT_ACTION_SAVE_JOURNAL) < index_of(&w, AGENT_ACTION_CALL_RELEASE_AND_RENEW));
        assert_int_equal(w.out.phase, AGENT_PHASE_MIGRATING);
        assert_int_equal(w.journal.decision, AGENT_DECISION_MIGRATING);
        w.f.call_in_flight = true;

        /* Repeated events while the call runs: nothing new. */
        run(&w);
        assert_int_equal(count(&w, AGENT_ACTION_CALL_RELEASE_AND_RENEW), 0);
        assert_int_equal(count(&w, AGENT_ACTION_POST_EVENT), 0);
        assert_int_equal(w.out.phase, AGENT_PHASE_MIGRATING);

        /* Released: no address (netlink). */
        advance(&w, 10000);
        set_addrs(&w, NULL, NULL);
        run(&w);
        assert_int_equal(w.journal.migration.released, T0 + 10000);
        assert_int_equal(count(&w, AGENT_ACTION_REWRITE_OPFLEX), 0);
        assert_int_equal(count(&w, AGENT_ACTION_ENSURE_ROUTE), 0);

        /* Bound in pod-1: the netlink event comes before the reply. */
        advance(&w, 502000);
        set_addrs(&w, "10.0.0.112", NULL);
        run(&w);
        a = find(&w, AGENT_ACTION_REWRITE_OPFLEX);
        assert_non_null(a);
        assert_true(agent_address_equal(&a->address, &(AgentAddress){ .set = true, .address = addr("10.0.0.112", 16).address, .prefixlen = 16 }));
        assert_int_equal(index_of(&w, AGENT_ACTION_REWRITE_OPFLEX), 0); /* files first */
        assert_true(logged(&w, "Migration succeeded: 10.1.0.57 -> 10.0.0.112 in 512 ms"));
        for (size_t i = 0; i < w.out.n; i++)
                if (w.out.actions[i].type == AGENT_ACTION_LOG && strstr(w.out.actions[i].text, "succeeded"))
                        assert_true(w.out.actions[i].note_opflex);
        assert_non_null(find_event(&w, "MigrationSucceeded"));
        assert_non_null(strstr(find_event(&w, "MigrationSucceeded")->text, "10.1.0.57 -> 10.0.0.112 in 512 ms"));
        assert_null(find_event(&w, "MigrationFailed"));
        assert_int_equal(w.out.phase, AGENT_PHASE_IDLE);
        assert_int_equal(w.journal.decision, AGENT_DECISION_DONE);
        assert_int_equal(w.journal.migration.kind, AGENT_MIGRATION_NONE);
        assert_int_equal(w.journal.last.result, AGENT_RESULT_SUCCEEDED);
        assert_int_equal(w.journal.last.bound, T0 + 512000);
        agent_journal_note_opflex(&w.journal, &a->address, w.f.now + 1000);
        assert_int_equal(w.journal.last.files_written, T0 + 513000);

        /* The reply arrives afterwards: ignored (no migration), nothing posted again. */
        w.f.call_in_flight = false;
        w.f.outcome = (AgentCallOutcome){ .result = AGENT_CALL_SUCCEEDED, .address = addr("10.0.0.112", 16), .attempts = 1 };
        run(&w);
        assert_int_equal(count(&w, AGENT_ACTION_POST_EVENT), 0);
        assert_int_equal(count(&w, AGENT_ACTION_CALL_RELEASE_AND_RENEW), 0);
        assert_int_equal(count(&w, AGENT_ACTION_REWRITE_OPFLEX), 0);

        /* The controller names pod-1: idle in pod-1, decision reset. */
        set_pod(&w, "pod-1-10.0.0.0/16");
        run(&w);
        assert_int_equal(count(&w, AGENT_ACTION_CALL_RELEASE_AND_RENEW), 0);
        assert_int_equal(w.journal.last_pod.id, 1);
        assert_int_equal(w.journal.decision, AGENT_DECISION_NONE);
        assert_int_equal(w.out.phase, AGENT_PHASE_IDLE);
}

static void test_kill_after_release(void **state) {
        World w;
        const AgentAction *a;

        start_in_pod2(&w);
        set_pod(&w, "none");
        run(&w);
        assert_non_null(find(&w, AGENT_ACTION_CALL_RELEASE_AND_RENEW));
        set_addrs(&w, NULL, NULL); /* released, then SIGKILL */
        advance(&w, 2 * USEC_PER_SEC);

        restart(&w);
        run(&w); /* the API is not read yet: the journal alone drives the call */
        a = find(&w, AGENT_ACTION_CALL_RELEASE_AND_RENEW);
        assert_non_null(a);
        assert_int_equal(a->kind, AGENT_MIGRATION_AWAY);
        assert_pool(&a->pool, "10.1.0.0/16");
        assert_null(find_event(&w, "MigrationStarted")); /* posted before the kill */
        assert_int_equal(w.journal.migration.calls, 2);
        w.f.call_in_flight = true;

        /* infradhcpd still ran the first sequence: Busy, asked again in 1 s. */
        w.f.call_in_flight = false;
        w.f.outcome = (AgentCallOutcome){ .result = AGENT_CALL_BUSY };
        snprintf(w.f.outcome.error, sizeof(w.f.outcome.error), "io.infradhcp.Client.Busy");
        set_pod(&w, "none");
        run(&w);
        assert_int_equal(count(&w, AGENT_ACTION_CALL_RELEASE_AND_RENEW), 0);
        a = find(&w, AGENT_ACTION_SCHEDULE_RETRY);
        assert_non_null(a);
        assert_int_equal(a->at, w.f.now_mono + USEC_PER_SEC);
        assert_int_equal(w.out.phase, AGENT_PHASE_MIGRATING);

        /* Its address arrives: success, one Event. */
        advance(&w, 300000);
        set_addrs(&w, "10.0.0.112", NULL);
        run(&w);
        assert_non_null(find_event(&w, "MigrationSucceeded"));
        assert_int_equal(w.journal.decision, AGENT_DECISION_DONE);

        /* Killed again right after: nothing is redone. */
        restart(&w);
        set_pod(&w, "none");
        run(&w);
        assert_int_equal(count(&w, AGENT_ACTION_CALL_RELEASE_AND_RENEW), 0);
        assert_int_equal(count(&w, AGENT_ACTION_POST_EVENT), 0);
        assert_int_equal(count(&w, AGENT_ACTION_REWRITE_OPFLEX), 1); /* at start, skipped on disk if unchanged */
}

static void test_kill_before_decision_saved_address_moved(void **state) {
        World w;

        /* Restart finds the address already outside the old pool: done, no DHCP. */
        start_in_pod2(&w);
        restart(&w);
        set_pod(&w, "none");
        set_addrs(&w, "10.0.0.9", NULL);
        run(&w);
        assert_int_equal(count(&w, AGENT_ACTION_CALL_RELEASE_AND_RENEW), 0);
        assert_int_equal(w.journal.decision, AGENT_DECISION_DONE);
        assert_int_equal(count(&w, AGENT_ACTION_REWRITE_OPFLEX), 1);
}

static void test_intra_pod(void **state) {
        World w;

        start_in_pod2(&w);
        set_pod(&w, "none");
        w.f.intra_pod = AGENT_INTRA_POD_YES;
        run(&w);
        assert_int_equal(count(&w, AGENT_ACTION_CALL_RELEASE_AND_RENEW), 0);
        assert_int_equal(w.journal.decision, AGENT_DECISION_SKIPPED_INTRA_POD);
        assert_non_null(find_event(&w, "MigrationSkipped"));
        assert_int_equal(w.out.phase, AGENT_PHASE_IDLE);

        /* The event ages out: the decision stands, also across a restart. */
        w.f.intra_pod = AGENT_INTRA_POD_NO;
        advance(&w, 200 * USEC_PER_SEC);
        run(&w);
        assert_int_equal(count(&w, AGENT_ACTION_CALL_RELEASE_AND_RENEW), 0);
        assert_int_equal(count(&w, AGENT_ACTION_POST_EVENT), 0);
        restart(&w);
        set_pod(&w, "none");
        run(&w);
        assert_int_equal(count(&w, AGENT_ACTION_CALL_RELEASE_AND_RENEW), 0);

        /* Back to pod-2 and to none again: a new transition, decided again. */
        set_pod(&w, "pod-2-10.1.0.0/16");
        run(&w);
        assert_int_equal(w.journal.decision, AGENT_DECISION_NONE);
        set_pod(&w, "none");
        run(&w);
        assert_non_null(find(&w, AGENT_ACTION_CALL_RELEASE_AND_RENEW));
}

static void test_into_pod(void **state) {
        World w;
        const AgentAction *a;

        start_in_pod2(&w);
        /* Straight to pod-1 while the address is in pod-2's pool: migrate into pod-1. */
        set_pod(&w, "pod-1-10.0.0.0/16");
        run(&w);
        a = find(&w, AGENT_ACTION_CALL_RELEASE_AND_RENEW);
        assert_non_null(a);
        assert_int_equal(a->kind, AGENT_MIGRATION_INTO);
        assert_pool(&a->pool, "10.0.0.0/16");
        assert_true(logged(&w, "Migration started: aci-pod pod-2-10.1.0.0/16 -> pod-1-10.0.0.0/16, releasing 10.1.0.57"));
        w.f.call_in_flight = true;
        set_addrs(&w, NULL, NULL);
        run(&w);
        w.f.call_in_flight = false;
        set_addrs(&w, "10.0.3.3", NULL);
        w.f.outcome = (AgentCallOutcome){ .result = AGENT_CALL_SUCCEEDED, .address = addr("10.0.3.3", 16), .attempts = 1 };
        run(&w);
        assert_non_null(find_event(&w, "MigrationSucceeded"));
        assert_int_equal(w.journal.last_pod.id, 1);
        assert_int_equal(w.journal.last.kind, AGENT_MIGRATION_INTO);
}

static void test_none_then_pod_without_migration(void **state) {
        World w;

        /* pod-2 -> none -> pod-1 where the address was already moved: no INTO call. */
        start_in_pod2(&w);
        set_pod(&w, "none");
        run(&w);
        w.f.call_in_flight = true;
        set_addrs(&w, "10.0.0.50", NULL);
        set_pod(&w, "pod-1-10.0.0.0/16");
        run(&w);
        assert_non_null(find_event(&w, "MigrationSucceeded"));
        assert_int_equal(count(&w, AGENT_ACTION_CALL_RELEASE_AND_RENEW), 0);
        assert_int_equal(w.journal.last_pod.id, 1);
        assert_int_equal(w.journal.decision, AGENT_DECISION_NONE);
}

static void test_failure_retries_forever(void **state) {
        World w;
        const AgentAction *a;

        start_in_pod2(&w);
        set_pod(&w, "none");
        run(&w);
        set_addrs(&w, NULL, NULL);
        for (unsigned i = 1; i <= 6; i++) {
                uint64_t expect = MIN(5 * USEC_PER_SEC << (i - 1), 60 * USEC_PER_SEC);

                w.f.outcome = (AgentCallOutcome){ .result = AGENT_CALL_RETRIES_EXHAUSTED, .attempts = 6 };
                snprintf(w.f.outcome.error, sizeof(w.f.outcome.error), "io.infradhcp.Client.RetriesExhausted");
                run(&w);
                assert_int_equal(w.out.phase, AGENT_PHASE_DEGRADED);
                a = find(&w, AGENT_ACTION_SCHEDULE_RETRY);
                assert_non_null(a);
                assert_int_equal(a->at, w.f.now_mono + expect);
                assert_int_equal(count(&w, AGENT_ACTION_CALL_RELEASE_AND_RENEW), 0);
                if (i == 1) {
                        assert_non_null(find_event(&w, "MigrationFailed"));
                        assert_string_equal(find_event(&w, "MigrationFailed")->event_type, "Warning");
                } else
                        assert_null(find_event(&w, "MigrationFailed"));
                /* A wake-up before the time: still waiting. */
                advance(&w, expect / 2);
                run(&w);
                assert_int_equal(count(&w, AGENT_ACTION_CALL_RELEASE_AND_RENEW), 0);
                advance(&w, expect - expect / 2);
                run(&w);
                assert_non_null(find(&w, AGENT_ACTION_CALL_RELEASE_AND_RENEW));
                assert_int_equal(w.out.phase, AGENT_PHASE_DEGRADED);
        }
        assert_int_equal(w.journal.migration.failures, 6);
        assert_int_equal(w.journal.migration.calls, 7);
        /* Finally succeeds. */
        set_addrs(&w, "10.0.0.7", NULL);
        run(&w);
        assert_non_null(find_event(&w, "MigrationSucceeded"));
        assert_int_equal(w.out.phase, AGENT_PHASE_IDLE);
}

static void test_unreachable(void **state) {
        World w;

        start_in_pod2(&w);
        set_pod(&w, "none");
        run(&w);
        for (unsigned i = 1; i <= AGENT_UNREACHABLE_DEGRADED; i++) {
                w.f.outcome = (AgentCallOutcome){ .result = AGENT_CALL_UNREACHABLE };
                snprintf(w.f.outcome.error, sizeof(w.f.outcome.error), "connection refused");
                run(&w);
                assert_int_equal(count(&w, AGENT_ACTION_CALL_RELEASE_AND_RENEW), 0);
                assert_int_equal(count(&w, AGENT_ACTION_LOG), i == 1); /* logged once */
                assert_int_equal(w.out.phase, i < AGENT_UNREACHABLE_DEGRADED ? AGENT_PHASE_MIGRATING : AGENT_PHASE_DEGRADED);
                advance(&w, USEC_PER_SEC);
                run(&w);
                assert_non_null(find(&w, AGENT_ACTION_CALL_RELEASE_AND_RENEW));
        }
        assert_null(find_event(&w, "MigrationFailed"));
}

static void test_bad_success_reply(void **state) {
        World w;

        /* infradhcpd says bound but the interface has nothing: a failure, retried. */
        start_in_pod2(&w);
        set_pod(&w, "none");
        run(&w);
        set_addrs(&w, NULL, NULL);
        w.f.outcome = (AgentCallOutcome){ .result = AGENT_CALL_SUCCEEDED, .address = addr("10.0.0.5", 16) };
        run(&w);
        assert_non_null(find(&w, AGENT_ACTION_SCHEDULE_RETRY));
        assert_int_equal(w.journal.migration.failures, 1);
        assert_non_null(strstr(w.journal.migration.error, "10.0.0.5"));
}

static void test_two_addresses_not_verified(void **state) {
        World w;

        /* Two IPv4 on the interface: "exactly one" does not hold, no success yet. */
        start_in_pod2(&w);
        set_pod(&w, "none");
        run(&w);
        w.f.call_in_flight = true;
        set_addrs(&w, "10.1.0.57", "10.0.0.8");
        run(&w);
        assert_null(find_event(&w, "MigrationSucceeded"));
        assert_int_equal(count(&w, AGENT_ACTION_REWRITE_OPFLEX), 0);
        set_addrs(&w, "10.0.0.8", NULL);
        run(&w);
        assert_non_null(find_event(&w, "MigrationSucceeded"));
}

static void test_pod_without_address_grace(void **state) {
        World w;
        const AgentAction *a;

        world_init(&w, true);
        set_pod(&w, "pod-1-10.0.0.0/16");
        run(&w);
        assert_int_equal(w.out.phase, AGENT_PHASE_WAITING);
        a = find(&w, AGENT_ACTION_SCHEDULE_RETRY);
        assert_non_null(a);
        assert_int_equal(a->at, M0 + AGENT_NO_ADDRESS_GRACE_USEC);
        advance(&w, AGENT_NO_ADDRESS_GRACE_USEC / 2);
        set_addrs(&w, "10.0.0.3", NULL); /* first lease arrives in time */
        run(&w);
        assert_int_equal(w.out.phase, AGENT_PHASE_IDLE);
        assert_int_equal(count(&w, AGENT_ACTION_REWRITE_OPFLEX), 1);
        assert_int_equal(count(&w, AGENT_ACTION_CALL_RELEASE_AND_RENEW), 0);

        world_init(&w, true);
        set_pod(&w, "pod-1-10.0.0.0/16");
        run(&w);
        advance(&w, AGENT_NO_ADDRESS_GRACE_USEC);
        run(&w);
        a = find(&w, AGENT_ACTION_CALL_RELEASE_AND_RENEW);
        assert_non_null(a);
        assert_int_equal(a->kind, AGENT_MIGRATION_INTO);
}

static void test_none_without_history(void **state) {
        World w;

        world_init(&w, true);
        set_addrs(&w, "10.1.0.57", NULL);
        set_pod(&w, "none");
        run(&w);
        assert_int_equal(w.out.phase, AGENT_PHASE_WAITING);
        assert_int_equal(count(&w, AGENT_ACTION_CALL_RELEASE_AND_RENEW), 0);
}

static void test_invalid_annotation_ignored(void **state) {
        World w;

        start_in_pod2(&w);
        set_pod(&w, "pod-1");  /* invalid */
        assert_int_equal(w.f.pod.kind, AGENT_POD_INVALID);
        run(&w);
        assert_int_equal(count(&w, AGENT_ACTION_CALL_RELEASE_AND_RENEW), 0);
        assert_int_equal(w.journal.last_pod.id, 2);
}

static void test_reconnect(void **state) {
        World w;

        start_in_pod2(&w);
        w.config.reconnect = true;
        restart(&w);
        run(&w);
        assert_int_equal(count(&w, AGENT_ACTION_WRITE_RESET_CONF), 1); /* once at start */
        run(&w);
        assert_int_equal(count(&w, AGENT_ACTION_WRITE_RESET_CONF), 0);
        (void)agent_node_pod_parse("pod-2", &w.f.node_pod);
        run(&w);
        assert_int_equal(count(&w, AGENT_ACTION_WRITE_RESET_CONF), 0);
        assert_int_equal(count(&w, AGENT_ACTION_SAVE_JOURNAL), 1);
        (void)agent_node_pod_parse("none", &w.f.node_pod);
        run(&w);
        assert_int_equal(count(&w, AGENT_ACTION_WRITE_RESET_CONF), 1);
        run(&w);
        assert_int_equal(count(&w, AGENT_ACTION_WRITE_RESET_CONF), 0);
        /* Restart while none: only the at-start write. */
        restart(&w);
        (void)agent_node_pod_parse("none", &w.f.node_pod);
        run(&w);
        assert_int_equal(count(&w, AGENT_ACTION_WRITE_RESET_CONF), 1);
        /* Invalid values do not count as a change. */
        (void)agent_node_pod_parse("pod-2", &w.f.node_pod);
        run(&w);
        (void)agent_node_pod_parse("bogus", &w.f.node_pod);
        run(&w);
        (void)agent_node_pod_parse("none", &w.f.node_pod);
        run(&w);
        assert_int_equal(count(&w, AGENT_ACTION_WRITE_RESET_CONF), 1);
}

static void test_opflex_follows_address(void **state) {
        World w;

        start_in_pod2(&w);
        /* A renewal into another address of the same pod, outside any migration. */
        set_addrs(&w, "10.1.0.99", NULL);
        run(&w);
        assert_int_equal(count(&w, AGENT_ACTION_REWRITE_OPFLEX), 1);
        assert_int_equal(count(&w, AGENT_ACTION_CALL_RELEASE_AND_RENEW), 0);
        /* Not recorded (the write failed): asked again on the next run. */
        run(&w);
        assert_int_equal(count(&w, AGENT_ACTION_REWRITE_OPFLEX), 1);
        agent_journal_note_opflex(&w.journal, &find(&w, AGENT_ACTION_REWRITE_OPFLEX)->address, w.f.now);
        run(&w);
        assert_int_equal(count(&w, AGENT_ACTION_REWRITE_OPFLEX), 0);
        assert_int_equal(count(&w, AGENT_ACTION_ENSURE_ROUTE), 1);
}

static void test_back_to_old_pod_supersedes(void **state) {
        World w;

        start_in_pod2(&w);
        set_pod(&w, "none");
        run(&w);
        w.f.call_in_flight = true;
        set_pod(&w, "pod-2-10.1.0.0/16"); /* the controller changes its mind before release */
        run(&w);
        assert_true(logged(&w, "superseded"));
        assert_int_equal(w.journal.migration.kind, AGENT_MIGRATION_NONE);
        assert_int_equal(w.journal.last.result, AGENT_RESULT_SUPERSEDED);
        assert_int_equal(count(&w, AGENT_ACTION_CALL_RELEASE_AND_RENEW), 0);
        assert_int_equal(w.out.phase, AGENT_PHASE_IDLE);
}


/* infradhcpd moves the node by itself (attachment detection) while aci-pod still names
 * pod-2: verified outside pod-2's pool, files at once, Events, no ReleaseAndRenew; the
 * controller's late annotation (none, then pod-1) finds the address right. */
static void test_detected_migration(void **state) {
        World w;
        const AgentAction *a;

        start_in_pod2(&w);
        /* Make before break: two addresses for a moment, nothing decided. */
        advance(&w, 1000000);
        set_addrs(&w, "10.1.0.57", "10.0.0.112");
        run(&w);
        assert_int_equal(count(&w, AGENT_ACTION_CALL_RELEASE_AND_RENEW), 0);
        assert_int_equal(count(&w, AGENT_ACTION_POST_EVENT), 0);
        advance(&w, 3000);
        set_addrs(&w, "10.0.0.112", NULL);
        run(&w);
        assert_int_equal(count(&w, AGENT_ACTION_CALL_RELEASE_AND_RENEW), 0);
        a = find(&w, AGENT_ACTION_REWRITE_OPFLEX);
        assert_non_null(a);
        assert_int_equal(index_of(&w, AGENT_ACTION_REWRITE_OPFLEX), 0);
        assert_true(logged(&w, "Migration detected by infradhcpd: 10.1.0.57 -> 10.0.0.112, outside 10.1.0.0/16"));
        assert_non_null(find_event(&w, "MigrationStarted"));
        assert_non_null(strstr(find_event(&w, "MigrationStarted")->text, "detected"));
        assert_non_null(strstr(find_event(&w, "MigrationSucceeded")->text, "10.1.0.57 -> 10.0.0.112"));
        assert_true(index_of(&w, AGENT_ACTION_SAVE_JOURNAL) < index_of(&w, AGENT_ACTION_POST_EVENT));
        assert_int_equal(w.out.phase, AGENT_PHASE_IDLE);
        assert_int_equal(w.journal.last.kind, AGENT_MIGRATION_DETECTED);
        assert_int_equal(w.journal.last.result, AGENT_RESULT_SUCCEEDED);
        assert_int_equal(w.journal.detected_from.kind, AGENT_POD_SET);
        agent_journal_note_opflex(&w.journal, &a->address, w.f.now);
        assert_int_equal(w.journal.last.files_written, w.f.now);

        /* Repeated, and across a restart (aci-pod still pod-2): nothing more. */
        run(&w);
        assert_int_equal(count(&w, AGENT_ACTION_POST_EVENT) + count(&w, AGENT_ACTION_LOG) +
                                 count(&w, AGENT_ACTION_CALL_RELEASE_AND_RENEW) + count(&w, AGENT_ACTION_REWRITE_OPFLEX),
                         0);
        restart(&w);
        set_pod(&w, "pod-2-10.1.0.0/16");
        run(&w);
        assert_int_equal(count(&w, AGENT_ACTION_CALL_RELEASE_AND_RENEW), 0);
        assert_int_equal(count(&w, AGENT_ACTION_POST_EVENT), 0);
        assert_int_equal(w.journal.detected_from.kind, AGENT_POD_SET);

        /* 25 s later the controller: none, then the new pod. Nothing to do. */
        advance(&w, 25000000);
        set_pod(&w, "none");
        run(&w);
        assert_int_equal(count(&w, AGENT_ACTION_CALL_RELEASE_AND_RENEW), 0);
        assert_int_equal(count(&w, AGENT_ACTION_POST_EVENT), 0);
        assert_true(logged(&w, "already outside 10.1.0.0/16; nothing to do"));
        assert_int_equal(w.journal.decision, AGENT_DECISION_DONE);
        assert_int_equal(w.journal.detected_from.kind, AGENT_POD_UNKNOWN);
        set_pod(&w, "pod-1-10.0.0.0/16");
        run(&w);
        assert_int_equal(count(&w, AGENT_ACTION_CALL_RELEASE_AND_RENEW), 0);
        assert_int_equal(count(&w, AGENT_ACTION_POST_EVENT), 0);
        assert_int_equal(w.out.phase, AGENT_PHASE_IDLE);
        assert_int_equal(w.journal.last_pod.id, 1);
}

/* A new address inside the same pool (the server handed out another one) is no
 * migration: the files follow, nothing else. */
static void test_detected_same_pool(void **state) {
        World w;

        start_in_pod2(&w);
        set_addrs(&w, "10.1.0.99", NULL);
        run(&w);
        assert_int_equal(count(&w, AGENT_ACTION_REWRITE_OPFLEX), 1);
        assert_int_equal(count(&w, AGENT_ACTION_POST_EVENT), 0);
        assert_int_equal(count(&w, AGENT_ACTION_CALL_RELEASE_AND_RENEW), 0);
        assert_int_equal(w.journal.detected_from.kind, AGENT_POD_UNKNOWN);
}

/* The controller keeps naming pod-2 long after: the annotation rules take over again
 * (a migration into pod-2), as without detection. Back in pod-2 earlier: cleared. */
static void test_detected_grace(void **state) {
        World w;
        const AgentAction *a;

        start_in_pod2(&w);
        set_addrs(&w, "10.0.0.112", NULL);
        run(&w);
        agent_journal_note_opflex(&w.journal, &find(&w, AGENT_ACTION_REWRITE_OPFLEX)->address, w.f.now);
        advance(&w, AGENT_DETECTED_GRACE_USEC - 1);
        run(&w);
        assert_int_equal(count(&w, AGENT_ACTION_CALL_RELEASE_AND_RENEW), 0);
        advance(&w, 1);
        run(&w);
        assert_true(logged(&w, "following the controller"));
        a = find(&w, AGENT_ACTION_CALL_RELEASE_AND_RENEW);
        assert_non_null(a);
        assert_int_equal(a->kind, AGENT_MIGRATION_INTO);
        assert_pool(&a->pool, "10.1.0.0/16");

        start_in_pod2(&w);
        set_addrs(&w, "10.0.0.112", NULL);
        run(&w);
        agent_journal_note_opflex(&w.journal, &find(&w, AGENT_ACTION_REWRITE_OPFLEX)->address, w.f.now);
        advance(&w, 5000000);
        set_addrs(&w, "10.1.0.57", NULL); /* moved back */
        run(&w);
        assert_int_equal(w.journal.detected_from.kind, AGENT_POD_UNKNOWN);
        assert_int_equal(count(&w, AGENT_ACTION_CALL_RELEASE_AND_RENEW), 0);
        assert_int_equal(w.out.phase, AGENT_PHASE_IDLE);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_teardown(test_disabled, world_teardown),
                cmocka_unit_test_teardown(test_happy_path, world_teardown),
                cmocka_unit_test_teardown(test_detected_migration, world_teardown),
                cmocka_unit_test_teardown(test_detected_same_pool, world_teardown),
                cmocka_unit_test_teardown(test_detected_grace, world_teardown),
                cmocka_unit_test_teardown(test_kill_after_release, world_teardown),
                cmocka_unit_test_teardown(test_kill_before_decision_saved_address_moved, world_teardown),
                cmocka_unit_test_teardown(test_intra_pod, world_teardown),
                cmocka_unit_test_teardown(test_into_pod, world_teardown),
                cmocka_unit_test_teardown(test_none_then_pod_without_migration, world_teardown),
                cmocka_unit_test_teardown(test_failure_retries_forever, world_teardown),
                cmocka_unit_test_teardown(test_unreachable, world_teardown),
                cmocka_unit_test_teardown(test_bad_success_reply, world_teardown),
                cmocka_unit_test_teardown(test_two_addresses_not_verified, world_teardown),
                cmocka_unit_test_teardown(test_pod_without_address_grace, world_teardown),
                cmocka_unit_test_teardown(test_none_without_history, world_teardown),
                cmocka_unit_test_teardown(test_invalid_annotation_ignored, world_teardown),
                cmocka_unit_test_teardown(test_reconnect, world_teardown),
                cmocka_unit_test_teardown(test_opflex_follows_address, world_teardown),
                cmocka_unit_test_teardown(test_back_to_old_pod_supersedes, world_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
