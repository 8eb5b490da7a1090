/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The error message of a parser. The text parsers of this tree (configuration,
 * host-agent config, kubeconfig, opflex files, the agent's journal) return a negative
 * errno and, when the caller passed a buffer, a one-line message naming what is wrong:
 *
 *     return errmsg(err, errlen, -EINVAL, path, "line %u: unknown key %s", n, key);
 *
 * writes "PATH: line 7: unknown key Foo" (just the message when prefix is NULL) into
 * err when err != NULL and errlen > 0, truncated to fit, with CR and LF turned into
 * spaces (the message ends up in a log line), and returns `error`. libc only.
 */
#pragma once

#include <stdarg.h>
#include <stddef.h>

#include "macro.h"

int errmsg(char *err, size_t errlen, int error, const char *prefix, const char *fmt, ...) _printf_(5, 6);
int errmsgv(char *err, size_t errlen, int error, const char *prefix, const char *fmt, va_list ap) _printf_(5, 0);
