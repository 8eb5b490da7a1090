#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Faults around a bound infradhcpd (issue 12), each checked on the wire (capture),
in the kernel (addresses, routes, links) and in the daemon's log and status.

  enobufs     the daemon stopped (SIGSTOP) while 6000 address changes overflow its
              netlink monitor socket, then its leased address and the 224.0.0.0/4
              route deleted behind its back (those notifications are lost too):
              continued, it reports the overrun, re-reads the state by dumping and
              puts both back; the address is the only one on the interface.
  kill9       SIGKILL while BOUND, while RENEWING (the server silent at T1) and while
              PROBING (ACD with the RFC 5227 timings, after the INIT-REBOOT ACK), each
              time restarted: the address never leaves the interface, a broadcast
              INIT-REBOOT REQUEST for it (option 50, ciaddr 0, no DISCOVER) is ACKed, the
              same address is bound again; never two addresses; no DECLINE at all.
"""

import argparse
import re
import signal
import sys
import time

import netns
from netns import check, log


def setup(topo, args, lease=600, config=None, server_kind="dnsmasq"):
    s, sif, c, cif = netns.client_server_topology(topo)
    subnet = netns.Subnet()
    cap = netns.Capture(topo, c, cif).start()
    server = netns.SERVERS[server_kind](topo, s, sif, subnet, lease=lease).start()
    conf = None
    if config:
        conf = topo.path("infradhcpd.conf")
        with open(conf, "w") as f:
            f.write(config)
    client = netns.InfraDhcpd(topo, c, cif, args.daemon, config=conf)
    client.start()
    addr = client.wait_address(timeout=20, pred=subnet.in_pool)
    client.wait_state("BOUND", 10)
    netns.wait_for(lambda: c.multicast_route(cif), 5, "the 224.0.0.0/4 route")
    return s, sif, c, cif, cap, server, client, addr, subnet


def scenario_enobufs(topo, args):
    s, sif, c, cif, cap, server, client, addr, subnet = setup(topo, args)
    mark = len(client.proc.text())
    batch = topo.path("burst.batch")
    with open(batch, "w") as f:
        for i in range(6000):
            f.write("address add 10.200.%d.%d/32 dev lo\n" % (i // 250, i % 250 + 1))
    client.proc.send_signal(signal.SIGSTOP)
    try:
        c.run([netns.IP, "-batch", batch], timeout=120)
        # Behind its back, while its queue is full: these notifications are lost.
        # (the route first: removing the last address flushes the device's routes)
        c.ip("route", "del", "224.0.0.0/4", "dev", cif)
        c.ip("addr", "del", "%s/24" % addr, "dev", cif)
        check(not c.ipv4(cif) and c.multicast_route(cif) is None, "could not remove the address and route")
    finally:
        client.proc.send_signal(signal.SIGCONT)
    t0 = time.monotonic()
    client.proc.wait_log(r"Netlink notifications were lost", 10, mark)
    back = netns.wait_for(lambda: c.address_info(cif, addr), 5, "the leased address to be put back")
    route = netns.wait_for(lambda: c.multicast_route(cif), 5, "the 224.0.0.0/4 route to be put back")
    dt = time.monotonic() - t0
    check(0 < back["valid_life_time"] <= 600, "restored address lifetime %s" % back["valid_life_time"])
    check(route.get("metric") == 401 and route.get("scope") == "link", "restored route %r" % route)
    check(c.ipv4(cif) == [addr], "addresses on %s: %s" % (cif, c.ipv4(cif)))
    check(client.proc.alive(), "infradhcpd died:\n%s" % client.proc.tail())
    st = client.proc.text()[mark:]
    check(not re.search(r"STATE=(INIT|SELECTING)\b", st), "the overrun restarted DHCP:\n%s" % st)
    log("PASS enobufs: overrun reported, address %s and the 224.0.0.0/4 route back %.2f s after SIGCONT" % (
        addr, dt))


def scenario_kill9(topo, args):
    # RFC 5227 timings: probing lasts seconds, long enough to be killed in it.
    s, sif, c, cif, cap, server, client, addr, subnet = setup(
        topo, args, lease=120, server_kind="dnsmasq", config="[ACD]\nProfile=rfc5227\n")
    mon = netns.AddressMonitor(topo, c).start()

    def restart(what):
        t = time.time()
        client.start()
        rq = cap.wait(lambda ps: [p for p in ps if p.time > t and p.from_client], 10, "a message after %s" % what)[0]
        check(rq.type == "REQUEST" and rq.requested_ip == addr and rq.ciaddr == "0.0.0.0" and rq.broadcast and
              rq.server_id is None,
              "after %s the first message is %r, want the INIT-REBOOT REQUEST for %s" % (what, rq, addr))
        return t

    def check_kept(what, since):
        client.wait_state("BOUND", 15)
        check(c.ipv4(cif) == [addr], "after %s: addresses %s, want only %s" % (what, c.ipv4(cif), addr))
        disc = [p for p in cap.packets() if p.time > since and p.type == "DISCOVER"]
        check(not disc, "after %s: DISCOVER %r" % (what, disc))

    # 1. BOUND
    client.proc.stop(signal.SIGKILL)
    check(c.ipv4(cif) == [addr], "SIGKILL removed the address")
    t = restart("SIGKILL while BOUND")
    check_kept("SIGKILL while BOUND", t)
    log("BOUND: killed, INIT-REBOOT kept %s" % addr)

    # 2. RENEWING: the server silent from before T1 (60 s of a 120 s lease) to after the kill
    server.stop()
    client.proc.stop(signal.SIGTERM)  # restart with a short wait for T1: SIGUSR1 renews now
    t = restart("a restart before RENEWING")
    time.sleep(3)  # REBOOTING times out against the silent server (2 s), keeps the address
    server.start()
    client.wait_state("BOUND", 15)
    server.stop()
    t_r = time.time()
    client.proc.send_signal(signal.SIGUSR1)
    client.wait_state("RENEWING", 5)
    cap.wait(lambda ps: [p for p in ps if p.time > t_r and p.type == "REQUEST" and p.ciaddr == addr], 5,
             "the renewal REQUEST")
    client.proc.stop(signal.SIGKILL)
    check(c.ipv4(cif) == [addr], "SIGKILL in RENEWING removed the address")
    server.start()
    t = restart("SIGKILL while RENEWING")
    check_kept("SIGKILL while RENEWING", t)
    log("RENEWING: killed, INIT-REBOOT kept %s" % addr)

    # 3. PROBING: after the INIT-REBOOT ACK of a restart, ACD probes for ~3 s
    client.proc.stop(signal.SIGKILL)
    t = restart("a restart before PROBING")
    client.wait_state("PROBING", 10)
    time.sleep(0.5)
    client.proc.stop(signal.SIGKILL)
    check(c.ipv4(cif) == [addr], "SIGKILL in PROBING removed the address")
    t = restart("SIGKILL while PROBING")
    check_kept("SIGKILL while PROBING", t)
    log("PROBING: killed, INIT-REBOOT kept %s" % addr)

    declines = [p for p in cap.packets() if p.type == "DECLINE"]
    check(not declines, "DECLINE sent: %r" % declines)
    removed = [e for e in mon.events(cif) if e[1] == "del"]
    check(not removed, "the address left the interface: %r" % removed)
    added = {e[2] for e in mon.added(cif)}
    check(added <= {addr}, "other addresses were added: %s" % added)
    log("PASS kill9: SIGKILL in BOUND, RENEWING and PROBING; %s never left the interface, never two "
        "addresses, no DECLINE" % addr)


SCENARIOS = {
    "enobufs": scenario_enobufs,
    "kill9": scenario_kill9,
}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", required=True, choices=sorted(SCENARIOS))
    ap.add_argument("--daemon", required=True)
    ap.add_argument("--ctl")
    ap.add_argument("--keep-tmp", action="store_true")
    args = ap.parse_args()
    netns.require_root()
    with netns.Topology("fa", keep_tmp=args.keep_tmp) as topo:
        try:
            SCENARIOS[args.scenario](topo, args)
        except netns.CheckFailed as e:
            log("FAIL %s: %s" % (args.scenario, e))
            topo.dump_logs()
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
