/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests for agent-journal: round trip of every field, and rejection of damaged files. */

#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agent-journal.h"

static AgentAddress addr(const char *s, uint8_t len) {
        AgentAddress a = { .set = true, .prefixlen = len };
        assert_int_equal(inet_pton(AF_INET, s, &a.address), 1);
        return a;
}

static void fill(AgentJournal *j) {
        agent_journal_init(j);
        assert_int_equal(agent_pod_parse("pod-2-10.1.0.0/16", &j->last_pod), 0);
        j->decision = AGENT_DECISION_MIGRATING;
        assert_int_equal(agent_node_pod_parse("pod-2", &j->last_node_pod), 0);
        j->opflex = addr("10.1.0.57", 16);
        j->migration = (AgentTimeline){
                .kind = AGENT_MIGRATION_AWAY,
                .from = j->last_pod,
                .to = { .kind = AGENT_POD_NONE },
                .pool = j->last_pod,
                .old_address = addr("10.1.0.57", 16),
                .started = UINT64_C(1757239430123000),
                .released = UINT64_C(1757239430125000),
                .calls = 2,
                .failures = 1,
                .result = AGENT_RESULT_RETRYING,
                .posted_started = true,
                .posted_failed = true,
        };
        snprintf(j->migration.error, sizeof(j->migration.error), "io.infradhcp.Client.RetriesExhausted \"x\"");
        j->last = (AgentTimeline){
                .kind = AGENT_MIGRATION_INTO,
                .from = { .kind = AGENT_POD_NONE },
                .to = j->last_pod,
                .pool = j->last_pod,
                .old_address = addr("10.0.0.5", 16),
                .new_address = addr("10.1.0.57", 16),
                .started = 1,
                .released = 2,
                .bound = 3,
                .files_written = 4,
                .finished = 5,
                .calls = 1,
                .result = AGENT_RESULT_SUCCEEDED,
                .posted_started = true,
                .posted_succeeded = true,
        };
}

static void test_round_trip(void **state) {
        AgentJournal j, k;
        char *text = NULL, *text2 = NULL, err[256] = "";

        fill(&j);
        assert_int_equal(agent_journal_format(&j, &text), 0);
        assert_int_equal(agent_journal_parse(text, strlen(text), &k, err, sizeof(err)), 0);
        assert_int_equal(agent_journal_format(&k, &text2), 0);
        assert_string_equal(text, text2);
        assert_true(agent_pod_equal(&j.last_pod, &k.last_pod));
        assert_true(agent_pod_equal(&j.last_node_pod, &k.last_node_pod));
        assert_int_equal(k.decision, AGENT_DECISION_MIGRATING);
        assert_true(agent_address_equal(&j.opflex, &k.opflex));
        assert_int_equal(k.migration.kind, AGENT_MIGRATION_AWAY);
        assert_int_equal(k.migration.calls, 2);
        assert_int_equal(k.migration.failures, 1);
        assert_int_equal(k.migration.started, j.migration.started);
        assert_int_equal(k.migration.released, j.migration.released);
        assert_true(k.migration.posted_started);
        assert_true(k.migration.posted_failed);
        assert_false(k.migration.posted_succeeded);
        assert_string_equal(k.migration.error, j.migration.error);
        assert_int_equal(k.last.result, AGENT_RESULT_SUCCEEDED);
        assert_int_equal(k.last.files_written, 4);
        assert_true(agent_address_equal(&k.last.new_address, &j.last.new_address));
        assert_non_null(strstr(text, "\"durationMs\": 0"));
        free(text);
        free(text2);

        /* An empty journal round-trips to unknown pods and no migration. */
        agent_journal_init(&j);
        assert_int_equal(agent_journal_format(&j, &text), 0);
        assert_int_equal(agent_journal_parse(text, strlen(text), &k, err, sizeof(err)), 0);
        assert_int_equal(k.last_pod.kind, AGENT_POD_UNKNOWN);
        assert_int_equal(k.last_node_pod.kind, AGENT_POD_UNKNOWN);
        assert_int_equal(k.migration.kind, AGENT_MIGRATION_NONE);
        assert_false(k.opflex.set);
        free(text);
}

static void expect_bad(const char *text, const char *needle) {
        AgentJournal k;
        char err[256] = "";

        agent_journal_init(&k);
        k.decision = AGENT_DECISION_DONE;
        assert_int_equal(agent_journal_parse(text, strlen(text), &k, err, sizeof(err)), -EBADMSG);
        assert_int_equal(k.decision, AGENT_DECISION_DONE); /* untouched */
        if (!strstr(err, needle)) {
                print_error("error '%s' does not contain '%s'\n", err, needle);
                fail();
        }
}

static void test_damaged(void **state) {
        AgentJournal j;
        char *text = NULL;

        fill(&j);
        assert_int_equal(agent_journal_format(&j, &text), 0);
        /* Every truncation is rejected (a crash mid-write cannot happen with the atomic
         * write, but a disk can lie). */
        for (size_t n = 0; n < strlen(text) - 2; n += 7) {
                AgentJournal k;
                char err[256];
                assert_int_equal(agent_journal_parse(text, n, &k, err, sizeof(err)), -EBADMSG);
        }
        free(text);
        expect_bad("[]", "object");
        expect_bad("{}", "version");
        expect_bad("{\"version\":2}", "version");
        expect_bad("{\"version\":1,\"lastPod\":\"pod-x\"}", "lastPod");
        expect_bad("{\"version\":1,\"lastPod\":5}", "lastPod");
        expect_bad("{\"version\":1,\"decision\":\"maybe\"}", "decision");
        expect_bad("{\"version\":1,\"opflexAddress\":\"10.0.0.1\"}", "opflexAddress");
        expect_bad("{\"version\":1,\"migration\":{\"kind\":\"sideways\"}}", "kind");
        expect_bad("{\"version\":1,\"migration\":{\"kind\":\"away\"}}", "poolPod");
        expect_bad("{\"version\":1,\"migration\":{\"kind\":\"away\",\"poolPod\":\"pod-1-10.0.0.0/16\",\"calls\":-1}}",
                   "calls");
        expect_bad("{\"version\":1,\"migration\":{\"kind\":\"away\",\"poolPod\":\"pod-1-10.0.0.0/16\",\"events\":[\"x\"]}}",
                   "events");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_damaged),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
