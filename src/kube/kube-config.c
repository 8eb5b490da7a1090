/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * kubeconfig parsing and API-server configuration discovery. See kube-config.h for
 * what is supported. The YAML is loaded as a libyaml document tree; only the fields
 * below are read, others are ignored as kubectl ignores them.
 *
 * Not the client: nothing here talks to the network.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "errmsg.h"
#include "fileio.h"
#include "kube-config.h"
#include "parse-util.h"

#define FIELD_MAX 512
#define FIELD_FULL_MAX (FIELD_MAX + 64)

KubeConfig *kube_config_free(KubeConfig *c) {
        if (!c)
                return NULL;
        free(c->source);
        free(c->server);
        free(c->ca_file);
        free(c->ca_data);
        if (c->token)
                explicit_bzero(c->token, strlen(c->token));
        free(c->token);
        free(c->token_file);
        free(c->client_cert_file);
        free(c->client_cert_data);
        free(c->client_key_file);
        if (c->client_key_data)
                explicit_bzero(c->client_key_data, c->client_key_data_size);
        free(c->client_key_data);
        free(c->namespace);
        free(c);
        return NULL;
}

/* RFC 4648 section 4 base64 with padding, as Go's StdEncoding; CR/LF are skipped as Go
 * skips them. Returns 0 or -EINVAL / -ENOMEM. */
static int base64_decode(const char *s, size_t len, void **ret, size_t *ret_size) {
        _cleanup_(freep) uint8_t *out = NULL;
        uint32_t acc = 0;
        size_t n = 0, o = 0, pad = 0;

        out = malloc(len / 4 * 3 + 3);
        if (!out)
                return -ENOMEM;

        for (size_t i = 0; i < len; i++) {
                char c = s[i];
                int v;

                if (c == '\r' || c == '\n')
                        continue;
                if (c == '=') {
                        pad++;
                        continue;
                }
                if (pad > 0) /* data after padding */
                        return -EINVAL;

                if (c >= 'A' && c <= 'Z')
                        v = c - 'A';
                else if (c >= 'a' && c <= 'z')
                        v = c - 'a' + 26;
                else if (c >= '0' && c <= '9')
                        v = c - '0' + 52;
                else if (c == '+')
                        v = 62;
                else if (c == '/')
                        v = 63;
                else
                        return -EINVAL;

                acc = (acc << 6) | (uint32_t) v;
                if (++n % 4 == 0) {
                        out[o++] = (uint8_t) (acc >> 16);
                        out[o++] = (uint8_t) (acc >> 8);
                        out[o++] = (uint8_t) acc;
                        acc = 0;
                }
        }

        switch (n % 4) {
        case 0:
                if (pad != 0)
                        return -EINVAL;
                break;
        case 2:
                if (pad != 2)
                        return -EINVAL;
                out[o++] = (uint8_t) (acc >> 4);
                break;
        case 3:
                if (pad != 1)
                        return -EINVAL;
                out[o++] = (uint8_t) (acc >> 10);
                out[o++] = (uint8_t) (acc >> 2);
                break;
        default:
                return -EINVAL;
        }
        if (o == 0)
                return -EINVAL;

        *ret = out;
        *ret_size = o;
        out = NULL;
        return 0;
}

typedef struct Doc {
        yaml_document_t doc;
        const char *path;
        char *err;
        size_t errlen;
} Doc;

static yaml_node_t *map_get(Doc *d, yaml_node_t *map, const char *key) {
        if (!map || map->type != YAML_MAPPING_NODE)
                return NULL;
        for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
                yaml_node_t *k = yaml_document_get_node(&d->doc, p->key);
                if (k && k->type == YAML_SCALAR_NODE && k->data.scalar.length == strlen(key) &&
                    memcmp(k->data.scalar.value, key, k->data.scalar.length) == 0)
                        return yaml_document_get_node(&d->doc, p->value);
        }
        return NULL;
}

