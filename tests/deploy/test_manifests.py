#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Every manifest under deploy/kubernetes/ is a valid Kubernetes object, and the
DaemonSet is what issue 14 asks for.

Schema: the Kubernetes API's own, as Debian's python3-kubernetes carries it (its model
classes are generated from the API server's OpenAPI document: each has openapi_types
and attribute_map, and its setters refuse a missing required field or a bad enum).
The check is strict: an unknown field anywhere (a typo such as `hostNetWork`, a field
at the wrong level) fails, as does a wrong type or a missing required field.
kubectl renders the kustomization (`kubectl kustomize`, client-side).

Then what the deployment must be: hostNetwork; NODE_NAME from spec.nodeName; every
capability dropped except NET_ADMIN, no privilege; the host paths the agent uses;
readiness from `infradhcpctl agent --ready`; in-cluster credentials of the
ServiceAccount the roles are bound to; the image tag = the project version.

Usage: test_manifests.py VERSION
"""

import datetime
import os
import re
import string
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEPLOY = os.path.join(HERE, "..", "..", "deploy", "kubernetes")

import kubernetes.client as k8s  # noqa: E402  (Debian's python3-kubernetes)
import yaml  # noqa: E402

passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
        print("ok   %s" % what)
    else:
        failed += 1
        print("FAIL %s" % what)
    return cond


PRIMITIVE = {"str": str, "int": int, "bool": bool, "float": (int, float)}


def validate(value, type_name, path, errors):
    """Strict structural check of value against the python3-kubernetes type."""
    if value is None:
        return
    m = re.fullmatch(r"list\[(.+)\]", type_name)
    if m:
        if not isinstance(value, list):
            errors.append("%s: expected a list, got %r" % (path, value))
            return
        for i, v in enumerate(value):
            validate(v, m.group(1), "%s[%d]" % (path, i), errors)
        return
    m = re.fullmatch(r"dict\(str, (.+)\)", type_name)
    if m:
        if not isinstance(value, dict):
            errors.append("%s: expected a map, got %r" % (path, value))
            return
        for kk, v in value.items():
            if not isinstance(kk, str):
                errors.append("%s: key %r is not a string" % (path, kk))
            validate(v, m.group(1), "%s.%s" % (path, kk), errors)
        return
    if type_name in PRIMITIVE:
        t = PRIMITIVE[type_name]
        if not isinstance(value, t) or (type_name == "int" and isinstance(value, bool)):
            errors.append("%s: expected %s, got %r" % (path, type_name, value))
        return
    if type_name == "object":  # IntOrString, Quantity, RawExtension
        if not isinstance(value, (str, int, dict)):
            errors.append("%s: unexpected %r" % (path, value))
        return
    if type_name == "datetime":
        if not isinstance(value, (str, datetime.datetime)):
            errors.append("%s: expected a time, got %r" % (path, value))
        return
    cls = getattr(k8s, type_name, None)
    if cls is None:
        errors.append("%s: unknown type %s" % (path, type_name))
        return
    if not isinstance(value, dict):
        errors.append("%s: expected an object (%s), got %r" % (path, type_name, value))
        return
    by_json = {j: a for a, j in cls.attribute_map.items()}
    for key, v in value.items():
        if key not in by_json:
            errors.append("%s: unknown field %r in %s" % (path, key, type_name))
            continue
        validate(v, cls.openapi_types[by_json[key]], "%s.%s" % (path, key), errors)


def deserialize(doc, type_name):
    """Runs the models' own setters (required fields, enums). Returns an error or None."""
    client = k8s.ApiClient()
    try:
        client._ApiClient__deserialize(doc, type_name)
    except (ValueError, TypeError) as e:
        return str(e)
    return None


def type_of(doc):
    api, kind = doc.get("apiVersion", ""), doc.get("kind", "")
    known = {"v1": "V1", "apps/v1": "V1", "rbac.authorization.k8s.io/v1": "V1"}
    if api not in known:
        return None
    return known[api] + kind


def load_all():
    out = []
    for dirpath, _, files in os.walk(DEPLOY):
        for fn in sorted(files):
            if not fn.endswith(".yaml") or fn == "kustomization.yaml":
                continue
            path = os.path.join(dirpath, fn)
            with open(path) as f:
                text = f.read()
            if "${" in text:  # templates (host-unit/rbac-node.yaml): render as documented
                text = string.Template(text).substitute(NODE_NAME="k8s-node-1")
            for d in yaml.safe_load_all(text):
                if d:
                    out.append((os.path.relpath(path, DEPLOY), d))
    return out


