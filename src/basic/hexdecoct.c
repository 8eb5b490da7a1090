/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Hex digits and separated byte strings (hexdecoct.h).
 */

#include <errno.h>
#include <string.h>

#include "hexdecoct.h"

int unhexchar(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -EINVAL;
}

char hexchar(int x) {
        return "0123456789abcdef"[x & 15];
}

int parse_hex_bytes(const char *s, char sep, uint8_t *ret, size_t n) {
        uint8_t buf[256];

        if (!s || n == 0 || n > sizeof(buf) || strlen(s) != 3 * n - 1)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                int hi = unhexchar(s[3 * i]), lo = unhexchar(s[3 * i + 1]);

                if (hi < 0 || lo < 0 || (i + 1 < n && s[3 * i + 2] != sep))
                        return -EINVAL;
                buf[i] = (uint8_t) (hi << 4 | lo);
        }
        memcpy(ret, buf, n);
        return 0;
}

char *format_hex_bytes(const uint8_t *p, size_t n, char sep, char *buf, size_t size) {
        size_t pos = 0;

        if (size == 0)
                return buf;
        for (size_t i = 0; i < n && pos + 2 + (i > 0) < size; i++) {
                if (i > 0)
                        buf[pos++] = sep;
                buf[pos++] = hexchar(p[i] >> 4);
                buf[pos++] = hexchar(p[i]);
        }
        buf[pos] = '\0';
        return buf;
}
