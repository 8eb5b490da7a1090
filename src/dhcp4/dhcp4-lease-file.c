/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The persisted lease as text: the KEY=VALUE state file infradhcpd writes and reads
 * back at start (for INIT-REBOOT, RFC 2131 §3.2), and a dhclient-compatible lease
 * block for tools that read dhclient's lease files. Format details are in the header.
 * Pure: no file I/O, no clock reads (wall-clock time comes in as an argument).
 * Not here: writing/reading the file (fileio), converting realtime to the engine's
 * clock (daemon), deciding whether a parsed lease is still valid (engine/daemon).
 */

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dhcp4-lease-file.h"
#include "hexdecoct.h"
#include "macro.h"
#include "parse-util.h"
#include "time-util.h"

#define LEASE_FILE_HEADER "# infradhcp lease file (generated; do not edit)\n"
#define LEASE_VALUE_MAX 2048 /* longest value: ROUTES, 32 × "255.255.255.255/32,255.255.255.255 " */

/* ---- output buffer ---- */

typedef struct TextBuf {
        char *buf;
        size_t size, len;
        bool overflow;
} TextBuf;

_printf_(2, 3) static void tb_printf(TextBuf *t, const char *fmt, ...) {
        va_list ap;
        int k;

        if (t->overflow)
                return;
        va_start(ap, fmt);
        k = vsnprintf(t->buf + t->len, t->size - t->len, fmt, ap);
        va_end(ap);
        if (k < 0 || (size_t) k >= t->size - t->len) {
                t->overflow = true;
                return;
        }
        t->len += (size_t) k;
}

static const char *addr_str(struct in_addr a, char buf[static INET_ADDRSTRLEN]) {
        return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static void tb_addr_list(TextBuf *t, const char *sep, const struct in_addr *a, size_t n) {
        char s[INET_ADDRSTRLEN];

        for (size_t i = 0; i < n; i++)
                tb_printf(t, "%s%s", i > 0 ? sep : "", addr_str(a[i], s));
}

static bool name_byte_plain(unsigned char c) {
        return c > ' ' && c < 0x7f && c != '\\';
}

static void tb_escaped(TextBuf *t, const char *s) {
        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                if (name_byte_plain(*p))
                        tb_printf(t, "%c", *p);
                else
                        tb_printf(t, "\\x%02x", *p);
        }
}

static int lease_check(const Dhcp4Lease *l) {
        if (l->address.s_addr == 0 || l->server_id.s_addr == 0 || l->lifetime == 0)
                return -EINVAL;
        if (l->prefixlen > 32 || l->n_routers > LEASE_MAX_ROUTERS || l->n_dns > LEASE_MAX_DNS ||
            l->n_routes > LEASE_MAX_ROUTES)
                return -EINVAL;
        for (size_t i = 0; i < l->n_routes; i++)
                if (l->routes[i].prefixlen > 32)
                        return -EINVAL;
        if (strnlen(l->hostname, sizeof(l->hostname)) >= sizeof(l->hostname) ||
            strnlen(l->domain, sizeof(l->domain)) >= sizeof(l->domain))
                return -EINVAL;
        if (l->client_id[0] != 0x01)
                return -EINVAL;
        return 0;
}

static void tb_lifetime(TextBuf *t, const char *key, uint32_t v) {
        if (v == UINT32_MAX)
                tb_printf(t, "%s=infinity\n", key);
        else
                tb_printf(t, "%s=%" PRIu32 "\n", key, v);
}

