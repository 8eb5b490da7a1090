/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Big-endian (network order) reads and writes at any alignment, for wire formats
 * (DHCP, IP/UDP, ARP). libc only (src/basic); header-only.
 */
#pragma once

#include <stdint.h>

static inline uint16_t unaligned_read_be16(const void *p) {
        const uint8_t *b = p;

        return (uint16_t) ((uint16_t) b[0] << 8 | b[1]);
}

static inline uint32_t unaligned_read_be32(const void *p) {
        const uint8_t *b = p;

        return (uint32_t) b[0] << 24 | (uint32_t) b[1] << 16 | (uint32_t) b[2] << 8 | b[3];
}

static inline void unaligned_write_be16(void *p, uint16_t v) {
        uint8_t *b = p;

        b[0] = (uint8_t) (v >> 8);
        b[1] = (uint8_t) v;
}

static inline void unaligned_write_be32(void *p, uint32_t v) {
        uint8_t *b = p;

        b[0] = (uint8_t) (v >> 24);
        b[1] = (uint8_t) (v >> 16);
        b[2] = (uint8_t) (v >> 8);
        b[3] = (uint8_t) v;
}
