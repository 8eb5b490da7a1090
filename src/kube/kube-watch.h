/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Incremental decoder for a Kubernetes watch stream (the JSON body of
 * `GET ...?watch=true`): a sequence of WatchEvent objects {"type": ..., "object": ...},
 * possibly split across chunks at any byte and many per chunk.
 *
 * This is a pure core: bytes in, events out. It never touches sockets, curl, clocks or
 * sd-event. HTTP chunked transfer-encoding is undone by the transport before bytes get
 * here; this module sees only the decoded body.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

#include "json-util.h"
#include "macro.h"

/* Default limit for one encoded watch event (object included). A Node with many images
 * and annotations stays well under 1 MiB; anything above this is treated as hostile. */
#define KUBE_WATCH_OBJECT_SIZE_MAX_DEFAULT ((size_t) 4 * 1024 * 1024)

typedef enum KubeWatchEventType {
        KUBE_WATCH_ADDED,
        KUBE_WATCH_MODIFIED,
        KUBE_WATCH_DELETED,
        KUBE_WATCH_BOOKMARK,
        KUBE_WATCH_ERROR,
        _KUBE_WATCH_EVENT_TYPE_MAX,
} KubeWatchEventType;

/* Named outcomes of kube_watch_decoder_feed(): positive, so they never collide with
 * -errno. After either of them the decoder is poisoned (every later feed returns the
 * same code): the stream is out of sync and the caller must drop the connection. */
enum {
        KUBE_WATCH_E_OVERSIZE = 1,  /* one event exceeds max_object_size */
        KUBE_WATCH_E_MALFORMED = 2, /* not JSON, not an object, unknown type, missing fields */
};

typedef struct KubeWatchEvent {
        KubeWatchEventType type;
        json_object *object;      /* owned reference: the "object" member */
        char *resource_version;   /* object.metadata.resourceVersion; NULL for ERROR */
        int status_code;          /* ERROR only: Status.code (e.g. 410), else 0 */
} KubeWatchEvent;

#define KUBE_WATCH_EVENT_NULL { .type = _KUBE_WATCH_EVENT_TYPE_MAX }

typedef struct KubeWatchDecoder KubeWatchDecoder;

int kube_watch_decoder_new(KubeWatchDecoder **ret, size_t max_object_size);
KubeWatchDecoder *kube_watch_decoder_free(KubeWatchDecoder *d);
DEFINE_FREEP(KubeWatchDecoder, kube_watch_decoder_free);

/* Forgets any partial event and queued events and clears the poisoned state; used when
 * the connection is replaced. */
void kube_watch_decoder_reset(KubeWatchDecoder *d);

/* Consumes len bytes. Returns 0, KUBE_WATCH_E_OVERSIZE, KUBE_WATCH_E_MALFORMED or
 * -ENOMEM. Events completed before an error stay queued and can still be popped. */
int kube_watch_decoder_feed(KubeWatchDecoder *d, const void *bytes, size_t len);

/* Returns 1 and moves the oldest complete event into *ret (caller owns it, release with
 * kube_watch_event_done()), or 0 when none is queued. */
int kube_watch_decoder_pop(KubeWatchDecoder *d, KubeWatchEvent *ret);

/* True when a partial event is buffered (bytes fed that do not complete an event). */
bool kube_watch_decoder_has_partial(const KubeWatchDecoder *d);

void kube_watch_event_done(KubeWatchEvent *e);

const char *kube_watch_event_type_to_string(KubeWatchEventType t);

/* metadata.name of a Kubernetes object, or NULL when missing or not a string. */
const char *kube_object_name(json_object *o);
/* metadata.resourceVersion of a Kubernetes object, or NULL likewise. */
const char *kube_object_resource_version(json_object *o);

/* A NodeList (the body of a LIST): its resourceVersion and, among its items, the
 * node named `node` (the server filtered by name already; this checks rather than
 * trusts it). Returns 0 with *ret_resource_version (non-empty) and *ret_node (NULL
 * when absent), both borrowed from body, or -EBADMSG when body is not a NodeList. */
int kube_node_list_parse(json_object *body, const char *node, const char **ret_resource_version,
                         json_object **ret_node);
int kube_watch_event_type_from_string(const char *s); /* the type, or -EINVAL */
