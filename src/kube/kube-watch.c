/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Incremental watch-stream decoder. The API server writes one JSON WatchEvent per
 * event, normally newline-terminated, but framing is by JSON value (as client-go's
 * json.Decoder does), so newlines are neither required nor trusted: json-c's
 * incremental tokener finds where each value ends. Every event is bounded by
 * max_object_size before json-c buffers it.
 *
 * Pure: no I/O, no clock. See kube-watch.h.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kube-watch.h"
#include "string-table.h"

struct KubeWatchDecoder {
        json_tokener *tok;
        size_t max_object_size;
        size_t partial_bytes;   /* bytes fed to tok for the current, unfinished value */
        int poisoned;           /* 0 or the KUBE_WATCH_E_* code that stopped the stream */
        uint8_t carry[4];       /* the start of a UTF-8 character whose last bytes are to come */
        size_t n_carry;

        KubeWatchEvent *queue;
        size_t n_queue, head, allocated;
};

static const char *const kube_watch_event_type_table[_KUBE_WATCH_EVENT_TYPE_MAX] = {
        [KUBE_WATCH_ADDED] = "ADDED",
        [KUBE_WATCH_MODIFIED] = "MODIFIED",
        [KUBE_WATCH_DELETED] = "DELETED",
        [KUBE_WATCH_BOOKMARK] = "BOOKMARK",
        [KUBE_WATCH_ERROR] = "ERROR",
};

DEFINE_STRING_TABLE_LOOKUP(kube_watch_event_type, KubeWatchEventType)

void kube_watch_event_done(KubeWatchEvent *e) {
        if (!e)
                return;
        json_object_put(e->object);
        free(e->resource_version);
        *e = (KubeWatchEvent) KUBE_WATCH_EVENT_NULL;
}

int kube_watch_decoder_new(KubeWatchDecoder **ret, size_t max_object_size) {
        KubeWatchDecoder *d;

        if (!ret || max_object_size == 0)
                return -EINVAL;

        d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;

        /* Depth: a Node nests about 8 levels; 64 leaves room without inviting abuse. */
        d->tok = json_tokener_new_ex(64);
        if (!d->tok) {
                free(d);
                return -ENOMEM;
        }
        /* Strict JSON (RFC 8259), valid UTF-8; the next event may follow in the same chunk. */
        json_tokener_set_flags(d->tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS |
                                       JSON_TOKENER_VALIDATE_UTF8);
        d->max_object_size = max_object_size;

        *ret = d;
        return 0;
}

static void queue_clear(KubeWatchDecoder *d) {
        for (size_t i = d->head; i < d->n_queue; i++)
                kube_watch_event_done(&d->queue[i]);
        d->head = d->n_queue = 0;
}

void kube_watch_decoder_reset(KubeWatchDecoder *d) {
        if (!d)
                return;
        json_tokener_reset(d->tok);
        d->partial_bytes = 0;
        d->n_carry = 0;
        d->poisoned = 0;
        queue_clear(d);
}

KubeWatchDecoder *kube_watch_decoder_free(KubeWatchDecoder *d) {
        if (!d)
                return NULL;
        queue_clear(d);
        free(d->queue);
        json_tokener_free(d->tok);
        free(d);
        return NULL;
}

bool kube_watch_decoder_has_partial(const KubeWatchDecoder *d) {
        return d && (d->partial_bytes > 0 || d->n_carry > 0);
}

static int queue_push(KubeWatchDecoder *d, KubeWatchEvent *e) {
        if (d->head > 0 && d->head == d->n_queue)
                d->head = d->n_queue = 0;

        if (d->n_queue == d->allocated) {
                size_t n = d->allocated ? d->allocated * 2 : 8;
                KubeWatchEvent *q;

                if (d->head > 0) {
                        /* Reuse the popped prefix before growing. */
                        memmove(d->queue, d->queue + d->head, (d->n_queue - d->head) * sizeof(*q));
                        d->n_queue -= d->head;
                        d->head = 0;
                } else {
                        q = reallocarray(d->queue, n, sizeof(*q));
                        if (!q)
                                return -ENOMEM;
                        d->queue = q;
                        d->allocated = n;
                }
        }

        d->queue[d->n_queue++] = *e;
        *e = (KubeWatchEvent) KUBE_WATCH_EVENT_NULL;
        return 0;
}

/* Validates one decoded top-level value and turns it into a queued event. Takes
 * ownership of v. */
