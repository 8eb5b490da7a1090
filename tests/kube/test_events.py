#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Events and annotation patches: posted as core/v1 Events on the Node; queued in
order while the API server is down or answering 5xx, posted when it returns;
permanent rejections (403, 404) reported, not retried."""
import time

import kubetest
from kubetest import Env


def results(t, n):
    out = []
    for _ in range(n):
        out.append(t.wait_for(lambda o: o.get("kind") == "result", timeout=20, what="result"))
    return out


def test_event_shape_and_queue():
    with Env() as env:
        t = env.tool("--no-watch")
        t.send("event e1 Normal InfraAddressAcquired got 10.0.0.5/24 from 10.0.0.1")
        r = results(t, 1)[0]
        assert (r["id"], r["result"], r["status"]) == ("e1", 0, 201), r
        ev = env.api.admin("/events")[0]
        assert ev["involvedObject"]["kind"] == "Node" and ev["involvedObject"]["name"] == env.node, ev
        assert ev["reason"] == "InfraAddressAcquired" and ev["type"] == "Normal", ev
        assert ev["message"] == "got 10.0.0.5/24 from 10.0.0.1", ev
        assert ev["metadata"]["namespace"] == "default" and ev["metadata"]["name"].startswith(env.node + "."), ev
        assert ev["source"]["component"] == "infradhcp-agent" and ev["count"] == 1, ev

        # API answering 503: queued, in order, retried until it recovers.
        env.api.admin("/fail", {"status": 503})
        t.send("event e2 Warning First one")
        t.send("annotate a1 infradhcp/state=migrating")
        t.send("event e3 Normal Third three")
        time.sleep(1.0)
        t.send("bytes")
        q = t.wait_for(lambda o: o.get("kind") == "bytes")
        assert q["queue"] == 3, q
        env.api.admin("/fail", {"status": 0})
        rs = results(t, 3)
        assert [(r["op"], r["id"], r["result"]) for r in rs] == [("event", "e2", 0), ("annotate", "a1", 0),
                                                                  ("event", "e3", 0)], rs
        assert env.api.admin("/node/" + env.node)["metadata"]["annotations"]["infradhcp/state"] == "migrating"
        names = [e["metadata"]["name"] for e in env.api.admin("/events")]
        assert len(names) == 3 == len(set(names)), names
        reasons = [e["reason"] for e in sorted(env.api.admin("/events"),
                                              key=lambda e: int(e["metadata"]["resourceVersion"]))]
        assert reasons == ["InfraAddressAcquired", "First", "Third"], reasons

        # Removing a key with a merge-patch null.
        t.send("annotate a2 infradhcp/state-")
        assert results(t, 1)[0]["result"] == 0
        assert "infradhcp/state" not in env.api.admin("/node/" + env.node)["metadata"]["annotations"]


def test_permanent_rejections():
    with Env() as env:
        ghost = env.tool("--no-watch", node="ghost")
        ghost.send("annotate p1 a=b")
        r = results(ghost, 1)[0]
        assert (r["result"], r["status"]) == (1, 404), r  # KUBE_REQUEST_E_STATUS
        env.api.admin("/fail", {"status": 403})
        ghost.send("event e1 Normal Nope forbidden")
        r = results(ghost, 1)[0]
        assert (r["result"], r["status"]) == (1, 403), r
        env.api.admin("/fail", {"status": 0})
        # The queue moved on: a later request works.
        ghost.send("event e2 Normal Fine ok")
        r = results(ghost, 1)[0]
        assert (r["id"], r["result"]) == ("e2", 0), r


if __name__ == "__main__":
    kubetest.main([test_event_shape_and_queue, test_permanent_rejections])
