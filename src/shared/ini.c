/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * INI line tokenizer (see ini.h). Every length is checked before a copy; a line is
 * copied into a bounded stack buffer and split there, so the handler gets
 * NUL-terminated strings without any allocation.
 */

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "ini.h"

static bool is_blank(char c) {
        return c == ' ' || c == '\t' || c == '\r';
}

static char *strip(char *s) {
        char *e;

        while (is_blank(*s))
                s++;
        e = s + strlen(s);
        while (e > s && is_blank(e[-1]))
                *--e = '\0';
        return s;
}

static int fail(unsigned line, const char *why, unsigned *ret_line, const char **ret_error) {
        if (ret_line)
                *ret_line = line;
        if (ret_error)
                *ret_error = why;
        return -EBADMSG;
}

int ini_parse(const char *text, size_t len, IniHandler handler, void *userdata, unsigned *ret_line,
              const char **ret_error) {
        char section[256] = "";
        unsigned line = 0;
        size_t pos = 0;

        if (!text && len > 0)
                return -EINVAL;
        while (pos < len) {
                char buf[INI_LINE_MAX + 1], *s, *eq;
                const char *nl = memchr(text + pos, '\n', len - pos);
                size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
                int r;

                line++;
                if (n > INI_LINE_MAX)
                        return fail(line, "line too long", ret_line, ret_error);
                if (memchr(text + pos, '\0', n))
                        return fail(line, "NUL byte", ret_line, ret_error);
                memcpy(buf, text + pos, n);
                buf[n] = '\0';
                pos += n + (nl ? 1 : 0);

                s = strip(buf);
                if (*s == '\0' || *s == '#' || *s == ';')
                        continue;
                if (*s == '[') {
                        size_t l = strlen(s);

                        if (l < 3 || s[l - 1] != ']' || l - 2 >= sizeof(section))
                                return fail(line, "malformed section header", ret_line, ret_error);
                        for (size_t i = 1; i < l - 1; i++)
                                if ((unsigned char)s[i] < 0x20 || s[i] == '[' || s[i] == ']')
                                        return fail(line, "malformed section header", ret_line, ret_error);
                        memcpy(section, s + 1, l - 2);
                        section[l - 2] = '\0';
                        continue;
                }
                eq = strchr(s, '=');
                if (!eq)
                        return fail(line, "line without '='", ret_line, ret_error);
                if (section[0] == '\0')
                        return fail(line, "assignment outside a section", ret_line, ret_error);
                *eq = '\0';
                s = strip(s);
                if (*s == '\0')
                        return fail(line, "empty key", ret_line, ret_error);
                {
                        /* "key +" (from "key += v") becomes "key+". */
                        size_t kl = strlen(s);
                        if (kl >= 2 && (s[kl - 1] == '+' || s[kl - 1] == '-')) {
                                char op = s[kl - 1];
                                s[kl - 1] = '\0';
                                s = strip(s);
                                kl = strlen(s);
                                s[kl] = op;
                                s[kl + 1] = '\0';
                        }
                }
                r = handler(section, s, strip(eq + 1), line, userdata);
                if (r == -EBADMSG)
                        return fail(line, "malformed value", ret_line, ret_error);
                if (r < 0)
                        return r;
        }
        return 0;
}
