/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Kubernetes API client: the requests of the Node watch, GET, queued mutations
 * (annotation patches, Events), bearer-token rotation, as libcurl multi transfers in
 * sd-event (kube-curl.c). The decisions of the watch are the pure
 * kube-watch-machine.c's, watch bytes and list bodies are decoded by the pure
 * kube-watch.c, back-off delays come from the pure kube-backoff.c: this file only
 * carries them out. See kube-client.h for the contract and docs/kube.md for the
 * protocol choices.
 *
 * Watch protocol, per node (as client-go's reflector does it; kube-watch-machine.h):
 *   LIST  GET /api/v1/nodes?fieldSelector=metadata.name=<node>
 *         -> SYNC(node or NULL), remember the list's resourceVersion
 *   WATCH GET ...&watch=true&allowWatchBookmarks=true&resourceVersion=<rv>&timeoutSeconds=<t>
 *         -> ADDED/MODIFIED/DELETED (delivered) and BOOKMARK (rv only)
 *   stream ends after timeoutSeconds      -> WATCH again from the last rv at once
 *   410 Gone (HTTP status or ERROR event) -> LIST again (the rv was compacted away)
 *   connection error, 5xx, 429, ...       -> WATCH again from the last rv after back-off
 *   401                                   -> re-read the token file, then back-off
 * The field selector makes the API server filter server-side, so the agent receives its
 * own node's traffic only, whatever the cluster size.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "event-util.h"
#include "fileio.h"
#include "kube-backoff.h"
#include "kube-client.h"
#include "kube-curl.h"
#include "kube-watch.h"
#include "log.h"
#include "string-table.h"
#include "time-util.h"

#define TOKEN_FILE_SIZE_MAX ((size_t) 64 * 1024)
#define ERROR_BODY_SIZE_MAX ((size_t) 64 * 1024)
#define RESPONSE_ENVELOPE_MAX ((size_t) 64 * 1024)
#define EVENT_MESSAGE_MAX 1024U
#define EVENT_REASON_MAX 128U
#define CONNECT_TIMEOUT_SEC 10L
#define REQUEST_TIMEOUT_SEC 60L

typedef enum TransferKind {
        TRANSFER_LIST,
        TRANSFER_WATCH,
        TRANSFER_GET,
        TRANSFER_MUTATION,
} TransferKind;

typedef struct NodeWatch NodeWatch;
typedef struct Mutation Mutation;
typedef struct Transfer Transfer;

struct Transfer {
        KubeClient *client;
        TransferKind kind;
        CURL *easy;
        struct curl_slist *headers;
        char *url;
        char *request_body;

        char *buf;                 /* response body (not for a 200 watch stream) */
        size_t size, limit;
        bool overflow;
        int decode_error;          /* KUBE_WATCH_E_* that aborted a watch stream */

        NodeWatch *watch;          /* LIST, WATCH */
        Mutation *mutation;        /* MUTATION */
        KubeRequestHandler get_cb; /* GET */
        void *get_userdata;

        Transfer *prev, *next;
};

struct NodeWatch {
        KubeClient *client;
        char *node;
        KubeNodeHandler cb;
        void *userdata;
        bool dead;                 /* stopped from a callback; freed after dispatch */

        KubeWatchMachine *machine; /* every decision of the watch */
        KubeWatchDecoder *decoder;
        Transfer *transfer;
        sd_event_source *retry;    /* the machine's deadline */

        NodeWatch *next;
};

typedef enum MutationKind {
        MUTATION_PATCH,
        MUTATION_EVENT,
} MutationKind;

struct Mutation {
        MutationKind kind;
        char *path;
        char *content_type;
        char *body;
        const char *method;
        KubeRequestHandler cb;
        void *userdata;
        unsigned attempts;
        Mutation *next;
};

struct KubeClient {
        sd_event *event;
        KubeConfig *config;
        KubeCurl *curl;

        char *token;               /* current bearer token */
        struct stat token_stat;    /* of token_file when token was read */
        bool token_stat_valid;

        uint64_t backoff_initial_usec, backoff_max_usec;
        unsigned watch_timeout_sec;
        size_t max_object_size;
        KubeBackoff rng;           /* event names, watch timeout jitter */

        NodeWatch *watches;
        Transfer *transfers;

        Mutation *queue_head, *queue_tail;
        unsigned n_queue;
        Transfer *mutation_transfer;
        sd_event_source *mutation_retry;
        KubeBackoff mutation_backoff;
        KubeEpisode mutation_episode;

        unsigned dispatching;
        uint64_t bytes_received;
        KubeClientStats stats;
};

bool kube_node_name_valid(const char *name) {
        /* RFC 1123 subdomain: dot-separated labels of [a-z0-9-], each starting and
         * ending alphanumeric; 253 characters at most (Kubernetes' IsDNS1123Subdomain). */
        size_t n, label = 0;
        char prev = '.';

        if (!name)
                return false;
        n = strlen(name);
        if (n == 0 || n > 253)
                return false;

        for (size_t i = 0; i < n; i++) {
                char ch = name[i];

                if (ch == '.') {
                        if (prev == '.' || prev == '-')
                                return false;
                        label = 0;
                } else if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) {
                        label++;
                } else if (ch == '-') {
                        if (prev == '.')
                                return false;
                        label++;
                } else
                        return false;
                if (label > 63)
                        return false;
                prev = ch;
        }
        return prev != '.' && prev != '-';
}

/* Token handling. */

static bool has_control_chars(const char *s) {
        for (; *s; s++)
                if ((unsigned char) *s < 0x20 || *s == 0x7f)
                        return true;
        return false;
}

