/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * netplan and cloud-init network configuration (see doctor-netplan.h).
 * libyaml's event parser builds a small tree (mappings, sequences, scalars, each with
 * its file and line); merging and lookups work on that tree. Aliases are refused
 * (netplan files do not use them, and they would let a small file expand without
 * bound), as are duplicate keys in a mapping (YAML 1.2 §3.2.1.1: keys are unique) and
 * documents deeper than YAML_DEPTH_MAX or larger than YAML_NODES_MAX.
 */

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "doctor-netplan.h"
#include "macro.h"
#include "parse-util.h"

#define YAML_DEPTH_MAX 64
#define YAML_NODES_MAX 100000

typedef enum YamlKind { YAML_SCALAR, YAML_MAPPING, YAML_SEQUENCE } YamlKind;

struct YamlNode {
        YamlKind kind;
        char *scalar;          /* SCALAR */
        char **keys;           /* MAPPING: keys[i] → items[i] */
        YamlNode **items;      /* MAPPING values, SEQUENCE items */
        size_t n, cap;
        unsigned line;
        char source[200];
};

static YamlNode *yaml_node_free(YamlNode *n) {
        if (!n)
                return NULL;
        for (size_t i = 0; i < n->n; i++) {
                if (n->keys)
                        free(n->keys[i]);
                yaml_node_free(n->items[i]);
        }
        free(n->keys);
        free(n->items);
        free(n->scalar);
        free(n);
        return NULL;
}

static YamlNode *yaml_node_new(YamlKind kind, unsigned line, const char *source) {
        YamlNode *n = calloc(1, sizeof(*n));

        if (!n)
                return NULL;
        n->kind = kind;
        n->line = line;
        doctor_strlcpy(n->source, sizeof(n->source), source ? source : "");
        return n;
}

/* Appends (key may be NULL for sequences); takes ownership of key and item. */
static int yaml_node_append(YamlNode *n, char *key, YamlNode *item) {
        if (n->n == n->cap) {
                size_t nc = n->cap ? n->cap * 2 : 4;
                YamlNode **ni = realloc(n->items, nc * sizeof(*ni));

                if (!ni)
                        return -ENOMEM;
                n->items = ni;
                if (n->kind == YAML_MAPPING) {
                        char **nk = realloc(n->keys, nc * sizeof(*nk));
                        if (!nk)
                                return -ENOMEM;
                        n->keys = nk;
                }
                n->cap = nc;
        }
        if (n->kind == YAML_MAPPING)
                n->keys[n->n] = key;
        n->items[n->n++] = item;
        return 0;
}

static YamlNode *yaml_map_get(const YamlNode *n, const char *key) {
        if (!n || n->kind != YAML_MAPPING)
                return NULL;
        /* The last occurrence wins, as in a merge. */
        for (size_t i = n->n; i > 0; i--)
                if (strcmp(n->keys[i - 1], key) == 0)
                        return n->items[i - 1];
        return NULL;
}

static const char *yaml_scalar(const YamlNode *n) {
        return n && n->kind == YAML_SCALAR ? n->scalar : NULL;
}

/* YAML 1.1 booleans as netplan reads them: 1/0, -1 when not a boolean. */
static int yaml_bool(const YamlNode *n) {
        const char *s = yaml_scalar(n);
        bool b;

        if (!s)
                return -1;
        if (strcasecmp(s, "y") == 0)
                return 1;
        if (strcasecmp(s, "n") == 0)
                return 0;
        return parse_bool(s, &b) < 0 ? -1 : b;
}

typedef struct Builder {
        YamlNode *stack[YAML_DEPTH_MAX];
        char *pending_key[YAML_DEPTH_MAX]; /* mapping on stack[i] waiting for a value */
        size_t depth;
        size_t nodes;
        YamlNode *root;
} Builder;

static void builder_done(Builder *b) {
        /* Open containers are linked to their parent only when they end: each one on
         * the stack is its own tree, and so is a root finished before them. */
        for (size_t i = 0; i < b->depth; i++) {
                free(b->pending_key[i]);
                yaml_node_free(b->stack[i]);
        }
        yaml_node_free(b->root);
        *b = (Builder){};
}

