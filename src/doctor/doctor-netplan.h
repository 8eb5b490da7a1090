/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * netplan's and cloud-init's view of one interface (pure; YAML through libyaml).
 *
 * netplan reads *.yaml from /lib/netplan, /etc/netplan and /run/netplan (same name:
 * /run shadows /etc shadows /lib), sorted by file name, and merges them: mappings
 * merge key by key, a later scalar replaces an earlier one (netplan(5)). Devices are
 * definitions under network.{ethernets,vlans,bonds,bridges,...}.ID; a definition
 * applies to the interface when it has no match: and ID is the name, or when its
 * match: (name glob, macaddress) fits and set-name (if any) is the name. dhcp4: true
 * makes the renderer (networkd by default, or NetworkManager) run DHCPv4 there.
 *
 * cloud-init renders its network configuration (version 1 or 2; from
 * /etc/cloud/cloud.cfg(.d) `network:` or a NoCloud seed's network-config) into
 * /etc/netplan/50-cloud-init.yaml, again on later boots for some data sources, unless
 * `network: {config: disabled}` or /etc/cloud/cloud-init.disabled. So a hand edit of
 * that file does not last; a separate later file does.
 *
 * Not here: reading files (the caller passes each file's text, in order).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "doctor-link.h"

typedef struct YamlNode YamlNode;

typedef struct NetplanDef {
        char type[16];      /* "ethernets", "vlans", ... */
        char id[256];
        bool id_truncated;  /* the definition's id did not fit: no override can name it */
        int dhcp4;          /* -1 unset, 0, 1 */
        char dhcp4_source[256]; /* "file:line" of the dhcp4 value that won */
        char renderer[32];  /* "networkd" or "NetworkManager" (effective) */
} NetplanDef;

/* The merged configuration of several files. */
typedef struct NetplanState {
        YamlNode *root; /* merged document: mapping, or NULL before the first file */
} NetplanState;

void netplan_state_init(NetplanState *s);
void netplan_state_done(NetplanState *s);

/* Merges one file (source names it in results). Returns 0, -ENOMEM, or -EBADMSG with
 * *ret_line and *ret_error (not YAML, aliases, too deep, top level not a mapping). */
int netplan_state_add(NetplanState *s, const char *text, size_t len, const char *source, unsigned *ret_line,
                      const char **ret_error);

/* The definition that applies to the link: 1 and *ret filled, 0 if none. */
int netplan_state_find(const NetplanState *s, const DoctorLink *link, NetplanDef *ret);

/* doctor's override file for a definition: "network: {version: 2, TYPE: {ID: {dhcp4:
 * false}}}" with a comment; ID double-quoted with YAML escapes (quotes, backslashes,
 * control characters and the line breaks NEL, LS and PS), so any id reads back as
 * itself. -ENOBUFS when it does not fit. */
int netplan_override_format(const char *type, const char *id, const char *ifname, char *buf, size_t size);

/* cloud-init. */
typedef struct CloudInitState {
        bool disabled;          /* network: {config: disabled} */
        char disabled_source[256];
        YamlNode *network;      /* the merged `network:` value of cloud.cfg(.d), NULL if none */
        char network_source[256];
        char network_file[200]; /* the file of network_source, without the line */
} CloudInitState;

void cloud_init_state_init(CloudInitState *s);
void cloud_init_state_done(CloudInitState *s);
/* One cloud.cfg / cloud.cfg.d file, in order (later top-level keys win). */
int cloud_init_state_add_cfg(CloudInitState *s, const char *text, size_t len, const char *source, unsigned *ret_line,
                             const char **ret_error);

/* Merges cloud-init's network configuration into s as netplan would see it once
 * cloud-init has rendered it (as 50-cloud-init.yaml): version 2 as is, version 1
 * (physical/vlan entries with dhcp/dhcp4 subnets) translated. The configuration is
 * the seed file's text when seed_text is not NULL (with or without a top-level
 * `network:`), else the `network:` of cloud.cfg(.d). Returns 1 when there was one to
 * merge, 0 when cloud-init has none (or is disabled), -EBADMSG (with *ret_error), or
 * -ENOMEM. */
int cloud_init_netplan_add(NetplanState *s, const CloudInitState *ci, const char *seed_text, size_t seed_len,
                           const char *seed_source, const char **ret_error);
