/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dhclient and systemd-style lease readers (see doctor-lease.h). A small tokenizer
 * (words, quoted strings, '{', '}', ';', '#' comments) feeds a statement parser.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "doctor-lease.h"
#include "hexdecoct.h"
#include "macro.h"
#include "parse-util.h"
#include "time-util.h"

#define TOKEN_MAX 256
#define STMT_WORDS 8

typedef struct Lexer {
        const char *text;
        size_t len, pos;
        unsigned line;
} Lexer;

typedef enum TokKind { TOK_EOF, TOK_WORD, TOK_STRING, TOK_OPEN, TOK_CLOSE, TOK_SEMI, TOK_ERROR } TokKind;

static TokKind lex(Lexer *l, char *buf, size_t size, unsigned *tok_line) {
        for (;;) {
                char c;

                if (l->pos >= l->len)
                        return TOK_EOF;
                c = l->text[l->pos];
                if (c == '\n') {
                        l->line++;
                        l->pos++;
                } else if (c == ' ' || c == '\t' || c == '\r')
                        l->pos++;
                else if (c == '#') {
                        while (l->pos < l->len && l->text[l->pos] != '\n')
                                l->pos++;
                } else
                        break;
        }
        *tok_line = l->line;
        switch (l->text[l->pos]) {
        case '{':
                l->pos++;
                return TOK_OPEN;
        case '}':
                l->pos++;
                return TOK_CLOSE;
        case ';':
                l->pos++;
                return TOK_SEMI;
        case '\0':
                return TOK_ERROR;
        case '"': {
                size_t n = 0;

                l->pos++;
                while (l->pos < l->len && l->text[l->pos] != '"') {
                        char c = l->text[l->pos++];

                        if (c == '\0' || c == '\n')
                                return TOK_ERROR;
                        if (c == '\\' && l->pos < l->len)
                                c = l->text[l->pos++];
                        if (n + 1 < size)
                                buf[n++] = c;
                }
                if (l->pos >= l->len)
                        return TOK_ERROR;
                l->pos++;
                buf[n] = '\0';
                return TOK_STRING;
        }
        default: {
                size_t n = 0;

                while (l->pos < l->len) {
                        char c = l->text[l->pos];

                        if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ';' || c == '{' || c == '}' ||
                            c == '"' || c == '#')
                                break;
                        if (c == '\0')
                                return TOK_ERROR;
                        if (n + 1 < size)
                                buf[n++] = c;
                        l->pos++;
                }
                buf[n] = '\0';
                return TOK_WORD;
        }
        }
}

int dhclient_time_parse(const char *s, int64_t *ret) {
        unsigned w, y, mo, d, h, mi, sec;
        char tail;
        static const unsigned mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

        if (sscanf(s, "%u %u/%u/%u %u:%u:%u%c", &w, &y, &mo, &d, &h, &mi, &sec, &tail) != 7)
                return -EINVAL;
        if (w > 6 || y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 ||
            sec > 60)
                return -EINVAL;
        *ret = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
        return 0;
}

static int parse_client_id(const char *s, bool quoted, DhclientLease *l) {
        size_t n = 0;

        if (quoted) {
                size_t sl = strlen(s);
                if (sl > DHCLIENT_CLIENT_ID_MAX)
                        return -EBADMSG;
                memcpy(l->client_id, s, sl);
                l->client_id_len = sl;
                return 0;
        }
        while (*s) {
                unsigned v = 0, digits = 0;

                while (*s && *s != ':') {
                        char c = *s++;
                        unsigned d;

                        if (c >= '0' && c <= '9')
                                d = (unsigned)(c - '0');
                        else if (c >= 'a' && c <= 'f')
                                d = (unsigned)(c - 'a' + 10);
                        else if (c >= 'A' && c <= 'F')
                                d = (unsigned)(c - 'A' + 10);
                        else
                                return -EBADMSG;
                        v = v * 16 + d;
                        if (++digits > 2)
                                return -EBADMSG;
                }
                if (digits == 0 || n >= DHCLIENT_CLIENT_ID_MAX)
                        return -EBADMSG;
                l->client_id[n++] = (uint8_t)v;
                if (*s == ':') {
                        s++;
                        if (!*s)
                                return -EBADMSG;
                }
        }
        if (n == 0)
                return -EBADMSG;
        l->client_id_len = n;
        return 0;
}

