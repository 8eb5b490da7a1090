/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Capped exponential back-off with jitter for reconnecting to the API server.
 * Pure: the caller supplies the random seed; no clock, no I/O. It is not a timer: the
 * caller arms one with the returned delay.
 */
#pragma once

#include <stdint.h>

typedef struct KubeBackoff {
        uint64_t initial_usec;
        uint64_t max_usec;
        uint64_t base_usec;   /* un-jittered delay the next failure starts from */
        uint64_t rng;         /* xorshift64* state, never 0 */
} KubeBackoff;

/* initial must be > 0 and <= max. seed may be anything (0 is remapped). */
void kube_backoff_init(KubeBackoff *b, uint64_t initial_usec, uint64_t max_usec, uint64_t seed);

/* Returns the delay to wait before the next attempt and doubles the base for the one
 * after, up to max. The delay is drawn uniformly from [base/2, base] ("equal jitter"),
 * so a fleet of agents that lost the API server together does not reconnect in step,
 * while no delay ever collapses to zero. */
uint64_t kube_backoff_next(KubeBackoff *b);

/* After a success: the next failure waits about initial again. */
void kube_backoff_reset(KubeBackoff *b);

/* Next pseudo-random value from the same generator (for other jitter, e.g. watch
 * timeouts). */
uint64_t kube_backoff_random(KubeBackoff *b);
