/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Small macros every layer uses: cleanup attributes, array sizing, fd and pointer
 * destructors. Header-only, libc only (src/basic); nothing here allocates or does
 * I/O. Time units are in time-util.h.
 */
#pragma once

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _warn_unused_result_ __attribute__((warn_unused_result))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

static inline void freep(void *p) {
        free(*(void **)p);
}

static inline void closep(int *fd) {
        if (*fd >= 0)
                close(*fd);
}

/* Closes fd if valid, returns -1 so callers can write `fd = safe_close(fd)`. */
static inline int safe_close(int fd) {
        if (fd >= 0) {
                int saved = errno;
                close(fd);
                errno = saved;
        }
        return -1;
}

/* Defines name##p for a NULL-safe destructor `T *name(T *)`. */
#define DEFINE_FREEP(T, name)                                                                      \
        static inline void name##p(T **p) {                                                        \
                if (*p)                                                                            \
                        *p = name(*p);                                                             \
        }
