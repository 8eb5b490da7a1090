/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for kubeconfig parsing and configuration discovery
 * (src/kube/kube-config.c): the supported variants, and for every missing or
 * malformed piece a one-line error naming the field and the file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "kube-config.h"

#define HEAD                                                                                       \
        "apiVersion: v1\n"                                                                         \
        "kind: Config\n"                                                                           \
        "current-context: ctx\n"                                                                   \
        "contexts:\n"                                                                              \
        "- name: other\n"                                                                          \
        "  context: {cluster: nowhere, user: nobody}\n"                                            \
        "- name: ctx\n"                                                                            \
        "  context:\n"                                                                             \
        "    cluster: c1\n"                                                                        \
        "    user: u1\n"                                                                           \
        "    namespace: kube-system\n"

/* base64("hello-ca"), base64("hello-cert"), base64("hello-key") */
#define B64_CA "aGVsbG8tY2E="
#define B64_CERT "aGVsbG8tY2VydA=="
#define B64_KEY "aGVsbG8ta2V5"

static int parse(const char *text, KubeConfig **ret, char *err, size_t errlen) {
        return kube_config_parse_kubeconfig(ret, text, strlen(text), "/etc/infradhcp/kube.conf", NULL, err, errlen);
}

static void test_token_and_relative_ca(void **state) {
        _cleanup_(kube_config_freep) KubeConfig *c = NULL;
        char err[512] = "";

        assert_int_equal(parse(HEAD "clusters:\n"
                                    "- name: c1\n"
                                    "  cluster:\n"
                                    "    server: https://10.0.0.1:6443/\n"
                                    "    certificate-authority: pki/ca.crt\n"
                                    "users:\n"
                                    "- name: u1\n"
                                    "  user:\n"
                                    "    token: abc.def\n",
                               &c, err, sizeof(err)),
                         0);
        assert_string_equal(c->server, "https://10.0.0.1:6443");
        /* Relative to the kubeconfig's directory, as kubectl resolves it. */
        assert_string_equal(c->ca_file, "/etc/infradhcp/pki/ca.crt");
        assert_string_equal(c->token, "abc.def");
        assert_null(c->token_file);
        assert_false(c->insecure_skip_tls_verify);
        assert_string_equal(c->namespace, "kube-system");
        assert_string_equal(c->source, "/etc/infradhcp/kube.conf");
}

static void test_data_variants(void **state) {
        _cleanup_(kube_config_freep) KubeConfig *c = NULL;
        char err[512] = "";

        assert_int_equal(parse(HEAD "clusters:\n"
                                    "- name: c1\n"
                                    "  cluster:\n"
                                    "    server: https://api.example:443\n"
                                    "    certificate-authority-data: " B64_CA "\n"
                                    "users:\n"
                                    "- name: u1\n"
                                    "  user:\n"
                                    "    client-certificate-data: " B64_CERT "\n"
                                    "    client-key-data: |\n"
                                    "      aGVsbG8t\n"
                                    "      a2V5\n",
                               &c, err, sizeof(err)),
                         0);
        assert_int_equal(c->ca_data_size, 8);
        assert_memory_equal(c->ca_data, "hello-ca", 8);
        assert_int_equal(c->client_cert_data_size, 10);
        assert_memory_equal(c->client_cert_data, "hello-cert", 10);
        assert_int_equal(c->client_key_data_size, 9);
        assert_memory_equal(c->client_key_data, "hello-key", 9);
        assert_null(c->token);
        assert_null(c->ca_file);
}

static void test_kubelet_style(void **state) {
        /* kubelet.conf: cert and key in one rotating file, tokenFile absent. */
        _cleanup_(kube_config_freep) KubeConfig *c = NULL;
        char err[512] = "";

        assert_int_equal(parse("apiVersion: v1\n"
                               "clusters:\n"
                               "- cluster:\n"
                               "    certificate-authority-data: " B64_CA "\n"
                               "    server: https://192.168.1.10:6443\n"
                               "  name: default-cluster\n"
                               "contexts:\n"
                               "- context:\n"
                               "    cluster: default-cluster\n"
                               "    namespace: default\n"
                               "    user: default-auth\n"
                               "  name: default-context\n"
                               "current-context: default-context\n"
                               "kind: Config\n"
                               "preferences: {}\n"
                               "users:\n"
                               "- name: default-auth\n"
                               "  user:\n"
                               "    client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem\n"
                               "    client-key: /var/lib/kubelet/pki/kubelet-client-current.pem\n",
                               &c, err, sizeof(err)),
                         0);
        assert_string_equal(c->client_cert_file, "/var/lib/kubelet/pki/kubelet-client-current.pem");
        assert_string_equal(c->client_key_file, "/var/lib/kubelet/pki/kubelet-client-current.pem");
}

