/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Logging for the daemons. A message goes to the journal (sd_journal_sendv) with
 * MESSAGE=, PRIORITY=, SYSLOG_IDENTIFIER=, ERRNO= and the sticky and one-shot
 * fields when the journal socket exists, stderr is not a terminal and stderr was
 * not forced; else to stderr as one line:
 *
 *   infradhcpd[1234]: <warning> renew failed: Network is unreachable (INTERFACE=eth0 XID=0x1a2b)
 *
 * With an error, ": strerror" is appended to the message unless the format names it
 * itself with "%m" (which, as in systemd, expands to the error passed in).
 * The "<level>" prefix is written for warning and more severe only.
 * Not a general-purpose logging framework: single-threaded daemons, no allocation
 * (fixed-size state and stack buffers; long messages are truncated), errno kept.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

/* The location would always be this file: leave CODE_FILE=/CODE_LINE= out. */
#define SD_JOURNAL_SUPPRESS_LOCATION 1
#include <systemd/sd-journal.h>

#include "log.h"
#include "string-table.h"

#define LOG_FIELDS_MAX 8
#define LOG_FIELD_KEY_MAX 64     /* journal field names are at most 64 chars */
#define LOG_FIELD_VALUE_MAX 256
#define LOG_ONESHOT_MAX 16
#define LOG_MESSAGE_MAX 2048
#define LOG_LINE_MAX 4096
#define LOG_JOURNAL_SOCKET "/run/systemd/journal/socket"

typedef struct LogField {
        size_t key_len;                                        /* 0: slot unused */
        char kv[LOG_FIELD_KEY_MAX + 1 + LOG_FIELD_VALUE_MAX + 1]; /* "KEY=value" */
} LogField;

static int log_max_level = LOG_INFO;
static int log_force_stderr = 0;
static int log_use_journal = -1; /* -1: not decided yet */
static char log_identifier[64] = "";
static LogField log_fields_sticky[LOG_FIELDS_MAX];

