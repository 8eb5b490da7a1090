#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""infradhcp-dhclient, the dhclient command line carried out by infradhcpd (issue 10,
docs/dhclient.md). The command is called as `dhclient` (a symlink on PATH, as the
packages' alternatives make it) with infradhcpd on a veth (its socket found through
$INFRADHCP_RUNTIME_DIR).

One scenario per run (--scenario):
  hostagent  the exact command lines of the ACI host agent's multipod sequence
             (bench/aci-hostagent-repro.py, from the hostagent sources): `dhclient -v -cf
             C -lf L -pf P -sf S IF` (a broadcast REQUEST with ciaddr, answered by any
             server on the link; exit 0, "bound to", L holds it, P the daemon's pid, -sf
             said once, nothing about C), `dhclient -v -r ...` (a
             DHCPRELEASE on the wire, the address gone, infradhcpd idle in RELEASED, L's
             newest block ended), `ip -4 addr flush`, link down/up (no DHCP packet while
             released), `dhclient -v ...` again (a DISCOVER, one address, L's newest block
             that address, picked by the host agent's rule), the poll (15 x 1 s: exactly one
             address).
  options    -d stays in the foreground and prints the state changes (a renewal:
             RENEWING, BOUND), exits 0 on SIGTERM and leaves infradhcpd running;
             -x stops infradhcpd without a release (address kept, exit 0); with no
             infradhcpd and no systemd as PID 1 plain `dhclient IF` says how to start it
             (exit 1); no lease in time (server gone, --timeout 3) exits 2 after ~3 s and
             -1 says so; -nw returns at once; -cf with Debian's stock dhclient.conf warns
             for every statement it cannot honour, naming file and line; -6 and unknown
             options are refused (exit 1); -r with nothing running exits 0.
  repro      bench/aci-hostagent-repro.py, the ACI host agent's flow, unchanged, with this
             command as its dhclient, in the two-pod fabric: the VM moves pod-2 -> pod-1,
             the controller writes aci-pod none, the repro releases, flushes, bounces the
             link, renews and polls: exactly one address, in pod-1; the repro reads that
             address from the exported lease file (-lf) and its ticker writes the opflex
             files for pod-1 (peer .30, remote-ip .32, every other field as it was).
