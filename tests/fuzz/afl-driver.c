/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * AFL++ persistent-mode driver: a main() for the same LLVMFuzzerTestOneInput targets
 * that libFuzzer runs, built only with -Dafl=true under afl-clang-fast (docs/testing.md).
 * Test inputs arrive in AFL++'s shared-memory buffer; each one is copied into a heap
 * buffer of exactly its size (so an ASan build catches an overread, as with
 * libFuzzer and fuzz-replay.c) and run up to AFL_LOOP_COUNT times per fork. Run outside
 * afl-fuzz, the same binary reads one input from stdin, which replays a finding:
 * `build-afl/tests/fuzz/afl-dhcp4-engine < crash`. Not a fuzzer and not a test itself.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifndef __AFL_FUZZ_TESTCASE_LEN
#error "afl-driver.c needs afl-clang-fast (or afl-clang-lto): configure with CC=afl-clang-fast -Dafl=true"
#endif

/* Inputs per forked process before AFL++ forks a fresh one: high enough that fork cost
 * vanishes, low enough that a slow leak or stale global state cannot build up. */
#define AFL_LOOP_COUNT 10000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

__AFL_FUZZ_INIT();

int main(void) {
        const unsigned char *shared;

        __AFL_INIT();
        shared = __AFL_FUZZ_TESTCASE_BUF;
        while (__AFL_LOOP(AFL_LOOP_COUNT)) {
                size_t len = (size_t) __AFL_FUZZ_TESTCASE_LEN;
                uint8_t *buf = malloc(len > 0 ? len : 1);

                if (!buf)
                        abort();
                if (len > 0)
                        memcpy(buf, shared, len);
                LLVMFuzzerTestOneInput(buf, len);
                free(buf);
        }
        return 0;
}
