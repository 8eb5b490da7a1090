/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * infradhcpd configuration: defaults and a strict parser for the systemd-networkd
 * style INI text of /etc/infradhcp/IFNAME.conf. Strict because an operator's typo
 * ("UseGatway=yes") silently ignored would leave a node misconfigured with nothing
 * in the logs: every unknown section, key or bad value is an error with its line.
 * Pure: text in, struct out; the daemon reads the file. Not here: the engine and the
 * ACD machine (this only stores their settings).
 */

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "dhcp4-config.h"
#include "errmsg.h"
#include "macro.h"
#include "parse-util.h"
#include "time-util.h"

#define CONFIG_LINE_MAX 1024
#define DURATION_MAX (30 * 86400 * USEC_PER_SEC) /* 30 days: beyond is a typo, and keeps sums far from overflow */

_Static_assert(sizeof(unsigned) == sizeof(uint32_t), "unsigned and uint32_t fields share a parser");

void dhcp4_config_init(Dhcp4Config *c) {
        Dhcp4EngineConfig e;

        /* The engine owns the protocol timing defaults (reasoning in docs/engine.md):
         * taken from it, never restated here. */
        dhcp4_engine_config_init(&e);
        *c = (Dhcp4Config) {
                .hostname = "",
                .request_broadcast = e.broadcast_flag,
                .remove_foreign_addresses = true,

                .initial_delay_usec = e.initial_delay_usec,
                .retransmit_initial_usec = e.retransmit_initial_usec,
                .retransmit_max_usec = e.retransmit_max_usec,
                .retransmit_jitter_usec = e.retransmit_jitter_usec,
                .reboot_timeout_usec = e.reboot_timeout_usec,
                .request_max_attempts = e.request_max_attempts,
                .renew_retransmit_min_usec = e.renew_retransmit_min_usec,
                .decline_backoff_initial_usec = e.decline_backoff_initial_usec,
                .decline_backoff_max_usec = e.decline_backoff_max_usec,
                .decline_quarantine_usec = e.decline_quarantine_usec,

                /* A default route from option 3 on the infra VLAN would replace the
                 * node's own default route: off unless asked for. */
                .use_gateway = false,
                .use_routes = false,
                .route_metric = 1024, /* systemd-networkd's DHCP route metric */
                .multicast_route = true,
                .multicast_route_metric = 401, /* what the ACI host agent installs */
                .multicast_route_prefix = { .address = { .s_addr = htonl(0xe0000000) }, .prefixlen = 4 },

                .acd = { .enabled = true },
                .refuse_old_subnet_usec = e.confirm_refuse_usec,

                /* The host agent and operators read dhclient's lease file. */
                .lease_export = true,
                .lease_export_path = "",
                .lease_export_max_blocks = 10,
        };
        dhcp4_acd_config_set_profile(&c->acd, DHCP4_ACD_PROFILE_DATACENTER);
        dhcp4_dna_config_init(&c->dna);
}

/* ---- key table ---- */

typedef enum ValueType {
        VALUE_BOOL,
        VALUE_DURATION,
        VALUE_UINT, /* unsigned or uint32_t */
        VALUE_HOSTNAME,
        VALUE_PREFIX,
        VALUE_ACD_PROFILE,
        VALUE_PEERS,
        VALUE_PATH, /* absolute file name */
} ValueType;

typedef struct ConfigKey {
        const char *section;
        const char *key;
        ValueType type;
        size_t offset, size;
        uint64_t min, max;
        int acd_bit; /* >= 0: a value Profile= sets unless given explicitly */
} ConfigKey;

#define FIELD_SIZE(f) sizeof(((Dhcp4Config *) 0)->f)
#define KEY(sec, name, t, f, lo, hi, bit) { sec, name, t, offsetof(Dhcp4Config, f), FIELD_SIZE(f), lo, hi, bit }
#define MS USEC_PER_MSEC
#define SEC USEC_PER_SEC

