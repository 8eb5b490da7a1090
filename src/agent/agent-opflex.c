/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * opflex-agent files: anycast computation, JSON field transforms, reset.conf and the
 * PlatformConfig event files; see agent-opflex.h.
 * The JSON is parsed with json-c, which keeps object keys in insertion order and the
 * original text of floating-point numbers, so re-serialising changes nothing but the
 * one field (and whitespace). Not here: deciding when to rewrite.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "agent-opflex.h"
#include "agent-pod.h"
#include "errmsg.h"
#include "json-util.h"
#include "macro.h"
#include "time-util.h"

#define JSON_OUT_FORMAT (JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE)

void agent_anycast(struct in_addr address, uint8_t prefixlen, struct in_addr *ret_peer, struct in_addr *ret_remote_ip) {
        uint32_t net = ntohl(address.s_addr & agent_prefix_mask(prefixlen)) & 0xffffff00U;

        ret_peer->s_addr = htonl(net | 30);
        ret_remote_ip->s_addr = htonl(net | 32);
}

/* Whole text must be one JSON value (trailing whitespace allowed). */
/* The whole text as one JSON object (every file here is one), or NULL with the reason. */
static json_object *parse_json_object(const char *text, size_t len, char *err, size_t errlen) {
        json_object *o = NULL;
        const char *why;
        size_t at;
        int r;

        if (len == 0 || len > AGENT_OPFLEX_FILE_MAX) {
                errmsg(err, errlen, -EBADMSG, NULL, len == 0 ? "empty" : "too large");
                return NULL;
        }
        r = json_parse(text, len, 0, &o, &why, &at);
        if (r == -EBADMSG) {
                if (at > 0)
                        errmsg(err, errlen, -EBADMSG, NULL, "trailing data after the JSON value");
                else
                        errmsg(err, errlen, -EBADMSG, NULL, "invalid JSON: %s", why);
        }
        if (r < 0)
                return NULL;
        if (!json_object_is_type(o, json_type_object)) {
                json_object_put(o);
                errmsg(err, errlen, -EBADMSG, NULL, "not a JSON object");
                return NULL;
        }
        return o;
}

static int serialize(json_object *root, char **ret_text) {
        const char *s;
        size_t n;
        char *t;

        s = json_object_to_json_string_length(root, JSON_OUT_FORMAT, &n);
        if (!s)
                return -ENOMEM;
        t = malloc(n + 2);
        if (!t)
                return -ENOMEM;
        memcpy(t, s, n);
        t[n] = '\n';
        t[n + 1] = '\0';
        *ret_text = t;
        return 1;
}

/* The object at key in parent; NULL when absent (err set when present but not an object). */
static json_object *get_object(json_object *parent, const char *key, const char *where, bool *bad, char *err,
                               size_t errlen) {
        json_object *v;

        if (!json_object_object_get_ex(parent, key, &v))
                return NULL;
        if (!json_object_is_type(v, json_type_object)) {
                errmsg(err, errlen, -EBADMSG, NULL, "%s%s: not an object", where, key);
                *bad = true;
                return NULL;
        }
        return v;
}

int agent_opflex_base_transform(const char *text, size_t len, const char *peer, char **ret_text, char *err,
                                size_t errlen) {
        _cleanup_(json_object_unrefp) json_object *root = NULL, *peers = NULL;
        json_object *opflex, *cur;
        bool bad = false;

        root = parse_json_object(text, len, err, errlen);
        if (!root)
                return -EBADMSG;
        opflex = get_object(root, "opflex", "", &bad, err, errlen);
        if (!opflex)
                return bad ? -EBADMSG
                           : errmsg(err, errlen, -EBADMSG, NULL, "opflex: missing (not an opflex-agent base config)");

        peers = json_object_new_array();
        if (json_append(peers, json_build_object("hostname", json_object_new_string(peer),
                                                 "port", json_object_new_string(AGENT_OPFLEX_PEER_PORT), NULL)) < 0)
                return -ENOMEM;

        if (json_object_object_get_ex(opflex, "peers", &cur) && json_object_equal(cur, peers))
                return 0;
        /* Replacing an existing key keeps its position (json-c replaces in place). */
        if (json_add(opflex, "peers", json_object_get(peers)) < 0)
                return -ENOMEM;
        return serialize(root, ret_text);
}

int agent_opflex_renderer_transform(const char *text, size_t len, const char *remote_ip, char **ret_text, char *err,
                                    size_t errlen) {
        _cleanup_(json_object_unrefp) json_object *root = NULL;
        json_object *o, *cur;
        static const char *const path[] = { "renderers", "stitched-mode", "encap", "vxlan" };
        char where[128] = "";
        bool bad = false;

        root = parse_json_object(text, len, err, errlen);
        if (!root)
                return -EBADMSG;
        o = root;
        for (size_t i = 0; i < ELEMENTSOF(path); i++) {
                o = get_object(o, path[i], where, &bad, err, errlen);
                if (!o)
                        return bad ? -EBADMSG : errmsg(err, errlen, -EBADMSG, NULL, "%s%s: missing", where, path[i]);
                strncat(where, path[i], sizeof(where) - strlen(where) - 2);
                strcat(where, ".");
        }
        if (json_object_object_get_ex(o, "remote-ip", &cur) && json_object_is_type(cur, json_type_string) &&
            strcmp(json_object_get_string(cur), remote_ip) == 0)
                return 0;
        if (json_add(o, "remote-ip", json_object_new_string(remote_ip)) < 0)
                return -ENOMEM;
        return serialize(root, ret_text);
}

