/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The Node watch machine (kube-watch-machine.h); the protocol choices are in
 * docs/kube.md. Pure: no clock, no I/O; `now` comes in, actions go out.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "kube-watch-machine.h"
#include "macro.h"
#include "string-table.h"
#include "time-util.h"

struct KubeWatchMachine {
        char *node;
        bool have_list;         /* false: the next connect is a LIST */
        bool in_flight;         /* a LIST or WATCH is running */
        char *resource_version; /* where a WATCH resumes */
        char *object_rv;        /* resourceVersion of the object last delivered */
        KubeBackoff backoff;
        uint64_t deadline;
        uint64_t stream_start_usec;
        bool stream_progress;   /* the current stream delivered a non-ERROR event */
        unsigned gone_streak;   /* 410s without progress in between */
        KubeEpisode episode;    /* failures since the watch last worked */
        KubeBookmarkRhythm rhythm;
        bool watching;          /* the request in flight is a started WATCH */
        unsigned stream_timeout_sec;
        uint64_t idle_usec;     /* how long the stream may carry no byte */
        uint64_t last_byte_usec;

        KubeWatchAction queue[KUBE_WATCH_MACHINE_QUEUE_SIZE];
        size_t queue_head, queue_len;
};

static const char *const kube_node_event_type_table[_KUBE_NODE_EVENT_TYPE_MAX] = {
        [KUBE_NODE_SYNC] = "SYNC",
        [KUBE_NODE_ADDED] = "ADDED",
        [KUBE_NODE_MODIFIED] = "MODIFIED",
        [KUBE_NODE_DELETED] = "DELETED",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(kube_node_event_type, KubeNodeEventType)

int kube_watch_machine_new(KubeWatchMachine **ret, const char *node, uint64_t backoff_initial_usec,
                           uint64_t backoff_max_usec, uint64_t seed) {
        KubeWatchMachine *m;

        if (!ret || !node || backoff_initial_usec == 0 || backoff_max_usec < backoff_initial_usec)
                return -EINVAL;
        m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        m->node = strdup(node);
        if (!m->node) {
                free(m);
                return -ENOMEM;
        }
        kube_backoff_init(&m->backoff, backoff_initial_usec, backoff_max_usec, seed);
        m->deadline = USEC_INFINITY;
        *ret = m;
        return 0;
}

KubeWatchMachine *kube_watch_machine_free(KubeWatchMachine *m) {
        if (!m)
                return NULL;
        free(m->node);
        free(m->resource_version);
        free(m->object_rv);
        free(m);
        return NULL;
}

void kube_watch_machine_set_backoff(KubeWatchMachine *m, uint64_t initial_usec, uint64_t max_usec, uint64_t seed) {
        kube_backoff_init(&m->backoff, initial_usec, max_usec, seed);
}

static KubeWatchAction *push(KubeWatchMachine *m, KubeWatchActionType type) {
        KubeWatchAction *a;

        /* Inputs queue at most 3 actions and the caller drains after each: cannot fill. */
        if (m->queue_len >= KUBE_WATCH_MACHINE_QUEUE_SIZE)
                return NULL;
        a = &m->queue[(m->queue_head + m->queue_len++) % KUBE_WATCH_MACHINE_QUEUE_SIZE];
        *a = (KubeWatchAction) { .type = type };
        return a;
}

_printf_(3, 4) static void report(KubeWatchMachine *m, int level, const char *fmt, ...) {
        KubeWatchAction *a = push(m, KUBE_WATCH_ACTION_REPORT);
        int n;
        va_list ap;

        if (!a)
                return;
        a->level = level;
        n = snprintf(a->text, sizeof(a->text), "kube: node %s: ", m->node);
        va_start(ap, fmt);
        if (n >= 0 && (size_t) n < sizeof(a->text))
                vsnprintf(a->text + n, sizeof(a->text) - (size_t) n, fmt, ap);
        va_end(ap);
}

static void deliver(KubeWatchMachine *m, KubeNodeEventType type) {
        KubeWatchAction *a = push(m, KUBE_WATCH_ACTION_DELIVER);

        if (a)
                a->node_event = type;
}

static int set_string(char **p, const char *s) {
        char *n = NULL;

        if (s) {
                n = strdup(s);
                if (!n)
                        return -ENOMEM;
        }
        free(*p);
        *p = n;
        return 0;
}

/* Connect again once delay_usec has passed. */
static void schedule(KubeWatchMachine *m, uint64_t now, uint64_t delay_usec) {
        m->deadline = usec_add(now, delay_usec);
}

/* A failure: the back-off, or the server's Retry-After when longer. Reported once per
 * episode (a warning), the failures after it at debug level. */
static void backoff_at_least(KubeWatchMachine *m, uint64_t now, const char *why, uint64_t min_delay_usec) {
        uint64_t d = kube_backoff_next(&m->backoff); /* not inside MAX(): it would run twice */
        const char *next = m->have_list ? "resuming the watch" : "listing again";

        d = MAX(d, min_delay_usec);
        if (kube_episode_fail(&m->episode, now))
                report(m, LOG_WARNING,
                       "%s; %s in %" PRIu64 "ms, retrying with back-off (further failures are logged at debug "
                       "level until it recovers)",
                       why, next, d / USEC_PER_MSEC);
        else
                report(m, LOG_DEBUG, "%s; %s in %" PRIu64 "ms (failure %u of this episode)", why, next,
                       d / USEC_PER_MSEC, m->episode.failures);
        schedule(m, now, d);
}

static void backoff(KubeWatchMachine *m, uint64_t now, const char *why) {
        backoff_at_least(m, now, why, 0);
}

/* The watch works (a list answered, an event or a bookmark arrived): the end of an
 * episode, if one was running. */
static void recovered(KubeWatchMachine *m, uint64_t now) {
        uint64_t dur = 0;
        unsigned n = 0;

        if (kube_episode_end(&m->episode, now, &n, &dur))
                report(m, LOG_INFO, "watch recovered after %u failed attempt%s in %" PRIu64 ".%01" PRIu64 "s", n,
                       n == 1 ? "" : "s", dur / USEC_PER_SEC, dur % USEC_PER_SEC / (USEC_PER_SEC / 10));
}

/* 410 Gone: what a WATCH would resume from was compacted away; only a fresh LIST
 * restores a consistent view. A second one right after a list backs off. */
static void gone(KubeWatchMachine *m, uint64_t now, const char *how) {
        report(m, LOG_INFO, "resourceVersion %s expired (%s), listing again", m->resource_version ?: "(none)", how);
        m->have_list = false;
        if (m->gone_streak++ == 0)
                schedule(m, now, 0);
        else
                backoff(m, now, "410 Gone again right after a list");
}

int kube_watch_machine_start(KubeWatchMachine *m, uint64_t now) {
        schedule(m, now, 0);
        return 0;
}

int kube_watch_machine_timeout(KubeWatchMachine *m, uint64_t now) {
        if (m->in_flight && m->watching && now >= usec_add(m->last_byte_usec, m->idle_usec)) {
                char why[96];

                /* Alive to TCP perhaps, but the server (or a proxy) stopped sending. */
                snprintf(why, sizeof(why), "watch silent for %" PRIu64 "s (no event, no bookmark)",
                         usec_sub(now, m->last_byte_usec) / USEC_PER_SEC);
                (void) push(m, KUBE_WATCH_ACTION_DROP);
                m->in_flight = m->watching = false;
                backoff(m, now, why);
                return 0;
        }
        if (m->in_flight || now < m->deadline)
                return 0;
        m->deadline = USEC_INFINITY;
        m->in_flight = true;
        if (!m->have_list) {
                (void) push(m, KUBE_WATCH_ACTION_LIST);
                return 0;
        }
        m->stream_start_usec = now;
        m->stream_progress = false;
        (void) push(m, KUBE_WATCH_ACTION_WATCH);
        return 0;
}

int kube_watch_machine_connect_failed(KubeWatchMachine *m, uint64_t now) {
        m->in_flight = m->watching = false;
        backoff(m, now, "request setup failed");
        return 0;
}

int kube_watch_machine_list_done(KubeWatchMachine *m, const KubeWatchListResult *res, uint64_t now) {
        m->in_flight = m->watching = false;
        if (!res->completed || res->status != 200) {
                if (res->status == 401)
                        (void) push(m, KUBE_WATCH_ACTION_REFRESH_TOKEN);
                backoff_at_least(m, now, res->why ?: "list failed", res->retry_after_usec);
                return 0;
        }
        if (!res->node_list || !res->resource_version || !*res->resource_version) {
                backoff(m, now, "list response is not a NodeList");
                return 0;
        }
        if (set_string(&m->resource_version, res->resource_version) < 0) {
                backoff(m, now, "out of memory");
                return -ENOMEM;
        }
        (void) set_string(&m->object_rv, res->present ? res->object_resource_version : NULL);
        m->have_list = true;
        recovered(m, now);
        report(m, LOG_INFO, "listed at resourceVersion %s (%s)", m->resource_version,
               res->present ? "present" : "absent");
        deliver(m, KUBE_NODE_SYNC);
        schedule(m, now, 0);
        return 0;
}

int kube_watch_machine_event(KubeWatchMachine *m, KubeWatchEventType type, const char *resource_version,
                             const char *name, int status_code, uint64_t now) {
        switch (type) {
        case KUBE_WATCH_ERROR:
                (void) push(m, KUBE_WATCH_ACTION_DROP);
                m->in_flight = m->watching = false;
                if (status_code == 410)
                        gone(m, now, "410 Gone");
                else {
                        char why[64];

                        snprintf(why, sizeof(why), "watch ERROR event with status %d", status_code);
                        /* Unknown state of the stream: relisting is the safe answer. */
                        m->have_list = false;
                        backoff(m, now, why);
                }
                return 0;

        case KUBE_WATCH_BOOKMARK:
                /* A bookmark only moves the resume point forward (KEP-956), and tells
                 * how often the server sends them. */
                kube_bookmark_rhythm_bookmark(&m->rhythm, now);
                if (m->watching)
                        m->idle_usec = kube_bookmark_rhythm_idle_timeout(&m->rhythm, m->stream_timeout_sec);
                m->stream_progress = true;
                m->gone_streak = 0;
                recovered(m, now);
                (void) set_string(&m->resource_version, resource_version);
                return 1;

        case KUBE_WATCH_ADDED:
        case KUBE_WATCH_MODIFIED:
        case KUBE_WATCH_DELETED:
                m->stream_progress = true;
                m->gone_streak = 0;
                recovered(m, now);
                if (set_string(&m->resource_version, resource_version) < 0)
                        return 1; /* the next resume replays from the older version: harmless */
                if (!name || strcmp(name, m->node) != 0) {
                        /* A server ignoring the field selector; never act on another node. */
                        report(m, LOG_DEBUG, "ignoring event for node %s", name ?: "(unnamed)");
                        return 1;
                }
                if (type == KUBE_WATCH_DELETED) {
                        free(m->object_rv);
                        m->object_rv = NULL;
                        deliver(m, KUBE_NODE_DELETED);
                        return 1;
                }
                /* The same object version twice (a replay after a reconnect) is not a change. */
                if (m->object_rv && resource_version && strcmp(m->object_rv, resource_version) == 0)
                        return 1;
                (void) set_string(&m->object_rv, resource_version);
                deliver(m, type == KUBE_WATCH_ADDED ? KUBE_NODE_ADDED : KUBE_NODE_MODIFIED);
                return 1;
        default:
                return 1;
        }
}

int kube_watch_machine_stream_done(KubeWatchMachine *m, const KubeWatchStreamResult *res, uint64_t now) {
        m->in_flight = m->watching = false;
        if (res->rejected) {
                report(m, LOG_WARNING, "watch stream rejected: %s",
                       res->oversize ? "event larger than the object size limit" : "malformed event");
                /* Resuming would replay the same bytes: relist instead, which gets the
                 * current object (by then perhaps back within the limit). */
                m->have_list = false;
                backoff(m, now, "bad watch stream");
        } else if (res->completed && res->status == 200) {
                /* The server ended the stream at timeoutSeconds: resume at once. */
                if (m->stream_progress || usec_sub(now, m->stream_start_usec) >= KUBE_WATCH_MIN_HEALTHY_USEC) {
                        if (m->stream_progress)
                                kube_backoff_reset(&m->backoff);
                        report(m, LOG_DEBUG, "watch ended, resuming from %s", m->resource_version ?: "(none)");
                        schedule(m, now, 0);
                } else
                        backoff(m, now, "watch stream ended at once");
        } else if (res->status == 410)
                gone(m, now, "HTTP 410");
        else {
                if (res->status == 401)
                        (void) push(m, KUBE_WATCH_ACTION_REFRESH_TOKEN);
                if (m->stream_progress)
                        kube_backoff_reset(&m->backoff);
                backoff_at_least(m, now, res->why ?: "watch failed", res->retry_after_usec);
        }
        return 0;
}

void kube_watch_machine_watching(KubeWatchMachine *m, unsigned timeout_sec, uint64_t now) {
        if (!m->in_flight || !m->have_list)
                return; /* only a WATCH that was asked for */
        m->watching = true;
        m->stream_timeout_sec = timeout_sec;
        m->last_byte_usec = now;
        kube_bookmark_rhythm_stream(&m->rhythm);
        m->idle_usec = kube_bookmark_rhythm_idle_timeout(&m->rhythm, timeout_sec);
}

void kube_watch_machine_bytes(KubeWatchMachine *m, uint64_t now) {
        if (m->watching && now > m->last_byte_usec)
                m->last_byte_usec = now;
}

int kube_watch_machine_pop_action(KubeWatchMachine *m, KubeWatchAction *ret) {
        if (m->queue_len == 0)
                return 0;
        *ret = m->queue[m->queue_head];
        m->queue_head = (m->queue_head + 1) % KUBE_WATCH_MACHINE_QUEUE_SIZE;
        m->queue_len--;
        return 1;
}

uint64_t kube_watch_machine_next_deadline(const KubeWatchMachine *m) {
        if (m->in_flight)
                return m->watching ? usec_add(m->last_byte_usec, m->idle_usec) : USEC_INFINITY;
        return m->deadline;
}

const char *kube_watch_machine_resource_version(const KubeWatchMachine *m) {
        return m->resource_version;
}

bool kube_watch_machine_in_flight(const KubeWatchMachine *m) {
        return m->in_flight;
}
