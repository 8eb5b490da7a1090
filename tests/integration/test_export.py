#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The lease exported in ISC dhclient's format (issue 10, docs/configuration.md
[LeaseExport]), read by the real dhclient and by the ACI host agent's rule.

One scenario per run (--scenario):
  dhclient-reboot  a stale block dhclient left (another address, expiring in a week)
                   and another interface's block are in the file before infradhcpd
                   starts. After the bind and after a renewal the file's newest block
                   is the lease exactly (address, mask, server, lease time, client id
                   as dhclient prints it, renew/rebind/expire = the daemon's T1/T2/
                   expiry in UTC), the older blocks end before it, the other
                   interface's block is untouched, and the host agent's rule picks the
                   newest. infradhcpd stopped (SIGTERM), the real dhclient started with
                   -lf <that file> (private mount namespace, -sf /bin/true) sends a
                   REQUEST for exactly that address with ciaddr 0 and no server id
                   (INIT-REBOOT, RFC 2131 §4.3.2), no DISCOVER, and gets it ACKed.
  release          after a release (SIGUSR2) the newest block is the released lease
                   with renew/rebind/expire at the release; the host agent's rule picks
                   it, and dhclient started on the file begins with a DISCOVER (nothing
                   left to reboot with). AddLeaseExport over varlink writes the current
                   block to a second file at once; the next bind goes to both.
  nak              infradhcpd restarted where its remembered lease is NAKed (the pool
                   moved): the file gets the old lease's block ended at the NAK, then
                   the new lease's block, which the host agent's rule picks.
  location         without [LeaseExport] Path= the file goes where the distribution's
                   dhclient keeps it, from /etc/os-release (bind-mounted in a private
                   mount namespace over a private /var/lib): Ubuntu (ID_LIKE=debian)
                   /var/lib/dhcp/dhclient.IF.leases, RHEL (ID="rhel") and Rocky
                   (ID_LIKE="rhel centos fedora") /var/lib/dhclient/dhclient-IF.leases;
                   openSUSE: none, said in the log; Enabled=no: none.
