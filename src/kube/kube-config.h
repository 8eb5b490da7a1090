/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * How to reach and authenticate to the Kubernetes API server: kubeconfig parsing
 * (libyaml) and the discovery order explicit --kubeconfig, in-cluster service account,
 * $KUBECONFIG, /etc/kubernetes/kubelet.conf.
 *
 * This is not a full kubeconfig implementation: no merging of several files, no exec
 * or auth-provider plugins, no proxy-url. Anything it does not support is reported as
 * an error naming the field and the file, never silently ignored.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

#define KUBE_CONFIG_FILE_SIZE_MAX ((size_t) 1024 * 1024)
#define KUBE_SERVICE_ACCOUNT_DIR "/var/run/secrets/kubernetes.io/serviceaccount"
#define KUBE_KUBELET_CONF "/etc/kubernetes/kubelet.conf"

typedef struct KubeConfig {
        char *source;                 /* file it was read from, or "in-cluster" */
        char *server;                 /* "https://host:port", no trailing '/' */

        char *ca_file;                /* absolute path, or NULL */
        void *ca_data;                /* decoded PEM, or NULL */
        size_t ca_data_size;
        bool insecure_skip_tls_verify;

        char *token;                  /* static bearer token, or NULL */
        char *token_file;             /* re-read when it changes and on 401, or NULL */

        char *client_cert_file;
        void *client_cert_data;
        size_t client_cert_data_size;
        char *client_key_file;
        void *client_key_data;
        size_t client_key_data_size;

        char *namespace;              /* context namespace or the SA namespace; may be NULL */
} KubeConfig;

KubeConfig *kube_config_free(KubeConfig *c);
DEFINE_FREEP(KubeConfig, kube_config_free);

/* Where discovery looks. kube_config_load() fills this from the environment; tests
 * point it at temporary directories. NULL members are skipped. */
typedef struct KubeConfigSearch {
        const char *explicit_kubeconfig;     /* --kubeconfig: used alone, errors are final */
        const char *service_host;            /* $KUBERNETES_SERVICE_HOST */
        const char *service_port;            /* $KUBERNETES_SERVICE_PORT */
        const char *service_account_dir;     /* token, ca.crt, namespace */
        const char *kubeconfig_env;          /* $KUBECONFIG, ':'-separated */
        const char *kubelet_conf;            /* /etc/kubernetes/kubelet.conf */
} KubeConfigSearch;

/* Parses kubeconfig text. path names the file in errors and anchors relative file
 * references (as kubectl does). context selects a context, NULL means current-context.
 * Does not touch the referenced files. On failure returns -EINVAL (or -ENOMEM) and
 * writes a one-line message "<path>: <field>: <problem>" into err. */
int kube_config_parse_kubeconfig(KubeConfig **ret, const char *text, size_t size, const char *path,
                                 const char *context, char *err, size_t errlen);

/* Reads and parses a kubeconfig file and checks that the files it references exist. */
int kube_config_load_kubeconfig(KubeConfig **ret, const char *path, char *err, size_t errlen);

/* In-cluster configuration from the service host/port and the service-account dir. */
int kube_config_load_in_cluster(KubeConfig **ret, const char *host, const char *port,
                                const char *sa_dir, char *err, size_t errlen);

/* Discovery in the documented order. The first source that is present is used; an
 * error in it is final (a broken kubeconfig never falls through to another identity).
 * -ENOENT when no source is present. */
int kube_config_discover(KubeConfig **ret, const KubeConfigSearch *search, char *err, size_t errlen);

/* kube_config_discover() with the search filled from the environment and defaults. */
int kube_config_load(KubeConfig **ret, const char *explicit_kubeconfig, char *err, size_t errlen);