/* Re-reads the token file when it changed (bound service-account tokens are rotated by
 * kubelet by swapping a symlink, which changes inode and mtime) or when forced after a
 * 401. A bad read keeps the previous token: better an old token than none. */
static void client_refresh_token(KubeClient *c, bool force) {
        _cleanup_(freep) char *t = NULL;
        struct stat st;
        size_t n;
        int r;

        if (!c->config->token_file)
                return;

        if (stat(c->config->token_file, &st) < 0) {
                log_warning_errno(errno, "kube: cannot stat token file %s, keeping the current token: %m",
                                  c->config->token_file);
                return;
        }
        if (!force && c->token && c->token_stat_valid && st.st_ino == c->token_stat.st_ino &&
            st.st_dev == c->token_stat.st_dev && st.st_size == c->token_stat.st_size &&
            st.st_mtim.tv_sec == c->token_stat.st_mtim.tv_sec && st.st_mtim.tv_nsec == c->token_stat.st_mtim.tv_nsec)
                return;

        r = read_file_full(c->config->token_file, TOKEN_FILE_SIZE_MAX, &t, &n);
        if (r < 0) {
                log_warning_errno(r, "kube: cannot read token file %s, keeping the current token: %m",
                                  c->config->token_file);
                return;
        }
        while (n > 0 && (t[n - 1] == '\n' || t[n - 1] == '\r' || t[n - 1] == ' ' || t[n - 1] == '\t'))
                t[--n] = 0;
        if (n == 0 || strlen(t) != n || has_control_chars(t)) {
                log_warning("kube: token file %s is empty or not a token, keeping the current token",
                            c->config->token_file);
                return;
        }

        if (!c->token || strcmp(c->token, t) != 0)
                log_info("kube: loaded bearer token from %s", c->config->token_file);
        if (c->token)
                explicit_bzero(c->token, strlen(c->token));
        free(c->token);
        c->token = t;
        t = NULL;
        c->token_stat = st;
        c->token_stat_valid = true;
}

/* Transfers. */

static Transfer *transfer_free(Transfer *t) {
        if (!t)
                return NULL;
        if (t->easy) {
                (void) kube_curl_remove(t->client->curl, t->easy);
                curl_easy_cleanup(t->easy);
        }
        if (t->prev)
                t->prev->next = t->next;
        else if (t->client->transfers == t)
                t->client->transfers = t->next;
        if (t->next)
                t->next->prev = t->prev;
        curl_slist_free_all(t->headers);
        free(t->url);
        free(t->request_body);
        free(t->buf);
        free(t);
        return NULL;
}

static size_t transfer_on_write(char *ptr, size_t size, size_t nmemb, void *userdata) {
        Transfer *t = userdata;
        size_t n;
        char *b;

        if (nmemb != 0 && size > SIZE_MAX / nmemb)
                return 0;
        n = size * nmemb;
        t->client->bytes_received += n;
        {
                long code = 0;
                (void) curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &code);
                if (code >= 200 && code < 300) {
                        t->client->stats.last_contact_usec = clock_now(CLOCK_REALTIME);
                }
        }

        if (t->kind == TRANSFER_WATCH) {
                long code = 0;

                (void) curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &code);
                if (code == 200) {
                        /* Only decode here; events are dispatched after curl returns.
                         * The machine only notes the time (its idle deadline). */
                        int r;

                        if (t->watch) {
                                uint64_t now = 0;

                                (void) sd_event_now(t->client->event, CLOCK_BOOTTIME, &now);
                                kube_watch_machine_bytes(t->watch->machine, now);
                        }
                        r = kube_watch_decoder_feed(t->watch->decoder, ptr, n);
                        if (r != 0) {
                                t->decode_error = r;
                                return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
                        }
                        return n;
                }
        }

        if (n > t->limit - t->size) {
                t->overflow = true;
                return 0;
        }
        b = realloc(t->buf, t->size + n + 1);
        if (!b)
                return 0;
        memcpy(b + t->size, ptr, n);
        t->size += n;
        b[t->size] = 0;
        t->buf = b;
        return n;
}

