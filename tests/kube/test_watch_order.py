#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Annotation changes made with kubectl reach the client in order and exactly once;
the client lists then watches with the field selector, bookmarks and the list's
resourceVersion; bookmarks move the resume point."""
import time

import kubetest
from kubetest import Env, has_annotation, node_lines_of


def test_order_and_once():
    with Env() as env:
        t = env.tool("--every")
        t.wait_for(lambda o: o.get("type") == "SYNC", what="initial SYNC")
        n = 8
        for i in range(1, n + 1):
            env.kubectl("annotate", "node", env.node, "seq=%d" % i, "--overwrite")
        t.wait_for(has_annotation("seq", str(n)), what="last change")
        time.sleep(0.5)  # anything late or duplicated would show up now
        seqs = [o["annotations"].get("seq") for o in node_lines_of(t, "MODIFIED")]
        assert seqs == [str(i) for i in range(1, n + 1)], seqs
        assert len(node_lines_of(t, "SYNC")) == 1, t.lines
        rvs = [int(o["resourceVersion"]) for o in node_lines_of(t)]
        assert rvs == sorted(set(rvs)), rvs

        reqs = [r for r in env.api.requests() if r["path"] == "/api/v1/nodes"]
        lst, watch = reqs[0], reqs[1]
        assert "watch" not in lst["query"]
        assert lst["query"]["fieldSelector"] == "metadata.name=" + env.node
        q = watch["query"]
        assert q["watch"] == "true" and q["allowWatchBookmarks"] == "true", q
        assert q["fieldSelector"] == "metadata.name=" + env.node, q
        assert int(q["timeoutSeconds"]) >= 300, q
        # Resumes exactly from the list's resourceVersion.
        assert q["resourceVersion"] == node_lines_of(t, "SYNC")[0]["resourceVersion"], q


def test_bookmark_moves_resume_point():
    with Env(extra_nodes=["node-other"]) as env:
        t = env.tool()
        t.wait_for(lambda o: o.get("type") == "SYNC", what="initial SYNC")
        env.api.admin("/bookmark_interval", {"seconds": 0.3})
        # Changes elsewhere in the cluster move the global resourceVersion on; the
        # filtered stream only tells us through bookmarks.
        for i in range(5):
            env.api.admin("/annotate", {"name": "node-other", "annotations": {"x": str(i)}})
        rv_now = env.api.admin("/stats")["rv"]
        time.sleep(1.5)
        env.api.admin("/drop")
        deadline = time.monotonic() + 10
        while True:
            watches = [r for r in env.api.requests() if r["query"].get("watch") == "true"]
            if len(watches) >= 2:
                break
            assert time.monotonic() < deadline, "no re-watch after drop"
            time.sleep(0.1)
        assert int(watches[-1]["query"]["resourceVersion"]) == rv_now, (watches[-1], rv_now)
        # Our node's changes still arrive.
        env.kubectl("annotate", "node", env.node, "after=bookmark")
        t.wait_for(has_annotation("after", "bookmark"))
        assert not any("x" in o["annotations"] for o in node_lines_of(t))


if __name__ == "__main__":
    kubetest.main([test_order_and_once, test_bookmark_moves_resume_point])
