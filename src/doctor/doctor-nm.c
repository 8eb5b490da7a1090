/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * NetworkManager configuration, profiles and device specs (see doctor-nm.h).
 */

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "doctor-nm.h"
#include "macro.h"
#include "ini.h"
#include "parse-util.h"

void nm_config_init(NmConfig *c) {
        *c = (NmConfig){};
}

static void spec_list_clear(NmSpec *v, size_t *n) {
        for (size_t i = 0; i < *n; i++) {
                free(v[i].spec);
                free(v[i].source);
        }
        *n = 0;
}

void nm_config_done(NmConfig *c) {
        spec_list_clear(c->unmanaged, &c->n_unmanaged);
        spec_list_clear(c->no_auto_default, &c->n_no_auto_default);
        for (size_t i = 0; i < c->n_devices; i++) {
                free(c->devices[i].match);
                free(c->devices[i].source);
        }
        c->n_devices = 0;
}

/* Next item of a NM list ("a,b;c", '\' escapes a separator). Copies it trimmed into
 * buf and advances *p; returns false at the end. */
static bool list_next(const char **p, char *buf, size_t size) {
        const char *s = *p;
        size_t l = 0;

        while (*s == ' ' || *s == '\t' || *s == ',' || *s == ';')
                s++;
        if (*s == '\0')
                return false;
        while (*s && *s != ',' && *s != ';') {
                if (*s == '\\' && s[1])
                        s++;
                if (l + 1 < size)
                        buf[l++] = *s;
                s++;
        }
        while (l > 0 && (buf[l - 1] == ' ' || buf[l - 1] == '\t'))
                l--;
        buf[l] = '\0';
        *p = s;
        return true;
}

typedef struct ConfCtx {
        NmConfig *c;
        const char *source;
        NmDeviceSection *device; /* the current [device*] section */
        char section[128];
} ConfCtx;

static int spec_list_assign(NmSpec *v, size_t *n, const char *value, char op, const char *source, unsigned line) {
        char item[256];
        const char *p = value;

        if (op == '\0')
                spec_list_clear(v, n);
        while (list_next(&p, item, sizeof(item))) {
                if (op == '-') {
                        for (size_t i = 0; i < *n; i++)
                                if (strcmp(v[i].spec, item) == 0) {
                                        free(v[i].spec);
                                        free(v[i].source);
                                        memmove(v + i, v + i + 1, (*n - i - 1) * sizeof(*v));
                                        (*n)--;
                                        i--;
                                }
                        continue;
                }
                if (*n >= NM_LIST_MAX)
                        return -EBADMSG;
                v[*n].spec = strdup(item);
                if (asprintf(&v[*n].source, "%s:%u", source, line) < 0)
                        v[*n].source = NULL;
                if (!v[*n].spec || !v[*n].source) {
                        free(v[*n].spec);
                        free(v[*n].source);
                        return -ENOMEM;
                }
                (*n)++;
        }
        return 0;
}

static int conf_assignment(const char *section, const char *key, const char *value, unsigned line, void *userdata) {
        ConfCtx *ctx = userdata;
        NmConfig *c = ctx->c;
        char k[64], op = '\0';
        size_t kl = strlen(key);

        if (kl >= sizeof(k))
                return 0;
        memcpy(k, key, kl + 1);
        if (kl > 0 && (k[kl - 1] == '+' || k[kl - 1] == '-')) {
                op = k[kl - 1];
                k[kl - 1] = '\0';
        }
        if (strcmp(ctx->section, section) != 0) {
                doctor_strlcpy(ctx->section, sizeof(ctx->section), section);
                ctx->device = NULL;
                if (strcmp(section, "device") == 0 || strncmp(section, "device-", 7) == 0) {
                        if (c->n_devices >= NM_LIST_MAX)
                                return -EBADMSG;
                        ctx->device = &c->devices[c->n_devices++];
                        *ctx->device = (NmDeviceSection){ .managed = -1 };
                        if (asprintf(&ctx->device->source, "%s:%u", ctx->source, line) < 0) {
                                ctx->device->source = NULL;
                                return -ENOMEM;
                        }
                }
        }
        if (strcmp(section, "keyfile") == 0 && strcmp(k, "unmanaged-devices") == 0)
                return spec_list_assign(c->unmanaged, &c->n_unmanaged, value, op, ctx->source, line);
        if (strcmp(section, "main") == 0 && strcmp(k, "no-auto-default") == 0)
                return spec_list_assign(c->no_auto_default, &c->n_no_auto_default, value, op, ctx->source, line);
        if (strcmp(section, "main") == 0 && strcmp(k, "plugins") == 0) {
                if (op == '+' && c->plugins[0]) {
                        size_t l = strlen(c->plugins);
                        snprintf(c->plugins + l, sizeof(c->plugins) - l, ",%s", value);
                } else if (op != '-')
                        doctor_strlcpy(c->plugins, sizeof(c->plugins), value);
                return 0;
        }
        if (ctx->device && strcmp(k, "match-device") == 0) {
                free(ctx->device->match);
                ctx->device->match = strdup(value);
                return ctx->device->match ? 0 : -ENOMEM;
        }
        if (ctx->device && strcmp(k, "managed") == 0) {
                bool b;

                if (parse_bool(value, &b) < 0)
                        return -EBADMSG;
                ctx->device->managed = b;
        }
        return 0;
}

