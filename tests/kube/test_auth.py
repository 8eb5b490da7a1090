#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Authentication: the API server stops accepting the token (401), the token file is
rotated (atomic rename, as kubelet does for projected tokens) and the client
recovers without missing a change; client certificates from files and from -data
blobs; CA from -data; insecure-skip-tls-verify; a wrong CA never connects."""
import os
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


if __name__ == "__main__":
    kubetest.main([test_401_then_rotated_token, test_tls_variants])
