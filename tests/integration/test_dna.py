#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Detecting network attachment (RFC 4436, issue 15) end to end: infradhcpd notices a
live migration by itself, without a carrier change and without the controller's
annotation, in the two-pod fabric of tests/integration/fabric.py (pod-1 10.0.0.0/16,
pod-2 10.1.0.0/16, real DHCP servers), with infradhcp-agent rewriting the opflex files.

Every scenario starts with the node bound in pod-2 and (where the agent runs) the
opflex files pointing at pod-2's anycast addresses. Then:

  move           the bridge port moves to pod-1, no annotation changes: the periodic
                 check finds pod-2's router silent, the INIT-REBOOT REQUEST is NAKed by
                 pod-1's (authoritative) server, DISCOVER: the node ends with exactly one
                 address, in 10.0.0.0/16, both opflex files rewritten, one
                 MigrationStarted and one MigrationSucceeded Event naming the detection;
                 the old address stays until the new one is there (never zero
                 addresses); the carrier never changed.
  controller-late  as move, then the controller's annotation arrives 25 s after the
                 move (node-aci-pod none, aci-pod none, then pod-1): no DHCP packet, no
                 address change, no further Event.
  intra-pod      a move inside pod-2 (same subnet and server, another leaf MAC): the
                 REQUEST for the current address is ACKed, the address kept, no
                 DISCOVER, the files untouched; the router's new MAC is learned.
  no-nak         pod-1 runs dnsmasq without --dhcp-authoritative: the REQUEST gets no
                 answer, DISCOVER after the reboot timeout, the node ends in pod-1.
  no-nak-isc     the same with isc-dhcp-server `not authoritative`.
  peer-down      ExtraPeers=.30 with 10.1.0.30 on pod-2's side, learned; then that
                 address goes away while the node stays: at most one confirmation,
                 ACKed, no DISCOVER, the address never changes.
  announce       periodic check off: after the move only the hypervisor's RARP
                 announcement is a hint; it alone moves the node (trigger "announce").
  link-change    periodic check off: after the move a link flag flips on the node's
                 interface without a carrier change (IFF_DYNAMIC, which changes nothing
                 else): that RTM_NEWLINK alone moves the node (trigger "link-change");
                 the capture's promiscuous mode before it is no hint.
  ctl-check      periodic check off: after the move `infradhcpctl check IF` moves the
                 node; its output names the outcome.
  off            [Attachment] Detect=no: the move changes nothing for 6 s; the
                 annotation (aci-pod none) still moves the node as before.

Usage (root): test_dna.py --daemon PATH --agent PATH [--ctl PATH] [--scenario NAME|all]
              [--controller-wait 25] [--keep-tmp]