int nm_config_parse(NmConfig *c, const char *text, size_t len, const char *source, unsigned *ret_line,
                    const char **ret_error) {
        ConfCtx ctx = { .c = c, .source = source };

        return ini_parse(text, len, conf_assignment, &ctx, ret_line, ret_error);
}

/* One spec item against the device: 1 match, 0 no match; *is_except set for except:. */
static int spec_item_match(const char *item, const DoctorLink *link, bool *is_except) {
        uint8_t mac[6];

        *is_except = false;
        if (strncmp(item, "except:", 7) == 0) {
                *is_except = true;
                item += 7;
        }
        if (strcmp(item, "*") == 0)
                return 1;
        if (strncmp(item, "interface-name:", 15) == 0) {
                const char *pat = item + 15;

                if (*pat == '=')
                        return strcmp(pat + 1, link->name) == 0;
                if (*pat == '~')
                        pat++;
                return fnmatch(pat, link->name, 0) == 0;
        }
        if (strncmp(item, "mac:", 4) == 0)
                return link->has_mac && parse_mac(item + 4, mac) >= 0 && memcmp(mac, link->mac, 6) == 0;
        if (strncmp(item, "type:", 5) == 0)
                return strcmp(item + 5, doctor_link_nm_type(link)) == 0 ||
                       (strcmp(item + 5, "ethernet") == 0 && strcmp(doctor_link_nm_type(link), "veth") == 0);
        /* Legacy: a bare MAC address. Anything else (driver:, s390-subchannels:, ...)
         * needs facts we do not have: no match. */
        return link->has_mac && parse_mac(item, mac) >= 0 && memcmp(mac, link->mac, 6) == 0;
}

/* nm_match_spec_device(): a matching except: vetoes; otherwise a positive match wins;
 * a list of only except: items matches every device they do not name. */
static bool spec_items_match(const char *const *items, size_t n, const DoctorLink *link, size_t *ret_index) {
        bool has_except = false, has_positive = false, matched = false;
        size_t idx = 0;

        for (size_t i = 0; i < n; i++) {
                bool except;
                int m = spec_item_match(items[i], link, &except);

                if (except) {
                        has_except = true;
                        if (m)
                                return false;
                } else {
                        has_positive = true;
                        if (m && !matched) {
                                matched = true;
                                idx = i;
                        }
                }
        }
        if (matched) {
                if (ret_index)
                        *ret_index = idx;
                return true;
        }
        if (has_except && !has_positive) {
                if (ret_index)
                        *ret_index = 0;
                return true;
        }
        return false;
}

bool nm_device_spec_match(const char *list, const DoctorLink *link) {
        char items[NM_LIST_MAX][256];
        const char *ptrs[NM_LIST_MAX];
        const char *p = list;
        size_t n = 0;

        while (n < NM_LIST_MAX && list_next(&p, items[n], sizeof(items[n]))) {
                ptrs[n] = items[n];
                n++;
        }
        return spec_items_match(ptrs, n, link, NULL);
}

static bool spec_list_match(const NmSpec *v, size_t n, const DoctorLink *link, const char **ret_source) {
        const char *ptrs[NM_LIST_MAX];
        size_t idx = 0;

        for (size_t i = 0; i < n; i++)
                ptrs[i] = v[i].spec;
        if (!spec_items_match(ptrs, n, link, &idx))
                return false;
        if (ret_source)
                *ret_source = n > 0 ? v[idx].source : NULL;
        return true;
}

