#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The multipod migration flow end to end (issue 6): infradhcp-agent driving infradhcpd
on the node's infra interface, in a two-pod fabric (tests/integration/fabric.py) with
real dnsmasq servers, while this script plays the ACI controller with kubectl against
the API stand-in.

Every scenario starts the same way: the node sits in pod-2 (10.0.0.0/16 is pod-1,
10.1.0.0/16 pod-2), infradhcpd bound in 10.1.0.0/16, opflex files pointing at
10.1.0.30 / 10.1.0.32, annotations aci-pod=pod-2-10.1.0.0/16, node-aci-pod=pod-2; the
agent is started and has seen them. Then:

  happy        the VM moves to pod-1 (bridge port moved: no carrier change on the
               node), node-aci-pod → none, aci-pod → none: within dhcp-delay + 1 s of
               the aci-pod flip the interface has exactly one IPv4, in 10.0.0.0/16, and
               01-base.conf peers = [10.0.0.30:"8009"], 10-renderer.conf
               encap.vxlan.remote-ip = 10.0.0.32, every other field of both files
               unchanged (parsed JSON), modes unchanged, no temp file left; the old
               address is never requested again after the flip; the 224.0.0.0/4 route
               is there; exactly one MigrationStarted and one MigrationSucceeded Event
               (Normal, on the Node, old and new address in the message), no
               MigrationFailed; then aci-pod → pod-1-10.0.0.0/16 causes no DHCP traffic.
  old-pod      both pods' links on the bridge (pod-2 keeps answering): offers from
               10.1.0.0/16 reach the node and are refused (no REQUEST for them), the
               address ends in 10.0.0.0/16.
  duplicate    a squatter on the bridge owns 10.0.0.50, which pod-1 reserves for the
               node's MAC: the client DECLINEs it and binds another 10.0.0.0/16 address;
               the files follow that address.
  intra-pod    a fresh PlatformConfig-deleted event in platformconfig.notifications
               before aci-pod → none: no DHCP packet from the node after the flip, the
               address never changes; the agent has written platformconfig.subscriptions.
  kill-agent   dhcp-delay 3 s; SIGKILL of the agent once the old address is released
               (before the renew), restarted 0.5 s later: the flow completes (address,
               files, one MigrationSucceeded).
  restart-daemon  dhcp-delay 3 s, both pods reachable; SIGTERM to infradhcpd during
               the delay, started again (it knows nothing of the migration and may
               lease from pod-2 again): the agent reconciles, the flow completes in
               10.0.0.0/16 and stays there.
  api-down     dhcp-delay 2 s; the API stand-in is SIGKILLed as soon as the agent acts
               on the flip (the old address is released): address and files follow
               without it; restarted 3 s later, both Events arrive; the watch resumes
               (aci-pod → pod-1-10.0.0.0/16 is seen).
  disk-full    the agent's state directory and the opflex directory are small tmpfs
               mounts, filled up before the migration: the address moves (infradhcpd's
               state is elsewhere), the opflex files stay whole (each parses, still
               names pod-2, no temp file left), the journal stays in memory; each error
               is logged once across several retries and shown in status (lastError);
               once space returns the files follow pod-1 and the journal is saved
               ("saved again"), within the 10 s retry.
  reconnect    enable-opflex-agent-reconnect: reset.conf written once at agent start
               (mode 0644), once more after node-aci-pod → none, never again (also not
               for node-aci-pod → pod-1).