/* Adds a finished node to the container on top of the stack (or makes it the root).
 * -EBADMSG with *ret_why for a key that is not a scalar or that the mapping already
 * has: YAML requires unique keys, and netplan_state_find() and yaml_merge() would
 * otherwise disagree about which of two same-named definitions counts. */
static int builder_add(Builder *b, YamlNode *node, bool *consumed_as_key, const char **ret_why) {
        YamlNode *top;

        *consumed_as_key = false;
        *ret_why = "mapping key is not a scalar";
        if (b->depth == 0) {
                if (b->root) {
                        yaml_node_free(node); /* a second document: ignored */
                        return 0;
                }
                b->root = node;
                return 0;
        }
        top = b->stack[b->depth - 1];
        if (top->kind == YAML_SEQUENCE)
                return yaml_node_append(top, NULL, node);
        if (!b->pending_key[b->depth - 1]) {
                /* A key: must be a scalar. */
                if (node->kind != YAML_SCALAR) {
                        yaml_node_free(node);
                        return -EBADMSG;
                }
                for (size_t i = 0; i < top->n; i++)
                        if (strcmp(top->keys[i], node->scalar) == 0) {
                                yaml_node_free(node);
                                *ret_why = "duplicate mapping key";
                                return -EBADMSG;
                        }
                b->pending_key[b->depth - 1] = node->scalar;
                node->scalar = NULL;
                yaml_node_free(node);
                *consumed_as_key = true;
                return 0;
        }
        {
                char *key = b->pending_key[b->depth - 1];
                int r;

                b->pending_key[b->depth - 1] = NULL;
                r = yaml_node_append(top, key, node);
                if (r < 0) {
                        free(key);
                        yaml_node_free(node);
                }
                return r;
        }
}

static int yaml_parse_tree(const char *text, size_t len, const char *source, YamlNode **ret, unsigned *ret_line,
                           const char **ret_error) {
        yaml_parser_t parser;
        Builder b = {};
        const char *why = NULL;
        int r = 0;
        bool done = false;

        if (memchr(text, '\0', len)) {
                *ret_error = "NUL byte";
                *ret_line = 0;
                return -EBADMSG;
        }
        if (!yaml_parser_initialize(&parser))
                return -ENOMEM;
        yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
        while (!done && r >= 0) {
                yaml_event_t ev;
                unsigned line;

                if (!yaml_parser_parse(&parser, &ev)) {
                        *ret_line = (unsigned)parser.problem_mark.line + 1;
                        *ret_error = "not valid YAML";
                        r = -EBADMSG;
                        break;
                }
                line = (unsigned)ev.start_mark.line + 1;
                switch (ev.type) {
                case YAML_STREAM_END_EVENT:
                        done = true;
                        break;
                case YAML_ALIAS_EVENT:
                        *ret_line = line;
                        *ret_error = "YAML aliases are not supported";
                        r = -EBADMSG;
                        break;
                case YAML_SCALAR_EVENT: {
                        YamlNode *n = yaml_node_new(YAML_SCALAR, line, source);
                        bool key;

                        if (!n || !(n->scalar = strndup((const char *)ev.data.scalar.value, ev.data.scalar.length))) {
                                yaml_node_free(n);
                                r = -ENOMEM;
                                break;
                        }
                        if (++b.nodes > YAML_NODES_MAX) {
                                yaml_node_free(n);
                                *ret_line = line;
                                *ret_error = "document too large";
                                r = -EBADMSG;
                                break;
                        }
                        r = builder_add(&b, n, &key, &why);
                        if (r == -EBADMSG) {
                                *ret_line = line;
                                *ret_error = why;
                        }
                        break;
                }
                case YAML_MAPPING_START_EVENT:
                case YAML_SEQUENCE_START_EVENT: {
                        YamlNode *n;

                        if (b.depth >= YAML_DEPTH_MAX || ++b.nodes > YAML_NODES_MAX) {
                                *ret_line = line;
                                *ret_error = b.depth >= YAML_DEPTH_MAX ? "nested too deeply" : "document too large";
                                r = -EBADMSG;
                                break;
                        }
                        if (b.depth > 0 && b.stack[b.depth - 1]->kind == YAML_MAPPING &&
                            !b.pending_key[b.depth - 1]) {
                                *ret_line = line;
                                *ret_error = "mapping key is not a scalar";
                                r = -EBADMSG;
                                break;
                        }
                        n = yaml_node_new(ev.type == YAML_MAPPING_START_EVENT ? YAML_MAPPING : YAML_SEQUENCE, line,
                                          source);
                        if (!n) {
                                r = -ENOMEM;
                                break;
                        }
                        b.stack[b.depth] = n;
                        b.pending_key[b.depth] = NULL;
                        b.depth++;
                        break;
                }
                case YAML_MAPPING_END_EVENT:
                case YAML_SEQUENCE_END_EVENT: {
                        YamlNode *n = b.stack[--b.depth];
                        bool key;

                        free(b.pending_key[b.depth]);
                        b.pending_key[b.depth] = NULL;
                        r = builder_add(&b, n, &key, &why);
                        if (r == -EBADMSG) {
                                *ret_line = line;
                                *ret_error = why;
                        }
                        break;
                }
                default:
                        break;
                }
                yaml_event_delete(&ev);
        }
        yaml_parser_delete(&parser);
        if (r < 0) {
                builder_done(&b);
                return r;
        }
        *ret = b.root; /* may be NULL: an empty file */
        return 0;
}

