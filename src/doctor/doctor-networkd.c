/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * systemd-networkd .network files: parse, match, verdict (see doctor-networkd.h).
 * The matching follows systemd's net_match_config(): every list that is set must
 * match; within Name=/Type=/Kind= an item with '!' vetoes, and without any positive
 * item the list matches whatever is not vetoed.
 */

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "doctor-networkd.h"
#include "ini.h"
#include "macro.h"
#include "parse-util.h"
#include "string-table.h"

void networkd_network_init(NetworkdNetwork *n) {
        *n = (NetworkdNetwork){ .dhcp = -1, .unmanaged = -1, .keep_configuration = -1 };
}

static void strv_clear(char **v, size_t *n) {
        for (size_t i = 0; i < *n; i++)
                free(v[i]);
        *n = 0;
}

void networkd_network_done(NetworkdNetwork *n) {
        strv_clear(n->names, &n->n_names);
        strv_clear(n->types, &n->n_types);
        strv_clear(n->kinds, &n->n_kinds);
}

/* Splits a whitespace-separated value into items appended to v; an empty value resets
 * the list (systemd's convention for list settings). */
static int strv_extend_words(char **v, size_t *n, const char *value) {
        const char *p = value;
        size_t l;

        if (*value == '\0') {
                strv_clear(v, n);
                return 0;
        }
        for (const char *w; (w = next_word(&p, " \t", &l));) {
                if (*n >= NETWORKD_PATTERNS_MAX)
                        return -EBADMSG;
                v[*n] = strndup(w, l);
                if (!v[*n])
                        return -ENOMEM;
                (*n)++;
        }
        return 0;
}

static int parse_macs(NetworkdNetwork *n, const char *value) {
        char word[64];
        const char *p = value;
        size_t l;

        if (*value == '\0') {
                n->n_macs = 0;
                n->macs_invert = false;
                return 0;
        }
        if (*p == '!') {
                n->macs_invert = true;
                p++;
        }
        for (const char *w; (w = next_word(&p, " \t", &l));) {
                if (l >= sizeof(word) || n->n_macs >= NETWORKD_PATTERNS_MAX)
                        return -EBADMSG;
                memcpy(word, w, l);
                word[l] = '\0';
                if (parse_mac(word, n->macs[n->n_macs]) < 0)
                        return -EBADMSG;
                n->n_macs++;
        }
        return 0;
}

static int parse_dhcp(const char *v) {
        bool b;

        if (parse_bool(v, &b) >= 0)
                return b ? NETWORKD_DHCP_V4 | NETWORKD_DHCP_V6 : 0;
        if (strcasecmp(v, "ipv4") == 0 || strcasecmp(v, "v4") == 0)
                return NETWORKD_DHCP_V4;
        if (strcasecmp(v, "ipv6") == 0 || strcasecmp(v, "v6") == 0)
                return NETWORKD_DHCP_V6;
        if (strcasecmp(v, "both") == 0)
                return NETWORKD_DHCP_V4 | NETWORKD_DHCP_V6;
        return -EBADMSG;
}

static int parse_keep(const char *v) {
        bool b;

        if (parse_bool(v, &b) >= 0)
                return b ? NETWORKD_KEEP_STATIC | NETWORKD_KEEP_DHCP : 0;
        if (strcmp(v, "static") == 0)
                return NETWORKD_KEEP_STATIC;
        if (strcmp(v, "dhcp") == 0)
                return NETWORKD_KEEP_DHCP;
        if (strcmp(v, "dhcp-on-stop") == 0)
                return 0; /* keeps DHCP addresses only when networkd stops */
        return -EBADMSG;
}

/* [Match] keys that depend on facts the doctor does not gather. */
static const char *const assumed_match_keys[] = {
        "Driver", "Path", "Property", "OriginalName", "Host", "Virtualization", "KernelCommandLine",
        "KernelVersion", "Architecture", "Credential", "Firmware", "WLANInterfaceType", "SSID", "BSSID",
};

typedef struct ParseCtx {
        NetworkdNetwork *n;
} ParseCtx;

