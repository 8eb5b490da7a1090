/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Clock reads and duration formatting (see time-util.h). Parsing durations is
 * parse-util's parse_duration_usec().
 */

#include <inttypes.h>
#include <stdio.h>

#include "macro.h"
#include "time-util.h"

uint64_t timespec_load(const struct timespec *ts) {
        if (ts->tv_sec < 0 || ts->tv_nsec < 0)
                return 0;
        if ((uint64_t) ts->tv_sec > (UINT64_MAX - (uint64_t) ts->tv_nsec / NSEC_PER_USEC) / USEC_PER_SEC)
                return USEC_INFINITY;
        return (uint64_t) ts->tv_sec * USEC_PER_SEC + (uint64_t) ts->tv_nsec / NSEC_PER_USEC;
}

uint64_t clock_now(clockid_t clock) {
        struct timespec ts;

        /* Fails only for a clock the kernel does not know: a bug, not a runtime state. */
        if (clock_gettime(clock, &ts) < 0)
                return 0;
        return timespec_load(&ts);
}

uint64_t boottime_to_realtime(uint64_t t, uint64_t offset) {
        uint64_t now_b = usec_add(clock_now(CLOCK_BOOTTIME), offset), now_r = clock_now(CLOCK_REALTIME);

        if (t >= now_b)
                return usec_add(now_r, t - now_b);
        return usec_sub(now_r, now_b - t);
}

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
        int64_t era;
        unsigned yoe, doy, doe;

        y -= m <= 2;
        era = (y >= 0 ? y : y - 399) / 400;
        yoe = (unsigned) (y - era * 400);
        doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
        doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + (int64_t) doe - 719468;
}

void civil_from_days(int64_t days, int64_t *ret_y, unsigned *ret_m, unsigned *ret_d) {
        int64_t z = days + 719468, era;
        unsigned doe, yoe, doy, mp, m;

        era = (z >= 0 ? z : z - 146096) / 146097;
        doe = (unsigned) (z - era * 146097);
        yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        mp = (5 * doy + 2) / 153;
        m = mp < 10 ? mp + 3 : mp - 9;
        *ret_d = doy - (153 * mp + 2) / 5 + 1;
        *ret_m = m;
        *ret_y = (int64_t) yoe + era * 400 + (m <= 2);
}

char *format_duration(char *buf, size_t size, uint64_t usec) {
        if (usec % USEC_PER_SEC == 0)
                snprintf(buf, size, "%" PRIu64 "s", usec / USEC_PER_SEC);
        else if (usec % USEC_PER_MSEC == 0)
                snprintf(buf, size, "%" PRIu64 "ms", usec / USEC_PER_MSEC);
        else
                snprintf(buf, size, "%" PRIu64 "us", usec);
        return buf;
}

char *format_timespan(char *buf, size_t size, uint64_t usec) {
        static const struct {
                const char *unit;
                uint64_t sec;
        } units[] = { { "d", 86400 }, { "h", 3600 }, { "min", 60 }, { "s", 1 } };
        uint64_t sec = usec / USEC_PER_SEC;
        size_t pos = 0;
        int shown = 0;

        if (size == 0)
                return buf;
        buf[0] = '\0';
        for (size_t i = 0; i < ELEMENTSOF(units) && shown < 2; i++) {
                uint64_t n = sec / units[i].sec;

                if (n == 0 && !(shown == 0 && units[i].sec == 1))
                        continue;
                pos += (size_t) snprintf(buf + pos, size - MIN(pos, size), "%s%" PRIu64 "%s", shown ? " " : "", n,
                                         units[i].unit);
                sec -= n * units[i].sec;
                shown++;
                if (pos >= size)
                        break;
        }
        return buf;
}
