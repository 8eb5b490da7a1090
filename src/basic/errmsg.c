/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Parser error messages (errmsg.h).
 */

#include <stdio.h>

#include "errmsg.h"

int errmsgv(char *err, size_t errlen, int error, const char *prefix, const char *fmt, va_list ap) {
        int n = 0;

        if (!err || errlen == 0)
                return error;
        err[0] = '\0';
        if (prefix) {
                n = snprintf(err, errlen, "%s: ", prefix);
                if (n < 0)
                        n = 0;
        }
        if ((size_t) n < errlen)
                (void) vsnprintf(err + n, errlen - (size_t) n, fmt, ap);
        for (char *p = err; *p; p++)
                if (*p == '\n' || *p == '\r')
                        *p = ' ';
        return error;
}

int errmsg(char *err, size_t errlen, int error, const char *prefix, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        error = errmsgv(err, errlen, error, prefix, fmt, ap);
        va_end(ap);
        return error;
}
