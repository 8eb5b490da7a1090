/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Retry timing: capped, jittered exponential back-off, Retry-After, failure episodes,
 * the bookmark rhythm. Pure; see kube-backoff.h.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "kube-backoff.h"
#include "macro.h"
#include "time-util.h"

void kube_backoff_init(KubeBackoff *b, uint64_t initial_usec, uint64_t max_usec, uint64_t seed) {
        if (initial_usec == 0)
                initial_usec = 1;
        if (max_usec < initial_usec)
                max_usec = initial_usec;
        *b = (KubeBackoff) {
                .initial_usec = initial_usec,
                .max_usec = max_usec,
                .base_usec = initial_usec,
                /* xorshift has the all-zero state as a fixed point. */
                .rng = seed ? seed : UINT64_C(0x9E3779B97F4A7C15),
        };
}

uint64_t kube_backoff_random(KubeBackoff *b) {
        /* xorshift64* (Vigna): small, fast, good enough for jitter; not for secrets. */
        uint64_t x = b->rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        b->rng = x;
        return x * UINT64_C(0x2545F4914F6CDD1D);
}

uint64_t kube_backoff_next(KubeBackoff *b) {
        uint64_t base = b->base_usec, half = base / 2, delay;

        delay = half + kube_backoff_random(b) % (base - half + 1);

        if (base > b->max_usec / 2)
                b->base_usec = b->max_usec;
        else
                b->base_usec = base * 2;

        return delay;
}

void kube_backoff_reset(KubeBackoff *b) {
        b->base_usec = b->initial_usec;
}

int kube_retry_after_parse(const char *value, uint64_t now_realtime_usec, uint64_t *ret_delay_usec) {
        struct tm tm = {};
        const char *end;
        uint64_t secs;
        time_t t;

        if (!value || !ret_delay_usec)
                return -EINVAL;
        while (*value == ' ' || *value == '\t')
                value++;
        if (*value >= '0' && *value <= '9') {
                /* delta-seconds = 1*DIGIT; trailing blanks tolerated, nothing else. */
                secs = 0;
                for (; *value >= '0' && *value <= '9'; value++)
                        secs = secs > UINT64_MAX / 10 ? UINT64_MAX : secs * 10 + (uint64_t) (*value - '0');
                while (*value == ' ' || *value == '\t')
                        value++;
                if (*value)
                        return -EINVAL;
                *ret_delay_usec = secs >= KUBE_RETRY_AFTER_MAX_USEC / USEC_PER_SEC ? KUBE_RETRY_AFTER_MAX_USEC
                                                                                    : secs * USEC_PER_SEC;
                return 0;
        }
        /* IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT" (the form servers must send). */
        end = strptime(value, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        if (!end)
                return -EINVAL;
        while (*end == ' ' || *end == '\t')
                end++;
        if (*end)
                return -EINVAL;
        t = timegm(&tm);
        if (t == (time_t) -1 || t < 0)
                return -EINVAL;
        if ((uint64_t) t <= now_realtime_usec / USEC_PER_SEC)
                *ret_delay_usec = 0;
        else
                *ret_delay_usec = MIN(((uint64_t) t - now_realtime_usec / USEC_PER_SEC) * USEC_PER_SEC,
                                      KUBE_RETRY_AFTER_MAX_USEC);
        return 0;
}

bool kube_episode_fail(KubeEpisode *e, uint64_t now_usec) {
        if (e->failures++ > 0)
                return false;
        e->start_usec = now_usec;
        return true;
}

bool kube_episode_end(KubeEpisode *e, uint64_t now_usec, unsigned *ret_failures, uint64_t *ret_duration_usec) {
        if (e->failures == 0)
                return false;
        if (ret_failures)
                *ret_failures = e->failures;
        if (ret_duration_usec)
                *ret_duration_usec = now_usec > e->start_usec ? now_usec - e->start_usec : 0;
        *e = (KubeEpisode) {};
        return true;
}

void kube_bookmark_rhythm_stream(KubeBookmarkRhythm *r) {
        r->last_usec = 0;
}

void kube_bookmark_rhythm_bookmark(KubeBookmarkRhythm *r, uint64_t now_usec) {
        if (r->last_usec > 0 && now_usec > r->last_usec)
                r->interval_usec = now_usec - r->last_usec;
        r->last_usec = now_usec;
}

uint64_t kube_bookmark_rhythm_idle_timeout(const KubeBookmarkRhythm *r, unsigned timeout_sec) {
        uint64_t ceiling = ((uint64_t) timeout_sec + 30) * USEC_PER_SEC, d;

        if (r->interval_usec == 0)
                return ceiling;
        d = r->interval_usec > ceiling / KUBE_IDLE_MISSED_BOOKMARKS ? ceiling
                                                                    : r->interval_usec * KUBE_IDLE_MISSED_BOOKMARKS;
        return d < KUBE_IDLE_TIMEOUT_MIN_USEC ? MIN(KUBE_IDLE_TIMEOUT_MIN_USEC, ceiling) : d;
}
