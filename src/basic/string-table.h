/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Enum <-> string tables, one line per enum (as systemd's string-table.h):
 *
 *     static const char *const dhcp4_state_table[_DHCP4_STATE_MAX] = {
 *             [DHCP4_STATE_INIT] = "INIT", ...
 *     };
 *     DEFINE_STRING_TABLE_LOOKUP(dhcp4_state, Dhcp4State);
 *
 * defines `const char *dhcp4_state_to_string(Dhcp4State)` (NULL for a value outside
 * the table or a hole in it) and `int dhcp4_state_from_string(const char *)` (the
 * value, or -EINVAL for NULL or an unknown string). _TO_STRING / _FROM_STRING define
 * one of them. The table is NAME_table. libc only (src/basic).
 */
#pragma once

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

/* The index of s in table[0..n) (NULL entries skipped), or -EINVAL. */
int string_table_lookup(const char *const *table, size_t n, const char *s);

#define DEFINE_STRING_TABLE_LOOKUP_TO_STRING(name, type)                                           \
        const char *name##_to_string(type i) {                                                     \
                if ((uintmax_t) (i) >= ELEMENTSOF(name##_table))                                   \
                        return NULL;                                                               \
                return name##_table[i];                                                            \
        }

#define DEFINE_STRING_TABLE_LOOKUP_FROM_STRING(name, type)                                         \
        int name##_from_string(const char *s) {                                                    \
                return string_table_lookup(name##_table, ELEMENTSOF(name##_table), s);             \
        }

#define DEFINE_STRING_TABLE_LOOKUP(name, type)                                                     \
        DEFINE_STRING_TABLE_LOOKUP_TO_STRING(name, type)                                           \
        DEFINE_STRING_TABLE_LOOKUP_FROM_STRING(name, type)