static const char *const log_level_table[] = {
        [LOG_EMERG] = "emerg",   [LOG_ALERT] = "alert", [LOG_CRIT] = "crit",
        [LOG_ERR] = "err",       [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
        [LOG_INFO] = "info",     [LOG_DEBUG] = "debug",
};

void log_set_max_level(int level) {
        if (level < LOG_EMERG)
                level = LOG_EMERG;
        if (level > LOG_DEBUG)
                level = LOG_DEBUG;
        log_max_level = level;
}

int log_get_max_level(void) {
        return log_max_level;
}

int log_level_from_string(const char *s) {
        int r;

        if (!s || !*s)
                return -EINVAL;

        if (s[0] >= '0' && s[0] <= '7' && s[1] == '\0')
                return s[0] - '0';

        r = string_table_lookup(log_level_table, ELEMENTSOF(log_level_table), s);
        if (r >= 0)
                return r;
        /* Common spellings people type on a command line. */
        if (strcmp(s, "error") == 0)
                return LOG_ERR;
        if (strcmp(s, "warn") == 0)
                return LOG_WARNING;

        return -EINVAL;
}

void log_set_target_stderr(int force) {
        log_force_stderr = !!force;
        log_use_journal = -1; /* decide again on the next message */
}

void log_set_identifier(const char *ident) {
        if (!ident || !*ident) {
                log_identifier[0] = '\0';
                return;
        }
        snprintf(log_identifier, sizeof(log_identifier), "%s", ident);
}

static const char *log_get_identifier(void) {
        if (log_identifier[0])
                return log_identifier;
        if (program_invocation_short_name && *program_invocation_short_name)
                return program_invocation_short_name;
        return "infradhcp";
}

/* Journal field names: A-Z, 0-9, '_', not starting with '_' or a digit (the journal
 * drops such fields or treats '_' ones as trusted). */
static bool log_field_key_valid(const char *key, size_t len) {
        if (len == 0 || len > LOG_FIELD_KEY_MAX)
                return false;
        if (key[0] == '_' || (key[0] >= '0' && key[0] <= '9'))
                return false;
        for (size_t i = 0; i < len; i++)
                if (!((key[i] >= 'A' && key[i] <= 'Z') || (key[i] >= '0' && key[i] <= '9') || key[i] == '_'))
                        return false;
        return true;
}

void log_set_field(const char *key, const char *value) {
        LogField *free_slot = NULL;
        size_t len;

        if (!key)
                return;
        len = strlen(key);
        if (!log_field_key_valid(key, len))
                return;

        for (size_t i = 0; i < LOG_FIELDS_MAX; i++) {
                LogField *f = log_fields_sticky + i;

                if (f->key_len == 0) {
                        if (!free_slot)
                                free_slot = f;
                        continue;
                }
                if (f->key_len == len && memcmp(f->kv, key, len) == 0) {
                        if (!value) {
                                f->key_len = 0;
                                return;
                        }
                        free_slot = f;
                        break;
                }
        }

        if (!value || !free_slot)
                return; /* nothing to remove, or all slots taken: the field is dropped */

        snprintf(free_slot->kv, sizeof(free_slot->kv), "%s=%s", key, value);
        free_slot->key_len = len;
}

static bool log_oneshot_valid(const char *kv) {
        const char *eq = strchr(kv, '=');

        return eq && log_field_key_valid(kv, (size_t) (eq - kv));
}

static bool log_decide_journal(void) {
        if (log_use_journal < 0) {
                if (log_force_stderr || isatty(STDERR_FILENO))
                        log_use_journal = 0;
                else
                        log_use_journal = access(LOG_JOURNAL_SOCKET, F_OK) == 0;
        }
        return log_use_journal > 0;
}

static int log_to_journal(int level, int error, const char *const *fields, const char *msg) {
        char prio[sizeof("PRIORITY=") + 2], errnobuf[sizeof("ERRNO=") + 12], ident[sizeof(log_identifier) + 32];
        char message[sizeof("MESSAGE=") + LOG_MESSAGE_MAX];
        struct iovec iov[4 + LOG_FIELDS_MAX + LOG_ONESHOT_MAX];
        size_t n = 0;

        snprintf(message, sizeof(message), "MESSAGE=%s", msg);
        snprintf(prio, sizeof(prio), "PRIORITY=%i", level);
        snprintf(ident, sizeof(ident), "SYSLOG_IDENTIFIER=%s", log_get_identifier());
        iov[n++] = (struct iovec) { .iov_base = message, .iov_len = strlen(message) };
        iov[n++] = (struct iovec) { .iov_base = prio, .iov_len = strlen(prio) };
        iov[n++] = (struct iovec) { .iov_base = ident, .iov_len = strlen(ident) };
        if (error != 0) {
                snprintf(errnobuf, sizeof(errnobuf), "ERRNO=%i", error);
                iov[n++] = (struct iovec) { .iov_base = errnobuf, .iov_len = strlen(errnobuf) };
        }
        for (size_t i = 0; i < LOG_FIELDS_MAX; i++)
                if (log_fields_sticky[i].key_len > 0)
                        iov[n++] = (struct iovec) { .iov_base = log_fields_sticky[i].kv,
                                                    .iov_len = strlen(log_fields_sticky[i].kv) };
        for (size_t i = 0; fields && fields[i] && i < LOG_ONESHOT_MAX; i++)
                if (log_oneshot_valid(fields[i]))
                        iov[n++] = (struct iovec) { .iov_base = (void *) fields[i], .iov_len = strlen(fields[i]) };

        return sd_journal_sendv(iov, (int) n);
}

/* Appends to line[*pos..size) with truncation; keeps room for the final "\n". */
_printf_(4, 5) static void line_append(char *line, size_t size, size_t *pos, const char *fmt, ...) {
        va_list ap;
        int k;

        if (*pos >= size - 1)
                return;
        va_start(ap, fmt);
        k = vsnprintf(line + *pos, size - 1 - *pos, fmt, ap);
        va_end(ap);
        if (k < 0)
                return;
        *pos = MIN(*pos + (size_t) k, size - 2);
}

static void log_to_stderr(int level, const char *const *fields, const char *msg) {
        char line[LOG_LINE_MAX];
        size_t pos = 0, nfields = 0;
        ssize_t k;

        line_append(line, sizeof(line), &pos, "%s[%i]: ", log_get_identifier(), (int) getpid());
        if (level <= LOG_WARNING)
                line_append(line, sizeof(line), &pos, "<%s> ", log_level_table[level]);

        /* One message, one line: embedded newlines would break line-based readers. */
        for (const char *p = msg; *p && pos < sizeof(line) - 2; p++)
                line[pos++] = (*p == '\n' || *p == '\r') ? ' ' : *p;
        line[pos] = '\0';

        for (size_t i = 0; i < LOG_FIELDS_MAX; i++)
                if (log_fields_sticky[i].key_len > 0)
                        line_append(line, sizeof(line), &pos, "%s%s", nfields++ == 0 ? " (" : " ",
                                    log_fields_sticky[i].kv);
        for (size_t i = 0; fields && fields[i] && i < LOG_ONESHOT_MAX; i++)
                if (log_oneshot_valid(fields[i]))
                        line_append(line, sizeof(line), &pos, "%s%s", nfields++ == 0 ? " (" : " ", fields[i]);
        if (nfields > 0)
                line_append(line, sizeof(line), &pos, ")");

        line[pos++] = '\n';
        /* A single write() so concurrent writers do not interleave within a line. */
        do
                k = write(STDERR_FILENO, line, pos);
        while (k < 0 && errno == EINTR);
}

/* True if fmt has a "%m" conversion (not "%%m"). */
static bool log_format_has_errno(const char *fmt) {
        for (const char *p = fmt; *p; p++) {
                if (*p != '%')
                        continue;
                if (p[1] == '%') {
                        p++;
                        continue;
                }
                if (p[1] == 'm')
                        return true;
        }
        return false;
}

int log_fullv(int level, int error, const char *const *fields, const char *fmt, va_list ap) {
        char msg[LOG_MESSAGE_MAX];
        int saved_errno = errno;
        size_t len;

        level = LOG_PRI(level);
        if (error < 0)
                error = -error;

        if (level > log_max_level)
                goto finish;

        /* Let "%m" in fmt refer to the error passed in. */
        errno = error;
        if (!fmt || vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
                msg[0] = '\0';
        /* systemd-style "%m" already names the error; otherwise append it. */
        if (error != 0 && !(fmt && log_format_has_errno(fmt))) {
                char buf[128];
                const char *s = strerror_r(error, buf, sizeof(buf));

                len = strlen(msg);
                snprintf(msg + len, sizeof(msg) - len, ": %s", s);
        }

        if (!log_decide_journal() || log_to_journal(level, error, fields, msg) < 0)
                log_to_stderr(level, fields, msg);

finish:
        errno = saved_errno;
        return error == 0 ? 0 : -error;
}

int log_full(int level, int error, const char *const *fields, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = log_fullv(level, error, fields, fmt, ap);
        va_end(ap);
        return r;
}
