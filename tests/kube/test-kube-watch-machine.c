/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The Node watch machine (kube-watch-machine.c) with a fake clock: LIST then WATCH
 * from the list's resourceVersion, deliveries (and the ones it must not make),
 * bookmarks, 410 Gone (once at once, twice with back-off), other ERROR events,
 * streams ending normally, at once, rejected, with 401 or 5xx, failed connects, and
 * the back-off growing, capping and resetting after progress; failures reported
 * once per episode; Retry-After; the idle deadline of a silent WATCH.
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <syslog.h>

#include <cmocka.h>

#include "kube-watch-machine.h"
#include "macro.h"
#include "time-util.h"

#define MS USEC_PER_MSEC
#define SEC USEC_PER_SEC
#define INITIAL (500 * MS)
#define CAP (30 * SEC)

typedef struct Out {
        KubeWatchAction a[8];
        size_t n;
} Out;

static Out drain(KubeWatchMachine *m) {
        Out o = {};

        while (o.n < ELEMENTSOF(o.a) && kube_watch_machine_pop_action(m, &o.a[o.n]) > 0)
                o.n++;
        assert_int_equal(kube_watch_machine_pop_action(m, &(KubeWatchAction) {}), 0);
        return o;
}

static bool has(const Out *o, KubeWatchActionType t) {
        for (size_t i = 0; i < o->n; i++)
                if (o->a[i].type == t)
                        return true;
        return false;
}

static const KubeWatchAction *find(const Out *o, KubeWatchActionType t) {
        for (size_t i = 0; i < o->n; i++)
                if (o->a[i].type == t)
                        return &o->a[i];
        fail_msg("no action %d", t);
        return NULL;
}

static KubeWatchMachine *new_machine(void) {
        KubeWatchMachine *m = NULL;

        assert_int_equal(kube_watch_machine_new(&m, "node-1", INITIAL, CAP, 42), 0);
        return m;
}

static const KubeWatchListResult list_ok = {
        .completed = true, .status = 200, .node_list = true, .resource_version = "100", .present = true,
        .object_resource_version = "90",
};

/* Start, LIST, listed: returns the machine watching from rv 100 at `now`. */
static KubeWatchMachine *watching(uint64_t now) {
        KubeWatchMachine *m = new_machine();
        Out o;

        assert_int_equal(kube_watch_machine_start(m, now), 0);
        assert_true(kube_watch_machine_next_deadline(m) == now);
        assert_int_equal(kube_watch_machine_timeout(m, now), 0);
        o = drain(m);
        assert_int_equal(o.n, 1);
        assert_int_equal(o.a[0].type, KUBE_WATCH_ACTION_LIST);
        assert_true(kube_watch_machine_in_flight(m));
        assert_true(kube_watch_machine_next_deadline(m) == USEC_INFINITY);

        assert_int_equal(kube_watch_machine_list_done(m, &list_ok, now), 0);
        o = drain(m);
        assert_int_equal(o.n, 2);
        assert_int_equal(o.a[0].type, KUBE_WATCH_ACTION_REPORT);
        assert_string_equal(o.a[0].text, "kube: node node-1: listed at resourceVersion 100 (present)");
        assert_int_equal(o.a[1].type, KUBE_WATCH_ACTION_DELIVER);
        assert_int_equal(o.a[1].node_event, KUBE_NODE_SYNC);
        assert_true(kube_watch_machine_next_deadline(m) == now);

        assert_int_equal(kube_watch_machine_timeout(m, now), 0);
        o = drain(m);
        assert_int_equal(o.n, 1);
        assert_int_equal(o.a[0].type, KUBE_WATCH_ACTION_WATCH);
        assert_string_equal(kube_watch_machine_resource_version(m), "100");
        return m;
}

/* The back-off after a failure at now: its delay, checked against [lo, hi]. */
static uint64_t delay_after(KubeWatchMachine *m, uint64_t now, uint64_t lo, uint64_t hi) {
        uint64_t d = kube_watch_machine_next_deadline(m) - now;

        assert_true(d >= lo && d <= hi);
        return d;
}