static bool scalar_is_null(yaml_node_t *n) {
        /* YAML "~", "null" and empty plain scalars mean absent. */
        if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
                return false;
        return n->data.scalar.length == 0 ||
               (n->data.scalar.length == 1 && n->data.scalar.value[0] == '~') ||
               (n->data.scalar.length == 4 && memcmp(n->data.scalar.value, "null", 4) == 0);
}

/* Returns 1 and a pointer into the document when the key holds a non-empty string,
 * 0 when absent, -EINVAL (with err set) when present but not a usable string. */
static int map_get_string(Doc *d, yaml_node_t *map, const char *key, const char *field, const char **ret) {
        yaml_node_t *n = map_get(d, map, key);

        if (!n || scalar_is_null(n))
                return 0;
        if (n->type != YAML_SCALAR_NODE)
                return errmsg(d->err, d->errlen, -EINVAL, d->path, "%s.%s: expected a string", field, key);
        if (strlen((const char *) n->data.scalar.value) != n->data.scalar.length)
                return errmsg(d->err, d->errlen, -EINVAL, d->path, "%s.%s: contains a NUL byte", field, key);
        if (n->data.scalar.length == 0)
                return 0;
        *ret = (const char *) n->data.scalar.value;
        return 1;
}

static bool has_control_chars(const char *s) {
        for (; *s; s++)
                if ((unsigned char) *s < 0x20 || *s == 0x7f)
                        return true;
        return false;
}

/* Finds the entry of a named list ("clusters", "contexts", "users") whose name matches
 * and returns its inner mapping (entry[inner]). */
static int find_named(Doc *d, yaml_node_t *root, const char *list, const char *inner, const char *name,
                      yaml_node_t **ret) {
        yaml_node_t *seq = map_get(d, root, list);

        if (!seq || scalar_is_null(seq))
                return errmsg(d->err, d->errlen, -EINVAL, d->path, "%s: missing (looking for \"%s\")", list, name);
        if (seq->type != YAML_SEQUENCE_NODE)
                return errmsg(d->err, d->errlen, -EINVAL, d->path, "%s: expected a list", list);

        for (yaml_node_item_t *i = seq->data.sequence.items.start; i < seq->data.sequence.items.top; i++) {
                yaml_node_t *entry = yaml_document_get_node(&d->doc, *i), *n;
                const char *s = NULL;
                char field[FIELD_MAX];
                int r;

                snprintf(field, sizeof(field), "%s[%td]", list, i - seq->data.sequence.items.start);
                if (!entry || entry->type != YAML_MAPPING_NODE)
                        return errmsg(d->err, d->errlen, -EINVAL, d->path, "%s: expected a mapping", field);
                r = map_get_string(d, entry, "name", field, &s);
                if (r < 0)
                        return r;
                if (r == 0 || strcmp(s, name) != 0)
                        continue;

                n = map_get(d, entry, inner);
                if (!n || scalar_is_null(n) || n->type != YAML_MAPPING_NODE)
                        return errmsg(d->err, d->errlen, -EINVAL, d->path, "%s[\"%s\"].%s: missing or not a mapping",
                                      list, name, inner);
                *ret = n;
                return 0;
        }

        return errmsg(d->err, d->errlen, -EINVAL, d->path, "%s: no entry named \"%s\"", list, name);
}

static int make_path(Doc *d, const char *value, const char *field, char **ret) {
        const char *slash;
        char *p;

        if (value[0] == '/' || !(slash = strrchr(d->path, '/')))
                p = strdup(value);
        else if (asprintf(&p, "%.*s/%s", (int) (slash - d->path), d->path, value) < 0)
                p = NULL;
        if (!p)
                return -ENOMEM;
        if (has_control_chars(p)) {
                free(p);
                return errmsg(d->err, d->errlen, -EINVAL, d->path, "%s: contains control characters", field);
        }
        *ret = p;
        return 0;
}

