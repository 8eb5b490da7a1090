/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for src/shared/json-util: every helper consumes the value it is given,
 * whatever happens, and a failed constructor (NULL) fails the whole build. Run under
 * LeakSanitizer (scripts/test), a helper that forgot a value would fail here.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "json-util.h"
#include "macro.h"

static const char *plain(json_object *o) {
        return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
}

static void test_add(void **state) {
        _cleanup_(json_object_unrefp) json_object *o = json_object_new_object();
        json_object *v;

        assert_int_equal(json_add(o, "a", json_object_new_int(1)), 0);
        assert_int_equal(json_add(o, "b", NULL), -ENOMEM);          /* a failed constructor */
        assert_int_equal(json_add(NULL, "c", json_object_new_int(3)), -ENOMEM); /* consumed anyway */
        assert_int_equal(json_add_null(o, "d"), 0);
        assert_int_equal(json_add_null(NULL, "d"), -ENOMEM);
        assert_string_equal(plain(o), "{\"a\":1,\"d\":null}");

        /* A value still referenced elsewhere keeps that reference. */
        v = json_object_new_string("kept");
        assert_int_equal(json_add(NULL, "x", json_object_get(v)), -ENOMEM);
        assert_string_equal(json_object_get_string(v), "kept");
        json_object_put(v);
}

static void test_add_many(void **state) {
        _cleanup_(json_object_unrefp) json_object *o = json_object_new_object();

        assert_int_equal(json_add_many(o, "x", json_object_new_int(1), "y", json_object_new_string("s"), NULL), 0);
        assert_string_equal(plain(o), "{\"x\":1,\"y\":\"s\"}");
        /* The first failure is returned; the values after it are consumed, not added. */
        assert_int_equal(json_add_many(o, "p", json_object_new_int(2), "q", NULL, "r", json_object_new_int(3), NULL),
                         -ENOMEM);
        assert_string_equal(plain(o), "{\"x\":1,\"y\":\"s\",\"p\":2}");
        assert_int_equal(json_add_many(NULL, "k", json_object_new_int(1), NULL), -ENOMEM);
        assert_int_equal(json_add_many(o, NULL), 0);
}

static void test_build(void **state) {
        _cleanup_(json_object_unrefp) json_object *o = NULL, *f = NULL;

        o = json_build_object("kind", json_object_new_string("Event"),
                              "metadata", json_build_object("name", json_object_new_string("n"), NULL),
                              "count", json_object_new_int(1), NULL);
        assert_non_null(o);
        assert_string_equal(plain(o), "{\"kind\":\"Event\",\"metadata\":{\"name\":\"n\"},\"count\":1}");

        /* A NULL anywhere, also nested, fails the whole object; every value consumed. */
        f = json_build_object("a", json_object_new_int(1),
                              "b", json_build_object("c", NULL, "d", json_object_new_int(2), NULL),
                              "e", json_object_new_int(3), NULL);
        assert_null(f);
}

static void test_arrays(void **state) {
        _cleanup_(json_object_unrefp) json_object *arr = json_object_new_array(), *addrs = NULL, *strs = NULL;
        const char *const s[] = { "10.0.0.0/16", "10.1.0.0/16" };
        struct in_addr a[2];

        assert_int_equal(json_append(arr, json_object_new_int(1)), 0);
        assert_int_equal(json_append(arr, NULL), -ENOMEM);
        assert_int_equal(json_append(NULL, json_object_new_int(2)), -ENOMEM);
        assert_string_equal(plain(arr), "[1]");

        inet_pton(AF_INET, "192.0.2.1", &a[0]);
        inet_pton(AF_INET, "10.0.0.30", &a[1]);
        addrs = json_new_address_array(a, 2);
        assert_string_equal(plain(addrs), "[\"192.0.2.1\",\"10.0.0.30\"]");
        strs = json_new_string_array(s, 2);
        assert_string_equal(plain(strs), "[\"10.0.0.0\\/16\",\"10.1.0.0\\/16\"]");
}

static void test_uint64(void **state) {
        _cleanup_(json_object_unrefp) json_object *a = json_new_uint64(UINT64_MAX), *b = json_new_uint64(42);

        assert_true(json_object_get_int64(a) == INT64_MAX);
        assert_true(json_object_get_int64(b) == 42);
}

static void test_parse(void **state) {
        json_object *o = NULL;
        const char *why = NULL;
        size_t at = 99;

        assert_int_equal(json_parse("{\"a\":1}", 7, JSON_PARSE_STRICT, &o, &why, &at), 0);
        assert_string_equal(plain(o), "{\"a\":1}");
        json_object_put(o);
        /* Trailing whitespace is fine, anything else only when allowed. */
        assert_int_equal(json_parse("[1]\n \t\n", 7, JSON_PARSE_STRICT, &o, NULL, NULL), 0);
        json_object_put(o);
        /* Strict, json-c itself refuses what follows; else it is trailing data. */
        assert_int_equal(json_parse("[1]\n\n x", 7, JSON_PARSE_STRICT, &o, &why, &at), -EBADMSG);
        assert_non_null(why);
        assert_int_equal(json_parse("[1]\n\n x", 7, 0, &o, &why, &at), -EBADMSG);
        assert_string_equal(why, "trailing data");
        assert_int_equal(at, 6);
        assert_int_equal(json_parse("[1] x", 5, JSON_PARSE_TRAILING_ANY, &o, NULL, NULL), 0);
        json_object_put(o);
        /* Strict: no single quotes, comments or invalid UTF-8; json-c's reason given. */
        assert_int_equal(json_parse("['a']", 5, JSON_PARSE_STRICT, &o, &why, &at), -EBADMSG);
        assert_non_null(why);
        assert_int_equal(at, 0);
        assert_int_equal(json_parse("['a']", 5, 0, &o, NULL, NULL), 0);
        json_object_put(o);
        assert_int_equal(json_parse("\"\xff\"", 3, JSON_PARSE_STRICT, &o, NULL, NULL), -EBADMSG);
        /* Truncated, empty, and a top-level null (no object to return). */
        assert_int_equal(json_parse("{\"a\":", 5, 0, &o, &why, NULL), -EBADMSG);
        assert_int_equal(json_parse("", 0, 0, &o, &why, NULL), -EBADMSG);
        assert_string_equal(why, "empty");
        assert_int_equal(json_parse("null", 4, 0, &o, NULL, NULL), -EBADMSG);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_add),    cmocka_unit_test(test_add_many), cmocka_unit_test(test_build),
                cmocka_unit_test(test_arrays), cmocka_unit_test(test_uint64), cmocka_unit_test(test_parse),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
