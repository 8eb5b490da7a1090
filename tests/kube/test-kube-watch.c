/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for the watch-stream decoder (src/kube/kube-watch.c): a captured
 * stream fed whole, byte by byte and split at every offset; merged events without
 * separators; ERROR and BOOKMARK events; oversize and malformed input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "kube-watch.h"

/* As written by the API server for `GET /api/v1/nodes?fieldSelector=...&watch=true`
 * (trimmed Node objects). */
static const char STREAM[] =
        "{\"type\":\"ADDED\",\"object\":{\"kind\":\"Node\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"node-a\","
        "\"uid\":\"7e0c\",\"resourceVersion\":\"1001\",\"annotations\":{\"opflex.cisco.com/x\":\"a\\nb\"}},"
        "\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}}\n"
        "{\"type\":\"MODIFIED\",\"object\":{\"kind\":\"Node\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"node-a\","
        "\"resourceVersion\":\"1002\",\"annotations\":{\"k\":\"{\\\"}\\\"\"}}}}\n"
        "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Node\",\"apiVersion\":\"v1\",\"metadata\":"
        "{\"resourceVersion\":\"1050\",\"creationTimestamp\":null}}}\n"
        "{\"type\":\"DELETED\",\"object\":{\"kind\":\"Node\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"node-a\","
        "\"resourceVersion\":\"1051\"}}}\n"
        "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
        "\"message\":\"too old resource version: 1000 (1051)\",\"reason\":\"Expired\",\"code\":410}}\n";

static void check_stream_events(KubeWatchDecoder *d) {
        static const struct {
                KubeWatchEventType type;
                const char *rv;
                int code;
        } expected[] = {
                { KUBE_WATCH_ADDED, "1001", 0 },   { KUBE_WATCH_MODIFIED, "1002", 0 },
                { KUBE_WATCH_BOOKMARK, "1050", 0 }, { KUBE_WATCH_DELETED, "1051", 0 },
                { KUBE_WATCH_ERROR, NULL, 410 },
        };
        KubeWatchEvent e = KUBE_WATCH_EVENT_NULL;

        for (size_t i = 0; i < ELEMENTSOF(expected); i++) {
                assert_int_equal(kube_watch_decoder_pop(d, &e), 1);
                assert_int_equal(e.type, expected[i].type);
                if (expected[i].rv)
                        assert_string_equal(e.resource_version, expected[i].rv);
                else
                        assert_null(e.resource_version);
                assert_int_equal(e.status_code, expected[i].code);
                assert_non_null(e.object);
                if (i == 0) {
                        json_object *md, *ann, *v;
                        assert_true(json_object_object_get_ex(e.object, "metadata", &md));
                        assert_true(json_object_object_get_ex(md, "annotations", &ann));
                        assert_true(json_object_object_get_ex(ann, "opflex.cisco.com/x", &v));
                        assert_string_equal(json_object_get_string(v), "a\nb");
                }
                if (i == 1) {
                        json_object *md, *ann, *v;
                        assert_true(json_object_object_get_ex(e.object, "metadata", &md));
                        assert_true(json_object_object_get_ex(md, "annotations", &ann));
                        assert_true(json_object_object_get_ex(ann, "k", &v));
                        assert_string_equal(json_object_get_string(v), "{\"}\"");
                }
                kube_watch_event_done(&e);
        }
        assert_int_equal(kube_watch_decoder_pop(d, &e), 0);
        assert_false(kube_watch_decoder_has_partial(d));
}

static void test_whole_stream(void **state) {
        _cleanup_(kube_watch_decoder_freep) KubeWatchDecoder *d = NULL;

        assert_int_equal(kube_watch_decoder_new(&d, KUBE_WATCH_OBJECT_SIZE_MAX_DEFAULT), 0);
        assert_int_equal(kube_watch_decoder_feed(d, STREAM, strlen(STREAM)), 0);
        check_stream_events(d);
}

static void test_byte_by_byte(void **state) {
        _cleanup_(kube_watch_decoder_freep) KubeWatchDecoder *d = NULL;
        KubeWatchEvent e = KUBE_WATCH_EVENT_NULL;
        size_t n = strlen(STREAM);

        assert_int_equal(kube_watch_decoder_new(&d, KUBE_WATCH_OBJECT_SIZE_MAX_DEFAULT), 0);
        for (size_t i = 0; i < n; i++) {
                assert_int_equal(kube_watch_decoder_feed(d, STREAM + i, 1), 0);
                /* An event is complete exactly when its closing brace arrives. */
                if (STREAM[i] == '\n' && i + 1 < n)
                        assert_false(kube_watch_decoder_has_partial(d));
        }
        check_stream_events(d);
        (void) e;
}

static void test_every_split_point(void **state) {
        size_t n = strlen(STREAM);

        for (size_t i = 0; i <= n; i++) {
                _cleanup_(kube_watch_decoder_freep) KubeWatchDecoder *d = NULL;

                assert_int_equal(kube_watch_decoder_new(&d, KUBE_WATCH_OBJECT_SIZE_MAX_DEFAULT), 0);
                assert_int_equal(kube_watch_decoder_feed(d, STREAM, i), 0);
                assert_int_equal(kube_watch_decoder_feed(d, STREAM + i, n - i), 0);
                check_stream_events(d);
        }
}