static void test_start_and_list(void **state) {
        KubeWatchMachine *m = new_machine();

        assert_null(kube_watch_machine_resource_version(m));
        assert_true(kube_watch_machine_next_deadline(m) == USEC_INFINITY);
        assert_int_equal(kube_watch_machine_start(m, 10 * SEC), 0);
        /* Early timeouts are harmless. */
        assert_int_equal(kube_watch_machine_timeout(m, 9 * SEC), 0);
        assert_int_equal(drain(m).n, 0);
        kube_watch_machine_free(m);
        kube_watch_machine_free(watching(10 * SEC));
}

static void test_list_failures(void **state) {
        KubeWatchMachine *m = new_machine();
        KubeWatchListResult r = { .completed = true, .status = 500, .why = "HTTP 500: boom" };
        Out o;

        kube_watch_machine_start(m, 0);
        kube_watch_machine_timeout(m, 0);
        drain(m);
        assert_int_equal(kube_watch_machine_list_done(m, &r, 1 * SEC), 0);
        o = drain(m);
        assert_int_equal(o.n, 1);
        assert_int_equal(o.a[0].level, LOG_WARNING);
        assert_non_null(strstr(o.a[0].text, "kube: node node-1: HTTP 500: boom; listing again in "));
        delay_after(m, 1 * SEC, INITIAL / 2, INITIAL);
        /* Still listing: no list arrived yet. */
        kube_watch_machine_timeout(m, kube_watch_machine_next_deadline(m));
        assert_int_equal(drain(m).a[0].type, KUBE_WATCH_ACTION_LIST);

        /* 401: a fresh token, then the back-off. */
        r.status = 401;
        kube_watch_machine_list_done(m, &r, 2 * SEC);
        o = drain(m);
        assert_int_equal(o.a[0].type, KUBE_WATCH_ACTION_REFRESH_TOKEN);
        assert_int_equal(o.a[1].type, KUBE_WATCH_ACTION_REPORT);
        delay_after(m, 2 * SEC, INITIAL, 2 * INITIAL); /* doubled */

        /* A 200 that is not a NodeList. */
        kube_watch_machine_timeout(m, kube_watch_machine_next_deadline(m));
        drain(m);
        r = (KubeWatchListResult) { .completed = true, .status = 200, .node_list = false };
        kube_watch_machine_list_done(m, &r, 4 * SEC);
        o = drain(m);
        assert_non_null(strstr(find(&o, KUBE_WATCH_ACTION_REPORT)->text, "list response is not a NodeList"));
        assert_false(has(&o, KUBE_WATCH_ACTION_DELIVER));

        /* An absent node is a SYNC too. */
        kube_watch_machine_timeout(m, kube_watch_machine_next_deadline(m));
        drain(m);
        r = (KubeWatchListResult) { .completed = true, .status = 200, .node_list = true, .resource_version = "7" };
        kube_watch_machine_list_done(m, &r, 6 * SEC);
        o = drain(m);
        /* ... and the end of the episode of three failures that started at 1 s. */
        assert_int_equal(o.a[0].level, LOG_INFO);
        assert_string_equal(o.a[0].text, "kube: node node-1: watch recovered after 3 failed attempts in 5.0s");
        assert_string_equal(o.a[1].text, "kube: node node-1: listed at resourceVersion 7 (absent)");
        assert_int_equal(find(&o, KUBE_WATCH_ACTION_DELIVER)->node_event, KUBE_NODE_SYNC);
        kube_watch_machine_free(m);
}