/* Reads the pair "<key>" (a file) / "<key>-data" (base64) into the config. Both set is
 * an error, as kubectl's validation makes it one. */
static int get_file_or_data(Doc *d, yaml_node_t *map, const char *key, const char *field, char **ret_file,
                            void **ret_data, size_t *ret_size) {
        char data_key[64], full[FIELD_FULL_MAX];
        const char *file = NULL, *data = NULL;
        int r, rf, rd;

        snprintf(data_key, sizeof(data_key), "%s-data", key);
        rf = map_get_string(d, map, key, field, &file);
        if (rf < 0)
                return rf;
        rd = map_get_string(d, map, data_key, field, &data);
        if (rd < 0)
                return rd;
        if (rf > 0 && rd > 0)
                return errmsg(d->err, d->errlen, -EINVAL, d->path, "%s: both %s and %s are set", field, key, data_key);

        if (rf > 0) {
                snprintf(full, sizeof(full), "%s.%s", field, key);
                return make_path(d, file, full, ret_file);
        }
        if (rd > 0) {
                r = base64_decode(data, strlen(data), ret_data, ret_size);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return errmsg(d->err, d->errlen, -EINVAL, d->path, "%s.%s: not valid base64", field, data_key);
                return 0;
        }
        return 0;
}

static int parse_yaml_bool(const char *s, bool *ret) {
        /* YAML 1.1 booleans, as sigs.k8s.io/yaml accepts them. */
        static const char *const yes[] = { "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON" };
        static const char *const no[] = { "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF" };

        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                if (strcmp(s, yes[i]) == 0) {
                        *ret = true;
                        return 0;
                }
        for (size_t i = 0; i < ELEMENTSOF(no); i++)
                if (strcmp(s, no[i]) == 0) {
                        *ret = false;
                        return 0;
                }
        return -EINVAL;
}

