/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A fixed-window rate limit for log lines about input from outside (rejected packets),
 * so that a flood cannot fill the journal: at most `burst` messages per `interval`;
 * the rest are counted, and the count is reported once the window is over. Pure: the
 * time is passed in. Not a token bucket: the window restarts with the first message
 * after it ended, so a quiet source is never throttled.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

typedef struct RateLimit {
        uint64_t interval_usec; /* window length */
        unsigned burst;         /* messages allowed per window */
        uint64_t begin;         /* start of the current window */
        bool started;           /* a window has begun */
        unsigned n;             /* messages in the current window, allowed or not */
        uint64_t suppressed;    /* suppressed and not yet reported */
} RateLimit;

#define RATELIMIT_INIT(interval, b) ((RateLimit) { .interval_usec = (interval), .burst = (b) })

/* True when a message may be logged at `now`. When a new window starts and messages
 * were suppressed in an earlier one, *ret_suppressed (if not NULL) gets their number
 * (to be logged first) and the count restarts; otherwise it is set to 0. */
bool ratelimit_below(RateLimit *rl, uint64_t now, uint64_t *ret_suppressed);

/* The suppressed count not yet reported when the window that suppressed them is over
 * at `now` (for a timer that reports without waiting for the next message); 0 while
 * the window still runs or nothing was suppressed. Resets the count it returns. */
uint64_t ratelimit_take_suppressed(RateLimit *rl, uint64_t now);