"""

import argparse
import json
import os
import sys
import time

import fabric
import netns
from netns import check, log

SCENARIOS = ["move", "controller-late", "intra-pod", "no-nak", "no-nak-isc", "peer-down", "announce",
             "link-change", "ctl-check", "off"]


def daemon_config(topo, **attachment):
    keys = {"Detect": "yes"}
    keys.update({k: v for k, v in attachment.items() if v is not None})
    path = topo.path(topo.unique("conf") + ".conf")
    with open(path, "w") as f:
        f.write("[Attachment]\n" + "".join("%s=%s\n" % kv for kv in keys.items()))
    return path


class Scene:
    def __init__(self, topo, args, agent=True, servers=None, before_bind=None, **attachment):
        self.topo, self.args = topo, args
        self.fab = fabric.Fabric(topo, attached=("pod-2",), servers=servers)
        if before_bind:
            before_bind(self.fab)
        self.p1, self.p2 = self.fab.pod("pod-1"), self.fab.pod("pod-2")
        self.node = self.fab.node
        self.dhcpd = netns.InfraDhcpd(topo, self.node, fabric.INFRA_IF, args.daemon,
                                      config=daemon_config(topo, **attachment))
        self.dhcpd.start()
        self.old = self.dhcpd.wait_address(pred=self.p2.contains)
        log("node bound in pod-2: %s" % self.old)
        self.agent = self.kube = self.files = None
        if agent:
            self.kube = fabric.KubeStandIn(topo, self.node).start()
            self.kube.annotate(aci_pod=self.p2.annotation, node_aci_pod=self.p2.name)
            self.files = fabric.OpflexFiles(topo, self.kube.node_name, self.p2)
            config = fabric.host_agent_config(topo, self.files.dir, dhcp_delay=0)
            self.agent = fabric.Agent(topo, self.node, args.agent, self.kube, config, self.files.dir,
                                      self.dhcpd.runtime_dir)
            self.agent.start()
            self.agent.wait_seen(self.p2.annotation)
            check(self.files.points_to(self.p2), "agent start changed the files of a node in pod-2")
        if attachment.get("Detect", "yes") == "yes":
            self.wait_peers()
        self.cap = netns.Capture(topo, self.node, fabric.INFRA_IF, arp=True).start()
        self.mon = netns.AddressMonitor(topo, self.node).start()
        self.cc = self.fab.carrier_changes()

    @property
    def varlink(self):
        return os.path.join(self.dhcpd.runtime_dir, fabric.INFRA_IF, "io.infradhcp.Client")

    def status(self):
        reply = fabric.varlink_call(self.varlink, "io.infradhcp.Client.GetStatus")
        check("error" not in reply, "GetStatus failed: %r" % reply)
        return reply["parameters"]

    def attachment(self):
        return self.status().get("attachment", {})

    def wait_peers(self, n=1, timeout=10):
        """Until the daemon knows the MAC of n peers (learned after the bind)."""
        def look():
            a = self.attachment()
            return a if a.get("usablePeers", 0) >= n else None
        a = netns.wait_for(look, timeout, "%d usable attachment peer(s) in GetStatus" % n, interval=0.05)
        log("attachment peers: %s" % json.dumps(a.get("peers")))

    def ipv4(self):
        return self.fab.ipv4()

    def done_in(self, pod):
        a = self.ipv4()
        ok = len(a) == 1 and pod.contains(a[0][0])
        if self.files:
            ok = ok and self.files.points_to(pod)
        return ok

    def wait_done(self, pod, t0, timeout=15, what="the node"):
        try:
            netns.wait_for(lambda: self.done_in(pod), timeout, "one address in %s%s" % (
                pod.cidr, " and the opflex files rewritten" if self.files else ""), interval=0.005)
        except netns.CheckFailed as e:
            raise netns.CheckFailed("%s (now: addresses %s%s)" % (e, self.ipv4(), (
                ", peers %r, remote-ip %r" % (self.files.peer(), self.files.remote_ip())) if self.files else ""))
        dt = time.time() - t0
        log("%s ended in %s %.0f ms after the move: %s" % (what, pod.cidr, dt * 1000, self.ipv4()))
        return dt

    def client_packets_after(self, t):
        return [p for p in self.cap.packets() if p.from_client and p.time >= t]

    def check_make_before_break(self, t0):
        """From the move on, the interface never had zero IPv4 addresses."""
        have = {self.old}
        for t, kind, addr, _plen, ifn in self.mon.events(fabric.INFRA_IF):
            if t < t0:
                continue
            if kind == "add":
                have.add(addr)
            else:
                have.discard(addr)
                check(have, "the interface had no IPv4 address after %s was removed" % addr)

    def check_carrier(self):
        check(self.fab.carrier_changes() == self.cc, "the move changed the node's carrier")

    def check_events(self, old, new, timeout=10):
        def look():
            by = fabric.events_by_reason(self.kube.stored_events())
            return by if by.get("MigrationSucceeded") else None
        by = netns.wait_for(look, timeout, "a MigrationSucceeded Event")
        time.sleep(0.5)
        by = fabric.events_by_reason(self.kube.stored_events())
        for reason in ("MigrationStarted", "MigrationSucceeded"):
            check(len(by.get(reason, [])) == 1, "%d %s Events: %r" % (len(by.get(reason, [])), reason, by))
        msg = by["MigrationSucceeded"][0].get("message", "")
        check(old in msg and new in msg, "MigrationSucceeded %r does not name %s and %s" % (msg, old, new))
        check("detected" in by["MigrationStarted"][0].get("message", ""),
              "MigrationStarted does not say the move was detected: %r" % by["MigrationStarted"][0])
        check(not by.get("MigrationFailed"), "MigrationFailed: %r" % by.get("MigrationFailed"))
        log("Events: %r / %r" % (by["MigrationStarted"][0].get("message"), msg))
        return by

    def log_has(self, pattern, timeout=5):
        return self.dhcpd.proc.wait_log(pattern, timeout)


def moved_end_state(s, t0, pod):
    new = s.ipv4()[0][0]
    s.check_make_before_break(t0)
    s.check_carrier()
    if s.files:
        s.files.check_rewritten_for(pod)
    reqs = [p for p in s.client_packets_after(t0) if p.type == "REQUEST"]
    check(reqs and reqs[0].requested_ip == s.old and reqs[0].ciaddr == "0.0.0.0" and 54 not in reqs[0].options,
          "the first REQUEST after the move is not an INIT-REBOOT confirmation of %s: %r" % (s.old, reqs[:1]))
    st = s.attachment()
    last = st.get("lastCheck", {})
    check(last.get("outcome") in ("moved", "attached"), "lastCheck after the move: %r" % last)
    return new


def sc_move(topo, args):
    s = Scene(topo, args)
    t0 = time.time()
    s.fab.migrate("pod-2", "pod-1")
    s.wait_done(s.p1, t0)
    new = moved_end_state(s, t0, s.p1)
    pk = s.client_packets_after(t0)
    check(any(p.type == "DISCOVER" for p in pk), "no DISCOVER after the NAK: %r" % pk)
    s.log_has(r"EVENT=moved")
    s.log_has(r"[Aa]ttachment.*silent")
    s.check_events(s.old, new)
    return s, t0, new


def sc_controller_late(topo, args):
    s, t0, new = sc_move(topo, args)
    wait = args.controller_wait - (time.time() - t0)
    log("waiting %.1f s for the controller's annotation (%d s after the move)" % (max(wait, 0), args.controller_wait))
    time.sleep(max(wait, 0))
    t1 = time.time()
    n_events = len(s.kube.stored_events())
    s.kube.annotate(node_aci_pod="none")
    s.kube.annotate(aci_pod="none")
    time.sleep(2.0)
    s.kube.annotate(aci_pod=s.p1.annotation, node_aci_pod=s.p1.name)
    s.agent.wait_seen(s.p1.annotation)
    time.sleep(1.0)
    pk = s.client_packets_after(t1)
    check(not pk, "DHCP traffic after the late annotation: %r" % pk)
    check(s.ipv4() == [(new, 16)], "address changed after the late annotation: %s" % s.ipv4())
    check(len(s.kube.stored_events()) == n_events, "Events posted after the late annotation: %r" % (
        s.kube.stored_events()[n_events:]))
    ag = s.agent.status()
    check(ag.get("phase") == "Idle", "agent phase %r after the late annotation" % ag.get("phase"))
    s.files.check_rewritten_for(s.p1)


def sc_intra_pod(topo, args):
    s = Scene(topo, args)
    t0 = time.time()
    newmac = s.fab.move_within("pod-2")
    reqs = s.cap.wait(lambda pk: [p for p in pk if p.from_client and p.time >= t0 and p.type == "REQUEST"],
                      10, "the confirmation REQUEST")
    acks = s.cap.wait(lambda pk: [p for p in pk if not p.from_client and p.time >= t0 and p.type == "ACK"],
                      5, "its ACK")
    time.sleep(1.5)
    check(reqs[0].requested_ip == s.old and reqs[0].ciaddr == "0.0.0.0", "REQUEST %r" % reqs[0])
    check(acks[0].yiaddr == s.old, "ACK for %s, expected %s" % (acks[0].yiaddr, s.old))
    pk = s.client_packets_after(t0)
    check(not [p for p in pk if p.type == "DISCOVER"], "DISCOVER after a move inside the pod: %r" % pk)
    check(s.ipv4() == [(s.old, 16)], "address changed: %s" % s.ipv4())
    check(not [e for e in s.mon.events(fabric.INFRA_IF) if e[0] >= t0 and e[1] == "del"],
          "an address was removed: %r" % s.mon.events(fabric.INFRA_IF))
    check(s.files.points_to(s.p2), "files changed after a move inside the pod")
    s.log_has(r"EVENT=confirmed")

    def learned():
        peers = s.attachment().get("peers", [])
        return [p for p in peers if p.get("mac") == newmac]
    netns.wait_for(learned, 5, "the router's new MAC %s learned" % newmac, interval=0.1)
    check(s.attachment()["lastCheck"]["outcome"] in ("confirmed", "attached"), "lastCheck %r" % s.attachment())
    check(s.fab.carrier_changes() == s.cc, "carrier changed")


def no_nak(topo, args, kind):
    s = Scene(topo, args, servers={"pod-1": (kind, False)})
    t0 = time.time()
    s.fab.migrate("pod-2", "pod-1")
    s.wait_done(s.p1, t0, timeout=20)
    moved_end_state(s, t0, s.p1)
    pk = s.client_packets_after(t0)
    naks = [p for p in s.cap.packets() if not p.from_client and p.time >= t0 and p.type == "NAK"]
    check(not naks, "a NAK from a server that must not NAK: %r" % naks)
    disc = [p for p in pk if p.type == "DISCOVER"]
    check(disc, "no DISCOVER after the unanswered confirmation")
    req = [p for p in pk if p.type == "REQUEST"][0]
    check(disc[0].time - req.time >= 1.5, "DISCOVER %.3f s after the confirmation: before the reboot timeout" % (
        disc[0].time - req.time))
    s.log_has(r"EVENT=confirm-timeout")


def sc_no_nak(topo, args):
    no_nak(topo, args, "dnsmasq")


def sc_no_nak_isc(topo, args):
    no_nak(topo, args, "isc")


def sc_peer_down(topo, args):
    p2 = "10.1.0.30"
    s = ScenePeer(topo, args, p2)
    t0 = time.time()
    s.p2.ns.ip("addr", "del", "%s/16" % p2, "dev", "leaf0")
    log("peer %s removed on pod-2's side; the node stays" % p2)
    time.sleep(8)
    check(s.ipv4() == [(s.old, 16)], "address changed with a peer down: %s" % s.ipv4())
    pk = s.client_packets_after(t0)
    reqs = [p for p in pk if p.type == "REQUEST"]
    check(len(reqs) <= 2, "%d REQUESTs in 8 s with one peer down (rate limit / unresponsive peer): %r" % (
        len(reqs), reqs))
    check(not [p for p in pk if p.type == "DISCOVER"], "DISCOVER with a peer down: %r" % pk)
    # A confirmation ACKed re-adds the same address with new lifetimes (RTM_NEWADDR);
    # nothing else may happen.
    changes = [e for e in s.mon.events(fabric.INFRA_IF) if e[0] >= t0 and (e[1] == "del" or e[2] != s.old)]
    check(not changes, "address changes with a peer down: %r" % changes)
    st = s.attachment()
    peer = [p for p in st.get("peers", []) if p.get("address") == p2]
    check(peer and peer[0].get("unresponsive"), "peer %s not marked unresponsive: %r" % (p2, st.get("peers")))
    log("peer down: %d REQUEST(s), address kept, %s unresponsive" % (len(reqs), p2))


class ScenePeer(Scene):
    """Scene with the opflex anycast peer (.30 of pod-2) present before the bind, so it
    is learned with the router right after it."""

    def __init__(self, topo, args, peer):
        self.peer = peer
        Scene.__init__(self, topo, args, agent=False, ExtraPeers=".30", before_bind=lambda fab: fab.pod(
            "pod-2").ns.ip("addr", "add", "%s/16" % peer, "dev", "leaf0"))
        self.wait_peers(2)


def sc_announce(topo, args):
    s = Scene(topo, args, CheckIntervalSec="0")
    t0 = time.time()
    s.fab.migrate("pod-2", "pod-1")
    time.sleep(3)
    check(s.ipv4() == [(s.old, 16)], "the node moved without any hint: %s" % s.ipv4())
    t1 = s.fab.announce()
    s.wait_done(s.p1, t1)
    moved_end_state(s, t0, s.p1)
    s.log_has(r"announce")
    check(s.attachment()["lastCheck"].get("trigger") in ("announce", "retry"), "lastCheck %r" % s.attachment())


def sc_link_change(topo, args):
    s = Scene(topo, args, agent=False, CheckIntervalSec="0")
    s.fab.migrate("pod-2", "pod-1")
    time.sleep(3)
    check(s.ipv4() == [(s.old, 16)], "the node moved without any hint: %s" % s.ipv4())
    check(not s.attachment().get("lastCheck"), "a check before the link changed: %r" % s.attachment())
    t0 = time.time()
    s.node.ip("link", "set", "dev", fabric.INFRA_IF, "dynamic", "on")
    log("IFF_DYNAMIC set on %s (no carrier change)" % fabric.INFRA_IF)
    s.wait_done(s.p1, t0)
    moved_end_state(s, t0, s.p1)
    s.check_carrier()
    check(s.attachment()["lastCheck"].get("trigger") in ("link-change", "retry"), "lastCheck %r" % s.attachment())


def sc_ctl_check(topo, args):
    check(args.ctl, "--ctl is required for this scenario")
    s = Scene(topo, args, agent=False, CheckIntervalSec="0")
    s.fab.migrate("pod-2", "pod-1")
    time.sleep(1)
    check(s.ipv4() == [(s.old, 16)], "moved without a hint: %s" % s.ipv4())
    t0 = time.time()
    r = netns.run(s.node.argv([args.ctl, "--runtime-dir", s.dhcpd.runtime_dir, "check", fabric.INFRA_IF]))
    log("infradhcpctl check: %s" % r.stdout.strip())
    check(r.returncode == 0, "infradhcpctl check failed: %s %s" % (r.stdout, r.stderr))
    check("confirming" in r.stdout or "moved" in r.stdout, "infradhcpctl check output %r" % r.stdout)
    s.wait_done(s.p1, t0)
    st = json.loads(netns.run(s.node.argv([args.ctl, "--runtime-dir", s.dhcpd.runtime_dir, "--json", "status",
                                           fabric.INFRA_IF])).stdout)
    check(st["attachment"]["lastCheck"]["trigger"] == "command", "status %r" % st["attachment"])
    text = netns.run(s.node.argv([args.ctl, "--runtime-dir", s.dhcpd.runtime_dir, "status", fabric.INFRA_IF])).stdout
    check("Attachment:" in text, "text status lacks the attachment: %s" % text)
    log("infradhcpctl status: %s" % text)


def sc_off(topo, args):
    s = Scene(topo, args, Detect="no")
    check(s.attachment().get("enabled") is False, "attachment status %r" % s.attachment())
    t0 = time.time()
    s.fab.migrate("pod-2", "pod-1")
    time.sleep(6)
    check(s.ipv4() == [(s.old, 16)], "moved with detection off: %s" % s.ipv4())
    check(not [p for p in s.client_packets_after(t0) if p.type in ("REQUEST", "DISCOVER")], "DHCP traffic")
    s.kube.annotate(node_aci_pod="none")
    t1 = time.time()
    s.kube.annotate(aci_pod="none")
    s.wait_done(s.p1, t1, what="the annotation flow")
    s.files.check_rewritten_for(s.p1)


def run_scenario(name, topo, args):
    globals()["sc_" + name.replace("-", "_")](topo, args)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--daemon", required=True, help="infradhcpd")
    ap.add_argument("--agent", required=True, help="infradhcp-agent")
    ap.add_argument("--ctl", help="infradhcpctl (needed by ctl-check)")
    ap.add_argument("--scenario", default="all", choices=SCENARIOS + ["all"])
    ap.add_argument("--controller-wait", type=float, default=25.0,
                    help="seconds from the move to the controller's annotation (controller-late)")
    ap.add_argument("--keep-tmp", action="store_true")
    args = ap.parse_args()
    netns.require_root()
    return netns.run_scenarios("dna", SCENARIOS, run_scenario, args)


if __name__ == "__main__":
    sys.exit(main())
