/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Strict value parsers for config files, lease files, command lines and the API.
 * Strict means: no leading/trailing whitespace, no signs, no hex/octal prefixes, no
 * trailing junk, overflow is -ERANGE. strtoul() accepts all of those silently, so it
 * is not used. Not here: file or line structure (see the config/lease-file parsers).
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "hexdecoct.h"
#include "macro.h"
#include "parse-util.h"
#include "time-util.h"

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

/* Parses a run of decimal digits at *p (at least one), advancing *p. */
static int parse_digits(const char **p, uint64_t *ret) {
        const char *s = *p;
        uint64_t v = 0;
        bool overflow = false;

        if (!is_digit(*s))
                return -EINVAL;
        for (; is_digit(*s); s++) {
                unsigned d = (unsigned) (*s - '0');

                if (v > (UINT64_MAX - d) / 10)
                        overflow = true; /* keep scanning so junk still wins over range */
                else
                        v = v * 10 + d;
        }
        *p = s;
        if (overflow)
                return -ERANGE;
        *ret = v;
        return 0;
}

int parse_u64(const char *s, uint64_t *ret) {
        uint64_t v = 0;
        int r;

        if (!s)
                return -EINVAL;
        r = parse_digits(&s, &v);
        if (r == -EINVAL || *s != '\0')
                return -EINVAL;
        if (r < 0)
                return r;
        *ret = v;
        return 0;
}

int parse_u32(const char *s, uint32_t *ret) {
        uint64_t v;
        int r;

        r = parse_u64(s, &v);
        if (r < 0)
                return r;
        if (v > UINT32_MAX)
                return -ERANGE;
        *ret = (uint32_t) v;
        return 0;
}

int parse_bool(const char *s, bool *ret) {
        static const char *const yes[] = { "1", "yes", "true", "on" };
        static const char *const no[] = { "0", "no", "false", "off" };

        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcasecmp(s, yes[i]) == 0) {
                        *ret = true;
                        return 0;
                }
                if (strcasecmp(s, no[i]) == 0) {
                        *ret = false;
                        return 0;
                }
        }
        return -EINVAL;
}

int parse_duration_usec(const char *s, uint64_t *ret) {
        static const struct {
                const char *suffix;
                uint64_t usec;
        } units[] = {
                { "us", 1 },
                { "usec", 1 },
                { "ms", USEC_PER_MSEC },
                { "msec", USEC_PER_MSEC },
                { "s", USEC_PER_SEC },
                { "sec", USEC_PER_SEC },
                { "min", 60 * USEC_PER_SEC },
                { "h", 3600 * USEC_PER_SEC },
                { "d", 86400 * USEC_PER_SEC },
        };
        uint64_t whole, unit = USEC_PER_SEC, frac = 0, frac_div = 1;
        unsigned __int128 total;
        const char *p = s;
        int r;

        if (!s)
                return -EINVAL;

        r = parse_digits(&p, &whole);
        if (r == -EINVAL)
                return r;
        if (r == -ERANGE) {
                /* Make sure the rest is well-formed before calling it a range error. */
                whole = UINT64_MAX;
        }

        if (*p == '.') {
                p++;
                if (!is_digit(*p))
                        return -EINVAL;
                /* Digits past 1e-18 of a day are far below 1 usec: scanned, not used. */
                for (; is_digit(*p); p++)
                        if (frac_div < UINT64_C(1000000000000000000)) {
                                frac = frac * 10 + (uint64_t) (*p - '0');
                                frac_div *= 10;
                        }
        }

        if (*p != '\0') {
                size_t i;

                for (i = 0; i < ELEMENTSOF(units); i++)
                        if (strcmp(p, units[i].suffix) == 0)
                                break;
                if (i >= ELEMENTSOF(units))
                        return -EINVAL;
                unit = units[i].usec;
        }

        if (r == -ERANGE)
                return -ERANGE;

        total = (unsigned __int128) whole * unit + (unsigned __int128) frac * unit / frac_div;
        if (total > UINT64_MAX)
                return -ERANGE;
        *ret = (uint64_t) total;
        return 0;
}

int parse_ipv4(const char *s, struct in_addr *ret) {
        struct in_addr a;

        /* inet_pton (unlike inet_aton) takes exactly four decimal parts, no leading
         * zeros, nothing else. */
        if (!s || inet_pton(AF_INET, s, &a) != 1)
                return -EINVAL;
        *ret = a;
        return 0;
}

int parse_ipv4_prefix(const char *s, struct in_addr *ret, uint8_t *ret_prefixlen) {
        char buf[INET_ADDRSTRLEN];
        const char *slash;
        struct in_addr a;
        uint32_t len;
        int r;

        if (!s)
                return -EINVAL;
        slash = strchr(s, '/');
        if (!slash || (size_t) (slash - s) >= sizeof(buf))
                return -EINVAL;
        memcpy(buf, s, (size_t) (slash - s));
        buf[slash - s] = '\0';

        r = parse_ipv4(buf, &a);
        if (r < 0)
                return r;
        r = parse_u32(slash + 1, &len);
        if (r < 0)
                return r;
        if (len > 32)
                return -ERANGE;

        *ret = a;
        *ret_prefixlen = (uint8_t) len;
        return 0;
}

int parse_mac(const char *s, uint8_t ret[6]) {
        return parse_hex_bytes(s, ':', ret, 6);
}

char *format_mac(const uint8_t mac[6], char *buf) {
        return format_hex_bytes(mac, 6, ':', buf, 18);
}

bool ifname_valid(const char *s) {
        size_t n;

        if (!s)
                return false;
        n = strlen(s);
        /* IFNAMSIZ is 16 including the NUL. */
        if (n == 0 || n > 15)
                return false;
        if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
                return false;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) s[i];

                /* The kernel (dev_valid_name) refuses '/', ':' and whitespace; we also
                 * refuse control and non-ASCII bytes since the name goes into file
                 * names, log lines and the dhclient-format lease file. */
                if (c <= ' ' || c >= 0x7f || c == '/' || c == ':' || c == '"' || c == '\\')
                        return false;
        }
        return true;
}

const char *next_word(const char **p, const char *separators, size_t *ret_len) {
        const char *w = *p + strspn(*p, separators);
        size_t l = strcspn(w, separators);

        *p = w + l;
        if (l == 0)
                return NULL;
        *ret_len = l;
        return w;
}

const char *bus_address_unix_path(const char *address) {
        static const char prefix[] = "unix:path=";
        const char *path;

        if (!address || strncmp(address, prefix, sizeof(prefix) - 1) != 0)
                return NULL;
        path = address + sizeof(prefix) - 1;
        if (!*path || strpbrk(path, ",;%"))
                return NULL;
        return path;
}

int table_column(const char *header, size_t len, const char *name) {
        size_t i = 0, k = 0, nl = strlen(name);

        while (i < len) {
                size_t start;

                while (i < len && (header[i] == ' ' || header[i] == '\t'))
                        i++;
                if (i >= len)
                        break;
                start = i;
                while (i < len && header[i] != ' ' && header[i] != '\t')
                        i++;
                if (i - start == nl && memcmp(header + start, name, nl) == 0)
                        return (int) k;
                k++;
        }
        return -1;
}