def main():
    version = sys.argv[1]
    docs = load_all()
    check(len(docs) >= 9, "%d objects in deploy/kubernetes" % len(docs))
    for path, d in docs:
        t = type_of(d)
        name = "%s %s/%s" % (path, d.get("kind"), d.get("metadata", {}).get("name"))
        if not check(t and hasattr(k8s, t), "%s: a known Kubernetes kind (%s)" % (name, t)):
            continue
        errors = []
        validate(d, t, d["kind"], errors)
        check(not errors, "%s: schema (strict)%s" % (name, "".join("\n     " + e for e in errors)))
        err = deserialize(d, t)
        check(err is None, "%s: required fields and enums%s" % (name, (": " + err) if err else ""))
        check(d.get("metadata", {}).get("labels", {}).get("app.kubernetes.io/part-of") == "infradhcp",
              "%s: labelled app.kubernetes.io/part-of=infradhcp" % name)

    # The checker is not blind: a typo and a wrong type are caught.
    errors = []
    validate({"apiVersion": "apps/v1", "kind": "DaemonSet", "spec": {"template": {"spec": {
        "hostNetWork": True, "containers": [{"name": "x", "ports": [{"containerPort": "80"}]}]}}}},
        "V1DaemonSet", "DaemonSet", errors)
    check(len(errors) == 2 and "hostNetWork" in errors[0] and "containerPort" in errors[1],
          "the schema check catches an unknown field and a wrong type: %r" % errors)
    check(deserialize({"kind": "ClusterRole", "rules": [{"resources": ["nodes"]}]}, "V1ClusterRole") is not None,
          "the schema check catches a missing required field (rules[].verbs)")

    # kubectl renders the set (client-side).
    p = subprocess.run(["kubectl", "kustomize", DEPLOY], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=60)
    rendered = [d for d in yaml.safe_load_all(p.stdout) if d] if p.returncode == 0 else []
    check(p.returncode == 0 and sorted(d["kind"] for d in rendered) == sorted(
        ["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "DaemonSet"]),
        "kubectl kustomize deploy/kubernetes renders the 6 objects%s" % (p.stderr.strip() and ": " + p.stderr.strip()))

    by_kind = {}
    for path, d in docs:
        if not path.startswith("host-unit"):
            by_kind.setdefault(d["kind"], []).append(d)
    ds = by_kind["DaemonSet"][0]
    sa = by_kind["ServiceAccount"][0]
    pod = ds["spec"]["template"]["spec"]
    c = pod["containers"][0]
    check(len(pod["containers"]) == 1 and not pod.get("initContainers"), "one container")
    check(pod.get("hostNetwork") is True, "hostNetwork")
    check(pod.get("serviceAccountName") == sa["metadata"]["name"] and
          ds["metadata"]["namespace"] == sa["metadata"]["namespace"],
          "runs as the ServiceAccount %s/%s" % (sa["metadata"]["namespace"], sa["metadata"]["name"]))
    check(pod.get("automountServiceAccountToken", True) and sa.get("automountServiceAccountToken", True),
          "in-cluster credentials (the ServiceAccount token is mounted)")
    for b in by_kind["ClusterRoleBinding"] + by_kind["RoleBinding"]:
        check(b["subjects"] == [{"kind": "ServiceAccount", "name": sa["metadata"]["name"],
                                 "namespace": sa["metadata"]["namespace"]}],
              "%s %s binds exactly that ServiceAccount" % (b["kind"], b["metadata"]["name"]))
    env = {e["name"]: e for e in c.get("env", [])}
    check(env.get("NODE_NAME", {}).get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") == "spec.nodeName",
          "NODE_NAME from the downward API (spec.nodeName)")
    argv = c["command"] + c.get("args", [])
    check(argv[0] == "/usr/sbin/infradhcp-agent" and argv[argv.index("--node") + 1] == "$(NODE_NAME)",
          "runs infradhcp-agent --node $(NODE_NAME): %r" % argv)
    check("--kubeconfig" not in argv, "no --kubeconfig: in-cluster configuration")
    sc = c["securityContext"]
    check(sc["capabilities"] == {"drop": ["ALL"], "add": ["NET_ADMIN"]}, "only CAP_NET_ADMIN: %r" % sc["capabilities"])
    check(sc.get("privileged") is False and sc.get("allowPrivilegeEscalation") is False,
          "not privileged, no privilege escalation")
    check(sc.get("readOnlyRootFilesystem") is True, "read-only root file system")
    check(not pod.get("hostPID") and not pod.get("hostIPC"), "no hostPID, no hostIPC")
    mounts = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}
    host = {v["name"]: v["hostPath"]["path"] for v in pod["volumes"] if "hostPath" in v}
    want = ["/run/infradhcp", "/var/lib/infradhcp", "/usr/local/etc/opflex-agent-ovs",
            "/usr/local/var/lib/opflex-agent-ovs/events", "/usr/local/var/lib/opflex-agent-ovs/reboot-conf.d"]
    check(sorted(host.values()) == sorted(want), "host paths are exactly %s: %r" % (want, sorted(host.values())))
    check(all(mounts.get(n) == p for n, p in host.items()), "each host path is mounted at the same path")
    rp = c["readinessProbe"]["exec"]["command"]
    check(rp[0] == "/usr/bin/infradhcpctl" and rp[-2:] == ["agent", "--ready"],
          "readiness from the agent's status (infradhcpctl agent --ready): %r" % rp)
    check(c["image"] == "infradhcp-agent:" + version, "image tag %r is the project version %s" % (c["image"], version))
    check(any(t.get("operator") == "Exists" and not t.get("key") for t in pod.get("tolerations", [])),
          "tolerates every taint (runs on every node, as aci-containers-host)")

    with open(os.path.join(DEPLOY, "Containerfile")) as f:
        cf = f.read()
    check(re.search(r"^FROM \S+", cf, re.M) and "apt-get install" in cf and ".deb" in cf and
          "infradhcp_%s_" % version in cf, "Containerfile installs the infradhcp_%s .deb" % version)

    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