static const ConfigKey config_keys[] = {
        KEY("DHCPv4", "Hostname", VALUE_HOSTNAME, hostname, 0, 0, -1),
        KEY("DHCPv4", "RequestBroadcast", VALUE_BOOL, request_broadcast, 0, 0, -1),
        KEY("DHCPv4", "RemoveForeignAddresses", VALUE_BOOL, remove_foreign_addresses, 0, 0, -1),
        KEY("DHCPv4", "ExitOnLinkRemoval", VALUE_BOOL, exit_on_link_removal, 0, 0, -1),
        KEY("DHCPv4", "UseMTU", VALUE_BOOL, use_mtu, 0, 0, -1),

        KEY("Timing", "InitialDelaySec", VALUE_DURATION, initial_delay_usec, 0, DURATION_MAX, -1),
        KEY("Timing", "RetransmitInitialSec", VALUE_DURATION, retransmit_initial_usec, 1 * MS, DURATION_MAX, -1),
        KEY("Timing", "RetransmitMaxSec", VALUE_DURATION, retransmit_max_usec, 1 * MS, DURATION_MAX, -1),
        KEY("Timing", "RetransmitJitterSec", VALUE_DURATION, retransmit_jitter_usec, 0, DURATION_MAX, -1),
        KEY("Timing", "RebootTimeoutSec", VALUE_DURATION, reboot_timeout_usec, 1 * MS, DURATION_MAX, -1),
        KEY("Timing", "RequestMaxAttempts", VALUE_UINT, request_max_attempts, 1, 1000, -1),
        KEY("Timing", "RenewRetransmitMinSec", VALUE_DURATION, renew_retransmit_min_usec, 1 * MS, DURATION_MAX, -1),
        KEY("Timing", "DeclineBackoffInitialSec", VALUE_DURATION, decline_backoff_initial_usec, 1 * MS, DURATION_MAX,
            -1),
        KEY("Timing", "DeclineBackoffMaxSec", VALUE_DURATION, decline_backoff_max_usec, 1 * MS, DURATION_MAX, -1),
        KEY("Timing", "DeclineQuarantineSec", VALUE_DURATION, decline_quarantine_usec, 0, DURATION_MAX, -1),

        KEY("Routes", "UseGateway", VALUE_BOOL, use_gateway, 0, 0, -1),
        KEY("Routes", "UseRoutes", VALUE_BOOL, use_routes, 0, 0, -1),
        KEY("Routes", "RouteMetric", VALUE_UINT, route_metric, 0, UINT32_MAX, -1),
        KEY("Routes", "MulticastRoute", VALUE_BOOL, multicast_route, 0, 0, -1),
        KEY("Routes", "MulticastRouteMetric", VALUE_UINT, multicast_route_metric, 0, UINT32_MAX, -1),
        KEY("Routes", "MulticastRoutePrefix", VALUE_PREFIX, multicast_route_prefix, 0, 0, -1),

        KEY("ACD", "Enabled", VALUE_BOOL, acd.enabled, 0, 0, -1),
        KEY("ACD", "Profile", VALUE_ACD_PROFILE, acd.profile, 0, 0, -1),
        KEY("ACD", "ProbeWaitSec", VALUE_DURATION, acd.probe_wait_usec, 0, 60 * SEC, 0),
        KEY("ACD", "ProbeNum", VALUE_UINT, acd.probe_num, 1, 255, 1),
        KEY("ACD", "ProbeMinSec", VALUE_DURATION, acd.probe_min_usec, 0, 60 * SEC, 2),
        KEY("ACD", "ProbeMaxSec", VALUE_DURATION, acd.probe_max_usec, 0, 60 * SEC, 3),
        KEY("ACD", "AnnounceWaitSec", VALUE_DURATION, acd.announce_wait_usec, 0, 60 * SEC, 4),
        KEY("ACD", "AnnounceNum", VALUE_UINT, acd.announce_num, 0, 255, 5),
        KEY("ACD", "AnnounceIntervalSec", VALUE_DURATION, acd.announce_interval_usec, 0, 60 * SEC, 6),
        KEY("ACD", "DefendIntervalSec", VALUE_DURATION, acd.defend_interval_usec, 0, 3600 * SEC, 7),

        KEY("Attachment", "Detect", VALUE_BOOL, dna.enabled, 0, 0, -1),
        KEY("Attachment", "ProbeTimeoutSec", VALUE_DURATION, dna.probe_timeout_usec, 1 * MS, 10 * SEC, -1),
        KEY("Attachment", "ProbeAttempts", VALUE_UINT, dna.probe_attempts, 1, 10, -1),
        KEY("Attachment", "CheckIntervalSec", VALUE_DURATION, dna.check_interval_usec, 0, 3600 * SEC, -1),
        KEY("Attachment", "CheckHoldoffSec", VALUE_DURATION, dna.check_holdoff_usec, 0, 60 * SEC, -1),
        KEY("Attachment", "ConfirmBurst", VALUE_UINT, dna.confirm_burst, 1, 100, -1),
        KEY("Attachment", "ConfirmIntervalSec", VALUE_DURATION, dna.confirm_interval_usec, 1 * SEC, 3600 * SEC, -1),
        KEY("Attachment", "RefuseOldSubnetSec", VALUE_DURATION, refuse_old_subnet_usec, 0, 3600 * SEC, -1),
        KEY("Attachment", "ExtraPeers", VALUE_PEERS, dna.n_extra, 0, 0, -1), /* an empty value clears the list */

        KEY("Metrics", "TextfilePath", VALUE_PATH, metrics_textfile_path, 0, 0, -1),

        KEY("LeaseExport", "Enabled", VALUE_BOOL, lease_export, 0, 0, -1),
        KEY("LeaseExport", "Path", VALUE_PATH, lease_export_path, 0, 0, -1),
        KEY("LeaseExport", "MaxBlocks", VALUE_UINT, lease_export_max_blocks, 1, 100, -1),
};