static void test_events(void **state) {
        KubeWatchMachine *m = watching(0);
        Out o;

        /* The listed version again (a replay): not a change. */
        assert_int_equal(kube_watch_machine_event(m, KUBE_WATCH_MODIFIED, "90", "node-1", 0, 1), 1);
        assert_int_equal(drain(m).n, 0);
        assert_int_equal(kube_watch_machine_event(m, KUBE_WATCH_MODIFIED, "101", "node-1", 0, 2), 1);
        o = drain(m);
        assert_int_equal(o.n, 1);
        assert_int_equal(o.a[0].node_event, KUBE_NODE_MODIFIED);
        assert_string_equal(kube_watch_machine_resource_version(m), "101");
        assert_int_equal(kube_watch_machine_event(m, KUBE_WATCH_MODIFIED, "101", "node-1", 0, 3), 1);
        assert_int_equal(drain(m).n, 0);
        /* Another node (a server ignoring the field selector): never delivered. */
        assert_int_equal(kube_watch_machine_event(m, KUBE_WATCH_ADDED, "102", "node-2", 0, 4), 1);
        o = drain(m);
        assert_int_equal(o.n, 1);
        assert_int_equal(o.a[0].level, LOG_DEBUG);
        assert_string_equal(o.a[0].text, "kube: node node-1: ignoring event for node node-2");
        assert_int_equal(kube_watch_machine_event(m, KUBE_WATCH_ADDED, "103", NULL, 0, 4), 1);
        o = drain(m);
        assert_false(has(&o, KUBE_WATCH_ACTION_DELIVER));
        assert_string_equal(kube_watch_machine_resource_version(m), "103"); /* the resume point moves on */
        /* A bookmark moves the resume point only. */
        assert_int_equal(kube_watch_machine_event(m, KUBE_WATCH_BOOKMARK, "200", NULL, 0, 5), 1);
        assert_int_equal(drain(m).n, 0);
        assert_string_equal(kube_watch_machine_resource_version(m), "200");
        assert_int_equal(kube_watch_machine_event(m, KUBE_WATCH_ADDED, "201", "node-1", 0, 6), 1);
        assert_int_equal(drain(m).a[0].node_event, KUBE_NODE_ADDED);
        assert_int_equal(kube_watch_machine_event(m, KUBE_WATCH_DELETED, "202", "node-1", 0, 7), 1);
        assert_int_equal(drain(m).a[0].node_event, KUBE_NODE_DELETED);
        /* After a delete, the same version is new again. */
        assert_int_equal(kube_watch_machine_event(m, KUBE_WATCH_ADDED, "202", "node-1", 0, 8), 1);
        assert_int_equal(drain(m).a[0].node_event, KUBE_NODE_ADDED);
        kube_watch_machine_free(m);
}

static void test_gone(void **state) {
        KubeWatchMachine *m = watching(0);
        Out o;

        /* 410 in the stream: drop it, LIST at once. */
        assert_int_equal(kube_watch_machine_event(m, KUBE_WATCH_ERROR, NULL, NULL, 410, 5 * SEC), 0);
        o = drain(m);
        assert_int_equal(o.a[0].type, KUBE_WATCH_ACTION_DROP);
        assert_string_equal(find(&o, KUBE_WATCH_ACTION_REPORT)->text,
                            "kube: node node-1: resourceVersion 100 expired (410 Gone), listing again");
        assert_true(kube_watch_machine_next_deadline(m) == 5 * SEC);
        kube_watch_machine_timeout(m, 5 * SEC);
        assert_int_equal(drain(m).a[0].type, KUBE_WATCH_ACTION_LIST);
        kube_watch_machine_list_done(m, &list_ok, 5 * SEC);
        drain(m);
        kube_watch_machine_timeout(m, 5 * SEC);
        drain(m);
        /* Gone again right after the list (HTTP 410 this time): back off. */
        kube_watch_machine_stream_done(m, &(KubeWatchStreamResult) { .completed = true, .status = 410 }, 6 * SEC);
        o = drain(m);
        assert_non_null(strstr(o.a[0].text, "expired (HTTP 410), listing again"));
        assert_non_null(strstr(o.a[1].text, "410 Gone again right after a list; listing again in "));
        delay_after(m, 6 * SEC, INITIAL / 2, INITIAL);
        /* Progress clears the streak: the next 410 relists at once. */
        kube_watch_machine_timeout(m, kube_watch_machine_next_deadline(m));
        drain(m);
        kube_watch_machine_list_done(m, &list_ok, 7 * SEC);
        drain(m);
        kube_watch_machine_timeout(m, 7 * SEC);
        drain(m);
        kube_watch_machine_event(m, KUBE_WATCH_BOOKMARK, "150", NULL, 0, 8 * SEC);
        kube_watch_machine_event(m, KUBE_WATCH_ERROR, NULL, NULL, 410, 9 * SEC);
        drain(m);
        assert_true(kube_watch_machine_next_deadline(m) == 9 * SEC);
        kube_watch_machine_free(m);
}

