#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Benchmark of attachment detection (RFC 4436, issue 15): from the live migration
itself (the bridge port moved, no carrier change) to the node having exactly one
address in the new pod AND both opflex files rewritten for it.

Side by side, in the two-pod fabric of tests/integration/fabric.py (alternately
pod-2 -> pod-1 and back, every run a full migration):
  * detection        infradhcpd ([Attachment] on, defaults) + infradhcp-agent; no
                     annotation at all: the periodic check (1.5 s) is the only hint, as on
                     a veth or a VMware guest without NOTIFY_PEERS;
  * detection+rarp   the same, with the hypervisor's RARP announcement of the VM right
                     after the move (QEMU self-announce, vMotion): the hint a real
                     migration brings;
  * annotation       detection off: the controller's flip aci-pod -> none arrives
                     opflex-device-reconnect-wait-timeout (25 s, the controller's default)
                     after the move, the agent acts on it at dhcp-delay 0;
  * aci-hostagent    today's flow reproduced (bench/aci-hostagent-repro.py: dhclient,
                     link bounce, 1 s polls, 30 s config ticker of random phase) on the
                     same flip 25 s after the move, dhcp-delay 0.
Completion is polled every millisecond; t0 is taken just before the port moves, which
happens at a random (seeded) moment relative to the daemon's periodic check.

Targets (issue 15): detection median <= 1.5 s from the move, and >= 15x faster than the
annotation-driven flow. Ratios against both peers are printed.

Usage (root): bench/dna.py [--daemon PATH] [--agent PATH] [--runs 10] [--annotation-runs 5]
              [--repro-runs 5] [--controller-wait 25] [--seed 15] [--keep-tmp]