static void test_token_file_and_insecure(void **state) {
        _cleanup_(kube_config_freep) KubeConfig *c = NULL;
        char err[512] = "";

        assert_int_equal(parse(HEAD "clusters:\n"
                                    "- name: c1\n"
                                    "  cluster:\n"
                                    "    server: https://[fd00::1]:6443\n"
                                    "    insecure-skip-tls-verify: true\n"
                                    "users:\n"
                                    "- name: u1\n"
                                    "  user:\n"
                                    "    tokenFile: /run/secrets/token\n",
                               &c, err, sizeof(err)),
                         0);
        assert_true(c->insecure_skip_tls_verify);
        assert_string_equal(c->token_file, "/run/secrets/token");
        assert_string_equal(c->server, "https://[fd00::1]:6443");
}

static void test_context_override(void **state) {
        _cleanup_(kube_config_freep) KubeConfig *c = NULL;
        const char *text = HEAD "clusters: []\nusers: []\n";
        char err[512] = "";

        assert_int_equal(kube_config_parse_kubeconfig(&c, text, strlen(text), "k.conf", "other", err, sizeof(err)),
                         -EINVAL);
        assert_string_equal(err, "k.conf: clusters: no entry named \"nowhere\"");
}

/* Each case: text, substring the error must contain. */
static const struct {
        const char *text;
        const char *error;
} bad[] = {
        { "", "empty document" },
        { "- a\n- b\n", "top level: expected a mapping" },
        { "current-context: [\n", "line 2: malformed YAML" },
        { "kind: Config\n\tcurrent-context: x\n", "line 2: malformed YAML" },
        { "kind: Config\ncontexts: []\n", "current-context: missing" },
        { "current-context: x\ncontexts: []\n", "contexts: no entry named \"x\"" },
        { "current-context: x\n", "contexts: missing (looking for \"x\")" },
        { "current-context: x\ncontexts: {a: b}\n", "contexts: expected a list" },
        { "current-context: x\ncontexts:\n- name: x\n", "contexts[\"x\"].context: missing or not a mapping" },
        { "current-context: x\ncontexts:\n- name: x\n  context: {user: u}\n", "contexts[\"x\"].context.cluster: missing" },
        { "current-context: x\ncontexts:\n- name: x\n  context: {cluster: c}\n", "contexts[\"x\"].context.user: missing" },
        { HEAD "clusters:\n- name: c1\n  cluster: {}\n", "clusters[\"c1\"].cluster.server: missing" },
        { HEAD "clusters:\n- name: c1\n  cluster: {server: ftp://x}\n",
          "clusters[\"c1\"].cluster.server: \"ftp://x\" is not an https:// or http:// URL" },
        { HEAD "clusters:\n- name: c1\n  cluster: {server: [a]}\n", "clusters[\"c1\"].cluster.server: expected a string" },
        { HEAD "clusters:\n- name: c1\n  cluster: {server: \"https://a b\"}\n",
          "clusters[\"c1\"].cluster.server: contains invalid characters" },
        { HEAD "clusters:\n- name: c1\n  cluster: {server: \"https://a\", certificate-authority-data: \"!!\"}\n",
          "clusters[\"c1\"].cluster.certificate-authority-data: not valid base64" },
        { HEAD "clusters:\n- name: c1\n  cluster: {server: \"https://a\", certificate-authority-data: aGVsbG8tY2E}\n",
          "certificate-authority-data: not valid base64" },
        { HEAD "clusters:\n- name: c1\n  cluster: {server: \"https://a\", certificate-authority: a, "
               "certificate-authority-data: " B64_CA "}\n",
          "clusters[\"c1\"].cluster: both certificate-authority and certificate-authority-data are set" },
        { HEAD "clusters:\n- name: c1\n  cluster: {server: \"https://a\", certificate-authority: a, "
               "insecure-skip-tls-verify: true}\n",
          "certificate-authority and insecure-skip-tls-verify are both set" },
        { HEAD "clusters:\n- name: c1\n  cluster: {server: \"https://a\", insecure-skip-tls-verify: perhaps}\n",
          "clusters[\"c1\"].cluster.insecure-skip-tls-verify: \"perhaps\" is not a boolean" },
        { HEAD "clusters:\n- name: c1\n  cluster: {server: \"https://a\"}\n", "users: missing (looking for \"u1\")" },
        { HEAD "clusters:\n- name: c1\n  cluster: {server: \"https://a\"}\nusers:\n- name: u1\n  user: {}\n",
          "users[\"u1\"].user: no credentials (token, tokenFile or client-certificate)" },
        { HEAD "clusters:\n- name: c1\n  cluster: {server: \"https://a\"}\nusers:\n- name: u1\n  user:\n"
               "    exec: {command: aws}\n",
          "users[\"u1\"].user.exec: credential plugins are not supported" },
        { HEAD "clusters:\n- name: c1\n  cluster: {server: \"https://a\"}\nusers:\n- name: u1\n  user:\n"
               "    client-certificate-data: " B64_CERT "\n",
          "users[\"u1\"].user.client-key: missing (client-certificate is set)" },
        { HEAD "clusters:\n- name: c1\n  cluster: {server: \"https://a\"}\nusers:\n- name: u1\n  user:\n"
               "    client-key: /k\n",
          "users[\"u1\"].user.client-certificate: missing (client-key is set)" },
        { HEAD "clusters:\n- name: c1\n  cluster: {server: \"https://a\"}\nusers:\n- name: u1\n  user:\n"
               "    token: \"a\\nb\"\n",
          "users[\"u1\"].user.token: contains control characters" },
        { HEAD "clusters:\n- name: c1\n  cluster: {server: \"https://a\"}\nusers:\n- name: u1\n  user:\n"
               "    client-certificate: /c\n    client-certificate-data: " B64_CERT "\n    client-key: /k\n",
          "both client-certificate and client-certificate-data are set" },
};