static int mask_to_prefixlen(struct in_addr m, uint8_t *ret) {
        uint32_t v = ntohl(m.s_addr);
        uint8_t p = 0;

        while (p < 32 && (v & (UINT32_C(1) << (31 - p))))
                p++;
        if (p < 32 && (v << p) != 0)
                return -EBADMSG;
        *ret = p;
        return 0;
}

/* One statement inside a lease block: words[0..n) plus whether the last was quoted. */
static int lease_statement(DhclientLease *l, char words[][TOKEN_MAX], const bool *quoted, size_t n) {
        if (n == 0)
                return 0;
        if (strcmp(words[0], "interface") == 0 && n == 2) {
                if (strlen(words[1]) >= sizeof(l->interface))
                        return -EBADMSG;
                snprintf(l->interface, sizeof(l->interface), "%s", words[1]);
                return 0;
        }
        if (strcmp(words[0], "fixed-address") == 0 && n == 2) {
                if (parse_ipv4(words[1], &l->address) < 0)
                        return -EBADMSG;
                l->has_address = true;
                return 0;
        }
        if (strcmp(words[0], "option") == 0 && n == 3 && strcmp(words[1], "subnet-mask") == 0) {
                struct in_addr m;
                if (parse_ipv4(words[2], &m) < 0 || mask_to_prefixlen(m, &l->prefixlen) < 0)
                        return -EBADMSG;
                return 0;
        }
        if (strcmp(words[0], "option") == 0 && n == 3 && strcmp(words[1], "dhcp-client-identifier") == 0)
                return parse_client_id(words[2], quoted[2], l);
        if ((strcmp(words[0], "renew") == 0 || strcmp(words[0], "rebind") == 0 || strcmp(words[0], "expire") == 0)) {
                int64_t t;
                char joined[64];

                if (n == 2 && strcmp(words[1], "never") == 0)
                        t = DHCLIENT_EXPIRE_NEVER;
                else if (n == 3 && strcmp(words[1], "epoch") == 0) {
                        uint64_t v;
                        if (parse_u64(words[2], &v) < 0 || v > INT64_MAX / 2)
                                return -EBADMSG;
                        t = (int64_t)v;
                } else if (n == 4) {
                        snprintf(joined, sizeof(joined), "%s %s %s", words[1], words[2], words[3]);
                        if (dhclient_time_parse(joined, &t) < 0)
                                return -EBADMSG;
                } else
                        return -EBADMSG;
                if (words[0][0] == 'e') {
                        l->expire = t;
                        l->has_expire = true;
                } else if (words[0][2] == 'n')
                        l->renew = t;
                else
                        l->rebind = t;
        }
        return 0;
}

static int fail(unsigned line, const char *why, unsigned *ret_line, const char **ret_error) {
        if (ret_line)
                *ret_line = line;
        if (ret_error)
                *ret_error = why;
        return -EBADMSG;
}