"""

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time

import dhclient_leases as dl
import fabric
import netns
from netns import check, log

HERE = os.path.dirname(os.path.abspath(__file__))
REPRO = os.path.join(HERE, "..", "..", "bench", "aci-hostagent-repro.py")


class Cmd:
    """`dhclient` on PATH: a symlink to infradhcp-dhclient in a temp dir."""

    def __init__(self, topo, ns, exe, runtime_dir):
        self.ns = ns
        self.bindir = topo.mkdir("bin")
        link = os.path.join(self.bindir, "dhclient")
        if not os.path.exists(link):
            os.symlink(os.path.abspath(exe), link)
        self.env = dict(os.environ, PATH=self.bindir + ":" + os.environ.get("PATH", ""),
                        INFRADHCP_RUNTIME_DIR=runtime_dir)
        self.env.pop("NOTIFY_SOCKET", None)

    def run(self, *argv, timeout=90):
        t0 = time.time()
        p = subprocess.run(self.ns.argv(["env", "PATH=" + self.env["PATH"],
                                         "INFRADHCP_RUNTIME_DIR=" + self.env["INFRADHCP_RUNTIME_DIR"],
                                         "dhclient"] + list(argv)),
                           capture_output=True, text=True, timeout=timeout, env=self.env)
        dt = time.time() - t0
        log("dhclient %s -> exit %d in %.2f s%s" % (" ".join(argv), p.returncode, dt,
                                                    (": " + p.stderr.strip().replace("\n", " | ")) if p.stderr.strip()
                                                    else ""))
        return p, dt


def files(topo):
    d = topo.mkdir("dhclient")
    conf = os.path.join(d, "dhclient.conf")
    with open(conf, "w") as f:
        f.write("send dhcp-client-identifier = hardware;\ntimeout 30;\n")
    return d, conf, os.path.join(d, "dhclient.leases"), os.path.join(d, "dhclient.pid")


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return ""


def setup(topo, args, lease=600):
    s, sif, c, cif = netns.client_server_topology(topo)
    subnet = netns.Subnet()
    server = netns.Dnsmasq(topo, s, sif, subnet, lease=lease).start()
    cap = netns.Capture(topo, c, cif).start()
    client = netns.InfraDhcpd(topo, c, cif, args.daemon).start()
    addr = client.wait_address(timeout=20, pred=subnet.in_pool)
    client.wait_state("BOUND", 10)
    return c, cif, subnet, server, cap, client, addr


def scenario_hostagent(topo, args):
    c, cif, subnet, server, cap, client, addr = setup(topo, args)
    cmd = Cmd(topo, c, args.dhclient, client.runtime_dir)
    d, conf, lf, pf = files(topo)
    common = ["-cf", conf, "-lf", lf, "-pf", pf, "-sf", "/sbin/dhclient-script", cif]

    # checkDhclientLease found no block for the address: `dhclient IF` first.
    t0 = time.time()
    p, dt = cmd.run("-v", *common)
    check(p.returncode == 0, "dhclient IF: exit %d" % p.returncode)
    check(re.search(r"%s: bound to %s/%d -- renewal in \d+ seconds\." % (re.escape(cif), re.escape(addr),
                                                                        subnet.prefixlen), p.stderr),
          "no 'bound to' line: %r" % p.stderr)
    check(p.stderr.count("scripts are not run") == 1, "-sf must be said exactly once: %r" % p.stderr)
    check("not honoured" not in p.stderr, "the host agent's dhclient.conf drew warnings: %r" % p.stderr)
    renewal = [x for x in cap.packets() if x.from_client and x.time >= t0 and x.type == "REQUEST"]
    check(renewal and renewal[0].ciaddr == addr and renewal[0].broadcast,
          "`dhclient IF` did not renew by broadcast (REBINDING) through infradhcpd: %r" % renewal)
    text = read(lf)
    pick = dl.host_agent_pick(text, cif)
    check(pick is not None and pick.address == addr, "-lf %s: the host agent's rule reads %r" % (lf, pick))
    check(read(pf).strip() == str(client.proc.pid), "-pf holds %r, infradhcpd is pid %d" % (read(pf),
                                                                                         client.proc.pid))

    # release: `dhclient -v -r IF`, then the left IPv4 deleted.
    t0 = time.time()
    p, dt = cmd.run("-v", "-r", *common)
    check(p.returncode == 0, "dhclient -r: exit %d" % p.returncode)
    rel = [x for x in cap.packets() if x.from_client and x.time >= t0 and x.type == "RELEASE"]
    check(rel and rel[0].ciaddr == addr, "no DHCPRELEASE for %s: %r" % (addr, rel))
    check(addr not in c.ipv4(cif), "the address stays after dhclient -r")
    client.wait_state("RELEASED", 5)
    check(client.proc.alive(), "dhclient -r stopped infradhcpd")
    text = read(lf)
    blocks = [b for b in dl.blocks(text) if b.interface == cif]
    check(blocks[-1].address == addr and blocks[-1].expire <= time.time() + 1,
          "the newest block of %s is not the ended lease: %r" % (lf, blocks[-1]))
    c.ip("-4", "addr", "flush", "dev", cif)

    # renew: link down, dhcp-delay, link up, `dhclient IF` (as the host's DHCP client on
    # link-up), poll.
    t_down = time.time()
    c.ip("link", "set", cif, "down")
    time.sleep(1.0)
    c.ip("link", "set", cif, "up")
    time.sleep(1.0)
    quiet = [x for x in cap.packets() if x.from_client and x.time >= t_down]
    check(not quiet, "infradhcpd talked while released, before the renew: %r" % quiet)
    t0 = time.time()
    p, dt = cmd.run("-v", *common)
    check(p.returncode == 0, "dhclient IF after the release: exit %d" % p.returncode)
    disc = [x for x in cap.packets() if x.from_client and x.time >= t0 and x.type == "DISCOVER"]
    check(disc, "no DISCOVER after the renew from RELEASED")
    for _ in range(15):
        a = c.ipv4(cif)
        check(len(a) <= 1, "two addresses: %s" % a)
        if a:
            break
        time.sleep(1)
    new = c.ipv4(cif)
    check(len(new) == 1 and subnet.in_pool(new[0]), "after the renew: %s" % new)
    text = read(lf)
    blocks = [b for b in dl.blocks(text) if b.interface == cif]
    pick = dl.host_agent_pick(text, cif)
    check(blocks[-1].address == new[0] and pick.index == blocks[-1].index,
          "%s: newest %r, host agent picks %r, the interface has %s" % (lf, blocks[-1], pick, new))
    log("PASS hostagent: renew, release, flush, bounce, renew, poll: %s -> %s, lease file follows" % (addr, new[0]))


DEBIAN_CONF = """# Configuration file for /sbin/dhclient.
option rfc3442-classless-static-routes code 121 = array of unsigned integer 8;