static void test_errors(void **state) {
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                KubeConfig *c = NULL;
                char err[512] = "";
                int r = parse(bad[i].text, &c, err, sizeof(err));

                if (r != -EINVAL || !strstr(err, bad[i].error))
                        fail_msg("case %zu: r=%d err=\"%s\", expected \"%s\"", i, r, err, bad[i].error);
                assert_null(c);
                /* Names the file, one line. */
                assert_true(strncmp(err, "/etc/infradhcp/kube.conf: ", 26) == 0);
                assert_null(strchr(err, '\n'));
        }
}

static void test_small_error_buffer(void **state) {
        KubeConfig *c = NULL;
        char err[16];

        assert_int_equal(parse("", &c, err, sizeof(err)), -EINVAL);
        assert_true(strlen(err) < sizeof(err));
}

/* Discovery, against files in a temporary directory. */

typedef struct Dir {
        char path[64];
} Dir;

static void write_file(const char *dir, const char *name, const char *text) {
        char p[256];
        FILE *f;

        snprintf(p, sizeof(p), "%s/%s", dir, name);
        f = fopen(p, "we");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

static int dir_setup(void **state) {
        Dir *d = calloc(1, sizeof(*d));
        char sa[128];

        snprintf(d->path, sizeof(d->path), "/tmp/test-kube-config-XXXXXX");
        assert_non_null(mkdtemp(d->path));
        snprintf(sa, sizeof(sa), "%s/sa", d->path);
        assert_int_equal(mkdir(sa, 0700), 0);
        write_file(sa, "token", "sa-token\n");
        write_file(sa, "ca.crt", "-----BEGIN CERTIFICATE-----\n");
        write_file(sa, "namespace", "infra\n");
        write_file(d->path, "ca.crt", "-----BEGIN CERTIFICATE-----\n");
        write_file(d->path, "a.conf",
                   "current-context: a\ncontexts:\n- {name: a, context: {cluster: a, user: a}}\n"
                   "clusters:\n- {name: a, cluster: {server: \"https://a:1\", certificate-authority: ca.crt}}\n"
                   "users:\n- {name: a, user: {token: ta}}\n");
        write_file(d->path, "kubelet.conf",
                   "current-context: k\ncontexts:\n- {name: k, context: {cluster: k, user: k}}\n"
                   "clusters:\n- {name: k, cluster: {server: \"https://k:1\"}}\n"
                   "users:\n- {name: k, user: {token: tk}}\n");
        write_file(d->path, "missing-ca.conf",
                   "current-context: a\ncontexts:\n- {name: a, context: {cluster: a, user: a}}\n"
                   "clusters:\n- {name: a, cluster: {server: \"https://a:1\", certificate-authority: nope.crt}}\n"
                   "users:\n- {name: a, user: {token: ta}}\n");
        *state = d;
        return 0;
}

static int dir_teardown(void **state) {
        Dir *d = *state;
        char cmd[128];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->path);
        assert_int_equal(system(cmd), 0);
        free(d);
        return 0;
}

