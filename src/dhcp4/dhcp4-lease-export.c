/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The exported dhclient lease file (see dhcp4-lease-export.h): a tokenizer that keeps
 * offsets, so that every byte outside what is changed is copied as it was, the
 * update rule, and the distribution's location. Pure: no files, no clock (now comes
 * in as an argument).
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dhcp4-lease-export.h"
#include "macro.h"
#include "parse-util.h"
#include "string-table.h"

/* ---- growable output ----------------------------------------------------------- */

typedef struct Out {
        char *buf;
        size_t len, cap;
        bool oom;
} Out;

static void out_add(Out *o, const char *s, size_t n) {
        if (o->oom || n == 0)
                return;
        if (o->len + n + 1 > o->cap) {
                size_t cap = MAX(o->cap * 2, o->len + n + 1);
                char *b = realloc(o->buf, MAX(cap, (size_t) 256));

                if (!b) {
                        o->oom = true;
                        return;
                }
                o->buf = b;
                o->cap = MAX(cap, (size_t) 256);
        }
        memcpy(o->buf + o->len, s, n);
        o->len += n;
        o->buf[o->len] = '\0';
}

_printf_(2, 3) static void out_printf(Out *o, const char *fmt, ...) {
        char tmp[128];
        va_list ap;
        int k;

        va_start(ap, fmt);
        k = vsnprintf(tmp, sizeof(tmp), fmt, ap);
        va_end(ap);
        if (k < 0 || (size_t) k >= sizeof(tmp)) {
                o->oom = true;
                return;
        }
        out_add(o, tmp, (size_t) k);
}

/* ---- tokenizer (dhclient.leases(5) syntax: words, "strings", { } ; and # comments) */

typedef enum Tok { TOK_EOF, TOK_WORD, TOK_STRING, TOK_OPEN, TOK_CLOSE, TOK_SEMI, TOK_ERROR } Tok;

typedef struct Lexer {
        const char *s;
        size_t len, pos;
        size_t start, end; /* of the last token */
} Lexer;