bool dhcp4_boot_id_valid(const char *s) {
        if (!s || strlen(s) != DHCP4_BOOT_ID_LEN)
                return false;
        for (size_t i = 0; i < DHCP4_BOOT_ID_LEN; i++) {
                bool dash = i == 8 || i == 13 || i == 18 || i == 23;

                if (dash ? s[i] != '-' : !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        }
        return true;
}

int dhcp4_lease_file_format(const Dhcp4Lease *l, const Dhcp4LeaseStamp *stamp, char *buf, size_t size,
                            size_t *ret_len) {
        TextBuf t = { .buf = buf, .size = size };
        char s[INET_ADDRSTRLEN], cid[LEASE_CLIENT_ID_LEN * 3];
        int r;

        if (!l || !stamp || !buf || size == 0)
                return -EINVAL;
        if (stamp->boot_id[0] && !dhcp4_boot_id_valid(stamp->boot_id))
                return -EINVAL;
        r = lease_check(l);
        if (r < 0)
                return r;

        tb_printf(&t, "%s", LEASE_FILE_HEADER);
        tb_printf(&t, "ADDRESS=%s\n", addr_str(l->address, s));
        tb_printf(&t, "PREFIXLEN=%u\n", l->prefixlen);
        tb_printf(&t, "SERVER_ADDRESS=%s\n", addr_str(l->server_id, s));
        if (l->broadcast.s_addr != 0)
                tb_printf(&t, "BROADCAST=%s\n", addr_str(l->broadcast, s));
        if (l->n_routers > 0) {
                tb_printf(&t, "ROUTER=");
                tb_addr_list(&t, " ", l->routers, l->n_routers);
                tb_printf(&t, "\n");
        }
        if (l->n_dns > 0) {
                tb_printf(&t, "DNS=");
                tb_addr_list(&t, " ", l->dns, l->n_dns);
                tb_printf(&t, "\n");
        }
        if (l->n_routes > 0) {
                char g[INET_ADDRSTRLEN];

                tb_printf(&t, "ROUTES=");
                for (size_t i = 0; i < l->n_routes; i++)
                        tb_printf(&t, "%s%s/%u,%s", i > 0 ? " " : "", addr_str(l->routes[i].destination, s),
                                  l->routes[i].prefixlen, addr_str(l->routes[i].gateway, g));
                tb_printf(&t, "\n");
        }
        if (l->mtu != 0)
                tb_printf(&t, "MTU=%u\n", l->mtu);
        if (l->hostname[0]) {
                tb_printf(&t, "HOSTNAME=");
                tb_escaped(&t, l->hostname);
                tb_printf(&t, "\n");
        }
        if (l->domain[0]) {
                tb_printf(&t, "DOMAINNAME=");
                tb_escaped(&t, l->domain);
                tb_printf(&t, "\n");
        }
        tb_lifetime(&t, "LIFETIME", l->lifetime);
        tb_lifetime(&t, "T1", l->t1);
        tb_lifetime(&t, "T2", l->t2);
        tb_printf(&t, "CLIENTID=%s\n", format_hex_bytes(l->client_id, LEASE_CLIENT_ID_LEN, ':', cid, sizeof(cid)));
        tb_printf(&t, "ACQUIRED_REALTIME_USEC=%" PRIu64 "\n", stamp->realtime_usec);
        if (stamp->boot_id[0]) {
                tb_printf(&t, "BOOT_ID=%s\n", stamp->boot_id);
                tb_printf(&t, "ACQUIRED_BOOTTIME_USEC=%" PRIu64 "\n", stamp->boottime_usec);
        }

        if (t.overflow)
                return -ENOBUFS;
        if (ret_len)
                *ret_len = t.len;
        return 0;
}

/* ---- parser ---- */

typedef enum LeaseKey {
        KEY_ADDRESS,
        KEY_PREFIXLEN,
        KEY_SERVER_ADDRESS,
        KEY_BROADCAST,
        KEY_ROUTER,
        KEY_DNS,
        KEY_ROUTES,
        KEY_MTU,
        KEY_HOSTNAME,
        KEY_DOMAINNAME,
        KEY_LIFETIME,
        KEY_T1,
        KEY_T2,
        KEY_CLIENTID,
        KEY_ACQUIRED_REALTIME_USEC,
        KEY_BOOT_ID,
        KEY_ACQUIRED_BOOTTIME_USEC,
        _KEY_MAX,
} LeaseKey;

#define KEY_ENTRY(k, m) [KEY_##k] = { #k, #k " missing", #k " malformed", #k " duplicated", m }
static const struct {
        const char *name, *missing, *malformed, *duplicate;
        bool mandatory;
} lease_keys[_KEY_MAX] = {
        KEY_ENTRY(ADDRESS, true),   KEY_ENTRY(PREFIXLEN, true),
        KEY_ENTRY(SERVER_ADDRESS, true), KEY_ENTRY(BROADCAST, false),
        KEY_ENTRY(ROUTER, false),   KEY_ENTRY(DNS, false),
        KEY_ENTRY(ROUTES, false),   KEY_ENTRY(MTU, false),
        KEY_ENTRY(HOSTNAME, false), KEY_ENTRY(DOMAINNAME, false),
        KEY_ENTRY(LIFETIME, true),  KEY_ENTRY(T1, false),
        KEY_ENTRY(T2, false),       KEY_ENTRY(CLIENTID, true),
        KEY_ENTRY(ACQUIRED_REALTIME_USEC, true),
        KEY_ENTRY(BOOT_ID, false),  KEY_ENTRY(ACQUIRED_BOOTTIME_USEC, false),
};

static int parse_addr_nonzero(const char *v, struct in_addr *ret) {
        struct in_addr a;

        if (parse_ipv4(v, &a) < 0 || a.s_addr == 0)
                return -EINVAL;
        *ret = a;
        return 0;
}

/* Space-separated tokens, exactly one space between them, none leading/trailing.
 * Calls f for each NUL-terminated token; v is modified. */
static int parse_list(char *v, size_t max, int (*f)(const char *tok, void *out, size_t i), void *out,
                      size_t *ret_n) {
        size_t n = 0;
        char *p = v;

        if (!*v) {
                *ret_n = 0;
                return 0;
        }
        for (;;) {
                char *sp = strchr(p, ' ');

                if (sp)
                        *sp = '\0';
                if (!*p || n >= max)
                        return -EINVAL;
                if (f(p, out, n) < 0)
                        return -EINVAL;
                n++;
                if (!sp)
                        break;
                p = sp + 1;
        }
        *ret_n = n;
        return 0;
}

static int list_addr(const char *tok, void *out, size_t i) {
        return parse_ipv4(tok, (struct in_addr *) out + i);
}

static int list_route(const char *tok, void *out, size_t i) {
        LeaseRoute *r = (LeaseRoute *) out + i;
        const char *comma = strchr(tok, ',');
        char dst[sizeof("255.255.255.255/32")];
        size_t n;

        if (!comma)
                return -EINVAL;
        n = (size_t) (comma - tok);
        if (n >= sizeof(dst))
                return -EINVAL;
        memcpy(dst, tok, n);
        dst[n] = '\0';
        if (parse_ipv4_prefix(dst, &r->destination, &r->prefixlen) < 0)
                return -EINVAL;
        return parse_ipv4(comma + 1, &r->gateway);
}

/* Undoes tb_escaped(): plain bytes '!'..'~' except '\', and "\xHH" (not \x00). */
static int parse_escaped(const char *v, char *out, size_t size) {
        size_t n = 0;

        for (const char *p = v; *p; p++) {
                unsigned char c = (unsigned char) *p;

                if (c == '\\') {
                        int hi, lo;

                        if (p[1] != 'x' || (hi = unhexchar(p[2])) < 0 || (lo = unhexchar(p[3])) < 0)
                                return -EINVAL;
                        c = (unsigned char) (hi << 4 | lo);
                        if (c == 0)
                                return -EINVAL;
                        p += 3;
                } else if (!name_byte_plain(c))
                        return -EINVAL;
                if (n + 1 >= size)
                        return -EINVAL;
                out[n++] = (char) c;
        }
        out[n] = '\0';
        return 0;
}

static int parse_lifetime(const char *v, uint32_t *ret) {
        if (strcmp(v, "infinity") == 0) {
                *ret = UINT32_MAX;
                return 0;
        }
        return parse_u32(v, ret);
}

static int parse_client_id(const char *v, uint8_t ret[LEASE_CLIENT_ID_LEN]) {
        uint8_t id[LEASE_CLIENT_ID_LEN];

        /* "01:aa:bb:cc:dd:ee:ff": 7 bytes, 20 chars */
        if (parse_hex_bytes(v, ':', id, LEASE_CLIENT_ID_LEN) < 0)
                return -EINVAL;
        /* Option 61 is always hardware type 1 (Ethernet) + MAC here. */
        if (id[0] != 0x01)
                return -EINVAL;
        memcpy(ret, id, sizeof(id));
        return 0;
}

static int parse_value(LeaseKey k, char *v, Dhcp4Lease *l, Dhcp4LeaseStamp *stamp) {
        uint32_t u;
        int r;

        switch (k) {
        case KEY_ADDRESS:
                return parse_addr_nonzero(v, &l->address);
        case KEY_PREFIXLEN:
                r = parse_u32(v, &u);
                if (r < 0 || u > 32)
                        return -EINVAL;
                l->prefixlen = (uint8_t) u;
                return 0;
        case KEY_SERVER_ADDRESS:
                return parse_addr_nonzero(v, &l->server_id);
        case KEY_BROADCAST:
                return *v ? parse_ipv4(v, &l->broadcast) : 0;
        case KEY_ROUTER:
                return parse_list(v, LEASE_MAX_ROUTERS, list_addr, l->routers, &l->n_routers);
        case KEY_DNS:
                return parse_list(v, LEASE_MAX_DNS, list_addr, l->dns, &l->n_dns);
        case KEY_ROUTES:
                return parse_list(v, LEASE_MAX_ROUTES, list_route, l->routes, &l->n_routes);
        case KEY_MTU:
                if (!*v)
                        return 0;
                r = parse_u32(v, &u);
                if (r < 0 || u > UINT16_MAX)
                        return -EINVAL;
                l->mtu = (uint16_t) u;
                return 0;
        case KEY_HOSTNAME:
                return parse_escaped(v, l->hostname, sizeof(l->hostname));
        case KEY_DOMAINNAME:
                return parse_escaped(v, l->domain, sizeof(l->domain));
        case KEY_LIFETIME:
                r = parse_lifetime(v, &l->lifetime);
                return r < 0 || l->lifetime == 0 ? -EINVAL : 0;
        case KEY_T1:
                return parse_lifetime(v, &l->t1);
        case KEY_T2:
                return parse_lifetime(v, &l->t2);
        case KEY_CLIENTID:
                return parse_client_id(v, l->client_id);
        case KEY_ACQUIRED_REALTIME_USEC:
                return parse_u64(v, &stamp->realtime_usec);
        case KEY_BOOT_ID:
                if (!dhcp4_boot_id_valid(v))
                        return -EINVAL;
                memcpy(stamp->boot_id, v, DHCP4_BOOT_ID_LEN + 1);
                return 0;
        case KEY_ACQUIRED_BOOTTIME_USEC:
                return parse_u64(v, &stamp->boottime_usec);
        default:
                return -EINVAL;
        }
}

static int bad(const char **ret_error, const char *reason) {
        if (ret_error)
                *ret_error = reason;
        return -EBADMSG;
}

int dhcp4_lease_file_parse(const char *text, size_t len, Dhcp4Lease *ret, Dhcp4LeaseStamp *ret_stamp,
                           const char **ret_error) {
        Dhcp4Lease l = {};
        Dhcp4LeaseStamp stamp = {};
        unsigned seen = 0;
        const char *p = text, *end;

        if (!text || !ret || !ret_stamp)
                return -EINVAL;
        end = text + len;

        if (len == 0)
                return bad(ret_error, "empty file");
        if (memchr(text, '\0', len))
                return bad(ret_error, "NUL byte in file");
        /* Atomic writes make a torn file unlikely, but a truncated copy must not pass
         * for a lease with, say, a shorter lifetime. */
        if (text[len - 1] != '\n')
                return bad(ret_error, "truncated (last line incomplete)");

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p)), *eq;
                char value[LEASE_VALUE_MAX];
                size_t klen, vlen;
                LeaseKey k;

                /* nl != NULL: the text ends in '\n' */
                if (nl == p || *p == '#') {
                        p = nl + 1;
                        continue;
                }
                eq = memchr(p, '=', (size_t) (nl - p));
                if (!eq)
                        return bad(ret_error, "line without '='");
                klen = (size_t) (eq - p);
                vlen = (size_t) (nl - eq - 1);
                if (klen == 0)
                        return bad(ret_error, "line without key");

                for (k = 0; k < _KEY_MAX; k++)
                        if (strlen(lease_keys[k].name) == klen && memcmp(lease_keys[k].name, p, klen) == 0)
                                break;
                p = nl + 1;
                if (k >= _KEY_MAX)
                        continue; /* written by a newer version: ignore */

                if (seen & (1u << k))
                        return bad(ret_error, lease_keys[k].duplicate);
                seen |= 1u << k;

                if (vlen >= sizeof(value))
                        return bad(ret_error, lease_keys[k].malformed);
                memcpy(value, eq + 1, vlen);
                value[vlen] = '\0';
                if (parse_value(k, value, &l, &stamp) < 0)
                        return bad(ret_error, lease_keys[k].malformed);
        }

        for (LeaseKey k = 0; k < _KEY_MAX; k++)
                if (lease_keys[k].mandatory && !(seen & (1u << k)))
                        return bad(ret_error, lease_keys[k].missing);

        /* The boot clock means something only with the boot it counts from. */
        if (!(seen & (1u << KEY_BOOT_ID)) != !(seen & (1u << KEY_ACQUIRED_BOOTTIME_USEC)))
                return bad(ret_error, (seen & (1u << KEY_BOOT_ID)) ? "BOOT_ID without ACQUIRED_BOOTTIME_USEC"
                                                                   : "ACQUIRED_BOOTTIME_USEC without BOOT_ID");

        /* RFC 2131 §4.4.5 defaults when the file does not say. */
        if (!(seen & (1u << KEY_T1)))
                l.t1 = l.lifetime == UINT32_MAX ? UINT32_MAX : l.lifetime / 2;
        if (!(seen & (1u << KEY_T2)))
                l.t2 = l.lifetime == UINT32_MAX ? UINT32_MAX : (uint32_t) ((uint64_t) l.lifetime * 7 / 8);

        l.acquired_usec = 0; /* engine clock: the daemon sets it from the stamp */
        *ret = l;
        *ret_stamp = stamp;
        return 0;
}