static void test_discovery_order(void **state) {
        Dir *d = *state;
        char a[128], kubelet[128], sa[128], missing[128], env[512], err[512] = "";
        KubeConfig *c = NULL;

        snprintf(a, sizeof(a), "%s/a.conf", d->path);
        snprintf(kubelet, sizeof(kubelet), "%s/kubelet.conf", d->path);
        snprintf(sa, sizeof(sa), "%s/sa", d->path);
        snprintf(missing, sizeof(missing), "%s/none.conf", d->path);

        KubeConfigSearch s = {
                .explicit_kubeconfig = a,
                .service_host = "10.96.0.1",
                .service_port = "443",
                .service_account_dir = sa,
                .kubeconfig_env = kubelet,
                .kubelet_conf = kubelet,
        };

        /* 1. explicit wins over everything. */
        assert_int_equal(kube_config_discover(&c, &s, err, sizeof(err)), 0);
        assert_string_equal(c->server, "https://a:1");
        assert_string_equal(c->source, a);
        c = kube_config_free(c);

        /* 2. in-cluster before $KUBECONFIG. */
        s.explicit_kubeconfig = NULL;
        assert_int_equal(kube_config_discover(&c, &s, err, sizeof(err)), 0);
        assert_string_equal(c->server, "https://10.96.0.1:443");
        assert_string_equal(c->source, "in-cluster");
        assert_non_null(strstr(c->token_file, "/sa/token"));
        assert_non_null(strstr(c->ca_file, "/sa/ca.crt"));
        assert_string_equal(c->namespace, "infra");
        assert_null(c->token);
        c = kube_config_free(c);

        s.service_host = "fd00:10:96::1";
        assert_int_equal(kube_config_discover(&c, &s, err, sizeof(err)), 0);
        assert_string_equal(c->server, "https://[fd00:10:96::1]:443");
        c = kube_config_free(c);

        /* 3. $KUBECONFIG: first existing file of the list. */
        s.service_host = NULL;
        snprintf(env, sizeof(env), "%s:%s:%s", missing, a, kubelet);
        s.kubeconfig_env = env;
        assert_int_equal(kube_config_discover(&c, &s, err, sizeof(err)), 0);
        assert_string_equal(c->source, a);
        c = kube_config_free(c);

        /* 4. kubelet.conf when $KUBECONFIG names nothing that exists. */
        s.kubeconfig_env = missing;
        assert_int_equal(kube_config_discover(&c, &s, err, sizeof(err)), 0);
        assert_string_equal(c->source, kubelet);
        assert_string_equal(c->token, "tk");
        c = kube_config_free(c);

        /* Nothing at all. */
        s.kubelet_conf = missing;
        assert_int_equal(kube_config_discover(&c, &s, err, sizeof(err)), -ENOENT);
        assert_non_null(strstr(err, "no configuration found"));
        assert_null(c);
}

static void test_discovery_errors(void **state) {
        Dir *d = *state;
        char p[128], sa[128], err[512] = "";
        KubeConfig *c = NULL;
        KubeConfigSearch s = {};

        /* An explicit file that does not exist: final, names the file. */
        snprintf(p, sizeof(p), "%s/none.conf", d->path);
        s.explicit_kubeconfig = p;
        s.kubelet_conf = p;
        assert_int_equal(kube_config_discover(&c, &s, err, sizeof(err)), -ENOENT);
        assert_non_null(strstr(err, "none.conf: cannot read: No such file or directory"));

        /* A referenced file that does not exist. */
        snprintf(p, sizeof(p), "%s/missing-ca.conf", d->path);
        assert_int_equal(kube_config_load_kubeconfig(&c, p, err, sizeof(err)), -EINVAL);
        assert_non_null(strstr(err, "missing-ca.conf: certificate-authority: "));
        assert_non_null(strstr(err, "/nope.crt: No such file or directory"));

        /* In-cluster without a token, with a bad port. */
        snprintf(sa, sizeof(sa), "%s", d->path); /* has ca.crt but no token */
        assert_int_equal(kube_config_load_in_cluster(&c, "10.0.0.1", "443", sa, err, sizeof(err)), -EINVAL);
        assert_non_null(strstr(err, "in-cluster: service account token: "));
        assert_int_equal(kube_config_load_in_cluster(&c, "10.0.0.1", "70000", sa, err, sizeof(err)), -EINVAL);
        assert_string_equal(err, "in-cluster: KUBERNETES_SERVICE_PORT: \"70000\" is not a port");
        assert_int_equal(kube_config_load_in_cluster(&c, "a/b", "1", sa, err, sizeof(err)), -EINVAL);
        assert_null(c);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_token_and_relative_ca),
                cmocka_unit_test(test_data_variants),
                cmocka_unit_test(test_kubelet_style),
                cmocka_unit_test(test_token_file_and_insecure),
                cmocka_unit_test(test_context_override),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_small_error_buffer),
                cmocka_unit_test_setup_teardown(test_discovery_order, dir_setup, dir_teardown),
                cmocka_unit_test_setup_teardown(test_discovery_errors, dir_setup, dir_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
