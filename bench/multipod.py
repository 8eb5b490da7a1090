#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Benchmark of the multipod migration (issue 6): from the controller's annotation flip
(aci-pod -> none) to the node having its new address AND both opflex files
(01-base.conf peers, 10-renderer.conf remote-ip) rewritten for the new pod.

What it measures, in one run, in the two-pod fabric of tests/integration/fabric.py:
  * infradhcp: infradhcpd + infradhcp-agent, --runs migrations at dhcp-delay 0 and at
    dhcp-delay 5 (alternately pod-2 -> pod-1 and back: each is a full migration);
  * today's flow: bench/aci-hostagent-repro.py (the ACI host agent's sequence with the
    real dhclient, link bounce, 1 s polls and the 30 s config ticker), the same
    migrations at dhcp-delay 0 (--repro-runs) and 5 (--repro-runs-5). The ticker's
    phase relative to a migration is random in production; each repro run is started
    with a phase drawn uniformly from [0, 30) s (seeded), so the median is that of the
    real distribution, not of a lucky or unlucky fixed phase.
The flip is written through the stand-in's admin endpoint (one local HTTP request, the
time taken just before it), so kubectl's start-up is not counted. Completion is polled
every millisecond.

Targets (issue 6): infradhcp median <= dhcp-delay + 300 ms; at dhcp-delay 0,
infradhcp >= 10x faster than the reproduction.

Usage (root): bench/multipod.py [--daemon PATH] [--agent PATH] [--runs 10]
              [--repro-runs 10] [--repro-runs-5 5] [--keep-tmp]
