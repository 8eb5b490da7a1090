/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Logging for the daemons: to the journal with structured fields when the journal
 * socket exists and stderr is not a terminal (and stderr was not forced), else to
 * stderr as one line "ident[pid]: <warning> message: strerror (FIELD=value ...)"
 * (the "<level>" prefix only for warning and worse). Default max level LOG_INFO;
 * default identifier program_invocation_short_name. Keeps errno; no allocation
 * (messages longer than 2 KiB are truncated). Not a general-purpose logging framework.
 */
#pragma once

#include <stdarg.h>
#include <syslog.h>

#include "macro.h"

void log_set_max_level(int level);         /* LOG_ERR .. LOG_DEBUG */
int log_get_max_level(void);
int log_level_from_string(const char *s);  /* "emerg".."debug" (also "error", "warn") or 0..7; -EINVAL */
void log_set_target_stderr(int force);     /* 1: always stderr (tests); 0: auto */
void log_set_identifier(const char *ident); /* SYSLOG_IDENTIFIER */

/* Sets/clears a field attached to every following message, e.g. ("INTERFACE", "eth0").
 * Up to 8 fields; value NULL removes the field. Strings are copied (values truncated
 * at 255 bytes). Invalid journal field names (not [A-Z0-9_], leading '_' or digit)
 * are ignored, as are one-shot fields without "KEY=". */
void log_set_field(const char *key, const char *value);

/* Logs with extra one-shot fields given as a NULL-terminated list of "KEY=value" strings.
 * With error != 0 (either sign), "%m" in fmt expands to strerror(error); if fmt has no
 * "%m", ": strerror(error)" is appended. ERRNO= goes to the journal.
 * Returns -abs(error) if error != 0, else 0, so callers can `return log_error_errno(r, ...)`. */
int log_fullv(int level, int error, const char *const *fields, const char *fmt, va_list ap) _printf_(4, 0);
int log_full(int level, int error, const char *const *fields, const char *fmt, ...) _printf_(4, 5);

#define log_debug(...) log_full(LOG_DEBUG, 0, NULL, __VA_ARGS__)
#define log_info(...) log_full(LOG_INFO, 0, NULL, __VA_ARGS__)
#define log_notice(...) log_full(LOG_NOTICE, 0, NULL, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, 0, NULL, __VA_ARGS__)
#define log_error(...) log_full(LOG_ERR, 0, NULL, __VA_ARGS__)
#define log_debug_errno(e, ...) log_full(LOG_DEBUG, (e), NULL, __VA_ARGS__)
#define log_info_errno(e, ...) log_full(LOG_INFO, (e), NULL, __VA_ARGS__)
#define log_warning_errno(e, ...) log_full(LOG_WARNING, (e), NULL, __VA_ARGS__)
#define log_error_errno(e, ...) log_full(LOG_ERR, (e), NULL, __VA_ARGS__)
/* With fields: log_fields(LOG_INFO, ((const char*[]){"XID=0x1234", NULL}), "fmt", ...) */
#define log_fields(level, fields, ...) log_full((level), 0, (fields), __VA_ARGS__)
