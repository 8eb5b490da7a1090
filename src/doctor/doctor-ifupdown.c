/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ifupdown interfaces(5) scanner (see doctor-ifupdown.h).
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "doctor-ifupdown.h"

#define LOGICAL_LINE_MAX 8192
#define WORDS_MAX 64

bool ifupdown_run_parts_name(const char *name) {
        if (!*name)
                return false;
        for (const char *p = name; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
                      *p == '-'))
                        return false;
        return true;
}

/* Splits s (modified) into blank-separated words. */
static size_t split_words(char *s, char **words, size_t max) {
        size_t n = 0;

        while (*s && n < max) {
                while (*s == ' ' || *s == '\t' || *s == '\r')
                        *s++ = '\0';
                if (!*s)
                        break;
                words[n++] = s;
                while (*s && *s != ' ' && *s != '\t' && *s != '\r')
                        s++;
        }
        return n;
}

/* Reads the next logical line (continuations joined) starting at *pos into buf.
 * *first_line is its first physical line number. */
static int next_logical(const char *text, size_t len, size_t *pos, unsigned *line, unsigned *first_line, char *buf,
                        size_t size) {
        size_t l = 0;

        *first_line = *line + 1;
        for (;;) {
                const char *nl = memchr(text + *pos, '\n', len - *pos);
                size_t n = nl ? (size_t)(nl - (text + *pos)) : len - *pos;
                bool cont;

                (*line)++;
                if (memchr(text + *pos, '\0', n) || l + n + 1 >= size)
                        return -EBADMSG;
                memcpy(buf + l, text + *pos, n);
                l += n;
                *pos += n + (nl ? 1 : 0);
                cont = l > 0 && buf[l - 1] == '\\' && buf[0] != '#';
                if (cont)
                        buf[--l] = ' ';
                if (!cont || *pos >= len)
                        break;
        }
        buf[l] = '\0';
        return 0;
}

int ifupdown_scan(const char *text, size_t len, const char *ifname, IfupdownResult *result,
                  IfupdownIncludeHandler include, void *userdata, unsigned *ret_line) {
        unsigned line = 0;
        size_t pos = 0;

        *result = (IfupdownResult){};
        while (pos < len) {
                char *buf, *words[WORDS_MAX];
                unsigned first;
                size_t n;
                int r;

                buf = malloc(LOGICAL_LINE_MAX);
                if (!buf)
                        return -ENOMEM;
                r = next_logical(text, len, &pos, &line, &first, buf, LOGICAL_LINE_MAX);
                if (r < 0) {
                        free(buf);
                        if (ret_line)
                                *ret_line = line;
                        return r;
                }
                n = buf[strspn(buf, " \t")] == '#' ? 0 : split_words(buf, words, WORDS_MAX);
                if (n >= 4 && strcmp(words[0], "iface") == 0 && strcmp(words[1], ifname) == 0 &&
                    strcmp(words[2], "inet") == 0 && strcmp(words[3], "dhcp") == 0 && result->dhcp_line == 0)
                        result->dhcp_line = first;
                else if (n >= 2 && (strcmp(words[0], "auto") == 0 || strncmp(words[0], "allow-", 6) == 0)) {
                        for (size_t i = 1; i < n; i++)
                                if (strcmp(words[i], ifname) == 0 && !result->autostart) {
                                        result->autostart = true;
                                        result->autostart_line = first;
                                }
                } else if (n >= 2 && include &&
                           (strcmp(words[0], "source") == 0 || strcmp(words[0], "source-directory") == 0)) {
                        r = include(strcmp(words[0], "source") == 0 ? IFUPDOWN_SOURCE : IFUPDOWN_SOURCE_DIRECTORY,
                                    words[1], first, userdata);
                        if (r < 0) {
                                free(buf);
                                return r;
                        }
                }
                free(buf);
        }
        return 0;
}

int ifupdown_disable_dhcp(const char *text, size_t len, const char *ifname, unsigned line, char **ret,
                          size_t *ret_len) {
        size_t start = 0, end;
        const char *p;
        char *out;
        size_t wstart[5], wlen[5], nw = 0, i;

        /* Find the physical line. */
        for (unsigned l = 1; l < line; l++) {
                const char *nl = memchr(text + start, '\n', len - start);
                if (!nl)
                        return -ENOENT;
                start = (size_t)(nl - text) + 1;
        }
        if (line == 0 || start >= len)
                return -ENOENT;
        p = memchr(text + start, '\n', len - start);
        end = p ? (size_t)(p - text) : len;
        /* The first four words must be: iface IF inet dhcp. */
        for (i = start; i < end && nw < 4;) {
                while (i < end && (text[i] == ' ' || text[i] == '\t'))
                        i++;
                if (i >= end)
                        break;
                wstart[nw] = i;
                while (i < end && text[i] != ' ' && text[i] != '\t' && text[i] != '\r' && text[i] != '\\')
                        i++;
                wlen[nw] = i - wstart[nw];
                nw++;
        }
#define WORD_IS(k, s) (wlen[k] == strlen(s) && memcmp(text + wstart[k], s, wlen[k]) == 0)
        if (nw < 4 || !WORD_IS(0, "iface") || !WORD_IS(1, ifname) || !WORD_IS(2, "inet") || !WORD_IS(3, "dhcp"))
                return -ENOENT;
#undef WORD_IS
        out = malloc(len + 3); /* "dhcp" → "manual": 2 bytes more */
        if (!out)
                return -ENOMEM;
        memcpy(out, text, wstart[3]);
        memcpy(out + wstart[3], "manual", 6);
        memcpy(out + wstart[3] + 6, text + wstart[3] + 4, len - wstart[3] - 4);
        *ret_len = len + 2;
        out[*ret_len] = '\0';
        *ret = out;
        return 0;
}