/* ---- dhclient format ---- */

/* "W YYYY/MM/DD HH:MM:SS" (UTC, W the weekday, 0 = Sunday), as dhclient writes. */
static int tb_dhclient_at(TextBuf *t, const char *what, uint64_t when_sec) {
        struct tm tm;
        time_t when;

        if (when_sec > (uint64_t) INT64_MAX)
                return -EINVAL;
        when = (time_t) when_sec;
        /* dhclient's format has four year digits. */
        if (!gmtime_r(&when, &tm) || tm.tm_year > 9999 - 1900)
                return -EINVAL;
        tb_printf(t, "  %s %d %04d/%02d/%02d %02d:%02d:%02d;\n", what, tm.tm_wday, tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        return 0;
}

static int tb_dhclient_time(TextBuf *t, const char *what, uint64_t base_sec, uint32_t delta, uint64_t ended_sec) {
        if (ended_sec > 0)
                return tb_dhclient_at(t, what, ended_sec);
        if (delta == UINT32_MAX) {
                tb_printf(t, "  %s never;\n", what);
                return 0;
        }
        if (base_sec > (uint64_t) INT64_MAX - delta)
                return -EINVAL;
        return tb_dhclient_at(t, what, base_sec + delta);
}

/* A quoted string as dhclient's pretty_escape() writes one: the shell and quoting
 * characters behind a backslash, other bytes outside ' '..'~' as \ooo. */
static void tb_dhclient_string(TextBuf *t, const char *s) {
        tb_printf(t, "\"");
        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                if (*p == '"' || *p == '\'' || *p == '$' || *p == '`' || *p == '\\')
                        tb_printf(t, "\\%c", *p);
                else if (*p < ' ' || *p > '~')
                        tb_printf(t, "\\%03o", *p);
                else
                        tb_printf(t, "%c", *p);
        }
        tb_printf(t, "\"");
}

