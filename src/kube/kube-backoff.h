/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The client's retry timing policy: capped exponential back-off with jitter, the
 * server's Retry-After, failure episodes (log once when trouble starts, once when it
 * ends) and the idle deadline of a watch learned from the server's bookmarks.
 * Pure: the caller supplies the random seed and the time; no clock, no I/O. Nothing
 * here is a timer: the caller arms one with the returned delays.
 */
#pragma once

#include <stdbool.h>
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

/* Retry-After (RFC 9110 §10.2.3) of a 429 or 503: delta-seconds or an HTTP-date
 * (IMF-fixdate, compared with now_realtime_usec). Returns 0 and the delay, at most
 * KUBE_RETRY_AFTER_MAX_USEC (a date in the past: 0); -EINVAL when it is neither. */
#define KUBE_RETRY_AFTER_MAX_USEC ((uint64_t) 300 * 1000000)
int kube_retry_after_parse(const char *value, uint64_t now_realtime_usec, uint64_t *ret_delay_usec);

/* A failure episode: consecutive failures of one activity (a watch, the mutation
 * queue) until it succeeds again. */
typedef struct KubeEpisode {
        unsigned failures;
        uint64_t start_usec;
} KubeEpisode;

/* Counts a failure; true when it starts an episode (the one to log as a warning). */
bool kube_episode_fail(KubeEpisode *e, uint64_t now_usec);
/* After a success: true when it ended an episode, with how many failures it had and
 * how long it lasted (the one line that says it recovered). */
bool kube_episode_end(KubeEpisode *e, uint64_t now_usec, unsigned *ret_failures, uint64_t *ret_duration_usec);

/* The rhythm of a server's watch bookmarks (KEP-956: kube-apiserver sends them
 * periodically on watches that asked for them), learned from consecutive bookmarks
 * on one stream, so that a watch which goes silent (headers and then nothing, or not
 * even headers) is given up after a few missed bookmarks instead of after
 * timeoutSeconds + 30 s. */
typedef struct KubeBookmarkRhythm {
        uint64_t last_usec;     /* last bookmark on the current stream; 0: none yet */
        uint64_t interval_usec; /* last interval seen between two; 0: not learned */
} KubeBookmarkRhythm;

#define KUBE_IDLE_MISSED_BOOKMARKS 3
#define KUBE_IDLE_TIMEOUT_MIN_USEC ((uint64_t) 10 * 1000000)

/* A new stream starts: intervals are measured within one stream only. */
void kube_bookmark_rhythm_stream(KubeBookmarkRhythm *r);
void kube_bookmark_rhythm_bookmark(KubeBookmarkRhythm *r, uint64_t now_usec);
/* How long a watch with this timeoutSeconds may carry no byte before it is dead:
 * KUBE_IDLE_MISSED_BOOKMARKS intervals (at least KUBE_IDLE_TIMEOUT_MIN_USEC) once the
 * rhythm is known, never more than timeoutSeconds + 30 s, which is also the deadline
 * while it is not. */
uint64_t kube_bookmark_rhythm_idle_timeout(const KubeBookmarkRhythm *r, unsigned timeout_sec);