static int transfer_new(KubeClient *c, TransferKind kind, const char *method, const char *url,
                        const char *content_type, char *body /* consumed */, Transfer **ret) {
        _cleanup_(freep) char *body_owned = body;
        Transfer *t;
        CURL *e;
        KubeConfig *cfg = c->config;
        struct curl_slist *h;
        int r;

        t = calloc(1, sizeof(*t));
        if (!t)
                return -ENOMEM;
        t->client = c;
        t->kind = kind;
        /* A list of one node, a node from GET or PATCH: the object limit plus room for
         * the envelope. A 200 watch stream is not buffered (the decoder limits it). */
        t->limit = kind == TRANSFER_WATCH ? ERROR_BODY_SIZE_MAX : c->max_object_size + RESPONSE_ENVELOPE_MAX;
        t->request_body = body_owned;
        body_owned = NULL;
        t->next = c->transfers;
        if (t->next)
                t->next->prev = t;
        c->transfers = t;

        t->url = strdup(url);
        if (!t->url)
                goto oom;
        t->easy = e = curl_easy_init();
        if (!e)
                goto oom;

        r = kube_curl_setup_easy(e);
        if (r < 0) {
                transfer_free(t);
                return r;
        }

        client_refresh_token(c, false);

        /* "Expect:" suppresses 100-continue round trips on larger bodies. */
        h = curl_slist_append(NULL, "Accept: application/json");
        if (!h)
                goto oom;
        t->headers = h;
        if (!curl_slist_append(t->headers, "Expect:"))
                goto oom;
        if (content_type) {
                _cleanup_(freep) char *ct = NULL;
                if (asprintf(&ct, "Content-Type: %s", content_type) < 0)
                        goto oom;
                if (!curl_slist_append(t->headers, ct))
                        goto oom;
        }
        if (c->token) {
                _cleanup_(freep) char *auth = NULL;
                if (asprintf(&auth, "Authorization: Bearer %s", c->token) < 0)
                        goto oom;
                h = curl_slist_append(t->headers, auth);
                explicit_bzero(auth, strlen(auth));
                if (!h)
                        goto oom;
        }

        CURLcode cr = CURLE_OK;
#define SETOPT(o, v)                                                                               \
        do {                                                                                       \
                if (cr == CURLE_OK)                                                                \
                        cr = curl_easy_setopt(e, o, v);                                            \
        } while (0)

        SETOPT(CURLOPT_URL, t->url);
        SETOPT(CURLOPT_PRIVATE, t);
        SETOPT(CURLOPT_WRITEFUNCTION, transfer_on_write);
        SETOPT(CURLOPT_WRITEDATA, t);
        SETOPT(CURLOPT_HTTPHEADER, t->headers);
        SETOPT(CURLOPT_USERAGENT, "infradhcp/" PACKAGE_VERSION);
        SETOPT(CURLOPT_PROTOCOLS_STR, "https,http");
        SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
        SETOPT(CURLOPT_ACCEPT_ENCODING, "");
        SETOPT(CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_SEC);
        /* The same as kube-curl.c's socket options, which also set the probe count and
         * TCP_USER_TIMEOUT (docs/kube.md, Dead connections). */
        SETOPT(CURLOPT_TCP_KEEPALIVE, 1L);
        SETOPT(CURLOPT_TCP_KEEPIDLE, (long) KUBE_TCP_KEEPIDLE_SEC);
        SETOPT(CURLOPT_TCP_KEEPINTVL, (long) KUBE_TCP_KEEPINTVL_SEC);
        if (kind != TRANSFER_WATCH)
                SETOPT(CURLOPT_TIMEOUT, REQUEST_TIMEOUT_SEC);

        if (cfg->insecure_skip_tls_verify) {
                SETOPT(CURLOPT_SSL_VERIFYPEER, 0L);
                SETOPT(CURLOPT_SSL_VERIFYHOST, 0L);
        } else if (cfg->ca_file)
                SETOPT(CURLOPT_CAINFO, cfg->ca_file);
        else if (cfg->ca_data) {
                struct curl_blob blob = { .data = cfg->ca_data, .len = cfg->ca_data_size, .flags = CURL_BLOB_COPY };
                SETOPT(CURLOPT_CAINFO_BLOB, &blob);
        }
        if (cfg->client_cert_file) {
                SETOPT(CURLOPT_SSLCERT, cfg->client_cert_file);
                SETOPT(CURLOPT_SSLCERTTYPE, "PEM");
        } else if (cfg->client_cert_data) {
                struct curl_blob blob = { .data = cfg->client_cert_data, .len = cfg->client_cert_data_size,
                                          .flags = CURL_BLOB_COPY };
                SETOPT(CURLOPT_SSLCERT_BLOB, &blob);
                SETOPT(CURLOPT_SSLCERTTYPE, "PEM");
        }
        if (cfg->client_key_file) {
                SETOPT(CURLOPT_SSLKEY, cfg->client_key_file);
                SETOPT(CURLOPT_SSLKEYTYPE, "PEM");
        } else if (cfg->client_key_data) {
                struct curl_blob blob = { .data = cfg->client_key_data, .len = cfg->client_key_data_size,
                                          .flags = CURL_BLOB_COPY };
                SETOPT(CURLOPT_SSLKEY_BLOB, &blob);
                SETOPT(CURLOPT_SSLKEYTYPE, "PEM");
        }

        if (strcmp(method, "GET") != 0) {
                SETOPT(CURLOPT_POSTFIELDSIZE, (long) (t->request_body ? strlen(t->request_body) : 0));
                SETOPT(CURLOPT_POSTFIELDS, t->request_body ?: "");
                if (strcmp(method, "POST") != 0)
                        SETOPT(CURLOPT_CUSTOMREQUEST, method);
        }
#undef SETOPT
        if (cr == CURLE_OUT_OF_MEMORY)
                goto oom;
        if (cr != CURLE_OK) {
                log_error("kube: cannot set up request: %s", curl_easy_strerror(cr));
                transfer_free(t);
                return -EIO;
        }

        r = kube_curl_add(c->curl, e);
        if (r < 0) {
                transfer_free(t);
                return r;
        }

        *ret = t;
        return 0;

oom:
        transfer_free(t);
        return -ENOMEM;
}

static long transfer_status(Transfer *t) {
        long code = 0;
        (void) curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &code);
        return code;
}

/* Parses a response body; NULL when empty or not JSON. */
static json_object *transfer_parse_body(Transfer *t) {
        json_object *o = NULL;

        if (!t->buf)
                return NULL;
        return json_parse(t->buf, t->size, JSON_PARSE_TRAILING_ANY, &o, NULL, NULL) < 0 ? NULL : o;
}

/* For logs: the message of a metav1.Status body, else the curl error. */
static void transfer_describe(Transfer *t, CURLcode result, char *buf, size_t len) {
        json_object *body, *msg;
        long code = transfer_status(t);

        if (result != CURLE_OK && code == 0) {
                snprintf(buf, len, "%s", curl_easy_strerror(result));
                return;
        }
        body = transfer_parse_body(t);
        if (body && json_object_object_get_ex(body, "message", &msg) && json_object_is_type(msg, json_type_string))
                snprintf(buf, len, "HTTP %ld: %.200s", code, json_object_get_string(msg));
        else if (result != CURLE_OK)
                snprintf(buf, len, "HTTP %ld, then %s", code, curl_easy_strerror(result));
        else
                snprintf(buf, len, "HTTP %ld", code);
        json_object_put(body);
        for (char *p = buf; *p; p++)
                if ((unsigned char) *p < 0x20)
                        *p = ' ';
}

