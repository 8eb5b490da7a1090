/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dhcp4-persist: the age of a remembered lease. A lease file of this boot is aged on
 * CLOCK_BOOTTIME, so a wall clock set since (NTP stepping at boot, an operator) neither
 * expires it early nor keeps it past its end; a file of another boot (or one without a
 * boot id) is aged on the wall clock. Files in a temporary state directory.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "dhcp4-lease-file.h"
#include "dhcp4-persist.h"
#include "time-util.h"

#define BOOT_A "0f6c3a1e-8d2b-4c55-9b1a-2f0e7d6c5b4a"
#define BOOT_B "7d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6"
#define DAY (UINT64_C(86400) * USEC_PER_SEC)
#define RT0 (UINT64_C(1764633600) * USEC_PER_SEC) /* the wall clock at the bind */
#define BT0 (UINT64_C(5000) * USEC_PER_SEC)       /* the boot clock at the bind */
#define ENGINE_NOW (UINT64_C(1) << 50)            /* the caller's clock at load */

static const uint8_t mac[6] = { 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };
static char dir[] = "/tmp/test-dhcp4-persist-XXXXXX";

static Dhcp4Lease lease(void) {
        Dhcp4Lease l = {
                .prefixlen = 24,
                .lifetime = 60,
                .t1 = 30,
                .t2 = 52,
                .client_id = { 0x01, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff },
        };

        inet_pton(AF_INET, "192.168.7.9", &l.address);
        inet_pton(AF_INET, "192.168.7.1", &l.server_id);
        return l;
}

/* Saves the lease acquired at (RT0, BT0) by a daemon of boot `saved_in`, then loads it
 * at `age_s` seconds later on the boot clock with the wall clock at RT0 + wall_offset
 * (+ age) in boot `loaded_in`. Returns what load returned, the age it found in *ret_age. */
static int save_load(const char *saved_in, const char *loaded_in, uint64_t age_s, int64_t wall_offset,
                     uint64_t *ret_age) {
        Dhcp4Persist p;
        Dhcp4Lease l = lease(), back;
        uint64_t age = age_s * USEC_PER_SEC;
        int r;

        assert_int_equal(dhcp4_persist_init(&p, dir, "eth0"), 0);
        strcpy(p.boot_id, saved_in);
        assert_int_equal(dhcp4_persist_save_lease(&p, &l, RT0, BT0), 0);
        strcpy(p.boot_id, loaded_in);
        r = dhcp4_persist_load_lease(&p, "eth0", mac, ENGINE_NOW, (uint64_t) ((int64_t) (RT0 + age) + wall_offset),
                                     BT0 + age, &back);
        if (r > 0) {
                assert_int_equal(back.address.s_addr, l.address.s_addr);
                *ret_age = ENGINE_NOW - back.acquired_usec;
        }
        dhcp4_persist_done(&p);
        return r;
}

static void test_same_boot_wall_clock_set(void **state) {
        uint64_t age = 0;

        /* No change of the wall clock: 10 s old. */
        assert_int_equal(save_load(BOOT_A, BOOT_A, 10, 0, &age), 1);
        assert_true(age == 10 * USEC_PER_SEC);
        /* Set forward a day: still 10 s old, not expired (a 60 s lease). */
        assert_int_equal(save_load(BOOT_A, BOOT_A, 10, (int64_t) DAY, &age), 1);
        assert_true(age == 10 * USEC_PER_SEC);
        /* Set back a day: still 10 s old, not "just acquired". */
        age = 0;
        assert_int_equal(save_load(BOOT_A, BOOT_A, 10, -(int64_t) DAY, &age), 1);
        assert_true(age == 10 * USEC_PER_SEC);
        /* Set back a day, 61 s later: expired, though the wall clock says -23 h 59 min. */
        assert_int_equal(save_load(BOOT_A, BOOT_A, 61, -(int64_t) DAY, &age), 0);
}

static void test_other_boot(void **state) {
        uint64_t age = 0;

        /* After a reboot only the wall clock counts. */
        assert_int_equal(save_load(BOOT_A, BOOT_B, 5, 15 * (int64_t) USEC_PER_SEC, &age), 1);
        assert_true(age == 20 * USEC_PER_SEC);
        assert_int_equal(save_load(BOOT_A, BOOT_B, 5, 56 * (int64_t) USEC_PER_SEC, &age), 0);
        /* Written "in the future" by the wall clock: taken as just acquired. */
        assert_int_equal(save_load(BOOT_A, BOOT_B, 5, -100 * (int64_t) USEC_PER_SEC, &age), 1);
        assert_true(age == 0);
        /* Boot id unknown now, or unknown when written: the wall clock. */
        assert_int_equal(save_load(BOOT_A, "", 10, (int64_t) DAY, &age), 0);
        assert_int_equal(save_load("", BOOT_A, 10, 0, &age), 1);
        assert_true(age == 10 * USEC_PER_SEC);
        assert_int_equal(save_load("", BOOT_A, 10, (int64_t) DAY, &age), 0);
}

static void test_file_content(void **state) {
        Dhcp4Persist p;
        Dhcp4Lease l = lease(), out;
        Dhcp4LeaseStamp st;
        char path[sizeof(dir) + 16], buf[DHCP4_LEASE_FILE_MAX];
        FILE *f;
        size_t n;

        assert_int_equal(dhcp4_persist_init(&p, dir, "eth0"), 0);
        /* This machine's /proc gives a boot id. */
        assert_true(dhcp4_boot_id_valid(p.boot_id));
        assert_int_equal(dhcp4_persist_save_lease(&p, &l, RT0, BT0), 0);
        snprintf(path, sizeof(path), "%s/eth0.lease", dir);
        f = fopen(path, "r");
        assert_non_null(f);
        n = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        assert_int_equal(dhcp4_lease_file_parse(buf, n, &out, &st, NULL), 0);
        assert_string_equal(st.boot_id, p.boot_id);
        assert_true(st.boottime_usec == BT0 && st.realtime_usec == RT0);

        /* Another MAC's lease is not ours. */
        assert_int_equal(dhcp4_persist_load_lease(&p, "eth0", (const uint8_t[6]) { 2, 0, 0, 0, 0, 1 }, ENGINE_NOW,
                                                  RT0, BT0, &out),
                         0);
        dhcp4_persist_forget_lease(&p);
        assert_int_equal(access(path, F_OK), -1);
        dhcp4_persist_done(&p);
}

static int setup(void **state) {
        return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state) {
        char path[sizeof(dir) + 16];

        snprintf(path, sizeof(path), "%s/eth0.lease", dir);
        (void) unlink(path);
        return rmdir(dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_same_boot_wall_clock_set),
                cmocka_unit_test(test_other_boot),
                cmocka_unit_test(test_file_content),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