bool nm_config_unmanages(const NmConfig *c, const DoctorLink *link, const char **ret_source) {
        if (c->n_unmanaged > 0 && spec_list_match(c->unmanaged, c->n_unmanaged, link, ret_source))
                return true;
        /* [device*] sections: the first whose match-device matches decides. */
        for (size_t i = 0; i < c->n_devices; i++) {
                const NmDeviceSection *d = &c->devices[i];

                if (!d->match || d->managed < 0 || !nm_device_spec_match(d->match, link))
                        continue;
                if (d->managed == 0 && ret_source)
                        *ret_source = d->source;
                return d->managed == 0;
        }
        return false;
}

bool nm_config_no_auto_default(const NmConfig *c, const DoctorLink *link) {
        return c->n_no_auto_default > 0 && spec_list_match(c->no_auto_default, c->n_no_auto_default, link, NULL);
}

bool nm_config_has_plugin(const NmConfig *c, const char *plugin, bool unset_default) {
        char item[64];
        const char *p = c->plugins;

        if (c->plugins[0] == '\0')
                return unset_default;
        while (list_next(&p, item, sizeof(item)))
                if (strcmp(item, plugin) == 0)
                        return true;
        return false;
}

/* ---- profiles ---- */

static void connection_init(NmConnection *c) {
        *c = (NmConnection){ .vlan_id = -1, .autoconnect = -1, .nm_controlled = true };
}

static int parse_mac_value(const char *v, uint8_t mac[6]) {
        char buf[32];
        size_t l = strlen(v);

        if (l == 0 || l >= sizeof(buf))
                return -EBADMSG;
        memcpy(buf, v, l + 1);
        for (char *s = buf; *s; s++)
                if (*s == '-')
                        *s = ':';
        return parse_mac(buf, mac) < 0 ? -EBADMSG : 0;
}

static int copy_value(char *dst, size_t size, const char *v) {
        size_t l = strlen(v);

        if (l >= size)
                return -EBADMSG;
        memcpy(dst, v, l + 1);
        return 0;
}

static int keyfile_assignment(const char *section, const char *key, const char *value, unsigned line,
                              void *userdata) {
        NmConnection *c = userdata;

        if (strcmp(section, "connection") == 0) {
                if (strcmp(key, "id") == 0)
                        return copy_value(c->id, sizeof(c->id), value);
                if (strcmp(key, "uuid") == 0)
                        return copy_value(c->uuid, sizeof(c->uuid), value);
                if (strcmp(key, "type") == 0)
                        return copy_value(c->type, sizeof(c->type),
                                          strcmp(value, "802-3-ethernet") == 0 ? "ethernet" : value);
                if (strcmp(key, "interface-name") == 0)
                        return copy_value(c->interface_name, sizeof(c->interface_name), value);
                if (strcmp(key, "autoconnect") == 0) {
                        bool b;
                        if (parse_bool(value, &b) < 0)
                                return -EBADMSG;
                        c->autoconnect = b;
                }
                return 0;
        }
        if ((strcmp(section, "ethernet") == 0 || strcmp(section, "802-3-ethernet") == 0) &&
            strcmp(key, "mac-address") == 0) {
                if (*value == '\0')
                        return 0;
                if (parse_mac_value(value, c->mac) < 0)
                        return -EBADMSG;
                c->has_mac = true;
                return 0;
        }
        if (strcmp(section, "vlan") == 0) {
                if (strcmp(key, "parent") == 0)
                        return copy_value(c->vlan_parent, sizeof(c->vlan_parent), value);
                if (strcmp(key, "id") == 0) {
                        uint32_t id;
                        if (parse_u32(value, &id) < 0 || id > 4095)
                                return -EBADMSG;
                        c->vlan_id = (int)id;
                }
                return 0;
        }
        if (strcmp(section, "match") == 0 && strcmp(key, "interface-name") == 0)
                return copy_value(c->match_names, sizeof(c->match_names), value);
        if (strcmp(section, "ipv4") == 0 && strcmp(key, "method") == 0) {
                c->method_line = line;
                return copy_value(c->method, sizeof(c->method), value);
        }
        return 0;
}

