#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Who removed my address? (issue 10): when someone else removes the leased address
or the 224.0.0.0/4 route, infradhcpd names the process (the notification's netlink
port, netlink-owner.h), logs it, shows it in status (lastRemoval, lastRemovalAt, the
D-Bus LastRemoval) and puts it back.

One scenario per run (--scenario):
  ip        `ip -batch -` kept running (the process still there when infradhcpd looks):
            `addr del` and `route del 224.0.0.0/4 ... metric 401` are each logged as
            "<what> removed by ip (pid P); put back. Run infradhcpctl doctor IF" with P
            the ip process, REMOVED_BY=ip REMOVER_PID=P, put back, and shown by
            `infradhcpctl status` and --json; then a plain `ip addr del` (gone before
            it can be named, or named if infradhcpd is quicker): its pid is in the
            message either way. `infradhcpctl metrics` counts 2 address and 1 route
            removals. Our own removals (a release) are nobody's.
  networkd  a real systemd-networkd (private mount namespace, DHCP=ipv4 for the
            interface) removes infradhcpd's address at `networkctl reconfigure`: the
            message names systemd-networkd and its pid.
  networkmanager  a real NetworkManager 1.42 (dns=none, rc-manager=unmanaged, private
            mount namespace and bus) flushes the address when `nmcli con up` activates
            its automatic profile: the message names NetworkManager and its pid.
