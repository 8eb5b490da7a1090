#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The stand-in is faithful enough for the real kubectl: get, get -o json, NotFound,
annotate (merge patch, --overwrite rules, removal), get -w -o json sees changes,
token and client-certificate auth, 401 on a bad token."""
import os
import subprocess
import time

import kubetest
from kubetest import Env, json_stream, kubectl, write_kubeconfig


def test_get_and_annotate():
    with Env() as env:
        r = env.kubectl("get", "node", env.node)
        lines = r.stdout.splitlines()
        assert lines[0].split()[:2] == ["NAME", "STATUS"], r.stdout
        assert lines[1].split()[:2] == [env.node, "Ready"], r.stdout

        obj = kubetest.json.loads(env.kubectl("get", "node", env.node, "-o", "json").stdout)
        assert obj["kind"] == "Node" and obj["metadata"]["name"] == env.node

        r = env.kubectl("get", "node", "ghost", check=False)
        assert r.returncode != 0 and 'nodes "ghost" not found' in r.stderr, r.stderr

        env.kubectl("annotate", "node", env.node, "infradhcp.example/k=v1")
        # Without --overwrite an existing key is refused by kubectl itself.
        r = env.kubectl("annotate", "node", env.node, "infradhcp.example/k=v2", check=False)
        assert r.returncode != 0 and "already has a value" in r.stderr, r.stderr
        env.kubectl("annotate", "node", env.node, "infradhcp.example/k=v2", "--overwrite")
        got = kubetest.json.loads(env.kubectl("get", "node", env.node, "-o", "json").stdout)
        assert got["metadata"]["annotations"]["infradhcp.example/k"] == "v2"
        assert int(got["metadata"]["resourceVersion"]) > int(obj["metadata"]["resourceVersion"])
        env.kubectl("annotate", "node", env.node, "infradhcp.example/k-")
        got = kubetest.json.loads(env.kubectl("get", "node", env.node, "-o", "json").stdout)
        assert "infradhcp.example/k" not in got["metadata"].get("annotations", {})

        patches = [r for r in env.api.requests() if r["method"] == "PATCH"]
        assert patches and all(p["content_type"] == "application/merge-patch+json" for p in patches), patches


def test_watch_sees_annotation():
    with Env() as env:
        w = subprocess.Popen(["kubectl", "--kubeconfig", env.kubectl_config, "get", "node", env.node, "-w",
                              "-o", "json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            # Wait until kubectl's watch is connected before changing anything.
            deadline = time.monotonic() + 15
            while not any(r["query"].get("watch") == "true" for r in env.api.requests()):
                assert time.monotonic() < deadline, "kubectl never started watching"
                time.sleep(0.1)
            env.kubectl("annotate", "node", env.node, "seen-by=watch", "--overwrite")
            time.sleep(1.0)
        finally:
            w.terminate()
            out, err = w.communicate(timeout=10)
        objs = json_stream(out)
        assert len(objs) >= 2, (out, err)
        assert "seen-by" not in objs[0]["metadata"].get("annotations", {})
        assert objs[-1]["metadata"]["annotations"]["seen-by"] == "watch", objs[-1]
        watches = [r for r in env.api.requests() if r["query"].get("watch") == "true"]
        assert watches[0]["query"].get("fieldSelector") == "metadata.name=" + env.node, watches[0]


def test_auth_variants():
    with Env() as env:
        d = env.d
        good = write_kubeconfig(os.path.join(d, "tok.conf"), env.api.server, ca=env.pki["ca.crt"], ca_data=True,
                                token="tok-1")
        assert kubectl(good, "get", "node", env.node, "-o", "name").stdout.strip() == "node/" + env.node
        bad = write_kubeconfig(os.path.join(d, "bad.conf"), env.api.server, ca=env.pki["ca.crt"], token="nope")
        r = kubectl(bad, "get", "node", env.node, check=False)
        assert r.returncode != 0 and ("Unauthorized" in r.stderr or "logged in" in r.stderr), r.stderr
        data = write_kubeconfig(os.path.join(d, "certdata.conf"), env.api.server, ca=env.pki["ca.crt"],
                                cert=env.pki["client.crt"], key=env.pki["client.key"], cert_data=True)
        assert kubectl(data, "get", "node", env.node, "-o", "name").returncode == 0


if __name__ == "__main__":
    kubetest.main([test_get_and_annotate, test_watch_sees_annotation, test_auth_variants])