/* The server's Retry-After on a 429 or 5xx (as client-go honours it), 0 without one. */
static uint64_t transfer_retry_after(Transfer *t) {
        struct curl_header *h = NULL;
        uint64_t d = 0;
        long code = transfer_status(t);

        if (code != 429 && (code < 500 || code > 599))
                return 0;
        if (curl_easy_header(t->easy, "Retry-After", 0, CURLH_HEADER, -1, &h) != CURLHE_OK || !h)
                return 0;
        if (kube_retry_after_parse(h->value, clock_now(CLOCK_REALTIME), &d) < 0) {
                log_debug("kube: ignoring unusable Retry-After \"%.64s\"", h->value);
                return 0;
        }
        return d;
}

static int curl_result_to_errno(CURLcode result) {
        switch (result) {
        case CURLE_OK:
                return 0;
        case CURLE_OUT_OF_MEMORY:
                return -ENOMEM;
        case CURLE_OPERATION_TIMEDOUT:
                return -ETIMEDOUT;
        case CURLE_COULDNT_RESOLVE_HOST:
                return -EHOSTUNREACH;
        case CURLE_COULDNT_CONNECT:
                return -ECONNREFUSED;
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CACERT_BADFILE:
                return -EPROTO;
        case CURLE_RECV_ERROR:
        case CURLE_SEND_ERROR:
        case CURLE_PARTIAL_FILE:
        case CURLE_GOT_NOTHING:
                return -ECONNRESET;
        case CURLE_WRITE_ERROR:
                return -EMSGSIZE;
        default:
                return -EIO;
        }
}

/* Watch: every decision is kube-watch-machine's; this carries out its actions with
 * curl transfers and one sd-event timer per watch. */

static uint64_t client_now(KubeClient *c) {
        uint64_t now = 0;

        (void) sd_event_now(c->event, CLOCK_BOOTTIME, &now);
        return now;
}

static void watch_run(NodeWatch *w, json_object *object);

static int watch_on_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        NodeWatch *w = userdata;

        (void) kube_watch_machine_timeout(w->machine, client_now(w->client));
        watch_run(w, NULL);
        return 0;
}

/* One timer, re-armed from the machine's deadline after every input. */
static void watch_arm(NodeWatch *w) {
        int r = event_reset_time(w->client->event, &w->retry, CLOCK_BOOTTIME,
                                 kube_watch_machine_next_deadline(w->machine), 0, watch_on_retry, w,
                                 "kube-watch-retry");

        if (r < 0)
                /* Without a timer the watch would silently stop: make it loud. */
                log_error_errno(r, "kube: node %s: cannot arm the reconnect timer, watch stopped: %m", w->node);
}

static void watch_drop_transfer(NodeWatch *w) {
        if (w->transfer) {
                w->transfer->watch = NULL;
                w->transfer = transfer_free(w->transfer);
        }
        kube_watch_decoder_reset(w->decoder);
}

static void watch_deliver(NodeWatch *w, KubeNodeEventType type, json_object *node) {
        KubeClient *c = w->client;

        if (w->dead || !w->cb)
                return;
        c->dispatching++;
        w->cb(c, type, node, w->userdata);
        c->dispatching--;
}

static int watch_connect(NodeWatch *w, bool list) {
        KubeClient *c = w->client;
        _cleanup_(freep) char *url = NULL;
        int r;

        if (list) {
                if (asprintf(&url, "%s/api/v1/nodes?fieldSelector=metadata.name%%3D%s", c->config->server,
                             w->node) < 0)
                        return -ENOMEM;
                r = transfer_new(c, TRANSFER_LIST, "GET", url, NULL, NULL, &w->transfer);
        } else {
                _cleanup_(freep) char *rv = NULL;
                char *esc;
                unsigned timeout;

                esc = curl_easy_escape(NULL, kube_watch_machine_resource_version(w->machine), 0);
                if (!esc)
                        return -ENOMEM;
                rv = strdup(esc);
                curl_free(esc);
                if (!rv)
                        return -ENOMEM;

                /* Like client-go, spread watch lifetimes over [t, 2t) so a fleet does not
                 * reconnect in step. */
                timeout = c->watch_timeout_sec + (unsigned) (kube_backoff_random(&c->rng) % c->watch_timeout_sec);
                if (asprintf(&url,
                             "%s/api/v1/nodes?allowWatchBookmarks=true&fieldSelector=metadata.name%%3D%s"
                             "&resourceVersion=%s&timeoutSeconds=%u&watch=true",
                             c->config->server, w->node, rv, timeout) < 0)
                        return -ENOMEM;
                kube_watch_decoder_reset(w->decoder);
                r = transfer_new(c, TRANSFER_WATCH, "GET", url, NULL, NULL, &w->transfer);
                if (r >= 0)
                        /* Its silence is timed by the machine (a few missed bookmarks, at
                         * most timeoutSeconds + 30 s): the retry timer doubles as the
                         * idle timer. */
                        kube_watch_machine_watching(w->machine, timeout, client_now(c));
        }
        if (r < 0)
                return r;
        w->transfer->watch = w;
        if (list)
                c->stats.lists++;
        else
                c->stats.watches++;
        log_debug("kube: node %s: %s", w->node, list ? "listing" : "watching");
        return 0;
}