static int decoder_take_value(KubeWatchDecoder *d, json_object *v) {
        _cleanup_(kube_watch_event_done) KubeWatchEvent e = KUBE_WATCH_EVENT_NULL;
        json_object *type, *object, *metadata, *rv, *code;
        int t, r;

        if (!json_object_is_type(v, json_type_object))
                goto malformed;
        if (!json_object_object_get_ex(v, "type", &type) || !json_object_is_type(type, json_type_string))
                goto malformed;
        t = kube_watch_event_type_from_string(json_object_get_string(type));
        if (t < 0)
                goto malformed;
        if (!json_object_object_get_ex(v, "object", &object) || !json_object_is_type(object, json_type_object))
                goto malformed;

        e.type = (KubeWatchEventType) t;
        e.object = json_object_get(object);

        if (e.type == KUBE_WATCH_ERROR) {
                /* The object is a metav1.Status; its code carries the HTTP-like status,
                 * 410 meaning the resourceVersion we asked for was compacted away. */
                if (json_object_object_get_ex(object, "code", &code) &&
                    json_object_is_type(code, json_type_int)) {
                        int64_t c = json_object_get_int64(code);
                        if (c < 0 || c > 999)
                                goto malformed;
                        e.status_code = (int) c;
                }
        } else {
                /* Every other type carries an object with metadata.resourceVersion: it
                 * is what a resumed watch starts from, so an event without one is
                 * useless and treated as corrupt. */
                if (!json_object_object_get_ex(object, "metadata", &metadata) ||
                    !json_object_is_type(metadata, json_type_object) ||
                    !json_object_object_get_ex(metadata, "resourceVersion", &rv) ||
                    !json_object_is_type(rv, json_type_string) ||
                    json_object_get_string_len(rv) == 0)
                        goto malformed;
                e.resource_version = strdup(json_object_get_string(rv));
                if (!e.resource_version) {
                        json_object_put(v);
                        return -ENOMEM;
                }
        }

        json_object_put(v);
        r = queue_push(d, &e);
        return r;

malformed:
        json_object_put(v);
        return KUBE_WATCH_E_MALFORMED;
}