static void test_error_event(void **state) {
        KubeWatchMachine *m = watching(0);
        Out o;

        assert_int_equal(kube_watch_machine_event(m, KUBE_WATCH_ERROR, NULL, NULL, 500, 1 * SEC), 0);
        o = drain(m);
        assert_int_equal(o.a[0].type, KUBE_WATCH_ACTION_DROP);
        assert_non_null(strstr(o.a[1].text, "watch ERROR event with status 500; listing again in "));
        delay_after(m, 1 * SEC, INITIAL / 2, INITIAL);
        kube_watch_machine_timeout(m, kube_watch_machine_next_deadline(m));
        assert_int_equal(drain(m).a[0].type, KUBE_WATCH_ACTION_LIST); /* relist, not resume */
        kube_watch_machine_free(m);
}

static void test_stream_ends(void **state) {
        KubeWatchMachine *m = watching(0);
        KubeWatchStreamResult done = { .completed = true, .status = 200 };
        Out o;

        /* Ended at timeoutSeconds after a while: resume at once from the last rv. */
        kube_watch_machine_stream_done(m, &done, 300 * SEC);
        o = drain(m);
        assert_int_equal(o.a[0].level, LOG_DEBUG);
        assert_string_equal(o.a[0].text, "kube: node node-1: watch ended, resuming from 100");
        assert_true(kube_watch_machine_next_deadline(m) == 300 * SEC);
        kube_watch_machine_timeout(m, 300 * SEC);
        assert_int_equal(drain(m).a[0].type, KUBE_WATCH_ACTION_WATCH);

        /* Ended at once, without an event: a failure, backed off (and growing). */
        kube_watch_machine_stream_done(m, &done, 300 * SEC + 10 * MS);
        o = drain(m);
        assert_non_null(strstr(o.a[0].text, "watch stream ended at once; resuming the watch in "));
        delay_after(m, 300 * SEC + 10 * MS, INITIAL / 2, INITIAL);
        kube_watch_machine_timeout(m, kube_watch_machine_next_deadline(m));
        drain(m);
        kube_watch_machine_stream_done(m, &done, 301 * SEC);
        drain(m);
        delay_after(m, 301 * SEC, INITIAL, 2 * INITIAL);

        /* Rejected by the decoder: relist, backed off. */
        kube_watch_machine_timeout(m, kube_watch_machine_next_deadline(m));
        drain(m);
        kube_watch_machine_stream_done(m, &(KubeWatchStreamResult) { .rejected = true, .oversize = true }, 310 * SEC);
        o = drain(m);
        assert_string_equal(o.a[0].text, "kube: node node-1: watch stream rejected: event larger than the object size limit");
        assert_non_null(strstr(o.a[1].text, "bad watch stream; listing again in "));
        kube_watch_machine_free(m);
}

static void test_stream_failures_and_reset(void **state) {
        KubeWatchMachine *m = watching(0);
        KubeWatchStreamResult fail = { .completed = false, .status = 0, .why = "Connection refused" };
        uint64_t now = 10 * SEC, base = INITIAL;
        Out o;

        /* Consecutive failures: the base doubles up to the cap, the delay is in [base/2, base]. */
        for (int i = 0; i < 10; i++) {
                kube_watch_machine_stream_done(m, &fail, now);
                o = drain(m);
                assert_non_null(strstr(o.a[0].text, "Connection refused; resuming the watch in "));
                delay_after(m, now, base / 2, base);
                now = kube_watch_machine_next_deadline(m);
                kube_watch_machine_timeout(m, now);
                assert_int_equal(drain(m).a[0].type, KUBE_WATCH_ACTION_WATCH);
                base = MIN(base * 2, CAP);
        }
        /* A stream with progress that then fails starts from the initial delay again. */
        kube_watch_machine_event(m, KUBE_WATCH_BOOKMARK, "300", NULL, 0, now);
        o = drain(m);
        assert_non_null(strstr(find(&o, KUBE_WATCH_ACTION_REPORT)->text,
                               "kube: node node-1: watch recovered after 10 failed attempts in "));
        kube_watch_machine_stream_done(m, &(KubeWatchStreamResult) { .status = 401, .why = "HTTP 401" }, now);
        o = drain(m);
        assert_int_equal(o.a[0].type, KUBE_WATCH_ACTION_REFRESH_TOKEN);
        assert_non_null(strstr(o.a[1].text, "HTTP 401; resuming the watch in "));
        delay_after(m, now, INITIAL / 2, INITIAL);
        kube_watch_machine_free(m);
}