static YamlNode *yaml_node_copy(const YamlNode *n) {
        YamlNode *c = yaml_node_new(n->kind, n->line, n->source);

        if (!c)
                return NULL;
        if (n->scalar && !(c->scalar = strdup(n->scalar)))
                return yaml_node_free(c);
        for (size_t i = 0; i < n->n; i++) {
                char *k = NULL;
                YamlNode *item = yaml_node_copy(n->items[i]);

                if (!item || (n->kind == YAML_MAPPING && !(k = strdup(n->keys[i]))) ||
                    yaml_node_append(c, k, item) < 0) {
                        free(k);
                        yaml_node_free(item);
                        return yaml_node_free(c);
                }
        }
        return c;
}

/* netplan's merge: mappings key by key, anything else replaced. Consumes src. */
static int yaml_merge(YamlNode **dst, YamlNode *src) {
        if (!*dst || (*dst)->kind != YAML_MAPPING || src->kind != YAML_MAPPING) {
                yaml_node_free(*dst);
                *dst = src;
                return 0;
        }
        for (size_t i = 0; i < src->n; i++) {
                YamlNode **slot = NULL;
                int r;

                for (size_t j = 0; j < (*dst)->n; j++)
                        if (strcmp((*dst)->keys[j], src->keys[i]) == 0)
                                slot = &(*dst)->items[j];
                if (slot) {
                        r = yaml_merge(slot, src->items[i]);
                        src->items[i] = NULL;
                } else {
                        r = yaml_node_append(*dst, src->keys[i], src->items[i]);
                        if (r >= 0) {
                                src->keys[i] = NULL;
                                src->items[i] = NULL;
                        }
                }
                if (r < 0) {
                        yaml_node_free(src);
                        return r;
                }
        }
        for (size_t i = 0; i < src->n; i++)
                free(src->keys[i]);
        src->n = 0;
        yaml_node_free(src);
        return 0;
}

void netplan_state_init(NetplanState *s) {
        *s = (NetplanState){};
}

void netplan_state_done(NetplanState *s) {
        s->root = yaml_node_free(s->root);
}