int nm_keyfile_parse(NmConnection *c, const char *text, size_t len, unsigned *ret_line, const char **ret_error) {
        connection_init(c);
        return ini_parse(text, len, keyfile_assignment, c, ret_line, ret_error);
}

/* One shell word of an ifcfg value: 'single', "double" (\ escapes), or bare. */
static int ifcfg_unquote(const char *v, char *out, size_t size) {
        size_t l = 0;
        char q = 0;

        for (; *v; v++) {
                if (!q && (*v == '\'' || *v == '"')) {
                        q = *v;
                        continue;
                }
                if (q && *v == q) {
                        q = 0;
                        continue;
                }
                if (!q && (*v == ' ' || *v == '\t' || *v == '#'))
                        break;
                if (*v == '\\' && q != '\'' && v[1])
                        v++;
                if (l + 1 >= size)
                        return -EBADMSG;
                out[l++] = *v;
        }
        if (q)
                return -EBADMSG;
        out[l] = '\0';
        return 0;
}

int nm_ifcfg_parse(NmConnection *c, const char *text, size_t len, const char *file_name, unsigned *ret_line,
                   const char **ret_error) {
        char bootproto[32] = "", device[64] = "", name[128] = "", vlan[8] = "", type[32] = "";
        bool has_ipaddr = false;
        unsigned line = 0, bootproto_line = 0;
        size_t pos = 0;

        connection_init(c);
        c->ifcfg = true;
        while (pos < len) {
                char buf[1024], val[512], *s, *eq;
                const char *nl = memchr(text + pos, '\n', len - pos);
                size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;

                line++;
                if (n >= sizeof(buf) || memchr(text + pos, '\0', n)) {
                        if (ret_line)
                                *ret_line = line;
                        if (ret_error)
                                *ret_error = n >= sizeof(buf) ? "line too long" : "NUL byte";
                        return -EBADMSG;
                }
                memcpy(buf, text + pos, n);
                buf[n] = '\0';
                pos += n + (nl ? 1 : 0);
                s = buf;
                while (*s == ' ' || *s == '\t')
                        s++;
                if (*s == '\0' || *s == '#')
                        continue;
                if (strncmp(s, "export ", 7) == 0)
                        s += 7;
                eq = strchr(s, '=');
                if (!eq || ifcfg_unquote(eq + 1, val, sizeof(val)) < 0) {
                        if (ret_line)
                                *ret_line = line;
                        if (ret_error)
                                *ret_error = eq ? "malformed value" : "line without '='";
                        return -EBADMSG;
                }
                *eq = '\0';
#define IS(k) (strcmp(s, k) == 0)
                if (IS("DEVICE"))
                        doctor_strlcpy(device, sizeof(device), val);
                else if (IS("NAME"))
                        doctor_strlcpy(name, sizeof(name), val);
                else if (IS("UUID"))
                        doctor_strlcpy(c->uuid, sizeof(c->uuid), val);
                else if (IS("HWADDR") && *val)
                        c->has_mac = parse_mac_value(val, c->mac) >= 0;
                else if (IS("TYPE"))
                        doctor_strlcpy(type, sizeof(type), val);
                else if (IS("VLAN"))
                        doctor_strlcpy(vlan, sizeof(vlan), val);
                else if (IS("PHYSDEV"))
                        doctor_strlcpy(c->vlan_parent, sizeof(c->vlan_parent), val);
                else if (IS("VLAN_ID")) {
                        uint32_t id;
                        if (parse_u32(val, &id) >= 0 && id <= 4095)
                                c->vlan_id = (int)id;
                } else if (IS("BOOTPROTO")) {
                        doctor_strlcpy(bootproto, sizeof(bootproto), val);
                        bootproto_line = line;
                } else if (IS("IPADDR") || IS("IPADDR0") || IS("IPADDR1"))
                        has_ipaddr = has_ipaddr || *val;
                else if (IS("ONBOOT")) {
                        bool b;
                        if (parse_bool(val, &b) >= 0)
                                c->autoconnect = b;
                } else if (IS("NM_CONTROLLED")) {
                        bool b;
                        if (parse_bool(val, &b) >= 0)
                                c->nm_controlled = b;
                }
#undef IS
        }
        if (!device[0] && file_name && strncmp(file_name, "ifcfg-", 6) == 0)
                snprintf(device, sizeof(device), "%s", file_name + 6);
        doctor_strlcpy(c->interface_name, sizeof(c->interface_name), device);
        if (name[0])
                doctor_strlcpy(c->id, sizeof(c->id), name);
        else
                snprintf(c->id, sizeof(c->id), "System %s", device);
        if (strcasecmp(type, "vlan") == 0 || strcasecmp(vlan, "yes") == 0) {
                snprintf(c->type, sizeof(c->type), "vlan");
                if (c->vlan_id < 0) {
                        const char *dot = strrchr(device, '.');
                        uint32_t id;
                        if (dot && parse_u32(dot + 1, &id) >= 0 && id <= 4095)
                                c->vlan_id = (int)id;
                }
        } else
                snprintf(c->type, sizeof(c->type), "ethernet");
        if (strcasecmp(bootproto, "dhcp") == 0 || strcasecmp(bootproto, "bootp") == 0)
                snprintf(c->method, sizeof(c->method), "auto");
        else
                snprintf(c->method, sizeof(c->method), "%s", has_ipaddr ? "manual" : "disabled");
        c->method_line = bootproto_line;
        return 0;
}

