#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A cluster with 1,000 other nodes churning: the field selector keeps all of it on
the server side. The client's received-bytes counter barely moves (bookmarks at most)
while thousands of other-node events happen, and our node's change still arrives."""
import time

import kubetest
from kubetest import Env, has_annotation


def test_churn_costs_nothing():
    with Env() as env:
        t = env.tool()
        t.wait_for(lambda o: o.get("type") == "SYNC", what="initial SYNC")
        env.api.admin("/churn", {"nodes": 1000, "rate": 2000})
        kubetest.wait_until(lambda: env.api.admin("/stats")["churn_events"] > 0, what="churn start")
        before = t.bytes()
        ev0 = env.api.admin("/stats")["churn_events"]
        time.sleep(4.0)
        after = t.bytes()
        stats = env.api.admin("/stats")
        churned = stats["churn_events"] - ev0
        env.api.admin("/churn", {"stop": True})
        # Each churn event is a whole Node (~800 bytes); thousands went by.
        assert churned >= 2000, stats
        assert stats["nodes"] >= 1001, stats
        # A bookmark or two (~150 bytes each) is all our client may see.
        assert after - before < 1024, (before, after, churned)

        env.kubectl("annotate", "node", env.node, "during=churn")
        t.wait_for(has_annotation("during", "churn"), timeout=15)
        assert not any(o.get("annotations", {}).get("churn") for o in t.lines if o.get("kind") == "node")


if __name__ == "__main__":
    kubetest.main([test_churn_costs_nothing])