send host-name = gethostname();
request subnet-mask, broadcast-address, time-offset, routers,
\tdomain-name, domain-name-servers, domain-search, host-name,
\tdhcp6.name-servers, dhcp6.domain-search, dhcp6.fqdn, dhcp6.sntp-servers,
\tnetbios-name-servers, netbios-scope, interface-mtu,
\trfc3442-classless-static-routes, ntp-servers;
send dhcp-client-identifier = hardware;
"""


def scenario_options(topo, args):
    c, cif, subnet, server, cap, client, addr = setup(topo, args)
    cmd = Cmd(topo, c, args.dhclient, client.runtime_dir)
    conf = topo.path("debian-dhclient.conf")
    with open(conf, "w") as f:
        f.write(DEBIAN_CONF)

    # -cf: every statement it cannot honour, by file and line; the rest silently.
    p, dt = cmd.run("-cf", conf, cif)
    check(p.returncode == 0, "dhclient -cf: exit %d" % p.returncode)
    check("%s:4: `send host-name = gethostname();` is not honoured" % conf in p.stderr and
          "%s:5: `request subnet-mask," % conf in p.stderr,
          "no warnings naming the lines of %s: %r" % (conf, p.stderr))
    check(p.stderr.count("is not honoured") == 2, "warnings for honoured statements: %r" % p.stderr)
    p, dt = cmd.run("-q", "-cf", conf, cif)
    check(p.returncode == 0 and p.stderr == "", "-q still talks: %r" % p.stderr)

    # Refused: -6, an unknown option, -r with -x, no interface for a plain call.
    for argv in (["-6", cif], ["--bogus", cif], ["-r", "-x", cif], []):
        p, dt = cmd.run(*argv)
        check(p.returncode == 1 and p.stderr.startswith("infradhcp-dhclient: "), "%s: exit %d %r" % (
            argv, p.returncode, p.stderr))

    # -d: stays in the foreground after the lease, prints infradhcpd's state changes,
    # exits 0 on SIGTERM and leaves infradhcpd running.
    out = topo.path("dhclient-d.out")
    with open(out, "w") as f:
        fg = subprocess.Popen(c.argv(["env", "PATH=" + cmd.env["PATH"], "INFRADHCP_RUNTIME_DIR=" + client.runtime_dir,
                                      "dhclient", "-d", cif]), stdout=f, stderr=subprocess.STDOUT)
    try:
        netns.wait_for(lambda: "bound to" in read(out), 20, "dhclient -d bound")
        n = len(read(out))
        client.proc.send_signal(signal.SIGUSR1)
        netns.wait_for(lambda: re.search(r"%s: RENEWING %s" % (re.escape(cif), re.escape(addr)), read(out)[n:]) and
                       re.search(r"%s: BOUND %s" % (re.escape(cif), re.escape(addr)), read(out)[n:]), 10,
                       "dhclient -d printing the renewal")
        check(fg.poll() is None, "dhclient -d exited: %s" % read(out))
    finally:
        fg.send_signal(signal.SIGTERM)
        rc = fg.wait(timeout=10)
    check(rc == 0 and client.proc.alive(), "dhclient -d on SIGTERM: exit %d, infradhcpd alive %s" % (
        rc, client.proc.alive()))
    log("dhclient -d %s: followed a renewal, exit %d on SIGTERM, infradhcpd still running" % (cif, rc))

    # -x: stopped, no release, the address kept.
    t0 = time.time()
    p, dt = cmd.run("-x", "-v", cif)
    check(p.returncode == 0, "dhclient -x: exit %d" % p.returncode)
    netns.wait_for(lambda: not client.proc.alive(), 5, "infradhcpd stopped by -x")
    check(not [x for x in cap.packets() if x.from_client and x.time >= t0 and x.type == "RELEASE"],
          "-x sent a RELEASE")
    check(addr in c.ipv4(cif), "-x removed the address")
    # Nothing runs now: -r and -x have nothing to do; a plain call says how to start it.
    for argv in (["-r", cif], ["-x", cif]):
        p, dt = cmd.run(*argv)
        check(p.returncode == 0 and "is not running on %s" % cif in p.stderr, "%s with nothing running: %d %r" % (
            argv, p.returncode, p.stderr))
    p, dt = cmd.run(cif)
    check(p.returncode == 1 and "Start it as root with `infradhcpd %s`" % cif in p.stderr,
          "plain dhclient without infradhcpd and without systemd: %d %r" % (p.returncode, p.stderr))

    # No lease in time: infradhcpd released, the server gone, --timeout 3: exit 2.
    client.start()
    client.wait_state("BOUND", 20)
    p, dt = cmd.run("-r", cif)
    server.stop()
    p, dt = cmd.run("-v", "-1", "--timeout", "3", cif)
    check(p.returncode == 2, "no lease in time: exit %d, want 2" % p.returncode)
    check(2.5 <= dt <= 10, "--timeout 3 took %.1f s" % dt)
    check("no lease within the timeout" in p.stderr, "no word about the timeout: %r" % p.stderr)
    check(client.proc.alive(), "-1 stopped an infradhcpd it had not started")
    # -nw: returns at once, the daemon keeps trying.
    p, dt = cmd.run("-nw", cif)
    check(p.returncode == 0 and dt < 5, "-nw: exit %d after %.1f s" % (p.returncode, dt))
    server.start()
    netns.wait_for(lambda: c.ipv4(cif), 30, "infradhcpd's lease once the server is back")
    log("PASS options: -d follows, -cf warnings by line, -q, refusals, -x, not running, exit 2 after --timeout, -nw")


def scenario_repro(topo, args):
    fab = fabric.Fabric(topo, attached=("pod-2",))
    p1, p2 = fab.pod("pod-1"), fab.pod("pod-2")
    node = fab.node
    kube = fabric.KubeStandIn(topo, node).start()
    kube.annotate(aci_pod=p2.annotation, node_aci_pod=p2.name)
    opflex = fabric.OpflexFiles(topo, kube.node_name, p2)
    # The ACI sequence alone moves the address: infradhcpd's own attachment detection
    # (docs/dna.md) is off, as in the multipod tests of the annotation path.
    dhcpd = netns.InfraDhcpd(topo, node, fabric.INFRA_IF, args.daemon,
                             config=fabric.annotation_only_config(topo)).start()
    old = dhcpd.wait_address(pred=p2.contains)
    cmd = Cmd(topo, node, args.dhclient, dhcpd.runtime_dir)
    d, conf, lf, pf = files(topo)
    cfg = fabric.host_agent_config(topo, opflex.dir, dhcp_delay=1, retries=3)
    repro = topo.spawn("aci-hostagent-repro", node.argv([
        "env", "PATH=" + cmd.env["PATH"], "INFRADHCP_RUNTIME_DIR=" + dhcpd.runtime_dir,
        "/usr/bin/python3", REPRO, "--node", kube.node_name, "--kubeconfig", kube.kubectl_config,
        "--interface", fabric.INFRA_IF, "--host-agent-config", cfg, "--opflex-config-path", opflex.dir,
        "--dhclient-dir", d, "--ticker", "1", "--ticker-phase", "0.5"]))
    repro.wait_log(r"ip already from same subnet", 30)
    start = len(repro.text())

    fab.migrate("pod-2", "pod-1")
    kube.annotate(node_aci_pod="none")
    t0 = time.time()
    kube.annotate(aci_pod="none")
    repro.wait_log(r"aci-pod '%s' -> 'none'" % re.escape(p2.annotation), 20, start)
    m = repro.wait_log(r"dhcp renew (succeeded|FAILED): (.*)", 120, start)
    check(m.group(1) == "succeeded", "the repro's flow failed: %s\n%s" % (m.group(0), repro.tail(40)))
    a = fab.ipv4()
    check(len(a) == 1 and p1.contains(a[0][0]), "after the flow: %s, expected exactly one in %s" % (a, p1.cidr))
    new = a[0][0]
    # The address it read back from the exported lease file (checkDhclientLease).
    repro.wait_log(r"lease file: %s\b" % re.escape(new), 5, start)
    pick = dl.host_agent_pick(read(lf), fabric.INFRA_IF)
    check(pick is not None and pick.address == new, "%s: the host agent's rule reads %r, not %s" % (lf, pick, new))
    # The ticker writes the files from the address: pod-1's anycast addresses.
    netns.wait_for(lambda: opflex.points_to(p1), 10, "the repro's ticker writing pod-1's opflex files")
    opflex.check_rewritten_for(p1)
    check(not [x for x in repro.text()[start:].splitlines() if "dhclient" in x and "not found" in x],
          "the repro could not run dhclient")
    log("PASS repro: the ACI host agent's flow with infradhcp-dhclient moved %s -> %s in %.1f s, read it from "
        "the lease file, wrote pod-1's opflex files" % (old, new, time.time() - t0))
    repro.stop()


SCENARIOS = {"hostagent": scenario_hostagent, "options": scenario_options, "repro": scenario_repro}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", required=True, choices=sorted(SCENARIOS))
    ap.add_argument("--daemon", required=True)
    ap.add_argument("--dhclient", required=True, help="infradhcp-dhclient")
    ap.add_argument("--keep-tmp", action="store_true")
    args = ap.parse_args()
    with netns.Topology("dc" + args.scenario[:1], keep_tmp=args.keep_tmp) as topo:
        try:
            SCENARIOS[args.scenario](topo, args)
        except netns.CheckFailed:
            netns.dump_packets(sum([netns.read_pcap(os.path.join(topo.tmp, f))
                                    for f in sorted(os.listdir(topo.tmp)) if f.endswith(".pcap")], []))
            raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