int dhclient_leases_parse(const char *text, size_t len, DhclientLease *out, size_t max, size_t *ret_n,
                          unsigned *ret_line, const char **ret_error) {
        Lexer lx = { .text = text, .len = len, .line = 1 };
        char words[STMT_WORDS][TOKEN_MAX];
        bool quoted[STMT_WORDS];
        size_t nw = 0, count = 0;
        unsigned depth = 0, tline = 1, block_line = 0;
        bool in_lease = false;
        DhclientLease cur = {};

        for (;;) {
                char buf[TOKEN_MAX];
                TokKind k = lex(&lx, buf, sizeof(buf), &tline);

                switch (k) {
                case TOK_ERROR:
                        return fail(lx.line, "unterminated string or NUL byte", ret_line, ret_error);
                case TOK_EOF:
                        if (depth > 0)
                                return fail(block_line, "unterminated block", ret_line, ret_error);
                        *ret_n = count;
                        return 0;
                case TOK_WORD:
                case TOK_STRING:
                        if (nw < STMT_WORDS) {
                                snprintf(words[nw], TOKEN_MAX, "%s", buf);
                                quoted[nw] = k == TOK_STRING;
                        }
                        nw++;
                        break;
                case TOK_OPEN:
                        if (depth == 0) {
                                block_line = tline;
                                in_lease = nw == 1 && strcmp(words[0], "lease") == 0;
                                cur = (DhclientLease){ .line = tline };
                        }
                        if (++depth > 16)
                                return fail(tline, "nested too deeply", ret_line, ret_error);
                        nw = 0;
                        break;
                case TOK_SEMI:
                        if (in_lease && depth == 1 &&
                            lease_statement(&cur, words, quoted, MIN(nw, (size_t)STMT_WORDS)) < 0)
                                return fail(tline, "malformed lease statement", ret_line, ret_error);
                        nw = 0;
                        break;
                case TOK_CLOSE:
                        if (depth == 0)
                                return fail(tline, "'}' without block", ret_line, ret_error);
                        if (--depth == 0 && in_lease) {
                                if (count < max)
                                        out[count] = cur;
                                count++;
                                in_lease = false;
                        }
                        nw = 0;
                        break;
                }
        }
}

int dhclient_leases_pick(const DhclientLease *v, size_t n, const char *ifname) {
        int best = -ENOENT;

        for (size_t i = 0; i < n; i++) {
                if (strcmp(v[i].interface, ifname) != 0)
                        continue;
                if (best < 0)
                        best = (int)i;
                else {
                        int64_t a = v[best].has_expire ? v[best].expire : INT64_MIN;
                        int64_t b = v[i].has_expire ? v[i].expire : INT64_MIN;
                        if (b >= a)
                                best = (int)i;
                }
        }
        return best;
}

int sd_lease_parse(const char *text, size_t len, DhclientLease *ret) {
        size_t pos = 0;

        *ret = (DhclientLease){};
        while (pos < len) {
                const char *s = text + pos, *nl = memchr(s, '\n', len - pos);
                size_t n = nl ? (size_t)(nl - s) : len - pos;
                char buf[512];

                pos += n + (nl ? 1 : 0);
                if (n >= sizeof(buf) || memchr(s, '\0', n))
                        return -EBADMSG;
                memcpy(buf, s, n);
                buf[n] = '\0';
                if (strncmp(buf, "ADDRESS=", 8) == 0) {
                        if (parse_ipv4(buf + 8, &ret->address) < 0)
                                return -EBADMSG;
                        ret->has_address = true;
                } else if (strncmp(buf, "CLIENTID=", 9) == 0) {
                        /* Plain hex (networkd, NM) or colon-separated (infradhcpd). */
                        const char *h = buf + 9;
                        size_t k = 0;

                        while (*h) {
                                int hi, lo;

                                if (*h == ':' && k > 0) {
                                        h++;
                                        continue;
                                }
                                hi = unhexchar(h[0]);
                                lo = hi >= 0 ? unhexchar(h[1]) : -1;
                                if (lo < 0 || k >= DHCLIENT_CLIENT_ID_MAX)
                                        return -EBADMSG;
                                ret->client_id[k++] = (uint8_t)(hi << 4 | lo);
                                h += 2;
                        }
                        if (k == 0)
                                return -EBADMSG;
                        ret->client_id_len = k;
                }
        }
        return 0;
}

char *dhclient_client_id_format(const uint8_t *id, size_t len, char *buf, size_t size) {
        size_t o = 0;

        if (size == 0)
                return buf;
        buf[0] = '\0';
        for (size_t i = 0; i < len && o + 4 <= size; i++)
                o += (size_t)snprintf(buf + o, size - o, i ? ":%02x" : "%02x", id[i]);
        return buf;
}
