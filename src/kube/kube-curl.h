/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libcurl's multi interface driven by sd-event: curl tells us which sockets to watch
 * and when to wake it (socket and timer callbacks), sd-event tells curl when they are
 * ready. One event loop then serves DHCP, varlink and Kubernetes; no thread, no
 * blocking call.
 *
 * This is only the glue. It knows nothing about Kubernetes; kube-client.c builds the
 * requests. Nothing may call into the client's users from inside a curl callback
 * (libcurl refuses recursive multi calls), so completed transfers and decoded data are
 * handed over from the on_progress/on_finished hooks, which run after curl returns.
 */
#pragma once

#include <curl/curl.h>
#include <systemd/sd-event.h>

#include "macro.h"

typedef struct KubeCurl KubeCurl;

/* Runs after every curl_multi_socket_action() round, before completions. */
typedef void (*KubeCurlProgress)(KubeCurl *g, void *userdata);
/* Runs once per finished transfer; the easy handle is still attached, the callee
 * removes (kube_curl_remove) and frees it. */
typedef void (*KubeCurlFinished)(KubeCurl *g, CURL *easy, CURLcode result, void *userdata);

int kube_curl_new(KubeCurl **ret, sd_event *e, KubeCurlProgress on_progress, KubeCurlFinished on_finished,
                  void *userdata);
/* Removes no handles: the owner must have removed its transfers first. */
KubeCurl *kube_curl_free(KubeCurl *g);
DEFINE_FREEP(KubeCurl, kube_curl_free);

int kube_curl_add(KubeCurl *g, CURL *easy);
int kube_curl_remove(KubeCurl *g, CURL *easy);

/* Dead-connection detection on every API connection (docs/kube.md): keepalive probes
 * after 15 s of silence, every 5 s, and TCP_USER_TIMEOUT 30 s. */
#define KUBE_TCP_KEEPIDLE_SEC 15
#define KUBE_TCP_KEEPINTVL_SEC 5
#define KUBE_TCP_KEEPCNT 3
#define KUBE_TCP_USER_TIMEOUT_MSEC 30000

/* Sets the options every transfer needs from the glue's point of view: no signals,
 * sockets created O_CLOEXEC|O_NONBLOCK, the keepalive and user timeout above. */
int kube_curl_setup_easy(CURL *easy);
