/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DHCPv4 client sockets from the kernel's socket tables (see doctor-socket.h).
 */

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "doctor-socket.h"
#include "macro.h"
#include "parse-util.h"

#define ETH_P_IP_ 0x0800u
#define DHCP_CLIENT_PORT 68u

/* The words of one table line (a NUL-terminated copy), each cut in place. */
static size_t split_words(char *line, char **w, size_t max) {
        const char *p = line, *word;
        size_t n = 0, l, lens[32];

        while (n < max && n < ELEMENTSOF(lens) && (word = next_word(&p, " \t", &l))) {
                w[n] = line + (word - line);
                lens[n++] = l;
        }
        for (size_t i = 0; i < n; i++)
                w[i][lens[i]] = '\0'; /* a separator or the end: after the scan */
        return n;
}

static int parse_num(const char *s, int base, unsigned long long max, unsigned long long *ret) {
        char *e = NULL;
        unsigned long long v;

        if (!*s || *s == '-' || *s == '+')
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &e, base);
        if (errno || !e || *e || v > max)
                return -EINVAL;
        *ret = v;
        return 0;
}

/* Copies the next line of [*p, end) into buf and moves *p past it; false at the end.
 * A line too long for buf comes back empty (no words: skipped). */
static bool next_line(const char **p, const char *end, char *buf, size_t size) {
        const char *nl;
        size_t l;

        if (*p >= end)
                return false;
        nl = memchr(*p, '\n', (size_t) (end - *p));
        l = nl ? (size_t) (nl - *p) : (size_t) (end - *p);
        if (l >= size)
                l = 0;
        memcpy(buf, *p, l);
        buf[l] = '\0';
        *p = nl ? nl + 1 : end;
        return true;
}

static void push(DoctorSocket *out, size_t max, size_t *n, DoctorSocket s) {
        if (*n < max)
                out[(*n)++] = s;
}

int doctor_socket_parse_packet(const char *text, size_t len, int ifindex, DoctorSocket *out, size_t max,
                               size_t *n) {
        const char *nl;
        int c_proto, c_if, c_ino, c_max;
        char line[512];

        if (!text || !out || !n)
                return -EINVAL;
        nl = memchr(text, '\n', len);
        if (!nl)
                return -EBADMSG;
        c_proto = table_column(text, (size_t) (nl - text), "Proto");
        c_if = table_column(text, (size_t) (nl - text), "Iface");
        c_ino = table_column(text, (size_t) (nl - text), "Inode");
        if (c_proto < 0 || c_if < 0 || c_ino < 0)
                return -EBADMSG;
        c_max = c_proto > c_if ? c_proto : c_if;
        c_max = c_max > c_ino ? c_max : c_ino;
        for (const char *p = nl + 1; next_line(&p, text + len, line, sizeof(line));) {
                char *w[32];
                unsigned long long proto, iface, ino;
                size_t nw = split_words(line, w, 32);

                if ((int) nw <= c_max || parse_num(w[c_proto], 16, 0xffff, &proto) < 0 ||
                    parse_num(w[c_if], 10, INT_MAX, &iface) < 0 || parse_num(w[c_ino], 10, UINT64_MAX, &ino) < 0)
                        continue;
                if (proto == ETH_P_IP_ && (int) iface == ifindex && ino != 0)
                        push(out, max, n, (DoctorSocket){ .inode = ino, .kind = DOCTOR_SOCKET_PACKET });
        }
        return 0;
}

/* "0A008040:0044": the address as the kernel's %08X of the raw 32-bit value. */
static int parse_udp_endpoint(const char *s, struct in_addr *ret_addr, unsigned *ret_port) {
        char a[9];
        const char *colon = strchr(s, ':');
        unsigned long long v, port;

        if (!colon || colon - s != 8)
                return -EINVAL;
        memcpy(a, s, 8);
        a[8] = '\0';
        if (parse_num(a, 16, UINT32_MAX, &v) < 0 || strlen(colon + 1) != 4 || parse_num(colon + 1, 16, 0xffff, &port) < 0)
                return -EINVAL;
        ret_addr->s_addr = (uint32_t) v;
        *ret_port = (unsigned) port;
        return 0;
}

int doctor_socket_parse_udp(const char *text, size_t len, const struct in_addr *addrs, size_t n_addrs,
                            DoctorSocket *out, size_t max, size_t *n) {
        const char *nl;
        char line[512];

        if (!text || (!addrs && n_addrs > 0) || !out || !n)
                return -EINVAL;
        nl = memchr(text, '\n', len);
        /* The header's words do not line up with the values ("tx_queue rx_queue" is one
         * value, "tr tm->when" another): the layout is fixed since Linux 2.6, local
         * address second, inode tenth. */
        if (!nl || table_column(text, (size_t) (nl - text), "local_address") != 1 ||
            table_column(text, (size_t) (nl - text), "inode") < 0)
                return -EBADMSG;
        for (const char *p = nl + 1; next_line(&p, text + len, line, sizeof(line));) {
                char *w[32];
                struct in_addr local;
                unsigned port;
                unsigned long long ino;
                size_t nw = split_words(line, w, 32);

                if (nw < 10 || parse_udp_endpoint(w[1], &local, &port) < 0 ||
                    parse_num(w[9], 10, UINT64_MAX, &ino) < 0 || port != DHCP_CLIENT_PORT || ino == 0)
                        continue;
                for (size_t i = 0; i < n_addrs; i++)
                        if (addrs[i].s_addr == local.s_addr) {
                                push(out, max, n, (DoctorSocket){ .inode = ino, .kind = DOCTOR_SOCKET_UDP,
                                                                  .local = local });
                                break;
                        }
        }
        return 0;
}

const DoctorSocket *doctor_socket_find(const DoctorSocket *s, size_t n, uint64_t inode) {
        for (size_t i = 0; i < n; i++)
                if (s[i].inode == inode)
                        return &s[i];
        return NULL;
}