static bool is_json_space(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Bytes in the UTF-8 sequence a byte leads (1 for ASCII and for what cannot lead:
 * continuation bytes, 0xF8..0xFF). */
static size_t utf8_sequence_length(uint8_t c) {
        return c >= 0xF8 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
}

/* Bytes at the end of buf that start a UTF-8 character without finishing it (0..3).
 * Anything else (ASCII, a complete character, invalid bytes) is json-c's to judge. */
static size_t utf8_incomplete_tail(const uint8_t *buf, size_t len) {
        for (size_t k = 1; k <= 3 && k <= len; k++) {
                uint8_t c = buf[len - k];

                if ((c & 0xC0) == 0x80)
                        continue; /* a continuation byte: its lead byte is further back */
                return utf8_sequence_length(c) > k ? k : 0;
        }
        return 0;
}

static int decoder_feed_bytes(KubeWatchDecoder *d, const char *p, size_t len) {
        int r;

        while (len > 0) {
                json_object *v;
                enum json_tokener_error jerr;
                size_t slice, used, event_len;

                /* Whitespace between values is not part of any event. */
                if (d->partial_bytes == 0) {
                        while (len > 0 && is_json_space(*p)) {
                                p++;
                                len--;
                        }
                        if (len == 0)
                                break;
                }

                /* Never hand json-c more than the limit allows, so an oversized event
                 * is refused before it is buffered. One extra byte over the limit is
                 * what proves the event is too big. */
                slice = MIN(len, d->max_object_size - d->partial_bytes + 1);
                if (slice > INT32_MAX)
                        slice = INT32_MAX;

                v = json_tokener_parse_ex(d->tok, p, (int) slice);
                jerr = json_tokener_get_error(d->tok);

                if (jerr == json_tokener_continue) {
                        d->partial_bytes += slice;
                        if (d->partial_bytes > d->max_object_size)
                                return (d->poisoned = KUBE_WATCH_E_OVERSIZE);
                        p += slice;
                        len -= slice;
                        continue;
                }
                if (jerr != json_tokener_success)
                        return (d->poisoned = KUBE_WATCH_E_MALFORMED);

                used = json_tokener_get_parse_end(d->tok);
                if (used == 0 || used > slice) {
                        json_object_put(v);
                        return (d->poisoned = KUBE_WATCH_E_MALFORMED);
                }
                /* json-c consumes the whitespace after a value too; it is not part of the
                 * event, and counting it would make an event of exactly the limit pass or
                 * fail depending on where the transport split the stream. */
                event_len = used;
                while (event_len > 0 && is_json_space(p[event_len - 1]))
                        event_len--;
                if (d->partial_bytes + event_len > d->max_object_size) {
                        json_object_put(v);
                        return (d->poisoned = KUBE_WATCH_E_OVERSIZE);
                }

                p += used;
                len -= used;
                d->partial_bytes = 0;
                json_tokener_reset(d->tok);

                if (!v) /* a literal top-level "null" */
                        return (d->poisoned = KUBE_WATCH_E_MALFORMED);

                r = decoder_take_value(d, v);
                if (r == -ENOMEM)
                        return r;
                if (r != 0)
                        return (d->poisoned = r);
        }

        return 0;
}

int kube_watch_decoder_feed(KubeWatchDecoder *d, const void *bytes, size_t len) {
        const uint8_t *p = bytes;
        size_t tail;
        int r;

        if (!d || (!bytes && len > 0))
                return -EINVAL;
        if (d->poisoned)
                return d->poisoned;

        /* json-c (0.16) with JSON_TOKENER_VALIDATE_UTF8 rejects a valid multi-byte
         * character whose bytes arrive in two parse calls, and the transport splits the
         * body anywhere: json-c only ever gets whole characters. The start of one cut
         * by the end of this chunk waits in `carry` for the rest. */
        if (d->n_carry > 0) {
                uint8_t buf[sizeof(d->carry)];
                size_t n = d->n_carry, need = utf8_sequence_length(d->carry[0]), take = 0;

                /* The carried bytes plus the continuation bytes their lead byte asks for.
                 * A sequence cut short by anything else goes to json-c as it is (which
                 * rejects it), exactly as if it had come in one chunk. */
                while (n + take < need && take < len && (p[take] & 0xC0) == 0x80)
                        take++;
                memcpy(buf, d->carry, n);
                memcpy(buf + n, p, take);
                if (n + take < need && take == len) {
                        /* Still not whole, and the chunk is used up. */
                        memcpy(d->carry, buf, n + take);
                        d->n_carry = n + take;
                        return 0;
                }
                d->n_carry = 0;
                r = decoder_feed_bytes(d, (const char *) buf, n + take);
                if (r != 0)
                        return r;
                p += take;
                len -= take;
        }

        if (len == 0)
                return 0; /* p may be NULL: no pointer arithmetic on it */
        tail = utf8_incomplete_tail(p, len);
        r = decoder_feed_bytes(d, (const char *) p, len - tail);
        if (r != 0)
                return r;
        if (tail > 0)
                memcpy(d->carry, p + len - tail, tail);
        d->n_carry = tail;
        return 0;
}

int kube_watch_decoder_pop(KubeWatchDecoder *d, KubeWatchEvent *ret) {
        if (!d || !ret)
                return -EINVAL;
        if (d->head >= d->n_queue)
                return 0;

        *ret = d->queue[d->head];
        d->queue[d->head] = (KubeWatchEvent) KUBE_WATCH_EVENT_NULL;
        d->head++;
        if (d->head == d->n_queue)
                d->head = d->n_queue = 0;
        return 1;
}

static const char *metadata_string(json_object *o, const char *key) {
        json_object *md, *v;

        if (json_object_object_get_ex(o, "metadata", &md) && json_object_object_get_ex(md, key, &v) &&
            json_object_is_type(v, json_type_string))
                return json_object_get_string(v);
        return NULL;
}

const char *kube_object_name(json_object *o) {
        return metadata_string(o, "name");
}

const char *kube_object_resource_version(json_object *o) {
        return metadata_string(o, "resourceVersion");
}

int kube_node_list_parse(json_object *body, const char *node, const char **ret_resource_version,
                         json_object **ret_node) {
        json_object *metadata, *rv, *items;

        if (!body || !json_object_object_get_ex(body, "metadata", &metadata) ||
            !json_object_object_get_ex(metadata, "resourceVersion", &rv) || !json_object_is_type(rv, json_type_string) ||
            json_object_get_string_len(rv) == 0 || !json_object_object_get_ex(body, "items", &items) ||
            !json_object_is_type(items, json_type_array))
                return -EBADMSG;
        *ret_node = NULL;
        for (size_t i = 0; i < json_object_array_length(items); i++) {
                json_object *item = json_object_array_get_idx(items, i);
                const char *name = kube_object_name(item);

                if (name && strcmp(name, node) == 0) {
                        *ret_node = item;
                        break;
                }
        }
        *ret_resource_version = json_object_get_string(rv);
        return 0;
}
