/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * LD_PRELOAD shim for the clock-jump fault test: shifts CLOCK_REALTIME (and
 * gettimeofday/time) of one process by the number of seconds in the file named by
 * $FAKE_REALTIME_FILE (re-read at most every 100 ms; "86400", "-86400"), leaving every
 * other clock (CLOCK_BOOTTIME, CLOCK_MONOTONIC) and the kernel's timers alone. What a
 * settimeofday() of the host would do to the daemon, without touching the host's clock
 * (time namespaces cannot offset CLOCK_REALTIME). Unlike libfaketime it does not
 * rewrite timerfd deadlines.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

typedef int (*clock_gettime_fn)(clockid_t, struct timespec *);

static long long offset_sec;
static struct timespec last_read;

static clock_gettime_fn real_clock_gettime(void) {
        static clock_gettime_fn fn;
        if (!fn)
                fn = (clock_gettime_fn) dlsym(RTLD_NEXT, "clock_gettime");
        return fn;
}

static void reread(void) {
        const char *path = getenv("FAKE_REALTIME_FILE");
        struct timespec now;
        char buf[32];
        ssize_t n;
        int fd;

        if (!path || real_clock_gettime()(CLOCK_MONOTONIC, &now) < 0)
                return;
        if (last_read.tv_sec != 0 &&
            (now.tv_sec - last_read.tv_sec) * 1000000000LL + (now.tv_nsec - last_read.tv_nsec) < 100000000LL)
                return;
        last_read = now;
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
                return;
        buf[n] = '\0';
        offset_sec = strtoll(buf, NULL, 10);
}

int clock_gettime(clockid_t clock, struct timespec *ts) {
        int r = real_clock_gettime()(clock, ts);

        if (r == 0 && (clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_COARSE)) {
                reread();
                ts->tv_sec += offset_sec;
        }
        return r;
}

int gettimeofday(struct timeval *tv, void *tz) {
        struct timespec ts;

        if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
                return -1;
        tv->tv_sec = ts.tv_sec;
        tv->tv_usec = ts.tv_nsec / 1000;
        return 0;
}

time_t time(time_t *t) {
        struct timespec ts;

        if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
                return (time_t) -1;
        if (t)
                *t = ts.tv_sec;
        return ts.tv_sec;
}
