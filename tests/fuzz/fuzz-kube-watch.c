/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for the Kubernetes watch-stream decoder (kube-watch). Input: u8
 * object size limit selector (mod 4: the 4 MiB default, 64, 512, or u16 + 1), u8 seed
 * for the chunk sizes, then the stream body.
 *
 * The body is decoded three ways and the results must agree (abort() otherwise):
 * A. one byte per feed with the default limit: the reference, which also yields where
 *    each event starts and ends in the stream;
 * B. with the chosen limit, in chunks of seed-derived sizes (every split point the
 *    transport could produce), popping after each feed;
 * C. B's decoder reset, then the whole body in one feed.
 * Invariants: B's and C's events are a prefix of A's (type, resourceVersion, object);
 * B and C end with the same result and the same events unless either is MALFORMED;
 * every event B emits spans at most the limit; B fails with OVERSIZE only when the next
 * event really is longer than the limit, and succeeds with all of A's events whenever
 * every event fits (MALFORMED is not compared: json-c judges some malformed input
 * differently depending on the split, see below); after a failure the
 * decoder stays poisoned with the same code; popped events have a valid type, an
 * object, a resourceVersion exactly when not ERROR, and a status code only for ERROR.
 * Test code: not part of the client.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fuzz-util.h"
#include "kube-watch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct Ev {
        KubeWatchEventType type;
        char *rv;
        char *object;
        int status_code;
        size_t start, end; /* run A only: first and last byte of the event in the body */
} Ev;

typedef struct Run {
        Ev *ev;
        size_t n, allocated;
        int result;        /* first non-zero feed result, or 0 */
        size_t error_at;   /* run A: the byte whose feed failed */
} Run;

static void run_done(Run *r) {
        for (size_t i = 0; i < r->n; i++) {
                free(r->ev[i].rv);
                free(r->ev[i].object);
        }
        free(r->ev);
        *r = (Run) {};
}

static void check_event(const KubeWatchEvent *e) {
        CHECK((unsigned) e->type < _KUBE_WATCH_EVENT_TYPE_MAX && kube_watch_event_type_to_string(e->type));
        CHECK(e->object && json_object_is_type(e->object, json_type_object));
        if (e->type == KUBE_WATCH_ERROR) {
                CHECK(!e->resource_version);
                CHECK(e->status_code >= 0 && e->status_code <= 999);
        } else {
                CHECK(e->resource_version && e->resource_version[0]);
                CHECK(e->status_code == 0);
        }
}

/* Pops every queued event into r; returns how many. */
static size_t pop_all(KubeWatchDecoder *d, Run *r) {
        KubeWatchEvent e = KUBE_WATCH_EVENT_NULL;
        size_t k = 0;
        int p;

        while ((p = kube_watch_decoder_pop(d, &e)) == 1) {
                const char *s;

                check_event(&e);
                if (r->n == r->allocated) {
                        r->allocated = r->allocated ? 2 * r->allocated : 16;
                        r->ev = realloc(r->ev, r->allocated * sizeof(Ev));
                        CHECK(r->ev);
                }
                s = json_object_to_json_string_ext(e.object, JSON_C_TO_STRING_PLAIN);
                CHECK(s);
                r->ev[r->n] = (Ev) {
                        .type = e.type,
                        .rv = e.resource_version ? strdup(e.resource_version) : NULL,
                        .object = strdup(s),
                        .status_code = e.status_code,
                };
                CHECK(r->ev[r->n].object && (!e.resource_version || r->ev[r->n].rv));
                r->n++;
                k++;
                kube_watch_event_done(&e);
        }
        CHECK(p == 0);
        return k;
}

static bool ev_equal(const Ev *a, const Ev *b) {
        return a->type == b->type && a->status_code == b->status_code &&
               ((!a->rv && !b->rv) || (a->rv && b->rv && strcmp(a->rv, b->rv) == 0)) &&
               strcmp(a->object, b->object) == 0;
}