static const char *const config_sections[] = { "DHCPv4", "Timing", "Routes", "ACD", "Attachment", "Metrics",
                                               "LeaseExport" };

/* An absolute file name: '/' first, not a directory ("/" or a trailing '/'), no control
 * characters, shorter than the field. */
static bool path_valid(const char *s, size_t size) {
        size_t n = strnlen(s, size);

        if (n == 0 || n >= size || s[0] != '/' || s[n - 1] == '/')
                return false;
        for (size_t i = 0; i < n; i++)
                if ((unsigned char) s[i] < ' ' || s[i] == 0x7f)
                        return false;
        return true;
}

/* RFC 1123 host name characters; option 12 carries it verbatim (RFC 2132 §3.14). */
static bool hostname_valid(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n >= LEASE_HOSTNAME_MAX || s[0] == '.' || s[0] == '-' || s[n - 1] == '.' || s[n - 1] == '-')
                return false;
        for (size_t i = 0; i < n; i++) {
                char ch = s[i];

                if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                      ch == '-' || ch == '.'))
                        return false;
                if (ch == '.' && (s[i + 1] == '.' || s[i + 1] == '-' || s[i - 1] == '-'))
                        return false;
        }
        return true;
}

static int config_assign(Dhcp4Config *c, const ConfigKey *k, const char *v, unsigned line, char *err,
                         size_t errlen) {
        uint8_t *field = (uint8_t *) c + k->offset;
        char a[32], b[32];
        int r;

        switch (k->type) {
        case VALUE_BOOL: {
                bool x;

                if (parse_bool(v, &x) < 0)
                        return errmsg(err, errlen, -EINVAL, NULL, "line %u: invalid %s=%s: expected yes or no", line,
                                      k->key, v);
                memcpy(field, &x, sizeof(x));
                return 0;
        }
        case VALUE_DURATION: {
                uint64_t x;

                r = parse_duration_usec(v, &x);
                if (r < 0 || x < k->min || x > k->max)
                        return errmsg(err, errlen, -EINVAL, NULL,
                                      "line %u: invalid %s=%s: expected a duration between %s and %s "
                                      "(e.g. \"250ms\", \"2s\", \"5min\")",
                                      line, k->key, v, format_duration(a, sizeof(a), k->min),
                                      format_duration(b, sizeof(b), k->max));
                memcpy(field, &x, sizeof(x));
                return 0;
        }
        case VALUE_UINT: {
                uint32_t x;

                r = parse_u32(v, &x);
                if (r < 0 || x < k->min || x > k->max)
                        return errmsg(err, errlen, -EINVAL, NULL,
                                      "line %u: invalid %s=%s: expected an integer between %" PRIu64
                                      " and %" PRIu64,
                                      line, k->key, v, k->min, k->max);
                memcpy(field, &x, sizeof(x));
                return 0;
        }
        case VALUE_HOSTNAME:
                if (!hostname_valid(v))
                        return errmsg(err, errlen, -EINVAL, NULL,
                                      "line %u: invalid %s=%s: expected a host name of at most %d letters, "
                                      "digits, '-' and '.'",
                                      line, k->key, v, LEASE_HOSTNAME_MAX - 1);
                memset(field, 0, k->size);
                memcpy(field, v, strlen(v));
                return 0;
        case VALUE_PREFIX: {
                Dhcp4Subnet s;

                if (parse_ipv4_prefix(v, &s.address, &s.prefixlen) < 0)
                        return errmsg(err, errlen, -EINVAL, NULL, "line %u: invalid %s=%s: expected a.b.c.d/len", line,
                                      k->key, v);
                /* A route destination: host bits set are a typo for another network. */
                if ((s.address.s_addr & ~lease_prefix_mask(s.prefixlen)) != 0)
                        return errmsg(err, errlen, -EINVAL, NULL, "line %u: invalid %s=%s: host bits set", line, k->key,
                                      v);
                memcpy(field, &s, sizeof(s));
                return 0;
        }
        case VALUE_PATH:
                if (!path_valid(v, k->size))
                        return errmsg(err, errlen, -EINVAL, NULL,
                                      "line %u: invalid %s=%s: expected an absolute file name of at most %zu bytes",
                                      line, k->key, v, k->size - 1);
                memset(field, 0, k->size);
                memcpy(field, v, strlen(v));
                return 0;
        case VALUE_ACD_PROFILE: {
                int p = dhcp4_acd_profile_from_string(v);
                Dhcp4AcdProfile x = (Dhcp4AcdProfile) p;

                if (p < 0)
                        return errmsg(err, errlen, -EINVAL, NULL,
                                      "line %u: invalid %s=%s: expected datacenter or rfc5227", line, k->key, v);
                memcpy(field, &x, sizeof(x));
                return 0;
        }
        case VALUE_PEERS: {
                Dhcp4DnaConfig *d = &c->dna;
                char buf[256], *save = NULL;

                if (strlen(v) >= sizeof(buf))
                        return errmsg(err, errlen, -EINVAL, NULL, "line %u: %s= is too long", line, k->key);
                snprintf(buf, sizeof(buf), "%s", v);
                d->n_extra = 0;
                for (char *w = strtok_r(buf, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                        Dhcp4DnaExtraPeer p = {};
                        uint32_t octet;

                        if (d->n_extra >= DHCP4_DNA_EXTRA_MAX)
                                return errmsg(err, errlen, -EINVAL, NULL, "line %u: %s= names more than %d peers", line,
                                              k->key, DHCP4_DNA_EXTRA_MAX);
                        if (w[0] == '.') {
                                if (parse_u32(w + 1, &octet) < 0 || octet == 0 || octet > 254)
                                        return errmsg(err, errlen, -EINVAL, NULL,
                                                      "line %u: invalid %s= entry %s: expected .N (1..254, the "
                                                      "leased network with last octet N) or a.b.c.d",
                                                      line, k->key, w);
                                p.relative = true;
                                p.last_octet = (uint8_t) octet;
                        } else if (inet_pton(AF_INET, w, &p.address) != 1 || p.address.s_addr == 0)
                                return errmsg(err, errlen, -EINVAL, NULL,
                                              "line %u: invalid %s= entry %s: expected .N or a.b.c.d", line, k->key, w);
                        d->extra[d->n_extra++] = p;
                }
                return 0;
        }
        }
        return -EINVAL;
}

static char *strip(char *s) {
        char *e;

        while (*s == ' ' || *s == '\t' || *s == '\r')
                s++;
        e = s + strlen(s);
        while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
                *--e = '\0';
        return s;
}

/* What one text leaves for the next one and for the end of the whole parse: the
 * configuration so far and which ACD values were given explicitly (Profile= fills
 * the others once every text is read). */
typedef struct ParseState {
        Dhcp4Config n, defaults;
        bool profile_seen;
        unsigned acd_explicit;
} ParseState;

/* Applies one text to st->n. Every text starts outside of any section (a drop-in
 * continues no section of the file before it, as in systemd). */
static int config_parse_text(ParseState *st, const char *text, size_t len, char *err, size_t errlen) {
        Dhcp4Config *const np = &st->n;
        const Dhcp4Config *const dp = &st->defaults;
        const char *section = NULL;
        unsigned line = 0;
        const char *p = text, *end;
        int r;

        end = text ? text + len : text; /* NULL + 0 is undefined behaviour */

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                size_t l = nl ? (size_t) (nl - p) : (size_t) (end - p);
                char buf[CONFIG_LINE_MAX], *s, *eq, *key, *value;
                const ConfigKey *k = NULL;

                line++;
                if (memchr(p, '\0', l))
                        return errmsg(err, errlen, -EINVAL, NULL, "line %u: NUL byte", line);
                if (l >= sizeof(buf))
                        return errmsg(err, errlen, -EINVAL, NULL, "line %u: line too long (max %d bytes)", line,
                                      CONFIG_LINE_MAX - 1);
                memcpy(buf, p, l);
                buf[l] = '\0';
                p = nl ? nl + 1 : end;

                s = strip(buf);
                if (*s == '\0' || *s == '#' || *s == ';')
                        continue;

                if (*s == '[') {
                        size_t sl = strlen(s);

                        section = NULL;
                        if (sl < 3 || s[sl - 1] != ']')
                                return errmsg(err, errlen, -EINVAL, NULL, "line %u: malformed section header %s", line,
                                              s);
                        s[sl - 1] = '\0';
                        for (size_t i = 0; i < ELEMENTSOF(config_sections); i++)
                                if (strcmp(s + 1, config_sections[i]) == 0)
                                        section = config_sections[i];
                        if (!section)
                                return errmsg(err, errlen, -EINVAL, NULL,
                                              "line %u: unknown section [%s] (known: [DHCPv4], [Timing], "
                                              "[Routes], [ACD], [Attachment], [Metrics], [LeaseExport])",
                                              line, s + 1);
                        continue;
                }

                eq = strchr(s, '=');
                if (!eq)
                        return errmsg(err, errlen, -EINVAL, NULL,
                                      "line %u: expected Key=value or [Section], got \"%s\"", line, s);
                *eq = '\0';
                key = strip(s);
                value = strip(eq + 1);
                if (!*key)
                        return errmsg(err, errlen, -EINVAL, NULL, "line %u: missing key before '='", line);
                if (!section)
                        return errmsg(err, errlen, -EINVAL, NULL, "line %u: %s= outside of a section", line, key);

                for (size_t i = 0; i < ELEMENTSOF(config_keys); i++)
                        if (config_keys[i].section == section && strcmp(config_keys[i].key, key) == 0) {
                                k = config_keys + i;
                                break;
                        }
                if (!k)
                        return errmsg(err, errlen, -EINVAL, NULL, "line %u: unknown key %s in [%s]", line, key,
                                      section);

                if (*value == '\0') {
                        /* systemd convention: an empty assignment resets to the default. */
                        memcpy((uint8_t *) np + k->offset, (const uint8_t *) dp + k->offset, k->size);
                        if (k->acd_bit >= 0)
                                st->acd_explicit &= ~(1u << k->acd_bit);
                } else {
                        r = config_assign(np, k, value, line, err, errlen);
                        if (r < 0)
                                return r;
                        if (k->acd_bit >= 0)
                                st->acd_explicit |= 1u << k->acd_bit;
                }
                if (k->type == VALUE_ACD_PROFILE)
                        st->profile_seen = true;
        }
        return 0;
}