Usage (root): test_multipod.py --daemon PATH --agent PATH [--scenario NAME|all] [--keep-tmp]
"""

import argparse
import json
import subprocess
import shutil
import os
import signal
import sys
import time

import dhclient_leases as dl
import fabric
import promparse
import netns
from netns import check, log

SCENARIOS = ["happy", "old-pod", "duplicate", "intra-pod", "kill-agent", "restart-daemon",
             "api-down", "reconnect", "disk-full"]


class Scene:
    """The common starting point of every scenario (see the module comment)."""

    def __init__(self, topo, args, dhcp_delay=1, attached=("pod-2",), squatter=None, reserve=None,
                 reconnect=False):
        self.topo, self.args, self.delay = topo, args, dhcp_delay
        self.fab = fabric.Fabric(topo, attached=attached, squatter=squatter, reserve=reserve)
        self.p1, self.p2 = self.fab.pod("pod-1"), self.fab.pod("pod-2")
        self.node = self.fab.node
        self.kube = fabric.KubeStandIn(topo, self.node).start()
        self.kube.annotate(aci_pod=self.p2.annotation, node_aci_pod=self.p2.name)
        self.files = fabric.OpflexFiles(topo, self.kube.node_name, self.p2)
        # The annotation-driven flow: infradhcpd's own attachment detection (docs/dna.md,
        # tested by test_dna.py) would notice the move first.
        self.dhcpd = netns.InfraDhcpd(topo, self.node, fabric.INFRA_IF, args.daemon,
                                      config=fabric.annotation_only_config(topo))
        self.dhcpd.start()
        self.old = self.dhcpd.wait_address(pred=self.p2.contains)
        log("node bound in pod-2: %s" % self.old)
        self.config = fabric.host_agent_config(topo, self.files.dir, dhcp_delay=dhcp_delay,
                                               reconnect=reconnect)
        self.agent = fabric.Agent(topo, self.node, args.agent, self.kube, self.config,
                                  self.files.dir, self.dhcpd.runtime_dir)
        self.reset_watch = fabric.FileWatch(self.agent.reset_conf) if reconnect else None
        self.agent.start()
        self.agent.wait_seen(self.p2.annotation)
        # at start the files already match the address: nothing to change
        check(self.files.points_to(self.p2), "agent start changed the opflex files of a node "
              "already in pod-2: peers %r remote-ip %r" % (self.files.peer(), self.files.remote_ip()))
        self.cap = netns.Capture(topo, self.node, fabric.INFRA_IF).start()
        self.mon = netns.AddressMonitor(topo, self.node).start()

    def ipv4(self):
        return self.fab.ipv4()

    def flip_none(self):
        """The controller, 25 s after the old pod's opflexODev vanished: aci-pod none.
        Returns time.time() just before kubectl ran."""
        t = time.time()
        self.kube.annotate(aci_pod="none")
        return t

    def done_in(self, pod):
        """Exactly one IPv4, inside pod's pool, and both files pointing at pod."""
        a = self.ipv4()
        return len(a) == 1 and pod.contains(a[0][0]) and self.files.points_to(pod)

    def wait_done(self, pod, t_flip, timeout):
        try:
            netns.wait_for(lambda: self.done_in(pod), timeout,
                           "one address in %s and the opflex files rewritten" % pod.cidr, interval=0.01)
        except netns.CheckFailed as e:
            raise netns.CheckFailed("%s (now: addresses %s, peers %r, remote-ip %r)" % (
                e, self.ipv4(), self.files.peer(), self.files.remote_ip()))
        dt = time.time() - t_flip
        log("flow complete %.0f ms after the flip: %s, files -> %s / %s" % (
            dt * 1000, self.ipv4(), pod.peer, pod.remote_ip))
        return dt

    def wait_released(self, t_flip, timeout):
        """Waits until the old address is gone from the interface (the agent acted)."""
        netns.wait_for(lambda: all(a != self.old for a, _ in self.ipv4()), timeout,
                       "the old address %s to be released" % self.old, interval=0.005)
        log("old address released %.0f ms after the flip" % ((time.time() - t_flip) * 1000))

    def client_packets_after(self, t):
        return [p for p in self.cap.packets() if p.from_client and p.time >= t]

    def check_events(self, timeout=10, old=None, new=None):
        def look():
            by = fabric.events_by_reason(self.kube.stored_events())
            return by if by.get("MigrationStarted") and by.get("MigrationSucceeded") else None
        netns.wait_for(look, timeout, "MigrationStarted and MigrationSucceeded Events")
        time.sleep(0.5)  # a duplicate would come now
        evs = self.kube.events()  # through kubectl, as an operator sees them
        by = fabric.events_by_reason(evs)
        for reason in ("MigrationStarted", "MigrationSucceeded"):
            check(len(by.get(reason, [])) == 1, "%d %s Events, expected exactly 1: %s" % (
                len(by.get(reason, [])), reason, json.dumps(evs, indent=1)))
            e = by[reason][0]
            check(e.get("type") == "Normal", "%s Event type %r" % (reason, e.get("type")))
        check(not by.get("MigrationFailed"), "MigrationFailed Event: %r" % by.get("MigrationFailed"))
        msg = by["MigrationSucceeded"][0].get("message", "")
        for a in (old, new):
            if a:
                check(a in msg, "MigrationSucceeded message %r does not name %s" % (msg, a))
        log("Events: MigrationStarted %r; MigrationSucceeded %r" % (
            by["MigrationStarted"][0].get("message"), msg))

    def check_end_state(self, pod, t_flip, old_requests_allowed=False):
        a = self.ipv4()
        check(len(a) == 1 and pod.contains(a[0][0]), "addresses %s, expected exactly one in %s" % (a, pod.cidr))
        self.files.check_rewritten_for(pod)
        check(self.node.multicast_route(fabric.INFRA_IF) is not None, "224.0.0.0/4 route missing")
        reqs = [p for p in self.client_packets_after(t_flip)
                if p.type == "REQUEST" and self.p2.contains(p.requested_ip or p.ciaddr)]
        check(old_requests_allowed or not reqs, "old-pod address requested after the flip: %r" % reqs)
        self.check_dhclient_file(a[0][0])
        return a[0][0]

    def check_dhclient_file(self, new):
        """The lease exported in dhclient's format (issue 10): its newest block is the new
        pod's address and the ACI host agent's rule (latest expire) picks it; the old
        address's blocks end before it."""
        def look():
            try:
                with open(self.dhcpd.dhclient_lease_path) as f:
                    text = f.read()
            except FileNotFoundError:
                return None
            bs = [b for b in dl.blocks(text) if b.interface == fabric.INFRA_IF]
            return (text, bs) if bs and bs[-1].address == new else None
        text, bs = netns.wait_for(look, 5, "the dhclient lease file's newest block to be %s" % new)
        pick = dl.host_agent_pick(text, fabric.INFRA_IF)
        check(pick is not None and pick.index == bs[-1].index,
              "the host agent's rule picks %r, not the newest block (%s)" % (pick, new))
        old = [b for b in bs if b.address == self.old]
        check(old and all(b.expire is not None and b.expire < bs[-1].expire for b in old),
              "the old address's blocks (%r) must be there and end before the new one" % old)
        log("dhclient lease file: newest block %s, the host agent picks it" % new)

    def controller_confirms(self, pod):
        """The new pod's opflexODev connected: the controller writes the new pod. The
        address is already in it: no DHCP traffic may follow."""
        t = time.time()
        self.kube.annotate(aci_pod=pod.annotation, node_aci_pod=pod.name)
        self.agent.wait_seen(pod.annotation)
        time.sleep(1.0)
        pk = self.client_packets_after(t)
        check(not pk, "DHCP traffic after aci-pod=%s although the address is in it: %r" % (pod.annotation, pk))