/* Carries out what the machine queued for the last input (`object`: the node that
 * input brought, for DELIVER), then re-arms the timer. */
static void watch_run(NodeWatch *w, json_object *object) {
        KubeWatchAction a;
        int r;

        while (kube_watch_machine_pop_action(w->machine, &a) > 0)
                switch (a.type) {
                case KUBE_WATCH_ACTION_LIST:
                case KUBE_WATCH_ACTION_WATCH:
                        r = watch_connect(w, a.type == KUBE_WATCH_ACTION_LIST);
                        if (r < 0) {
                                log_error_errno(r, "kube: node %s: cannot start request: %m", w->node);
                                (void) kube_watch_machine_connect_failed(w->machine, client_now(w->client));
                        }
                        break;
                case KUBE_WATCH_ACTION_DROP:
                        watch_drop_transfer(w);
                        break;
                case KUBE_WATCH_ACTION_DELIVER:
                        watch_deliver(w, a.node_event, object);
                        break;
                case KUBE_WATCH_ACTION_REFRESH_TOKEN:
                        client_refresh_token(w->client, true);
                        break;
                case KUBE_WATCH_ACTION_REPORT:
                        log_full(a.level, 0, NULL, "%s", a.text);
                        break;
                }
        if (!w->dead)
                watch_arm(w);
}

static void watch_on_list_done(NodeWatch *w, Transfer *t, CURLcode result) {
        _cleanup_(json_object_unrefp) json_object *body = NULL;
        KubeWatchListResult res = { .completed = result == CURLE_OK, .status = transfer_status(t) };
        json_object *node = NULL;
        char why[256];

        if (res.completed && res.status == 200) {
                body = transfer_parse_body(t);
                res.node_list = kube_node_list_parse(body, w->node, &res.resource_version, &node) >= 0;
                res.present = node != NULL;
                res.object_resource_version = node ? kube_object_resource_version(node) : NULL;
        } else {
                transfer_describe(t, result, why, sizeof(why));
                res.why = why;
                res.retry_after_usec = transfer_retry_after(t);
        }
        watch_drop_transfer(w);
        (void) kube_watch_machine_list_done(w->machine, &res, client_now(w->client));
        watch_run(w, node);
}

static void watch_dispatch(NodeWatch *w) {
        for (;;) {
                _cleanup_(kube_watch_event_done) KubeWatchEvent e = KUBE_WATCH_EVENT_NULL;
                int r;

                if (w->dead || !w->transfer || w->transfer->kind != TRANSFER_WATCH)
                        return;
                if (kube_watch_decoder_pop(w->decoder, &e) <= 0)
                        return;
                r = kube_watch_machine_event(w->machine, e.type, e.resource_version, kube_object_name(e.object),
                                             e.status_code, client_now(w->client));
                watch_run(w, e.object);
                if (r <= 0)
                        return; /* dropped */
        }
}

static void watch_on_stream_done(NodeWatch *w, Transfer *t, CURLcode result) {
        KubeWatchStreamResult res = {
                .rejected = t->decode_error != 0,
                .oversize = t->decode_error == KUBE_WATCH_E_OVERSIZE,
                .completed = result == CURLE_OK,
                .status = transfer_status(t),
        };
        char why[256];

        /* Events decoded before the end are applied first. */
        watch_dispatch(w);
        if (w->dead || w->transfer != t)
                return;

        transfer_describe(t, result, why, sizeof(why));
        res.why = why;
        res.retry_after_usec = transfer_retry_after(t);
        watch_drop_transfer(w);
        (void) kube_watch_machine_stream_done(w->machine, &res, client_now(w->client));
        watch_run(w, NULL);
}

static NodeWatch *node_watch_free(NodeWatch *w) {
        if (!w)
                return NULL;
        watch_drop_transfer(w);
        sd_event_source_disable_unref(w->retry);
        kube_watch_decoder_free(w->decoder);
        kube_watch_machine_free(w->machine);
        free(w->node);
        free(w);
        return NULL;
}

static void client_gc(KubeClient *c) {
        if (c->dispatching > 0)
                return;
        for (NodeWatch **p = &c->watches; *p;) {
                NodeWatch *w = *p;
                if (w->dead) {
                        *p = w->next;
                        node_watch_free(w);
                } else
                        p = &w->next;
        }
}

/* Mutation queue: one request in flight, FIFO, retried until the API answers. */

static Mutation *mutation_free(Mutation *m) {
        if (!m)
                return NULL;
        free(m->path);
        free(m->content_type);
        free(m->body);
        free(m);
        return NULL;
}

static void mutation_kick(KubeClient *c);

static int mutation_on_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        mutation_kick(userdata);
        return 0;
}

static void mutation_schedule(KubeClient *c, uint64_t delay_usec) {
        int r = event_reset_time_relative(c->event, &c->mutation_retry, CLOCK_BOOTTIME, delay_usec, 0,
                                          mutation_on_retry, c, "kube-mutation-retry");

        if (r < 0)
                log_error_errno(r, "kube: cannot arm the request retry timer: %m");
}

static bool mutation_retry_pending(KubeClient *c) {
        int enabled = SD_EVENT_OFF;

        if (!c->mutation_retry)
                return false;
        (void) sd_event_source_get_enabled(c->mutation_retry, &enabled);
        return enabled != SD_EVENT_OFF;
}