int netplan_state_add(NetplanState *s, const char *text, size_t len, const char *source, unsigned *ret_line,
                      const char **ret_error) {
        YamlNode *doc = NULL;
        unsigned line = 0;
        const char *why = NULL;
        int r;

        r = yaml_parse_tree(text, len, source, &doc, &line, &why);
        if (r == 0 && doc && doc->kind != YAML_MAPPING) {
                line = doc->line;
                why = "top level is not a mapping";
                yaml_node_free(doc);
                r = -EBADMSG;
        }
        if (r < 0) {
                if (ret_line)
                        *ret_line = line;
                if (ret_error)
                        *ret_error = why;
                return r;
        }
        if (!doc)
                return 0;
        return yaml_merge(&s->root, doc);
}

static const char *const netplan_types[] = {
        "ethernets", "vlans", "bonds", "bridges", "wifis", "tunnels", "vrfs", "modems",
        "dummy-devices", "virtual-ethernets", "nm-devices",
};

static bool def_applies(const char *id, const YamlNode *def, const DoctorLink *link) {
        const YamlNode *match = yaml_map_get(def, "match");
        const char *set_name = yaml_scalar(yaml_map_get(def, "set-name"));
        const char *name, *mac;

        if (!match)
                return strcmp(id, link->name) == 0;
        /* netplan refuses a match: that is not a mapping; it matches nothing here. */
        if (match->kind != YAML_MAPPING)
                return false;
        if (set_name && strcmp(set_name, link->name) != 0)
                return false;
        name = yaml_scalar(yaml_map_get(match, "name"));
        mac = yaml_scalar(yaml_map_get(match, "macaddress"));
        if (name && !set_name && fnmatch(name, link->name, 0) != 0)
                return false;
        if (mac) {
                uint8_t m[6];
                if (!link->has_mac || parse_mac(mac, m) < 0 || memcmp(m, link->mac, 6) != 0)
                        return false;
        }
        /* driver: cannot be checked here; assumed to match. */
        return true;
}

int netplan_state_find(const NetplanState *s, const DoctorLink *link, NetplanDef *ret) {
        const YamlNode *network = yaml_map_get(s->root, "network");

        if (!network)
                return 0;
        for (size_t t = 0; t < ELEMENTSOF(netplan_types); t++) {
                const YamlNode *section = yaml_map_get(network, netplan_types[t]);

                if (!section || section->kind != YAML_MAPPING)
                        continue;
                for (size_t i = 0; i < section->n; i++) {
                        const YamlNode *def = section->items[i];
                        const YamlNode *dhcp4 = yaml_map_get(def, "dhcp4");
                        const char *renderer;

                        if (def->kind != YAML_MAPPING || !def_applies(section->keys[i], def, link))
                                continue;
                        *ret = (NetplanDef){ .dhcp4 = dhcp4 ? yaml_bool(dhcp4) : -1 };
                        snprintf(ret->type, sizeof(ret->type), "%s", netplan_types[t]);
                        ret->id_truncated = strlen(section->keys[i]) >= sizeof(ret->id);
                        snprintf(ret->id, sizeof(ret->id), "%s", section->keys[i]);
                        if (dhcp4)
                                snprintf(ret->dhcp4_source, sizeof(ret->dhcp4_source), "%s:%u", dhcp4->source,
                                         dhcp4->line);
                        renderer = yaml_scalar(yaml_map_get(def, "renderer"));
                        if (!renderer)
                                renderer = yaml_scalar(yaml_map_get(section, "renderer"));
                        if (!renderer)
                                renderer = yaml_scalar(yaml_map_get(network, "renderer"));
                        snprintf(ret->renderer, sizeof(ret->renderer), "%s", renderer ? renderer : "networkd");
                        return 1;
                }
        }
        return 0;
}

/* YAML double-quoted scalar content (YAML 1.1 §5.7, 9.2): the id back as itself. */
static int yaml_quote(const char *s, char *buf, size_t size) {
        size_t o = 0;

        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                char esc[8];
                size_t n;

                if (*p == '"' || *p == '\\')
                        n = (size_t)snprintf(esc, sizeof(esc), "\\%c", *p);
                else if (*p < 0x20 || *p == 0x7f)
                        n = (size_t)snprintf(esc, sizeof(esc), "\\x%02x", *p);
                else if (p[0] == 0xc2 && p[1] == 0x85) { /* NEL would fold into a space */
                        n = (size_t)snprintf(esc, sizeof(esc), "\\N");
                        p++;
                } else if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) { /* LS, PS */
                        n = (size_t)snprintf(esc, sizeof(esc), "\\%c", p[2] == 0xa8 ? 'L' : 'P');
                        p += 2;
                } else {
                        esc[0] = (char)*p;
                        n = 1;
                }
                if (o + n >= size)
                        return -ENOBUFS;
                memcpy(buf + o, esc, n);
                o += n;
        }
        if (o >= size)
                return -ENOBUFS;
        buf[o] = 0;
        return 0;
}