static bool match_names_ok(const char *list, const char *ifname) {
        char item[128];
        const char *p = list;
        bool has_positive = false, matched = false;

        while (list_next(&p, item, sizeof(item))) {
                const char *pat = item;
                bool neg = *pat == '!';

                pat += neg;
                if (!neg)
                        has_positive = true;
                if (fnmatch(pat, ifname, 0) == 0) {
                        if (neg)
                                return false;
                        matched = true;
                }
        }
        return has_positive ? matched : true;
}

bool nm_connection_matches(const NmConnection *c, const DoctorLink *link) {
        const char *dev_type = doctor_link_nm_type(link);

        if (c->ifcfg && !c->nm_controlled)
                return false;
        if (strcmp(c->type, "vlan") == 0) {
                if (strcmp(dev_type, "vlan") != 0)
                        return false;
        } else if (strcmp(c->type, "ethernet") == 0) {
                if (strcmp(dev_type, "ethernet") != 0 && strcmp(dev_type, "veth") != 0)
                        return false;
        } else if (strcmp(c->type, dev_type) != 0)
                return false;
        if (c->interface_name[0] && strcmp(c->interface_name, link->name) != 0)
                return false;
        if (c->match_names[0] && !match_names_ok(c->match_names, link->name))
                return false;
        if (strcmp(c->type, "ethernet") == 0 && c->has_mac && (!link->has_mac || memcmp(c->mac, link->mac, 6) != 0))
                return false;
        if (strcmp(c->type, "vlan") == 0 && !c->interface_name[0]) {
                /* Identified by parent and id only. */
                if (c->vlan_id >= 0 && c->vlan_id != link->vlan_id)
                        return false;
                if (c->vlan_parent[0] && link->parent[0] && strcmp(c->vlan_parent, link->parent) != 0 &&
                    strlen(c->vlan_parent) != 36 /* a parent given by UUID: cannot tell, assume it */)
                        return false;
        }
        return true;
}

bool nm_connection_dhcp(const NmConnection *c) {
        return c->method[0] == '\0' || strcmp(c->method, "auto") == 0;
}

bool nm_connection_autoconnect(const NmConnection *c) {
        return c->autoconnect != 0;
}

bool nm_keyfile_name_ignored(const char *name) {
        static const char *const suffixes[] = { "~", ".swp", ".swpx", ".bak", ".orig", ".rej", ".tmp", ".rpmnew",
                                                ".rpmsave", ".dpkg-old", ".dpkg-new", ".dpkg-dist" };
        size_t l = strlen(name);

        if (name[0] == '.')
                return true;
        for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
                size_t sl = strlen(suffixes[i]);
                if (l >= sl && strcmp(name + l - sl, suffixes[i]) == 0)
                        return true;
        }
        return false;
}

int nm_unmanaged_conf_format(const char *ifname, char *buf, size_t size) {
        int l = snprintf(buf, size,
                         "# Written by infradhcpctl doctor --fix: infradhcpd owns IPv4 on %s, so\n"
                         "# NetworkManager must leave the device alone. Remove with:\n"
                         "#   infradhcpctl doctor --undo %s\n"
                         "[keyfile]\n"
                         "unmanaged-devices+=interface-name:%s\n",
                         ifname, ifname, ifname);
        return l < 0 || (size_t)l >= size ? -ENOBUFS : 0;
}