static void test_connect_failed(void **state) {
        KubeWatchMachine *m = new_machine();
        Out o;

        kube_watch_machine_start(m, 0);
        kube_watch_machine_timeout(m, 0);
        drain(m);
        assert_int_equal(kube_watch_machine_connect_failed(m, 1 * SEC), 0);
        assert_false(kube_watch_machine_in_flight(m));
        o = drain(m);
        assert_non_null(strstr(o.a[0].text, "request setup failed; listing again in "));
        delay_after(m, 1 * SEC, INITIAL / 2, INITIAL);
        kube_watch_machine_timeout(m, kube_watch_machine_next_deadline(m));
        assert_int_equal(drain(m).n, 1);
        /* In flight: a timeout does nothing. */
        kube_watch_machine_timeout(m, UINT64_MAX - 1);
        assert_int_equal(drain(m).n, 0);
        kube_watch_machine_free(m);
}

static void test_invalid(void **state) {
        KubeWatchMachine *m = NULL;

        assert_int_equal(kube_watch_machine_new(&m, NULL, 1, 1, 0), -EINVAL);
        assert_int_equal(kube_watch_machine_new(&m, "n", 0, 1, 0), -EINVAL);
        assert_int_equal(kube_watch_machine_new(&m, "n", 2, 1, 0), -EINVAL);
        assert_null(m);
        assert_null(kube_watch_machine_free(NULL));
        assert_string_equal(kube_node_event_type_to_string(KUBE_NODE_DELETED), "DELETED");
        assert_null(kube_node_event_type_to_string(_KUBE_NODE_EVENT_TYPE_MAX));
}

/* Failures are reported once per episode: a warning at the first, debug lines after,
 * one info line when the watch works again; then the next failure is a new episode. */
static void test_episodes(void **state) {
        KubeWatchMachine *m = watching(0);
        KubeWatchStreamResult fail = { .completed = false, .status = 503, .why = "HTTP 503" };
        uint64_t now = 1 * SEC;
        Out o;

        for (int i = 0; i < 4; i++) {
                kube_watch_machine_stream_done(m, &fail, now);
                o = drain(m);
                assert_int_equal(o.n, 1);
                assert_int_equal(o.a[0].level, i == 0 ? LOG_WARNING : LOG_DEBUG);
                if (i == 0)
                        assert_non_null(strstr(o.a[0].text, "HTTP 503; resuming the watch in "));
                assert_true((strstr(o.a[0].text, "retrying with back-off") != NULL) == (i == 0));
                now = kube_watch_machine_next_deadline(m);
                kube_watch_machine_timeout(m, now);
                drain(m);
        }
        kube_watch_machine_event(m, KUBE_WATCH_MODIFIED, "101", "node-1", 0, now + 500 * MS);
        o = drain(m);
        assert_int_equal(find(&o, KUBE_WATCH_ACTION_REPORT)->level, LOG_INFO);
        assert_non_null(strstr(find(&o, KUBE_WATCH_ACTION_REPORT)->text, "watch recovered after 4 failed attempts in "));
        assert_true(has(&o, KUBE_WATCH_ACTION_DELIVER));
        /* No episode: progress reports nothing more. */
        kube_watch_machine_event(m, KUBE_WATCH_BOOKMARK, "102", NULL, 0, now + SEC);
        assert_int_equal(drain(m).n, 0);
        kube_watch_machine_stream_done(m, &fail, now + 2 * SEC);
        o = drain(m);
        assert_int_equal(o.a[0].level, LOG_WARNING);
        kube_watch_machine_free(m);
}

