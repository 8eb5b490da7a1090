#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The stand-in is killed mid-watch and restarted (same port, same state file): the
client relists (the old resourceVersion is no longer served: 410) and sees the change
made while the server was down, once; Events queued while it was down are posted
when it returns; the watch then goes on."""
import json
import time

import kubetest
from kubetest import Env, has_annotation, node_lines_of


def edit_state(path, node, key, value):
    """A change made while this API server was down (as another one would have)."""
    with open(path) as f:
        st = json.load(f)
    st["rv"] += 1
    n = st["nodes"][node]
    n["metadata"].setdefault("annotations", {})[key] = value
    n["metadata"]["resourceVersion"] = str(st["rv"])
    with open(path, "w") as f:
        json.dump(st, f)


def test_restart_mid_watch():
    with Env() as env:
        t = env.tool()
        t.wait_for(lambda o: o.get("type") == "SYNC", what="initial SYNC")
        env.kubectl("annotate", "node", env.node, "phase=1")
        t.wait_for(has_annotation("phase", "1"))

        env.api.kill()
        edit_state(env.api.state, env.node, "phase", "2-while-down")
        t.send("event down-1 Warning ApiDown posted after the API came back")
        t.send("event down-2 Normal ApiDown second one")
        time.sleep(1.0)  # let the client fail a few times against the closed port
        assert t.bytes() > 0
        assert not [o for o in t.lines if o.get("kind") == "result"], t.lines

        env.api.start()
        got = t.wait_for(has_annotation("phase", "2-while-down"), timeout=20, what="change made while down")
        assert got["type"] == "SYNC", got
        r1 = t.seen_or_wait(lambda o: o.get("kind") == "result", what="event result")
        r2 = t.seen_or_wait(lambda o: o.get("kind") == "result" and o is not r1, what="event result")
        assert [r1["id"], r2["id"]] == ["down-1", "down-2"], (r1, r2)
        assert r1["result"] == 0 and r1["status"] == 201 and r2["result"] == 0, (r1, r2)
        reasons = [(e["reason"], e["type"]) for e in env.api.admin("/events")]
        assert reasons.count(("ApiDown", "Warning")) == 1 and reasons.count(("ApiDown", "Normal")) == 1, reasons

        env.kubectl("annotate", "node", env.node, "phase=3", "--overwrite")
        t.wait_for(has_annotation("phase", "3"), what="change after restart")
        phases = [o["annotations"].get("phase") for o in node_lines_of(t)]
        assert phases == [None, "1", "2-while-down", "3"], phases

        # It was a relist, not a lucky resume: 410 seen, then a LIST.
        reqs = [r for r in env.api.requests() if r["path"] == "/api/v1/nodes"]
        assert any("watch" not in r["query"] for r in reqs), reqs


if __name__ == "__main__":
    kubetest.main([test_restart_mid_watch])