static void mutation_kick(KubeClient *c) {
        _cleanup_(freep) char *url = NULL, *body = NULL;
        Mutation *m = c->queue_head;
        int r;

        if (!m || c->mutation_transfer)
                return;

        if (asprintf(&url, "%s%s", c->config->server, m->path) < 0)
                goto fail;
        body = strdup(m->body);
        if (!body)
                goto fail;

        m->attempts++;
        r = transfer_new(c, TRANSFER_MUTATION, m->method, url, m->content_type, body, &c->mutation_transfer);
        body = NULL;
        if (r >= 0) {
                c->mutation_transfer->mutation = m;
                return;
        }
fail:
        log_error("kube: cannot start %s %s, retrying", m->method, m->path);
        mutation_schedule(c, kube_backoff_next(&c->mutation_backoff));
}

static void mutation_complete(KubeClient *c, int result, long code, json_object *body) {
        Mutation *m = c->queue_head;

        c->queue_head = m->next;
        if (!c->queue_head)
                c->queue_tail = NULL;
        c->n_queue--;

        if (m->cb) {
                c->dispatching++;
                m->cb(c, result, code, body, m->userdata);
                c->dispatching--;
        }
        mutation_free(m);
}

static void mutation_on_done(KubeClient *c, Transfer *t, CURLcode result) {
        _cleanup_(json_object_unrefp) json_object *body = NULL;
        Mutation *m = t->mutation;
        long code = transfer_status(t);
        char why[256];

        bool t_overflow = t->overflow;
        uint64_t retry_after = transfer_retry_after(t), now = client_now(c);

        transfer_describe(t, result, why, sizeof(why));
        body = transfer_parse_body(t);
        c->mutation_transfer = transfer_free(t);

        if (code >= 200 && code < 300 && (result == CURLE_OK || t_overflow)) {
                unsigned n = 0;
                uint64_t dur = 0;

                /* Accepted; an answer too large to keep does not undo that. */
                kube_backoff_reset(&c->mutation_backoff);
                if (kube_episode_end(&c->mutation_episode, now, &n, &dur))
                        log_info("kube: %s %s: requests recovered after %u failed attempt%s in %" PRIu64 ".%01" PRIu64
                                 "s", m->method, m->path, n, n == 1 ? "" : "s", dur / USEC_PER_SEC,
                                 dur % USEC_PER_SEC / (USEC_PER_SEC / 10));
                mutation_complete(c, 0, code, body);
        } else if (result == CURLE_OK && code == 409 && m->kind == MUTATION_EVENT && m->attempts > 1) {
                /* Our earlier attempt went through but its answer was lost. */
                kube_backoff_reset(&c->mutation_backoff);
                mutation_complete(c, 0, code, body);
        } else if (code == 0 || code == 401 || code == 408 || code == 429 || code >= 500) {
                uint64_t d;

                if (code == 401)
                        client_refresh_token(c, true);
                /* The back-off, or the server's Retry-After when longer. */
                d = kube_backoff_next(&c->mutation_backoff);
                d = MAX(d, retry_after); /* kube_backoff_next() not inside MAX(): it would run twice */
                /* Once per episode; requests queued behind this one wait in the same one. */
                if (kube_episode_fail(&c->mutation_episode, now))
                        log_warning("kube: %s %s failed (%s), attempt %u; retrying with back-off in %" PRIu64
                                    "ms (further failures are logged at debug level until it recovers)",
                                    m->method, m->path, why, m->attempts, d / USEC_PER_MSEC);
                else
                        log_debug("kube: %s %s failed (%s), attempt %u; next in %" PRIu64 "ms", m->method, m->path,
                                  why, m->attempts, d / USEC_PER_MSEC);
                mutation_schedule(c, d);
                return;
        } else {
                log_warning("kube: %s %s rejected: %s", m->method, m->path, why);
                mutation_complete(c, KUBE_REQUEST_E_STATUS, code, body);
        }

        if (!mutation_retry_pending(c))
                mutation_kick(c);
}

static int mutation_enqueue(KubeClient *c, MutationKind kind, const char *method, char *path /* consumed */,
                            const char *content_type, char *body /* consumed */, KubeRequestHandler cb,
                            void *userdata) {
        Mutation *m;

        if (c->n_queue >= KUBE_CLIENT_QUEUE_MAX) {
                free(path);
                free(body);
                return -ENOBUFS;
        }
        m = calloc(1, sizeof(*m));
        if (!m) {
                free(path);
                free(body);
                return -ENOMEM;
        }
        m->kind = kind;
        m->method = method;
        m->path = path;
        m->body = body;
        m->cb = cb;
        m->userdata = userdata;
        m->content_type = strdup(content_type);
        if (!m->content_type) {
                mutation_free(m);
                return -ENOMEM;
        }

        if (c->queue_tail)
                c->queue_tail->next = m;
        else
                c->queue_head = m;
        c->queue_tail = m;
        c->n_queue++;

        /* Started from a timer, never from inside the caller's stack: the caller may be
         * a handler running inside our own dispatch. */
        if (!c->mutation_transfer && !mutation_retry_pending(c))
                mutation_schedule(c, 0);
        return 0;
}

/* curl glue hooks. */

static void client_on_progress(KubeCurl *g, void *userdata) {
        KubeClient *c = userdata;

        c->dispatching++;
        for (NodeWatch *w = c->watches; w; w = w->next)
                watch_dispatch(w);
        c->dispatching--;
        client_gc(c);
}

