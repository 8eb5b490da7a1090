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
  release-arp the server answers no ARP (nft drops its ARP replies) and the client's
              neighbour entry for it is flushed, as after a long quiet lease (the storm
              benchmark's lost RELEASEs: the unicast RELEASE waited for ARP while the
              address went): SIGUSR2 still puts one RELEASE on the wire (server side),
              L2-unicast to the server's MAC, from the address with ciaddr and option
              54; dnsmasq frees the lease; the address goes.
  no-net-admin  infradhcpd started by root without CAP_NET_ADMIN (setpriv): the
              address cannot be added; never BOUND (log, status), the error names the
              cause with no empty "()", retries back off (1, 2, 4 … s: at most 5
              REQUESTs in 12 s, not one every 170 ms); status shows the error, the
              state and capabilities without cap_net_admin; no address appears.
  disk-full   the state directory a 64 KiB tmpfs, filled before the bind: the lease is
              bound and on the interface, the write failure is logged once across
              renewals and retries and shown as persistError; space freed: the lease
              file is written within the 10 s retry and persistError clears. Then the
              file system remounted read-only: a renewal cannot be written (logged once,
              EROFS in status), remounted read-write: written again.
  link-recreate  the bound interface deleted (with its veth peer), re-created 3 s later
              with the same name and MAC (a new ifindex): the daemon says what happened
              and waits idle (no CPU to speak of, STOPPED with the reason in status),
              then leases on the new link by INIT-REBOOT of the same address. With
              ExitOnLinkRemoval=yes it exits with status 1 and a line saying why.
  mac-change  the MAC of the bound interface changed: DHCP again from INIT with client
              id 01:<new MAC> on the wire, a new lease, the old address gone from the
              interface, status clientId and address the new ones, the lease file the
              new client id.
  clock-jump  infradhcpd's wall clock (only its CLOCK_REALTIME, through the LD_PRELOAD
              shim fake-realtime.c; the host's clock is never touched) jumped +1 day after
              the bind, then -1 day: the renewal still comes at T1 by CLOCK_BOOTTIME
              (kea, 20 s lease, T1 10 s), nothing expires early or late, and status
              shows leaseStart/expiry on the clock the daemon now has (start = now -
              elapsed, expiry - start = lifetime).
  clock-jump-restart  bound (dnsmasq, 120 s lease), then stopped (SIGTERM), the wall
              clock set +1 day, started again: the lease file of this boot is aged on
              CLOCK_BOOTTIME (its BOOT_ID and ACQUIRED_BOOTTIME_USEC), so the daemon
              confirms the address by INIT-REBOOT instead of taking the lease as
              expired; the log names the age it used; again with -1 day.