"""

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time

import netns
import test_doctor_live as live
from netns import check, log


def setup(topo, args):
    s, sif, c, cif = netns.client_server_topology(topo)
    subnet = netns.Subnet()
    netns.Dnsmasq(topo, s, sif, subnet, lease=600).start()
    client = netns.InfraDhcpd(topo, c, cif, args.daemon).start()
    addr = client.wait_address(timeout=20, pred=subnet.in_pool)
    client.wait_state("BOUND", 10)
    return c, cif, client, addr, subnet


def ctl_status(args, client, json_out):
    argv = [args.ctl, "--runtime-dir", client.runtime_dir] + (["--json"] if json_out else []) + [
        "status", client.ifname]
    p = netns.run(argv)
    return json.loads(p.stdout) if json_out else p.stdout


def expect_removal(client, start, what, who_re, pid):
    """The log line and fields of one removal, after character offset start."""
    msg = r"%s removed by %s; put back\. Run infradhcpctl doctor %s" % (re.escape(what), who_re,
                                                                       re.escape(client.ifname))
    m = client.proc.wait_log(msg + r".*REMOVED=%s[^\n]*" % re.escape(what), 10, start)
    line = m.group(0)
    check("REMOVER_PID=%d" % pid in line, "REMOVER_PID is not %d: %s" % (pid, line))
    return line


def scenario_ip(topo, args):
    c, cif, client, addr, subnet = setup(topo, args)
    plen = subnet.prefixlen

    # ip -batch -: reads commands from stdin and stays until it ends.
    batch = subprocess.Popen(c.argv(["ip", "-batch", "-"]), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
    try:
        n = len(client.proc.text())
        batch.stdin.write("addr del %s/%d dev %s\n" % (addr, plen, cif))
        batch.stdin.flush()
        line = expect_removal(client, n, "%s/%d" % (addr, plen), r"ip \(pid %d\)" % batch.pid, batch.pid)
        check("REMOVED_BY=ip" in line, "REMOVED_BY is not ip: %s" % line)
        netns.wait_for(lambda: addr in c.ipv4(cif), 5, "the address put back")
        log("addr del by ip (pid %d): %s" % (batch.pid, line.split(" (INTERFACE")[0]))

        st = ctl_status(args, client, True)
        want = "%s/%d removed by ip (pid %d); put back. Run infradhcpctl doctor %s" % (addr, plen, batch.pid, cif)
        check(st.get("lastRemoval") == want, "status lastRemoval %r, want %r" % (st.get("lastRemoval"), want))
        check(abs(st.get("lastRemovalAt", 0) / 1e6 - time.time()) < 30, "lastRemovalAt %r" % st.get("lastRemovalAt"))
        text = ctl_status(args, client, False)
        check(re.search(r"Last Removal: %s \(" % re.escape(want), text) is not None,
              "infradhcpctl status does not show the removal:\n%s" % text)

        # The multicast route.
        n = len(client.proc.text())
        batch.stdin.write("route del 224.0.0.0/4 dev %s metric 401\n" % cif)
        batch.stdin.flush()
        line = expect_removal(client, n, "224.0.0.0/4 metric 401 route", r"ip \(pid %d\)" % batch.pid, batch.pid)
        netns.wait_for(lambda: c.multicast_route(cif) is not None, 5, "the multicast route put back")
        log("route del by ip (pid %d): put back" % batch.pid)
    finally:
        batch.stdin.close()
        batch.wait(timeout=10)

    # A plain `ip addr del`: a process of a few milliseconds. Named when infradhcpd
    # looks before it exits, else "pid P (exited)"; P is right either way.
    n = len(client.proc.text())
    p = subprocess.Popen(c.argv(["ip", "addr", "del", "%s/%d" % (addr, plen), "dev", cif]))
    p.wait(timeout=10)
    line = expect_removal(client, n, "%s/%d" % (addr, plen), r"(ip \(pid %d\)|pid %d \(exited\))" % (p.pid, p.pid),
                          p.pid)
    netns.wait_for(lambda: addr in c.ipv4(cif), 5, "the address put back after the plain ip addr del")
    log("plain ip addr del (pid %d): %s" % (p.pid, re.search(r"removed by ([^;]+);", line).group(1)))

    # Counted for the metrics front end: two address removals, one of the route.
    text = netns.run([args.ctl, "--runtime-dir", client.runtime_dir, "metrics", cif]).stdout
    for name, want in (("infradhcp_address_removed_total", 2), ("infradhcp_multicast_route_removed_total", 1)):
        check(re.search(r"^%s\{interface=\"%s\"\} %d$" % (name, re.escape(cif), want), text, re.M) is not None,
              "infradhcpctl metrics: %s is not %d:\n%s" % (name, want, "\n".join(
                  l for l in text.splitlines() if "removed" in l)))

    # infradhcpd's own removal (a release) is nobody's to report.
    n = len(client.proc.text())
    client.proc.send_signal(signal.SIGUSR2)
    client.wait_state("RELEASED", 5, n)
    time.sleep(0.5)
    check("removed by" not in client.proc.text()[n:], "our own release was reported as a removal")
    log("PASS ip: addr del and route del named with ip's pid, shown in status, put back; own release silent")


def scenario_networkd(topo, args):
    c, cif, client, addr, subnet = setup(topo, args)
    netdir = topo.mkdir("systemd-network")
    with open(os.path.join(netdir, "50-infra.network"), "w") as f:
        f.write("[Match]\nName=%s\n\n[Network]\nDHCP=ipv4\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n" % cif)
    resolv = topo.path("resolv.conf")
    open(resolv, "w").close()
    sb = live.Sandbox(topo, c, [("tmpfs", None, "/run/systemd"), ("tmpfs", None, "/run/dbus"),
                                ("bind", netdir, "/etc/systemd/network"), ("file", resolv, "/etc/resolv.conf")])
    sb.run(["sh", "-c", "mkdir -p /run/systemd/netif/links /run/systemd/netif/leases /run/systemd/netif/lldp && "
                        "chown -R systemd-network:systemd-network /run/systemd/netif"], check_rc=True)
    live.private_bus(sb)
    n = len(client.proc.text())
    nd = sb.spawn("systemd-networkd", [live.NETWORKD])
    nd.wait_log(r"DHCPv4 address .* acquired", 20)
    # Its reconfiguration drops every address it did not add (test_doctor_live).
    sb.run(["networkctl", "reconfigure", cif])
    line = expect_removal(client, n, "%s/%d" % (addr, subnet.prefixlen), r"systemd-networkd \(pid %d\)" % nd.pid,
                          nd.pid)
    check("REMOVED_BY=systemd-networkd" in line, "REMOVED_BY is not systemd-networkd: %s" % line)
    st = ctl_status(args, client, True)
    check(("removed by systemd-networkd (pid %d)" % nd.pid) in st.get("lastRemoval", ""),
          "status lastRemoval %r" % st.get("lastRemoval"))
    nd.stop()
    log("PASS networkd: %s" % st["lastRemoval"])


def scenario_networkmanager(topo, args):
    c, cif, client, addr, subnet = setup(topo, args)
    etc = topo.mkdir("NetworkManager")
    os.makedirs(os.path.join(etc, "conf.d"), exist_ok=True)
    os.makedirs(os.path.join(etc, "system-connections"), exist_ok=True)
    with open(os.path.join(etc, "NetworkManager.conf"), "w") as f:
        f.write("[main]\nplugins=keyfile\ndns=none\nrc-manager=unmanaged\n\n[logging]\nlevel=INFO\n")
    resolv = topo.path("resolv.conf")
    open(resolv, "w").close()
    sb = live.Sandbox(topo, c, [("tmpfs", None, "/run/systemd"), ("tmpfs", None, "/run/dbus"),
                                ("tmpfs", None, "/run/NetworkManager"), ("tmpfs", None, "/var/lib/NetworkManager"),
                                ("bind", etc, "/etc/NetworkManager"), ("file", resolv, "/etc/resolv.conf")])
    live.private_bus(sb)
    n = len(client.proc.text())
    nm = sb.spawn("NetworkManager", [live.NM, "--no-daemon", "--debug"])
    nm.wait_log(r"created default wired connection 'Wired connection 1'", 30)
    nm.wait_log(r"startup complete", 30)
    # Activating its automatic profile flushes the address it did not configure
    # (test_doctor_live, the seed's `nmcli con up`).
    sb.run(["nmcli", "--wait", "0", "connection", "up", "Wired connection 1", "ifname", cif])
    line = expect_removal(client, n, "%s/%d" % (addr, subnet.prefixlen), r"NetworkManager \(pid %d\)" % nm.pid,
                          nm.pid)
    st = ctl_status(args, client, True)
    check(("removed by NetworkManager (pid %d)" % nm.pid) in st.get("lastRemoval", ""),
          "status lastRemoval %r" % st.get("lastRemoval"))
    nm.stop()
    log("PASS networkmanager: %s" % st["lastRemoval"])


SCENARIOS = {"ip": scenario_ip, "networkd": scenario_networkd, "networkmanager": scenario_networkmanager}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", required=True, choices=sorted(SCENARIOS))
    ap.add_argument("--daemon", required=True)
    ap.add_argument("--ctl", required=True)
    ap.add_argument("--keep-tmp", action="store_true")
    args = ap.parse_args()
    with netns.Topology("rm" + args.scenario[:1], keep_tmp=args.keep_tmp) as topo:
        SCENARIOS[args.scenario](topo, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