def sc_happy(topo, args):
    s = Scene(topo, args, dhcp_delay=1)
    cc = s.fab.carrier_changes()
    s.fab.migrate("pod-2", "pod-1")
    s.kube.annotate(node_aci_pod="none")
    t = s.flip_none()
    dt = s.wait_done(s.p1, t, s.delay + 10)
    # Speed is bench/multipod.py's business; here only the order: the agent waits
    # dhcp-delay between the release and the DISCOVER, and the flow finishes
    # (wait_done's deadline, which logs the time).
    check(dt >= s.delay, "flow took %.3f s after the flip, less than dhcp-delay %d s" % (dt, s.delay))
    check(s.fab.carrier_changes() == cc, "the migration changed the node's carrier (%d -> %d)" % (
        cc, s.fab.carrier_changes()))
    new = s.check_end_state(s.p1, t)
    pk = s.client_packets_after(t)
    check(any(p.type == "DISCOVER" for p in pk), "no DISCOVER after the flip: %r" % pk)
    s.check_events(old=s.old, new=new)
    s.controller_confirms(s.p1)
    if args.ctl:
        check_ctl_agent(s, new)
    check_metrics(s)


def check_metrics(s):
    """The agent's /metrics after exactly one migration: strict parse (and promtool
    when Debian's prometheus package provides it), counters and histograms showing
    that one migration and its timeline, nothing else counted."""
    code, ctype, text = s.agent.metrics()
    check(code == 200 and ctype == "text/plain; version=0.0.4; charset=utf-8", "GET /metrics: %s %r" % (code, ctype))
    fams = promparse.parse(text)
    if shutil.which("promtool"):
        p = subprocess.run(["promtool", "check", "metrics"], input=text, text=True, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=30)
        check(p.returncode == 0, "promtool check metrics: %s" % p.stdout)
    check(all(n.startswith("infradhcp_") for n in fams), "metric names without the infradhcp_ prefix: %r" % [
        n for n in fams if not n.startswith("infradhcp_")])
    v = lambda name, **l: promparse.value(fams, name, **l)  # noqa: E731
    check(v("infradhcp_agent_migrations_total", result="succeeded") == 1, "migrations succeeded != 1:\n%s" % text)
    check(v("infradhcp_agent_migrations_total", result="superseded") == 0, "migrations superseded != 0")
    check(v("infradhcp_agent_release_and_renew_calls_total", result="succeeded") == 1 and sum(
        v("infradhcp_agent_release_and_renew_calls_total", result=r)
        for r in ("retries-exhausted", "busy", "unreachable", "failed")) == 0, "ReleaseAndRenew call counters")
    check(v("infradhcp_agent_phase", phase="Idle") == 1 and sum(
        val for _, _, val in fams["infradhcp_agent_phase"]["samples"]) == 1, "phase one-hot Idle")
    check(v("infradhcp_agent_aci_pod_info", pod=s.p1.annotation, interface=fabric.INFRA_IF) == 1, "aci_pod_info")
    check(v("infradhcp_agent_interface_addresses", interface=fabric.INFRA_IF) == 1, "one address")
    check(v("infradhcp_agent_migration_in_progress") == 0, "no migration in progress")
    check(v("infradhcp_agent_kube_events_posted_total") >= 2 and v("infradhcp_agent_kube_events_dropped_total") == 0,
          "Events posted (MigrationStarted, MigrationSucceeded), none dropped")
    check(time.time() - 60 < v("infradhcp_agent_kube_last_contact_timestamp_seconds") <= time.time() + 1,
          "last API contact within the last minute")
    check(v("infradhcp_agent_kube_relists_total") == 0, "no relist in a quiet run")
    # The histogram holds exactly the one migration, in the bucket its timeline says.
    st = json.loads(netns.run(s.node.argv([s.args.ctl, "--runtime-dir", s.dhcpd.runtime_dir, "--json",
                                           "agent"])).stdout)
    m = st["lastMigration"]
    dur = (m["finished"] - m["started"]) / 1e6
    h = "infradhcp_agent_migration_duration_seconds"
    check(v(h + "_count") == 1 and abs(v(h + "_sum") - dur) < 1e-3, "duration histogram count/sum %r/%r vs %.6f" % (
        v(h + "_count"), v(h + "_sum"), dur))
    for _, labels, val in fams[h]["samples"]:
        if "le" in labels:
            le = float(labels["le"])
            check(val == (1 if dur <= le else 0), "bucket le=%s holds %s (duration %.3f s)" % (labels["le"], val, dur))
    les = [float(l["le"]) for n, l, _ in fams[h]["samples"] if "le" in l]
    check(les[0] <= 0.05 and 60 <= les[-2] and les[-1] == float("inf"), "buckets resolve 50 ms to 60 s: %r" % les)
    ph = "infradhcp_agent_migration_phase_duration_seconds"
    spans = {"release": (m["started"], m["released"]), "lease": (m["released"], m["bound"]),
             "files": (m["bound"], m["filesWritten"])}
    for phase, (a, b) in spans.items():
        check(v(ph + "_count", phase=phase) == 1 and abs(v(ph + "_sum", phase=phase) - (b - a) / 1e6) < 1e-3,
              "phase %s histogram: one observation of %.6f s" % (phase, (b - a) / 1e6))
    log("metrics: migration %.3f s (release %.3f, lease %.3f, files %.3f), %d families, promtool %s" % (
        dur, *((b - a) / 1e6 for a, b in spans.values()), len(fams), "ok" if shutil.which("promtool") else "absent"))