static void client_on_finished(KubeCurl *g, CURL *easy, CURLcode result, void *userdata) {
        KubeClient *c = userdata;
        Transfer *t = NULL;

        if (curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **) &t) != CURLE_OK || !t) {
                (void) kube_curl_remove(g, easy);
                return;
        }

        c->dispatching++;
        switch (t->kind) {
        case TRANSFER_LIST:
                if (t->watch)
                        watch_on_list_done(t->watch, t, result);
                else
                        transfer_free(t);
                break;
        case TRANSFER_WATCH:
                if (t->watch)
                        watch_on_stream_done(t->watch, t, result);
                else
                        transfer_free(t);
                break;
        case TRANSFER_GET: {
                _cleanup_(json_object_unrefp) json_object *body = transfer_parse_body(t);
                long code = transfer_status(t);
                KubeRequestHandler cb = t->get_cb;
                void *ud = t->get_userdata;
                int r;

                if (result != CURLE_OK && code == 0)
                        r = curl_result_to_errno(result);
                else if (result == CURLE_OK && code >= 200 && code < 300)
                        r = 0;
                else if (result != CURLE_OK)
                        r = curl_result_to_errno(result);
                else
                        r = KUBE_REQUEST_E_STATUS;
                transfer_free(t);
                if (cb)
                        cb(c, r, code, body, ud);
                break;
        }
        case TRANSFER_MUTATION:
                mutation_on_done(c, t, result);
                break;
        }
        c->dispatching--;
        client_gc(c);
}

/* Public API. */

int kube_client_new(KubeClient **ret, sd_event *e, KubeConfig *config) {
        _cleanup_(kube_config_freep) KubeConfig *cfg = config;
        _cleanup_(kube_client_freep) KubeClient *c = NULL;
        uint64_t seed = 0;
        int r;

        if (!ret || !e || !cfg || !cfg->server)
                return -EINVAL;

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->event = sd_event_ref(e);
        c->config = cfg;
        cfg = NULL;
        c->backoff_initial_usec = 500 * USEC_PER_MSEC;
        c->backoff_max_usec = 30 * USEC_PER_SEC;
        c->watch_timeout_sec = 300;
        c->max_object_size = KUBE_WATCH_OBJECT_SIZE_MAX_DEFAULT;

        /* Jitter only needs to differ between hosts, not to be secret. */
        if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t) sizeof(seed))
                seed = (uint64_t) time(NULL) ^ ((uint64_t) getpid() << 32);
        kube_backoff_init(&c->rng, 1, 1, seed);
        kube_backoff_init(&c->mutation_backoff, c->backoff_initial_usec, c->backoff_max_usec,
                          kube_backoff_random(&c->rng));

        if (c->config->token) {
                c->token = strdup(c->config->token);
                if (!c->token)
                        return -ENOMEM;
        }

        r = kube_curl_new(&c->curl, e, client_on_progress, client_on_finished, c);
        if (r < 0)
                return r;

        *ret = c;
        c = NULL;
        return 0;
}

KubeClient *kube_client_free(KubeClient *c) {
        if (!c)
                return NULL;

        while (c->watches) {
                NodeWatch *w = c->watches;
                c->watches = w->next;
                node_watch_free(w);
        }
        while (c->transfers)
                transfer_free(c->transfers);
        c->mutation_transfer = NULL;
        while (c->queue_head) {
                Mutation *m = c->queue_head;
                c->queue_head = m->next;
                mutation_free(m);
        }
        sd_event_source_disable_unref(c->mutation_retry);
        kube_curl_free(c->curl);
        if (c->token)
                explicit_bzero(c->token, strlen(c->token));
        free(c->token);
        kube_config_free(c->config);
        sd_event_unref(c->event);
        free(c);
        return NULL;
}

int kube_client_set_backoff(KubeClient *c, uint64_t initial_usec, uint64_t max_usec) {
        if (!c || initial_usec == 0 || max_usec < initial_usec)
                return -EINVAL;
        c->backoff_initial_usec = initial_usec;
        c->backoff_max_usec = max_usec;
        kube_backoff_init(&c->mutation_backoff, initial_usec, max_usec, kube_backoff_random(&c->rng));
        for (NodeWatch *w = c->watches; w; w = w->next)
                kube_watch_machine_set_backoff(w->machine, initial_usec, max_usec, kube_backoff_random(&c->rng));
        return 0;
}

int kube_client_set_watch_timeout(KubeClient *c, unsigned seconds) {
        if (!c || seconds == 0 || seconds > 24 * 3600)
                return -EINVAL;
        c->watch_timeout_sec = seconds;
        return 0;
}

int kube_client_set_max_object_size(KubeClient *c, size_t size) {
        if (!c || size < 1024 || c->watches)
                return -EINVAL;
        c->max_object_size = size;
        return 0;
}

uint64_t kube_client_get_bytes_received(KubeClient *c) {
        return c ? c->bytes_received : 0;
}

void kube_client_get_stats(KubeClient *c, KubeClientStats *ret) {
        *ret = c->stats;
}

unsigned kube_client_get_queue_length(KubeClient *c) {
        return c ? c->n_queue : 0;
}

static NodeWatch *client_find_watch(KubeClient *c, const char *node) {
        for (NodeWatch *w = c->watches; w; w = w->next)
                if (!w->dead && strcmp(w->node, node) == 0)
                        return w;
        return NULL;
}

int kube_node_watch_start(KubeClient *c, const char *node, KubeNodeHandler cb, void *userdata) {
        NodeWatch *w;
        int r;

        if (!c || !cb || !kube_node_name_valid(node))
                return -EINVAL;
        if (client_find_watch(c, node))
                return -EEXIST;

        w = calloc(1, sizeof(*w));
        if (!w)
                return -ENOMEM;
        w->client = c;
        w->cb = cb;
        w->userdata = userdata;
        w->node = strdup(node);
        if (!w->node) {
                free(w);
                return -ENOMEM;
        }
        r = kube_watch_decoder_new(&w->decoder, c->max_object_size);
        if (r >= 0)
                r = kube_watch_machine_new(&w->machine, node, c->backoff_initial_usec, c->backoff_max_usec,
                                           kube_backoff_random(&c->rng));
        if (r < 0) {
                node_watch_free(w);
                return r;
        }

        w->next = c->watches;
        c->watches = w;
        (void) kube_watch_machine_start(w->machine, client_now(c));
        watch_run(w, NULL);
        return 0;
}