int dhcp4_config_parse_texts(Dhcp4Config *c, const Dhcp4ConfigText *texts, size_t n_texts, size_t *ret_failed,
                             char *err, size_t errlen) {
        ParseState st = {};
        int r;

        if (ret_failed)
                *ret_failed = n_texts;
        if (!c || (!texts && n_texts > 0))
                return errmsg(err, errlen, -EINVAL, NULL, "invalid arguments");
        if (err && errlen > 0)
                err[0] = '\0';
        st.n = *c;
        dhcp4_config_init(&st.defaults);

        for (size_t i = 0; i < n_texts; i++) {
                if (!texts[i].text && texts[i].len > 0)
                        return errmsg(err, errlen, -EINVAL, NULL, "invalid arguments");
                r = config_parse_text(&st, texts[i].text, texts[i].len, err, errlen);
                if (r < 0) {
                        if (ret_failed)
                                *ret_failed = i;
                        return r;
                }
        }

        if (st.profile_seen) {
                /* Profile= fills what no text sets, independent of line (and file) order. */
                Dhcp4AcdConfig prof = st.n.acd;

                dhcp4_acd_config_set_profile(&prof, st.n.acd.profile);
                for (size_t i = 0; i < ELEMENTSOF(config_keys); i++) {
                        const ConfigKey *k = config_keys + i;

                        if (k->acd_bit < 0 || (st.acd_explicit & (1u << k->acd_bit)))
                                continue;
                        memcpy((uint8_t *) &st.n + k->offset,
                               (const uint8_t *) &prof + (k->offset - offsetof(Dhcp4Config, acd)), k->size);
                }
        }

        /* Cross-key constraints hold for the result, not for each file on its own. */
        r = dhcp4_config_verify(&st.n, err, errlen);
        if (r < 0)
                return r;

        *c = st.n;
        return 0;
}

