/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The agent's configuration: the ACI `host-agent-config` JSON (the same file the
 * aci-containers-config configmap mounts; only the multipod keys are read, every other
 * key is ignored) and the agent's own options (node, interface, paths).
 * Pure: text in, values out; the daemon reads the file and applies command-line
 * options after parsing. Not here: validation of paths on disk.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AGENT_DEFAULT_HOST_AGENT_CONFIG "/usr/local/etc/aci-containers/host-agent.conf"
#define AGENT_DEFAULT_OPFLEX_CONFIG_PATH "/usr/local/etc/opflex-agent-ovs/base-conf.d"
#define AGENT_DEFAULT_RESET_CONF "/usr/local/var/lib/opflex-agent-ovs/reboot-conf.d/reset.conf"
#define AGENT_DEFAULT_EVENTS_DIR "/usr/local/var/lib/opflex-agent-ovs/events"
#define AGENT_DEFAULT_INFRA_VLAN 4093
#define AGENT_DEFAULT_MAX_RETRIES 5
#define AGENT_DEFAULT_DELAY_SEC 5
#define AGENT_DEFAULT_INTRA_POD_MAX_AGE_SEC 120

/* Bounds that infradhcpd's ReleaseAndRenew accepts (delayMs ≤ 1 h, maxRetries ≤ 100). */
#define AGENT_DELAY_SEC_MAX 3600
#define AGENT_MAX_RETRIES_MAX 100

#define AGENT_CONFIG_SIZE_MAX (1024U * 1024U)

typedef enum AgentEncap {
        AGENT_ENCAP_VXLAN,
        AGENT_ENCAP_VLAN,
} AgentEncap;

typedef struct AgentConfig {
        /* host-agent-config */
        bool multipod;              /* aci-multipod, default false */
        bool reconnect;             /* enable-opflex-agent-reconnect, default false */
        unsigned max_retries;       /* dhcp-renew-max-retry-count, default 5 */
        unsigned delay_sec;         /* dhcp-delay, default 5 */
        uint16_t infra_vlan;        /* aci-infra-vlan, default 4093 */
        AgentEncap encap;           /* encap-type, default vxlan */
        char *opflex_config_path;   /* opflex-config-path */

        /* agent options (command line) */
        char *node;
        char *interface;            /* NULL: discover the VLAN link with infra_vlan */
        char *kubeconfig;           /* NULL: discovery (in-cluster, $KUBECONFIG, kubelet.conf) */
        char *state_dir;
        char *runtime_dir;
        char *reset_conf;
        char *events_dir;
        unsigned intra_pod_max_age_sec; /* PlatformConfig event accepted when this recent */
} AgentConfig;

/* Sets every default (paths from the given defaults); 0 or -ENOMEM. */
int agent_config_init(AgentConfig *c, const char *state_dir, const char *runtime_dir);
void agent_config_done(AgentConfig *c);

/* Replaces a string option (copied). */
int agent_config_set_string(char **field, const char *value);

/* Parses host-agent-config JSON text over the current values. Keys absent or null
 * keep their value. On a bad file or value returns -EINVAL (or -ENOMEM) and writes
 * one line "<path>: <key>: <problem>" into err; *c may then be partly updated. */
int agent_config_parse_host_agent(AgentConfig *c, const char *text, size_t len, const char *path, char *err,
                                  size_t errlen);

const char *agent_encap_to_string(AgentEncap e);
