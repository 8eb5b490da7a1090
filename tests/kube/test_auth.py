#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Authentication: the API server stops accepting the token (401), the token file is
rotated (atomic rename, as kubelet does for projected tokens) and the client
recovers without missing a change; client certificates from files and from -data
blobs; CA from -data; insecure-skip-tls-verify; a wrong CA never connects; the
server's certificate renewed by its CA and then replaced by a new CA's, which the
client accepts from the moment its CA file names that CA (no day-long CA cache)."""
import os
import shutil
import time

import kubetest
from kubetest import Env, has_annotation, write_kubeconfig


def test_401_then_rotated_token():
    with Env() as env:
        t = env.tool()
        t.wait_for(lambda o: o.get("type") == "SYNC", what="initial SYNC")
        env.api.admin("/tokens", {"tokens": ["tok-2"]})
        env.api.admin("/drop")
        env.api.admin("/annotate", {"name": env.node, "annotations": {"during": "401"}})
        # The client now meets 401s; nothing may arrive with the old token.
        kubetest.wait_until(lambda: any(r["query"].get("watch") for r in env.api.requests()[-3:]),
                            what="retries")
        time.sleep(0.8)
        assert not any(o.get("annotations", {}).get("during") for o in t.lines if o.get("kind") == "node")
        tmp = env.token_file + ".new"
        with open(tmp, "w") as f:
            f.write("tok-2\n")
        os.rename(tmp, env.token_file)
        t.wait_for(has_annotation("during", "401"), timeout=15, what="recovery after rotation")
        env.api.admin("/annotate", {"name": env.node, "annotations": {"after": "rotation"}})
        t.wait_for(has_annotation("after", "rotation"))


def test_tls_variants():
    with Env() as env:
        d, p = env.d, env.pki
        configs = {
            "cert-files": write_kubeconfig(os.path.join(d, "k1"), env.api.server, ca=p["ca.crt"],
                                           cert=p["client.crt"], key=p["client.key"]),
            "cert-data": write_kubeconfig(os.path.join(d, "k2"), env.api.server, ca=p["ca.crt"], ca_data=True,
                                          cert=p["client.crt"], key=p["client.key"], cert_data=True),
            "insecure": write_kubeconfig(os.path.join(d, "k3"), env.api.server, insecure=True, token="tok-1"),
            "static-token": write_kubeconfig(os.path.join(d, "k4"), env.api.server, ca=p["ca.crt"],
                                             token="tok-1"),
        }
        for name, cfg in configs.items():
            t = env.tool(kubeconfig=cfg)
            got = t.wait_for(lambda o: o.get("type") == "SYNC", what="SYNC with " + name)
            assert got["present"], (name, got)
            t.close()

        # A CA that did not sign the server certificate: never a single node line.
        os.mkdir(os.path.join(d, "other"))
        other = kubetest.make_pki(os.path.join(d, "other"))
        bad = write_kubeconfig(os.path.join(d, "k5"), env.api.server, ca=other["ca.crt"], token="tok-1")
        t = env.tool(kubeconfig=bad)
        time.sleep(1.5)
        assert t.bytes() == 0
        assert not [o for o in t.lines if o.get("kind") == "node"], t.lines


def test_server_certificate_and_ca_rotation():
    with Env(proxy="") as env:
        t = env.tool()
        t.wait_for(lambda o: o.get("type") == "SYNC", what="initial SYNC")
        # Renewed by the same CA: new connections get it and verify.
        crt, key = kubetest.make_server_cert(env.d, "renewed", env.pki["ca.crt"], env.pki["ca.key"])
        env.api.admin("/cert", {"cert": crt, "key": key})
        env.api.admin("/drop")
        env.api.admin("/annotate", {"name": env.node, "annotations": {"c": "renewed"}})
        t.wait_for(has_annotation("c", "renewed"), timeout=20)
        # A new CA's certificate: refused until the client's CA file names the new CA.
        ca2, ca2_key = kubetest.make_ca(env.d, "ca2")
        crt2, key2 = kubetest.make_server_cert(env.d, "rotated", ca2, ca2_key)
        env.api.admin("/cert", {"cert": crt2, "key": key2})
        env.api.admin("/drop")
        before = len(env.api.requests())
        env.api.admin("/annotate", {"name": env.node, "annotations": {"c": "rotated"}})
        time.sleep(3)
        assert not [o for o in t.lines if o.get("annotations", {}).get("c") == "rotated"]
        assert len(env.api.requests()) == before, "a request got through an unverified certificate"
        assert "certificate" in env.tool_log().lower() or "ssl" in env.tool_log().lower(), env.tool_log()
        shutil.copyfile(ca2, env.ca_file + ".new")
        os.rename(env.ca_file + ".new", env.ca_file)
        t.wait_for(has_annotation("c", "rotated"), timeout=20, what="recovery once the CA file is rotated")


if __name__ == "__main__":
    kubetest.main([test_401_then_rotated_token, test_tls_variants, test_server_certificate_and_ca_rotation])