int dhcp4_config_parse(Dhcp4Config *c, const char *text, size_t len, char *err, size_t errlen) {
        const Dhcp4ConfigText t = { .text = text, .len = len };

        if (!c || (!text && len > 0))
                return errmsg(err, errlen, -EINVAL, NULL, "invalid arguments");
        return dhcp4_config_parse_texts(c, &t, 1, NULL, err, errlen);
}

int dhcp4_config_verify(const Dhcp4Config *c, char *err, size_t errlen) {
        char a[32], b[32];

        if (!c)
                return errmsg(err, errlen, -EINVAL, NULL, "invalid arguments");
        if (c->retransmit_initial_usec == 0 || c->retransmit_initial_usec > c->retransmit_max_usec)
                return errmsg(err, errlen, -EINVAL, NULL,
                              "RetransmitInitialSec= (%s) is greater than RetransmitMaxSec= (%s)",
                              format_duration(a, sizeof(a), c->retransmit_initial_usec),
                              format_duration(b, sizeof(b), c->retransmit_max_usec));
        /* Jitter is ± around each timeout: it must not reach zero or below. */
        if (c->retransmit_jitter_usec >= c->retransmit_initial_usec)
                return errmsg(err, errlen, -EINVAL, NULL,
                              "RetransmitJitterSec= (%s) must be less than RetransmitInitialSec= (%s)",
                              format_duration(a, sizeof(a), c->retransmit_jitter_usec),
                              format_duration(b, sizeof(b), c->retransmit_initial_usec));
        if (c->request_max_attempts == 0)
                return errmsg(err, errlen, -EINVAL, NULL, "RequestMaxAttempts= must be at least 1");
        if (c->reboot_timeout_usec == 0 || c->renew_retransmit_min_usec == 0)
                return errmsg(err, errlen, -EINVAL, NULL, "RebootTimeoutSec= and RenewRetransmitMinSec= must not be 0");
        if (c->decline_backoff_initial_usec == 0 || c->decline_backoff_initial_usec > c->decline_backoff_max_usec)
                return errmsg(err, errlen, -EINVAL, NULL,
                              "DeclineBackoffInitialSec= (%s) is greater than DeclineBackoffMaxSec= (%s)",
                              format_duration(a, sizeof(a), c->decline_backoff_initial_usec),
                              format_duration(b, sizeof(b), c->decline_backoff_max_usec));
        if (strnlen(c->hostname, sizeof(c->hostname)) >= sizeof(c->hostname) ||
            (c->hostname[0] && !hostname_valid(c->hostname)))
                return errmsg(err, errlen, -EINVAL, NULL, "Hostname= is not a valid host name");
        if (c->multicast_route_prefix.prefixlen > 32 ||
            (c->multicast_route_prefix.address.s_addr & ~lease_prefix_mask(c->multicast_route_prefix.prefixlen)) != 0)
                return errmsg(err, errlen, -EINVAL, NULL, "MulticastRoutePrefix= has host bits set");
        if (c->metrics_textfile_path[0] && !path_valid(c->metrics_textfile_path, sizeof(c->metrics_textfile_path)))
                return errmsg(err, errlen, -EINVAL, NULL, "[Metrics] TextfilePath= is not an absolute file name");
        if (!dhcp4_acd_profile_to_string(c->acd.profile))
                return errmsg(err, errlen, -EINVAL, NULL, "[ACD] Profile= is invalid");
        if (c->acd.probe_num == 0)
                return errmsg(err, errlen, -EINVAL, NULL, "[ACD] ProbeNum= must be at least 1");
        if (c->acd.probe_min_usec > c->acd.probe_max_usec)
                return errmsg(err, errlen, -EINVAL, NULL, "[ACD] ProbeMinSec= (%s) is greater than ProbeMaxSec= (%s)",
                              format_duration(a, sizeof(a), c->acd.probe_min_usec),
                              format_duration(b, sizeof(b), c->acd.probe_max_usec));
        return 0;
}