/* Retry-After is honoured when longer than the back-off, never shortens it. */
static void test_retry_after(void **state) {
        KubeWatchMachine *m = watching(0);
        KubeWatchStreamResult r = { .completed = true, .status = 429, .why = "HTTP 429",
                                    .retry_after_usec = 3 * SEC };
        KubeWatchListResult l = { .completed = true, .status = 503, .why = "HTTP 503", .retry_after_usec = 1 * MS };

        kube_watch_machine_stream_done(m, &r, 10 * SEC);
        drain(m);
        assert_true(kube_watch_machine_next_deadline(m) == 13 * SEC);
        kube_watch_machine_free(m);

        m = new_machine();
        kube_watch_machine_start(m, 0);
        kube_watch_machine_timeout(m, 0);
        drain(m);
        kube_watch_machine_list_done(m, &l, 0);
        drain(m);
        delay_after(m, 0, INITIAL / 2, INITIAL);
        kube_watch_machine_free(m);
}

/* A WATCH that carries no byte for its idle deadline is dropped as a failure: the
 * deadline is timeoutSeconds + 30 s until the bookmark rhythm is known, then three
 * intervals (at least 10 s); bytes move it; a LIST has none. */
static void test_idle_deadline(void **state) {
        KubeWatchMachine *m = watching(0);
        Out o;

        kube_watch_machine_watching(m, 300, 0);
        assert_true(kube_watch_machine_next_deadline(m) == 330 * SEC);
        kube_watch_machine_bytes(m, 100 * SEC);
        assert_true(kube_watch_machine_next_deadline(m) == 430 * SEC);
        /* An early timer (the old deadline) does nothing. */
        kube_watch_machine_timeout(m, 330 * SEC);
        assert_int_equal(drain(m).n, 0);
        /* Bookmarks every 5 s: 15 s of silence is enough. */
        kube_watch_machine_event(m, KUBE_WATCH_BOOKMARK, "101", NULL, 0, 105 * SEC);
        kube_watch_machine_bytes(m, 105 * SEC);
        kube_watch_machine_event(m, KUBE_WATCH_BOOKMARK, "102", NULL, 0, 110 * SEC);
        kube_watch_machine_bytes(m, 110 * SEC);
        assert_int_equal(drain(m).n, 0);
        assert_true(kube_watch_machine_next_deadline(m) == 125 * SEC);
        kube_watch_machine_timeout(m, 125 * SEC);
        o = drain(m);
        assert_int_equal(o.a[0].type, KUBE_WATCH_ACTION_DROP);
        assert_int_equal(o.a[1].level, LOG_WARNING);
        assert_non_null(strstr(o.a[1].text, "watch silent for 15s (no event, no bookmark); resuming the watch in "));
        assert_false(kube_watch_machine_in_flight(m));
        delay_after(m, 125 * SEC, INITIAL / 2, INITIAL);
        /* The next stream keeps the rhythm: 15 s from its start, even with no byte at all. */
        kube_watch_machine_timeout(m, kube_watch_machine_next_deadline(m));
        assert_int_equal(drain(m).a[0].type, KUBE_WATCH_ACTION_WATCH);
        kube_watch_machine_watching(m, 300, 130 * SEC);
        assert_true(kube_watch_machine_next_deadline(m) == 145 * SEC);
        /* Bytes or a WATCH that was not asked for change nothing after the stream ended. */
        kube_watch_machine_stream_done(m, &(KubeWatchStreamResult) { .completed = true, .status = 200 }, 140 * SEC);
        drain(m);
        kube_watch_machine_bytes(m, 141 * SEC);
        kube_watch_machine_watching(m, 300, 141 * SEC);
        assert_true(kube_watch_machine_next_deadline(m) == 140 * SEC);
        kube_watch_machine_free(m);

        /* A LIST in flight has no idle deadline (curl's request timeout covers it). */
        m = new_machine();
        kube_watch_machine_start(m, 0);
        kube_watch_machine_timeout(m, 0);
        drain(m);
        kube_watch_machine_watching(m, 300, 0);
        assert_true(kube_watch_machine_next_deadline(m) == USEC_INFINITY);
        kube_watch_machine_free(m);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_start_and_list), cmocka_unit_test(test_list_failures),
                cmocka_unit_test(test_events),         cmocka_unit_test(test_gone),
                cmocka_unit_test(test_error_event),    cmocka_unit_test(test_stream_ends),
                cmocka_unit_test(test_stream_failures_and_reset), cmocka_unit_test(test_connect_failed),
                cmocka_unit_test(test_invalid),        cmocka_unit_test(test_episodes),
                cmocka_unit_test(test_retry_after),    cmocka_unit_test(test_idle_deadline),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