static int format_dhclient(const Dhcp4Lease *l, const char *ifname, uint64_t acquired_realtime_usec,
                           uint64_t ended_sec, char *buf, size_t size, size_t *ret_len) {
        TextBuf t = { .buf = buf, .size = size };
        uint64_t base = acquired_realtime_usec / USEC_PER_SEC;
        struct in_addr mask;
        char s[INET_ADDRSTRLEN];
        int r;

        if (!l || !buf || size == 0 || !ifname_valid(ifname))
                return -EINVAL;
        r = lease_check(l);
        if (r < 0)
                return r;

        /* The statements and option names of dhclient.leases(5), in the order dhclient
         * writes them; options by the names every dhclient knows without a definition
         * in dhclient.conf. Not option 121: dhclient names it only through such a
         * definition (rfc3442-classless-static-routes), and a reader without one drops
         * the whole block. */
        mask.s_addr = lease_prefix_mask(l->prefixlen);
        tb_printf(&t, "lease {\n");
        tb_printf(&t, "  interface \"%s\";\n", ifname);
        tb_printf(&t, "  fixed-address %s;\n", addr_str(l->address, s));
        tb_printf(&t, "  option subnet-mask %s;\n", addr_str(mask, s));
        if (l->n_routers > 0) {
                tb_printf(&t, "  option routers ");
                tb_addr_list(&t, ",", l->routers, l->n_routers);
                tb_printf(&t, ";\n");
        }
        if (l->n_dns > 0) {
                tb_printf(&t, "  option domain-name-servers ");
                tb_addr_list(&t, ",", l->dns, l->n_dns);
                tb_printf(&t, ";\n");
        }
        if (l->hostname[0]) {
                tb_printf(&t, "  option host-name ");
                tb_dhclient_string(&t, l->hostname);
                tb_printf(&t, ";\n");
        }
        if (l->domain[0]) {
                tb_printf(&t, "  option domain-name ");
                tb_dhclient_string(&t, l->domain);
                tb_printf(&t, ";\n");
        }
        if (l->mtu != 0)
                tb_printf(&t, "  option interface-mtu %u;\n", l->mtu);
        if (l->broadcast.s_addr != 0)
                tb_printf(&t, "  option broadcast-address %s;\n", addr_str(l->broadcast, s));
        tb_printf(&t, "  option dhcp-lease-time %" PRIu32 ";\n", l->lifetime);
        tb_printf(&t, "  option dhcp-message-type 5;\n"); /* DHCPACK */
        tb_printf(&t, "  option dhcp-server-identifier %s;\n", addr_str(l->server_id, s));
        if (l->lifetime != UINT32_MAX) {
                tb_printf(&t, "  option dhcp-renewal-time %" PRIu32 ";\n", l->t1);
                tb_printf(&t, "  option dhcp-rebinding-time %" PRIu32 ";\n", l->t2);
        }
        /* Option 61 as dhclient prints bytes: lower-case hex, no leading zeros. */
        tb_printf(&t, "  option dhcp-client-identifier ");
        for (size_t i = 0; i < LEASE_CLIENT_ID_LEN; i++)
                tb_printf(&t, "%s%x", i ? ":" : "", l->client_id[i]);
        tb_printf(&t, ";\n");
        r = tb_dhclient_time(&t, "renew", base, l->t1, ended_sec);
        if (r >= 0)
                r = tb_dhclient_time(&t, "rebind", base, l->t2, ended_sec);
        if (r >= 0)
                r = tb_dhclient_time(&t, "expire", base, l->lifetime, ended_sec);
        if (r < 0)
                return r;
        tb_printf(&t, "}\n");

        if (t.overflow)
                return -ENOBUFS;
        if (ret_len)
                *ret_len = t.len;
        return 0;
}

