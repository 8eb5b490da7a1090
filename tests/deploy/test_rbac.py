#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The shipped RBAC is exactly what the agent uses (issue 14).

Input: the request records the stand-in API server wrote during the multipod suite
(one JSON line per request, one file per test: tests/integration/meson.build sets
INFRADHCP_API_RECORD, fabric.KubeStandIn passes --record). Those stand-ins already
enforced deploy/kubernetes/rbac.yaml on the agent's token (a refused request got 403
and would have failed its scenario); this test re-checks the whole suite's requests
at once and proves, against deploy/kubernetes/rbac.yaml:
  1. every request the agent (bearer token) made is allowed by a bound rule, and none
     was refused;
  2. every verb x resource x apiGroup the roles grant was used by at least one request,
     and no rule uses a wildcard or a non-resource URL;
  3. the per-node variant (host-unit/rbac-node.yaml, resourceNames = the node) allows
     every one of the same requests too, because each list/watch carried the
     metadata.name field selector;
  4. the evaluator is not blind: requests the agent must not be able to make (get,
     patch or delete a node, list all nodes, another node under the per-node role,
     Events in another namespace, secrets) are refused.
Every file must be newer than the agent binary, so a stale recording cannot pass.

Usage: test_rbac.py RECORD_DIR AGENT_BINARY SCENARIO...   (files RECORD_DIR/<scenario>.jsonl)
"""

import glob
import json
import os
import string
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(ROOT, "tests", "kube"))
import rbac  # noqa: E402
import yaml  # noqa: E402  (Debian's python3-yaml)

DEPLOY = os.path.join(ROOT, "deploy", "kubernetes")
SA = ("aci-containers-system", "infradhcp-agent")
NODE = "k8s-node-1"  # tests/integration/fabric.py NODE_NAME

passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
        print("ok   %s" % what)
    else:
        failed += 1
        print("FAIL %s" % what)


def load(path, **subst):
    with open(path) as f:
        text = f.read()
    if subst:
        text = string.Template(text).substitute(subst)
    return [d for d in yaml.safe_load_all(text) if d]


def main():
    record_dir, agent = sys.argv[1], sys.argv[2]
    scenarios = sys.argv[3:]
    agent_mtime = os.stat(agent).st_mtime
    records = []
    for sc in scenarios:
        path = os.path.join(record_dir, sc + ".jsonl")
        if not os.path.exists(path):
            print("FAIL no recording %s: run the whole netns suite (this test runs last in it)" % path)
            return 1
        if os.stat(path).st_mtime < agent_mtime:
            print("FAIL %s is older than %s: a stale recording; run the netns suite again" % (path, agent))
            return 1
        with open(path) as f:
            recs = [json.loads(line) for line in f if line.strip()]
        agent_recs = [r for r in recs if r["identity"] == "token"]
        check(agent_recs, "%s: %d agent requests recorded (%d in all)" % (sc, len(agent_recs), len(recs)))
        records += agent_recs
    extra = sorted(set(os.path.basename(p)[:-6] for p in glob.glob(os.path.join(record_dir, "*.jsonl")))
                   - set(scenarios))
    if extra:
        print("note: recordings not part of this run ignored: %s" % ", ".join(extra))

    docs = load(os.path.join(DEPLOY, "rbac.yaml")) + load(os.path.join(DEPLOY, "serviceaccount.yaml"))
    policy = rbac.Policy(docs, *SA)
    check(len(policy.grants) == 2, "rbac.yaml binds 2 roles to %s/%s: %r" % (SA + (policy.grants,)))
    infos = [rbac.request_info(r["method"], r["path"], r["query"]) for r in records]

    # 1. all allowed, none refused
    denied = [(r, ri) for r, ri in zip(records, infos) if ri.resource_request and policy.allowed(ri) is None]
    check(not denied, "every agent request is allowed by rbac.yaml (%d requests)%s" % (
        len(records), "".join("\n     refused: %r (%s %s)" % (ri, r["method"], r["path"]) for r, ri in denied[:10])))
    refused = [r for r in records if r.get("decision") != "allow"]
    check(not refused, "the stand-ins refused none of them: %r" % refused[:5])
    nonres = sorted(set(ri.path for ri in infos if not ri.resource_request))
    check(not nonres, "the agent makes no non-resource requests (discovery, /version): %r" % nonres)
    kinds = sorted(set(repr(ri) for ri in infos))
    print("     the agent's requests: %s" % "; ".join(kinds))

    # 2. nothing granted goes unused
    unused = policy.unused(infos)
    check(not unused, "rbac.yaml grants nothing the agent never used%s" % "".join(
        "\n     %s rule %d: %s %s/%s %s (%s)" % (u[0][2], u[1], u[2], u[3] or "core", u[4], u[5], u[6])
        for u in unused))

    # 3. the per-node role narrows list/watch by name and still allows all of it
    node_docs = load(os.path.join(DEPLOY, "host-unit", "rbac-node.yaml"), NODE_NAME=NODE) + docs
    per_node = rbac.Policy(node_docs, SA[0], "infradhcp-agent-" + NODE)
    check(len(per_node.grants) == 2, "rbac-node.yaml binds its ClusterRole and the events Role")
    denied = [ri for ri in infos if per_node.allowed(ri) is None]
    check(not denied, "every agent request is allowed by the per-node role (resourceNames [%s]): %r" % (
        NODE, denied[:5]))
    check(not per_node.unused(infos), "the per-node role grants nothing unused: %r" % per_node.unused(infos))

    # 4. what must stay refused
    must_refuse = [
        ("GET", "/api/v1/nodes/" + NODE, {}),
        ("PATCH", "/api/v1/nodes/" + NODE, {}),
        ("PUT", "/api/v1/nodes/" + NODE, {}),
        ("DELETE", "/api/v1/nodes/" + NODE, {}),
        ("GET", "/api/v1/nodes/" + NODE + "/proxy/metrics", {}),
        ("POST", "/api/v1/namespaces/kube-system/events", {}),
        ("PATCH", "/api/v1/namespaces/default/events/x", {}),
        ("GET", "/api/v1/namespaces/default/events", {}),
        ("GET", "/api/v1/namespaces/aci-containers-system/secrets", {}),
        ("GET", "/api/v1/namespaces/aci-containers-system/configmaps/aci-containers-config", {}),
        ("GET", "/apis/apps/v1/daemonsets", {}),
        ("POST", "/api/v1/nodes", {}),
    ]
    for m, p, q in must_refuse:
        ri = rbac.request_info(m, p, q)
        check(policy.allowed(ri) is None, "rbac.yaml refuses %s %s (%r)" % (m, p, ri))
        check(per_node.allowed(ri) is None, "rbac-node.yaml refuses %s %s" % (m, p))
    for q in ({}, {"fieldSelector": "metadata.name=other-node"}, {"watch": "true"},
              {"fieldSelector": "metadata.name!=%s" % NODE},
              {"fieldSelector": "metadata.name=%s,spec.unschedulable=false" % NODE}):
        ri = rbac.request_info("GET", "/api/v1/nodes", q)
        check(per_node.allowed(ri) is None, "rbac-node.yaml refuses list/watch nodes %r" % q)
    # and the shared role does allow any node's list (the DaemonSet's trade-off, documented)
    ri = rbac.request_info("GET", "/api/v1/nodes", {"fieldSelector": "metadata.name=other-node", "watch": "true"})
    check(policy.allowed(ri) is not None and ri.verb == "watch" and ri.name == "other-node",
          "request info of a watch with a name selector: %r" % ri)

    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
