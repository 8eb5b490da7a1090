#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""infradhcpd's Prometheus metrics (docs/metrics.md) end to end: varlink GetMetrics,
`infradhcpctl metrics` and the [Metrics] TextfilePath= file.

  wire      the two-pod fabric (fabric.py), node in pod-1; a capture of DHCP and ARP on
            the node's interface from before the daemon starts. Lease, `infradhcpctl
            renew`, a move to pod-2 that attachment detection notices by itself (the
            confirmation NAKed by pod-2, DISCOVER), then a migration back as the agent
            drives it: ReleaseAndRenew (delay 1.5 s, pod-2 refused, pod-1 required),
            the VM moved during the delay so pod-2 sees the RELEASE. Then the counters
            equal what the capture saw: each DHCP message type sent and received, ARP
            probes and announcements of our MAC (1 RELEASE, 4 ACKs, 1 NAK, 9 probes),
            and the 3 address changes the kernel reported (ip monitor); attachment:
            one `confirming`, one `moved`, periodic checks only; the state is BOUND
            one-hot, the lease timestamps are GetStatus's. Every exposition
            (GetMetrics, `infradhcpctl metrics`, `metrics IF`) parses with the strict
            parser (promparse.py) and `promtool check metrics`.
  textfile  two infradhcpd on one segment (one dnsmasq), one runtime directory, each
            with TextfilePath= in a small tmpfs. The files appear by rename only (no
            write to the final name is ever seen by inotify, a reader polling them
            never gets a partial exposition), and follow a renew within the bound. 2000
            junk datagrams from port 67 and 1000 from another port to the bound address:
            rejected{reason="too-short"} and dropped{reason="wrong-port"} count exactly
            those, the file is rewritten at most once a second meanwhile; idle, the
            periodic attachment checks do not rewrite it before the minute is up. The
            tmpfs filled up: the file keeps its last complete version, one warning over
            several retries; space back: written again (logged once). `infradhcpctl
            metrics` without IF merges both daemons into one exposition (each HELP and
            TYPE once, both interfaces' series; strict parser and promtool), `--json`
            gives the replies. SIGTERM: the file ends in state STOPPED.

Usage (root): test_metrics.py --daemon PATH --ctl PATH [--scenario wire|textfile|all] [--keep-tmp]
"""

import argparse
import collections
import json
import os
import shutil
import struct
import subprocess
import sys
import threading
import time

import fabric
import netns
import promparse
from netns import check, log

SCENARIOS = ["wire", "textfile"]


def promtool(text, what):
    """`promtool check metrics` (Debian's prometheus package, scripts/install-deps)."""
    if not shutil.which("promtool"):
        raise netns.HarnessError("promtool is missing (apt-get install prometheus)")
    p = subprocess.run(["promtool", "check", "metrics"], input=text, text=True, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=30)
    check(p.returncode == 0, "promtool check metrics on %s: %s\n%s" % (what, p.stdout, text))


def parse(text, what):
    try:
        fams = promparse.parse(text)
    except ValueError as e:
        raise netns.CheckFailed("%s does not parse strictly: %s\n%s" % (what, e, text))
    promtool(text, what)
    return fams


def value(fams, name, **labels):
    return promparse.value(fams, name, **labels)


def get_metrics(dhcpd):
    path = os.path.join(dhcpd.runtime_dir, dhcpd.ifname, "io.infradhcp.Client")
    r = fabric.varlink_call(path, "io.infradhcp.Client.GetMetrics")
    check("error" not in r, "GetMetrics: %r" % r)
    p = r["parameters"]
    check(p.get("interface") == dhcpd.ifname and isinstance(p.get("text"), str), "GetMetrics reply %r" % p)
    return p["text"]


def ctl(args, runtime_dir, *argv, check_rc=True):
    p = subprocess.run([args.ctl, "--runtime-dir", runtime_dir] + list(argv), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=60)
    if check_rc:
        check(p.returncode == 0, "infradhcpctl %s: exit %d: %s" % (" ".join(argv), p.returncode, p.stderr))
    return p


def steady(text):
    """text without the attachment families: the periodic attachment check (every 1.5 s)
    moves them between two reads, and the textfile writes them at most once a minute."""
    return "".join(line for line in text.splitlines(True) if "infradhcp_attachment_" not in line)


def check_state(fams, ifname, state):
    for s in fams["infradhcp_dhcp_state"]["samples"]:
        if s[1]["interface"] != ifname:
            continue
        want = 1 if s[1]["state"] == state else 0
        check(s[2] == want, "infradhcp_dhcp_state%r = %r, want %d" % (s[1], s[2], want))


# --------------------------------------------------------------------------------------
# wire: the counters against a capture


def sc_wire(topo, args):
    fab = fabric.Fabric(topo, attached=("pod-1",))
    p1, p2 = fab.pod("pod-1"), fab.pod("pod-2")
    path = os.path.join(topo.mkdir("wire-conf"), "infradhcpd.conf")
    with open(path, "w") as f:
        # After the move that attachment detection notices, ReleaseAndRenew takes the
        # node straight back: the old subnet must not stay refused meanwhile.
        f.write("[Attachment]\nRefuseOldSubnetSec=0\n")
    cap = netns.Capture(topo, fab.node, fabric.INFRA_IF, arp=True).start()
    mon = netns.AddressMonitor(topo, fab.node).start()
    dhcpd = netns.InfraDhcpd(topo, fab.node, fabric.INFRA_IF, args.daemon, config=path)
    sock = os.path.join(dhcpd.runtime_dir, fabric.INFRA_IF, "io.infradhcp.Client")
    dhcpd.start()
    first = dhcpd.wait_address(pred=p1.contains)
    log("1. bound in pod-1: %s" % first)

    # 2. renew: one unicast REQUEST, one ACK
    mark = len(dhcpd.proc.text())
    ctl(args, dhcpd.runtime_dir, "renew", fabric.INFRA_IF)
    dhcpd.proc.wait_log(r"State RENEWING -> BOUND", 15, mark)
    log("2. renewed")

    # 3. the VM moves to pod-2 and nobody tells the daemon: its periodic attachment
    # check finds the router silent, the confirmation is NAKed by pod-2, DISCOVER
    fab.migrate("pod-1", "pod-2")
    second = dhcpd.wait_address(timeout=20, pred=p2.contains)
    log("3. attachment detection moved the node to pod-2: %s" % second)

    # 4. the migration back, as the agent drives it: release while pod-2 is reachable,
    # move, renew requiring pod-1
    result = {}

    def rar():
        result["reply"] = fabric.varlink_call(
            sock, "io.infradhcp.Client.ReleaseAndRenew",
            {"delayMs": 1500, "refuseSubnets": [p2.cidr], "requireSubnet": p1.cidr}, timeout=60)

    th = threading.Thread(target=rar)
    th.start()
    cap.wait(lambda ps: any(p.type == "RELEASE" for p in ps), 10, "the RELEASE on the wire")
    fab.migrate("pod-2", "pod-1")
    th.join(60)
    check("error" not in result.get("reply", {"error": "no reply"}), "ReleaseAndRenew: %r" % result)
    third = result["reply"]["parameters"]["address"]
    check(p1.contains(third), "ReleaseAndRenew bound %s, not in pod-1" % third)
    t_bound = time.time()
    log("4. ReleaseAndRenew moved the node back to pod-1: %s" % third)

    # ACD announces each new address twice, 2 s apart (datacenter profile): wait for the
    # second announcement of the last one, then for the counters to settle.
    mac = fabric.NODE_MAC

    def ours(a):
        return a.sha == mac and a.eth_src == mac

    cap.wait_arp(lambda ps: sum(1 for p in ps if p.kind == "announce" and p.spa == third and ours(p) and
                                p.time >= t_bound - 1) >= 2, 15, "both announcements of %s" % third)

    def from_capture():
        want = collections.Counter()
        for p in cap.packets():
            if p.chaddr != mac:
                continue
            key = ("sent" if p.from_client else "received", p.type)
            want[key] += 1
        for a in cap.arp_packets():
            if ours(a):
                want[("arp", a.kind)] += 1
        return want

    names = {("sent", "DISCOVER"): "infradhcp_dhcp_discovers_sent_total",
             ("sent", "REQUEST"): "infradhcp_dhcp_requests_sent_total",
             ("sent", "RELEASE"): "infradhcp_dhcp_releases_sent_total",
             ("sent", "DECLINE"): "infradhcp_dhcp_declines_sent_total",
             ("received", "OFFER"): "infradhcp_dhcp_offers_received_total",
             ("received", "ACK"): "infradhcp_dhcp_acks_received_total",
             ("received", "NAK"): "infradhcp_dhcp_naks_received_total",
             ("arp", "probe"): "infradhcp_acd_probes_sent_total",
             ("arp", "announce"): "infradhcp_acd_announcements_sent_total"}

    def compare():
        fams = promparse.parse(get_metrics(dhcpd))
        want = from_capture()
        diff = {}
        for key, name in names.items():
            got = value(fams, name, interface=fabric.INFRA_IF)
            if got != want.get(key, 0):
                diff[name] = (got, want.get(key, 0))
        return fams, want, diff

    try:
        netns.wait_for(lambda: not compare()[2], 10, "the counters to equal the capture", interval=0.2)
    except netns.CheckFailed:
        fams, want, diff = compare()
        netns.dump_packets(cap.packets())
        raise netns.CheckFailed("counters differ from the capture (metric: (counter, capture)): %r" % diff)
    text = get_metrics(dhcpd)
    fams = parse(text, "GetMetrics")
    want = from_capture()
    ifl = {"interface": fabric.INFRA_IF}

    # what happened, in numbers the protocol fixes (the capture agrees, above)
    check(want[("sent", "RELEASE")] == 1 and want[("sent", "DECLINE")] == 0, "capture: %r" % want)
    check(want[("received", "ACK")] == 4 and want[("received", "NAK")] == 1,
          "four ACKs (bind, renew, bind in pod-2, bind back in pod-1) and pod-2's NAK of the confirmation, "
          "capture: %r" % want)
    check(want[("sent", "REQUEST")] >= 5 and want[("sent", "DISCOVER")] >= 3, "capture: %r" % want)
    # ACD, datacenter profile: 3 probes per bind, then 2 announcements 2 s apart (an
    # address left sooner got one)
    check(want[("arp", "probe")] == 9 and 4 <= want[("arp", "announce")] <= 6,
          "ARP of our MAC in the capture: %r" % want)
    # the address changed three times: none -> pod-1 -> pod-2 -> pod-1; the kernel agrees
    added = [a for _t, op, a, _p, _i in mon.events(fabric.INFRA_IF) if op == "add"]
    changes = sum(1 for i, a in enumerate(added) if i == 0 or a != added[i - 1])
    got = value(fams, "infradhcp_dhcp_address_changes_total", **ifl)
    check(got == 3 == changes, "address changes: metric %r, kernel %r (added %r)" % (got, changes, added))
    check(value(fams, "infradhcp_dhcp_send_failures_total", **ifl) == 0, "send failures")
    for reason in ("probe", "defended", "lost"):
        check(value(fams, "infradhcp_acd_conflicts_total", reason=reason, **ifl) == 0, "conflict %s" % reason)
    for s in fams["infradhcp_dhcp_datagrams_dropped_total"]["samples"]:
        check(s[2] == 0, "dropped %r" % (s,))
    # nothing was refused, except perhaps the renewal's ACK: unicast to the leased
    # address, it reaches the packet socket and the UDP socket, and the copy read after
    # the other made the client BOUND is `unexpected` (docs/metrics.md)
    rejected = {s[1]["reason"]: s[2] for s in fams["infradhcp_dhcp_messages_rejected_total"]["samples"] if s[2]}
    check(rejected in ({}, {"unexpected": 1}), "rejected messages: %r" % rejected)
    check_state(fams, fabric.INFRA_IF, "BOUND")

    # attachment detection: one doubt, confirmed by DHCP as a move; the periodic checks
    # that started it; the router of pod-1 known again
    outcomes = {s[1]["result"]: s[2] for s in fams["infradhcp_attachment_outcomes_total"]["samples"] if s[2]}
    checks = {s[1]["reason"]: s[2] for s in fams["infradhcp_attachment_checks_total"]["samples"] if s[2]}
    check(outcomes.get("confirming") == 1 and outcomes.get("moved") == 1 and
          set(outcomes) <= {"attached", "confirming", "moved"}, "attachment outcomes %r" % outcomes)
    check(set(checks) == {"periodic"} and checks["periodic"] >= sum(outcomes.get(k, 0) for k in
                                                                   ("attached", "confirming")),
          "attachment checks %r for outcomes %r" % (checks, outcomes))
    check(value(fams, "infradhcp_attachment_detection_enabled", **ifl) == 1, "detection enabled")
    netns.wait_for(lambda: value(promparse.parse(get_metrics(dhcpd)), "infradhcp_attachment_usable_peers",
                                 **ifl) == 1, 10, "pod-1's router to be a usable peer again")

    # the lease timestamps are GetStatus's (µs there, seconds here)
    st = fabric.varlink_call(sock, "io.infradhcp.Client.GetStatus")["parameters"]
    for key, name in (("leaseStart", "start"), ("t1", "t1"), ("t2", "t2"), ("expiry", "expiry")):
        got = value(fams, "infradhcp_dhcp_lease_%s_timestamp_seconds" % name, **ifl)
        check(abs(got - st[key] / 1e6) < 1e-6, "%s: metric %r, status %r" % (name, got, st[key]))
    check(abs(value(fams, "infradhcp_dhcp_lease_expiry_timestamp_seconds", **ifl) - time.time() - 3600) < 30,
          "expiry is not about an hour away")

    # infradhcpctl metrics, with and without IF: the same text (one daemon)
    for argv in (["metrics"], ["metrics", fabric.INFRA_IF]):
        out = ctl(args, dhcpd.runtime_dir, *argv).stdout
        parse(out, "infradhcpctl %s" % " ".join(argv))
        check(steady(out) == steady(get_metrics(dhcpd)), "infradhcpctl %s differs from GetMetrics" % " ".join(argv))
    j = json.loads(ctl(args, dhcpd.runtime_dir, "--json", "metrics", fabric.INFRA_IF).stdout)
    check(j.get("interface") == fabric.INFRA_IF and "infradhcp_dhcp_state" in j.get("text", ""),
          "--json metrics IF: %r" % j)
    p = ctl(args, dhcpd.runtime_dir, "metrics", "nosuchif0", check_rc=False)
    check(p.returncode == 1 and "not running on nosuchif0" in p.stderr and not p.stdout,
          "metrics of a missing daemon: %d %r %r" % (p.returncode, p.stdout, p.stderr))
    log("metrics: %s; rejected %r; attachment checks %r, outcomes %r" % (
        ", ".join("%s=%d" % (names[k].replace("infradhcp_", ""), want[k]) for k in names), rejected, checks,
        outcomes))
    dhcpd.stop()
    cap.stop()


# --------------------------------------------------------------------------------------
# textfile


IN_CLOSE_WRITE, IN_MODIFY, IN_MOVED_TO, IN_CREATE = 0x008, 0x002, 0x080, 0x100


class DirWatch:
    """inotify on a directory: every event on each name, in order."""

    def __init__(self, d):
        self.fd = fabric._libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self.fd < 0 or fabric._libc.inotify_add_watch(
                self.fd, d.encode(), IN_CLOSE_WRITE | IN_MODIFY | IN_MOVED_TO | IN_CREATE) < 0:
            raise OSError("inotify on %s" % d)
        self.events = []  # (time, mask, name)

    def poll(self):
        """Reads the pending events (stamped with the time of this call)."""
        while True:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                return self.events
            off = 0
            while off + 16 <= len(data):
                _wd, mask, _cookie, ln = struct.unpack_from("iIII", data, off)
                name = data[off + 16:off + 16 + ln].rstrip(b"\0").decode(errors="replace")
                off += 16 + ln
                self.events.append((time.time(), mask, name))

    def renames(self, name, since=0):
        return [t for t, m, n in self.poll() if n == name and m & IN_MOVED_TO and t >= since]

    def in_place(self, name):
        return [(t, m) for t, m, n in self.poll() if n == name and m & (IN_CLOSE_WRITE | IN_MODIFY | IN_CREATE)]

    def close(self):
        os.close(self.fd)


class Reader(threading.Thread):
    """Reads a file as fast as it can and parses every version it sees strictly."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.path, self.stop_flag, self.reads, self.bad = path, False, 0, []

    def run(self):
        while not self.stop_flag:
            try:
                with open(self.path) as f:
                    text = f.read()
            except FileNotFoundError:
                time.sleep(0.001)
                continue
            self.reads += 1
            try:
                promparse.parse(text)
            except ValueError as e:
                self.bad.append("%s: %r" % (e, text[-200:]))


def file_value(path, name, **labels):
    with open(path) as f:
        return value(promparse.parse(f.read()), name, **labels)


def fill(d):
    path = os.path.join(d, "filler")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        while os.write(fd, b"\0" * 4096) > 0:
            pass
    except OSError:
        pass
    finally:
        os.close(fd)
    return path


JUNK_SENDER = r"""
import socket, sys, time
dst, sport, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", sport))
for i in range(n):
    s.sendto(b"junk %d" % i, (dst, 68))
    if i % 100 == 99:
        time.sleep(0.1)
"""


def sc_textfile(topo, args):
    seg = netns.bridged_topology(topo)
    netns.Dnsmasq(topo, seg.s, seg.sif, netns.Subnet("10.77.0.0/24", (100, 150)), lease=3600).start()
    prom_dir = topo.mkdir("textfile")
    mounted = False
    try:
        netns.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0755", "tmpfs-infradhcp-test", prom_dir])
        mounted = True
        watch = DirWatch(prom_dir)
        runtime = topo.mkdir("run")
        daemons = []
        for ns, ifname in ((seg.c, seg.cif), (seg.q, seg.qif)):
            conf = topo.path("%s.conf" % ifname)
            with open(conf, "w") as f:
                f.write("[Metrics]\nTextfilePath=%s/infradhcp-%s.prom\n" % (prom_dir, ifname))
            d = netns.InfraDhcpd(topo, ns, ifname, args.daemon, config=conf)
            d.runtime_dir = runtime
            d.textfile = os.path.join(prom_dir, "infradhcp-%s.prom" % ifname)
            daemons.append(d)
        readers = [Reader(d.textfile) for d in daemons]
        for r in readers:
            r.start()
        for d in daemons:
            d.start()
        addrs = [d.wait_address() for d in daemons]
        a, b = daemons
        netns.wait_for(lambda: all(os.path.exists(d.textfile) for d in daemons), 10, "both metrics files")
        netns.wait_for(lambda: file_value(a.textfile, "infradhcp_dhcp_state", interface=a.ifname,
                                          state="BOUND") == 1, 10, "the file to say BOUND")
        log("bound: %s; files %s" % (addrs, os.listdir(prom_dir)))

        # follows a renew within the bound (1 s, plus the loop)
        before = file_value(a.textfile, "infradhcp_dhcp_acks_received_total", interface=a.ifname)
        mark = len(a.proc.text())
        t = time.time()
        ctl(args, runtime, "renew", a.ifname)
        a.proc.wait_log(r"State RENEWING -> BOUND", 15, mark)
        netns.wait_for(lambda: file_value(a.textfile, "infradhcp_dhcp_acks_received_total",
                                          interface=a.ifname) == before + 1, 5, "the file to count the renewal")
        log("renewal in the file %.0f ms after the command" % ((time.time() - t) * 1000))

        # junk datagrams to the bound address from the other host: from port 67, each a
        # message too short (rejected); from another port, dropped (RFC 2131 §4.1:
        # servers send from 67). Each counted, the file rewritten at most once a second.
        junk, stray = 2000, 1000
        watch.poll()  # events are stamped when read: the earlier ones now
        t0 = time.time()
        for sport, n in ((67, junk), (6767, stray)):
            seg.q.run(["/usr/bin/python3", "-c", JUNK_SENDER, addrs[0], str(sport), str(n)], timeout=60)

        def counted():
            with open(a.textfile) as f:
                fams = promparse.parse(f.read())
            return (value(fams, "infradhcp_dhcp_messages_rejected_total", interface=a.ifname, reason="too-short"),
                    value(fams, "infradhcp_dhcp_datagrams_dropped_total", interface=a.ifname, reason="wrong-port"))
        try:
            netns.wait_for(lambda: counted() == (junk, stray), 10, "the file to count the junk")
        except netns.CheckFailed:
            raise netns.CheckFailed("rejected too-short, dropped wrong-port: %r, want %r" % (counted(), (junk, stray)))
        t1 = time.time()
        writes = watch.renames(os.path.basename(a.textfile), since=t0)
        check(len(writes) <= (t1 - t0) + 2, "%d writes in %.1f s: not bounded to one a second" % (
            len(writes), t1 - t0))
        log("%d + %d junk datagrams counted exactly; %d writes in %.1f s" % (junk, stray, len(writes), t1 - t0))

        # idle: the periodic attachment checks go on (GetMetrics counts them) but change
        # nothing else, so the file is not rewritten for them (at most once a minute)
        def periodic(d):
            return value(promparse.parse(get_metrics(d)), "infradhcp_attachment_checks_total", interface=d.ifname,
                         reason="periodic")
        watch.poll()
        t_idle, before = time.time(), periodic(a)
        time.sleep(5)
        idle_writes = watch.renames(os.path.basename(a.textfile), since=t_idle)
        check(periodic(a) >= before + 2 and not idle_writes, "idle: periodic checks %r -> %r, %d writes" % (
            before, periodic(a), len(idle_writes)))
        # ... and are written once a minute
        in_file = file_value(a.textfile, "infradhcp_attachment_checks_total", interface=a.ifname, reason="periodic")
        netns.wait_for(lambda: watch.renames(os.path.basename(a.textfile), since=t_idle), 70,
                       "the once-a-minute write of the attachment counters", interval=0.5)
        now_in_file = file_value(a.textfile, "infradhcp_attachment_checks_total", interface=a.ifname,
                                 reason="periodic")
        check(now_in_file > in_file, "the minute's write did not bring the periodic checks: %r -> %r" % (
            in_file, now_in_file))
        log("idle: no write for the periodic checks; %.0f s later one write: periodic checks %d -> %d" % (
            time.time() - t_idle, in_file, now_in_file))

        # one exposition for both daemons
        out = ctl(args, runtime, "metrics").stdout
        fams = parse(out, "infradhcpctl metrics (two daemons)")
        check(out.count("# HELP infradhcp_dhcp_state ") == 1 and out.count("# TYPE infradhcp_dhcp_state ") == 1,
              "HELP/TYPE twice:\n%s" % out)
        for d in daemons:
            check_state(fams, d.ifname, "BOUND")
            check(value(fams, "infradhcp_dhcp_acks_received_total", interface=d.ifname) >= 1,
                  "no ACK counted for %s" % d.ifname)
            with open(d.textfile) as f:
                ftext = f.read()
            check(steady(ftext) == steady(get_metrics(d)), "%s: the file differs from GetMetrics:\n%s" % (
                d.ifname, ftext))
        ifs = {s[1]["interface"] for fam in fams.values() for s in fam["samples"]}
        check(ifs == {a.ifname, b.ifname}, "interfaces in the merged exposition: %r" % ifs)
        j = json.loads(ctl(args, runtime, "--json", "metrics").stdout)
        check(sorted(x["interface"] for x in j) == sorted([a.ifname, b.ifname]), "--json metrics: %r" % j)

        # the tmpfs full: the file keeps its last whole version; one warning; written again with space back
        filler = fill(prom_dir)
        mark = len(a.proc.text())
        kept = open(a.textfile).read()
        ctl(args, runtime, "renew", a.ifname)
        a.proc.wait_log(r"Cannot write the metrics file .*No space left on device", 10, mark)
        time.sleep(2.5 * 10)  # two retries (every 10 s)
        text = a.proc.text()[mark:]
        check(text.count("Cannot write the metrics file") == 1, "while full: %d warnings, want 1" % text.count(
            "Cannot write the metrics file"))
        check(open(a.textfile).read() == kept, "the file changed while the disk was full")
        left = [n for n in os.listdir(prom_dir) if n.startswith(".#")]
        check(not left, "temp files left: %s" % left)
        os.unlink(filler)
        acks = value(promparse.parse(get_metrics(a)), "infradhcp_dhcp_acks_received_total", interface=a.ifname)
        netns.wait_for(lambda: file_value(a.textfile, "infradhcp_dhcp_acks_received_total",
                                          interface=a.ifname) == acks, 15, "the file written once space returned")
        a.proc.wait_log(r"Metrics file \S+ written again", 5, mark)

        # never a write to the final names, never a partial read
        for d in daemons:
            check(not watch.in_place(os.path.basename(d.textfile)),
                  "written in place: %r" % watch.in_place(os.path.basename(d.textfile)))
        for r in readers:
            r.stop_flag = True
            r.join(5)
            check(r.reads > 0 and not r.bad, "reader of %s: %d reads, partial: %s" % (r.path, r.reads, r.bad[:3]))
        log("readers: %s reads, none partial; %d renames in all" % (
            [r.reads for r in readers], sum(len(watch.renames(os.path.basename(d.textfile))) for d in daemons)))

        # SIGTERM: the last version says STOPPED
        a.stop()
        check(file_value(a.textfile, "infradhcp_dhcp_state", interface=a.ifname, state="STOPPED") == 1,
              "the file does not say STOPPED after SIGTERM")
        b.stop()
        watch.close()
    finally:
        if mounted:
            subprocess.run(["umount", "-l", prom_dir], check=False)


RUN = {"wire": sc_wire, "textfile": sc_textfile}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--daemon", required=True)
    ap.add_argument("--ctl", required=True)
    ap.add_argument("--scenario", default="all", choices=SCENARIOS + ["all"])
    ap.add_argument("--keep-tmp", action="store_true")
    args = ap.parse_args()
    netns.require_root()
    return netns.run_scenarios("me", SCENARIOS, lambda name, topo, args: RUN[name](topo, args), args)


if __name__ == "__main__":
    sys.exit(main())
