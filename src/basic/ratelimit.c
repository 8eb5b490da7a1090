/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fixed-window log rate limit (see ratelimit.h). */

#include "ratelimit.h"

static bool window_over(const RateLimit *rl, uint64_t now) {
        return !rl->started || now < rl->begin || now - rl->begin >= rl->interval_usec;
}

bool ratelimit_below(RateLimit *rl, uint64_t now, uint64_t *ret_suppressed) {
        uint64_t report = 0;

        if (window_over(rl, now)) {
                report = rl->suppressed;
                rl->suppressed = 0;
                rl->begin = now;
                rl->started = true;
                rl->n = 0;
        }
        if (ret_suppressed)
                *ret_suppressed = report;
        else
                rl->suppressed += report; /* nobody to report to: keep counting */
        if (rl->n < rl->burst) {
                rl->n++;
                return true;
        }
        if (rl->suppressed < UINT64_MAX)
                rl->suppressed++;
        return false;
}

uint64_t ratelimit_take_suppressed(RateLimit *rl, uint64_t now) {
        uint64_t s;

        if (rl->suppressed == 0 || !window_over(rl, now))
                return 0;
        s = rl->suppressed;
        rl->suppressed = 0;
        return s;
}
