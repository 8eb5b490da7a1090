/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * NetworkManager's view of one interface, from its files (pure).
 *
 * - Configuration: NetworkManager.conf, then the .conf files in conf.d/ of /usr/lib, /run and /etc
 *   (sorted by name, /etc shadowing the rest; NetworkManager.conf(5)). A later
 *   assignment replaces a key, "key+=" appends to a list, "key-=" removes items. Read:
 *   [keyfile] unmanaged-devices, [main] no-auto-default and plugins, and [device*]
 *   sections with match-device= and managed=.
 * - Connection profiles: keyfiles (system-connections/ in /etc, /run, /usr/lib) and
 *   ifcfg-rh files (/etc/sysconfig/network-scripts/ifcfg-*). A profile applies to the
 *   interface by connection.interface-name, by the Ethernet MAC, by VLAN parent and id,
 *   or, with neither, to any device of its type; [match] interface-name narrows it.
 *   ipv4.method auto (the default) runs NM's DHCPv4 client (internal, or dhclient).
 * - Device specs ("interface-name:", "mac:", "type:", "except:", "*"), matched the way
 *   nm_match_spec_device() does.
 * - An Ethernet or veth device that no profile applies to gets an automatic "Wired
 *   connection N" with DHCP unless no-auto-default covers it.
 * Not here: D-Bus (the live device state is read by the edge), udev's NM_UNMANAGED.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "doctor-link.h"

#define NM_LIST_MAX 128

typedef struct NmSpec {
        char *spec;
        char *source; /* "file:line" */
} NmSpec;

typedef struct NmDeviceSection {
        char *match;  /* match-device= */
        int managed;  /* -1 unset, 0, 1 */
        char *source;
} NmDeviceSection;

typedef struct NmConfig {
        NmSpec unmanaged[NM_LIST_MAX];
        size_t n_unmanaged;
        NmSpec no_auto_default[NM_LIST_MAX];
        size_t n_no_auto_default;
        char plugins[128]; /* "" unset */
        NmDeviceSection devices[NM_LIST_MAX];
        size_t n_devices;
} NmConfig;

void nm_config_init(NmConfig *c);
void nm_config_done(NmConfig *c);
/* Applies one configuration file's text; source names it in findings. Returns 0,
 * -ENOMEM, or -EBADMSG with *ret_line and *ret_error. */
int nm_config_parse(NmConfig *c, const char *text, size_t len, const char *source, unsigned *ret_line,
                    const char **ret_error);
/* Whether the configuration makes NM leave the device alone; *ret_source (may be NULL)
 * names the spec that did it. */
bool nm_config_unmanages(const NmConfig *c, const DoctorLink *link, const char **ret_source);
bool nm_config_no_auto_default(const NmConfig *c, const DoctorLink *link);
bool nm_config_has_plugin(const NmConfig *c, const char *plugin, bool unset_default);

/* One spec list ("a,b;c"): true when it matches the device. */
bool nm_device_spec_match(const char *list, const DoctorLink *link);

typedef struct NmConnection {
        char id[128];
        char uuid[64];
        char type[32];           /* "ethernet", "vlan", ... ("802-3-ethernet" normalised) */
        char interface_name[64]; /* "" unset */
        uint8_t mac[6];
        bool has_mac;
        char vlan_parent[64];
        int vlan_id;             /* -1 unset */
        char match_names[256];   /* [match] interface-name, "" unset */
        char method[32];         /* ipv4.method; "" = default (auto) */
        unsigned method_line;    /* 0 when defaulted */
        int autoconnect;         /* -1 default (yes) */
        bool nm_controlled;      /* ifcfg NM_CONTROLLED=no makes NM ignore the file */
        bool ifcfg;
} NmConnection;

int nm_keyfile_parse(NmConnection *c, const char *text, size_t len, unsigned *ret_line, const char **ret_error);
/* ifcfg-rh: shell-style KEY=value; file_name ("ifcfg-ens192.4093") gives DEVICE when
 * the file has none. */
int nm_ifcfg_parse(NmConnection *c, const char *text, size_t len, const char *file_name, unsigned *ret_line,
                   const char **ret_error);

bool nm_connection_matches(const NmConnection *c, const DoctorLink *link);
/* ipv4.method is auto (NM runs DHCPv4 when the profile is active). */
bool nm_connection_dhcp(const NmConnection *c);
bool nm_connection_autoconnect(const NmConnection *c);

/* NetworkManager ignores these keyfile names (editor backups and the like). */
bool nm_keyfile_name_ignored(const char *name);

/* Text of doctor's conf.d drop-in that makes NM leave ifname alone. */
int nm_unmanaged_conf_format(const char *ifname, char *buf, size_t size);
