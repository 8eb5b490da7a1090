#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Transport faults: a connection cut in the middle of a chunk (the cut event is not
lost and not doubled), a slow server trickling bytes (events still decode, the loop
stays responsive), an event over the size limit (refused, never delivered)."""
import time

import kubetest
from kubetest import Env, has_annotation, node_lines_of


def test_cut_mid_chunk():
    with Env() as env:
        t = env.tool("--every")
        t.wait_for(lambda o: o.get("type") == "SYNC", what="initial SYNC")
        env.api.admin("/cut", {"count": 1})
        env.kubectl("annotate", "node", env.node, "cut=1")
        t.wait_for(has_annotation("cut", "1"), what="the event that was cut")
        env.kubectl("annotate", "node", env.node, "cut=2", "--overwrite")
        t.wait_for(has_annotation("cut", "2"))
        time.sleep(0.3)
        vals = [o["annotations"].get("cut") for o in node_lines_of(t) if o["type"] != "SYNC"]
        assert vals == ["1", "2"], t.lines
        watches = [r for r in env.api.requests() if r["query"].get("watch")]
        assert len(watches) >= 2, watches  # it did reconnect


def test_slow_server():
    with Env() as env:
        t = env.tool()
        t.wait_for(lambda o: o.get("type") == "SYNC", what="initial SYNC")
        # ~20 KiB event in 64-byte pieces every 10ms: about 3s on the wire.
        env.api.admin("/slow", {"delay": 0.01, "piece": 64})
        big = "x" * 20000
        env.api.admin("/annotate", {"name": env.node, "annotations": {"big": big}})
        # While the event trickles in, the client answers at once: nothing blocks.
        samples = []
        for _ in range(5):
            start = time.monotonic()
            samples.append(t.bytes())
            assert time.monotonic() - start < 0.5
            time.sleep(0.3)
        assert samples == sorted(samples) and samples[-1] > samples[0], samples
        got = t.wait_for(has_annotation("big", big), timeout=20, what="slow event")
        assert got["type"] == "MODIFIED"
        env.api.admin("/slow", {"delay": 0, "piece": 0})
        env.kubectl("annotate", "node", env.node, "after=slow")
        t.wait_for(has_annotation("after", "slow"))


def test_oversize_refused():
    with Env() as env:
        t = env.tool("--max-object", "4096")
        t.wait_for(lambda o: o.get("type") == "SYNC", what="initial SYNC")
        env.api.admin("/annotate", {"name": env.node, "annotations": {"huge": "y" * 8000}})
        time.sleep(1.5)
        assert not [o for o in node_lines_of(t) if "huge" in o["annotations"]], "oversized event delivered"
        # It keeps trying (with back-off), so once the object shrinks it catches up.
        env.api.admin("/annotate", {"name": env.node, "annotations": {"huge": None, "small": "1"}})
        t.wait_for(has_annotation("small", "1"), timeout=15)


if __name__ == "__main__":
    kubetest.main([test_cut_mid_chunk, test_slow_server, test_oversize_refused])
