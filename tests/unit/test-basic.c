/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for src/basic beyond parse-util: string tables (string-table.h), hex
 * digits and separated byte strings (hexdecoct), big-endian access (unaligned.h), the
 * parser error message (errmsg) and time (time-util: saturating arithmetic, clocks,
 * duration formatting).
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "errmsg.h"
#include "hexdecoct.h"
#include "macro.h"
#include "string-table.h"
#include "time-util.h"
#include "unaligned.h"

typedef enum Color {
        COLOR_RED,
        COLOR_GREEN,
        COLOR_HOLE,
        COLOR_BLUE,
        _COLOR_MAX,
} Color;

static const char *const color_table[_COLOR_MAX] = {
        [COLOR_RED] = "red",
        [COLOR_GREEN] = "green",
        [COLOR_BLUE] = "blue",
};

const char *color_to_string(Color c);
int color_from_string(const char *s);
DEFINE_STRING_TABLE_LOOKUP(color, Color)

static const char *const digit_table[] = { [1] = "one", [2] = "two" };
const char *digit_to_string(int d);
DEFINE_STRING_TABLE_LOOKUP_TO_STRING(digit, int)

static void test_string_table(void **state) {
        assert_string_equal(color_to_string(COLOR_RED), "red");
        assert_string_equal(color_to_string(COLOR_BLUE), "blue");
        assert_null(color_to_string(COLOR_HOLE)); /* a hole in the table */
        assert_null(color_to_string(_COLOR_MAX));
        assert_null(color_to_string((Color) -1));
        assert_int_equal(color_from_string("green"), COLOR_GREEN);
        assert_int_equal(color_from_string("blue"), COLOR_BLUE);
        assert_int_equal(color_from_string("Blue"), -EINVAL);
        assert_int_equal(color_from_string(""), -EINVAL);
        assert_int_equal(color_from_string(NULL), -EINVAL);

        assert_null(digit_to_string(0));
        assert_string_equal(digit_to_string(2), "two");
        assert_null(digit_to_string(3));
        assert_null(digit_to_string(-5));
        assert_int_equal(string_table_lookup(digit_table, ELEMENTSOF(digit_table), "one"), 1);
}

static void test_hex(void **state) {
        uint8_t b[7] = { 0 }, want[7] = { 0x01, 0x52, 0x54, 0x00, 0xab, 0xCD, 0xff };
        char buf[32];

        assert_int_equal(unhexchar('0'), 0);
        assert_int_equal(unhexchar('a'), 10);
        assert_int_equal(unhexchar('F'), 15);
        assert_int_equal(unhexchar('g'), -EINVAL);
        assert_int_equal(unhexchar(':'), -EINVAL);
        assert_int_equal(hexchar(11), 'b');
        assert_int_equal(hexchar(0x1f), 'f');

        assert_int_equal(parse_hex_bytes("01:52:54:00:ab:CD:ff", ':', b, 7), 0);
        assert_memory_equal(b, want, 7);
        memset(b, 0x77, sizeof(b));
        assert_int_equal(parse_hex_bytes("01:52:54:00:ab:cd", ':', b, 7), -EINVAL); /* short */
        assert_int_equal(parse_hex_bytes("01:52:54:00:ab:cd:ff:", ':', b, 7), -EINVAL); /* long */
        assert_int_equal(parse_hex_bytes("01-52-54-00-ab-cd-ff", ':', b, 7), -EINVAL);  /* separator */
        assert_int_equal(parse_hex_bytes("01:52:54:00:ab:cd:fg", ':', b, 7), -EINVAL);  /* digit */
        assert_int_equal(parse_hex_bytes("", ':', b, 0), -EINVAL);
        assert_int_equal(parse_hex_bytes(NULL, ':', b, 1), -EINVAL);
        assert_int_equal(b[0], 0x77); /* untouched on failure */
        assert_int_equal(parse_hex_bytes("0a-0b", '-', b, 2), 0);
        assert_int_equal(b[0], 0x0a);
        assert_int_equal(b[1], 0x0b);

        assert_string_equal(format_hex_bytes(want, 7, ':', buf, sizeof(buf)), "01:52:54:00:ab:cd:ff");
        assert_string_equal(format_hex_bytes(want, 0, ':', buf, sizeof(buf)), "");
        /* Truncated to whole bytes, always terminated. */
        assert_string_equal(format_hex_bytes(want, 7, ':', buf, 9), "01:52:54");
        assert_string_equal(format_hex_bytes(want, 7, ':', buf, 3), "01");
        assert_string_equal(format_hex_bytes(want, 7, ':', buf, 2), "");
}

static void test_unaligned(void **state) {
        uint8_t b[7] = { 0xff, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xff };

        assert_int_equal(unaligned_read_be16(b + 1), 0x1234);
        assert_true(unaligned_read_be32(b + 1) == UINT32_C(0x12345678));
        assert_true(unaligned_read_be32(b + 3) == UINT32_C(0x56789aff));
        unaligned_write_be16(b + 1, 0xbeef);
        assert_int_equal(b[1], 0xbe);
        assert_int_equal(b[2], 0xef);
        unaligned_write_be32(b + 3, UINT32_C(0x01020304));
        assert_int_equal(b[3], 1);
        assert_int_equal(b[6], 4);
        assert_int_equal(b[0], 0xff); /* neighbours untouched */
}

