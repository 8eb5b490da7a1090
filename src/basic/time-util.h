/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Time in this tree: microseconds in a uint64_t, USEC_INFINITY for "never";
 * saturating arithmetic; the one place that reads a clock (clock_now) and converts a
 * CLOCK_BOOTTIME timestamp to wall-clock time; formatting and (parse-util.h) parsing
 * of durations. libc only (src/basic).
 *
 * Pure cores never call clock_now(): `now` is their input. The daemons read it here,
 * or take sd_event_now() inside event callbacks (the time the loop woke up).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define USEC_INFINITY UINT64_MAX
#define NSEC_PER_USEC UINT64_C(1000)
#define USEC_PER_MSEC UINT64_C(1000)
#define USEC_PER_SEC UINT64_C(1000000)
#define USEC_PER_MINUTE (UINT64_C(60) * USEC_PER_SEC)
#define USEC_PER_HOUR (UINT64_C(60) * USEC_PER_MINUTE)
#define USEC_PER_DAY (UINT64_C(24) * USEC_PER_HOUR)

/* Saturating addition and subtraction for usec values. */
static inline uint64_t usec_add(uint64_t a, uint64_t b) {
        return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static inline uint64_t usec_sub(uint64_t a, uint64_t b) {
        return a > b ? a - b : 0;
}

/* A timespec as usec (0 for a negative time). */
uint64_t timespec_load(const struct timespec *ts);

/* Reads clock (CLOCK_BOOTTIME, CLOCK_REALTIME, CLOCK_MONOTONIC, ...) in usec.
 * Edges and daemons only. */
uint64_t clock_now(clockid_t clock);

/* t, an instant on CLOCK_BOOTTIME + offset (offset > 0 makes instants before this
 * boot representable), as CLOCK_REALTIME usec: the realtime now, moved by the
 * distance between t and the shifted boottime now; saturates at 0 and UINT64_MAX.
 * For lease files and showing lease times to people: timers run on boottime, which
 * nobody can set, and the wall clock is only for display and persistence. */
uint64_t boottime_to_realtime(uint64_t t, uint64_t offset);

/* UTC civil dates (proleptic Gregorian) and days since 1970-01-01, H. Hinnant's
 * algorithms: for timestamps that must not depend on the process time zone. */
int64_t days_from_civil(int64_t y, unsigned m, unsigned d);
void civil_from_days(int64_t days, int64_t *ret_y, unsigned *ret_m, unsigned *ret_d);

/* Exact and short, as a configuration value: "30s", "250ms", "7us" (the largest unit
 * that divides usec). buf must hold 32 bytes. Returns buf. */
char *format_duration(char *buf, size_t size, uint64_t usec);

/* For people: at most two units, whole seconds, "1h 2min", "5min 3s", "0s". */
char *format_timespan(char *buf, size_t size, uint64_t usec);