Not a test: prints the figures and whether the targets hold (exit 0 either way,
1 on a harness failure).
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
from netns import check, log  # noqa: E402

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

    def migrate_once(self, timeout, seen):
        """One migration cur -> other; returns (total s, address s)."""
        dst = self.other()
        self.fab.migrate(self.cur.name, dst.name)
        t0 = self.kube.annotate_fast(aci_pod="none")
        t_addr = None
        deadline = time.monotonic() + timeout
        while True:
            a = self.fab.ipv4()
            now = time.time()
            if t_addr is None and len(a) == 1 and dst.contains(a[0][0]):
                t_addr = now
            if t_addr is not None and self.files.points_to(dst):
                break
            if time.monotonic() > deadline:
                raise netns.CheckFailed("migration to %s not done after %d s: %s, peers %r, remote-ip %r" % (
                    dst.name, timeout, a, self.files.peer(), self.files.remote_ip()))
            time.sleep(0.001)
        total = now - t0
        # the controller sees the new pod's device connect
        self.kube.annotate_fast(aci_pod=dst.annotation, node_aci_pod=dst.name)
        self.cur = dst
        seen(dst.annotation)
        return total, t_addr - t0

    def record(self, key, total, addr):
        self.results.setdefault(key, []).append((total, addr))
        log("%-22s run %2d: %7.0f ms (address after %.0f ms)" % (key, len(self.results[key]),
                                                                 total * 1000, addr * 1000))

    # --- infradhcp ------------------------------------------------------------------
    def run_infradhcp(self):
        a = self.args
        node = self.fab.node
        # The annotation-driven flow alone (bench/dna.py measures attachment detection).
        dhcpd = netns.InfraDhcpd(self.topo, node, fabric.INFRA_IF, a.daemon,
                                 config=fabric.annotation_only_config(self.topo)).start()
        dhcpd.wait_address(pred=self.cur.contains)
        for delay in (0, 5):
            cfg = fabric.host_agent_config(self.topo, self.files.dir, dhcp_delay=delay)
            agent = fabric.Agent(self.topo, node, a.agent, self.kube, cfg, self.files.dir, dhcpd.runtime_dir)
            agent.start()
            agent.wait_seen(self.cur.annotation)
            netns.wait_for(lambda: self.done_in(self.cur), 10, "agent settled")
            key = "infradhcp delay %d" % delay
            for _ in range(a.runs):
                total, addr = self.migrate_once(delay + 30, lambda v: agent.wait_seen(v))
                self.record(key, total, addr)
                time.sleep(0.2)
            agent.kill(signal.SIGTERM)
        dhcpd.stop()

    # --- today's host agent -------------------------------------------------------------
    def run_repro(self):
        a = self.args
        node = self.fab.node
        node.flush_addresses(fabric.INFRA_IF)
        ddir = self.topo.mkdir("dhclient")
        with open(os.path.join(ddir, "dhclient.conf"), "w") as f:
            f.write("send dhcp-client-identifier = hardware;\ntimeout 30;\n")
        # the node's DHCP client as it runs before any migration (daemon after bind)
        node.run(["dhclient", "-v", "-cf", os.path.join(ddir, "dhclient.conf"),
                  "-lf", os.path.join(ddir, "dhclient.leases"), "-pf", os.path.join(ddir, "dhclient.pid"),
                  "-sf", "/sbin/dhclient-script", fabric.INFRA_IF], timeout=60)
        netns.wait_for(lambda: any(self.cur.contains(x) for x, _ in self.fab.ipv4()), 20, "dhclient lease")
        rnd = random.Random(a.seed)
        for delay, runs in ((0, a.repro_runs), (5, a.repro_runs_5)):
            cfg = fabric.host_agent_config(self.topo, self.files.dir, dhcp_delay=delay)
            key = "aci-hostagent delay %d" % delay
            for _ in range(runs):
                netns.wait_for(lambda: self.done_in(self.cur), 40, "repro settled before the run")
                phase = rnd.uniform(0, 30)
                p = node.spawn("aci-hostagent-repro", [
                    "/usr/bin/python3", REPRO, "--node", self.kube.node_name, "--kubeconfig",
                    self.kube.kubectl_config, "--interface", fabric.INFRA_IF, "--host-agent-config", cfg,
                    "--opflex-config-path", self.files.dir, "--dhclient-dir", ddir,
                    "--ticker-phase", "%.3f" % phase])
                p.wait_log(r"ip already from same subnet", 20)
                start = len(p.text())

                def seen(v, p=p, start=start):
                    p.wait_log(r"aci-pod 'none' -> '%s'" % v.replace(".", r"\."), 10, start)
                try:
                    total, addr = self.migrate_once(60, seen)
                    self.record(key, total, addr)
                except netns.CheckFailed as e:
                    # Today's flow gives up after its retries and never tries again: the
                    # node stays without a (right) address. Counted as a failed run
                    # (infinitely long for the median); the node is then repaired by
                    # hand, as an operator would, for the next run.
                    log("%s: run FAILED: %s\n--- repro:\n%s\n--- dnsmasq %s:\n%s" % (
                        key, e, p.tail(30), self.other().name, self.other().server.proc.tail(15)))
                    self.results.setdefault(key, []).append((float("inf"), float("inf")))
                    dst = self.other()
                    p.stop()
                    node.run(["dhclient", "-x", "-pf", os.path.join(ddir, "dhclient.pid")], check=False)
                    node.flush_addresses(fabric.INFRA_IF)
                    node.run(["dhclient", "-v", "-cf", os.path.join(ddir, "dhclient.conf"),
                              "-lf", os.path.join(ddir, "dhclient.leases"),
                              "-pf", os.path.join(ddir, "dhclient.pid"),
                              "-sf", "/sbin/dhclient-script", fabric.INFRA_IF], timeout=60, check=False)
                    self.files.reset(dst)
                    self.kube.annotate_fast(aci_pod=dst.annotation, node_aci_pod=dst.name)
                    self.cur = dst
                    continue
                p.stop()
        pid = os.path.join(ddir, "dhclient.pid")
        node.run(["dhclient", "-x", "-pf", pid, "-lf", os.path.join(ddir, "dhclient.leases"),
                  "-cf", os.path.join(ddir, "dhclient.conf"), fabric.INFRA_IF], check=False)


