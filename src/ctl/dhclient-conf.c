/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dhclient.conf(5) as infradhcp-dhclient reads it (see dhclient-conf.h): a tokenizer
 * (words, "strings", { } ; and # comments, with line numbers) and one decision per
 * statement. Pure.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dhclient-conf.h"
#include "macro.h"
#include "parse-util.h"

#define TOKEN_MAX 256
#define WORDS_MAX 16

typedef enum Tok { TOK_EOF, TOK_WORD, TOK_STRING, TOK_OPEN, TOK_CLOSE, TOK_SEMI, TOK_ERROR } Tok;

typedef struct Lexer {
        const char *s;
        size_t len, pos;
        unsigned line;
        const char *error;
} Lexer;

static Tok lex(Lexer *x, char *buf, size_t size, unsigned *ret_line) {
        size_t n = 0;

        for (;;) {
                if (x->pos >= x->len)
                        return TOK_EOF;
                if (x->s[x->pos] == '\n') {
                        x->line++;
                        x->pos++;
                } else if (x->s[x->pos] == ' ' || x->s[x->pos] == '\t' || x->s[x->pos] == '\r')
                        x->pos++;
                else if (x->s[x->pos] == '#') {
                        while (x->pos < x->len && x->s[x->pos] != '\n')
                                x->pos++;
                } else
                        break;
        }
        *ret_line = x->line;
        switch (x->s[x->pos]) {
        case '\0':
                x->error = "a NUL byte";
                return TOK_ERROR;
        case '{':
                x->pos++;
                return TOK_OPEN;
        case '}':
                x->pos++;
                return TOK_CLOSE;
        case ';':
                x->pos++;
                return TOK_SEMI;
        case '"':
                for (x->pos++; x->pos < x->len && x->s[x->pos] != '"'; x->pos++) {
                        char c = x->s[x->pos];

                        if (c == '\n' || c == '\0') {
                                x->error = "an unterminated string";
                                return TOK_ERROR;
                        }
                        if (c == '\\' && x->pos + 1 < x->len)
                                c = x->s[++x->pos];
                        if (n + 1 < size)
                                buf[n++] = c;
                }
                if (x->pos >= x->len) {
                        x->error = "an unterminated string";
                        return TOK_ERROR;
                }
                x->pos++;
                buf[n] = '\0';
                return TOK_STRING;
        default:
                while (x->pos < x->len) {
                        char c = x->s[x->pos];

                        if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ';' || c == '{' || c == '}' ||
                            c == '"' || c == '#')
                                break;
                        if (c == '\0') {
                                x->error = "a NUL byte";
                                return TOK_ERROR;
                        }
                        if (n + 1 < size)
                                buf[n++] = c;
                        x->pos++;
                }
                buf[n] = '\0';
                return TOK_WORD;
        }
}

typedef struct Stmt {
        char words[WORDS_MAX][TOKEN_MAX];
        bool quoted[WORDS_MAX];
        size_t n; /* words kept (a longer statement is cut; its text says so) */
        size_t total;
        unsigned line;
        bool block; /* "WORDS { ... }" rather than "WORDS;" */
} Stmt;

static void stmt_text(const Stmt *st, char *buf, size_t size) {
        char full[WORDS_MAX * (TOKEN_MAX + 3) + 8];
        size_t k = 0;

        full[0] = '\0';
        for (size_t i = 0; i < st->n; i++) {
                bool comma = !st->quoted[i] && st->words[i][0] == ',';
                int w = snprintf(full + k, sizeof(full) - k, "%s%s%s%s", i && !comma ? " " : "",
                                 st->quoted[i] ? "\"" : "",
                                 st->words[i], st->quoted[i] ? "\"" : "");
                if (w < 0 || (size_t) w >= sizeof(full) - k)
                        break;
                k += (size_t) w;
        }
        const char *end = st->block ? " { ... }" : ";";

        if (st->total > st->n || k + strlen(end) + 1 > size) {
                /* Cut at a word boundary, and say so. */
                size_t cut = MIN(k, size - 5 - strlen(end));

                while (cut > 0 && full[cut] != ' ')
                        cut--;
                snprintf(buf, size, "%.*s ...%s", (int) cut, full, end);
        } else
                snprintf(buf, size, "%s%s", full, end);
        /* Only printable text goes to the terminal. */
        for (char *p = buf; *p; p++)
                if ((unsigned char) *p < ' ' || (unsigned char) *p > '~')
                        *p = '?';
}

static void warn(DhclientConf *c, const Stmt *st, const char *reason) {
        if (c->n_warnings < ELEMENTSOF(c->warnings)) {
                DhclientConfWarning *w = &c->warnings[c->n_warnings];

                w->line = st->line;
                w->reason = reason;
                stmt_text(st, w->statement, sizeof(w->statement));
        }
        c->n_warnings++;
}

static bool is(const Stmt *st, size_t i, const char *w) {
        return i < st->n && !st->quoted[i] && strcmp(st->words[i], w) == 0;
}