def check_ctl_agent(s, new):
    """What an operator reads: `infradhcpctl agent` (JSON exact, and the text)."""
    base = [s.args.ctl, "--runtime-dir", s.dhcpd.runtime_dir]
    out = netns.run(s.node.argv(base + ["--json", "agent"])).stdout
    st = json.loads(out)
    log("infradhcpctl --json agent: %s" % out.strip())
    check(st.get("phase") == "Idle", "agent phase %r after the migration" % st.get("phase"))
    check(st.get("aciPod") == s.p1.annotation and st.get("interface") == fabric.INFRA_IF, "agent status %r" % st)
    check(st.get("addresses") == [a for a in st.get("addresses", []) if a.split("/")[0] == new] and
          len(st.get("addresses", [])) == 1, "agent addresses %r, expected only %s" % (st.get("addresses"), new))
    m = st.get("lastMigration") or {}
    check(m.get("result") == "succeeded" and m.get("kind") == "away", "last migration %r" % m)
    check(m.get("oldAddress", "").split("/")[0] == s.old and m.get("newAddress", "").split("/")[0] == new,
          "last migration addresses %r -> %r, expected %s -> %s" % (m.get("oldAddress"), m.get("newAddress"),
                                                                     s.old, new))
    for k in ("started", "released", "bound", "filesWritten", "finished"):
        check(isinstance(m.get(k), int), "last migration has no %s time: %r" % (k, m))
    check(m["started"] <= m["released"] <= m["bound"] <= m["filesWritten"] <= m["finished"],
          "timeline out of order: %r" % m)
    # Least privilege (docs/security.md): only CAP_NET_ADMIN, in status and in the kernel.
    check(st.get("capabilities") == ["cap_net_admin"], "agent capabilities %r" % st.get("capabilities"))
    with open("/proc/%d/status" % s.agent.proc.pid) as f:
        kst = dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)
    check(int(kst["CapEff"], 16) == 1 << 12 and int(kst["CapPrm"], 16) == 1 << 12 and
          int(kst["CapBnd"], 16) == 1 << 12 and kst["NoNewPrivs"] == "1",
          "agent CapEff %s CapPrm %s CapBnd %s NoNewPrivs %s, want CAP_NET_ADMIN only and no_new_privs" % (
              kst["CapEff"], kst["CapPrm"], kst["CapBnd"], kst["NoNewPrivs"]))
    text = netns.run(s.node.argv(base + ["agent"])).stdout
    check("infradhcp-agent" in text and "Idle" in text and new in text, "infradhcpctl agent says:\n%s" % text)
    # The DaemonSet's readiness probe (deploy/kubernetes/daemonset.yaml) on the real agent.
    ready = netns.run(s.node.argv(base + ["agent", "--ready"]), check=False)
    check(ready.returncode == 0 and ready.stdout.startswith("Idle: "),
          "infradhcpctl agent --ready: rc %d, %r" % (ready.returncode, ready.stdout))


