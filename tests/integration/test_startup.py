#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""infradhcpd's start-up order (issue 13, docs/design.md "Start-up", docs/security.md),
read from the system calls the daemon makes (strace -f) against dnsmasq:

  order   fresh (DISCOVER) and restarted on its persisted lease (INIT-REBOOT REQUEST):
          the first DHCP packet leaves before the varlink socket is bound, before the
          system bus is looked for, before the rtnetlink monitor subscribes, before
          promote_secondaries is set (once on the new interface, not again on the
          restart: the kernel still has it), before the
          capability drop and the seccomp filter; the capability drop and the filter come
          before the first read of the packet socket and before any control connection
          is accepted (nothing from outside is parsed unfiltered); a bus socket that does
          not exist is looked for once and never connected to; the set-up no packet needs
          (monitor, varlink, bus) begins after the address is configured, or no sooner
          than its 20 ms wait; the lease works under strace, and the remembered lease is
          confirmed with the INIT-REBOOT REQUEST after the restart.
  slow    dnsmasq holding its OFFER for a second: the set-up runs after its 20 ms wait,
          before the OFFER is read, and the daemon answers status (SELECTING) meanwhile.
  recreate the interface deleted and created again (same name and MAC): on its return
          the INIT-REBOOT REQUEST leaves before promote_secondaries is set, as at start.
  second  a second infradhcpd for an interface whose daemon is running sends nothing
          (no DHCP packet on the wire while the first stays BOUND), says why and exits 1;
          the first keeps its lease and its varlink socket.
"""

import argparse
import os
import re
import subprocess
import sys
import time

import netns
from netns import check, log

SYSCALLS = "socket,bind,connect,sendto,sendmsg,recvfrom,recvmsg,setsockopt,capset,seccomp,accept4,newfstatat,stat,statx"
BUS = "/nonexistent/infradhcp-test-bus"  # netns.InfraDhcpd's DBUS_SYSTEM_BUS_ADDRESS
# infradhcpd.c SETUP_WAIT_USEC: the set-up waits this long for the first exchange to end
SETUP_WAIT_S = 0.020


class Traced(netns.InfraDhcpd):
    """infradhcpd under strace -f, its system calls written to trace_path."""

    def __init__(self, *a, trace_path, **kw):
        super().__init__(*a, **kw)
        self.trace_path = trace_path

    def argv(self):
        return ["strace", "-f", "-qq", "-ttt", "-e", "trace=" + SYSCALLS, "-o", self.trace_path] + super().argv()


def trace_lines(path):
    """[(time, "PID rest")] of strace -ttt's output: the time apart, the line as without it."""
    out = []
    with open(path, errors="replace") as f:
        for line in f:
            m = re.match(r"^(\d+)\s+(\d+\.\d+)\s+(.*)$", line.rstrip())
            if m:
                out.append((float(m.group(2)), "%s %s" % (m.group(1), m.group(3))))
            else:
                out.append((None, line.rstrip()))
    return out


def trace_events(path, times=None):
    """[(index, syscall, line)] from strace's output, in order; `times`, a dict, gets
    each index's time."""
    out = []
    for i, (t, line) in enumerate(trace_lines(path)):
        m = re.match(r"^\d+\s+(\w+)\(", line)
        if m:
            out.append((i, m.group(1), line))
            if times is not None:
                times[i] = t
    return out


def first(events, pred, what):
    for e in events:
        if pred(e):
            return e[0]
    raise netns.CheckFailed("no %s in the trace" % what)


