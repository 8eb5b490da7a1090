/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers shared by the fuzz harnesses: CHECK() (abort on a violated invariant, so
 * libFuzzer and the corpus replay both report it) and a reader that takes bytes,
 * integers and slices off the front of the fuzz input, yielding zeros once the input
 * is used up (a script that ends early simply stops). Test code only; header-only.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(expr)                                                                                \
        do {                                                                                       \
                if (!(expr)) {                                                                     \
                        fprintf(stderr, "%s:%d: invariant violated: %s\n", __FILE__, __LINE__,     \
                                #expr);                                                            \
                        abort();                                                                   \
                }                                                                                  \
        } while (0)

typedef struct FuzzInput {
        const uint8_t *data;
        size_t size;
        size_t pos;
} FuzzInput;

static inline bool fuzz_left(const FuzzInput *in) {
        return in->pos < in->size;
}

static inline uint8_t fuzz_u8(FuzzInput *in) {
        return in->pos < in->size ? in->data[in->pos++] : 0;
}

/* Big-endian, like the Python seed generators write them. */
static inline uint16_t fuzz_u16(FuzzInput *in) {
        uint16_t v = fuzz_u8(in);
        return (uint16_t) (v << 8 | fuzz_u8(in));
}

static inline uint32_t fuzz_u32(FuzzInput *in) {
        uint32_t v = fuzz_u16(in);
        return v << 16 | fuzz_u16(in);
}

/* Up to `want` bytes, in place (NULL with *ret_len 0 when nothing is left). */
static inline const uint8_t *fuzz_slice(FuzzInput *in, size_t want, size_t *ret_len) {
        size_t n = in->size - in->pos;
        const uint8_t *p = in->data + in->pos;

        if (want < n)
                n = want;
        in->pos += n;
        *ret_len = n;
        return n > 0 ? p : NULL;
}

/* Copies a NUL-terminated string out of a slice (bytes after an embedded NUL kept
 * out by the C string view, as every C caller would see them). */
static inline char *fuzz_strndup(const uint8_t *p, size_t n) {
        char *s = malloc(n + 1);

        if (!s)
                abort();
        if (n > 0)
                memcpy(s, p, n);
        s[n] = '\0';
        return s;
}