def sc_old_pod(topo, args):
    s = Scene(topo, args, dhcp_delay=1)
    s.fab.attach("pod-1")  # pod-2's link stays: both pods answer
    check(sorted(s.fab.attached()) == ["pod-1", "pod-2"], "both pods attached: %s" % s.fab.attached())
    t = s.flip_none()
    s.wait_done(s.p1, t, s.delay + 15)
    s.check_end_state(s.p1, t)
    pk = [p for p in s.cap.packets() if p.time >= t]
    offers2 = [p for p in pk if p.type == "OFFER" and s.p2.contains(p.yiaddr)]
    check(offers2, "no offer from pod-2 reached the node after the flip: the scenario proved nothing: %r" % pk)
    log("%d offer(s) from pod-2 refused: %s" % (len(offers2), sorted({p.yiaddr for p in offers2})))
    s.check_events(old=s.old, new=s.ipv4()[0][0])


def sc_duplicate(topo, args):
    s = Scene(topo, args, dhcp_delay=1, squatter="10.0.0.50", reserve={"pod-1": "10.0.0.50"})
    s.fab.migrate("pod-2", "pod-1")
    t = s.flip_none()
    s.wait_done(s.p1, t, s.delay + 20)
    new = s.check_end_state(s.p1, t)
    check(new != "10.0.0.50", "bound the squatter's address")
    pk = s.client_packets_after(t)
    dec = [p for p in pk if p.type == "DECLINE" and p.requested_ip == "10.0.0.50"]
    check(dec, "no DECLINE for 10.0.0.50: %r" % pk)
    log("DECLINE of 10.0.0.50 sent, bound %s" % new)
    s.check_events(old=s.old, new=new)