"""

import argparse
import os
import signal
import sys
import time

import dhclient_leases as dl
import fabric
import netns
from netns import check, log


def setup(topo, args, lease=600, config=None, client_cls=None):
    s, sif, c, cif = netns.client_server_topology(topo)
    subnet = netns.Subnet()
    cap = netns.Capture(topo, c, cif).start()
    server = netns.Dnsmasq(topo, s, sif, subnet, lease=lease).start()
    cfg = None
    if config is not None:
        cfg = topo.path("infradhcpd-%d.conf" % time.monotonic_ns())
        with open(cfg, "w") as f:
            f.write(config)
    cls = client_cls or netns.InfraDhcpd
    client = cls(topo, c, cif, args.daemon, config=cfg)
    return s, c, cif, cap, server, client, subnet


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return None


def status(client):
    r = fabric.varlink_call(os.path.join(client.runtime_dir, client.ifname, "io.infradhcp.Client"),
                            "io.infradhcp.Client.GetStatus")
    return r["parameters"]


def ours(text, ifname):
    return [b for b in dl.blocks(text) if b.interface == ifname]


def wait_blocks(path, ifname, pred, what, timeout=10):
    def look():
        text = read(path)
        if text is None:
            return None
        bs = ours(text, ifname)
        return (text, bs) if pred(bs) else None
    return netns.wait_for(look, timeout, what)


def dhclient_client_id(mac):
    """Option 61 the way dhclient prints bytes: hex without leading zeros."""
    return ":".join(["1"] + ["%x" % int(x, 16) for x in mac.split(":")])


def check_block(b, st, mac, ack, what):
    """The block is the lease the daemon holds (its varlink status and the ACK)."""
    check(b.address == st["address"], "%s: fixed-address %s, the daemon holds %s" % (what, b.address, st["address"]))
    mask = (0xffffffff << (32 - st["prefixlen"])) & 0xffffffff
    check(b.options.get("subnet-mask") == "%d.%d.%d.%d" % tuple((mask >> s) & 255 for s in (24, 16, 8, 0)),
          "%s: subnet-mask %s for /%d" % (what, b.options.get("subnet-mask"), st["prefixlen"]))
    check(b.options.get("dhcp-server-identifier") == ack.server_id,
          "%s: server id %s, ACK from %s" % (what, b.options.get("dhcp-server-identifier"), ack.server_id))
    check(b.options.get("dhcp-lease-time") == str(ack.lease_time),
          "%s: lease time %s, ACK says %s" % (what, b.options.get("dhcp-lease-time"), ack.lease_time))
    check(b.options.get("dhcp-message-type") == "5", "%s: message type %s" % (what, b.options.get("dhcp-message-type")))
    check(b.options.get("dhcp-client-identifier") == dhclient_client_id(mac),
          "%s: client id %s, want %s" % (what, b.options.get("dhcp-client-identifier"), dhclient_client_id(mac)))
    for key, field in (("renew", "t1"), ("rebind", "t2"), ("expire", "expiry")):
        want = st[field] // 1000000
        check(b.times.get(key) == want, "%s: %s %s, the daemon's %s is %s (UTC seconds)" % (
            what, key, b.times.get(key), field, want))


class Dhclient:
    """The real ISC dhclient on a given lease file, in a private mount namespace with
    a temporary directory over /var/lib/dhcp, its script /bin/true: it writes no host
    file and configures nothing."""

    def __init__(self, topo, ns, ifname, lease_file):
        self.topo, self.ns, self.ifname, self.lease_file = topo, ns, ifname, lease_file
        self.dir = topo.mkdir(topo.unique("dhc"))
        self.proc = None

    def start(self):
        conf = os.path.join(self.dir, "dhclient.conf")
        with open(conf, "w") as f:
            f.write("send dhcp-client-identifier = hardware;\ntimeout 20;\n")
        os.makedirs(os.path.join(self.dir, "varlibdhcp"), exist_ok=True)
        inner = " ".join([
            "mount --bind %s /var/lib/dhcp &&" % os.path.join(self.dir, "varlibdhcp"),
            "exec", netns.IP, "netns", "exec", self.ns.name,
            "dhclient", "-d", "-1", "-4", "-v", "-cf", conf, "-lf", self.lease_file,
            "-pf", os.path.join(self.dir, "dhclient.pid"), "-sf", "/bin/true", self.ifname])
        self.proc = self.topo.spawn("dhclient", ["unshare", "-m", "--propagation", "private", "sh", "-c", inner])
        return self

    def stop(self):
        if self.proc:
            self.proc.stop()


def first_from_client(cap, t0, mac):
    def look(ps):
        mine = [p for p in ps if p.from_client and p.time >= t0 and p.chaddr == mac]
        return mine[0] if mine else None
    return cap.wait(look, 15, "the first message of dhclient")


def scenario_dhclient_reboot(topo, args):
    s, c, cif, cap, server, client, subnet = setup(topo, args)
    mac = c.mac(cif)
    path = client.dhclient_lease_path
    # Outside the pool (.100-.150): dnsmasq picks an address by a hash of the MAC, and the
    # planted one must never be what it offers (it was 1 run in 51 with .140).
    stale = str(subnet.net.network_address + 60)
    week = time.strftime("%w %Y/%m/%d %H:%M:%S", time.gmtime(time.time() + 7 * 86400))
    other = ("lease {\n  interface \"eth-other\";\n  fixed-address 192.168.9.9;\n"
             "  option subnet-mask 255.255.255.0;\n  renew %s;\n  rebind %s;\n  expire %s;\n}\n" % (week, week, week))
    planted = ("lease {\n  interface \"%s\";\n  fixed-address %s;\n  option subnet-mask 255.255.255.0;\n"
               "  option dhcp-lease-time 604800;\n  renew %s;\n  rebind %s;\n  expire %s;\n}\n" % (
                   cif, stale, week, week, week)) + other
    with open(path, "w") as f:
        f.write(planted)

    client.start()
    addr = client.wait_address(timeout=20, pred=subnet.in_pool)
    check(addr != stale, "the server handed out the planted address %s" % stale)
    ack = cap.wait(lambda ps: [p for p in ps if p.type == "ACK" and p.yiaddr == addr], 5, "the ACK")[-1]
    t_bound = time.time()
    text, bs = wait_blocks(path, cif, lambda bs: bs and bs[-1].address == addr, "the exported block for %s" % addr)
    st = status(client)
    check(len(bs) == 2 and bs[0].address == stale, "blocks for %s after the bind: %r" % (cif, bs))
    check_block(bs[-1], st, mac, ack, "after the bind")
    check(bs[0].expire < t_bound + 1 and all(v is not None and v <= bs[-1].expire - 1 for v in bs[0].times.values()),
          "the stale block must end before the new one: %r" % bs[0].times)
    check(other in text, "the other interface's block changed:\n%s" % text)
    pick = dl.host_agent_pick(text, cif)
    check(pick is not None and pick.index == bs[-1].index and pick.address == addr,
          "the host agent's rule picks %r, not the newest block %r" % (pick, bs[-1]))
    check(dl.dhclient_active(text, cif).address == addr, "dhclient's active lease is not %s" % addr)
    log("bound to %s: block exported, stale block ended, host agent picks it" % addr)

    # A renewal: one more block, the newest again the lease with later times.
    t0 = time.time()
    client.proc.send_signal(signal.SIGUSR1)
    cap.wait(lambda ps: [p for p in ps if p.type == "ACK" and p.time > t0], 5, "the renewal's ACK")
    text, bs = wait_blocks(path, cif, lambda bs: len(bs) == 3, "a third block after the renewal")
    st2 = status(client)
    ack2 = [p for p in cap.packets() if p.type == "ACK" and p.time > t0][-1]
    check_block(bs[-1], st2, mac, ack2, "after the renewal")
    check(bs[1].address == addr and bs[1].expire <= bs[-1].expire - 1, "the bind's block must end before the renewal's")
    check(dl.host_agent_pick(text, cif).index == bs[-1].index, "the host agent's rule does not pick the renewal")
    check(other in text, "the other interface's block changed after the renewal")

    # infradhcpd stopped without release; the real dhclient reads the file.
    client.stop()
    check(addr in c.ipv4(cif), "SIGTERM must leave the address")
    t0 = time.time()
    d = Dhclient(topo, c, cif, path).start()
    first = first_from_client(cap, t0, mac)
    check(first.type == "REQUEST", "dhclient's first message is a %s, not the INIT-REBOOT REQUEST: %r" % (
        first.type, first))
    check(first.requested_ip == addr, "dhclient asks for %s, the exported lease is %s" % (first.requested_ip, addr))
    check(first.ciaddr == "0.0.0.0" and first.server_id is None and first.broadcast,
          "INIT-REBOOT: broadcast, ciaddr 0, no option 54 (RFC 2131 §4.3.2): %r" % first)
    cap.wait(lambda ps: [p for p in ps if p.type == "ACK" and p.time > t0 and p.yiaddr == addr], 10,
             "the server's ACK of dhclient's INIT-REBOOT")
    d.proc.wait_log(r"DHCPACK of %s" % addr.replace(".", r"\."), 10)
    check(not [p for p in cap.packets() if p.from_client and p.time >= t0 and p.type == "DISCOVER"],
          "dhclient sent a DISCOVER: it did not take the exported lease")
    d.stop()
    log("PASS dhclient-reboot: dhclient -lf <exported file> did INIT-REBOOT for %s" % addr)


def scenario_release(topo, args):
    s, c, cif, cap, server, client, subnet = setup(topo, args)
    mac = c.mac(cif)
    path = client.dhclient_lease_path
    client.start()
    addr = client.wait_address(timeout=20, pred=subnet.in_pool)
    wait_blocks(path, cif, lambda bs: bs and bs[-1].address == addr, "the exported block")

    t0 = time.time()
    client.proc.send_signal(signal.SIGUSR2)
    rel = cap.wait(lambda ps: [p for p in ps if p.type == "RELEASE" and p.time >= t0], 5, "the RELEASE")[0]
    text, bs = wait_blocks(path, cif, lambda bs: len(bs) == 2, "the release's block")
    t1 = time.time()
    end = bs[-1]
    check(end.address == addr and end.options.get("dhcp-lease-time") == bs[0].options.get("dhcp-lease-time"),
          "the release block is not the released lease: %r" % end)
    check(len(set(end.times.values())) == 1 and int(t0) <= end.expire <= t1,
          "renew/rebind/expire of the release block must all be the release (%.0f..%.0f): %r" % (t0, t1, end.times))
    check(int(rel.time) - 1 <= end.expire, "the release block ends before the RELEASE was sent")
    check(bs[0].expire < end.expire, "the bound block must end before the release block: %r" % bs)
    pick = dl.host_agent_pick(text, cif)
    check(pick.index == end.index, "the host agent's rule picks %r, not the release block" % pick)
    check(dl.dhclient_active(text, cif, now=t1 + 1) is None, "dhclient would still see an active lease")

    # dhclient on the released file: nothing to confirm, so it starts with DISCOVER.
    t0 = time.time()
    d = Dhclient(topo, c, cif, topo.path("released-copy.leases"))
    with open(d.lease_file, "w") as f:
        f.write(text)
    d.start()
    first = first_from_client(cap, t0, mac)
    check(first.type == "DISCOVER", "dhclient's first message after a release is a %s: %r" % (first.type, first))
    d.stop()

    # A second file at run time (infradhcp-dhclient -lf): written at once.
    extra = topo.path("extra", "dhclient.leases")
    r = fabric.varlink_call(os.path.join(client.runtime_dir, cif, "io.infradhcp.Client"),
                            "io.infradhcp.Client.AddLeaseExport", {"path": extra})
    check(r.get("parameters", {}).get("written") is True and "error" not in r, "AddLeaseExport: %r" % r)
    check(ours(read(extra), cif)[-1].expire == end.expire, "the extra file does not hold the release block")
    r = fabric.varlink_call(os.path.join(client.runtime_dir, cif, "io.infradhcp.Client"),
                            "io.infradhcp.Client.AddLeaseExport", {"path": "relative/x.leases"})
    check(r.get("error") == "io.infradhcp.Client.InvalidPath", "a relative path was accepted: %r" % r)

    # Leased again: both files get the bound block.
    client.proc.send_signal(signal.SIGUSR1)
    addr2 = client.wait_address(timeout=10, pred=subnet.in_pool)
    for p in (path, extra):
        text, bs = wait_blocks(p, cif, lambda bs: bs[-1].address == addr2 and bs[-1].expire > time.time() + 60,
                               "the new lease's block in %s" % p)
        check(dl.host_agent_pick(text, cif).index == bs[-1].index, "%s: the host agent misses the new lease" % p)
    log("PASS release: release block ends at the release, dhclient DISCOVERs, AddLeaseExport, re-bound %s" % addr2)


def scenario_nak(topo, args):
    """A daemon restarted in another network: its remembered lease is NAKed at the
    INIT-REBOOT, and the file says so at once (an ended block of the old address),
    then gets the new lease."""
    s, c, cif, cap, server, client, subnet = setup(topo, args)
    path = client.dhclient_lease_path
    client.start()
    addr = client.wait_address(timeout=20, pred=subnet.in_pool)
    wait_blocks(path, cif, lambda bs: bs and bs[-1].address == addr, "the exported block")
    client.stop()
    server.stop()
    server.subnet = netns.Subnet(str(subnet.net), pool=(160, 200))  # the old address in no range
    server.start()
    t0 = time.time()
    client.start()
    nak = cap.wait(lambda ps: [p for p in ps if p.type == "NAK" and p.time >= t0], 10, "the NAK of the INIT-REBOOT")[0]
    new = client.wait_address(timeout=15, pred=server.subnet.in_pool)
    text, bs = wait_blocks(path, cif, lambda bs: bs[-1].address == new, "the new lease's block")
    check([b.address for b in bs] == [addr, addr, new], "blocks after the NAK: %r" % bs)
    ended = bs[1]
    check(len(set(ended.times.values())) == 1 and int(nak.time) - 1 <= ended.expire <= int(nak.time) + 2,
          "the old lease's block must end at the NAK (%.0f): %r" % (nak.time, ended.times))
    check(dl.host_agent_pick(text, cif).index == bs[-1].index, "the host agent does not pick the new lease")
    log("PASS nak: %s ended at the NAK in the file, then %s" % (addr, new))


class PrivateLib(netns.InfraDhcpd):
    """infradhcpd with a private /var/lib and a given /etc/os-release (bind mounts in a
    private mount namespace), the rest as usual."""

    def __init__(self, topo, ns, ifname, daemon, config=None, os_release=None, varlib=None):
        super().__init__(topo, ns, ifname, daemon, config=config)
        self.os_release, self.varlib = os_release, varlib

    def start(self):
        inner = " ".join(["mount --bind %s /var/lib &&" % self.varlib,
                          "mount --bind %s /etc/os-release &&" % self.os_release,
                          "exec"] + self.ns.argv(self.argv()))
        self.proc = self.topo.spawn(self.kind, ["unshare", "-m", "--propagation", "private", "sh", "-c", inner],
                                    env=self.env())
        log("started %s with %s (pid %d)" % (self.kind, self.os_release, self.proc.pid))
        return self


def scenario_location(topo, args):
    s, sif, c, cif = netns.client_server_topology(topo)
    subnet = netns.Subnet()
    netns.Dnsmasq(topo, s, sif, subnet, lease=600).start()
    cases = [
        ("ubuntu", 'NAME="Ubuntu"\nVERSION_ID="24.04"\nID=ubuntu\nID_LIKE=debian\n', "", "dhcp/dhclient.%s.leases"),
        ("rhel", 'NAME="Red Hat Enterprise Linux"\nID="rhel"\nID_LIKE="fedora"\nVERSION_ID="9.4"\n', "",
         "dhclient/dhclient-%s.leases"),
        ("rocky", 'NAME="Rocky Linux"\nID="rocky"\nID_LIKE="rhel centos fedora"\n', "", "dhclient/dhclient-%s.leases"),
        ("opensuse", 'NAME="openSUSE Leap"\nID="opensuse-leap"\nID_LIKE="suse opensuse"\n', "", None),
        ("off", 'ID=debian\n', "Enabled=no\n", None),
    ]
    for name, text, extra, want in cases:
        osr = topo.path("os-release-" + name)
        with open(osr, "w") as f:
            f.write(text)
        varlib = topo.mkdir("varlib-" + name)
        cfg = topo.path("location-%s.conf" % name)
        with open(cfg, "w") as f:
            f.write("[LeaseExport]\n" + extra)  # no Path=: the harness adds none either
        d = PrivateLib(topo, c, cif, args.daemon, config=cfg, os_release=osr, varlib=varlib).start()
        addr = d.wait_address(timeout=20, pred=subnet.in_pool)
        d.proc.wait_log(r"STATE=BOUND", 10)
        if want:
            p = os.path.join(varlib, want % cif)
            text_, bs = wait_blocks(p, cif, lambda bs: bs and bs[-1].address == addr, "%s: %s" % (name, p))
            found = sorted(os.path.relpath(os.path.join(dp, f), varlib) for dp, _, fs in os.walk(varlib)
                           for f in fs)
            check(found == [want % cif], "%s: files under /var/lib: %s" % (name, found))
            log("%s: lease exported to /var/lib/%s" % (name, want % cif))
        else:
            time.sleep(1.0)
            found = [f for _, _, fs in os.walk(varlib) for f in fs]
            check(not found, "%s: files written under /var/lib: %s" % (name, found))
            if name == "opensuse":
                d.proc.wait_log(r"No dhclient lease location is known for this system.*ID=opensuse-leap", 2)
            log("%s: nothing exported" % name)
        d.stop()
        c.flush_addresses(cif)
    log("PASS location: os-release decides the path (Debian family, RHEL family), none otherwise")


SCENARIOS = {
    "dhclient-reboot": scenario_dhclient_reboot,
    "release": scenario_release,
    "location": scenario_location,
    "nak": scenario_nak,
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", required=True, choices=sorted(SCENARIOS))
    ap.add_argument("--daemon", required=True)
    ap.add_argument("--keep-tmp", action="store_true")
    args = ap.parse_args()
    with netns.Topology("ex" + args.scenario[:1], keep_tmp=args.keep_tmp) as topo:
        try:
            SCENARIOS[args.scenario](topo, args)
        except netns.CheckFailed:
            netns.dump_packets(sum([netns.read_pcap(os.path.join(topo.tmp, f))
                                    for f in sorted(os.listdir(topo.tmp)) if f.endswith(".pcap")], []))
            raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