int kube_node_watch_stop(KubeClient *c, const char *node) {
        NodeWatch *w;

        if (!c || !node)
                return -EINVAL;
        w = client_find_watch(c, node);
        if (!w)
                return -ENOENT;

        w->dead = true;
        w->cb = NULL;
        watch_drop_transfer(w);
        if (w->retry)
                (void) sd_event_source_set_enabled(w->retry, SD_EVENT_OFF);
        client_gc(c);
        return 0;
}

int kube_node_get(KubeClient *c, const char *node, KubeRequestHandler cb, void *userdata) {
        _cleanup_(freep) char *url = NULL;
        Transfer *t;
        int r;

        if (!c || !cb || !kube_node_name_valid(node))
                return -EINVAL;
        if (asprintf(&url, "%s/api/v1/nodes/%s", c->config->server, node) < 0)
                return -ENOMEM;
        r = transfer_new(c, TRANSFER_GET, "GET", url, NULL, NULL, &t);
        if (r < 0)
                return r;
        t->get_cb = cb;
        t->get_userdata = userdata;
        return 0;
}

int kube_node_patch_annotations(KubeClient *c, const char *node, json_object *annotations, KubeRequestHandler cb,
                                void *userdata) {
        _cleanup_(json_object_unrefp) json_object *patch = NULL;
        char *path = NULL, *body;

        if (!c || !kube_node_name_valid(node) || !json_object_is_type(annotations, json_type_object))
                return -EINVAL;
        /* Values must be strings (annotations are map[string]string) or null (delete). */
        json_object_object_foreach(annotations, key, val) {
                if (!*key || (val && !json_object_is_type(val, json_type_string)))
                        return -EINVAL;
        }

        patch = json_build_object("metadata", json_build_object("annotations", json_object_get(annotations), NULL),
                                  NULL);
        if (!patch)
                return -ENOMEM;

        body = strdup(json_object_to_json_string_ext(patch, JSON_C_TO_STRING_PLAIN));
        if (!body)
                return -ENOMEM;
        if (asprintf(&path, "/api/v1/nodes/%s", node) < 0) {
                free(body);
                return -ENOMEM;
        }
        return mutation_enqueue(c, MUTATION_PATCH, "PATCH", path, "application/merge-patch+json", body, cb,
                                userdata);
}

static size_t utf8_cut(const char *s, size_t max) {
        size_t n = strlen(s);

        if (n <= max)
                return n;
        /* Do not cut inside a multi-byte sequence. */
        while (max > 0 && ((unsigned char) s[max] & 0xC0) == 0x80)
                max--;
        return max;
}

int kube_event_create(KubeClient *c, const char *node, const char *type, const char *reason, const char *message,
                      KubeRequestHandler cb, void *userdata) {
        _cleanup_(json_object_unrefp) json_object *ev = NULL;
        char name[254], ts[32], *path, *body;
        time_t now = (time_t) (clock_now(CLOCK_REALTIME) / USEC_PER_SEC);
        struct tm tm;
        size_t nodelen;

        if (!c || !kube_node_name_valid(node) || !type || !reason || !message)
                return -EINVAL;
        if (strcmp(type, "Normal") != 0 && strcmp(type, "Warning") != 0)
                return -EINVAL;
        if (!*reason || strlen(reason) > EVENT_REASON_MAX)
                return -EINVAL;
        for (const char *p = reason; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
                        return -EINVAL;

        /* Unique, stable across retries: "<node>.<16 hex>", like kubelet's "<node>.<nanos>". */
        nodelen = MIN(strlen(node), sizeof(name) - 18);
        snprintf(name, sizeof(name), "%.*s.%016" PRIx64, (int) nodelen, node, kube_backoff_random(&c->rng));

        if (!gmtime_r(&now, &tm) ||
            strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                return -errno ?: -EINVAL;

        ev = json_build_object(
                "apiVersion", json_object_new_string("v1"),
                "kind", json_object_new_string("Event"),
                "metadata", json_build_object("name", json_object_new_string(name),
                                              "namespace", json_object_new_string("default"), NULL),
                /* kubelet uses the node name as the involvedObject UID of Node events. */
                "involvedObject", json_build_object("apiVersion", json_object_new_string("v1"),
                                                    "kind", json_object_new_string("Node"),
                                                    "name", json_object_new_string(node),
                                                    "uid", json_object_new_string(node), NULL),
                "type", json_object_new_string(type),
                "reason", json_object_new_string(reason),
                "message", json_object_new_string_len(message, (int) utf8_cut(message, EVENT_MESSAGE_MAX)),
                "source", json_build_object("component", json_object_new_string("infradhcp-agent"),
                                            "host", json_object_new_string(node), NULL),
                "reportingComponent", json_object_new_string("infradhcp-agent"),
                "reportingInstance", json_object_new_string(node),
                "firstTimestamp", json_object_new_string(ts),
                "lastTimestamp", json_object_new_string(ts),
                "count", json_object_new_int(1),
                NULL);
        if (!ev)
                return -ENOMEM;

        body = strdup(json_object_to_json_string_ext(ev, JSON_C_TO_STRING_PLAIN));
        if (!body)
                return -ENOMEM;
        path = strdup("/api/v1/namespaces/default/events");
        if (!path) {
                free(body);
                return -ENOMEM;
        }
        return mutation_enqueue(c, MUTATION_EVENT, "POST", path, "application/json", body, cb, userdata);
}