def sc_intra_pod(topo, args):
    s = Scene(topo, args, dhcp_delay=1)
    sub = os.path.join(s.agent.events_dir, "platformconfig.subscriptions")
    check(os.path.exists(sub), "the agent did not subscribe (%s missing)" % sub)
    with open(sub) as f:
        j = json.load(f)
    check(j.get("subscriptions") == [{"type": "class", "state": "deleted", "subject": "PlatformConfig"}]
          and j.get("time-zone") == "UTC" and j.get("time-format") == "ISO8601" and j.get("uuid"),
          "platformconfig.subscriptions: %r" % j)
    fabric.write_platform_notification(s.agent.events_dir, age_s=2)
    t = s.flip_none()
    time.sleep(s.delay + 3)
    pk = s.client_packets_after(t)
    check(not pk, "DHCP traffic after an intra-pod move: %r" % pk)
    check([a for a, _ in s.ipv4()] == [s.old], "address changed: %s (was %s)" % (s.ipv4(), s.old))
    ev = [e for e in s.mon.events(fabric.INFRA_IF) if e[0] >= t]
    check(not ev, "address events after the flip: %r" % ev)
    check(s.files.points_to(s.p2), "opflex files changed")
    check(not fabric.events_by_reason(s.kube.stored_events()).get("MigrationStarted"),
          "a migration was started")
    log("intra-pod move: no DHCP traffic, %s kept" % s.old)
    s.controller_confirms(s.p2)


def sc_kill_agent(topo, args):
    s = Scene(topo, args, dhcp_delay=3)
    s.fab.migrate("pod-2", "pod-1")
    t = s.flip_none()
    s.wait_released(t, 3)
    s.agent.kill(signal.SIGKILL)
    check(not s.ipv4(), "address present during the delay: %s" % s.ipv4())
    time.sleep(0.5)
    s.agent.start()
    s.wait_done(s.p1, t, s.delay + 15)
    new = s.check_end_state(s.p1, t)
    s.check_events(old=s.old, new=new)
    s.controller_confirms(s.p1)


def sc_restart_daemon(topo, args):
    s = Scene(topo, args, dhcp_delay=3)
    s.fab.attach("pod-1")  # both reachable: a plain restart could land in pod-2 again
    t = s.flip_none()
    s.wait_released(t, 3)
    s.dhcpd.stop()
    time.sleep(0.3)
    s.dhcpd.start()
    log("infradhcpd restarted")
    s.wait_done(s.p1, t, s.delay + 30)
    # With pod-2 still answering, the restarted daemon must not lease from it again:
    # the offer policy of the migration (refuse 10.1.0.0/16) survives the restart.
    s.dhcpd.proc.wait_log(r"Offer policy of the previous run kept: refusing 1 subnet", 2)
    s.check_end_state(s.p1, t)
    relapse = [e for e in s.mon.added(fabric.INFRA_IF) if e[0] > t and s.p2.contains(e[2])]
    check(not relapse, "old-pod address configured again after the flip: %r" % relapse)
    time.sleep(2)  # it stays there
    check(s.done_in(s.p1), "did not stay in pod-1: %s" % s.ipv4())
    s.check_events(new=s.ipv4()[0][0])


def sc_api_down(topo, args):
    s = Scene(topo, args, dhcp_delay=2)
    s.fab.migrate("pod-2", "pod-1")
    t = s.flip_none()
    s.wait_released(t, 3)
    s.kube.kill()
    t_down = time.time()
    s.wait_done(s.p1, t, s.delay + 10)
    new = s.check_end_state(s.p1, t)
    time.sleep(max(0, 3 - (time.time() - t_down)))
    s.kube.start()
    log("API stand-in back")
    s.check_events(timeout=20, old=s.old, new=new)
    s.controller_confirms(s.p1)


def sc_reconnect(topo, args):
    s = Scene(topo, args, dhcp_delay=1, reconnect=True)
    w = s.reset_watch
    w.wait_count(1, 5)
    time.sleep(1)
    check(w.poll() == 1, "reset.conf written %d times at start, expected once" % w.poll())
    st = os.stat(s.agent.reset_conf)
    check(st.st_mode & 0o777 == 0o644, "reset.conf mode %o" % (st.st_mode & 0o777))
    with open(s.agent.reset_conf) as f:
        first = f.read()
    t = time.time()
    s.kube.annotate(node_aci_pod="none")
    w.wait_count(2, 3)
    log("reset.conf rewritten %.0f ms after node-aci-pod=none" % ((w.writes[1] - t) * 1000))
    with open(s.agent.reset_conf) as f:
        second = f.read()
    check(second != first, "reset.conf content unchanged: %r" % second)
    time.sleep(2)
    s.kube.annotate(node_aci_pod="pod-1")
    time.sleep(1.5)
    check(w.poll() == 2, "reset.conf written %d times, expected 2 (start, node-aci-pod=none)" % w.poll())
    check(not s.client_packets_after(t), "DHCP traffic without an aci-pod change")