/* ------------------------------------------------------------------------- */
/* Time: UTC, through days_from_civil()/civil_from_days() (time-util.h), so that
 * nothing here depends on the process time zone. */

char *agent_timestamp_format(uint64_t usec, char *buf, size_t size) {
        uint64_t sec = usec / USEC_PER_SEC;
        int64_t y;
        unsigned m, d;

        civil_from_days((int64_t)(sec / 86400), &y, &m, &d);
        snprintf(buf, size, "%04" PRId64 "-%02u-%02uT%02u:%02u:%02u.%03uZ", y, m, d, (unsigned)(sec % 86400 / 3600),
                 (unsigned)(sec % 3600 / 60), (unsigned)(sec % 60), (unsigned)(usec % USEC_PER_SEC / 1000));
        return buf;
}

static int digits(const char *s, size_t n, unsigned *ret) {
        unsigned v = 0;

        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -EINVAL;
                v = v * 10 + (unsigned)(s[i] - '0');
        }
        *ret = v;
        return 0;
}

int agent_timestamp_parse(const char *s, uint64_t *ret_usec) {
        static const unsigned mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
        unsigned y, mo, d, h, mi, se, frac = 0, scale = 1;
        const char *p;
        int64_t days;
        bool leap;

        if (!s || strlen(s) < 20)
                return -EINVAL;
        if (s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
                return -EINVAL;
        if (digits(s, 4, &y) < 0 || digits(s + 5, 2, &mo) < 0 || digits(s + 8, 2, &d) < 0 ||
            digits(s + 11, 2, &h) < 0 || digits(s + 14, 2, &mi) < 0 || digits(s + 17, 2, &se) < 0)
                return -EINVAL;
        p = s + 19;
        if (*p == '.') {
                size_t n = 0;
                p++;
                while (p[n] >= '0' && p[n] <= '9')
                        n++;
                if (n == 0 || n > 9)
                        return -EINVAL;
                /* Microsecond resolution: keep 6 digits. */
                for (size_t i = 0; i < MIN(n, (size_t)6); i++) {
                        frac = frac * 10 + (unsigned)(p[i] - '0');
                        scale *= 10;
                }
                p += n;
        }
        if (strcmp(p, "Z") != 0)
                return -EINVAL;
        leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap) || h > 23 ||
            mi > 59 || se > 60)
                return -EINVAL;
        days = days_from_civil(y, mo, d);
        *ret_usec = ((uint64_t)days * 86400 + h * 3600 + mi * 60 + se) * USEC_PER_SEC +
                    (uint64_t)frac * (USEC_PER_SEC / scale);
        return 0;
}

/* ------------------------------------------------------------------------- */
/* PlatformConfig events */

int agent_platformconfig_subscriptions_format(const char *uuid, char **ret_text) {
        _cleanup_(json_object_unrefp) json_object *root = NULL;
        json_object *subs;

        if (!uuid)
                return -ENOMEM;
        subs = json_object_new_array();
        if (json_append(subs, json_build_object("type", json_object_new_string("class"),
                                                "state", json_object_new_string("deleted"),
                                                "subject", json_object_new_string("PlatformConfig"), NULL)) < 0) {
                json_object_put(subs);
                return -ENOMEM;
        }
        root = json_build_object("uuid", json_object_new_string(uuid),
                                 "time-zone", json_object_new_string("UTC"),
                                 "time-format", json_object_new_string("ISO8601"),
                                 "subscriptions", subs, NULL);
        if (!root)
                return -ENOMEM;
        return serialize(root, ret_text) < 0 ? -ENOMEM : 0;
}

int agent_platformconfig_notifications_parse(const char *text, size_t len, uint64_t now_usec, uint64_t max_age_usec,
                                             uint64_t *ret_event_usec) {
        _cleanup_(json_object_unrefp) json_object *root = NULL;
        json_object *events, *ev, *v;
        uint64_t t;

        root = parse_json_object(text, len, NULL, 0);
        if (!root)
                return -EBADMSG;
        if (!json_object_object_get_ex(root, "events", &events))
                return AGENT_INTRA_POD_NO;
        if (!json_object_is_type(events, json_type_array))
                return -EBADMSG;
        /* Exactly one event: several mean the device went and came more than once, which
         * the host agent does not take as an intra-pod move either. */
        if (json_object_array_length(events) != 1)
                return AGENT_INTRA_POD_NO;
        ev = json_object_array_get_idx(events, 0);
        if (!json_object_is_type(ev, json_type_object))
                return -EBADMSG;
        if (!json_object_object_get_ex(ev, "state", &v) || !json_object_is_type(v, json_type_string))
                return -EBADMSG;
        if (strcmp(json_object_get_string(v), "deleted") != 0)
                return AGENT_INTRA_POD_NO;
        if (!json_object_object_get_ex(ev, "timestamp", &v) || !json_object_is_type(v, json_type_string) ||
            agent_timestamp_parse(json_object_get_string(v), &t) < 0)
                return -EBADMSG;
        if ((t <= now_usec && now_usec - t > max_age_usec) || (t > now_usec && t - now_usec > max_age_usec))
                return AGENT_INTRA_POD_NO;
        if (ret_event_usec)
                *ret_event_usec = t;
        return AGENT_INTRA_POD_YES;
}