int dhcp4_lease_file_format_dhclient(const Dhcp4Lease *l, const char *ifname, uint64_t acquired_realtime_usec,
                                     char *buf, size_t size, size_t *ret_len) {
        return format_dhclient(l, ifname, acquired_realtime_usec, 0, buf, size, ret_len);
}

int dhcp4_lease_file_format_dhclient_ended(const Dhcp4Lease *l, const char *ifname, uint64_t acquired_realtime_usec,
                                           uint64_t ended_realtime_usec, char *buf, size_t size, size_t *ret_len) {
        uint64_t ended = ended_realtime_usec / USEC_PER_SEC;

        /* 0 means "not ended" inside: the first second of 1970 is no release time. */
        if (ended == 0)
                return -EINVAL;
        return format_dhclient(l, ifname, acquired_realtime_usec, ended, buf, size, ret_len);
}

/* ---- offer policy file ------------------------------------------------------- */

static int policy_corrupt(const char **ret_error, const char *reason) {
        if (ret_error)
                *ret_error = reason;
        return -EBADMSG;
}

static int append(char *buf, size_t size, size_t *pos, const char *fmt, ...) _printf_(4, 5);
static int append(char *buf, size_t size, size_t *pos, const char *fmt, ...) {
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(buf + *pos, size - *pos, fmt, ap);
        va_end(ap);
        if (n < 0 || (size_t)n >= size - *pos)
                return -ENOBUFS;
        *pos += (size_t)n;
        return 0;
}

