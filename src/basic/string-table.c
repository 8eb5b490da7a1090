/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The lookup behind DEFINE_STRING_TABLE_LOOKUP_FROM_STRING (string-table.h).
 */

#include <string.h>

#include "string-table.h"

int string_table_lookup(const char *const *table, size_t n, const char *s) {
        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (table[i] && strcmp(table[i], s) == 0)
                        return (int) i;
        return -EINVAL;
}