/* Found by fuzz-kube-watch: json-c 0.16 rejects a multi-byte UTF-8 character whose
 * bytes arrive in two parse calls; a Node with non-ASCII text poisoned the watch
 * whenever a chunk boundary fell inside such a character. Every split must decode. */
static void test_utf8_split(void **state) {
        static const char ev[] = "{\"type\":\"MODIFIED\",\"object\":{\"kind\":\"Node\",\"metadata\":{"
                                 "\"name\":\"n1\",\"resourceVersion\":\"7\",\"annotations\":{"
                                 "\"note\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x9a\x80\"}}}}\n";
        size_t n = strlen(ev);

        for (size_t i = 0; i <= n; i++) {
                _cleanup_(kube_watch_decoder_freep) KubeWatchDecoder *d = NULL;
                KubeWatchEvent e = {};
                json_object *md, *an, *note;

                assert_int_equal(kube_watch_decoder_new(&d, KUBE_WATCH_OBJECT_SIZE_MAX_DEFAULT), 0);
                assert_int_equal(kube_watch_decoder_feed(d, ev, i), 0);
                assert_int_equal(kube_watch_decoder_feed(d, ev + i, n - i), 0);
                assert_int_equal(kube_watch_decoder_pop(d, &e), 1);
                assert_int_equal(e.type, KUBE_WATCH_MODIFIED);
                assert_true(json_object_object_get_ex(e.object, "metadata", &md));
                assert_true(json_object_object_get_ex(md, "annotations", &an));
                assert_true(json_object_object_get_ex(an, "note", &note));
                assert_string_equal(json_object_get_string(note), "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x9a\x80");
                kube_watch_event_done(&e);
                assert_int_equal(kube_watch_decoder_pop(d, &e), 0);
        }
}

static void test_merged_without_separators(void **state) {
        _cleanup_(kube_watch_decoder_freep) KubeWatchDecoder *d = NULL;
        KubeWatchEvent e = KUBE_WATCH_EVENT_NULL;
        const char s[] = "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"1\"}}}"
                         "{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"2\"}}}\r\n"
                         "  \t{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"3\"}}}";

        assert_int_equal(kube_watch_decoder_new(&d, 4096), 0);
        assert_int_equal(kube_watch_decoder_feed(d, s, sizeof(s) - 1), 0);
        for (int i = 1; i <= 3; i++) {
                char rv[4];
                snprintf(rv, sizeof(rv), "%d", i);
                assert_int_equal(kube_watch_decoder_pop(d, &e), 1);
                assert_string_equal(e.resource_version, rv);
                kube_watch_event_done(&e);
        }
        assert_int_equal(kube_watch_decoder_pop(d, &e), 0);
}

static void test_whitespace_only(void **state) {
        _cleanup_(kube_watch_decoder_freep) KubeWatchDecoder *d = NULL;
        KubeWatchEvent e = KUBE_WATCH_EVENT_NULL;

        assert_int_equal(kube_watch_decoder_new(&d, 64), 0);
        assert_int_equal(kube_watch_decoder_feed(d, "\n\r\n  ", 5), 0);
        assert_false(kube_watch_decoder_has_partial(d));
        assert_int_equal(kube_watch_decoder_feed(d, "{\"ty", 4), 0);
        assert_true(kube_watch_decoder_has_partial(d));
        assert_int_equal(kube_watch_decoder_pop(d, &e), 0);
        assert_int_equal(kube_watch_decoder_feed(d, NULL, 0), 0);
}

static void test_error_without_code(void **state) {
        _cleanup_(kube_watch_decoder_freep) KubeWatchDecoder *d = NULL;
        KubeWatchEvent e = KUBE_WATCH_EVENT_NULL;
        const char s[] = "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"message\":\"internal error\"}}\n";

        assert_int_equal(kube_watch_decoder_new(&d, 4096), 0);
        assert_int_equal(kube_watch_decoder_feed(d, s, sizeof(s) - 1), 0);
        assert_int_equal(kube_watch_decoder_pop(d, &e), 1);
        assert_int_equal(e.type, KUBE_WATCH_ERROR);
        assert_int_equal(e.status_code, 0);
        kube_watch_event_done(&e);
}

static char *make_event(size_t total) {
        /* An ADDED event padded by an annotation to exactly total bytes. */
        const char *head = "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"7\","
                           "\"annotations\":{\"pad\":\"";
        const char *tail = "\"}}}}";
        size_t h = strlen(head), t = strlen(tail);
        char *s;

        assert_true(total > h + t);
        s = malloc(total + 1);
        assert_non_null(s);
        memcpy(s, head, h);
        memset(s + h, 'x', total - h - t);
        memcpy(s + total - t, tail, t + 1);
        return s;
}