Not a test: prints figures (exit 0 either way, 1 on a harness failure).
"""

import argparse
import os
import random
import signal
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

import fabric  # noqa: E402
import netns  # noqa: E402
from netns import log  # noqa: E402

REPRO = os.path.join(ROOT, "bench", "aci-hostagent-repro.py")


class Bench:
    def __init__(self, topo, args):
        self.topo, self.args = topo, args
        self.fab = fabric.Fabric(topo, attached=("pod-2",))
        self.kube = fabric.KubeStandIn(topo, self.fab.node).start()
        self.cur = self.fab.pod("pod-2")
        self.kube.annotate(aci_pod=self.cur.annotation, node_aci_pod=self.cur.name)
        self.files = fabric.OpflexFiles(topo, self.kube.node_name, self.cur)
        self.results = {}

    def other(self):
        return self.fab.pod("pod-1" if self.cur.name == "pod-2" else "pod-2")

    def done_in(self, pod):
        a = self.fab.ipv4()
        return len(a) == 1 and pod.contains(a[0][0]) and self.files.points_to(pod)

    def migrate_once(self, timeout, rarp=False, flip_after=None, seen=None):
        """One migration cur -> other, timed from the port move. flip_after: seconds
        after the move at which the controller writes aci-pod none (None: never)."""
        dst = self.other()
        t0 = time.time()
        self.fab.migrate(self.cur.name, dst.name)
        if rarp:
            self.fab.announce()
        flipped = flip_after is None
        t_addr = None
        deadline = time.monotonic() + timeout
        while True:
            now = time.time()
            if not flipped and now - t0 >= flip_after:
                self.kube.annotate_fast(node_aci_pod="none", aci_pod="none")
                flipped = True
            a = self.fab.ipv4()
            if t_addr is None and len(a) == 1 and dst.contains(a[0][0]):
                t_addr = now
            if t_addr is not None and self.files.points_to(dst):
                break
            if time.monotonic() > deadline:
                raise netns.CheckFailed("migration to %s not done after %d s: %s, peers %r, remote-ip %r" % (
                    dst.name, timeout, a, self.files.peer(), self.files.remote_ip()))
            time.sleep(0.001)
        total = now - t0
        # the new pod's opflex device connects: the controller writes the new pod
        self.kube.annotate_fast(aci_pod=dst.annotation, node_aci_pod=dst.name)
        if seen:
            seen(dst.annotation)
        self.cur = dst
        return total, t_addr - t0

    def record(self, key, total, addr):
        self.results.setdefault(key, []).append((total, addr))
        log("%-18s run %2d: %8.0f ms (address after %.0f ms)" % (key, len(self.results[key]),
                                                                total * 1000, addr * 1000))

    def daemon_config(self, detect):
        path = self.topo.path(self.topo.unique("conf") + ".conf")
        with open(path, "w") as f:
            f.write("[Attachment]\nDetect=%s\n" % ("yes" if detect else "no"))
        return path

    def run_infradhcp(self, key, runs, detect, rarp=False, flip_after=None):
        a = self.args
        node = self.fab.node
        dhcpd = netns.InfraDhcpd(self.topo, node, fabric.INFRA_IF, a.daemon, config=self.daemon_config(detect))
        dhcpd.start()
        dhcpd.wait_address(pred=self.cur.contains)
        cfg = fabric.host_agent_config(self.topo, self.files.dir, dhcp_delay=0)
        agent = fabric.Agent(self.topo, node, a.agent, self.kube, cfg, self.files.dir, dhcpd.runtime_dir)
        agent.start()
        agent.wait_seen(self.cur.annotation)
        netns.wait_for(lambda: self.done_in(self.cur), 10, "agent settled")
        rnd = random.Random(a.seed + len(self.results))
        for _ in range(runs):
            # A migration happens at a random moment relative to the daemon's periodic
            # check (1.5 s ± 10 %): wait a uniform time over one period and a bit (at
            # least 0.5 s, so the new lease's peers are learned) before moving.
            time.sleep(rnd.uniform(0.5, 2.2))
            total, addr = self.migrate_once(60 + (flip_after or 0), rarp=rarp, flip_after=flip_after,
                                            seen=lambda v: agent.wait_seen(v))
            self.record(key, total, addr)
        agent.kill(signal.SIGTERM)
        dhcpd.stop()

    def run_repro(self, runs, flip_after):
        a = self.args
        node = self.fab.node
        node.flush_addresses(fabric.INFRA_IF)
        ddir = self.topo.mkdir("dhclient")
        dh = ["dhclient", "-v", "-cf", os.path.join(ddir, "dhclient.conf"), "-lf",
              os.path.join(ddir, "dhclient.leases"), "-pf", os.path.join(ddir, "dhclient.pid"),
              "-sf", "/sbin/dhclient-script", fabric.INFRA_IF]
        with open(os.path.join(ddir, "dhclient.conf"), "w") as f:
            f.write("send dhcp-client-identifier = hardware;\ntimeout 30;\n")
        node.run(dh, timeout=60)
        netns.wait_for(lambda: any(self.cur.contains(x) for x, _ in self.fab.ipv4()), 20, "dhclient lease")
        rnd = random.Random(a.seed)
        cfg = fabric.host_agent_config(self.topo, self.files.dir, dhcp_delay=0)
        key = "aci-hostagent"
        for _ in range(runs):
            netns.wait_for(lambda: self.done_in(self.cur), 40, "repro settled before the run")
            p = node.spawn("aci-hostagent-repro", [
                "/usr/bin/python3", REPRO, "--node", self.kube.node_name, "--kubeconfig",
                self.kube.kubectl_config, "--interface", fabric.INFRA_IF, "--host-agent-config", cfg,
                "--opflex-config-path", self.files.dir, "--dhclient-dir", ddir,
                "--ticker-phase", "%.3f" % rnd.uniform(0, 30)])
            p.wait_log(r"ip already from same subnet", 20)
            start = len(p.text())

            def seen(v, p=p, start=start):
                p.wait_log(r"aci-pod 'none' -> '%s'" % v.replace(".", r"\."), 10, start)
            try:
                total, addr = self.migrate_once(flip_after + 60, flip_after=flip_after, seen=seen)
                self.record(key, total, addr)
            except netns.CheckFailed as e:
                # Today's flow gives up and never retries: counted as infinite, the node
                # repaired by hand for the next run (as bench/multipod.py does).
                log("%s: run FAILED: %s" % (key, e))
                self.results.setdefault(key, []).append((float("inf"), float("inf")))
                dst = self.other()
                p.stop()
                node.run(["dhclient", "-x", "-pf", os.path.join(ddir, "dhclient.pid")], check=False)
                node.flush_addresses(fabric.INFRA_IF)
                node.run(dh, timeout=60, check=False)
                self.files.reset(dst)
                self.kube.annotate_fast(aci_pod=dst.annotation, node_aci_pod=dst.name)
                self.cur = dst
                continue
            p.stop()
        node.run(["dhclient", "-x", "-pf", os.path.join(ddir, "dhclient.pid"), "-lf",
                  os.path.join(ddir, "dhclient.leases"), "-cf", os.path.join(ddir, "dhclient.conf"),
                  fabric.INFRA_IF], check=False)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--daemon", default=os.path.join(ROOT, "build", "src", "dhcp4", "infradhcpd"))
    ap.add_argument("--agent", help="infradhcp-agent (default: next to --daemon)")
    ap.add_argument("--runs", type=int, default=10, help="migrations with detection (each variant)")
    ap.add_argument("--annotation-runs", type=int, default=5, help="annotation-driven migrations")
    ap.add_argument("--repro-runs", type=int, default=5, help="runs of today's host-agent flow")
    ap.add_argument("--controller-wait", type=float, default=25.0,
                    help="seconds from the move to the controller's aci-pod none")
    ap.add_argument("--seed", type=int, default=15, help="seed of the move times and the repro's ticker phases")
    ap.add_argument("--keep-tmp", action="store_true")
    args = ap.parse_args()
    netns.require_root()
    args.agent = args.agent or fabric.find_agent(args.daemon)
    if not args.agent or not os.access(args.daemon, os.X_OK):
        print("needs a built infradhcpd and infradhcp-agent (--daemon, --agent)", file=sys.stderr)
        return 1
    t_start = time.monotonic()
    w = args.controller_wait
    with netns.Topology("bd", keep_tmp=args.keep_tmp) as topo:
        b = Bench(topo, args)
        b.run_infradhcp("detection", args.runs, True)
        b.run_infradhcp("detection+rarp", args.runs, True, rarp=True)
        if args.annotation_runs:
            b.run_infradhcp("annotation", args.annotation_runs, False, flip_after=w)
        if args.repro_runs:
            b.run_repro(args.repro_runs, w)
    r = b.results
    print()
    print("Live migration: port move -> new address and both opflex files rewritten")
    print("(fabric: two dnsmasq pods, bridge port moved, no carrier change; the controller's flip %.0f s "
          "after the move; dhcp-delay 0; %.0f s of benchmark)" % (w, time.monotonic() - t_start))
    print("%-20s %5s %12s %12s %12s %17s" % ("", "runs", "median ms", "min ms", "max ms", "address ms (med)"))
    med = {}
    for key in ("detection", "detection+rarp", "annotation", "aci-hostagent"):
        if key not in r:
            continue
        xs = sorted(t for t, _ in r[key])
        med[key] = statistics.median(xs)
        nfail = sum(1 for t in xs if t == float("inf"))
        print("%-20s %5d %12.0f %12.0f %12.0f %17.0f%s" % (
            key, len(xs), med[key] * 1000, xs[0] * 1000, xs[-1] * 1000,
            statistics.median(x for _, x in r[key]) * 1000,
            "   (%d FAILED, counted as infinite)" % nfail if nfail else ""))
    print()
    print("Ratios (median of the peer / median with detection):")
    for d in ("detection", "detection+rarp"):
        for peer in ("annotation", "aci-hostagent"):
            if d in med and peer in med:
                print("  %-15s vs %-14s %6.1fx" % (d, peer, med[peer] / med[d]))
    print()
    print("Targets (issue 15):")
    ok = True
    for d in ("detection", "detection+rarp"):
        good = med[d] <= 1.5
        ok &= good
        print("  %-15s median <= 1500 ms from the move: %.0f ms  %s" % (d, med[d] * 1000, "MET" if good else "MISSED"))
        if "annotation" in med:
            ratio = med["annotation"] / med[d]
            good = ratio >= 15
            ok &= good
            print("  %-15s >= 15x faster than the annotation-driven flow: %.1fx  %s" % (
                d, ratio, "MET" if good else "MISSED"))
    print("All targets %s." % ("met" if ok else "NOT met"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