/* "1:52:54:0:12:34:56" or "01:52:54:00:12:34:56": hardware type 1 and our MAC. */
static bool client_id_is_ours(const char *v, const uint8_t *mac) {
        unsigned b[7];
        char tail;

        if (!mac || sscanf(v, "%x:%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &b[6], &tail) != 7)
                return false;
        if (b[0] != 1)
                return false;
        for (size_t i = 0; i < 6; i++)
                if (b[i + 1] > 0xff || b[i + 1] != mac[i])
                        return false;
        return true;
}

static void eval(DhclientConf *c, const Stmt *st, const uint8_t *mac) {
        static const char *const timing[] = { "retry", "select-timeout", "reboot", "backoff-cutoff",
                                              "initial-interval", "initial-delay" };
        static const char *const overrides[] = { "supersede", "prepend", "append", "default" };

        if (is(st, 0, "send") && is(st, 1, "dhcp-client-identifier")) {
                size_t v = is(st, 2, "=") ? 3 : 2;

                if (st->n == v + 1 && (is(st, v, "hardware") || client_id_is_ours(st->words[v], mac))) {
                        c->client_id_hardware = true;
                        return;
                }
                warn(c, st, "infradhcpd always sends 01:<MAC> (option 61, hardware type and address), which "
                            "the ACI fabric expects");
                return;
        }
        if (is(st, 0, "send") && is(st, 1, "host-name")) {
                warn(c, st, "infradhcpd sends a host name (option 12) only from [DHCPv4] Hostname= in its "
                            "configuration (infradhcpd.conf(5))");
                return;
        }
        if (is(st, 0, "send")) {
                warn(c, st, "infradhcpd sends no options from dhclient.conf");
                return;
        }
        if (is(st, 0, "timeout")) {
                uint64_t t;

                if (st->n == 2 && !st->quoted[1] && parse_u64(st->words[1], &t) >= 0 && t <= 86400 * 365) {
                        c->timeout_sec = (int64_t) t;
                        return;
                }
                warn(c, st, "not a number of seconds");
                return;
        }
        if (is(st, 0, "option") && is(st, 2, "code") && is(st, 4, "="))
                return; /* a definition: names and types for dhclient's own parser */
        if (is(st, 0, "script")) {
                if (st->n == 2 && st->quoted[1]) {
                        size_t l = MIN(strlen(st->words[1]), sizeof(c->script) - 1);

                        memcpy(c->script, st->words[1], l);
                        c->script[l] = '\0';
                        c->script_line = st->line;
                        return;
                }
                warn(c, st, "scripts are not run: infradhcpd configures the interface itself");
                return;
        }
        if (is(st, 0, "request") || is(st, 0, "require") || (is(st, 0, "also") && (is(st, 1, "request") ||
                                                                                  is(st, 1, "require")))) {
                warn(c, st, "infradhcpd asks for its own fixed set of options and needs none of them");
                return;
        }
        for (size_t i = 0; i < ELEMENTSOF(timing); i++)
                if (is(st, 0, timing[i])) {
                        warn(c, st, "infradhcpd's timing is [Timing] in its configuration (infradhcpd.conf(5))");
                        return;
                }
        for (size_t i = 0; i < ELEMENTSOF(overrides); i++)
                if (is(st, 0, overrides[i])) {
                        warn(c, st, "infradhcpd does not override what the server sends");
                        return;
                }
        warn(c, st, "infradhcpd has no equivalent");
}

/* One block's statements (depth 0: the file). ours: they apply to our interface. */
static int parse_block(Lexer *x, unsigned depth, bool ours, const char *ifname, const uint8_t *mac, DhclientConf *c,
                       unsigned *ret_line, const char **ret_error) {
        char tok[TOKEN_MAX];
        unsigned line = x->line, err_line = 0;

        for (;;) {
                Stmt st = {};
                Tok t = lex(x, tok, sizeof(tok), &line);

                if (t == TOK_ERROR)
                        goto fail;
                if (t == TOK_EOF) {
                        if (depth > 0) {
                                x->error = "a block without its '}'";
                                goto fail;
                        }
                        return 0;
                }
                if (t == TOK_CLOSE) {
                        if (depth == 0) {
                                x->error = "a '}' without its '{'";
                                goto fail;
                        }
                        return 0;
                }
                if (t == TOK_SEMI)
                        continue;
                if (t == TOK_OPEN) {
                        x->error = "a '{' without a statement before it";
                        goto fail;
                }
                st.line = line;
                for (;;) {
                        if (st.n < WORDS_MAX) {
                                snprintf(st.words[st.n], sizeof(st.words[st.n]), "%s", tok);
                                st.quoted[st.n] = t == TOK_STRING;
                                st.n++;
                        }
                        st.total++;
                        t = lex(x, tok, sizeof(tok), &line);
                        if (t == TOK_ERROR)
                                goto fail;
                        if (t == TOK_SEMI || t == TOK_OPEN)
                                break;
                        if (t == TOK_EOF || t == TOK_CLOSE) {
                                x->error = "a statement without its ';'";
                                err_line = st.line;
                                goto fail;
                        }
                }
                if (t == TOK_OPEN) {
                        bool inner = false;
                        int r;

                        st.block = true;
                        if (is(&st, 0, "interface") && st.n == 2 && st.quoted[1])
                                inner = ours && strcmp(st.words[1], ifname) == 0;
                        else if (ours) {
                                if (is(&st, 0, "lease"))
                                        warn(c, &st, "a lease written in dhclient.conf is not used: infradhcpd keeps "
                                                     "its own");
                                else
                                        warn(c, &st, "infradhcpd has no equivalent");
                        }
                        r = parse_block(x, depth + 1, inner, ifname, mac, c, ret_line, ret_error);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (ours)
                        eval(c, &st, mac);
        }
fail:
        if (ret_line)
                *ret_line = err_line ? err_line : x->line;
        if (ret_error)
                *ret_error = x->error ? x->error : "malformed";
        return -EBADMSG;
}

int dhclient_conf_parse(const char *text, size_t len, const char *ifname, const uint8_t *mac, DhclientConf *ret,
                        unsigned *ret_line, const char **ret_error) {
        Lexer x = { .s = text, .len = len, .line = 1 };
        DhclientConf c = { .timeout_sec = -1 };
        int r;

        if ((!text && len > 0) || !ifname || !ret)
                return -EINVAL;
        r = parse_block(&x, 0, true, ifname, mac, &c, ret_line, ret_error);
        if (r < 0)
                return r;
        *ret = c;
        return 0;
}