"""

import argparse
import json
import os
import re
import subprocess
import signal
import sys
import time

import netns
from netns import check, log


def setup(topo, args, lease=600, config=None, server_kind="dnsmasq", t1=None, t2=None, cls=None):
    s, sif, c, cif = netns.client_server_topology(topo)
    subnet = netns.Subnet()
    cap = netns.Capture(topo, c, cif).start()
    server = netns.SERVERS[server_kind](topo, s, sif, subnet, lease=lease, t1=t1, t2=t2).start()
    conf = None
    if config:
        conf = topo.path("infradhcpd.conf")
        with open(conf, "w") as f:
            f.write(config)
    client = (cls or netns.InfraDhcpd)(topo, c, cif, args.daemon, config=conf)
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


def scenario_release_arp(topo, args):
    s, sif, c, cif, cap, server, client, addr, subnet = setup(topo, args)
    scap = netns.Capture(topo, s, sif, name="server").start()
    smac = s.mac(sif)
    s.run(["nft", "add", "table", "arp", "infradhcp_test"])
    s.run(["nft", "add", "chain", "arp", "infradhcp_test", "out", "{ type filter hook output priority 0; }"])
    s.run(["nft", "add", "rule", "arp", "infradhcp_test", "out", "arp", "operation", "reply", "drop"])
    c.ip("neigh", "flush", "dev", cif)
    check(netns.wait_for(lambda: addr in [l.address for l in server.leases()], 3, "dnsmasq's lease"), "no lease")
    t0 = time.time()
    client.proc.send_signal(signal.SIGUSR2)
    rel = scap.wait(lambda ps: [p for p in ps if p.time > t0 and p.type == "RELEASE"], 5,
                    "the RELEASE at the server")[0]
    check(rel.eth_dst == smac and rel.dst == subnet.server and rel.src == addr and rel.ciaddr == addr and
          rel.server_id == subnet.server,
          "RELEASE %r (to %s): want L2 unicast to the server's %s, from and ciaddr %s, option 54 %s" % (
              rel, rel.eth_dst, smac, addr, subnet.server))
    netns.wait_for(lambda: addr not in [l.address for l in server.leases()], 5, "dnsmasq to free the lease")
    netns.wait_for(lambda: addr not in c.ipv4(cif), 3, "the address to go after the release")
    n = len([p for p in scap.packets() if p.time > t0 and p.type == "RELEASE"])
    check(n == 1, "%d RELEASEs at the server, want 1" % n)
    log("PASS release-arp: without ARP the RELEASE reached the server (%s -> %s), dnsmasq freed %s" % (
        rel.eth_src, rel.eth_dst, addr))


class NoNetAdmin(netns.InfraDhcpd):
    def argv(self):
        return ["setpriv", "--bounding-set", "-net_admin", "--"] + super().argv()


def ctl_status(c, args, client):
    out = netns.run(c.argv([args.ctl, "--json", "status", client.ifname, "--runtime-dir", client.runtime_dir]),
                    check=False)
    check(out.returncode == 0, "infradhcpctl status failed: %s" % out.stderr)
    return json.loads(out.stdout)


def scenario_no_net_admin(topo, args):
    s, sif, c, cif = netns.client_server_topology(topo)
    subnet = netns.Subnet()
    cap = netns.Capture(topo, c, cif).start()
    netns.Dnsmasq(topo, s, sif, subnet, lease=600).start()
    client = NoNetAdmin(topo, c, cif, args.daemon)
    t0 = time.time()
    client.start()
    client.proc.wait_log(r"Failed to configure \S+ on %s: Operation not permitted" % cif, 10)
    time.sleep(12)
    text = client.proc.text()
    check(client.proc.alive(), "infradhcpd died:\n%s" % client.proc.tail())
    check("STATE=BOUND" not in text and "-> BOUND" not in text, "reported BOUND without the address:\n%s" % text)
    check("()" not in text, "an empty \"()\" in the log:\n%s" % "\n".join(
        ln for ln in text.splitlines() if "()" in ln))
    fails = [ln for ln in text.splitlines() if "Failed to configure" in ln]
    check(all("CAP_NET_ADMIN is needed" in ln for ln in fails), "the error does not name the cause: %s" % fails)
    reqs = [p for p in cap.packets() if p.time > t0 and p.type == "REQUEST"]
    check(2 <= len(reqs) <= 5, "%d REQUESTs in 12 s without CAP_NET_ADMIN: want a back-off (2..5)" % len(reqs))
    check(not c.ipv4(cif), "an address appeared: %s" % c.ipv4(cif))
    if args.ctl:
        st = ctl_status(c, args, client)
        check(st["state"] != "BOUND" and "Operation not permitted" in st.get("lastError", ""),
              "status %s / %r" % (st["state"], st.get("lastError")))
        check("cap_net_admin" not in st.get("capabilities", []) and "cap_net_raw" in st.get("capabilities", []),
              "status capabilities %r" % st.get("capabilities"))
    log("PASS no-net-admin: never BOUND, %d REQUESTs in 12 s (back-off), %d error lines naming CAP_NET_ADMIN" % (
        len(reqs), len(fails)))


def fill(d):
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


def scenario_disk_full(topo, args):
    state = topo.mkdir("small-state")
    netns.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0755", "tmpfs-infradhcp-test", state])
    try:
        s, sif, c, cif = netns.client_server_topology(topo)
        subnet = netns.Subnet()
        cap = netns.Capture(topo, c, cif).start()
        netns.Dnsmasq(topo, s, sif, subnet, lease=600).start()
        client = netns.InfraDhcpd(topo, c, cif, args.daemon, state_dir=state)
        filler = fill(state)
        client.start()
        addr = client.wait_address(timeout=20, pred=subnet.in_pool)
        client.wait_state("BOUND", 10)
        client.proc.wait_log(r"Cannot write the lease \S+: No space left on device", 5)
        check(not os.path.exists(client.lease_path) or client.lease_file() == {}, "a lease file was written")
        check(not [n for n in os.listdir(state) if n.startswith(".#")], "temp files left: %s" % os.listdir(state))
        st = ctl_status(c, args, client) if args.ctl else None
        check(st is None or "No space left" in st.get("persistError", ""), "status persistError %r" % (
            st and st.get("persistError")))
        for i in range(2):  # renewals: each PERSIST fails again, silently
            t = time.time()
            client.proc.send_signal(signal.SIGUSR1)
            cap.wait(lambda ps: [p for p in ps if p.time > t and p.type == "ACK"], 5, "the renewal ACK")
        time.sleep(11)  # at least one timed retry
        n = client.proc.text().count("Cannot write the lease")
        check(n == 1, "the write failure logged %d times, want once" % n)
        check(c.ipv4(cif) == [addr], "addresses %s while the disk is full" % c.ipv4(cif))
        os.unlink(filler)
        netns.wait_for(lambda: (client.lease_file() or {}).get("ADDRESS") == addr, 12,
                       "the lease file once space returned")
        client.proc.wait_log(r"written after \d+ failed attempts?", 2)
        st = ctl_status(c, args, client) if args.ctl else None
        check(st is None or "persistError" not in st, "persistError %r after recovery" % (st and st.get("persistError")))
        log("full: one line, lease kept, file written when space returned")

        netns.run(["mount", "-o", "remount,ro", state])
        mark = len(client.proc.text())
        t = time.time()
        client.proc.send_signal(signal.SIGUSR1)
        cap.wait(lambda ps: [p for p in ps if p.time > t and p.type == "ACK"], 5, "the renewal ACK")
        client.proc.wait_log(r"Cannot write the lease \S+: Read-only file system", 5, mark)
        st = ctl_status(c, args, client) if args.ctl else None
        check(st is None or "Read-only" in st.get("persistError", ""), "status persistError %r" % (
            st and st.get("persistError")))
        netns.run(["mount", "-o", "remount,rw", state])
        client.proc.wait_log(r"written after \d+ failed attempts?", 12, mark)
        check(c.ipv4(cif) == [addr] and client.proc.alive(), "address or daemon lost")
        log("PASS disk-full: full and read-only state directory: lease kept, one line each, persistError, "
            "written once writable")
    finally:
        subprocess.run(["umount", "-l", state], check=False)


def proc_cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def scenario_link_recreate(topo, args):
    s, sif, c, cif, cap, server, client, addr, subnet = setup(topo, args)
    mac = c.mac(cif)
    old_index = c.ifindex(cif)
    mark = len(client.proc.text())
    c.ip("link", "del", cif)
    client.proc.wait_log(r"Interface %s \(ifindex %d\) was removed.*waiting for an interface named %s" % (
        cif, old_index, cif), 5, mark)
    time.sleep(0.5)
    cpu0 = proc_cpu_seconds(client.proc.pid)
    time.sleep(3)
    idle = proc_cpu_seconds(client.proc.pid) - cpu0
    check(client.proc.alive(), "infradhcpd exited:\n%s" % client.proc.tail())
    check(idle < 0.1, "%.2f s of CPU in 3 s while waiting for the interface: it spins" % idle)
    if args.ctl:
        st = ctl_status(c, args, client)
        check(st["state"] == "STOPPED" and "waiting" in st.get("lastError", ""),
              "status while waiting: %s %r" % (st["state"], st.get("lastError")))
    topo.veth(s, sif, c, cif, mac_b=mac)
    check(c.ifindex(cif) != old_index, "the re-created interface has the old ifindex")
    cap2 = netns.Capture(topo, c, cif, name="client2").start()
    server.stop()
    server.start()
    t = time.time()
    client.proc.wait_log(r"Interface %s is back \(ifindex %d" % (cif, c.ifindex(cif)), 10, mark)
    client.wait_state("BOUND", 15, mark)
    rq = [p for p in cap2.packets() if p.from_client]
    check(rq and rq[0].type == "REQUEST" and rq[0].requested_ip == addr and rq[0].ciaddr == "0.0.0.0",
          "on the new link first %r, want the INIT-REBOOT REQUEST for %s" % (rq[:1], addr))
    check(c.ipv4(cif) == [addr], "addresses on the new link: %s" % c.ipv4(cif))
    netns.wait_for(lambda: c.multicast_route(cif), 5, "the 224.0.0.0/4 route on the new link")
    log("recreated: waited idle (%.2f s CPU in 3 s), INIT-REBOOT of %s on ifindex %d %.1f s after" % (
        idle, addr, c.ifindex(cif), time.time() - t))
    client.proc.stop()

    # ExitOnLinkRemoval=yes
    conf = topo.path("exit.conf")
    with open(conf, "w") as f:
        f.write("[DHCPv4]\nExitOnLinkRemoval=yes\n")
    client2 = netns.InfraDhcpd(topo, c, cif, args.daemon, config=conf)
    client2.start()
    client2.wait_state("BOUND", 15)
    index = c.ifindex(cif)
    c.ip("link", "del", cif)
    client2.proc.popen.wait(5)
    check(client2.proc.popen.returncode == 1, "exit status %s, want 1" % client2.proc.popen.returncode)
    check(re.search(r"Interface %s \(ifindex %d\) was removed; exiting \(ExitOnLinkRemoval=yes\)" % (cif, index),
                    client2.proc.text()), "no line saying why it exited:\n%s" % client2.proc.tail())
    log("PASS link-recreate: waited without spinning, leased again on the new ifindex; exited with "
        "ExitOnLinkRemoval=yes")


def scenario_mac_change(topo, args):
    s, sif, c, cif, cap, server, client, addr, subnet = setup(topo, args)
    mon = netns.AddressMonitor(topo, c).start()
    new_mac = "02:1d:4a:00:00:77"
    t = time.time()
    c.ip("link", "set", "dev", cif, "address", new_mac)
    client.proc.wait_log(r"MAC address of %s changed to %s" % (cif, new_mac), 5)
    disc = cap.wait(lambda ps: [p for p in ps if p.time > t and p.type == "DISCOVER"], 10,
                    "a DISCOVER after the MAC change")[0]
    check(disc.client_id == "01:" + new_mac and disc.chaddr == new_mac,
          "DISCOVER client id %s chaddr %s, want the new MAC %s" % (disc.client_id, disc.chaddr, new_mac))
    new = netns.wait_for(lambda: (lambda a: a[0] if len(a) == 1 and a[0] != addr else None)(c.ipv4(cif)), 15,
                         "one new address and the old one gone")
    client.wait_state("BOUND", 10)
    lf = netns.wait_for(lambda: (lambda l: l if l and l.get("ADDRESS") == new else None)(client.lease_file()), 5,
                        "the lease file of the new lease")
    check(lf.get("CLIENTID", "").lower() == "01:" + new_mac,
          "lease file CLIENTID %r, want 01:%s" % (lf.get("CLIENTID"), new_mac))
    gone = [e for e in mon.events(cif) if e[1] == "del" and e[2] == addr]
    check(gone, "the old address %s was never removed" % addr)
    if args.ctl:
        st = ctl_status(c, args, client)
        check(st.get("clientId") == "01:" + new_mac and st.get("address") == new and st["state"] == "BOUND",
              "status after the MAC change: %r" % {k: st.get(k) for k in ("state", "address", "clientId")})
    sl = [l for l in server.leases() if l.address == new]
    check(sl and sl[0].client_id and sl[0].client_id.lower().endswith(new_mac),
          "dnsmasq's lease for %s: %r" % (new, sl))
    log("PASS mac-change: client id 01:%s from INIT, %s -> %s, old address removed, status follows" % (
        new_mac, addr, new))


class FakeClock(netns.InfraDhcpd):
    """infradhcpd whose CLOCK_REALTIME is shifted by the seconds the test writes to a
    file (fake-realtime.c, LD_PRELOAD); CLOCK_MONOTONIC/BOOTTIME and timers are real."""

    shim = None

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.offset_file = os.path.join(self.dir, "realtime-offset")
        self.set_offset(0)

    def set_offset(self, seconds):
        tmp = self.offset_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % seconds)
        os.rename(tmp, self.offset_file)

    def env(self):
        e = super().env()
        e.update(LD_PRELOAD=os.path.abspath(self.shim), FAKE_REALTIME_FILE=self.offset_file)
        return e


def scenario_clock_jump(topo, args):
    check(args.fake_realtime and os.path.exists(args.fake_realtime), "--fake-realtime SHIM.so is needed")
    FakeClock.shim = args.fake_realtime
    DAY = 86400
    s, sif, c, cif, cap, server, client, addr, subnet = setup(topo, args, lease=20, server_kind="kea", t1=10,
                                                              t2=15, cls=FakeClock)
    ack = [p for p in cap.packets() if p.type == "ACK"][-1]
    req = [p for p in cap.packets() if p.type == "REQUEST" and p.xid == ack.xid][0]
    t_bind = req.time

    def status_check(what, offset_days, start_real):
        st = ctl_status(c, args, client)
        start = st["leaseStart"] / 1e6
        want = start_real + offset_days * DAY
        check(abs(start - want) < 2.0, "%s: leaseStart %.1f, want %.1f (the daemon's clock, %+d day)" % (
            what, start, want, offset_days))
        check(st["expiry"] - st["leaseStart"] == st["lifetime"] * 1000000,
              "%s: expiry - leaseStart = %d us, lifetime %d s" % (what, st["expiry"] - st["leaseStart"], st["lifetime"]))
        return st

    if args.ctl:
        status_check("before the jump", 0, t_bind)
    client.set_offset(DAY)
    time.sleep(0.5)
    if args.ctl:
        status_check("after +1 day", 1, t_bind)
    rq = cap.wait(lambda ps: [p for p in ps if p.time > t_bind + 1 and p.type == "REQUEST"], 15, "the renewal")[0]
    check(abs(rq.time - t_bind - 10) <= 1.5, "renewal %.2f s after the bind with the clock +1 day, T1 is 10 s" % (
        rq.time - t_bind))
    ack2 = cap.wait(lambda ps: [p for p in ps if p.time >= rq.time and p.type == "ACK" and p.xid == rq.xid], 3,
                    "the renewal ACK")[0]
    time.sleep(0.3)
    if args.ctl:
        status_check("renewed, +1 day", 1, rq.time)
    client.set_offset(-DAY)
    time.sleep(0.5)
    if args.ctl:
        status_check("after -1 day", -1, rq.time)
    rq2 = cap.wait(lambda ps: [p for p in ps if p.time > rq.time + 1 and p.type == "REQUEST"], 15,
                   "the second renewal")[0]
    check(abs(rq2.time - rq.time - 10) <= 1.5, "second renewal %.2f s after the first with the clock -1 day" % (
        rq2.time - rq.time))
    check(c.ipv4(cif) == [addr] and client.proc.alive(), "address %s, daemon alive %s" % (c.ipv4(cif),
                                                                                      client.proc.alive()))
    disc = [p for p in cap.packets() if p.time > t_bind and p.type == "DISCOVER"]
    check(not disc, "DISCOVER after the clock jumps: %r" % disc)
    log("PASS clock-jump: renewals at T1 (%.2f s, %.2f s) through +1 day and -1 day; status on the daemon's clock" % (
        rq.time - t_bind, rq2.time - rq.time))


def scenario_clock_jump_restart(topo, args):
    check(args.fake_realtime and os.path.exists(args.fake_realtime), "--fake-realtime SHIM.so is needed")
    FakeClock.shim = args.fake_realtime
    DAY = 86400
    s, sif, c, cif, cap, server, client, addr, subnet = setup(topo, args, lease=120, server_kind="dnsmasq",
                                                              cls=FakeClock)

    def restart(offset_days, what):
        """SIGTERM (the address stays), the wall clock moved, start again: the lease of
        this boot is aged on the boot clock, so it is confirmed by INIT-REBOOT."""
        ack = [p for p in cap.packets() if p.type == "ACK"][-1]
        client.proc.stop(signal.SIGTERM)
        check(c.ipv4(cif) == [addr], "SIGTERM removed the address")
        client.set_offset(offset_days * DAY)
        t = time.time()
        client.start()
        rq = cap.wait(lambda ps: [p for p in ps if p.time > t and p.from_client], 10, "a message after %s" % what)[0]
        check(rq.type == "REQUEST" and rq.requested_ip == addr and rq.ciaddr == "0.0.0.0",
              "after %s the first message is %r, want the INIT-REBOOT REQUEST for %s" % (what, rq, addr))
        m = client.proc.wait_log(r"its age, (\d+) s, comes from the boot clock", 5)
        age = int(m.group(1))
        want = t - ack.time
        check(abs(age - want) <= 2, "%s: age %d s from the boot clock, %.1f s since the ACK" % (what, age, want))
        client.wait_state("BOUND", 15)
        check(c.ipv4(cif) == [addr], "after %s: addresses %s, want only %s" % (what, c.ipv4(cif), addr))
        disc = [p for p in cap.packets() if p.time > t and p.type == "DISCOVER"]
        check(not disc, "after %s: DISCOVER %r" % (what, disc))
        log("%s: INIT-REBOOT of %s, age %d s by the boot clock" % (what, addr, age))

    time.sleep(3)
    # +1 day: the wall clock says the 120 s lease ended long ago.
    restart(1, "a restart with the wall clock +1 day")
    time.sleep(6)
    # -1 day (2 days back from the last write): the wall clock says it was acquired tomorrow.
    restart(-1, "a restart with the wall clock -1 day")
    log("PASS clock-jump-restart")


SCENARIOS = {
    "clock-jump": scenario_clock_jump,
    "clock-jump-restart": scenario_clock_jump_restart,
    "link-recreate": scenario_link_recreate,
    "mac-change": scenario_mac_change,
    "no-net-admin": scenario_no_net_admin,
    "disk-full": scenario_disk_full,
    "release-arp": scenario_release_arp,
    "enobufs": scenario_enobufs,
    "kill9": scenario_kill9,
}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", required=True, choices=sorted(SCENARIOS))
    ap.add_argument("--daemon", required=True)
    ap.add_argument("--ctl")
    ap.add_argument("--fake-realtime", help="the fake-realtime.c shim (clock-jump)")
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
