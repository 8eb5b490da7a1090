#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""410 Gone -> relist, both as an ERROR event in a 200 stream (what the API server
does) and as an HTTP 410 status; no relist loop afterwards."""
import time

import kubetest
from kubetest import Env, has_annotation, node_lines_of


def gone(mode):
    with Env() as env:
        env.api.admin("/gone_mode", {"mode": mode})
        t = env.tool()
        t.wait_for(lambda o: o.get("type") == "SYNC", what="initial SYNC")
        env.api.admin("/fail", {"status": 503})
        env.api.admin("/drop")
        env.api.admin("/annotate", {"name": env.node, "annotations": {"gone": mode}})
        env.api.admin("/compact")
        time.sleep(0.5)
        n_before = len(env.api.requests())
        env.api.admin("/fail", {"status": 0})
        got = t.wait_for(has_annotation("gone", mode), timeout=15, what="relisted change")
        assert got["type"] == "SYNC", got

        reqs = kubetest.wait_until(lambda: (lambda rs: rs if len(rs) >= 3 else None)(
            [r for r in env.api.requests()[n_before:] if r["path"] == "/api/v1/nodes"]), what="re-watch")
        kinds = ["watch" if r["query"].get("watch") else "list" for r in reqs]
        # watch (old rv) -> 410 -> list -> watch (new rv)
        assert kinds[:3] == ["watch", "list", "watch"], kinds
        assert int(reqs[2]["query"]["resourceVersion"]) >= int(got["resourceVersion"]), reqs[2]

        time.sleep(1.0)
        lists = [r for r in env.api.requests() if r["path"] == "/api/v1/nodes" and not r["query"].get("watch")]
        assert len(lists) == 2, lists  # initial + one relist, no loop

        env.kubectl("annotate", "node", env.node, "after=gone")
        t.wait_for(has_annotation("after", "gone"))
        assert [o["type"] for o in node_lines_of(t)] == ["SYNC", "SYNC", "MODIFIED"], t.lines


def test_gone_event():
    gone("event")


def test_gone_http():
    gone("http")


if __name__ == "__main__":
    kubetest.main([test_gone_event, test_gone_http])