def stats(xs):
    xs = sorted(xs)
    return statistics.median(xs), xs[0], xs[-1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--daemon", default=os.path.join(ROOT, "build", "src", "dhcp4", "infradhcpd"))
    ap.add_argument("--agent", help="infradhcp-agent (default: next to --daemon)")
    ap.add_argument("--runs", type=int, default=10, help="infradhcp migrations per dhcp-delay")
    ap.add_argument("--repro-runs", type=int, default=10, help="reproduction runs at dhcp-delay 0")
    ap.add_argument("--repro-runs-5", type=int, default=5, help="reproduction runs at dhcp-delay 5")
    ap.add_argument("--seed", type=int, default=6, help="seed of the ticker phases")
    ap.add_argument("--keep-tmp", action="store_true")
    args = ap.parse_args()
    netns.require_root()
    args.agent = args.agent or fabric.find_agent(args.daemon)
    have_agent = bool(args.agent) and os.access(args.daemon, os.X_OK)
    t_start = time.monotonic()
    with netns.Topology("bm", keep_tmp=args.keep_tmp) as topo:
        b = Bench(topo, args)
        if have_agent:
            b.run_infradhcp()
        else:
            log("no infradhcp-agent next to %s: measuring the reproduction only" % args.daemon)
        if args.repro_runs or args.repro_runs_5:
            b.run_repro()
    r = b.results
    print()
    print("Multipod migration: aci-pod flip -> new address and both opflex files rewritten")
    print("(fabric: two dnsmasq pods, bridge port moved, no carrier change; %.0f s of benchmark)" % (
        time.monotonic() - t_start))
    print("%-24s %5s %12s %12s %12s %14s" % ("", "runs", "median ms", "min ms", "max ms", "address ms (med)"))
    med = {}
    for key in ("infradhcp delay 0", "infradhcp delay 5", "aci-hostagent delay 0", "aci-hostagent delay 5"):
        if key not in r:
            continue
        m, lo, hi = stats([t for t, _ in r[key]])
        ma = statistics.median([x for _, x in r[key]])
        med[key] = m
        nfail = sum(1 for t, _ in r[key] if t == float("inf"))
        print("%-24s %5d %12.0f %12.0f %12.0f %14.0f%s" % (
            key, len(r[key]), m * 1000, lo * 1000, hi * 1000, ma * 1000,
            "   (%d FAILED: no address in the new pool, never retried; counted as infinite)" % nfail if nfail else ""))
    print("aci-hostagent runs: each with a 30 s config ticker of random phase (seed %d)" % args.seed)
    print()
    print("Targets (issue 6):")
    ok = True
    for d in (0, 5):
        k = "infradhcp delay %d" % d
        if k in med:
            good = med[k] <= d + 0.300
            ok &= good
            print("  median at dhcp-delay %d <= %d ms: %.0f ms  %s" % (d, d * 1000 + 300, med[k] * 1000,
                                                                   "MET" if good else "MISSED"))
    if "infradhcp delay 0" in med and "aci-hostagent delay 0" in med:
        ratio = med["aci-hostagent delay 0"] / med["infradhcp delay 0"]
        good = ratio >= 10
        ok &= good
        print("  >= 10x faster than today's flow at dhcp-delay 0: %.1fx  %s" % (ratio, "MET" if good else "MISSED"))
    if "infradhcp delay 5" in med and "aci-hostagent delay 5" in med:
        print("  (at dhcp-delay 5: %.1fx)" % (med["aci-hostagent delay 5"] / med["infradhcp delay 5"]))
    if not any(k.startswith("infradhcp") for k in med):
        print("  no infradhcp figures (no agent): targets not evaluated")
    else:
        print("All targets %s." % ("met" if ok else "NOT met"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