def check_order(path, case, slow_server=False):
    times = {}
    ev = trace_events(path, times)
    packet_fds = set()
    for _i, name, line in ev:
        m = re.match(r"^\d+\s+socket\(AF_PACKET, SOCK_DGRAM.* = (\d+)$", line)
        if m:
            packet_fds.add(m.group(1))
    check(packet_fds, "no packet socket in the trace")

    def on_packet_fd(line):
        m = re.match(r"^\d+\s+\w+\((\d+),", line)
        return m and m.group(1) in packet_fds

    sent = first(ev, lambda e: e[1] == "sendto" and on_packet_fd(e[2]) and "AF_PACKET" in e[2],
                 "DHCP packet sent on the packet socket")
    varlink = first(ev, lambda e: e[1] == "bind" and "io.infradhcp.Client" in e[2], "bind of the varlink socket")
    bus = [e for e in ev if e[1] == "connect" and BUS in e[2]]
    bus_look = first(ev, lambda e: e[1] in ("newfstatat", "stat", "statx") and BUS in e[2],
                     "the look for the system bus socket")
    monitor = first(ev, lambda e: e[1] == "setsockopt" and "NETLINK_ADD_MEMBERSHIP" in e[2],
                    "rtnetlink monitor subscription")
    capset = first(ev, lambda e: e[1] == "capset", "capset (capability drop)")
    seccomp = first(ev, lambda e: e[1] == "seccomp" and "SECCOMP_SET_MODE_FILTER" in e[2], "seccomp filter")
    read = first(ev, lambda e: e[1] in ("recvmsg", "recvfrom") and on_packet_fd(e[2]) and "= -1 EAGAIN" not in e[2],
                 "first read of the packet socket")
    setlinks = [e[0] for e in ev if e[1] == "sendto" and "RTM_SETLINK" in e[2]]
    # promote_secondaries: set on a new interface (the fresh start, on a new veth), and
    # not written again when the kernel already has it (the restart on the same one).
    want = 0 if case == "init-reboot" else 1
    check(len(setlinks) == want, "%s: %d promote_secondaries (RTM_SETLINK), want %d" % (case, len(setlinks), want))
    setlink = setlinks[0] if setlinks else len(ev) + 1
    accepts = [e[0] for e in ev if e[1] == "accept4"]
    log("%s: first packet at trace line %d; varlink bind %d, bus connect %s, monitor %d, capset %d, "
        "seccomp %d, first packet read %d" % (case, sent, varlink, [b[0] for b in bus], monitor, capset, seccomp,
                                              read))
    for what, at in (("the varlink socket", varlink), ("the rtnetlink monitor", monitor),
                     ("promote_secondaries", setlink),
                     ("the capability drop", capset), ("the seccomp filter", seccomp)):
        check(sent < at, "%s: %s (line %d) came before the first packet (line %d)" % (case, what, at, sent))
    # The bus socket does not exist: looked for once, after the first packet, and
    # sd-bus never runs (no connect()).
    check(not bus, "%s: a system bus socket that does not exist was connected to %d times" % (case, len(bus)))
    check(sent < bus_look, "%s: the bus was looked for before the first packet" % case)
    # The set-up that no packet needs waits for the exchange: it begins after the
    # server's last answer is read (the ACK: the OFFER and the ACK fresh, the ACK alone
    # after INIT-REBOOT) or, from a server slower than SETUP_WAIT_S, no sooner than that
    # after the first packet (and then, from a slow server, before its answer is read).
    setup = min(monitor, varlink, bus_look)
    answers = [e[0] for e in ev if e[1] in ("recvmsg", "recvfrom") and on_packet_fd(e[2]) and
               "= -1 EAGAIN" not in e[2]]
    last = answers[(2 if case == "fresh" else 1) - 1] if len(answers) >= (2 if case == "fresh" else 1) else None
    waited = times[setup] - times[sent]
    log("%s: set-up began %.1f ms after the first packet (trace line %d); the ACK read at line %s" % (
        case, waited * 1e3, setup, last))
    if slow_server:
        check(setup < read, "%s: the set-up waited for the slow server's answer (line %d, set-up %d)" % (
            case, read, setup))
        check(waited >= SETUP_WAIT_S - 0.001, "%s: the set-up began %.1f ms after the first packet, before "
              "its wait of %.0f ms" % (case, waited * 1e3, SETUP_WAIT_S * 1e3))
        check(waited < 0.5, "%s: the set-up began %.1f ms after the first packet: its %.0f ms wait ran late" % (
            case, waited * 1e3, SETUP_WAIT_S * 1e3))
    else:
        check((last is not None and last < setup) or waited >= SETUP_WAIT_S - 0.001,
              "%s: the set-up began %.1f ms after the first packet, before the ACK was read and before its "
              "wait of %.0f ms" % (case, waited * 1e3, SETUP_WAIT_S * 1e3))
    for what, at in (("the capability drop", capset), ("the seccomp filter", seccomp)):
        check(at < read, "%s: the packet socket was read (line %d) before %s (line %d)" % (case, read, what, at))
        for a in accepts:
            check(at < a, "%s: a control connection was accepted before %s" % (case, what))


