/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Capped, jittered exponential back-off. Pure; see kube-backoff.h.
 */
#include "kube-backoff.h"

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