static int parse_document(Doc *d, const char *context_override, KubeConfig *c) {
        yaml_node_t *root, *ctx, *cluster, *user;
        const char *context = context_override, *cluster_name = NULL, *user_name = NULL, *s = NULL;
        char field[FIELD_MAX];
        int r;

        root = yaml_document_get_root_node(&d->doc);
        if (!root)
                return errmsg(d->err, d->errlen, -EINVAL, d->path, "empty document");
        if (root->type != YAML_MAPPING_NODE)
                return errmsg(d->err, d->errlen, -EINVAL, d->path, "top level: expected a mapping");

        if (!context) {
                r = map_get_string(d, root, "current-context", "(top level)", &context);
                if (r < 0)
                        return r;
                if (r == 0)
                        return errmsg(d->err, d->errlen, -EINVAL, d->path, "current-context: missing");
        }

        r = find_named(d, root, "contexts", "context", context, &ctx);
        if (r < 0)
                return r;
        snprintf(field, sizeof(field), "contexts[\"%s\"].context", context);
        r = map_get_string(d, ctx, "cluster", field, &cluster_name);
        if (r < 0)
                return r;
        if (r == 0)
                return errmsg(d->err, d->errlen, -EINVAL, d->path, "%s.cluster: missing", field);
        r = map_get_string(d, ctx, "user", field, &user_name);
        if (r < 0)
                return r;
        if (r == 0)
                return errmsg(d->err, d->errlen, -EINVAL, d->path, "%s.user: missing", field);
        r = map_get_string(d, ctx, "namespace", field, &s);
        if (r < 0)
                return r;
        if (r > 0 && !(c->namespace = strdup(s)))
                return -ENOMEM;

        /* Cluster. */
        r = find_named(d, root, "clusters", "cluster", cluster_name, &cluster);
        if (r < 0)
                return r;
        snprintf(field, sizeof(field), "clusters[\"%s\"].cluster", cluster_name);

        s = NULL;
        r = map_get_string(d, cluster, "server", field, &s);
        if (r < 0)
                return r;
        if (r == 0)
                return errmsg(d->err, d->errlen, -EINVAL, d->path, "%s.server: missing", field);
        if ((strncmp(s, "https://", 8) != 0 || s[8] == 0) && (strncmp(s, "http://", 7) != 0 || s[7] == 0))
                return errmsg(d->err, d->errlen, -EINVAL, d->path,
                              "%s.server: \"%s\" is not an https:// or http:// URL", field, s);
        if (has_control_chars(s) || strpbrk(s, " \"<>\\^`{|}"))
                return errmsg(d->err, d->errlen, -EINVAL, d->path, "%s.server: contains invalid characters", field);
        c->server = strdup(s);
        if (!c->server)
                return -ENOMEM;
        for (size_t n = strlen(c->server); n > 0 && c->server[n - 1] == '/'; n--)
                c->server[n - 1] = 0;

        r = get_file_or_data(d, cluster, "certificate-authority", field, &c->ca_file, &c->ca_data,
                             &c->ca_data_size);
        if (r < 0)
                return r;

        s = NULL;
        r = map_get_string(d, cluster, "insecure-skip-tls-verify", field, &s);
        if (r < 0)
                return r;
        if (r > 0 && parse_yaml_bool(s, &c->insecure_skip_tls_verify) < 0)
                return errmsg(d->err, d->errlen, -EINVAL, d->path,
                              "%s.insecure-skip-tls-verify: \"%s\" is not a boolean", field, s);
        if (c->insecure_skip_tls_verify && (c->ca_file || c->ca_data))
                return errmsg(d->err, d->errlen, -EINVAL, d->path,
                              "%s: certificate-authority and insecure-skip-tls-verify are both set", field);

        /* User. */
        r = find_named(d, root, "users", "user", user_name, &user);
        if (r < 0)
                return r;
        snprintf(field, sizeof(field), "users[\"%s\"].user", user_name);

        s = NULL;
        r = map_get_string(d, user, "token", field, &s);
        if (r < 0)
                return r;
        if (r > 0) {
                if (has_control_chars(s))
                        return errmsg(d->err, d->errlen, -EINVAL, d->path, "%s.token: contains control characters",
                                      field);
                c->token = strdup(s);
                if (!c->token)
                        return -ENOMEM;
        }

        s = NULL;
        r = map_get_string(d, user, "tokenFile", field, &s);
        if (r < 0)
                return r;
        /* kubectl uses tokenFile only when token is empty. */
        if (r > 0 && !c->token) {
                char f[FIELD_FULL_MAX];
                snprintf(f, sizeof(f), "%s.tokenFile", field);
                r = make_path(d, s, f, &c->token_file);
                if (r < 0)
                        return r;
        }

        r = get_file_or_data(d, user, "client-certificate", field, &c->client_cert_file, &c->client_cert_data,
                             &c->client_cert_data_size);
        if (r < 0)
                return r;
        r = get_file_or_data(d, user, "client-key", field, &c->client_key_file, &c->client_key_data,
                             &c->client_key_data_size);
        if (r < 0)
                return r;

        bool have_cert = c->client_cert_file || c->client_cert_data;
        bool have_key = c->client_key_file || c->client_key_data;
        if (have_cert && !have_key)
                return errmsg(d->err, d->errlen, -EINVAL, d->path, "%s.client-key: missing (client-certificate is set)",
                              field);
        if (have_key && !have_cert)
                return errmsg(d->err, d->errlen, -EINVAL, d->path, "%s.client-certificate: missing (client-key is set)",
                              field);

        if (!c->token && !c->token_file && !have_cert) {
                if (map_get(d, user, "exec"))
                        return errmsg(d->err, d->errlen, -EINVAL, d->path,
                                      "%s.exec: credential plugins are not supported", field);
                if (map_get(d, user, "auth-provider"))
                        return errmsg(d->err, d->errlen, -EINVAL, d->path,
                                      "%s.auth-provider: auth providers are not supported", field);
                return errmsg(d->err, d->errlen, -EINVAL, d->path,
                              "%s: no credentials (token, tokenFile or client-certificate)", field);
        }

        return 0;
}