def scenario_order(topo, args):
    s, sif, c, cif = netns.client_server_topology(topo)
    subnet = netns.Subnet()
    cap = netns.Capture(topo, c, cif).start()
    netns.Dnsmasq(topo, s, sif, subnet, lease=600).start()
    state = topo.mkdir("state")
    for case in ("fresh", "init-reboot"):
        trace = topo.path("strace-%s.txt" % case)
        c.flush_addresses(cif)
        t = time.time()
        d = Traced(topo, c, cif, args.daemon, state_dir=state, trace_path=trace)
        d.start()
        addr = d.wait_address(timeout=30, pred=subnet.in_pool)
        d.wait_state("BOUND", 15)
        if case == "init-reboot":
            d.proc.wait_log(r"Remembered lease %s/\d+ found" % re.escape(addr), 5)
            first_req = cap.wait(lambda ps: [p for p in ps if p.time > t and p.from_client], 5, "the first packet")
            check(first_req[0].type == "REQUEST", "after the restart the first packet is %s, want the "
                  "INIT-REBOOT REQUEST" % first_req[0].type)
        # a control connection while running: accepted after the filter
        out = netns.run(c.argv([args.ctl, "status", cif, "--runtime-dir", d.runtime_dir]), check=False)
        check(out.returncode == 0, "infradhcpctl status failed: %s" % out.stderr)
        d.proc.stop()
        check_order(trace, case)
        log("%s: bound %s" % (case, addr))


class SlowDnsmasq(netns.Dnsmasq):
    """dnsmasq that holds each OFFER for a second (--dhcp-reply-delay)."""

    def argv(self):
        return super().argv() + ["--dhcp-reply-delay=1"]


def scenario_slow(topo, args):
    """A server slower than the set-up's wait: the set-up runs while it thinks, the
    daemon answers status then (SELECTING), and the OFFER, read after the set-up, is
    still requested and the lease bound."""
    s, sif, c, cif = netns.client_server_topology(topo)
    subnet = netns.Subnet()
    SlowDnsmasq(topo, s, sif, subnet, lease=600).start()
    trace = topo.path("strace-slow.txt")
    d = Traced(topo, c, cif, args.daemon, state_dir=topo.mkdir("state"), trace_path=trace)
    t = time.time()
    d.start()
    status = None
    while time.time() < t + 0.8 and status is None:
        out = netns.run(c.argv([args.ctl, "status", cif, "--runtime-dir", d.runtime_dir]), check=False)
        if out.returncode == 0:
            status = out.stdout
        else:
            time.sleep(0.02)
    check(status is not None, "no status over varlink in the 0.8 s the server held its OFFER")
    check("SELECTING" in status, "status while the server holds its OFFER:\n%s" % status)
    addr = d.wait_address(timeout=30, pred=subnet.in_pool)
    d.wait_state("BOUND", 15)
    d.proc.stop()
    check_order(trace, "slow", slow_server=True)
    log("slow: status answered while waiting, bound %s" % addr)


def scenario_second(topo, args):
    s, sif, c, cif = netns.client_server_topology(topo)
    subnet = netns.Subnet()
    cap = netns.Capture(topo, c, cif).start()
    netns.Dnsmasq(topo, s, sif, subnet, lease=600).start()
    a = netns.InfraDhcpd(topo, c, cif, args.daemon, state_dir=topo.mkdir("state-a"))
    a.start()
    addr = a.wait_address(timeout=20, pred=subnet.in_pool)
    a.wait_state("BOUND", 10)
    time.sleep(0.5)
    t = time.time()
    b = netns.InfraDhcpd(topo, c, cif, args.daemon, state_dir=topo.mkdir("state-b"))
    b.runtime_dir = a.runtime_dir
    b.start()
    netns.wait_for(lambda: not b.proc.alive(), 10, "the second infradhcpd to exit")
    rc = b.proc.popen.returncode
    check(rc == 1, "the second infradhcpd exited %s, want 1:\n%s" % (rc, b.proc.tail()))
    b.proc.wait_log(r"Cannot listen on varlink socket .*: Address already in use", 1)
    time.sleep(1.0)  # anything it had sent would be in the capture by now
    sent = [p for p in cap.packets() if p.time > t and p.from_client]
    check(not sent, "the second infradhcpd sent %s" % [p.type for p in sent])
    check(a.proc.alive() and addr in c.ipv4(cif), "the first infradhcpd or its address is gone")
    out = netns.run(c.argv([args.ctl, "status", cif, "--runtime-dir", a.runtime_dir]), check=False)
    check(out.returncode == 0 and "BOUND" in out.stdout, "the first daemon's varlink socket: %s%s" % (
        out.stdout, out.stderr))
    a.proc.stop()