static int append_subnet(char *buf, size_t size, size_t *pos, const Dhcp4Subnet *s, const char *sep) {
        char a[INET_ADDRSTRLEN];

        if (s->prefixlen > 32 || !inet_ntop(AF_INET, &s->address, a, sizeof(a)))
                return -EINVAL;
        return append(buf, size, pos, "%s%s/%u", sep, a, s->prefixlen);
}

int dhcp4_policy_file_format(const Dhcp4Subnet *refuse, size_t n_refuse, const Dhcp4Subnet *require, char *buf,
                             size_t size, size_t *ret_len) {
        size_t pos = 0;
        int r;

        if (!buf || size == 0 || (n_refuse > 0 && !refuse))
                return -EINVAL;
        r = append(buf, size, &pos, "# infradhcp offer policy (generated; do not edit)\n");
        if (r >= 0 && n_refuse > 0) {
                r = append(buf, size, &pos, "REFUSE=");
                for (size_t i = 0; r >= 0 && i < n_refuse; i++)
                        r = append_subnet(buf, size, &pos, &refuse[i], i ? " " : "");
                if (r >= 0)
                        r = append(buf, size, &pos, "\n");
        }
        if (r >= 0 && require) {
                r = append(buf, size, &pos, "REQUIRE=");
                if (r >= 0)
                        r = append_subnet(buf, size, &pos, require, "");
                if (r >= 0)
                        r = append(buf, size, &pos, "\n");
        }
        if (r < 0)
                return r;
        if (ret_len)
                *ret_len = pos;
        return 0;
}