int netplan_override_format(const char *type, const char *id, const char *ifname, char *buf, size_t size) {
        char quoted[4 * sizeof(((NetplanDef *)NULL)->id) + 1];
        int l;

        if (yaml_quote(id, quoted, sizeof(quoted)) < 0)
                return -ENOBUFS;
        l = snprintf(buf, size,
                     "# Written by infradhcpctl doctor --fix: infradhcpd owns IPv4 on %s, so netplan\n"
                     "# must not enable DHCPv4 there. Remove with: infradhcpctl doctor --undo %s\n"
                     "network:\n"
                     "  version: 2\n"
                     "  %s:\n"
                     "    \"%s\":\n"
                     "      dhcp4: false\n",
                     ifname, ifname, type, quoted);
        return l < 0 || (size_t)l >= size ? -ENOBUFS : 0;
}

/* ---- cloud-init ---- */

void cloud_init_state_init(CloudInitState *s) {
        *s = (CloudInitState){};
}

void cloud_init_state_done(CloudInitState *s) {
        s->network = yaml_node_free(s->network);
}

int cloud_init_state_add_cfg(CloudInitState *s, const char *text, size_t len, const char *source, unsigned *ret_line,
                             const char **ret_error) {
        YamlNode *doc = NULL, *network;
        unsigned line = 0;
        const char *why = NULL;
        int r;

        r = yaml_parse_tree(text, len, source, &doc, &line, &why);
        if (r < 0) {
                if (ret_line)
                        *ret_line = line;
                if (ret_error)
                        *ret_error = why;
                return r;
        }
        network = yaml_map_get(doc, "network");
        if (network) {
                const char *config = yaml_scalar(yaml_map_get(network, "config"));

                if (config && strcmp(config, "disabled") == 0) {
                        s->disabled = true;
                        snprintf(s->disabled_source, sizeof(s->disabled_source), "%s:%u", source, network->line);
                } else {
                        YamlNode *copy = yaml_node_copy(network);

                        if (!copy) {
                                yaml_node_free(doc);
                                return -ENOMEM;
                        }
                        /* cloud-init merges cfg files; a later `network:` replaces. */
                        s->disabled = false;
                        yaml_node_free(s->network);
                        s->network = copy;
                        snprintf(s->network_source, sizeof(s->network_source), "%s:%u", source, network->line);
                        doctor_strlcpy(s->network_file, sizeof(s->network_file), source);
                }
        }
        yaml_node_free(doc);
        return 0;
}

static int add_scalar(YamlNode *map, const char *key, const char *value, const char *source, unsigned line) {
        YamlNode *v = yaml_node_new(YAML_SCALAR, line, source);
        char *k = strdup(key);

        if (!v || !k || !(v->scalar = strdup(value)) || yaml_node_append(map, k, v) < 0) {
                free(k);
                yaml_node_free(v);
                return -ENOMEM;
        }
        return 0;
}

static YamlNode *map_child(YamlNode *map, const char *key, const char *source, unsigned line) {
        YamlNode *c = yaml_map_get(map, key);
        char *k;

        if (c)
                return c->kind == YAML_MAPPING ? c : NULL;
        c = yaml_node_new(YAML_MAPPING, line, source);
        k = strdup(key);
        if (!c || !k || yaml_node_append(map, k, c) < 0) {
                free(k);
                yaml_node_free(c);
                return NULL;
        }
        return c;
}