static void test_size_limit(void **state) {
        KubeWatchEvent e = KUBE_WATCH_EVENT_NULL;
        const size_t max = 300;

        /* Exactly at the limit: accepted. */
        {
                _cleanup_(kube_watch_decoder_freep) KubeWatchDecoder *d = NULL;
                _cleanup_(freep) char *ok = make_event(max);

                assert_int_equal(kube_watch_decoder_new(&d, max), 0);
                assert_int_equal(kube_watch_decoder_feed(d, ok, max), 0);
                assert_int_equal(kube_watch_decoder_pop(d, &e), 1);
                kube_watch_event_done(&e);
        }

        /* One byte over, after a good event in the same chunk: the good one survives,
         * the stream is poisoned. */
        {
                _cleanup_(kube_watch_decoder_freep) KubeWatchDecoder *d = NULL;
                _cleanup_(freep) char *ok = make_event(100), *big = make_event(max + 1), *both = NULL;

                assert_int_equal(asprintf(&both, "%s\n%s\n", ok, big), (int) (100 + max + 3));
                assert_int_equal(kube_watch_decoder_new(&d, max), 0);
                assert_int_equal(kube_watch_decoder_feed(d, both, strlen(both)), KUBE_WATCH_E_OVERSIZE);
                assert_int_equal(kube_watch_decoder_pop(d, &e), 1);
                assert_string_equal(e.resource_version, "7");
                kube_watch_event_done(&e);
                assert_int_equal(kube_watch_decoder_pop(d, &e), 0);
                assert_int_equal(kube_watch_decoder_feed(d, ok, 100), KUBE_WATCH_E_OVERSIZE);

                /* Reset (a new connection) clears the poison. */
                kube_watch_decoder_reset(d);
                assert_int_equal(kube_watch_decoder_feed(d, ok, 100), 0);
                assert_int_equal(kube_watch_decoder_pop(d, &e), 1);
                kube_watch_event_done(&e);
        }

        /* An endless value trickled in: refused once it passes the limit, not later. */
        {
                _cleanup_(kube_watch_decoder_freep) KubeWatchDecoder *d = NULL;
                const char *start = "{\"type\":\"ADDED\",\"object\":{\"x\":\"";
                size_t fed = strlen(start);
                int r = 0;

                assert_int_equal(kube_watch_decoder_new(&d, max), 0);
                assert_int_equal(kube_watch_decoder_feed(d, start, fed), 0);
                while (r == 0 && fed < 10 * max) {
                        r = kube_watch_decoder_feed(d, "yyyyyyy", 7);
                        fed += 7;
                }
                assert_int_equal(r, KUBE_WATCH_E_OVERSIZE);
                assert_true(fed <= max + 7);
        }
}

static void check_malformed(const char *s) {
        _cleanup_(kube_watch_decoder_freep) KubeWatchDecoder *d = NULL;
        KubeWatchEvent e = KUBE_WATCH_EVENT_NULL;

        assert_int_equal(kube_watch_decoder_new(&d, 4096), 0);
        assert_int_equal(kube_watch_decoder_feed(d, s, strlen(s)), KUBE_WATCH_E_MALFORMED);
        assert_int_equal(kube_watch_decoder_pop(d, &e), 0);
        assert_int_equal(kube_watch_decoder_feed(d, "{}", 2), KUBE_WATCH_E_MALFORMED);
}

static void test_malformed(void **state) {
        check_malformed("{\"type\":\"ADDED\",]");
        check_malformed("{\"type\" \"ADDED\"}");
        check_malformed("[1,2]\n");
        check_malformed("\"ADDED\"\n");
        check_malformed("null\n");
        check_malformed("12 ");
        check_malformed("{\"type\":\"FOO\",\"object\":{\"metadata\":{\"resourceVersion\":\"1\"}}}");
        check_malformed("{\"type\":7,\"object\":{\"metadata\":{\"resourceVersion\":\"1\"}}}");
        check_malformed("{\"object\":{\"metadata\":{\"resourceVersion\":\"1\"}}}");
        check_malformed("{\"type\":\"ADDED\"}");
        check_malformed("{\"type\":\"ADDED\",\"object\":[]}");
        check_malformed("{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\"}}}");
        check_malformed("{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"resourceVersion\":1}}}");
        check_malformed("{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"resourceVersion\":\"\"}}}");
        check_malformed("{\"type\":\"ERROR\",\"object\":{\"code\":-3}}");
        check_malformed("{'type':'ADDED'}");
        check_malformed("\x01");
}

static void test_type_names(void **state) {
        assert_string_equal(kube_watch_event_type_to_string(KUBE_WATCH_BOOKMARK), "BOOKMARK");
        assert_null(kube_watch_event_type_to_string(_KUBE_WATCH_EVENT_TYPE_MAX));
        assert_int_equal(kube_watch_decoder_new(NULL, 10), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_whole_stream),
                cmocka_unit_test(test_byte_by_byte),
                cmocka_unit_test(test_every_split_point),
                cmocka_unit_test(test_utf8_split),
                cmocka_unit_test(test_merged_without_separators),
                cmocka_unit_test(test_whitespace_only),
                cmocka_unit_test(test_error_without_code),
                cmocka_unit_test(test_size_limit),
                cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_type_names),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