int kube_config_parse_kubeconfig(KubeConfig **ret, const char *text, size_t size, const char *path,
                                 const char *context, char *err, size_t errlen) {
        _cleanup_(kube_config_freep) KubeConfig *c = NULL;
        yaml_parser_t parser;
        Doc d = { .path = path ?: "(kubeconfig)", .err = err, .errlen = errlen };
        int r;

        if (!ret || (!text && size > 0))
                return -EINVAL;

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->source = strdup(d.path);
        if (!c->source)
                return -ENOMEM;

        if (!yaml_parser_initialize(&parser))
                return -ENOMEM;
        yaml_parser_set_input_string(&parser, (const unsigned char *) (text ?: ""), size);
        if (!yaml_parser_load(&parser, &d.doc)) {
                r = errmsg(err, errlen, -EINVAL, d.path, "line %zu: malformed YAML: %s", parser.problem_mark.line + 1,
                           parser.problem ?: "parse error");
                yaml_parser_delete(&parser);
                return r;
        }
        yaml_parser_delete(&parser);

        r = parse_document(&d, context, c);
        yaml_document_delete(&d.doc);
        if (r < 0)
                return r;

        *ret = c;
        c = NULL;
        return 0;
}

static int check_readable(const char *path, const char *what, const char *file, char *err, size_t errlen) {
        if (!file)
                return 0;
        if (access(file, R_OK) < 0)
                return errmsg(err, errlen, -EINVAL, path, "%s: %s: %s", what, file, strerror(errno));
        return 0;
}

int kube_config_load_kubeconfig(KubeConfig **ret, const char *path, char *err, size_t errlen) {
        _cleanup_(kube_config_freep) KubeConfig *c = NULL;
        _cleanup_(freep) char *text = NULL;
        size_t size;
        int r;

        if (!ret || !path)
                return -EINVAL;

        r = read_file_full(path, KUBE_CONFIG_FILE_SIZE_MAX, &text, &size);
        if (r == -EFBIG)
                return errmsg(err, errlen, -EINVAL, path, "larger than %zu bytes", KUBE_CONFIG_FILE_SIZE_MAX);
        if (r < 0) {
                errmsg(err, errlen, -EINVAL, path, "cannot read: %s", strerror(-r));
                return r;
        }

        r = kube_config_parse_kubeconfig(&c, text, size, path, NULL, err, errlen);
        if (r < 0)
                return r;

        /* Referenced files must exist now: a typo found at start-up beats a TLS error
         * on every reconnect. */
        r = check_readable(path, "certificate-authority", c->ca_file, err, errlen);
        if (r >= 0)
                r = check_readable(path, "tokenFile", c->token_file, err, errlen);
        if (r >= 0)
                r = check_readable(path, "client-certificate", c->client_cert_file, err, errlen);
        if (r >= 0)
                r = check_readable(path, "client-key", c->client_key_file, err, errlen);
        if (r < 0)
                return r;

        *ret = c;
        c = NULL;
        return 0;
}

