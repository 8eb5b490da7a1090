/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The two Node annotations the ACI controller writes for the multipod flow, parsed
 * exactly:
 *   opflex.cisco.com/aci-pod       "pod-<digits>-<a.b.c.d/len>" or "none"
 *   opflex.cisco.com/node-aci-pod  "pod-<digits>" or "none"
 * Pure: strings in, values out. Not here: reading them from the Node object (the
 * daemon) or deciding anything (agent-reconcile).
 *
 * The controller itself compares pod names by substring ("pod-1" matches "pod-10-…");
 * this parser never does: a value is one of the two forms or it is INVALID.
 */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AGENT_ANNOTATION_ACI_POD "opflex.cisco.com/aci-pod"
#define AGENT_ANNOTATION_NODE_ACI_POD "opflex.cisco.com/node-aci-pod"

typedef enum AgentPodKind {
        AGENT_POD_UNKNOWN,  /* not known yet (the Node has not been read) */
        AGENT_POD_ABSENT,   /* the Node has no such annotation */
        AGENT_POD_NONE,     /* "none" */
        AGENT_POD_SET,      /* "pod-<id>-<cidr>" (node-aci-pod: "pod-<id>") */
        AGENT_POD_INVALID,  /* anything else: reported and ignored */
        _AGENT_POD_KIND_MAX,
} AgentPodKind;

typedef struct AgentPod {
        AgentPodKind kind;
        uint32_t id;            /* SET */
        struct in_addr network; /* SET, aci-pod only: host bits cleared */
        uint8_t prefixlen;      /* SET, aci-pod only: 1..32 */
} AgentPod;

/* Longest formatted value: "pod-4294967295-255.255.255.255/32". */
#define AGENT_POD_STRING_MAX 40

/* Parses an aci-pod value. NULL gives ABSENT. Always fills *ret (INVALID on a bad
 * value) and returns 0, or -EINVAL for an invalid value so callers can report it. */
int agent_pod_parse(const char *s, AgentPod *ret);
/* Parses a node-aci-pod value the same way ("pod-<digits>" or "none"). */
int agent_node_pod_parse(const char *s, AgentPod *ret);

/* "pod-1-10.0.0.0/16", "pod-1" (no prefix), "none", "absent", "unknown", "invalid".
 * buf must hold AGENT_POD_STRING_MAX bytes. Returns buf. */
char *agent_pod_format(const AgentPod *p, char *buf, size_t size);
/* Pool of a SET aci-pod as "a.b.c.d/len"; buf >= 19 bytes. */
char *agent_pod_format_pool(const AgentPod *p, char *buf, size_t size);

bool agent_pod_equal(const AgentPod *a, const AgentPod *b);
/* True when p is a SET aci-pod and address lies inside its pool. */
bool agent_pod_contains(const AgentPod *p, struct in_addr address);

const char *agent_pod_kind_to_string(AgentPodKind k);
int agent_pod_kind_from_string(const char *s); /* -EINVAL if not a kind name */

/* Netmask of a prefix length (network byte order); 0 for 0, all ones for 32+. */
uint32_t agent_prefix_mask(uint8_t prefixlen);