static void test_errmsg(void **state) {
        char err[32];

        assert_int_equal(errmsg(err, sizeof(err), -EINVAL, NULL, "line %u: bad", 7), -EINVAL);
        assert_string_equal(err, "line 7: bad");
        assert_int_equal(errmsg(err, sizeof(err), -EBADMSG, "/etc/x.conf", "key %s", "Foo"), -EBADMSG);
        assert_string_equal(err, "/etc/x.conf: key Foo");
        /* One line, truncated to fit. */
        assert_int_equal(errmsg(err, sizeof(err), -EINVAL, "p", "a\nb\rc %s", "0123456789012345678901234567890"),
                         -EINVAL);
        assert_string_equal(err, "p: a b c 0123456789012345678901");
        /* A prefix longer than the buffer. */
        assert_int_equal(errmsg(err, 5, -EINVAL, "a-long-prefix", "x"), -EINVAL);
        assert_string_equal(err, "a-lo");
        /* No buffer: just the error. */
        assert_int_equal(errmsg(NULL, 0, -ENOENT, NULL, "x"), -ENOENT);
        assert_int_equal(errmsg(err, 0, -ENOENT, NULL, "x"), -ENOENT);
}

static void test_time(void **state) {
        struct timespec ts = { .tv_sec = 3, .tv_nsec = 4999 };
        char buf[32];
        uint64_t b, r, x;

        assert_true(usec_add(1, 2) == 3);
        assert_true(usec_add(UINT64_MAX - 1, 5) == UINT64_MAX);
        assert_true(usec_sub(5, 7) == 0);
        assert_true(usec_sub(7, 5) == 2);
        assert_true(timespec_load(&ts) == 3 * USEC_PER_SEC + 4);
        ts.tv_sec = -1;
        assert_true(timespec_load(&ts) == 0);

        b = clock_now(CLOCK_BOOTTIME);
        assert_true(b > 0);
        assert_true(clock_now(CLOCK_BOOTTIME) >= b);
        /* The shifted boottime "now" is the realtime now; an instant an hour before it
         * is an hour before the realtime now (within the time the clock reads take, on a
         * loaded machine: 10 s either way). */
        r = clock_now(CLOCK_REALTIME);
        x = boottime_to_realtime(usec_add(b, UINT64_C(1) << 50) - USEC_PER_HOUR, UINT64_C(1) << 50);
        assert_true(x + USEC_PER_HOUR + 10 * USEC_PER_SEC >= r && x + USEC_PER_HOUR <= r + 10 * USEC_PER_SEC);
        assert_true(boottime_to_realtime(0, 0) <= r); /* boot time */
        assert_true(boottime_to_realtime(UINT64_MAX, 0) == UINT64_MAX);

        /* Civil dates: the epoch, a leap day, before the epoch, a round trip over 400 years. */
        assert_true(days_from_civil(1970, 1, 1) == 0);
        assert_true(days_from_civil(2000, 3, 1) - days_from_civil(2000, 2, 28) == 2);
        assert_true(days_from_civil(1969, 12, 31) == -1);
        assert_true(days_from_civil(2025, 9, 7) == 20338);
        for (int64_t d = -146097; d <= 146097; d += 37) {
                int64_t y;
                unsigned m, dd;

                civil_from_days(d, &y, &m, &dd);
                assert_true(m >= 1 && m <= 12 && dd >= 1 && dd <= 31);
                assert_true(days_from_civil(y, m, dd) == d);
        }

        assert_string_equal(format_duration(buf, sizeof(buf), 30 * USEC_PER_SEC), "30s");
        assert_string_equal(format_duration(buf, sizeof(buf), 250 * USEC_PER_MSEC), "250ms");
        assert_string_equal(format_duration(buf, sizeof(buf), 7), "7us");
        assert_string_equal(format_duration(buf, sizeof(buf), 0), "0s");

        assert_string_equal(format_timespan(buf, sizeof(buf), 0), "0s");
        assert_string_equal(format_timespan(buf, sizeof(buf), 59 * USEC_PER_SEC + 999999), "59s");
        assert_string_equal(format_timespan(buf, sizeof(buf), USEC_PER_HOUR), "1h");
        assert_string_equal(format_timespan(buf, sizeof(buf), USEC_PER_HOUR + 2 * USEC_PER_MINUTE + 3 * USEC_PER_SEC),
                            "1h 2min");
        assert_string_equal(format_timespan(buf, sizeof(buf), 3 * USEC_PER_DAY + 5 * USEC_PER_SEC), "3d 5s");
        assert_string_equal(format_timespan(buf, 4, 5 * USEC_PER_MINUTE + 3 * USEC_PER_SEC), "5mi");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_string_table), cmocka_unit_test(test_hex),  cmocka_unit_test(test_unaligned),
                cmocka_unit_test(test_errmsg),       cmocka_unit_test(test_time),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
