/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Hexadecimal digits and separated byte strings ("01:52:54:00:12:34:56"): MACs,
 * client identifiers, escapes. libc only (src/basic).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* The value of a hex digit (either case), or -EINVAL. */
int unhexchar(char c);
/* The lower-case digit for x & 15. */
char hexchar(int x);

/* Parses exactly n bytes written as two hex digits each, separated by sep ("aa:bb"),
 * the whole string and nothing else. Writes ret only on success; -EINVAL otherwise. */
int parse_hex_bytes(const char *s, char sep, uint8_t *ret, size_t n);
/* Formats n bytes as lower-case hex separated by sep; buf needs 3 * n bytes (1 for
 * n == 0). Bytes that do not fit are left out, the result is always terminated.
 * Returns buf. */
char *format_hex_bytes(const uint8_t *p, size_t n, char sep, char *buf, size_t size);