def fill(d):
    """Fills the file system of d with one file; returns its path."""
    path = os.path.join(d, "filler")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        while os.write(fd, b"\0" * 4096) > 0:
            pass
    except OSError:
        pass
    finally:
        os.close(fd)
    return path


def sc_disk_full(topo, args):
    mounts = []
    try:
        for name in ("agent-state", "base-conf.d"):
            d = topo.mkdir(name)
            netns.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0755", "tmpfs-infradhcp-test", d])
            mounts.append(d)
        s = Scene(topo, args, dhcp_delay=1)
        journal = os.path.join(s.agent.state_dir, "agent.json")
        before = open(journal).read() if os.path.exists(journal) else ""
        fillers = [fill(d) for d in mounts]
        mark = len(s.agent.proc.text())
        s.fab.migrate("pod-2", "pod-1")
        s.kube.annotate(node_aci_pod="none")
        s.flip_none()
        netns.wait_for(lambda: (lambda a: len(a) == 1 and s.p1.contains(a[0][0]))(s.ipv4()), s.delay + 15,
                       "the address to move to pod-1")
        s.agent.proc.wait_log(r"Cannot update the opflex files", 10, mark)
        s.agent.proc.wait_log(r"Cannot save the journal .*No space left on device", 10, mark)
        st = s.agent.status()
        check(st and ("opflex files" in st.get("lastError", "") or "journal" in st.get("lastError", "")),
              "status lastError %r does not name the failure" % (st or {}).get("lastError"))
        time.sleep(12)  # at least one retry of each (every 10 s)
        text = s.agent.proc.text()[mark:]
        nj, no = text.count("Cannot save the journal"), text.count("Cannot update the opflex files")
        check(nj == 1 and no == 1, "while the disk was full: %d journal and %d opflex error lines, want 1 each" % (
            nj, no))
        check(s.files.points_to(s.p2), "opflex files changed although the disk is full: peers %r" % s.files.peer())
        for name in (fabric.OpflexFiles.BASE, fabric.OpflexFiles.RENDERER):
            check(s.files.read(name) is not None, "%s is not whole JSON while the disk is full" % name)
        for d in mounts:
            left = [n for n in os.listdir(d) if n.startswith(".#")]
            check(not left, "temp files left in %s: %s" % (d, left))
        check((open(journal).read() if os.path.exists(journal) else "") == before,
              "the journal file changed although the disk is full")
        for f in fillers:
            os.unlink(f)
        t = time.time()
        netns.wait_for(lambda: s.files.points_to(s.p1), 15, "the opflex files to follow pod-1 once space returned")
        s.agent.proc.wait_log(r"Journal \S+ saved again after \d+ failed attempt", 15, mark)
        log("space returned: files and journal written %.1f s later" % (time.time() - t))
        after = open(journal).read()
        check(after != before and s.ipv4()[0][0] in after, "the journal does not hold the new address: %s" % after)
        s.files.check_rewritten_for(s.p1)
    finally:
        for d in mounts:
            subprocess.run(["umount", "-l", d], check=False)


RUN = {"happy": sc_happy, "old-pod": sc_old_pod, "duplicate": sc_duplicate,
       "intra-pod": sc_intra_pod, "kill-agent": sc_kill_agent, "restart-daemon": sc_restart_daemon,
       "api-down": sc_api_down, "reconnect": sc_reconnect, "disk-full": sc_disk_full}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--daemon", required=True, help="infradhcpd")
    ap.add_argument("--agent", required=True, help="infradhcp-agent")
    ap.add_argument("--ctl", help="infradhcpctl (checks `infradhcpctl agent` in the happy path)")
    ap.add_argument("--scenario", default="all", choices=SCENARIOS + ["all"])
    ap.add_argument("--keep-tmp", action="store_true")
    args = ap.parse_args()
    netns.require_root()
    return netns.run_scenarios("mp", SCENARIOS, lambda name, topo, args: RUN[name](topo, args), args)


if __name__ == "__main__":
    sys.exit(main())
