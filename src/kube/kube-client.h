/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Kubernetes API client for one host agent, running inside the caller's sd-event loop
 * (libcurl multi, see kube-curl.h): watch a Node reliably (LIST, then WATCH from the
 * list's resourceVersion with bookmarks, resume after disconnects, relist on 410 Gone,
 * jittered capped back-off), GET a Node, merge-patch its annotations and create core/v1
 * Events about it. Mutations are queued and retried in order until the API answers.
 *
 * Not a general Kubernetes client: it knows Nodes and Events only, and no informer
 * cache beyond the one watched object.
 *
 * Callbacks are never called from inside libcurl, so a callback may start new requests.
 * A callback may stop its own watch; it must not free the client.
 */
#pragma once

#include <stdint.h>
#include <json-c/json.h>
#include <systemd/sd-event.h>

#include "kube-config.h"
#include "kube-watch-machine.h"

typedef struct KubeClient KubeClient;

/* node is borrowed for the duration of the call (json_object_get() to keep it). The
 * handler should reconcile on the object's current state: after a relist it is called
 * with KUBE_NODE_SYNC even when nothing changed, and intermediate states missed while
 * the API server was unreachable are never replayed. */
typedef void (*KubeNodeHandler)(KubeClient *c, KubeNodeEventType type, json_object *node, void *userdata);

/* Named outcome of a request: the API server answered with a status that retrying
 * cannot fix (400, 403, 404, 409 on a patch, 422, ...). http_status says which. */
#define KUBE_REQUEST_E_STATUS 1

/* result: 0 on success; KUBE_REQUEST_E_STATUS; or -errno (GET only: transport errors
 * are not retried for a GET). response is the decoded JSON body, or NULL; borrowed. */
typedef void (*KubeRequestHandler)(KubeClient *c, int result, long http_status, json_object *response,
                                   void *userdata);

/* Mutations queued at most; beyond that kube_node_patch_annotations() and
 * kube_event_create() fail with -ENOBUFS. */
#define KUBE_CLIENT_QUEUE_MAX 256U

int kube_client_new(KubeClient **ret, sd_event *e, KubeConfig *config /* consumed */);
KubeClient *kube_client_free(KubeClient *c);
DEFINE_FREEP(KubeClient, kube_client_free);

/* Tuning, before starting watches. Defaults: back-off 500ms..30s; server-side watch
 * timeout drawn from [300s, 600s); object limit KUBE_WATCH_OBJECT_SIZE_MAX_DEFAULT. */
int kube_client_set_backoff(KubeClient *c, uint64_t initial_usec, uint64_t max_usec);
int kube_client_set_watch_timeout(KubeClient *c, unsigned seconds);
/* The object limit applies to watch events and, with 64 KiB for the envelope, to every
 * other response body (a list of one node, GET, PATCH). */
int kube_client_set_max_object_size(KubeClient *c, size_t size);

/* Response-body bytes received over all transfers (after content decoding). */
uint64_t kube_client_get_bytes_received(KubeClient *c);
/* Mutations not yet accepted by the API server (in flight included). */
unsigned kube_client_get_queue_length(KubeClient *c);

/* Requests started since kube_client_new (the first LIST and WATCH included), and the
 * last time (CLOCK_REALTIME usec, 0: never) a 2xx answer brought bytes. */
typedef struct KubeClientStats {
        uint64_t lists;
        uint64_t watches;
        uint64_t last_contact_usec;
} KubeClientStats;
void kube_client_get_stats(KubeClient *c, KubeClientStats *ret);

/* True for a valid Node name (RFC 1123 subdomain, at most 253 characters). */
bool kube_node_name_valid(const char *name);

/* Starts watching a node: cb gets SYNC after every (re)list and ADDED/MODIFIED/DELETED
 * in between. -EEXIST when that node is already watched. */
int kube_node_watch_start(KubeClient *c, const char *node, KubeNodeHandler cb, void *userdata);
/* -ENOENT when not watched. */
int kube_node_watch_stop(KubeClient *c, const char *node);

/* One GET, not retried. */
int kube_node_get(KubeClient *c, const char *node, KubeRequestHandler cb, void *userdata);

/* Merge patch (RFC 7386) {"metadata":{"annotations": annotations}}: a JSON null value
 * removes that key. annotations is serialized at call time (not consumed). Queued and
 * retried while the API server is unreachable or answers 401/429/5xx. cb may be NULL. */
int kube_node_patch_annotations(KubeClient *c, const char *node, json_object *annotations,
                                KubeRequestHandler cb, void *userdata);

/* Creates a core/v1 Event about the node in namespace "default" (where kubelet puts
 * Node events). type is "Normal" or "Warning"; reason a short CamelCase word; message
 * is cut to 1024 bytes. Queued and retried like a patch; a retried create that meets
 * 409 AlreadyExists counts as success. cb may be NULL. */
int kube_event_create(KubeClient *c, const char *node, const char *type, const char *reason,
                      const char *message, KubeRequestHandler cb, void *userdata);