int dhcp4_policy_file_parse(const char *text, size_t len, Dhcp4Subnet *refuse, size_t max, size_t *ret_n_refuse,
                            Dhcp4Subnet *ret_require, bool *ret_has_require, const char **ret_error) {
        Dhcp4Subnet out[64], req = {};
        size_t n = 0;
        bool seen_refuse = false, has_req = false;
        const char *p, *end;

        if (!text || (max > 0 && !refuse) || !ret_n_refuse || !ret_require || !ret_has_require)
                return -EINVAL;
        if (len > DHCP4_POLICY_FILE_MAX || memchr(text, '\0', len))
                return policy_corrupt(ret_error, "oversized or binary");
        if (len > 0 && text[len - 1] != '\n')
                return policy_corrupt(ret_error, "truncated (no final newline)");
        for (p = text, end = text + len; p < end;) {
                const char *nl = memchr(p, '\n', (size_t)(end - p)), *eq;
                char line[DHCP4_POLICY_FILE_MAX + 1], *value, *save = NULL, *tok;
                size_t l = (size_t)(nl - p);

                memcpy(line, p, l);
                line[l] = '\0';
                p = nl + 1;
                if (l == 0 || line[0] == '#')
                        continue;
                eq = strchr(line, '=');
                if (!eq)
                        return policy_corrupt(ret_error, "a line without '='");
                line[eq - line] = '\0';
                value = line + (eq - line) + 1;
                if (strcmp(line, "REFUSE") == 0) {
                        if (seen_refuse)
                                return policy_corrupt(ret_error, "REFUSE twice");
                        seen_refuse = true;
                        for (tok = strtok_r(value, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
                                if (n >= max || n >= ELEMENTSOF(out))
                                        return policy_corrupt(ret_error, "too many REFUSE subnets");
                                if (parse_ipv4_prefix(tok, &out[n].address, &out[n].prefixlen) < 0)
                                        return policy_corrupt(ret_error, "REFUSE malformed");
                                n++;
                        }
                } else if (strcmp(line, "REQUIRE") == 0) {
                        if (has_req)
                                return policy_corrupt(ret_error, "REQUIRE twice");
                        if (parse_ipv4_prefix(value, &req.address, &req.prefixlen) < 0)
                                return policy_corrupt(ret_error, "REQUIRE malformed");
                        has_req = true;
                }
                /* unknown keys: forward compatibility */
        }
        if (n > 0)
                memcpy(refuse, out, n * sizeof(out[0]));
        *ret_n_refuse = n;
        *ret_require = req;
        *ret_has_require = has_req;
        return 0;
}
