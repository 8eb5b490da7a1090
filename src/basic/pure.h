/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Force-included (gcc/clang -include) into every file of a pure core library by
 * meson (`c_args: pure_core_args` in the meson.build of each core), so that the
 * build, not a comment, keeps the cores pure (docs/CODING_STYLE.md, "Layers").
 *
 * A pure core takes bytes, time and commands as inputs and queues actions as
 * outputs. It uses libc and src/basic only (libc-only.h), and of libc not the
 * clocks, random sources, sockets or file-system calls: after this header any use of
 * them is a hard error ("attempt to use poisoned ..."). The libc headers that declare
 * them are included first: their declarations come before the poison and stay legal,
 * every later use is not.
 */
#pragma once

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "libc-only.h"

/* Clocks and randomness: `now` and seeds are inputs. */
#pragma GCC poison clock_gettime gettimeofday getrandom rand srand rand_r
/* Sockets. */
#pragma GCC poison socket socketpair bind connect listen accept accept4 sendto sendmsg recvfrom recvmsg setsockopt
/* Files: cores parse and format text; src/shared/fileio reads and writes it. */
#pragma GCC poison open openat creat fopen fdopen unlink unlinkat rename renameat mkdir mkdirat fsync