/* Version 1 → the netplan v2 definitions cloud-init's netplan renderer writes. */
static int v1_to_v2(const YamlNode *config, const char *source, YamlNode **ret) {
        YamlNode *root = yaml_node_new(YAML_MAPPING, 1, source), *network;

        if (!root || !(network = map_child(root, "network", source, 1))) {
                yaml_node_free(root);
                return -ENOMEM;
        }
        for (size_t i = 0; config && config->kind == YAML_SEQUENCE && i < config->n; i++) {
                const YamlNode *e = config->items[i], *subnets = yaml_map_get(e, "subnets");
                const char *type = yaml_scalar(yaml_map_get(e, "type"));
                const char *name = yaml_scalar(yaml_map_get(e, "name"));
                const char *mac = yaml_scalar(yaml_map_get(e, "mac_address"));
                bool dhcp = false;
                YamlNode *section, *def;

                if (!type || !name || (strcmp(type, "physical") != 0 && strcmp(type, "vlan") != 0))
                        continue;
                for (size_t j = 0; subnets && subnets->kind == YAML_SEQUENCE && j < subnets->n; j++) {
                        const char *st = yaml_scalar(yaml_map_get(subnets->items[j], "type"));
                        if (st && (strcmp(st, "dhcp") == 0 || strcmp(st, "dhcp4") == 0))
                                dhcp = true;
                }
                section = map_child(network, strcmp(type, "vlan") == 0 ? "vlans" : "ethernets", source, e->line);
                def = section ? map_child(section, name, source, e->line) : NULL;
                if (!def || add_scalar(def, "dhcp4", dhcp ? "true" : "false", source, e->line) < 0) {
                        yaml_node_free(root);
                        return -ENOMEM;
                }
                if (mac && strcmp(type, "physical") == 0) {
                        YamlNode *match = map_child(def, "match", source, e->line);
                        if (!match || add_scalar(match, "macaddress", mac, source, e->line) < 0 ||
                            add_scalar(def, "set-name", name, source, e->line) < 0) {
                                yaml_node_free(root);
                                return -ENOMEM;
                        }
                }
        }
        *ret = root;
        return 0;
}

int cloud_init_netplan_add(NetplanState *s, const CloudInitState *ci, const char *seed_text, size_t seed_len,
                           const char *seed_source, const char **ret_error) {
        YamlNode *parsed = NULL, *rendered = NULL;
        const YamlNode *network;
        const char *version, *src;
        int r;

        if (ci->disabled)
                return 0;
        if (seed_text) {
                unsigned line;
                const char *why = NULL;

                r = yaml_parse_tree(seed_text, seed_len, seed_source, &parsed, &line, &why);
                if (r < 0) {
                        if (ret_error)
                                *ret_error = why;
                        return r;
                }
                network = yaml_map_get(parsed, "network") ? yaml_map_get(parsed, "network") : parsed;
                src = seed_source;
        } else {
                network = ci->network;
                src = ci->network_file;
        }
        if (!network || network->kind != YAML_MAPPING) {
                yaml_node_free(parsed);
                return 0;
        }
        version = yaml_scalar(yaml_map_get(network, "version"));
        if (version && strcmp(version, "1") == 0)
                r = v1_to_v2(yaml_map_get(network, "config"), src, &rendered);
        else if (version && strcmp(version, "2") == 0) {
                YamlNode *copy = yaml_node_copy(network);
                char *k = strdup("network");

                rendered = yaml_node_new(YAML_MAPPING, 1, src);
                r = copy && k && rendered && yaml_node_append(rendered, k, copy) >= 0 ? 0 : -ENOMEM;
                if (r < 0) {
                        free(k);
                        yaml_node_free(copy);
                }
        } else {
                yaml_node_free(parsed);
                if (ret_error)
                        *ret_error = "network configuration without version 1 or 2";
                return -EBADMSG;
        }
        yaml_node_free(parsed);
        if (r < 0) {
                yaml_node_free(rendered);
                return r;
        }
        r = yaml_merge(&s->root, rendered);
        return r < 0 ? r : 1;
}