static bool is_space(uint8_t c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* First non-whitespace byte at or after pos (size when none). */
static size_t skip_space(const uint8_t *body, size_t size, size_t pos) {
        while (pos < size && is_space(body[pos]))
                pos++;
        return pos;
}

static void run_reference(const uint8_t *body, size_t size, Run *a) {
        KubeWatchDecoder *d = NULL;
        size_t start = skip_space(body, size, 0);

        CHECK(kube_watch_decoder_new(&d, KUBE_WATCH_OBJECT_SIZE_MAX_DEFAULT) == 0);
        for (size_t i = 0; i < size; i++) {
                int r = kube_watch_decoder_feed(d, body + i, 1);
                size_t k;

                CHECK(r == 0 || r == KUBE_WATCH_E_OVERSIZE || r == KUBE_WATCH_E_MALFORMED);
                k = pop_all(d, a);
                CHECK(k <= 1);
                if (k == 1) {
                        a->ev[a->n - 1].start = start;
                        a->ev[a->n - 1].end = i;
                        start = skip_space(body, size, i + 1);
                }
                if (r != 0) {
                        CHECK(r == KUBE_WATCH_E_MALFORMED); /* the body is far below 4 MiB */
                        a->result = r;
                        a->error_at = i;
                        CHECK(kube_watch_decoder_feed(d, body, size) == r); /* poisoned */
                        break;
                }
        }
        if (a->result == 0)
                CHECK(kube_watch_decoder_has_partial(d) == (start < size));
        kube_watch_decoder_free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        FuzzInput in = { .data = data, .size = size };
        Run a = {}, b = {}, c = {};
        KubeWatchDecoder *d = NULL;
        const uint8_t *body;
        size_t limit, body_size, pos = 0;
        uint8_t sel, seed;
        uint32_t prng;

        if (size > 65536)
                return 0;

        sel = fuzz_u8(&in) % 4;
        limit = sel == 0 ? KUBE_WATCH_OBJECT_SIZE_MAX_DEFAULT : sel == 1 ? 64 : sel == 2 ? 512 : (size_t) fuzz_u16(&in) + 1;
        seed = fuzz_u8(&in);
        body = fuzz_slice(&in, SIZE_MAX, &body_size);
        if (!body)
                body = (const uint8_t *) "";

        run_reference(body, body_size, &a);

        /* B: chunks of 1..256 bytes from a small LCG, or everything at once for seed 0. */
        CHECK(kube_watch_decoder_new(&d, limit) == 0);
        prng = seed;
        while (pos < body_size) {
                size_t chunk;
                uint8_t *copy;
                int r;

                prng = prng * 1103515245u + 12345u;
                chunk = seed == 0 ? body_size : 1 + ((prng >> 16) % 256);
                chunk = MIN(chunk, body_size - pos);
                copy = malloc(chunk); /* exact size, for ASan */
                CHECK(copy);
                memcpy(copy, body + pos, chunk);
                r = kube_watch_decoder_feed(d, copy, chunk);
                free(copy);
                pos += chunk;
                CHECK(r == 0 || r == KUBE_WATCH_E_OVERSIZE || r == KUBE_WATCH_E_MALFORMED);
                pop_all(d, &b);
                if (r != 0) {
                        b.result = r;
                        CHECK(kube_watch_decoder_feed(d, "{}", 2) == r);
                        CHECK(kube_watch_decoder_pop(d, &(KubeWatchEvent) KUBE_WATCH_EVENT_NULL) == 0);
                        break;
                }
        }

        if (getenv("FUZZ_TRACE"))
                fprintf(stderr, "limit %zu: reference %d at byte %zu with %zu events, chunked %d with %zu\n", limit, a.result, a.error_at,
                        a.n, b.result, b.n);
        CHECK(b.n <= a.n);
        for (size_t i = 0; i < b.n; i++) {
                CHECK(ev_equal(&a.ev[i], &b.ev[i]));
                CHECK(a.ev[i].end - a.ev[i].start + 1 <= limit);
        }
        {
                /* Does every complete event of A, and A's unfinished tail, fit the limit? */
                bool all_fit = true;
                size_t tail_start = a.n > 0 ? skip_space(body, body_size, a.ev[a.n - 1].end + 1) :
                                              skip_space(body, body_size, 0);

                for (size_t i = 0; i < a.n; i++)
                        all_fit = all_fit && a.ev[i].end - a.ev[i].start + 1 <= limit;
                if (a.result == 0)
                        all_fit = all_fit && body_size - tail_start <= limit;

                if (b.result == 0) {
                        CHECK(a.result == 0 && b.n == a.n);
                        CHECK(kube_watch_decoder_has_partial(d) == (tail_start < body_size));
                } else if (b.result == KUBE_WATCH_E_MALFORMED) {
                        /* Only a prefix of A's events (checked above): json-c (0.16) does
                         * not judge malformed input the same way for every split. A byte
                         * it cannot take as UTF-8 right after a complete value fails the
                         * whole call (that event is lost with the stream), and a malformed
                         * number ("4-72") passes when it arrives one byte at a time. Valid
                         * streams are unaffected: the case above checks they agree. */
                } else {
                        /* OVERSIZE: the event after B's last is longer than the limit. */
                        CHECK(b.result == KUBE_WATCH_E_OVERSIZE);
                        if (b.n < a.n)
                                CHECK(a.ev[b.n].end - a.ev[b.n].start + 1 > limit);
                        else if (a.result != 0)
                                CHECK(a.error_at - tail_start + 1 > limit);
                        else
                                CHECK(body_size - tail_start > limit);
                }
                if (a.result == 0 && all_fit)
                        CHECK(b.result != KUBE_WATCH_E_OVERSIZE);
        }

        /* C: reset, then everything in one feed. */
        kube_watch_decoder_reset(d);
        CHECK(!kube_watch_decoder_has_partial(d));
        {
                int r = kube_watch_decoder_feed(d, body, body_size);

                pop_all(d, &c);
                if (getenv("FUZZ_TRACE"))
                        fprintf(stderr, "one feed: %d with %zu events\n", r, c.n);
                /* Equal unless json-c judged malformed input differently (see above). */
                if (r != KUBE_WATCH_E_MALFORMED && b.result != KUBE_WATCH_E_MALFORMED)
                        CHECK(r == b.result && c.n == b.n);
                for (size_t i = 0; i < MIN(c.n, b.n); i++)
                        CHECK(ev_equal(&b.ev[i], &c.ev[i]));
        }

        kube_watch_decoder_free(d);
        run_done(&a);
        run_done(&b);
        run_done(&c);
        return 0;
}