def dhcp_sends_before_setlinks(path):
    """For each RTM_SETLINK (promote_secondaries, one per attachment of the interface) in
    the trace: how many DHCP packet sockets (AF_PACKET bound to ETH_P_IP) had sent their
    first packet before it. [(setlink line, count)]"""
    ev = trace_events(path)
    bound, sent_first, out = set(), set(), []
    for i, name, line in ev:
        m = re.match(r"^\d+\s+bind\((\d+), \{sa_family=AF_PACKET, sll_protocol=htons\(ETH_P_IP\)", line)
        if m:
            bound.add(m.group(1))
            sent_first.discard(m.group(1))  # a new socket on a reused fd number
            continue
        m = re.match(r"^\d+\s+sendto\((\d+), ", line)
        if m and m.group(1) in bound and "AF_PACKET" in line:
            bound.discard(m.group(1))
            sent_first.add((m.group(1), i))
            continue
        if name == "sendto" and "RTM_SETLINK" in line:
            out.append((i, len(sent_first)))
    return out


def scenario_recreate(topo, args):
    """The interface deleted and created again (same name and MAC, a new ifindex): the
    daemon's return path (client_attach again) sends its INIT-REBOOT REQUEST before the
    interface's housekeeping, as at start."""
    s, sif, c, cif = netns.client_server_topology(topo)
    subnet = netns.Subnet()
    server = netns.Dnsmasq(topo, s, sif, subnet, lease=600).start()
    trace = topo.path("strace-recreate.txt")
    d = Traced(topo, c, cif, args.daemon, state_dir=topo.mkdir("state"), trace_path=trace)
    d.start()
    addr = d.wait_address(timeout=30, pred=subnet.in_pool)
    d.wait_state("BOUND", 15)
    mac, old_index = c.mac(cif), c.ifindex(cif)
    mark = len(d.proc.text())
    c.ip("link", "del", cif)
    d.proc.wait_log(r"Interface %s \(ifindex %d\) was removed" % (cif, old_index), 10, mark)
    # The new interface appears under its name with carrier already up (created under
    # another name, up, then renamed): a link without carrier sends nothing until the
    # carrier comes, so only then is the order on the return path what is observed.
    tmp = topo.unique("t")
    topo.veth(s, sif, c, tmp, mac_b=mac)
    netns.wait_for(lambda: "LOWER_UP" in c.ip_json("link", "show", "dev", tmp)[0].get("flags", []), 10,
                   "carrier on the new veth")
    server.stop()  # its interface went with the pair: serve the new one
    server.start()
    c.ip("link", "set", "dev", tmp, "name", cif)
    d.proc.wait_log(r"Interface %s is back \(ifindex %d, MAC %s, client id 01:%s, carrier up\)" % (
        cif, c.ifindex(cif), mac, mac), 15, mark)
    d.wait_state("BOUND", 30, mark)
    check(c.ipv4(cif) == [addr], "addresses on the new link: %s, want [%s]" % (c.ipv4(cif), addr))
    d.proc.stop()
    marks = dhcp_sends_before_setlinks(trace)
    log("recreate: RTM_SETLINK at trace lines %s, DHCP packet sockets with a packet out before each %s" % (
        [m[0] for m in marks], [m[1] for m in marks]))
    check(len(marks) == 2, "want one promote_secondaries per attachment (2), got %d" % len(marks))
    for k, (line, n) in enumerate(marks, 1):
        check(n >= k, "attachment %d: promote_secondaries (trace line %d) came before its first DHCP packet" % (
            k, line))


SCENARIOS = {"order": scenario_order, "second": scenario_second, "recreate": scenario_recreate,
             "slow": scenario_slow}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", required=True, choices=sorted(SCENARIOS))
    ap.add_argument("--daemon", required=True)
    ap.add_argument("--ctl", required=True)
    args = ap.parse_args()
    netns.require_root()
    if args.scenario in ("order", "recreate", "slow") and subprocess.run(["strace", "-V"], stdout=subprocess.DEVNULL,
                                                  stderr=subprocess.DEVNULL).returncode != 0:
        log("FAIL startup-%s: strace is not installed (scripts/install-deps)" % args.scenario)
        return 1
    with netns.Topology("su") as topo:
        try:
            SCENARIOS[args.scenario](topo, args)
        except netns.CheckFailed as e:
            log("FAIL startup-%s: %s" % (args.scenario, e))
            topo.dump_logs()
            return 1
    log("PASS startup-%s" % args.scenario)
    return 0


if __name__ == "__main__":
    sys.exit(main())