int dhcp4_config_to_engine(const Dhcp4Config *c, Dhcp4EngineConfig *ret) {
        Dhcp4EngineConfig e;
        int r;

        if (!c || !ret)
                return -EINVAL;
        r = dhcp4_config_verify(c, NULL, 0);
        if (r < 0)
                return r;

        /* Start from the engine's own defaults so a field added there is never left
         * zero here; then every configurable value. mac and seed: the daemon's. */
        dhcp4_engine_config_init(&e);
        memcpy(e.hostname, c->hostname, sizeof(e.hostname));
        e.broadcast_flag = c->request_broadcast;
        e.initial_delay_usec = c->initial_delay_usec;
        e.retransmit_initial_usec = c->retransmit_initial_usec;
        e.retransmit_max_usec = c->retransmit_max_usec;
        e.retransmit_jitter_usec = c->retransmit_jitter_usec;
        e.reboot_timeout_usec = c->reboot_timeout_usec;
        e.request_max_attempts = c->request_max_attempts;
        e.renew_retransmit_min_usec = c->renew_retransmit_min_usec;
        e.decline_backoff_initial_usec = c->decline_backoff_initial_usec;
        e.decline_backoff_max_usec = c->decline_backoff_max_usec;
        e.decline_quarantine_usec = c->decline_quarantine_usec;
        e.confirm_refuse_usec = c->refuse_old_subnet_usec;

        *ret = e;
        return 0;
}

int dhcp4_config_to_acd(const Dhcp4Config *c, Dhcp4AcdConfig *ret) {
        int r;

        if (!c || !ret)
                return -EINVAL;
        r = dhcp4_config_verify(c, NULL, 0);
        if (r < 0)
                return r;
        *ret = c->acd;
        return 0;
}
