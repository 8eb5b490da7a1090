/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The watch of one Node as a pure state machine: the decisions of client-go's
 * reflector (LIST, then WATCH from the list's resourceVersion; resume from the last
 * resourceVersion when a stream ends; LIST again after 410 Gone or a broken stream;
 * jittered capped back-off after failures; a fresh token after 401; deliver each
 * change of the object once), with results, events and time in and queued actions
 * plus one deadline out, like the DHCP engine.
 *
 *   input                                 typical outputs
 *   kube_watch_machine_start(now)         deadline now
 *   kube_watch_machine_timeout(now)       LIST, or WATCH from kube_watch_machine_resource_version()
 *   kube_watch_machine_connect_failed()   REPORT, deadline after back-off
 *   kube_watch_machine_list_done()        DELIVER(SYNC), deadline now | REFRESH_TOKEN, REPORT, back-off
 *   kube_watch_machine_event()            DELIVER(ADDED/MODIFIED/DELETED) | DROP + LIST later
 *   kube_watch_machine_stream_done()      deadline now (resume) | REPORT, back-off
 *   kube_watch_machine_watching()         (the WATCH started: its idle deadline)
 *   kube_watch_machine_bytes()            (bytes arrived: the idle deadline moves)
 *
 * Failures are reported once per episode: the first as a warning, the next ones at
 * debug level, and one line when the watch works again (a list, an event or a
 * bookmark). A failure waits for the back-off or the server's Retry-After, whichever
 * is longer. A WATCH stream that carries no byte for its idle deadline (a few of the
 * server's bookmark intervals, learned from its bookmarks) is dropped as a failure.
 *
 * Not here: HTTP, curl, sd-event, JSON bodies (kube-client.c does the requests,
 * decodes the bodies with kube-watch.c and hands in the facts), clocks (`now` is CLOCK_BOOTTIME
 * usec from the caller), randomness (the back-off's seed is an input).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kube-backoff.h"
#include "kube-watch.h"

typedef enum KubeNodeEventType {
        KUBE_NODE_SYNC,     /* result of a (re)list: node is the current object, NULL if absent */
        KUBE_NODE_ADDED,
        KUBE_NODE_MODIFIED,
        KUBE_NODE_DELETED,  /* node is its last state */
        _KUBE_NODE_EVENT_TYPE_MAX,
} KubeNodeEventType;

const char *kube_node_event_type_to_string(KubeNodeEventType t);

typedef enum KubeWatchActionType {
        KUBE_WATCH_ACTION_LIST,          /* start a LIST of the node */
        KUBE_WATCH_ACTION_WATCH,         /* start a WATCH from kube_watch_machine_resource_version() */
        KUBE_WATCH_ACTION_DROP,          /* abandon the current stream: what else it carries is not used */
        KUBE_WATCH_ACTION_DELIVER,       /* hand the object of this input to the user as `node_event` */
        KUBE_WATCH_ACTION_REFRESH_TOKEN, /* re-read the bearer token (the API answered 401) */
        KUBE_WATCH_ACTION_REPORT,        /* log `text` at `level` (syslog LOG_*) */
} KubeWatchActionType;

typedef struct KubeWatchAction {
        KubeWatchActionType type;
        KubeNodeEventType node_event; /* DELIVER */
        int level;                    /* REPORT */
        char text[640];               /* REPORT */
} KubeWatchAction;

/* One input queues at most this many actions. */
#define KUBE_WATCH_MACHINE_QUEUE_SIZE 4
/* A watch stream that ends this soon without any event is treated as a failure, so a
 * server that closes at once cannot make the client spin. */
#define KUBE_WATCH_MIN_HEALTHY_USEC UINT64_C(1000000)

typedef struct KubeWatchMachine KubeWatchMachine;

/* node: the Node's name (copied). The back-off: initial..max usec, jitter seeded. */
int kube_watch_machine_new(KubeWatchMachine **ret, const char *node, uint64_t backoff_initial_usec,
                           uint64_t backoff_max_usec, uint64_t seed);
KubeWatchMachine *kube_watch_machine_free(KubeWatchMachine *m);
/* New back-off limits (kube_client_set_backoff), the state kept. */
void kube_watch_machine_set_backoff(KubeWatchMachine *m, uint64_t initial_usec, uint64_t max_usec, uint64_t seed);

/* Inputs. Each returns 0 or -ENOMEM (a copy of a resourceVersion failed: the machine
 * backs off and tries again, as after any failure). */
int kube_watch_machine_start(KubeWatchMachine *m, uint64_t now);
/* The deadline passed: connect (LIST or WATCH) unless a request is in flight. */
int kube_watch_machine_timeout(KubeWatchMachine *m, uint64_t now);
/* The LIST or WATCH just asked for could not even be started. */
int kube_watch_machine_connect_failed(KubeWatchMachine *m, uint64_t now);

typedef struct KubeWatchListResult {
        bool completed;                      /* the transfer ended normally (a full response) */
        long status;                         /* HTTP status, 0 if none */
        const char *why;                     /* the failure, for the report (e.g. "HTTP 500: ...") */
        bool node_list;                      /* the body is a NodeList with a resourceVersion */
        const char *resource_version;        /* the list's */
        bool present;                        /* the node is in it */
        const char *object_resource_version; /* the node's, NULL if absent or missing */
        uint64_t retry_after_usec;           /* the server's Retry-After (429, 5xx), 0 if none */
} KubeWatchListResult;
int kube_watch_machine_list_done(KubeWatchMachine *m, const KubeWatchListResult *res, uint64_t now);

/* One decoded watch event: its type, the object's resourceVersion and name (NULL when
 * missing), and for ERROR the Status code. Returns 1 when the stream goes on, 0 when
 * it must be dropped (DROP queued), -ENOMEM. */
int kube_watch_machine_event(KubeWatchMachine *m, KubeWatchEventType type, const char *resource_version,
                             const char *name, int status_code, uint64_t now);

typedef struct KubeWatchStreamResult {
        bool rejected;   /* the decoder refused the stream */
        bool oversize;   /* ... because one event was larger than the object size limit */
        bool completed;  /* the transfer ended normally (the server closed it at timeoutSeconds) */
        long status;     /* HTTP status, 0 if none */
        const char *why; /* the failure, for the report */
        uint64_t retry_after_usec; /* the server's Retry-After (429, 5xx), 0 if none */
} KubeWatchStreamResult;
int kube_watch_machine_stream_done(KubeWatchMachine *m, const KubeWatchStreamResult *res, uint64_t now);

/* The WATCH just asked for was started with this timeoutSeconds: from now on its
 * silence is timed (kube_bookmark_rhythm_idle_timeout()). */
void kube_watch_machine_watching(KubeWatchMachine *m, unsigned timeout_sec, uint64_t now);
/* Bytes of the WATCH stream arrived (cheap: may be called for every chunk). */
void kube_watch_machine_bytes(KubeWatchMachine *m, uint64_t now);

/* Outputs. pop_action returns 1 and fills *ret, or 0 when the queue is empty. */
int kube_watch_machine_pop_action(KubeWatchMachine *m, KubeWatchAction *ret);
/* The reconnect time, or while a WATCH runs its idle deadline; UINT64_MAX: none. */
uint64_t kube_watch_machine_next_deadline(const KubeWatchMachine *m);

/* Observers. */
const char *kube_watch_machine_resource_version(const KubeWatchMachine *m); /* where a WATCH resumes; NULL before a list */
bool kube_watch_machine_in_flight(const KubeWatchMachine *m);              /* a LIST or WATCH is running */