static int on_assignment(const char *section, const char *key, const char *value, unsigned line, void *userdata) {
        NetworkdNetwork *n = ((ParseCtx *)userdata)->n;
        int r;

        if (strcmp(section, "Match") == 0) {
                n->has_match = true;
                if (strcmp(key, "Name") == 0)
                        return strv_extend_words(n->names, &n->n_names, value);
                if (strcmp(key, "Type") == 0)
                        return strv_extend_words(n->types, &n->n_types, value);
                if (strcmp(key, "Kind") == 0)
                        return strv_extend_words(n->kinds, &n->n_kinds, value);
                if (strcmp(key, "MACAddress") == 0 || strcmp(key, "PermanentMACAddress") == 0)
                        return parse_macs(n, value);
                for (size_t i = 0; i < ELEMENTSOF(assumed_match_keys); i++)
                        if (strcmp(key, assumed_match_keys[i]) == 0 && n->assumed[0] == '\0' && *value)
                                snprintf(n->assumed, sizeof(n->assumed), "%s=", key);
                return 0;
        }
        if (strcmp(section, "Network") == 0) {
                if (strcmp(key, "DHCP") == 0) {
                        r = *value ? parse_dhcp(value) : 0;
                        if (r < 0)
                                return r;
                        n->dhcp = r;
                        n->dhcp_line = line;
                        n->dhcp_text = n->n_parsed;
                } else if (strcmp(key, "KeepConfiguration") == 0) {
                        r = *value ? parse_keep(value) : 0;
                        if (r < 0)
                                return r;
                        n->keep_configuration = r;
                } else if (strcmp(key, "Address") == 0 && strchr(value, '.') && !strchr(value, ':'))
                        n->n_static_ipv4++;
                return 0;
        }
        if (strcmp(section, "Address") == 0 && strcmp(key, "Address") == 0 && strchr(value, '.') &&
            !strchr(value, ':')) {
                n->n_static_ipv4++;
                return 0;
        }
        if (strcmp(section, "Link") == 0 && strcmp(key, "Unmanaged") == 0) {
                bool b = false;

                if (*value && parse_bool(value, &b) < 0)
                        return -EBADMSG;
                n->unmanaged = b;
                n->unmanaged_line = line;
        }
        return 0;
}

int networkd_network_parse(NetworkdNetwork *n, const char *text, size_t len, unsigned *ret_line,
                           const char **ret_error) {
        ParseCtx ctx = { .n = n };

        n->n_parsed++;
        return ini_parse(text, len, on_assignment, &ctx, ret_line, ret_error);
}

/* systemd's net_condition_test_strv(). */
static bool patterns_match(char *const *patterns, size_t n, const char *s) {
        bool match = false, has_positive = false;

        if (n == 0)
                return true;
        for (size_t i = 0; i < n; i++) {
                const char *q = patterns[i];
                bool invert = *q == '!';

                q += invert;
                if (!invert)
                        has_positive = true;
                if (s && fnmatch(q, s, 0) == 0) {
                        if (invert)
                                return false;
                        match = true;
                }
        }
        return has_positive ? match : true;
}

bool networkd_network_matches(const NetworkdNetwork *n, const DoctorLink *link) {
        if (!patterns_match(n->names, n->n_names, link->name))
                return false;
        if (!patterns_match(n->types, n->n_types, doctor_link_networkd_type(link)))
                return false;
        if (!patterns_match(n->kinds, n->n_kinds, link->kind[0] ? link->kind : NULL))
                return false;
        if (n->n_macs > 0) {
                bool found = false;

                for (size_t i = 0; link->has_mac && i < n->n_macs; i++)
                        if (memcmp(n->macs[i], link->mac, 6) == 0)
                                found = true;
                if (found == n->macs_invert)
                        return false;
        }
        return true;
}

NetworkdVerdict networkd_network_verdict(const NetworkdNetwork *n) {
        if (n->unmanaged == 1)
                return NETWORKD_VERDICT_UNMANAGED;
        if (n->dhcp > 0 && (n->dhcp & NETWORKD_DHCP_V4))
                return NETWORKD_VERDICT_DHCP;
        if (n->keep_configuration > 0 && (n->keep_configuration & NETWORKD_KEEP_DHCP))
                return NETWORKD_VERDICT_KEEPS;
        return NETWORKD_VERDICT_MANAGES;
}

static const char *const networkd_verdict_table[] = {
        [NETWORKD_VERDICT_UNMANAGED] = "unmanaged",
        [NETWORKD_VERDICT_KEEPS] = "keeps-foreign",
        [NETWORKD_VERDICT_MANAGES] = "manages",
        [NETWORKD_VERDICT_DHCP] = "dhcp",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(networkd_verdict, NetworkdVerdict)

int networkd_unmanaged_file_name(const char *ifname, const char *before, char *buf, size_t size) {
        static const char *const prefixes[] = { "00-", "0-", "-", "" };

        for (size_t i = 0; i < ELEMENTSOF(prefixes); i++) {
                int l = snprintf(buf, size, "%sinfradhcp-%s.network", prefixes[i], ifname);

                if (l < 0 || (size_t)l >= size)
                        return -ENOBUFS;
                if (!before || strcmp(buf, before) < 0)
                        return 0;
        }
        return -ERANGE;
}

int networkd_unmanaged_file_format(const char *ifname, char *buf, size_t size) {
        int l = snprintf(buf, size,
                         "# Written by infradhcpctl doctor --fix: infradhcpd owns IPv4 on %s, so networkd\n"
                         "# must leave the link alone. Remove with: infradhcpctl doctor --undo %s\n"
                         "[Match]\n"
                         "Name=%s\n"
                         "\n"
                         "[Link]\n"
                         "Unmanaged=yes\n",
                         ifname, ifname, ifname);
        return l < 0 || (size_t)l >= size ? -ENOBUFS : 0;
}