int kube_config_load_in_cluster(KubeConfig **ret, const char *host, const char *port, const char *sa_dir,
                                char *err, size_t errlen) {
        _cleanup_(kube_config_freep) KubeConfig *c = NULL;
        _cleanup_(freep) char *ns = NULL, *ns_path = NULL;
        uint32_t p;
        size_t ns_size;
        int r;

        if (!ret || !host || !port || !sa_dir)
                return -EINVAL;

        if (!*host || has_control_chars(host) || strpbrk(host, "/[]@ ?#"))
                return errmsg(err, errlen, -EINVAL, "in-cluster", "KUBERNETES_SERVICE_HOST: \"%s\" is not a host",
                              host);
        if (parse_u32(port, &p) < 0 || p == 0 || p > 65535)
                return errmsg(err, errlen, -EINVAL, "in-cluster", "KUBERNETES_SERVICE_PORT: \"%s\" is not a port",
                              port);

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->source = strdup("in-cluster");
        if (!c->source)
                return -ENOMEM;
        /* An IPv6 service host needs brackets in a URL (RFC 3986 section 3.2.2). */
        if (asprintf(&c->server, strchr(host, ':') ? "https://[%s]:%" PRIu32 : "https://%s:%" PRIu32, host, p) < 0) {
                c->server = NULL;
                return -ENOMEM;
        }
        if (asprintf(&c->token_file, "%s/token", sa_dir) < 0) {
                c->token_file = NULL;
                return -ENOMEM;
        }
        if (asprintf(&c->ca_file, "%s/ca.crt", sa_dir) < 0) {
                c->ca_file = NULL;
                return -ENOMEM;
        }

        r = check_readable("in-cluster", "service account token", c->token_file, err, errlen);
        if (r < 0)
                return r;
        r = check_readable("in-cluster", "service account CA", c->ca_file, err, errlen);
        if (r < 0)
                return r;

        if (asprintf(&ns_path, "%s/namespace", sa_dir) < 0) {
                ns_path = NULL;
                return -ENOMEM;
        }
        if (read_file_full(ns_path, 256, &ns, &ns_size) >= 0) {
                while (ns_size > 0 && (ns[ns_size - 1] == '\n' || ns[ns_size - 1] == ' '))
                        ns[--ns_size] = 0;
                if (ns_size > 0 && !has_control_chars(ns)) {
                        c->namespace = ns;
                        ns = NULL;
                }
        }

        *ret = c;
        c = NULL;
        return 0;
}

int kube_config_discover(KubeConfig **ret, const KubeConfigSearch *s, char *err, size_t errlen) {
        if (!ret || !s)
                return -EINVAL;

        if (s->explicit_kubeconfig)
                return kube_config_load_kubeconfig(ret, s->explicit_kubeconfig, err, errlen);

        if (s->service_host && *s->service_host && s->service_port && *s->service_port && s->service_account_dir)
                return kube_config_load_in_cluster(ret, s->service_host, s->service_port, s->service_account_dir,
                                                   err, errlen);

        /* $KUBECONFIG may list several files; kubectl merges them, we use the first one
         * that exists (merging is not supported, see kube-config.h). */
        if (s->kubeconfig_env && *s->kubeconfig_env) {
                _cleanup_(freep) char *list = strdup(s->kubeconfig_env);
                char *save = NULL;

                if (!list)
                        return -ENOMEM;
                for (char *f = strtok_r(list, ":", &save); f; f = strtok_r(NULL, ":", &save))
                        if (access(f, F_OK) >= 0)
                                return kube_config_load_kubeconfig(ret, f, err, errlen);
        }

        if (s->kubelet_conf && access(s->kubelet_conf, F_OK) >= 0)
                return kube_config_load_kubeconfig(ret, s->kubelet_conf, err, errlen);

        errmsg(err, errlen, -EINVAL, "kubernetes",
               "no configuration found (no --kubeconfig, not in a pod, no file in $KUBECONFIG, no %s)",
               s->kubelet_conf ?: KUBE_KUBELET_CONF);
        return -ENOENT;
}

int kube_config_load(KubeConfig **ret, const char *explicit_kubeconfig, char *err, size_t errlen) {
        KubeConfigSearch s = {
                .explicit_kubeconfig = explicit_kubeconfig,
                .service_host = getenv("KUBERNETES_SERVICE_HOST"),
                .service_port = getenv("KUBERNETES_SERVICE_PORT"),
                .service_account_dir = KUBE_SERVICE_ACCOUNT_DIR,
                .kubeconfig_env = getenv("KUBECONFIG"),
                .kubelet_conf = KUBE_KUBELET_CONF,
        };

        return kube_config_discover(ret, &s, err, errlen);
}
