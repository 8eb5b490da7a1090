/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Exact parsers for the aci-pod and node-aci-pod annotations; see agent-pod.h.
 * Not here: any decision on the values.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "agent-pod.h"
#include "parse-util.h"
#include "string-table.h"

static const char *const agent_pod_kind_table[_AGENT_POD_KIND_MAX] = {
        [AGENT_POD_UNKNOWN] = "unknown", [AGENT_POD_ABSENT] = "absent", [AGENT_POD_NONE] = "none",
        [AGENT_POD_SET] = "set",         [AGENT_POD_INVALID] = "invalid",
};

DEFINE_STRING_TABLE_LOOKUP(agent_pod_kind, AgentPodKind)

uint32_t agent_prefix_mask(uint8_t prefixlen) {
        if (prefixlen == 0)
                return 0;
        if (prefixlen >= 32)
                return 0xffffffffU;
        return htonl(~((UINT32_C(1) << (32 - prefixlen)) - 1));
}

/* "pod-<digits>" at the start of s: decimal, 1..10 digits, no leading zero (the
 * controller formats the id with %d, so "pod-01" is not a name it writes), fits in
 * 32 bits. Returns the number of bytes consumed, or -EINVAL. */
static int parse_pod_id(const char *s, uint32_t *ret) {
        uint64_t v = 0;
        size_t n = 0;

        if (strncmp(s, "pod-", 4) != 0)
                return -EINVAL;
        s += 4;
        while (s[n] >= '0' && s[n] <= '9') {
                if (n >= 10)
                        return -EINVAL;
                v = v * 10 + (uint64_t)(s[n] - '0');
                n++;
        }
        if (n == 0 || (n > 1 && s[0] == '0') || v > UINT32_MAX)
                return -EINVAL;
        *ret = (uint32_t)v;
        return (int)(4 + n);
}

/* Common to both annotations: absent (NULL) and "none" are final (returns 0 with
 * *ret set); anything else starts as INVALID and the caller parses "pod-<id>..."
 * (returns 1). */
static int pod_parse_begin(const char *s, AgentPod *ret) {
        *ret = (AgentPod){ .kind = AGENT_POD_ABSENT };
        if (!s)
                return 0;
        if (strcmp(s, "none") == 0) {
                ret->kind = AGENT_POD_NONE;
                return 0;
        }
        ret->kind = AGENT_POD_INVALID;
        return 1;
}

int agent_pod_parse(const char *s, AgentPod *ret) {
        struct in_addr a;
        uint8_t len;
        uint32_t id;
        int n;

        if (pod_parse_begin(s, ret) == 0)
                return 0;
        n = parse_pod_id(s, &id);
        if (n < 0 || s[n] != '-')
                return -EINVAL;
        /* parse_ipv4_prefix: exactly four decimal parts, no leading zeros, len 0..32. */
        if (parse_ipv4_prefix(s + n + 1, &a, &len) < 0 || len == 0)
                return -EINVAL;
        /* A pool of /0 would refuse every address; the controller writes the TEP pool
         * as a network, but host bits are harmless: keep the network only. */
        *ret = (AgentPod){ .kind = AGENT_POD_SET, .id = id, .prefixlen = len };
        ret->network.s_addr = a.s_addr & agent_prefix_mask(len);
        return 0;
}

int agent_node_pod_parse(const char *s, AgentPod *ret) {
        uint32_t id;
        int n;

        if (pod_parse_begin(s, ret) == 0)
                return 0;
        n = parse_pod_id(s, &id);
        if (n < 0 || s[n] != '\0')
                return -EINVAL;
        *ret = (AgentPod){ .kind = AGENT_POD_SET, .id = id };
        return 0;
}

char *agent_pod_format_pool(const AgentPod *p, char *buf, size_t size) {
        char a[INET_ADDRSTRLEN];

        if (p->kind != AGENT_POD_SET || p->prefixlen == 0) {
                snprintf(buf, size, "-");
                return buf;
        }
        inet_ntop(AF_INET, &p->network, a, sizeof(a));
        snprintf(buf, size, "%s/%u", a, p->prefixlen);
        return buf;
}

char *agent_pod_format(const AgentPod *p, char *buf, size_t size) {
        char pool[32];

        if (p->kind != AGENT_POD_SET)
                snprintf(buf, size, "%s", agent_pod_kind_to_string(p->kind) ?: "invalid");
        else if (p->prefixlen == 0)
                snprintf(buf, size, "pod-%u", p->id);
        else
                snprintf(buf, size, "pod-%u-%s", p->id, agent_pod_format_pool(p, pool, sizeof(pool)));
        return buf;
}

bool agent_pod_equal(const AgentPod *a, const AgentPod *b) {
        if (a->kind != b->kind)
                return false;
        if (a->kind != AGENT_POD_SET)
                return true;
        return a->id == b->id && a->network.s_addr == b->network.s_addr && a->prefixlen == b->prefixlen;
}

bool agent_pod_contains(const AgentPod *p, struct in_addr address) {
        if (p->kind != AGENT_POD_SET || p->prefixlen == 0)
                return false;
        return (address.s_addr & agent_prefix_mask(p->prefixlen)) == p->network.s_addr;
}