static bool is_blank(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static Tok lex(Lexer *x) {
        while (x->pos < x->len) {
                char c = x->s[x->pos];

                if (is_blank(c))
                        x->pos++;
                else if (c == '#') {
                        while (x->pos < x->len && x->s[x->pos] != '\n')
                                x->pos++;
                } else
                        break;
        }
        x->start = x->pos;
        if (x->pos >= x->len)
                return TOK_EOF;
        switch (x->s[x->pos]) {
        case '\0':
                return TOK_ERROR;
        case '{':
                x->end = ++x->pos;
                return TOK_OPEN;
        case '}':
                x->end = ++x->pos;
                return TOK_CLOSE;
        case ';':
                x->end = ++x->pos;
                return TOK_SEMI;
        case '"':
                for (x->pos++; x->pos < x->len && x->s[x->pos] != '"'; x->pos++) {
                        if (x->s[x->pos] == '\0' || x->s[x->pos] == '\n')
                                return TOK_ERROR;
                        if (x->s[x->pos] == '\\')
                                x->pos++;
                }
                if (x->pos >= x->len)
                        return TOK_ERROR;
                x->end = ++x->pos;
                return TOK_STRING;
        default:
                while (x->pos < x->len) {
                        char c = x->s[x->pos];

                        if (is_blank(c) || c == ';' || c == '{' || c == '}' || c == '"' || c == '#')
                                break;
                        if (c == '\0')
                                return TOK_ERROR;
                        x->pos++;
                }
                x->end = x->pos;
                return TOK_WORD;
        }
}

static bool tok_is(const Lexer *x, const char *word) {
        size_t n = strlen(word);
        return x->end - x->start == n && memcmp(x->s + x->start, word, n) == 0;
}

/* ---- lease blocks -------------------------------------------------------------- */

#define BLOCK_TIMES 3
static const char *const time_names[BLOCK_TIMES] = { "renew", "rebind", "expire" };

typedef struct TimeStmt {
        size_t start, end; /* "renew ... ;" */
        bool never;
        int64_t value;     /* seconds; valid unless never or !parsed */
        bool parsed;
} TimeStmt;

typedef struct Block {
        size_t start, end; /* "lease" .. "}" */
        bool ours;
        TimeStmt times[BLOCK_TIMES * 2]; /* a time repeated is rewritten too */
        size_t n_times;
} Block;

/* "W YYYY/MM/DD HH:MM:SS", "epoch N" or "never" (the words of the statement after its
 * keyword, space-separated). */
static int parse_when(const char *w, TimeStmt *t) {
        unsigned wd, y, mo, d, h, mi, sec;
        unsigned long long epoch;
        struct tm tm = {};
        char tail;

        t->never = false;
        if (strcmp(w, "never") == 0) {
                t->never = true;
                return 0;
        }
        if (sscanf(w, "epoch %llu%c", &epoch, &tail) == 1) {
                if (epoch > INT64_MAX)
                        return -EINVAL;
                t->value = (int64_t) epoch;
                return 0;
        }
        if (sscanf(w, "%u %u/%u/%u %u:%u:%u%c", &wd, &y, &mo, &d, &h, &mi, &sec, &tail) != 7 || y < 1970 ||
            y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
                return -EINVAL;
        tm.tm_year = (int) y - 1900;
        tm.tm_mon = (int) mo - 1;
        tm.tm_mday = (int) d;
        tm.tm_hour = (int) h;
        tm.tm_min = (int) mi;
        tm.tm_sec = (int) sec;
        t->value = (int64_t) timegm(&tm);
        return 0;
}

/* Parses the statements of the block whose "lease" word the lexer just read, up to
 * its closing brace. 0, or -EBADMSG. */
static int parse_block(Lexer *x, const char *ifname, Block *b) {
        unsigned depth = 0;
        Tok t;

        b->start = x->start;
        if (lex(x) != TOK_OPEN)
                return -EBADMSG;
        depth = 1;
        for (;;) {
                size_t stmt_start;
                int which = -1;
                char words[96];
                size_t wn = 0;
                bool iface = false, first = true;

                t = lex(x);
                if (t == TOK_EOF || t == TOK_ERROR)
                        return -EBADMSG;
                if (t == TOK_CLOSE) {
                        if (--depth == 0) {
                                b->end = x->end;
                                return 0;
                        }
                        continue;
                }
                if (t == TOK_OPEN) {
                        depth++;
                        continue;
                }
                if (t == TOK_SEMI)
                        continue;
                /* A statement: tokens up to ';' (or a nested block). */
                stmt_start = x->start;
                words[0] = '\0';
                for (;; t = lex(x)) {
                        if (t == TOK_EOF || t == TOK_ERROR)
                                return -EBADMSG;
                        if (t == TOK_SEMI)
                                break;
                        if (t == TOK_OPEN || t == TOK_CLOSE) {
                                /* Not a simple statement: hand the brace back. */
                                x->pos = x->start;
                                which = -1;
                                iface = false;
                                break;
                        }
                        if (first && depth == 1) {
                                for (int i = 0; i < BLOCK_TIMES; i++)
                                        if (t == TOK_WORD && tok_is(x, time_names[i]))
                                                which = i;
                                iface = t == TOK_WORD && tok_is(x, "interface");
                        } else if (which >= 0) {
                                size_t n = x->end - x->start;

                                if (wn + n + 2 < sizeof(words)) {
                                        if (wn)
                                                words[wn++] = ' ';
                                        memcpy(words + wn, x->s + x->start, n);
                                        wn += n;
                                        words[wn] = '\0';
                                }
                        } else if (iface && t == TOK_STRING) {
                                size_t n = x->end - x->start - 2;

                                b->ours = n == strlen(ifname) && memcmp(x->s + x->start + 1, ifname, n) == 0;
                                iface = false;
                        }
                        first = false;
                }
                if (t == TOK_SEMI && which >= 0 && b->n_times < ELEMENTSOF(b->times)) {
                        TimeStmt *ts = &b->times[b->n_times++];

                        ts->start = stmt_start;
                        ts->end = x->end;
                        ts->parsed = parse_when(words, ts) >= 0;
                }
        }
}

/* The blocks of the text, in order; 0 or -EBADMSG / -ENOMEM. */
static int parse_blocks(const char *text, size_t len, const char *ifname, Block **ret, size_t *ret_n) {
        Lexer x = { .s = text, .len = len };
        Block *v = NULL;
        size_t n = 0, cap = 0;
        unsigned depth = 0;
        Tok t;
        int r = 0;

        if (len > 0 && memchr(text, '\0', len))
                return -EBADMSG;
        while ((t = lex(&x)) != TOK_EOF) {
                if (t == TOK_ERROR) {
                        r = -EBADMSG;
                        break;
                }
                if (t == TOK_OPEN)
                        depth++;
                else if (t == TOK_CLOSE) {
                        if (depth == 0) {
                                r = -EBADMSG;
                                break;
                        }
                        depth--;
                } else if (t == TOK_WORD && depth == 0 && tok_is(&x, "lease")) {
                        if (n == cap) {
                                Block *nv = realloc(v, (cap = cap ? cap * 2 : 8) * sizeof(*v));

                                if (!nv) {
                                        r = -ENOMEM;
                                        break;
                                }
                                v = nv;
                        }
                        v[n] = (Block) {};
                        r = parse_block(&x, ifname, &v[n]);
                        if (r < 0)
                                break;
                        n++;
                }
        }
        if (r >= 0 && depth != 0)
                r = -EBADMSG;
        if (r < 0) {
                free(v);
                return r;
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

static bool all_blank(const char *s, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (!is_blank(s[i]))
                        return false;
        return true;
}

/* Copies text[from, to) unless it is only blanks (the gaps between blocks are
 * written anew, one newline after each block). */
static void out_gap(Out *o, const char *text, size_t from, size_t to) {
        if (to <= from || all_blank(text + from, to - from))
                return;
        /* Leading blanks of a gap are the newline after the block before it. */
        while (from < to && (text[from] == '\n' || text[from] == '\r'))
                from++;
        out_add(o, text + from, to - from);
        if (text[to - 1] != '\n')
                out_add(o, "\n", 1);
}

static void out_when(Out *o, const char *what, int64_t when) {
        struct tm tm;
        time_t t = (time_t) when;

        if (!gmtime_r(&t, &tm)) {
                o->oom = true;
                return;
        }
        out_printf(o, "%s %d %04d/%02d/%02d %02d:%02d:%02d;", what, tm.tm_wday, tm.tm_year + 1900, tm.tm_mon + 1,
                   tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* An older block of ours, with every time after `limit` moved back to it. */
static bool out_clamped_block(Out *o, const char *text, const Block *b, int64_t limit) {
        size_t pos = b->start;
        bool changed = false;

        for (size_t i = 0; i < b->n_times; i++) {
                const TimeStmt *t = &b->times[i];
                const char *what = NULL;

                if (t->parsed && !t->never && t->value <= limit)
                        continue;
                for (int k = 0; k < BLOCK_TIMES; k++)
                        if (strncmp(text + t->start, time_names[k], strlen(time_names[k])) == 0)
                                what = time_names[k];
                out_add(o, text + pos, t->start - pos);
                out_when(o, what ? what : "expire", limit);
                pos = t->end;
                changed = true;
        }
        out_add(o, text + pos, b->end - pos);
        out_add(o, "\n", 1);
        return changed;
}

int dhcp4_lease_export_update(const char *old, size_t old_len, const char *ifname, const char *block,
                              size_t block_len, uint64_t now_sec, unsigned max_blocks, char **ret, size_t *ret_len,
                              Dhcp4LeaseExportStats *ret_stats) {
        Dhcp4LeaseExportStats st = {};
        _cleanup_(freep) Block *v = NULL;
        size_t n = 0, ours = 0, skip, seen = 0, pos = 0;
        int64_t limit;
        Out o = {};
        int r;

        if (!ifname_valid(ifname) || !block || block_len == 0 || max_blocks == 0 ||
            max_blocks > DHCP4_LEASE_EXPORT_MAX_BLOCKS || (!old && old_len > 0) || old_len > DHCP4_LEASE_EXPORT_FILE_MAX ||
            !ret || !ret_len || now_sec == 0 || now_sec > (uint64_t) INT64_MAX)
                return -EINVAL;
        limit = (int64_t) now_sec - 1;

        r = old_len > 0 ? parse_blocks(old, old_len, ifname, &v, &n) : 0;
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                st.corrupt = true;
                n = 0;
                old_len = 0;
        }
        for (size_t i = 0; i < n; i++)
                ours += v[i].ours;
        skip = ours > max_blocks - 1 ? ours - (max_blocks - 1) : 0;

        for (size_t i = 0; i < n; i++) {
                const Block *b = &v[i];

                out_gap(&o, old, pos, b->start);
                pos = b->end;
                if (!b->ours) {
                        st.others++;
                        out_add(&o, old + b->start, b->end - b->start);
                        out_add(&o, "\n", 1);
                        continue;
                }
                if (seen++ < skip) {
                        st.dropped++;
                        continue;
                }
                st.kept++;
                st.clamped += out_clamped_block(&o, old, b, limit);
        }
        if (old_len > 0)
                out_gap(&o, old, pos, old_len);
        out_add(&o, block, block_len);
        if (block[block_len - 1] != '\n')
                out_add(&o, "\n", 1);
        if (o.oom) {
                free(o.buf);
                return -ENOMEM;
        }
        *ret = o.buf;
        *ret_len = o.len;
        if (ret_stats)
                *ret_stats = st;
        return 0;
}

/* ---- where dhclient keeps its leases -------------------------------------------- */

static const char *const dhcp4_os_family_table[] = {
        [DHCP4_OS_UNKNOWN] = "unknown",
        [DHCP4_OS_DEBIAN] = "debian",
        [DHCP4_OS_RHEL] = "rhel",
};
DEFINE_STRING_TABLE_LOOKUP_TO_STRING(dhcp4_os_family, Dhcp4OsFamily);

static Dhcp4OsFamily family_of(const char *id) {
        static const struct {
                const char *id;
                Dhcp4OsFamily family;
        } known[] = {
                { "debian", DHCP4_OS_DEBIAN }, { "ubuntu", DHCP4_OS_DEBIAN },
                { "rhel", DHCP4_OS_RHEL },     { "fedora", DHCP4_OS_RHEL },
                { "centos", DHCP4_OS_RHEL },
        };

        for (size_t i = 0; i < ELEMENTSOF(known); i++)
                if (strcmp(id, known[i].id) == 0)
                        return known[i].family;
        return DHCP4_OS_UNKNOWN;
}

/* os-release(5) values are shell-quoted: "..." with \ escapes, '...', or bare. */
static void unquote(const char *v, size_t n, char *out, size_t size) {
        size_t k = 0;
        char q = 0;

        if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
                q = v[0];
                v++;
                n -= 2;
        }
        for (size_t i = 0; i < n && k + 1 < size; i++) {
                if (q == '"' && v[i] == '\\' && i + 1 < n)
                        i++;
                out[k++] = v[i];
        }
        out[k] = '\0';
}

int dhcp4_lease_export_os_family(const char *text, size_t len, Dhcp4OsFamily *ret, char *ret_id) {
        char id[64] = "", like[256] = "";
        const char *p, *end;

        if ((!text && len > 0) || !ret)
                return -EINVAL;
        for (p = text, end = text ? text + len : text; p < end;) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                size_t l = nl ? (size_t) (nl - p) : (size_t) (end - p);

                if (l > 3 && memcmp(p, "ID=", 3) == 0)
                        unquote(p + 3, l - 3, id, sizeof(id));
                else if (l > 8 && memcmp(p, "ID_LIKE=", 8) == 0)
                        unquote(p + 8, l - 8, like, sizeof(like));
                p = nl ? nl + 1 : end;
        }
        *ret = family_of(id);
        if (*ret == DHCP4_OS_UNKNOWN) {
                char *save = NULL;

                for (char *w = strtok_r(like, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                        *ret = family_of(w);
                        if (*ret != DHCP4_OS_UNKNOWN)
                                break;
                }
        }
        if (ret_id)
                snprintf(ret_id, 64, "%s", id);
        return 0;
}

int dhcp4_lease_export_default_path(Dhcp4OsFamily family, const char *ifname, char *buf, size_t size) {
        int k;

        if (!ifname_valid(ifname) || !buf || size == 0)
                return -EINVAL;
        switch (family) {
        case DHCP4_OS_DEBIAN:
                k = snprintf(buf, size, "/var/lib/dhcp/dhclient.%s.leases", ifname);
                break;
        case DHCP4_OS_RHEL:
                k = snprintf(buf, size, "/var/lib/dhclient/dhclient-%s.leases", ifname);
                break;
        default:
                return -ENOENT;
        }
        return k < 0 || (size_t) k >= size ? -ENOBUFS : 0;
}
